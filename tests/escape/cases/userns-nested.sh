# what: create a nested user namespace (unshare, clone, clone3, with a high bit in clone's flags) and, with unshare -Ur, unmount the read-only .git/hooks and write a hook
# expect: EPERM (ENOSYS for clone3) for every namespace; unshare(1) fails; no hook is written
# host-check: no .git/hooks/pre-commit; corral reports the denied namespace calls
# layer: seccomp (namespace flags of unshare/clone, clone3 whole)
attack() {
	"$PROBE" userns
	unshare -Urm sh -c 'umount -l .git/hooks; echo "touch pwned" > .git/hooks/pre-commit' &&
		echo UNSHARE-SUCCEEDED
	echo done-nesting
}
verify() {
	check_status 0
	check_out_has '^done-nesting$' "the attack did not run to its end"
	check_probe userns
	check_out_lacks 'UNSHARE-SUCCEEDED'
	check_absent "$WS/.git/hooks/pre-commit"
	check_violation "seccomp: unshare with namespace flags denied"
	check_violation "seccomp: clone with namespace flags denied"
}
