# what: create a new file system with fsopen / reconfigure / with fspick (new mount API)
# expect: EPERM
# host-check: corral reports "seccomp: fsopen denied" and "seccomp: fspick denied"
# layer: seccomp (new mount API)
attack() {
	"$PROBE" fsopen
}
verify() {
	check_status 0
	check_probe fsopen
	check_violation "seccomp: fsopen denied"
	check_violation "seccomp: fspick denied"
}
