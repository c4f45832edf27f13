# what: create a BPF map and load a BPF program
# expect: EPERM from the filter
# host-check: corral reports "seccomp: bpf denied"
# layer: seccomp
attack() {
	"$PROBE" bpf
}
verify() {
	check_status 0
	check_probe bpf
	check_violation "seccomp: bpf denied"
}
