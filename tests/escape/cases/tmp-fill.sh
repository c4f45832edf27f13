# what: fill the private /tmp and /dev/shm (limits.tmp 64MiB) with a 200 MiB file each
# expect: ENOSPC at about 64 MiB
# host-check: the host's /tmp has no such file
# layer: size-bounded tmpfs for /tmp and /dev/shm
setup() {
	policy_file "$T/policy.json" '"limits": { "tmp": "64MiB" }'
	PASS+=(NAME)
	NAME=$MARK-fill
}
run() {
	sandbox --policy "$T/policy.json"
}
attack() {
	"$PROBE" fill "/tmp/$NAME" 200
	"$PROBE" fill "/dev/shm/$NAME" 200
}
verify() {
	check_status 0
	check_probe fill
	checked
	local n
	for n in $(sed -n 's/.*ENOSPC after \([0-9]*\) MiB.*/\1/p' "$OUT"); do
		[ "$n" -le 64 ] || fail "$n MiB written to a 64 MiB /tmp"
	done
	[ "$(grep -c 'ENOSPC after' "$OUT")" = 2 ] || fail "a fill did not end with ENOSPC"
	check_absent "/tmp/$MARK-fill" "/dev/shm/$MARK-fill"
}
