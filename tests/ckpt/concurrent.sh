#!/bin/bash
# Two corral processes on one workspace cannot corrupt the store: two loops
# of checkpoints while files change, and a rollback in the middle; fsck is
# clean after. A holder that keeps the lock too long gets a message naming it.
. "$(dirname "$0")/lib.sh" "$1"

mkdir -p "$WS/a" "$WS/b"
for i in $(seq 1 20); do echo "$i" >"$WS/a/$i"; done
corral checkpoint --workspace "$WS" --run base >/dev/null || fail "first checkpoint"

loop() {
	for i in $(seq 1 15); do
		echo "$1 $i" >"$WS/$1/x$i"
		corral checkpoint --workspace "$WS" --run "loop-$1" >/dev/null 2>"$T/err-$1" ||
			{ cat "$T/err-$1" >&2; exit 1; }
	done
}
loop a & pa=$!
loop b & pb=$!
sleep 0.3
corral rollback --workspace "$WS" --run base >/dev/null 2>"$T/err-rb" || fail "rollback: $(cat "$T/err-rb")"
wait $pa || fail "loop a failed"
wait $pb || fail "loop b failed"
git --git-dir="$(store)/git" fsck --no-dangling >"$T/fsck" 2>&1 || fail "fsck: $(cat "$T/fsck")"
n=$(corral log --workspace "$WS" --json | python3 -c '
import json, sys
print(sum(len(r["checkpoints"]) for r in json.load(sys.stdin)["runs"]))')
[ "$n" -eq 32 ] || fail "expected 32 journal entries, got $n"
corral rollback --workspace "$WS" --run base >/dev/null || fail "final rollback"
[ -z "$(ls "$WS/b")" ] && [ "$(ls "$WS/a" | wc -l)" -eq 20 ] || fail "final state: $(ls -R "$WS")"

# A process that holds the store: the other waits, then names it.
python3 - "$(store)/lock" <<'PY' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, b"%d\n" % os.getpid())
open(sys.argv[1] + ".held", "w").close()
time.sleep(30)
PY
holder=$!
while [ ! -e "$(store)/lock.held" ]; do sleep 0.05; done
start=$(date +%s)
out=$(corral checkpoint --workspace "$WS" 2>&1) && fail "checkpoint succeeded while the store was held"
kill $holder
echo "$out" | grep -q "held by process $holder" || fail "message does not name the holder: $out"
[ $(($(date +%s) - start)) -le 25 ] || fail "waited unboundedly"
echo ok
