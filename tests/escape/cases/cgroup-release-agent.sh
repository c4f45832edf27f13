# what: mount a cgroup v1 hierarchy to set its release_agent (CVE-2022-0492), or cgroup2; look for the host's /sys/fs/cgroup
# expect: EPERM for every mount; /sys is not in the view
# host-check: the host's cgroup v1 release_agent files are unchanged
# layer: seccomp (mount) + no CAP_SYS_ADMIN + no /sys
setup() {
	local f
	AGENTS=()
	for f in /sys/fs/cgroup/*/release_agent; do
		[ -r "$f" ] && AGENTS+=("$f")
	done
	[ ${#AGENTS[@]} -gt 0 ] && remember "${AGENTS[@]}"
}
attack() {
	mkdir -p /tmp/cg
	"$PROBE" mount-cgroup /tmp/cg
	ls /sys/fs/cgroup && echo SYSFS-VISIBLE
	echo "$WS/evil" >/sys/fs/cgroup/memory/release_agent
	true
}
verify() {
	check_status 0
	check_probe mount-cgroup
	check_out_lacks SYSFS-VISIBLE "/sys/fs/cgroup is visible in the sandbox"
	[ ${#AGENTS[@]} -gt 0 ] && check_unchanged "${AGENTS[@]}"
	check_violation "seccomp: mount denied"
}
