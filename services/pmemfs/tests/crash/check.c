// SPDX-License-Identifier: BSD-2-Clause
/* check.c - a mounted file system against the model (check.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "pmemfs.h"

struct ent {
	char *name;
	uint64_t ino;
};

struct list {
	struct ent *e;
	size_t n, cap;
	int overflow;
};

static int collect(void *arg, const char *name, size_t namelen, uint64_t ino,
		   unsigned int dtype, uint64_t cookie)
{
	struct list *l = arg;

	if (l->n >= 100000) {
		l->overflow = 1;
		return 1;
	}
	if (l->n == l->cap) {
		size_t c = l->cap ? l->cap * 2 : 64;
		struct ent *e = realloc(l->e, c * sizeof(*e));

		if (!e)
			return 1;
		l->e = e;
		l->cap = c;
	}
	l->e[l->n].name = strndup(name, namelen);
	l->e[l->n].ino = ino;
	l->n++;
	return 0;
}

static void list_free(struct list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->e[i].name);
	free(l->e);
}

#define FAIL(code, ...) do { snprintf(why, whylen, __VA_ARGS__); \
	ret = (code); goto out; } while (0)

static int err_code(int64_t e)
{
	return e == -EIO || e == -EUCLEAN || e == -EINVAL || e == -ENOENT ||
	       e == -ENODATA || e == -ENOMEM ? CHK_ERROR : CHK_WRONG;
}

static int check_data(struct pmfs *fs, const struct mnode *n,
		      const struct mnode *old, uint64_t size, char *why,
		      size_t whylen)
{
	uint8_t *buf = malloc(size + 1);
	int64_t got;
	uint64_t j, ino = n->ino;
	int ret = CHK_OK;

	if (!buf)
		return CHK_ERROR;
	got = pmfs_read(fs, ino, buf, size + 1, 0);
	if (got < 0)
		FAIL(err_code(got), "read ino %" PRIu64 ": %s", ino,
		     strerror((int)-got));
	if ((uint64_t)got != size)
		FAIL(CHK_WRONG, "read ino %" PRIu64 ": %" PRId64
		     " bytes, size %" PRIu64, ino, got, size);
	for (j = 0; j < size; j++) {
		uint8_t want = j < n->size ? n->data[j] : 0;

		if (buf[j] == want)
			continue;
		if (old && j < old->size && buf[j] == old->data[j])
			continue;
		FAIL(CHK_WRONG, "ino %" PRIu64 " byte %" PRIu64 ": %#x, want %#x"
		     "%s%s", ino, j, buf[j], want,
		     old && j < old->size ? " or (torn) old " : "",
		     old && j < old->size ? "byte" : "");
	}
out:
	free(buf);
	return ret;
}

static int check_xattrs(struct pmfs *fs, const struct mnode *n, char *why,
			size_t whylen)
{
	char names[8192];
	int64_t len = pmfs_listxattr(fs, n->ino, names, sizeof(names));
	unsigned int cnt = 0, i;
	uint8_t *val = NULL;
	int64_t got;
	int ret = CHK_OK;
	char *p;

	if (len < 0)
		FAIL(err_code(len), "listxattr ino %" PRIu64 ": %s", n->ino,
		     strerror((int)-len));
	for (p = names; p < names + len; p += strlen(p) + 1) {
		if (!memchr(p, 0, (size_t)(names + len - p)))
			FAIL(CHK_WRONG, "listxattr ino %" PRIu64
			     ": unterminated", n->ino);
		cnt++;
		if (!model_xattr((struct mnode *)n, p))
			FAIL(CHK_WRONG, "ino %" PRIu64 ": xattr %s never set",
			     n->ino, p);
	}
	if (cnt != n->nxa)
		FAIL(CHK_WRONG, "ino %" PRIu64 ": %u xattrs, want %u", n->ino,
		     cnt, n->nxa);
	val = malloc(PMFS_XATTR_SIZE_MAX);
	if (!val)
		FAIL(CHK_ERROR, "no memory");
	for (i = 0; i < n->nxa; i++) {
		got = pmfs_getxattr(fs, n->ino, n->xa[i].name, val,
				    PMFS_XATTR_SIZE_MAX);
		if (got < 0)
			FAIL(err_code(got), "getxattr ino %" PRIu64 " %s: %s",
			     n->ino, n->xa[i].name, strerror((int)-got));
		if ((size_t)got != n->xa[i].len ||
		    memcmp(val, n->xa[i].val, n->xa[i].len))
			FAIL(CHK_WRONG, "ino %" PRIu64 " xattr %s: wrong value "
			     "(%" PRId64 " bytes, want %zu)", n->ino,
			     n->xa[i].name, got, n->xa[i].len);
	}
out:
	free(val);
	return ret;
}

static uint32_t mode_of(enum mtype t)
{
	switch (t) {
	case M_DIR:
		return S_IFDIR;
	case M_SYMLINK:
		return S_IFLNK;
	case M_FIFO:
		return S_IFIFO;
	default:
		return S_IFREG;
	}
}

static int check_node(struct pmfs *fs, const struct model *m, uint32_t x,
		      const struct check_relax *rx, char *why, size_t whylen)
{
	const struct mnode *n = &m->n[x];
	const struct mnode *old = NULL;
	struct pmfs_attr at;
	uint64_t size = n->size;
	int ret = CHK_OK, r;
	char tgt[PMFS_SYMLINK_MAX + 1];
	int64_t got;

	if (rx && rx->node == x && x < rx->before->nn &&
	    rx->before->n[x].type == n->type && rx->before->n[x].ino == n->ino)
		old = &rx->before->n[x];
	r = pmfs_getattr(fs, n->ino, &at);
	if (r)
		FAIL(err_code(r), "getattr ino %" PRIu64 ": %s", n->ino,
		     strerror(-r));
	if ((at.mode & S_IFMT) != mode_of(n->type) || at.mode != n->mode)
		FAIL(CHK_WRONG, "ino %" PRIu64 ": mode %#o, want %#o", n->ino,
		     at.mode, n->mode);
	if (at.nlink != n->nlink)
		FAIL(CHK_WRONG, "ino %" PRIu64 ": nlink %u, want %u", n->ino,
		     at.nlink, n->nlink);
	if (n->type == M_FILE) {
		if (at.size != n->size && !(old && at.size == old->size))
			FAIL(CHK_WRONG, "ino %" PRIu64 ": size %" PRIu64
			     ", want %" PRIu64 "%s", n->ino, at.size, n->size,
			     old ? " (or the old size)" : "");
		size = at.size;
		r = check_data(fs, n, old, size, why, whylen);
		if (r)
			return r;
	} else if (n->type == M_SYMLINK) {
		got = pmfs_readlink(fs, n->ino, tgt, sizeof(tgt));
		if (got < 0)
			FAIL(err_code(got), "readlink ino %" PRIu64 ": %s",
			     n->ino, strerror((int)-got));
		if ((size_t)got != strlen(n->target) ||
		    memcmp(tgt, n->target, (size_t)got))
			FAIL(CHK_WRONG, "ino %" PRIu64 ": symlink target %.*s,"
			     " want %s", n->ino, (int)got, tgt, n->target);
	}
	return check_xattrs(fs, n, why, whylen);
out:
	return ret;
}

static int check_dir(struct pmfs *fs, const struct model *m, uint32_t dx,
		     uint8_t *seen, const struct check_relax *rx, char *why,
		     size_t whylen)
{
	const struct mnode *d = &m->n[dx];
	struct list l = { 0 };
	struct pmfs_attr at;
	unsigned int i;
	size_t j;
	int ret = CHK_OK, r;

	r = pmfs_readdir(fs, d->ino, 0, collect, &l);
	if (r < 0)
		FAIL(err_code(r), "readdir ino %" PRIu64 ": %s", d->ino,
		     strerror(-r));
	if (r != PMFS_DIR_EOF || l.overflow)
		FAIL(CHK_WRONG, "readdir ino %" PRIu64 ": no EOF (%d)", d->ino,
		     r);
	if (l.n != d->nent)
		FAIL(CHK_WRONG, "dir ino %" PRIu64 ": %zu entries, want %u",
		     d->ino, l.n, d->nent);
	for (j = 0; j < l.n; j++) {
		struct mdent *e = model_find((struct model *)m, dx,
					     l.e[j].name);

		if (!e)
			FAIL(CHK_WRONG, "dir ino %" PRIu64 ": entry %.60s "
			     "should not exist", d->ino, l.e[j].name);
		if (m->n[e->node].ino != l.e[j].ino)
			FAIL(CHK_WRONG, "dir ino %" PRIu64 ": %.60s is ino %"
			     PRIu64 ", want %" PRIu64, d->ino, l.e[j].name,
			     l.e[j].ino, m->n[e->node].ino);
		for (i = 0; i < j; i++)
			if (!strcmp(l.e[i].name, l.e[j].name))
				FAIL(CHK_WRONG, "dir ino %" PRIu64 ": %.60s "
				     "listed twice", d->ino, l.e[j].name);
	}
	for (i = 0; i < d->nent; i++) {
		uint32_t x = d->ent[i].node;
		const char *nm = d->ent[i].name;

		r = pmfs_lookup(fs, d->ino, nm, strlen(nm), &at);
		if (r)
			FAIL(err_code(r), "lookup %" PRIu64 "/%.60s: %s",
			     d->ino, nm, strerror(-r));
		pmfs_iput(fs, at.ino, 1);
		if (at.ino != m->n[x].ino)
			FAIL(CHK_WRONG, "lookup %" PRIu64 "/%.60s: ino %" PRIu64
			     ", want %" PRIu64, d->ino, nm, at.ino,
			     m->n[x].ino);
		if (seen[x])
			continue;
		seen[x] = 1;
		r = check_node(fs, m, x, rx, why, whylen);
		if (!r && m->n[x].type == M_DIR)
			r = check_dir(fs, m, x, seen, rx, why, whylen);
		if (r) {
			ret = r;
			goto out;
		}
	}
out:
	list_free(&l);
	return ret;
}

int check_tree(struct pmfs *fs, const struct model *m,
	       const struct check_relax *rx, char *why, size_t whylen)
{
	uint8_t *seen = calloc(m->nn + 1, 1);
	char tmp[512];
	int r;

	if (!seen)
		return CHK_ERROR;
	seen[0] = 1;
	r = check_node(fs, m, 0, rx, tmp, sizeof(tmp));
	if (!r)
		r = check_dir(fs, m, 0, seen, rx, tmp, sizeof(tmp));
	if (r)
		snprintf(why, whylen, "%s", tmp);
	free(seen);
	return r;
}
