#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# ucchan-top -j counts exactly what ran: a known number of inline and
# mapped calls (larger than the copy area, at an odd offset: bouncing),
# calls falling back to another CPU and calls waiting for a busy channel;
# every per-CPU number equals the module's own debugfs counters; the
# histogram holds every reply; the intervals add up to the summary.
. "$(dirname "$0")/lib.sh"

serve ut-a
serve ut-fb --cpus 0
serve ut-busy --slots 1 --delay-ms 5
top_start -j -i 1

ping_calls ut-a -c 100
ping_calls ut-a -c 20 -s 70000 --mapped --offset 100
taskset -c 1 "$UCCHAN_PING" ut-fb -c 25 -q || fail "fallback client"
taskset -c 0 "$UCCHAN_PING" ut-busy -c 20 -q & b1=$!
taskset -c 0 "$UCCHAN_PING" ut-busy -c 20 -q & b2=$!
wait $b1 || fail "busy client 1"
wait $b2 || fail "busy client 2"
top_stop

S=$(summary)
svc() { jq -r --arg n "$1" ".services[] | select(.name == \$n) | $2" <<<"$S"; }

expect "ut-a calls" "$(svc ut-a .total.calls)" 120
expect "ut-a replies" "$(svc ut-a .total.replies)" 120
expect "ut-a histogram total" "$(svc ut-a '[.total.hist[].count] | add')" 120
expect "ut-a bounces" "$(svc ut-a .total.bounces)" 20
expect "ut-a same-CPU calls" "$(svc ut-a .total.same_cpu)" 120
expect "ut-a errors+aborts" "$(svc ut-a '.total.errors + .total.aborts')" 0
expect "ut-fb calls" "$(svc ut-fb .total.calls)" 25
expect "ut-fb fallbacks on CPU 1" \
	"$(svc ut-fb '.cpus[] | select(.cpu == 1) | .fallbacks')" 25
expect "ut-fb same-CPU calls" "$(svc ut-fb .total.same_cpu)" 0
expect "ut-busy calls" "$(svc ut-busy .total.calls)" 40
expect "ut-busy histogram total" \
	"$(svc ut-busy '[.total.hist[].count] | add')" 40
[ "$(svc ut-a .total.latency_sum_ns)" -gt 0 ] || fail "no latency"

# Per CPU, the module's debugfs counters and ucchan-top agree exactly.
for s in ut-a ut-fb ut-busy; do
	want=$(awk 'NR > 1 && $1 != "total" && ($2 + $5 + $8) > 0 {
		print $1, $2, $3, $4, $5, $6, $7, $8 }' \
		"/sys/kernel/debug/ucchan/$s/stats")
	got=$(svc "$s" '.cpus[] | "\(.cpu) \(.calls) \(.same_cpu) \(.fallbacks) \(.busy_waits) \(.map_bytes) \(.bounced_bytes) \(.aborts)"')
	[ -n "$want" ] || fail "$s: empty debugfs stats"
	expect "$s per-CPU counters vs debugfs" "$got" "$want"
done
echo "ut-busy: $(svc ut-busy .total.busy_waits) busy waits"

# The intervals add up to the summary.
for f in calls replies bounced_bytes fallbacks busy_waits; do
	sum=$(jq -s "[.[] | select(.type == \"interval\") | .services[].total.$f] | add // 0" "$T/top.out")
	tot=$(jq ".services | map(.total.$f) | add // 0" <<<"$S")
	expect "sum of intervals' $f" "$sum" "$tot"
done
exit 0
