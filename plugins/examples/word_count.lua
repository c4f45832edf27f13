-- word_count: count the lines, words and bytes of files in the workspace.

corral.tool {
  name = "word_count",
  title = "Count lines, words and bytes",
  description = "Count the lines, words and bytes of one or more files in the workspace, "
    .. "like `wc`.",
  input_schema = {
    type = "object",
    properties = {
      files = { type = "array", items = { type = "string" }, minItems = 1,
                description = "Paths relative to the workspace." },
    },
    required = { "files" },
  },
  read_only = true,
  idempotent = true,
  run = function(args)
    local lines, rows = {}, {}
    for _, file in ipairs(args.files) do
      local text, err = corral.read(file)
      if not text then
        return { error = ("cannot read %s"):format(err) }
      end
      local _, nl = text:gsub("\n", "")
      local words = 0
      for _ in text:gmatch("%S+") do
        words = words + 1
      end
      rows[#rows + 1] = { file = file, lines = nl, words = words, bytes = #text }
      lines[#lines + 1] = ("%8d %8d %8d %s"):format(nl, words, #text, file)
    end
    return { text = table.concat(lines, "\n"), structured = { files = rows } }
  end,
}
