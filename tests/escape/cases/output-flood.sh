# what: print 300 MB (head -c 300M /dev/zero) under --json
# expect: corral captures up to limits.output, marks stdout truncated with the real byte count, and its memory stays bounded
# host-check: corral's peak RSS (VmHWM) stays under 128 MiB; the JSON says truncated with stdout_bytes 314572800
# layer: capped capture in the supervisor
run() {
	local start hwm=0 pid v
	start=$(now_ms)
	"$CORRAL" exec --json --workspace "$WS" -- head -c 300M /dev/zero </dev/null >"$OUT" 2>"$ERR" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		v=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null)
		[ -n "$v" ] && [ "$v" -gt "$hwm" ] && hwm=$v
		sleep 0.02
	done
	wait "$pid"
	STATUS=$?
	DURATION_MS=$(($(now_ms) - start))
	HWM_KB=$hwm
}
attack() {
	:
}
verify() {
	check_status 0
	checked
	[ "$HWM_KB" -gt 0 ] || fail "could not measure corral's memory"
	[ "$HWM_KB" -lt 131072 ] || fail "corral's peak RSS was $((HWM_KB / 1024)) MiB"
	check_out_has '"truncated":\{"stdout":true' "stdout is not marked truncated"
	check_out_has '"stdout_bytes":314572800' "the real byte count is not reported"
	checked
	[ "$(stat -c %s "$OUT")" -lt $((16 << 20)) ] || fail "corral printed $(stat -c %s "$OUT") bytes"
}
