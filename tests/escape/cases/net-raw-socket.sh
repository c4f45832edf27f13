# what: open raw IP sockets (UDP, ICMP) and a packet socket, and send a hand-made UDP datagram to a host listener
# expect: EPERM (no CAP_NET_RAW); nothing leaves the sandbox
# host-check: the host UDP listener received nothing (and did receive the host's own control datagram)
# layer: no capabilities + network namespace
setup() {
	listen_inet udp 0.0.0.0 U || return
	PASS+=(U_PORT ADDRS)
	ADDRS=(127.0.0.1 $(hostname -I 2>/dev/null))
}
attack() {
	local ip
	for ip in "${ADDRS[@]}"; do
		"$PROBE" raw-socket "$ip" "$U_PORT"
	done
	true
}
verify() {
	check_status 0
	check_probe raw-socket
	sleep 0.2
	check_log_empty "$U_LOG"
	"$PROBE" udp 127.0.0.1 "$U_PORT" >/dev/null 2>&1
	sleep 0.2
	checked
	[ -s "$U_LOG" ] || fail "setup: the host UDP listener never saw the host's own datagram"
}
