# what: pivot_root to change the sandbox's root (., and the workspace)
# expect: EPERM
# host-check: corral reports "seccomp: pivot_root denied"
# layer: seccomp + no CAP_SYS_ADMIN
attack() {
	"$PROBE" pivot-root "$WS"
}
verify() {
	check_status 0
	check_probe pivot-root
	check_violation "seccomp: pivot_root denied"
}
