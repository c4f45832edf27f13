# what: remount the protected .git/hooks and the read-only /etc read-write (MS_REMOUNT|MS_BIND without MS_RDONLY) and create a file in it
# expect: EPERM; the file cannot be created
# host-check: nothing new in .git/hooks or /etc
# layer: seccomp + locked mount flags in a user namespace
attack() {
	"$PROBE" remount .git/hooks
	"$PROBE" remount /etc
}
verify() {
	check_status 0
	check_probe remount
	check_absent "$WS/.git/hooks/probe-created" /etc/probe-created
	check_violation "seccomp: mount denied"
}
