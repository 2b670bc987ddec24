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
finish
