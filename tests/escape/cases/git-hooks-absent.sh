# what: create a protected path that does not exist yet: .git/hooks is absent at start; mkdir -p .git/hooks, write pre-commit, or move a prepared directory into place
# expect: .git/hooks exists (empty, read-only) inside the sandbox; every write and rename fails
# host-check: after the run there is no .git/hooks/pre-commit (and .git/hooks is gone again or empty)
# layer: sbx_protect_prepare creates the missing component, mounted read-only; Landlock
setup() {
	rm -rf "$WS/.git/hooks"
}
attack() {
	mkdir -p .git/hooks
	echo 'touch pwned' >.git/hooks/pre-commit
	mkdir -p staged && echo 'touch pwned' >staged/pre-commit && mv staged .git/hooks
	mv staged .git/hooks2 && mv .git/hooks2 .git/hooks
	mkdir -p /tmp/h && echo 'touch pwned' >/tmp/h/pre-commit && mv /tmp/h .git/hooks
	echo done-creating
}
verify() {
	check_status 0
	check_out_has '^done-creating$' "the attack did not run to its end"
	check_absent "$WS/.git/hooks/pre-commit" "$WS/.git/hooks/staged" "$WS/.git/hooks/h"
	checked
	if [ -d "$WS/.git/hooks" ] && [ -n "$(ls -A "$WS/.git/hooks")" ]; then
		fail "host: .git/hooks has content: $(ls -A "$WS/.git/hooks" | head -3 | tr '\n' ' ')"
	fi
}
