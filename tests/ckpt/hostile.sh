#!/bin/bash
# The workspace's git configuration is never executed or honoured: hooks,
# core.fsmonitor, a .gitattributes filter, include.path. None of them runs
# (the marker stays absent) and contents are captured and restored byte for
# byte (no CRLF conversion, no ident, no filter).
. "$(dirname "$0")/lib.sh" "$1"

M=$T/marker
cd "$WS" && git_user init -q && cd - >/dev/null
for h in post-index-change pre-commit post-commit post-checkout pre-auto-gc reference-transaction; do
	printf '#!/bin/sh\necho %s >>%s\n' "$h" "$M" >"$WS/.git/hooks/$h"
	chmod +x "$WS/.git/hooks/$h"
done
printf '#!/bin/sh\necho fsmonitor >>%s\n' "$M" >"$T/fsmon.sh"
chmod +x "$T/fsmon.sh"
printf '[core]\n\tfsmonitor = %s\n\tautocrlf = true\n[filter "x"]\n\tclean = sh -c "echo clean >>%s; tr a-z A-Z"\n\tsmudge = sh -c "echo smudge >>%s; cat"\n[include]\n\tpath = %s/evil.cfg\n' \
	"$T/fsmon.sh" "$M" "$M" "$T" >>"$WS/.git/config"
printf '[core]\n\tfsmonitor = %s\n\thooksPath = %s\n' "$T/fsmon.sh" "$T" >"$T/evil.cfg"
printf '* filter=x ident text eol=crlf\n*.txt diff=evil\n' >"$WS/.gitattributes"
printf 'lower case $Id$\nlf only\n' >"$WS/a.txt"
printf 'crlf\r\nlines\r\n' >"$WS/b.txt"
want_a=$(sha256sum <"$WS/a.txt")
want_b=$(sha256sum <"$WS/b.txt")
gitbefore=$(treehash "$WS/.git")
# The user's global and XDG git configuration are not read either.
mkdir -p "$T/home/.config/git"
printf '[core]\n\tfsmonitor = %s\n[include]\n\tpath = %s/evil.cfg\n' "$T/fsmon.sh" "$T" \
	>"$T/home/.gitconfig"
cp "$T/home/.gitconfig" "$T/home/.config/git/config"
export HOME=$T/home XDG_CONFIG_HOME=$T/home/.config

corral checkpoint --workspace "$WS" >/dev/null || fail "checkpoint"
printf 'changed\n' >"$WS/a.txt"
rm "$WS/b.txt"
corral diff --workspace "$WS" >/dev/null || fail "diff"
corral log --workspace "$WS" >/dev/null || fail "log"
corral rollback --workspace "$WS" >/dev/null || fail "rollback"
corral rollback --workspace "$WS" --undo >/dev/null || fail "undo"
corral rollback --workspace "$WS" --undo >/dev/null || fail "undo of undo"
corral gc --workspace "$WS" >/dev/null || fail "gc"

[ ! -e "$M" ] || fail "workspace git configuration ran: $(cat "$M")"
[ "$(sha256sum <"$WS/a.txt")" = "$want_a" ] || fail "a.txt not byte-identical"
[ "$(sha256sum <"$WS/b.txt")" = "$want_b" ] || fail "b.txt not byte-identical"
[ "$(treehash "$WS/.git")" = "$gitbefore" ] || fail "the workspace's .git changed"
# The stored blob is the raw bytes too.
blob=$(git --git-dir="$(store)/git" rev-parse "$(git --git-dir="$(store)/git" for-each-ref \
	--format='%(objectname)' refs/checkpoints | head -1)":a.txt 2>/dev/null)
[ -n "$blob" ] || fail "no a.txt in the store"
echo ok
