# what: ptrace the parent: a child attaches to the probe (its parent), PTRACE_TRACEME, and attach to pid 1 (the sandbox's shell)
# expect: EPERM from the filter for every ptrace call
# host-check: corral reports "seccomp: ptrace denied"
# layer: seccomp (ptrace denied whatever the target) + pid namespace (the real parent is outside)
attack() {
	"$PROBE" ptrace-parent
	"$PROBE" ptrace 1
}
verify() {
	check_status 0
	check_probe ptrace-parent
	check_probe ptrace
	check_violation "seccomp: ptrace denied"
}
