#!/usr/bin/env bash
# demo.sh CORRAL - corral's main job, end to end, in under a minute:
# policies validated and an error explained, the machine checked, then real
# commands run in the sandbox: work inside the workspace, a secret outside
# it refused, a protected path kept read-only, a runaway command killed.
set -u
corral=${1:-build/dev/runtime/corral}
[ -x "$corral" ] || { echo "demo: $corral is not built (run: make build)"; exit 1; }
corral=$(realpath "$corral")
src=$(cd "$(dirname "$0")/.." && pwd)
demo=$(mktemp -d /tmp/corral-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT
step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }
run() { (cd "$demo/project" && eval "$1"); echo "[exit status $?]"; }

mkdir -p "$demo/project/.git" && cd "$demo/project" || exit 1
echo 'print("hello from the workspace")' >hello.py
echo "API_KEY=sk-demo-not-for-agents" >.env
echo "top secret" >"$demo/secret.txt"

step "The shipped policies are valid" "corral policy check $src/policies/*.json"
"$corral" policy check "$src"/policies/*.json | grep -E ': ok$'

step "A policy mistake is explained with file:line:col" "corral policy check typo.json"
printf '{\n  "extends": "workspace-write",\n  "netwrok": {"mode": "none"}\n}\n' >"$demo/typo.json"
(cd "$demo" && "$corral" policy check typo.json); echo "[exit status $?]"

step "What this machine offers the sandbox" "corral doctor"
"$corral" doctor

step "A command runs in the workspace, at its real path" "corral exec -- sh -c 'pwd; ls -a; id -u'"
run "'$corral' exec -- sh -c 'pwd; ls -a; echo written >out.txt; cat out.txt'"

step "A file outside the workspace does not exist in the sandbox" "corral exec -- cat $demo/secret.txt"
run "'$corral' exec -- cat '$demo/secret.txt'"

step "Secrets hidden by the policy (**/.env) cannot be read" "corral exec -- cat .env"
run "'$corral' exec -- cat .env"

step "Protected paths stay read-only, even ones that do not exist yet" \
	"corral exec -- sh -c 'mkdir -p .git/hooks && echo evil > .git/hooks/pre-commit'"
run "'$corral' exec -- sh -c 'mkdir -p .git/hooks && echo evil > .git/hooks/pre-commit'"
[ -e .git/hooks/pre-commit ] && echo "DEMO FAILED: the hook was planted" && exit 1

step "No network: the sandbox has its own, empty network namespace" \
	"corral exec -- sh -c 'cat /proc/net/dev | tail -n +3'"
run "'$corral' exec -- sh -c 'tail -n +3 /proc/net/dev'"

step "A runaway command is killed at its timeout, with everything it started" \
	"corral exec --timeout 2s -- sh -c 'sleep 100 & while :; do :; done'"
run "'$corral' exec --timeout 2s -- sh -c 'sleep 100 & while :; do :; done'"

step "Machine-readable results" "corral exec --json -- sh -c 'echo hi; exit 3'"
run "'$corral' exec --json -- sh -c 'echo hi; exit 3'"
echo
echo "demo finished."
