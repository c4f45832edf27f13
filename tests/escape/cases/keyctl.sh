# what: add a key to the user's and the session keyring, look them up, request_key (keyrings are not namespaced)
# expect: EPERM from the filter
# host-check: the key's description never appears in the host's /proc/keys; corral reports "seccomp: add_key denied"
# layer: seccomp
attack() {
	"$PROBE" keyctl "$MARK"
}
verify() {
	check_status 0
	check_probe keyctl
	checked
	! grep -qs -- "$MARK" /proc/keys || fail "host: the key is in /proc/keys"
	check_violation "seccomp: add_key denied"
	check_violation "seccomp: keyctl denied"
}
