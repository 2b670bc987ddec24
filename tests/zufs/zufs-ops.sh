#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# zuf.ko operations and POSIX semantics against zufs-testsrv.
. "$(dirname "$0")/lib.sh"

start_server zufs_t_ops
check "mount" mount_zufs zufs_t_ops
cd "$MNT" || exit 1

check "root is a directory" test -d .
check "statfs" sh -c 'stat -f . | grep -q "Blocks: Total: 1000"'
check "mkdir" mkdir d
check "mkdir -p nested" mkdir -p d/e/f
fails_with "mkdir existing" "File exists" mkdir d
check "create + write" sh -c 'echo hello > d/file'
check "read back" sh -c '[ "$(cat d/file)" = hello ]'
check "size" sh -c '[ "$(stat -c %s d/file)" = 6 ]'
check "append" sh -c 'echo world >> d/file && [ "$(cat d/file)" = "$(printf "hello\nworld")" ]'
check "big write+read (4 MiB + odd, zero copy)" sh -c \
	'head -c 4194309 /dev/urandom > /tmp/big && cp /tmp/big big && cmp /tmp/big big'
check "O_DIRECT read" dd if=big of=/dev/null bs=4096 count=16 iflag=direct status=none
check "O_DIRECT write" dd if=/dev/zero of=dw bs=4096 count=4 oflag=direct status=none
check "pread at offset" sh -c '[ "$(dd if=d/file bs=1 skip=6 count=5 status=none)" = world ]'
check "truncate shrink" sh -c 'truncate -s 3 d/file && [ "$(cat d/file)" = hel ]'
check "truncate extend (zeros)" sh -c 'truncate -s 10 d/file && [ "$(od -An -c d/file | tr -d " \n")" = "hel\\0\\0\\0\\0\\0\\0\\0" ]'
check "chmod" sh -c 'chmod 640 d/file && [ "$(stat -c %a d/file)" = 640 ]'
check "chown" sh -c 'chown 12:34 d/file && [ "$(stat -c %u:%g d/file)" = 12:34 ]'
check "utimes" sh -c 'touch -d "2001-02-03 04:05:06" d/file && [ "$(stat -c %Y d/file)" = "$(date -d "2001-02-03 04:05:06" +%s)" ]'
check "readdir" sh -c '[ "$(ls d | tr "\n" " ")" = "e file " ]'
check "readdir many (cookies, several calls)" sh -c \
	'mkdir many && for i in $(seq 1 300); do : > many/f$i; done && [ "$(ls many | wc -l)" = 300 ]'
# one process, not one rm per file (300 execs take minutes on a debug
# kernel under TCG)
check "readdir while removing" sh -c \
	'find many -type f -delete && [ -z "$(ls many)" ] && rmdir many'
check "symlink + readlink" sh -c 'ln -s d/file sl && [ "$(readlink sl)" = d/file ] && [ "$(cat sl)" = "$(cat d/file)" ]'
check "hard link + nlink" sh -c 'ln d/file hl && [ "$(stat -c %h d/file)" = 2 ] && [ "$(stat -c %i hl)" = "$(stat -c %i d/file)" ]'
check "unlink one link" sh -c 'rm hl && [ "$(stat -c %h d/file)" = 1 ]'
check "mknod fifo" sh -c 'mkfifo ff && [ -p ff ]'
check "mknod char" sh -c 'mknod cdev c 1 3 && [ "$(stat -c %t:%T cdev)" = 1:3 ]'
check "mknod block" sh -c 'mknod bdev b 7 0 && [ -b bdev ]'
check "socket" python3 -c 'import socket; s=socket.socket(socket.AF_UNIX); s.bind("sock")'
check "rename" sh -c 'mv d/file d/file2 && [ -e d/file2 ] && [ ! -e d/file ]'
check "rename over existing file" sh -c 'echo x > o && mv o d/file2 && [ "$(cat d/file2)" = x ]'
check "rename over empty directory" sh -c 'mkdir r1 r2 && mv -T r1 r2 && [ ! -e r1 ] && [ -d r2 ]'
fails_with "rename over non-empty directory" "not empty\|exists" sh -c 'mkdir r3 && touch r2/x && mv -T r3 r2'
fails_with "RENAME_NOREPLACE" "exists" sh -c 'touch n1 n2 && mv --no-clobber -T n1 n2 2>&1; python3 -c "
import ctypes,os,sys
libc=ctypes.CDLL(None,use_errno=True)
r=libc.renameat2(-100,b\"n1\",-100,b\"n2\",1)
sys.exit(os.strerror(ctypes.get_errno())) if r else sys.exit(0)"'
fails_with "RENAME_EXCHANGE without the cap" "Invalid argument" python3 -c "
import ctypes,os,sys
libc=ctypes.CDLL(None,use_errno=True)
r=libc.renameat2(-100,b'n1',-100,b'n2',2)
sys.exit(os.strerror(ctypes.get_errno())) if r else sys.exit(0)"
check "rename directory across parents" sh -c 'mkdir p1 p2 && mkdir p1/c && mv p1/c p2/c && [ -d p2/c ] && [ "$(stat -c %h p1)" = 2 ]'
fails_with "rmdir non-empty" "not empty" rmdir d
fails_with "unlink(2) of a directory" "Is a directory" python3 -c "import os; os.unlink('d/e/f')"
check "rmdir" rmdir d/e/f
fails_with "ENAMETOOLONG" "too long" touch "$(printf 'x%.0s' $(seq 1 256))"
check "255-byte name" touch "$(printf 'y%.0s' $(seq 1 255))"
fails_with "ELOOP" "Too many levels" sh -c 'ln -s loop1 loop2 && ln -s loop2 loop1 && cat loop1'
fails_with "O_EXCL" "exists" python3 -c "import os; os.open('d/file2', os.O_CREAT|os.O_EXCL|os.O_WRONLY)"
fails_with "EISDIR write" "Is a directory" sh -c 'echo > d'
fails_with "EXDEV" "cross-device\|Invalid cross" python3 -c "import os; os.link('d/file2', '/tmp/xdev')"
check "unlink open file still readable" python3 -c "
import os
fd = os.open('uo', os.O_CREAT|os.O_RDWR, 0o644)
os.write(fd, b'still here')
os.unlink('uo')
assert not os.path.exists('uo')
assert os.pread(fd, 100, 0) == b'still here'
assert os.fstat(fd).st_nlink == 0
os.close(fd)"
check "setgid directory inheritance" sh -c 'mkdir sg && chown 0:55 sg && chmod 2775 sg && mkdir sg/sub && touch sg/f && [ "$(stat -c %g sg/f)" = 55 ] && [ "$(stat -c %A sg/sub | cut -c7)" = s ]'
check "umask applied" sh -c 'umask 027 && touch um && [ "$(stat -c %a um)" = 640 ]'
check "fsync/fdatasync" python3 -c "
import os
fd = os.open('d/file2', os.O_RDWR); os.fsync(fd); os.fdatasync(fd); os.close(fd)"
check "syncfs" sync -f .
check "shared mmap write then read(2)" python3 -c "
import mmap, os
fd = os.open('mm', os.O_CREAT|os.O_RDWR, 0o644)
os.ftruncate(fd, 8192)
m = mmap.mmap(fd, 8192, mmap.MAP_SHARED)
m[4096:4101] = b'mmap!'
m.flush()
assert os.pread(fd, 5, 4096) == b'mmap!'
os.pwrite(fd, b'WRITE', 4096)
assert m[4096:4101] == b'WRITE', m[4096:4101]
m.close(); os.close(fd)" 

# permissions as an unprivileged user (generic_permission on cached attrs)
check "prepare perm dirs" sh -c 'chmod 755 . && mkdir priv && chmod 700 priv && mkdir pub && chmod 1777 pub && touch pub/rootfile'
fails_with "EACCES in 0700 dir as nobody" "Permission denied" setpriv --reuid=65534 --regid=65534 --clear-groups ls priv
fails_with "sticky dir: nobody cannot delete root's file" "not permitted\|Permission denied" setpriv --reuid=65534 --regid=65534 --clear-groups rm -f pub/rootfile
check "nobody creates in sticky dir" setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'touch pub/nb && [ "$(stat -c %u pub/nb)" = 65534 ]'
fails_with "nobody cannot chmod root's file" "not permitted" setpriv --reuid=65534 --regid=65534 --clear-groups chmod 777 pub/rootfile
fails_with "nobody cannot write 0644 root file" "Permission denied" setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'echo x > pub/rootfile'

cd /
check "umount" umount "$MNT"
rmdir "$MNT"; MNT=
check "mount again after umount" mount_zufs zufs_t_ops
finish
