// SPDX-License-Identifier: GPL-2.0
/*
 * zuf - directory inode operations: lookup and every namespace change.
 *
 * Dentries (positive and negative) are cached without revalidation: the
 * server is the only writer and every change goes through here (a server
 * that is not, with ZUFS_CAP_NOTIFY, invalidates them: zuf_notify.c, and
 * d_revalidate honours that). Where a
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

/*
 * A new inode's initial xattrs (ZUFS_CAP_INIT_XATTRS): its LSM label (if
 * the LSM can compute it from the dentry, security_dentry_init_security(),
 * as for FUSE and NFS) and the ACLs posix_acl_create() computed, in one
 * block the create request carries (zufs_init_xattrs), so that the server
 * never holds the inode without them.
 */
struct zuf_newx {
	void *block;		/* zufs_init_xattrs and records, or NULL */
	size_t len;
	bool cap;		/* ACLs are in the request, whether any or not */
	bool label;		/* the LSM label is in the block */
	struct kvec kv;
	struct iov_iter iter;
};

struct zuf_newx_item {
	const char *name;
	const void *value;
	size_t size;
};

static int zuf_newx_build(struct zuf_newx *nx,
			  const struct zuf_newx_item *it, unsigned int n)
{
	struct zufs_init_xattrs *h;
	size_t len = sizeof(*h);
	unsigned int i;
	char *p;

	for (i = 0; i < n; i++) {
		size_t nl = strlen(it[i].name);

		if (!nl || nl > ZUFS_XATTR_NAME_MAX ||
		    it[i].size > ZUFS_XATTR_SIZE_MAX)
			return -E2BIG;
		len += ZUFS_INIT_XATTR_SIZE(nl, it[i].size);
	}
	if (len > ZUFS_INIT_XATTRS_SIZE_MAX)
		return -E2BIG;
	nx->block = kvzalloc(len, GFP_KERNEL);	/* padding is zero */
	if (!nx->block)
		return -ENOMEM;
	h = nx->block;
	h->count = n;
	h->len = len;
	p = (char *)(h + 1);
	for (i = 0; i < n; i++) {
		struct zufs_init_xattr *x = (void *)p;

		x->namelen = strlen(it[i].name);
		x->size = it[i].size;
		memcpy(x->name, it[i].name, x->namelen);
		if (it[i].size)
			memcpy(x->name + x->namelen + 1, it[i].value,
			       it[i].size);
		p += ZUFS_INIT_XATTR_SIZE(x->namelen, x->size);
	}
	nx->len = len;
	return 0;
}

static void zuf_newx_free(struct zuf_newx *nx)
{
	kvfree(nx->block);
	nx->block = NULL;
}

/*
 * The initial xattrs of a new inode of @mode at @dentry, if the server
 * takes them in the create request. Return: 0 or -errno (the create is
 * not sent); zuf_newx_free() afterwards.
 */
static int zuf_newx_prepare(struct zuf_sb_info *sbi, struct dentry *dentry,
			    umode_t mode, struct posix_acl *default_acl,
			    struct posix_acl *acl, struct zuf_newx *nx)
{
	struct zuf_newx_item it[3];
	void *vals[2] = {};
	const char *lsm_name = NULL;
	void *ctx = NULL;
	u32 ctxlen = 0;
	unsigned int n = 0;
	int err;

	memset(nx, 0, sizeof(*nx));
	if (!zuf_has(sbi, ZUFS_CAP_INIT_XATTRS))
		return 0;
	nx->cap = true;
	err = security_dentry_init_security(dentry, mode, &dentry->d_name,
					    &lsm_name, &ctx, &ctxlen);
	if (err == -EOPNOTSUPP) {	/* no LSM labels by dentry */
		err = 0;
		ctx = NULL;
	}
	if (err)
		return err;
	if (ctx && lsm_name) {
		it[n++] = (struct zuf_newx_item){ lsm_name, ctx, ctxlen };
		nx->label = true;
	}
	if (default_acl) {
		vals[0] = zuf_acl_value(default_acl, &it[n].size);
		err = PTR_ERR_OR_ZERO(vals[0]);
		if (err) {
			vals[0] = NULL;
			goto out;
		}
		it[n].name = XATTR_NAME_POSIX_ACL_DEFAULT;
		it[n++].value = vals[0];
	}
	if (acl) {
		vals[1] = zuf_acl_value(acl, &it[n].size);
		err = PTR_ERR_OR_ZERO(vals[1]);
		if (err) {
			vals[1] = NULL;
			goto out;
		}
		it[n].name = XATTR_NAME_POSIX_ACL_ACCESS;
		it[n++].value = vals[1];
	}
	if (n)
		err = zuf_newx_build(nx, it, n);
out:
	kfree(vals[0]);
	kfree(vals[1]);
	if (ctx)
		security_release_secctx(ctx, ctxlen);
	return err;
}

/* Put the block in the request, as its next buffer (args->bufs has room). */
static void zuf_newx_attach(struct zuf_newx *nx, struct zuf_args *args)
{
	struct ucchan_kbuf *kbuf = &args->bufs[args->nr_bufs];

	if (!nx->block)
		return;
	nx->kv.iov_base = nx->block;
	nx->kv.iov_len = nx->len;
	iov_iter_kvec(&nx->iter, ITER_SOURCE, &nx->kv, 1, nx->len);
	kbuf->iter = &nx->iter;
	kbuf->len = nx->len;
	kbuf->flags = UCCHAN_BUF_READ;
	args->nr_bufs++;
}

/*
 * A new inode's LSM labels and ACLs, before anyone can see it: what the
 * create request did not carry is set with SETXATTR now.
 */
static int zuf_init_new_inode(struct inode *inode, struct inode *dir,
			      const struct qstr *qstr,
			      struct posix_acl *default_acl,
			      struct posix_acl *acl, const struct zuf_newx *nx)
{
	int err = 0;

	if (!nx->label) {
		err = security_inode_init_security(inode, dir, qstr,
						   zuf_initxattrs, NULL);
		if (err == -EOPNOTSUPP)
			err = 0;
	}
	if (!err && nx->cap)
		zuf_acl_cache(inode, default_acl, acl);
	else if (!err)
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
 * Send a request that creates dentry in dir, a new inode of mode's type
 * (with its initial xattrs, ZUFS_CAP_INIT_XATTRS; args->bufs has room for
 * one more buffer); give the new inode the LSM labels and the ACLs
 * posix_acl_create() computed that the request did not carry;
 * instantiate it.
 */
static int zuf_create_call(struct inode *dir, struct dentry *dentry,
			   umode_t mode, struct zuf_args *args,
			   struct posix_acl *default_acl, struct posix_acl *acl)
{
	struct zuf_sb_info *sbi = ZUF_SB(dir->i_sb);
	struct zufs_entry_out *out = args->out;
	struct zuf_newx nx;
	struct inode *inode;
	int err;

	err = zuf_check_dentry_name(dentry);
	if (err)
		return err;
	err = zuf_newx_prepare(sbi, dentry, mode, default_acl, acl, &nx);
	if (err)
		return err;
	zuf_newx_attach(&nx, args);
	args->ino = dir->i_ino;
	args->nr_names = 1;
	args->names[0] = dentry->d_name.name;
	args->namelens[0] = dentry->d_name.len;
	err = zuf_call(sbi, args);
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
		goto out;
	}
	zuf_attr_stale(dir);
	err = zuf_init_new_inode(inode, dir, &dentry->d_name, default_acl,
				 acl, &nx);
	if (err) {
		/* the inode exists, without its labels or ACLs */
		iput(inode);
		d_drop(dentry);
		goto out;
	}
	err = zuf_instantiate(dir, dentry, inode);
out:
	zuf_newx_free(&nx);
	return err;
}

static int zuf_mknod_op(zuf_idmap_t *idmap, struct inode *dir,
			struct dentry *dentry, umode_t mode, dev_t rdev,
			u32 opcode)
{
	struct zufs_create_in in = { .namelen = dentry->d_name.len };
	struct zufs_entry_out out;
	struct ucchan_kbuf kbuf;	/* initial xattrs */
	struct zuf_args args = {
		.opcode = opcode,
		.in = &in,
		.out = &out,
		.bufs = &kbuf,
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
	struct ucchan_kbuf kbufs[2];	/* the target, initial xattrs */
	struct iov_iter iter;
	struct kvec kv = { .iov_base = (void *)target, .iov_len = len };
	struct zuf_args args = {
		.opcode = ZUFS_OP_SYMLINK,
		.in = &in,
		.out = &out,
		.bufs = kbufs,
		.nr_bufs = 1,
	};
	umode_t mode = S_IFLNK | 0777;
	int err;

	if (len > ZUFS_SYMLINK_MAX)
		return -ENAMETOOLONG;
	zuf_new_owner(idmap, dir, &mode, &in.ni);
	iov_iter_kvec(&iter, ITER_SOURCE, &kv, 1, len);
	kbufs[0].iter = &iter;
	kbufs[0].len = len;
	kbufs[0].flags = UCCHAN_BUF_READ;
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
	struct ucchan_kbuf kbuf;	/* initial xattrs */
	struct zuf_args args = {
		.opcode = ZUFS_OP_TMPFILE,
		.ino = dir->i_ino,
		.in = &in,
		.out = &out,
		.bufs = &kbuf,
	};
	struct posix_acl *default_acl, *acl;
	struct zuf_newx nx = {};
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
	err = zuf_newx_prepare(ZUF_SB(dir->i_sb), file->f_path.dentry, mode,
			       NULL, acl, &nx);
	if (err)
		goto out;
	zuf_newx_attach(&nx, &args);
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
	err = zuf_init_new_inode(inode, dir, NULL, NULL, acl, &nx);
	if (err) {
		iput(inode);
		goto out;
	}
	zuf_newx_free(&nx);
	posix_acl_release(default_acl);
	posix_acl_release(acl);
	set_nlink(inode, 1);	/* d_tmpfile() takes it back to 0 */
	d_tmpfile(file, inode);
	return finish_open_simple(file, 0);
out:
	zuf_newx_free(&nx);
	posix_acl_release(default_acl);
	posix_acl_release(acl);
	return err;
}

/*
 * CREATE (protocol 1.2): create and open a new regular file in one
 * request, as FUSE's fuse_create_open(). The reply counts one lookup and
 * opens a handle: wherever the kernel cannot use it, the handle is
 * released and the lookup forgotten (by the inode's eviction once the
 * kernel holds the inode, else at once); the file stays created.
 */
static int zuf_create_open(struct inode *dir, struct dentry *dentry,
			   struct file *file, unsigned int flags, umode_t mode)
{
	struct zuf_sb_info *sbi = ZUF_SB(dir->i_sb);
	struct zufs_create_open_in in = {
		.namelen = dentry->d_name.len,
		.flags = flags & ~ZUF_OPEN_FLAGS_STRIP,
	};
	struct zufs_create_open_out out;
	struct ucchan_kbuf kbuf;	/* initial xattrs */
	struct zuf_args args = {
		.opcode = ZUFS_OP_CREATE,
		.ino = dir->i_ino,
		.in = &in,
		.out = &out,
		.nr_names = 1,
		.names = { dentry->d_name.name },
		.namelens = { dentry->d_name.len },
		.bufs = &kbuf,
	};
	struct posix_acl *default_acl, *acl;
	struct zuf_file *zf = NULL;
	struct zuf_newx nx = {};
	struct inode *inode;
	int err;

	err = zuf_check_dentry_name(dentry);
	if (err)
		return err;
	mode = (mode & 07777) | S_IFREG;
	err = posix_acl_create(dir, &mode, &default_acl, &acl);
	if (err)
		return err;
	zuf_new_owner(zuf_nop_idmap, dir, &mode, &in.ni);
	err = zuf_newx_prepare(sbi, dentry, mode, default_acl, acl, &nx);
	if (err)
		goto out;
	err = -ENOMEM;
	zf = kzalloc(sizeof(*zf), GFP_KERNEL);
	if (!zf)
		goto out;
	zuf_newx_attach(&nx, &args);
	err = zuf_call(sbi, &args);
	if (err) {
		zuf_unsure(err, dir, dentry);
		if (err == -EEXIST)	/* the kernel thought it absent */
			d_drop(dentry);
		goto out;
	}
	zuf_attr_stale(dir);
	if (out.reserved || zuf_check_attr(sbi, &out.attr)) {
		pr_warn_ratelimited("zufs: sb %llu: bad CREATE reply in directory %lu\n",
				    sbi->sb_id, dir->i_ino);
		if (out.attr.ino)
			zuf_queue_forget(sbi, out.attr.ino, 1);
		err = -EIO;
		goto out_release;
	}
	inode = zuf_entry_inode(dir, &out.attr);
	if (IS_ERR(inode)) {
		err = PTR_ERR(inode);
		goto out_release;
	}
	if (!S_ISREG(inode->i_mode)) {
		pr_warn_ratelimited("zufs: sb %llu: CREATE made inode %lu of type %o\n",
				    sbi->sb_id, inode->i_ino,
				    inode->i_mode & S_IFMT);
		iput(inode);	/* its eviction FORGETs the lookup */
		err = -EIO;
		goto out_release;
	}
	err = zuf_init_new_inode(inode, dir, &dentry->d_name, default_acl,
				 acl, &nx);
	if (err) {
		iput(inode);
		d_drop(dentry);
		goto out_release;
	}
	err = zuf_instantiate(dir, dentry, inode);
	if (err)
		goto out_release;
	zf->fh = out.fh;
	zf->epoch = READ_ONCE(ZUF_SB(dir->i_sb)->epoch);
	zf->opened = true;
	file->private_data = zf;
	err = finish_open(file, dentry, zuf_open_created);
	if (err && !(file->f_mode & FMODE_OPENED)) {
		file->private_data = NULL;
		goto out_release;
	}
	zf = NULL;	/* the file's: its release sends RELEASE */
	goto out;
out_release:
	zuf_release_fh(sbi, out.attr.ino, ZUFS_OP_RELEASE, out.fh);
	/* the name exists now: not the negative dentry the kernel had */
	if (d_really_is_negative(dentry))
		d_drop(dentry);
out:
	kfree(zf);
	zuf_newx_free(&nx);
	posix_acl_release(default_acl);
	posix_acl_release(acl);
	return err;
}

/*
 * ->atomic_open (the dir inode ops of mounts where CREATE may be sent):
 * O_CREAT of a new name is one CREATE; O_CREAT|O_EXCL does not even look
 * the name up first (CREATE answers -EEXIST). Everything else, and every
 * create once the server answered CREATE -ENOSYS, is what the VFS does
 * without atomic_open: LOOKUP, MKNOD, and OPEN from the VFS's open.
 */
static int zuf_atomic_open(struct inode *dir, struct dentry *dentry,
			   struct file *file, unsigned int flags, umode_t mode)
{
	struct zuf_sb_info *sbi = ZUF_SB(dir->i_sb);
	bool create = (flags & O_CREAT) && zuf_open_op(sbi, ZUFS_OP_CREATE);
	struct dentry *res = NULL;
	int err;

	if (d_in_lookup(dentry) && !(create && (flags & O_EXCL))) {
		res = zuf_lookup(dir, dentry, 0);
		if (IS_ERR(res))
			return PTR_ERR(res);
		if (res)
			dentry = res;
	}
	if (!(flags & O_CREAT) || d_really_is_positive(dentry))
		return finish_no_open(file, res);

	file->f_mode |= FMODE_CREATED;
	if (create) {
		err = zuf_create_open(dir, dentry, file, flags, mode);
		if (err != -EOPNOTSUPP || !zuf_no_op(sbi, ZUFS_OP_CREATE))
			goto out;
	}
	err = zuf_mknod_op(zuf_nop_idmap, dir, dentry,
			   (mode & 07777) | S_IFREG, 0, ZUFS_OP_MKNOD);
	if (!err)
		return finish_no_open(file, res);
out:
	dput(res);
	return err;
}

/* for 1.1 servers and mounts without ZUFS_CAP_OPEN: no atomic_open */
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

/* where CREATE may be sent (protocol 1.2 with ZUFS_CAP_OPEN) */
const struct inode_operations zuf_dir_create_inode_ops = {
	.lookup		= zuf_lookup,
	.atomic_open	= zuf_atomic_open,
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
