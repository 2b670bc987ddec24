#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# What a mount hands the plugin, the same on both transports (memfs-oh,
# whose trusted.memfs_oh.stats tell what its mount got), as root:
#   - `ro` at mount time: the plugin's mount gets ZUS_MOUNT_RDONLY, writes
#     fail EROFS, reads work, /proc/mounts says ro;
#   - an option the plugin refuses: the mount fails, zusd's log names it,
#     nothing is mounted;
#   - /proc/mounts: the type (zufs / fuse.zufs), the source, the options;
#   - no file data cached behind read(): by design on zufs (zuf.ko caches
#     file data only for mmap), with -o direct_io on FUSE (ZMFS_FUSE_OPTS
#     direct_io,timeout=3600: without direct_io fuse.ko would keep the
#     pages): data changed behind the kernel, with no notification, is
#     read at once; unaligned reads and writes go through as they are.
. "$(dirname "$0")/lib.sh"

if [ "$ZMFS_PLUGIN" != memfs-oh ]; then
	echo "SKIP: the mount cases need ZMFS_PLUGIN=memfs-oh"
	exit 77
fi

# mount_as TAG OPTIONS: a mount of memfs-oh with OPTIONS on a new $MNT;
# zufs: on the one zusd of this test; fuse: a zusd of its own.
mount_as() {
	if [ "$ZMFS_TRANSPORT" = fuse ]; then
		start_fuse "zmfs-mount-$1-$$" "$2"
	elif [ -z "$ZUSD_PID" ]; then
		start_zusd "zmfs-mount-$$"
		mount_memfs "$2"
	else
		mount_memfs "$2"
	fi
}

# has_opt OPTIONS WORD: WORD is one of the comma-separated OPTIONS
has_opt() { echo "$1" | tr , '\n' | grep -qx -- "$2"; }

# unmount_as: the mount gone (and, on fuse, its zusd exited).
unmount_as() {
	check "umount ($1)" umount_memfs
	[ "$ZMFS_TRANSPORT" != fuse ] || check "zusd (fuse) exits ($1)" wait_zusd_exit
}

# --- ro at mount time
mount_as ro "size=64m,ro"
check "ro: the plugin's mount got ZUS_MOUNT_RDONLY" \
	test "$(oh_stat mount_flags)" = 1
check "ro: /proc/mounts says ro" has_opt "$(findmnt -no OPTIONS "$MNT")" ro
fails_with "ro: creating a file" "read-only file system" touch "$MNT/new"
fails_with "ro: mkdir" "read-only file system" mkdir "$MNT/d"
check "ro: the root reads (ls, stat -f)" \
	sh -c 'ls -la "$1" >/dev/null && stat -f "$1" >/dev/null' _ "$MNT"
unmount_as ro

# --- an option the plugin refuses
if [ "$ZMFS_TRANSPORT" = fuse ]; then
	bad_mnt=$(mktemp -d /tmp/zmfs-bad.XXXXXX)
	bad_log=/tmp/zusd-zmfs-mount-bad-$$.log
	refused() {
		! timeout 60 "$ZUSD" --transport fuse --plugin "$ZMFS_PLUGIN_SPEC" \
			--mount "$bad_mnt" --source memfs -o size=64m,bogus=1 \
			2>"$bad_log"
	}
	check "an option memfs refuses: zusd --transport fuse exits non-zero" refused
	check "... its log names the option" \
		grep -q "memfs: unknown option 'bogus'" "$bad_log"
	check "... nothing mounted" sh -c '! mountpoint -q "$1"' _ "$bad_mnt"
	rmdir "$bad_mnt"
	rm -f "$bad_log"
else
	bad_mnt=$(mktemp -d /tmp/zmfs-bad.XXXXXX)
	fails_with "an option memfs refuses: mount fails" "bad option\|invalid argument" \
		mount -t zufs -o "service=$SVC,fs=$ZMFS_PLUGIN,size=64m,bogus=1" \
		"$ZMFS_SOURCE" "$bad_mnt"
	check "... zusd's log names the option" \
		grep -q "memfs: unknown option 'bogus'" "$ZUSD_LOG"
	check "... nothing mounted" sh -c '! mountpoint -q "$1"' _ "$bad_mnt"
	rmdir "$bad_mnt"
fi

# --- read-write: /proc/mounts, and no data cache behind read()
mount_as rw "size=64m"
check "rw: the plugin's mount got no ZUS_MOUNT_RDONLY" \
	test "$(oh_stat mount_flags)" = 0
proc_mounts() {
	local fstype source opts
	read -r fstype source opts < <(findmnt -no FSTYPE,SOURCE,OPTIONS "$MNT")
	[ "$source" = memfs ] && has_opt "$opts" rw || return 1
	if [ "$ZMFS_TRANSPORT" = fuse ]; then
		[ "$fstype" = fuse.zufs ]
	else
		[ "$fstype" = zufs ] && has_opt "$opts" "service=$SVC" &&
			has_opt "$opts" fs=memfs-oh && has_opt "$opts" size=64m
	fi
}
if [ "$ZMFS_TRANSPORT" = fuse ]; then
	check "/proc/mounts: type fuse.zufs, source memfs, rw" proc_mounts
else
	check "/proc/mounts: type zufs, source memfs, rw, service=, fs=, size=" proc_mounts
fi
findmnt -no FSTYPE,SOURCE,OPTIONS "$MNT" | sed 's/^/# /'

# data changed behind the kernel (memfs-oh "data", same length: the size
# the kernel knows stays right) is what the next read() returns
behind() {
	python3 - "$MNT" <<'EOF'
import os, sys
mnt = sys.argv[1]
p = os.path.join(mnt, "d")
with open(p, "wb") as f:
    f.write(b"old-data")
ino = os.stat(p).st_ino
fd = os.open(p, os.O_RDONLY)
for _ in range(3):                      # in the page cache, if any
    assert os.pread(fd, 64, 0) == b"old-data"
os.setxattr(mnt, "trusted.memfs_oh.ctl", b"data %d new-data" % ino)
got = os.pread(fd, 64, 0)
os.close(fd)
with open(p, "rb") as f:
    again = f.read()
if got != b"new-data" or again != b"new-data":
    sys.exit("read %r, then %r after reopening; want b'new-data'" % (got, again))
EOF
}
check "data changed behind the kernel is read at once (no notification)" behind

unaligned() {
	python3 - "$MNT" <<'EOF'
import os, sys
p = os.path.join(sys.argv[1], "u")
data = bytes((i * 7 + 3) & 0xff for i in range(5000))
fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o644)
assert os.pwrite(fd, data, 3) == 5000
assert os.fstat(fd).st_size == 5003
assert os.pread(fd, 5000, 3) == data
assert os.pread(fd, 10, 4999) == data[4996:5000]
assert os.pread(fd, 10, 5003) == b""
assert os.pread(fd, 3, 0) == b"\0\0\0"
os.close(fd)
EOF
}
check "unaligned pwrite/pread round trip" unaligned
finish
