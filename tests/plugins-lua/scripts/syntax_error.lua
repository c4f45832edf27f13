corral.tool { name = "x", description = "x", run = function() end
