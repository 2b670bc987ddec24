#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Notifications (host->notify_inval_inode / notify_inval_entry) of a
plugin whose file system changes behind the kernel, on a memfs-oh mount;
and a plugin's flush that fails (close(2)'s error).

  notify_cases.py MNT DIR    every case in DIR (on the mount MNT), as root

memfs-oh's test control (trusted.memfs_oh.ctl of the mount's root, see
lib/libzus/example/memfs.c "test hooks") changes an inode or an entry
without telling the kernel, or sends one notification. Each case shows
first that the kernel serves the stale state from its cache (so the
notification is what makes the change visible: zuf.ko caches attributes,
dentries and mmapped pages; fuse.ko, mounted with -o timeout=3600 here,
attributes, entries and pages), then that after the notification the new
state is seen (within 10 s: the kernel applies notifications shortly after
they are queued). Prints "ok: / FAIL: NAME" per case; exits 1 on a failure.
"""
import errno
import mmap
import os
import sys
import time

from posix_cases import check, eq, put

MNT = ""
CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def ctl(cmd):
    """One memfs-oh command: None, or the errno of the setxattr."""
    try:
        os.setxattr(MNT, "trusted.memfs_oh.ctl", cmd.encode())
    except OSError as e:
        return e.errno
    return None


def do(cmd):
    r = ctl(cmd)
    check(r is None, "%r: %s" % (cmd, errno.errorcode.get(r, r)))


def eventually(fn, want, what, secs=10.0):
    end = time.monotonic() + secs
    while True:
        got = fn()
        if got == want:
            return
        if time.monotonic() > end:
            raise AssertionError("%s: still %r after %.0f s, want %r" % (
                what, got, secs, want))
        time.sleep(0.1)


def exists(path):
    try:
        os.stat(path)
        return True
    except FileNotFoundError:
        return False


def stale_for(secs, fn, want, what):
    """fn() stays want for secs (nothing refreshes it by itself)."""
    end = time.monotonic() + secs
    while time.monotonic() < end:
        eq(fn(), want, what + " (stale, no notification)")
        time.sleep(0.2)


@case
def inval_inode_attributes():
    # off < 0: the attributes only
    put("f", b"x")
    os.chmod("f", 0o644)
    ino = os.stat("f").st_ino
    do("mode %d 600" % ino)
    stale_for(1.5, lambda: os.stat("f").st_mode & 0o777, 0o644, "mode")
    do("inval-inode %d -1 0" % ino)
    eventually(lambda: os.stat("f").st_mode & 0o777, 0o600, "mode")


@case
def inval_inode_data():
    # off >= 0: the pages of the range (here of a shared mapping) and the
    # attributes; then the size alone
    put("m", b"A" * 8192)
    fd = os.open("m", os.O_RDONLY)
    try:
        mm = mmap.mmap(fd, 8192, mmap.MAP_SHARED, mmap.PROT_READ)
        eq(mm[:4] + mm[4096:4100], b"AAAAAAAA", "mapped data")
        ino = os.fstat(fd).st_ino
        do("data %d %s" % (ino, "B" * 8192))
        stale_for(1.5, lambda: mm[:4] + mm[4096:4100], b"AAAAAAAA",
                  "mapped data")
        # the second page only: the first stays as it was cached
        do("inval-inode %d 4096 4096" % ino)
        eventually(lambda: mm[4096:4100], b"BBBB", "mapped data, page 2")
        eq(mm[:4], b"AAAA", "page 1, outside the range")
        do("inval-inode %d 0 0" % ino)
        eventually(lambda: mm[:4], b"BBBB", "mapped data, page 1")
        mm.close()
        # the notifications left the attributes stale: fetch them first
        eq(os.fstat(fd).st_size, 8192, "size before")
        do("data %d %s" % (ino, "C" * 100))
        stale_for(1.0, lambda: os.fstat(fd).st_size, 8192, "size")
        do("inval-inode %d -1 0" % ino)
        eventually(lambda: os.fstat(fd).st_size, 100, "size")
        eq(os.pread(fd, 200, 0), b"C" * 100, "read after the new size")
    finally:
        os.close(fd)


@case
def inval_entry():
    # a positive and a negative dentry: a rename behind the kernel's back
    os.mkdir("d")
    put("d/a", b"a")
    dino = os.stat("d").st_ino
    check(exists("d/a"), "d/a")
    check(not exists("d/b"), "d/b before")      # a cached negative entry
    do("rename %d a b" % dino)
    stale_for(1.5, lambda: (exists("d/a"), exists("d/b")), (True, False),
              "d/a, d/b")
    do("inval-entry %d a" % dino)
    do("inval-entry %d b" % dino)
    eventually(lambda: (exists("d/a"), exists("d/b")), (False, True),
               "d/a, d/b")
    with open("d/b", "rb") as f:
        eq(f.read(), b"a", "the renamed file")


@case
def bad_notifications():
    # what host->notify_* refuses, on every transport
    ino = os.stat(".").st_ino
    eq(ctl("inval-inode %d -1 5" % ino), errno.EINVAL, "off < 0 with a len")
    eq(ctl("inval-inode 0 0 0"), errno.EINVAL, "ino 0")
    eq(ctl("inval-inode %d 0 -1" % ino), errno.EINVAL, "len < 0")
    eq(ctl("inval-entry %d .." % ino), errno.EINVAL, "name ..")
    eq(ctl("inval-entry 0 x"), errno.EINVAL, "dir 0")
    # one the kernel has nothing cached of is fine
    eq(ctl("inval-inode 999999 -1 0"), None, "an inode never looked up")


def close_errno(fd):
    """close(2) of fd: None, or its errno (the descriptor is gone either
    way)."""
    try:
        os.close(fd)
    except OSError as e:
        return e.errno
    return None


@case
def flush_error():
    # Not a notification: the other memfs-oh hook a plugin needs tested on
    # both transports. A plugin's flush error is close(2)'s, for that one
    # descriptor (zuf.ko: FLUSH's reply; fuse.ko: FUSE_FLUSH's), once, and
    # the file and its other descriptors are unharmed.
    put("f", b"kept")
    keep = os.open("f", os.O_RDONLY)
    fd = os.open("f", os.O_RDWR)
    do("flush-error %d %d" % (os.fstat(fd).st_ino, errno.EIO))
    eq(close_errno(fd), errno.EIO,
       "close(2) of the descriptor whose flush fails")
    os.close(keep)                       # the next flush: fine again
    with open("f", "rb") as f:
        eq(f.read(), b"kept", "the file after a failed flush")
    do("flush-error %d %d" % (os.stat("f").st_ino, errno.ENOSPC))
    fd = os.open("f", os.O_WRONLY | os.O_APPEND)
    os.write(fd, b"!")
    eq(close_errno(fd), errno.ENOSPC, "close(2) after a write, flush -ENOSPC")
    with open("f", "rb") as f:
        eq(f.read(), b"kept!", "the write before the failed flush")


def main():
    global MNT
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    MNT = sys.argv[1]
    d = os.path.abspath(sys.argv[2])
    fails = 0
    for fn in CASES:
        os.chdir(d)
        os.mkdir(fn.__name__)
        os.chdir(fn.__name__)
        try:
            fn()
            print("ok: %s" % fn.__name__)
        except Exception as e:           # noqa: BLE001 - report and go on
            print("FAIL: %s: %s: %s" % (fn.__name__, type(e).__name__, e))
            fails += 1
        sys.stdout.flush()
    print("%d case(s), %d failure(s)" % (len(CASES), fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
