/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notify_hooks.h - for test_dispatch.c and test_fuse.c: a plugin's mount
 * and umount that send notifications, to see what the host answers there
 * (both transports: 0 and nothing sent inside mount, -ESHUTDOWN inside
 * umount). Put them in with
 *   real_mount = lp->ops.mount; lp->ops.mount = mount_notifying;
 *   real_umount = lp->ops.umount; lp->ops.umount = umount_notifying;
 */
#ifndef NOTIFY_HOOKS_H
#define NOTIFY_HOOKS_H

#include <zus.h>

static int (*real_mount)(const struct zus_ctx *ctx, const char *source,
			 const char *options, unsigned int flags,
			 zus_ino_t *root);
static int mount_inval_inode = 1, mount_inval_entry = 1;

static int mount_notifying(const struct zus_ctx *ctx, const char *source,
			   const char *options, unsigned int flags,
			   zus_ino_t *root)
{
	int err = real_mount(ctx, source, options, flags, root);

	if (err)
		return err;
	mount_inval_inode = ctx->sb->host->notify_inval_inode(ctx->sb, *root,
							      -1, 0);
	mount_inval_entry = ctx->sb->host->notify_inval_entry(ctx->sb, *root,
							      "x", 1);
	return 0;
}

static void (*real_umount)(struct zus_sb *sb);
static int umount_inval_inode = 1, umount_inval_entry = 1;

static void umount_notifying(struct zus_sb *sb)
{
	umount_inval_inode = sb->host->notify_inval_inode(sb, 1, -1, 0);
	umount_inval_entry = sb->host->notify_inval_entry(sb, 1, "x", 1);
	real_umount(sb);
}

#endif /* NOTIFY_HOOKS_H */
