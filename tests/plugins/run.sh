#!/bin/sh
# run.sh SUITE WORKER PLUGIN_DIR TEST_PLUGIN_DIR
#
# Runs corral-worker directly (no sandbox) with fd 3 opened on a plugin, in a
# temporary workspace, and checks its JSON output with python3. SUITE is
# worker, builtin or run_tests. Every check counts; a missing tool fails.
set -u
suite=$1
worker=$2
plugin_dir=$3
test_dir=$4
passed=0
failed=0

command -v python3 >/dev/null || { echo "plugins: python3 is required"; exit 1; }
[ -x "$worker" ] || { echo "plugins: no worker at $worker"; exit 1; }

tmp=$(mktemp -d)
trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
ws=$tmp/ws
mkdir -p "$ws"
cd "$ws" || exit 1

# call PLUGIN TOOL ARGS [WORKER OPTIONS...]: sets out and rc.
call() {
	plugin=$1 tool=$2 args=$3
	shift 3
	out=$(printf '%s' "$args" | "$worker" call "$tool" "$@" 3<"$plugin" 2>"$tmp/stderr")
	rc=$?
}

# check NAME PYTHON_EXPRESSION: d is the parsed output, rc the exit status,
# text the concatenated text content, err the stderr, ws the workspace.
check() {
	if printf '%s' "$out" | python3 -c '
import json, sys, os
name, expr, rc = sys.argv[1], sys.argv[2], int(sys.argv[3])
raw = sys.stdin.buffer.read()
try:
    raw.decode("utf-8")
    d = json.loads(raw)
except Exception as e:
    print("not valid UTF-8 JSON:", e, raw[:300]); sys.exit(1)
text = "".join(b.get("text", "") for b in d.get("content", []))
err = open(sys.argv[4], errors="replace").read()
ws = sys.argv[5]
if "Sanitizer" in err or "runtime error:" in err:
    print(err[:3000]); sys.exit(1)
if not eval(expr):
    print("rc=%d output: %s" % (rc, raw[:1500].decode("utf-8", "replace")))
    sys.exit(1)
' "$1" "$2" "$rc" "$tmp/stderr" "$ws"; then
		passed=$((passed + 1))
	else
		echo "FAIL: $1"
		failed=$((failed + 1))
	fi
}

# ok NAME SHELL_CONDITION...: a check on the file system.
ok() {
	name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
	else
		echo "FAIL: $name"
		failed=$((failed + 1))
	fi
}

# ---- the worker, with the test plugins ----
suite_worker() {
	good=$test_dir/good.so
	out=$("$worker" describe 3<"$good" 2>"$tmp/stderr")
	rc=$?
	check "describe test plugin" 'rc == 0 and d["plugin"] == {"name": "test", "version": "0.0.1"} and len(d["tools"]) == 8 and d["tools"][0]["annotations"]["readOnlyHint"] is True and "outputSchema" not in d["tools"][0]'

	call "$good" echo '{"a": [1, 2]}'
	check "echo" 'rc == 0 and d["isError"] is False and json.loads(text) == {"a": [1, 2]} and "truncated" not in d'
	call "$good" fail '{}'
	check "non-zero return" 'd["isError"] is True and text == "the tool failed with code 7"'
	call "$good" error '{}'
	check "set_error first" 'd["isError"] is True and d["content"][0]["text"].startswith("no file named x.c") and d["content"][1]["text"] == "details"'
	call "$good" bad_utf8 '{}'
	check "invalid UTF-8 replaced" 'rc == 0 and text == "a\ufffdb\ufffdc\ufffd"'
	call "$good" big '{}' --output-cap 1500
	check "output cap" 'len(text) == 1500 and d["truncated"] == {"dropped_bytes": 1500}'
	call "$good" big '{}'
	check "default output cap" 'len(text) == 3000 and "truncated" not in d'
	out=$(printf '{}' | "$worker" call progress --progress-fd 5 3<"$good" 5>"$tmp/progress" 2>"$tmp/stderr")
	rc=$?
	check "progress runs" 'rc == 0 and d["isError"] is False'
	ok "progress throttled" python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert 1 <= len(lines) <= 3, lines
p = json.loads(lines[0])
assert p["progress"] == 0 and p["total"] == 1000 and p["message"] == "step", p
' "$tmp/progress"
	call "$good" progress '{}'
	check "progress without fd" 'rc == 0'
	call "$good" structured '{}'
	check "set_structured validates" 'text == "bad=-22 list=-22" and d["structuredContent"] == {"ok": True}'
	call "$good" info '{}' --script /tmp/x.lua
	check "host slots" 'text == "workspace=%s script=/tmp/x.lua late=-22 cap=1048576 has_cap=1" % os.path.realpath(ws) and "warning: careful 42" in err'
	call "$good" info '{}'
	check "no script" '"script=(null)" in text'

	call "$good" nope '{}'
	check "unknown tool" 'rc == 3 and d["workerError"] == "unknown_tool" and "nope" in text'
	call "$good" echo '[1]'
	check "arguments not an object" 'rc == 3 and d["workerError"] == "arguments"'
	call "$good" echo '{"a":'
	check "arguments not JSON" 'rc == 3 and d["workerError"] == "arguments"'
	deep=$(python3 -c 'print("{\"a\":" * 5000 + "1" + "}" * 5000)')
	call "$good" echo "$deep"
	check "deeply nested arguments" 'rc == 3 and d["workerError"] == "arguments"'
	out=$(head -c 17000000 /dev/zero | tr '\0' ' ' | "$worker" call echo 3<"$good" 2>"$tmp/stderr")
	rc=$?
	check "arguments over 16 MiB" 'rc == 3 and d["workerError"] == "arguments" and text == "arguments larger than 16 MiB"'

	out=$("$worker" describe 3<"$test_dir/abi.so" 2>"$tmp/stderr")
	rc=$?
	check "ABI mismatch" 'rc == 3 and d["workerError"] == "abi" and text == "plugin built for ABI 2, this corral speaks ABI 1"'
	out=$("$worker" describe 3<"$test_dir/init_fail.so" 2>"$tmp/stderr")
	rc=$?
	check "init fails" 'rc == 3 and d["workerError"] == "init" and "-5" in text'
	out=$("$worker" describe 3<"$test_dir/bad_name.so" 2>"$tmp/stderr")
	rc=$?
	check "tool name with a dot" 'rc == 3 and d["workerError"] == "register" and "bad.name" in text and "[A-Za-z0-9_-]{1,64}" in text'
	out=$("$worker" describe 3<"$test_dir/bad_schema.so" 2>"$tmp/stderr")
	rc=$?
	check "schema not an object" 'rc == 3 and d["workerError"] == "register" and "input_schema" in text'
	out=$("$worker" describe 3</dev/null 2>"$tmp/stderr")
	rc=$?
	check "not a shared object" 'rc == 3 and d["workerError"] == "load"'
	out=$("$worker" describe 2>"$tmp/stderr" 3<&-)
	rc=$?
	check "no fd 3" 'rc == 3 and d["workerError"] == "load"'
	out=$("$worker" 2>"$tmp/stderr")
	rc=$?
	check "usage: nothing" 'rc == 3 and d["workerError"] == "usage"'
	out=$("$worker" frob 3<"$good" 2>"$tmp/stderr")
	rc=$?
	check "usage: unknown verb" 'rc == 3 and d["workerError"] == "usage"'
	out=$("$worker" call 3<"$good" 2>"$tmp/stderr")
	rc=$?
	check "usage: call without tool" 'rc == 3 and d["workerError"] == "usage"'
	call "$good" echo '{}' --output-cap lots
	check "usage: bad output cap" 'rc == 3 and d["workerError"] == "usage"'
}

# ---- the built-in tools ----
suite_builtin() {
	b=$plugin_dir/builtin.so
	out=$("$worker" describe 3<"$b" 2>"$tmp/stderr")
	rc=$?
	check "describe builtin" 'rc == 0 and [t["name"] for t in d["tools"]] == ["exec", "read_file", "write_file", "edit_file", "list_files", "grep"] and all(t["inputSchema"]["type"] == "object" and t["inputSchema"]["additionalProperties"] is False and t["description"] for t in d["tools"])'
	check "annotations" 'dict((t["name"], t["annotations"]) for t in d["tools"])["read_file"] == {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True, "openWorldHint": False} and dict((t["name"], t["annotations"]) for t in d["tools"])["edit_file"]["destructiveHint"] is True and "outputSchema" in d["tools"][0]'

	# exec
	call "$b" exec '{"command": "echo out; echo err >&2; exit 3"}'
	check "exec exit code" 'd["isError"] is False and text.startswith("exit code 3\n") and "--- stdout ---\nout\n" in text and "--- stderr ---\nerr\n" in text and d["structuredContent"]["exit_code"] == 3 and d["structuredContent"]["stdout"] == "out\n"'
	call "$b" exec '{"argv": ["printf", "%s-%s", "a b", "c"]}'
	check "exec argv" 'd["structuredContent"]["stdout"] == "a b-c" and d["structuredContent"]["exit_code"] == 0'
	call "$b" exec '{"argv": ["/nonexistent/prog"]}'
	check "exec not startable" 'd["isError"] is True and "cannot run /nonexistent/prog" in text'
	call "$b" exec '{"command": "echo x", "argv": ["true"]}'
	check "exec both command and argv" 'd["isError"] is True and "exactly one" in text'
	call "$b" exec '{}'
	check "exec neither" 'd["isError"] is True'
	call "$b" exec '{"command": 5}'
	check "exec wrong type" 'd["isError"] is True and "must be a string" in text'
	call "$b" exec '{"argv": [1, 2]}'
	check "exec argv of numbers" 'd["isError"] is True'
	call "$b" exec '{"command": "sleep 5 & sleep 10", "timeout": 0.5}'
	check "exec timeout" 'd["isError"] is False and text.startswith("timed out after 0.5s") and d["structuredContent"]["timed_out"] is True'
	call "$b" exec '{"command": "head -c 5000 /dev/zero | tr \"\\\\0\" a; printf E >&2"}' --output-cap 1000
	check "exec capped output" 'd["structuredContent"]["stdout_dropped"] == 5000 - len(d["structuredContent"]["stdout"]) and 0 < len(d["structuredContent"]["stdout"]) < 500 and "[output capped: %d bytes dropped]" % d["structuredContent"]["stdout_dropped"] in text and d["structuredContent"]["stderr"] == "E" and "truncated" not in d'
	call "$b" exec '{"command": "cat", "stdin": "fed in"}'
	check "exec stdin" 'd["structuredContent"]["stdout"] == "fed in"'
	mkdir -p sub
	call "$b" exec '{"command": "pwd", "cwd": "sub"}'
	check "exec cwd" 'd["structuredContent"]["stdout"].strip().endswith("/ws/sub")'
	call "$b" exec '{"command": "pwd", "cwd": "missing-dir"}'
	check "exec bad cwd" 'd["isError"] is True and "missing-dir" in text'
	call "$b" exec '{"command": "kill -TERM $$"}'
	check "exec signal" 'd["structuredContent"]["signal"] == 15 and "signal 15" in text'
	call "$b" exec '{"command": "printf \"\\\\377ok\""}'
	check "exec invalid UTF-8 output" 'd["structuredContent"]["stdout"] == "\ufffdok"'

	# read_file
	printf 'one\ntwo\nthree\n' >three.txt
	call "$b" read_file '{"path": "three.txt"}'
	check "read_file" 'text == "     1\tone\n     2\ttwo\n     3\tthree\n" and d["isError"] is False'
	call "$b" read_file '{"path": "three.txt", "offset": 2, "limit": 1}'
	check "read_file offset and limit" 'text == "     2\ttwo\n... 1 more lines; use offset 3 to read on\n"'
	call "$b" read_file '{"path": "three.txt", "offset": 9}'
	check "read_file offset past the end" 'd["isError"] is True and "past the end" in text'
	call "$b" read_file '{"path": "missing.txt"}'
	check "read_file missing" 'd["isError"] is True and text == "cannot open missing.txt: No such file or directory"'
	call "$b" read_file '{"path": "../../no-such-corral-file"}'
	check "read_file outside the workspace" 'd["isError"] is True and text == "cannot open ../../no-such-corral-file: No such file or directory (it is outside the workspace; only the workspace and the policy'"'"'s read paths are visible)"'
	printf '\211PNG\r\n\032\n\0\0\0' >x.png
	call "$b" read_file '{"path": "x.png"}'
	check "read_file binary" 'd["isError"] is True and text == "x.png looks binary (NUL bytes); read_file shows text only"'
	printf 'caf\351\n' >latin1.txt
	call "$b" read_file '{"path": "latin1.txt"}'
	check "read_file invalid UTF-8" 'd["isError"] is True and "not valid UTF-8" in text'
	head -c 11000000 /dev/zero | tr '\0' 'a' >huge.txt
	call "$b" read_file '{"path": "huge.txt"}'
	check "read_file huge" 'd["isError"] is True and "larger than 10 MiB" in text'
	rm -f huge.txt
	python3 -c 'print("y" * 5000)' >long.txt
	call "$b" read_file '{"path": "long.txt"}'
	check "read_file long line" '"line cut: 3000 more bytes" in text and len(text) < 2100'
	call "$b" read_file '{"path": "sub"}'
	check "read_file directory" 'd["isError"] is True and "directory" in text'
	call "$b" read_file '{"path": ["x"]}'
	check "read_file wrong type" 'd["isError"] is True and "must be a string" in text'
	call "$b" read_file '{"path": "three.txt", "limit": "all"}'
	check "read_file wrong limit type" 'd["isError"] is True and "limit" in text'
	call "$b" read_file '{"path": "three.txt", "extra": {"deep": [[[[[]]]]]}}'
	check "read_file ignores extra" 'd["isError"] is False'
	: >empty.txt
	call "$b" read_file '{"path": "empty.txt"}'
	check "read_file empty" 'd["isError"] is False and "empty" in text'

	# write_file
	call "$b" write_file '{"path": "new/dir/f.txt", "content": "hello\n"}'
	check "write_file creates" 'text == "wrote 6 bytes to new/dir/f.txt (created)\n" and open(ws + "/new/dir/f.txt").read() == "hello\n"'
	ok "write_file new mode 0644" test "$(stat -c %a new/dir/f.txt)" = 644
	printf '#!/bin/sh\n' >script.sh
	chmod 750 script.sh
	call "$b" write_file '{"path": "script.sh", "content": "#!/bin/sh\necho hi\n"}'
	check "write_file replaces" 'text == "wrote 18 bytes to script.sh (replaced)\n"'
	ok "write_file keeps mode" test "$(stat -c %a script.sh)" = 750
	ok "write_file leaves no temp files" test -z "$(find . -name '*.corral-*')"
	ln -s script.sh link.sh
	call "$b" write_file '{"path": "link.sh", "content": "via link\n"}'
	ok "write_file through a symlink" test -L link.sh -a "$(cat script.sh)" = "via link"
	call "$b" write_file '{"path": "sub", "content": "x"}'
	check "write_file onto a directory" 'd["isError"] is True'
	mkdir ro
	chmod 555 ro
	if [ "$(id -u)" = 0 ]; then
		# root writes anyway; use a path under a file instead.
		call "$b" write_file '{"path": "three.txt/x", "content": "x"}'
	else
		call "$b" write_file '{"path": "ro/x", "content": "x"}'
	fi
	check "write_file fails cleanly" 'd["isError"] is True and text.startswith("cannot ")'
	ok "write_file failure leaves no temp files" test -z "$(find . -name '*.corral-*')"
	call "$b" write_file '{"path": "w.txt"}'
	check "write_file missing content" 'd["isError"] is True and "content" in text'
	call "$b" write_file '{"path": "w.txt", "content": null}'
	check "write_file null content" 'd["isError"] is True'

	# edit_file
	printf 'alpha\nbeta\nalpha\n' >e.txt
	chmod 640 e.txt
	call "$b" edit_file '{"path": "e.txt", "old_string": "beta", "new_string": "BETA"}'
	check "edit_file" 'text == "replaced 1 occurrence(s) in e.txt\n" and open(ws + "/e.txt").read() == "alpha\nBETA\nalpha\n"'
	ok "edit_file keeps mode" test "$(stat -c %a e.txt)" = 640
	call "$b" edit_file '{"path": "e.txt", "old_string": "alpha", "new_string": "x"}'
	check "edit_file not unique" 'd["isError"] is True and text == "old_string matches 2 times in e.txt; add context or set replace_all"'
	call "$b" edit_file '{"path": "e.txt", "old_string": "alpha", "new_string": "x", "replace_all": true}'
	check "edit_file replace_all" 'text == "replaced 2 occurrence(s) in e.txt\n" and open(ws + "/e.txt").read() == "x\nBETA\nx\n"'
	call "$b" edit_file '{"path": "e.txt", "old_string": "gamma", "new_string": "x"}'
	check "edit_file not found" 'd["isError"] is True and text == "old_string not found in e.txt"'
	call "$b" edit_file '{"path": "e.txt", "old_string": "x", "new_string": "x"}'
	check "edit_file same strings" 'd["isError"] is True'
	call "$b" edit_file '{"path": "nope.txt", "old_string": "a", "new_string": "b"}'
	check "edit_file missing file" 'd["isError"] is True and "nope.txt" in text'
	call "$b" edit_file '{"path": "e.txt", "old_string": "x", "new_string": "y", "replace_all": "yes"}'
	check "edit_file wrong type" 'd["isError"] is True and "replace_all" in text'
	ok "edit_file leaves no temp files" test -z "$(find . -name '*.corral-*')"

	# list_files and .gitignore
	mkdir -p tree && cd tree || return
	mkdir -p .git src/gen build docs keep
	for f in .git/config src/a.c src/b.h src/gen/out.c build/x.o docs/readme.md \
		keep/k.log keep/other.log top.log notes.txt src/c.c; do
		echo "int x; // $f" >"$f"
	done
	printf '*.log\n!keep/k.log\nbuild/\n/notes.txt\n' >.gitignore
	printf 'gen/\n' >src/.gitignore
	call "$b" list_files '{}'
	check "list_files honours .gitignore" 'text.splitlines() == [".gitignore", "docs/readme.md", "keep/k.log", "src/.gitignore", "src/a.c", "src/b.h", "src/c.c"]'
	call "$b" list_files '{"pattern": "*.c"}'
	check "list_files pattern" 'text.splitlines() == ["src/a.c", "src/c.c"]'
	call "$b" list_files '{"pattern": "src/**/*.h"}'
	check "list_files ** pattern" 'text.splitlines() == ["src/b.h"]'
	call "$b" list_files '{"path": "src"}'
	check "list_files subdir" 'text.splitlines() == ["src/.gitignore", "src/a.c", "src/b.h", "src/c.c"]'
	call "$b" list_files '{"max": 2}'
	check "list_files capped" 'text.splitlines()[:2] == [".gitignore", "docs/readme.md"] and "max=2" in text'
	call "$b" list_files '{"path": "missing"}'
	check "list_files missing" 'd["isError"] is True and "missing" in text'
	call "$b" list_files '{"max": "ten"}'
	check "list_files wrong type" 'd["isError"] is True'

	# grep
	printf 'int main(void)\n{\n\treturn MAIN_OK;\n}\n' >src/a.c
	call "$b" grep '{"pattern": "main"}'
	check "grep" 'text == "src/a.c:1:int main(void)\n"'
	call "$b" grep '{"pattern": "main", "ignore_case": true, "glob": "*.c"}'
	check "grep ignore_case and glob" 'text.splitlines() == ["src/a.c:1:int main(void)", "src/a.c:3:\treturn MAIN_OK;"]'
	call "$b" grep '{"pattern": "int", "path": "src/a.c"}'
	check "grep one file" 'text == "src/a.c:1:int main(void)\n"'
	call "$b" grep '{"pattern": "x;", "max": 1}'
	check "grep capped" 'len(text.splitlines()) == 2 and "max=1" in text'
	call "$b" grep '{"pattern": "out"}'
	check "grep skips ignored" 'text.startswith("no matches")'
	call "$b" grep '{"pattern": "(unclosed"}'
	check "grep bad regex" 'd["isError"] is True and "bad regular expression" in text and "Unmatched (" in text'
	printf 'main\0binary' >bin.dat
	call "$b" grep '{"pattern": "binary"}'
	check "grep skips binary" 'text.startswith("no matches") and "1 binary" in text'
	python3 -c 'import sys; sys.stdout.write("z" * 200000 + "needle\nneedle short\n")' >long.txt
	call "$b" grep '{"pattern": "needle"}'
	check "grep long lines bounded" 'text.startswith("long.txt:2:needle short\n")'
	call "$b" grep '{"pattern": 3}'
	check "grep wrong type" 'd["isError"] is True'
	cd "$ws" || return
}

# ---- the run_tests example ----
suite_run_tests() {
	rt=$plugin_dir/examples/run_tests.so
	out=$("$worker" describe 3<"$rt" 2>"$tmp/stderr")
	rc=$?
	check "describe run_tests" 'rc == 0 and d["tools"][0]["name"] == "run_tests" and "outputSchema" in d["tools"][0]'
	mkdir proj && cd proj || return
	printf 'all:\n\ttrue\ntest:\n\t@echo "running"\n\t@echo "3 passed, 1 failed"\n\t@exit 1\n' >Makefile
	call "$rt" run_tests '{}'
	check "run_tests make test" 'd["isError"] is False and d["structuredContent"] == {"command": "make test", "exit_code": 2, "passed": 3, "failed": 1, "skipped": None, "summary_line": "3 passed, 1 failed"} or (d["structuredContent"]["passed"] == 3 and d["structuredContent"]["failed"] == 1 and d["structuredContent"]["command"] == "make test" and d["structuredContent"]["exit_code"] != 0)'
	check "run_tests text" '"3 passed, 1 failed" in text and "make test" in text'
	call "$rt" run_tests '{"command": "echo \"test result: ok. 4 passed; 0 failed; 2 ignored\""}'
	check "run_tests cargo" 'd["structuredContent"]["passed"] == 4 and d["structuredContent"]["skipped"] == 2 and d["structuredContent"]["exit_code"] == 0'
	call "$rt" run_tests '{"command": "echo \"75% tests passed, 1 tests failed out of 4\""}'
	check "run_tests ctest" 'd["structuredContent"]["passed"] == 3 and d["structuredContent"]["failed"] == 1'
	call "$rt" run_tests '{"command": "printf \"ok  \\tpkg/a\\t0.1s\\nFAIL\\tpkg/b\\t0.2s\\n\"; exit 1"}'
	check "run_tests go" 'd["structuredContent"]["passed"] == 1 and d["structuredContent"]["failed"] == 1 and d["structuredContent"]["exit_code"] == 1'
	call "$rt" run_tests '{"command": "echo \"==== 5 passed, 2 skipped in 0.12s ====\""}'
	check "run_tests pytest" 'd["structuredContent"]["passed"] == 5 and d["structuredContent"]["failed"] == 0 and d["structuredContent"]["skipped"] == 2'
	call "$rt" run_tests '{"command": 1}'
	check "run_tests wrong type" 'd["isError"] is True'
	cd "$ws" || return
	mkdir empty && cd empty || return
	call "$rt" run_tests '{}'
	check "run_tests nothing to run" 'd["isError"] is True and "no test command" in text'
	cd "$ws" || return
}

case $suite in
worker) suite_worker ;;
builtin) suite_builtin ;;
run_tests) suite_run_tests ;;
*)
	echo "plugins: unknown suite $suite"
	exit 1
	;;
esac

echo "plugins: $passed passed, $failed failed ($suite)"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
