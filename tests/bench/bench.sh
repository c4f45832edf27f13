#!/bin/sh
# bench.sh - what a sandboxed command costs, as whole processes.
#
# usage: tests/bench/bench.sh [-n ROUNDS] CORRAL_BINARY
#
# Interleaves, round by round (default 200 rounds):
#   true          /bin/true, spawned directly: the baseline (1.00)
#   corral-start  corral --version: corral's own process start, no sandbox
#   corral        corral exec -- /bin/true, default policy, temporary workspace
#   bwrap         bubblewrap with the same namespaces, when it is installed
# and prints medians and ratios to /bin/true, then the in-process breakdown
# from bench_spawn (same number of rounds). Asserts nothing about speed.
#
# The helpers are looked up next to the build that made CORRAL_BINARY
# (BUILD/runtime/corral -> BUILD/tests/bench/); TIMECMD and BENCH_SPAWN
# override. Exit status 77: the sandbox cannot be set up on this machine.
set -eu

ROUNDS=200
usage() {
	echo "usage: $0 [-n ROUNDS] CORRAL_BINARY" >&2
	exit 2
}
while getopts n:h opt; do
	case $opt in
	n) ROUNDS=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage

CORRAL=$(realpath "$1")
BUILD=$(dirname "$(dirname "$CORRAL")")
TIMECMD=${TIMECMD:-$BUILD/tests/bench/timecmd}
BENCH_SPAWN=${BENCH_SPAWN:-$BUILD/tests/bench/bench_spawn}
for f in "$CORRAL" "$TIMECMD" "$BENCH_SPAWN"; do
	if [ ! -x "$f" ]; then
		echo "bench.sh: $f is missing (build the project first)" >&2
		exit 1
	fi
done

WS=$(mktemp -d /tmp/corral-bench-XXXXXX)
trap 'rm -rf "$WS"' EXIT INT TERM

# Make sure corral can run here at all before timing it.
if ! "$CORRAL" exec --workspace "$WS" -- /bin/true; then
	echo "bench.sh: corral exec cannot run here (see 'corral doctor'); skipping" >&2
	exit 77
fi

set -- true /bin/true \
	::: corral-start "$CORRAL" --version \
	::: corral "$CORRAL" exec --workspace "$WS" -- /bin/true
BWRAP=$(command -v bwrap || true)
if [ -n "$BWRAP" ] &&
	"$BWRAP" --unshare-all --die-with-parent --new-session --ro-bind /usr /usr \
		--symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64 \
		--ro-bind /etc /etc --proc /proc --dev /dev --tmpfs /tmp \
		--bind "$WS" "$WS" --chdir "$WS" /bin/true 2>/dev/null; then
	set -- "$@" ::: bwrap "$BWRAP" --unshare-all --die-with-parent --new-session \
		--ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib \
		--symlink usr/lib64 /lib64 --ro-bind /etc /etc --proc /proc --dev /dev \
		--tmpfs /tmp --bind "$WS" "$WS" --chdir "$WS" /bin/true
else
	echo "bench.sh: bwrap is not installed or cannot run here; skipping it"
fi

echo "== whole processes: $ROUNDS rounds, interleaved, ratios to /bin/true"
"$TIMECMD" -n "$ROUNDS" -- "$@"
echo
echo "== in-process breakdown (bench_spawn)"
"$BENCH_SPAWN" -n "$ROUNDS"
