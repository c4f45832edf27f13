# what: attach to a host System V shared-memory segment and message queue (created by the test with ipcmk), list the host's IPC objects
# expect: the sandbox has its own IPC namespace: the host's objects do not exist there
# host-check: the host segment was never attached (nattch 0) and its id never appears in the output
# layer: IPC namespace
setup() {
	command -v ipcmk >/dev/null && command -v ipcs >/dev/null ||
		{ fail "setup: ipcmk/ipcs (util-linux) are needed"; return; }
	SHM_ID=$(ipcmk -M 4096 2>/dev/null | sed -n 's/.*: *\([0-9]*\)$/\1/p')
	MSG_ID=$(ipcmk -Q 2>/dev/null | sed -n 's/.*: *\([0-9]*\)$/\1/p')
	[ -n "$SHM_ID" ] && [ -n "$MSG_ID" ] || fail "setup: ipcmk failed"
	PASS+=(SHM_ID MSG_ID)
}
attack() {
	ipcs -a
	ipcs -m -i "$SHM_ID" 2>&1 | grep -q "shmid=$SHM_ID" && echo SHM-VISIBLE
	ipcs -q -i "$MSG_ID" 2>&1 | grep -q "msqid=$MSG_ID" && echo MSG-VISIBLE
	echo done-looking
}
verify() {
	check_status 0
	check_out_has '^done-looking$' "the attack did not run to its end"
	check_out_lacks 'SHM-VISIBLE|MSG-VISIBLE' "a host IPC object is visible"
	checked
	local nattch
	nattch=$(ipcs -m -i "$SHM_ID" 2>/dev/null | sed -n 's/.*nattch=\([0-9]*\).*/\1/p')
	[ "${nattch:-0}" = 0 ] || fail "host: the segment has $nattch attachments"
	ipcrm -m "$SHM_ID" -q "$MSG_ID" 2>/dev/null
}
