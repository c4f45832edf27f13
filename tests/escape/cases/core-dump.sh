# what: raise the core-file limit (ulimit -c unlimited) and crash a process to dump its memory
# expect: RLIMIT_CORE is 0, soft and hard; raising it fails; no core file is written
# host-check: no core file appears in the workspace
# layer: rlimits (RLIMIT_CORE 0 hard)
attack() {
	echo "soft $(ulimit -Sc) hard $(ulimit -Hc)"
	ulimit -c unlimited && echo RAISED
	bash -c 'kill -SEGV $$'
	sleep 0.2
	echo done-crashing
}
verify() {
	check_status 0
	check_out_has '^done-crashing$' "the attack did not run to its end"
	check_out_has '^soft 0 hard 0$' "RLIMIT_CORE is not 0/0"
	check_out_lacks '^RAISED$' "the core limit could be raised"
	checked
	local cores
	cores=$(find "$WS" -maxdepth 2 -name 'core*' | head -3)
	[ -z "$cores" ] || fail "host: core files in the workspace: $cores"
}
