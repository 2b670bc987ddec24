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
		echo "FAIL: $mode: mount"
		fails=$((fails + 1))
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

# a lying INIT: unknown fs name -> ENODEV with a message
start_server zufs_t_init
fails_with "unknown fs" "No such device\|mount" mount -t zufs -o service=zufs_t_init,fs=nosuchfs x /mnt
fails_with "options the fs refuses -> EINVAL" "nvalid\|mount" mount -t zufs -o service=zufs_t_init,fs=testfs,bogus=1 x /mnt
check "refusal logged" sh -c 'dmesg | grep -q "refused the options"'
stop_server
finish
