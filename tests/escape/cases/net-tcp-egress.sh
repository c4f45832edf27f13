# what: connect to a host TCP listener (started by the test on 0.0.0.0) at 127.0.0.1 and at every host address, with bash's /dev/tcp and with connect(2); list the network interfaces
# expect: no route (ENETUNREACH / ECONNREFUSED): the sandbox's network namespace has only its own loopback
# host-check: the listener saw no connection (and did see the host's own control connection afterwards)
# layer: network namespace (empty)
setup() {
	listen_inet tcp 0.0.0.0 L || return
	PASS+=(L_PORT ADDRS)
	ADDRS=(127.0.0.1 $(hostname -I 2>/dev/null))
}
attack() {
	local ip
	"$PROBE" netifs
	for ip in "${ADDRS[@]}"; do
		(echo hello >"/dev/tcp/$ip/$L_PORT") 2>/dev/null && echo "DEVTCP-CONNECTED $ip"
		"$PROBE" connect "$ip" "$L_PORT"
	done
	true
}
verify() {
	check_status 0
	check_probe connect
	check_probe netifs
	check_out_lacks DEVTCP-CONNECTED
	check_log_empty "$L_LOG"
	# Control: the listener does work.
	(echo control >"/dev/tcp/127.0.0.1/$L_PORT") 2>/dev/null
	sleep 0.2
	checked
	[ -s "$L_LOG" ] || fail "setup: the host listener never saw the host's own connection"
}
