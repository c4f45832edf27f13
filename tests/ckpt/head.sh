#!/bin/bash
# When the user's HEAD moved during the run, rollback says so and how to
# return, and leaves HEAD, index, branches and refs as they are.
. "$(dirname "$0")/lib.sh" "$1"

cd "$WS" && git_user init -q && echo 1 >f && git_user add f && git_user commit -qm one &&
	git_user stash list >/dev/null && cd - >/dev/null || fail "git setup"
first=$(git -C "$WS" rev-parse HEAD)
corral checkpoint --workspace "$WS" --run r >/dev/null || fail "checkpoint"
(cd "$WS" && echo 2 >f && git_user commit -qam two && git_user checkout -qb other) ||
	fail "the run's commits"
gitbefore=$(treehash "$WS/.git")
out=$(corral rollback --workspace "$WS") || fail "rollback: $out"
echo "$out" | grep -q "HEAD moved during the run" || fail "no HEAD note: $out"
echo "$out" | grep -q "git checkout main" || fail "no way back named: $out"
echo "$out" | grep -q "${first:0:12}" || fail "the old commit is not named: $out"
[ "$(treehash "$WS/.git")" = "$gitbefore" ] || fail "rollback touched .git"
[ "$(cat "$WS/f")" = 1 ] || fail "f not restored"
echo ok
