#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# mmap on a mount whose server did not agree to ZUFS_CAP_MMAP
# (zufs-testsrv no-mmap): only shared mappings that may be written need
# it (-ENODEV); exec, private mappings of any protection and read-only
# shared mappings of read-only files are filled by READ and work, and see
# write(2). No page-cache WRITE is sent (the server would refuse it).
. "$ZMFS_DIR/../zufs/lib.sh"

start_server zufs_t_nommap no-mmap
mount_zufs zufs_t_nommap || { echo "FAIL: mount"; exit 1; }
cd "$MNT" || exit 1

head -c 20000 /dev/urandom > data
check "data file" cmp -n 20000 data data

PY='import mmap, os, errno
def enodev(fd, flags, prot):
    try:
        mmap.mmap(fd, 8192, flags=flags, prot=prot)
    except OSError as e:
        assert e.errno == errno.ENODEV, e
        return
    raise AssertionError("mapped")
want = open("data", "rb").read()
'
check "shared writable mapping: ENODEV" python3 -c "$PY
fd = os.open('data', os.O_RDWR)
enodev(fd, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
enodev(fd, mmap.MAP_SHARED, mmap.PROT_READ)   # mprotect could add write
"
check "shared read-only mapping of a read-only file" python3 -c "$PY
fd = os.open('data', os.O_RDONLY)
m = mmap.mmap(fd, 20000, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ)
assert m[:] == want
wfd = os.open('data', os.O_WRONLY)
os.pwrite(wfd, b'new bytes', 4100)
assert m[4100:4109] == b'new bytes', m[4100:4109]
os.pwrite(wfd, want[4100:4109], 4100)
"
check "private writable mapping: copy on write, never written back" \
	python3 -c "$PY
fd = os.open('data', os.O_RDWR)
m = mmap.mmap(fd, 20000, flags=mmap.MAP_PRIVATE,
              prot=mmap.PROT_READ | mmap.PROT_WRITE)
assert m[:] == want
m[10:15] = b'hello'
m[12000:12005] = b'world'
assert m[10:15] == b'hello'
assert os.pread(fd, 20000, 0) == want
m.flush()
m.close()
os.fsync(fd)
os.close(fd)
assert open('data', 'rb').read() == want
"
sync
echo 3 > /proc/sys/vm/drop_caches
check "data unchanged after the mappings are gone" python3 -c "$PY
assert open('data', 'rb').read() == want
fd = os.open('data', os.O_RDONLY)
m = mmap.mmap(fd, 20000, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)
assert m[:] == want
"

cp /bin/busybox busybox && cp /usr/bin/true true && chmod 755 busybox true
check "exec a static binary" ./busybox true
check "exec a dynamic binary" ./true
check "exec output" sh -c "./busybox echo zufs | grep -qx zufs"

cd / || exit 1
finish
