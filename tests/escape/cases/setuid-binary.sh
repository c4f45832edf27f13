# what: run a setuid-root binary: as root, a copy of the probe made setuid root in the workspace; as another user, a setuid-root probe prepared by run-unprivileged.sh (ESCAPE_SUID_PROBE) made visible by a policy
# expect: the binary runs with the caller's ids: real = effective = saved, no capabilities
# host-check: the host's setuid file is unchanged; the ids printed match the caller's
# layer: nosuid mounts + no_new_privs + SECBIT_NOROOT
setup() {
	PASS+=(SUID)
	if is_root; then
		cp "$PROBE" "$WS/suid-probe" && chmod 4755 "$WS/suid-probe"
		SUID=$WS/suid-probe
	elif [ -n "${ESCAPE_SUID_PROBE:-}" ] && [ -u "$ESCAPE_SUID_PROBE" ]; then
		SUID=$ESCAPE_SUID_PROBE
		printf '{ "extends": "workspace-write", "filesystem": { "read": ["%s"] } }\n' \
			"$(dirname "$SUID")" >"$T/policy.json"
	else
		fail "setup: not root and no setuid-root probe (run through run-unprivileged.sh, which sets ESCAPE_SUID_PROBE)"
		SUID=/nonexistent
	fi
	remember "$SUID"
}
run() {
	if [ -f "$T/policy.json" ]; then
		sandbox --policy "$T/policy.json"
	else
		sandbox
	fi
}
attack() {
	ls -la "$SUID"
	"$SUID" ids
}
verify() {
	check_status 0
	check_out_has '^-rws' "the setuid bit is not visible (nothing was tested)"
	check_probe ids
	check_out_has "uid $(id -u)/$(id -u)/$(id -u) " "the ids are not the caller's"
	check_unchanged "$SUID"
}
