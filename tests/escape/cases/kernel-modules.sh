# what: load and unload kernel modules (finit_module, init_module, delete_module of a name that does not exist)
# expect: EPERM
# host-check: corral reports "seccomp: finit_module denied"
# layer: seccomp + no CAP_SYS_MODULE
attack() {
	"$PROBE" module
}
verify() {
	check_status 0
	check_probe module
	check_violation "seccomp: finit_module denied"
}
