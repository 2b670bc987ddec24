#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Two services at once, many clients on both CPUs, calls from a CPU with
# no worker (fallback), registered buffers from several clients.
. "$(dirname "$0")/vm-lib.sh"

serve svc-a --slots 2 --regbuf $((64 << 20)) || finish
a=$SRV_PID
serve svc-b --slots 1 || finish
b=$SRV_PID
pids=()
for cpu in 0 1; do
	for i in 1 2 3; do
		taskset -c $cpu "$PING" svc-a -c 50 -s 4097 --mapped --offset $i -q & pids+=($!)
		taskset -c $cpu "$PING" svc-b -c 50 -s 300 --inline -q & pids+=($!)
		taskset -c $cpu "$PING" svc-a -c 20 -s 8192 --registered --offset $i -q & pids+=($!)
	done
done
bad=0
for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
check "18 concurrent clients on 2 CPUs x 2 services all exact ($bad failed)" test $bad -eq 0
check "svc-a calls counted on CPU 0 and 1" test "$(awk '$1 == "0" || $1 == "1" { if ($2 > 0) n++ } END { print n }' /sys/kernel/debug/ucchan/svc-a/stats)" -eq 2
check "no fallback with workers everywhere" test "$(stat_col svc-a fallbacks)" -eq 0
check "stop svc-a" unserve $a
check "svc-b unaffected by svc-a's stop" "$PING" svc-b -c 5 -s 10
check "stop svc-b" unserve $b

serve cpu0-only --cpus 0 || finish
check "client on CPU 1, workers on CPU 0 only" taskset -c 1 "$PING" cpu0-only -c 10 -s 4097 --mapped --offset 1
check "fallback counted in debugfs" test "$(stat_col cpu0-only fallbacks)" -ge 10
cat /sys/kernel/debug/ucchan/cpu0-only/stats
check "stop cpu0-only" unserve "$SRV_PID"
finish
