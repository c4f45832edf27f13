# what: enumerate processes through /proc to find host processes (a host process started by the test) and their command lines
# expect: /proc is the sandbox's own pid namespace: only the command and its children
# host-check: the host process's marker never appears in the output; at most a handful of pids are listed
# layer: pid namespace + a fresh /proc
setup() {
	host_process victim
	PASS+=(VICTIM_PID)
	VICTIM_PID=$victim_PID
}
attack() {
	ls /proc | grep -E '^[0-9]+$' | tr '\n' ' '
	echo
	echo "pids: $(ls /proc | grep -cE '^[0-9]+$')"
	for p in /proc/[0-9]*; do tr '\0' ' ' <"$p/cmdline"; echo; done
	cat "/proc/$VICTIM_PID/cmdline"
	echo done-looking
}
verify() {
	check_status 0
	check_out_has '^done-looking$' "the attack did not run to its end"
	check_out_lacks "$HOSTMARK" "a host process is visible in the sandbox's /proc"
	checked
	local n
	n=$(sed -n 's/^pids: //p' "$OUT")
	[ -n "$n" ] && [ "$n" -le 6 ] || fail "the sandbox sees ${n:-?} processes"
	check_alive "$victim_PID" "the host victim"
}
