# what: .git/hooks is a symlink to a writable workspace directory (planted earlier); write pre-commit there directly
# expect: the link's target is protected too: writing the hook fails (read-only), so git on the host finds no planted hook
# host-check: the link target holds no pre-commit
# layer: compile.c protects what a protected hook symlink points at (mount layer)
setup() {
	rm -rf "$WS/.git/hooks"
	mkdir "$WS/myhooks"
	ln -s ../myhooks "$WS/.git/hooks"
	remember "$WS/myhooks"
}
attack() {
	echo 'touch pwned' >myhooks/pre-commit
	chmod +x myhooks/pre-commit
	echo done-writing
}
verify() {
	check_out_has 'Read-only file system' "writing through the hooks symlink was not refused"
	check_unchanged "$WS/myhooks"
	check_absent "$WS/myhooks/pre-commit"
}
