-- Tools that misbehave on purpose, for tests/plugins-lua/run.sh.

local function tool(name, run)
  corral.tool { name = name, description = "test tool " .. name, run = run }
end

-- The instruction budget.
tool("loop", function() while true do end end)
tool("pcall_loop", function()
  while true do
    pcall(function() while true do end end)
  end
end)
tool("xpcall_loop", function()
  while true do
    xpcall(function() while true do end end, function() while true do end end)
  end
end)
tool("coroutine_loop", function()
  while true do
    local co = coroutine.create(function() while true do end end)
    pcall(coroutine.resume, co)
  end
end)
tool("budget_return", function()
  -- Swallow the budget error and try to return a result anyway.
  pcall(function() while true do end end)
  return "survived"
end)

-- The memory cap.
tool("table_bomb", function()
  local t = {}
  for i = 1, math.maxinteger do
    t[i] = { i, i, i }
  end
end)
tool("concat_bomb", function()
  local s = "x"
  while true do
    s = s .. s
  end
end)
tool("rep_huge", function() return string.rep("x", 1e10) end)
tool("rep_big", function() return string.rep("x", 1e9) end)
tool("pcall_bomb", function()
  local ok = pcall(function()
    local t = {}
    while true do t[#t + 1] = ("y"):rep(1000) .. #t end
  end)
  return ok and "no error" or "caught"
end)

-- What the environment offers.
tool("globals", function()
  local names = { "os", "io", "debug", "package", "require", "dofile", "loadfile",
                  "loadstring", "module", "setfenv", "getfenv", "collectgarbage_stop" }
  local seen = {}
  for _, n in ipairs(names) do
    seen[n] = type(_G[n])
  end
  seen.string_dump = type(string.dump)
  seen.load_os = type(load("return os")())
  seen.load_corral = type(load("return corral")())
  seen.collectgarbage_stop = select(1, pcall(collectgarbage, "stop")) and "allowed" or "refused"
  seen.collectgarbage_count = type(collectgarbage("count"))
  return { structured = seen }
end)
tool("load_bytecode", function()
  local f, err = load("\27Lua\84\0\25\147\13\10\26\10\4\8\8\120\86", "bin", "b")
  return { structured = { loaded = f ~= nil, err = tostring(err) } }
end)
tool("string_metatable", function()
  local mt = getmetatable("")
  local ok = pcall(function() getmetatable("").__index = { upper = function() return "pwned" end } end)
  string.upper = function() return "pwned" end -- the script's own copy only
  string.rep = nil
  return { structured = { metatable = tostring(mt), assign = ok, upper = ("abc"):upper(),
                          rep = ("ab"):rep(2) } }
end)
tool("print", function()
  print("printed", "to", "the", "log")
  return "ok"
end)

-- Errors and results.
tool("boom", function()
  local function inner() error("boom went the tool") end
  inner()
end)
tool("error_table", function() error({ code = 7 }) end)
tool("bad_return", function() return true end)
tool("bad_field", function() return { txt = "typo" } end)
tool("late_tool", function()
  corral.tool { name = "late", description = "x", run = function() end }
end)
tool("echo_args", function(args)
  return { structured = { args = args, null_is_sentinel = args.n == corral.json.null } }
end)

-- The host module.
tool("json", function()
  local doc = corral.json.decode('{"a":[1,2,{"b":null}],"c":"é","d":1.5}')
  local deep = string.rep("[", 100) .. string.rep("]", 100)
  local deep_ok, deep_err = pcall(corral.json.decode, deep)
  local bad_ok, bad_err = pcall(corral.json.decode, "{nope")
  local cyc = {}
  cyc.self = cyc
  local cyc_ok, cyc_err = pcall(corral.json.encode, cyc)
  local fn_ok = pcall(corral.json.encode, { f = print })
  return { structured = {
    roundtrip = corral.json.encode(doc),
    deep = deep_ok, deep_err = tostring(deep_err),
    bad = bad_ok, bad_err = tostring(bad_err),
    cycle = cyc_ok, cycle_err = tostring(cyc_err),
    encode_function = fn_ok,
  } }
end)
tool("files", function()
  assert(corral.write("sub/out.txt", "first"))
  assert(corral.write("sub/out.txt", "second"))
  local text = corral.read("sub/out.txt")
  local missing, err = corral.read("sub/none.txt")
  local names = corral.list("sub")
  local ws = corral.workspace()
  local bad_write, werr = corral.write("no/such/dir/x", "y")
  return { structured = { text = text, missing = missing == nil, err = err,
                          names = names, workspace = ws, bad_write = bad_write == nil,
                          werr = werr } }
end)
tool("run", function()
  local echo = corral.run({ "echo", "hello", "world" })
  local cat = corral.run({ "cat" }, { stdin = "from stdin" })
  local fail = corral.run({ "sh", "-c", "echo oops >&2; exit 3" })
  local none, none_err = corral.run({ "no-such-program-corral" })
  local slow = corral.run({ "sleep", "10" }, { timeout = 0.3 })
  local big = corral.run({ "head", "-c", "3000000", "/dev/zero" })
  return { structured = {
    echo = echo.stdout, echo_exit = echo.exit,
    cat = cat.stdout,
    fail_exit = fail.exit, fail_err = fail.stderr,
    none = none == nil, none_err = none_err,
    slow_timed_out = slow.timed_out,
    big_len = #big.stdout, big_truncated = big.truncated,
  } }
end)
tool("xpcall_ok", function()
  local ok, msg = xpcall(function(a, b) error(a .. b, 0) end, function(m) return "handled: " .. m end, "x", "y")
  local ok2, v = xpcall(function(a) return a * 2 end, print, 21)
  return ("%s %s %s %s"):format(ok, msg, ok2, v)
end)
