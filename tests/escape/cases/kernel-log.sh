# what: read the kernel log and memory: syslog(2), dmesg, /dev/kmsg, /proc/kmsg, /proc/kcore
# expect: EPERM / ENOENT / EACCES everywhere
# host-check: corral reports "seccomp: syslog denied"
# layer: seccomp + minimal /dev + no CAP_SYSLOG / CAP_SYS_RAWIO
attack() {
	"$PROBE" kernel-log
	dmesg | head -3
	true
}
verify() {
	check_status 0
	check_probe kernel-log
	check_violation "seccomp: syslog denied"
}
