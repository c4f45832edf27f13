#!/bin/bash
# The seed scenario: edits, deletions, new files and dirs, a shell rewrite,
# chmod +x, symlinks, an emptied dir; then rollback gives a byte-identical
# tree, the user's .git is untouched, --dry-run changes nothing, --undo
# returns the rolled-back state. Run with and without a git repository.
. "$(dirname "$0")/lib.sh" "$1"

seed() {
	mkdir -p "$WS/src/deep" "$WS/docs" "$WS/empty-later" "$WS/keep-empty"
	printf 'int main(void) { return 0; }\n' >"$WS/src/main.c"
	printf 'old\r\nwindows line\r\n' >"$WS/src/crlf.txt"
	printf 'binary\0data\377\n' >"$WS/src/blob.bin"
	printf 'notes\n' >"$WS/docs/notes.md"
	printf 'gone soon\n' >"$WS/src/deep/delete-me"
	printf 'x\n' >"$WS/empty-later/only"
	printf '#!/bin/sh\necho hi\n' >"$WS/run.sh"
	chmod 0640 "$WS/docs/notes.md"
	ln -s src/main.c "$WS/link-to-main"
	ln -s ../docs "$WS/src/link-to-docs"
}

scenario() {
	local mode=$1
	rm -rf "$WS" "$XDG_STATE_HOME"
	mkdir -p "$WS" "$XDG_STATE_HOME"
	seed
	if [ "$mode" = git ]; then
		(cd "$WS" && git_user init -q && git_user add -A && git_user commit -qm init &&
			git_user stash list >/dev/null) || fail "git setup"
		echo "wip" >>"$WS/docs/notes.md" # a dirty, unstaged change
	fi
	before=$(manifest "$WS")
	[ "$mode" = git ] && gitbefore=$(treehash "$WS/.git")

	corral checkpoint --workspace "$WS" --run agent1 -m "before the agent" >/dev/null ||
		fail "checkpoint"
	# The run: a read (nothing changes), edits, a delete, new files and
	# dirs, a shell rewrite, chmod +x, symlinks, an emptied dir.
	cat "$WS/src/main.c" >/dev/null
	corral checkpoint --workspace "$WS" --run agent1 --call read1 >/dev/null || fail "checkpoint 2"
	printf 'int main(void) { return 1; }\n' >"$WS/src/main.c"
	rm "$WS/src/deep/delete-me"
	mkdir -p "$WS/new/dir/tree"
	printf 'new\n' >"$WS/new/dir/tree/file"
	printf 'another\n' >"$WS/created.txt"
	corral checkpoint --workspace "$WS" --run agent1 --call edit2 >/dev/null || fail "checkpoint 3"
	sh -c "sed -i 's/windows/rewritten/' '$WS/src/crlf.txt'"
	chmod +x "$WS/docs/notes.md"
	chmod -x "$WS/run.sh"
	rm "$WS/link-to-main"
	ln -s /etc/passwd "$WS/link-to-main"
	ln -s src "$WS/new-link"
	rm "$WS/empty-later/only"
	rmdir "$WS/keep-empty"
	rm "$WS/src/link-to-docs"
	mkdir "$WS/src/link-to-docs"
	echo "in place of a link" >"$WS/src/link-to-docs/f"
	# The tool call takes its own checkpoint, in the same run.
	corral call write_file --workspace "$WS" --run agent1 \
		--args '{"path": "made/by/tool.txt", "content": "tool\n"}' >/dev/null ||
		fail "write_file"
	after=$(manifest "$WS")

	# diff: since the start of the run, limited to paths after --.
	d=$(corral diff --workspace "$WS") || fail "diff"
	echo "$d" | grep -q '^+int main(void) { return 1; }' || fail "diff misses main.c: $d"
	echo "$d" | grep -q '^+++ b/made/by/tool.txt' || fail "diff misses tool.txt: $d"
	d=$(corral diff --workspace "$WS" -- src/main.c) || fail "diff -- path"
	echo "$d" | grep -q 'tool.txt' && fail "diff -- src/main.c shows other files: $d"
	echo "$d" | grep -q '^+++ b/src/main.c' || fail "diff -- src/main.c: $d"

	# --dry-run lists and changes nothing.
	out=$(corral rollback --workspace "$WS" --dry-run) || fail "dry run: $out"
	echo "$out" | grep -q 'restore  src/main.c' || fail "dry run does not list main.c: $out"
	echo "$out" | grep -q 'remove   made/by/tool.txt' || fail "dry run misses tool.txt: $out"
	[ "$(manifest "$WS")" = "$after" ] || fail "dry run changed the workspace"

	out=$(corral rollback --workspace "$WS") || fail "rollback: $out"
	now=$(manifest "$WS")
	if [ "$now" != "$before" ]; then
		diff <(echo "$before") <(echo "$now") >&2
		fail "($mode) rollback did not restore the tree"
	fi
	if [ "$mode" = git ]; then
		[ "$(treehash "$WS/.git")" = "$gitbefore" ] || fail "the user's .git changed"
		[ "$(cd "$WS" && git --no-optional-locks status --porcelain)" = " M docs/notes.md" ] ||
			fail "git status differs: $(cd "$WS" && git --no-optional-locks status --porcelain)"
	fi

	# --undo brings the run's result back; undo again returns.
	corral rollback --workspace "$WS" --undo >/dev/null || fail "undo"
	now=$(manifest "$WS")
	if [ "$now" != "$after" ]; then
		diff <(echo "$after") <(echo "$now") >&2
		fail "($mode) --undo did not restore the run's result"
	fi
	corral rollback --workspace "$WS" --undo >/dev/null || fail "undo of undo"
	[ "$(manifest "$WS")" = "$before" ] || fail "($mode) undo of the undo"

	# The log shows the run, its calls and the rollbacks.
	log=$(corral log --workspace "$WS") || fail "log"
	echo "$log" | grep -q '^run agent1' || fail "log has no run agent1: $log"
	echo "$log" | grep -q ' edit2 ' || fail "log has no call edit2: $log"
	corral log --workspace "$WS" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
runs = {r["run"]: r for r in d["runs"]}
cks = runs["agent1"]["checkpoints"]
assert cks[0]["tool"] == "write_file" and cks[0]["created"] is True, cks[0]
assert [c["call"] for c in cks[1:]] == ["edit2", "read1", "c1"], cks
assert cks[2]["created"] is False and cks[2]["commit"] == cks[3]["commit"], cks
assert cks[1]["stat"]["files"] >= 5, cks[1]
' || fail "log --json"
	# --call and --run targets.
	corral rollback --workspace "$WS" --undo >/dev/null
	corral rollback --workspace "$WS" --call edit2 >/dev/null || fail "--call"
	[ -f "$WS/created.txt" ] && [ ! -e "$WS/made" ] || fail "--call edit2 target"
	id=$(corral log --workspace "$WS" --json | python3 -c '
import json, sys
for r in json.load(sys.stdin)["runs"]:
    for c in r["checkpoints"]:
        if c["call"] == "edit2":
            print(c["id"])')
	[ ${#id} = 12 ] || fail "no id for edit2: $id"
	corral rollback --workspace "$WS" --undo >/dev/null
	corral rollback --workspace "$WS" "${id:0:8}" >/dev/null || fail "rollback CHECKPOINT"
	[ -f "$WS/created.txt" ] && [ ! -e "$WS/made" ] || fail "rollback ${id:0:8}"
	corral rollback --workspace "$WS" --run agent1 >/dev/null || fail "--run"
	[ "$(manifest "$WS")" = "$before" ] || fail "--run agent1"
	if [ "$mode" = git ]; then
		[ "$(treehash "$WS/.git")" = "$gitbefore" ] || fail "the user's .git changed"
	fi
	git --git-dir="$(store)/git" fsck --no-dangling 2>&1 || fail "store fsck"
}

scenario git
scenario plain
echo ok
