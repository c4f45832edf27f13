# what: perf_event_open on itself and on every process of CPU 0
# expect: EPERM from the filter
# host-check: corral reports "seccomp: perf_event_open denied"
# layer: seccomp
attack() {
	"$PROBE" perf
}
verify() {
	check_status 0
	check_probe perf
	check_violation "seccomp: perf_event_open denied"
}
