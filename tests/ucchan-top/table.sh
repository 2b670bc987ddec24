#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The table output, and -c: ucchan-top stops by itself after N intervals.
. "$(dirname "$0")/lib.sh"

serve ut-tab
"$UCCHAN_TOP" -i 1 -c 3 -H >"$T/top.out" 2>"$T/top.err" &
TOP_PID=$!
wait_for "$T/top.err" "tracing ucchan"
ping_calls ut-tab -c 50
wait "$TOP_PID" || fail "ucchan-top -c 3 exited $?"
cat "$T/top.out"
expect "intervals printed" "$(grep -c ' interval ' "$T/top.out")" 3
expect "summaries printed" "$(grep -c ' summary of ' "$T/top.out")" 1
grep -q '^SERVICE  *CPU  *CALLS/s' "$T/top.out" || fail "no table header"
# the summary's row: 50 calls (CALLS column) in total
sed -n '/summary of/,$p' "$T/top.out" | awk '$1 == "ut-tab" { n += $4 } END { exit n != 50 }' \
	|| fail "summary rows do not add up to 50 calls"
grep -q 'ut-tab: latency (issue -> reply)' "$T/top.out" || fail "no histogram"
exit 0
