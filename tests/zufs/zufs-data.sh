#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Data operations through zuf.ko against zufs-testsrv: fallocate (plain,
# keep-size, punch hole, zero range), SEEK_DATA/SEEK_HOLE,
# copy_file_range, O_TMPFILE + linkat, OPEN/RELEASE handles, mmap
# coherence with read/write and O_DIRECT, sendfile and splice both ways.
. "$(dirname "$0")/lib.sh"

OP_OPEN=19 OP_RELEASE=20 OP_FALLOCATE=24 OP_LSEEK=25 OP_COPY_RANGE=26
OP_CREATE=36

start_server zufs_t_data
check "mount" mount_zufs zufs_t_data
cd "$MNT" || exit 1

# ---- fallocate
check "fallocate 1 MiB" sh -c 'fallocate -l 1M fa && [ "$(stat -c %s fa)" = 1048576 ] && [ "$(stat -c %b fa)" -ge 2048 ]'
check "fallocate reads as zeros" sh -c 'cmp -n 1048576 fa /dev/zero'
check "fallocate keep-size" sh -c 'fallocate -n -o 1M -l 1M fa && [ "$(stat -c %s fa)" = 1048576 ] && [ "$(stat -c %b fa)" -ge 4096 ]'
srv_counts; check "FALLOCATE sent" test "${COUNTS[$OP_FALLOCATE]:-0}" -ge 2
check "punch hole" python3 -c "
import os
fd = os.open('ph', os.O_CREAT | os.O_RDWR, 0o644)
os.write(fd, b'A' * 4096 + b'B' * 4096 + b'C' * 4096)
blocks = os.fstat(fd).st_blocks
os.close(fd)
import subprocess
subprocess.run(['fallocate', '-p', '-o', '4096', '-l', '4096', 'ph'], check=True)
fd = os.open('ph', os.O_RDONLY)
st = os.fstat(fd)
assert st.st_size == 12288, st.st_size
assert st.st_blocks == blocks - 8, (blocks, st.st_blocks)
assert os.pread(fd, 12288, 0) == b'A' * 4096 + bytes(4096) + b'C' * 4096
os.close(fd)"
check "SEEK_HOLE / SEEK_DATA around the hole" python3 -c "
import os
fd = os.open('ph', os.O_RDONLY)
assert os.lseek(fd, 0, os.SEEK_HOLE) == 4096
assert os.lseek(fd, 4096, os.SEEK_DATA) == 8192
assert os.lseek(fd, 5000, os.SEEK_HOLE) == 5000
assert os.lseek(fd, 8192, os.SEEK_HOLE) == 12288
assert os.lseek(fd, 100, os.SEEK_DATA) == 100
os.close(fd)"
srv_counts; check "LSEEK sent" test "${COUNTS[$OP_LSEEK]:-0}" -ge 5
fails_with "SEEK_DATA at EOF -> ENXIO" "No such device or address" python3 -c "
import os
fd = os.open('ph', os.O_RDONLY)
os.lseek(fd, 12288, os.SEEK_DATA)"
fails_with "SEEK_DATA in a trailing hole -> ENXIO" "No such device or address" python3 -c "
import os
fd = os.open('sp', os.O_CREAT | os.O_RDWR, 0o644)
os.write(fd, b'x')
os.ftruncate(fd, 1 << 20)
assert os.lseek(fd, 0, os.SEEK_DATA) == 0
assert os.lseek(fd, 0, os.SEEK_HOLE) == 4096
os.lseek(fd, 8192, os.SEEK_DATA)"
check "zero range" sh -c 'printf "%08192d" 7 > zr && fallocate -z -o 0 -l 4096 zr && cmp -n 4096 zr /dev/zero && [ "$(stat -c %s zr)" = 8192 ] && [ "$(tail -c 1 zr)" = 7 ]'
fails_with "punch hole without keep-size -> EOPNOTSUPP" "not supported" python3 -c "
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open('ph', os.O_RDWR)
if libc.fallocate(fd, 2, ctypes.c_long(0), ctypes.c_long(4096)):
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))"

# ---- copy_file_range (server side)
check "copy_file_range" python3 -c "
import os
data = os.urandom(300000)
with open('cs', 'wb') as f: f.write(data)
s = os.open('cs', os.O_RDONLY); d = os.open('cd', os.O_CREAT | os.O_WRONLY, 0o644)
n = 0
while n < len(data):
    c = os.copy_file_range(s, d, len(data) - n, n, n)
    assert c > 0
    n += c
os.close(s); os.close(d)
assert open('cd', 'rb').read() == data"
srv_counts; check "COPY_RANGE sent" test "${COUNTS[$OP_COPY_RANGE]:-0}" -ge 1
check "copy_file_range at an offset, past EOF of the source" python3 -c "
import os
s = os.open('cs', os.O_RDONLY); d = os.open('cd2', os.O_CREAT | os.O_RDWR, 0o644)
assert os.copy_file_range(s, d, 100, 1000, 5000) == 100
assert os.copy_file_range(s, d, 100, 400000, 0) == 0
assert os.fstat(d).st_size == 5100
assert os.pread(d, 100, 5000) == os.pread(s, 100, 1000)
assert os.pread(d, 5000, 0) == bytes(5000)"

# ---- O_TMPFILE
check "O_TMPFILE + linkat" python3 -c "$PY_LINKAT
fd = os.open('.', os.O_TMPFILE | os.O_RDWR, 0o640)
os.write(fd, b'temporary')
assert os.fstat(fd).st_nlink == 0
assert 'linked' not in os.listdir('.')
linkat(fd, 'linked')
assert os.fstat(fd).st_nlink == 1
os.close(fd)
assert open('linked', 'rb').read() == b'temporary'
assert oct(os.stat('linked').st_mode & 0o777) == '0o640'"
fails_with "O_TMPFILE|O_EXCL cannot be linked" "No such file" python3 -c "$PY_LINKAT
fd = os.open('.', os.O_TMPFILE | os.O_RDWR | os.O_EXCL, 0o600)
linkat(fd, 'linked2')"
check "unlinked O_TMPFILE is freed" sh -c 'sync; echo 2 > /proc/sys/vm/drop_caches; [ ! -e linked2 ]'

# ---- OPEN / RELEASE
exec 3<linked 4<linked
srv_counts; o1=$OPEN_FH
exec 3<&- 4<&-
srv_counts; o2=$OPEN_FH
check "OPEN: one handle per open file (open=$o1)" test "$o1" = 2
check "RELEASE on close (open=$o2)" test "$o2" = 0
# CREATE (protocol 1.2) opens handles too
check "OPEN + CREATE and RELEASE balanced" test "$((COUNTS[OP_OPEN] + COUNTS[OP_CREATE]))" = "${COUNTS[$OP_RELEASE]}"

# ---- mmap coherence
check "mmap sees write(2)" python3 -c "
import mmap, os
fd = os.open('mc', os.O_CREAT | os.O_RDWR, 0o644)
os.pwrite(fd, b'a' * 8192, 0)
m = mmap.mmap(fd, 8192, mmap.MAP_SHARED)
assert m[0:4] == b'aaaa'
os.pwrite(fd, b'bbbb', 0)
assert m[0:4] == b'bbbb', m[0:4]
m[8188:8192] = b'cccc'
assert os.pread(fd, 4, 8188) == b'cccc'
m.close(); os.close(fd)"
check "mmap and O_DIRECT" python3 -c "
import mmap, os
fd = os.open('mc', os.O_RDWR)
dfd = os.open('mc', os.O_RDWR | os.O_DIRECT)
m = mmap.mmap(fd, 8192, mmap.MAP_SHARED)
buf = mmap.mmap(-1, 4096)
m[0:4] = b'dddd'                       # dirty page, not written back
assert os.preadv(dfd, [buf], 0) == 4096
assert buf[0:4] == b'dddd', buf[0:4]   # O_DIRECT read wrote it back first
buf[0:4] = b'eeee'
assert os.pwritev(dfd, [buf], 4096) == 4096
assert m[4096:4100] == b'eeee', m[4096:4100]  # O_DIRECT write invalidated
m.close(); os.close(fd); os.close(dfd)"
check "mmap written back on close" sh -c 'python3 -c "
import mmap, os
fd = os.open(\"mw\", os.O_CREAT | os.O_RDWR, 0o644)
os.ftruncate(fd, 4096)
m = mmap.mmap(fd, 4096, mmap.MAP_SHARED)
m[0:6] = b\"mapped\"
m.close(); os.close(fd)" && sync && echo 1 > /proc/sys/vm/drop_caches && [ "$(head -c 6 mw)" = mapped ]'

# ---- sendfile / splice
check "prepare 1 MiB + odd source" sh -c 'head -c 1048583 /dev/urandom > /tmp/zufs-src && cp /tmp/zufs-src ss && cmp /tmp/zufs-src ss'
check "sendfile from zufs" python3 -c "
import os
s = os.open('ss', os.O_RDONLY)
d = os.open('/tmp/zufs-sf-out', os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o644)
n = os.fstat(s).st_size; off = 0
while off < n:
    c = os.sendfile(d, s, off, n - off)
    assert c > 0
    off += c
os.close(s); os.close(d)
assert open('/tmp/zufs-sf-out', 'rb').read() == open('ss', 'rb').read()"
check "sendfile to zufs" python3 -c "
import os
s = os.open('/tmp/zufs-src', os.O_RDONLY)
d = os.open('sf-in', os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o644)
n = os.fstat(s).st_size; off = 0
while off < n:
    c = os.sendfile(d, s, off, n - off)
    assert c > 0
    off += c
os.close(s); os.close(d)
assert open('sf-in', 'rb').read() == open('/tmp/zufs-src', 'rb').read()"
check "splice zufs -> pipe -> zufs" python3 -c "
import os
s = os.open('ss', os.O_RDONLY)
d = os.open('sp-out', os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o644)
r, w = os.pipe()
n = os.fstat(s).st_size; done = 0
while done < n:
    c = os.splice(s, w, min(65536, n - done))
    assert c > 0
    left = c
    while left:
        left -= os.splice(r, d, left)
    done += c
os.close(s); os.close(d)
assert open('sp-out', 'rb').read() == open('ss', 'rb').read()"
check "splice at an offset and past EOF" python3 -c "
import os
s = os.open('ss', os.O_RDONLY)
r, w = os.pipe()
assert os.splice(s, w, 10, offset_src=1048580) == 3
assert os.read(r, 10) == open('ss', 'rb').read()[1048580:]
assert os.splice(s, w, 10, offset_src=2000000) == 0"
check "cp (copy_file_range or read/write)" sh -c 'cp ss ss2 && cmp ss ss2'

cd /
check "umount" umount "$MNT"
rmdir "$MNT"; MNT=
finish
