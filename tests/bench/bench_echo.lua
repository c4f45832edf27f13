-- The most trivial Lua tool: what a Lua tool call costs beyond the sandbox
-- and the worker.
corral.tool{
  name = "bench_echo_lua",
  description = "Return ok.",
  input_schema = { type = "object" },
  read_only = true,
  run = function(args) return "ok" end,
}
