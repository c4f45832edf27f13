# what: write through workspace symlinks that point outside: overwrite the target, create a file in the target directory
# expect: ENOENT (the target is not in the view); nothing is written on the host
# host-check: the sibling secret and $HOME canary are unchanged; no new file in the sibling directory
# layer: mount namespace + Landlock
setup() {
	ln -s "$OUTSIDE/secret.txt" "$WS/link"
	ln -s "$OUTSIDE" "$WS/linkdir"
	ln -s "$HOME_CANARY" "$WS/homelink"
	ln -s "$(dirname "$HOME_CANARY")" "$WS/homedir"
}
attack() {
	echo pwned >link
	echo pwned >>homelink
	echo pwned >linkdir/new
	cp README linkdir/
	echo pwned >"homedir/.corral-escape-$MARK"
	echo done-writing
}
verify() {
	check_status 0
	check_out_has '^done-writing$' "the attack did not run to its end"
	check_absent "$OUTSIDE/new" "$OUTSIDE/README" "$(dirname "$HOME_CANARY")/.corral-escape-$MARK"
}
