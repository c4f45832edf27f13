# what: write host kernel settings through /proc: /proc/sys/kernel/printk_ratelimit_burst (value+1), open core_pattern, modprobe, drop_caches and /proc/sysrq-trigger for writing (without truncation, so only the write right is needed)
# expect: every open for writing fails (EACCES / EROFS)
# host-check: printk_ratelimit_burst and core_pattern on the host are unchanged (restored if not)
# layer: /proc read-only for the sandbox (Landlock rule, ids that are not the host's root)
setup() {
	PASS+=(NEXT)
	remember /proc/sys/kernel/printk_ratelimit_burst /proc/sys/kernel/core_pattern
	BURST=$(cat /proc/sys/kernel/printk_ratelimit_burst)
	NEXT=$((BURST + 1))
}
attack() {
	"$PROBE" write /proc/sys/kernel/printk_ratelimit_burst "$NEXT"
	"$PROBE" write /proc/sys/kernel/core_pattern
	"$PROBE" write /proc/sys/kernel/modprobe
	"$PROBE" write /proc/sys/vm/drop_caches
	"$PROBE" write /proc/sysrq-trigger
	echo "$NEXT" >/proc/sys/kernel/printk_ratelimit_burst
	echo done-writing
}
verify() {
	check_status 0
	check_out_has '^done-writing$' "the attack did not run to its end"
	check_probe write
	check_unchanged /proc/sys/kernel/printk_ratelimit_burst /proc/sys/kernel/core_pattern
	if [ "$(cat /proc/sys/kernel/printk_ratelimit_burst)" != "$BURST" ] && is_root; then
		echo "$BURST" >/proc/sys/kernel/printk_ratelimit_burst
	fi
}
