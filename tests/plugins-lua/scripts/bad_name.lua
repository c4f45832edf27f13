corral.tool { name = "bad name!", description = "A tool with a bad name.", run = function() end }
