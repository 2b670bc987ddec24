#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# ucchan-top while zufs traffic flows (zuf.ko's in-kernel connection to
# zusd + memfs): the zusd service shows up with calls; ucchan-top's per-CPU
# counts equal the module's debugfs counters for that service; the JSON
# intervals add up to the summary. The table output of a second run is
# saved to $ZMFS_OUT/ucchan-top-zufs.txt (for docs/ucchan-top.md).
. "$(dirname "$0")/lib.sh"

: "${UCCHAN_TOP:?}"
setup
T=$(mktemp -d /tmp/zmfs-top.XXXXXX)

workload() {	# some of everything: creates, writes, reads, stats, readdir
	local d=$MNT/$1 i
	mkdir "$d"
	for i in $(seq 1 100); do
		echo "$i" > "$d/f$i"
	done
	head -c 8M /dev/urandom > "$d/big"
	cat "$d/big" >/dev/null
	ls -l "$d" >/dev/null
	cat "$d"/f* >/dev/null
	rm -rf "$d"
}

stats=/sys/kernel/debug/ucchan/$SVC/stats
# quiesce: until the service's debugfs counters stop moving. zuf sends
# FORGETs from a work item after inodes are evicted (rm -rf), so calls go
# on for a moment after the workload returns.
quiesce() {
	local a b
	sync
	for _ in $(seq 1 60); do
		a=$(cat "$stats" 2>/dev/null)
		sleep 1
		b=$(cat "$stats" 2>/dev/null)
		[ "$a" = "$b" ] && return 0
	done
	return 1
}

top_run() {	# top_run OUT ARGS...: ucchan-top in the background until ready
	local out=$1 i
	shift
	"$UCCHAN_TOP" "$@" >"$T/$out" 2>"$T/$out.err" &
	TOP_PID=$!
	for i in $(seq 600); do
		grep -q "tracing ucchan" "$T/$out.err" && return 0
		sleep 0.1
	done
	cat "$T/$out.err"
	return 1
}

# debugfs counts from the service's creation (the mount's INIT was before
# ucchan-top started): compare ucchan-top with the difference.
cat "$stats" >"$T/stats.before" 2>/dev/null
check "ucchan-top -j starts" top_run top.json -j -i 1 -s "$SVC"
check "workload" workload a
check "calls stop after the workload" quiesce
top_stop() { kill -INT "$TOP_PID" && wait "$TOP_PID"; }
check "ucchan-top exits 0 on SIGINT" top_stop
S=$(jq -c 'select(.type == "summary")' "$T/top.json")
echo "summary: $(jq -c '.services[] | {name, calls: .total.calls, replies: .total.replies, same_cpu: .total.same_cpu, errors: .total.errors, aborts: .total.aborts, bounced: .total.bounced_bytes, mapped: .total.map_bytes}' <<<"$S")"
calls=$(jq -r --arg n "$SVC" '.services[] | select(.name == $n) | .total.calls' <<<"$S")
replies=$(jq -r --arg n "$SVC" '.services[] | select(.name == $n) | .total.replies' <<<"$S")
check "zusd's service has calls (>= 300: 100 creates + writes + reads)" test "${calls:-0}" -ge 300
check "every call was replied" test "${calls:-0}" = "${replies:-x}"
check "only zusd's service shown (-s)" test "$(jq '.services | length' <<<"$S")" = 1
check "mapped bytes >= the 8 MiB written and read (zero copy)" \
	test "$(jq -r '.services[0].total.map_bytes' <<<"$S")" -ge $((16 << 20))
for f in calls replies; do
	sum=$(jq -s "[.[] | select(.type == \"interval\") | .services[].total.$f] | add // 0" "$T/top.json")
	check "sum of intervals' $f = summary" test "$sum" = "$(jq ".services | map(.total.$f) | add // 0" <<<"$S")"
done
if [ -r "$stats" ]; then
	want=$(awk 'FNR == 1 || $1 == "total" { next }
		NR == FNR { for (f = 2; f <= 8; f++) b[$1, f] = $f; next }
		{ for (f = 2; f <= 8; f++) $f -= b[$1, f] }
		($2 + $5 + $8) > 0 { print $1, $2, $3, $4, $5, $6, $7, $8 }' \
		"$T/stats.before" "$stats")
	got=$(jq -r '.services[0].cpus[] | "\(.cpu) \(.calls) \(.same_cpu) \(.fallbacks) \(.busy_waits) \(.map_bytes) \(.bounced_bytes) \(.aborts)"' <<<"$S")
	check "per-CPU counters equal debugfs (difference over the run)" test "$got" = "$want"
	[ "$got" = "$want" ] || printf 'ucchan-top:\n%s\ndebugfs:\n%s\n' "$got" "$want"
else
	skip "per-CPU counters vs debugfs" "no $stats"
fi

# The table, for the documentation: two workloads in parallel, ucchan-top
# for as long as they run (a slow kernel takes seconds before the first
# call: a fixed count of intervals could see none), then stopped.
check "ucchan-top table starts" top_run top.txt -i 1
workload b & w1=$!
workload c & w2=$!
check "parallel workloads" wait "$w1" "$w2"
check "ucchan-top (table) exits 0 on SIGINT" top_stop
check "ucchan-top -c 1 starts" top_run count.txt -i 1 -c 1
check "ucchan-top -c 1 stops by itself" wait "$TOP_PID"
echo "--- ucchan-top -i 1 -c 4 during zufs traffic:"
cat "$T/top.txt"
check "the table shows zusd's service" grep -q "^$SVC" "$T/top.txt"
if [ -n "${ZMFS_OUT:-}" ] && [ -d "$ZMFS_OUT" ]; then
	{ echo "# service $SVC, $(uname -r)"; cat "$T/top.txt"; } > "$ZMFS_OUT/ucchan-top-zufs.txt"
fi
rm -rf "$T"
finish
