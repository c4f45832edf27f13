# what: create a userfaultfd (syscall, user-mode-only, /dev/userfaultfd), the tool that makes kernel races easy to win
# expect: EPERM from the filter; /dev/userfaultfd does not exist in the sandbox
# host-check: corral reports "seccomp: userfaultfd denied"
# layer: seccomp + minimal /dev
attack() {
	"$PROBE" userfaultfd
}
verify() {
	check_status 0
	check_probe userfaultfd
	check_violation "seccomp: userfaultfd denied"
}
