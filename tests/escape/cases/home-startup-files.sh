# what: the workspace is the user's home (an agent started in ~): append to .bashrc, .profile, .zshrc, set core.hooksPath in ~/.gitconfig, plant a file in corral's own state directory
# expect: shell startup files, git's global config and corral's state stay read-only inside the writable workspace
# host-check: each file is unchanged and the planted file does not appear in ~/.local/state/corral (where corral itself keeps its audit log)
# layer: protected paths (DESIGN: "shell startup files", corral's state)
setup() {
	H=$T/home
	mkdir -p "$H/.local/state/corral" "$H/project"
	for f in .bashrc .profile .zshrc .gitconfig; do
		echo "# $f of the user" >"$H/$f"
	done
	remember "$H/.bashrc" "$H/.profile" "$H/.zshrc" "$H/.gitconfig"
	PASS+=(H)
}
run() {
	HOME=$H XDG_STATE_HOME='' sandbox_in "$H"
}
sandbox_in() {
	local start
	start=$(now_ms)
	"$CORRAL" exec --workspace "$1" -- bash -c "$(attack_script)" </dev/null >"$OUT" 2>"$ERR"
	settle_status $?
	DURATION_MS=$(($(now_ms) - start))
}
attack() {
	echo "touch $T/pwned-bashrc" >>.bashrc
	echo "touch $T/pwned-profile" >>.profile
	echo "touch $T/pwned-zshrc" >>.zshrc
	printf '[core]\n\thooksPath = %s\n' "$H/project" >>.gitconfig
	echo x >.local/state/corral/planted
	echo done-writing
}
verify() {
	check_status 0
	check_out_has '^done-writing$' "the attack did not run to its end"
	check_unchanged "$H/.bashrc" "$H/.profile" "$H/.zshrc" "$H/.gitconfig"
	check_absent "$H/.local/state/corral/planted"
}
