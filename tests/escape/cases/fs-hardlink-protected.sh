# what: hardlink a protected file (.git/config, a hook) and an outside file into the workspace, then write through the link; also linkat via /proc/self/fd and a symlink to .git/config
# expect: EXDEV (different mounts) or EPERM; no write reaches the protected file
# host-check: .git/config and .git/hooks unchanged; no link was created
# layer: the protected path's own read-only mount (link(2) refuses to cross mounts) + Landlock REFER
attack() {
	ln .git/config cfg && echo '[core] fsmonitor = touch pwned' >>cfg
	ln .git/hooks/pre-commit.sample hook && echo 'touch pwned' >>hook
	ln /etc/passwd passwd-link
	ln "$OUTSIDE/secret.txt" secret-link
	exec 3<.git/config
	ln -L /proc/self/fd/3 fd-link && echo '[core] hooksPath = /tmp' >>fd-link
	echo x 1<>/proc/self/fd/3
	ln -s .git/config cfg-symlink && echo '[core] hooksPath = /tmp' >>cfg-symlink
	echo done-linking
}
verify() {
	check_status 0
	check_out_has '^done-linking$' "the attack did not run to its end"
	check_absent "$WS/cfg" "$WS/hook" "$WS/passwd-link" "$WS/secret-link" "$WS/fd-link"
}
