#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# dbench (the NetBSD/Samba client load, /usr/share/dbench/client.txt) for a
# bounded time (5 s, ZMFS_LONG=1: 15 s) with 2 clients on zusd + memfs: no
# operation may fail.
. "$(dirname "$0")/lib.sh"

# Failed operations ("ERROR", "failed"), not dbench's own set-up: it
# prints "failed to create barrier semaphore" in the VM (its SysV
# semaphore set-up fails there) and runs without the start barrier.
dbench_errors() { grep -i "error\|failed" /tmp/dbench.out | grep -v "barrier semaphore"; }

setup
loadfile=/usr/share/dbench/client.txt
[ -r "$loadfile" ] || { echo "SKIP: no $loadfile"; exit 77; }
secs=5
[ -z "$ZMFS_LONG" ] || secs=15
if timeout 300 dbench -D "$MNT" -c "$loadfile" -t "$secs" 2 >/tmp/dbench.out 2>&1 &&
	grep -q "^Throughput" /tmp/dbench.out &&
	! dbench_errors >/dev/null; then
	grep "^Throughput" /tmp/dbench.out | sed 's/^/#   /'
	pass "dbench -t $secs 2"
else
	fail "dbench"
	dbench_errors | head -20 | sed 's/^/#   /'
	tail -20 /tmp/dbench.out | sed 's/^/#   /'
fi
check "dbench cleaned up" sh -c "[ -z \"\$(find $MNT/clients -type f 2>/dev/null | head -1)\" ]"
finish
