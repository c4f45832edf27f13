# what: under --policy read-only, create, append, delete and rename in the workspace
# expect: reads work; every change fails with EROFS
# host-check: no new file; README unchanged
# layer: the workspace bind (read-only) + Landlock
setup() {
	remember "$WS/README"
}
run() {
	sandbox --policy read-only
}
attack() {
	cat README
	echo x >new.txt
	echo x >>README
	mkdir newdir
	mv README README.old
	rm -f README
	echo done-writing
}
verify() {
	check_status 0
	check_out_has '^a workspace$' "the workspace was not readable"
	check_out_has '^done-writing$' "the attack did not run to its end"
	check_absent "$WS/new.txt" "$WS/newdir" "$WS/README.old"
	check_unchanged "$WS/README"
}
