# what: clear MOUNT_ATTR_RDONLY on the protected .git/hooks with mount_setattr, then create a file in it
# expect: EPERM; the file cannot be created
# host-check: nothing new in .git/hooks; corral reports "seccomp: mount_setattr denied"
# layer: seccomp (new mount API)
attack() {
	"$PROBE" mount-setattr .git/hooks
	"$PROBE" mount-setattr /usr
}
verify() {
	check_status 0
	check_probe mount-setattr
	check_absent "$WS/.git/hooks/probe-created"
	check_violation "seccomp: mount_setattr denied"
}
