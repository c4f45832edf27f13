# what: the supervisor dies: corral is killed with SIGKILL while the sandbox runs a process that hangs forever
# expect: the sandbox dies with it; nothing runs unsupervised
# host-check: no process carrying the case's marker survives corral's death
# layer: PR_SET_PDEATHSIG(SIGKILL) on the sandbox's pid 1 + pid namespace teardown
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
	kill -9 "$pid"
	{ wait "$pid"; } 2>/dev/null
	STATUS=$?
}
attack() {
	(setsid "$PROBE" hang "$MARK" &)
	exec "$PROBE" hang "$MARK"
}
verify() {
	check_status 137
}
