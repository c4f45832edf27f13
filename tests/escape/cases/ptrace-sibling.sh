# what: ptrace a sibling process in the sandbox, write into its memory through /proc/PID/mem, process_vm_readv/writev, pidfd_getfd
# expect: every call fails: ptrace and process_vm_* by the filter, /proc/PID/mem writes by the read-only /proc
# host-check: corral reports "seccomp: ptrace denied" and "seccomp: process_vm_writev denied"
# layer: seccomp + Landlock (/proc)
attack() {
	"$PROBE" hang "$MARK" &
	local sib=$!
	sleep 0.2
	"$PROBE" ptrace "$sib"
	"$PROBE" proc-mem "$sib"
	kill "$sib"
}
verify() {
	check_status 0
	check_probe ptrace
	check_probe proc-mem
	check_violation "seccomp: ptrace denied"
	check_violation "seccomp: process_vm_writev denied"
}
