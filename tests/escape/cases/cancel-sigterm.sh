# what: corral is asked to stop (SIGTERM, as an agent host or Ctrl-C would) while the sandbox runs processes that hang, one of them setsid'd
# expect: corral cancels the run: the whole tree is killed and corral exits 130
# host-check: exit status 130; no process carrying the case's marker survives
# layer: signalfd cancellation + pid namespace teardown
run() {
	local pid i seen=""
	"$CORRAL" exec --workspace "$WS" -- bash -c "$(attack_script)" </dev/null >"$OUT" 2>"$ERR" &
	pid=$!
	for i in $(seq 100); do
		seen=$(pgrep -f -- "hang $MARK" | head -1)
		[ -n "$seen" ] && break
		sleep 0.05
	done
	[ -n "$seen" ] || fail "setup: the sandboxed process never appeared"
	kill -TERM "$pid"
	{ wait "$pid"; } 2>/dev/null
	STATUS=$?
}
attack() {
	(setsid "$PROBE" hang "$MARK" &)
	exec "$PROBE" hang "$MARK"
}
verify() {
	check_status 130
}
