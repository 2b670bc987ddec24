/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * umount_notify.h - for test_dispatch.c and test_fuse.c: a plugin's umount
 * that sends notifications first, to see what the host answers there
 * (both transports: -ESHUTDOWN). Put it in with
 *   real_umount = lp->ops.umount; lp->ops.umount = umount_notifying;
 */
#ifndef UMOUNT_NOTIFY_H
#define UMOUNT_NOTIFY_H

#include <zus.h>

static void (*real_umount)(struct zus_sb *sb);
static int umount_inval_inode = 1, umount_inval_entry = 1;

static void umount_notifying(struct zus_sb *sb)
{
	umount_inval_inode = sb->host->notify_inval_inode(sb, 1, -1, 0);
	umount_inval_entry = sb->host->notify_inval_entry(sb, 1, "x", 1);
	real_umount(sb);
}

#endif /* UMOUNT_NOTIFY_H */
