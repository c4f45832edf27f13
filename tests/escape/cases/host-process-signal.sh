# what: signal and trace a host process by its pid (kill -0, kill -9, pidfd_open, ptrace attach), then kill -9 -1
# expect: ESRCH: the host pid does not exist in the sandbox's pid namespace
# host-check: the host process is still alive and not traced (TracerPid 0)
# layer: pid namespace (+ seccomp for ptrace)
setup() {
	host_process victim
	PASS+=(VICTIM_PID)
	VICTIM_PID=$victim_PID
}
attack() {
	kill -0 "$VICTIM_PID" && echo "KILL-0-SUCCEEDED"
	kill -9 "$VICTIM_PID" && echo "KILL-9-SUCCEEDED"
	"$PROBE" kill "$VICTIM_PID"
	"$PROBE" ptrace "$VICTIM_PID"
	kill -9 -1
	echo done-signalling
}
verify() {
	check_status 0
	check_out_has '^done-signalling$' "the attack did not run to its end"
	check_out_lacks 'SUCCEEDED'
	check_probe kill
	check_probe ptrace
	check_alive "$victim_PID" "the host victim"
	checked
	grep -q '^TracerPid:[[:space:]]*0$' "/proc/$victim_PID/status" 2>/dev/null ||
		fail "host: the victim is traced"
}
