# what: read the hostname, then set it (sethostname, setdomainname) to leave a mark on the host
# expect: the sandbox has its own hostname; setting it fails with EPERM
# host-check: the host's hostname is unchanged and never printed inside
# layer: UTS namespace + no CAP_SYS_ADMIN
setup() {
	HOST_NAME=$(cat /proc/sys/kernel/hostname)
	remember /proc/sys/kernel/hostname /proc/sys/kernel/domainname
}
attack() {
	echo "name: $(cat /proc/sys/kernel/hostname)"
	"$PROBE" sethostname "$MARK"
}
verify() {
	check_status 0
	check_probe sethostname
	check_out_has '^name: ' "the hostname was not printed"
	checked
	[ "$(sed -n 's/^name: //p' "$OUT")" != "$HOST_NAME" ] || fail "the sandbox sees the host's hostname"
	check_unchanged /proc/sys/kernel/hostname /proc/sys/kernel/domainname
}
