// SPDX-License-Identifier: BSD-2-Clause
/*
 * entry.c - pmemfs.so: the ops table and the plugin's one export.
 *
 *   zusd --plugin pmemfs --service zufs &
 *   mkfs.pmemfs /dev/dax0.0
 *   mount -t zufs -o service=zufs,fs=pmemfs /dev/dax0.0 /mnt
 *
 * No per-open handles (ZUS_CAP_OPEN): the kernel's lookup count keeps an
 * open-unlinked or O_TMPFILE inode alive until its last close, and every
 * op is durable when it returns, so close has nothing to do.
 *
 * No fsync either, for the same reason: fsync(2) and fdatasync(2) would
 * be a round trip for nothing (a WRITE followed by an FSYNC cost two calls
 * per 4 KiB write+fsync in bench-pmemfs). The kernel gets -ENOSYS once
 * and then answers fsync(2) itself, after writing back the dirty pages
 * of shared mappings through WRITE (zuf.ko: zuf_no_op; fuse.ko: no_fsync).
 * syncfs(2) is rare: sync_fs stays, a fence.
 */
#include "pmemfs_plugin.h"

static const struct zus_fs_ops pmp_ops = {
	.size		= sizeof(struct zus_fs_ops),
	.init		= pmp_init,
	.mount		= pmp_mount,
	.umount		= pmp_umount,
	.statfs		= pmp_statfs,
	.sync_fs	= pmp_sync_fs,
	.lookup		= pmp_lookup,
	.forget		= pmp_forget,
	.getattr	= pmp_getattr,
	.setattr	= pmp_setattr,
	.mknod		= pmp_mknod,
	.mkdir		= pmp_mkdir,
	.symlink	= pmp_symlink,
	.readlink	= pmp_readlink,
	.link		= pmp_link,
	.unlink		= pmp_unlink,
	.rmdir		= pmp_rmdir,
	.rename		= pmp_rename,
	.tmpfile	= pmp_tmpfile,
	.readdir	= pmp_readdir,
	.read		= pmp_read,
	.write		= pmp_write,
	.fallocate	= pmp_fallocate,
	.lseek		= pmp_lseek,
	.copy_range	= pmp_copy_range,
	.getxattr	= pmp_getxattr,
	.setxattr	= pmp_setxattr,
	.listxattr	= pmp_listxattr,
	.removexattr	= pmp_removexattr,
};

static const struct zus_plugin pmp_plugin = {
	.size		= sizeof(struct zus_plugin),
	.abi_version	= ZUS_ABI_VERSION,
	.name		= "pmemfs",
	.description	= "crash-consistent persistent-memory file system (devdax, fsdax or a file)",
	.ops		= &pmp_ops,
};

ZUS_EXPORT const struct zus_plugin *zus_plugin_entry(void)
{
	return &pmp_plugin;
}
