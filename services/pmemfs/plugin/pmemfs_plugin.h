/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pmemfs_plugin.h - the zusd plugin pmemfs.so: a thin ABI-2 layer over the
 * pmemfs core (services/pmemfs/core/pmemfs.h). Internal to the plugin.
 *
 * Files:
 *   super.c  init, mount (media open, exclusive lock, options), umount,
 *            statfs, sync_fs
 *   inode.c  lookup/forget (= pmfs_iget/iput references), attributes,
 *            the create family, links, rename, tmpfile
 *   data.c   readdir, read, write, fallocate, lseek, copy_range
 *   xattr.c  extended attributes (and so POSIX ACLs)
 *   entry.c  the ops table and zus_plugin_entry(), the only export
 *
 * References: every op that hands an inode to the kernel in a zus_attr
 * (lookup, mknod, mkdir, symlink, link, tmpfile) counts as one lookup;
 * the core's lookup/create/link/tmpfile take exactly one reference, so the
 * kernel's lookup count IS the core's reference count and forget(n) is
 * pmfs_iput(n). An unlinked (or O_TMPFILE) inode stays alive, on the
 * core's persistent orphan list, until the kernel forgets it.
 */
#ifndef PMEMFS_PLUGIN_H
#define PMEMFS_PLUGIN_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <zus.h>

#include "pmemfs.h"

/* Largest file the plugin announces (the core answers -EFBIG beyond what
 * its block maps can address anyway). */
#define PMP_MAX_FILE_SIZE	(1ULL << 44)

/* One mounted pmemfs (zus_sb.priv). */
struct pmp_sb {
	struct pmfs *fs;
	struct pm_media *media;
	int lock_fd;		/* holds flock(LOCK_EX) on the source */
	bool ro;
	char source[256];
};

/* The host's services, from init (super.c). */
extern const struct zus_host *pmp_host;

static inline struct pmp_sb *PSB(const struct zus_ctx *ctx)
{
	return ctx->sb->priv;
}

static inline struct pmfs *PFS(const struct zus_ctx *ctx)
{
	return PSB(ctx)->fs;
}

/* -EROFS from every op that would change a read-only mount. */
#define PMP_RO_CHECK(ctx) \
	do { \
		if (PSB(ctx)->ro) \
			return -EROFS; \
	} while (0)

/*
 * The core answers -ESTALE for an inode number that is not (or no longer)
 * in use; the plugin ABI wants -ENOENT there ("stale ino"). Every op's
 * reply goes through this.
 */
static inline long pmp_ret(long r)
{
	return r == -ESTALE ? -ENOENT : r;
}

void pmp_attr(const struct pmfs_attr *pa, struct zus_attr *za);
void pmp_new(const struct zus_new_inode *ni, struct pmfs_new *pn);

/* super.c */
int pmp_init(const struct zus_host *h, struct zus_conn *conn,
	     void **fs_priv);
int pmp_mount(const struct zus_ctx *ctx, const char *source,
	      const char *options, unsigned int flags, zus_ino_t *root);
void pmp_umount(struct zus_sb *sb);
int pmp_statfs(const struct zus_ctx *ctx, struct zus_statfs *st);
int pmp_sync_fs(const struct zus_ctx *ctx, int wait);

/* inode.c */
int pmp_lookup(const struct zus_ctx *ctx, zus_ino_t dir, const char *name,
	       size_t namelen, struct zus_attr *attr);
void pmp_forget(const struct zus_ctx *ctx, zus_ino_t ino, uint64_t nlookup);
int pmp_getattr(const struct zus_ctx *ctx, zus_ino_t ino,
		struct zus_attr *attr);
int pmp_setattr(const struct zus_ctx *ctx, zus_ino_t ino,
		const struct zus_setattr *sa, struct zus_attr *attr);
int pmp_mknod(const struct zus_ctx *ctx, zus_ino_t dir, const char *name,
	      size_t namelen, const struct zus_new_inode *ni,
	      struct zus_attr *attr);
int pmp_mkdir(const struct zus_ctx *ctx, zus_ino_t dir, const char *name,
	      size_t namelen, const struct zus_new_inode *ni,
	      struct zus_attr *attr);
int pmp_symlink(const struct zus_ctx *ctx, zus_ino_t dir, const char *name,
		size_t namelen, const char *target, size_t targetlen,
		const struct zus_new_inode *ni, struct zus_attr *attr);
ssize_t pmp_readlink(const struct zus_ctx *ctx, zus_ino_t ino, char *buf,
		     size_t size);
int pmp_link(const struct zus_ctx *ctx, zus_ino_t ino, zus_ino_t newdir,
	     const char *name, size_t namelen, struct zus_attr *attr);
int pmp_unlink(const struct zus_ctx *ctx, zus_ino_t dir, const char *name,
	       size_t namelen);
int pmp_rmdir(const struct zus_ctx *ctx, zus_ino_t dir, const char *name,
	      size_t namelen);
int pmp_rename(const struct zus_ctx *ctx, zus_ino_t olddir,
	       const char *oldname, size_t oldlen, zus_ino_t newdir,
	       const char *newname, size_t newlen, unsigned int flags);
int pmp_tmpfile(const struct zus_ctx *ctx, zus_ino_t dir,
		const struct zus_new_inode *ni, struct zus_attr *attr);

/* data.c */
int pmp_readdir(const struct zus_ctx *ctx, zus_ino_t dir, uint64_t cookie,
		struct zus_dir_ctx *dctx);
ssize_t pmp_read(const struct zus_ctx *ctx, zus_ino_t ino, void *buf,
		 size_t len, uint64_t off);
ssize_t pmp_write(const struct zus_ctx *ctx, zus_ino_t ino, const void *buf,
		  size_t len, uint64_t off, unsigned int flags);
int pmp_fallocate(const struct zus_ctx *ctx, zus_ino_t ino,
		  unsigned int mode, uint64_t off, uint64_t len);
int64_t pmp_lseek(const struct zus_ctx *ctx, zus_ino_t ino, uint64_t off,
		  int whence);
ssize_t pmp_copy_range(const struct zus_ctx *ctx, zus_ino_t ino_in,
		       uint64_t fh_in, uint64_t off_in, zus_ino_t ino_out,
		       uint64_t off_out, size_t len);

/* xattr.c */
ssize_t pmp_getxattr(const struct zus_ctx *ctx, zus_ino_t ino,
		     const char *name, void *buf, size_t size);
int pmp_setxattr(const struct zus_ctx *ctx, zus_ino_t ino, const char *name,
		 const void *value, size_t size, unsigned int flags);
ssize_t pmp_listxattr(const struct zus_ctx *ctx, zus_ino_t ino, char *buf,
		      size_t size);
int pmp_removexattr(const struct zus_ctx *ctx, zus_ino_t ino,
		    const char *name);

#endif /* PMEMFS_PLUGIN_H */
