# what: read /etc/shadow, /etc/gshadow, /etc/shadow- (as root they are root's own files)
# expect: unreadable (hidden: an empty 000 file)
# host-check: no shadow-format line appears in the output; as root, the first line of the host's /etc/shadow is not in it
# layer: filesystem.hide in the shipped profiles (DAC alone does not stop root)
attack() {
	cat /etc/shadow /etc/gshadow /etc/shadow- /etc/gshadow-
	ls -la /etc/shadow
	echo done-reading
}
verify() {
	check_status 0
	check_out_has '^done-reading$' "the attack did not run to its end"
	check_out_lacks '^[a-z_][a-z0-9_-]*:[^:]*:[0-9]*:[0-9]*:[0-9]*:[0-9]*:[^:]*:[^:]*:' \
		"a shadow entry was printed"
	if is_root && [ -r /etc/shadow ]; then
		check_no_leak "$(head -1 /etc/shadow)"
	fi
}
