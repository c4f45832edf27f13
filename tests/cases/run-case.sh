#!/usr/bin/env bash
# run-case.sh CORRAL SRCDIR CASEFILE - run one data-driven CLI case.
#
# A case file holds one directive per line ('#' starts a comment line):
#   args: ARGS...        corral's arguments, split like a shell would (required)
#   stdin: TEXT          one line of standard input (repeatable; default: none)
#   exit: N              expected exit status (default 0)
#   stdout: ERE          some line of stdout must match (repeatable)
#   stderr: ERE          some line of stderr must match (repeatable)
#   !stdout: ERE         no line of stdout may match (repeatable)
#   !stderr: ERE         no line of stderr may match (repeatable)
#   skip-unless: CMD     run CMD first; if it fails the case is reported as
#                        skipped (exit 77) with CMD in the message
#   cancel-after: SECS   send corral SIGTERM after SECS seconds
#   after: CMD           run CMD with bash in $TMPWS after corral returned; a
#                        failing CMD fails the case (repeatable)
#   env: NAME=VALUE      set an environment variable for corral (VALUE is
#                        expanded like args; repeatable)
#   setup: CMD           run CMD with bash in $TMPWS before the command
#                        (repeatable; a failing setup fails the case)
# The command runs with SRCDIR as its working directory, so paths in args
# are relative to the source tree. In args, $CORRAL expands to the binary
# and $TMPWS to a fresh, empty directory (a scratch workspace) removed after;
# $XDG_STATE_HOME is a fresh directory too.
set -u
corral=$1 src=$2 case=$3
[ -x "$corral" ] || { echo "FAIL: corral binary $corral missing"; exit 1; }
[ -f "$case" ] || { echo "FAIL: case $case missing"; exit 1; }

args="" expect_exit=0 stdin_text="" have_args=0
declare -a out_pat=() err_pat=() nout_pat=() nerr_pat=() skip_unless=() setup=() envs=() after=()
cancel_after=""
while IFS= read -r line || [ -n "$line" ]; do
	case "$line" in
	'#'* | '') ;;
	args:*) args=${line#args:}; have_args=1 ;;
	stdin:*) stdin_text+="${line#stdin: }"$'\n' ;;
	exit:*) expect_exit=$(echo ${line#exit:}) ;;
	stdout:*) out_pat+=("${line#stdout: }") ;;
	stderr:*) err_pat+=("${line#stderr: }") ;;
	'!stdout:'*) nout_pat+=("${line#!stdout: }") ;;
	'!stderr:'*) nerr_pat+=("${line#!stderr: }") ;;
	skip-unless:*) skip_unless+=("${line#skip-unless: }") ;;
	setup:*) setup+=("${line#setup: }") ;;
	env:*) envs+=("${line#env: }") ;;
	cancel-after:*) cancel_after=$(echo ${line#cancel-after:}) ;;
	after:*) after+=("${line#after: }") ;;
	*) echo "FAIL: $case: unknown directive: $line"; exit 1 ;;
	esac
done <"$case"
[ $have_args = 1 ] || { echo "FAIL: $case: no 'args:' line"; exit 1; }

cd "$src" || exit 1
for cond in "${skip_unless[@]+"${skip_unless[@]}"}"; do
	if ! bash -c "$cond" >/dev/null 2>&1; then
		echo "SKIP: $case: precondition failed: $cond"
		exit 77
	fi
done

tmp=$(mktemp -d) || exit 1
TMPWS=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp" "$TMPWS"' EXIT
# corral's state (audit log, checkpoints, caches) goes to a directory of
# the case's own, so cases neither see each other's nor the user's.
mkdir -p "$tmp/state"
export CORRAL="$corral" TMPWS XDG_STATE_HOME="$tmp/state"
for cmd in "${setup[@]+"${setup[@]}"}"; do
	(cd "$TMPWS" && bash -c "$cmd") || { echo "FAIL: $case: setup failed: $cmd"; exit 1; }
done
for e in "${envs[@]+"${envs[@]}"}"; do
	eval "export $e"
done
eval "set -- $args"
if [ -n "$cancel_after" ]; then
	"$corral" "$@" </dev/null >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	sleep "$cancel_after"
	kill -TERM "$pid"
	wait "$pid"
	status=$?
else
	printf '%s' "$stdin_text" | "$corral" "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
fi

fail=0
report() { echo "FAIL: $case: $*"; fail=1; }
for cmd in "${after[@]+"${after[@]}"}"; do
	(cd "$TMPWS" && bash -c "$cmd") || report "check after the run failed: $cmd"
done
[ "$status" = "$expect_exit" ] || report "exit status $status, expected $expect_exit"
for p in "${out_pat[@]+"${out_pat[@]}"}"; do
	grep -Eq -- "$p" "$tmp/out" || report "stdout has no line matching /$p/"
done
for p in "${err_pat[@]+"${err_pat[@]}"}"; do
	grep -Eq -- "$p" "$tmp/err" || report "stderr has no line matching /$p/"
done
for p in "${nout_pat[@]+"${nout_pat[@]}"}"; do
	grep -Eq -- "$p" "$tmp/out" && report "stdout has a line matching /$p/"
done
for p in "${nerr_pat[@]+"${nerr_pat[@]}"}"; do
	grep -Eq -- "$p" "$tmp/err" && report "stderr has a line matching /$p/"
done
if [ $fail = 1 ]; then
	echo "--- corral $args"
	echo "--- stdout:"; head -c 4000 "$tmp/out"
	echo "--- stderr:"; head -c 4000 "$tmp/err"
	exit 1
fi
echo "ok: $case"
