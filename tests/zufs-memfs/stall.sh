#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# zusd stalls (SIGSTOP) with dirty shared-mmap pages in the page cache,
# under memory pressure, and `sync` runs: the kernel threads that write
# those pages back (the flusher, reclaim) wait at most zuf's
# kthread_timeout (10 s) even though the mount has timeout=0, so
#   - the VM keeps working (other commands run);
#   - no task hangs (the runner fails the test on a hung-task report:
#     sync(2) waits uninterruptibly for the flusher, 20 s is the limit);
#   - sync returns while zusd is still stopped (the mount is then dead:
#     the writeback that timed out may still be performed by the server);
#   - after SIGCONT the mapping's owner exits, the mount unmounts and
#     zusd stops cleanly.
# Memory pressure: a hog in a cgroup v2 whose memory.max also holds the
# dirty pages, so that reclaim wants them (and the OOM killer only ever
# sees the hog, oom_score_adj 1000). The dirty ratios and the expiry are
# raised for the test so that nothing but sync and reclaim writes the
# pages back before the test wants them written.
. "$(dirname "$0")/lib.sh"

need_zusd
mult=${ZUFS_TIMEOUT_MULTIPLIER:-1}
bound=$((60 * mult))	# seconds; a kernel thread waits 10
CG=
SIZE_MB=32

SYSCTLS="dirty_background_ratio dirty_ratio dirty_expire_centisecs"
declare -A saved
for k in $SYSCTLS; do
	saved[$k]=$(cat "/proc/sys/vm/$k")
done

stall_cleanup() {
	for k in $SYSCTLS; do
		echo "${saved[$k]}" >"/proc/sys/vm/$k"
	done
	[ -n "${ZUSD_PID:-}" ] && kill -CONT "$ZUSD_PID" 2>/dev/null
	[ -n "${HOLDER:-}" ] && kill -KILL "$HOLDER" 2>/dev/null
	[ -n "${HOG:-}" ] && kill -KILL "$HOG" 2>/dev/null
	[ -n "${SYNC:-}" ] && wait "$SYNC" 2>/dev/null
	[ -n "$CG" ] && rmdir "$CG" 2>/dev/null
	cleanup
}
trap stall_cleanup EXIT

# a cgroup v2 with the memory controller
if ! grep -q ' /sys/fs/cgroup cgroup2 ' /proc/mounts; then
	mount -t cgroup2 none /sys/fs/cgroup || { echo "FAIL: no cgroup2"; exit 1; }
fi
if ! grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
	echo "SKIP: no memory controller in cgroup2"
	exit 77
fi
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
CG=/sys/fs/cgroup/zmfs-stall-$$
mkdir "$CG"
echo $(((SIZE_MB + 256) << 20)) >"$CG/memory.max"

echo 80 >/proc/sys/vm/dirty_background_ratio
echo 90 >/proc/sys/vm/dirty_ratio
echo 360000 >/proc/sys/vm/dirty_expire_centisecs

setup

# the mapping's owner, in the cgroup: reads every page in, dirties them
# all at once (writeback starts soon after), then waits
sh -c "echo \$\$ > $CG/cgroup.procs && exec python3 - $MNT/big $SIZE_MB" \
	>/tmp/zmfs-holder.out 2>&1 <<'PY' &
import mmap, os, signal, sys
path, mb = sys.argv[1], int(sys.argv[2])
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
os.ftruncate(fd, mb << 20)
m = mmap.mmap(fd, mb << 20, mmap.MAP_SHARED)
for off in range(0, mb << 20, 4096):     # read in (one READ a page): slow
    _ = m[off]
for off in range(0, mb << 20, 4096):     # dirty: no server call, fast
    m[off] = 0x5a
print("ready", flush=True)
signal.sigwait([signal.SIGUSR1])
m.close()
try:
    os.close(fd)        # the last close writes back (EIO on a dead mount)
except OSError as e:
    print("close:", e)
print("closed", flush=True)
PY
HOLDER=$!
for _ in $(seq 1 $((150 * mult))); do
	grep -q ready /tmp/zmfs-holder.out && break
	kill -0 "$HOLDER" 2>/dev/null || break
	sleep 0.2
done
check "holder dirtied $SIZE_MB MiB of shared mapping" grep -q ready /tmp/zmfs-holder.out
dirty_kb=$(awk '/^Dirty:/ { print $2 }' /proc/meminfo)
echo "Dirty: $dirty_kb kB; cgroup memory.current $(cat "$CG/memory.current")"
check "many pages are dirty ($dirty_kb kB)" test "$dirty_kb" -ge $(((SIZE_MB / 8) << 10))

kill -STOP "$ZUSD_PID"
sync &
SYNC=$!
# the hog: more than the cgroup allows, so reclaim wants the dirty pages
sh -c "echo \$\$ > $CG/cgroup.procs && echo 1000 > /proc/self/oom_score_adj && exec python3 -c '
import time
b = bytearray(512 << 20)
for i in range(0, len(b), 4096):
    b[i] = 1
time.sleep(5)'" >/tmp/zmfs-hog.out 2>&1 &
HOG=$!

check "other commands run while zusd is stopped" \
	sh -c 'ls / >/dev/null && echo alive > /tmp/zmfs-alive && [ "$(cat /tmp/zmfs-alive)" = alive ]'
check "a new process starts" python3 -c 'print("up")'
sleep 3
check "still, a few seconds later" sh -c 'cat /proc/meminfo >/dev/null'

timeout "$bound" tail --pid="$SYNC" -f /dev/null
if kill -0 "$SYNC" 2>/dev/null; then
	check "sync returned while zusd was stopped (bound ${bound} s)" false
else
	check "sync returned while zusd was stopped (bound ${bound} s)" true
fi
timeout "$bound" tail --pid="$HOG" -f /dev/null
kill -KILL "$HOG" 2>/dev/null
wait "$HOG" 2>/dev/null
HOG=
check "the hog is gone" true
fails_eio() { ! "$@" 2>/tmp/zmfs-eio.err && grep -q "Input/output error" /tmp/zmfs-eio.err; }
check "the mount is dead after the writeback timeout (EIO)" fails_eio stat "$MNT/big"

kill -CONT "$ZUSD_PID"
timeout "$bound" tail --pid="$SYNC" -f /dev/null
check "sync completed" sh -c "! kill -0 $SYNC 2>/dev/null"
wait "$SYNC" 2>/dev/null
SYNC=
kill -USR1 "$HOLDER"
timeout "$bound" tail --pid="$HOLDER" -f /dev/null
check "holder closed its mapping and file" grep -q closed /tmp/zmfs-holder.out
sed 's/^/    holder: /' /tmp/zmfs-holder.out
wait "$HOLDER" 2>/dev/null
HOLDER=
check "umount" timeout "$bound" umount "$MNT"
rmdir "$MNT"
MNT=
check "zusd exits on SIGTERM once unmounted" stop_zusd TERM
rmdir "$CG" 2>/dev/null
CG=
for k in $SYSCTLS; do
	echo "${saved[$k]}" >"/proc/sys/vm/$k"
done
trap - EXIT
finish
