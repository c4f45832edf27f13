# what: chroot into the workspace (syscall and chroot(1)), and the classic chroot + ".." break-out
# expect: EPERM
# host-check: corral reports "seccomp: chroot denied"
# layer: seccomp + no CAP_SYS_CHROOT
attack() {
	"$PROBE" chroot "$WS"
	chroot . /bin/true && echo CHROOT-SUCCEEDED
	true
}
verify() {
	check_status 0
	check_probe chroot
	check_out_lacks CHROOT-SUCCEEDED
	check_violation "seccomp: chroot denied"
}
