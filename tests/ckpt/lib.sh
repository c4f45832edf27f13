# Shared by the checkpoint end-to-end tests: a fresh workspace and state
# directory, a manifest of a tree, and failing loudly.
# usage: . lib.sh CORRAL
set -u
CORRAL=${1:?usage: $0 CORRAL}
T=$(mktemp -d /tmp/corral-ckpt.XXXXXX)
trap 'rm -rf "$T"' EXIT
export XDG_STATE_HOME=$T/state
unset CORRAL_FAULT
WS=$T/ws
mkdir -p "$WS" "$XDG_STATE_HOME"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Every path in the tree under $1 (but .git) with its type, mode, content
# hash or link target: two equal manifests mean identical trees.
manifest() {
	(cd "$1" && find . -path ./.git -prune -o -printf '%p %y %m %l\n' | LC_ALL=C sort |
		while read -r p y m l; do
			if [ "$y" = f ]; then
				echo "$p $y $m $(sha256sum <"$p" | cut -c1-64)"
			else
				echo "$p $y $m $l"
			fi
		done)
}

# A hash of everything under a directory, metadata included (for .git).
treehash() {
	(cd "$1" && find . -printf '%p %y %m %s %T@ %l\n' | LC_ALL=C sort | sha256sum &&
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum | sha256sum) |
		sha256sum | cut -c1-64
}

corral() {
	"$CORRAL" "$@"
}

# The store of $WS.
store() {
	ls -d "$XDG_STATE_HOME"/corral/checkpoints/*/ | head -1
}

git_user() {
	git -c user.name=t -c user.email=t@t -c init.defaultBranch=main "$@"
}
