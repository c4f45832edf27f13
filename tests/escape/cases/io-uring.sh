# what: io_uring_setup / io_uring_enter / io_uring_register (io_uring's own socket, openat and connect operations never pass through seccomp)
# expect: EPERM from the filter: no ring is created
# host-check: corral reports "seccomp: io_uring_setup denied"
# layer: seccomp
attack() {
	"$PROBE" io_uring
}
verify() {
	check_status 0
	check_probe io_uring
	check_violation "seccomp: io_uring_setup denied"
}
