# what: reach host daemons on abstract unix sockets (stream and datagram) by name, with socket() and with a socketpair's datagram end
# expect: every attempt fails (EPERM, or ECONNREFUSED: abstract names live in the host's network namespace)
# host-check: neither daemon saw anything (both did see the host's own control attempt)
# layer: network namespace (abstract names are per namespace) + seccomp (socket(AF_UNIX))
setup() {
	PASS+=(NAME)
	NAME=$HOSTMARK-abstract
	listen_unix "@$NAME" stream S || return
	listen_unix "@$NAME-dgram" dgram G || return
}
attack() {
	"$PROBE" abstract-connect "$NAME"
	"$PROBE" abstract-connect "$NAME-dgram"
	true
}
verify() {
	check_status 0
	check_probe abstract-connect
	sleep 0.2
	check_log_empty "$S_LOG"
	check_log_empty "$G_LOG"
	"$PROBE" abstract-connect "$NAME" >/dev/null 2>&1
	"$PROBE" abstract-connect "$NAME-dgram" >/dev/null 2>&1
	sleep 0.2
	checked
	[ -s "$S_LOG" ] && [ -s "$G_LOG" ] || fail "setup: a host daemon never saw the host's own attempt"
}
