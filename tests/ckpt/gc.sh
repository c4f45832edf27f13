#!/bin/bash
# Retention bounds the store: checkpoint.keep drops the oldest checkpoints
# (journal, refs), gc packs what is left and deletes the rest, removes stale
# lock and tmp files; rollback still works after.
. "$(dirname "$0")/lib.sh" "$1"

cat >"$T/policy.json" <<'P'
{ "extends": "workspace-write", "checkpoint": { "keep": 3 } }
P
for i in $(seq 1 8); do
	head -c 20000 /dev/urandom >"$WS/f$i"
	corral checkpoint --workspace "$WS" --policy "$T/policy.json" --run "r$i" >/dev/null ||
		fail "checkpoint $i"
done
S=$(store)
refs=$(git --git-dir="$S/git" for-each-ref refs/checkpoints | wc -l)
[ "$refs" -eq 3 ] || fail "keep=3 left $refs checkpoints"
runs=$(corral log --workspace "$WS" --policy "$T/policy.json" | grep -c '^run ')
[ "$runs" -eq 3 ] || fail "log shows $runs runs"
touch "$S/git/index.lock" "$S/git/objects/tmp_pack_stale" "$S/git/refs/heads/x.lock"
before=$(du -sk "$S/git" | cut -f1)
out=$(corral gc --workspace "$WS" --policy "$T/policy.json" --json) || fail "gc: $out"
after=$(du -sk "$S/git" | cut -f1)
[ "$after" -lt "$before" ] || fail "gc did not shrink the store ($before -> $after KiB)"
for f in git/index.lock git/objects/tmp_pack_stale git/refs/heads/x.lock; do
	[ ! -e "$S/$f" ] || fail "gc left $f"
done
[ -z "$(find "$S/git/objects" -type f -path '*/objects/??/*')" ] || fail "loose objects left"
git --git-dir="$S/git" fsck --no-dangling >"$T/fsck" 2>&1 || fail "fsck: $(cat "$T/fsck")"
# The 20 KB random files of dropped checkpoints are gone: about 3 remain.
[ "$after" -lt 400 ] || fail "store still $after KiB"
corral rollback --workspace "$WS" --policy "$T/policy.json" --run r7 >/dev/null || fail "rollback"
[ -e "$WS/f7" ] && [ ! -e "$WS/f8" ] || fail "rollback after gc: $(ls "$WS")"
corral rollback --workspace "$WS" --run r1 >/dev/null 2>&1 && fail "a dropped run is still there"
# The stat cache still names present objects: an unchanged checkpoint is right.
corral checkpoint --workspace "$WS" --policy "$T/policy.json" >/dev/null || fail "after gc"
git --git-dir="$S/git" fsck --no-dangling >"$T/fsck" 2>&1 || fail "fsck 2: $(cat "$T/fsck")"
echo ok
