# what: make an i386 system call through int $0x80 (getpid), which an x86_64-only filter would not see
# expect: the process is killed by SIGSYS (corral exits 159)
# host-check: corral reports the signal (exit 159); the probe never prints a result
# layer: seccomp (non-native ABIs kill the process)
setup() {
	# Feature check on the host, outside the sandbox: without IA32
	# emulation int $0x80 cannot make a system call at all.
	"$PROBE" int80 >"$T/host-int80" 2>&1
	local rc=$?
	if [ "$rc" != 3 ]; then
		skip "the kernel has no IA32 emulation (int \$0x80 on the host: exit $rc)"
	fi
}
attack() {
	exec "$PROBE" int80
}
verify() {
	check_status 159
	check_out_lacks ': ALLOWED' "int \$0x80 got through"
}
