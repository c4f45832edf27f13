# what: (positive control) work in the workspace under workspace-write: it is at its real path, the working directory, and writable
# expect: pwd is the host path; files created inside appear on the host
# host-check: the created file exists on the host with the content written inside
# layer: the workspace bind (read-write)
attack() {
	pwd
	[ "$PWD" = "$WS" ] && echo "in-workspace"
	echo "$MARK-content" >created.txt
	mkdir -p a/b && echo nested >a/b/c
}
verify() {
	check_status 0
	check_out_has "^$WS\$" "the working directory is not the workspace's real path"
	check_out_has '^in-workspace$'
	checked
	[ "$(cat "$WS/created.txt" 2>/dev/null)" = "$MARK-content" ] ||
		fail "host: created.txt missing or wrong"
	checked
	[ "$(cat "$WS/a/b/c" 2>/dev/null)" = nested ] || fail "host: a/b/c missing"
}
