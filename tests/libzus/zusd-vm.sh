#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# zusd end to end, in the VM (zuf.ko and ucchan.ko loaded by vm-run):
# zusd --plugin memfs with --ready-fd, mounts through mount(2) (mount -t
# zufs) and through mount.zufs, the basic file operations (create, write,
# read, readdir, rename, unlink, links, special files, xattrs, fallocate,
# SEEK_DATA/SEEK_HOLE, copy_file_range, shared mmap, O_TMPFILE, statfs),
# two independent mounts of one zusd, the shutdown rule (SIGTERM refused
# while mounted), unmount and a clean exit; then zusd --evil (broken
# replies, zusd dying inside an op) against zuf.ko's checks; SIGHUP to a
# serving zusd (ignored); zusd --force --stop-timeout with a plugin op that
# never returns (pv_hang): SIGTERM still ends zusd, naming the op. vm-run then
# unloads the modules, which fails the test if a reference leaked.
#
# Environment: ZUSD, MOUNT_ZUFS, UCCHAN_PING (paths, from meson).
set -u
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"
SVC=zusd-vm
ZUSD_PID=
LOG=/tmp/zusd-vm.log
M1=/tmp/zusd-vm-m1
M2=/tmp/zusd-vm-m2
PY=/usr/bin/python3

cleanup() {
	umount "$M1" 2>/dev/null
	umount "$M2" 2>/dev/null
	if [ -n "$ZUSD_PID" ]; then
		kill -KILL "$ZUSD_PID" 2>/dev/null
		wait "$ZUSD_PID" 2>/dev/null
	fi
	rmdir "$M1" "$M2" 2>/dev/null
}
trap cleanup EXIT

if [ ! -x "${ZUSD:-}" ]; then
	echo "SKIP: zusd is not built (${ZUSD:-ZUSD unset})"
	exit 77
fi
mkdir -p "$M1" "$M2"

# ---- start, readiness ---------------------------------------------------
fifo=$(mktemp -u /tmp/zusd-vm-ready.XXXXXX)
mkfifo "$fifo"
"$ZUSD" --plugin memfs --service "$SVC" -v --ready-fd 3 3>"$fifo" \
	2>"$LOG" &
ZUSD_PID=$!
if read -r -N 1 -t 60 b <"$fifo" && [ "$b" = R ]; then
	pass "zusd ready (--ready-fd)"
else
	fail "zusd did not become ready"
	cat "$LOG"
	exit 1
fi
rm -f "$fifo"

fails_with "second zusd on the same service" "another server" \
	"$ZUSD" --plugin memfs --service "$SVC"
fails_with "mount without fs=" "" \
	mount -t zufs -o "service=$SVC" none "$M1"
fails_with "mount of an unknown fs" "" \
	mount -t zufs -o "service=$SVC,fs=nosuchfs" none "$M1"
fails_with "mount with an option memfs refuses" "" \
	mount -t zufs -o "service=$SVC,fs=memfs,bogus=1" none "$M1"
fails_with "evil= on the production zusd (no evil mode compiled in)" "" \
	mount -t zufs -o "service=$SVC,fs=memfs,evil=ino0" none "$M1"
fails_with "mount.zufs without a server" "zusd" \
	"$MOUNT_ZUFS" none "$M1" -o service=zusd-vm-nobody,fs=memfs
if [ -x "${UCCHAN_PING:-}" ]; then
	# Only zuf.ko may speak zufs to zusd: a user-space client is refused.
	fails_with "user-space client refused" "Operation not permitted" \
		"$UCCHAN_PING" "$SVC" -c 1 -q
fi

# ---- mount(2) through mount -t zufs ---------------------------------------
check "mount -t zufs" \
	mount -t zufs -o "service=$SVC,fs=memfs,size=64m" memfs-one "$M1"
check "listed in /proc/mounts" grep -q " $M1 zufs " /proc/mounts

cd "$M1" || exit 1
check "create + write" sh -c 'echo hello > a && [ "$(cat a)" = hello ]'
check "write/read 1 MiB (dd, cmp)" sh -c '
	dd if=/dev/urandom of=/tmp/zusd-vm.data bs=64k count=16 2>/dev/null &&
	cp /tmp/zusd-vm.data big && cmp /tmp/zusd-vm.data big &&
	[ "$(stat -c %s big)" = 1048576 ]'
check "O_DIRECT read" dd if=big of=/dev/null bs=64k iflag=direct
check "append" sh -c 'echo more >> a && [ "$(cat a)" = "hello
more" ]'
check "truncate" sh -c 'truncate -s 3 a && [ "$(cat a)" = hel ] &&
	truncate -s 10000 a && [ "$(stat -c %s a)" = 10000 ]'
check "mkdir + readdir of 300 entries" sh -c '
	mkdir d && for i in $(seq 1 300); do : > d/file-$i; done &&
	[ "$(ls d | wc -l)" = 300 ] && [ "$(ls -a d | wc -l)" = 302 ] &&
	[ "$(find d -type f | wc -l)" = 300 ]'
check "rm -r while listing" sh -c 'rm -r d && [ ! -e d ]'
check "rename" sh -c 'mv a b && [ ! -e a ] && [ "$(cat b)" = hel ]'
check "rename over + into a directory" sh -c '
	echo x > c && mv c b && [ "$(cat b)" = x ] &&
	mkdir e && mv b e/ && [ "$(cat e/b)" = x ] && mv e e2 &&
	[ -f e2/b ]'
check "RENAME_EXCHANGE (mv --exchange or renameat2)" $PY -c '
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
open("x1", "w").write("1"); open("x2", "w").write("2")
AT = -100
if libc.renameat2(AT, b"x1", AT, b"x2", 2) != 0:
    raise OSError(ctypes.get_errno(), "renameat2")
assert open("x1").read() == "2" and open("x2").read() == "1"
if libc.renameat2(AT, b"x1", AT, b"x2", 1) == 0 or ctypes.get_errno() != 17:
    raise SystemExit("NOREPLACE did not give EEXIST")
'
check "unlink, rmdir" sh -c 'rm e2/b x1 x2 && rmdir e2 && [ -z "$(ls -A | grep -v big)" ]'
check "hard link" sh -c 'echo l > l1 && ln l1 l2 && [ "$(stat -c %h l1)" = 2 ] &&
	rm l1 && [ "$(cat l2)" = l ] && [ "$(stat -c %h l2)" = 1 ]'
check "symlink + readlink" sh -c 'ln -s some/where/far sl &&
	[ "$(readlink sl)" = some/where/far ] && [ -L sl ]'
check "fifo, device nodes" sh -c 'mkfifo ff && [ -p ff ] &&
	mknod cdev c 1 3 && [ "$(stat -c %t:%T cdev)" = 1:3 ] &&
	mknod bdev b 7 0 && [ -b bdev ]'
check "chmod, chown, utime" sh -c 'chmod 0640 l2 && chown 12:34 l2 &&
	[ "$(stat -c %a:%u:%g l2)" = 640:12:34 ] &&
	touch -d @1000000000 l2 && [ "$(stat -c %Y l2)" = 1000000000 ]'
check "xattrs (user., trusted.)" sh -c '
	setfattr -n user.color -v blue l2 &&
	setfattr -n trusted.t -v 0x0102 l2 &&
	[ "$(getfattr --only-values -n user.color l2)" = blue ] &&
	getfattr -d -m - l2 | grep -q trusted.t &&
	setfattr -x user.color l2 &&
	! getfattr -n user.color l2 2>/dev/null'
check "fallocate, punch hole, SEEK_DATA/SEEK_HOLE" $PY -c '
import os
fd = os.open("sparse", os.O_RDWR | os.O_CREAT, 0o644)
os.posix_fallocate(fd, 0, 1 << 20)
st = os.fstat(fd)
assert st.st_size == 1 << 20 and st.st_blocks == 2048, st
os.pwrite(fd, b"x" * 4096, 512 * 1024)
FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE = 1, 2
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
assert libc.fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 0, 512 * 1024) == 0
assert os.lseek(fd, 0, os.SEEK_DATA) == 512 * 1024
assert os.lseek(fd, 512 * 1024, os.SEEK_HOLE) == 1 << 20
assert os.fstat(fd).st_blocks == 1024
assert os.pread(fd, 8, 0) == bytes(8)
try:
    os.lseek(fd, 1 << 20, os.SEEK_DATA)
    raise SystemExit("SEEK_DATA at EOF did not fail")
except OSError as e:
    assert e.errno == 6, e
'
check "copy_file_range (COPY_RANGE)" $PY -c '
import os
src = os.open("big", os.O_RDONLY)
dst = os.open("copy", os.O_WRONLY | os.O_CREAT, 0o644)
n = 0
while n < 1 << 20:
    c = os.copy_file_range(src, dst, (1 << 20) - n, n, n)
    assert c > 0
    n += c
os.close(dst)
assert open("copy", "rb").read() == open("big", "rb").read()
'
check "shared writable mmap" $PY -c '
import mmap, os
fd = os.open("mm", os.O_RDWR | os.O_CREAT, 0o644)
os.ftruncate(fd, 8192)
m = mmap.mmap(fd, 8192)
m[100:105] = b"mmap!"
m.flush(); m.close(); os.close(fd)
assert open("mm", "rb").read()[100:105] == b"mmap!"
'
check "O_TMPFILE + linkat" $PY -c '
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(".", os.O_TMPFILE | os.O_RDWR, 0o600)
os.write(fd, b"tmp")
AT_FDCWD, AT_SYMLINK_FOLLOW = -100, 0x400
if libc.linkat(AT_FDCWD, b"/proc/self/fd/%d" % fd, AT_FDCWD, b"fromtmp",
               AT_SYMLINK_FOLLOW) != 0:
    raise OSError(ctypes.get_errno(), "linkat")
assert open("fromtmp").read() == "tmp"
'
check "open-unlinked file stays readable" $PY -c '
import os
open("gone", "w").write("still here")
fd = os.open("gone", os.O_RDONLY)
os.unlink("gone")
assert os.read(fd, 100) == b"still here"
assert not os.path.exists("gone")
'
check "statfs (df)" sh -c "df -k $M1 | grep -q 65536"
check "sync, fsync" sh -c 'sync -f . && sync big'
cd / || exit 1

# ---- mount.zufs (what mount(8) runs for -t zufs) ---------------------------
check "mount.zufs" "$MOUNT_ZUFS" memfs-two "$M2" \
	-o "service=$SVC,fs=memfs,size=8m,noatime"
check "two mounts are independent" sh -c "
	echo two > $M2/only-here && [ ! -e $M1/only-here ] &&
	[ -e $M1/big ] && [ ! -e $M2/big ]"
check "mount.zufs passed noatime" sh -c "grep ' $M2 zufs ' /proc/mounts | grep -q noatime"
check "size= applies per mount" sh -c "df -k $M2 | grep -q 8192"

# ---- mount(8) running the helper: in a private mount namespace whose
# /sbin (-> /usr/sbin) holds only mount.zufs, so the host stays untouched.
helperdir=$(mktemp -d /tmp/zusd-vm-sbin.XXXXXX)
printf '#!/bin/sh\nexec %s "$@"\n' "$MOUNT_ZUFS" >"$helperdir/mount.zufs"
chmod 755 "$helperdir/mount.zufs"
cat >"$helperdir/run.sh" <<EOF
set -e
mount --bind $helperdir $(readlink -f /sbin)
mount -v -t zufs -o service=$SVC,fs=memfs,size=4m memfs-three $M2
echo three > $M2/f
[ "\$(cat $M2/f)" = three ]
df -k $M2 | grep -q 4096
umount $M2
EOF
check "mount -t zufs runs mount.zufs (util-linux)" sh -c "
	unshare -m sh $helperdir/run.sh >$helperdir/out 2>&1;
	st=\$?; cat $helperdir/out;
	[ \$st = 0 ] && grep -q 'mount.zufs: mount(' $helperdir/out"
rm -rf "$helperdir"

# ---- shutdown rule --------------------------------------------------------
kill -TERM "$ZUSD_PID"
sleep 2
if kill -0 "$ZUSD_PID" 2>/dev/null; then
	pass "SIGTERM refused while mounted"
else
	fail "zusd exited on SIGTERM with file systems mounted"
	ZUSD_PID=
fi
check "refusal logged" grep -q "2 file system(s) mounted" "$LOG"
check "still serving after the refusal" sh -c "cat $M1/fromtmp >/dev/null"

# SIGHUP (a closed terminal, a careless "reload") must not kill a server
# of mounted file systems
kill -HUP "$ZUSD_PID"
sleep 1
if kill -0 "$ZUSD_PID" 2>/dev/null; then
	pass "SIGHUP: zusd still runs"
else
	fail "SIGHUP killed zusd"
	wait "$ZUSD_PID"
	ZUSD_PID=
fi
check "SIGHUP logged as ignored" grep -q "SIGHUP: ignored" "$LOG"
check "still serving after SIGHUP" sh -c "cat $M1/fromtmp >/dev/null &&
	echo after-hup > $M1/hup && [ \"\$(cat $M1/hup)\" = after-hup ]"

check "umount (mount.zufs mount)" umount "$M2"
check "umount (mount -t zufs mount)" umount "$M1"
check "zusd destroyed the 3 superblocks" sh -c \
	"[ \$(grep -c 'unmounted sb' $LOG) = 3 ]"

if [ -n "$ZUSD_PID" ]; then
	kill -TERM "$ZUSD_PID"
	st=0
	for _ in $(seq 1 50); do
		kill -0 "$ZUSD_PID" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$ZUSD_PID" 2>/dev/null; then
		fail "zusd did not exit on SIGTERM with nothing mounted"
	else
		wait "$ZUSD_PID"
		st=$?
		if [ "$st" = 0 ]; then
			pass "SIGTERM with nothing mounted: zusd exits 0"
		else
			fail "zusd exit status $st"
		fi
		ZUSD_PID=
	fi
fi
check "the service is gone" sh -c "! mount -t zufs -o service=$SVC,fs=memfs none $M1"

# ---- --cpus and --poll-ns: workers on CPU 1 only, spinning for requests --
fails_with "--poll-ns beyond 10 ms refused" "poll-ns" \
	"$ZUSD" --plugin memfs --service "$SVC-poll" --poll-ns 10000001
if [ "$(nproc)" -ge 2 ]; then
	POLL_LOG=/tmp/zusd-vm-poll.log
	fifo=$(mktemp -u /tmp/zusd-vm-ready.XXXXXX)
	mkfifo "$fifo"
	"$ZUSD" --plugin memfs --service "$SVC-poll" --cpus 1 \
		--poll-ns 2000000 --ready-fd 3 3>"$fifo" 2>"$POLL_LOG" &
	poll_pid=$!
	read -r -N 1 -t 60 b <"$fifo" || fail "zusd --cpus 1 --poll-ns did not become ready"
	rm -f "$fifo"
	check "mount on the polling zusd" \
		mount -t zufs -o "service=$SVC-poll,fs=memfs,size=16m" none "$M1"
	check "from CPU 0: 200 writes and reads served by CPU 1's polling worker" \
		taskset -c 0 $PY -c '
import os, sys
p = os.path.join(sys.argv[1], "p")
fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o644)
for i in range(200):
    data = b"%05d" % i * 800
    assert os.pwrite(fd, data, i * 4000) == len(data)
    assert os.pread(fd, len(data), i * 4000) == data
os.close(fd)' "$M1"
	st=/sys/kernel/debug/ucchan/$SVC-poll/stats
	col() { awk -v c="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) n = i }
		$1 == "total" { print $n }' "$st"; }
	echo "# polling: calls $(col calls) fallbacks $(col fallbacks) poll_hits $(col poll_hits) poll_ns $(col poll_ns)"
	check "the calls were fallbacks to CPU 1, some taken spinning" \
		test "$(col fallbacks)" -ge 400 -a "$(col poll_hits)" -gt 0
	check "umount of the polling mount" umount "$M1"
	kill -TERM "$poll_pid"
	wait "$poll_pid"
	check "the polling zusd exits 0" test $? = 0
else
	skip "--cpus 1 --poll-ns" "one CPU"
fi

# ---- zusd-test --evil: the dispatcher lies on purpose, zuf.ko must notice --
# (the evil mode exists only in zusd-test, the test build)
if ! "$ZUSD" --help 2>&1 | grep -q -- --evil; then
	pass "the production zusd has no --evil"
else
	fail "the production zusd offers --evil"
fi
ZUSD=${ZUSD_TEST:?ZUSD_TEST not set}
EVIL_LOG=/tmp/zusd-vm-evil.log
fifo=$(mktemp -u /tmp/zusd-vm-ready.XXXXXX)
mkfifo "$fifo"
"$ZUSD" --plugin memfs --service "$SVC-evil" --evil --ready-fd 3 \
	3>"$fifo" 2>"$EVIL_LOG" &
ZUSD_PID=$!
if ! read -r -N 1 -t 60 b <"$fifo"; then
	fail "zusd --evil did not become ready"
fi
rm -f "$fifo"
check "mount evil=slash_name" \
	mount -t zufs -o "service=$SVC-evil,fs=memfs,evil=slash_name" none "$M1"
check "mount evil=big_read" \
	mount -t zufs -o "service=$SVC-evil,fs=memfs,size=1m,evil=big_read" none "$M2"
check "evil: create still works" sh -c ": > $M1/a && stat $M1/a"
fails_with "evil slash_name: readdir gives EIO" "Input/output error" \
	ls "$M1"
fails_with "evil big_read: write gives EIO" "I/O error" \
	sh -c "echo data > $M2/b"
check "umount the evil mounts" sh -c "umount $M1 && umount $M2"
check "mount evil=exit_lookup" \
	mount -t zufs -o "service=$SVC-evil,fs=memfs,evil=exit_lookup" none "$M1"
fails_with "zusd exits inside lookup: EIO" "Input/output error" \
	stat "$M1/nothing"
wait "$ZUSD_PID"
st=$?
ZUSD_PID=
if [ "$st" = 3 ]; then
	pass "zusd --evil exit_lookup exited with 3"
else
	fail "zusd --evil exit status $st, want 3"
fi
fails_with "dead mount: every op EIO" "Input/output error" ls "$M1"
check "umount of a dead mount" umount "$M1"

# ---- a plugin op that never returns: shutdown is still bounded -----------
# pv_hang's lookup blocks forever. SIGTERM (with --force, since it is
# mounted) must end zusd after --stop-timeout, naming the stuck op, and
# the caller stuck in lookup must get an error. The bound below (120 s)
# only keeps a broken zusd from stalling the test.
HANG_LOG=/tmp/zusd-vm-hang.log
fifo=$(mktemp -u /tmp/zusd-vm-ready.XXXXXX)
mkfifo "$fifo"
"$ZUSD" --plugin pv_hang --service "$SVC-hang" --force --stop-timeout 2 \
	--ready-fd 3 3>"$fifo" 2>"$HANG_LOG" &
ZUSD_PID=$!
if ! read -r -N 1 -t 60 b <"$fifo"; then
	fail "zusd --plugin pv_hang did not become ready"
	sed 's/^/#   /' "$HANG_LOG"
fi
rm -f "$fifo"
check "mount fs=thang" mount -t zufs -o "service=$SVC-hang,fs=thang" none "$M1"
stat "$M1/stuck" >/tmp/zusd-vm-stuck.out 2>&1 &
stuck=$!
for _ in $(seq 1 600); do
	grep -q "pv_hang: lookup of 'stuck' blocks" "$HANG_LOG" && break
	sleep 0.1
done
check "the lookup is stuck in the plugin" grep -q "pv_hang: lookup" "$HANG_LOG"
kill -TERM "$ZUSD_PID"
for _ in $(seq 1 1200); do
	kill -0 "$ZUSD_PID" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$ZUSD_PID" 2>/dev/null; then
	fail "zusd hangs at shutdown behind a stuck plugin op"
	sed 's/^/#   /' "$HANG_LOG"
	kill -KILL "$ZUSD_PID"
	wait "$ZUSD_PID"
else
	wait "$ZUSD_PID"
	st=$?
	if [ "$st" = 1 ]; then
		pass "SIGTERM --force with a stuck op: zusd exits 1"
	else
		fail "zusd with a stuck op: exit status $st, want 1"
	fi
fi
ZUSD_PID=
check "the stuck op is named" grep -q "stuck in op lookup" "$HANG_LOG"
for _ in $(seq 1 600); do
	kill -0 "$stuck" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$stuck" 2>/dev/null; then
	fail "the caller of the stuck lookup still waits"
	kill -KILL "$stuck"
fi
wait "$stuck" 2>/dev/null
check "the caller of the stuck lookup got an error" \
	grep -qi "Input/output error\|Transport endpoint\|shut down" \
	/tmp/zusd-vm-stuck.out
check "umount after the stuck op" umount "$M1"

if [ "$fails" != 0 ]; then
	echo "--- zusd log"
	cat "$LOG"
	echo "--- zusd --evil log"
	cat "$EVIL_LOG" 2>/dev/null
	echo "--- zusd pv_hang log"
	cat "$HANG_LOG" 2>/dev/null
fi
tap_done
