#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Re-attach (protocol 1.3): a mount whose server died is taken over by a
# restarted server of the same file system (same identity, fs_id) with
# mount -o remount,reattach, without unmounting: a process inside the
# mount and an open directory carry on. Refused: while the server lives,
# a server of another identity, one without an identity, a pre-1.3 server;
# the mount stays dead (EIO) after each refusal and is re-attached after.
. "$(dirname "$0")/lib.sh"

SVC=zufs_t_reattach
# sys_mount FLAGS TARGET DATA: mount(2) itself, so that the errno shows
sys_mount() {
	python3 -c 'import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.mount(b"testsrc", sys.argv[2].encode(), b"zufs", int(sys.argv[1]),
              sys.argv[3].encode()):
    sys.exit(os.strerror(ctypes.get_errno()))' "$@"
}
reattach() { sys_mount 32 "$MNT" "service=$SVC,fs=testfs,reattach"; }	# MS_REMOUNT

start_server "$SVC" fsid:A
check "mount (identity AAAA...)" mount_zufs "$SVC"
check "create before the crash" sh -c "echo one > $MNT/f"
# a process that lives inside the mount with a directory open (not this
# shell: the servers it starts would inherit both, keeping the mount busy)
(cd "$MNT" && exec 3<. && exec sleep 1000) &
holder=$!
# a file open before the crash, read from the same descriptor after the
# reattach: its handle (OPEN) was the dead server's, so EIO
rm -f /tmp/ra.in; mkfifo /tmp/ra.in
python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
print("open", flush=True)
sys.stdin.readline()
try:
    os.pread(fd, 10, 0)
    print("read ok")
except OSError as e:
    print(e.strerror)' "$MNT/f" </tmp/ra.in >/tmp/ra.out &
reader=$!
exec 5>/tmp/ra.in
fails_with "reattach while the server lives -> EBUSY" "busy" reattach
check "mount(8) remount,reattach says it too" sh -c "! mount -o remount,reattach $MNT"
check "still works after the refused reattach" test -e "$MNT/f"

stop_server
fails_with "read after the server died -> EIO" "Input/output error" cat "$MNT/f"

check_fails "a stranger cannot take the dead server's service name" \
	as_nobody timeout 20 "$ZUFS_TESTSRV" "$SVC" fsid:A

start_server "$SVC" fsid:B
fails_with "reattach to another file system -> refused" "Stale file handle" reattach
fails_with "still dead after the refusal" "Input/output error" stat "$MNT"
stop_server

start_server "$SVC"
fails_with "reattach to a server without identity -> refused" "Stale file handle" reattach
stop_server

start_server "$SVC" v11
fails_with "reattach to a pre-1.3 server -> refused" "Invalid argument" reattach
stop_server

start_server "$SVC" fsid:A
check "reattach to the same file system" reattach
check "the mount works again (stat of the root)" stat "$MNT"
check "create after the reattach" sh -c "echo two > $MNT/g && [ \"\$(cat $MNT/g)\" = two ]"
check "a cwd inside the mount carries on" ls "/proc/$holder/cwd/g"
check "an open directory carries on (readdir)" ls "/proc/$holder/fd/3/g"
check "the kernel log names the reattach" sh -c "dmesg | grep -q 're-attached to service $SVC'"
check "the kernel log names the refusal" sh -c "dmesg | grep -q 'serves another file system'"
fails_with "reattach on a fresh mount -> only with remount" "Invalid argument" \
	sys_mount 0 /tmp "service=$SVC,fs=testfs,reattach"
echo go >&5
exec 5>&-
wait "$reader"
check "a handle of the dead server is void: EIO" grep -q "Input/output error" /tmp/ra.out
kill "$holder"; wait "$holder" 2>/dev/null
check "umount after the reattach" umount "$MNT"
rmdir "$MNT"; MNT=
stop_server
finish
