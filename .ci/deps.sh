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
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
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
