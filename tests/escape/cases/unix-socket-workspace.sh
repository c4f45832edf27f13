# what: reach host daemons through unix sockets that sit INSIDE the workspace (a stream and a datagram daemon): socket()+connect/sendto, and a socketpair's datagram end re-aimed with sendto/connect
# expect: every attempt fails (the policy does not allow unix sockets)
# host-check: neither daemon saw a connection or a datagram (both did see the host's own control attempt)
# layer: seccomp (socket(AF_UNIX) denied) — socketpair's ends must not be a way around it
setup() {
	listen_unix "$WS/daemon.sock" stream S || return
	listen_unix "$WS/daemon-dgram.sock" dgram G || return
}
attack() {
	ls -la daemon.sock daemon-dgram.sock
	"$PROBE" unix-connect "$WS/daemon.sock"
	"$PROBE" unix-connect "$WS/daemon-dgram.sock"
	true
}
verify() {
	check_status 0
	check_out_has 'daemon.sock' "the sockets were not visible (nothing was tested)"
	check_probe unix-connect
	sleep 0.2
	check_log_empty "$S_LOG"
	check_log_empty "$G_LOG"
	"$PROBE" unix-connect "$WS/daemon.sock" >/dev/null 2>&1
	"$PROBE" unix-connect "$WS/daemon-dgram.sock" >/dev/null 2>&1
	sleep 0.2
	checked
	[ -s "$S_LOG" ] && [ -s "$G_LOG" ] || fail "setup: a host daemon never saw the host's own attempt"
}
