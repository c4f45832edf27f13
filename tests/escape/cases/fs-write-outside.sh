# what: write, create, delete and rename outside the workspace: the sibling secret, the $HOME canary, ../, an /etc-style file
# expect: every change fails or lands only in the sandbox's private /tmp
# host-check: the canaries are byte-for-byte unchanged; no new file appears next to the workspace
# layer: mount namespace (read-only or absent) + Landlock
attack() {
	echo pwned >"$OUTSIDE/secret.txt"
	echo pwned >>"$OUTSIDE/secret.txt"
	echo pwned >"$OUTSIDE/new"
	mkdir -p "$OUTSIDE/newdir"
	echo pwned >"$HOME_CANARY"
	rm -f "$HOME_CANARY" "$OUTSIDE/secret.txt"
	echo pwned >"$T/etc/passwd"
	echo pwned >../outside-new
	mv ../outside ../moved
	echo done-writing
}
verify() {
	check_status 0
	check_out_has '^done-writing$' "the attack did not run to its end"
	check_absent "$OUTSIDE/new" "$OUTSIDE/newdir" "$T/outside-new" "$T/moved"
}
