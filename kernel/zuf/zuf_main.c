// SPDX-License-Identifier: GPL-2.0
/*
 * zuf - zero-copy user-mode file system broker: module init/exit and the
 * "zufs" file system type. See docs/zuf.md.
 */
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/module.h>

#include "zuf_i.h"

static struct file_system_type zuf_fs_type = {
	.owner			= THIS_MODULE,
	.name			= ZUF_FS_NAME,
	.init_fs_context	= zuf_init_fs_context,
	.kill_sb		= zuf_kill_sb,
};

static int __init zuf_init(void)
{
	int err;

	err = zuf_init_opdefs();
	if (err)
		return err;
	err = zuf_inode_cache_init();
	if (err)
		return err;
	err = zuf_forget_init();
	if (err)
		goto out_cache;
	err = zuf_notify_init();
	if (err)
		goto out_forget;
	err = register_filesystem(&zuf_fs_type);
	if (err)
		goto out_notify;
	return 0;

out_notify:
	zuf_notify_exit();
out_forget:
	zuf_forget_exit();
out_cache:
	zuf_inode_cache_exit();
	return err;
}

static void __exit zuf_exit(void)
{
	unregister_filesystem(&zuf_fs_type);
	zuf_notify_exit();
	zuf_forget_exit();
	zuf_inode_cache_exit();
}

module_init(zuf_init);
module_exit(zuf_exit);

MODULE_DESCRIPTION("zufs: zero-copy user-mode file systems over ucchan");
MODULE_LICENSE("GPL");
MODULE_ALIAS_FS(ZUF_FS_NAME);
