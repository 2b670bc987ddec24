// SPDX-License-Identifier: GPL-2.0
/*
 * zuf - extended attributes (ZUFS_CAP_XATTR): the user., trusted. and
 * security. namespaces are passed to the server by full name; values
 * and lists travel in a ucchan buffer. The VFS has checked permissions
 * (xattr_permission) before a handler runs.
 */
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/xattr.h>

#include "zuf_i.h"

/* One xattr request with an optional value/list buffer. */
static int zuf_xattr_call(struct inode *inode, u32 opcode, const char *name,
			  void *value, size_t size, u32 flags, u32 *out_size)
{
	struct zuf_sb_info *sbi = ZUF_SB(inode->i_sb);
	size_t namelen = name ? strlen(name) : 0;
	struct zufs_xattr_in in = {
		.size = size,
		.flags = flags,
		.namelen = namelen,
	};
	struct zufs_xattr_out out;
	struct ucchan_kbuf kbuf;
	struct iov_iter iter;
	struct kvec kv = { .iov_base = value, .iov_len = size };
	struct zuf_args args = {
		.opcode = opcode,
		.ino = inode->i_ino,
		.in = &in,
		.out = &out,
		.nr_names = name ? 1 : 0,
		.names = { name },
		.namelens = { namelen },
	};
	bool to_server = opcode == ZUFS_OP_SETXATTR;
	int err;

	if (!zuf_has(sbi, ZUFS_CAP_XATTR))
		return -EOPNOTSUPP;
	if (namelen > ZUFS_XATTR_NAME_MAX)
		return -ERANGE;
	if (size > ZUFS_XATTR_SIZE_MAX)
		size = ZUFS_XATTR_SIZE_MAX;
	in.size = size;
	if (size) {
		iov_iter_kvec(&iter, to_server ? ITER_SOURCE : ITER_DEST, &kv, 1,
			      size);
		kbuf.iter = &iter;
		kbuf.len = size;
		kbuf.flags = to_server ? UCCHAN_BUF_READ : UCCHAN_BUF_WRITE;
		args.bufs = &kbuf;
		args.nr_bufs = 1;
	}
	err = zuf_call(sbi, &args);
	if (err)
		return err;
	if (out_size) {
		if (out.pad || out.size > ZUFS_XATTR_SIZE_MAX ||
		    (size && out.size > size))
			return -EIO;
		*out_size = out.size;
	}
	return 0;
}

static int zuf_xattr_get(const struct xattr_handler *handler,
			 struct dentry *dentry, struct inode *inode,
			 const char *name, void *buffer, size_t size)
{
	u32 len;
	int err;

	err = zuf_xattr_call(inode, ZUFS_OP_GETXATTR,
			     xattr_full_name(handler, name), buffer, size, 0,
			     &len);
	return err ? err : len;
}

static int zuf_xattr_set(const struct xattr_handler *handler,
			 zuf_idmap_t *idmap, struct dentry *dentry,
			 struct inode *inode, const char *name,
			 const void *value, size_t size, int flags)
{
	const char *full = xattr_full_name(handler, name);
	u32 zflags = 0;
	int err;

	if (flags & XATTR_CREATE)
		zflags |= ZUFS_XATTR_CREATE;
	if (flags & XATTR_REPLACE)
		zflags |= ZUFS_XATTR_REPLACE;
	if (!value)
		err = zuf_xattr_call(inode, ZUFS_OP_REMOVEXATTR, full, NULL, 0,
				     0, NULL);
	else
		err = zuf_xattr_call(inode, ZUFS_OP_SETXATTR, full,
				     (void *)value, size, zflags, NULL);
	if (!err || err == -EIO || err == -EINTR)
		zuf_attr_stale(inode);	/* ctime changed */
	return err;
}

ssize_t zuf_listxattr(struct dentry *dentry, char *list, size_t size)
{
	struct inode *inode = d_inode(dentry);
	u32 len;
	int err;

	err = zuf_xattr_call(inode, ZUFS_OP_LISTXATTR, NULL, list, size, 0,
			     &len);
	if (err)
		return err;
	if (size && len && list[len - 1] != '\0')
		return -EIO;
	return len;
}

static const struct xattr_handler zuf_user_xattr_handler = {
	.prefix	= XATTR_USER_PREFIX,
	.get	= zuf_xattr_get,
	.set	= zuf_xattr_set,
};

static const struct xattr_handler zuf_trusted_xattr_handler = {
	.prefix	= XATTR_TRUSTED_PREFIX,
	.get	= zuf_xattr_get,
	.set	= zuf_xattr_set,
};

static const struct xattr_handler zuf_security_xattr_handler = {
	.prefix	= XATTR_SECURITY_PREFIX,
	.get	= zuf_xattr_get,
	.set	= zuf_xattr_set,
};

ZUF_XATTR_LIST zuf_xattr_handlers[] = {
	&zuf_user_xattr_handler,
	&zuf_trusted_xattr_handler,
	&zuf_security_xattr_handler,
	NULL,
};
