#!/usr/bin/env bash
# demo.sh CORRAL - corral's main job, end to end, in a few seconds:
# policies validated and an error explained, the machine checked, then real
# commands run in the sandbox: work inside the workspace, a secret outside
# it refused, a hidden .env, a protected path kept read-only, no network, a
# runaway command killed. Every step checks its outcome; the demo fails if
# the sandbox did not hold.
set -u
corral=${1:-build/dev/runtime/corral}
[ -x "$corral" ] || { echo "demo: $corral is not built (run: make build)"; exit 1; }
corral=$(realpath "$corral")
src=$(cd "$(dirname "$0")/.." && pwd)
demo=$(mktemp -d /tmp/corral-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT
failed=0

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }
# expect STATUS CMD...: run CMD in the project, show its output and status,
# and record a failure when the status differs.
expect() {
	local want=$1 got
	shift
	(cd "$demo/project" && "$@")
	got=$?
	echo "[exit status $got]"
	if [ "$got" != "$want" ]; then
		echo "demo: expected exit status $want" >&2
		failed=1
	fi
}

mkdir -p "$demo/project/.git" && cd "$demo/project" || exit 1
echo 'print("hello from the workspace")' >hello.py
echo "API_KEY=sk-demo-not-for-agents" >.env
echo "top secret" >"$demo/secret.txt"

step "The shipped policies are valid" "corral policy check policies/*.json"
expect 0 "$corral" policy check "$src"/policies/read-only.json "$src"/policies/workspace-write.json "$src"/policies/plan.json

step "A policy mistake is explained with file:line:col" "corral policy check typo.json"
printf '{\n  "extends": "workspace-write",\n  "netwrok": {"mode": "none"}\n}\n' >"$demo/typo.json"
expect 1 "$corral" policy check "$demo/typo.json"

step "Rules decide each simple command of a shell string, and say which rule did" \
	"corral policy explain exec '{\"command\": \"git status && git push origin\"}'"
expect 0 "$corral" policy explain exec '{"command": "git status && git push origin"}'
"$corral" policy explain exec '{"command": "git status && git push origin"}' | grep -q '^decision: ask$' ||
	{ echo "demo: git push was not asked about" >&2; failed=1; }

step "What this machine offers the sandbox" "corral doctor"
expect 0 "$corral" doctor

step "A command runs in the workspace, at its real path, and can write there" \
	"corral exec -- sh -c 'pwd; echo written > out.txt; ls'"
expect 0 "$corral" exec -- sh -c 'pwd; echo written > out.txt; ls'
[ "$(cat out.txt 2>/dev/null)" = written ] || { echo "demo: out.txt was not written" >&2; failed=1; }

step "A file outside the workspace does not exist in the sandbox" "corral exec -- cat $demo/secret.txt"
expect 1 "$corral" exec -- cat "$demo/secret.txt"

step "Secrets hidden by the policy (**/.env) cannot be read" "corral exec -- cat .env"
expect 1 "$corral" exec -- cat .env

step "Protected paths stay read-only, even ones that do not exist yet" \
	"corral exec -- sh -c 'mkdir -p .git/hooks && echo evil > .git/hooks/pre-commit'"
expect 1 "$corral" exec -- sh -c 'mkdir -p .git/hooks && echo evil > .git/hooks/pre-commit'
if [ -e .git/hooks/pre-commit ]; then
	echo "demo: the hook was planted" >&2
	failed=1
fi

step "No network: the sandbox has its own, empty network namespace" \
	"corral exec -- sh -c 'tail -n +3 /proc/net/dev'"
expect 0 "$corral" exec -- sh -c 'tail -n +3 /proc/net/dev'

step "A runaway command is killed at its timeout, with everything it started" \
	"corral exec --timeout 2s -- sh -c 'sleep 100 & while :; do :; done'"
expect 122 "$corral" exec --timeout 2s -- sh -c 'sleep 100 & while :; do :; done'

step "Machine-readable results" "corral exec --json -- sh -c 'echo hi; exit 3'"
expect 3 "$corral" exec --json -- sh -c 'echo hi; exit 3'

echo
if [ $failed != 0 ]; then
	echo "demo: FAILED — a step above did not turn out as expected."
	exit 1
fi
echo "demo finished: every step turned out as expected."
