// SPDX-License-Identifier: GPL-2.0
/*
 * zuf - directory inode operations: lookup and every namespace change.
 *
 * Dentries (positive and negative) are cached without revalidation: the
 * server is the only writer and every change goes through here. Where a
 * change may have happened without the kernel knowing (the caller was
 * killed during the call, or the reply was invalid), the dentries
 * involved are dropped and the parents' attributes marked stale, so the
 * next access asks the server again.
 */
#include <linux/fs.h>
#include <linux/namei.h>
#include <linux/posix_acl.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/xattr.h>

#include "zuf_i.h"

/* After a failed change: if it may have happened, forget what we know. */
static void zuf_unsure(int err, struct inode *dir, struct dentry *dentry)
{
	if (err != -EINTR && err != -EIO)
		return;
	zuf_attr_stale(dir);
	if (dentry) {
		d_drop(dentry);
		if (d_really_is_positive(dentry))
			zuf_attr_stale(d_inode(dentry));
	}
}

static int zuf_check_dentry_name(struct dentry *dentry)
{
	return dentry->d_name.len > ZUFS_NAME_MAX ? -ENAMETOOLONG : 0;
}

/*
 * The inode an entry reply names, for a child of dir: validated, and
 * never dir itself nor a second alias of a directory.
 */
static struct inode *zuf_entry_inode(struct inode *dir,
				     const struct zufs_attr *attr)
{
	struct zuf_sb_info *sbi = ZUF_SB(dir->i_sb);
	struct dentry *alias;
	struct inode *inode;

	if (zuf_check_attr(sbi, attr))
		return ERR_PTR(-EIO);
	if (attr->ino == dir->i_ino ||
	    attr->ino == d_inode(dir->i_sb->s_root)->i_ino) {
		pr_warn_ratelimited("zufs: sb %llu: directory %lu contains itself or the root\n",
				    sbi->sb_id, dir->i_ino);
		zuf_queue_forget(sbi, attr->ino, 1);
		return ERR_PTR(-EIO);
	}
	inode = zuf_iget(dir->i_sb, attr, true);
	if (IS_ERR(inode) || !S_ISDIR(inode->i_mode))
		return inode;
	alias = d_find_any_alias(inode);
	if (alias) {
		bool hashed = !d_unhashed(alias);

		dput(alias);
		if (hashed) {
			pr_warn_ratelimited("zufs: sb %llu: directory %lu has two names\n",
					    sbi->sb_id, inode->i_ino);
			iput(inode);
			return ERR_PTR(-EIO);
		}
	}
	return inode;
}

static struct dentry *zuf_lookup(struct inode *dir, struct dentry *dentry,
				 unsigned int flags)
{
	struct zufs_name_in in = { .namelen = dentry->d_name.len };
	struct zufs_entry_out out;
	struct zuf_args args = {
		.opcode = ZUFS_OP_LOOKUP,
		.ino = dir->i_ino,
		.in = &in,
		.out = &out,
		.nr_names = 1,
		.names = { dentry->d_name.name },
		.namelens = { dentry->d_name.len },
	};
	struct inode *inode = NULL;
	int err;

	err = zuf_check_dentry_name(dentry);
	if (err)
		return ERR_PTR(err);
	err = zuf_call(ZUF_SB(dir->i_sb), &args);
	if (err && err != -ENOENT)
		return ERR_PTR(err);
	if (!err) {
		inode = zuf_entry_inode(dir, &out.attr);
		if (IS_ERR(inode))
			return ERR_CAST(inode);
	}
	return d_splice_alias(inode, dentry);
}

/*
 * Store the xattrs the LSMs give a new inode (security_inode_init_security),
 * by full name with SETXATTR. Without ZUFS_CAP_XATTR, or with SETXATTR
 * answered -ENOSYS, zuf_xattr_call() is -EOPNOTSUPP and the labels are
 * not stored: security_inode_init_security() turns that into success.
 */
static int zuf_initxattrs(struct inode *inode, const struct xattr *xattrs,
			  void *fs_data)
{
	const struct xattr *x;
	char *name;
	int err = 0;

	for (x = xattrs; x->name && !err; x++) {
		name = kasprintf(GFP_KERNEL, XATTR_SECURITY_PREFIX "%s",
				 x->name);
		if (!name)
			return -ENOMEM;
		err = zuf_xattr_call(inode, ZUFS_OP_SETXATTR, name, x->value,
				     x->value_len, ZUFS_XATTR_CREATE, NULL);
		kfree(name);
	}
	return err;
}

/* A new inode's LSM labels and ACLs, before anyone can see it. */
static int zuf_init_new_inode(struct inode *inode, struct inode *dir,
			      const struct qstr *qstr,
			      struct posix_acl *default_acl,
			      struct posix_acl *acl)
{
	int err;

	err = security_inode_init_security(inode, dir, qstr, zuf_initxattrs,
					   NULL);
	if (err == -EOPNOTSUPP)
		err = 0;
	if (!err)
		err = zuf_acl_init(inode, default_acl, acl);
	if (err)
		zuf_attr_stale(inode);	/* ctime, maybe an xattr set */
	return err;
}

/*
 * Give dentry the inode an entry reply named, as FUSE's create_new_entry()
 * does: d_splice_alias() looks for an alias of a directory under the
 * inode's lock, so two replies naming one directory (two creates racing
 * in different parents, or a create and a lookup) can never give it two
 * dentries. A directory that has one already is the server's lie: -EIO
 * (d_splice_alias() may have moved that alias here, as for a lookup; the
 * cache stays consistent). Consumes the inode reference.
 */
static int zuf_instantiate(struct inode *dir, struct dentry *dentry,
			   struct inode *inode)
{
	unsigned long ino = inode->i_ino;
	struct dentry *alias;

	d_drop(dentry);
	alias = d_splice_alias(inode, dentry);
	if (!alias)
		return 0;
	if (!IS_ERR(alias))
		dput(alias);
	pr_warn_ratelimited("zufs: sb %llu: new entry in directory %lu names directory %lu, which has a name already\n",
			    ZUF_SB(dir->i_sb)->sb_id, dir->i_ino, ino);
	return -EIO;
}

/*
 * Send a request that creates dentry in dir, a new inode of mode's type;
 * give the new inode its LSM labels and the ACLs posix_acl_create()
 * computed; instantiate it.
 */
static int zuf_create_call(struct inode *dir, struct dentry *dentry,
			   umode_t mode, struct zuf_args *args,
			   struct posix_acl *default_acl, struct posix_acl *acl)
{
	struct zufs_entry_out *out = args->out;
	struct inode *inode;
	int err;

	err = zuf_check_dentry_name(dentry);
	if (err)
		return err;
	args->ino = dir->i_ino;
	args->nr_names = 1;
	args->names[0] = dentry->d_name.name;
	args->namelens[0] = dentry->d_name.len;
	err = zuf_call(ZUF_SB(dir->i_sb), args);
	if (!err) {
		inode = zuf_entry_inode(dir, &out->attr);
		if (IS_ERR(inode))
			err = PTR_ERR(inode);
	}
	if (!err && ((inode->i_mode ^ mode) & S_IFMT)) {
		pr_warn_ratelimited("zufs: sb %llu: created inode %lu has type %o, not %o\n",
				    ZUF_SB(dir->i_sb)->sb_id, inode->i_ino,
				    inode->i_mode & S_IFMT, mode & S_IFMT);
		iput(inode);
		err = -EIO;
	}
	if (err) {
		zuf_unsure(err, dir, dentry);
		return err;
	}
	zuf_attr_stale(dir);
	err = zuf_init_new_inode(inode, dir, &dentry->d_name, default_acl,
				 acl);
	if (err) {
		/* the inode exists, without its labels or ACLs */
		iput(inode);
		d_drop(dentry);
		return err;
	}
	return zuf_instantiate(dir, dentry, inode);
}

static int zuf_mknod_op(zuf_idmap_t *idmap, struct inode *dir,
			struct dentry *dentry, umode_t mode, dev_t rdev,
			u32 opcode)
{
	struct zufs_create_in in = { .namelen = dentry->d_name.len };
	struct zufs_entry_out out;
	struct zuf_args args = {
		.opcode = opcode,
		.in = &in,
		.out = &out,
	};
	struct posix_acl *default_acl, *acl;
	int err;

	/* the parent's default ACL, else the umask (with SB_POSIXACL) */
	err = posix_acl_create(dir, &mode, &default_acl, &acl);
	if (err)
		return err;
	zuf_new_owner(idmap, dir, &mode, &in.ni);
	if (S_ISCHR(mode) || S_ISBLK(mode)) {
		in.ni.rdev_major = MAJOR(rdev);
		in.ni.rdev_minor = MINOR(rdev);
	}
	err = zuf_create_call(dir, dentry, mode, &args, default_acl, acl);
	posix_acl_release(default_acl);
	posix_acl_release(acl);
	return err;
}

static int zuf_create(zuf_idmap_t *idmap, struct inode *dir,
		      struct dentry *dentry, umode_t mode, bool excl)
{
	return zuf_mknod_op(idmap, dir, dentry, (mode & 07777) | S_IFREG, 0,
			    ZUFS_OP_MKNOD);
}

static int zuf_mknod(zuf_idmap_t *idmap, struct inode *dir,
		     struct dentry *dentry, umode_t mode, dev_t rdev)
{
	if (!S_ISREG(mode) && !S_ISCHR(mode) && !S_ISBLK(mode) &&
	    !S_ISFIFO(mode) && !S_ISSOCK(mode))
		return -EINVAL;
	return zuf_mknod_op(idmap, dir, dentry, mode, rdev, ZUFS_OP_MKNOD);
}

static int zuf_mkdir(zuf_idmap_t *idmap, struct inode *dir,
		     struct dentry *dentry, umode_t mode)
{
	return zuf_mknod_op(idmap, dir, dentry, (mode & 07777) | S_IFDIR, 0,
			    ZUFS_OP_MKDIR);
}

static int zuf_symlink(zuf_idmap_t *idmap, struct inode *dir,
		       struct dentry *dentry, const char *target)
{
	size_t len = strlen(target);
	struct zufs_symlink_in in = {
		.namelen = dentry->d_name.len,
		.targetlen = len,
	};
	struct zufs_entry_out out;
	struct ucchan_kbuf kbuf;
	struct iov_iter iter;
	struct kvec kv = { .iov_base = (void *)target, .iov_len = len };
	struct zuf_args args = {
		.opcode = ZUFS_OP_SYMLINK,
		.in = &in,
		.out = &out,
		.bufs = &kbuf,
		.nr_bufs = 1,
	};
	umode_t mode = S_IFLNK | 0777;
	int err;

	if (len > ZUFS_SYMLINK_MAX)
		return -ENAMETOOLONG;
	zuf_new_owner(idmap, dir, &mode, &in.ni);
	iov_iter_kvec(&iter, ITER_SOURCE, &kv, 1, len);
	kbuf.iter = &iter;
	kbuf.len = len;
	kbuf.flags = UCCHAN_BUF_READ;
	err = zuf_create_call(dir, dentry, mode, &args, NULL, NULL);
	return err == -EOPNOTSUPP ? -EPERM : err;
}

static int zuf_link(struct dentry *old_dentry, struct inode *dir,
		    struct dentry *dentry)
{
	struct inode *inode = d_inode(old_dentry);
	struct zufs_link_in in = {
		.ino = inode->i_ino,
		.namelen = dentry->d_name.len,
	};
	struct zufs_entry_out out;
	struct zuf_args args = {
		.opcode = ZUFS_OP_LINK,
		.ino = dir->i_ino,
		.in = &in,
		.out = &out,
		.nr_names = 1,
		.names = { dentry->d_name.name },
		.namelens = { dentry->d_name.len },
	};
	int err;

	err = zuf_check_dentry_name(dentry);
	if (err)
		return err;
	err = zuf_call(ZUF_SB(dir->i_sb), &args);
	if (!err) {
		/* the server counted a lookup of inode */
		spin_lock(&inode->i_lock);
		ZUF_I(inode)->nlookup++;
		spin_unlock(&inode->i_lock);
		err = zuf_take_attr(inode, &out.attr);
	}
	if (err) {
		zuf_unsure(err, dir, dentry);
		if (err == -EIO)
			zuf_attr_stale(inode);
		return err == -EOPNOTSUPP ? -EPERM : err;
	}
	zuf_attr_stale(dir);
	ihold(inode);
	return zuf_instantiate(dir, dentry, inode);
}

static int zuf_remove(struct inode *dir, struct dentry *dentry, u32 opcode)
{
	struct inode *inode = d_inode(dentry);
	struct zufs_name_in in = { .namelen = dentry->d_name.len };
	struct zuf_args args = {
		.opcode = opcode,
		.ino = dir->i_ino,
		.in = &in,
		.nr_names = 1,
		.names = { dentry->d_name.name },
		.namelens = { dentry->d_name.len },
	};
	int err;

	err = zuf_call(ZUF_SB(dir->i_sb), &args);
	if (err) {
		zuf_unsure(err, dir, dentry);
		return err;
	}
	if (opcode == ZUFS_OP_RMDIR)
		clear_nlink(inode);
	else if (inode->i_nlink)
		drop_nlink(inode);
	zuf_attr_stale(inode);
	zuf_attr_stale(dir);
	return 0;
}

static int zuf_unlink(struct inode *dir, struct dentry *dentry)
{
	return zuf_remove(dir, dentry, ZUFS_OP_UNLINK);
}

static int zuf_rmdir(struct inode *dir, struct dentry *dentry)
{
	return zuf_remove(dir, dentry, ZUFS_OP_RMDIR);
}

static int zuf_rename(zuf_idmap_t *idmap, struct inode *old_dir,
		      struct dentry *old_dentry, struct inode *new_dir,
		      struct dentry *new_dentry, unsigned int flags)
{
	struct zuf_sb_info *sbi = ZUF_SB(old_dir->i_sb);
	struct inode *victim = d_inode(new_dentry);
	struct zufs_rename_in in = {
		.newdir = new_dir->i_ino,
		.oldlen = old_dentry->d_name.len,
		.newlen = new_dentry->d_name.len,
	};
	struct zuf_args args = {
		.opcode = ZUFS_OP_RENAME,
		.ino = old_dir->i_ino,
		.in = &in,
		.nr_names = 2,
		.names = { old_dentry->d_name.name, new_dentry->d_name.name },
		.namelens = { in.oldlen, in.newlen },
	};
	int err;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if (flags & RENAME_NOREPLACE)
		in.flags |= ZUFS_RENAME_NOREPLACE;
	if (flags & RENAME_EXCHANGE) {
		if (!zuf_has(sbi, ZUFS_CAP_RENAME_EXCHANGE))
			return -EINVAL;
		in.flags |= ZUFS_RENAME_EXCHANGE;
	}
	err = zuf_check_dentry_name(new_dentry);
	if (err)
		return err;
	err = zuf_call(sbi, &args);
	if (err) {
		zuf_unsure(err, old_dir, old_dentry);
		zuf_unsure(err, new_dir, new_dentry);
		return err == -EOPNOTSUPP ? -EPERM : err;
	}
	if (victim && !(flags & RENAME_EXCHANGE)) {
		if (S_ISDIR(victim->i_mode))
			clear_nlink(victim);
		else if (victim->i_nlink)
			drop_nlink(victim);
	}
	if (victim)
		zuf_attr_stale(victim);
	zuf_attr_stale(d_inode(old_dentry));
	zuf_attr_stale(old_dir);
	zuf_attr_stale(new_dir);
	return 0;
}

static int zuf_tmpfile(zuf_idmap_t *idmap, struct inode *dir,
		       struct file *file, umode_t mode)
{
	struct zufs_tmpfile_in in = {};
	struct zufs_entry_out out;
	struct zuf_args args = {
		.opcode = ZUFS_OP_TMPFILE,
		.ino = dir->i_ino,
		.in = &in,
		.out = &out,
	};
	struct posix_acl *default_acl, *acl;
	struct dentry *alias;
	struct inode *inode;
	int err;

	if (!zuf_has(ZUF_SB(dir->i_sb), ZUFS_CAP_TMPFILE))
		return -EOPNOTSUPP;
	mode = (mode & 07777) | S_IFREG;
	err = posix_acl_create(dir, &mode, &default_acl, &acl);
	if (err)
		return err;
	zuf_new_owner(idmap, dir, &mode, &in.ni);
	err = zuf_call(ZUF_SB(dir->i_sb), &args);
	if (err)
		goto out;
	inode = zuf_entry_inode(dir, &out.attr);
	err = PTR_ERR_OR_ZERO(inode);
	if (err)
		goto out;
	/* a new inode: not one the kernel already has a name for */
	alias = d_find_any_alias(inode);
	if (alias || !S_ISREG(inode->i_mode) || inode->i_nlink) {
		pr_warn_ratelimited("zufs: sb %llu: TMPFILE returned inode %lu that is not new\n",
				    ZUF_SB(dir->i_sb)->sb_id, inode->i_ino);
		dput(alias);
		zuf_attr_stale(inode);	/* zuf_iget() took the lie */
		iput(inode);
		err = -EIO;
		goto out;
	}
	err = zuf_init_new_inode(inode, dir, NULL, NULL, acl);
	if (err) {
		iput(inode);
		goto out;
	}
	posix_acl_release(default_acl);
	posix_acl_release(acl);
	set_nlink(inode, 1);	/* d_tmpfile() takes it back to 0 */
	d_tmpfile(file, inode);
	return finish_open_simple(file, 0);
out:
	posix_acl_release(default_acl);
	posix_acl_release(acl);
	return err;
}

const struct inode_operations zuf_dir_inode_ops = {
	.lookup		= zuf_lookup,
	.create		= zuf_create,
	.mknod		= zuf_mknod,
	.mkdir		= zuf_mkdir,
	.symlink	= zuf_symlink,
	.link		= zuf_link,
	.unlink		= zuf_unlink,
	.rmdir		= zuf_rmdir,
	.rename		= zuf_rename,
	.tmpfile	= zuf_tmpfile,
	.getattr	= zuf_getattr,
	.setattr	= zuf_setattr,
	.listxattr	= zuf_listxattr,
	.zuf_iop_get_acl = zuf_get_acl,
	.set_acl	= zuf_set_acl,
};
