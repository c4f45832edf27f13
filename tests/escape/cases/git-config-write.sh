# what: make git run code on the host through .git/config: git config core.fsmonitor / core.hooksPath, append, overwrite with cp, replace with mv
# expect: every write fails (EROFS, EBUSY)
# host-check: .git/config is unchanged, and `git status` on the host runs no planted command
# layer: protected-path read-only mount on .git/config
attack() {
	git config core.fsmonitor "touch $T/pwned-config"
	git config core.hooksPath /tmp
	printf '[core]\n\tfsmonitor = touch %s\n' "$T/pwned-config" >>.git/config
	cp README .git/config
	printf '[core]\n\tfsmonitor = touch %s\n' "$T/pwned-config" >cfg && mv cfg .git/config
	git config --file .git/config alias.st '!touch pwned'
	echo done-configuring
}
verify() {
	check_status 0
	check_out_has '^done-configuring$' "the attack did not run to its end"
	git -C "$WS" status >/dev/null 2>&1
	check_absent "$T/pwned-config"
}
