# what: six processes each allocate at once under limits.memory 256MiB
# expect: with a memory cgroup, the whole tree stays within about 256 MiB (200 MiB each would be 1.2 GiB); where only the per-process rlimit exists (corral doctor says so: an unprivileged user without cgroup delegation), every process that asks for 400 MiB is stopped below 256 MiB
# host-check: corral returned; the total the probe held at once is within the bound in force; no process survives
# layer: cgroup memory (root: v1; delegated v2), else RLIMIT_DATA per process
setup() {
	policy_file "$T/policy.json" '"limits": { "memory": "256MiB" }'
	# corral doctor says which mechanism bounds memory for this user.
	if "$CORRAL" doctor 2>/dev/null | grep -Eq '^[[:space:]]*memory[[:space:]]+(rlimit|-)'; then
		BOUND=process EACH=400
	else
		BOUND=tree EACH=200
	fi
	PASS=(EACH)
}
run() {
	sandbox --policy "$T/policy.json" --timeout 60s
}
attack() {
	exec "$PROBE" membomb "$EACH" 6 "$MARK"
}
verify() {
	local n stopped
	check_status 0 122 137
	[ "$STATUS" = 0 ] || return 0
	checked
	n=$(sed -n 's/.*total: note (\([0-9]*\) MiB held.*/\1/p' "$OUT")
	stopped=$(sed -n 's/.*processes, \([0-9]*\) stopped early.*/\1/p' "$OUT")
	if [ "$BOUND" = tree ]; then
		[ -n "$n" ] && [ "$n" -le 288 ] || fail "the tree held ${n:-?} MiB at once (limit 256 MiB)"
	else
		[ "$stopped" = 6 ] || fail "${stopped:-?} of 6 processes were stopped at the 256 MiB per-process bound"
		[ -n "$n" ] && [ "$n" -le $((6 * 256)) ] || fail "the processes held ${n:-?} MiB (bound 6 x 256 MiB)"
	fi
}
