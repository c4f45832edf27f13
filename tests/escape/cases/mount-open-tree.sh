# what: clone a mount with open_tree and attach it elsewhere with move_mount (a writable copy of the workspace over .git/hooks), and move_mount a protected mount away
# expect: EPERM for open_tree and move_mount
# host-check: .git/hooks unchanged; corral reports "seccomp: open_tree denied"
# layer: seccomp (new mount API)
attack() {
	mkdir -p spare
	"$PROBE" open-tree "$WS" .git/hooks
	"$PROBE" open-tree .git/hooks spare
}
verify() {
	check_status 0
	check_probe open-tree
	check_violation "seccomp: open_tree denied"
	check_violation "seccomp: move_mount denied"
}
