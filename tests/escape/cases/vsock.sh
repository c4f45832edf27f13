# what: open AF_VSOCK sockets (stream and datagram) to reach the hypervisor (host CID 2), which no network namespace covers
# expect: EPERM from the filter
# host-check: corral reports "seccomp: socket(AF_VSOCK) denied"
# layer: seccomp
attack() {
	"$PROBE" vsock
}
verify() {
	check_status 0
	check_probe vsock
	check_violation "seccomp: socket(AF_VSOCK) denied"
}
