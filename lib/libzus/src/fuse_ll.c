// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuse_ll.c - the FUSE transport: any ABI 2 plugin, unchanged, served to a
 * stock kernel (fuse.ko) through libfuse 3's low-level API.
 *
 * Each libfuse request becomes one call of the plugin's op with a request
 * context (struct zus_ctx) built from fuse_req_ctx() and, for ops on an
 * open file, the plugin's handle (fi->fh). What the plugin answers is
 * checked exactly as the zufs dispatcher checks it (check.c: statuses,
 * attributes, names, lengths, counts), so a broken plugin gets -EIO on both
 * transports and the kernel never sees a malformed reply.
 *
 * Inode numbers: FUSE names the root 1 (FUSE_ROOT_ID), a plugin names it as
 * it likes. Node ids are the plugin's numbers with 1 and the root swapped
 * (an involution: to_zus == to_fuse); st_ino and d_ino are always the
 * plugin's own numbers, as on zufs.
 *
 * What the kernel does for zufs and a FUSE server does itself, done here:
 *   - owner of a new inode: the caller's fsuid/fsgid, or the directory's
 *     group (and S_ISGID for a subdirectory) in a setgid directory;
 *   - "." and ".." in readdir (cookies 1 and 2), ".." with the parent's
 *     inode number: each directory the kernel holds is kept with the
 *     parent its entry reply named ("Directories and their parents");
 *   - listxattr filtered as zuf.ko does it (trusted.* for root only, the
 *     ACL names only with ACLs);
 *   - the root's lookup count (pinned: a FORGET of the root is dropped);
 *   - with POSIX ACLs: the mode/ACL coherence and default ACL inheritance.
 *
 * Caching (docs/writing-a-plugin.md, "Transports"): the plugin is the only
 * writer, so entries, negative entries and attributes are cached for a day
 * (1 s when the plugin wants ZUS_CAP_NOTIFY; -o timeout= sets it); file
 * data go through the page cache (write-through: no writeback cache) and
 * stay cached across opens, or not at all with -o direct_io. The kernel
 * checks permissions (default_permissions), as zuf does.
 *
 * Notifications (host->notify_inval_*) are queued to one thread that calls
 * fuse_lowlevel_notify_inval_*(): called inside a request handler they
 * could wait for the very request being handled.
 */
#define FUSE_USE_VERSION 312

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include "fuse_i.h"

#define ZF_TIMEOUT_DEFAULT	86400.0	/* the plugin is the only writer */
#define ZF_TIMEOUT_NOTIFY	1.0	/* a back end that changes by itself */
#define ZF_NOTIFY_MAX		4096	/* queued notifications per mount */
#define ZF_DIRS_MIN		256	/* buckets of the directory table */
#define ZF_GROUPS_MAX		256

/* The transport's capabilities: everything but O_TMPFILE (libfuse 3.14
 * has no tmpfile op). POSIX ACLs: FUSE_CAP_POSIX_ACL, the mode/ACL
 * coherence and inheritance done here ("POSIX ACLs" below). */
#define ZF_CAPABLE	(ZUS_CAP_ALL & ~ZUS_CAP_TMPFILE)

enum zf_notif_kind { ZF_INVAL_INODE, ZF_INVAL_ENTRY };

struct zf_notif {
	struct zf_notif *next;
	enum zf_notif_kind kind;
	zus_ino_t ino;			/* the inode, or the directory */
	int64_t off, len;
	size_t namelen;
	char name[];
};

/* A directory the kernel holds (lookup count > 0), and its parent. */
struct zf_dir {
	struct zf_dir *next;		/* hash chain */
	zus_ino_t ino, parent;
	uint64_t nlookup;		/* the kernel's, for this directory */
};

struct zus_fuse {
	struct zus_server *srv;
	struct zus_loaded_plugin *lp;
	const struct zus_fs_ops *ops;
	struct zus_sb_inst *si;		/* after zus_fuse_mount */
	uint64_t sb_id;
	zus_ino_t root;
	uint64_t caps;			/* agreed ZUS_CAP_* */
	struct zus_fuse_conf conf;
	double timeout;
	uint32_t blksize;
	size_t max_io;
	struct fuse_session *se;
	bool mounted;			/* fuse_session_mount succeeded */
	bool plugin_open;		/* ZUS_CAP_OPEN agreed */
	bool plugin_opendir;		/* ... and the plugin has opendir */
	bool no_open, no_opendir;	/* the kernel takes ENOSYS as "none" */
	bool acl;			/* FUSE_CAP_POSIX_ACL agreed */
	bool dont_mask;			/* FUSE_CAP_DONT_MASK: umask is ours */
	pthread_key_t buf_key;
	bool buf_key_ok;

	pthread_mutex_t dlock;		/* the directory table */
	struct zf_dir **dirs;		/* by inode number */
	size_t dirs_size, nr_dirs;

	pthread_mutex_t nlock;
	pthread_cond_t ncond;
	struct zf_notif *nhead, **ntail;
	size_t nqueued;
	bool nstop, nthread_ok;
	pthread_t nthread;
};

/* ---- helpers ------------------------------------------------------------ */

#define zf_of(req)	((struct zus_fuse *)fuse_req_userdata(req))
#define HAS(zf, op)	ZUS_HAS_OP((zf)->ops, op)

#define plugin_err(zf, op, ino, fmt, ...) \
	zus_err("plugin %s: %s of ino %llu: " fmt, \
		(zf)->lp->plugin->name, (op), (unsigned long long)(ino), \
		##__VA_ARGS__)

/* Node ids <-> plugin inode numbers: 1 and the root swap places. */
static zus_ino_t zf_ino(const struct zus_fuse *zf, uint64_t n)
{
	if (n == FUSE_ROOT_ID)
		return zf->root;
	if (n == zf->root)
		return FUSE_ROOT_ID;
	return n;
}

static void reply_err(fuse_req_t req, int neg)
{
	fuse_reply_err(req, -neg);
}

static int bad_status(struct zus_fuse *zf, const char *op, zus_ino_t ino,
		      int64_t ret)
{
	plugin_err(zf, op, ino, "returned %lld, not 0 or -errno: broken plugin",
		   (long long)ret);
	return -EIO;
}

/* A result that must be 0 or -errno. */
static int status0(struct zus_fuse *zf, const char *op, zus_ino_t ino,
		   int64_t ret)
{
	if (ret == 0 || (ret < 0 && zus_errno_ok(ret)))
		return (int)ret;
	return bad_status(zf, op, ino, ret);
}

/* A result that is a count (>= 0) or -errno: -errno, or 1 if it is a count. */
static int status_count(struct zus_fuse *zf, const char *op, zus_ino_t ino,
			int64_t ret)
{
	if (ret >= 0)
		return 1;
	return zus_errno_ok(ret) ? (int)ret : bad_status(zf, op, ino, ret);
}

static void ctx_make(struct zus_fuse *zf, fuse_req_t req,
		     const struct fuse_file_info *fi, bool dir,
		     struct zus_ctx *ctx)
{
	const struct fuse_ctx *fc = fuse_req_ctx(req);

	zus_ctx_init(ctx, zf->si, fc->uid, fc->gid, fc->pid);
	if (fi && (dir ? zf->plugin_opendir : zf->plugin_open)) {
		ctx->fh = fi->fh;
		ctx->flags |= ZUS_CTX_FH;
	}
	if (fi && fi->writepage) {		/* writeback: no caller */
		ctx->flags |= ZUS_CTX_KERNEL;
		ctx->pid = 0;
	}
}

/* Per-thread buffer for read/readlink/getxattr/listxattr/readdir replies. */
static void *tbuf(struct zus_fuse *zf, size_t size)
{
	size_t *b = pthread_getspecific(zf->buf_key);

	if (!size)
		size = 1;
	if (!b || *b < size) {
		size_t cap = size < 65536 ? 65536 : size;
		size_t *n = realloc(b, sizeof(size_t) * 2 + cap);

		if (!n)
			return NULL;
		*n = cap;
		b = n;
		pthread_setspecific(zf->buf_key, b);
	}
	return b + 2;
}

static void to_stat(const struct zus_fuse *zf, const struct zus_attr *a,
		    struct stat *st)
{
	uint32_t type = a->mode & S_IFMT;

	memset(st, 0, sizeof(*st));
	st->st_ino = a->ino;
	st->st_mode = a->mode;
	st->st_nlink = a->nlink;
	st->st_uid = a->uid;
	st->st_gid = a->gid;
	if (type == S_IFCHR || type == S_IFBLK)
		st->st_rdev = a->rdev;
	st->st_size = (off_t)a->size;
	st->st_blocks = (blkcnt_t)a->blocks;
	st->st_blksize = a->blksize ? a->blksize : zf->blksize;
	st->st_atim = a->atime;
	st->st_mtim = a->mtime;
	st->st_ctim = a->ctime;
}

/* ---- directories and their parents -------------------------------------- */

/*
 * ".." in a readdir names the directory's parent, which no op of the
 * plugin API tells. Every entry reply of a directory does: the directory
 * it was found or made in. So each directory the kernel holds is kept
 * here with that parent and the kernel's lookup count of it (each entry
 * reply adds one, FORGET takes them back, at zero it goes); after a
 * rename into another directory the name is looked up again to learn
 * which directory moved (then forgotten: the kernel did not ask). The
 * root's parent is the root.
 */
static size_t dir_hash(const struct zus_fuse *zf, zus_ino_t ino)
{
	return (size_t)((ino * 0x9E3779B97F4A7C15ULL) >> 32) &
	       (zf->dirs_size - 1);
}

/* Under dlock, with a table: where ino's entry is (or would go). */
static struct zf_dir **dir_slot(struct zus_fuse *zf, zus_ino_t ino)
{
	struct zf_dir **pp = &zf->dirs[dir_hash(zf, ino)];

	while (*pp && (*pp)->ino != ino)
		pp = &(*pp)->next;
	return pp;
}

/* Under dlock: twice the buckets (no memory: the chains grow longer). */
static void dir_grow(struct zus_fuse *zf)
{
	size_t osize = zf->dirs_size;
	size_t nsize = osize ? osize * 2 : ZF_DIRS_MIN;
	struct zf_dir **old = zf->dirs, **nd = calloc(nsize, sizeof(*nd));

	if (!nd)
		return;
	zf->dirs = nd;
	zf->dirs_size = nsize;
	for (size_t b = 0; b < osize; b++) {
		struct zf_dir *d, *n;

		for (d = old[b]; d; d = n) {
			size_t h = dir_hash(zf, d->ino);

			n = d->next;
			d->next = nd[h];
			nd[h] = d;
		}
	}
	free(old);
}

/* An entry reply gives the kernel a lookup of directory ino, in parent. */
static void dir_learn(struct zus_fuse *zf, zus_ino_t ino, zus_ino_t parent)
{
	struct zf_dir **pp, *d = NULL;

	pthread_mutex_lock(&zf->dlock);
	if (zf->nr_dirs >= zf->dirs_size)
		dir_grow(zf);
	if (zf->dirs) {
		pp = dir_slot(zf, ino);
		d = *pp;
		if (!d && (d = calloc(1, sizeof(*d)))) {
			d->ino = ino;
			*pp = d;
			zf->nr_dirs++;
		}
	}
	if (d) {
		d->parent = parent;
		d->nlookup++;
	}
	pthread_mutex_unlock(&zf->dlock);
}

/* The kernel dropped n lookups of ino (of any type). */
static void dir_forget(struct zus_fuse *zf, zus_ino_t ino, uint64_t n)
{
	struct zf_dir **pp, *d;

	pthread_mutex_lock(&zf->dlock);
	if (zf->dirs) {
		pp = dir_slot(zf, ino);
		d = *pp;
		if (d && d->nlookup <= n) {
			*pp = d->next;
			zf->nr_dirs--;
			free(d);
		} else if (d) {
			d->nlookup -= n;
		}
	}
	pthread_mutex_unlock(&zf->dlock);
}

/* Directory ino is in parent now (a rename). */
static void dir_moved(struct zus_fuse *zf, zus_ino_t ino, zus_ino_t parent)
{
	struct zf_dir *d;

	pthread_mutex_lock(&zf->dlock);
	if (zf->dirs && (d = *dir_slot(zf, ino)))
		d->parent = parent;
	pthread_mutex_unlock(&zf->dlock);
}

/* What ".." of dir names: its parent (unknown, which the kernel holding
 * dir rules out: dir itself). */
static zus_ino_t dir_parent(struct zus_fuse *zf, zus_ino_t dir)
{
	zus_ino_t parent = dir;
	struct zf_dir *d;

	if (dir == zf->root)
		return dir;
	pthread_mutex_lock(&zf->dlock);
	if (zf->dirs && (d = *dir_slot(zf, dir)))
		parent = d->parent;
	pthread_mutex_unlock(&zf->dlock);
	if (parent == dir)
		zus_dbg("fuse: no parent known for directory %llu",
			(unsigned long long)dir);
	return parent;
}

static void dirs_free(struct zus_fuse *zf)
{
	for (size_t b = 0; b < zf->dirs_size; b++) {
		struct zf_dir *d, *n;

		for (d = zf->dirs[b]; d; d = n) {
			n = d->next;
			free(d);
		}
	}
	free(zf->dirs);
	zf->dirs = NULL;
	zf->dirs_size = zf->nr_dirs = 0;
}

static void forget1(struct zus_fuse *zf, const struct zus_ctx *ctx,
		    zus_ino_t ino)
{
	if (ino && ino != zf->root && HAS(zf, forget))
		zf->ops->forget(ctx, ino, 1);
}

/*
 * Check the attributes of an op that hands the kernel an inode reference
 * (lookup, mknod, mkdir, symlink, link, create). A refused one is given
 * back with forget: the kernel never takes it. 0 or -EIO.
 */
static int entry_check(struct zus_fuse *zf, const struct zus_ctx *ctx,
		       const char *op, zus_ino_t dir, const struct zus_attr *a,
		       zus_ino_t want_ino, uint32_t want_type)
{
	const char *why = zus_attr_invalid(a, want_ino, want_type);

	if (!why && a->ino == dir)
		why = "an entry names its own directory";
	if (!why && a->ino == zf->root)
		why = "the root directory under a name";
	if (!why)
		return 0;
	plugin_err(zf, op, dir, "bad attributes of inode %llu (mode 0%o): %s",
		   (unsigned long long)a->ino, a->mode, why);
	forget1(zf, ctx, a->ino);
	return -EIO;
}

static void entry_param(const struct zus_fuse *zf, const struct zus_attr *a,
			struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = zf_ino(zf, a->ino);
	e->generation = a->generation;
	to_stat(zf, a, &e->attr);
	e->attr_timeout = zf->timeout;
	e->entry_timeout = zf->timeout;
}

/* Reply to an op that made or found an inode (plugin status ret). */
static void reply_entry(struct zus_fuse *zf, fuse_req_t req,
			const struct zus_ctx *ctx, const char *op,
			zus_ino_t dir, int ret, const struct zus_attr *a,
			zus_ino_t want_ino, uint32_t want_type)
{
	struct fuse_entry_param e;

	ret = status0(zf, op, dir, ret);
	if (!ret)
		ret = entry_check(zf, ctx, op, dir, a, want_ino, want_type);
	if (ret) {
		reply_err(req, ret);
		return;
	}
	entry_param(zf, a, &e);
	if (S_ISDIR(a->mode))
		dir_learn(zf, a->ino, dir);
	if (fuse_reply_entry(req, &e)) {  /* interrupted: the kernel has none */
		if (S_ISDIR(a->mode))
			dir_forget(zf, a->ino, 1);
		forget1(zf, ctx, a->ino);
	}
}

static bool in_group(fuse_req_t req, uint32_t gid)
{
	gid_t list[ZF_GROUPS_MAX];
	int n = fuse_req_getgroups(req, ZF_GROUPS_MAX, list);

	for (int i = 0; i < n && i < ZF_GROUPS_MAX; i++)
		if (list[i] == gid)
			return true;
	return false;
}

/* ---- POSIX ACLs (FUSE_CAP_POSIX_ACL) --------------------------------------- */

/*
 * With FUSE_CAP_POSIX_ACL the kernel enforces ACLs read from the
 * system.posix_acl_* xattrs, and leaves to the server what the VFS does
 * for a local file system (fs/posix_acl.c): the mode that follows an
 * access ACL (posix_acl_update_mode), the access ACL that follows a chmod
 * (posix_acl_chmod) and a new inode's ACLs and mode from its directory's
 * default ACL (posix_acl_create, with FUSE_CAP_DONT_MASK: the umask is
 * ours to apply). Done here on the plugin's xattrs, as on zufs the kernel
 * does it. The xattr format: a little-endian u32 version 2, then entries
 * of u16 tag, u16 perm, u32 id.
 */
#define ZF_ACL_NAME_ACCESS	"system.posix_acl_access"
#define ZF_ACL_NAME_DEFAULT	"system.posix_acl_default"
#define ZF_ACL_VERSION		2
#define ZF_ACL_HDR		4
#define ZF_ACL_ENT		8
#define ZF_ACL_MAX		4096	/* fuse.ko's limit (PAGE_SIZE) */
#define ZF_ACL_USER_OBJ		0x01
#define ZF_ACL_USER		0x02
#define ZF_ACL_GROUP_OBJ	0x04
#define ZF_ACL_GROUP		0x08
#define ZF_ACL_MASK		0x10
#define ZF_ACL_OTHER		0x20
#define ZF_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* The buffers of a new inode's inherited ACLs (zus_new_inode.xattrs). */
struct zf_acl_new {
	struct zus_xattr x[2];
	uint8_t acc[ZF_ACL_MAX];
	uint8_t def[ZF_ACL_MAX];
};

/* Entries of an ACL xattr of size bytes, or -EINVAL. */
static int acl_count(const uint8_t *v, size_t size)
{
	uint32_t ver;

	if (size < ZF_ACL_HDR || (size - ZF_ACL_HDR) % ZF_ACL_ENT)
		return -EINVAL;
	memcpy(&ver, v, sizeof(ver));
	if (le32toh(ver) != ZF_ACL_VERSION)
		return -EINVAL;
	return (int)((size - ZF_ACL_HDR) / ZF_ACL_ENT);
}

static uint16_t acl_tag(const uint8_t *v, int i)
{
	uint16_t t;

	memcpy(&t, v + ZF_ACL_HDR + (size_t)i * ZF_ACL_ENT, sizeof(t));
	return le16toh(t);
}

static uint32_t acl_perm(const uint8_t *v, int i)
{
	uint16_t p;

	memcpy(&p, v + ZF_ACL_HDR + (size_t)i * ZF_ACL_ENT + 2, sizeof(p));
	return le16toh(p) & 07;
}

static void acl_set_perm(uint8_t *v, int i, uint32_t perm)
{
	uint16_t p = htole16((uint16_t)(perm & 07));

	memcpy(v + ZF_ACL_HDR + (size_t)i * ZF_ACL_ENT + 2, &p, sizeof(p));
}

/* Index of the entry with tag (the first), or -1. */
static int acl_find(const uint8_t *v, int n, uint16_t tag)
{
	for (int i = 0; i < n; i++)
		if (acl_tag(v, i) == tag)
			return i;
	return -1;
}

/*
 * The permission bits an access ACL gives the mode (posix_acl_equiv_mode):
 * owner, mask (or group), other. True if the ACL says no more than them.
 */
static bool acl_mode(const uint8_t *v, int n, uint32_t *bits)
{
	int u = acl_find(v, n, ZF_ACL_USER_OBJ);
	int g = acl_find(v, n, ZF_ACL_GROUP_OBJ);
	int m = acl_find(v, n, ZF_ACL_MASK);
	int o = acl_find(v, n, ZF_ACL_OTHER);

	*bits = (u >= 0 ? acl_perm(v, u) << 6 : 0) |
		(m >= 0 ? acl_perm(v, m) << 3 :
			  g >= 0 ? acl_perm(v, g) << 3 : 0) |
		(o >= 0 ? acl_perm(v, o) : 0);
	return acl_find(v, n, ZF_ACL_USER) < 0 &&
	       acl_find(v, n, ZF_ACL_GROUP) < 0 && m < 0;
}

/* The ACL after a chmod to mode (posix_acl_chmod). */
static void acl_chmod(uint8_t *v, int n, uint32_t mode)
{
	int m = acl_find(v, n, ZF_ACL_MASK);
	int g = m >= 0 ? m : acl_find(v, n, ZF_ACL_GROUP_OBJ);
	int u = acl_find(v, n, ZF_ACL_USER_OBJ);
	int o = acl_find(v, n, ZF_ACL_OTHER);

	if (u >= 0)
		acl_set_perm(v, u, mode >> 6);
	if (g >= 0)
		acl_set_perm(v, g, mode >> 3);
	if (o >= 0)
		acl_set_perm(v, o, mode);
}

/*
 * A default ACL made the new inode's access ACL, masked by the mode it was
 * created with, and the mode masked by it (posix_acl_create_masq). True if
 * the ACL says more than the mode (it must be kept).
 */
static bool acl_create_masq(uint8_t *v, int n, uint32_t *mode)
{
	static const struct { uint16_t tag; int shift; } base[] = {
		{ ZF_ACL_USER_OBJ, 6 }, { ZF_ACL_OTHER, 0 },
	};
	int m = acl_find(v, n, ZF_ACL_MASK);
	int g = m >= 0 ? m : acl_find(v, n, ZF_ACL_GROUP_OBJ);
	uint32_t bits;

	for (size_t k = 0; k < ZF_ARRAY_SIZE(base); k++) {
		int i = acl_find(v, n, base[k].tag);

		if (i < 0)
			continue;
		bits = acl_perm(v, i) & (*mode >> base[k].shift);
		acl_set_perm(v, i, bits);
		*mode &= ~(07U << base[k].shift) | (bits << base[k].shift);
	}
	if (g >= 0) {
		bits = acl_perm(v, g) & (*mode >> 3);
		acl_set_perm(v, g, bits);
		*mode &= ~(07U << 3) | (bits << 3);
	}
	return !acl_mode(v, n, &bits);
}

/*
 * The ACL name of ino into buf (ZF_ACL_MAX bytes): its length in bytes
 * and *n its entries; 0 if there is none; -errno (a bad one: -EIO).
 */
static ssize_t acl_get(struct zus_fuse *zf, const struct zus_ctx *ctx,
		       zus_ino_t ino, const char *name, uint8_t *buf, int *n)
{
	ssize_t len = zf->ops->getxattr(ctx, ino, name, buf, ZF_ACL_MAX);

	if (len == -ENODATA || len == 0)
		return 0;
	if (status_count(zf, "getxattr", ino, len) != 1)
		return len < 0 && len != -ERANGE ? len : -EIO;
	*n = len <= ZF_ACL_MAX ? acl_count(buf, (size_t)len) : -EINVAL;
	if (*n < 0) {
		plugin_err(zf, "getxattr", ino, "bad %s (%zd bytes)", name, len);
		return -EIO;
	}
	return len;
}

/*
 * A new inode in dir (posix_acl_create): the directory's default ACL, if
 * any, becomes the new inode's ACLs and masks its mode; else the umask
 * does (the kernel leaves it to us with FUSE_CAP_DONT_MASK). 0 or -errno.
 */
static int acl_inherit(struct zus_fuse *zf, fuse_req_t req,
		       const struct zus_ctx *ctx, zus_ino_t dir,
		       struct zus_new_inode *ni, struct zf_acl_new *an)
{
	uint32_t type = ni->mode & S_IFMT, perm = ni->mode & 07777;
	ssize_t len;
	int n, k = 0;

	if (!zf->acl || type == S_IFLNK)
		return 0;
	len = acl_get(zf, ctx, dir, ZF_ACL_NAME_DEFAULT, an->def, &n);
	if (len < 0)
		return (int)len;
	if (!len) {
		if (zf->dont_mask)
			ni->mode &= ~(uint32_t)(fuse_req_ctx(req)->umask & 0777);
		return 0;
	}
	memcpy(an->acc, an->def, (size_t)len);
	if (acl_create_masq(an->acc, n, &perm))
		an->x[k++] = (struct zus_xattr){ ZF_ACL_NAME_ACCESS, an->acc,
						 (size_t)len };
	if (type == S_IFDIR)
		an->x[k++] = (struct zus_xattr){ ZF_ACL_NAME_DEFAULT, an->def,
						 (size_t)len };
	ni->mode = type | perm;
	ni->xattrs = an->x;
	ni->nr_xattrs = (uint32_t)k;
	return 0;
}

/*
 * What the kernel decides for a new inode on zufs (inode_init_owner),
 * decided here: FUSE leaves it to the server. mode has the umask applied
 * by the kernel already.
 */
static int new_inode(struct zus_fuse *zf, fuse_req_t req,
		     const struct zus_ctx *ctx, const char *op, zus_ino_t dir,
		     uint32_t mode, dev_t rdev, struct zus_new_inode *ni,
		     struct zf_acl_new *an)
{
	uint32_t type = mode & S_IFMT;
	struct zus_attr pa;
	int ret;

	memset(ni, 0, sizeof(*ni));
	if (!zus_type_valid(type) || (mode & ~(uint32_t)(S_IFMT | 07777)))
		return -EINVAL;
	if (type == S_IFCHR || type == S_IFBLK) {
		if (major(rdev) >= (1U << 12) || minor(rdev) >= (1U << 20))
			return -EINVAL;
		ni->rdev = rdev;
	}
	ni->mode = mode;
	ni->uid = ctx->uid;
	ni->gid = ctx->gid;
	if (!HAS(zf, getattr)) {
		plugin_err(zf, op, dir, "has no getattr");
		return -EIO;
	}
	memset(&pa, 0, sizeof(pa));
	ret = status0(zf, "getattr", dir, zf->ops->getattr(ctx, dir, &pa));
	if (ret)
		return ret;
	if (zus_attr_invalid(&pa, dir, 0)) {
		plugin_err(zf, "getattr", dir, "bad attributes: %s",
			   zus_attr_invalid(&pa, dir, 0));
		return -EIO;
	}
	if (!S_ISDIR(pa.mode))
		return -ENOTDIR;
	if (pa.mode & S_ISGID) {
		ni->gid = pa.gid;
		if (type == S_IFDIR)
			ni->mode |= S_ISGID;
		else if ((ni->mode & (S_ISGID | S_IXGRP)) ==
			 (S_ISGID | S_IXGRP) && ctx->uid != 0 &&
			 ni->gid != ctx->gid && !in_group(req, ni->gid))
			ni->mode &= ~S_ISGID;
	}
	return acl_inherit(zf, req, ctx, dir, ni, an);
}

static bool name_ok(const char *name)
{
	return zus_name_valid(name, strnlen(name, ZUS_NAME_MAX + 1));
}

static int name_err(const char *name)
{
	return strnlen(name, ZUS_NAME_MAX + 1) > ZUS_NAME_MAX ? -ENAMETOOLONG :
								-EINVAL;
}

/* ---- the session: init and destroy ---------------------------------------- */

/*
 * POSIX ACLs if the plugin wants them and the kernel can (it enforces them,
 * with default_permissions); the umask then is ours to apply (DONT_MASK),
 * as a default ACL replaces it. Without: the ACL xattrs are refused.
 */
static void init_acl(struct zus_fuse *zf, struct fuse_conn_info *conn)
{
	const unsigned int need = FUSE_CAP_POSIX_ACL | FUSE_CAP_DONT_MASK;

	if (!(zf->caps & ZUS_CAP_ACL))
		return;
	if ((conn->capable & need) != need) {
		zus_warn("fuse: the kernel has no POSIX ACLs (capable 0x%x): system.posix_acl_* refused",
			 conn->capable);
		return;
	}
	conn->want |= need;
	zf->acl = true;
	zf->dont_mask = true;
}

static void ll_init(void *userdata, struct fuse_conn_info *conn)
{
	struct zus_fuse *zf = userdata;

	/* Write-through like zufs: no writeback cache; the kernel clears
	 * set-id bits on write/chown (no KILLPRIV); no splice (writes come
	 * as one memory buffer the plugin reads in place). No atomic
	 * O_TRUNC (libfuse wants it by default): the plugin's open gets
	 * O_TRUNC stripped and a zero-message open sees nothing at all,
	 * while the kernel would take the file as truncated; without it
	 * the kernel sends the truncation as a SETATTR of size 0. */
	conn->want &= ~(FUSE_CAP_WRITEBACK_CACHE | FUSE_CAP_HANDLE_KILLPRIV |
			FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE |
			FUSE_CAP_SPLICE_MOVE | FUSE_CAP_EXPORT_SUPPORT |
			FUSE_CAP_ATOMIC_O_TRUNC);
	if (!zf->conf.readdirplus)
		conn->want &= ~(FUSE_CAP_READDIRPLUS |
				FUSE_CAP_READDIRPLUS_AUTO);
	if (!(zf->caps & ZUS_CAP_NOTIFY) &&
	    (conn->capable & FUSE_CAP_CACHE_SYMLINKS))
		conn->want |= FUSE_CAP_CACHE_SYMLINKS;
	if (zf->max_io) {
		if (zf->max_io < conn->max_write)
			conn->max_write = (unsigned int)zf->max_io;
		conn->max_read = (unsigned int)zf->max_io;
	}
	conn->time_gran = zf->lp->conn.time_gran ? zf->lp->conn.time_gran : 1;
	init_acl(zf, conn);
	zf->no_open = conn->capable & FUSE_CAP_NO_OPEN_SUPPORT;
	zf->no_opendir = conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT;
	zus_info("fuse: kernel protocol %u.%u, capable 0x%x, want 0x%x, max_write %u, plugin caps 0x%llx",
		 conn->proto_major, conn->proto_minor, conn->capable,
		 conn->want, conn->max_write, (unsigned long long)zf->caps);
}

static void ll_destroy(void *userdata)
{
	(void)userdata;		/* the plugin's umount runs in zus_fuse_destroy */
}

/* ---- inodes ---------------------------------------------------------------- */

static void ll_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t dir = zf_ino(zf, parent);
	struct zus_ctx ctx;
	struct zus_attr a;
	int ret;

	if (!name_ok(name)) {
		reply_err(req, name_err(name));
		return;
	}
	if (!HAS(zf, lookup)) {
		reply_err(req, -ENOSYS);
		return;
	}
	ctx_make(zf, req, NULL, false, &ctx);
	memset(&a, 0, sizeof(a));
	ret = zf->ops->lookup(&ctx, dir, name, strlen(name), &a);
	if (ret == -ENOENT) {		/* a negative entry, cached as long */
		struct fuse_entry_param e;

		memset(&e, 0, sizeof(e));
		e.entry_timeout = zf->timeout;
		fuse_reply_entry(req, &e);
		return;
	}
	reply_entry(zf, req, &ctx, "lookup", dir, ret, &a, 0, 0);
}

static void do_forget(struct zus_fuse *zf, fuse_req_t req, uint64_t node,
		      uint64_t nlookup)
{
	zus_ino_t ino = zf_ino(zf, node);
	struct zus_ctx ctx;

	/* The root is pinned by the superblock: never forgotten. */
	if (!ino || !nlookup || ino == zf->root)
		return;
	dir_forget(zf, ino, nlookup);
	if (!HAS(zf, forget))
		return;
	ctx_make(zf, req, NULL, false, &ctx);
	zf->ops->forget(&ctx, ino, nlookup);
}

static void ll_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	do_forget(zf_of(req), req, ino, nlookup);
	fuse_reply_none(req);
}

static void ll_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	struct zus_fuse *zf = zf_of(req);

	for (size_t i = 0; i < count; i++)
		do_forget(zf, req, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static int getattr_checked(struct zus_fuse *zf, const struct zus_ctx *ctx,
			   const char *op, zus_ino_t ino, struct zus_attr *a)
{
	const char *why;
	int ret;

	if (!HAS(zf, getattr))
		return -ENOSYS;
	memset(a, 0, sizeof(*a));
	ret = status0(zf, op, ino, zf->ops->getattr(ctx, ino, a));
	if (ret)
		return ret;
	why = zus_attr_invalid(a, ino, ino == zf->root ? S_IFDIR : 0);
	if (why) {
		plugin_err(zf, op, ino, "bad attributes (mode 0%o): %s",
			   a->mode, why);
		return -EIO;
	}
	return 0;
}

static void ll_getattr(fuse_req_t req, fuse_ino_t node,
		       struct fuse_file_info *fi)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t ino = zf_ino(zf, node);
	struct zus_ctx ctx;
	struct zus_attr a;
	struct stat st;
	int ret;

	ctx_make(zf, req, fi, false, &ctx);
	ret = getattr_checked(zf, &ctx, "getattr", ino, &a);
	if (ret) {
		reply_err(req, ret);
		return;
	}
	to_stat(zf, &a, &st);
	fuse_reply_attr(req, &st, zf->timeout);
}

/*
 * setxattr of system.posix_acl_access (posix_acl_update_mode): the mode
 * follows the ACL; an ACL the mode says all of is not kept; the set-gid
 * bit goes if the caller is neither in the group nor root. 0 or -errno.
 */
static int acl_set_access(struct zus_fuse *zf, fuse_req_t req,
			  const struct zus_ctx *ctx, zus_ino_t ino,
			  const char *value, size_t size, unsigned int flags)
{
	struct zus_setattr sa;
	struct zus_attr a;
	uint32_t bits;
	bool equiv;
	int n, ret;

	n = acl_count((const uint8_t *)value, size);
	if (n < 0)
		return n;
	ret = getattr_checked(zf, ctx, "getattr", ino, &a);
	if (ret)
		return ret;
	equiv = acl_mode((const uint8_t *)value, n, &bits);
	if (equiv)
		ret = zf->ops->removexattr(ctx, ino, ZF_ACL_NAME_ACCESS);
	else
		ret = zf->ops->setxattr(ctx, ino, ZF_ACL_NAME_ACCESS, value,
					size, flags);
	ret = status0(zf, equiv ? "removexattr" : "setxattr", ino, ret);
	if (ret == -ENODATA && equiv)
		ret = 0;
	if (ret)
		return ret;
	memset(&sa, 0, sizeof(sa));
	sa.valid = ZUS_SET_MODE;
	sa.mode = (a.mode & 07000) | bits;
	if (ctx->uid != 0 && a.gid != ctx->gid && !in_group(req, a.gid))
		sa.mode &= ~(uint32_t)S_ISGID;
	if (sa.mode == (a.mode & 07777))
		return 0;
	memset(&a, 0, sizeof(a));
	return status0(zf, "setattr", ino, zf->ops->setattr(ctx, ino, &sa, &a));
}

/* After a chmod: the access ACL, if any, follows (posix_acl_chmod). */
static int acl_after_chmod(struct zus_fuse *zf, const struct zus_ctx *ctx,
			   zus_ino_t ino, uint32_t mode)
{
	uint8_t v[ZF_ACL_MAX];
	ssize_t len;
	int n;

	if (!zf->acl || S_ISLNK(mode))
		return 0;
	len = acl_get(zf, ctx, ino, ZF_ACL_NAME_ACCESS, v, &n);
	if (len <= 0)
		return (int)len;
	acl_chmod(v, n, mode);
	return status0(zf, "setxattr", ino,
		       zf->ops->setxattr(ctx, ino, ZF_ACL_NAME_ACCESS, v,
					 (size_t)len, ZUS_XATTR_REPLACE));
}

static void ll_setattr(fuse_req_t req, fuse_ino_t node, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t ino = zf_ino(zf, node);
	struct zus_setattr sa;
	struct zus_ctx ctx;
	struct zus_attr a;
	const char *why;
	struct stat st;
	int ret;

	if (!HAS(zf, setattr)) {
		reply_err(req, -ENOSYS);
		return;
	}
	memset(&sa, 0, sizeof(sa));
	if (to_set & FUSE_SET_ATTR_MODE) {
		sa.valid |= ZUS_SET_MODE;
		sa.mode = attr->st_mode & 07777;
	}
	if (to_set & FUSE_SET_ATTR_UID) {
		sa.valid |= ZUS_SET_UID;
		sa.uid = attr->st_uid;
	}
	if (to_set & FUSE_SET_ATTR_GID) {
		sa.valid |= ZUS_SET_GID;
		sa.gid = attr->st_gid;
	}
	if (to_set & FUSE_SET_ATTR_SIZE) {
		if (attr->st_size < 0) {
			reply_err(req, -EINVAL);
			return;
		}
		sa.valid |= ZUS_SET_SIZE;
		sa.size = (uint64_t)attr->st_size;
	}
	if (to_set & FUSE_SET_ATTR_ATIME) {
		sa.valid |= ZUS_SET_ATIME;
		sa.atime = attr->st_atim;
	}
	if (to_set & FUSE_SET_ATTR_ATIME_NOW)
		sa.valid |= ZUS_SET_ATIME | ZUS_SET_ATIME_NOW;
	if (to_set & FUSE_SET_ATTR_MTIME) {
		sa.valid |= ZUS_SET_MTIME;
		sa.mtime = attr->st_mtim;
	}
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		sa.valid |= ZUS_SET_MTIME | ZUS_SET_MTIME_NOW;
	if (to_set & FUSE_SET_ATTR_CTIME) {
		sa.valid |= ZUS_SET_CTIME;
		sa.ctime = attr->st_ctim;
	}
	if (sa.atime.tv_nsec < 0 || sa.atime.tv_nsec >= ZUS_NSEC_PER_SEC ||
	    sa.mtime.tv_nsec < 0 || sa.mtime.tv_nsec >= ZUS_NSEC_PER_SEC ||
	    sa.ctime.tv_nsec < 0 || sa.ctime.tv_nsec >= ZUS_NSEC_PER_SEC) {
		reply_err(req, -EINVAL);
		return;
	}
	ctx_make(zf, req, fi, false, &ctx);
	memset(&a, 0, sizeof(a));
	ret = status0(zf, "setattr", ino, zf->ops->setattr(&ctx, ino, &sa, &a));
	if (!ret && (why = zus_attr_invalid(&a, ino, 0))) {
		plugin_err(zf, "setattr", ino, "bad attributes (mode 0%o): %s",
			   a.mode, why);
		ret = -EIO;
	}
	if (!ret && (sa.valid & ZUS_SET_MODE))
		ret = acl_after_chmod(zf, &ctx, ino, a.mode);
	if (ret) {
		reply_err(req, ret);
		return;
	}
	to_stat(zf, &a, &st);
	fuse_reply_attr(req, &st, zf->timeout);
}

static void ll_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t dir = zf_ino(zf, parent);
	uint32_t type = mode & S_IFMT;
	struct zus_new_inode ni;
	struct zf_acl_new an;
	struct zus_ctx ctx;
	struct zus_attr a;
	int ret;

	if (!name_ok(name) || type == S_IFDIR || type == S_IFLNK) {
		reply_err(req, !name_ok(name) ? name_err(name) : -EINVAL);
		return;
	}
	if (!HAS(zf, mknod)) {
		reply_err(req, -ENOSYS);
		return;
	}
	ctx_make(zf, req, NULL, false, &ctx);
	ret = new_inode(zf, req, &ctx, "mknod", dir, mode, rdev, &ni, &an);
	if (ret) {
		reply_err(req, ret);
		return;
	}
	memset(&a, 0, sizeof(a));
	ret = zf->ops->mknod(&ctx, dir, name, strlen(name), &ni, &a);
	reply_entry(zf, req, &ctx, "mknod", dir, ret, &a, 0, type);
}

static void ll_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t dir = zf_ino(zf, parent);
	struct zus_new_inode ni;
	struct zf_acl_new an;
	struct zus_ctx ctx;
	struct zus_attr a;
	int ret;

	if (!name_ok(name)) {
		reply_err(req, name_err(name));
		return;
	}
	if (!HAS(zf, mkdir)) {
		reply_err(req, -ENOSYS);
		return;
	}
	ctx_make(zf, req, NULL, false, &ctx);
	ret = new_inode(zf, req, &ctx, "mkdir", dir,
			S_IFDIR | (mode & 07777), 0, &ni, &an);
	if (ret) {
		reply_err(req, ret);
		return;
	}
	memset(&a, 0, sizeof(a));
	ret = zf->ops->mkdir(&ctx, dir, name, strlen(name), &ni, &a);
	reply_entry(zf, req, &ctx, "mkdir", dir, ret, &a, 0, S_IFDIR);
}

static void ll_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t dir = zf_ino(zf, parent);
	size_t tlen = strnlen(link, ZUS_SYMLINK_MAX + 1);
	struct zus_new_inode ni;
	struct zf_acl_new an;
	struct zus_ctx ctx;
	struct zus_attr a;
	int ret;

	if (!name_ok(name) || !tlen) {
		reply_err(req, !tlen ? -EINVAL : name_err(name));
		return;
	}
	if (tlen > ZUS_SYMLINK_MAX) {
		reply_err(req, -ENAMETOOLONG);
		return;
	}
	if (!HAS(zf, symlink)) {
		reply_err(req, -ENOSYS);
		return;
	}
	ctx_make(zf, req, NULL, false, &ctx);
	ret = new_inode(zf, req, &ctx, "symlink", dir, S_IFLNK | 0777, 0, &ni, &an);
	if (ret) {
		reply_err(req, ret);
		return;
	}
	memset(&a, 0, sizeof(a));
	ret = zf->ops->symlink(&ctx, dir, name, strlen(name), link, tlen, &ni,
			       &a);
	reply_entry(zf, req, &ctx, "symlink", dir, ret, &a, 0, S_IFLNK);
}

static void ll_readlink(fuse_req_t req, fuse_ino_t node)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t ino = zf_ino(zf, node);
	struct zus_ctx ctx;
	ssize_t ret;
	char *buf;
	int st;

	if (!HAS(zf, readlink)) {
		reply_err(req, -ENOSYS);
		return;
	}
	buf = tbuf(zf, ZUS_SYMLINK_MAX + 1);
	if (!buf) {
		reply_err(req, -ENOMEM);
		return;
	}
	ctx_make(zf, req, NULL, false, &ctx);
	ret = zf->ops->readlink(&ctx, ino, buf, ZUS_SYMLINK_MAX);
	st = status_count(zf, "readlink", ino, ret);
	if (st == 1 && (ret == 0 || ret > ZUS_SYMLINK_MAX ||
			memchr(buf, '\0', (size_t)ret))) {
		plugin_err(zf, "readlink", ino,
			   "readlink length %zd (buffer %d) or a NUL in the target",
			   ret, ZUS_SYMLINK_MAX);
		st = -EIO;
	}
	if (st != 1) {
		reply_err(req, st);
		return;
	}
	buf[ret] = '\0';
	fuse_reply_readlink(req, buf);
}

static void ll_link(fuse_req_t req, fuse_ino_t node, fuse_ino_t newparent,
		    const char *newname)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t ino = zf_ino(zf, node), dir = zf_ino(zf, newparent);
	struct zus_ctx ctx;
	struct zus_attr a;
	int ret;

	if (!name_ok(newname)) {
		reply_err(req, name_err(newname));
		return;
	}
	if (!HAS(zf, link)) {
		reply_err(req, -ENOSYS);
		return;
	}
	ctx_make(zf, req, NULL, false, &ctx);
	memset(&a, 0, sizeof(a));
	ret = zf->ops->link(&ctx, ino, dir, newname, strlen(newname), &a);
	reply_entry(zf, req, &ctx, "link", dir, ret, &a, ino, 0);
}

static void unlink_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name,
			 bool rmdir)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t dir = zf_ino(zf, parent);
	struct zus_ctx ctx;
	int ret;

	if (!name_ok(name)) {
		reply_err(req, name_err(name));
		return;
	}
	if (rmdir ? !HAS(zf, rmdir) : !HAS(zf, unlink)) {
		reply_err(req, -ENOSYS);
		return;
	}
	ctx_make(zf, req, NULL, false, &ctx);
	if (rmdir)
		ret = zf->ops->rmdir(&ctx, dir, name, strlen(name));
	else
		ret = zf->ops->unlink(&ctx, dir, name, strlen(name));
	reply_err(req, status0(zf, rmdir ? "rmdir" : "unlink", dir, ret));
}

static void ll_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	unlink_rmdir(req, parent, name, false);
}

static void ll_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	unlink_rmdir(req, parent, name, true);
}

/*
 * After a rename into dir: if name is a directory, dir is its parent now,
 * and what the kernel cached of its readdir (a zero-message opendir makes
 * fuse.ko cache it: FOPEN_CACHE_DIR) still has the old "..": dropped
 * before the rename is answered. That notification never blocks (no
 * dirty pages: fuse_lowlevel.h), so it is safe inside the handler.
 */
static void rename_learn(struct zus_fuse *zf, const struct zus_ctx *ctx,
			 zus_ino_t dir, const char *name)
{
	struct zus_attr a;
	int err;

	if (!HAS(zf, lookup))
		return;
	memset(&a, 0, sizeof(a));
	if (zf->ops->lookup(ctx, dir, name, strlen(name), &a))
		return;
	if (!zus_attr_invalid(&a, 0, 0) && S_ISDIR(a.mode)) {
		dir_moved(zf, a.ino, dir);
		err = fuse_lowlevel_notify_inval_inode(zf->se,
						       zf_ino(zf, a.ino), 0, 0);
		if (err && err != -ENOENT)
			zus_dbg("fuse: readdir cache of moved directory %llu: %s",
				(unsigned long long)a.ino, strerror(-err));
	}
	forget1(zf, ctx, a.ino);	/* the kernel did not ask for it */
}

static void ll_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t od = zf_ino(zf, parent), nd = zf_ino(zf, newparent);
	struct zus_ctx ctx;
	int ret;

	if (!name_ok(name) || !name_ok(newname) ||
	    (flags & ~(ZUS_RENAME_NOREPLACE | ZUS_RENAME_EXCHANGE)) ||
	    flags == (ZUS_RENAME_NOREPLACE | ZUS_RENAME_EXCHANGE) ||
	    ((flags & ZUS_RENAME_EXCHANGE) &&
	     !(zf->caps & ZUS_CAP_RENAME_EXCHANGE))) {
		reply_err(req, -EINVAL);
		return;
	}
	if (!HAS(zf, rename)) {
		reply_err(req, -ENOSYS);
		return;
	}
	ctx_make(zf, req, NULL, false, &ctx);
	ret = zf->ops->rename(&ctx, od, name, strlen(name), nd, newname,
			      strlen(newname), flags);
	ret = status0(zf, "rename", od, ret);
	if (!ret && od != nd) {		/* a directory may have moved */
		rename_learn(zf, &ctx, nd, newname);
		if (flags & ZUS_RENAME_EXCHANGE)
			rename_learn(zf, &ctx, od, name);
	}
	reply_err(req, ret);
}

/* ---- open files ------------------------------------------------------------ */

/* The open(2) flags a plugin sees (fuse.ko sends f_flags: zus_i.h). */
static unsigned int open_flags(int flags)
{
	return (unsigned int)flags & ~(unsigned int)(O_CREAT | O_EXCL |
						     O_NOCTTY | O_TRUNC |
						     ZUS_OPEN_KERNEL_BITS);
}

static void open_out_apply(struct zus_fuse *zf, const struct zus_open_out *o,
			   struct fuse_file_info *fi)
{
	fi->fh = o->fh;
	fi->direct_io = zf->conf.direct_io || (o->flags & ZUS_OPEN_DIRECT_IO);
	/* Only the kernel changes the data (no NOTIFY): what it cached is
	 * still right at the next open. */
	fi->keep_cache = !fi->direct_io &&
			 ((o->flags & ZUS_OPEN_KEEP_CACHE) ||
			  !(zf->caps & ZUS_CAP_NOTIFY));
	fi->nonseekable = !!(o->flags & ZUS_OPEN_NONSEEKABLE);
}

static void plugin_release(struct zus_fuse *zf, fuse_req_t req, zus_ino_t ino,
			   struct fuse_file_info *fi, bool dir)
{
	struct zus_ctx ctx;

	ctx_make(zf, req, fi, dir, &ctx);
	if (dir ? HAS(zf, releasedir) : HAS(zf, release)) {
		if (dir)
			zf->ops->releasedir(&ctx, ino, open_flags(fi->flags));
		else
			zf->ops->release(&ctx, ino, open_flags(fi->flags));
	}
}

static void ll_open(fuse_req_t req, fuse_ino_t node, struct fuse_file_info *fi)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t ino = zf_ino(zf, node);
	struct zus_open_out out;
	struct zus_ctx ctx;
	int ret;

	memset(&out, 0, sizeof(out));
	if (!zf->plugin_open) {
		/* No per-open state: zero-message opens where the kernel
		 * can (no OPEN, no RELEASE, page cache kept), unless every
		 * open must say direct_io. */
		if (zf->no_open && !zf->conf.direct_io) {
			reply_err(req, -ENOSYS);
			return;
		}
		open_out_apply(zf, &out, fi);
		fuse_reply_open(req, fi);
		return;
	}
	ctx_make(zf, req, NULL, false, &ctx);
	ret = status0(zf, "open", ino,
		      zf->ops->open(&ctx, ino, open_flags(fi->flags), &out));
	if (ret == -ENOSYS)	/* FUSE would take it as "no open at all" */
		ret = -EIO;
	if (ret) {
		reply_err(req, ret);
		return;
	}
	open_out_apply(zf, &out, fi);
	if (fuse_reply_open(req, fi) == -ENOENT)	/* interrupted */
		plugin_release(zf, req, ino, fi, false);
}

static void ll_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t dir = zf_ino(zf, parent);
	struct fuse_entry_param e;
	struct zus_open_out out;
	struct zus_new_inode ni;
	struct zf_acl_new an;
	struct zus_ctx ctx;
	struct zus_attr a;
	int ret;

	if (!name_ok(name) || (mode & S_IFMT) != S_IFREG) {
		reply_err(req, !name_ok(name) ? name_err(name) : -EINVAL);
		return;
	}
	ctx_make(zf, req, NULL, false, &ctx);
	ret = new_inode(zf, req, &ctx, "create", dir, mode, 0, &ni, &an);
	if (ret) {
		reply_err(req, ret);
		return;
	}
	memset(&a, 0, sizeof(a));
	memset(&out, 0, sizeof(out));
	if (HAS(zf, create)) {
		ret = zf->ops->create(&ctx, dir, name, strlen(name), &ni,
				      open_flags(fi->flags), &a, &out);
		ret = status0(zf, "create", dir, ret);
	} else if (HAS(zf, mknod)) {	/* mknod, then open */
		ret = status0(zf, "mknod", dir,
			      zf->ops->mknod(&ctx, dir, name, strlen(name),
					     &ni, &a));
		if (!ret && !entry_check(zf, &ctx, "mknod", dir, &a, 0,
					 S_IFREG)) {
			ret = status0(zf, "open", a.ino,
				      zf->ops->open(&ctx, a.ino,
						    open_flags(fi->flags),
						    &out));
			if (ret)
				forget1(zf, &ctx, a.ino);
		} else if (!ret) {
			reply_err(req, -EIO);
			return;
		}
	} else {
		ret = -ENOSYS;
	}
	if (ret) {
		reply_err(req, ret == -ENOSYS ? -EIO : ret);
		return;
	}
	ret = entry_check(zf, &ctx, "create", dir, &a, 0, S_IFREG);
	if (ret) {
		fi->fh = out.fh;
		plugin_release(zf, req, a.ino, fi, false);
		reply_err(req, ret);
		return;
	}
	entry_param(zf, &a, &e);
	open_out_apply(zf, &out, fi);
	if (fuse_reply_create(req, &e, fi)) {
		plugin_release(zf, req, a.ino, fi, false);
		forget1(zf, &ctx, a.ino);
	}
}

static void ll_flush(fuse_req_t req, fuse_ino_t node, struct fuse_file_info *fi)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t ino = zf_ino(zf, node);
	struct zus_ctx ctx;

	if (!zf->plugin_open || !HAS(zf, flush)) {
		reply_err(req, -ENOSYS);	/* the kernel stops sending it */
		return;
	}
	ctx_make(zf, req, fi, false, &ctx);
	reply_err(req, status0(zf, "flush", ino, zf->ops->flush(&ctx, ino)));
}

static void ll_release(fuse_req_t req, fuse_ino_t node,
		       struct fuse_file_info *fi)
{
	struct zus_fuse *zf = zf_of(req);

	if (zf->plugin_open)
		plugin_release(zf, req, zf_ino(zf, node), fi, false);
	fuse_reply_err(req, 0);
}

static void ll_opendir(fuse_req_t req, fuse_ino_t node,
		       struct fuse_file_info *fi)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t ino = zf_ino(zf, node);
	struct zus_open_out out;
	struct zus_ctx ctx;
	int ret;

	memset(&out, 0, sizeof(out));
	if (!zf->plugin_opendir) {
		if (zf->no_opendir) {	/* zero-message opendir/releasedir */
			reply_err(req, -ENOSYS);
			return;
		}
		fi->fh = 0;
		fuse_reply_open(req, fi);
		return;
	}
	ctx_make(zf, req, NULL, true, &ctx);
	ret = status0(zf, "opendir", ino,
		      zf->ops->opendir(&ctx, ino, open_flags(fi->flags),
				       &out));
	if (ret == -ENOSYS)
		ret = -EIO;
	if (ret) {
		reply_err(req, ret);
		return;
	}
	fi->fh = out.fh;
	if (fuse_reply_open(req, fi) == -ENOENT)
		plugin_release(zf, req, ino, fi, true);
}

static void ll_releasedir(fuse_req_t req, fuse_ino_t node,
			  struct fuse_file_info *fi)
{
	struct zus_fuse *zf = zf_of(req);

	if (zf->plugin_opendir)
		plugin_release(zf, req, zf_ino(zf, node), fi, true);
	fuse_reply_err(req, 0);
}

static void ll_fsyncdir(fuse_req_t req, fuse_ino_t node, int datasync,
			struct fuse_file_info *fi)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t ino = zf_ino(zf, node);
	struct zus_ctx ctx;
	int ret;

	ctx_make(zf, req, fi, true, &ctx);
	if (zf->plugin_open && HAS(zf, fsyncdir))
		ret = status0(zf, "fsyncdir", ino,
			      zf->ops->fsyncdir(&ctx, ino, !!datasync));
	else if (HAS(zf, fsync))	/* zus.h: "else fsync" */
		ret = status0(zf, "fsync", ino,
			      zf->ops->fsync(&ctx, ino, !!datasync));
	else
		ret = -ENOSYS;
	reply_err(req, ret);
}

/* ---- directories ----------------------------------------------------------- */

/* One entry of a readdirplus reply, collected while the plugin emits. */
struct zf_dent {
	zus_ino_t ino;
	unsigned int type;
	uint64_t cookie;
	char name[ZUS_NAME_MAX + 1];
};

struct zf_rdir {
	fuse_req_t req;
	bool plus;
	struct zf_dent *ents;
	size_t n, cap;
};

/* host->dir_emit() encodes here, once the entry is checked (dir.c). */
static size_t dirent_encode(struct zus_dir_ctx *dctx, const char *name,
			    size_t namelen, zus_ino_t ino, unsigned int type,
			    uint64_t cookie)
{
	struct zf_rdir *rd = dctx->tpriv;
	char nm[ZUS_NAME_MAX + 1];
	size_t room = dctx->cap - dctx->used, n;
	struct stat st;

	memcpy(nm, name, namelen);
	nm[namelen] = '\0';
	if (rd->plus) {		/* count only: the lookups come after */
		n = fuse_add_direntry_plus(rd->req, NULL, 0, nm, NULL, 0);
		if (n > room)
			return 0;
		if (rd->n == rd->cap) {
			size_t nc = rd->cap ? rd->cap * 2 : 64;
			void *p = realloc(rd->ents, nc * sizeof(*rd->ents));

			if (!p)
				return 0;
			rd->ents = p;
			rd->cap = nc;
		}
		rd->ents[rd->n].ino = ino;
		rd->ents[rd->n].type = type;
		rd->ents[rd->n].cookie = cookie;
		memcpy(rd->ents[rd->n].name, nm, namelen + 1);
		rd->n++;
		return n;
	}
	memset(&st, 0, sizeof(st));
	st.st_ino = ino;
	st.st_mode = (mode_t)type << 12;	/* DTTOIF */
	n = fuse_add_direntry(rd->req, dctx->buf + dctx->used, room, nm, &st,
			      (off_t)cookie);
	return n > room ? 0 : n;
}

/* "." (cookie 1) and ".." (cookie 2, the parent's inode number): FUSE
 * servers make them. */
static size_t add_dots(struct zus_fuse *zf, fuse_req_t req, char *buf,
		       size_t size, zus_ino_t dir, off_t off, bool plus)
{
	zus_ino_t up = off < 2 ? dir_parent(zf, dir) : dir;
	size_t used = 0;

	for (off_t i = off; i < 2; i++) {
		const char *nm = i == 0 ? "." : "..";
		struct fuse_entry_param e;
		size_t n;

		entry_param(zf, &(struct zus_attr){ .ino = i == 0 ? dir : up,
						    .mode = S_IFDIR }, &e);
		e.ino = 0;		/* no lookup count for the dots */
		if (plus)
			n = fuse_add_direntry_plus(req, buf + used,
						   size - used, nm, &e, i + 1);
		else
			n = fuse_add_direntry(req, buf + used, size - used, nm,
					      &e.attr, i + 1);
		if (n > size - used)
			break;
		used += n;
	}
	return used;
}

static void do_readdir(fuse_req_t req, fuse_ino_t node, size_t size, off_t off,
		       struct fuse_file_info *fi, bool plus)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t dir = zf_ino(zf, node);
	struct zf_rdir rd = { .req = req, .plus = plus };
	struct zus_dir_ctx dctx;
	struct zus_ctx ctx;
	bool eof;
	char *buf;
	int ret;

	if (off < 0 || !size) {
		reply_err(req, -EINVAL);
		return;
	}
	if (!HAS(zf, readdir)) {
		reply_err(req, -ENOSYS);
		return;
	}
	buf = tbuf(zf, size);
	if (!buf) {
		reply_err(req, -ENOMEM);
		return;
	}
	memset(&dctx, 0, sizeof(dctx));
	dctx.buf = buf;
	dctx.cap = size;
	dctx.tpriv = &rd;
	dctx.encode = dirent_encode;
	dctx.used = add_dots(zf, req, buf, size, dir, off, plus);
	if (off < 2 && dctx.used == 0) {	/* not even "." fits */
		reply_err(req, -EINVAL);
		return;
	}
	ctx_make(zf, req, fi, true, &ctx);
	ret = zf->ops->readdir(&ctx, dir, off < ZUS_DIR_COOKIE_FIRST ? 0 :
				(uint64_t)off, &dctx);
	ret = zus_readdir_result(&dctx, ret, &eof);
	if (ret) {
		if (ret == -EIO)
			plugin_err(zf, "readdir", dir, "broken readdir reply");
		free(rd.ents);
		reply_err(req, ret);
		return;
	}
	if (plus) {
		/* Now that the plugin's readdir is done (and its locks are
		 * released), one lookup per entry: attributes + a lookup
		 * count, or nodeid 0 (a plain entry) when it went away. A
		 * lookup is about no open: its context has no handle. */
		size_t used = add_dots(zf, req, buf, size, dir, off, true);

		ctx_make(zf, req, NULL, false, &ctx);
		for (size_t i = 0; i < rd.n; i++) {
			struct zf_dent *d = &rd.ents[i];
			struct fuse_entry_param e;
			struct zus_attr a;
			size_t n;
			int lr = -ENOSYS;

			memset(&a, 0, sizeof(a));
			if (HAS(zf, lookup))
				lr = zf->ops->lookup(&ctx, dir, d->name,
						     strlen(d->name), &a);
			if (!lr && (a.ino != d->ino ||
				    entry_check(zf, &ctx, "readdirplus", dir,
						&a, 0, 0))) {
				if (a.ino != d->ino)
					forget1(zf, &ctx, a.ino);
				lr = -ESTALE;
			}
			if (!lr) {
				entry_param(zf, &a, &e);
				if (S_ISDIR(a.mode))
					dir_learn(zf, a.ino, dir);
			} else {
				memset(&e, 0, sizeof(e));
				e.attr.st_ino = d->ino;
				e.attr.st_mode = (mode_t)d->type << 12;
			}
			n = fuse_add_direntry_plus(req, buf + used, size - used,
						   d->name, &e,
						   (off_t)d->cookie);
			if (n > size - used) {	/* cannot happen: counted */
				if (!lr && S_ISDIR(a.mode))
					dir_forget(zf, a.ino, 1);
				if (!lr)
					forget1(zf, &ctx, a.ino);
				break;
			}
			used += n;
		}
		dctx.used = used;
	}
	free(rd.ents);
	fuse_reply_buf(req, buf, dctx.used);
}

static void ll_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, false);
}

static void ll_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			   off_t off, struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, true);
}

/* ---- file data ------------------------------------------------------------- */

static void ll_read(fuse_req_t req, fuse_ino_t node, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t ino = zf_ino(zf, node);
	struct zus_ctx ctx;
	ssize_t ret;
	void *buf;
	int st;

	if (off < 0 || size > (size_t)SSIZE_MAX ||
	    size > ZUS_MAX_FILE_SIZE - (uint64_t)off) {
		reply_err(req, -EINVAL);
		return;
	}
	if (!HAS(zf, read)) {
		reply_err(req, -ENOSYS);
		return;
	}
	if (!size) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	buf = tbuf(zf, size);
	if (!buf) {
		reply_err(req, -ENOMEM);
		return;
	}
	ctx_make(zf, req, fi, false, &ctx);
	ret = zf->ops->read(&ctx, ino, buf, size, (uint64_t)off);
	st = status_count(zf, "read", ino, ret);
	if (st == 1 && (size_t)ret > size) {
		plugin_err(zf, "read", ino, "read %zd bytes of %zu", ret, size);
		st = -EIO;
	}
	if (st != 1) {
		reply_err(req, st);
		return;
	}
	fuse_reply_buf(req, buf, (size_t)ret);
}

static void ll_write_buf(fuse_req_t req, fuse_ino_t node,
			 struct fuse_bufvec *bufv, off_t off,
			 struct fuse_file_info *fi)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t ino = zf_ino(zf, node);
	size_t len = fuse_buf_size(bufv);
	struct zus_ctx ctx;
	const void *data;
	ssize_t ret;
	int st;

	if (off < 0 || len > (size_t)SSIZE_MAX ||
	    len > ZUS_MAX_FILE_SIZE - (uint64_t)off) {
		reply_err(req, off < 0 ? -EINVAL : -EFBIG);
		return;
	}
	if (!HAS(zf, write)) {
		reply_err(req, -ENOSYS);
		return;
	}
	if (bufv->count == 1 && bufv->idx == 0 && bufv->off == 0 &&
	    !(bufv->buf[0].flags & FUSE_BUF_IS_FD)) {
		data = bufv->buf[0].mem;	/* libfuse's buffer, in place */
	} else {
		struct fuse_bufvec dst = FUSE_BUFVEC_INIT(len);
		ssize_t n;

		dst.buf[0].mem = tbuf(zf, len);
		if (!dst.buf[0].mem) {
			reply_err(req, -ENOMEM);
			return;
		}
		n = fuse_buf_copy(&dst, bufv, 0);
		if (n < 0 || (size_t)n != len) {
			reply_err(req, n < 0 ? (int)n : -EIO);
			return;
		}
		data = dst.buf[0].mem;
	}
	if (!len) {
		fuse_reply_write(req, 0);
		return;
	}
	ctx_make(zf, req, fi, false, &ctx);
	/* The kernel resolves O_APPEND itself (under the inode lock, with
	 * its i_size, which only it changes): off is the end already. */
	ret = zf->ops->write(&ctx, ino, data, len, (uint64_t)off, 0);
	st = status_count(zf, "write", ino, ret);
	if (st == 1 && (size_t)ret > len) {
		plugin_err(zf, "write", ino, "wrote %zd bytes of %zu", ret,
			   len);
		st = -EIO;
	}
	if (st != 1) {
		reply_err(req, st);
		return;
	}
	fuse_reply_write(req, (size_t)ret);
}

static void ll_fsync(fuse_req_t req, fuse_ino_t node, int datasync,
		     struct fuse_file_info *fi)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t ino = zf_ino(zf, node);
	struct zus_ctx ctx;

	if (!HAS(zf, fsync)) {
		reply_err(req, -ENOSYS);	/* the kernel stops asking */
		return;
	}
	ctx_make(zf, req, fi, false, &ctx);
	reply_err(req, status0(zf, "fsync", ino,
			       zf->ops->fsync(&ctx, ino, !!datasync)));
}

static void ll_fallocate(fuse_req_t req, fuse_ino_t node, int mode,
			 off_t off, off_t len, struct fuse_file_info *fi)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t ino = zf_ino(zf, node);
	unsigned int ok = ZUS_FALLOC_KEEP_SIZE | ZUS_FALLOC_PUNCH_HOLE |
			  ZUS_FALLOC_ZERO_RANGE;
	struct zus_ctx ctx;

	if ((unsigned int)mode & ~ok || off < 0 || len <= 0 ||
	    ((mode & ZUS_FALLOC_PUNCH_HOLE) &&
	     mode != (ZUS_FALLOC_PUNCH_HOLE | ZUS_FALLOC_KEEP_SIZE))) {
		reply_err(req, (unsigned int)mode & ~ok ? -EOPNOTSUPP : -EINVAL);
		return;
	}
	if ((uint64_t)len > ZUS_MAX_FILE_SIZE - (uint64_t)off) {
		reply_err(req, -EFBIG);
		return;
	}
	ctx_make(zf, req, fi, false, &ctx);
	reply_err(req, status0(zf, "fallocate", ino,
			       zf->ops->fallocate(&ctx, ino,
						  (unsigned int)mode,
						  (uint64_t)off,
						  (uint64_t)len)));
}

static void ll_lseek(fuse_req_t req, fuse_ino_t node, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t ino = zf_ino(zf, node);
	struct zus_ctx ctx;
	int64_t ret;
	int st;

	if (off < 0 || (whence != ZUS_SEEK_DATA && whence != ZUS_SEEK_HOLE)) {
		reply_err(req, -EINVAL);
		return;
	}
	ctx_make(zf, req, fi, false, &ctx);
	ret = zf->ops->lseek(&ctx, ino, (uint64_t)off, whence);
	st = status_count(zf, "lseek", ino, ret);
	if (st == 1 && ret < off) {
		plugin_err(zf, "lseek", ino, "from %lld returned %lld",
			   (long long)off, (long long)ret);
		st = -EIO;
	}
	if (st != 1) {
		reply_err(req, st);
		return;
	}
	fuse_reply_lseek(req, (off_t)ret);
}

static void ll_copy_file_range(fuse_req_t req, fuse_ino_t node_in,
			       off_t off_in, struct fuse_file_info *fi_in,
			       fuse_ino_t node_out, off_t off_out,
			       struct fuse_file_info *fi_out, size_t len,
			       int flags)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t in = zf_ino(zf, node_in), out = zf_ino(zf, node_out);
	struct zus_ctx ctx;
	ssize_t ret;
	int st;

	if (flags || off_in < 0 || off_out < 0 || len > (size_t)SSIZE_MAX) {
		reply_err(req, -EINVAL);
		return;
	}
	ctx_make(zf, req, fi_out, false, &ctx);
	ret = zf->ops->copy_range(&ctx, in, zf->plugin_open ? fi_in->fh : 0,
				  (uint64_t)off_in, out, (uint64_t)off_out,
				  len);
	st = status_count(zf, "copy_range", out, ret);
	if (st == 1 && (size_t)ret > len) {
		plugin_err(zf, "copy_range", out, "copied %zd bytes of %zu",
			   ret, len);
		st = -EIO;
	}
	if (st != 1) {
		reply_err(req, st);
		return;
	}
	fuse_reply_write(req, (size_t)ret);
}

/* ---- superblock ------------------------------------------------------------ */

static void ll_statfs(fuse_req_t req, fuse_ino_t node)
{
	struct zus_fuse *zf = zf_of(req);
	struct zus_statfs st;
	struct statvfs sv;
	struct zus_ctx ctx;
	int ret;

	(void)node;
	if (!HAS(zf, statfs)) {
		reply_err(req, -ENOSYS);
		return;
	}
	ctx_make(zf, req, NULL, false, &ctx);
	memset(&st, 0, sizeof(st));
	ret = status0(zf, "statfs", zf->root, zf->ops->statfs(&ctx, &st));
	if (!ret && (st.bfree > st.blocks || st.bavail > st.bfree ||
		     st.ffree > st.files || st.namelen > ZUS_NAME_MAX)) {
		plugin_err(zf, "statfs", zf->root,
			   "inconsistent statfs (blocks %llu bfree %llu bavail %llu files %llu ffree %llu namelen %u)",
			   (unsigned long long)st.blocks,
			   (unsigned long long)st.bfree,
			   (unsigned long long)st.bavail,
			   (unsigned long long)st.files,
			   (unsigned long long)st.ffree, st.namelen);
		ret = -EIO;
	}
	if (ret) {
		reply_err(req, ret);
		return;
	}
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = st.bsize ? st.bsize : 4096;
	sv.f_frsize = sv.f_bsize;
	sv.f_blocks = st.blocks;
	sv.f_bfree = st.bfree;
	sv.f_bavail = st.bavail;
	sv.f_files = st.files;
	sv.f_ffree = st.ffree;
	sv.f_favail = st.ffree;
	sv.f_namemax = st.namelen ? st.namelen : ZUS_NAME_MAX;
	fuse_reply_statfs(req, &sv);
}

/* ---- extended attributes --------------------------------------------------- */

static bool xname_ok(const char *name)
{
	size_t n = strnlen(name, ZUS_XATTR_NAME_MAX + 1);

	return n && n <= ZUS_XATTR_NAME_MAX;
}

/*
 * The namespaces zuf.ko has handlers for; fuse.ko passes any name, so a
 * name outside them is refused here as the kernel refuses it on zufs.
 * system.posix_acl_*: only with ACLs (FUSE_CAP_POSIX_ACL agreed,
 * init_acl): without, fuse.ko hands them verbatim to a server that did
 * not ask for POSIX ACLs, and the plugin would keep an ACL that nothing
 * enforces.
 */
static int xname_ns(const struct zus_fuse *zf, const char *name)
{
	if (!strncmp(name, "user.", 5) || !strncmp(name, "trusted.", 8) ||
	    !strncmp(name, "security.", 9))
		return 0;
	if (zf->acl && (!strcmp(name, ZF_ACL_NAME_ACCESS) ||
			!strcmp(name, ZF_ACL_NAME_DEFAULT)))
		return 0;
	return -EOPNOTSUPP;
}

/*
 * The plugin's getxattr or listxattr into buf of size bytes (NULL, 0: the
 * length), checked: its length or -errno.
 */
static ssize_t xattr_call(struct zus_fuse *zf, const struct zus_ctx *ctx,
			  zus_ino_t ino, const char *name, char *buf,
			  size_t size)
{
	const char *op = name ? "getxattr" : "listxattr";
	ssize_t ret;
	int st;

	if (name)
		ret = zf->ops->getxattr(ctx, ino, name, buf, size);
	else
		ret = zf->ops->listxattr(ctx, ino, buf, size);
	st = status_count(zf, op, ino, ret);
	if (st == 1 && (ret > ZUS_XATTR_SIZE_MAX ||
			(size && (size_t)ret > size) ||
			(!name && size && ret && buf[ret - 1] != '\0'))) {
		plugin_err(zf, op, ino,
			   "length %zd (buffer %zu), or a list not NUL terminated",
			   ret, size);
		st = -EIO;
	}
	return st == 1 ? ret : st;
}

static void ll_getxattr(fuse_req_t req, fuse_ino_t node, const char *name,
			size_t size)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t ino = zf_ino(zf, node);
	struct zus_ctx ctx;
	char *buf = NULL;
	ssize_t ret;

	if (!xname_ok(name) || size > ZUS_XATTR_SIZE_MAX) {
		reply_err(req, strlen(name) > ZUS_XATTR_NAME_MAX ? -ERANGE :
								   -EINVAL);
		return;
	}
	if (xname_ns(zf, name)) {
		reply_err(req, -EOPNOTSUPP);
		return;
	}
	if (size && !(buf = tbuf(zf, size))) {
		reply_err(req, -ENOMEM);
		return;
	}
	ctx_make(zf, req, NULL, false, &ctx);
	ret = xattr_call(zf, &ctx, ino, name, buf, size);
	if (ret < 0)
		reply_err(req, (int)ret);
	else if (size)
		fuse_reply_buf(req, buf, (size_t)ret);
	else
		fuse_reply_xattr(req, (size_t)ret);
}

/*
 * Drop the names the caller may not see, as zuf.ko's zuf_filter_list:
 * trusted.* but to a privileged caller, the ACL names without ACLs.
 * FUSE says who the caller is, not what it may do: uid 0 stands for
 * CAP_SYS_ADMIN here (a root without it still sees trusted.*, a user
 * with it does not). Returns the new length.
 */
static size_t xattr_filter(const struct zus_fuse *zf, uint32_t uid,
			   char *list, size_t len)
{
	size_t in = 0, out = 0;

	while (in < len) {
		const char *name = list + in;
		size_t n = strnlen(name, len - in) + 1;

		if ((uid == 0 || strncmp(name, "trusted.", 8)) &&
		    (zf->acl || (strcmp(name, ZF_ACL_NAME_ACCESS) &&
				 strcmp(name, ZF_ACL_NAME_DEFAULT)))) {
			memmove(list + out, name, n);
			out += n;
		}
		in += n;
	}
	return out;
}

/*
 * The list is filtered, so it is fetched whole; a size query answers the
 * plugin's length, which is enough (as on zufs).
 */
static void ll_listxattr(fuse_req_t req, fuse_ino_t node, size_t size)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t ino = zf_ino(zf, node);
	struct zus_ctx ctx;
	ssize_t len;
	char *buf;

	if (size > ZUS_XATTR_SIZE_MAX) {
		reply_err(req, -EINVAL);
		return;
	}
	ctx_make(zf, req, NULL, false, &ctx);
	len = xattr_call(zf, &ctx, ino, NULL, NULL, 0);
	if (len <= 0 || !size) {
		if (len < 0)
			reply_err(req, (int)len);
		else
			fuse_reply_xattr(req, (size_t)len);
		return;
	}
	buf = tbuf(zf, (size_t)len);
	if (!buf) {
		reply_err(req, -ENOMEM);
		return;
	}
	/* -ERANGE if the list grew meanwhile: the caller asks again */
	len = xattr_call(zf, &ctx, ino, NULL, buf, (size_t)len);
	if (len > 0)
		len = (ssize_t)xattr_filter(zf, ctx.uid, buf, (size_t)len);
	if (len >= 0 && (size_t)len > size)
		len = -ERANGE;
	if (len < 0)
		reply_err(req, (int)len);
	else
		fuse_reply_buf(req, buf, (size_t)len);
}

static void ll_setxattr(fuse_req_t req, fuse_ino_t node, const char *name,
			const char *value, size_t size, int flags)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t ino = zf_ino(zf, node);
	struct zus_ctx ctx;

	if (!xname_ok(name) || size > ZUS_XATTR_SIZE_MAX ||
	    ((unsigned int)flags & ~(ZUS_XATTR_CREATE | ZUS_XATTR_REPLACE))) {
		reply_err(req, strlen(name) > ZUS_XATTR_NAME_MAX ? -ERANGE :
			  size > ZUS_XATTR_SIZE_MAX ? -E2BIG : -EINVAL);
		return;
	}
	if (xname_ns(zf, name)) {
		reply_err(req, -EOPNOTSUPP);
		return;
	}
	ctx_make(zf, req, NULL, false, &ctx);
	if (zf->acl && !strcmp(name, ZF_ACL_NAME_ACCESS)) {
		reply_err(req, acl_set_access(zf, req, &ctx, ino,
					      value ? value : "", size,
					      (unsigned int)flags));
		return;
	}
	reply_err(req, status0(zf, "setxattr", ino,
			       zf->ops->setxattr(&ctx, ino, name,
						 value ? value : "", size,
						 (unsigned int)flags)));
}

static void ll_removexattr(fuse_req_t req, fuse_ino_t node, const char *name)
{
	struct zus_fuse *zf = zf_of(req);
	zus_ino_t ino = zf_ino(zf, node);
	struct zus_ctx ctx;

	if (!xname_ok(name)) {
		reply_err(req, -ERANGE);
		return;
	}
	if (xname_ns(zf, name)) {
		reply_err(req, -EOPNOTSUPP);
		return;
	}
	ctx_make(zf, req, NULL, false, &ctx);
	reply_err(req, status0(zf, "removexattr", ino,
			       zf->ops->removexattr(&ctx, ino, name)));
}

/* Every op; zus_fuse_new() clears those the plugin and caps do not give. */
static const struct fuse_lowlevel_ops zf_ops_all = {
	.init		= ll_init,
	.destroy	= ll_destroy,
	.lookup		= ll_lookup,
	.forget		= ll_forget,
	.forget_multi	= ll_forget_multi,
	.getattr	= ll_getattr,
	.setattr	= ll_setattr,
	.readlink	= ll_readlink,
	.mknod		= ll_mknod,
	.mkdir		= ll_mkdir,
	.unlink		= ll_unlink,
	.rmdir		= ll_rmdir,
	.symlink	= ll_symlink,
	.rename		= ll_rename,
	.link		= ll_link,
	.open		= ll_open,
	.read		= ll_read,
	.write_buf	= ll_write_buf,
	.flush		= ll_flush,
	.release	= ll_release,
	.fsync		= ll_fsync,
	.opendir	= ll_opendir,
	.readdir	= ll_readdir,
	.readdirplus	= ll_readdirplus,
	.releasedir	= ll_releasedir,
	.fsyncdir	= ll_fsyncdir,
	.statfs		= ll_statfs,
	.setxattr	= ll_setxattr,
	.getxattr	= ll_getxattr,
	.listxattr	= ll_listxattr,
	.removexattr	= ll_removexattr,
	.create		= ll_create,
	.fallocate	= ll_fallocate,
	.copy_file_range = ll_copy_file_range,
	.lseek		= ll_lseek,
};

/* ---- notifications --------------------------------------------------------- */

static void *notify_thread(void *arg)
{
	struct zus_fuse *zf = arg;

	pthread_mutex_lock(&zf->nlock);
	for (;;) {
		struct zf_notif *n;
		int err;

		while (!zf->nhead && !zf->nstop)
			pthread_cond_wait(&zf->ncond, &zf->nlock);
		if (zf->nstop)
			break;
		n = zf->nhead;
		zf->nhead = n->next;
		if (!zf->nhead)
			zf->ntail = &zf->nhead;
		zf->nqueued--;
		pthread_mutex_unlock(&zf->nlock);
		if (n->kind == ZF_INVAL_INODE)
			err = fuse_lowlevel_notify_inval_inode(zf->se,
					zf_ino(zf, n->ino), n->off, n->len);
		else
			err = fuse_lowlevel_notify_inval_entry(zf->se,
					zf_ino(zf, n->ino), n->name,
					n->namelen);
		/* -ENOENT: the kernel had nothing cached; fine. */
		if (err && err != -ENOENT)
			zus_dbg("fuse: notify %s of ino %llu: %s",
				n->kind == ZF_INVAL_INODE ? "inval_inode" :
				"inval_entry", (unsigned long long)n->ino,
				strerror(-err));
		free(n);
		pthread_mutex_lock(&zf->nlock);
	}
	pthread_mutex_unlock(&zf->nlock);
	return NULL;
}

static int notify_queue(struct zus_sb_inst *si, enum zf_notif_kind kind,
			zus_ino_t ino, int64_t off, int64_t len,
			const char *name, size_t namelen)
{
	struct zus_fuse *zf = si->tpriv;
	struct zf_notif *n;
	int ret = 0;

	if (!zf)		/* host.c answers inside mount (not live) */
		return -ESHUTDOWN;
	n = calloc(1, sizeof(*n) + namelen + 1);
	if (!n)
		return -ENOMEM;
	n->kind = kind;
	n->ino = ino;
	n->off = off;
	n->len = len;
	n->namelen = namelen;
	if (namelen)
		memcpy(n->name, name, namelen);
	pthread_mutex_lock(&zf->nlock);
	if (zf->nstop || !zf->nthread_ok)
		ret = -ESHUTDOWN;
	else if (zf->nqueued >= ZF_NOTIFY_MAX)
		ret = -EAGAIN;		/* as zuf.ko's full queue */
	if (!ret) {
		*zf->ntail = n;
		zf->ntail = &n->next;
		zf->nqueued++;
		pthread_cond_signal(&zf->ncond);
	}
	pthread_mutex_unlock(&zf->nlock);
	if (ret)
		free(n);
	return ret;
}

static int zf_inval_inode(struct zus_sb_inst *si, zus_ino_t ino, int64_t off,
			  int64_t len)
{
	return notify_queue(si, ZF_INVAL_INODE, ino, off, len, NULL, 0);
}

static int zf_inval_entry(struct zus_sb_inst *si, zus_ino_t dir,
			  const char *name, size_t namelen)
{
	return notify_queue(si, ZF_INVAL_ENTRY, dir, 0, 0, name, namelen);
}

static const struct zus_transport zus_fuse_transport = {
	.id		= ZUS_TRANSPORT_FUSE,
	.inval_inode	= zf_inval_inode,
	.inval_entry	= zf_inval_entry,
};

static void notify_stop(struct zus_fuse *zf)
{
	struct zf_notif *n;

	pthread_mutex_lock(&zf->nlock);
	zf->nstop = true;
	pthread_cond_signal(&zf->ncond);
	pthread_mutex_unlock(&zf->nlock);
	if (zf->nthread_ok)
		pthread_join(zf->nthread, NULL);
	while ((n = zf->nhead)) {
		zf->nhead = n->next;
		free(n);
	}
	zf->ntail = &zf->nhead;
}

/* ---- the transport's API (fuse_i.h) ---------------------------------------- */

uint64_t zus_fuse_capable(void)
{
	return ZF_CAPABLE;
}

const char *zus_fuse_version(void)
{
	return fuse_pkgversion();
}

/* Append ",opt" to a libfuse -o string, escaping ',' and '\' in val. */
static int opt_cat(char **s, const char *key, const char *val)
{
	size_t len = *s ? strlen(*s) : 0, need;
	char *n, *p;

	need = len + 1 + strlen(key) + (val ? 2 * strlen(val) : 0) + 2;
	n = realloc(*s, need);
	if (!n)
		return -ENOMEM;
	p = n + len;
	if (len)
		*p++ = ',';
	p = stpcpy(p, key);
	for (; val && *val; val++) {
		if (*val == ',' || *val == '\\')
			*p++ = '\\';
		*p++ = *val;
	}
	*p = '\0';
	*s = n;
	return 0;
}

int zus_fuse_new(struct zus_fuse **out, struct zus_server *srv,
		 struct zus_loaded_plugin *lp, const struct zus_fuse_conf *conf,
		 const char *fuse_opts)
{
	struct fuse_lowlevel_ops ops = zf_ops_all;
	char *args_argv[5] = { "zusd", "-o", NULL, NULL, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(0, args_argv);
	char *mopts = NULL, num[32];
	struct zus_fuse *zf;
	int err;

	if (!lp->inited || lp->conn.transport != ZUS_TRANSPORT_FUSE) {
		zus_err("fuse: plugin %s was not started for the fuse transport",
			lp->plugin->name);
		return -EINVAL;
	}
	zf = calloc(1, sizeof(*zf));
	if (!zf)
		return -ENOMEM;
	zf->srv = srv;
	zf->lp = lp;
	zf->ops = &lp->ops;
	zf->conf = *conf;
	zf->caps = lp->conn.want;
	zf->max_io = lp->conn.max_io;
	zf->blksize = lp->conn.blksize ? lp->conn.blksize : 4096;
	zf->timeout = conf->timeout >= 0 ? conf->timeout :
		      (zf->caps & ZUS_CAP_NOTIFY) ? ZF_TIMEOUT_NOTIFY :
						    ZF_TIMEOUT_DEFAULT;
	zf->plugin_open = zf->caps & ZUS_CAP_OPEN;
	zf->plugin_opendir = zf->plugin_open && HAS(zf, opendir);
	pthread_mutex_init(&zf->nlock, NULL);
	pthread_cond_init(&zf->ncond, NULL);
	pthread_mutex_init(&zf->dlock, NULL);
	zf->ntail = &zf->nhead;
	err = -pthread_key_create(&zf->buf_key, free);
	if (err)
		goto fail;
	zf->buf_key_ok = true;

	/* Only what the plugin agreed to: the kernel gets ENOSYS for the
	 * rest and stops asking (xattrs: EOPNOTSUPP to applications). */
	if (!(zf->caps & ZUS_CAP_XATTR)) {
		ops.getxattr = NULL;
		ops.setxattr = NULL;
		ops.listxattr = NULL;
		ops.removexattr = NULL;
	}
	if (!(zf->caps & ZUS_CAP_FALLOCATE))
		ops.fallocate = NULL;
	if (!(zf->caps & ZUS_CAP_SEEK_DATA))
		ops.lseek = NULL;
	if (!(zf->caps & ZUS_CAP_COPY_RANGE))
		ops.copy_file_range = NULL;
	if (!zf->plugin_open) {
		ops.create = NULL;	/* the kernel uses mknod + open */
		ops.flush = NULL;
		ops.release = NULL;
	}
	if (!zf->plugin_opendir)
		ops.releasedir = NULL;
	if (!conf->readdirplus)
		ops.readdirplus = NULL;

	err = -ENOMEM;
	/* A mount by root is a system mount, as on zufs: everyone may use
	 * it (the kernel checks permissions) and set-id bits and device
	 * nodes work; -o nosuid,nodev (later, so they win) turn them off.
	 * A user's mount (fusermount3) is always nosuid,nodev, for the
	 * mounter only unless -o allow_other (user_allow_other in
	 * /etc/fuse.conf). */
	if (geteuid() == 0 && opt_cat(&mopts, "allow_other,dev,suid", NULL))
		goto fail;
	if (opt_cat(&mopts, "default_permissions", NULL) ||
	    opt_cat(&mopts, "subtype=zufs", NULL))
		goto fail;
	if (zf->max_io) {
		snprintf(num, sizeof(num), "max_read=%llu",
			 (unsigned long long)zf->max_io);
		if (opt_cat(&mopts, num, NULL))
			goto fail;
	}
	if (fuse_opts && *fuse_opts && opt_cat(&mopts, fuse_opts, NULL))
		goto fail;
	args_argv[2] = mopts;
	args.argc = 3;
	if (conf->debug)
		args_argv[args.argc++] = "-d";
	zf->se = fuse_session_new(&args, &ops, sizeof(ops), zf);
	fuse_opt_free_args(&args);
	if (!zf->se) {
		zus_err("fuse: cannot create a session with options '%s' (libfuse said why above)",
			mopts);
		err = -EINVAL;
		goto fail;
	}
	free(mopts);
	zus_info("fuse: plugin %s, caps 0x%llx, timeout %g s%s%s",
		 lp->plugin->name, (unsigned long long)zf->caps, zf->timeout,
		 conf->direct_io ? ", direct_io" : "",
		 conf->readdirplus ? ", readdirplus" : "");
	*out = zf;
	return 0;
fail:
	free(mopts);
	if (zf->buf_key_ok)
		pthread_key_delete(zf->buf_key);
	pthread_cond_destroy(&zf->ncond);
	pthread_mutex_destroy(&zf->nlock);
	pthread_mutex_destroy(&zf->dlock);
	free(zf);
	return err;
}

int zus_fuse_mount(struct zus_fuse *zf, const char *mountpoint,
		   const char *source, const char *options,
		   unsigned int mount_flags)
{
	struct zus_sb_inst *si;
	struct zus_attr a;
	struct zus_ctx ctx;
	zus_ino_t root;
	int err;

	err = zus_server_mount(zf->srv, zf->lp->plugin->name, source,
			       options ? options : "", mount_flags, getuid(),
			       getgid(), (uint32_t)getpid(), 0,
			       &zus_fuse_transport, &zf->sb_id, &root, &si);
	if (err)
		return err;
	zf->si = si;
	zf->root = root;
	zus_ctx_init(&ctx, si, getuid(), getgid(), (uint32_t)getpid());
	err = getattr_checked(zf, &ctx, "getattr", root, &a);
	if (err) {
		zus_err("fuse: the root (ino %llu) of plugin %s: %s",
			(unsigned long long)root, zf->lp->plugin->name,
			strerror(-err));
		goto fail_sb;
	}
	err = -pthread_create(&zf->nthread, NULL, notify_thread, zf);
	if (err)
		goto fail_sb;
	zf->nthread_ok = true;
	si->tpriv = zf;
	__atomic_store_n(&si->live, true, __ATOMIC_RELEASE);
	if (fuse_session_mount(zf->se, mountpoint)) {
		zus_err("fuse: mounting on %s failed (libfuse said why above)",
			mountpoint);
		err = -EIO;
		goto fail_notify;
	}
	zf->mounted = true;
	return 0;
fail_notify:
	notify_stop(zf);
	si->tpriv = NULL;
fail_sb:
	zus_server_umount(zf->srv, zf->sb_id);
	zf->si = NULL;
	return err;
}

int zus_fuse_loop(struct zus_fuse *zf)
{
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	int ret;

	if (!cfg)
		return -ENOMEM;
	if (zf->conf.max_idle)
		fuse_loop_cfg_set_idle_threads(cfg, zf->conf.max_idle);
	if (zf->conf.max_threads)
		fuse_loop_cfg_set_max_threads(cfg, zf->conf.max_threads);
	ret = fuse_session_loop_mt(zf->se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return ret > 0 ? -EIO : ret;
}

void zus_fuse_exit(struct zus_fuse *zf)
{
	/* Lazy: the loop goes on serving open files; it returns when the
	 * kernel drops the superblock (the device read fails). */
	if (zf->mounted) {
		fuse_session_unmount(zf->se);
		zf->mounted = false;
	}
}

void zus_fuse_destroy(struct zus_fuse *zf)
{
	if (!zf)
		return;
	notify_stop(zf);
	if (zf->mounted)
		fuse_session_unmount(zf->se);
	fuse_session_destroy(zf->se);
	if (zf->si) {
		zf->si->tpriv = NULL;
		zus_server_umount(zf->srv, zf->sb_id);
	}
	if (zf->buf_key_ok) {
		void *b = pthread_getspecific(zf->buf_key);

		free(b);
		pthread_key_delete(zf->buf_key);
	}
	pthread_cond_destroy(&zf->ncond);
	pthread_mutex_destroy(&zf->nlock);
	dirs_free(zf);
	pthread_mutex_destroy(&zf->dlock);
	free(zf);
}
