#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Who serves a mount. Anyone may create a ucchan service of any free name,
# so zuf checks the creator of the one it finds:
#   - a service created by uid 65534 (before a root server starts, or after
#     root's server died) is refused by root's mount, with a message naming
#     the check;
#   - with -o untrusted it mounts, but nothing it says grants a privilege:
#     set-id bits are stripped (stat), a device node cannot be opened, a
#     file capability is not read back;
#   - while a mount refers to root's dead server, uid 65534 cannot take the
#     dead service's name; once unmounted it can (and is refused again).
. "$(dirname "$0")/lib.sh"

nsrv_pid=
start_nobody() {	# start_nobody SERVICE [EVIL]: zufs-testsrv as uid 65534
	coproc NSRV { exec setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$ZUFS_TESTSRV" "$@" 2>&1; }
	# bash unsets NSRV_PID (and NSRV) once the coprocess has exited
	nsrv_pid=${NSRV_PID:-}
	local line=
	[ -n "${NSRV[0]:-}" ] && read -r -t 20 line <&"${NSRV[0]}"
	NSRV_LINE=$line
	[ "$line" = ready ]
}
stop_nobody() {
	[ -n "$nsrv_pid" ] || return 0
	kill -9 "$nsrv_pid" 2>/dev/null
	wait "$nsrv_pid" 2>/dev/null
	nsrv_pid=
}
trap 'stop_nobody; cleanup' EXIT

[ -x "${ZUFS_TESTSRV:-}" ] || { echo "SKIP: no ZUFS_TESTSRV"; exit 77; }
MNT=$(mktemp -d /tmp/zufs-mnt.XXXXXX)

# 1. a user's server, named before root's starts
check "uid 65534 creates service zufs_t_trust" start_nobody zufs_t_trust
fails_with "root's mount refuses a server created by uid 65534" \
	"Operation not permitted\|not permitted\|permission denied" \
	mount -t zufs -o service=zufs_t_trust,fs=testfs x "$MNT"
check "the refusal names the check" sh -c \
	'dmesg | grep -q "service zufs_t_trust: creator uid 65534 lacks CAP_SYS_ADMIN: untrusted"'
MOUNT_ZUFS=${ZUFS_BUILD_DIR:-}/lib/libzus/mount.zufs
if [ -x "$MOUNT_ZUFS" ]; then
	fails_with "mount.zufs says who created the service and what to do" \
		"created by uid 65534 without CAP_SYS_ADMIN" \
		"$MOUNT_ZUFS" x "$MNT" -o service=zufs_t_trust,fs=testfs
	check "mount.zufs -o untrusted lets the kernel decide (dry run)" \
		"$MOUNT_ZUFS" -f x "$MNT" -o service=zufs_t_trust,fs=testfs,untrusted
else
	echo "SKIP: mount.zufs not built ($MOUNT_ZUFS)"
fi
stop_nobody

# 2. mounted untrusted: no set-id bits, no devices
check "uid 65534 serves set-id files and a device" start_nobody zufs_t_priv privs
if check "mount -o untrusted" mount -t zufs \
	-o service=zufs_t_priv,fs=testfs,untrusted x "$MNT"; then
	check "setuid bit stripped" sh -c "[ \"\$(stat -c %a $MNT/suid)\" = 755 ]"
	check "setgid bit stripped" sh -c "[ \"\$(stat -c %a $MNT/sgid)\" = 755 ]"
	check "blk is a block device" test -b "$MNT/blk"
	fails_with "the device cannot be opened (nodev)" "Permission denied" \
		dd if="$MNT/blk" of=/dev/null bs=512 count=1
	# a file capability (CAP_NET_BIND_SERVICE, effective) reaches the
	# server, but is never read back from an untrusted one
	caps=0x0100000200040000000000000000000000000000
	check "a file on the untrusted mount" sh -c "echo x > $MNT/capf"
	check "setting security.capability reaches the server" \
		setfattr -n security.capability -v "$caps" "$MNT/capf"
	fails_with "an untrusted server's file capability is not believed" \
		"No such attribute" getfattr -n security.capability "$MNT/capf"
	check "umount the untrusted mount" umount "$MNT"
fi
stop_nobody

# 3. root's server dies while mounted: its name stays root's
start_server zufs_t_root
check "mount root's server" mount -t zufs -o service=zufs_t_root,fs=testfs x "$MNT"
check "root's mount is not untrusted (no message)" sh -c \
	'! dmesg | grep -q "service zufs_t_root (uid"'
stop_server
if start_nobody zufs_t_root; then
	fail "uid 65534 took the name of root's dead server while mounted"
else
	check "uid 65534 cannot take the dead server's name while mounted" \
		sh -c "echo '$NSRV_LINE' | grep -q 'in use'"
fi
stop_nobody
check "umount the dead mount" umount "$MNT"
check "the name is free once nothing refers to the dead server" \
	start_nobody zufs_t_root
fails_with "and root's mount refuses the new owner" \
	"Operation not permitted\|not permitted\|permission denied" \
	mount -t zufs -o service=zufs_t_root,fs=testfs x "$MNT"
stop_nobody
rmdir "$MNT"
MNT=
finish
