-- A script whose main chunk fails after declaring a tool.
corral.tool{name = "x", description = "d", input_schema = {}, run = function() end}
error("boom at load")
