# what: unmount the read-only mount of a protected path (umount2 .git/hooks: detach, plain, force), then write a hook
# expect: EPERM; the hook write fails with EROFS
# host-check: no .git/hooks/pre-commit; corral reports "seccomp: umount2 denied"
# layer: seccomp + no CAP_SYS_ADMIN
attack() {
	"$PROBE" umount .git/hooks
	"$PROBE" umount .git/config
	echo 'touch pwned' >.git/hooks/pre-commit
	true
}
verify() {
	check_status 0
	check_probe umount
	check_absent "$WS/.git/hooks/pre-commit"
	check_violation "seccomp: umount2 denied"
}
