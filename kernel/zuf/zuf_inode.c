// SPDX-License-Identifier: GPL-2.0
/*
 * zuf - the inode cache: getting inodes from server attributes, keeping
 * their attributes (cached without timeouts: the server is the only
 * writer, or says what changed behind the kernel with ZUFS_CAP_NOTIFY,
 * which marks them stale, see zuf_notify.c), getattr/setattr, and telling
 * the server (FORGET) when the kernel drops an inode.
 */
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/posix_acl.h>
#include <linux/slab.h>

#include "zuf_i.h"

static struct kmem_cache *zuf_inode_cachep;

struct inode *zuf_alloc_inode(struct super_block *sb)
{
	struct zuf_inode_info *zi;

	zi = alloc_inode_sb(sb, zuf_inode_cachep, GFP_KERNEL);
	if (!zi)
		return NULL;
	zi->nlookup = 0;
	zi->generation = 0;
	zi->state = 0;
	return &zi->vfs_inode;
}

void zuf_free_inode(struct inode *inode)
{
	kmem_cache_free(zuf_inode_cachep, ZUF_I(inode));
}

static void zuf_inode_once(void *p)
{
	struct zuf_inode_info *zi = p;

	inode_init_once(&zi->vfs_inode);
}

int zuf_inode_cache_init(void)
{
	zuf_inode_cachep = kmem_cache_create("zuf_inode",
					     sizeof(struct zuf_inode_info), 0,
					     SLAB_RECLAIM_ACCOUNT |
					     SLAB_ACCOUNT, zuf_inode_once);
	return zuf_inode_cachep ? 0 : -ENOMEM;
}

void zuf_inode_cache_exit(void)
{
	/* free_inode is called after an RCU grace period */
	rcu_barrier();
	kmem_cache_destroy(zuf_inode_cachep);
}

void zuf_evict_inode(struct inode *inode)
{
	struct zuf_inode_info *zi = ZUF_I(inode);

	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	if (zi->nlookup)
		zuf_queue_forget(ZUF_SB(inode->i_sb), inode->i_ino,
				 zi->nlookup);
}

static struct timespec64 zuf_ts(u64 sec, u32 nsec)
{
	return (struct timespec64){ .tv_sec = (s64)sec, .tv_nsec = nsec };
}

/**
 * zuf_update_attr() - take validated attributes into a cached inode
 * @inode: the inode
 * @attr:  attributes checked by zuf_check_attr() (same ino and type)
 */
void zuf_update_attr(struct inode *inode, const struct zufs_attr *attr)
{
	umode_t perm = attr->mode & 07777;

	/* an untrusted server's set-id bits are never believed */
	if (ZUF_SB(inode->i_sb)->untrusted)
		perm &= ~(S_ISUID | S_ISGID);
	spin_lock(&inode->i_lock);
	inode->i_mode = (inode->i_mode & S_IFMT) | perm;
	/* SB_NOSEC: a set-id bit seen again must be killed on the next write */
	if (is_sxid(inode->i_mode))
		inode->i_flags &= ~S_NOSEC;
	set_nlink(inode, attr->nlink);
	inode->i_uid = make_kuid(&init_user_ns, attr->uid);
	inode->i_gid = make_kgid(&init_user_ns, attr->gid);
	i_size_write(inode, attr->size);
	inode->i_blocks = attr->blocks;
	zuf_set_amtime(inode, zuf_ts(attr->atime, attr->atimensec),
		       zuf_ts(attr->mtime, attr->mtimensec));
	inode_set_ctime_to_ts(inode, zuf_ts(attr->ctime, attr->ctimensec));
	clear_bit(ZUF_I_ATTR_STALE, &ZUF_I(inode)->state);
	spin_unlock(&inode->i_lock);
}

static int zuf_iget_test(struct inode *inode, void *data)
{
	return inode->i_ino == *(u64 *)data;
}

static int zuf_iget_set(struct inode *inode, void *data)
{
	inode->i_ino = *(u64 *)data;
	return 0;
}

static void zuf_init_inode(struct inode *inode, const struct zufs_attr *attr)
{
	inode->i_mode = attr->mode & S_IFMT;
	inode->i_generation = (u32)attr->generation;
	switch (inode->i_mode) {
	case S_IFREG:
		inode->i_op = &zuf_file_inode_ops;
		inode->i_fop = &zuf_file_ops;
		inode->i_mapping->a_ops = &zuf_aops;
		break;
	case S_IFDIR:
		/* atomic_open only where CREATE may be sent (1.2) */
		inode->i_op = zuf_open_op(ZUF_SB(inode->i_sb), ZUFS_OP_CREATE) ?
			&zuf_dir_create_inode_ops : &zuf_dir_inode_ops;
		inode->i_fop = &zuf_dir_ops;
		break;
	case S_IFLNK:
		inode->i_op = &zuf_symlink_inode_ops;
		inode_nohighmem(inode);
		break;
	default:
		inode->i_op = &zuf_special_inode_ops;
		init_special_inode(inode, inode->i_mode,
				   MKDEV(attr->rdev_major, attr->rdev_minor));
		break;
	}
}

/**
 * zuf_iget() - the inode for attributes a server returned
 * @sb:     the superblock
 * @attr:   attributes checked by zuf_check_attr()
 * @lookup: the reply counted as a lookup (adds one to nlookup)
 *
 * A cached inode of that number must have the same type and generation:
 * else the server lied and the answer is -EIO.
 *
 * Return: a referenced inode or ERR_PTR(-ENOMEM, -EIO).
 */
struct inode *zuf_iget(struct super_block *sb, const struct zufs_attr *attr,
		       bool lookup)
{
	struct zuf_inode_info *zi;
	struct inode *inode;
	u64 ino = attr->ino;

	inode = iget5_locked(sb, ino, zuf_iget_test, zuf_iget_set, &ino);
	if (!inode)
		return ERR_PTR(-ENOMEM);
	zi = ZUF_I(inode);
	if (inode->i_state & I_NEW) {
		zuf_init_inode(inode, attr);
		zi->generation = attr->generation;
		zi->nlookup = lookup;
		zuf_update_attr(inode, attr);
		unlock_new_inode(inode);
		return inode;
	}
	if (((inode->i_mode ^ attr->mode) & S_IFMT) ||
	    zi->generation != attr->generation) {
		pr_warn_ratelimited("zufs: sb %llu: server changed type or generation of inode %llu\n",
				    ZUF_SB(sb)->sb_id, ino);
		if (lookup)
			zuf_queue_forget(ZUF_SB(sb), ino, 1);
		iput(inode);
		return ERR_PTR(-EIO);
	}
	if (lookup) {
		spin_lock(&inode->i_lock);
		zi->nlookup++;
		spin_unlock(&inode->i_lock);
	}
	zuf_update_attr(inode, attr);
	return inode;
}

/* Validate attributes returned for a known inode and take them. */
int zuf_take_attr(struct inode *inode, const struct zufs_attr *attr)
{
	int err = zuf_check_attr(ZUF_SB(inode->i_sb), attr);

	if (err)
		return err;
	if (attr->ino != inode->i_ino ||
	    ((attr->mode ^ inode->i_mode) & S_IFMT)) {
		pr_warn_ratelimited("zufs: sb %llu: attributes of inode %llu for inode %lu\n",
				    ZUF_SB(inode->i_sb)->sb_id, attr->ino,
				    inode->i_ino);
		return -EIO;
	}
	zuf_update_attr(inode, attr);
	return 0;
}

/**
 * zuf_refresh_attr() - fetch an inode's attributes from the server
 * @inode: the inode
 *
 * Return: 0 or -errno.
 */
int zuf_refresh_attr(struct inode *inode)
{
	struct zufs_entry_out out;
	struct zuf_args args = {
		.opcode = ZUFS_OP_GETATTR,
		.ino = inode->i_ino,
		.out = &out,
	};
	int err;

	err = zuf_call(ZUF_SB(inode->i_sb), &args);
	if (err)
		return err;
	return zuf_take_attr(inode, &out.attr);
}

/**
 * zuf_new_owner() - owner, group and mode of a new inode
 * @idmap: the mount's idmap (zufs mounts are not idmapped)
 * @dir:   the parent directory
 * @mode:  in: type and permissions after the umask; out: final mode
 * @ni:    filled in for the server
 *
 * Like inode_init_owner(): the caller's fsuid; the parent's group and,
 * for directories, its setgid bit if the parent is setgid; a setgid bit
 * the caller may not set is dropped.
 */
void zuf_new_owner(zuf_idmap_t *idmap, struct inode *dir, umode_t *mode,
		   struct zufs_new_inode *ni)
{
	kgid_t gid = current_fsgid();

	if (dir->i_mode & S_ISGID) {
		gid = dir->i_gid;
		if (S_ISDIR(*mode))
			*mode |= S_ISGID;
	}
	if (!S_ISDIR(*mode) &&
	    (*mode & (S_ISGID | 0010)) == (S_ISGID | 0010) &&
	    !in_group_p(gid) && !capable_wrt_inode_uidgid(idmap, dir,
							   CAP_FSETID))
		*mode &= ~S_ISGID;
	ni->mode = *mode;
	ni->uid = from_kuid_munged(&init_user_ns, current_fsuid());
	ni->gid = from_kgid_munged(&init_user_ns, gid);
}

int zuf_getattr(zuf_idmap_t *idmap, const struct path *path,
		struct kstat *stat, u32 request_mask, unsigned int flags)
{
	struct inode *inode = d_inode(path->dentry);
	int err;

	if (READ_ONCE(ZUF_SB(inode->i_sb)->dead))
		return -EIO;
	if (test_bit(ZUF_I_ATTR_STALE, &ZUF_I(inode)->state)) {
		err = zuf_refresh_attr(inode);
		if (err)
			return err;
	}
	zuf_fillattr(idmap, request_mask, inode, stat);
	return 0;
}

static u32 zuf_setattr_mode(zuf_idmap_t *idmap, struct inode *inode,
			    struct iattr *attr)
{
	umode_t mode = attr->ia_mode & 07777;
	kgid_t gid = (attr->ia_valid & ATTR_GID) ? attr->ia_gid : inode->i_gid;

	if (!in_group_p(gid) &&
	    !capable_wrt_inode_uidgid(idmap, inode, CAP_FSETID))
		mode &= ~S_ISGID;
	return mode;
}

int zuf_setattr(zuf_idmap_t *idmap, struct dentry *dentry,
		struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	struct zufs_setattr_in in = {};
	struct zufs_entry_out out;
	struct zuf_args args = {
		.opcode = ZUFS_OP_SETATTR,
		.ino = inode->i_ino,
		.in = &in,
		.out = &out,
	};
	struct address_space *mapping = inode->i_mapping;
	unsigned int valid = attr->ia_valid;
	int err;

	err = setattr_prepare(idmap, dentry, attr);
	if (err)
		return err;
	if (valid & ATTR_MODE) {
		in.valid |= ZUFS_SET_MODE;
		in.mode = zuf_setattr_mode(idmap, inode, attr);
	}
	if (valid & ATTR_UID) {
		in.valid |= ZUFS_SET_UID;
		in.uid = from_kuid(&init_user_ns, attr->ia_uid);
	}
	if (valid & ATTR_GID) {
		in.valid |= ZUFS_SET_GID;
		in.gid = from_kgid(&init_user_ns, attr->ia_gid);
	}
	if (valid & ATTR_SIZE) {
		if (!S_ISREG(inode->i_mode))
			return S_ISDIR(inode->i_mode) ? -EISDIR : -EINVAL;
		in.valid |= ZUFS_SET_SIZE;
		in.size = attr->ia_size;
	}
	if (valid & ATTR_ATIME) {
		in.valid |= ZUFS_SET_ATIME;
		in.atime = attr->ia_atime.tv_sec;
		in.atimensec = attr->ia_atime.tv_nsec;
	}
	if (valid & ATTR_MTIME) {
		in.valid |= ZUFS_SET_MTIME;
		in.mtime = attr->ia_mtime.tv_sec;
		in.mtimensec = attr->ia_mtime.tv_nsec;
	}
	if (valid & ATTR_CTIME) {
		in.valid |= ZUFS_SET_CTIME;
		in.ctime = attr->ia_ctime.tv_sec;
		in.ctimensec = attr->ia_ctime.tv_nsec;
	}
	if (!in.valid)
		return 0;

	if (valid & ATTR_SIZE) {
		/*
		 * Exclusive invalidate lock until the page cache is cut:
		 * dirty mmap pages reach the server before it cuts, and
		 * none is redirtied (zuf_page_mkwrite) or read in
		 * (filemap_fault) meanwhile, so no writeback of an old page
		 * can extend the file again and no page beyond the new end
		 * survives. All of the file is written back: a page being
		 * written back beyond the new end would be as bad.
		 */
		filemap_invalidate_lock(mapping);
		err = filemap_write_and_wait(mapping);
		if (err)
			goto out;
	}
	err = zuf_call(ZUF_SB(inode->i_sb), &args);
	if (!err)
		err = zuf_take_attr(inode, &out.attr);
	if (valid & ATTR_SIZE) {
		/*
		 * Also when the call failed, as the server may have cut:
		 * then whole pages only (a partial page zeroed here could
		 * hide bytes the server still has).
		 */
		truncate_pagecache(inode, err ? round_down(attr->ia_size,
							   PAGE_SIZE) :
				   out.attr.size);
		if (err)
			zuf_attr_stale(inode);
	}
out:
	if (valid & ATTR_SIZE)
		filemap_invalidate_unlock(mapping);
	if (err)
		return err;
	if (valid & ATTR_MODE)
		return posix_acl_chmod(idmap, zuf_acl_obj(dentry),
				       inode->i_mode);
	return 0;
}

/**
 * zuf_set_mode() - change an inode's permission bits (and ctime)
 * @inode: the inode
 * @mode:  the new mode (type bits ignored)
 *
 * For an ACL that changed the mode; the caller has checked permissions.
 * Return: 0 or -errno.
 */
int zuf_set_mode(struct inode *inode, umode_t mode)
{
	struct timespec64 now = current_time(inode);
	struct zufs_setattr_in in = {
		.valid = ZUFS_SET_MODE | ZUFS_SET_CTIME,
		.mode = mode & 07777,
		.ctime = now.tv_sec,
		.ctimensec = now.tv_nsec,
	};
	struct zufs_entry_out out;
	struct zuf_args args = {
		.opcode = ZUFS_OP_SETATTR,
		.ino = inode->i_ino,
		.in = &in,
		.out = &out,
	};
	int err;

	err = zuf_call(ZUF_SB(inode->i_sb), &args);
	if (!err)
		err = zuf_take_attr(inode, &out.attr);
	if (err)
		zuf_attr_stale(inode);
	return err;
}

const struct inode_operations zuf_file_inode_ops = {
	.getattr	= zuf_getattr,
	.setattr	= zuf_setattr,
	.listxattr	= zuf_listxattr,
	.zuf_iop_get_acl = zuf_get_acl,
	.set_acl	= zuf_set_acl,
};

const struct inode_operations zuf_special_inode_ops = {
	.getattr	= zuf_getattr,
	.setattr	= zuf_setattr,
	.listxattr	= zuf_listxattr,
	.zuf_iop_get_acl = zuf_get_acl,
	.set_acl	= zuf_set_acl,
};

static void zuf_put_link(void *buf)
{
	kfree(buf);
}

static const char *zuf_get_link(struct dentry *dentry, struct inode *inode,
				struct delayed_call *done)
{
	struct zufs_readlink_in in = { .size = ZUFS_SYMLINK_MAX };
	struct zufs_readlink_out out;
	struct ucchan_kbuf kbuf;
	struct iov_iter iter;
	struct kvec kv;
	struct zuf_args args = {
		.opcode = ZUFS_OP_READLINK,
		.ino = inode->i_ino,
		.in = &in,
		.out = &out,
		.bufs = &kbuf,
		.nr_bufs = 1,
	};
	char *buf;
	int err;

	if (!dentry)
		return ERR_PTR(-ECHILD);
	buf = kmalloc(ZUFS_SYMLINK_MAX + 1, GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	kv.iov_base = buf;
	kv.iov_len = ZUFS_SYMLINK_MAX;
	iov_iter_kvec(&iter, ITER_DEST, &kv, 1, ZUFS_SYMLINK_MAX);
	kbuf.iter = &iter;
	kbuf.len = ZUFS_SYMLINK_MAX;
	kbuf.flags = UCCHAN_BUF_WRITE;
	err = zuf_call(ZUF_SB(inode->i_sb), &args);
	if (!err && (!out.len || out.len > ZUFS_SYMLINK_MAX || out.pad ||
		     memchr(buf, '\0', out.len)))
		err = -EIO;
	if (err == -EOPNOTSUPP)
		err = -EIO;	/* a symlink the server cannot read */
	if (err) {
		kfree(buf);
		return ERR_PTR(err);
	}
	buf[out.len] = '\0';
	set_delayed_call(done, zuf_put_link, buf);
	return buf;
}

const struct inode_operations zuf_symlink_inode_ops = {
	.get_link	= zuf_get_link,
	.getattr	= zuf_getattr,
	.setattr	= zuf_setattr,
	.listxattr	= zuf_listxattr,
};
