/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zuf - every difference between the kernel versions zuf builds against
 * (6.1 and 6.12), in one place. The ZUF_HAVE_* macros come from Kbuild,
 * which looks for the feature in the headers it builds against.
 */
#ifndef _ZUF_COMPAT_I_H
#define _ZUF_COMPAT_I_H

#include <linux/fs.h>
#include <linux/splice.h>
#include <linux/stat.h>
#include <linux/uio.h>

#ifdef ZUF_HAVE_MNT_IDMAP
/* inode operations take the mount's idmap (6.3) */
#define zuf_idmap_t	struct mnt_idmap
#define zuf_nop_idmap	(&nop_mnt_idmap)
#else
#define zuf_idmap_t	struct user_namespace
#define zuf_nop_idmap	(&init_user_ns)
#endif

#ifdef ZUF_HAVE_FILLATTR_MASK
#define zuf_fillattr(idmap, mask, inode, stat) \
	generic_fillattr(idmap, mask, inode, stat)
#else
#define zuf_fillattr(idmap, mask, inode, stat) \
	generic_fillattr(idmap, inode, stat)
#endif

/* atime/mtime accessors (6.7) */
static inline void zuf_set_amtime(struct inode *inode, struct timespec64 at,
				  struct timespec64 mt)
{
#ifdef ZUF_HAVE_AMTIME_ACCESSORS
	inode_set_atime_to_ts(inode, at);
	inode_set_mtime_to_ts(inode, mt);
#else
	inode->i_atime = at;
	inode->i_mtime = mt;
#endif
}

/* super_block.s_xattr became a const array of const pointers (6.2) */
#ifdef ZUF_HAVE_CONST_XATTR_LIST
#define ZUF_XATTR_LIST	const struct xattr_handler * const
#else
#define ZUF_XATTR_LIST	const struct xattr_handler *
#endif

/*
 * splice_read: copy_splice_read (6.5) reads into pages of its own through
 * read_iter with a bvec iterator. Before, generic_file_splice_read hands
 * read_iter an ITER_PIPE, which ucchan cannot map: zuf_read_iter bounces
 * such iterators through a kernel buffer.
 */
#ifdef ZUF_HAVE_COPY_SPLICE_READ
#define ZUF_SPLICE_READ		copy_splice_read
#else
#define ZUF_SPLICE_READ		generic_file_splice_read
#endif

/*
 * The VFS's copy through splice, for copy_file_range without a server
 * side copy: generic_copy_file_range() became splice_copy_file_range()
 * (6.8).
 */
#ifdef ZUF_HAVE_SPLICE_COPY_FILE_RANGE
#define zuf_splice_copy(in, pos_in, out, pos_out, len) \
	splice_copy_file_range(in, pos_in, out, pos_out, len)
#else
#define zuf_splice_copy(in, pos_in, out, pos_out, len) \
	generic_copy_file_range(in, pos_in, out, pos_out, len, 0)
#endif

/*
 * POSIX ACLs (6.2): the inode-based getter became ->get_inode_acl (the
 * name ->get_acl now takes a dentry), ->set_acl and posix_acl_chmod()
 * take a dentry instead of an inode, and the VFS handles the
 * system.posix_acl_* xattrs itself instead of through xattr handlers.
 */
#ifdef ZUF_HAVE_GET_INODE_ACL
#define zuf_iop_get_acl		get_inode_acl
#define zuf_acl_obj_t		struct dentry
#define zuf_acl_obj(dentry)	(dentry)
#define zuf_acl_obj_inode(obj)	d_inode(obj)
#else
#define zuf_iop_get_acl		get_acl
#define zuf_acl_obj_t		struct inode
#define zuf_acl_obj(dentry)	d_inode(dentry)
#define zuf_acl_obj_inode(obj)	(obj)
#define ZUF_NEED_ACL_XATTR_HANDLERS
#endif

/* The user address an ITER_IOVEC iterator is at (6.4 renamed ->iov). */
static inline void __user *zuf_iter_addr(const struct iov_iter *i)
{
#ifdef iter_iov_addr
	return iter_iov_addr(i);
#else
	return i->iov->iov_base + i->iov_offset;
#endif
}

#endif /* _ZUF_COMPAT_I_H */
