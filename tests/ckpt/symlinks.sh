#!/bin/bash
# Rollback never writes through a symlink or outside the workspace: a link
# pointing outside is restored as a link; a directory swapped for a symlink
# to an outside directory before the rollback is not followed.
. "$(dirname "$0")/lib.sh" "$1"

OUT=$T/outside
mkdir -p "$OUT" "$WS/dir"
printf 'precious\n' >"$OUT/victim"
printf 'inside\n' >"$WS/dir/victim"
printf 'target\n' >"$WS/file"
ln -s "$OUT/victim" "$WS/out-link"
outside_before=$(treehash "$OUT")
corral checkpoint --workspace "$WS" >/dev/null || fail "checkpoint"

# The run edits through nothing but replaces names.
printf 'changed\n' >"$WS/dir/victim"
rm "$WS/out-link" && printf 'not a link\n' >"$WS/out-link"
rm "$WS/file" && ln -s "$OUT/victim" "$WS/file"
corral rollback --workspace "$WS" >/dev/null || fail "rollback 1"
[ -L "$WS/out-link" ] && [ "$(readlink "$WS/out-link")" = "$OUT/victim" ] ||
	fail "out-link not restored as a link"
[ -f "$WS/file" ] && [ ! -L "$WS/file" ] && [ "$(cat "$WS/file")" = target ] ||
	fail "file not restored in place of a link"
[ "$(cat "$WS/dir/victim")" = inside ] || fail "dir/victim not restored"
[ "$(treehash "$OUT")" = "$outside_before" ] || fail "outside changed (1)"

# A checkpoint, a change, and then the directory is swapped for a symlink
# to the outside directory: the rollback must not write into it.
corral checkpoint --workspace "$WS" --run r2 >/dev/null || fail "checkpoint r2"
printf 'changed again\n' >"$WS/dir/victim"
printf 'new\n' >"$WS/dir/new-file"
corral checkpoint --workspace "$WS" --run r2 >/dev/null || fail "checkpoint r2b"
mv "$WS/dir" "$T/moved-dir"
ln -s "$OUT" "$WS/dir"
corral rollback --workspace "$WS" --run r2 >"$T/out" 2>&1 || true
[ "$(treehash "$OUT")" = "$outside_before" ] || fail "rollback wrote outside the workspace"
[ "$(cat "$OUT/victim")" = precious ] || fail "outside victim changed"

# The same swap in the middle of a rollback: killed after its intent record,
# the directory is swapped for a symlink, and the next corral finishes the
# rollback without following it.
[ -d "$WS/dir" ] && [ ! -L "$WS/dir" ] || fail "dir is not a directory again"
corral checkpoint --workspace "$WS" --run r3 >/dev/null || fail "checkpoint r3"
printf 'changed in r3\n' >"$WS/dir/victim"
printf 'created in r3\n' >"$WS/dir/r3-file"
CORRAL_FAULT=rollback-intent corral rollback --workspace "$WS" --run r3 >/dev/null 2>&1
[ $? = 137 ] || fail "rollback was not killed at rollback-intent"
mv "$WS/dir" "$T/moved-dir2"
ln -s "$OUT" "$WS/dir"
corral log --workspace "$WS" >"$T/out" 2>&1 || fail "log after the swap: $(cat "$T/out")"
grep -q "finished an interrupted rollback" "$T/out" || fail "no recovery note: $(cat "$T/out")"
[ "$(treehash "$OUT")" = "$outside_before" ] || fail "recovery wrote outside the workspace"
[ -L "$WS/dir" ] || fail "the symlink in place of dir was replaced"
echo ok
