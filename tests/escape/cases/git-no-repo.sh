# what: in a workspace with no .git at all, create .git/hooks/pre-commit and .git/config (a repository the user's git would later obey)
# expect: corral either refuses to run (exit 125, fail closed) or runs with .git/hooks and .git/config read-only
# host-check: no .git/hooks/pre-commit and no .git/config exist afterwards
# layer: sbx_protect_prepare (creates the first missing component, read-only)
setup() {
	rm -rf "$WS/.git"
	GIT_CHANGES_OK=1
}
attack() {
	mkdir -p .git/hooks
	echo 'touch pwned' >.git/hooks/pre-commit
	printf '[core]\n\tfsmonitor = touch pwned\n' >.git/config
	echo done-creating
}
verify() {
	check_status 0 125
	[ "$STATUS" = 0 ] && check_out_has '^done-creating$' "the attack did not run to its end"
	check_absent "$WS/.git/hooks/pre-commit" "$WS/.git/config"
}
