# what: use file descriptors the host shell left open (exec 7</etc/passwd 8>>log 9<$HOME canary) and any other inherited fd
# expect: the sandbox has only fds 0, 1 and 2
# host-check: the log file the host opened for writing is still empty; the canary never appears
# layer: close_range(3, ~0) before exec
run() {
	: >"$T/leak.log"
	exec 7</etc/passwd 8>>"$T/leak.log" 9<"$HOME_CANARY"
	sandbox
	exec 7<&- 8>&- 9<&-
}
attack() {
	"$PROBE" fds
	echo pwned >&8
	cat <&9
	cat /proc/self/fd/9
	echo done-looking
}
verify() {
	check_status 0
	check_out_has '^done-looking$' "the attack did not run to its end"
	check_probe fds
	checked
	[ ! -s "$T/leak.log" ] || fail "host: the sandbox wrote through an inherited fd"
}
