# what: push a command into the terminal corral runs in (TIOCSTI on fd 0, on /dev/tty, with a high bit in the request; steal the tty with TIOCSCTTY), so that the host's shell would run it after exit (CVE-2017-5226)
# expect: every ioctl fails (EPERM), /dev/tty cannot be opened (no controlling terminal after setsid)
# host-check: nothing is left in the pty's input queue, and the injected text never reaches the host side of the pty
# layer: seccomp (TIOCSTI, 32-bit mask) + setsid (no controlling terminal)
setup() {
	PASS+=(HEX)
	INJECT="touch $T/pwned-tiocsti # $MARK"
	HEX=$(printf '%s\n' "$INJECT" | od -An -tx1 | tr -d ' \n')
}
run() {
	"$PROBE" pty-run "$T/pty.out" "$T/pty.queue" -- \
		"$CORRAL" exec --workspace "$WS" -- bash -c "$(attack_script)" >"$ERR" 2>&1
	local rc=$?
	cp "$T/pty.out" "$OUT"
	cat "$T/pty.out" >>"$ERR"
	settle_status "$rc"
}
attack() {
	"$PROBE" tiocsti "$HEX"
}
verify() {
	check_status 0
	check_probe tiocsti
	checked
	[ -f "$T/pty.queue" ] || fail "setup: the pty harness did not run"
	[ ! -s "$T/pty.queue" ] || fail "host: injected input waits in the terminal: $(head -c 80 "$T/pty.queue")"
	checked
	! grep -qF "$INJECT" "$T/pty.out" || fail "host: the injected text reached the terminal"
	check_violation "seccomp: ioctl(TIOCSTI) denied"
	check_absent "$T/pwned-tiocsti"
}
