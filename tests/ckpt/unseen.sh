#!/bin/bash
# What no checkpoint saw is never deleted or overwritten, and is listed:
# gitignored files (.gitignore, .git/info/exclude), checkpoint.exclude,
# oversized files, nested repositories (never entered, never renamed).
. "$(dirname "$0")/lib.sh" "$1"

cat >"$T/policy.json" <<'P'
{ "extends": "workspace-write",
  "checkpoint": { "max_file_size": "1KiB", "exclude": ["build/", "*.tmp"] } }
P
cd "$WS" && git_user init -q && cd - >/dev/null
printf '*.log\n!keep.log\nnode_modules/\n' >"$WS/.gitignore"
printf 'secret-*\n' >"$WS/.git/info/exclude"
printf 'tracked\n' >"$WS/a.txt"
printf 'kept\n' >"$WS/keep.log"
mkdir -p "$WS/sub" "$WS/nested/inner" "$WS/node_modules/x"
printf 'sub-ignored\n' >"$WS/sub/debug.log"
(cd "$WS/nested" && git_user init -q && echo n >inner/file && git_user add -A &&
	git_user commit -qm n) || fail "nested repo"
nested_before=$(treehash "$WS/nested")
head -c 4096 /dev/urandom >"$WS/big.bin"

out=$(corral checkpoint --workspace "$WS" --policy "$T/policy.json") || fail "checkpoint: $out"
for want in "skipped (ignored): sub/debug.log" "skipped (too-large): big.bin" \
	"skipped (nested-repo): nested/" "skipped (ignored): node_modules/"; do
	echo "$out" | grep -qF "$want" || fail "checkpoint does not report '$want': $out"
done
echo "$out" | grep -q 'keep.log' && fail "keep.log is re-included by '!keep.log': $out"

# The run creates files of every unseen kind, and one ordinary file.
printf 'new ignored\n' >"$WS/new.log"
printf 'pw\n' >"$WS/secret-token"
mkdir -p "$WS/build" && printf 'obj\n' >"$WS/build/out.o"
printf 'tmp\n' >"$WS/scratch.tmp"
head -c 4096 /dev/urandom >"$WS/big-new.bin"
printf 'n2\n' >"$WS/nested/inner/added-by-run"
printf 'plain new\n' >"$WS/plain-new.txt"
printf 'changed\n' >"$WS/a.txt"
echo more >>"$WS/big.bin"
big=$(sha256sum <"$WS/big.bin")
nested_run=$(treehash "$WS/nested")

out=$(corral rollback --workspace "$WS" --policy "$T/policy.json") || fail "rollback: $out"
for want in "keep     new.log (ignored" "keep     secret-token (ignored" "keep     build (ignored" \
	"keep     big-new.bin (over checkpoint.max_file_size" "keep     nested (a nested repository"; do
	echo "$out" | grep -qF "$want" || fail "rollback does not list '$want': $out"
done
[ "$(cat "$WS/a.txt")" = tracked ] || fail "a.txt not restored"
[ ! -e "$WS/plain-new.txt" ] || fail "plain-new.txt (created by the run) not removed"
for f in new.log secret-token build/out.o scratch.tmp big-new.bin sub/debug.log keep.log \
	node_modules nested/inner/added-by-run; do
	[ -e "$WS/$f" ] || fail "$f, which no checkpoint saw, was deleted"
done
[ "$(sha256sum <"$WS/big.bin")" = "$big" ] || fail "the oversized file was changed"
[ "$(treehash "$WS/nested")" = "$nested_run" ] || fail "the nested repository was touched"
[ -d "$WS/nested/.git" ] || fail "nested .git renamed"
(cd "$WS/nested" && git fsck --no-progress >/dev/null 2>&1) || fail "nested repository damaged"

# A file the target has, but which the run replaced by content no checkpoint
# saw (it is ignored now): kept, not overwritten.
corral checkpoint --workspace "$WS" --policy "$T/policy.json" --run r3 >/dev/null || fail "r3"
echo 'a.txt' >>"$WS/.gitignore"
printf 'unseen content\n' >"$WS/a.txt"
out=$(corral rollback --workspace "$WS" --policy "$T/policy.json" --run r3) || fail "rollback r3: $out"
[ "$(cat "$WS/a.txt")" = "unseen content" ] || fail "an unseen a.txt was overwritten"
echo "$out" | grep -qF "keep     a.txt" || fail "a.txt not listed as kept: $out"
echo ok
