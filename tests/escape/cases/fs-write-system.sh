# what: write to system directories that are visible: /usr/bin, /etc/passwd, /etc, /lib, /bin
# expect: EROFS / EACCES everywhere
# host-check: /etc/passwd and /etc/hosts unchanged; no file created in /usr/bin, /usr/local/bin, /etc
# layer: read-only bind mounts + Landlock (read-only rule)
setup() {
	remember /etc/passwd /etc/hosts
	PASS+=(NAME)
	NAME=$MARK
}
attack() {
	echo x >"/usr/bin/$NAME"
	echo x >"/usr/local/bin/$NAME"
	echo x >"/etc/$NAME"
	echo "evil:x:0:0::/:/bin/sh" >>/etc/passwd
	echo "6.6.6.6 example.com" >>/etc/hosts
	touch "/lib/$NAME" "/bin/$NAME"
	chmod 777 /etc/passwd
	echo done-writing
}
verify() {
	check_status 0
	check_out_has '^done-writing$' "the attack did not run to its end"
	check_unchanged /etc/passwd /etc/hosts
	check_absent "/usr/bin/$MARK" "/usr/local/bin/$MARK" "/etc/$MARK" "/lib/$MARK" \
		"/usr/lib/$MARK" "/bin/$MARK"
}
