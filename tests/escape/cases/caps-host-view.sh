# what: read the sandbox's capabilities, no_new_privs and seccomp mode, then try to raise them (capset, ambient raise, clear securebits, clear no_new_privs)
# expect: every capability set is 0, NoNewPrivs 1, Seccomp 2; every raise fails
# host-check: the host reads /proc/PID/status of the running sandboxed process: CapEff/CapPrm/CapBnd/CapAmb/CapInh 0, NoNewPrivs 1, Seccomp 2; then the host kills it (corral exits 137)
# layer: capability drop + securebits + no_new_privs + seccomp
run() {
	local pid="" i
	"$CORRAL" exec --workspace "$WS" -- bash -c "$(attack_script)" </dev/null >"$OUT" 2>"$ERR" &
	local corral_pid=$!
	for i in $(seq 100); do
		pid=$(pgrep -f -- "hang $MARK" | head -1)
		[ -n "$pid" ] && break
		sleep 0.05
	done
	if [ -z "$pid" ]; then
		fail "setup: the sandboxed process never appeared"
	else
		grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' "/proc/$pid/status" >"$T/host-view"
	fi
	[ -n "$pid" ] && kill -9 "$pid"
	wait "$corral_pid"
	STATUS=$?
}
attack() {
	"$PROBE" caps
	"$PROBE" capset
	exec "$PROBE" hang "$MARK"
}
verify() {
	check_status 137
	check_probe caps
	check_probe capset
	checked
	local k v
	for k in CapInh CapPrm CapEff CapBnd CapAmb; do
		v=$(sed -n "s/^$k:[[:space:]]*//p" "$T/host-view" 2>/dev/null)
		[ "$v" = 0000000000000000 ] || fail "host view: $k is '${v:-missing}'"
	done
	grep -q '^NoNewPrivs:[[:space:]]*1$' "$T/host-view" 2>/dev/null || fail "host view: NoNewPrivs is not 1"
	grep -q '^Seccomp:[[:space:]]*2$' "$T/host-view" 2>/dev/null || fail "host view: Seccomp is not 2"
}
