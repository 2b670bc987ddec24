// SPDX-License-Identifier: GPL-2.0
/*
 * zuf - POSIX ACLs (ZUFS_CAP_ACL). The server keeps them as the
 * system.posix_acl_access and system.posix_acl_default xattrs in the
 * usual little-endian xattr format with ids of the initial user
 * namespace; the kernel converts them, caches them in the inode (the
 * server is the only writer) and enforces them (generic_permission).
 *
 * A new inode gets its ACLs from the parent's default ACL
 * (posix_acl_create(), which also applies the umask when there is none)
 * in the create request itself (ZUFS_CAP_INIT_XATTRS), else by SETXATTR
 * calls right after the create; chmod rewrites the access
 * ACL (posix_acl_chmod()); setting an access ACL updates the mode.
 */
#include <linux/fs.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <linux/slab.h>
#include <linux/xattr.h>

#include "zuf_i.h"

static const char *zuf_acl_name(int type)
{
	switch (type) {
	case ACL_TYPE_ACCESS:
		return XATTR_NAME_POSIX_ACL_ACCESS;
	case ACL_TYPE_DEFAULT:
		return XATTR_NAME_POSIX_ACL_DEFAULT;
	}
	return NULL;
}

/* A value the server sent that is not an ACL is its lie: -EIO. */
static struct posix_acl *zuf_acl_decode(struct inode *inode, const void *value,
					size_t size)
{
	struct posix_acl *acl;

	acl = posix_acl_from_xattr(&init_user_ns, value, size);
	if (!IS_ERR_OR_NULL(acl) && posix_acl_valid(&init_user_ns, acl)) {
		posix_acl_release(acl);
		acl = ERR_PTR(-EINVAL);
	}
	if (!acl)
		acl = ERR_PTR(-EINVAL);
	if (IS_ERR(acl) && PTR_ERR(acl) != -ENOMEM) {
		pr_warn_ratelimited("zufs: sb %llu: inode %lu: server sent a bad ACL\n",
				    ZUF_SB(inode->i_sb)->sb_id, inode->i_ino);
		acl = ERR_PTR(-EIO);
	}
	return acl;
}

/**
 * zuf_get_acl() - read an ACL from the server (->get_inode_acl)
 * @inode: the inode
 * @type:  ACL_TYPE_ACCESS or ACL_TYPE_DEFAULT
 * @rcu:   called under RCU: cannot ask the server
 *
 * The VFS caches the result. Return: the ACL, NULL if there is none, or
 * ERR_PTR(-errno).
 */
struct posix_acl *zuf_get_acl(struct inode *inode, int type, bool rcu)
{
	const char *name = zuf_acl_name(type);
	struct posix_acl *acl;
	unsigned int tries;
	void *value;
	u32 size;
	int err;

	if (rcu)
		return ERR_PTR(-ECHILD);
	if (!name)
		return ERR_PTR(-EINVAL);
	/* the value may change between asking its size and reading it */
	for (tries = 0; tries < 3; tries++) {
		err = zuf_xattr_call(inode, ZUFS_OP_GETXATTR, name, NULL, 0, 0,
				     &size);
		if (err == -ENODATA || err == -EOPNOTSUPP)
			return NULL;
		if (err)
			return ERR_PTR(err);
		if (!size)
			return zuf_acl_decode(inode, NULL, 0);
		value = kmalloc(size, GFP_KERNEL);
		if (!value)
			return ERR_PTR(-ENOMEM);
		err = zuf_xattr_call(inode, ZUFS_OP_GETXATTR, name, value,
				     size, 0, &size);
		if (!err)
			acl = zuf_acl_decode(inode, value, size);
		kfree(value);
		if (err == -ENODATA)
			return NULL;
		if (!err)
			return acl;
		if (err != -ERANGE)
			return ERR_PTR(err);
	}
	return ERR_PTR(-EIO);
}

/**
 * zuf_acl_value() - an ACL in the server's xattr format
 * @acl:  the ACL
 * @size: its length
 *
 * Return: the value (kfree() it) or ERR_PTR(-E2BIG, -ENOMEM, -EINVAL).
 */
void *zuf_acl_value(const struct posix_acl *acl, size_t *size)
{
	void *value;
	int err;

	*size = posix_acl_xattr_size(acl->a_count);
	if (*size > ZUFS_XATTR_SIZE_MAX)
		return ERR_PTR(-E2BIG);
	value = kmalloc(*size, GFP_KERNEL);
	if (!value)
		return ERR_PTR(-ENOMEM);
	err = posix_acl_to_xattr(&init_user_ns, acl, value, *size);
	if (err < 0) {
		kfree(value);
		return ERR_PTR(err);
	}
	return value;
}

/* Store (or, for NULL, remove) an ACL on the server. */
static int zuf_acl_store(struct inode *inode, int type,
			 const struct posix_acl *acl)
{
	const char *name = zuf_acl_name(type);
	size_t size;
	void *value;
	int err;

	if (!name)
		return -EINVAL;
	if (!acl) {
		err = zuf_xattr_call(inode, ZUFS_OP_REMOVEXATTR, name, NULL, 0,
				     0, NULL);
		return err == -ENODATA ? 0 : err;
	}
	value = zuf_acl_value(acl, &size);
	if (IS_ERR(value))
		return PTR_ERR(value);
	err = zuf_xattr_call(inode, ZUFS_OP_SETXATTR, name, value, size, 0,
			     NULL);
	kfree(value);
	return err;
}

/**
 * zuf_set_acl() - set or remove an ACL (->set_acl)
 * @idmap: the mount's idmap
 * @obj:   the inode (6.1) or its dentry (6.2 and later)
 * @acl:   the ACL, NULL to remove it
 * @type:  ACL_TYPE_ACCESS or ACL_TYPE_DEFAULT
 *
 * The VFS has checked ownership and the ACL's validity. An access ACL
 * also sets the mode's permission bits (and may turn out to be
 * equivalent to the mode: then it is removed).
 *
 * Return: 0 or -errno.
 */
int zuf_set_acl(zuf_idmap_t *idmap, zuf_acl_obj_t *obj, struct posix_acl *acl,
		int type)
{
	struct inode *inode = zuf_acl_obj_inode(obj);
	umode_t mode = inode->i_mode;
	int err;

	if (type == ACL_TYPE_ACCESS && acl) {
		err = posix_acl_update_mode(idmap, inode, &mode, &acl);
		if (err)
			return err;
	}
	err = zuf_acl_store(inode, type, acl);
	if (!err && mode != inode->i_mode)
		err = zuf_set_mode(inode, mode);
	if (err) {
		forget_cached_acl(inode, type);
		zuf_attr_stale(inode);
		return err;
	}
	set_cached_acl(inode, type, acl);
	zuf_attr_stale(inode);	/* ctime */
	return 0;
}

/**
 * zuf_acl_init() - give a new inode the ACLs posix_acl_create() computed
 * @inode:       the new inode
 * @default_acl: for a directory, its default ACL (or NULL)
 * @acl:         its access ACL (or NULL)
 *
 * Return: 0 or -errno.
 */
int zuf_acl_init(struct inode *inode, struct posix_acl *default_acl,
		 struct posix_acl *acl)
{
	int err = 0;

	if (default_acl) {
		err = zuf_acl_store(inode, ACL_TYPE_DEFAULT, default_acl);
		if (!err)
			set_cached_acl(inode, ACL_TYPE_DEFAULT, default_acl);
	}
	if (acl && !err) {
		err = zuf_acl_store(inode, ACL_TYPE_ACCESS, acl);
		if (!err)
			set_cached_acl(inode, ACL_TYPE_ACCESS, acl);
	}
	if (default_acl || acl)
		zuf_attr_stale(inode);	/* ctime */
	return err;
}

/**
 * zuf_acl_cache() - cache the ACLs a new inode was created with
 * @inode:       the new inode (ZUFS_CAP_INIT_XATTRS: the server stored
 *               them in the create request)
 * @default_acl: its default ACL (or NULL)
 * @acl:         its access ACL (or NULL)
 */
void zuf_acl_cache(struct inode *inode, struct posix_acl *default_acl,
		   struct posix_acl *acl)
{
	if (default_acl)
		set_cached_acl(inode, ACL_TYPE_DEFAULT, default_acl);
	if (acl)
		set_cached_acl(inode, ACL_TYPE_ACCESS, acl);
}
