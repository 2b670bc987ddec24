// SPDX-License-Identifier: BSD-2-Clause
/*
 * xattr.c - pmemfs.so: extended attributes in every namespace (user.,
 * trusted., security., system.posix_acl_*: the kernel keeps POSIX ACLs
 * as xattrs, so ZUS_CAP_ACL needs nothing more). The core stores each
 * change atomically with the inode's ctime.
 */
#include <errno.h>

#include "pmemfs_plugin.h"

_Static_assert(ZUS_XATTR_CREATE == PMFS_XATTR_CREATE &&
	       ZUS_XATTR_REPLACE == PMFS_XATTR_REPLACE, "setxattr flags");

ssize_t pmp_getxattr(const struct zus_ctx *ctx, zus_ino_t ino,
		     const char *name, void *buf, size_t size)
{
	return pmp_ret(pmfs_getxattr(PFS(ctx), ino, name, buf, size));
}

int pmp_setxattr(const struct zus_ctx *ctx, zus_ino_t ino, const char *name,
		 const void *value, size_t size, unsigned int flags)
{
	PMP_RO_CHECK(ctx);
	return pmp_ret(pmfs_setxattr(PFS(ctx), ino, name, value, size, flags));
}

ssize_t pmp_listxattr(const struct zus_ctx *ctx, zus_ino_t ino, char *buf,
		      size_t size)
{
	return pmp_ret(pmfs_listxattr(PFS(ctx), ino, buf, size));
}

int pmp_removexattr(const struct zus_ctx *ctx, zus_ino_t ino,
		    const char *name)
{
	PMP_RO_CHECK(ctx);
	return pmp_ret(pmfs_removexattr(PFS(ctx), ino, name));
}
