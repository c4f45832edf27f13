#!/bin/bash
# The store is bounded without anyone running `corral gc`: once a call's
# checkpoint leaves more loose objects than git's auto-gc threshold, corral
# packs what the checkpoints keep and deletes the rest, and rollback still
# works.
. "$(dirname "$0")/lib.sh" "$1"

# About 8000 distinct files: more loose objects than the threshold (6700).
mkdir -p "$WS/many"
(cd "$WS/many" && for i in $(seq 1 8000); do echo "file $i" >"f$i"; done)
corral call write_file --workspace "$WS" --run auto \
	--args '{"path": "note.txt", "content": "after many\n"}' >/dev/null || fail "write_file"
S=$(store)
loose=$(find "$S/git/objects" -type f -path '*/objects/??/*' | wc -l)
packs=$(find "$S/git/objects/pack" -name '*.pack' | wc -l)
[ "$packs" -ge 1 ] || fail "no pack after a checkpoint of 8000 files ($loose loose objects)"
[ "$loose" -lt 1000 ] || fail "$loose loose objects left after the automatic gc"
git --git-dir="$S/git" fsck --no-dangling >"$T/fsck" 2>&1 || fail "fsck: $(cat "$T/fsck")"
corral rollback --workspace "$WS" >/dev/null || fail "rollback after the automatic gc"
[ ! -e "$WS/note.txt" ] && [ "$(cat "$WS/many/f4321")" = "file 4321" ] ||
	fail "rollback after the automatic gc did not restore the tree"
echo "ok: the store packs itself past $((8000)) loose objects and stays consistent"
