# what: read a secret in a sibling directory of the workspace: absolute path, ../, /proc/self/root, /proc/1/cwd/..
# expect: every read fails; nothing of the host beyond the policy's paths is visible
# host-check: the secret never appears in the output; the sibling directory is unchanged
# layer: mount namespace (only the policy's paths exist) + Landlock
attack() {
	cat "$OUTSIDE/secret.txt"
	cat ../outside/secret.txt
	cat "/proc/self/root$OUTSIDE/secret.txt"
	cat /proc/1/cwd/../outside/secret.txt
	cat "$T/etc/passwd"
	ls -la "$OUTSIDE" "$T" /tmp
	echo done-reading
}
verify() {
	check_status 0
	check_out_has '^done-reading$' "the attack did not run to its end"
	check_out_lacks 'corral-escape-secret'
}
