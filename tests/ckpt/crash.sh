#!/bin/bash
# SIGKILL at every named step of a checkpoint, a rollback and a gc (the
# CORRAL_FAULT test hook): afterwards the store opens, log works, fsck is
# clean, the workspace is wholly before or wholly after, and the next
# checkpoint and rollback are right.
. "$(dirname "$0")/lib.sh" "$1"

# Every step docs/checkpoints.md names; a step in the binary that is not
# listed here fails the test, so a new step cannot go untested.
steps="take-walk take-tree take-commit take-ref take-index take-journal rollback-snapshot
rollback-intent rollback-file rollback-files rollback-journal rollback-done gc-pack gc-prune"
inbin=$(grep -aoE '\b(take|rollback|gc)-[a-z]+\b' "$CORRAL" | sort -u | tr '\n' ' ')
[ "$(echo $steps | tr ' ' '\n' | sort | tr '\n' ' ')" = "$inbin" ] ||
	fail "the fault steps in the binary ($inbin) differ from this test's list"

setup() {
	rm -rf "$WS" "$XDG_STATE_HOME"
	mkdir -p "$WS/d/sub" "$WS/gone-dir" "$XDG_STATE_HOME"
	for i in $(seq 1 30); do echo "file $i" >"$WS/d/f$i"; done
	echo keep >"$WS/d/sub/k"
	ln -s d/f1 "$WS/l"
	corral checkpoint --workspace "$WS" --run base >/dev/null || fail "setup checkpoint"
	before=$(manifest "$WS")
	for i in $(seq 1 30); do echo "changed $i" >"$WS/d/f$i"; done
	rm -r "$WS/d/sub" && rmdir "$WS/gone-dir"
	mkdir -p "$WS/new/x" && echo n >"$WS/new/x/n" && ln -sfn /tmp "$WS/l"
	after=$(manifest "$WS")
}

check_store() {
	corral log --workspace "$WS" >"$T/log" 2>&1 || fail "$1: log fails after the crash: $(cat "$T/log")"
	git --git-dir="$(store)/git" fsck --no-dangling >"$T/fsck" 2>&1 ||
		fail "$1: fsck: $(cat "$T/fsck")"
}

for step in $steps; do
	setup
	case $step in
	take-*)
		CORRAL_FAULT=$step corral checkpoint --workspace "$WS" --run run >/dev/null 2>&1
		[ $? = 137 ] || fail "$step: the process was not killed at the step"
		check_store "$step"
		[ "$(manifest "$WS")" = "$after" ] || fail "$step: a checkpoint changed the workspace"
		corral checkpoint --workspace "$WS" --run run >/dev/null || fail "$step: next checkpoint"
		corral rollback --workspace "$WS" --run base >/dev/null || fail "$step: rollback"
		[ "$(manifest "$WS")" = "$before" ] || fail "$step: rollback after the crash is wrong"
		;;
	rollback-*)
		CORRAL_FAULT=$step corral rollback --workspace "$WS" >/dev/null 2>&1
		[ $? = 137 ] || fail "$step: the process was not killed at the step"
		check_store "$step"
		now=$(manifest "$WS")
		[ "$now" = "$before" ] || [ "$now" = "$after" ] ||
			fail "$step: the workspace is half rolled back: $(diff <(echo "$before") <(echo "$now"))"
		ls -A "$(store)" | grep -q intent && fail "$step: the intent record was left"
		find "$WS" -name '.corral-tmp-*' | grep -q . && fail "$step: temp files left"
		if [ "$now" = "$after" ]; then
			corral rollback --workspace "$WS" >/dev/null || fail "$step: rollback again"
		fi
		[ "$(manifest "$WS")" = "$before" ] || fail "$step: not rolled back in the end"
		corral rollback --workspace "$WS" --undo >/dev/null || fail "$step: undo"
		[ "$(manifest "$WS")" = "$after" ] || fail "$step: undo after the crash"
		;;
	gc-*)
		corral checkpoint --workspace "$WS" --run run >/dev/null || fail "$step: checkpoint"
		CORRAL_FAULT=$step corral gc --workspace "$WS" >/dev/null 2>&1
		[ $? = 137 ] || fail "$step: the process was not killed at the step"
		check_store "$step"
		corral gc --workspace "$WS" >/dev/null || fail "$step: gc again"
		check_store "$step (second gc)"
		corral rollback --workspace "$WS" --run base >/dev/null || fail "$step: rollback"
		[ "$(manifest "$WS")" = "$before" ] || fail "$step: rollback after gc is wrong"
		;;
	esac
	echo "$step ok"
done
echo ok
