# what: escape --timeout 2s with setsid, double forks, nohup and disown, leaving processes that hang forever
# expect: corral kills the whole tree at 2 s and exits 122
# host-check: corral returned in under 6 s; no process carrying the case's marker survives
# layer: wall-clock timeout + pid namespace teardown (SIGKILL to its pid 1)
run() {
	sandbox --timeout 2s
}
attack() {
	setsid bash -c "(\"$PROBE\" hang \"$MARK\" &); exec \"$PROBE\" hang \"$MARK\"" &
	(setsid "$PROBE" hang "$MARK" &)
	nohup "$PROBE" hang "$MARK" >/dev/null 2>&1 &
	disown -a
	exec "$PROBE" hang "$MARK"
}
verify() {
	check_status 122
	checked
	[ "$DURATION_MS" -ge 1500 ] && [ "$DURATION_MS" -lt 6000 ] ||
		fail "corral returned after $DURATION_MS ms (timeout 2 s)"
	check_out_has 'timeout' "corral did not report the timeout"
}
