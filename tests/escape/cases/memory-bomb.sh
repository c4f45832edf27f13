# what: allocate and touch memory in one process until refused (limits.memory 256MiB; the probe stops itself at 2 GiB)
# expect: the allocation fails (ENOMEM) or the process is killed at about 256 MiB; corral returns
# host-check: corral returned; the host can still allocate 64 MiB; no process survives
# layer: cgroup memory (root: v1; delegated v2), else RLIMIT_DATA
setup() {
	policy_file "$T/policy.json" '"limits": { "memory": "256MiB" }'
}
run() {
	sandbox --policy "$T/policy.json" --timeout 60s
}
attack() {
	exec "$PROBE" membomb 2048 1 "$MARK"
}
verify() {
	check_status 0 122 137
	check_out_lacks ': ALLOWED' "the allocation was not bounded"
	if [ "$STATUS" = 0 ]; then
		check_out_has 'allocate: denied \(ENOMEM after [0-9]+ MiB\)'
		local n
		n=$(sed -n 's/.*ENOMEM after \([0-9]*\) MiB.*/\1/p' "$OUT")
		checked
		[ -n "$n" ] && [ "$n" -le 272 ] || fail "${n:-?} MiB were allocated (limit 256 MiB)"
	fi
	checked
	"$PROBE" membomb 64 1 >/dev/null 2>&1
	[ $? = 3 ] || fail "host: cannot allocate 64 MiB after the bomb"
}
