# what: look for host devices in /dev (disks, /dev/mem, /dev/kmsg, /dev/net/tun, /dev/fuse...) and make device nodes (mknod a char and a block device) in the workspace, /tmp and /dev/shm
# expect: /dev holds only null zero full random urandom tty, the std links, ptmx, pts/ and shm/; mknod fails
# host-check: the listing holds nothing else; no node appears in the workspace
# layer: minimal /dev tmpfs (read-only) + nodev mounts + no CAP_MKNOD + Landlock
attack() {
	echo "--- dev"
	ls -A /dev
	echo "--- end"
	ls -A /dev/pts /dev/shm
	"$PROBE" mknod "$WS"
	"$PROBE" mknod /tmp
	"$PROBE" mknod /dev/shm
}
verify() {
	check_status 0
	check_probe mknod
	checked
	local extra
	extra=$(sed -n '/^--- dev$/,/^--- end$/p' "$OUT" | grep -vE '^(--- dev|--- end|null|zero|full|random|urandom|tty|fd|stdin|stdout|stderr|ptmx|pts|shm)$')
	[ -z "$extra" ] || fail "unexpected entries in /dev: $(echo $extra)"
	grep -qx -- '--- dev' "$OUT" || fail "/dev was not listed"
	check_absent "$WS/probe-mem" "$WS/probe-sda"
}
