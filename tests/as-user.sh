#!/usr/bin/env bash
# as-user.sh SCRIPT CORRAL [ARG...] - run the test SCRIPT against CORRAL as
# an unprivileged user, so that what a test proves as root (CI) is proven
# for an ordinary user too.
#
# As root it creates the system user $CORRAL_TEST_USER (default
# corral-test, with a home directory) if it is missing, copies corral with
# its worker and plugins (the layout corral looks for next to its binary)
# and SCRIPT's directory into a fresh directory that user can reach (the
# build tree may sit under a directory other users cannot enter), and runs
# SCRIPT there as that user with a clean environment. Not being able to
# create or switch to the user is a failure, never a skip. As any other
# user it runs SCRIPT directly.
set -u
script=${1:?usage: as-user.sh SCRIPT CORRAL [ARG...]}
corral=${2:?usage: as-user.sh SCRIPT CORRAL [ARG...]}
shift 2
user=${CORRAL_TEST_USER:-corral-test}
fail() {
	echo "FAIL: as-user: $*"
	echo "0 passed, 1 failed"
	exit 1
}
[ -f "$script" ] || fail "no test script $script"
[ -x "$corral" ] || fail "corral binary $corral missing"
if [ "$(id -u)" != 0 ]; then
	exec bash "$script" "$corral" "$@"
fi

if ! id -u "$user" >/dev/null 2>&1; then
	useradd --system --create-home --home-dir "/var/lib/$user" --shell /usr/sbin/nologin \
		--comment "corral tests" "$user" || fail "cannot create the unprivileged user '$user'"
fi
uid=$(id -u "$user") || fail "user '$user' missing after useradd"
[ "$uid" != 0 ] || fail "user '$user' is root"
home=$(getent passwd "$user" | cut -d: -f6)
[ -n "$home" ] && [ "$home" != / ] || home=/var/lib/$user
mkdir -p "$home" && chown "$user:" "$home" && chmod 0700 "$home" ||
	fail "cannot give $home to $user"
command -v runuser >/dev/null || fail "runuser (util-linux) is needed to switch users"

build=$(cd "$(dirname "$corral")/.." && pwd)
dir=$(mktemp -d /tmp/corral-as-user.XXXXXX) || fail "mktemp"
trap 'rm -rf "$dir"' EXIT
chmod 0755 "$dir"
mkdir -p "$dir/runtime" "$dir/plugins" "$dir/test" || fail "cannot fill $dir"
# The worker and the shipped plugins, in their layout below build/plugins.
cp "$corral" "$dir/runtime/corral" &&
	(cd "$build/plugins" && find . -maxdepth 3 -type f \( -name '*.so' -o -name '*.lua' \
		-o -name corral-worker \) -print0 | xargs -0 -I{} cp --parents {} "$dir/plugins/") ||
	fail "cannot copy the plugins"
cp -r "$(dirname "$script")/." "$dir/test/" || fail "cannot copy $(dirname "$script")"
chmod -R a+rX "$dir" || fail "cannot open $dir up"

runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" \
	PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 TMPDIR=/tmp \
	${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} ${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
	${LSAN_OPTIONS:+LSAN_OPTIONS="$LSAN_OPTIONS"} \
	bash -c 'cd "$1" && shift && exec "$@"' - "$dir/test" \
	"$(case "$script" in *.py) echo python3 ;; *) echo bash ;; esac)" \
	"$dir/test/$(basename "$script")" "$dir/runtime/corral" "$@"
