#!/usr/bin/env bash
# claude-code.sh CORRAL - corral serve added to Claude Code exactly as the
# README says (`claude mcp add corral -- corral serve --workspace DIR`):
# Claude Code's own health check connects, and the protocol it spoke is
# recorded (it asks for the tools, and gets corral's). The Claude Code
# binary comes from npm (tests/mcp/package.json, installed by .ci/deps.sh).
# Nothing here needs an account: `claude mcp list` only connects.
set -u
corral=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
claude=$here/node_modules/@anthropic-ai/claude-code/bin/claude.exe
if [ ! -x "$claude" ]; then
	echo "FAIL: Claude Code is not installed in tests/mcp/node_modules: run ./.ci/deps.sh (it runs npm ci there)"
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp/home XDG_STATE_HOME=$tmp/state CLAUDE_CONFIG_DIR=$tmp/home/.claude
export DISABLE_AUTOUPDATER=1 DISABLE_TELEMETRY=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1
mkdir -p "$HOME" "$XDG_STATE_HOME" "$tmp/repo"
echo "hello" >"$tmp/repo/README.md"
# corral itself, with its stdio recorded on the way through.
cat >"$tmp/corral-recorded" <<WRAP
#!/bin/sh
tee -a "$tmp/in.jsonl" | "$corral" "\$@" | tee -a "$tmp/out.jsonl"
WRAP
chmod +x "$tmp/corral-recorded"
fails=0 passes=0
pass() { echo "ok: $*"; passes=$((passes + 1)); }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

cd "$tmp/repo" || exit 1
out=$(timeout 120 "$claude" mcp add corral -- "$tmp/corral-recorded" serve --workspace "$tmp/repo" 2>&1)
echo "$out" | grep -q 'Added stdio MCP server corral' && pass "claude mcp add takes the README's command" ||
	fail "claude mcp add: $out"
out=$(timeout 120 "$claude" mcp list 2>&1)
echo "$out"
echo "$out" | grep -Eq '^corral: .* - ✔ Connected' && pass "Claude Code connects to corral serve" ||
	fail "Claude Code did not connect: $out"
grep -q '"method":"tools/list"' "$tmp/in.jsonl" 2>/dev/null && pass "Claude Code asked for the tools" ||
	fail "Claude Code sent no tools/list: $(head -c 600 "$tmp/in.jsonl" 2>/dev/null)"
python3 - "$tmp/out.jsonl" <<'PY' && pass "corral answered with its tools" || fail "no tools/list answer with the built-in tools"
import json, sys
names = set()
for line in open(sys.argv[1]):
    msg = json.loads(line)
    for t in (msg.get("result") or {}).get("tools", []):
        names.add(t["name"])
want = {"exec", "read_file", "write_file", "edit_file", "list_files", "grep"}
sys.exit(0 if want <= names else 1)
PY
echo "$passes passed, $fails failed"
[ $fails = 0 ]
