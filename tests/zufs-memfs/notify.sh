#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Notifications (host->notify_inval_inode, notify_inval_entry) of a plugin
# whose file system changes behind the kernel: memfs-oh's test control
# (ZMFS_PLUGIN=memfs-oh), as root. notify_cases.py shows each cached state
# stale without a notification and fresh after it; then a notification
# the plugin sends inside its umount must answer -ESHUTDOWN (memfs-oh logs
# what it got, finish checks the log). Over FUSE with -o timeout=3600
# (ZMFS_FUSE_OPTS) so that what is cached stays cached by itself.
. "$(dirname "$0")/lib.sh"

if [ "$ZMFS_PLUGIN" != memfs-oh ]; then
	echo "SKIP: the notification cases need ZMFS_PLUGIN=memfs-oh"
	exit 77
fi
setup size=64m
mkdir "$MNT/n"
shown "notification cases" python3 "$ZMFS_DIR/notify_cases.py" "$MNT" "$MNT/n"
# the umount's notification: of the root, an inode the kernel holds
check "a notification in the plugin's umount" python3 -c 'import os, sys
os.setxattr(sys.argv[1], "trusted.memfs_oh.ctl",
            b"inval-at-umount %d" % os.stat(sys.argv[1]).st_ino)' "$MNT"
OH_UMOUNT_NOTIFY=1
finish
