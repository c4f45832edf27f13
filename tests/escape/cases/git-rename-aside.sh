# what: rename an ancestor of a protected path aside and recreate it: mv .git .git2 && mkdir -p .git/hooks && echo x > .git/hooks/pre-commit (also mv .git/hooks, mv .git/config)
# expect: every rename fails with EBUSY (the ancestors are pinned mount points); no hook is written
# host-check: no .git2, no .git/hooks/pre-commit; .git/config, .git/HEAD and .git/hooks unchanged
# layer: protected-path mounts with pinned ancestors (srt-style)
attack() {
	mv .git .git2 && mkdir -p .git/hooks && echo 'touch pwned' >.git/hooks/pre-commit &&
		chmod +x .git/hooks/pre-commit
	mv .git/hooks .git/hooks.old && mkdir .git/hooks && echo 'touch pwned' >.git/hooks/pre-commit
	mv .git/config .git/config.old && printf '[core]\n\tfsmonitor = touch pwned\n' >.git/config
	rmdir .git/hooks
	echo 'touch pwned' >.git/hooks/pre-commit
	echo done-renaming
}
verify() {
	check_status 0
	check_out_has '^done-renaming$' "the attack did not run to its end"
	check_absent "$WS/.git2" "$WS/.git/hooks.old" "$WS/.git/config.old" "$WS/.git/hooks/pre-commit"
}
