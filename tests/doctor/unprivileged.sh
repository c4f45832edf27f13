#!/usr/bin/env bash
# unprivileged.sh CORRAL - `corral doctor --json` run as an unprivileged user
# tells the truth: not root, user namespaces work for that user, and the exit
# status agrees with the verdict.
#
# As root (CI), the test runs corral as the user $CORRAL_TEST_USER (default
# corraltest), creating it if needed, from a copy of the binary in a fresh
# directory that user can reach (the build tree may sit under a directory
# other users cannot enter). Not being able to create that user is a failure,
# not a skip: the test would otherwise never run where it matters. As any
# other user, corral runs as that user directly.
set -u
corral=${1:?usage: unprivileged.sh CORRAL}
user=${CORRAL_TEST_USER:-corraltest}

fail() { echo "FAIL: doctor/unprivileged: $*"; exit 1; }

[ -x "$corral" ] || fail "corral binary $corral missing"
tmp=$(mktemp -d /tmp/corral-doctor.XXXXXX) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT

if [ "$(id -u)" = 0 ]; then
	if ! id -u "$user" >/dev/null 2>&1; then
		useradd -m "$user" || fail "cannot create the unprivileged user '$user'"
	fi
	id -u "$user" >/dev/null 2>&1 || fail "user '$user' missing after useradd"
	command -v runuser >/dev/null || fail "runuser (util-linux) is needed to switch users"
	expect_uid=$(id -u "$user")
	chmod 755 "$tmp"
	cp "$corral" "$tmp/corral" || fail "cannot copy $corral to $tmp"
	chmod 755 "$tmp/corral" || fail "cannot make $tmp/corral executable"
	# Sanitizer builds: a leak check at exit must not need ptrace rights.
	run=(runuser -u "$user" -- env ASAN_OPTIONS=detect_leaks=0 "$tmp/corral" doctor --json)
else
	expect_uid=$(id -u)
	run=("$corral" doctor --json)
fi

"${run[@]}" >"$tmp/out" 2>"$tmp/err"
status=$?
report() {
	echo "--- ${run[*]} (exit $status)"
	echo "--- stdout:"; head -c 4000 "$tmp/out"; echo
	echo "--- stderr:"; head -c 4000 "$tmp/err"
	fail "$*"
}

[ "$status" = 0 ] || [ "$status" = 1 ] || report "exit status $status, expected 0 or 1"
grep -q '"root":false' "$tmp/out" || report 'no "root":false'
grep -q "\"uid\":$expect_uid," "$tmp/out" || report "no \"uid\":$expect_uid"
grep -Eq '\{"name":"userns",[^}]*"status":"ok"' "$tmp/out" ||
	report "user namespaces are not ok for uid $expect_uid"
grep -Eq '\{"name":"userns_unprivileged",[^}]*"status":"n-a"' "$tmp/out" ||
	report "the as-root-only check for other users ran for a non-root user"
grep -Eq '\{"name":"cgroup1",[^}]*"status":"n-a"' "$tmp/out" ||
	report "cgroup v1 (root only) was considered for a non-root user"
if grep -q '"ready":true' "$tmp/out"; then
	[ "$status" = 0 ] || report "ready, but exit status $status"
else
	[ "$status" = 1 ] || report "not ready, but exit status $status"
fi
if command -v python3 >/dev/null; then
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$tmp/out" ||
		report "the output is not valid JSON"
fi
echo "ok: doctor/unprivileged (uid $expect_uid)"
