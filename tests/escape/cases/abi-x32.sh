# what: make an x32 system call (getpid: 39 | 0x40000000), which arrives with the x86_64 audit arch
# expect: the process is killed by SIGSYS (corral exits 159), whether or not the kernel enables x32
# host-check: corral reports the signal (exit 159); the probe never prints a result
# layer: seccomp (x32 guard before the filter)
attack() {
	exec "$PROBE" x32
}
verify() {
	check_status 159
	check_out_lacks ': ALLOWED' "the x32 call got through"
}
