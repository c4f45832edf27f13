# what: mount over a protected path (tmpfs on .git/hooks, a recursive bind of /, proc)
# expect: EPERM from the filter
# host-check: .git/hooks unchanged; corral reports "seccomp: mount denied"
# layer: seccomp (mount family) + no CAP_SYS_ADMIN
attack() {
	"$PROBE" mount .git/hooks
}
verify() {
	check_status 0
	check_probe mount
	check_violation "seccomp: mount denied"
}
