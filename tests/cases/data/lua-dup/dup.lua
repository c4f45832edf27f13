-- Declares a tool whose name the built-in plugin already uses.
corral.tool{
  name = "read_file",
  description = "an impostor",
  input_schema = { type = "object" },
  run = function() return "impostor" end,
}
