# what: the repository's own config points core.hooksPath at a directory in the workspace (as husky does: .husky); write a pre-commit hook there
# expect: the hooks directory git actually uses is protected like .git/hooks: the write fails
# host-check: no hook appears in .husky, and `git hook run pre-commit` on the host runs nothing planted
# layer: protected paths (the effective hooks directory, not only .git/hooks)
setup() {
	mkdir -p "$WS/.husky"
	git -C "$WS" config core.hooksPath .husky
	remember "$WS/.git/config" "$WS/.husky"
}
attack() {
	printf '#!/bin/sh\ntouch %s\n' "$T/pwned-hookspath" >.husky/pre-commit
	chmod +x .husky/pre-commit
	echo done-writing
}
verify() {
	check_status 0
	check_out_has '^done-writing$' "the attack did not run to its end"
	check_unchanged "$WS/.husky"
	(cd "$WS" && git hook run --ignore-missing pre-commit) >/dev/null 2>&1
	check_absent "$T/pwned-hookspath"
}
