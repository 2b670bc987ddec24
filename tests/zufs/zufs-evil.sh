#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# A server that lies: every bad reply must become -EIO for the caller,
# never an oops, a WARN, a hang or a corrupt cache; the mount still
# unmounts. One server per lie (zufs-testsrv EVIL modes).
. "$(dirname "$0")/lib.sh"

run_evil() {	# run_evil MODE SETUP-CMD VICTIM-CMD
	local mode=$1 setup=$2 victim=$3
	start_server "zufs_t_$mode" "$mode"
	if ! mount_zufs "zufs_t_$mode"; then
		fail "$mode: mount"
		stop_server
		return
	fi
	(cd "$MNT" && sh -c "$setup") >/dev/null 2>&1
	# forget cached dentries and inodes: the victim must ask the server
	sync
	echo 2 > /proc/sys/vm/drop_caches
	fails_with "$mode -> EIO" "Input/output error\|I/O error" sh -c "cd $MNT && $victim"
	check "$mode: umount" umount "$MNT"
	rmdir "$MNT"; MNT=
	stop_server
}

run_evil readdir-slash "touch a" "ls"
run_evil readdir-dot "touch a" "ls"
run_evil readdir-overrun "touch a" "ls"
run_evil lookup-ino0 "touch x" "stat x"
run_evil lookup-self "touch x" "stat x"
run_evil lookup-dirtwice "mkdir a b" "ls -d a && stat b"
run_evil attr-mode "" "touch x && stat ."
run_evil read-overcount "" "echo hi > x; cat x"
run_evil write-overcount "" "echo hi > x"
run_evil status-positive "" "ls"
run_evil reply-short "" "touch x && stat ."
run_evil readdir-nul "touch a" "ls"
run_evil readdir-type "touch a" "ls"
run_evil readdir-ino0 "touch a" "ls"
run_evil lookup-root "mkdir d && touch d/x" "stat d/x"
run_evil attr-size "" "touch x && stat ."
run_evil write-offset "" "echo hi > x"
run_evil status-internal "" "touch x && stat ."
run_evil acl-garbage "mkdir d" "touch d/f"
run_evil tmpfile-old "touch x" "python3 -c 'import os; f = open(\"x\"); os.open(\".\", os.O_TMPFILE | os.O_RDWR, 0o600)'"
run_evil seek-beyond "echo hi > x" "python3 -c 'import os; os.lseek(os.open(\"x\", os.O_RDONLY), 0, os.SEEK_DATA)'"
run_evil xattr-overcount "touch x && setfattr -n user.a -v 1 x" "getfattr -n user.a x"
run_evil list-nonul "touch x && setfattr -n user.a -v 1 x" "python3 -c 'import os; os.listxattr(\"x\")'"
run_evil readlink-nul "ln -s target l" "readlink -v l"
run_evil statfs-bad "" "stat -f ."
run_evil copy-overcount "echo hi > x" "python3 -c 'import os; os.copy_file_range(os.open(\"x\", os.O_RDONLY), os.open(\"y\", os.O_CREAT | os.O_WRONLY), 3)'"
run_evil open-reserved "touch x" "cat x"
# a directory listing that never ends: EIO, not a getdents loop for ever
# (the timeout only turns the bug's endless ls into a failure here)
run_evil readdir-loop "touch a b" "timeout -s KILL 120 ls"
run_evil readdir-samecookie "touch a b" "timeout -s KILL 120 ls"

# Two MKDIRs racing in different parents are answered with one directory
# inode (the server holds the first one's default-ACL SETXATTR until the
# second has its answer): one directory must never get two dentries.
# Exactly one mkdir succeeds, the others are EIO.
start_server zufs_t_mkdir-same mkdir-same
if mount_zufs zufs_t_mkdir-same; then
	(
		cd "$MNT" || exit 1
		for i in 1 2 3 4 5 6; do
			mkdir "p$i" && setfacl -d -m u::rwx "p$i" || exit 1
		done
		# each its own error file: the six mkdirs' messages, written
		# in pieces, interleave in a shared one (seen: 5 EIOs in 3 lines)
		for i in 1 2 3 4 5 6; do
			{ mkdir "p$i/same"; echo $? >"/tmp/zufs-same.$i"; } \
				2>"/tmp/zufs-same.err.$i" &
		done
		wait
	)
	ok=0 eio=0
	for i in 1 2 3 4 5 6; do
		[ "$(cat "/tmp/zufs-same.$i")" = 0 ] && ok=$((ok + 1))
		grep -q "Input/output error" "/tmp/zufs-same.err.$i" &&
			eio=$((eio + 1))
	done
	cat /tmp/zufs-same.err.* | sed 's/^/# /'
	rm -f /tmp/zufs-same.*
	check "mkdir-same: one mkdir wins ($ok), the others EIO ($eio)" \
		test "$ok" = 1 -a "$eio" = 5
	# the cache is consistent; names of the lie may be EIO
	check "mkdir-same: ls" sh -c "ls -la $MNT/p* >/tmp/zufs-check.ls 2>&1 || grep -q 'Input/output error' /tmp/zufs-check.ls"
	check "mkdir-same: renames" sh -c "cd $MNT && for i in 1 2 3 4 5 6; do mv p\$i q\$i || exit 1; done; mv q1 q2/ && mv q2/q1 p1"
	check "mkdir-same: umount" umount "$MNT"
	rmdir "$MNT"; MNT=
else
	fail "mkdir-same: mount"
fi
stop_server

# privs: set-id files and a device node the server says exist (for the
# trust tests); here only that zuf shows them as the server says
start_server zufs_t_privs privs
if mount_zufs zufs_t_privs; then
	check "privs: modes" sh -c "cd $MNT && test \"\$(stat -c '%a %u %g %F %t:%T' suid sgid blk | tr '\n' ,)\" = '4755 0 0 regular file 0:0,2755 0 0 regular file 0:0,666 0 0 block special file 7:0,'"
	check "privs: readdir" sh -c "cd $MNT && test \"\$(ls | tr '\n' ' ')\" = 'blk sgid suid '"
	check "privs: umount" umount "$MNT"
	rmdir "$MNT"; MNT=
else
	fail "privs: mount"
fi
stop_server

# a lying INIT: unknown fs name -> ENODEV with a message
start_server zufs_t_init
fails_with "unknown fs" "No such device\|mount" mount -t zufs -o service=zufs_t_init,fs=nosuchfs x /mnt
fails_with "options the fs refuses -> EINVAL" "nvalid\|mount" mount -t zufs -o service=zufs_t_init,fs=testfs,bogus=1 x /mnt
check "refusal logged" sh -c 'dmesg | grep -q "refused the options"'
stop_server
finish
