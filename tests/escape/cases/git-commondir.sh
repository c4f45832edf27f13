# what: redirect git's common directory: write .git/commondir pointing at an agent-made directory whose config sets core.fsmonitor and whose hooks/ holds pre-commit
# expect: .git/commondir cannot be written, so git on the host keeps using .git/config and .git/hooks
# host-check: `git status` on the host runs no planted command; `git rev-parse --git-common-dir` is still .git
# layer: protected paths (.git must not let the agent redirect git's config and hooks)
attack() {
	mkdir -p evil/hooks
	cp -r .git/HEAD .git/refs .git/objects evil/
	printf '[core]\n\trepositoryformatversion = 0\n\tfsmonitor = touch %s; false\n' \
		"$T/pwned-commondir" >evil/config
	printf '#!/bin/sh\ntouch %s\n' "$T/pwned-commondir" >evil/hooks/pre-commit
	chmod +x evil/hooks/pre-commit
	echo ../evil >.git/commondir
	echo done-redirecting
}
verify() {
	check_status 0
	check_out_has '^done-redirecting$' "the attack did not run to its end"
	git -C "$WS" status >/dev/null 2>&1
	check_absent "$T/pwned-commondir"
	checked
	local common
	common=$(cd "$WS" && git rev-parse --git-common-dir 2>&1)
	[ "$common" = .git ] || fail "host: git's common directory is now '$common' (from .git/commondir)"
}
