# what: open the sibling secret by its file handle (name_to_handle_at on the host, open_by_handle_at inside: the "shocker" container escape)
# expect: EPERM for open_by_handle_at and name_to_handle_at
# host-check: the secret never appears in the output; corral reports "seccomp: open_by_handle_at denied"
# layer: seccomp + no CAP_DAC_READ_SEARCH
setup() {
	local h
	h=$("$PROBE" name-to-handle "$OUTSIDE/secret.txt" 2>&1)
	if [ $? != 0 ]; then
		skip "the file system under $T gives no file handles: $h"
		return
	fi
	PASS+=(H_TYPE H_HEX)
	H_TYPE=${h%% *}
	H_HEX=${h#* }
}
attack() {
	"$PROBE" open-by-handle "$WS" "$H_TYPE" "$H_HEX"
}
verify() {
	check_status 0
	check_probe open-by-handle
	check_violation "seccomp: open_by_handle_at denied"
}
