#!/usr/bin/env bash
# run.sh CORRAL - the audit log end to end: every call leaves records that
# `corral audit` shows, secrets are redacted (built-in and policy patterns),
# the log stays valid JSON Lines when corral is SIGKILLed mid-call (and the
# call shows as interrupted), and a log inside the workspace is refused.
set -u
corral=$(realpath "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_STATE_HOME=$tmp/state
ws=$tmp/ws
mkdir -p "$ws" "$XDG_STATE_HOME"
log=$XDG_STATE_HOME/corral/audit.jsonl
fails=0 passes=0
pass() { echo "ok: $*"; passes=$((passes + 1)); }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# valid_jsonl FILE: every line parses as a JSON object.
valid_jsonl() {
	python3 - "$1" <<'EOF'
import json, sys
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    rec = json.loads(line)
    assert isinstance(rec, dict), f"line {n} is not an object"
    for key in ("ts", "event", "run", "call", "tool", "decision"):
        assert key in rec, f"line {n} has no {key}"
EOF
}

cd "$ws" || exit 1

# 1. Each call leaves a start and an end record; `corral audit` shows one entry.
"$corral" call write_file --run r1 --args '{"path": "a.txt", "content": "hello\n"}' >/dev/null
"$corral" call exec --run r1 --args '{"command": "exit 3"}' >/dev/null 2>&1
"$corral" call read_file --run r1 --args '{"path": 7}' >/dev/null 2>&1
if valid_jsonl "$log"; then pass "records are valid JSON Lines"; else fail "records are not valid JSON Lines"; fi
starts=$(grep -c '"event":"start"' "$log")
ends=$(grep -c '"event":"end"' "$log")
[ "$starts" = 2 ] && [ "$ends" = 3 ] && pass "two calls ran, one was refused: 2 start and 3 end records" ||
	fail "expected 2 start and 3 end records, got $starts and $ends"
out=$("$corral" audit --run r1)
echo "$out" | grep -q 'command exit status 3' && pass "audit shows exec's exit status" ||
	fail "audit does not show exec's exit status: $out"
echo "$out" | grep -q 'bad-arguments: bad arguments for read_file' && pass "audit shows the refused call" ||
	fail "audit does not show the refused call: $out"
n=$("$corral" audit --run r1 --json | wc -l)
[ "$n" = 3 ] && pass "audit --json prints one object per call" || fail "audit --json printed $n lines, expected 3"
"$corral" audit --run r1 --json | python3 -c '
import json, sys
calls = [json.loads(l) for l in sys.stdin]
assert calls[0]["tool"] == "write_file" and calls[0]["outcome"] == "ran", calls[0]
assert calls[0]["arguments"]["path"] == "a.txt"
assert calls[1]["command_exit_status"] == 3, calls[1]
assert calls[2]["outcome"] == "bad-arguments", calls[2]
' && pass "merged records carry arguments and outcomes" || fail "merged records are wrong"
other=$("$corral" audit --workspace / --run r1 2>&1)
echo "$other" | grep -q 'no calls recorded' && pass "audit filters by workspace" ||
	fail "audit --workspace / showed calls of another workspace: $other"

# 2. Secrets in arguments are redacted: built-in shapes and the policy's own.
cat >"$tmp/redact.json" <<'EOF'
{
  "extends": "workspace-write",
  "audit": { "redact": ["corp-[0-9]{6}"] }
}
EOF
"$corral" call exec --run r2 --policy "$tmp/redact.json" \
	--args '{"command": "echo sk-live0123456789abcdefghij ghp_abcdefghijklmnopqrstuvwxyz012345 corp-123456 AKIAABCDEFGHIJKLMNOP"}' >/dev/null
if grep -Eq 'sk-live|ghp_abc|corp-123456|AKIAABCD' "$log"; then
	fail "a secret reached the audit log"
else
	pass "secrets are redacted (built-in and audit.redact patterns)"
fi
grep -q '\[REDACTED\]' "$log" && pass "redacted values are marked" || fail "no [REDACTED] marker in the log"

# 3. corral killed mid-call: the log stays valid and the call shows as interrupted.
"$corral" call exec --run r3 --args '{"command": "sleep 30"}' >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do
	grep -q '"run":"r3"' "$log" 2>/dev/null && break
	sleep 0.1
done
sleep 0.3
kill -KILL "$pid"
wait "$pid" 2>/dev/null
if valid_jsonl "$log"; then pass "the log is valid after SIGKILL mid-call"; else fail "the log is corrupt after SIGKILL"; fi
"$corral" audit --run r3 | grep -q 'interrupted' && pass "the killed call is shown as interrupted" ||
	fail "the killed call is not shown as interrupted: $("$corral" audit --run r3)"
# Concurrent writers never split a line.
for i in 1 2 3 4; do
	"$corral" call exec --run "par$i" --args "{\"command\": \"echo $i\"}" >/dev/null &
done
wait
if valid_jsonl "$log"; then pass "concurrent corral processes append whole lines"; else fail "concurrent appends corrupted the log"; fi
# A torn line (a full disk) is skipped and counted, never fatal.
printf '{"ts":"x","event":"st' >>"$log"
err=$("$corral" audit --run r1 2>&1 >/dev/null)
echo "$err" | grep -q '1 line that are not JSON records were skipped' && pass "a torn line is reported" ||
	fail "a torn line was not reported: $err"

# 4. The log may not live where tool calls could rewrite it.
cat >"$tmp/inside.json" <<EOF
{ "extends": "workspace-write", "audit": { "path": "$ws/log.jsonl" } }
EOF
err=$("$corral" call read_file --policy "$tmp/inside.json" --args '{"path": "a.txt"}' 2>&1)
status=$?
[ $status != 0 ] && echo "$err" | grep -q 'is inside the workspace' && pass "a log inside the workspace is refused" ||
	fail "a log inside the workspace was accepted (status $status): $err"
cat >"$tmp/rel.json" <<'EOF'
{ "extends": "workspace-write", "audit": { "path": "log.jsonl" } }
EOF
err=$("$corral" policy check "$tmp/rel.json" 2>&1)
echo "$err" | grep -q 'rel.json:1:52: audit.path: must be absolute' && pass "a relative audit.path is a policy error" ||
	fail "a relative audit.path was not refused with its position: $err"
cat >"$tmp/elsewhere.json" <<EOF
{ "extends": "workspace-write", "audit": { "path": "$tmp/other/audit.jsonl" } }
EOF
"$corral" call read_file --run r4 --policy "$tmp/elsewhere.json" --args '{"path": "a.txt"}' >/dev/null
[ -s "$tmp/other/audit.jsonl" ] && "$corral" audit --policy "$tmp/elsewhere.json" --run r4 | grep -q read_file &&
	pass "audit.path moves the log, and corral audit --policy reads it" || fail "audit.path was not honoured"
[ "$(stat -c %a "$tmp/other/audit.jsonl")" = 600 ] && pass "the log is created mode 0600" ||
	fail "the log's mode is $(stat -c %a "$tmp/other/audit.jsonl")"

echo "$passes passed, $fails failed"
[ $fails = 0 ]
