# what: set personality flags: READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE (no ASLR), PER_LINUX32, PER_BSD
# expect: EPERM; the persona stays PER_LINUX
# host-check: corral reports a denied personality call
# layer: seccomp (personality allowed only for 0 and the query)
attack() {
	"$PROBE" personality
}
verify() {
	check_status 0
	check_probe personality
	check_violation "seccomp: personality("
}
