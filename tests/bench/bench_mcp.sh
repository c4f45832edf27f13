#!/bin/sh
# bench_mcp.sh - tool calls through `corral serve` against a bare fork+exec
# (bench_mcp.js), in a temporary workspace and state directory.
#
# usage: tests/bench/bench_mcp.sh [-n ROUNDS] CORRAL_BINARY
set -eu

ROUNDS=200
while getopts n:h opt; do
	case $opt in
	n) ROUNDS=$OPTARG ;;
	*) echo "usage: $0 [-n ROUNDS] CORRAL_BINARY" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: $0 [-n ROUNDS] CORRAL_BINARY" >&2; exit 2; }

CORRAL=$(realpath "$1")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir "$TMP/ws" "$TMP/state"
XDG_STATE_HOME=$TMP/state exec node "$(dirname "$0")/bench_mcp.js" -n "$ROUNDS" "$CORRAL" "$TMP/ws"
