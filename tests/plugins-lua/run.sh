#!/usr/bin/env bash
# run.sh WORKER LUA_SO EXAMPLES_DIR - the Lua host (plugins/lua) driven
# through corral-worker directly, without a sandbox: the example tools, and
# hostile scripts against the instruction budget, the memory cap and the
# restricted environment. Prints "lua: N passed, M failed".
set -u

worker=${1:?usage: run.sh WORKER LUA_SO EXAMPLES_DIR}
lua_so=${2:?usage: run.sh WORKER LUA_SO EXAMPLES_DIR}
examples=${3:?usage: run.sh WORKER LUA_SO EXAMPLES_DIR}
here=$(cd "$(dirname "$0")" && pwd)
scripts=$here/scripts

for f in "$worker" "$lua_so" "$examples/json_query.lua"; do
	if [ ! -e "$f" ]; then
		echo "lua: $f does not exist (build the corral-worker and lua targets)" >&2
		echo "lua: 0 passed, 1 failed"
		exit 1
	fi
done
worker=$(realpath -m "$worker") lua_so=$(realpath -m "$lua_so") examples=$(realpath -m "$examples")
command -v python3 >/dev/null || { echo "lua: python3 is required" >&2; exit 1; }

ws=$(mktemp -d)
trap 'rm -rf "$ws"' EXIT
passed=0
failed=0

# worker VERB [TOOL] SCRIPT [ARGS_JSON]: sets out, err, rc, secs.
invoke() {
	local verb=$1 tool=$2 script=$3 args=${4:-'{}'} t0 t1
	# A hung worker is a failure, not a hung test.
	local -a cmd=(timeout 120 "$worker" "$verb")
	[ -n "$tool" ] && cmd+=("$tool")
	[ -n "$script" ] && cmd+=(--script /proc/self/fd/4)
	t0=$(date +%s.%N)
	if [ -n "$script" ]; then
		(cd "$ws" && "${cmd[@]}" 3<"$lua_so" 4<"$script" <<<"$args" >"$ws/.out" 2>"$ws/.err")
	else
		(cd "$ws" && "${cmd[@]}" 3<"$lua_so" <<<"$args" >"$ws/.out" 2>"$ws/.err")
	fi
	rc=$?
	t1=$(date +%s.%N)
	secs=$(python3 -c "print(round($t1 - $t0, 2))")
	out=$(cat "$ws/.out")
	err=$(cat "$ws/.err")
}

call() { invoke call "$1" "$2" "${3:-}"; }

# check NAME PYTHON_EXPR: the expression sees d (stdout as JSON), text (all
# text content joined), err (stderr), rc and secs.
check() {
	local name=$1 expr=$2
	if OUT=$out ERR=$err RC=$rc SECS=$secs WS=$ws python3 - "$expr" <<'PY'; then
import json, os, sys
try:
    d = json.loads(os.environ["OUT"])
except ValueError:
    sys.exit(1) # not one JSON document: the worker crashed or printed junk
text = "\n".join(c.get("text", "") for c in d.get("content", []))
s = d.get("structuredContent", {})
err, rc, secs = os.environ["ERR"], int(os.environ["RC"]), float(os.environ["SECS"])
ok = eval("(" + sys.argv[1] + "\n)")
sys.exit(0 if ok else 1)
PY
		passed=$((passed + 1))
		echo "ok   $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name: expected $expr"
		echo "     rc=$rc secs=$secs stdout: ${out:0:600}"
		echo "     stderr: ${err:0:600}"
	fi
}

jq_script=$examples/json_query.lua
hostile=$scripts/hostile.lua
printf '{"a":{"b":[{"c":42},{"d":null}]},"x.y":[1,2]}' >"$ws/doc.json"
printf '{"a": [1, 2' >"$ws/broken.json"

# ---- the example ----
invoke describe "" "$jq_script"
check "describe json_query" 'rc == 0 and d["plugin"]["name"] == "lua" and
  d["tools"][0]["name"] == "json_query" and "outputSchema" in d["tools"][0] and
  d["tools"][0]["inputSchema"]["required"] == ["file", "query"] and
  d["tools"][0]["annotations"]["readOnlyHint"] is True'
call json_query "$jq_script" '{"file":"doc.json","query":"a.b[0].c"}'
check "json_query a.b[0].c" 'rc == 0 and not d["isError"] and s == {"found": True, "value": 42}'
call json_query "$jq_script" '{"file":"doc.json","query":"a.b[1].d"}'
check "json_query null value" 's == {"found": True, "value": None}'
call json_query "$jq_script" '{"file":"doc.json","query":"[\"x.y\"][1]"}'
check "json_query quoted name" 's == {"found": True, "value": 2}'
call json_query "$jq_script" '{"file":"doc.json","query":""}'
check "json_query whole document" 's["value"]["x.y"] == [1, 2]'
call json_query "$jq_script" '{"file":"missing.json","query":"a"}'
check "json_query missing file" 'd["isError"] and "missing.json" in text and "No such file" in text'
call json_query "$jq_script" '{"file":"broken.json","query":"a"}'
check "json_query invalid JSON file" 'd["isError"] and "not valid JSON" in text'
call json_query "$jq_script" '{"file":"doc.json","query":"a.nope"}'
check "json_query missing key" 'not d["isError"] and s == {"found": False} and "no key \"nope\"" in text'
call json_query "$jq_script" '{"file":"doc.json","query":"a.b[7]"}'
check "json_query index out of range" 's == {"found": False} and "no index 7" in text'
call json_query "$jq_script" '{"file":"doc.json","query":"a..b"}'
check "json_query bad query" 'd["isError"] and "bad query" in text'
call json_query "$jq_script" '{"file":"doc.json","query":"a[x]"}'
check "json_query bad index" 'd["isError"] and "bad query" in text'

# ---- the instruction budget: an error, and quickly ----
budget='d["isError"] and text == "instruction budget exhausted (100000000 instructions)" and secs < 30'
for t in loop pcall_loop xpcall_loop coroutine_loop budget_return; do
	call "$t" "$hostile"
	check "budget: $t" "$budget"
done

# ---- the memory cap ----
memory='d["isError"] and text == "memory limit of 64 MiB reached"'
for t in table_bomb concat_bomb rep_big; do
	call "$t" "$hostile"
	check "memory: $t" "rc == 0 and $memory"
done
call rep_huge "$hostile"
check "memory: string.rep 1e10 is an error, no crash" 'rc == 0 and d["isError"]'
call pcall_bomb "$hostile"
check "memory: a caught memory error leaves the tool running" 'rc == 0 and text == "caught"'

# ---- the environment ----
call globals "$hostile"
check "environment: no os/io/debug/package/require/dofile/loadfile" 'all(s[k] == "nil" for k in
  ["os", "io", "debug", "package", "require", "dofile", "loadfile", "loadstring",
   "module", "setfenv", "getfenv", "string_dump", "load_os"])'
check "environment: load gets the script environment" 's["load_corral"] == "table"'
check "environment: collectgarbage only counts and collects" '
  s["collectgarbage_stop"] == "refused" and s["collectgarbage_count"] == "number"'
call load_bytecode "$hostile"
check "environment: load refuses bytecode" 's["loaded"] is False and "binary" in s["err"]'
call string_metatable "$hostile"
check "environment: the string metatable is locked" 's["metatable"] == "false" and
  s["assign"] is False and s["upper"] == "ABC" and s["rep"] == "abab"'
call print "$hostile"
check "environment: print goes to the log, not stdout" 'rc == 0 and text == "ok" and
  "printed\tto\tthe\tlog" in err'

call xpcall_ok "$hostile"
check "environment: xpcall still works" 'text == "false handled: xy true 42"'

# ---- errors and results ----
call boom "$hostile"
check "error: message and traceback" 'd["isError"] and
  d["content"][0]["text"] == "hostile.lua:88: boom went the tool" and
  "stack traceback" in text and "in local '"'"'inner'"'"'" in text'
call error_table "$hostile"
check "error: a table error object" 'd["isError"] and "error object is a table value" in text'
call bad_return "$hostile"
check "error: a boolean result" 'd["isError"] and "returned a boolean" in text'
call bad_field "$hostile"
check "error: an unknown result field" 'd["isError"] and "'"'"'txt'"'"'" in text'
call late_tool "$hostile"
check "error: corral.tool during a call" 'd["isError"] and "only while the script loads" in text'
call echo_args "$hostile" '{"s":"x","n":null,"a":[1,2.5,true],"o":{}}'
check "arguments decode" 's["args"] == {"s": "x", "n": None, "a": [1, 2.5, True], "o": {}} and
  s["null_is_sentinel"] is True'

# ---- the host module ----
call json "$hostile"
check "corral.json" 'json.loads(s["roundtrip"]) == {"a": [1, 2, {"b": None}], "c": "é", "d": 1.5}
  and s["deep"] is False and "64" in s["deep_err"] and s["bad"] is False and
  "invalid JSON" in s["bad_err"] and s["cycle"] is False and "nested" in s["cycle_err"] and
  s["encode_function"] is False'
mkdir -p "$ws/sub"
call files "$hostile"
check "corral.read/write/list/workspace" 's["text"] == "second" and s["missing"] and
  "No such file" in s["err"] and s["names"] == ["out.txt"] and
  os.path.realpath(s["workspace"]) == os.path.realpath(os.environ["WS"]) and
  s["bad_write"] and "no/such/dir/x" in s["werr"]'
call run "$hostile"
check "corral.run" 's["echo"] == "hello world\n" and s["echo_exit"] == 0 and
  s["cat"] == "from stdin" and s["fail_exit"] == 3 and s["fail_err"] == "oops\n" and
  s["none"] and "No such file" in s["none_err"] and s["slow_timed_out"] is True and
  s["big_len"] == 1048576 and s["big_truncated"] is True and secs < 8'

# ---- scripts that fail to load ----
printf '\033Lua\124\000\031\223\r\n\032\nxxxxxxxx' >"$ws/bytecode.lua"
invoke describe "" "$ws/bytecode.lua"
check "load: a bytecode script is refused" 'rc == 3 and d["workerError"] == "init" and
  "bytecode" in err'
invoke describe "" "$scripts/main_error.lua"
check "load: the main chunk fails, with a traceback" 'rc == 3 and d["workerError"] == "init"
  and "main_error.lua:2: kaput in setup" in err and "stack traceback" in err'
invoke describe "" "$scripts/main_loop.lua"
check "load: an endless main chunk" 'rc == 3 and d["workerError"] == "init" and
  "instruction budget exhausted" in err and secs < 30'
invoke describe "" "$scripts/syntax_error.lua"
check "load: a syntax error" 'rc == 3 and d["workerError"] == "init" and
  "syntax_error.lua:" in err'
invoke describe "" "$scripts/bad_name.lua"
check "load: a tool with a bad name" 'rc == 3 and d["workerError"] == "register" and
  "bad name!" in text and "[A-Za-z0-9_-]" in text'
invoke describe "" "$scripts/no_description.lua"
check "load: a tool without a description" 'rc == 3 and d["workerError"] == "init" and
  "description" in err'
invoke describe "" ""
check "load: no --script" 'rc == 3 and d["workerError"] == "init" and "--script" in err'

echo "lua: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
