#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""POSIX semantics on a zufs mount served by zusd + memfs.

  posix_cases.py cases DIR     every case in DIR (an empty directory owned by
                               the caller); root-only cases check EPERM when
                               run as an unprivileged user
  posix_cases.py prepare DIR   (root) objects for the cross-user cases
  posix_cases.py other DIR     (unprivileged) the cross-user cases on them
  ZMFS_CASES=a,b               (by hand) only the cases of these names

Prints one "ok: / FAIL: / SKIP: NAME" line per case and exits 1 if a case
failed, else 0. A SKIP names the reason (a feature the mount lacks).
"""
import ctypes
import errno
import mmap
import os
import socket
import stat
import struct
import subprocess
import sys
import time

HELPER = os.environ.get("ZMFS_HELPER", "")
ROOT = os.geteuid() == 0
# zufs (zuf.ko) or fuse (zusd --transport fuse on the stock fuse.ko): the
# checks that differ by design on FUSE say so and are skipped there only.
TRANSPORT = os.environ.get("ZMFS_TRANSPORT", "zufs")
FUSE = TRANSPORT == "fuse"
PART_SKIPS = []
NOBODY = 65534
CASES = []


class Skip(Exception):
    pass


def case(fn):
    CASES.append(fn)
    return fn


def skip_part(what, why):
    """One check of a case skipped on this transport (the case goes on)."""
    PART_SKIPS.append(what)
    print("    SKIP-CHECK: %s (%s: %s)" % (what, TRANSPORT, why))


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def eq(got, want, what):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


def err(want, fn, *args, **kw):
    """fn(*args) must fail with errno want (an int or a tuple of ints)."""
    wants = want if isinstance(want, tuple) else (want,)
    try:
        fn(*args, **kw)
    except OSError as e:
        if e.errno in wants:
            return
        raise AssertionError("%s%r: %s, want %s" % (
            fn.__name__, args, errno.errorcode.get(e.errno, e.errno),
            "/".join(errno.errorcode[w] for w in wants)))
    raise AssertionError("%s%r succeeded, want %s" % (
        fn.__name__, args, "/".join(errno.errorcode[w] for w in wants)))


def put(path, data, mode=0o644):
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def get(path):
    with open(path, "rb") as f:
        return f.read()


def run(*cmd, ok=True):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = r.stdout.decode(errors="replace")
    if ok and r.returncode != 0:
        raise AssertionError("%s: exit %d: %s" % (" ".join(cmd), r.returncode,
                                                  out.strip()))
    return r.returncode, out


def rename2(old, new, flags):
    """renameat2 through zmfs-helper: None, or the errno name."""
    rc, out = run(HELPER, "rename2", old, new, flags, ok=False)
    if rc == 0:
        return None
    check(out.startswith("ERR "), "zmfs-helper: " + out)
    return out.split()[1]


RENAME_WHITEOUT = 4


def renameat2(old, new, flags):
    """renameat2(2) through libc, for a flag zmfs-helper does not name: 0,
    or the errno."""
    libc = ctypes.CDLL(None, use_errno=True)
    at_fdcwd = -100
    if libc.renameat2(at_fdcwd, os.fsencode(old), at_fdcwd, os.fsencode(new),
                      flags) == 0:
        return 0
    return ctypes.get_errno()


def as_nobody(*cmd):
    """Run cmd as uid/gid 65534 (root callers only): (exit code, output)."""
    return run("setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY,
               "--clear-groups", *cmd, ok=False)


def ino(path):
    return os.lstat(path).st_ino


def nlink(path):
    return os.lstat(path).st_nlink


# ---- rename ---------------------------------------------------------------

@case
def rename_over_file():
    put("a", b"AAAA")
    put("b", b"BB")
    ia = ino("a")
    fd = os.open("b", os.O_RDONLY)
    os.rename("a", "b")
    eq(get("b"), b"AAAA", "content of the new b")
    check(not os.path.lexists("a"), "a still exists")
    eq(ino("b"), ia, "b's inode")
    eq(os.pread(fd, 10, 0), b"BB", "the replaced file, still open")
    eq(os.fstat(fd).st_nlink, 0, "nlink of the replaced open file")
    os.close(fd)


@case
def rename_over_empty_dir():
    os.mkdir("d1")
    put("d1/inner", b"x")
    os.mkdir("d2")
    n = nlink(".")
    os.rename("d1", "d2")
    check(not os.path.lexists("d1"), "d1 still exists")
    eq(get("d2/inner"), b"x", "d2/inner")
    eq(nlink("."), n - 1, "parent nlink")


@case
def rename_over_nonempty_dir():
    os.mkdir("n1")
    os.mkdir("n2")
    put("n2/f", b"")
    e = rename2("n1", "n2", "none")
    check(e in ("ENOTEMPTY", "EEXIST"), "rename over non-empty dir: %s" % e)
    check(os.path.isdir("n1") and os.path.exists("n2/f"), "dirs changed")


@case
def rename_type_mismatch():
    os.mkdir("td")
    put("tf", b"")
    eq(rename2("tf", "td", "none"), "EISDIR", "file over dir")
    eq(rename2("td", "tf", "none"), "ENOTDIR", "dir over file")
    os.mkdir("td/sub")
    eq(rename2("td", "td/sub/x", "none"), "EINVAL", "dir into its own subdir")


@case
def rename_hard_links_of_one_inode():
    put("hl1", b"same")
    os.link("hl1", "hl2")
    os.rename("hl1", "hl2")        # POSIX: does nothing, both stay
    check(os.path.exists("hl1") and os.path.exists("hl2"), "a link vanished")
    eq(nlink("hl1"), 2, "nlink")


@case
def rename_noreplace():
    put("nr1", b"1")
    put("nr2", b"2")
    eq(rename2("nr1", "nr2", "noreplace"), "EEXIST", "onto an existing name")
    eq((get("nr1"), get("nr2")), (b"1", b"2"), "contents")
    eq(rename2("nr1", "nr3", "noreplace"), None, "onto a new name")
    eq(get("nr3"), b"1", "nr3")
    check(not os.path.exists("nr1"), "nr1 still exists")


@case
def rename_exchange():
    put("x1", b"one")
    put("x2", b"two")
    i1, i2 = ino("x1"), ino("x2")
    eq(rename2("x1", "x2", "exchange"), None, "exchange two files")
    eq((get("x1"), get("x2")), (b"two", b"one"), "contents")
    eq((ino("x1"), ino("x2")), (i2, i1), "inodes")
    os.mkdir("xd")
    put("xd/in", b"")
    eq(rename2("x1", "xd", "exchange"), None, "exchange a file and a dir")
    check(os.path.isdir("x1") and os.path.isfile("xd"), "types not swapped")
    check(os.path.exists("x1/in"), "x1/in")
    eq(rename2("x1", "nonexistent", "exchange"), "ENOENT", "missing target")
    # directories in two parents: each '..' follows
    os.makedirs("xp/a")
    os.makedirs("xq/b")
    eq(rename2("xp/a", "xq/b", "exchange"), None, "exchange dirs across")
    eq(os.stat("xp/a/..").st_ino, ino("xp"), "xp/a/.. (was b)")
    eq(os.stat("xq/b/..").st_ino, ino("xq"), "xq/b/.. (was a)")


@case
def rename_whiteout():
    # RENAME_WHITEOUT (what overlayfs asks of its upper layer): neither
    # transport makes whiteouts (zuf.ko and fuse_ll.c refuse the flag), so
    # it must fail with EINVAL and leave both names as they were
    put("w1", b"one")
    put("w2", b"two")
    eq(errno.errorcode.get(renameat2("w1", "w2", RENAME_WHITEOUT)), "EINVAL",
       "whiteout over an existing name")
    eq((get("w1"), get("w2")), (b"one", b"two"), "contents after the refusal")
    eq(errno.errorcode.get(renameat2("w1", "w3", RENAME_WHITEOUT)), "EINVAL",
       "whiteout onto a new name")
    check(os.path.exists("w1") and not os.path.lexists("w3"),
          "w1 moved by a refused rename")


# ---- unlink, links --------------------------------------------------------

@case
def unlink_open_file():
    fd = os.open("uo", os.O_CREAT | os.O_RDWR, 0o644)
    os.write(fd, b"still here")
    os.unlink("uo")
    check(not os.path.lexists("uo"), "name still there")
    eq(os.pread(fd, 100, 0), b"still here", "read after unlink")
    os.pwrite(fd, b"STILL", 0)
    eq(os.pread(fd, 100, 0), b"STILL here", "write+read after unlink")
    eq(os.fstat(fd).st_nlink, 0, "nlink")
    os.close(fd)


@case
def link_counts_files():
    put("lc", b"x")
    eq(nlink("lc"), 1, "new file")
    os.link("lc", "lc2")
    os.link("lc", "lc3")
    eq(nlink("lc"), 3, "after two links")
    eq((ino("lc2"), ino("lc3")), (ino("lc"), ino("lc")), "same inode")
    os.unlink("lc2")
    eq(nlink("lc3"), 2, "after unlink")
    err(errno.EEXIST, os.link, "lc", "lc3")


@case
def link_counts_dirs():
    os.mkdir("p")
    eq(nlink("p"), 2, "empty dir")
    os.mkdir("p/a")
    os.mkdir("p/b")
    put("p/f", b"")
    eq(nlink("p"), 4, "two subdirs (files do not count)")
    os.rmdir("p/a")
    eq(nlink("p"), 3, "after rmdir")
    os.mkdir("q")
    os.rename("p/b", "q/b")
    eq((nlink("p"), nlink("q")), (2, 3), "after moving a subdir")
    err(errno.EPERM, os.link, "q", "q-link")


# ---- error cases ----------------------------------------------------------

@case
def o_excl():
    put("ex", b"")
    err(errno.EEXIST, os.open, "ex", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    os.symlink("dangling-target", "dangling")
    err(errno.EEXIST, os.open, "dangling", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    os.close(os.open("dangling", os.O_CREAT | os.O_WRONLY, 0o600))
    check(os.path.isfile("dangling-target"), "O_CREAT through a symlink")


@case
def enametoolong():
    long_name = "n" * 256
    err(errno.ENAMETOOLONG, os.open, long_name, os.O_CREAT | os.O_WRONLY)
    err(errno.ENAMETOOLONG, os.mkdir, long_name)
    err(errno.ENAMETOOLONG, os.symlink, "t", long_name)
    put("short", b"")
    err(errno.ENAMETOOLONG, os.rename, "short", long_name)
    put("m" * 255, b"255")
    eq(get("m" * 255), b"255", "255-byte name")
    check("m" * 255 in os.listdir("."), "255-byte name in readdir")


@case
def eloop():
    os.symlink("loop2", "loop1")
    os.symlink("loop1", "loop2")
    err(errno.ELOOP, os.stat, "loop1")
    put("real", b"")
    os.symlink("real", "tosym")
    err(errno.ELOOP, os.open, "tosym", os.O_RDONLY | os.O_NOFOLLOW)


@case
def enotempty_rmdir():
    os.makedirs("ne/sub")
    err((errno.ENOTEMPTY, errno.EEXIST), os.rmdir, "ne")
    err(errno.EINVAL, os.rmdir, "ne/sub/.")


@case
def exdev():
    put("xdev", b"")
    other = "/tmp/zmfs-xdev-%d" % os.getpid()
    err(errno.EXDEV, os.rename, "xdev", other)
    err(errno.EXDEV, os.link, "xdev", other)
    check(not os.path.exists(other), "created on the other fs")


@case
def eisdir():
    os.mkdir("isd")
    err(errno.EISDIR, os.open, "isd", os.O_WRONLY)
    err(errno.EISDIR, os.unlink, "isd")
    fd = os.open("isd", os.O_RDONLY)
    err(errno.EISDIR, os.read, fd, 10)
    os.close(fd)
    err(errno.EISDIR, os.truncate, "isd", 0)


@case
def enotdir():
    put("nd", b"")
    err(errno.ENOTDIR, os.open, "nd/x", os.O_RDONLY)
    err(errno.ENOTDIR, os.mkdir, "nd/x")
    err(errno.ENOTDIR, os.rmdir, "nd")
    err(errno.ENOTDIR, os.open, "nd", os.O_RDONLY | os.O_DIRECTORY)


# ---- special files, symlinks ----------------------------------------------

@case
def mknod_fifo():
    os.mkfifo("fifo", 0o600)
    check(stat.S_ISFIFO(os.lstat("fifo").st_mode), "not a fifo")
    pid = os.fork()
    if pid == 0:
        try:
            fd = os.open("fifo", os.O_WRONLY)
            os.write(fd, b"through the fifo")
            os.close(fd)
        finally:
            os._exit(0)
    fd = os.open("fifo", os.O_RDONLY)
    data = os.read(fd, 100)
    os.close(fd)
    os.waitpid(pid, 0)
    eq(data, b"through the fifo", "fifo data")


@case
def mknod_socket():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind("sock")
    s.listen(1)
    check(stat.S_ISSOCK(os.lstat("sock").st_mode), "not a socket")
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect("sock")
    a, _ = s.accept()
    c.sendall(b"hello")
    eq(a.recv(10), b"hello", "socket data")
    for x in (a, c, s):
        x.close()
    os.unlink("sock")
    os.mknod("sock2", stat.S_IFSOCK | 0o600)
    check(stat.S_ISSOCK(os.lstat("sock2").st_mode), "mknod S_IFSOCK")


@case
def mknod_char_block():
    if not ROOT:
        err(errno.EPERM, os.mknod, "chr", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        err(errno.EPERM, os.mknod, "blk", stat.S_IFBLK | 0o600, os.makedev(7, 0))
        return
    os.mknod("chr", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    st = os.lstat("chr")
    check(stat.S_ISCHR(st.st_mode), "not a char device")
    eq((os.major(st.st_rdev), os.minor(st.st_rdev)), (1, 3), "rdev")
    # it is /dev/null: the device driver, not the file system, serves it
    fd = os.open("chr", os.O_RDWR)
    eq(os.write(fd, b"x" * 100), 100, "write to the null device")
    eq(os.read(fd, 10), b"", "read from the null device")
    os.close(fd)
    os.mknod("blk", stat.S_IFBLK | 0o600, os.makedev(259, 1048575))
    st = os.lstat("blk")
    check(stat.S_ISBLK(st.st_mode), "not a block device")
    eq((os.major(st.st_rdev), os.minor(st.st_rdev)), (259, 1048575), "rdev")


@case
def symlink_readlink():
    os.mkdir("sdir")
    put("sdir/t", b"target data")
    os.symlink("sdir/t", "sl")
    eq(os.readlink("sl"), "sdir/t", "readlink")
    eq(os.lstat("sl").st_size, len("sdir/t"), "lstat size")
    check(stat.S_ISLNK(os.lstat("sl").st_mode), "not a symlink")
    eq(get("sl"), b"target data", "read through")
    os.symlink("../sdir", "sdir/up")
    eq(get("sdir/up/t"), b"target data", "relative with ..")
    longt = "/".join(["d" * 254] * 16)[:4095]
    os.symlink(longt, "longlink")
    eq(os.readlink("longlink"), longt, "4095-byte target")
    err(errno.ENAMETOOLONG, os.symlink, "x" * 4096, "toolong")
    err(errno.EINVAL, os.readlink, "sdir/t")


@case
def dirent_types():
    os.mkdir("dt")
    put("dt/f", b"")
    os.mkdir("dt/d")
    os.symlink("f", "dt/l")
    os.mkfifo("dt/p")
    types = {e.name: (e.is_file(follow_symlinks=False),
                      e.is_dir(follow_symlinks=False), e.is_symlink())
             for e in os.scandir("dt")}
    eq(types, {"f": (True, False, False), "d": (False, True, False),
               "l": (False, False, True), "p": (False, False, False)},
       "d_type of f/d/l/p")


# ---- attributes -----------------------------------------------------------

@case
def chmod_chown():
    put("cm", b"")
    os.chmod("cm", 0o640)
    eq(stat.S_IMODE(os.stat("cm").st_mode), 0o640, "chmod 640")
    os.chmod("cm", 0o7777 if ROOT else 0o4777)
    eq(stat.S_IMODE(os.stat("cm").st_mode), 0o7777 if ROOT else 0o4777,
       "chmod with suid bits")
    if ROOT:
        os.chmod("cm", 0o6755)
        os.chown("cm", 12, 34)
        st = os.stat("cm")
        eq((st.st_uid, st.st_gid), (12, 34), "chown")
        eq(stat.S_IMODE(st.st_mode), 0o755, "chown clears suid/sgid")
    else:
        err(errno.EPERM, os.chown, "cm", 0, -1)
        err(errno.EPERM, os.chown, "cm", -1, 0)
        os.chown("cm", -1, os.getegid())     # own group: allowed
        os.chmod("cm", 0o2755)               # sgid, own group: kept
        eq(stat.S_IMODE(os.stat("cm").st_mode), 0o2755, "sgid own group")


@case
def utimes_and_timestamps():
    put("ut", b"")
    os.utime("ut", ns=(1000000000123456789, 981173106987654321))
    st = os.stat("ut")
    eq((st.st_atime_ns, st.st_mtime_ns), (1000000000123456789,
                                          981173106987654321), "ns times")
    # write: mtime and ctime move; chmod: only ctime
    old = 1000000000000000000
    os.utime("ut", ns=(old, old))
    c0 = os.stat("ut").st_ctime_ns
    with open("ut", "ab") as f:
        f.write(b"x")
    st = os.stat("ut")
    check(st.st_mtime_ns > old, "write did not update mtime")
    check(st.st_ctime_ns >= c0, "write moved ctime back")
    os.utime("ut", ns=(old, old))
    os.chmod("ut", 0o600)
    st = os.stat("ut")
    eq(st.st_mtime_ns, old, "chmod changed mtime")
    # a create updates the parent's mtime
    os.mkdir("utd")
    os.utime("utd", ns=(old, old))
    put("utd/new", b"")
    check(os.stat("utd").st_mtime_ns > old, "create did not update dir mtime")
    os.utime("utd", ns=(old, old))
    os.unlink("utd/new")
    check(os.stat("utd").st_mtime_ns > old, "unlink did not update dir mtime")
    os.utime("ut")                           # now
    check(os.stat("ut").st_mtime_ns > old, "utime(now)")


@case
def truncate():
    put("tr", b"0123456789")
    os.truncate("tr", 4)
    eq(get("tr"), b"0123", "shrink")
    os.truncate("tr", 8)
    eq(get("tr"), b"0123\0\0\0\0", "extend with zeros")
    fd = os.open("tr", os.O_RDONLY)
    err(errno.EINVAL, os.ftruncate, fd, 0)
    os.close(fd)
    err(errno.EFBIG, os.truncate, "tr", 1 << 62)
    fd = os.open("tr", os.O_RDWR)
    os.ftruncate(fd, 0)
    eq(os.fstat(fd).st_size, 0, "ftruncate 0")
    os.close(fd)


@case
def o_trunc():
    # open(O_TRUNC) of an existing longer file (git's COMMIT_EDITMSG,
    # fopen "w"): the old tail must be gone for the opener, for a reader
    # that had it open, and after the caches are dropped
    put("ot", b"uapi headers\n")
    rd = os.open("ot", os.O_RDONLY)
    eq(os.pread(rd, 64, 0), b"uapi headers\n", "before")
    put("ot", b"change\n")
    eq(get("ot"), b"change\n", "content after O_TRUNC + write")
    eq(os.stat("ot").st_size, 7, "size after O_TRUNC + write")
    eq(os.pread(rd, 64, 0), b"change\n", "an older open file's view")
    os.close(rd)
    fd = os.open("ot", os.O_WRONLY | os.O_TRUNC)
    eq(os.fstat(fd).st_size, 0, "fstat right after O_TRUNC")
    os.close(fd)
    eq(get("ot"), b"", "O_TRUNC without a write")
    if ROOT:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3")
        eq(os.stat("ot").st_size, 0, "size after drop_caches")


@case
def write_clears_suid():
    put("sx", b"")
    os.chmod("sx", 0o6777 if ROOT else 0o4777)
    if ROOT:       # CAP_FSETID keeps them for root; an ordinary user loses them
        rc, out = as_nobody("sh", "-c", "echo x >> sx")
        eq(rc, 0, "nobody appends to a 6777 file: " + out)
    else:
        with open("sx", "ab") as f:
            f.write(b"x")
    mode = stat.S_IMODE(os.stat("sx").st_mode)
    eq(mode & 0o4000, 0, "suid after an unprivileged write (mode %o)" % mode)


@case
def umask_new_inodes():
    # the umask masks every new inode but a symlink; a sticky bit asked of
    # mkdir stays. Both transports do it themselves where the mount has
    # POSIX ACLs: zuf.ko in posix_acl_create(), fuse_ll.c (fuse.ko leaves
    # it to the server with FUSE_CAP_DONT_MASK)
    def mode(path):
        return stat.S_IMODE(os.lstat(path).st_mode)
    old = os.umask(0o027)
    try:
        os.close(os.open("uf", os.O_CREAT | os.O_WRONLY, 0o666))
        os.mknod("ur", stat.S_IFREG | 0o666)
        os.mkdir("ud", 0o777)
        os.mkdir("uv", 0o1777)
        os.mkfifo("up", 0o666)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind("us")
        s.close()
        os.symlink("uf", "ul")
    finally:
        os.umask(old)
    eq(mode("uf"), 0o640, "open(O_CREAT, 0666)")
    eq(mode("ur"), 0o640, "mknod(S_IFREG, 0666)")
    eq(mode("ud"), 0o750, "mkdir 0777")
    eq(mode("uv"), 0o1750, "mkdir 01777")
    eq(mode("up"), 0o640, "mkfifo 0666")
    eq(mode("us"), 0o750, "bind of a unix socket")
    eq(mode("ul"), 0o777, "symlink")


# ---- file I/O -------------------------------------------------------------

@case
def big_file_roundtrip():
    data = os.urandom(9 * 1024 * 1024 + 17)     # more than max_io (4 MiB)
    put("big", data)
    eq(os.stat("big").st_size, len(data), "size")
    check(get("big") == data, "9 MiB + 17 round trip differs")
    fd = os.open("sparse", os.O_CREAT | os.O_RDWR, 0o644)
    os.pwrite(fd, b"far", 1 << 40)
    eq(os.fstat(fd).st_size, (1 << 40) + 3, "size at 1 TiB")
    eq(os.pread(fd, 8, (1 << 40) - 5), b"\0" * 5 + b"far", "read at 1 TiB")
    os.close(fd)


@case
def o_append():
    put("ap", b"")
    f1 = os.open("ap", os.O_WRONLY | os.O_APPEND)
    f2 = os.open("ap", os.O_WRONLY | os.O_APPEND)
    for i in range(50):
        os.write(f1 if i % 2 == 0 else f2, b"%02d," % i)
    eq(get("ap"), b"".join(b"%02d," % i for i in range(50)), "interleaved")
    eq(os.lseek(f2, 0, os.SEEK_CUR), 150, "position after the last append")
    os.pwrite(f2, b"P", 0)                  # Linux: pwrite appends too
    eq(get("ap")[-1:], b"P", "pwrite on O_APPEND")
    os.close(f1)
    os.close(f2)


@case
def o_direct():
    n = 256 * 1024
    buf = mmap.mmap(-1, n)                  # page aligned
    buf.write(os.urandom(n))
    try:
        fd = os.open("dio", os.O_CREAT | os.O_RDWR | os.O_DIRECT, 0o644)
    except OSError as e:
        raise AssertionError("open O_DIRECT: %s" % e)
    eq(os.pwritev(fd, [buf], 4096), n, "O_DIRECT write")
    os.close(fd)
    eq(get("dio")[4096:], bytes(buf), "buffered read of O_DIRECT data")
    rb = mmap.mmap(-1, n)
    fd = os.open("dio", os.O_RDONLY | os.O_DIRECT)
    eq(os.preadv(fd, [rb], 4096), n, "O_DIRECT read")
    os.close(fd)
    check(bytes(rb) == bytes(buf), "O_DIRECT read differs")


@case
def fsync_fdatasync():
    put("fs", b"data")
    fd = os.open("fs", os.O_RDWR)
    os.fsync(fd)
    os.fdatasync(fd)
    os.close(fd)
    fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    os.fsync(fd)
    os.close(fd)
    fd = os.open("fs2", os.O_CREAT | os.O_WRONLY | os.O_SYNC, 0o644)
    os.write(fd, b"sync write")
    os.close(fd)
    eq(get("fs2"), b"sync write", "O_SYNC write")


@case
def fallocate_punch_hole():
    fd = os.open("fa", os.O_CREAT | os.O_RDWR, 0o644)
    os.posix_fallocate(fd, 0, 1 << 20)
    st = os.fstat(fd)
    eq(st.st_size, 1 << 20, "size after fallocate")
    check(st.st_blocks >= (1 << 20) // 512, "blocks %d" % st.st_blocks)
    eq(os.pread(fd, 16, 5000), b"\0" * 16, "allocated range reads zeros")
    os.close(fd)
    run("fallocate", "-n", "-o", "0", "-l", "4194304", "fa")     # keep size
    eq(os.stat("fa").st_size, 1 << 20, "size after KEEP_SIZE")
    data = os.urandom(64 * 1024)
    put("ph", data)
    b0 = os.stat("ph").st_blocks
    run("fallocate", "-p", "-o", "4096", "-l", "8192", "ph")
    got = get("ph")
    eq(len(got), len(data), "size after punch")
    check(got[:4096] == data[:4096] and got[12288:] == data[12288:],
          "data around the hole changed")
    eq(got[4096:12288], b"\0" * 8192, "hole content")
    eq(os.stat("ph").st_blocks, b0 - 16, "blocks after punching 2 pages")
    run("fallocate", "-p", "-o", "100", "-l", "50", "ph")        # in a page
    got = get("ph")
    check(got[100:150] == b"\0" * 50 and got[:100] == data[:100] and
          got[150:4096] == data[150:4096], "partial-page punch")
    rc, out = run("fallocate", "-z", "-o", "20000", "-l", "5000", "ph",
                  ok=False)
    if rc and FUSE and "not supported" in out:
        # fuse.ko passes FALLOC_FL_ZERO_RANGE to a server only from 6.1's
        # stable updates on (Debian's 6.1.0-NN do): older ones refuse it
        skip_part("zero range", "this fuse.ko refuses FALLOC_FL_ZERO_RANGE "
                  "(EOPNOTSUPP in the kernel)")
        return
    check(rc == 0, "fallocate -z: exit %d: %s" % (rc, out.strip()))
    eq(get("ph")[20000:25000], b"\0" * 5000, "zero range")


@case
def seek_data_hole():
    fd = os.open("sk", os.O_CREAT | os.O_RDWR, 0o644)
    os.pwrite(fd, b"a" * 100, 0)
    os.pwrite(fd, b"b" * 100, 1 << 20)
    eq(os.lseek(fd, 0, os.SEEK_DATA), 0, "SEEK_DATA 0")
    eq(os.lseek(fd, 0, os.SEEK_HOLE), 4096, "SEEK_HOLE 0")
    eq(os.lseek(fd, 5000, os.SEEK_DATA), 1 << 20, "SEEK_DATA 5000")
    eq(os.lseek(fd, (1 << 20) + 10, os.SEEK_HOLE), (1 << 20) + 100,
       "SEEK_HOLE in the last page = EOF")
    err(errno.ENXIO, os.lseek, fd, (1 << 20) + 100, os.SEEK_DATA)
    err(errno.ENXIO, os.lseek, fd, 1 << 30, os.SEEK_HOLE)
    os.close(fd)


@case
def statfs():
    sv = os.statvfs(".")
    eq(sv.f_namemax, 255, "f_namemax")
    check(sv.f_bsize > 0 and sv.f_blocks > 0 and sv.f_bfree <= sv.f_blocks,
          "statvfs %r" % (sv,))
    # size= is memfs's option (lib.sh drops it for ZMFS_PLUGIN=pmemfs)
    if os.environ.get("ZMFS_SIZE_BLOCKS") and \
            os.environ.get("ZMFS_PLUGIN", "memfs") == "memfs":
        eq(sv.f_blocks * sv.f_frsize // 4096,
           int(os.environ["ZMFS_SIZE_BLOCKS"]), "size= mount option")
    put("sf", os.urandom(1 << 20))
    sv2 = os.statvfs(".")
    # memfs counts data pages only; pmemfs also its metadata blocks (the
    # directory's entry block, extent leaves), which a directory keeps
    meta = 0 if os.environ.get("ZMFS_PLUGIN", "memfs") == "memfs" else 4
    used = sv.f_bfree - sv2.f_bfree
    check((1 << 20) // sv.f_bsize <= used <= (1 << 20) // sv.f_bsize + meta,
          "free blocks after writing 1 MiB: %d used" % used)
    check(sv2.f_ffree < sv.f_ffree, "free inodes did not drop")
    os.unlink("sf")
    # the server frees the data when the kernel FORGETs the inode, which
    # zuf does from a work item: wait for it (bounded), it must happen
    for _ in range(300):
        if os.statvfs(".").f_bfree >= sv.f_bfree - meta:
            break
        time.sleep(0.1)
    bfree = os.statvfs(".").f_bfree
    check(sv.f_bfree - meta <= bfree <= sv.f_bfree,
          "free blocks after unlink: %d, before %d" % (bfree, sv.f_bfree))
    run("df", ".")
    _, out = run("stat", "-f", "-c", "%b %S %l", ".")
    eq(out.split()[2], "255", "stat -f namelen")


# ---- extended attributes, ACLs --------------------------------------------

@case
def xattr_user():
    put("xa", b"")
    os.setxattr("xa", "user.one", b"1")
    eq(os.getxattr("xa", "user.one"), b"1", "get")
    os.setxattr("xa", "user.empty", b"")
    eq(os.getxattr("xa", "user.empty"), b"", "empty value")
    eq(sorted(os.listxattr("xa")), ["user.empty", "user.one"], "list")
    err(errno.EEXIST, os.setxattr, "xa", "user.one", b"x", os.XATTR_CREATE)
    err(errno.ENODATA, os.setxattr, "xa", "user.two", b"x", os.XATTR_REPLACE)
    os.setxattr("xa", "user.one", b"111", os.XATTR_REPLACE)
    eq(os.getxattr("xa", "user.one"), b"111", "replace")
    err(errno.ENODATA, os.getxattr, "xa", "user.none")
    big = os.urandom(65536)
    os.setxattr("xa", "user.big", big)
    check(os.getxattr("xa", "user.big") == big, "64 KiB value differs")
    err(errno.E2BIG, os.setxattr, "xa", "user.big", big + b"x")
    err(errno.ERANGE, os.setxattr, "xa", "user." + "n" * 251, b"x")
    os.removexattr("xa", "user.one")
    err(errno.ENODATA, os.removexattr, "xa", "user.one")
    eq(sorted(os.listxattr("xa")), ["user.big", "user.empty"], "after remove")
    os.mkdir("xad")
    os.setxattr("xad", "user.d", b"dir")
    eq(os.getxattr("xad", "user.d"), b"dir", "on a directory")
    os.symlink("xa", "xal")
    err(errno.EPERM, os.setxattr, "xal", "user.l", b"x", follow_symlinks=False)
    os.mkfifo("xaf")
    err(errno.EPERM, os.setxattr, "xaf", "user.f", b"x")
    run("setfattr", "-n", "user.cli", "-v", "0x00ff10", "xa")
    _, out = run("getfattr", "-e", "hex", "-n", "user.cli", "xa")
    check("user.cli=0x00ff10" in out, "getfattr: " + out)


@case
def xattr_trusted_security():
    put("xt", b"")
    if not ROOT:
        err(errno.EPERM, os.setxattr, "xt", "trusted.t", b"x")
        same_as_baseline(os.setxattr, "xt", "security.zmfs", b"x")
        return
    os.setxattr("xt", "trusted.t", b"trusted value")
    eq(os.getxattr("xt", "trusted.t"), b"trusted value", "trusted get")
    os.setxattr("xt", "security.zmfs", b"sec")
    eq(os.getxattr("xt", "security.zmfs"), b"sec", "security get")
    check({"trusted.t", "security.zmfs"} <= set(os.listxattr("xt")), "list")
    os.removexattr("xt", "trusted.t")
    err(errno.ENODATA, os.getxattr, "xt", "trusted.t")
    err(errno.EOPNOTSUPP, os.setxattr, "xt", "bogus.ns", b"x")


BASELINE = "/tmp/zmfs-baseline-root"


def same_as_baseline(fn, path, *args, base=None):
    """fn(path, *args) must end as it does on a file of the guest's tmpfs
    (/tmp): whether an unprivileged caller may set security.* is the LSM
    stack's decision (cap_inode_setxattr says EPERM, but on 6.1 an enabled
    BPF LSM answers first and allows it), not the file system's."""
    def outcome(p):
        try:
            fn(p, *args)
            return "success"
        except OSError as e:
            return errno.errorcode.get(e.errno, str(e.errno))
    if base is None:
        base = "/tmp/zmfs-baseline-%d" % os.getpid()
        put(base, b"")
    want = outcome(base)
    eq(outcome(path), want, "%s%r (tmpfs: %s)" % (fn.__name__, args, want))
    if want == "success":
        print("    note: %s%r is allowed on tmpfs too (guest LSM stack)" % (
            fn.__name__, args))


def acl_supported(path):
    rc, out = run("setfacl", "-m", "u:%d:r" % (0 if not ROOT else NOBODY),
                  path, ok=False)
    if rc == 0:
        return True
    if "not supported" in out:
        return False
    raise AssertionError("setfacl: " + out)


@case
def posix_acl():
    put("acl", b"secret")
    os.chmod("acl", 0o600)
    if not acl_supported("acl"):
        # memfs wants ZUS_CAP_ACL; zusd offers it over FUSE (the kernel's
        # FUSE_POSIX_ACL, mode/ACL coherence and inheritance in fuse_ll.c)
        check(not FUSE, "setfacl: Operation not supported over FUSE")
        raise Skip("setfacl: Operation not supported: the mount has no "
                   "POSIX ACLs (ZUFS_CAP_ACL not agreed)")
    _, out = run("getfacl", "-n", "acl")
    check(("user:%d:r--" % (NOBODY if ROOT else 0)) in out, "getfacl: " + out)
    check("mask::r--" in out, "mask: " + out)
    eq(stat.S_IMODE(os.stat("acl").st_mode), 0o640, "group bits = mask")
    os.mkdir("acld")
    run("setfacl", "-d", "-m", "u:%d:rw" % (NOBODY if ROOT else 0), "acld")
    put("acld/inherits", b"")
    _, out = run("getfacl", "-n", "acld/inherits")
    check(("user:%d:rw-" % (NOBODY if ROOT else 0)) in out,
          "default ACL not inherited: " + out)
    os.chmod("acl", 0o600)                  # mask becomes ---
    _, out = run("getfacl", "-n", "acl")
    check("mask::---" in out, "chmod did not update the mask: " + out)
    run("setfacl", "-b", "acl")
    _, out = run("getfacl", "-n", "-c", "acl")
    eq(sorted(out.split()), ["group::---", "other::---", "user::rw-"],
       "setfacl -b")
    if ROOT:
        # the ACL decides: nobody may read a 0600 root file it names
        run("setfacl", "-m", "u:%d:r" % NOBODY, "acl")
        rc, out = as_nobody("cat", "acl")
        eq((rc, out), (0, "secret"), "nobody reads through the ACL")
        run("setfacl", "-m", "u:%d:-" % NOBODY, "acl")
        os.chmod("acl", 0o644)
        rc, out = as_nobody("cat", "acl")
        check(rc != 0 and "Permission denied" in out,
              "ACL entry u:nobody:- must deny: %d %s" % (rc, out))


# ---- mmap, copy_file_range, O_TMPFILE ------------------------------------

@case
def mmap_shared_coherent():
    fd = os.open("mm", os.O_CREAT | os.O_RDWR, 0o644)
    os.ftruncate(fd, 3 * 4096 + 100)
    m = mmap.mmap(fd, 3 * 4096 + 100, mmap.MAP_SHARED)
    m[4096:4101] = b"mmap!"
    eq(os.pread(fd, 5, 4096), b"mmap!", "read(2) sees a store (no msync)")
    os.pwrite(fd, b"WRITE", 4096)
    eq(m[4096:4101], b"WRITE", "mapping sees write(2)")
    m[3 * 4096 + 90:3 * 4096 + 100] = b"tail-bytes"
    m.flush()
    m2 = mmap.mmap(fd, 4096, mmap.MAP_PRIVATE)
    m2[0:4] = b"PRIV"
    eq(os.pread(fd, 4, 0), b"\0\0\0\0", "MAP_PRIVATE store leaked")
    m2.close()
    m.close()
    os.close(fd)
    data = get("mm")
    eq(len(data), 3 * 4096 + 100, "size after mmap")
    eq(data[3 * 4096 + 90:], b"tail-bytes", "tail page written back")
    # another process's mapping of the same file
    fd = os.open("mm", os.O_RDWR)
    m = mmap.mmap(fd, 4096, mmap.MAP_SHARED)
    pid = os.fork()
    if pid == 0:
        fd2 = os.open("mm", os.O_RDWR)
        mc = mmap.mmap(fd2, 4096, mmap.MAP_SHARED)
        mc[0:5] = b"child"
        os._exit(0)
    os.waitpid(pid, 0)
    eq(m[0:5], b"child", "two processes' mappings")
    m.close()
    os.close(fd)


@case
def copy_file_range():
    src = os.urandom((1 << 20) + 123)
    put("cs", src)
    fi = os.open("cs", os.O_RDONLY)
    fo = os.open("cd", os.O_CREAT | os.O_WRONLY, 0o644)
    n = 0
    while n < len(src):
        c = os.copy_file_range(fi, fo, len(src) - n)
        check(c > 0, "copy_file_range returned %d at %d" % (c, n))
        n += c
    os.close(fo)
    check(get("cd") == src, "whole copy differs")
    fo = os.open("cd2", os.O_CREAT | os.O_WRONLY, 0o644)
    eq(os.copy_file_range(fi, fo, 70000, 5000, 100), 70000, "offset copy")
    os.close(fo)
    eq(get("cd2"), b"\0" * 100 + src[5000:75000], "offset copy content")
    fio = os.open("cd", os.O_RDWR)
    err(errno.EINVAL, os.copy_file_range, fio, fio, 8192, 0, 4096)
    os.close(fio)
    os.close(fi)


def link_fd(fd, name):
    """linkat(AT_FDCWD, "/proc/self/fd/N", name, AT_SYMLINK_FOLLOW): python
    calls plain link(2) (no follow) unless a dir fd is given."""
    root = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.link("proc/self/fd/%d" % fd, name, src_dir_fd=root,
                follow_symlinks=True)
    finally:
        os.close(root)


@case
def o_tmpfile():
    try:
        fd = os.open(".", os.O_TMPFILE | os.O_RDWR, 0o600)
    except OSError as e:
        if e.errno == errno.EOPNOTSUPP:
            raise Skip("O_TMPFILE: EOPNOTSUPP (%s)" % (
                "fuse: fuse.ko sends FUSE_TMPFILE but libfuse 3.14 has no "
                "tmpfile op (answers ENOSYS)" if FUSE else
                "no ZUFS_CAP_TMPFILE"))
        raise
    os.write(fd, b"anonymous")
    eq(os.fstat(fd).st_nlink, 0, "nlink of an O_TMPFILE file")
    before = set(os.listdir("."))
    link_fd(fd, "named")
    eq(set(os.listdir(".")) - before, {"named"}, "new names")
    eq(get("named"), b"anonymous", "content")
    eq(nlink("named"), 1, "nlink after linkat")
    os.close(fd)
    fd = os.open(".", os.O_TMPFILE | os.O_RDWR | os.O_EXCL, 0o600)
    err(errno.ENOENT, link_fd, fd, "named2")
    os.close(fd)
    put("tmpf-file", b"")
    err(errno.ENOTDIR, os.open, "tmpf-file", os.O_TMPFILE | os.O_RDWR, 0o600)


# ---- directories, sync ----------------------------------------------------

@case
def readdir_changing():
    os.mkdir("churn")
    rc, out = run(HELPER, "readdir-churn", "churn", "300", ok=False)
    eq(rc, 0, "readdir-churn: " + out)
    print("    " + out.strip())


@case
def readdir_large():
    os.mkdir("many")
    names = {"f%04d-%s" % (i, "x" * (i % 200)) for i in range(1000)}
    for n in names:
        os.close(os.open("many/" + n, os.O_CREAT | os.O_WRONLY, 0o644))
    eq(set(os.listdir("many")), names, "1000 entries")
    eq(nlink("many"), 2, "dir nlink")


SYS_GETDENTS64 = {"x86_64": 217, "aarch64": 61}.get(os.uname().machine)


def getdents(path, bufsize):
    """Every entry of directory path, "." and ".." too (os.scandir hides
    them), read with getdents64(2) into a bufsize-byte buffer: a list of
    (name, d_ino, d_type) in the order the file system gave them."""
    if SYS_GETDENTS64 is None:
        raise Skip("getdents64: syscall number unknown on " +
                   os.uname().machine)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    buf = ctypes.create_string_buffer(bufsize)
    ents = []
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        while True:
            n = libc.syscall(ctypes.c_long(SYS_GETDENTS64), ctypes.c_int(fd),
                             buf, ctypes.c_uint(bufsize))
            if n < 0:
                e = ctypes.get_errno()
                raise OSError(e, os.strerror(e), path)
            if n == 0:
                return ents
            raw, pos = buf.raw[:n], 0
            while pos < n:
                d_ino, _, reclen, d_type = struct.unpack_from("=QqHB", raw,
                                                              pos)
                name = raw[pos + 19:pos + reclen].split(b"\0", 1)[0]
                ents.append((os.fsdecode(name), d_ino, d_type))
                pos += reclen
            check(len(ents) < 10000, "getdents64 does not come to an end")
    finally:
        os.close(fd)


@case
def efault_buffers():
    # read(2)/write(2)/pread/pwrite with a NULL buffer and with an address
    # that maps nothing get EFAULT, the file stays as it was, the mount goes
    # on working (a NULL user buffer was once taken for kernel memory: an
    # oops in ucchan's copy)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.read.restype = libc.write.restype = ctypes.c_ssize_t
    libc.pread.restype = libc.pwrite.restype = ctypes.c_ssize_t
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                          ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    put("efault", b"x" * 20000)
    # a page-aligned hole: mapped, then unmapped again
    hole = libc.mmap(None, 65536, 3, 0x22, -1, 0)   # PROT_RW, PRIVATE|ANON
    check(hole not in (None, ctypes.c_void_p(-1).value), "mmap for the hole")
    libc.munmap(ctypes.c_void_p(hole), 65536)
    fd = os.open("efault", os.O_RDWR)
    try:
        for addr in (None, hole):
            for size in (100, 4096, 20000):
                for name, call in (
                        ("read", lambda a, n: libc.read(fd, a, n)),
                        ("write", lambda a, n: libc.write(fd, a, n)),
                        ("pread", lambda a, n: libc.pread(fd, a, n, 3)),
                        ("pwrite", lambda a, n: libc.pwrite(fd, a, n, 3))):
                    os.lseek(fd, 0, os.SEEK_SET)
                    r = call(ctypes.c_void_p(addr), ctypes.c_size_t(size))
                    e = ctypes.get_errno()
                    eq((r, e), (-1, errno.EFAULT), "%s(%s, %d)" %
                       (name, "NULL" if addr is None else "hole", size))
    finally:
        os.close(fd)
    eq(get("efault"), b"x" * 20000, "the file after the EFAULTs")


@case
def readdir_dots():
    # "." and ".." once each, as directories, "." with the directory's
    # inode number and ".." with its parent's (zuf.ko makes them, on FUSE
    # fuse_ll.c: add_dots, dir_parent), also read one entry per getdents64
    # call, which resumes right after "." and after ".."
    DT_DIR, DT_REG = 4, 8
    os.mkdir("dots")
    for n in ("a", "b", "c"):
        put("dots/" + n, b"")
    os.mkdir("dots/sub")
    for bufsize in (65536, 40):
        ents = getdents("dots", bufsize)
        what = "buffer of %d bytes" % bufsize
        eq(sorted(e[0] for e in ents), [".", "..", "a", "b", "c", "sub"],
           "names, " + what)
        by = {e[0]: e for e in ents}
        eq(by["."][1:], (ino("dots"), DT_DIR), "'.' (d_ino, d_type), " + what)
        eq(by[".."][2], DT_DIR, "'..' d_type, " + what)
        eq(by["a"][1:], (ino("dots/a"), DT_REG), "'a', " + what)
        eq(by["sub"][1:], (ino("dots/sub"), DT_DIR), "'sub', " + what)
        eq(by[".."][1], ino("."), "'..' d_ino (the parent's), " + what)
    # and after the directory moved to another parent (FUSE: fuse_ll.c
    # learns the new parent at the rename)
    os.mkdir("other")
    os.rename("dots", "other/dots")
    by = {e[0]: e for e in getdents("other/dots", 65536)}
    eq(by[".."][1], ino("other"), "'..' d_ino after a rename")


@case
def sync_syncfs():
    put("sy", b"x")
    run("sync")
    run("sync", "-f", ".")
    run("sync", "sy")
    os.sync()


# ---- mount ------------------------------------------------------------------

MS_RDONLY, MS_REMOUNT = 1, 32


def mount_root(path):
    """The mount point path is on."""
    p = os.path.realpath(path)
    while p != "/" and not os.path.ismount(p):
        p = os.path.dirname(p)
    return p


def remount(target, flags):
    """mount(2) MS_REMOUNT | flags of the mount at target (no options)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                           ctypes.c_ulong, ctypes.c_void_p]
    if libc.mount(None, os.fsencode(target), None, MS_REMOUNT | flags,
                  None) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), target)


@case
def remount_ro():
    # mount -o remount,ro: every change fails with EROFS, reading goes on;
    # remount,rw: writable again (zuf.ko's zuf_reconfigure, fuse.ko's
    # reconfigure; the plugin is not asked). Registered last: the mount
    # is read-only for a moment.
    put("before", b"kept")
    mnt = mount_root(".")
    check(mnt != "/", "no mount point above " + os.getcwd())
    if not ROOT:
        err(errno.EPERM, remount, mnt, MS_RDONLY)
        return
    for _ in range(50):     # EBUSY while an unlinked inode is referenced
        try:
            remount(mnt, MS_RDONLY)
            break
        except OSError as e:
            if e.errno != errno.EBUSY:
                raise
            time.sleep(0.1)
    else:
        raise AssertionError("remount,ro: EBUSY for 5 s")
    try:
        check(os.statvfs(".").f_flag & os.ST_RDONLY, "statvfs: no ST_RDONLY")
        eq(get("before"), b"kept", "read while ro")
        check("before" in os.listdir("."), "readdir while ro")
        err(errno.EROFS, os.open, "new", os.O_CREAT | os.O_WRONLY, 0o644)
        err(errno.EROFS, os.open, "before", os.O_WRONLY)
        err(errno.EROFS, os.truncate, "before", 0)
        err(errno.EROFS, os.mkdir, "newdir")
        err(errno.EROFS, os.unlink, "before")
        err(errno.EROFS, os.rename, "before", "renamed")
        err(errno.EROFS, os.chmod, "before", 0o600)
        err(errno.EROFS, os.utime, "before", (1, 1))
        err(errno.EROFS, os.setxattr, "before", "user.ro", b"x")
    finally:
        remount(mnt, 0)
    check(not os.statvfs(".").f_flag & os.ST_RDONLY, "still ST_RDONLY")
    put("after", b"rw again")
    eq(get("after"), b"rw again", "write after remount,rw")
    eq(get("before"), b"kept", "the file kept while ro")


# ---- cross-user cases -----------------------------------------------------

def prepare(d):
    """(root) objects in d for the cross-user cases run by 'other'."""
    os.chdir(d)
    os.chmod(".", 0o755)
    os.mkdir("priv", 0o700)
    put("priv/f", b"")
    put("rofile", b"root's", 0o644)
    os.chmod("rofile", 0o644)
    put("noexec", b"#!/bin/sh\nexit 0\n")
    os.chmod("noexec", 0o644)
    os.mkdir("pub")
    os.chmod("pub", 0o1777)
    put("pub/rootfile", b"")
    os.mkdir("sg")
    os.chown("sg", 0, 55)
    os.chmod("sg", 0o2777)
    put("trusted", b"")
    os.setxattr("trusted", "trusted.secret", b"x")
    os.setxattr("trusted", "security.zmfs", b"label")
    put(BASELINE, b"")
    os.chmod(BASELINE, 0o644)


OTHER = []


def other_case(fn):
    OTHER.append(fn)
    return fn


@other_case
def eacces_private_dir():
    err(errno.EACCES, os.listdir, "priv")
    err(errno.EACCES, os.stat, "priv/f")


@other_case
def eacces_root_file():
    eq(get("rofile"), b"root's", "read 0644")
    err(errno.EACCES, os.open, "rofile", os.O_WRONLY)
    err(errno.EACCES, os.truncate, "rofile", 0)
    err(errno.EPERM, os.chmod, "rofile", 0o666)
    err(errno.EPERM, os.chown, "rofile", NOBODY, NOBODY)
    err(errno.EPERM, os.utime, "rofile", (1, 1))
    err(errno.EACCES, os.utime, "rofile")          # "now" needs write access
    err(errno.EACCES, os.setxattr, "rofile", "user.x", b"x")
    err(errno.EACCES, os.open, "newfile", os.O_CREAT | os.O_WRONLY)
    err(errno.EACCES, os.unlink, "rofile")
    err(errno.EACCES, os.mkdir, "newdir")
    err(errno.EACCES, os.rename, "rofile", "renamed")


@other_case
def eacces_exec():
    err(errno.EACCES, os.execv, "noexec", ["noexec"])


@other_case
def sticky_dir():
    err(errno.EPERM, os.unlink, "pub/rootfile")
    err(errno.EPERM, os.rename, "pub/rootfile", "pub/mine-now")
    put("pub/mine", b"")
    eq(os.stat("pub/mine").st_uid, NOBODY, "owner of a new file")
    err(errno.EPERM, os.rename, "pub/mine", "pub/rootfile")
    os.rename("pub/mine", "pub/mine2")
    os.unlink("pub/mine2")


@other_case
def setgid_dir():
    put("sg/f", b"")
    os.mkdir("sg/d")
    eq(os.stat("sg/f").st_gid, 55, "gid of a file in a setgid dir")
    st = os.stat("sg/d")
    eq((st.st_gid, bool(st.st_mode & stat.S_ISGID)), (55, True),
       "subdir gid and setgid bit")


@other_case
def trusted_security_xattrs():
    eq(os.getxattr("trusted", "security.zmfs"), b"label", "read security.*")
    same_as_baseline(os.setxattr, "trusted", "security.zmfs", b"mine",
                     base=BASELINE)
    err(errno.ENODATA, os.getxattr, "trusted", "trusted.secret")
    # listxattr hides trusted.* from an unprivileged caller (zuf.ko:
    # zuf_filter_list; FUSE: fuse_ll.c xattr_filter, by uid 0)
    names = os.listxattr("trusted")
    check("security.zmfs" in names, "listxattr: no security.zmfs: %r" % names)
    check("trusted.secret" not in names,
          "listxattr shows trusted.* to an unprivileged caller: %r" % names)


def run_list(cases, d):
    os.chdir(d)
    fails = skips = 0
    for fn in cases:
        name = fn.__name__
        t0 = time.monotonic()
        if cases is CASES:              # each case in its own directory
            os.mkdir(name)
            os.chdir(name)
        try:
            fn()
            print("ok: %s (%.1f s)" % (name, time.monotonic() - t0))
        except Skip as e:
            print("SKIP: %s (%s)" % (name, e))
            skips += 1
        except Exception as e:           # noqa: BLE001 - report and go on
            print("FAIL: %s: %s: %s" % (name, type(e).__name__, e))
            fails += 1
        finally:
            os.chdir(d)
        sys.stdout.flush()
    who = "root" if ROOT else "uid %d" % os.geteuid()
    print("%s (%s, %s): %d case(s), %d failure(s), %d skipped, %d check(s) "
          "skipped on this transport" % (sys.argv[1], who, TRANSPORT,
                                         len(cases), fails, skips,
                                         len(PART_SKIPS)))
    return 1 if fails else 0


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("cases", "prepare", "other"):
        print(__doc__, file=sys.stderr)
        return 2
    d = os.path.abspath(sys.argv[2])
    if sys.argv[1] == "prepare":
        prepare(d)
        return 0
    os.umask(0o022)
    cases = CASES if sys.argv[1] == "cases" else OTHER
    only = os.environ.get("ZMFS_CASES")    # by hand: a comma list of names
    if only:
        cases = [c for c in cases if c.__name__ in only.split(",")]
    return run_list(cases, d)


if __name__ == "__main__":
    sys.exit(main())
