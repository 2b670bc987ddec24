# SPDX-License-Identifier: BSD-2-Clause
# Helpers of the ucchan-top VM tests (sourced). Environment from meson:
# UCCHAN_TOP (the tool), UCCHAN_PING (echo server/client of libucchan).
set -u
: "${UCCHAN_TOP:?}" "${UCCHAN_PING:?}"
T=$(mktemp -d /tmp/ucchan-top-test.XXXXXX)
PIDS=""

fail() {
	echo "FAIL: $*"
	exit 1
}

cleanup() {
	local p
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
}
trap cleanup EXIT

# wait_for FILE PATTERN: until PATTERN shows up in FILE (no time assertion:
# a generous bound only so that a broken tool ends the test).
wait_for() {
	local i
	for i in $(seq 600); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "--- $1:"; cat "$1"
	fail "'$2' never appeared in $1"
}

# serve NAME [ucchan-ping server options]
serve() {
	local name=$1
	shift
	"$UCCHAN_PING" --serve "$name" "$@" >"$T/serve-$name" 2>&1 &
	PIDS="$PIDS $!"
	wait_for "$T/serve-$name" "serving $name"
}

# top_start [ucchan-top options]: runs ucchan-top into $T/top.out/top.err
top_start() {
	"$UCCHAN_TOP" "$@" >"$T/top.out" 2>"$T/top.err" &
	TOP_PID=$!
	wait_for "$T/top.err" "tracing ucchan"
}

# top_stop: SIGINT, must exit 0 with a summary
top_stop() {
	local rc=0
	kill -INT "$TOP_PID"
	wait "$TOP_PID" || rc=$?
	[ "$rc" = 0 ] || { cat "$T/top.err"; fail "ucchan-top exited $rc on SIGINT"; }
}

ping_calls() {
	"$UCCHAN_PING" "$@" -q || fail "ucchan-ping $* failed"
}

# summary: the last JSON line (type summary)
summary() {
	tail -n 1 "$T/top.out" | jq -e 'select(.type == "summary")' \
		|| fail "no summary line: $(tail -n 3 "$T/top.out")"
}

# expect WHAT GOT WANT
expect() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
	echo "ok: $1 = $3"
}
