# SPDX-License-Identifier: BSD-2-Clause
# Helpers of the ucchan VM checks (sourced). Needs UCCHAN_PING.
set -u
PING=${UCCHAN_PING:?UCCHAN_PING not set}
# shellcheck source=../lib/check.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
SERVERS=()
WORK=$(mktemp -d /tmp/ucchan-vm.XXXXXX)

# check, check_fails: tests/lib/check.sh (CMD's output goes to a file,
# shown on failure)

# serve NAME [ARGS...]: start an echo server, wait until it serves.
# Sets SRV_PID.
serve() {
	local name=$1 log=$WORK/$1.log i; shift
	"$PING" --serve "$name" "$@" >"$log" 2>&1 &
	SRV_PID=$!
	SERVERS+=("$SRV_PID")
	for i in $(seq 100); do
		grep -q '^serving' "$log" && return 0
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "server $name did not start:"; cat "$log"
	return 1
}

# unserve PID: SIGTERM, wait for a graceful exit (status 0)
unserve() {
	kill -TERM "$1" && wait "$1"
}

stat_col() {	# stat_col SERVICE COLUMN: the total line's column
	awk -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) n = i }
		$1 == "total" { print $n }' "/sys/kernel/debug/ucchan/$1/stats"
}

vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }

# pins_balanced: nr_foll_pin_acquired == _released. The counters are
# per-CPU deltas folded lazily: refresh them and retry for a while.
pins_balanced() {
	local i a r
	for i in $(seq 50); do
		echo 1 >/proc/sys/vm/stat_refresh 2>/dev/null
		a=$(vmstat nr_foll_pin_acquired); r=$(vmstat nr_foll_pin_released)
		[ "$a" = "$r" ] && break
		sleep 0.1
	done
	echo "foll_pin acquired $a released $r"
	[ "$a" = "$r" ]
}

finish() {
	local p
	for p in "${SERVERS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$WORK"
	tap_done
	exit $?
}
