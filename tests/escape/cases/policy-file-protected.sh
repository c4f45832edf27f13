# what: the policy file lives in the workspace; rewrite it to grant the host network and / (for the next run), or replace it by rename
# expect: the policy file is read-only inside the sandbox: EROFS / EBUSY
# host-check: the policy file is unchanged
# layer: corral protects the policy files it loaded
setup() {
	policy_file "$WS/agent-policy.json" '"limits": { "timeout": "60s" }'
	remember "$WS/agent-policy.json"
}
run() {
	sandbox --policy "$WS/agent-policy.json"
}
attack() {
	echo '{ "extends": "workspace-write", "network": { "mode": "host" }, "filesystem": { "write": ["/"] } }' >agent-policy.json
	echo x >>agent-policy.json
	echo '{}' >p2 && mv p2 agent-policy.json
	rm -f agent-policy.json
	echo done-rewriting
}
verify() {
	check_status 0
	check_out_has '^done-rewriting$' "the attack did not run to its end"
	check_unchanged "$WS/agent-policy.json"
}
