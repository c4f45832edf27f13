# what: resolve names (getent hosts), send a DNS-shaped datagram to each nameserver in /etc/resolv.conf and to a host UDP listener on 127.0.0.1, with bash's /dev/udp and sendto(2)
# expect: resolution fails; every send fails (ENETUNREACH) or goes nowhere
# host-check: the host UDP listener received nothing (and did receive the host's own control datagram)
# layer: network namespace (empty: DNS exfiltration has no path out)
setup() {
	listen_inet udp 127.0.0.1 D || return
	PASS+=(D_PORT)
}
attack() {
	local ns
	getent hosts example.com && echo RESOLVED
	getent ahosts "$MARK.example.com" && echo RESOLVED
	for ns in $(awk '/^nameserver/ { print $2 }' /etc/resolv.conf 2>/dev/null); do
		case $ns in *:*) continue ;; esac
		"$PROBE" udp "$ns" 53
		(echo "$MARK" >"/dev/udp/$ns/53") 2>/dev/null
	done
	"$PROBE" udp 127.0.0.1 "$D_PORT"
	(echo "$MARK" >"/dev/udp/127.0.0.1/$D_PORT") 2>/dev/null
	echo done-resolving
}
verify() {
	check_status 0
	check_out_has '^done-resolving$' "the attack did not run to its end"
	check_out_lacks '^RESOLVED$' "a name was resolved"
	sleep 0.2
	check_log_empty "$D_LOG"
	"$PROBE" udp 127.0.0.1 "$D_PORT" >/dev/null 2>&1
	sleep 0.2
	checked
	[ -s "$D_LOG" ] || fail "setup: the host UDP listener never saw the host's own datagram"
}
