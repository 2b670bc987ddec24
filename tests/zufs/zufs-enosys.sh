#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# A server that implements none of the optional ops (zufs-testsrv
# "enosys" mode answers -ENOSYS): each is asked once per mount and then
# remembered (the server counts the requests); the kernel falls back as
# docs/zuf.md says: fsync/syncfs succeed, fallocate and xattrs give
# EOPNOTSUPP, SEEK_DATA sees all data, copy_file_range copies through
# the VFS (splice), symlink/link/rename give EPERM, files open with no
# handle.
. "$(dirname "$0")/lib.sh"

OP_SYNC_FS=4 OP_SYMLINK=11 OP_LINK=13 OP_RENAME=16 OP_TMPFILE=17
OP_OPEN=19 OP_RELEASE=20 OP_FSYNC=23 OP_FALLOCATE=24 OP_LSEEK=25
OP_COPY_RANGE=26 OP_GETXATTR=27 OP_SETXATTR=28 OP_LISTXATTR=29
OP_REMOVEXATTR=30

start_server zufs_t_enosys enosys
check "mount" mount_zufs zufs_t_enosys
cd "$MNT" || exit 1

twice() {	# twice CMD...: run CMD two times, output of the last
	"$@" >/dev/null 2>&1
	"$@"
}

check "files work without OPEN" sh -c 'echo data > f && [ "$(cat f)" = data ] && [ "$(cat f)" = data ]'
check "fsync succeeds" twice python3 -c "
import os
fd = os.open('f', os.O_RDWR); os.fsync(fd); os.close(fd)"
check "syncfs succeeds" twice sync -f .
fails_with "fallocate -> EOPNOTSUPP" "not supported" twice fallocate -l 8192 f
check "SEEK_DATA/SEEK_HOLE fall back" twice python3 -c "
import os
fd = os.open('f', os.O_RDONLY)
assert os.lseek(fd, 1, os.SEEK_DATA) == 1
assert os.lseek(fd, 1, os.SEEK_HOLE) == 5"
check "copy_file_range falls back to a VFS copy" twice python3 -c "
import os
s = os.open('f', os.O_RDONLY); d = os.open('g', os.O_CREAT | os.O_RDWR, 0o644)
assert os.copy_file_range(s, d, 5, 0, 0) == 5
assert os.pread(d, 5, 0) == b'data\n'"
fails_with "getxattr -> EOPNOTSUPP" "not supported" twice getfattr -n user.x f
fails_with "setxattr -> EOPNOTSUPP" "not supported" twice setfattr -n user.x -v 1 f
fails_with "removexattr -> EOPNOTSUPP" "not supported" twice setfattr -x user.x f
fails_with "listxattr -> EOPNOTSUPP" "not supported" twice python3 -c "import os; os.listxattr('f')"
fails_with "symlink -> EPERM" "not permitted" twice ln -s f sl
fails_with "link -> EPERM" "not permitted" twice ln f hl
fails_with "rename -> EPERM" "not permitted" twice mv f f2
fails_with "O_TMPFILE -> EOPNOTSUPP" "not supported" twice python3 -c "
import os; os.open('.', os.O_TMPFILE | os.O_RDWR, 0o600)"
check "still serving" sh -c 'echo more >> f && [ "$(wc -l < f)" = 2 ]'

srv_counts
for op in SYNC_FS SYMLINK LINK RENAME TMPFILE OPEN FSYNC FALLOCATE LSEEK \
	  COPY_RANGE GETXATTR SETXATTR LISTXATTR REMOVEXATTR; do
	var=OP_$op
	check "$op asked once (${COUNTS[${!var}]})" test "${COUNTS[${!var}]}" = 1
done
check "RELEASE never sent (${COUNTS[$OP_RELEASE]})" test "${COUNTS[$OP_RELEASE]}" = 0

cd /
check "umount" umount "$MNT"
rmdir "$MNT"; MNT=
check "a new mount asks again" mount_zufs zufs_t_enosys
check "fsync on the new mount" python3 -c "
import os
fd = os.open('$MNT/n', os.O_CREAT | os.O_RDWR, 0o644); os.fsync(fd); os.close(fd)"
srv_counts
check "FSYNC asked again after remount (${COUNTS[$OP_FSYNC]})" test "${COUNTS[$OP_FSYNC]}" = 2
finish
