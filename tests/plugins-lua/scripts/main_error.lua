local function setup()
  error("kaput in setup")
end
setup()
