#!/usr/bin/env bash
# deps.sh [--check] - install the Debian 12 packages corral needs to build and
# test. As root it runs apt-get; otherwise it prints the exact command to run.
# With --check it only reports what is missing (exit 1 if anything is).
set -euo pipefail

packages=(
	gcc make cmake pkg-config            # toolchain
	libseccomp-dev libcjson-dev liblua5.4-dev libgit2-dev libcurl4-openssl-dev
	check                                # unit tests
	python3 python3-jsonschema           # policy schema test
	clang                                # libFuzzer targets
	passwd util-linux procps iproute2    # tests: useradd, runuser/setpriv, ps, ip
	bubblewrap                           # benchmark baseline
	nodejs                               # MCP tests with real clients (tests/mcp)
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

# The MCP clients the tests drive, pinned by tests/mcp/package-lock.json.
mcp_dir="$(dirname "$0")/../tests/mcp"
mcp_clients() {
	if [ -f "$mcp_dir/node_modules/.package-lock.json" ] &&
		[ ! "$mcp_dir/package-lock.json" -nt "$mcp_dir/node_modules/.package-lock.json" ]; then
		return 0
	fi
	if [ "${1:-}" = "--check" ]; then
		echo "the MCP test clients are not installed: run ./.ci/deps.sh"
		return 1
	fi
	# Debian's nodejs leaves npm to its own package; NodeSource's bundles
	# it (and conflicts with Debian's npm), so ask for npm only if missing.
	if ! command -v npm >/dev/null; then
		if [ "$(id -u)" != 0 ]; then
			echo "corral's MCP tests need npm: sudo apt-get install -y npm" >&2
			return 1
		fi
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm
	fi
	echo "installing the MCP test clients (npm ci in tests/mcp)"
	(cd "$mcp_dir" && npm ci --no-audit --no-fund --loglevel=error)
}

if [ ${#missing[@]} -eq 0 ]; then
	mcp_clients "${1:-}"
	exit $?
fi
if [ "${1:-}" = "--check" ]; then
	echo "missing packages: ${missing[*]}"
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "corral needs these Debian packages: ${missing[*]}" >&2
	echo "install them with:" >&2
	echo "  sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
mcp_clients
