// SPDX-License-Identifier: GPL-2.0
/*
 * zuf - extended attributes (ZUFS_CAP_XATTR): the user., trusted. and
 * security. namespaces are passed to the server by full name; values
 * and lists travel in a ucchan buffer. The VFS has checked permissions
 * (xattr_permission) before a handler runs. The system.posix_acl_*
 * xattrs are the VFS's ACL calls (zuf_acl.c).
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/posix_acl_xattr.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/xattr.h>

#include "zuf_i.h"

/**
 * zuf_xattr_call() - one xattr request with an optional value/list buffer
 * @inode:    the inode
 * @opcode:   ZUFS_OP_GETXATTR, SETXATTR, LISTXATTR or REMOVEXATTR
 * @name:     full name (NULL for LISTXATTR)
 * @value:    the value or list buffer (NULL when @size is 0)
 * @size:     its size
 * @flags:    ZUFS_XATTR_CREATE/REPLACE for SETXATTR
 * @out_size: for GETXATTR/LISTXATTR, the length the server reports
 *
 * Return: 0 or -errno (-EOPNOTSUPP without ZUFS_CAP_XATTR).
 */
int zuf_xattr_call(struct inode *inode, u32 opcode, const char *name,
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
	const char *full = xattr_full_name(handler, name);
	u32 len;
	int err;

	/*
	 * File capabilities are a privilege grant, like set-id bits: an
	 * untrusted server's are never believed (exec asks for them here).
	 */
	if (ZUF_SB(inode->i_sb)->untrusted && !strcmp(full, XATTR_NAME_CAPS))
		return -ENODATA;
	err = zuf_xattr_call(inode, ZUFS_OP_GETXATTR, full, buffer, size, 0,
			     &len);
	if (err)
		return err;
	return len;
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

/*
 * Drop the names of a list the caller may not see (trusted.* without
 * CAP_SYS_ADMIN, the ACLs without SB_POSIXACL). Return: the new length.
 */
static size_t zuf_filter_list(struct inode *inode, char *list, size_t len)
{
	bool trusted = capable(CAP_SYS_ADMIN);
	size_t in = 0, out = 0;

	while (in < len) {
		size_t n = strnlen(list + in, len - in) + 1;
		const char *name = list + in;

		if ((trusted || strncmp(name, XATTR_TRUSTED_PREFIX,
					XATTR_TRUSTED_PREFIX_LEN)) &&
		    (IS_POSIXACL(inode) ||
		     (strcmp(name, XATTR_NAME_POSIX_ACL_ACCESS) &&
		      strcmp(name, XATTR_NAME_POSIX_ACL_DEFAULT)))) {
			memmove(list + out, name, n);
			out += n;
		}
		in += n;
	}
	return out;
}

ssize_t zuf_listxattr(struct dentry *dentry, char *list, size_t size)
{
	struct inode *inode = d_inode(dentry);
	char *buf;
	u32 len;
	int err;

	/*
	 * The list is filtered, so it is always fetched whole: a size
	 * query answers the unfiltered length, which is enough.
	 */
	err = zuf_xattr_call(inode, ZUFS_OP_LISTXATTR, NULL, NULL, 0, 0, &len);
	if (err)
		return err;
	if (!size || !len)
		return len;
	buf = kvmalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	err = zuf_xattr_call(inode, ZUFS_OP_LISTXATTR, NULL, buf, len, 0,
			     &len);
	if (!err && len && buf[len - 1] != '\0')
		err = -EIO;
	if (!err) {
		len = zuf_filter_list(inode, buf, len);
		if (len > size)
			err = -ERANGE;
		else
			memcpy(list, buf, len);
	}
	kvfree(buf);
	if (err)
		return err;
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
#if defined(ZUF_NEED_ACL_XATTR_HANDLERS) && defined(CONFIG_FS_POSIX_ACL)
	&posix_acl_access_xattr_handler,
	&posix_acl_default_xattr_handler,
#endif
	NULL,
};
