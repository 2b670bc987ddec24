#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# pmemfs over zufs, in the VM: zusd is killed (SIGKILL) in the middle of a
# write-heavy workload, PMEMFS_KILLS times (default 5; the long form is 20
# or more) at random moments, and restarted with --reattach each time:
#   - the workload gets errors (EIO), never hangs; the mount is not
#     unmounted: the restarted zusd re-attaches it (zufs protocol 1.3);
#   - everything fsync'd before each kill is there, with its bytes;
#   - a process holding files open across all the restarts (one of them
#     unlinked) reads and writes them afterwards;
#   - after umount, fsck.pmemfs is clean, and an ordinary mount shows the
#     same files.
# Environment: as persist.sh (tests/zufs-memfs/lib.sh + FSCK_PMEMFS).
# shellcheck shell=bash
export ZMFS_PLUGIN=pmemfs
# shellcheck source=../zufs-memfs/lib.sh
. "$ZMFS_DIR/lib.sh"

KILLS=${PMEMFS_KILLS:-5}
DONE=/tmp/pmemfs-done.log	# outside the mount: what was fsync'd
: >"$DONE"

# workload N: write files, fsync each, log it only once fsync returned
workload() {
	local n=$1 i=0
	mkdir -p "$MNT/w$n" || exit 3
	while :; do
		head -c $((4096 + i * 37 % 20000)) /dev/urandom >"/tmp/pm-$n" ||
			exit 2
		cp "/tmp/pm-$n" "$MNT/w$n/f$i" 2>/dev/null || exit 3
		sync "$MNT/w$n/f$i" 2>/dev/null || exit 3
		echo "w$n/f$i $(sha256sum <"/tmp/pm-$n" | cut -c1-64)" >>"$DONE"
		i=$((i + 1))
	done
}

verify_done() {	# every fsync'd file is there with its bytes
	local name sum bad=0
	while read -r name sum; do
		if [ "$(sha256sum <"$MNT/$name" 2>/dev/null | cut -c1-64)" != "$sum" ]; then
			echo "lost or wrong: $name"
			bad=$((bad + 1))
		fi
	done <"$DONE"
	echo "$(wc -l <"$DONE") fsync'd files checked, $bad bad"
	[ "$bad" = 0 ]
}

wait_reattached() {
	local k
	for k in $(seq 1 120); do
		grep -q -- "--reattach: 1 mount(s)" "$ZUSD_LOG" && return 0
		grep -q -- "--reattach: 0 mount(s)" "$ZUSD_LOG" && break
		sleep 0.5
	done
	sed 's/^/    zusd: /' "$ZUSD_LOG" | tail -5
	return 1
}

setup
svc=$SVC
# files held open across every restart: one named, one unlinked
python3 - "$MNT" >/tmp/pm-holder.out 2>&1 <<'PY' &
import os, signal, sys
d = sys.argv[1]
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
a = os.open(d + "/held", os.O_CREAT | os.O_RDWR, 0o644)
b = os.open(d + "/unlinked", os.O_CREAT | os.O_RDWR, 0o644)
os.pwrite(a, b"A" * 5000, 0)
os.pwrite(b, b"B" * 5000, 0)
os.fsync(a)
os.unlink(d + "/unlinked")
print("ready", flush=True)
signal.sigwait([signal.SIGUSR1])
for fd, c in ((a, b"A"), (b, b"B")):
    ok = os.pread(fd, 5000, 0) == c * 5000
    os.pwrite(fd, c.lower() * 10, 5000)
    ok = ok and os.pread(fd, 5010, 0) == c * 5000 + c.lower() * 10
    print("fd", fd, "ok" if ok else "wrong bytes", flush=True)
PY
holder=$!
for _ in $(seq 1 100); do
	grep -q ready /tmp/pm-holder.out && break
	sleep 0.2
done
check "holder ready (a file open, one open and unlinked)" grep -q ready /tmp/pm-holder.out

for k in $(seq 1 "$KILLS"); do
	workload "$k" 2>/dev/null &
	w1=$!
	workload "$k-b" 2>/dev/null &
	w2=$!
	sleep "$((1 + RANDOM % 3)).$((RANDOM % 10))"
	kill -KILL "$ZUSD_PID"
	wait "$ZUSD_PID" 2>/dev/null
	ZUSD_PID=
	rc1=0 rc2=0
	timeout 60 tail --pid="$w1" -f /dev/null
	timeout 60 tail --pid="$w2" -f /dev/null
	wait "$w1" || rc1=$?
	wait "$w2" || rc2=$?
	check "[$k] the workload failed with the server (exits $rc1 $rc2)" \
		test "$rc1" = 3 -a "$rc2" = 3
	rm -f "/tmp/zusd-$svc.log"	# wait_reattached reads this run's log
	start_zusd "$svc" --reattach
	check "[$k] zusd --reattach re-attached the mount" wait_reattached
	check "[$k] everything fsync'd so far is there" verify_done
done

kill -USR1 "$holder"
timeout 60 tail --pid="$holder" -f /dev/null
wait "$holder"
sed 's/^/    holder: /' /tmp/pm-holder.out
check "the open file works after $KILLS restarts" \
	test "$(grep -c 'ok$' /tmp/pm-holder.out)" = 2
check "umount" umount_memfs
check "zusd exits" stop_zusd TERM
check "fsck.pmemfs clean after the kills" "$FSCK_PMEMFS" -n "$ZMFS_MEDIA"
setup
check "an ordinary mount: everything fsync'd is there" verify_done
check "... and the unlinked file is gone" test ! -e "$MNT/unlinked"
finish
