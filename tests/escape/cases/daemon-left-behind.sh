# what: leave a daemon behind at exit: sh -c 'setsid probe hang & exit 0', a double-forked one, and return at once
# expect: corral returns as soon as the command exits, and the daemons die with the sandbox
# host-check: corral returned in under 5 s; no process carrying the case's marker survives
# layer: pid namespace (the command is its pid 1: when it exits, the kernel kills the rest)
attack() {
	sh -c 'setsid "$1" hang "$2" & exit 0' sh "$PROBE" "$MARK"
	(setsid "$PROBE" hang "$MARK" &)
	sleep 0.2
	exit 0
}
verify() {
	check_status 0
	checked
	[ "$DURATION_MS" -lt 5000 ] || fail "corral returned after $DURATION_MS ms"
}
