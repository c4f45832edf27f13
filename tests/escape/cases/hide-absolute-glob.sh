# what: read a file that an absolute hide glob covers (/etc/ssh/ssh_host_*_key in the shipped profiles; a policy's own /dir/ssh/ssh_host_*_key)
# expect: the matching files are hidden like literal paths
# host-check: the planted host-key canaries never appear in the output
# layer: filesystem.hide
setup() {
	mkdir -p "$T/sys/ssh"
	echo "$SECRET" >"$T/sys/ssh/ssh_host_ed25519_key"
	chmod 644 "$T/sys/ssh/ssh_host_ed25519_key"
	printf '{ "extends": "workspace-write", "filesystem": { "read": ["%s"], "hide": ["%s/ssh/ssh_host_*_key"] } }\n' \
		"$T/sys" "$T/sys" >"$T/policy.json"
	PASS+=(KEYS)
	KEYS=("$T/sys/ssh/ssh_host_ed25519_key")
	if is_root && [ -d /etc/ssh ]; then
		# The real /etc/ssh, covered by the shipped profile's glob.
		ETC_CANARY=/etc/ssh/ssh_host_corral${MARK##*-}_key
		echo "$SECRET" >"$ETC_CANARY" && chmod 600 "$ETC_CANARY"
		KEYS+=("$ETC_CANARY")
	fi
}
run() {
	sandbox --policy "$T/policy.json"
}
attack() {
	ls -la "$(dirname "${KEYS[0]}")"
	cat "${KEYS[@]}"
	echo done-reading
}
verify() {
	check_status 0
	check_out_has '^done-reading$' "the attack did not run to its end"
	check_out_has 'ssh_host_ed25519_key' "the planted key's directory was not visible (nothing was tested)"
	check_out_lacks 'corral-escape-secret' "a file matched by an absolute hide glob was readable"
}
