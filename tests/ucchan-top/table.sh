#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The table output with histograms, and -c: ucchan-top stops by itself after
# N intervals. No timing assumption: the calls are counted in a run stopped
# with SIGINT once the client is done; -c is checked in a run of its own.
. "$(dirname "$0")/lib.sh"

serve ut-tab
top_start -i 1 -H
ping_calls ut-tab -c 50
top_stop
cat "$T/top.out"
grep -q '^SERVICE  *CPU  *CALLS/s' "$T/top.out" || fail "no table header"
expect "summaries printed" "$(grep -c ' summary of ' "$T/top.out")" 1
# the summary's per-CPU rows: 50 calls (CALLS column) in total; the client
# is not pinned, so the calls may come from both CPUs, and then an "all"
# row (their sum) follows
n=$(sed -n '/summary of/,$p' "$T/top.out" | awk '$1 == "ut-tab" && $2 != "all" { n += $4 } END { print n + 0 }')
expect "calls in the summary" "$n" 50
all=$(sed -n '/summary of/,$p' "$T/top.out" | awk '$1 == "ut-tab" && $2 == "all" { print $4 }')
[ -z "$all" ] || expect "calls in the summary's all row" "$all" 50
grep -q 'ut-tab: latency (issue -> reply)' "$T/top.out" || fail "no histogram"

# -c 2: two intervals and a summary, then it exits 0 by itself.
"$UCCHAN_TOP" -i 1 -c 2 >"$T/c.out" 2>"$T/c.err" || fail "ucchan-top -c 2 exited $?"
expect "intervals printed with -c 2" "$(grep -c ' interval ' "$T/c.out")" 2
expect "summaries printed with -c 2" "$(grep -c ' summary of ' "$T/c.out")" 1
exit 0
