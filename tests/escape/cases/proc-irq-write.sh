# what: change host kernel state through /proc files outside /proc/sys that only root's ownership guards: write /proc/irq/default_smp_affinity, open /proc/irq/N/smp_affinity and /proc/bus/pci/*/* for writing (nothing is written there)
# expect: every open for writing fails (EACCES / EROFS), as root too
# host-check: /proc/irq/default_smp_affinity on the host is unchanged (restored if not)
# layer: /proc read-only for the sandbox (runc and bubblewrap make /proc/irq and /proc/bus read-only)
setup() {
	PASS+=(NEXT IRQ PCI)
	remember /proc/irq/default_smp_affinity
	AFFINITY=$(cat /proc/irq/default_smp_affinity)
	# A different mask that is still valid: CPU 0 alone, or CPUs 0-1.
	if [ "$(echo "$AFFINITY" | sed 's/^[0,]*//')" != 1 ]; then NEXT=1; else NEXT=3; fi
	IRQ=$(ls -d /proc/irq/[0-9]*/smp_affinity 2>/dev/null | head -1)
	PCI=$(find /proc/bus/pci -type f -name '*.*' 2>/dev/null | head -1)
}
attack() {
	"$PROBE" write /proc/irq/default_smp_affinity "$NEXT"
	[ -n "$IRQ" ] && "$PROBE" write "$IRQ"
	[ -n "$PCI" ] && "$PROBE" write "$PCI"
	echo done-writing
}
verify() {
	check_status 0
	check_out_has '^done-writing$' "the attack did not run to its end"
	check_probe write
	check_unchanged /proc/irq/default_smp_affinity
	if [ "$(cat /proc/irq/default_smp_affinity)" != "$AFFINITY" ] && is_root; then
		echo "$AFFINITY" >/proc/irq/default_smp_affinity
	fi
}
