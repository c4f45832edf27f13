# what: plant a nested repository whose own config sets core.fsmonitor, and register it as a submodule by writing a gitlink into .git/index
# expect: the index cannot be changed to reach a repository the agent configured, so git on the host runs nothing
# host-check: `git status` on the host (which recurses into submodules) runs no planted command
# layer: protected paths (.git/index, and with it the submodules git obeys)
attack() {
	git init -q sub
	git -C sub -c user.name=a -c user.email=b@example.invalid commit -q --allow-empty -m s
	git -C sub config core.fsmonitor "touch $T/pwned-submodule; false"
	git update-index --add --cacheinfo "160000,$(git -C sub rev-parse HEAD),sub"
	echo done-planting
}
verify() {
	check_status 0
	check_out_has '^done-planting$' "the attack did not run to its end"
	git -C "$WS" status >/dev/null 2>&1
	check_absent "$T/pwned-submodule"
}
