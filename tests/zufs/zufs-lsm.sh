#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# New inodes go through security_inode_init_security(): every create
# (create, mknod, mkdir, symlink, O_TMPFILE) still works, and the labels
# an LSM returns are stored with SETXATTR security.*; with no labelling
# LSM (Debian's default, AppArmor) no xattr request is made at all.
. "$(dirname "$0")/lib.sh"

[ -e /sys/kernel/security/lsm ] ||
	mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
lsms=$(cat /sys/kernel/security/lsm 2>/dev/null)
echo "LSMs: ${lsms:-none (securityfs not mounted?)}"
labels=0
case ",$lsms," in
*,selinux,*|*,smack,*) labels=1 ;;
esac

start_server zufs_t_lsm
mount_zufs zufs_t_lsm || { echo "FAIL: mount"; exit 1; }
srv_counts || { echo "FAIL: counts"; exit 1; }
set0=${COUNTS[28]} get0=${COUNTS[27]}
check "create" touch "$MNT/f"
check "mknod fifo" mkfifo "$MNT/p"
check "mkdir" mkdir "$MNT/d"
check "symlink" ln -s f "$MNT/l"
check "O_TMPFILE" python3 -c "import os; os.close(os.open('$MNT', os.O_TMPFILE | os.O_RDWR, 0o600))"
check "all there" test -f "$MNT/f" -a -p "$MNT/p" -a -d "$MNT/d" -a -L "$MNT/l"
srv_counts || { echo "FAIL: counts"; exit 1; }
set1=${COUNTS[28]}
echo "SETXATTR requests for 5 creates: $((set1 - set0)), GETXATTR: $((COUNTS[27] - get0))"
if [ "$labels" = 1 ]; then
	# an LSM that labels may still be uninitialised (no policy loaded)
	echo "# a labelling LSM is active: labels stored if it produced any"
	check "labels readable" getfattr -d -m security "$MNT/f"
else
	check "no LSM labels: no SETXATTR" test "$set1" = "$set0"
fi
check "umount" umount "$MNT"
rmdir "$MNT"; MNT=
stop_server
finish
