# what: look for the host's secrets (ANTHROPIC_API_KEY, OPENAI_API_KEY, GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY set in corral's environment) in env, /proc/1/environ, /proc/$PPID/environ and every /proc/*/environ and cmdline
# expect: none of them is anywhere in the sandbox; pid 1 is the command itself, with the policy's environment
# host-check: no secret value or name appears in the output (env was printed, so the check is real)
# layer: clean environment (env.pass / env.set); exec, not fork, of the command: no helper holds the host's environment
attack() {
	env
	echo "--- ppid $PPID"
	cat /proc/1/environ | tr '\0' '\n'
	cat "/proc/$PPID/environ" | tr '\0' '\n'
	for p in /proc/[0-9]*; do
		echo "--- $p"
		tr '\0' '\n' <"$p/environ"
		tr '\0' ' ' <"$p/cmdline"
		echo
	done
	echo done-looking
}
verify() {
	check_status 0
	check_out_has '^done-looking$' "the attack did not run to its end"
	check_out_has '^PATH=' "env printed nothing (the check would be empty)"
	check_out_lacks 'ANTHROPIC_API_KEY|OPENAI_API_KEY|GITHUB_TOKEN|AWS_SECRET_ACCESS_KEY' \
		"a secret's name reached the sandbox"
	check_no_leak "$ANTHROPIC_API_KEY" "$OPENAI_API_KEY" "$GITHUB_TOKEN" "$AWS_SECRET_ACCESS_KEY"
}
