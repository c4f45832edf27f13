#!/usr/bin/env bash
# run.sh - the adversarial suite for `corral exec`.
#
#   run.sh [--require-root] CORRAL PROBE [CASE...]   run every case, or the named ones
#   run.sh --list-md                                 the case table for docs/escape.md
#
# Each case is one file in cases/ (NAME.sh), sourced in a fresh bash with the
# helpers below. Its header says what it is:
#
#   # what:       the hostile action
#   # expect:     what must happen
#   # host-check: what the host verifies afterwards
#   # layer:      what stops it
#
# and it defines:
#
#   setup   (optional) host side, before: plant files, start listeners
#   attack  the shell function run INSIDE `corral exec` (bash, in the
#           workspace); the variables named in PASS (and WS, PROBE, OUTSIDE,
#           MARK, HOST_HOME, HOME_CANARY, T) are defined for it
#   run     (optional) how to call corral; the default is `sandbox`
#   verify  host side, after: the checks
#
# Every case gets a fresh directory T=/tmp/corral-escape.XXXXXX (0755) with
# a workspace $WS (a git repository: .git/config, .git/hooks), the probe
# copied to $WS/probe, and fresh canaries: $OUTSIDE/secret.txt (a sibling
# of the workspace), $HOME_CANARY (in the running user's home) and
# $T/etc/passwd. corral runs with ANTHROPIC_API_KEY, OPENAI_API_KEY and
# other secrets in its environment. After verify the runner also checks,
# for every case: the canaries and .git are unchanged, no secret appears
# in the output, and no process carrying the case's marker survives.
#
# A case fails when a check fails or when it cannot run its checks (a
# listener that does not start, the probe missing, no check at all). It is
# skipped only when the kernel lacks the feature under test (`skip WHY`).
set -u
shopt -s nullglob

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CASE_TIMEOUT=${ESCAPE_CASE_TIMEOUT:-120}

# ---------------------------------------------------------------------------
# Helpers for the cases
# ---------------------------------------------------------------------------

FAILS=()
CHECKS=0
SKIP_REASON=
PIDS=()
PASS=()
STATUS=
DURATION_MS=

fail() { FAILS+=("$*"); }
skip() { SKIP_REASON="$*"; }
checked() { CHECKS=$((CHECKS + 1)); }
is_root() { [ "$(id -u)" = 0 ]; }
now_ms() { date +%s%3N; }

# The bash program run inside the sandbox: the passed variables, the
# attack function, and a call to it. The program then prints the attack's
# status and exits 86: corral lists what it denied on stderr only when the
# command fails, and the cases check that list (settle_status undoes this).
ATTACK_EXIT=86
attack_script() {
	local v
	echo 'set -u'
	for v in WS PROBE OUTSIDE MARK HOST_HOME HOME_CANARY T "${PASS[@]+"${PASS[@]}"}"; do
		declare -p "$v" 2>/dev/null
	done
	declare -f attack
	echo "attack; echo \"corral-escape-attack-status=\$?\"; exit $ATTACK_EXIT"
}

# settle_status CORRAL-STATUS: STATUS becomes the attack's own status when
# the program above ran to its end, corral's otherwise.
settle_status() {
	local s
	STATUS=$1
	if [ "$1" = "$ATTACK_EXIT" ]; then
		s=$(tr -d '\r' <"$OUT" | sed -n 's/^corral-escape-attack-status=\([0-9]*\)$/\1/p' | tail -1)
		[ -n "$s" ] && STATUS=$s
	fi
}

# sandbox [EXEC-OPTIONS...]: run the attack in `corral exec`. Sets STATUS
# and DURATION_MS; stdout and stderr go to $OUT and $ERR.
sandbox() {
	local start
	start=$(now_ms)
	"$CORRAL" exec --workspace "$WS" "$@" -- bash -c "$(attack_script)" \
		<"${SANDBOX_STDIN:-/dev/null}" >"$OUT" 2>"$ERR"
	settle_status $?
	DURATION_MS=$(($(now_ms) - start))
}

# Remember the state of paths now, to compare in verify.
remember() {
	local p
	for p in "$@"; do
		printf '%s\t%s\n' "$p" "$(state_of "$p")" >>"$T/.remembered"
	done
}
state_of() {
	if [ -L "$1" ]; then
		echo "symlink:$(readlink "$1")"
	elif [ -d "$1" ]; then
		echo "dir:$(cd "$1" && find . -printf '%p %y %m %s\n' 2>/dev/null | sort | sha256sum)"
	elif [ -e "$1" ]; then
		echo "file:$(stat -c '%a %s' "$1") $(sha256sum <"$1")"
	else
		echo absent
	fi
}

check_unchanged() {
	local p want
	for p in "$@"; do
		checked
		want=$(awk -F'\t' -v p="$p" '$1 == p { s = $2 } END { print s }' "$T/.remembered" 2>/dev/null)
		if [ -z "$want" ]; then
			fail "internal: $p was never remembered"
		elif [ "$(state_of "$p")" != "$want" ]; then
			fail "host: $p changed ($(state_of "$p" | cut -c1-60))"
		fi
	done
}

check_absent() {
	local p
	for p in "$@"; do
		checked
		if [ -e "$p" ] || [ -L "$p" ]; then
			fail "host: $p exists"
		fi
	done
}

check_status() {
	local s
	checked
	for s in "$@"; do
		[ "$STATUS" = "$s" ] && return 0
	done
	fail "exit status $STATUS, expected ${*// / or }"
}

check_out_has() {
	checked
	grep -Eq -- "$1" "$OUT" "$ERR" || fail "${2:-output has no line matching /$1/}"
}

check_out_lacks() {
	checked
	if grep -Eq -- "$1" "$OUT" "$ERR"; then
		fail "${2:-output has a line matching /$1/}: $(grep -Eh -m1 -- "$1" "$OUT" "$ERR" | head -1 | cut -c1-120)"
	fi
}

check_no_leak() {
	local s
	for s in "$@"; do
		checked
		if grep -aqF -- "$s" "$OUT" "$ERR"; then
			fail "leak: the sandbox printed a secret (${s:0:12}...)"
		fi
	done
}

# check_probe OP: the probe ran OP, every attempt was denied, none allowed.
check_probe() {
	checked
	if ! grep -Eq "^$1 .*: (denied|note|ALLOWED) \(" "$OUT"; then
		fail "the probe did not report on '$1' (could not run?)"
	fi
	if grep -q ': ALLOWED (' "$OUT"; then
		fail "$(grep -h -m3 ': ALLOWED (' "$OUT" | tr '\n' ';' | cut -c1-300)"
	fi
}

# check_violation TEXT: corral told the host what was denied.
check_violation() {
	checked
	grep -qF -- "$1" "$ERR" || fail "corral reported no violation '$1'"
}

check_alive() {
	checked
	kill -0 "$1" 2>/dev/null || fail "host: process $1 ($2) was killed"
}

check_log_empty() {
	checked
	if [ ! -f "$1" ]; then
		fail "internal: listener log $1 missing"
	elif [ -s "$1" ]; then
		fail "host: the listener saw traffic: $(tr '\n' ';' <"$1" | cut -c1-100)"
	fi
}

# No process carrying @1 (default: the case's marker) may be alive.
check_no_survivors() {
	local mark=${1:-$MARK} i
	checked
	for i in $(seq 30); do
		pgrep -f -- "$mark" >/dev/null || return 0
		sleep 0.1
	done
	fail "host: processes survived: $(pgrep -af -- "$mark" | head -3 | tr '\n' ';' | cut -c1-200)"
}

# background CMD...: start a host-side helper, killed at the end of the case.
background() {
	"$@" >>"$T/.background.log" 2>&1 &
	PIDS+=($!)
	disown $!
}

# wait_for FILE WHAT: fail unless FILE appears within 5 s.
wait_for() {
	local i
	for i in $(seq 100); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	fail "setup: $2 did not start ($(tail -c 200 "$T/.background.log" 2>/dev/null))"
	return 1
}

# listen_inet tcp|udp ADDR NAME: a host listener; sets ${NAME}_PORT and
# ${NAME}_LOG (one line per connection or datagram).
listen_inet() {
	local kind=$1 addr=$2 name=$3
	background "$PROBE" "listen-$kind" "$addr" "$T/$name.port" "$T/$name.log"
	wait_for "$T/$name.port" "the $kind listener on $addr" || return 1
	printf -v "${name}_PORT" '%s' "$(cat "$T/$name.port")"
	printf -v "${name}_LOG" '%s' "$T/$name.log"
}

# listen_unix PATH|@NAME stream|dgram NAME: a host unix socket daemon.
listen_unix() {
	local where=$1 kind=$2 name=$3
	background "$PROBE" listen-unix "$where" "$T/$name.ready" "$T/$name.log" "$kind"
	wait_for "$T/$name.ready" "the unix $kind daemon on $where" || return 1
	printf -v "${name}_LOG" '%s' "$T/$name.log"
}

# A host process to attack; its pid in ${NAME}_PID.
host_process() {
	local name=$1
	background "$PROBE" hang "$HOSTMARK-$name"
	printf -v "${name}_PID" '%s' "${PIDS[-1]}"
}

# A policy file: extends workspace-write with the JSON members given.
policy_file() {
	local path=$1
	shift
	printf '{ "extends": "workspace-write"%s }\n' "${1:+, $1}" >"$path"
}

# ---------------------------------------------------------------------------
# One case
# ---------------------------------------------------------------------------

rand() { od -An -N8 -tx8 /dev/urandom | tr -d ' \n'; }

cleanup_case() {
	local p
	for p in "${PIDS[@]+"${PIDS[@]}"}"; do
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	pkill -9 -f -- "$MARK" 2>/dev/null
	pkill -9 -f -- "$HOSTMARK" 2>/dev/null
	[ -n "${HOME_CANARY:-}" ] && rm -f "$HOME_CANARY"
	[ -n "${ETC_CANARY:-}" ] && rm -f "$ETC_CANARY"
	if [ -n "${T:-}" ] && [ -d "$T" ] && [ -z "${ESCAPE_KEEP:-}" ]; then
		chmod -R u+rwX "$T" 2>/dev/null
		rm -rf "$T"
	fi
}

run_one() {
	local file=$1 name start
	name=$(basename "$file" .sh)
	start=$(now_ms)
	[ -x "$PROBE" ] || { echo "FAIL $name: the probe $PROBE is missing"; return 1; }
	[ -x "$CORRAL" ] || { echo "FAIL $name: corral $CORRAL is missing"; return 1; }

	T=$(mktemp -d "${ESCAPE_TMPDIR:-/tmp}/corral-escape.XXXXXX") ||
		{ echo "FAIL $name: mktemp"; return 1; }
	chmod 0755 "$T"
	trap cleanup_case EXIT
	trap 'exit 124' TERM INT HUP
	WS=$T/ws OUTSIDE=$T/outside OUT=$T/.out ERR=$T/.err
	MARK=corral-escape-mark-$(rand) HOSTMARK=corral-escape-host-$(rand)
	SECRET=corral-escape-secret-$(rand)
	HOST_HOME=$HOME HOME_CANARY=$HOME/.corral-escape-canary-$(rand)
	ANTHROPIC_API_KEY=sk-ant-canary-$(rand) OPENAI_API_KEY=sk-canary-$(rand)
	GITHUB_TOKEN=ghp_canary$(rand) AWS_SECRET_ACCESS_KEY=aws-canary-$(rand)
	export ANTHROPIC_API_KEY OPENAI_API_KEY GITHUB_TOKEN AWS_SECRET_ACCESS_KEY

	mkdir -p "$WS" "$OUTSIDE" "$T/etc" || { echo "FAIL $name: cannot create $T"; return 1; }
	echo "$SECRET" >"$OUTSIDE/secret.txt"
	echo "root:x:0:0:$SECRET:/root:/bin/sh" >"$T/etc/passwd"
	echo "$SECRET" >"$HOME_CANARY" || { echo "FAIL $name: cannot write the canary in $HOME"; return 1; }
	chmod 600 "$OUTSIDE/secret.txt" "$HOME_CANARY"
	{
		git init -q "$WS" &&
			echo "a workspace" >"$WS/README" &&
			git -C "$WS" add README &&
			git -C "$WS" -c user.name=corral -c user.email=corral@example.invalid \
				-c commit.gpgsign=false commit -q -m init
	} >/dev/null 2>&1 || { echo "FAIL $name: cannot create the git workspace"; return 1; }
	cp "$PROBE" "$WS/probe" || { echo "FAIL $name: cannot copy the probe"; return 1; }
	PROBE=$WS/probe
	remember "$OUTSIDE" "$OUTSIDE/secret.txt" "$HOME_CANARY" "$T/etc" "$WS/.git/config" \
		"$WS/.git/HEAD"

	# shellcheck disable=SC1090
	. "$file"
	if ! declare -F attack >/dev/null || ! declare -F verify >/dev/null; then
		echo "FAIL $name: the case defines no attack or no verify"
		return 1
	fi
	if declare -F setup >/dev/null; then
		setup
	fi
	# A case that could not set up cannot pass: it still runs its checks,
	# which then fail, unless it was skipped.
	if [ -n "$SKIP_REASON" ]; then
		echo "skip $name: $SKIP_REASON"
		return 77
	fi
	[ -d "$WS/.git/hooks" ] && remember "$WS/.git/hooks"
	if declare -F run >/dev/null; then
		run
	else
		sandbox
	fi
	: >>"$OUT"
	: >>"$ERR"
	verify
	if [ -n "$SKIP_REASON" ]; then
		echo "skip $name: $SKIP_REASON"
		return 77
	fi

	# What holds for every case.
	[ "$CHECKS" -gt 0 ] || fail "the case ran no check"
	[ -n "$STATUS" ] || fail "corral never ran"
	check_unchanged "$OUTSIDE" "$OUTSIDE/secret.txt" "$HOME_CANARY" "$T/etc"
	if [ -z "${GIT_CHANGES_OK:-}" ]; then
		check_unchanged "$WS/.git/config" "$WS/.git/HEAD"
		[ -d "$WS/.git/hooks" ] && check_unchanged "$WS/.git/hooks"
	fi
	check_no_leak "$SECRET" "$ANTHROPIC_API_KEY" "$OPENAI_API_KEY" "$GITHUB_TOKEN" \
		"$AWS_SECRET_ACCESS_KEY"
	check_no_survivors "$MARK"

	if [ ${#FAILS[@]} -gt 0 ]; then
		echo "FAIL $name: ${FAILS[0]}"
		local f
		for f in "${FAILS[@]:1}"; do
			echo "    also: $f"
		done
		echo "    exit status $STATUS; stdout:"
		head -c 1500 "$OUT" | sed 's/^/    | /' | cut -c1-200
		echo "    stderr:"
		head -c 1000 "$ERR" | sed 's/^/    | /' | cut -c1-200
		return 1
	fi
	echo "ok   $name ($(($(now_ms) - start)) ms)"
	return 0
}

# ---------------------------------------------------------------------------
# The table for docs/escape.md
# ---------------------------------------------------------------------------

list_md() {
	local f
	echo "| case | attack | expected | host check | stopped by |"
	echo "|---|---|---|---|---|"
	for f in "$here"/cases/*.sh; do
		awk -v name="$(basename "$f" .sh)" '
			/^# what:/ { w = substr($0, 9) }
			/^# expect:/ { e = substr($0, 11) }
			/^# host-check:/ { h = substr($0, 15) }
			/^# layer:/ { l = substr($0, 10) }
			END { gsub(/\|/, "\\|", w); gsub(/\|/, "\\|", e); gsub(/\|/, "\\|", h)
			      printf "| `%s` | %s | %s | %s | %s |\n", name, w, e, h, l }' "$f"
	done
}

# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

if [ "${1:-}" = --list-md ]; then
	list_md
	exit 0
fi
if [ "${1:-}" = --one ]; then
	CORRAL=$2 PROBE=$3
	run_one "$4"
	exit $?
fi
if [ "${1:-}" = --require-root ]; then
	shift
	if [ "$(id -u)" != 0 ]; then
		echo "escape: skipped: not root (escape/unprivileged runs the suite as this user)"
		exit 77
	fi
fi
if [ $# -lt 2 ]; then
	echo "usage: run.sh [--require-root] CORRAL PROBE [CASE...]" >&2
	exit 2
fi
CORRAL=$(realpath "$1") PROBE=$(realpath "$2")
shift 2
[ -x "$CORRAL" ] || { echo "escape: corral binary $CORRAL missing" >&2; exit 2; }
[ -x "$PROBE" ] || { echo "escape: probe $PROBE missing" >&2; exit 2; }

files=()
if [ $# -gt 0 ]; then
	for c in "$@"; do
		c=${c%.sh}
		c=${c##*/}
		[ -f "$here/cases/$c.sh" ] || { echo "escape: no case $c" >&2; exit 2; }
		files+=("$here/cases/$c.sh")
	done
else
	files=("$here"/cases/*.sh)
fi
[ ${#files[@]} -gt 0 ] || { echo "escape: no cases in $here/cases" >&2; exit 2; }

passed=0 failed=0 skipped=0
suite_start=$(now_ms)
echo "escape: ${#files[@]} cases as $(id -un) (uid $(id -u)), corral $CORRAL"
for f in "${files[@]}"; do
	timeout -k 5 "$CASE_TIMEOUT" bash "$here/run.sh" --one "$CORRAL" "$PROBE" "$f" </dev/null
	rc=$?
	case $rc in
	0) passed=$((passed + 1)) ;;
	77) skipped=$((skipped + 1)) ;;
	124 | 137)
		echo "FAIL $(basename "$f" .sh): the case did not finish within ${CASE_TIMEOUT}s"
		failed=$((failed + 1))
		;;
	*) failed=$((failed + 1)) ;;
	esac
done
echo "escape: $(( ($(now_ms) - suite_start) / 1000 ))s as $(id -un) (uid $(id -u))"
echo "escape: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
