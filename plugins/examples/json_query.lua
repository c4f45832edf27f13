-- json_query: read a JSON file from the workspace and return the value at a
-- path such as `a.b[0].c` (names separated by dots, 0-based array indexes
-- in brackets, ["quoted names"] for names with dots or brackets).
--
-- Load it with the Lua host:
--   corral-worker call json_query --script /proc/self/fd/4 3<lua.so 4<json_query.lua

local json = corral.json

-- Split a query into steps: {kind="key", name=...} or {kind="index", index=n}.
-- Returns nil and a message for a malformed query.
local function parse_query(query)
  local steps, pos, len = {}, 1, #query
  if query == "" or query == "." then
    return steps
  end
  if query:sub(1, 1) == "." then
    pos = 2
  end
  while pos <= len do
    local c = query:sub(pos, pos)
    if c == "[" then
      local digits, after = query:match("^%[(%d+)%]()", pos)
      local quoted, after_q = query:match('^%["([^"]*)"%]()', pos)
      if digits then
        steps[#steps + 1] = { kind = "index", index = tonumber(digits) }
        pos = after
      elseif quoted then
        steps[#steps + 1] = { kind = "key", name = quoted }
        pos = after_q
      else
        return nil, ("bad query %q at character %d: expected [N] or [\"name\"]"):format(query, pos)
      end
    else
      local name, after = query:match("^([^%.%[%]]+)()", pos)
      if not name then
        return nil, ("bad query %q at character %d: expected a name"):format(query, pos)
      end
      steps[#steps + 1] = { kind = "key", name = name }
      pos = after
    end
    -- Between steps: a dot before a name, or directly a bracket.
    if pos <= len then
      local sep = query:sub(pos, pos)
      if sep == "." then
        pos = pos + 1
        if pos > len then
          return nil, ("bad query %q: it ends with a dot"):format(query)
        end
      elseif sep ~= "[" then
        return nil, ("bad query %q at character %d: expected '.' or '['"):format(query, pos)
      end
    end
  end
  return steps
end

local function kind_of(v)
  if v == json.null then
    return "null"
  elseif type(v) == "table" then
    if next(v) == nil then
      return "an empty array or object"
    end
    return v[1] ~= nil and "an array" or "an object"
  end
  return "a " .. type(v)
end

local function describe(steps, n)
  local parts = {}
  for i = 1, n do
    local s = steps[i]
    if s.kind == "index" then
      parts[#parts + 1] = ("[%d]"):format(s.index)
    elseif s.name:find("[%.%[%]]") then
      parts[#parts + 1] = ('["%s"]'):format(s.name)
    else
      parts[#parts + 1] = (#parts > 0 and "." or "") .. s.name
    end
  end
  return #parts > 0 and table.concat(parts) or "the top level"
end

-- Walk the steps; returns found, value, and a reason when not found.
local function walk(doc, steps)
  local v = doc
  for i, s in ipairs(steps) do
    local kind = kind_of(v)
    if s.kind == "index" then
      if kind ~= "an array" and kind ~= "an empty array or object" then
        return false, nil, ("%s is %s, not an array"):format(describe(steps, i - 1), kind)
      end
      if v[s.index + 1] == nil then
        return false, nil, ("%s has %d elements; there is no index %d"):format(
          describe(steps, i - 1), #v, s.index)
      end
      v = v[s.index + 1]
    else
      if kind ~= "an object" and kind ~= "an empty array or object" then
        return false, nil, ("%s is %s, not an object"):format(describe(steps, i - 1), kind)
      end
      if v[s.name] == nil then
        local keys = {}
        for k in pairs(v) do
          keys[#keys + 1] = tostring(k)
        end
        table.sort(keys)
        if #keys > 20 then
          keys = { table.unpack(keys, 1, 20) }
          keys[#keys + 1] = "..."
        end
        return false, nil, ("%s has no key %q (keys: %s)"):format(
          describe(steps, i - 1), s.name, #keys > 0 and table.concat(keys, ", ") or "none")
      end
      v = v[s.name]
    end
  end
  return true, v
end

corral.tool {
  name = "json_query",
  title = "Query a JSON file",
  description = "Read a JSON file in the workspace and return the value at a path such as "
    .. "`a.b[0].c` (dots between names, 0-based [N] for array elements, "
    .. "[\"name\"] for names with dots). An empty query returns the whole document.",
  input_schema = {
    type = "object",
    properties = {
      file = { type = "string", description = "Path of the JSON file, relative to the workspace." },
      query = { type = "string", description = "Path of the value, e.g. `a.b[0].c`." },
    },
    required = { "file", "query" },
    additionalProperties = false,
  },
  output_schema = {
    type = "object",
    properties = {
      found = { type = "boolean", description = "Whether the path exists in the document." },
      value = { description = "The value at the path, when found." },
    },
    required = { "found" },
  },
  read_only = true,
  idempotent = true,
  run = function(args)
    local steps, err = parse_query(args.query)
    if not steps then
      return { error = err }
    end
    local text, read_err = corral.read(args.file)
    if not text then
      return { error = ("cannot read %s"):format(read_err) }
    end
    local ok, doc = pcall(json.decode, text)
    if not ok then
      return { error = ("%s is not valid JSON (%s)"):format(args.file,
        tostring(doc):gsub("^[^:]*:%d+: ", "")) }
    end
    local found, value, why = walk(doc, steps)
    if not found then
      return { text = ("no value at %s in %s: %s"):format(args.query, args.file, why),
               structured = { found = false } }
    end
    return { text = json.encode(value), structured = { found = true, value = value } }
  end,
}
