// SPDX-License-Identifier: BSD-2-Clause
/*
 * inode.c - pmemfs.so: lookup/forget, attributes, the create family,
 * links, rename, tmpfile. Each op is one core call (see pmemfs_plugin.h
 * for how the kernel's lookup counts map onto the core's references).
 */
#include <errno.h>
#include <stddef.h>
#include <sys/stat.h>

#include "pmemfs_plugin.h"

/* The ABI's constants and the core's are the same numbers: pass them on. */
_Static_assert(ZUS_SET_MODE == PMFS_SET_MODE && ZUS_SET_UID == PMFS_SET_UID &&
	       ZUS_SET_GID == PMFS_SET_GID && ZUS_SET_SIZE == PMFS_SET_SIZE &&
	       ZUS_SET_ATIME == PMFS_SET_ATIME &&
	       ZUS_SET_MTIME == PMFS_SET_MTIME &&
	       ZUS_SET_CTIME == PMFS_SET_CTIME &&
	       ZUS_SET_ATIME_NOW == PMFS_SET_ATIME_NOW &&
	       ZUS_SET_MTIME_NOW == PMFS_SET_MTIME_NOW, "setattr bits");
_Static_assert(ZUS_RENAME_NOREPLACE == PMFS_RENAME_NOREPLACE &&
	       ZUS_RENAME_EXCHANGE == PMFS_RENAME_EXCHANGE, "rename flags");
/* struct zus_xattr and struct pmfs_xattr are the same layout: the
 * initial xattrs of a new inode go to the core without a copy. */
_Static_assert(sizeof(struct zus_xattr) == sizeof(struct pmfs_xattr) &&
	       offsetof(struct zus_xattr, name) ==
	       offsetof(struct pmfs_xattr, name) &&
	       offsetof(struct zus_xattr, value) ==
	       offsetof(struct pmfs_xattr, value) &&
	       offsetof(struct zus_xattr, size) ==
	       offsetof(struct pmfs_xattr, size), "xattr layout");

void pmp_attr(const struct pmfs_attr *pa, struct zus_attr *za)
{
	za->ino = pa->ino;
	za->generation = pa->generation;
	za->mode = pa->mode;
	za->nlink = pa->nlink;
	za->uid = pa->uid;
	za->gid = pa->gid;
	za->rdev = pa->rdev;
	za->size = pa->size;
	za->blocks = pa->blocks;
	za->blksize = PMFS_BLOCK_SIZE;
	za->pad = 0;
	za->atime = pa->atime;
	za->mtime = pa->mtime;
	za->ctime = pa->ctime;
}

void pmp_new(const struct zus_new_inode *ni, struct pmfs_new *pn)
{
	pn->mode = ni->mode;
	pn->uid = ni->uid;
	pn->gid = ni->gid;
	pn->rdev = ni->rdev;
	pn->nr_xattrs = ni->nr_xattrs;
	pn->xattrs = (const struct pmfs_xattr *)(const void *)ni->xattrs;
}

int pmp_lookup(const struct zus_ctx *ctx, zus_ino_t dir, const char *name,
	       size_t namelen, struct zus_attr *attr)
{
	struct pmfs_attr pa;
	int err = pmfs_lookup(PFS(ctx), dir, name, namelen, &pa);

	if (!err)
		pmp_attr(&pa, attr);
	return (int)pmp_ret(err);
}

void pmp_forget(const struct zus_ctx *ctx, zus_ino_t ino, uint64_t nlookup)
{
	if (ino != PMFS_ROOT_INO && nlookup)
		pmfs_iput(PFS(ctx), ino, nlookup);
}

int pmp_getattr(const struct zus_ctx *ctx, zus_ino_t ino,
		struct zus_attr *attr)
{
	struct pmfs_attr pa;
	int err = pmfs_getattr(PFS(ctx), ino, &pa);

	if (!err)
		pmp_attr(&pa, attr);
	return (int)pmp_ret(err);
}

int pmp_setattr(const struct zus_ctx *ctx, zus_ino_t ino,
		const struct zus_setattr *sa, struct zus_attr *attr)
{
	struct pmfs_setattr ps = {
		.valid = sa->valid,
		.mode = sa->mode & 07777,
		.uid = sa->uid,
		.gid = sa->gid,
		.size = sa->size,
		.atime = sa->atime,
		.mtime = sa->mtime,
		.ctime = sa->ctime,
	};
	struct pmfs_attr pa;
	int err;

	PMP_RO_CHECK(ctx);
	err = pmfs_setattr(PFS(ctx), ino, &ps, &pa);
	if (!err)
		pmp_attr(&pa, attr);
	return (int)pmp_ret(err);
}

static int create(const struct zus_ctx *ctx, zus_ino_t dir, const char *name,
		  size_t namelen, const struct zus_new_inode *ni,
		  struct zus_attr *attr)
{
	struct pmfs_new pn;
	struct pmfs_attr pa;
	int err;

	PMP_RO_CHECK(ctx);
	pmp_new(ni, &pn);
	err = pmfs_mknod(PFS(ctx), dir, name, namelen, &pn, &pa);
	if (!err)
		pmp_attr(&pa, attr);
	return (int)pmp_ret(err);
}

int pmp_mknod(const struct zus_ctx *ctx, zus_ino_t dir, const char *name,
	      size_t namelen, const struct zus_new_inode *ni,
	      struct zus_attr *attr)
{
	return create(ctx, dir, name, namelen, ni, attr);
}

int pmp_mkdir(const struct zus_ctx *ctx, zus_ino_t dir, const char *name,
	      size_t namelen, const struct zus_new_inode *ni,
	      struct zus_attr *attr)
{
	return create(ctx, dir, name, namelen, ni, attr);
}

int pmp_symlink(const struct zus_ctx *ctx, zus_ino_t dir, const char *name,
		size_t namelen, const char *target, size_t targetlen,
		const struct zus_new_inode *ni, struct zus_attr *attr)
{
	struct pmfs_new pn;
	struct pmfs_attr pa;
	int err;

	PMP_RO_CHECK(ctx);
	pmp_new(ni, &pn);
	err = pmfs_symlink(PFS(ctx), dir, name, namelen, target, targetlen,
			   &pn, &pa);
	if (!err)
		pmp_attr(&pa, attr);
	return (int)pmp_ret(err);
}

ssize_t pmp_readlink(const struct zus_ctx *ctx, zus_ino_t ino, char *buf,
		     size_t size)
{
	return pmp_ret(pmfs_readlink(PFS(ctx), ino, buf, size));
}

int pmp_link(const struct zus_ctx *ctx, zus_ino_t ino, zus_ino_t newdir,
	     const char *name, size_t namelen, struct zus_attr *attr)
{
	struct pmfs_attr pa;
	int err;

	PMP_RO_CHECK(ctx);
	err = pmfs_link(PFS(ctx), ino, newdir, name, namelen, &pa);
	if (!err)
		pmp_attr(&pa, attr);
	return (int)pmp_ret(err);
}

int pmp_unlink(const struct zus_ctx *ctx, zus_ino_t dir, const char *name,
	       size_t namelen)
{
	PMP_RO_CHECK(ctx);
	return pmp_ret(pmfs_unlink(PFS(ctx), dir, name, namelen));
}

int pmp_rmdir(const struct zus_ctx *ctx, zus_ino_t dir, const char *name,
	      size_t namelen)
{
	PMP_RO_CHECK(ctx);
	return pmp_ret(pmfs_rmdir(PFS(ctx), dir, name, namelen));
}

int pmp_rename(const struct zus_ctx *ctx, zus_ino_t olddir,
	       const char *oldname, size_t oldlen, zus_ino_t newdir,
	       const char *newname, size_t newlen, unsigned int flags)
{
	PMP_RO_CHECK(ctx);
	if (flags & ~(ZUS_RENAME_NOREPLACE | ZUS_RENAME_EXCHANGE))
		return -EINVAL;		/* RENAME_WHITEOUT: not offered */
	return pmp_ret(pmfs_rename(PFS(ctx), olddir, oldname, oldlen, newdir, newname,
			   newlen, flags));
}

int pmp_tmpfile(const struct zus_ctx *ctx, zus_ino_t dir,
		const struct zus_new_inode *ni, struct zus_attr *attr)
{
	struct pmfs_new pn;
	struct pmfs_attr pa;
	int err;

	PMP_RO_CHECK(ctx);
	pmp_new(ni, &pn);
	err = pmfs_tmpfile(PFS(ctx), dir, &pn, &pa);
	if (!err)
		pmp_attr(&pa, attr);
	return (int)pmp_ret(err);
}
