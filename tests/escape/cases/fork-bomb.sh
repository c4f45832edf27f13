# what: a fork bomb: every process forks until refused (the probe stops itself at 3000 processes so that a failed containment cannot take the machine down)
# expect: fork fails (EAGAIN) at about the policy's 256 processes; corral returns and tears the tree down
# host-check: corral returned within its timeout; the host can still fork; no process of the bomb survives
# layer: process limit (cgroup pids, else RLIMIT_NPROC in the new user namespace) + pid namespace teardown
run() {
	sandbox --timeout 60s
}
attack() {
	exec "$PROBE" forkbomb 3000 "$MARK"
}
verify() {
	check_status 0 122
	check_probe forkbomb
	check_out_has 'fork: denied \(EAGAIN after [0-9]+ processes\)' "the bomb was not stopped by a process limit"
	checked
	local n
	n=$(sed -n 's/.*EAGAIN after \([0-9]*\) processes.*/\1/p' "$OUT")
	[ -z "$n" ] || [ "$n" -le 300 ] || fail "the bomb reached $n processes (limit 256)"
	checked
	local i
	for i in $(seq 20); do
		/bin/true || { fail "host: cannot fork after the bomb"; break; }
	done
}
