#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# ~60 s of mixed calls, connects, disconnects, client kills and server
# restarts on both CPUs. Passes if no client sees a wrong byte (errors
# while a server restarts are expected), the kernel log stays clean (the
# runner checks) and everything is released at the end.
. "$(dirname "$0")/vm-lib.sh"

DUR=${UCCHAN_STRESS_SECS:-60}
end=$((SECONDS + DUR))
refs0=$(cat /sys/module/ucchan/refcnt)
client_loop() {	# cpu: calls until the end; mismatches go to $WORK/bad
	local cpu=$1 n=0 sizes=(0 1 4097 65536 1048576) rc
	while [ $SECONDS -lt $end ]; do
		s=${sizes[$((RANDOM % 5))]}
		m=$( [ $((RANDOM % 3)) -eq 0 ] && echo --registered || echo --mapped)
		log=$WORK/c$cpu.$BASHPID.$n
		taskset -c $cpu "$PING" stress -c $((RANDOM % 20 + 1)) -s $s $m --offset $((RANDOM % 4096)) -q >"$log" 2>&1 &
		if [ $((RANDOM % 4)) -eq 0 ]; then	# kill it mid-call
			sleep 0.$((RANDOM % 3))$((RANDOM % 10))
			kill -KILL $! 2>/dev/null
		fi
		wait $! 2>/dev/null
		rc=$?
		if [ $rc -ne 0 ] && grep -q -e mismatch -e changed "$log"; then
			cat "$log" >>"$WORK/bad"
		fi
		rm -f "$log"
		n=$((n + 1))
	done
	echo "client loop on CPU $cpu: $n runs"
}
for cpu in 0 1 0 1; do client_loop $cpu & done
restarts=0
while [ $SECONDS -lt $end ]; do
	serve stress --regbuf $((16 << 20)) --slots $((RANDOM % 2 + 1)) || break
	sleep $((RANDOM % 5 + 2))
	if [ $((RANDOM % 2)) -eq 0 ]; then kill -KILL "$SRV_PID"; wait "$SRV_PID" 2>/dev/null
	else unserve "$SRV_PID" || fail "graceful stop under load"; fi
	restarts=$((restarts + 1))
done
wait
echo "server restarts: $restarts"
check "no byte mismatch under stress" test ! -s "$WORK/bad"
[ -s "$WORK/bad" ] && head -20 "$WORK/bad"
sleep 1
check "module refcount back to baseline" test "$(cat /sys/module/ucchan/refcnt)" -eq "$refs0"
[ -n "$(vmstat nr_foll_pin_acquired)" ] && check "pins balanced after stress" pins_balanced
finish
