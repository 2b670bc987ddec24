// SPDX-License-Identifier: BSD-2-Clause
/*
 * memfs - an in-memory zufs file system, written as a tutorial.
 *
 * Build (out of tree):
 *   cc -shared -fPIC -o memfs.so memfs.c $(pkg-config --cflags --libs libzus)
 * Run:
 *   zusd --plugin ./memfs.so --service zufs &
 *   mount -t zufs -o service=zufs,fs=memfs,size=256m none /mnt
 *
 * What it shows:
 *   - the one entry point, zus_plugin_entry(), and the one static const
 *     ops table with designated initialisers;
 *   - inodes named by numbers, with a lookup count (nlookup) the kernel
 *     drives through lookup/forget: an unlinked inode lives on until the
 *     kernel forgets it (open-unlinked files, O_TMPFILE);
 *   - sparse files kept as a sorted array of 4 KiB pages, so holes cost
 *     nothing and SEEK_DATA/SEEK_HOLE just walk the array;
 *   - directories whose entries carry a per-directory, monotonically
 *     increasing id used as the readdir cookie: a position stays valid
 *     while entries are added and removed;
 *   - symlinks, hard links, device nodes, fifos and sockets (metadata only),
 *     extended attributes in every namespace, fallocate/punch hole,
 *     rename with NOREPLACE and EXCHANGE, statfs limits, timestamps;
 *   - copy_file_range inside the file system (copy_range) that keeps
 *     holes;
 *   - one space budget (size=) for everything a user can make memfs
 *     allocate: file pages, and the bytes of directory entries, symlink
 *     targets and extended attributes with a per-object overhead (like
 *     tmpfs), so that no user with write access can exhaust zusd's
 *     memory; over it, -ENOSPC.
 *
 * Threading: zusd calls ops from one worker thread per CPU at the same
 * time. memfs keeps it simple: one read-write lock per superblock. Ops that
 * only look (getattr, read, readdir, readlink, getxattr, listxattr, lseek,
 * statfs) take it shared; everything else takes it exclusive (lookup too:
 * it changes the lookup count). reads
 * therefore do not update atime (the kernel does it with setattr if it
 * wants to).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>

#include <zus.h>

#define MEMFS_PAGE	4096ULL
#define MEMFS_MAX_SIZE	(1ULL << 44)	/* 16 TiB per file */
#define MEMFS_LINK_MAX	65000U
#define MEMFS_ROOT_INO	1

/* The host's services (logging, readdir replies, options), from init. */
static const struct zus_host *host;

/* One page of file data, at page index pgoff. */
struct memfs_page {
	uint64_t pgoff;
	void *data;
};

/* One extended attribute. */
struct memfs_xattr {
	struct memfs_xattr *next;
	char *name;
	void *value;
	size_t size;
};

/* One directory entry: id is the readdir cookie (see memfs_readdir). */
struct memfs_dirent {
	struct memfs_dirent *prev, *next;
	uint64_t id;
	zus_ino_t ino;
	unsigned int type;		/* ZUS_DT_* */
	size_t namelen;
	char name[];
};

struct memfs_inode {
	struct memfs_inode *hnext;	/* inode hash chain */
	zus_ino_t ino;
	uint32_t mode, uid, gid, nlink;
	uint64_t rdev;
	uint64_t size;
	uint64_t nlookup;		/* references held by the kernel */
	struct timespec atime, mtime, ctime;
	struct memfs_xattr *xattrs;
	union {
		struct {		/* S_IFREG: sorted by pgoff */
			struct memfs_page *pages;
			size_t nr_pages, cap_pages;
		} file;
		struct {		/* S_IFDIR */
			struct memfs_dirent *head, *tail;
			uint64_t next_id;
			zus_ino_t parent;
			uint64_t nr_entries;
		} dir;
		char *target;		/* S_IFLNK */
	};
};

#ifdef MEMFS_OPEN_HANDLES
/* What the per-open ops of memfs-oh saw (trusted.memfs_oh.stats). */
struct memfs_oh_stats {
	uint64_t open, create, opendir, flush, release, releasedir, fsyncdir;
	uint64_t fsync;
	uint64_t bad;			/* ops with a wrong handle */
};
#endif

struct memfs_sb {
	pthread_rwlock_t lock;		/* protects everything below */
	struct memfs_inode **hash;
	size_t hash_size, nr_inodes;
	zus_ino_t next_ino;
	uint64_t max_pages, used_pages;
	uint64_t used_meta;		/* bytes: entries, targets, xattrs */
	uint64_t max_inodes;
#ifdef MEMFS_OPEN_HANDLES
	pthread_mutex_t hlock;		/* the open handles (own lock) */
	struct memfs_handle *handles;	/* fh = index + 1 */
	size_t nr_handles, live_handles;
	struct memfs_oh_stats stats;	/* under hlock */
	zus_ino_t inval_at_umount;	/* test hook: notify in umount */
	zus_ino_t flush_err_ino;	/* test hook: the next flush of it */
	int flush_err;			/* fails with this (under hlock) */
	unsigned int mount_flags;	/* what mount() was given */
#endif
};

static int xattr_set_locked(struct memfs_sb *m, struct memfs_inode *i,
			    const char *name, void **v, size_t size,
			    unsigned int flags);

/* memfs-oh (MEMFS_OPEN_HANDLES): ops on an open file check its handle. */
#ifdef MEMFS_OPEN_HANDLES
enum fh_use { FH_USE, FH_RELEASE, FH_RELEASEDIR };
static int fh_check(const struct zus_ctx *ctx, zus_ino_t ino, uint64_t fh,
		    enum fh_use use);
#define FH_CHECK(ctx, ino) \
	do { \
		if (((ctx)->flags & ZUS_CTX_FH) && \
		    fh_check((ctx), (ino), (ctx)->fh, FH_USE)) \
			return -EBADF; \
	} while (0)
static int oh_getxattr(const struct zus_ctx *ctx, const char *name,
		       void *buf, size_t size, ssize_t *ret);
static int oh_stats_text(struct memfs_sb *m, char *text, size_t size);
static int oh_setxattr(const struct zus_ctx *ctx, const char *name,
		       const void *value, size_t size, int *ret);
static void oh_bad(struct memfs_sb *m, const char *op, zus_ino_t ino);
#else
#define FH_CHECK(ctx, ino) do { } while (0)
#endif

/*
 * Space: size= is a byte budget shared by file pages (MEMFS_PAGE each)
 * and metadata a user controls, charged at what it costs zusd: a
 * directory entry's struct and name, a symlink's target, an xattr's
 * struct, name and value.
 */
#define DIRENT_COST(len)	(sizeof(struct memfs_dirent) + (len) + 1)
#define XATTR_COST(nlen, vlen)	\
	(sizeof(struct memfs_xattr) + (nlen) + 1 + (vlen))
#define TARGET_COST(len)	((len) + 1)

static uint64_t space_left(const struct memfs_sb *m)
{
	uint64_t used = m->used_pages * MEMFS_PAGE + m->used_meta;
	uint64_t max = m->max_pages * MEMFS_PAGE;

	return used < max ? max - used : 0;
}

/* Charge n bytes of metadata, of which credit are about to be freed. */
static int charge(struct memfs_sb *m, uint64_t n, uint64_t credit)
{
	if (n > credit && n - credit > space_left(m))
		return -ENOSPC;
	m->used_meta += n;
	return 0;
}

static void uncharge(struct memfs_sb *m, uint64_t n)
{
	m->used_meta -= n;
}

/* ---- small helpers ---------------------------------------------------- */

static struct memfs_sb *MSB(struct zus_sb *sb)
{
	return sb->priv;
}

/*
 * File times at the kernel's own granularity (current_time() is coarse:
 * one tick). A coarse clock is read in the vDSO whatever the clocksource;
 * CLOCK_REALTIME is a system call on a guest with HPET, one per write.
 */
static void now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME_COARSE, ts);
}

static unsigned int mode_to_dt(uint32_t mode)
{
	return (mode & S_IFMT) >> 12;	/* DT_* == S_IFMT >> 12 */
}

static struct memfs_inode *iget(struct memfs_sb *m, zus_ino_t ino)
{
	struct memfs_inode *i;

	for (i = m->hash[ino % m->hash_size]; i; i = i->hnext)
		if (i->ino == ino)
			return i;
	return NULL;
}

static void hash_insert(struct memfs_sb *m, struct memfs_inode *i)
{
	size_t b;

	if (m->nr_inodes >= m->hash_size) {	/* grow: keep chains short */
		size_t nsize = m->hash_size * 2;
		struct memfs_inode **nh = calloc(nsize, sizeof(*nh));

		if (nh) {
			for (size_t k = 0; k < m->hash_size; k++) {
				struct memfs_inode *p = m->hash[k], *n;

				for (; p; p = n) {
					n = p->hnext;
					p->hnext = nh[p->ino % nsize];
					nh[p->ino % nsize] = p;
				}
			}
			free(m->hash);
			m->hash = nh;
			m->hash_size = nsize;
		}
	}
	b = i->ino % m->hash_size;
	i->hnext = m->hash[b];
	m->hash[b] = i;
	m->nr_inodes++;
}

static void hash_remove(struct memfs_sb *m, struct memfs_inode *i)
{
	struct memfs_inode **pp = &m->hash[i->ino % m->hash_size];

	while (*pp != i)
		pp = &(*pp)->hnext;
	*pp = i->hnext;
	m->nr_inodes--;
}

static void fill_attr(const struct memfs_inode *i, struct zus_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = i->ino;
	a->mode = i->mode;
	a->nlink = i->nlink;
	a->uid = i->uid;
	a->gid = i->gid;
	a->rdev = i->rdev;
	a->size = i->size;
	a->blksize = MEMFS_PAGE;
	if (S_ISREG(i->mode))
		a->blocks = i->file.nr_pages * (MEMFS_PAGE / 512);
	a->atime = i->atime;
	a->mtime = i->mtime;
	a->ctime = i->ctime;
}

/* ---- file pages ------------------------------------------------------- */

/* Index of the first page with pgoff >= pg (binary search). */
static size_t page_find(const struct memfs_inode *i, uint64_t pg)
{
	size_t lo = 0, hi = i->file.nr_pages;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (i->file.pages[mid].pgoff < pg)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void *page_lookup(const struct memfs_inode *i, uint64_t pg)
{
	size_t k = page_find(i, pg);

	if (k < i->file.nr_pages && i->file.pages[k].pgoff == pg)
		return i->file.pages[k].data;
	return NULL;
}

/* The page at pg, allocated (zeroed) if it is a hole. NULL: -ENOSPC. */
static void *page_get(struct memfs_sb *m, struct memfs_inode *i, uint64_t pg)
{
	size_t k = page_find(i, pg);
	void *data;

	if (k < i->file.nr_pages && i->file.pages[k].pgoff == pg)
		return i->file.pages[k].data;
	if (space_left(m) < MEMFS_PAGE)
		return NULL;
	if (i->file.nr_pages == i->file.cap_pages) {
		size_t ncap = i->file.cap_pages ? i->file.cap_pages * 2 : 8;
		struct memfs_page *np = realloc(i->file.pages,
						ncap * sizeof(*np));

		if (!np)
			return NULL;
		i->file.pages = np;
		i->file.cap_pages = ncap;
	}
	data = calloc(1, MEMFS_PAGE);
	if (!data)
		return NULL;
	memmove(&i->file.pages[k + 1], &i->file.pages[k],
		(i->file.nr_pages - k) * sizeof(*i->file.pages));
	i->file.pages[k].pgoff = pg;
	i->file.pages[k].data = data;
	i->file.nr_pages++;
	m->used_pages++;
	return data;
}

/*
 * Make bytes [start, end) a hole: free the pages fully inside, zero the
 * covered part of the pages at either edge.
 */
static void punch(struct memfs_sb *m, struct memfs_inode *i, uint64_t start,
		  uint64_t end)
{
	size_t k = page_find(i, start / MEMFS_PAGE), w;

	if (start >= end)
		return;
	for (w = k; k < i->file.nr_pages; k++) {
		struct memfs_page *p = &i->file.pages[k];
		uint64_t ps = p->pgoff * MEMFS_PAGE, pe = ps + MEMFS_PAGE;

		if (ps >= end) {
			i->file.pages[w++] = *p;
			continue;
		}
		if (start <= ps && pe <= end) {		/* fully covered */
			free(p->data);
			m->used_pages--;
			continue;
		}
		{					/* edge page */
			uint64_t s = start > ps ? start : ps;
			uint64_t e = end < pe ? end : pe;

			memset((char *)p->data + (s - ps), 0, e - s);
		}
		i->file.pages[w++] = *p;
	}
	i->file.nr_pages = w;
}

static int set_size(struct memfs_sb *m, struct memfs_inode *i, uint64_t size)
{
	if (size > MEMFS_MAX_SIZE)
		return -EFBIG;
	/* Everything from the new end on goes, also pages fallocate(2)
	 * KEEP_SIZE put beyond the old end (as ext4 and tmpfs do). */
	if (size <= i->size)
		punch(m, i, size, UINT64_MAX);
	i->size = size;
	return 0;
}

/* ---- inode life ------------------------------------------------------- */

static void free_xattrs(struct memfs_sb *m, struct memfs_inode *i)
{
	struct memfs_xattr *x, *n;

	for (x = i->xattrs; x; x = n) {
		n = x->next;
		uncharge(m, XATTR_COST(strlen(x->name), x->size));
		free(x->name);
		free(x->value);
		free(x);
	}
	i->xattrs = NULL;
}

static void inode_free(struct memfs_sb *m, struct memfs_inode *i)
{
	hash_remove(m, i);
	if (S_ISREG(i->mode)) {
		punch(m, i, 0, UINT64_MAX);
		free(i->file.pages);
	} else if (S_ISLNK(i->mode)) {
		if (i->target)
			uncharge(m, TARGET_COST(i->size));
		free(i->target);
	} else if (S_ISDIR(i->mode)) {
		struct memfs_dirent *d, *n;

		for (d = i->dir.head; d; d = n) {	/* only at umount */
			n = d->next;
			uncharge(m, DIRENT_COST(d->namelen));
			free(d);
		}
	}
	free_xattrs(m, i);
	free(i);
}

/* Free i if nothing refers to it any more: no name, no kernel reference. */
static void inode_put_maybe(struct memfs_sb *m, struct memfs_inode *i)
{
	if (i->nlink == 0 && i->nlookup == 0 && i->ino != MEMFS_ROOT_INO)
		inode_free(m, i);
}

static struct memfs_inode *inode_new(struct memfs_sb *m,
				     const struct zus_new_inode *ni, int *err)
{
	struct memfs_inode *i;

	if (m->nr_inodes >= m->max_inodes) {
		*err = -ENOSPC;
		return NULL;
	}
	i = calloc(1, sizeof(*i));
	if (!i) {
		*err = -ENOMEM;
		return NULL;
	}
	i->ino = m->next_ino++;
	i->mode = ni->mode;
	i->uid = ni->uid;
	i->gid = ni->gid;
	i->rdev = (S_ISCHR(ni->mode) || S_ISBLK(ni->mode)) ? ni->rdev : 0;
	now(&i->atime);
	i->mtime = i->ctime = i->atime;
	if (S_ISDIR(i->mode)) {
		i->nlink = 2;
		i->dir.next_id = ZUS_DIR_COOKIE_FIRST;
	}
	hash_insert(m, i);
	return i;
}

/* ---- directories ------------------------------------------------------ */

static struct memfs_dirent *dir_find(const struct memfs_inode *dir,
				     const char *name, size_t len)
{
	struct memfs_dirent *d;

	for (d = dir->dir.head; d; d = d->next)
		if (d->namelen == len && !memcmp(d->name, name, len))
			return d;
	return NULL;
}

/*
 * Append an entry: it gets the next id, so cookies only ever grow. Its
 * cost is charged; credit: bytes an entry removed right after frees.
 */
static int dir_add(struct memfs_sb *m, struct memfs_inode *dir,
		   const char *name, size_t len, const struct memfs_inode *i,
		   uint64_t credit)
{
	struct memfs_dirent *d;
	int err = charge(m, DIRENT_COST(len), credit);

	if (err)
		return err;
	d = malloc(sizeof(*d) + len + 1);
	if (!d) {
		uncharge(m, DIRENT_COST(len));
		return -ENOMEM;
	}
	d->id = dir->dir.next_id++;
	d->ino = i->ino;
	d->type = mode_to_dt(i->mode);
	d->namelen = len;
	memcpy(d->name, name, len);
	d->name[len] = '\0';
	d->next = NULL;
	d->prev = dir->dir.tail;
	if (dir->dir.tail)
		dir->dir.tail->next = d;
	else
		dir->dir.head = d;
	dir->dir.tail = d;
	dir->dir.nr_entries++;
	now(&dir->mtime);
	dir->ctime = dir->mtime;
	return 0;
}

static void dir_del(struct memfs_sb *m, struct memfs_inode *dir,
		    struct memfs_dirent *d)
{
	uncharge(m, DIRENT_COST(d->namelen));
	if (d->prev)
		d->prev->next = d->next;
	else
		dir->dir.head = d->next;
	if (d->next)
		d->next->prev = d->prev;
	else
		dir->dir.tail = d->prev;
	dir->dir.nr_entries--;
	now(&dir->mtime);
	dir->ctime = dir->mtime;
	free(d);
}

/* Directory inode ino, or NULL with *err set. */
static struct memfs_inode *get_dir(struct memfs_sb *m, zus_ino_t ino, int *err)
{
	struct memfs_inode *dir = iget(m, ino);

	if (!dir)
		*err = -ENOENT;
	else if (!S_ISDIR(dir->mode))
		*err = -ENOTDIR;
	else if (dir->nlink == 0)
		*err = -ENOENT;		/* removed: no new entries */
	else
		return dir;
	return NULL;
}

/* ---- superblock ops --------------------------------------------------- */

/* host->opt_parse calls this for each option. */
static int memfs_opt(void *arg, const char *key, const char *value)
{
	struct memfs_sb *m = arg;
	uint64_t v;
	int err;

	if (!strcmp(key, "size") && value) {
		err = host->parse_size(value, &v);
		if (!err && !v)
			err = -EINVAL;
		if (!err)
			m->max_pages = (v + MEMFS_PAGE - 1) / MEMFS_PAGE;
	} else if (!strcmp(key, "nr_inodes") && value) {
		err = host->parse_size(value, &m->max_inodes);
	} else {
		host->log(ZUS_LOG_ERR, "memfs: unknown option '%s'", key);
		return -EINVAL;
	}
	if (err)
		host->log(ZUS_LOG_ERR, "memfs: bad value '%s' of %s", value,
			  key);
	return err ? -EINVAL : 0;
}

/* init: once per zusd, before any mount: what memfs can do. */
static int memfs_init(const struct zus_host *h, struct zus_conn *conn,
		      void **fs_priv)
{
	(void)fs_priv;
	host = h;
	conn->want = ZUS_CAP_XATTR | ZUS_CAP_ACL | ZUS_CAP_MMAP |
		     ZUS_CAP_FALLOCATE | ZUS_CAP_TMPFILE |
		     ZUS_CAP_COPY_RANGE | ZUS_CAP_SEEK_DATA |
		     ZUS_CAP_RENAME_EXCHANGE;
#ifdef MEMFS_OPEN_HANDLES
	/* the test build also takes notifications (the tests send them) */
	conn->want |= ZUS_CAP_OPEN | ZUS_CAP_NOTIFY;
#endif
	conn->max_file_size = MEMFS_MAX_SIZE;
	return 0;
}

/* Options: size=BYTES[kmgt] (default: half of RAM), nr_inodes=N. */
static int memfs_mount(const struct zus_ctx *ctx, const char *source,
		       const char *options, unsigned int flags,
		       zus_ino_t *root)
{
	struct zus_new_inode rootni = { .mode = S_IFDIR | 0755 };
	struct memfs_sb *m = calloc(1, sizeof(*m));
	struct memfs_inode *r;
	struct sysinfo si;
	int err;

	if (!m)
		return -ENOMEM;
	if (sysinfo(&si) == 0)
		m->max_pages = (uint64_t)si.totalram * si.mem_unit / 2 / MEMFS_PAGE;
	else
		m->max_pages = 1ULL << 18;
	m->max_inodes = m->max_pages;
	(void)source;
	(void)flags;			/* memfs: the VFS refuses writes */
#ifdef MEMFS_OPEN_HANDLES
	m->mount_flags = flags;
#endif
	err = host->opt_parse(options, memfs_opt, m);
	if (err)
		goto out_free;
	m->hash_size = 64;
	m->hash = calloc(m->hash_size, sizeof(*m->hash));
	if (!m->hash) {
		err = -ENOMEM;
		goto out_free;
	}
	pthread_rwlock_init(&m->lock, NULL);
#ifdef MEMFS_OPEN_HANDLES
	pthread_mutex_init(&m->hlock, NULL);
#endif
	m->next_ino = MEMFS_ROOT_INO;
	m->max_inodes++;		/* the root does not count */
	r = inode_new(m, &rootni, &err);
	if (!r)
		goto out_hash;
	r->dir.parent = r->ino;
	ctx->sb->priv = m;
	*root = r->ino;
	return 0;

out_hash:
	free(m->hash);
out_free:
	free(m);
	return err;
}

static void memfs_umount(struct zus_sb *sb)
{
	struct memfs_sb *m = MSB(sb);

#ifdef MEMFS_OPEN_HANDLES
	if (m->inval_at_umount)		/* test hook: what does the host say? */
		host->log(ZUS_LOG_NOTICE, "memfs-oh: notify_inval_inode in umount: %d",
			  host->notify_inval_inode(sb, m->inval_at_umount,
						   -1, 0));
	{
		char text[256];

		oh_stats_text(m, text, sizeof(text));
		host->log(ZUS_LOG_NOTICE, "memfs-oh: umount: %s", text);
	}
#endif

	for (size_t b = 0; b < m->hash_size; b++)
		while (m->hash[b])
			inode_free(m, m->hash[b]);
	free(m->hash);
	pthread_rwlock_destroy(&m->lock);
#ifdef MEMFS_OPEN_HANDLES
	if (m->live_handles)
		host->log(ZUS_LOG_ERR, "memfs: %zu open handle(s) never released",
			  m->live_handles);
	free(m->handles);
	pthread_mutex_destroy(&m->hlock);
#endif
	free(m);
}

static int memfs_statfs(const struct zus_ctx *ctx, struct zus_statfs *st)
{
	struct zus_sb *sb = ctx->sb;
	struct memfs_sb *m = MSB(sb);

	pthread_rwlock_rdlock(&m->lock);
	st->bsize = MEMFS_PAGE;
	st->blocks = m->max_pages;
	st->bfree = st->bavail = space_left(m) / MEMFS_PAGE;
	st->files = m->max_inodes;
	st->ffree = m->max_inodes - m->nr_inodes;
	st->namelen = ZUS_NAME_MAX;
	pthread_rwlock_unlock(&m->lock);
	return 0;
}

/* ---- inode ops -------------------------------------------------------- */

static int memfs_lookup(const struct zus_ctx *ctx, zus_ino_t dirino, const char *name,
			size_t namelen, struct zus_attr *attr)
{
	struct zus_sb *sb = ctx->sb;
	struct memfs_sb *m = MSB(sb);
	struct memfs_inode *dir, *i;
	struct memfs_dirent *d;
	int err = -ENOENT;

#ifdef MEMFS_OPEN_HANDLES
	if (ctx->flags & ZUS_CTX_FH)	/* a lookup is about no open */
		oh_bad(m, "lookup", dirino);
#endif
	/* The lookup count changes: exclusive. */
	pthread_rwlock_wrlock(&m->lock);
	dir = get_dir(m, dirino, &err);
	if (dir) {
		d = dir_find(dir, name, namelen);
		err = -ENOENT;
		if (d) {
			i = iget(m, d->ino);
			i->nlookup++;
			fill_attr(i, attr);
			err = 0;
		}
	}
	pthread_rwlock_unlock(&m->lock);
	return err;
}

static void memfs_forget(const struct zus_ctx *ctx, zus_ino_t ino, uint64_t nlookup)
{
	struct zus_sb *sb = ctx->sb;
	struct memfs_sb *m = MSB(sb);
	struct memfs_inode *i;

	pthread_rwlock_wrlock(&m->lock);
	i = iget(m, ino);
	if (i) {
		i->nlookup -= nlookup < i->nlookup ? nlookup : i->nlookup;
		inode_put_maybe(m, i);
	}
	pthread_rwlock_unlock(&m->lock);
}

static int memfs_getattr(const struct zus_ctx *ctx, zus_ino_t ino,
			 struct zus_attr *attr)
{
	struct zus_sb *sb = ctx->sb;
	struct memfs_sb *m = MSB(sb);
	struct memfs_inode *i;

	pthread_rwlock_rdlock(&m->lock);
	i = iget(m, ino);
	if (i)
		fill_attr(i, attr);
	pthread_rwlock_unlock(&m->lock);
	return i ? 0 : -ENOENT;
}

static int memfs_setattr(const struct zus_ctx *ctx, zus_ino_t ino,
			 const struct zus_setattr *sa, struct zus_attr *attr)
{
	struct zus_sb *sb = ctx->sb;
	struct memfs_sb *m = MSB(sb);
	struct memfs_inode *i;
	int err = 0;

	FH_CHECK(ctx, ino);
	pthread_rwlock_wrlock(&m->lock);
	i = iget(m, ino);
	if (!i) {
		err = -ENOENT;
		goto out;
	}
	if (sa->valid & ZUS_SET_SIZE) {
		if (S_ISDIR(i->mode))
			err = -EISDIR;
		else if (!S_ISREG(i->mode))
			err = -EINVAL;
		else
			err = set_size(m, i, sa->size);
		if (err)
			goto out;
		now(&i->mtime);
	}
	if (sa->valid & ZUS_SET_MODE)
		i->mode = (i->mode & S_IFMT) | (sa->mode & 07777);
	if (sa->valid & ZUS_SET_UID)
		i->uid = sa->uid;
	if (sa->valid & ZUS_SET_GID)
		i->gid = sa->gid;
	if (sa->valid & ZUS_SET_ATIME) {
		if (sa->valid & ZUS_SET_ATIME_NOW)
			now(&i->atime);
		else
			i->atime = sa->atime;
	}
	if (sa->valid & ZUS_SET_MTIME) {
		if (sa->valid & ZUS_SET_MTIME_NOW)
			now(&i->mtime);
		else
			i->mtime = sa->mtime;
	}
	if (sa->valid & ZUS_SET_CTIME)
		i->ctime = sa->ctime;
	else
		now(&i->ctime);
	fill_attr(i, attr);
out:
	pthread_rwlock_unlock(&m->lock);
	return err;
}

/* Common part of mknod, mkdir, symlink: a new inode with a name in dir. */
/* The attributes a new inode carries from its first moment (LSM label,
 * inherited ACL): all of them, or the create fails. */
static int initial_xattrs(struct memfs_sb *m, struct memfs_inode *i,
			  const struct zus_new_inode *ni)
{
	for (uint32_t k = 0; k < ni->nr_xattrs; k++) {
		const struct zus_xattr *x = &ni->xattrs[k];
		void *v = malloc(x->size ? x->size : 1);
		int err;

		if (!v)
			return -ENOMEM;
		memcpy(v, x->value, x->size);
		err = xattr_set_locked(m, i, x->name, &v, x->size,
				       ZUS_XATTR_CREATE);
		free(v);
		if (err)
			return err;
	}
	return 0;
}

static int create_common(struct zus_sb *sb, zus_ino_t dirino, const char *name,
			 size_t namelen, const struct zus_new_inode *ni,
			 const char *target, struct zus_attr *attr)
{
	struct memfs_sb *m = MSB(sb);
	struct memfs_inode *dir, *i;
	int err = 0;

	pthread_rwlock_wrlock(&m->lock);
	dir = get_dir(m, dirino, &err);
	if (!dir)
		goto out;
	if (dir_find(dir, name, namelen)) {
		err = -EEXIST;
		goto out;
	}
	if (S_ISDIR(ni->mode) && dir->nlink >= MEMFS_LINK_MAX) {
		err = -EMLINK;
		goto out;
	}
	i = inode_new(m, ni, &err);
	if (!i)
		goto out;
	err = initial_xattrs(m, i, ni);
	if (!err && target) {
		i->size = strlen(target);
		err = charge(m, TARGET_COST(i->size), 0);
		if (!err) {
			i->target = strdup(target);
			if (!i->target) {
				uncharge(m, TARGET_COST(i->size));
				err = -ENOMEM;
			}
		}
	}
	if (!err)
		err = dir_add(m, dir, name, namelen, i, 0);
	if (err) {
		inode_free(m, i);
		goto out;
	}
	if (S_ISDIR(i->mode)) {
		i->dir.parent = dir->ino;
		dir->nlink++;		/* the child's ".." */
	} else {
		i->nlink = 1;
	}
	i->nlookup = 1;
	fill_attr(i, attr);
out:
	pthread_rwlock_unlock(&m->lock);
	return err;
}

static int memfs_mknod(const struct zus_ctx *ctx, zus_ino_t dir, const char *name,
		       size_t namelen, const struct zus_new_inode *ni,
		       struct zus_attr *attr)
{
	struct zus_sb *sb = ctx->sb;
	return create_common(sb, dir, name, namelen, ni, NULL, attr);
}

static int memfs_mkdir(const struct zus_ctx *ctx, zus_ino_t dir, const char *name,
		       size_t namelen, const struct zus_new_inode *ni,
		       struct zus_attr *attr)
{
	struct zus_sb *sb = ctx->sb;
	return create_common(sb, dir, name, namelen, ni, NULL, attr);
}

static int memfs_symlink(const struct zus_ctx *ctx, zus_ino_t dir, const char *name,
			 size_t namelen, const char *target, size_t targetlen,
			 const struct zus_new_inode *ni, struct zus_attr *attr)
{
	struct zus_sb *sb = ctx->sb;
	return create_common(sb, dir, name, namelen, ni, target, attr);
}

static int memfs_tmpfile(const struct zus_ctx *ctx, zus_ino_t dirino,
			 const struct zus_new_inode *ni, struct zus_attr *attr)
{
	struct zus_sb *sb = ctx->sb;
	struct memfs_sb *m = MSB(sb);
	struct memfs_inode *i = NULL;
	int err = 0;

	pthread_rwlock_wrlock(&m->lock);
	if (get_dir(m, dirino, &err))
		i = inode_new(m, ni, &err);
	if (i) {
		err = initial_xattrs(m, i, ni);
		if (err) {
			inode_free(m, i);
			i = NULL;
		}
	}
	if (i) {
		i->nlink = 0;		/* no name: lives while referenced */
		i->nlookup = 1;
		fill_attr(i, attr);
	}
	pthread_rwlock_unlock(&m->lock);
	return err;
}

static ssize_t memfs_readlink(const struct zus_ctx *ctx, zus_ino_t ino, char *buf,
			      size_t size)
{
	struct zus_sb *sb = ctx->sb;
	struct memfs_sb *m = MSB(sb);
	struct memfs_inode *i;
	ssize_t ret;

	pthread_rwlock_rdlock(&m->lock);
	i = iget(m, ino);
	if (!i)
		ret = -ENOENT;
	else if (!S_ISLNK(i->mode))
		ret = -EINVAL;
	else if (i->size > size)
		ret = -ERANGE;
	else {
		memcpy(buf, i->target, i->size);
		ret = i->size;
	}
	pthread_rwlock_unlock(&m->lock);
	return ret;
}

static int memfs_link(const struct zus_ctx *ctx, zus_ino_t ino, zus_ino_t newdir,
		      const char *name, size_t namelen, struct zus_attr *attr)
{
	struct zus_sb *sb = ctx->sb;
	struct memfs_sb *m = MSB(sb);
	struct memfs_inode *dir, *i;
	int err = 0;

	pthread_rwlock_wrlock(&m->lock);
	dir = get_dir(m, newdir, &err);
	if (!dir)
		goto out;
	i = iget(m, ino);
	if (!i)
		err = -ENOENT;
	else if (S_ISDIR(i->mode))
		err = -EPERM;
	else if (i->nlink >= MEMFS_LINK_MAX)
		err = -EMLINK;
	else if (dir_find(dir, name, namelen))
		err = -EEXIST;
	else
		err = dir_add(m, dir, name, namelen, i, 0);
	if (err)
		goto out;
	i->nlink++;			/* also brings a tmpfile to life */
	i->nlookup++;
	now(&i->ctime);
	fill_attr(i, attr);
out:
	pthread_rwlock_unlock(&m->lock);
	return err;
}

/* Remove entry d of dir that names i; drop the link it held. */
static void remove_entry(struct memfs_sb *m, struct memfs_inode *dir,
			 struct memfs_dirent *d, struct memfs_inode *i)
{
	dir_del(m, dir, d);
	if (S_ISDIR(i->mode)) {
		i->nlink = 0;		/* "." and the name go together */
		dir->nlink--;		/* the child's ".." */
	} else {
		i->nlink--;
	}
	now(&i->ctime);
	inode_put_maybe(m, i);
}

static int remove_common(struct zus_sb *sb, zus_ino_t dirino, const char *name,
			 size_t namelen, bool want_dir)
{
	struct memfs_sb *m = MSB(sb);
	struct memfs_inode *dir, *i;
	struct memfs_dirent *d;
	int err = 0;

	pthread_rwlock_wrlock(&m->lock);
	dir = get_dir(m, dirino, &err);
	if (!dir)
		goto out;
	d = dir_find(dir, name, namelen);
	if (!d) {
		err = -ENOENT;
		goto out;
	}
	i = iget(m, d->ino);
	if (want_dir && !S_ISDIR(i->mode))
		err = -ENOTDIR;
	else if (!want_dir && S_ISDIR(i->mode))
		err = -EISDIR;
	else if (want_dir && i->dir.nr_entries)
		err = -ENOTEMPTY;
	else
		remove_entry(m, dir, d, i);
out:
	pthread_rwlock_unlock(&m->lock);
	return err;
}

static int memfs_unlink(const struct zus_ctx *ctx, zus_ino_t dir, const char *name,
			size_t namelen)
{
	struct zus_sb *sb = ctx->sb;
	return remove_common(sb, dir, name, namelen, false);
}

static int memfs_rmdir(const struct zus_ctx *ctx, zus_ino_t dir, const char *name,
		       size_t namelen)
{
	struct zus_sb *sb = ctx->sb;
	return remove_common(sb, dir, name, namelen, true);
}

/* Is directory a the same as, or an ancestor of, directory b? */
static bool is_ancestor(struct memfs_sb *m, struct memfs_inode *a,
			struct memfs_inode *b)
{
	for (;;) {
		if (a == b)
			return true;
		if (b->ino == MEMFS_ROOT_INO)
			return false;
		b = iget(m, b->dir.parent);
	}
}

/* Point entry d at inode i (for rename): the name stays, its cookie too. */
static void retarget(struct memfs_dirent *d, const struct memfs_inode *i)
{
	d->ino = i->ino;
	d->type = mode_to_dt(i->mode);
}

static int memfs_rename(const struct zus_ctx *ctx, zus_ino_t olddirino,
			const char *oldname, size_t oldlen, zus_ino_t newdirino,
			const char *newname, size_t newlen, unsigned int flags)
{
	struct zus_sb *sb = ctx->sb;
	struct memfs_sb *m = MSB(sb);
	struct memfs_inode *od, *nd, *oi, *ni = NULL;
	struct memfs_dirent *odent, *ndent;
	int err = 0;

	if (flags & ~(ZUS_RENAME_NOREPLACE | ZUS_RENAME_EXCHANGE))
		return -EINVAL;		/* WHITEOUT is for overlayfs */
	if ((flags & ZUS_RENAME_NOREPLACE) && (flags & ZUS_RENAME_EXCHANGE))
		return -EINVAL;

	pthread_rwlock_wrlock(&m->lock);
	od = get_dir(m, olddirino, &err);
	nd = od ? get_dir(m, newdirino, &err) : NULL;
	if (!nd)
		goto out;
	odent = dir_find(od, oldname, oldlen);
	if (!odent) {
		err = -ENOENT;
		goto out;
	}
	oi = iget(m, odent->ino);
	ndent = dir_find(nd, newname, newlen);
	if (ndent)
		ni = iget(m, ndent->ino);
	if (ndent == odent)
		goto out;			/* same name: nothing to do */
	if (oi == ni)
		goto out;			/* hard links to one inode */

	/* A directory must not move below itself. */
	if (S_ISDIR(oi->mode) && od != nd && is_ancestor(m, oi, nd)) {
		err = -EINVAL;
		goto out;
	}

	if (flags & ZUS_RENAME_EXCHANGE) {
		if (!ni) {
			err = -ENOENT;
			goto out;
		}
		if (S_ISDIR(ni->mode) && od != nd && is_ancestor(m, ni, od)) {
			err = -EINVAL;
			goto out;
		}
		/* Swap what the two names point at. */
		retarget(odent, ni);
		retarget(ndent, oi);
		if (od != nd) {
			if (S_ISDIR(oi->mode)) {
				oi->dir.parent = nd->ino;
				od->nlink--;
				nd->nlink++;
			}
			if (S_ISDIR(ni->mode)) {
				ni->dir.parent = od->ino;
				nd->nlink--;
				od->nlink++;
			}
		}
		now(&od->mtime);
		od->ctime = nd->mtime = nd->ctime = od->mtime;
		oi->ctime = ni->ctime = od->mtime;
		goto out;
	}

	if (ni) {
		if (flags & ZUS_RENAME_NOREPLACE) {
			err = -EEXIST;
			goto out;
		}
		if (S_ISDIR(oi->mode) && !S_ISDIR(ni->mode)) {
			err = -ENOTDIR;
			goto out;
		}
		if (!S_ISDIR(oi->mode) && S_ISDIR(ni->mode)) {
			err = -EISDIR;
			goto out;
		}
		if (S_ISDIR(ni->mode) && ni->dir.nr_entries) {
			err = -ENOTEMPTY;
			goto out;
		}
	}
	if (S_ISDIR(oi->mode) && od != nd && nd->nlink >= MEMFS_LINK_MAX) {
		err = -EMLINK;
		goto out;
	}
	/* Add the new name first: the only step that can fail. */
	if (ni) {
		/* Replace: the target's entry now names oi; drop ni's link. */
		retarget(ndent, oi);
		if (S_ISDIR(ni->mode)) {
			ni->nlink = 0;
			nd->nlink--;
		} else {
			ni->nlink--;
		}
		now(&ni->ctime);
		inode_put_maybe(m, ni);
		now(&nd->mtime);
		nd->ctime = nd->mtime;
	} else {
		/* the old entry goes right after: only the difference counts */
		err = dir_add(m, nd, newname, newlen, oi,
			      DIRENT_COST(odent->namelen));
		if (err)
			goto out;
	}
	dir_del(m, od, odent);
	if (S_ISDIR(oi->mode) && od != nd) {
		oi->dir.parent = nd->ino;
		od->nlink--;
		nd->nlink++;
	}
	now(&oi->ctime);
out:
	pthread_rwlock_unlock(&m->lock);
	return err;
}

/* ---- per-open handles (the memfs-oh build: ZUS_CAP_OPEN) ---------------
 *
 * memfs keeps no per-open state (an open, unlinked file lives on through
 * its lookup count). The memfs-oh build of this file asks for
 * ZUS_CAP_OPEN anyway, to exercise every per-open op of a transport: open,
 * opendir and create hand out handles, and every op that receives one
 * checks that it names a live open of the inode it is about (a transport
 * that passes a stale or wrong handle gets -EBADF and a log line). The
 * handles are counted; umount logs the ones never released.
 */
#ifdef MEMFS_OPEN_HANDLES
struct memfs_handle {
	zus_ino_t ino;			/* 0: free slot */
	bool dir;
	unsigned int flags;
};

/* A wrong handle, or a handle where none belongs: counted, logged. */
static void oh_bad(struct memfs_sb *m, const char *op, zus_ino_t ino)
{
	pthread_mutex_lock(&m->hlock);
	m->stats.bad++;
	pthread_mutex_unlock(&m->hlock);
	host->log(ZUS_LOG_ERR, "memfs-oh: %s of inode %llu with a wrong handle",
		  op, (unsigned long long)ino);
}

static int fh_new(struct memfs_sb *m, zus_ino_t ino, bool dir,
		  unsigned int flags, struct zus_open_out *out)
{
	size_t k;
	int err = 0;

	pthread_mutex_lock(&m->hlock);
	for (k = 0; k < m->nr_handles && m->handles[k].ino; k++)
		;
	if (k == m->nr_handles) {
		size_t n = m->nr_handles ? m->nr_handles * 2 : 64;
		void *t = realloc(m->handles, n * sizeof(*m->handles));

		if (!t) {
			err = -ENOMEM;
			goto out;
		}
		m->handles = t;
		memset(m->handles + m->nr_handles, 0,
		       (n - m->nr_handles) * sizeof(*m->handles));
		m->nr_handles = n;
	}
	m->handles[k] = (struct memfs_handle){ ino, dir, flags };
	m->live_handles++;
	out->fh = k + 1;
out:
	pthread_mutex_unlock(&m->hlock);
	return err;
}

/*
 * The op is about ino; if it carries a handle, it must be ino's; a
 * release or releasedir frees it (and must be of a file, a directory).
 */
static int fh_check(const struct zus_ctx *ctx, zus_ino_t ino, uint64_t fh,
		    enum fh_use use)
{
	struct memfs_sb *m = MSB(ctx->sb);
	bool ok;

	pthread_mutex_lock(&m->hlock);
	ok = fh && fh <= m->nr_handles && m->handles[fh - 1].ino == ino &&
	     (use == FH_USE ||
	      m->handles[fh - 1].dir == (use == FH_RELEASEDIR));
	if (ok && use != FH_USE) {
		m->handles[fh - 1].ino = 0;
		m->live_handles--;
		if (use == FH_RELEASE)
			m->stats.release++;
		else
			m->stats.releasedir++;
	}
	if (!ok)
		m->stats.bad++;
	pthread_mutex_unlock(&m->hlock);
	if (ok)
		return 0;
	host->log(ZUS_LOG_ERR, "memfs: handle %llu is not an open of inode %llu",
		  (unsigned long long)fh, (unsigned long long)ino);
	return -EBADF;
}

static void oh_count(struct memfs_sb *m, uint64_t *counter)
{
	pthread_mutex_lock(&m->hlock);
	(*counter)++;
	pthread_mutex_unlock(&m->hlock);
}

/* open and opendir: a handle for an inode of the right kind */
static int open_common(const struct zus_ctx *ctx, zus_ino_t ino, bool dir,
		       unsigned int flags, struct zus_open_out *out)
{
	struct memfs_sb *m = MSB(ctx->sb);
	struct memfs_inode *i;
	bool isdir;
	int err;

	if (ctx->flags & ZUS_CTX_FH)
		oh_bad(m, dir ? "opendir" : "open", ino);
	pthread_rwlock_rdlock(&m->lock);
	i = iget(m, ino);
	isdir = i && S_ISDIR(i->mode);
	pthread_rwlock_unlock(&m->lock);
	if (!i)
		return -ENOENT;
	if (isdir != dir)
		return dir ? -ENOTDIR : -EISDIR;
	err = fh_new(m, ino, dir, flags, out);
	if (!err)
		oh_count(m, dir ? &m->stats.opendir : &m->stats.open);
	return err;
}

static int memfs_open(const struct zus_ctx *ctx, zus_ino_t ino,
		      unsigned int flags, struct zus_open_out *out)
{
	return open_common(ctx, ino, false, flags, out);
}

static int memfs_opendir(const struct zus_ctx *ctx, zus_ino_t ino,
			 unsigned int flags, struct zus_open_out *out)
{
	return open_common(ctx, ino, true, flags, out);
}

static void memfs_release(const struct zus_ctx *ctx, zus_ino_t ino,
			  unsigned int flags)
{
	(void)flags;
	fh_check(ctx, ino, ctx->fh, FH_RELEASE);
}

static void memfs_releasedir(const struct zus_ctx *ctx, zus_ino_t ino,
			     unsigned int flags)
{
	(void)flags;
	fh_check(ctx, ino, ctx->fh, FH_RELEASEDIR);
}

static int memfs_flush(const struct zus_ctx *ctx, zus_ino_t ino)
{
	struct memfs_sb *m = MSB(ctx->sb);
	int err = 0;

	FH_CHECK(ctx, ino);
	oh_count(m, &m->stats.flush);
	pthread_mutex_lock(&m->hlock);	/* test hook: "flush-error" */
	if (m->flush_err_ino == ino) {
		err = -m->flush_err;
		m->flush_err_ino = 0;
	}
	pthread_mutex_unlock(&m->hlock);
	return err;
}

/* memfs-oh only: the fsync op run in the VM (pmemfs needs none); its
 * handle is checked like every op's on an open file */
static int memfs_fsync(const struct zus_ctx *ctx, zus_ino_t ino,
		       int datasync)
{
	(void)datasync;
	FH_CHECK(ctx, ino);
	oh_count(MSB(ctx->sb), &MSB(ctx->sb)->stats.fsync);
	return 0;		/* nothing to make durable */
}

static int memfs_fsyncdir(const struct zus_ctx *ctx, zus_ino_t ino,
			  int datasync)
{
	(void)datasync;
	FH_CHECK(ctx, ino);
	oh_count(MSB(ctx->sb), &MSB(ctx->sb)->stats.fsyncdir);
	return 0;		/* nothing to make durable */
}

static int memfs_create(const struct zus_ctx *ctx, zus_ino_t dir,
			const char *name, size_t namelen,
			const struct zus_new_inode *ni, unsigned int flags,
			struct zus_attr *attr, struct zus_open_out *out)
{
	int err;

	if (ctx->flags & ZUS_CTX_FH)
		oh_bad(MSB(ctx->sb), "create", dir);
	err = create_common(ctx->sb, dir, name, namelen, ni, NULL, attr);
	if (err)
		return err;
	err = fh_new(MSB(ctx->sb), attr->ino, false, flags, out);
	if (err) {
		/* not opened: the create is undone (the lookup given back) */
		remove_common(ctx->sb, dir, name, namelen, false);
		memfs_forget(ctx, attr->ino, 1);
		return err;
	}
	oh_count(MSB(ctx->sb), &MSB(ctx->sb)->stats.create);
	return 0;
}
#endif /* MEMFS_OPEN_HANDLES */

/* ---- readdir ---------------------------------------------------------- */

/*
 * Entries are kept in id order and ids only grow, so "the entries after
 * cookie" are those with id > cookie, whatever was added or removed since.
 */
static int memfs_readdir(const struct zus_ctx *ctx, zus_ino_t dirino,
			 uint64_t cookie, struct zus_dir_ctx *dctx)
{
	struct zus_sb *sb = ctx->sb;
	struct memfs_sb *m = MSB(sb);
	struct memfs_inode *dir;
	struct memfs_dirent *d;
	int err = ZUS_DIR_EOF;

	FH_CHECK(ctx, dirino);
	pthread_rwlock_rdlock(&m->lock);
	dir = iget(m, dirino);
	if (!dir)
		err = -ENOENT;
	else if (!S_ISDIR(dir->mode))
		err = -ENOTDIR;
	else
		for (d = dir->dir.head; d; d = d->next) {
			if (d->id <= cookie)
				continue;
			if (host->dir_emit(dctx, d->name, d->namelen, d->ino,
					   d->type, d->id)) {
				err = 0;	/* full: asked again */
				break;
			}
		}
	pthread_rwlock_unlock(&m->lock);
	return err;
}

/* ---- file data -------------------------------------------------------- */

static ssize_t memfs_read(const struct zus_ctx *ctx, zus_ino_t ino, void *buf,
			  size_t len, uint64_t off)
{
	struct zus_sb *sb = ctx->sb;
	struct memfs_sb *m = MSB(sb);
	struct memfs_inode *i;
	ssize_t ret = 0;

	FH_CHECK(ctx, ino);
	pthread_rwlock_rdlock(&m->lock);
	i = iget(m, ino);
	if (!i || !S_ISREG(i->mode)) {
		ret = !i ? -ENOENT : S_ISDIR(i->mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	if (off >= i->size)
		goto out;
	if (len > i->size - off)
		len = i->size - off;
	while ((size_t)ret < len) {
		uint64_t pos = off + ret;
		size_t in = pos % MEMFS_PAGE;
		size_t n = MEMFS_PAGE - in;
		const char *p = page_lookup(i, pos / MEMFS_PAGE);

		if (n > len - ret)
			n = len - ret;
		if (p)
			memcpy((char *)buf + ret, p + in, n);
		else
			memset((char *)buf + ret, 0, n);	/* hole */
		ret += n;
	}
out:
	pthread_rwlock_unlock(&m->lock);
	return ret;
}

static ssize_t memfs_write(const struct zus_ctx *ctx, zus_ino_t ino, const void *buf,
			   size_t len, uint64_t off, unsigned int flags)
{
	struct zus_sb *sb = ctx->sb;
	struct memfs_sb *m = MSB(sb);
	struct memfs_inode *i;
	ssize_t ret = 0;

	FH_CHECK(ctx, ino);
	pthread_rwlock_wrlock(&m->lock);
	i = iget(m, ino);
	if (!i || !S_ISREG(i->mode)) {
		ret = !i ? -ENOENT : S_ISDIR(i->mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	if (flags & ZUS_WRITE_APPEND)
		off = i->size;
	if (off >= MEMFS_MAX_SIZE) {
		ret = len ? -EFBIG : 0;
		goto out;
	}
	if (len > MEMFS_MAX_SIZE - off)
		len = MEMFS_MAX_SIZE - off;
	while ((size_t)ret < len) {
		uint64_t pos = off + ret;
		size_t in = pos % MEMFS_PAGE;
		size_t n = MEMFS_PAGE - in;
		char *p = page_get(m, i, pos / MEMFS_PAGE);

		if (!p) {
			if (!ret)
				ret = -ENOSPC;
			break;
		}
		if (n > len - ret)
			n = len - ret;
		memcpy(p + in, (const char *)buf + ret, n);
		ret += n;
	}
	if (ret > 0) {
		if (off + ret > i->size)
			i->size = off + ret;
		now(&i->mtime);
		i->ctime = i->mtime;
	}
out:
	pthread_rwlock_unlock(&m->lock);
	return ret;
}

static int memfs_fallocate(const struct zus_ctx *ctx, zus_ino_t ino, unsigned int mode,
			   uint64_t off, uint64_t len)
{
	struct zus_sb *sb = ctx->sb;
	struct memfs_sb *m = MSB(sb);
	struct memfs_inode *i;
	uint64_t end = off + len;
	int err = 0;

	if (mode & ~(ZUS_FALLOC_KEEP_SIZE | ZUS_FALLOC_PUNCH_HOLE |
		     ZUS_FALLOC_ZERO_RANGE))
		return -EOPNOTSUPP;
	if ((mode & ZUS_FALLOC_PUNCH_HOLE) && !(mode & ZUS_FALLOC_KEEP_SIZE))
		return -EOPNOTSUPP;
	if (!len || end < off || end > MEMFS_MAX_SIZE)
		return end > MEMFS_MAX_SIZE ? -EFBIG : -EINVAL;

	FH_CHECK(ctx, ino);
	pthread_rwlock_wrlock(&m->lock);
	i = iget(m, ino);
	if (!i || !S_ISREG(i->mode)) {
		err = !i ? -ENOENT : S_ISDIR(i->mode) ? -EISDIR : -ENODEV;
		goto out;
	}
	if (mode & (ZUS_FALLOC_PUNCH_HOLE | ZUS_FALLOC_ZERO_RANGE)) {
		/* memfs: a zeroed range is a hole; both free the pages. */
		punch(m, i, off, end);
	} else {
		for (uint64_t pg = off / MEMFS_PAGE;
		     pg <= (end - 1) / MEMFS_PAGE; pg++)
			if (!page_get(m, i, pg)) {
				err = -ENOSPC;
				goto out;
			}
	}
	if (!(mode & ZUS_FALLOC_KEEP_SIZE) && end > i->size)
		i->size = end;
	now(&i->mtime);
	i->ctime = i->mtime;
out:
	pthread_rwlock_unlock(&m->lock);
	return err;
}

static int64_t memfs_lseek(const struct zus_ctx *ctx, zus_ino_t ino, uint64_t off,
			   int whence)
{
	struct zus_sb *sb = ctx->sb;
	struct memfs_sb *m = MSB(sb);
	struct memfs_inode *i;
	int64_t ret;

	FH_CHECK(ctx, ino);
	pthread_rwlock_rdlock(&m->lock);
	i = iget(m, ino);
	if (!i || !S_ISREG(i->mode)) {
		ret = !i ? -ENOENT : -EINVAL;
	} else if (off >= i->size) {
		ret = -ENXIO;
	} else {
		/* First page at or after off's page. */
		size_t k = page_find(i, off / MEMFS_PAGE);
		uint64_t pos = off;

		if (whence == ZUS_SEEK_DATA) {
			if (k == i->file.nr_pages)
				ret = -ENXIO;
			else {
				uint64_t ps = i->file.pages[k].pgoff * MEMFS_PAGE;

				ret = ps > off ? ps : off;
				if ((uint64_t)ret >= i->size)
					ret = -ENXIO;
			}
		} else {	/* ZUS_SEEK_HOLE: first missing page */
			for (; k < i->file.nr_pages; k++) {
				if (i->file.pages[k].pgoff * MEMFS_PAGE > pos)
					break;	/* gap before this page */
				pos = (i->file.pages[k].pgoff + 1) * MEMFS_PAGE;
			}
			ret = pos < i->size ? pos : i->size;
		}
	}
	pthread_rwlock_unlock(&m->lock);
	return ret;
}

/*
 * copy_file_range within the file system: page by page, and holes stay
 * holes (a hole in the source punches the destination). Overlapping
 * ranges of one file are refused (the kernel never sends them).
 */
static ssize_t memfs_copy_range(const struct zus_ctx *ctx, zus_ino_t ino_in,
				uint64_t fh_in, uint64_t off_in,
				zus_ino_t ino_out, uint64_t off_out, size_t len)
{
	struct zus_sb *sb = ctx->sb;
	struct memfs_sb *m = MSB(sb);
	struct memfs_inode *in, *out;
	ssize_t ret = 0;

	FH_CHECK(ctx, ino_out);
#ifdef MEMFS_OPEN_HANDLES
	if (fh_in && fh_check(ctx, ino_in, fh_in, FH_USE))
		return -EBADF;
#endif
	pthread_rwlock_wrlock(&m->lock);
	in = iget(m, ino_in);
	out = iget(m, ino_out);
	if (!in || !out) {
		ret = -ENOENT;
		goto unlock;
	}
	if (S_ISDIR(in->mode) || S_ISDIR(out->mode)) {
		ret = -EISDIR;
		goto unlock;
	}
	if (!S_ISREG(in->mode) || !S_ISREG(out->mode)) {
		ret = -EINVAL;
		goto unlock;
	}
	if (off_in >= in->size)
		goto unlock;
	if (len > in->size - off_in)
		len = in->size - off_in;
	if (in == out && off_in < off_out + len && off_out < off_in + len) {
		ret = -EINVAL;
		goto unlock;
	}
	if (off_out >= MEMFS_MAX_SIZE) {
		ret = -EFBIG;
		goto unlock;
	}
	if (len > MEMFS_MAX_SIZE - off_out)
		len = MEMFS_MAX_SIZE - off_out;
	while ((size_t)ret < len) {
		uint64_t src = off_in + ret, dst = off_out + ret;
		size_t n = MEMFS_PAGE - src % MEMFS_PAGE;
		const char *sp = page_lookup(in, src / MEMFS_PAGE);
		char *dp;

		if (n > MEMFS_PAGE - dst % MEMFS_PAGE)
			n = MEMFS_PAGE - dst % MEMFS_PAGE;
		if (n > len - ret)
			n = len - ret;
		if (!sp) {			/* a hole stays a hole */
			punch(m, out, dst, dst + n);
			ret += n;
			continue;
		}
		dp = page_get(m, out, dst / MEMFS_PAGE);
		if (!dp) {
			if (!ret)
				ret = -ENOSPC;
			break;
		}
		/* page_get may have moved the page array, not the pages */
		memcpy(dp + dst % MEMFS_PAGE, sp + src % MEMFS_PAGE, n);
		ret += n;
	}
	if (ret > 0) {
		if (off_out + ret > out->size)
			out->size = off_out + ret;
		now(&out->mtime);
		out->ctime = out->mtime;
	}
unlock:
	pthread_rwlock_unlock(&m->lock);
	return ret;
}

/* ---- extended attributes ---------------------------------------------- */

static struct memfs_xattr *xattr_find(const struct memfs_inode *i,
				      const char *name)
{
	struct memfs_xattr *x;

	for (x = i->xattrs; x; x = x->next)
		if (!strcmp(x->name, name))
			return x;
	return NULL;
}

static ssize_t memfs_getxattr(const struct zus_ctx *ctx, zus_ino_t ino,
			      const char *name, void *buf, size_t size)
{
	struct zus_sb *sb = ctx->sb;
	struct memfs_sb *m = MSB(sb);
	struct memfs_inode *i;
	struct memfs_xattr *x;
	ssize_t ret;

#ifdef MEMFS_OPEN_HANDLES
	if (oh_getxattr(ctx, name, buf, size, &ret))
		return ret;
#endif
	pthread_rwlock_rdlock(&m->lock);
	i = iget(m, ino);
	x = i ? xattr_find(i, name) : NULL;
	if (!i)
		ret = -ENOENT;
	else if (!x)
		ret = -ENODATA;
	else if (!size)
		ret = x->size;
	else if (size < x->size)
		ret = -ERANGE;
	else {
		memcpy(buf, x->value, x->size);
		ret = x->size;
	}
	pthread_rwlock_unlock(&m->lock);
	return ret;
}

/* Set one xattr of i (m->lock held for writing); takes value's copy v. */
static int xattr_set_locked(struct memfs_sb *m, struct memfs_inode *i,
			    const char *name, void **v, size_t size,
			    unsigned int flags)
{
	struct memfs_xattr *x = xattr_find(i, name);
	int err;

	if (x && (flags & ZUS_XATTR_CREATE))
		return -EEXIST;
	if (!x && (flags & ZUS_XATTR_REPLACE))
		return -ENODATA;
	if (x) {
		/* the old value goes: only a larger one needs more space */
		err = charge(m, size, x->size);
		if (err)
			return err;
		uncharge(m, x->size);
		free(x->value);
	} else {
		err = charge(m, XATTR_COST(strlen(name), size), 0);
		if (err)
			return err;
		x = calloc(1, sizeof(*x));
		if (x)
			x->name = strdup(name);
		if (!x || !x->name) {
			uncharge(m, XATTR_COST(strlen(name), size));
			free(x);
			return -ENOMEM;
		}
		x->next = i->xattrs;
		i->xattrs = x;
	}
	x->value = *v;
	x->size = size;
	*v = NULL;
	return 0;
}

static int memfs_setxattr(const struct zus_ctx *ctx, zus_ino_t ino,
			  const char *name, const void *value, size_t size,
			  unsigned int flags)
{
	struct memfs_sb *m = MSB(ctx->sb);
	struct memfs_inode *i;
	void *v;
	int err;

#ifdef MEMFS_OPEN_HANDLES
	if (oh_setxattr(ctx, name, value, size, &err))
		return err;
#endif
	v = malloc(size ? size : 1);
	if (!v)
		return -ENOMEM;
	memcpy(v, value, size);

	pthread_rwlock_wrlock(&m->lock);
	i = iget(m, ino);
	err = i ? xattr_set_locked(m, i, name, &v, size, flags) : -ENOENT;
	if (!err)
		now(&i->ctime);
	pthread_rwlock_unlock(&m->lock);
	free(v);
	return err;
}

static ssize_t memfs_listxattr(const struct zus_ctx *ctx, zus_ino_t ino, char *buf,
			       size_t size)
{
	struct zus_sb *sb = ctx->sb;
	struct memfs_sb *m = MSB(sb);
	struct memfs_inode *i;
	struct memfs_xattr *x;
	size_t need = 0;
	ssize_t ret;

	pthread_rwlock_rdlock(&m->lock);
	i = iget(m, ino);
	if (!i) {
		ret = -ENOENT;
		goto out;
	}
	for (x = i->xattrs; x; x = x->next)
		need += strlen(x->name) + 1;
	ret = need;
	if (!size)
		goto out;
	if (size < need) {
		ret = -ERANGE;
		goto out;
	}
	for (x = i->xattrs; x; x = x->next) {
		size_t n = strlen(x->name) + 1;

		memcpy(buf, x->name, n);
		buf += n;
	}
out:
	pthread_rwlock_unlock(&m->lock);
	return ret;
}

static int memfs_removexattr(const struct zus_ctx *ctx, zus_ino_t ino,
			     const char *name)
{
	struct zus_sb *sb = ctx->sb;
	struct memfs_sb *m = MSB(sb);
	struct memfs_inode *i;
	struct memfs_xattr **pp, *x;
	int err = -ENODATA;

	pthread_rwlock_wrlock(&m->lock);
	i = iget(m, ino);
	if (!i) {
		err = -ENOENT;
		goto out;
	}
	for (pp = &i->xattrs; (x = *pp); pp = &x->next) {
		if (strcmp(x->name, name))
			continue;
		*pp = x->next;
		uncharge(m, XATTR_COST(strlen(x->name), x->size));
		free(x->name);
		free(x->value);
		free(x);
		now(&i->ctime);
		err = 0;
		break;
	}
out:
	pthread_rwlock_unlock(&m->lock);
	return err;
}

/* ---- test hooks (the memfs-oh build) -----------------------------------
 *
 * Two xattr names on any inode, never stored, for the VM tests:
 *   trusted.memfs_oh.stats  (get) what the per-open ops saw, as
 *       "open=N create=N opendir=N flush=N release=N releasedir=N
 *        fsyncdir=N fsync=N bad=N live=N mount_flags=N" (fixed-width
 *        numbers;
 *        mount_flags: the ZUS_MOUNT_* its mount got);
 *   trusted.memfs_oh.ctl    (set) a command, to change the file system
 *       behind the kernel and to send notifications (the result of
 *       host->notify_* is the setxattr's):
 *         data INO TEXT            INO's contents become TEXT
 *         mode INO OCTAL           INO's permission bits
 *         rename DIR OLD NEW       an entry of DIR renamed
 *         inval-inode INO OFF LEN  host->notify_inval_inode
 *         inval-entry DIR NAME     host->notify_inval_entry
 *         inval-at-umount INO      notify_inval_inode(INO, -1, 0) in
 *                                  umount, its result logged
 *         flush-error INO ERRNO    the next flush of INO (close(2) of
 *                                  one of its descriptors) fails -ERRNO
 *       The changes notify nothing themselves.
 */
#ifdef MEMFS_OPEN_HANDLES
#define OH_PREFIX	"trusted.memfs_oh."

/* The counters as text (trusted.memfs_oh.stats, umount's log line). */
static int oh_stats_text(struct memfs_sb *m, char *text, size_t size)
{
	int n;

	pthread_mutex_lock(&m->hlock);
	n = snprintf(text, size,
		     "open=%010llu create=%010llu opendir=%010llu flush=%010llu release=%010llu releasedir=%010llu fsyncdir=%010llu fsync=%010llu bad=%010llu live=%010zu mount_flags=%010u",
		     (unsigned long long)m->stats.open,
		     (unsigned long long)m->stats.create,
		     (unsigned long long)m->stats.opendir,
		     (unsigned long long)m->stats.flush,
		     (unsigned long long)m->stats.release,
		     (unsigned long long)m->stats.releasedir,
		     (unsigned long long)m->stats.fsyncdir,
		     (unsigned long long)m->stats.fsync,
		     (unsigned long long)m->stats.bad, m->live_handles,
		     m->mount_flags);
	pthread_mutex_unlock(&m->hlock);
	return n;
}

static int oh_getxattr(const struct zus_ctx *ctx, const char *name,
		       void *buf, size_t size, ssize_t *ret)
{
	char text[256];
	int n;

	if (strncmp(name, OH_PREFIX, strlen(OH_PREFIX)))
		return 0;
	if (strcmp(name, OH_PREFIX "stats")) {
		*ret = -ENODATA;
		return 1;
	}
	n = oh_stats_text(MSB(ctx->sb), text, sizeof(text));
	if (!size)
		*ret = n;
	else if (size < (size_t)n)
		*ret = -ERANGE;
	else {
		memcpy(buf, text, (size_t)n);
		*ret = n;
	}
	return 1;
}

/* "data INO TEXT": INO's contents replaced, as a write would. */
static int oh_data(const struct zus_ctx *ctx, zus_ino_t ino, const char *text)
{
	struct memfs_sb *m = MSB(ctx->sb);
	struct zus_ctx c = *ctx;
	struct memfs_inode *i;
	ssize_t n;
	int err;

	c.flags &= ~ZUS_CTX_FH;
	pthread_rwlock_wrlock(&m->lock);
	i = iget(m, ino);
	err = !i ? -ENOENT : !S_ISREG(i->mode) ? -EINVAL : set_size(m, i, 0);
	pthread_rwlock_unlock(&m->lock);
	if (err || !*text)
		return err;
	n = memfs_write(&c, ino, text, strlen(text), 0, 0);
	return n < 0 ? (int)n : 0;
}

static int oh_mode(struct memfs_sb *m, zus_ino_t ino, unsigned int mode)
{
	struct memfs_inode *i;

	pthread_rwlock_wrlock(&m->lock);
	i = iget(m, ino);
	if (i) {
		i->mode = (i->mode & S_IFMT) | (mode & 07777);
		now(&i->ctime);
	}
	pthread_rwlock_unlock(&m->lock);
	return i ? 0 : -ENOENT;
}

static int oh_setxattr(const struct zus_ctx *ctx, const char *name,
		       const void *value, size_t size, int *ret)
{
	struct memfs_sb *m = MSB(ctx->sb);
	unsigned long long ino;
	long long off, len;
	unsigned int mode;
	char a[256], b[256], *cmd;
	int pos = 0;

	if (strncmp(name, OH_PREFIX, strlen(OH_PREFIX)))
		return 0;
	*ret = -EINVAL;
	if (strcmp(name, OH_PREFIX "ctl"))
		return 1;
	cmd = malloc(size + 1);
	if (!cmd) {
		*ret = -ENOMEM;
		return 1;
	}
	memcpy(cmd, value, size);
	cmd[size] = '\0';
	if (sscanf(cmd, "data %llu %n", &ino, &pos) == 1 && pos)
		*ret = oh_data(ctx, ino, cmd + pos);
	else if (sscanf(cmd, "mode %llu %o", &ino, &mode) == 2)
		*ret = oh_mode(m, ino, mode);
	else if (sscanf(cmd, "rename %llu %255s %255s", &ino, a, b) == 3)
		*ret = memfs_rename(ctx, ino, a, strlen(a), ino, b, strlen(b),
				    ZUS_RENAME_NOREPLACE);
	else if (sscanf(cmd, "inval-inode %llu %lld %lld", &ino, &off,
			&len) == 3)
		*ret = host->notify_inval_inode(ctx->sb, ino, off, len);
	else if (sscanf(cmd, "inval-entry %llu %255s", &ino, a) == 2)
		*ret = host->notify_inval_entry(ctx->sb, ino, a, strlen(a));
	else if (sscanf(cmd, "inval-at-umount %llu", &ino) == 1) {
		m->inval_at_umount = ino;
		*ret = 0;
	} else if (sscanf(cmd, "flush-error %llu %d", &ino, &pos) == 2 &&
		   pos > 0 && pos < 512) {
		pthread_mutex_lock(&m->hlock);
		m->flush_err_ino = ino;
		m->flush_err = pos;
		pthread_mutex_unlock(&m->hlock);
		*ret = 0;
	}
	free(cmd);
	if (*ret > 0 || *ret < -511)	/* not an errno: say so */
		*ret = -EPROTO;
	return 1;
}
#endif /* MEMFS_OPEN_HANDLES */

#ifdef MEMFS_OPEN_HANDLES
/* destroy (test build): after the last umount, before dlclose(); the log
 * line is what the VM tests look for (tests/zufs-memfs/lib.sh finish). */
static void memfs_destroy(void *fs_priv)
{
	(void)fs_priv;
	host->log(ZUS_LOG_NOTICE, "memfs-oh: destroy");
}
#endif

/* ---- the ops table and the entry point -------------------------------- */

static const struct zus_fs_ops memfs_ops = {
	.size		= sizeof(struct zus_fs_ops),
	.init		= memfs_init,
	.mount		= memfs_mount,
	.umount		= memfs_umount,
	.statfs		= memfs_statfs,
	/* .sync_fs, .fsync: nothing to make durable (NULL -> -ENOSYS,
	 * which the kernel remembers and stops asking). */
	.lookup		= memfs_lookup,
	.forget		= memfs_forget,
	.getattr	= memfs_getattr,
	.setattr	= memfs_setattr,
	.mknod		= memfs_mknod,
	.mkdir		= memfs_mkdir,
	.symlink	= memfs_symlink,
	.readlink	= memfs_readlink,
	.link		= memfs_link,
	.unlink		= memfs_unlink,
	.rmdir		= memfs_rmdir,
	.rename		= memfs_rename,
	.tmpfile	= memfs_tmpfile,
	.readdir	= memfs_readdir,
	.read		= memfs_read,
	.write		= memfs_write,
	.fallocate	= memfs_fallocate,
	.lseek		= memfs_lseek,
	.getxattr	= memfs_getxattr,
	.setxattr	= memfs_setxattr,
	.listxattr	= memfs_listxattr,
	.removexattr	= memfs_removexattr,
	.copy_range	= memfs_copy_range,
#ifdef MEMFS_OPEN_HANDLES
	.destroy	= memfs_destroy,
	.create		= memfs_create,
	.open		= memfs_open,
	.flush		= memfs_flush,
	.release	= memfs_release,
	.opendir	= memfs_opendir,
	.releasedir	= memfs_releasedir,
	.fsyncdir	= memfs_fsyncdir,
	.fsync		= memfs_fsync,
#endif
};

static const struct zus_plugin memfs_plugin = {
	.size		= sizeof(struct zus_plugin),
	.abi_version	= ZUS_ABI_VERSION,
#ifdef MEMFS_OPEN_HANDLES
	.name		= "memfs-oh",
	.description	= "memfs with per-open handles checked (test build)",
#else
	.name		= "memfs",
	.description	= "in-memory file system (libzus example)",
#endif
	.ops		= &memfs_ops,
};

ZUS_EXPORT const struct zus_plugin *zus_plugin_entry(void)
{
	return &memfs_plugin;
}
