# what: hide a denied 32-bit argument behind junk in its upper half (CVE-2019-10063): ioctl(TIOCSTI|1<<32), socket(1<<32|AF_VSOCK), personality(1<<32|READ_IMPLIES_EXEC), unshare(1<<32|CLONE_NEWUSER)
# expect: EPERM from the filter for each (only the low 32 bits are compared)
# host-check: corral reports the denied ioctl, socket and personality calls
# layer: seccomp (32-bit masks)
attack() {
	"$PROBE" hibits
}
verify() {
	check_status 0
	check_probe hibits
	check_violation "seccomp: ioctl(TIOCSTI) denied"
	check_violation "seccomp: socket(AF_VSOCK) denied"
}
