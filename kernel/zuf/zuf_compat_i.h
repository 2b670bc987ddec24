/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zuf - every difference between the kernel versions zuf builds against
 * (6.1 and 6.12), in one place. The ZUF_HAVE_* macros come from Kbuild,
 * which looks for the feature in the headers it builds against.
 */
#ifndef _ZUF_COMPAT_I_H
#define _ZUF_COMPAT_I_H

#include <linux/fs.h>
#include <linux/stat.h>

#ifdef ZUF_HAVE_MNT_IDMAP
/* inode operations take the mount's idmap (6.3) */
#define zuf_idmap_t	struct mnt_idmap
#else
#define zuf_idmap_t	struct user_namespace
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
 * splice_read through read_iter with a bvec iterator (6.5); before, the
 * generic splice_read hands read_iter an ITER_PIPE, which ucchan cannot
 * show a server: no splice_read (sendfile from zufs fails with -EINVAL).
 */
#ifdef ZUF_HAVE_COPY_SPLICE_READ
#define ZUF_SPLICE_READ		copy_splice_read
#else
#define ZUF_SPLICE_READ		NULL
#endif

#endif /* _ZUF_COMPAT_I_H */
