# what: six processes each allocate up to 200 MiB at once under limits.memory 256MiB (a per-process bound would let 1.2 GiB through)
# expect: the whole tree stays within about 256 MiB
# host-check: corral returned; the total the probe held at once is at most ~256 MiB; no process survives
# layer: cgroup memory (root: v1; delegated v2); skipped where only the per-process rlimit exists
setup() {
	policy_file "$T/policy.json" '"limits": { "memory": "256MiB" }'
	# corral doctor says which mechanism bounds memory for this user.
	if "$CORRAL" doctor 2>/dev/null | grep -Eq '^[[:space:]]*memory[[:space:]]+(rlimit|-)'; then
		skip "no memory cgroup for uid $(id -u) here (corral doctor: memory is bounded per process by an rlimit)"
	fi
}
run() {
	sandbox --policy "$T/policy.json" --timeout 60s
}
attack() {
	exec "$PROBE" membomb 200 6 "$MARK"
}
verify() {
	check_status 0 122 137
	if [ "$STATUS" = 0 ]; then
		checked
		local n
		n=$(sed -n 's/.*total: note (\([0-9]*\) MiB held.*/\1/p' "$OUT")
		[ -n "$n" ] && [ "$n" -le 288 ] || fail "the tree held ${n:-?} MiB at once (limit 256 MiB)"
	fi
}
