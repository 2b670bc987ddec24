#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A libucchan worker whose WORKER_WAIT fails with an unexpected error
# (-EINVAL, injected with the library's test hook UCCHAN_TEST_BAD_WAIT=CPU:
# that CPU's worker sends its first reply with an unknown flag) must not
# leave its CPU looking served: it is logged, the call it held fails
# cleanly instead of waiting for ever, and later calls from that CPU are
# served (the worker binds again; meanwhile the kernel falls back to
# other CPUs' workers). Its first 3 attempts to bind again fail as if
# memory were short (UCCHAN_TEST_BAD_WAIT=CPU:3): transient, so it keeps
# trying (giving up would leave the service without workers, and callers
# waiting for ever: seen under fault injection on the debug kernel).
# Then a service with one worker only, whose binds fail with -EFAULT: the
# last worker keeps binding again whatever the error.
. "$(dirname "$0")/vm-lib.sh"

cpu=$(($(nproc) - 1))
export UCCHAN_TEST_BAD_WAIT=$cpu:3
serve badwait || finish
unset UCCHAN_TEST_BAD_WAIT
log=$WORK/badwait.log

# The call whose reply was refused: an error, not a hang (the bound only
# keeps a broken library from stalling the test).
timeout 60 taskset -c "$cpu" "$PING" badwait -c 1 >"$WORK/first.log" 2>&1
rc=$?
cat "$WORK/first.log"
check "the held call did not hang" test $rc -ne 124
check "the held call failed with ECONNRESET" grep -qi "connection reset" "$WORK/first.log"
check "the failed WAIT is logged" grep -q "CPU $cpu slot 0: WORKER_WAIT failed: Invalid argument" "$log"
# later calls from that CPU are served
check "calls from CPU $cpu are served again" timeout 60 taskset -c "$cpu" "$PING" badwait -c 200 -q
check "the worker bound again" grep -q "CPU $cpu slot 0 bound again" "$log"
check "a bind that failed for want of memory was retried" \
	grep -q "CPU $cpu slot 0: binding again: Cannot allocate memory; retrying" "$log"
check "calls from CPU 0 are served" timeout 60 taskset -c 0 "$PING" badwait -c 50 -q
check "the server still runs" kill -0 "$SRV_PID"
sed 's/^/#   /' "$log"
check "the server stops cleanly" unserve "$SRV_PID"

# The service's only worker (one CPU, one slot) fails its WAIT, and its
# next 5 attempts to bind again fail with an error that is not for want
# of memory (-EFAULT): the last worker does not give up (a service with
# no worker left keeps its callers waiting for ever), it binds again.
export UCCHAN_TEST_BAD_WAIT=$cpu:5:14
serve lastone --cpus "$cpu" --slots 1 || finish
unset UCCHAN_TEST_BAD_WAIT
log=$WORK/lastone.log
timeout 60 taskset -c "$cpu" "$PING" lastone -c 1 >/dev/null 2>&1
check "last worker: the held call did not hang" test $? -ne 124
check "last worker: calls are served again (it did not give up)" \
	timeout 60 taskset -c 0 "$PING" lastone -c 20 -q
check "last worker: it said it does not give up" \
	grep -q "binding again: Bad address; retrying (the service's last worker" "$log"
check "last worker: never 'stays unbound'" sh -c '! grep -q "stays unbound" "$1"' _ "$log"
sed 's/^/#   /' "$log"
check "last worker: the server stops cleanly" unserve "$SRV_PID"
finish
