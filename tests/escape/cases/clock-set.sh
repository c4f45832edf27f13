# what: set the system clock (date -s, settimeofday through it) and the hardware clock (hwclock), which the host shares
# expect: EPERM
# host-check: the host's clock did not jump (still within a minute of before the run)
# layer: seccomp (settimeofday, clock_settime, adjtimex) + no CAP_SYS_TIME
setup() {
	BEFORE=$(date +%s)
}
attack() {
	date -s '2001-01-01 00:00:00' && echo CLOCK-SET
	hwclock --systohc 2>/dev/null && echo HWCLOCK-SET
	echo done-setting
}
verify() {
	check_status 0
	check_out_has '^done-setting$' "the attack did not run to its end"
	check_out_lacks 'CLOCK-SET|HWCLOCK-SET'
	checked
	local now
	now=$(date +%s)
	[ "$now" -ge "$BEFORE" ] && [ "$now" -lt $((BEFORE + 60)) ] || fail "host: the clock moved to $(date)"
}
