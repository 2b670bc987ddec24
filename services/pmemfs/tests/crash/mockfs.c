// SPDX-License-Identifier: BSD-2-Clause
/*
 * mockfs.c - a tiny implementation of pmemfs.h for testing the crash
 * framework end to end without the real core (and with a deliberate bug):
 * the whole tree (model.c) is serialized after every change into the
 * unused one of two slots (store_flush, fence), then an 8-byte commit word
 * at offset 0 names it (store8, flush, fence). Mount reads the committed
 * slot; fsck checks its checksum; repair falls back to the other slot.
 * MOCKFS_BROKEN=1 in the environment: the commit word is stored, flushed
 * and fenced before the slot is flushed (the crash test must catch it).
 * Slow and simple on purpose; not the file system.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gen.h"
#include "model.h"
#include "pmemfs.h"

#define MOCK_MAGIC	0x4b434f4dU	/* "MOCK" */
#define MOCK_HDR	64

struct pmfs {
	struct pm_media *m;
	struct model *t;
	uint32_t *refs;
	unsigned int nrefs;
	uint64_t seq, next_ino;
	int broken;
	uint8_t *buf;
	size_t len, cap;
};

struct commit {
	uint64_t seq;		/* slot = seq & 1; 0: none */
};

static uint64_t slot_size(const struct pm_media *m)
{
	return (m->size - MOCK_HDR) / 2 & ~(uint64_t)63;
}

static uint64_t slot_off(const struct pm_media *m, uint64_t seq)
{
	return MOCK_HDR + (seq & 1) * slot_size(m);
}

static uint64_t csum(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static int put(struct pmfs *fs, const void *p, size_t n)
{
	if (!n)
		return 0;
	if (fs->len + n > fs->cap) {
		size_t c = fs->cap ? fs->cap : 65536;
		uint8_t *b;

		while (c < fs->len + n)
			c *= 2;
		b = realloc(fs->buf, c);
		if (!b)
			return -ENOMEM;
		fs->buf = b;
		fs->cap = c;
	}
	memcpy(fs->buf + fs->len, p, n);
	fs->len += n;
	return 0;
}

#define PUT(x) put(fs, &(x), sizeof(x))

static int put_str(struct pmfs *fs, const char *s)
{
	uint16_t n = (uint16_t)strlen(s);

	return PUT(n) || put(fs, s, n);
}

/* header: u64 csum, u64 len, u64 next_ino, u32 magic, u32 nn */
static int serialize(struct pmfs *fs)
{
	const struct model *t = fs->t;
	uint32_t magic = MOCK_MAGIC, nn = t->nn, i, j;
	uint64_t zero = 0;

	fs->len = 0;
	if (PUT(zero) || PUT(zero) || PUT(fs->next_ino) || PUT(magic) ||
	    PUT(nn))
		return -ENOMEM;
	for (i = 0; i < t->nn; i++) {
		const struct mnode *n = &t->n[i];
		uint8_t type = (uint8_t)n->type;

		if (PUT(type) || PUT(n->ino) || PUT(n->mode) || PUT(n->nlink) ||
		    PUT(n->size) || PUT(n->parent) || PUT(n->nxa) ||
		    PUT(n->nent))
			return -ENOMEM;
		if (n->type == M_FILE && put(fs, n->data, n->size))
			return -ENOMEM;
		if (n->type == M_SYMLINK && put_str(fs, n->target))
			return -ENOMEM;
		for (j = 0; j < n->nxa; j++) {
			uint32_t vl = (uint32_t)n->xa[j].len;

			if (put_str(fs, n->xa[j].name) || PUT(vl) ||
			    put(fs, n->xa[j].val, vl))
				return -ENOMEM;
		}
		for (j = 0; j < n->nent; j++)
			if (put_str(fs, n->ent[j].name) ||
			    PUT(n->ent[j].node))
				return -ENOMEM;
	}
	{
		uint64_t l = fs->len, c;

		memcpy(fs->buf + 8, &l, 8);
		c = csum(fs->buf + 8, fs->len - 8);
		memcpy(fs->buf, &c, 8);
	}
	return 0;
}

struct rd {
	const uint8_t *p;
	size_t left;
};

static int get(struct rd *r, void *d, size_t n)
{
	if (n > r->left)
		return -EUCLEAN;
	memcpy(d, r->p, n);
	r->p += n;
	r->left -= n;
	return 0;
}

#define GET(x) get(r, &(x), sizeof(x))

static char *get_str(struct rd *r)
{
	uint16_t n;
	char *s;

	if (GET(n) || n > r->left)
		return NULL;
	s = malloc(n + 1u);
	if (!s)
		return NULL;
	memcpy(s, r->p, n);
	s[n] = 0;
	r->p += n;
	r->left -= n;
	return s;
}

/* Parse the slot of @seq: 0 and *tp, or -EUCLEAN. */
static int parse(const struct pm_media *m, uint64_t seq, struct model **tp,
		 uint64_t *next_ino)
{
	const uint8_t *s = pm_ptr(m, slot_off(m, seq));
	uint64_t c, len;
	uint32_t magic, nn, i, j;
	struct rd rr, *r = &rr;
	struct model *t;

	memcpy(&c, s, 8);
	memcpy(&len, s + 8, 8);
	if (len < 32 || len > slot_size(m) || csum(s + 8, len - 8) != c)
		return -EUCLEAN;
	rr.p = s + 16;
	rr.left = len - 16;
	if (GET(*next_ino) || GET(magic) || GET(nn) || magic != MOCK_MAGIC ||
	    !nn || nn > 1000000)
		return -EUCLEAN;
	t = calloc(1, sizeof(*t));
	t->n = calloc(nn, sizeof(*t->n));
	t->nn = nn;
	for (i = 0; i < nn; i++) {
		struct mnode *n = &t->n[i];
		uint8_t type;

		if (GET(type) || GET(n->ino) || GET(n->mode) ||
		    GET(n->nlink) || GET(n->size) || GET(n->parent) ||
		    GET(n->nxa) || GET(n->nent))
			goto bad;
		n->type = (enum mtype)type;
		if (n->nxa > 1000 || n->nent > 100000 || n->size > r->left)
			goto bad;
		if (n->type == M_FILE) {
			n->data = malloc(n->size + 1);
			if (get(r, n->data, n->size))
				goto bad;
		}
		if (n->type == M_SYMLINK && !(n->target = get_str(r)))
			goto bad;
		n->xa = calloc(n->nxa + 1, sizeof(*n->xa));
		for (j = 0; j < n->nxa; j++) {
			uint32_t vl;

			n->xa[j].name = get_str(r);
			if (!n->xa[j].name || GET(vl) || vl > r->left)
				goto bad;
			n->xa[j].val = malloc(vl + 1);
			n->xa[j].len = vl;
			if (get(r, n->xa[j].val, vl))
				goto bad;
		}
		n->ent = calloc(n->nent + 1, sizeof(*n->ent));
		for (j = 0; j < n->nent; j++) {
			n->ent[j].name = get_str(r);
			if (!n->ent[j].name || GET(n->ent[j].node) ||
			    n->ent[j].node >= nn)
				goto bad;
		}
	}
	*tp = t;
	return 0;
bad:
	model_free(t);
	return -EUCLEAN;
}

static int commit(struct pmfs *fs)
{
	struct pm_media *m = fs->m;
	uint64_t seq = fs->seq + 1;
	uint8_t *dst = pm_ptr(m, slot_off(m, seq));
	int r = serialize(fs);

	if (r)
		return r;
	if (fs->len > slot_size(m))
		return -ENOSPC;
	if (fs->broken) {
		pm_store(m, dst, fs->buf, fs->len);
		pm_store8(m, pm_ptr(m, 0), seq);
		pm_flush(m, pm_ptr(m, 0), 8);
		pm_fence(m);
		pm_flush(m, dst, fs->len);
		pm_fence(m);
	} else {
		pm_store_flush(m, dst, fs->buf, fs->len);
		pm_fence(m);
		pm_store8(m, pm_ptr(m, 0), seq);
		pm_flush(m, pm_ptr(m, 0), 8);
		pm_fence(m);
	}
	fs->seq = seq;
	return 0;
}

int pmfs_mkfs(struct pm_media *m, const struct pmfs_mkfs_opts *o)
{
	struct pmfs fs = { .m = m, .next_ino = 2 };
	int r;

	fs.t = model_new();
	r = commit(&fs);
	model_free(fs.t);
	free(fs.buf);
	return r;
}

static int node_of(struct pmfs *fs, uint64_t ino, uint32_t *x)
{
	unsigned int i;

	for (i = 0; i < fs->t->nn; i++)
		if (fs->t->n[i].type != M_FREE && fs->t->n[i].ino == ino) {
			*x = i;
			return 0;
		}
	return -ENOENT;
}

static void gc(struct pmfs *fs)
{
	unsigned int i;

	for (i = 0; i < fs->t->nn; i++)
		if (fs->t->n[i].type != M_FREE && !fs->t->n[i].nlink &&
		    (i >= fs->nrefs || !fs->refs[i]))
			model_unref(fs->t, i, 0);
}

int pmfs_mount(struct pm_media *m, unsigned int flags, struct pmfs **fsp,
	       char *err, size_t errlen)
{
	struct pmfs *fs = calloc(1, sizeof(*fs));
	const char *e;
	int r;

	memcpy(&fs->seq, m->base, 8);
	fs->m = m;
	r = parse(m, fs->seq, &fs->t, &fs->next_ino);
	if (r) {
		snprintf(err, errlen, "mockfs: slot %llu is corrupt",
			 (unsigned long long)fs->seq);
		free(fs);
		return r;
	}
	fs->broken = (e = getenv("MOCKFS_BROKEN")) && *e == '1';
	/* recovery: free orphans */
	{
		unsigned int i, orphans = 0;

		for (i = 0; i < fs->t->nn; i++)
			if (fs->t->n[i].type != M_FREE && !fs->t->n[i].nlink)
				orphans++;
		gc(fs);
		if (orphans && !(flags & PMFS_MOUNT_RDONLY))
			commit(fs);
	}
	*fsp = fs;
	return 0;
}

void pmfs_umount(struct pmfs *fs)
{
	model_free(fs->t);
	free(fs->refs);
	free(fs->buf);
	free(fs);
}

void pmfs_uuid(const struct pmfs *fs, uint8_t uuid[16])
{
	memset(uuid, 0x42, 16);
}

static void ref(struct pmfs *fs, uint32_t x, int d)
{
	if (x >= fs->nrefs) {
		unsigned int n = x + 64;

		fs->refs = realloc(fs->refs, n * sizeof(*fs->refs));
		memset(fs->refs + fs->nrefs, 0,
		       (n - fs->nrefs) * sizeof(*fs->refs));
		fs->nrefs = n;
	}
	if (d < 0 && fs->refs[x] < (uint32_t)-d)
		fs->refs[x] = 0;
	else
		fs->refs[x] += (uint32_t)d;
}

int pmfs_iget(struct pmfs *fs, uint64_t ino)
{
	uint32_t x;
	int r = node_of(fs, ino, &x);

	if (!r)
		ref(fs, x, 1);
	return r;
}

void pmfs_iput(struct pmfs *fs, uint64_t ino, uint64_t n)
{
	uint32_t x;

	if (node_of(fs, ino, &x))
		return;
	ref(fs, x, -(int)n);
	if (!fs->t->n[x].nlink && !fs->refs[x]) {
		model_unref(fs->t, x, 0);
		commit(fs);
	}
}

static void fill_attr(const struct mnode *n, struct pmfs_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = n->ino;
	a->mode = n->mode;
	a->nlink = n->nlink;
	a->size = n->size;
}

int pmfs_getattr(struct pmfs *fs, uint64_t ino, struct pmfs_attr *attr)
{
	uint32_t x;
	int r = node_of(fs, ino, &x);

	if (!r)
		fill_attr(&fs->t->n[x], attr);
	return r;
}

static int dir_of(struct pmfs *fs, uint64_t ino, uint32_t *x)
{
	int r = node_of(fs, ino, x);

	if (!r && fs->t->n[*x].type != M_DIR)
		return -ENOTDIR;
	return r;
}

static int name_ok(const char *name, size_t len, char *buf)
{
	if (!len || len > PMFS_NAME_MAX || memchr(name, '/', len) ||
	    memchr(name, 0, len))
		return -EINVAL;
	memcpy(buf, name, len);
	buf[len] = 0;
	return 0;
}

int pmfs_lookup(struct pmfs *fs, uint64_t dir, const char *name,
		size_t namelen, struct pmfs_attr *attr)
{
	char nm[PMFS_NAME_MAX + 1];
	struct mdent *d;
	uint32_t x;
	int r = dir_of(fs, dir, &x);

	if (r || (r = name_ok(name, namelen, nm)))
		return r;
	d = model_find(fs->t, x, nm);
	if (!d)
		return -ENOENT;
	ref(fs, d->node, 1);
	fill_attr(&fs->t->n[d->node], attr);
	return 0;
}

int pmfs_setattr(struct pmfs *fs, uint64_t ino, const struct pmfs_setattr *sa,
		 struct pmfs_attr *attr)
{
	uint32_t x;
	int r = node_of(fs, ino, &x);
	struct mnode *n;

	if (r)
		return r;
	n = &fs->t->n[x];
	if (sa->valid & PMFS_SET_MODE)
		n->mode = (n->mode & S_IFMT) | (sa->mode & 07777);
	if (sa->valid & PMFS_SET_SIZE) {
		if (n->type != M_FILE)
			return -EINVAL;
		model_resize(n, sa->size);
	}
	fill_attr(n, attr);
	return commit(fs);
}

static int make(struct pmfs *fs, uint64_t dir, const char *name,
		size_t namelen, const struct pmfs_new *ni, enum mtype type,
		const char *target, struct pmfs_attr *attr, int tmp)
{
	char nm[PMFS_NAME_MAX + 1];
	uint32_t d, x, i;
	struct mnode *n;
	int r = dir_of(fs, dir, &d);

	if (r)
		return r;
	if (!tmp) {
		if ((r = name_ok(name, namelen, nm)))
			return r;
		if (model_find(fs->t, d, nm))
			return -EEXIST;
	}
	x = model_node(fs->t);
	n = &fs->t->n[x];
	n->type = type;
	n->ino = fs->next_ino++;
	n->mode = ni->mode;
	n->nlink = tmp ? 0 : type == M_DIR ? 2 : 1;
	for (i = 0; i < ni->nr_xattrs; i++)
		model_set_xattr(n, ni->xattrs[i].name, ni->xattrs[i].value,
				ni->xattrs[i].size);
	if (type == M_DIR) {
		n->parent = d;
		fs->t->n[d].nlink++;
	}
	if (target) {
		n->target = strdup(target);
		n->size = strlen(target);
	}
	if (!tmp)
		model_add(fs->t, d, nm, x);
	ref(fs, x, 1);
	fill_attr(&fs->t->n[x], attr);
	return commit(fs);
}

int pmfs_mknod(struct pmfs *fs, uint64_t dir, const char *name,
	       size_t namelen, const struct pmfs_new *ni,
	       struct pmfs_attr *attr)
{
	enum mtype t = S_ISDIR(ni->mode) ? M_DIR : S_ISREG(ni->mode) ?
		       M_FILE : M_FIFO;

	return make(fs, dir, name, namelen, ni, t, NULL, attr, 0);
}

int pmfs_symlink(struct pmfs *fs, uint64_t dir, const char *name,
		 size_t namelen, const char *target, size_t targetlen,
		 const struct pmfs_new *ni, struct pmfs_attr *attr)
{
	char tg[PMFS_SYMLINK_MAX + 1];

	if (!targetlen || targetlen > PMFS_SYMLINK_MAX)
		return -EINVAL;
	memcpy(tg, target, targetlen);
	tg[targetlen] = 0;
	return make(fs, dir, name, namelen, ni, M_SYMLINK, tg, attr, 0);
}

int pmfs_tmpfile(struct pmfs *fs, uint64_t dir, const struct pmfs_new *ni,
		 struct pmfs_attr *attr)
{
	return make(fs, dir, NULL, 0, ni, M_FILE, NULL, attr, 1);
}

ssize_t pmfs_readlink(struct pmfs *fs, uint64_t ino, char *buf, size_t size)
{
	uint32_t x;
	int r = node_of(fs, ino, &x);
	size_t n;

	if (r)
		return r;
	if (fs->t->n[x].type != M_SYMLINK)
		return -EINVAL;
	n = strlen(fs->t->n[x].target);
	if (n > size)
		n = size;
	memcpy(buf, fs->t->n[x].target, n);
	return (ssize_t)n;
}

int pmfs_link(struct pmfs *fs, uint64_t ino, uint64_t newdir,
	      const char *name, size_t namelen, struct pmfs_attr *attr)
{
	char nm[PMFS_NAME_MAX + 1];
	uint32_t x, d;
	int r = node_of(fs, ino, &x);

	if (r || (r = dir_of(fs, newdir, &d)) ||
	    (r = name_ok(name, namelen, nm)))
		return r;
	if (fs->t->n[x].type == M_DIR)
		return -EPERM;
	if (model_find(fs->t, d, nm))
		return -EEXIST;
	fs->t->n[x].nlink++;
	model_add(fs->t, d, nm, x);
	ref(fs, x, 1);
	fill_attr(&fs->t->n[x], attr);
	return commit(fs);
}

static int remove_ent(struct pmfs *fs, uint64_t dir, const char *name,
		      size_t namelen, int isdir)
{
	char nm[PMFS_NAME_MAX + 1];
	struct mdent *e;
	uint32_t d, x;
	int r = dir_of(fs, dir, &d);

	if (r || (r = name_ok(name, namelen, nm)))
		return r;
	e = model_find(fs->t, d, nm);
	if (!e)
		return -ENOENT;
	x = e->node;
	if (isdir && fs->t->n[x].type != M_DIR)
		return -ENOTDIR;
	if (!isdir && fs->t->n[x].type == M_DIR)
		return -EISDIR;
	if (isdir && fs->t->n[x].nent)
		return -ENOTEMPTY;
	model_del(fs->t, d, nm);
	if (isdir)
		fs->t->n[d].nlink--;
	model_unref(fs->t, x, x < fs->nrefs && fs->refs[x]);
	return commit(fs);
}

int pmfs_unlink(struct pmfs *fs, uint64_t dir, const char *name,
		size_t namelen)
{
	return remove_ent(fs, dir, name, namelen, 0);
}

int pmfs_rmdir(struct pmfs *fs, uint64_t dir, const char *name,
	       size_t namelen)
{
	return remove_ent(fs, dir, name, namelen, 1);
}

int pmfs_rename(struct pmfs *fs, uint64_t olddir, const char *oldname,
		size_t oldlen, uint64_t newdir, const char *newname,
		size_t newlen, unsigned int flags)
{
	char on[PMFS_NAME_MAX + 1], nn[PMFS_NAME_MAX + 1];
	struct model *t = fs->t;
	struct mdent *s, *dd;
	uint32_t a, c, src, dst;
	int r, sdir, ddir;

	if ((r = dir_of(fs, olddir, &a)) || (r = dir_of(fs, newdir, &c)) ||
	    (r = name_ok(oldname, oldlen, on)) ||
	    (r = name_ok(newname, newlen, nn)))
		return r;
	s = model_find(t, a, on);
	dd = model_find(t, c, nn);
	if (!s)
		return -ENOENT;
	src = s->node;
	sdir = t->n[src].type == M_DIR;
	if (sdir && model_under(t, c, src))
		return -EINVAL;
	if (flags & PMFS_RENAME_EXCHANGE) {
		if (!dd)
			return -ENOENT;
		dst = dd->node;
		ddir = t->n[dst].type == M_DIR;
		if (ddir && model_under(t, a, dst))
			return -EINVAL;
		s->node = dst;
		dd->node = src;
		if (sdir) {
			t->n[src].parent = c;
			t->n[a].nlink--;
			t->n[c].nlink++;
		}
		if (ddir) {
			t->n[dst].parent = a;
			t->n[c].nlink--;
			t->n[a].nlink++;
		}
		return commit(fs);
	}
	if (dd) {
		if (flags & PMFS_RENAME_NOREPLACE)
			return -EEXIST;
		dst = dd->node;
		if (dst == src)
			return 0;
		ddir = t->n[dst].type == M_DIR;
		if (sdir && !ddir)
			return -ENOTDIR;
		if (!sdir && ddir)
			return -EISDIR;
		if (ddir && t->n[dst].nent)
			return -ENOTEMPTY;
		model_del(t, c, nn);
		if (ddir)
			t->n[c].nlink--;
		model_unref(t, dst, dst < fs->nrefs && fs->refs[dst]);
	}
	model_del(t, a, on);
	model_add(t, c, nn, src);
	if (sdir) {
		t->n[src].parent = c;
		t->n[a].nlink--;
		t->n[c].nlink++;
	}
	return commit(fs);
}

int pmfs_readdir(struct pmfs *fs, uint64_t dir, uint64_t cookie,
		 pmfs_dir_fn fn, void *arg)
{
	uint32_t d, i;
	int r = dir_of(fs, dir, &d);
	const struct mnode *n;

	if (r)
		return r;
	n = &fs->t->n[d];
	i = cookie < PMFS_DIR_COOKIE_FIRST ? 0 :
	    (uint32_t)(cookie - PMFS_DIR_COOKIE_FIRST + 1);
	for (; i < n->nent; i++) {
		const struct mnode *e = &fs->t->n[n->ent[i].node];

		if (fn(arg, n->ent[i].name, strlen(n->ent[i].name), e->ino, 0,
		       i + PMFS_DIR_COOKIE_FIRST))
			return 0;
	}
	return PMFS_DIR_EOF;
}

static int file_of(struct pmfs *fs, uint64_t ino, struct mnode **np)
{
	uint32_t x;
	int r = node_of(fs, ino, &x);

	if (r)
		return r;
	if (fs->t->n[x].type != M_FILE)
		return -EINVAL;
	*np = &fs->t->n[x];
	return 0;
}

ssize_t pmfs_read(struct pmfs *fs, uint64_t ino, void *buf, size_t len,
		  uint64_t off)
{
	struct mnode *n;
	int r = file_of(fs, ino, &n);

	if (r)
		return r;
	if (off >= n->size)
		return 0;
	if (len > n->size - off)
		len = n->size - off;
	memcpy(buf, n->data + off, len);
	return (ssize_t)len;
}

ssize_t pmfs_write(struct pmfs *fs, uint64_t ino, const void *buf,
		   size_t len, uint64_t off, unsigned int flags)
{
	struct mnode *n;
	int r = file_of(fs, ino, &n);

	if (r)
		return r;
	if (flags & PMFS_WRITE_APPEND)
		off = n->size;
	if (off + len > n->size)
		model_resize(n, off + len);
	memcpy(n->data + off, buf, len);
	r = commit(fs);
	return r ? r : (ssize_t)len;
}

int pmfs_fallocate(struct pmfs *fs, uint64_t ino, unsigned int mode,
		   uint64_t off, uint64_t len)
{
	struct mnode *n;
	uint64_t end;
	int r = file_of(fs, ino, &n);

	if (r)
		return r;
	end = off + len < n->size ? off + len : n->size;
	if ((mode & (PMFS_FALLOC_PUNCH_HOLE | PMFS_FALLOC_ZERO_RANGE)) &&
	    off < end)
		memset(n->data + off, 0, end - off);
	if (!(mode & (PMFS_FALLOC_KEEP_SIZE | PMFS_FALLOC_PUNCH_HOLE)) &&
	    off + len > n->size)
		model_resize(n, off + len);
	return commit(fs);
}

int64_t pmfs_lseek(struct pmfs *fs, uint64_t ino, uint64_t off, int whence)
{
	return -EINVAL;
}

ssize_t pmfs_copy_range(struct pmfs *fs, uint64_t ino_in, uint64_t off_in,
			uint64_t ino_out, uint64_t off_out, size_t len)
{
	struct mnode *a, *b;
	uint8_t *tmp;
	size_t n;
	int r;

	if ((r = file_of(fs, ino_in, &a)) || (r = file_of(fs, ino_out, &b)))
		return r;
	n = off_in < a->size ? a->size - off_in : 0;
	if (n > len)
		n = len;
	if (!n)
		return 0;
	tmp = malloc(n);
	memcpy(tmp, a->data + off_in, n);
	if (off_out + n > b->size)
		model_resize(b, off_out + n);
	memcpy(b->data + off_out, tmp, n);
	free(tmp);
	r = commit(fs);
	return r ? r : (ssize_t)n;
}

int pmfs_fsync(struct pmfs *fs, uint64_t ino, int datasync)
{
	return 0;
}

int pmfs_sync(struct pmfs *fs)
{
	pm_fence(fs->m);
	return 0;
}

static int node_x(struct pmfs *fs, uint64_t ino, struct mnode **np)
{
	uint32_t x;
	int r = node_of(fs, ino, &x);

	if (!r)
		*np = &fs->t->n[x];
	return r;
}

ssize_t pmfs_getxattr(struct pmfs *fs, uint64_t ino, const char *name,
		      void *buf, size_t size)
{
	struct mnode *n;
	struct mxattr *x;
	int r = node_x(fs, ino, &n);

	if (r)
		return r;
	x = model_xattr(n, name);
	if (!x)
		return -ENODATA;
	if (size && x->len > size)
		return -ERANGE;
	if (size)
		memcpy(buf, x->val, x->len);
	return (ssize_t)x->len;
}

int pmfs_setxattr(struct pmfs *fs, uint64_t ino, const char *name,
		  const void *value, size_t size, unsigned int flags)
{
	struct mnode *n;
	struct mxattr *x;
	int r = node_x(fs, ino, &n);

	if (r)
		return r;
	x = model_xattr(n, name);
	if ((flags & PMFS_XATTR_CREATE) && x)
		return -EEXIST;
	if ((flags & PMFS_XATTR_REPLACE) && !x)
		return -ENODATA;
	model_set_xattr(n, name, value, size);
	return commit(fs);
}

ssize_t pmfs_listxattr(struct pmfs *fs, uint64_t ino, char *buf, size_t size)
{
	struct mnode *n;
	size_t len = 0, l;
	unsigned int i;
	int r = node_x(fs, ino, &n);

	if (r)
		return r;
	for (i = 0; i < n->nxa; i++) {
		l = strlen(n->xa[i].name) + 1;
		if (size && len + l > size)
			return -ERANGE;
		if (size)
			memcpy(buf + len, n->xa[i].name, l);
		len += l;
	}
	return (ssize_t)len;
}

int pmfs_removexattr(struct pmfs *fs, uint64_t ino, const char *name)
{
	struct mnode *n;
	int r = node_x(fs, ino, &n);

	if (r)
		return r;
	if (!model_xattr(n, name))
		return -ENODATA;
	model_del_xattr(n, name);
	return commit(fs);
}

int pmfs_statfs(struct pmfs *fs, struct pmfs_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->block_size = PMFS_BLOCK_SIZE;
	return 0;
}

int pmfs_fsck(struct pm_media *m, unsigned int flags, pmfs_report_fn report,
	      void *arg)
{
	struct model *t;
	uint64_t seq, ni;

	memcpy(&seq, m->base, 8);
	if (!parse(m, seq, &t, &ni)) {
		model_free(t);
		return 0;
	}
	if ((flags & PMFS_FSCK_REPAIR) && seq && !parse(m, seq - 1, &t, &ni)) {
		model_free(t);
		pm_store8(m, (uint64_t *)m->base, seq - 1);
		pm_flush(m, m->base, 8);
		pm_fence(m);
		if (report)
			report(arg, "mockfs: committed slot corrupt: rolled "
			       "back to the previous one", 1);
		return 0;
	}
	if (report)
		report(arg, "mockfs: committed slot corrupt", 0);
	return 1;
}
