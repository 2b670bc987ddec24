// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuse_memfs_ll - the FUSE baseline of the zufs benchmark: an in-memory
 * file system on the libfuse3 low-level API that does the same work as
 * zusd's memfs plugin (lib/libzus/example/memfs.c), so that
 * "zufs vs FUSE" compares the two paths between the kernel and a
 * user-space file system, not two file systems.
 *
 *   fuse_memfs_ll [-f] [-s] [-o timeout=SEC] [-o direct_io] MOUNTPOINT
 *
 * Same work as memfs:
 *   - inodes in a hash table by number, a lookup count driven by
 *     lookup/forget (an unlinked inode lives until forgotten);
 *   - file data in a sorted array of 4 KiB pages (binary search, holes read
 *     as zeros); reads reply with an iovec pointing at the pages (no copy in
 *     this process, the kernel copies once, as zuf's server writes once);
 *   - directories as a list of entries whose per-directory increasing id is
 *     the readdir cookie; lookup scans the list;
 *   - one read-write lock for the whole file system (lookup, forget and
 *     every change exclusive; getattr, read, readdir shared).
 *
 * FUSE settings (what is fair against zuf, which caches dentries, negative
 * dentries and attributes without timeouts and never caches file data):
 *   - entry, negative-entry and attribute timeouts: -o timeout=SEC,
 *     default 1 s (libfuse's examples' value); lookups that fail reply a
 *     negative entry with the same timeout;
 *   - -o direct_io: open() sets direct_io, so every read and write goes to
 *     this process like on zufs (without it, reads hit the page cache);
 *   - default_permissions (the kernel checks modes, like zuf);
 *   - everything else is libfuse's default: multi-threaded loop
 *     (fuse_session_loop_mt, at most 10 idle threads), no writeback cache,
 *     no splice, no readdirplus (no .readdirplus op).
 */
#define FUSE_USE_VERSION 34

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define FM_PAGE		4096ULL
#define FM_MAX_SIZE	(1ULL << 44)
#define FM_FIRST_COOKIE	3	/* 1 and 2 are "." and ".." */

struct fm_page {
	uint64_t pgoff;
	void *data;
};

struct fm_dirent {
	struct fm_dirent *prev, *next;
	uint64_t id;
	fuse_ino_t ino;
	size_t namelen;
	char name[];
};

struct fm_inode {
	struct fm_inode *hnext;
	fuse_ino_t ino;
	uint32_t mode, uid, gid, nlink;
	uint64_t size, nlookup;
	struct timespec atime, mtime, ctime;
	union {
		struct {
			struct fm_page *pages;
			size_t nr, cap;
		} file;
		struct {
			struct fm_dirent *head, *tail;
			uint64_t next_id;
			fuse_ino_t parent;
		} dir;
	};
};

struct fm_opts {
	double timeout;
	int direct_io;
};

static struct {
	pthread_rwlock_t lock;
	struct fm_inode **hash;
	size_t hash_size, nr_inodes;
	fuse_ino_t next_ino;
	struct fm_opts o;
} fm = { .lock = PTHREAD_RWLOCK_INITIALIZER };

static const char fm_zero[FM_PAGE];

/* ---- inodes ------------------------------------------------------------ */

static struct fm_inode *fm_iget(fuse_ino_t ino)
{
	struct fm_inode *i;

	for (i = fm.hash[ino % fm.hash_size]; i; i = i->hnext)
		if (i->ino == ino)
			return i;
	return NULL;
}

static void fm_hash_insert(struct fm_inode *i)
{
	size_t b;

	if (fm.nr_inodes >= fm.hash_size) {
		size_t nsize = fm.hash_size * 2;
		struct fm_inode **nh = calloc(nsize, sizeof(*nh));

		if (nh) {
			for (size_t k = 0; k < fm.hash_size; k++) {
				struct fm_inode *p = fm.hash[k], *n;

				for (; p; p = n) {
					n = p->hnext;
					p->hnext = nh[p->ino % nsize];
					nh[p->ino % nsize] = p;
				}
			}
			free(fm.hash);
			fm.hash = nh;
			fm.hash_size = nsize;
		}
	}
	b = i->ino % fm.hash_size;
	i->hnext = fm.hash[b];
	fm.hash[b] = i;
	fm.nr_inodes++;
}

static void fm_inode_free(struct fm_inode *i)
{
	struct fm_inode **pp = &fm.hash[i->ino % fm.hash_size];

	while (*pp != i)
		pp = &(*pp)->hnext;
	*pp = i->hnext;
	fm.nr_inodes--;
	if (S_ISREG(i->mode)) {
		for (size_t k = 0; k < i->file.nr; k++)
			free(i->file.pages[k].data);
		free(i->file.pages);
	}
	free(i);
}

/* Free an inode nobody names and the kernel no longer knows. */
static void fm_put_maybe(struct fm_inode *i)
{
	if (i->nlink == 0 && i->nlookup == 0 && i->ino != FUSE_ROOT_ID)
		fm_inode_free(i);
}

static struct fm_inode *fm_inode_new(uint32_t mode, uid_t uid, gid_t gid)
{
	struct fm_inode *i = calloc(1, sizeof(*i));

	if (!i)
		return NULL;
	i->ino = fm.next_ino++;
	i->mode = mode;
	i->uid = uid;
	i->gid = gid;
	clock_gettime(CLOCK_REALTIME, &i->mtime);
	i->atime = i->ctime = i->mtime;
	if (S_ISDIR(mode)) {
		i->nlink = 2;
		i->dir.next_id = FM_FIRST_COOKIE;
	}
	fm_hash_insert(i);
	return i;
}

static void fm_fill_stat(const struct fm_inode *i, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = i->ino;
	st->st_mode = i->mode;
	st->st_nlink = i->nlink;
	st->st_uid = i->uid;
	st->st_gid = i->gid;
	st->st_size = i->size;
	st->st_blksize = FM_PAGE;
	if (S_ISREG(i->mode))
		st->st_blocks = i->file.nr * (FM_PAGE / 512);
	st->st_atim = i->atime;
	st->st_mtim = i->mtime;
	st->st_ctim = i->ctime;
}

static void fm_fill_entry(const struct fm_inode *i, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = i->ino;
	e->generation = 1;
	e->attr_timeout = fm.o.timeout;
	e->entry_timeout = fm.o.timeout;
	fm_fill_stat(i, &e->attr);
}

/* ---- file pages (sorted by pgoff) --------------------------------------- */

static size_t fm_page_find(const struct fm_inode *i, uint64_t pg)
{
	size_t lo = 0, hi = i->file.nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (i->file.pages[mid].pgoff < pg)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void *fm_page_lookup(const struct fm_inode *i, uint64_t pg)
{
	size_t k = fm_page_find(i, pg);

	if (k < i->file.nr && i->file.pages[k].pgoff == pg)
		return i->file.pages[k].data;
	return NULL;
}

static void *fm_page_get(struct fm_inode *i, uint64_t pg)
{
	size_t k = fm_page_find(i, pg);
	void *data;

	if (k < i->file.nr && i->file.pages[k].pgoff == pg)
		return i->file.pages[k].data;
	if (i->file.nr == i->file.cap) {
		size_t ncap = i->file.cap ? i->file.cap * 2 : 8;
		struct fm_page *np = realloc(i->file.pages, ncap * sizeof(*np));

		if (!np)
			return NULL;
		i->file.pages = np;
		i->file.cap = ncap;
	}
	data = calloc(1, FM_PAGE);
	if (!data)
		return NULL;
	memmove(&i->file.pages[k + 1], &i->file.pages[k],
		(i->file.nr - k) * sizeof(*i->file.pages));
	i->file.pages[k].pgoff = pg;
	i->file.pages[k].data = data;
	i->file.nr++;
	return data;
}

/* Truncate or extend to size: drop whole pages past it, zero the tail. */
static void fm_set_size(struct fm_inode *i, uint64_t size)
{
	if (size < i->size) {
		uint64_t first = (size + FM_PAGE - 1) / FM_PAGE;
		size_t k = fm_page_find(i, first);
		void *p;

		for (size_t j = k; j < i->file.nr; j++)
			free(i->file.pages[j].data);
		i->file.nr = k;
		p = size % FM_PAGE ? fm_page_lookup(i, size / FM_PAGE) : NULL;
		if (p)
			memset((char *)p + size % FM_PAGE, 0,
			       FM_PAGE - size % FM_PAGE);
	}
	i->size = size;
}

/* ---- directories -------------------------------------------------------- */

static struct fm_dirent *fm_dir_find(const struct fm_inode *dir,
				     const char *name)
{
	size_t len = strlen(name);
	struct fm_dirent *d;

	for (d = dir->dir.head; d; d = d->next)
		if (d->namelen == len && !memcmp(d->name, name, len))
			return d;
	return NULL;
}

static int fm_dir_add(struct fm_inode *dir, const char *name,
		      const struct fm_inode *i)
{
	size_t len = strlen(name);
	struct fm_dirent *d = malloc(sizeof(*d) + len + 1);

	if (!d)
		return -ENOMEM;
	d->id = dir->dir.next_id++;
	d->ino = i->ino;
	d->namelen = len;
	memcpy(d->name, name, len + 1);
	d->next = NULL;
	d->prev = dir->dir.tail;
	if (dir->dir.tail)
		dir->dir.tail->next = d;
	else
		dir->dir.head = d;
	dir->dir.tail = d;
	clock_gettime(CLOCK_REALTIME, &dir->mtime);
	dir->ctime = dir->mtime;
	return 0;
}

static void fm_dir_del(struct fm_inode *dir, struct fm_dirent *d)
{
	if (d->prev)
		d->prev->next = d->next;
	else
		dir->dir.head = d->next;
	if (d->next)
		d->next->prev = d->prev;
	else
		dir->dir.tail = d->prev;
	clock_gettime(CLOCK_REALTIME, &dir->mtime);
	dir->ctime = dir->mtime;
	free(d);
}

static struct fm_inode *fm_get_dir(fuse_ino_t ino, int *err)
{
	struct fm_inode *dir = fm_iget(ino);

	*err = !dir ? ENOENT : !S_ISDIR(dir->mode) ? ENOTDIR :
	       dir->nlink == 0 ? ENOENT : 0;
	return *err ? NULL : dir;
}

/* ---- operations ---------------------------------------------------------- */

static void fm_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	struct fm_inode *dir, *i;
	struct fm_dirent *d;
	int err;

	pthread_rwlock_wrlock(&fm.lock);
	dir = fm_get_dir(parent, &err);
	if (dir) {
		d = fm_dir_find(dir, name);
		if (d) {
			i = fm_iget(d->ino);
			i->nlookup++;
			fm_fill_entry(i, &e);
		} else {
			memset(&e, 0, sizeof(e));	/* negative entry */
			e.entry_timeout = fm.o.timeout;
		}
	}
	pthread_rwlock_unlock(&fm.lock);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_entry(req, &e);
}

static void fm_forget_one(fuse_ino_t ino, uint64_t nlookup)
{
	struct fm_inode *i = fm_iget(ino);

	if (i) {
		i->nlookup -= nlookup < i->nlookup ? nlookup : i->nlookup;
		fm_put_maybe(i);
	}
}

static void fm_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	pthread_rwlock_wrlock(&fm.lock);
	fm_forget_one(ino, nlookup);
	pthread_rwlock_unlock(&fm.lock);
	fuse_reply_none(req);
}

static void fm_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	pthread_rwlock_wrlock(&fm.lock);
	for (size_t k = 0; k < count; k++)
		fm_forget_one(forgets[k].ino, forgets[k].nlookup);
	pthread_rwlock_unlock(&fm.lock);
	fuse_reply_none(req);
}

static void fm_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct fm_inode *i;
	struct stat st;

	pthread_rwlock_rdlock(&fm.lock);
	i = fm_iget(ino);
	if (i)
		fm_fill_stat(i, &st);
	pthread_rwlock_unlock(&fm.lock);
	if (i)
		fuse_reply_attr(req, &st, fm.o.timeout);
	else
		fuse_reply_err(req, ENOENT);
}

static void fm_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	struct fm_inode *i;
	struct timespec now;
	struct stat st;
	int err = 0;

	clock_gettime(CLOCK_REALTIME, &now);
	pthread_rwlock_wrlock(&fm.lock);
	i = fm_iget(ino);
	if (!i) {
		err = ENOENT;
		goto out;
	}
	if (to_set & FUSE_SET_ATTR_SIZE) {
		if (!S_ISREG(i->mode)) {
			err = S_ISDIR(i->mode) ? EISDIR : EINVAL;
			goto out;
		}
		if ((uint64_t)attr->st_size > FM_MAX_SIZE) {
			err = EFBIG;
			goto out;
		}
		fm_set_size(i, attr->st_size);
		i->mtime = now;
	}
	if (to_set & FUSE_SET_ATTR_MODE)
		i->mode = (i->mode & S_IFMT) | (attr->st_mode & 07777);
	if (to_set & FUSE_SET_ATTR_UID)
		i->uid = attr->st_uid;
	if (to_set & FUSE_SET_ATTR_GID)
		i->gid = attr->st_gid;
	if (to_set & FUSE_SET_ATTR_ATIME_NOW)
		i->atime = now;
	else if (to_set & FUSE_SET_ATTR_ATIME)
		i->atime = attr->st_atim;
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		i->mtime = now;
	else if (to_set & FUSE_SET_ATTR_MTIME)
		i->mtime = attr->st_mtim;
	i->ctime = (to_set & FUSE_SET_ATTR_CTIME) ? attr->st_ctim : now;
	fm_fill_stat(i, &st);
out:
	pthread_rwlock_unlock(&fm.lock);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_attr(req, &st, fm.o.timeout);
}

/* A new inode named name in parent; *e filled in. 0 or an errno. */
static int fm_create_common(fuse_req_t req, fuse_ino_t parent,
			    const char *name, mode_t mode,
			    struct fuse_entry_param *e)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct fm_inode *dir, *i;
	int err;

	pthread_rwlock_wrlock(&fm.lock);
	dir = fm_get_dir(parent, &err);
	if (!dir)
		goto out;
	if (fm_dir_find(dir, name)) {
		err = EEXIST;
		goto out;
	}
	i = fm_inode_new(mode, ctx->uid, ctx->gid);
	if (!i) {
		err = ENOMEM;
		goto out;
	}
	err = -fm_dir_add(dir, name, i);
	if (err) {
		fm_inode_free(i);
		goto out;
	}
	if (S_ISDIR(mode)) {
		i->dir.parent = dir->ino;
		dir->nlink++;
	} else {
		i->nlink = 1;
	}
	i->nlookup = 1;
	fm_fill_entry(i, e);
out:
	pthread_rwlock_unlock(&fm.lock);
	return err;
}

static void fm_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	struct fuse_entry_param e;
	int err;

	if (!S_ISREG(mode)) {	/* the benchmark needs regular files only */
		fuse_reply_err(req, EPERM);
		return;
	}
	err = fm_create_common(req, parent, name, mode, &e);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_entry(req, &e);
}

static void fm_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	struct fuse_entry_param e;
	int err = fm_create_common(req, parent, name, S_IFDIR | (mode & 07777),
				   &e);

	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_entry(req, &e);
}

static void fm_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	int err = fm_create_common(req, parent, name, S_IFREG | (mode & 07777),
				   &e);

	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	fi->direct_io = fm.o.direct_io;
	if (fuse_reply_create(req, &e, fi) == -ENOENT) {
		/* the caller was interrupted: drop its lookup reference */
		pthread_rwlock_wrlock(&fm.lock);
		fm_forget_one(e.ino, 1);
		pthread_rwlock_unlock(&fm.lock);
	}
}

static void fm_remove(fuse_req_t req, fuse_ino_t parent, const char *name,
		      int want_dir)
{
	struct fm_inode *dir, *i;
	struct fm_dirent *d;
	int err;

	pthread_rwlock_wrlock(&fm.lock);
	dir = fm_get_dir(parent, &err);
	if (!dir)
		goto out;
	d = fm_dir_find(dir, name);
	if (!d) {
		err = ENOENT;
		goto out;
	}
	i = fm_iget(d->ino);
	if (want_dir && !S_ISDIR(i->mode)) {
		err = ENOTDIR;
		goto out;
	}
	if (!want_dir && S_ISDIR(i->mode)) {
		err = EISDIR;
		goto out;
	}
	if (want_dir && i->dir.head) {
		err = ENOTEMPTY;
		goto out;
	}
	fm_dir_del(dir, d);
	if (want_dir) {
		dir->nlink--;
		i->nlink = 0;
	} else {
		i->nlink--;
	}
	clock_gettime(CLOCK_REALTIME, &i->ctime);
	fm_put_maybe(i);
out:
	pthread_rwlock_unlock(&fm.lock);
	fuse_reply_err(req, err);
}

static void fm_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fm_remove(req, parent, name, 0);
}

static void fm_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fm_remove(req, parent, name, 1);
}

static void fm_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fi->direct_io = fm.o.direct_io;
	fuse_reply_open(req, fi);
}

static void fm_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

static void fm_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct iovec *iov = NULL;
	struct fm_inode *i;
	size_t n = 0, done = 0;
	int err = 0;

	pthread_rwlock_rdlock(&fm.lock);
	i = fm_iget(ino);
	if (!i || !S_ISREG(i->mode)) {
		err = !i ? ENOENT : S_ISDIR(i->mode) ? EISDIR : EINVAL;
		goto out;
	}
	if ((uint64_t)off >= i->size)
		goto out;
	if (size > i->size - off)
		size = i->size - off;
	iov = malloc((size / FM_PAGE + 2) * sizeof(*iov));
	if (!iov) {
		err = ENOMEM;
		goto out;
	}
	/* point at the pages themselves: fuse_reply_iov writes them out */
	while (done < size) {
		uint64_t pos = off + done;
		size_t in = pos % FM_PAGE, len = FM_PAGE - in;
		const char *p = fm_page_lookup(i, pos / FM_PAGE);

		if (len > size - done)
			len = size - done;
		iov[n].iov_base = (void *)(p ? p + in : fm_zero);
		iov[n].iov_len = len;
		n++;
		done += len;
	}
out:
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_iov(req, iov, n);	/* under the lock */
	pthread_rwlock_unlock(&fm.lock);
	free(iov);
}

static void fm_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fm_inode *i;
	size_t done = 0;
	int err = 0;

	pthread_rwlock_wrlock(&fm.lock);
	i = fm_iget(ino);
	if (!i || !S_ISREG(i->mode)) {
		err = !i ? ENOENT : S_ISDIR(i->mode) ? EISDIR : EINVAL;
		goto out;
	}
	if (fi->flags & O_APPEND)
		off = i->size;
	if ((uint64_t)off >= FM_MAX_SIZE) {
		err = size ? EFBIG : 0;
		goto out;
	}
	if (size > FM_MAX_SIZE - off)
		size = FM_MAX_SIZE - off;
	while (done < size) {
		uint64_t pos = off + done;
		size_t in = pos % FM_PAGE, len = FM_PAGE - in;
		char *p = fm_page_get(i, pos / FM_PAGE);

		if (!p) {
			if (!done)
				err = ENOSPC;
			break;
		}
		if (len > size - done)
			len = size - done;
		memcpy(p + in, buf + done, len);
		done += len;
	}
	if (done) {
		if (off + done > i->size)
			i->size = off + done;
		clock_gettime(CLOCK_REALTIME, &i->mtime);
		i->ctime = i->mtime;
	}
out:
	pthread_rwlock_unlock(&fm.lock);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_write(req, done);
}

static void fm_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	fuse_reply_open(req, fi);
}

static void fm_releasedir(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

/* Cookies: 1 = ".", 2 = "..", then each entry's id (ids only grow). */
static void fm_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct fm_inode *dir;
	struct fm_dirent *d;
	struct stat st = { 0 };
	size_t used = 0, n;
	char *buf = malloc(size);
	int err = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	pthread_rwlock_rdlock(&fm.lock);
	dir = fm_iget(ino);
	if (!dir || !S_ISDIR(dir->mode)) {
		err = !dir ? ENOENT : ENOTDIR;
		goto out;
	}
	if (off < 1) {
		st.st_ino = dir->ino;
		st.st_mode = S_IFDIR;
		n = fuse_add_direntry(req, buf + used, size - used, ".", &st, 1);
		if (n > size - used)
			goto out;
		used += n;
	}
	if (off < 2) {
		st.st_ino = dir->ino == FUSE_ROOT_ID ? dir->ino : dir->dir.parent;
		st.st_mode = S_IFDIR;
		n = fuse_add_direntry(req, buf + used, size - used, "..", &st,
				      2);
		if (n > size - used)
			goto out;
		used += n;
	}
	for (d = dir->dir.head; d; d = d->next) {
		const struct fm_inode *i;

		if (d->id <= (uint64_t)off)
			continue;
		i = fm_iget(d->ino);
		st.st_ino = d->ino;
		st.st_mode = i->mode & S_IFMT;
		n = fuse_add_direntry(req, buf + used, size - used, d->name,
				      &st, d->id);
		if (n > size - used)
			break;	/* full */
		used += n;
	}
out:
	pthread_rwlock_unlock(&fm.lock);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_buf(req, buf, used);
	free(buf);
}

static const struct fuse_lowlevel_ops fm_ops = {
	.lookup		= fm_lookup,
	.forget		= fm_forget,
	.forget_multi	= fm_forget_multi,
	.getattr	= fm_getattr,
	.setattr	= fm_setattr,
	.mknod		= fm_mknod,
	.mkdir		= fm_mkdir,
	.create		= fm_create,
	.unlink		= fm_unlink,
	.rmdir		= fm_rmdir,
	.open		= fm_open,
	.release	= fm_release,
	.read		= fm_read,
	.write		= fm_write,
	.opendir	= fm_opendir,
	.readdir	= fm_readdir,
	.releasedir	= fm_releasedir,
};

/* ---- main ------------------------------------------------------------------ */

static const struct fuse_opt fm_optspec[] = {
	{ "timeout=%lf", offsetof(struct fm_opts, timeout), 0 },
	{ "direct_io", offsetof(struct fm_opts, direct_io), 1 },
	FUSE_OPT_END
};

static void usage(const char *prog)
{
	printf("usage: %s [options] MOUNTPOINT\n"
	       "  -o timeout=SEC  entry, negative entry and attribute timeout (default 1)\n"
	       "  -o direct_io    no page cache: every read/write reaches this process\n"
	       "  -f              foreground; -s single-threaded; -d debug\n", prog);
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts opts;
	struct fuse_loop_config loop = { .clone_fd = 0, .max_idle_threads = 10 };
	struct fuse_session *se;
	struct fm_inode *root;
	int ret = 1;

	fm.o.timeout = 1.0;
	if (fuse_parse_cmdline(&args, &opts) != 0)
		return 1;
	if (opts.show_help || !opts.mountpoint) {
		usage(argv[0]);
		ret = opts.show_help ? 0 : 1;
		goto out_args;
	}
	if (opts.show_version) {
		fuse_lowlevel_version();
		ret = 0;
		goto out_args;
	}
	if (fuse_opt_parse(&args, &fm.o, fm_optspec, NULL) == -1)
		goto out_args;
	if (fm.o.timeout < 0) {
		fprintf(stderr, "fuse_memfs_ll: timeout must be >= 0\n");
		goto out_args;
	}
	/* The kernel checks permissions on the cached modes, as zuf does. */
	if (fuse_opt_add_arg(&args, "-odefault_permissions") != 0)
		goto out_args;

	fm.hash_size = 1024;
	fm.hash = calloc(fm.hash_size, sizeof(*fm.hash));
	if (!fm.hash)
		goto out_args;
	fm.next_ino = FUSE_ROOT_ID;
	root = fm_inode_new(S_IFDIR | 0755, getuid(), getgid());
	if (!root)
		goto out_args;
	root->dir.parent = FUSE_ROOT_ID;
	root->nlookup = 1;

	se = fuse_session_new(&args, &fm_ops, sizeof(fm_ops), NULL);
	if (!se)
		goto out_args;
	if (fuse_set_signal_handlers(se) != 0)
		goto out_session;
	if (fuse_session_mount(se, opts.mountpoint) != 0)
		goto out_signals;
	fuse_daemonize(opts.foreground);
	if (opts.singlethread)
		ret = fuse_session_loop(se);
	else
		ret = fuse_session_loop_mt(se, &loop);
	ret = ret ? 1 : 0;
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out_args:
	free(opts.mountpoint);
	fuse_opt_free_args(&args);
	return ret;
}
