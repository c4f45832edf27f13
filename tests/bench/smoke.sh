#!/bin/sh
# smoke.sh - the benchmarks run and print their ratio lines. Nothing here
# looks at a time: a benchmark is not a timed test.
#
# usage: smoke.sh BENCH_SPAWN CORRAL_BINARY
set -u

BENCH_SPAWN=$1
CORRAL=$2
HERE=$(dirname "$0")
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT INT TERM

# expect FILE PATTERN...: each pattern matches a line of FILE.
expect() {
	file=$1
	shift
	for pat in "$@"; do
		if ! grep -Eq "$pat" "$file"; then
			echo "smoke: no line matching '$pat' in the output above" >&2
			exit 1
		fi
	done
}

echo "== bench_spawn -n 5"
"$BENCH_SPAWN" -n 5 -w 2 >"$OUT"
rc=$?
cat "$OUT"
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || {
	echo "smoke: bench_spawn failed with status $rc" >&2
	exit 1
}
expect "$OUT" '^ratio fork\+exec +fork\+exec=[0-9.]+ posix_spawn=[0-9.]+$' \
	'^ratio sbx_run +fork\+exec=[0-9.]+ posix_spawn=[0-9.]+$' \
	'^ratio sbx_run host-net +fork\+exec=' '^ratio sbx_run no-cgroup +fork\+exec='

echo "== bench.sh -n 5"
BENCH_SPAWN=$BENCH_SPAWN TIMECMD=$(dirname "$BENCH_SPAWN")/timecmd \
	"$HERE/bench.sh" -n 5 "$CORRAL" >"$OUT"
rc=$?
cat "$OUT"
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || {
	echo "smoke: bench.sh failed with status $rc" >&2
	exit 1
}
expect "$OUT" '^ratio true +true=[0-9.]+$' '^ratio corral +true=[0-9.]+$' \
	'^ratio corral-start +true=[0-9.]+$' \
	'^ratio sbx_run +fork\+exec='
if command -v bwrap >/dev/null && ! grep -q 'skipping it' "$OUT"; then
	expect "$OUT" '^ratio bwrap +true=[0-9.]+$'
fi
echo "smoke: ok"
