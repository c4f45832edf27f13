# what: read a root-only (0600) file in a readable system directory that no hide rule names (as root: a planted /etc canary; otherwise an existing root-only file in /etc)
# expect: unreadable: the sandbox must not hold the host root's file ownership
# host-check: the canary's content never appears; the read reports failure
# layer: user namespace id mapping + DAC (hide lists cannot name every secret)
setup() {
	PASS+=(TARGET)
	if is_root; then
		ETC_CANARY=/etc/corral-escape-${MARK##*-}
		echo "$SECRET" >"$ETC_CANARY" && chmod 600 "$ETC_CANARY"
		TARGET=$ETC_CANARY
	else
		TARGET=$(find /etc -maxdepth 3 -type f -user root ! -readable \
			! -name 'shadow*' ! -name 'gshadow*' ! -name 'sudoers' 2>/dev/null | head -1)
		[ -n "$TARGET" ] || fail "setup: no root-only file in /etc to try"
	fi
}
attack() {
	ls -la "$TARGET"
	cat "$TARGET" >/dev/null && echo "READ-SUCCEEDED $TARGET"
	echo done-reading
}
verify() {
	check_status 0
	check_out_has '^done-reading$' "the attack did not run to its end"
	check_out_has "$TARGET" "the file was not visible (nothing was tested)"
	check_out_lacks 'READ-SUCCEEDED' "a root-only file was readable in the sandbox"
}
