#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A client killed while the server holds its call: one abort, no reply,
# counted on the client's CPU exactly as the module counts it.
. "$(dirname "$0")/lib.sh"

serve ut-slow --delay-ms 3000
top_start -j -i 1
stats=/sys/kernel/debug/ucchan/ut-slow/stats
taskset -c 1 "$UCCHAN_PING" ut-slow -c 1 -q & client=$!
# the call is issued once the module counted it
for i in $(seq 600); do
	[ "$(awk '$1 == "total" { print $2 }' "$stats")" = 1 ] && break
	sleep 0.1
done
kill -KILL "$client"
wait "$client" 2>/dev/null
for i in $(seq 600); do
	[ "$(awk '$1 == "total" { print $8 }' "$stats")" = 1 ] && break
	sleep 0.1
done
top_stop

S=$(summary)
svc() { jq -r ".services[] | select(.name == \"ut-slow\") | $1" <<<"$S"; }
expect "calls" "$(svc .total.calls)" 1
expect "aborts" "$(svc .total.aborts)" 1
expect "replies" "$(svc .total.replies)" 0
expect "aborts on CPU 1" "$(svc '.cpus[] | select(.cpu == 1) | .aborts')" 1
expect "debugfs aborts on CPU 1" \
	"$(awk '$1 == "1" { print $8 }' "$stats")" 1
exit 0
