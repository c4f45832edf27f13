# what: read a canary file in the running user's $HOME (absolute path and ~), list $HOME
# expect: the home directory is not in the view: ENOENT
# host-check: the canary's content never appears in the output; the canary is unchanged
# layer: mount namespace + Landlock; HOME points at the private /tmp
attack() {
	cat "$HOME_CANARY"
	ls -la "$HOST_HOME"
	cat ~/"$(basename "$HOME_CANARY")"
	echo "HOME=$HOME"
	echo done-reading
}
verify() {
	check_status 0
	check_out_has '^done-reading$' "the attack did not run to its end"
	check_out_lacks 'corral-escape-secret'
}
