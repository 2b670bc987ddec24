#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# zufs protocol 1.2 against zufs-testsrv, whose request log
# (ZUFS_TESTSRV_LOG) shows each request with its handle:
#   - OPENDIR/READDIR/FSYNCDIR/RELEASEDIR of one directory carry one fh;
#   - reading a directory asks for its end once (one READDIR for a small
#     one, two for 500 entries); a rewind reads it again;
#   - O_CREAT|O_EXCL is one CREATE (no LOOKUP, MKNOD or OPEN), O_CREAT a
#     LOOKUP and a CREATE; the CREATE's fh comes back in WRITE, FLUSH and
#     RELEASE; O_CREAT|O_EXCL of an existing name is EEXIST;
#   - FLUSH once per close(2) of a descriptor (dup), one RELEASE; close()
#     returns FLUSH's error;
#   - the inherited ACLs are in the MKDIR/CREATE/MKNOD/TMPFILE request
#     (ZUFS_CAP_INIT_XATTRS), no SETXATTR follows;
#   - a CREATE reply the kernel cannot use is RELEASEd;
#   - a 1.1 server (mode v11) and one answering -ENOSYS (mode enosys) get
#     1.1's requests and everything still works;
#   - /proc/mounts shows service=, fs=, untrusted and the server's
#     options; remount ro/rw works (also through mount.zufs), touch fails
#     with EROFS while ro; a remount that changes service= is refused;
#   - mount.zufs explains a missing /dev/ucchan or zuf.ko.
. "$(dirname "$0")/lib.sh"

OP_LOOKUP=5 OP_MKNOD=9 OP_SETXATTR=28 OP_OPEN=19 OP_RELEASE=20 OP_FSYNC=23
OP_OPENDIR=32 OP_RELEASEDIR=33 OP_FLUSH=34 OP_FSYNCDIR=35 OP_CREATE=36

LOG=/tmp/zufs-open.log
export ZUFS_TESTSRV_LOG=$LOG

mark() {	# mark: remember where the log is
	MARK=$(wc -l <"$LOG")
}
since() {	# since: the log's lines after the mark
	tail -n +"$((MARK + 1))" "$LOG"
}
nreq() {	# nreq PATTERN: requests since the mark matching PATTERN
	since | grep -c -- "$1"
}

have_acl=1
command -v setfacl >/dev/null || have_acl=0

# ---- 1.2 server ----------------------------------------------------------
: >"$LOG"
start_server zufs_t_open
MNT=$(mktemp -d /tmp/zufs-mnt.XXXXXX)
check "mount with untrusted and server options" \
	mount -t zufs -o 'service=zufs_t_open,fs=testfs,untrusted,t_a,t_b=x y' testsrc "$MNT"
check "findmnt shows service=, fs=, untrusted, the server's options" sh -c "
	o=\$(findmnt -n -o OPTIONS $MNT) && echo \"\$o\" &&
	case \",\$o,\" in *,service=zufs_t_open,*) ;; *) exit 1 ;; esac &&
	case \",\$o,\" in *,fs=testfs,*) ;; *) exit 1 ;; esac &&
	case \",\$o,\" in *,untrusted,*) ;; *) exit 1 ;; esac &&
	case \",\$o,\" in *,t_a,*) ;; *) exit 1 ;; esac"
check "/proc/mounts escapes the space (t_b=x\\040y)" \
	grep -q " $MNT zufs .*,t_b=x\\\\040y" /proc/mounts
cd "$MNT" || exit 1

# ---- directories
mkdir d && touch d/a d/b
mark
check "opendir, readdir, fsync, close a directory" python3 -I -c "
import os
fd = os.open('d', os.O_RDONLY | os.O_DIRECTORY)
assert sorted(os.listdir(fd)) == ['a', 'b']
os.fsync(fd)
os.close(fd)"
since | sed 's/^/    /'
fh=$(since | sed -n 's/^OPENDIR .*newfh=\([0-9]*\).*/\1/p' | head -1)
check "one OPENDIR ($fh)" test "$(nreq '^OPENDIR ')" = 1 -a -n "$fh"
check "READDIR with its fh" test "$(nreq "^READDIR .* fh=$fh ")" -ge 1 -a "$(nreq '^READDIR ')" = "$(nreq "^READDIR .* fh=$fh ")"
check "FSYNCDIR with its fh, no FSYNC" test "$(nreq "^FSYNCDIR .* fh=$fh status=0")" = 1 -a "$(nreq '^FSYNC ')" = 0
check "one RELEASEDIR with its fh" test "$(nreq "^RELEASEDIR .* fh=$fh status=0")" = 1 -a "$(nreq '^RELEASEDIR ')" = 1
srv_counts
check "no directory handle left (${COUNTS[-3]})" test "${COUNTS[-3]}" = dirs=0

# ---- readdir asks for the end once: a small directory is one READDIR, 500
# entries (more than the first 4 KiB reply) two; a rewind reads it again
python3 -I -c "
import os
os.mkdir('r')
for i in range(500):
    os.close(os.open('r/f%03d' % i, os.O_CREAT | os.O_WRONLY, 0o600))"
mark
check "listdir of 2 entries" python3 -I -c "
import os; assert sorted(os.listdir('d')) == ['a', 'b']"
check "... is one READDIR ($(nreq '^READDIR '))" test "$(nreq '^READDIR ')" = 1
mark
check "listdir of 500 entries" python3 -I -c "
import os; assert len(os.listdir('r')) == 500"
check "... is two READDIRs ($(nreq '^READDIR '))" test "$(nreq '^READDIR ')" = 2
check "an entry made after the end is seen after a rewind" python3 -I -c "
import os
fd = os.open('d', os.O_RDONLY | os.O_DIRECTORY)
assert sorted(os.listdir(fd)) == ['a', 'b']
os.close(os.open('d/c', os.O_CREAT | os.O_WRONLY, 0o600))
assert sorted(os.listdir(fd)) == ['a', 'b', 'c'], os.listdir(fd)
os.close(fd)
os.unlink('d/c')"

# ---- CREATE
mark
check "O_CREAT|O_EXCL, write, close" python3 -I -c "
import os
fd = os.open('c1', os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o640)
assert os.write(fd, b'created') == 7
os.close(fd)"
since | sed 's/^/    /'
fh=$(since | sed -n 's/^CREATE .*name=c1 .*newfh=\([0-9]*\).*/\1/p')
check "O_CREAT|O_EXCL: one CREATE ($fh)" test "$(nreq '^CREATE ')" = 1 -a -n "$fh"
check "O_CREAT|O_EXCL: no LOOKUP, MKNOD or OPEN" test "$(nreq '^LOOKUP .*name=c1')" = 0 -a "$(nreq '^MKNOD ')" = 0 -a "$(nreq '^OPEN ')" = 0
check "WRITE, FLUSH, RELEASE with the CREATE's fh" test "$(nreq "^WRITE .*")" = 1 -a "$(nreq "^FLUSH .* fh=$fh status=0")" = 1 -a "$(nreq "^RELEASE .* fh=$fh status=0")" = 1
check "the created file" sh -c '[ "$(cat c1)" = created ] && [ "$(stat -c %a c1)" = 640 ]'
mark
check "O_CREAT of a new name (touch)" touch c2
check "O_CREAT: LOOKUP + CREATE" test "$(nreq '^LOOKUP .*name=c2 .*status=-2')" = 1 -a "$(nreq '^CREATE .*name=c2')" = 1 -a "$(nreq '^MKNOD ')" = 0 -a "$(nreq '^OPEN ')" = 0
mark
check "O_CREAT of an existing file opens it" sh -c 'echo more >> c1'
check "O_CREAT existing: OPEN, no CREATE" test "$(nreq '^OPEN ')" = 1 -a "$(nreq '^CREATE ')" = 0
check "drop caches" sh -c 'echo 2 > /proc/sys/vm/drop_caches'
mark
fails_with "O_CREAT|O_EXCL of an existing, uncached name -> EEXIST" "FileExistsError" python3 -I -c "
import os; os.open('c1', os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)"
check "... one CREATE answered -EEXIST" test "$(nreq '^CREATE .*name=c1 .*status=-17')" = 1
check "... and the name is still there" grep -q created c1

# ---- FLUSH
mark
check "dup: two closes" python3 -I -c "
import os
fd = os.open('c1', os.O_RDONLY)
fd2 = os.dup(fd)
os.close(fd2)
os.close(fd)"
check "FLUSH once per descriptor, RELEASE once" test "$(nreq '^FLUSH ')" = 2 -a "$(nreq '^RELEASE ')" = 1
check "set user.flusherr=122 (EDQUOT)" setfattr -n user.flusherr -v 122 c1
check "close() returns FLUSH's error" python3 -I -c "
import errno, os
fd = os.open('c1', os.O_RDONLY)
try:
    os.close(fd)
except OSError as e:
    assert e.errno == errno.EDQUOT, e
else:
    raise SystemExit('close succeeded')"
check "the descriptor is closed anyway" sh -c 'setfattr -x user.flusherr c1 && cat c1 >/dev/null'
srv_counts
check "no handle left open (open=$OPEN_FH, ${COUNTS[-4]})" test "$OPEN_FH" = 0 -a "${COUNTS[-4]}" = badfh=0

# ---- initial xattrs in the create request
if [ "$have_acl" = 1 ]; then
	check "default ACL on a directory" sh -c 'mkdir inh && setfacl -m u:65534:rwx inh && setfacl -d -m u:65534:rwx,g::r-x,o::--- inh'
	mark
	check "create, mkdir, mknod, O_TMPFILE, symlink in it" python3 -I -c "
import os
os.close(os.open('inh/f', os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
os.mkdir('inh/sub')
os.mkfifo('inh/p')
os.close(os.open('inh', os.O_TMPFILE | os.O_RDWR, 0o600))
os.symlink('f', 'inh/l')"
	since | sed 's/^/    /'
	check "CREATE carries the access ACL" test "$(nreq '^CREATE .*name=f xattrs=system.posix_acl_access ')" = 1
	check "MKDIR carries default and access ACL" test "$(nreq '^MKDIR .*name=sub xattrs=system.posix_acl_default,system.posix_acl_access status=0')" = 1
	check "MKNOD carries the access ACL" test "$(nreq '^MKNOD .*name=p xattrs=system.posix_acl_access status=0')" = 1
	check "TMPFILE carries the access ACL" test "$(nreq '^TMPFILE .*xattrs=system.posix_acl_access status=0')" = 1
	check "SYMLINK carries none" test "$(nreq '^SYMLINK .*name=l xattrs=- status=0')" = 1
	check "no SETXATTR after the creates" test "$(nreq '^SETXATTR ')" = 0
	check "the ACLs are the server's" sh -c 'sync; echo 2 > /proc/sys/vm/drop_caches; getfacl -c inh/f | grep -q "^user:nobody:rwx" && getfacl -c -d inh/sub | grep -q "^user:nobody:rwx"'
	check "no default ACL: no initial xattrs" sh -c "mkdir plain && touch plain/f && grep -q '^CREATE .*name=f xattrs=- newfh=' $LOG"
else
	echo "# no setfacl: initial xattrs not tested"
fi

# ---- remount
cd /
check "remount ro" mount -o remount,ro "$MNT"
check "/proc/mounts says ro" sh -c "grep ' $MNT zufs ro,' /proc/mounts"
fails_with "touch while ro -> EROFS" "Read-only file system" touch "$MNT/ro"
check "reading works while ro" cat "$MNT/c1"
check "remount rw" mount -o remount,rw "$MNT"
check "touch after rw" touch "$MNT/rw"
fails_with "remount cannot change service= (EINVAL)" "EINVAL" python3 -I -c "
import ctypes, errno, sys
libc = ctypes.CDLL(None, use_errno=True)
MS_REMOUNT = 32
if libc.mount(b'testsrc', b'$MNT', b'zufs', MS_REMOUNT, b'service=other'):
    sys.exit(errno.errorcode[ctypes.get_errno()])"
if [ -x "${MOUNT_ZUFS:-}" ]; then
	# mount(8) runs the helper: in a private mount namespace whose /sbin
	# holds only mount.zufs
	helperdir=$(mktemp -d /tmp/zufs-sbin.XXXXXX)
	printf '#!/bin/sh\necho "mount.zufs $*" >>%s/calls\nexec %s "$@"\n' \
		"$helperdir" "$MOUNT_ZUFS" >"$helperdir/mount.zufs"
	chmod 755 "$helperdir/mount.zufs"
	cat >"$helperdir/run.sh" <<EOF
set -e
mount --bind $helperdir $(readlink -f /sbin)
mount -o remount,ro $MNT
grep -q ' $MNT zufs ro,' /proc/mounts
! touch $MNT/ro2 2>$helperdir/err
grep -q 'Read-only' $helperdir/err
mount -o remount,rw $MNT
touch $MNT/rw2
EOF
	check "remount ro/rw through mount.zufs" sh -c "
		unshare -m sh $helperdir/run.sh; st=\$?;
		cat $helperdir/calls; [ \$st = 0 ] && grep -q remount $helperdir/calls"
	fails_with "mount.zufs: no /dev/ucchan" "ucchan module is not loaded" \
		unshare -m sh -c "mount -t tmpfs none /dev && exec $MOUNT_ZUFS none /mnt -o fs=testfs"
	printf 'nodev\tproc\nnodev\ttmpfs\n' >"$helperdir/filesystems"
	fails_with "mount.zufs: no zufs type" "zuf module is not loaded" \
		unshare -m sh -c "mount --bind $helperdir/filesystems /proc/filesystems && exec $MOUNT_ZUFS none /mnt -o fs=testfs"
	rm -rf "$helperdir"
else
	echo "# no MOUNT_ZUFS: mount.zufs not tested"
fi
check "umount" umount "$MNT"
rmdir "$MNT"; MNT=
stop_server

# ---- a CREATE reply the kernel cannot use
start_server zufs_t_open_cr create-reserved
check "mount (create-reserved)" mount_zufs zufs_t_open_cr
fails_with "create-reserved: open fails with EIO" "Input/output error" python3 -I -c "
import os; os.open('$MNT/x', os.O_CREAT | os.O_WRONLY, 0o644)"
srv_counts
check "create-reserved: the handle was released (open=$OPEN_FH)" test "$OPEN_FH" = 0
check "create-reserved: the file exists" test -f "$MNT/x"
check "umount (create-reserved)" umount "$MNT"
rmdir "$MNT"; MNT=
stop_server

# ---- 1.1 servers: v11 (minor 1) and enosys (-ENOSYS to every 1.2 op)
for mode in v11 enosys; do
	start_server "zufs_t_open_$mode" "$mode"
	check "$mode: mount" mount_zufs "zufs_t_open_$mode"
	srv_counts; set0=${COUNTS[$OP_SETXATTR]}
	check "$mode: create, write, read" sh -c "echo one > $MNT/f && echo two > $MNT/g && [ \"\$(cat $MNT/f)\" = one ]"
	check "$mode: O_CREAT|O_EXCL" python3 -I -c "
import os; os.close(os.open('$MNT/h', os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))"
	check "$mode: readdir, fsync of a directory" python3 -I -c "
import os
fd = os.open('$MNT', os.O_RDONLY | os.O_DIRECTORY)
assert sorted(os.listdir(fd)) == ['f', 'g', 'h'], os.listdir(fd)
os.fsync(fd); os.fsync(fd)
os.close(fd)"
	if [ "$mode" = v11 ]; then
		check "$mode: close ignores user.flusherr" sh -c "setfattr -n user.flusherr -v 5 $MNT/f && cat $MNT/f >/dev/null"
		if [ "$have_acl" = 1 ]; then
			check "$mode: inherited ACL by SETXATTR" sh -c "mkdir $MNT/inh && setfacl -d -m u:65534:rwx $MNT/inh && touch $MNT/inh/f && getfacl -c $MNT/inh/f | grep -q '^user:nobody:rwx'"
		fi
	fi
	srv_counts
	if [ "$mode" = v11 ]; then
		check "$mode: no 1.2 request (${COUNTS[*]:32:5})" test "${COUNTS[*]:32:5}" = "0 0 0 0 0"
		check "$mode: LOOKUP+MKNOD+OPEN, FSYNC for the directory" test "${COUNTS[$OP_MKNOD]}" -ge 3 -a "${COUNTS[$OP_OPEN]}" -ge 3 -a "${COUNTS[$OP_FSYNC]}" -ge 2
		[ "$have_acl" = 1 ] && check "$mode: SETXATTR sent for the ACL" test "${COUNTS[$OP_SETXATTR]}" -gt "$set0"
	else
		for op in OPENDIR FLUSH FSYNCDIR CREATE; do
			var=OP_$op
			check "$mode: $op asked once (${COUNTS[${!var}]})" test "${COUNTS[${!var}]}" = 1
		done
		check "$mode: no RELEASEDIR" test "${COUNTS[$OP_RELEASEDIR]}" = 0
		check "$mode: MKNOD after CREATE's -ENOSYS" test "${COUNTS[$OP_MKNOD]}" -ge 2
	fi
	check "$mode: no bad handle (${COUNTS[-4]})" test "${COUNTS[-4]}" = badfh=0
	check "$mode: umount" umount "$MNT"
	rmdir "$MNT"; MNT=
	stop_server
done
finish
