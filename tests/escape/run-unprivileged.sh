#!/usr/bin/env bash
# run-unprivileged.sh CORRAL PROBE [CASE...] - the escape suite as an
# unprivileged user.
#
# As root (CI), it creates the system user $CORRAL_ESCAPE_USER (default
# corral-escape, with a home directory so that the $HOME canaries work) if
# it is missing, copies corral, the probe and the suite into a fresh
# directory that user can reach (the build tree may sit under a directory
# other users cannot enter), adds a setuid-root copy of the probe for the
# setuid case (ESCAPE_SUID_PROBE), and runs run.sh as that user with a clean
# environment. Not being able to create or switch to the user is a failure,
# never a skip. As any other user, it runs run.sh as that user directly.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
corral=${1:?usage: run-unprivileged.sh CORRAL PROBE [CASE...]}
probe=${2:?usage: run-unprivileged.sh CORRAL PROBE [CASE...]}
shift 2
user=${CORRAL_ESCAPE_USER:-corral-escape}

fail() {
	echo "escape/unprivileged: $*"
	echo "escape: 0 passed, 1 failed, 0 skipped"
	exit 1
}

[ -x "$corral" ] || fail "corral binary $corral missing"
[ -x "$probe" ] || fail "probe $probe missing"
if [ "$(id -u)" != 0 ]; then
	exec bash "$here/run.sh" "$corral" "$probe" "$@"
fi

if ! id -u "$user" >/dev/null 2>&1; then
	useradd --system --create-home --home-dir "/var/lib/$user" --shell /usr/sbin/nologin \
		--comment "corral escape suite" "$user" ||
		fail "cannot create the unprivileged user '$user'"
fi
uid=$(id -u "$user") || fail "user '$user' missing after useradd"
[ "$uid" != 0 ] || fail "user '$user' is root"
home=$(getent passwd "$user" | cut -d: -f6)
if [ -z "$home" ] || [ "$home" = / ] || [ ! -d "$home" ]; then
	home=/var/lib/$user
	mkdir -p "$home" || fail "cannot create $home"
fi
chown "$user:" "$home" && chmod 0700 "$home" || fail "cannot give $home to $user"
command -v runuser >/dev/null || fail "runuser (util-linux) is needed to switch users"

dir=$(mktemp -d /tmp/corral-escape-bin.XXXXXX) || fail "mktemp"
trap 'rm -rf "$dir"' EXIT
chmod 0755 "$dir"
mkdir "$dir/suite" "$dir/suid" || fail "cannot fill $dir"
cp "$corral" "$dir/corral" && cp "$probe" "$dir/probe" &&
	cp "$here/run.sh" "$dir/suite/run.sh" && cp -r "$here/cases" "$dir/suite/cases" &&
	cp "$probe" "$dir/suid/probe" || fail "cannot copy the suite to $dir"
chmod -R a+rX "$dir" && chmod 0755 "$dir/corral" "$dir/probe" || fail "cannot open $dir up"
# The setuid case: a probe that would run as root if setuid bits worked.
chown root:root "$dir/suid/probe" && chmod 4755 "$dir/suid/probe" ||
	fail "cannot make the setuid probe"

# Probe that the user can run things at all before blaming corral.
runuser -u "$user" -- "$dir/probe" ids >/dev/null 2>&1 ||
	[ $? = 3 ] || fail "cannot run programs as $user from $dir"

runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" \
	PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
	ESCAPE_SUID_PROBE="$dir/suid/probe" ESCAPE_CASE_TIMEOUT="${ESCAPE_CASE_TIMEOUT:-120}" \
	${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} ${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
	bash "$dir/suite/run.sh" "$dir/corral" "$dir/probe" "$@"
