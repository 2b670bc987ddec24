#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Guest side of scripts/demo: runs as root in the VM with the modules loaded
# (ucchan, zuf), /dev/pmem0 and fuse available. $ZUFS_BUILD_DIR is the build
# dir (read-write), $ZUFS_SRC the source tree.
#
# The main job: make a pmemfs on the VM's device DAX (/dev/dax0.0), start
# zusd with the pmemfs plugin, mount it over zufs, run a workload on it (a
# real source tree copied in and compared, a SQLite database, fio with
# verification), show pmemfs-stat and what the channel did (ucchan-top and
# the module's counters); kill zusd with SIGKILL and let a new one
# re-attach the mount (no remount); unmount, fsck, restart zusd, mount
# again and show the data is still there; then the same channel serving SQL
# (sqlproxy).
# Any failing step fails the demo.
set -euo pipefail
B=$ZUFS_BUILD_DIR
ZUSD=$B/lib/libzus/zusd
PMEMFS=$B/services/pmemfs/plugin/pmemfs.so
MKFS=$B/services/pmemfs/tools/mkfs.pmemfs
FSCK=$B/services/pmemfs/tools/fsck.pmemfs
PSTAT=$B/services/pmemfs/tools/pmemfs-stat
DAX=/dev/dax0.0
TOP=$B/tools/ucchan-top/ucchan-top
MNT=/tmp/zufs
ZPID=
TPID=
SPID=

step() {
	echo
	echo "==== $*"
}

cleanup() {
	set +e
	[ -z "$TPID" ] || kill -INT "$TPID" 2>/dev/null
	mountpoint -q "$MNT" && umount "$MNT"
	[ -z "$ZPID" ] || { kill -TERM "$ZPID"; wait "$ZPID"; }
	[ -z "$SPID" ] || { kill -TERM "$SPID"; wait "$SPID"; }
}
trap cleanup EXIT

step "kernel and modules"
uname -r
lsmod | grep -E '^(Module|ucchan|zuf|nd_pmem|fuse) ' || true
grep -w zufs /proc/filesystems
ls -l /dev/ucchan $DAX

step "ucchan: echo round trips through a worker on the caller's CPU"
"$B/lib/libucchan/ucchan-ping" --serve demo-echo --mode 0666 &
EPID=$!
for _ in $(seq 50); do
	[ -e /sys/kernel/debug/ucchan ] && grep -q demo-echo /sys/kernel/debug/ucchan/services 2>/dev/null && break
	sleep 0.2
done
"$B/lib/libucchan/ucchan-ping" demo-echo -c 200 -s 4096 --mapped
"$B/lib/libucchan/ucchan-ping" demo-echo -c 200 -s 1048576 --offset 7 --mapped
kill -TERM "$EPID"
wait "$EPID" || true

start_zusd() {	# start_zusd [OPTIONS]: zusd with pmemfs, wait until it serves
	rm -f /tmp/zusd.ready
	# zusd writes one byte to --ready-fd once its workers serve the service.
	# (4<&-: not the demo's file held open in the mount)
	"$ZUSD" --plugin "$PMEMFS" --service zufs --ready-fd 3 "$@" 4<&- \
		3>/tmp/zusd.ready 2>>/tmp/zusd.log &
	ZPID=$!
	for _ in $(seq 150); do
		[ -s /tmp/zusd.ready ] && break
		kill -0 "$ZPID" 2>/dev/null || { echo "demo: zusd exited"; cat /tmp/zusd.log; exit 1; }
		sleep 0.2
	done
	[ -s /tmp/zusd.ready ] || { echo "demo: zusd did not become ready"; exit 1; }
	echo "zusd is ready (pid $ZPID)"
}

step "mkfs.pmemfs on the device DAX namespace $DAX"
"$MKFS" -f -L demo "$DAX"

step "zusd: the zufs server, with the pmemfs plugin"
start_zusd

step "mount -t zufs -o service=zufs,fs=pmemfs $DAX $MNT"
mkdir -p "$MNT"
mount -t zufs -o service=zufs,fs=pmemfs "$DAX" "$MNT"
grep " $MNT " /proc/mounts
df -h "$MNT"

if [ -x "$TOP" ]; then
	"$TOP" -s zufs -i 5 >/tmp/ucchan-top.out 2>&1 &
	TPID=$!
	for _ in $(seq 300); do
		grep -q 'tracing ucchan' /tmp/ucchan-top.out && break
		sleep 0.2
	done
fi

step "workload: copy a real source tree in and compare it"
src=/usr/share/doc/bash
tar -C "$(dirname "$src")" -cf - "$(basename "$src")" | tar -C "$MNT" -xf -
diff -r "$src" "$MNT/$(basename "$src")" && echo "diff -r: identical"
du -sh "$MNT"

step "workload: SQLite on zufs"
sqlite3 "$MNT/demo.db" 'CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<2000)
INSERT INTO t SELECT i, printf("row %d", i) FROM n;'
sqlite3 "$MNT/demo.db" 'SELECT count(*), max(k) FROM t; PRAGMA integrity_check;'

step "workload: fio with verification"
fio --name=demo --directory="$MNT" --size=4m --bs=4k --rw=randwrite \
	--verify=crc32c --verify_state_save=0 --ioengine=psync --numjobs=1 \
	--group_reporting \
	--output-format=terse --terse-version=3 >/tmp/fio.out
awk -F';' '{printf "fio: write %s KiB/s, %s IOPS; verify passed\n", $48, $49}' /tmp/fio.out

step "what the channel did"
if [ -n "$TPID" ]; then
	kill -INT "$TPID"
	wait "$TPID" || true
	TPID=
	echo "ucchan-top -s zufs (summary of the whole run):"
	sed -n '/summary of/,$p' /tmp/ucchan-top.out
fi
if [ -r /sys/kernel/debug/ucchan/zufs/stats ]; then
	echo "/sys/kernel/debug/ucchan/zufs/stats:"
	cat /sys/kernel/debug/ucchan/zufs/stats
fi

step "pmemfs-stat: usage, inodes, lanes, journal"
"$PSTAT" --live "$DAX" || "$PSTAT" "$DAX" || true

sum_tree() { (cd "$MNT" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum; }
before=$(sum_tree)
echo "checksum of every file: $before"

step "kill -9 zusd: the mount stays; a new zusd --reattach takes it over"
exec 4<"$MNT/demo.db"		# a file held open across the restart
kill -KILL "$ZPID"
wait "$ZPID" 2>/dev/null || true
ZPID=
stat "$MNT/demo.db" >/dev/null 2>&1 && cat "$MNT/demo.db" >/dev/null 2>&1 ||
	echo "while no server runs: Input/output error (expected)"
start_zusd --reattach
for _ in $(seq 60); do
	grep -q -- '--reattach: 1 mount' /tmp/zusd.log && break
	sleep 0.5
done
grep -- 're-attached\|--reattach' /tmp/zusd.log | tail -2
dmesg | grep 're-attached' | tail -1
[ "$(sum_tree)" = "$before" ] && echo "after the re-attach: every file is the same"
head -c 16 <&4 | od -c | head -1
exec 4<&-
sqlite3 "$MNT/demo.db" 'SELECT count(*) FROM t; PRAGMA integrity_check;'

step "unmount, fsck.pmemfs, restart zusd, mount again"
umount "$MNT"
kill -TERM "$ZPID"
wait "$ZPID"
ZPID=
"$FSCK" -n "$DAX" && echo "fsck.pmemfs: clean"
start_zusd
mount -t zufs -o service=zufs,fs=pmemfs "$DAX" "$MNT"
[ "$(sum_tree)" = "$before" ] && echo "after umount + zusd restart + mount: every file is the same"
sqlite3 "$MNT/demo.db" 'SELECT count(*), max(k) FROM t; PRAGMA integrity_check;'
umount "$MNT"
kill -TERM "$ZPID"
wait "$ZPID"
ZPID=
echo "zusd exited cleanly"

step "sqlproxy: SQL over the same channel"
SQ=$B/services/sqlproxy
"$SQ/sqlproxyd" -d /tmp/demo-sql.db -s /tmp/sqlproxy.sock &
SPID=$!
for _ in $(seq 100); do
	"$SQ/sqlproxy" -c 'SELECT 1' >/dev/null 2>&1 && break
	sleep 0.2
done
"$SQ/sqlproxy" -c "CREATE TABLE kv(k TEXT PRIMARY KEY, v INTEGER)"
"$SQ/sqlproxy" -c "INSERT INTO kv VALUES ('ucchan', 1), ('zufs', 2)"
"$SQ/sqlproxy" -c "SELECT * FROM kv ORDER BY k"
"$SQ/sqlproxy" -s /tmp/sqlproxy.sock -c "SELECT count(*) AS rows_via_socket FROM kv"

step "kernel log (last lines)"
dmesg | tail -n 5
echo
echo "demo: done"
