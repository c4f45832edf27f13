# what: read through symlinks planted in the workspace that point outside (a file, a directory, $HOME), and through ones made inside
# expect: the targets do not exist in the sandbox's view: ENOENT
# host-check: the secret never appears in the output
# layer: mount namespace: a symlink resolves inside the sandbox's root
setup() {
	ln -s "$OUTSIDE/secret.txt" "$WS/link"
	ln -s "$OUTSIDE" "$WS/linkdir"
	ln -s "$HOME_CANARY" "$WS/homelink"
	ln -s ../outside/secret.txt "$WS/rellink"
}
attack() {
	cat link linkdir/secret.txt homelink rellink
	ln -s "/proc/1/root$OUTSIDE/secret.txt" inside-link && cat inside-link
	ln -s /proc/self/cwd/../outside inside-dir && cat inside-dir/secret.txt
	echo done-reading
}
verify() {
	check_status 0
	check_out_has '^done-reading$' "the attack did not run to its end"
	check_out_lacks 'corral-escape-secret'
}
