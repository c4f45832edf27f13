corral.tool { name = "nodesc", run = function() end }
