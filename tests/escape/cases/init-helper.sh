# what: attack the sandbox's pid 1 (corral's init helper, which shares corral's memory and its environment's API keys): read /proc/1/mem, environ, maps, auxv, fd, root, cwd; ptrace it; send it every signal
# expect: every read and attach fails (the helper is not dumpable; ptrace is filtered); signals from inside the namespace do not touch its init
# host-check: no secret appears in the output; corral itself is unharmed and returns the attack's status
# layer: PR_SET_DUMPABLE 0 on corral + seccomp (ptrace) + pid namespace init semantics
attack() {
	"$PROBE" proc-peek 1
	"$PROBE" ptrace 1
	"$PROBE" proc-mem 1
	"$PROBE" signal-all 1
	echo done-attacking
}
verify() {
	check_status 0
	check_out_has '^done-attacking$' "the attack did not run to its end"
	check_probe proc-peek
	check_probe ptrace
	check_probe proc-mem
	check_probe signal-all
}
