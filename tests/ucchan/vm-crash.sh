#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Crashes: the server killed while a client waits inside a slow handler
# (client gets ESHUTDOWN or ECONNRESET at once, pins and module references
# all released);
# a client killed mid-call (server and other clients carry on).
. "$(dirname "$0")/vm-lib.sh"

refs() { cat /sys/module/ucchan/refcnt; }
base_refs=$(refs)
pins0=$(vmstat nr_foll_pin_acquired)

serve slow --delay-ms 60000 || finish
slow_pid=$SRV_PID
"$PING" slow -c 1 -s $((1 << 20)) --mapped --offset 3 >"$WORK/client.log" 2>&1 &
cpid=$!
sleep 2
check "client still waiting in the slow handler" kill -0 $cpid
t0=$(date +%s%N)
kill -KILL "$slow_pid"
# bounded wait; the handler would sleep for 60 s
for i in $(seq 100); do kill -0 $cpid 2>/dev/null || break; sleep 0.1; done
echo "client returned $((($(date +%s%N) - t0) / 1000000)) ms after SIGKILL of the server (polled every 100 ms; informational)"
if kill -0 $cpid 2>/dev/null; then
	fail "client returned within 10 s of the server's death"
	kill -KILL $cpid
fi
wait $cpid
rc=$?
cat "$WORK/client.log"
# the client prints the wall time of its failure: how long after the kill
t1=$(sed -n 's/.* at \([0-9]*\)\.\([0-9]*\)$/\1\2/p' "$WORK/client.log")
[ -n "$t1" ] && echo "client's call failed $(((t1 - t0) / 1000000)) ms after SIGKILL of the server (informational)"
# the worker's file and the service file close in the dying server's
# exit, in either order: the call ends with ECONNRESET (worker gone) or
# ESHUTDOWN (service gone); both are immediate, clean errors
check "client failed with ESHUTDOWN or ECONNRESET" test $rc -ne 0 -a -n "$(grep -i -e 'after transport endpoint shutdown' -e 'connection reset by peer' "$WORK/client.log")"
check_fails "a new call to the dead service fails" "$PING" slow -c 1 -q
wait "$slow_pid" 2>/dev/null
sleep 0.5
if [ -n "$pins0" ]; then
	check "every pinned page released" pins_balanced
	check "pages were pinned by the call" test "$(vmstat nr_foll_pin_acquired)" -gt "$pins0"
else
	echo "# /proc/vmstat has no nr_foll_pin_*: pin check not possible"
fi
check "module refcount back to baseline ($base_refs)" test "$(refs)" -eq "$base_refs"

# client killed mid-call
serve slow2 --delay-ms 3000 --slots 2 || finish
s2=$SRV_PID
"$PING" slow2 -c 1 -s 4097 --mapped >/dev/null 2>&1 &
victim=$!
sleep 1
kill -KILL $victim
wait $victim 2>/dev/null
check "other client served after a client was killed" "$PING" slow2 -c 2 -s 100
check "server still alive" kill -0 "$s2"
check "graceful stop after client crash" unserve "$s2"
check "module refcount back to baseline after all" test "$(refs)" -eq "$base_refs"
finish
