// SPDX-License-Identifier: BSD-2-Clause
/* workload.c - operations, their choice, live run and model (workload.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gen.h"
#include "pmemfs.h"
#include "workload.h"

#define WL_FILE_MAX	(192 * 1024)
#define WL_XATTR_MAX	3000

static const char *const op_names[OP_NR] = {
	"create", "mkdir", "symlink", "mkfifo", "write", "append",
	"truncate", "fallocate", "rename", "link", "unlink", "rmdir",
	"setxattr", "removexattr", "copy_range", "tmpfile", "tmpfile-link",
	"tmpfile-put", "fsync", "sync", "chmod",
};

const char *const wl_names[] = {
	"files", "rename", "links", "dirgrow", "falloc", "xattr", "mixed",
	NULL,
};

enum { WL_FILES, WL_RENAME, WL_LINKS, WL_DIRGROW, WL_FALLOC, WL_XATTR,
       WL_MIXED };

/* Relative weights of each op kind, per workload. */
static const uint8_t weights[][OP_NR] = {
	[WL_FILES] = {
		[OP_CREATE] = 10, [OP_MKDIR] = 2, [OP_WRITE] = 20,
		[OP_APPEND] = 12, [OP_TRUNCATE] = 6, [OP_UNLINK] = 4,
		[OP_FSYNC] = 3, [OP_SYNC] = 1, [OP_CHMOD] = 1,
	},
	[WL_RENAME] = {
		[OP_CREATE] = 8, [OP_MKDIR] = 4, [OP_WRITE] = 4,
		[OP_RENAME] = 30, [OP_UNLINK] = 2, [OP_RMDIR] = 2,
		[OP_SYMLINK] = 2,
	},
	[WL_LINKS] = {
		[OP_CREATE] = 8, [OP_MKDIR] = 2, [OP_WRITE] = 4,
		[OP_LINK] = 12, [OP_UNLINK] = 10, [OP_SYMLINK] = 4,
		[OP_MKFIFO] = 2, [OP_TMPFILE] = 4, [OP_TMPLINK] = 4,
		[OP_PUT] = 2, [OP_RENAME] = 4, [OP_RMDIR] = 2,
	},
	[WL_DIRGROW] = {
		[OP_CREATE] = 30, [OP_MKDIR] = 2, [OP_UNLINK] = 6,
		[OP_RENAME] = 4, [OP_LINK] = 3, [OP_SYMLINK] = 3,
	},
	[WL_FALLOC] = {
		[OP_CREATE] = 4, [OP_WRITE] = 10, [OP_APPEND] = 4,
		[OP_TRUNCATE] = 8, [OP_FALLOC] = 20, [OP_COPY] = 10,
		[OP_UNLINK] = 1,
	},
	[WL_XATTR] = {
		[OP_CREATE] = 6, [OP_MKDIR] = 1, [OP_SETXATTR] = 24,
		[OP_RMXATTR] = 8, [OP_WRITE] = 3, [OP_UNLINK] = 2,
	},
	[WL_MIXED] = {
		[OP_CREATE] = 8, [OP_MKDIR] = 3, [OP_SYMLINK] = 2,
		[OP_MKFIFO] = 1, [OP_WRITE] = 10, [OP_APPEND] = 6,
		[OP_TRUNCATE] = 4, [OP_FALLOC] = 5, [OP_RENAME] = 8,
		[OP_LINK] = 4, [OP_UNLINK] = 5, [OP_RMDIR] = 2,
		[OP_SETXATTR] = 5, [OP_RMXATTR] = 2, [OP_COPY] = 4,
		[OP_TMPFILE] = 2, [OP_TMPLINK] = 2, [OP_PUT] = 1,
		[OP_FSYNC] = 2, [OP_SYNC] = 1, [OP_CHMOD] = 1,
	},
};

const char *op_name(enum opk k)
{
	return k < OP_NR ? op_names[k] : "?";
}

int wl_lookup(const char *name)
{
	int i;

	for (i = 0; wl_names[i]; i++)
		if (!strcmp(wl_names[i], name))
			return i;
	return -1;
}

uint8_t wl_pattern(uint64_t ino, uint64_t off, uint32_t gen)
{
	return (uint8_t)(gen_hash(gen_hash(ino, gen), off) % 255 + 1);
}

static uint64_t rr(struct wl_rng *r, uint64_t n)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return n ? gen_hash(r->s, 17) % n : 0;
}

/* ---- picking from the model ------------------------------------------ */

static int pick_node(struct wl_rng *r, const struct model *m,
		     enum mtype type, int linked, uint32_t *out)
{
	unsigned int i, n = 0, k;

	for (i = 0; i < m->nn; i++)
		if (m->n[i].type == type && (!linked) == (!m->n[i].nlink))
			n++;
	if (!n)
		return -ENOENT;
	k = (unsigned int)rr(r, n);
	for (i = 0; i < m->nn; i++)
		if (m->n[i].type == type && (!linked) == (!m->n[i].nlink) &&
		    !k--) {
			*out = i;
			return 0;
		}
	return -ENOENT;
}

/* A random entry (its directory and name); @type M_FREE: any type. */
static int pick_entry(struct wl_rng *r, const struct model *m,
		      enum mtype type, uint32_t *dir, const char **name)
{
	unsigned int i, j, n = 0, k;

	for (i = 0; i < m->nn; i++)
		if (m->n[i].type == M_DIR)
			for (j = 0; j < m->n[i].nent; j++)
				if (type == M_FREE ||
				    m->n[m->n[i].ent[j].node].type == type)
					n++;
	if (!n)
		return -ENOENT;
	k = (unsigned int)rr(r, n);
	for (i = 0; i < m->nn; i++)
		if (m->n[i].type == M_DIR)
			for (j = 0; j < m->n[i].nent; j++)
				if ((type == M_FREE ||
				     m->n[m->n[i].ent[j].node].type == type) &&
				    !k--) {
					*dir = i;
					*name = m->n[i].ent[j].name;
					return 0;
				}
	return -ENOENT;
}

static void new_name(struct wl_rng *r, int wl, uint32_t i, char *buf)
{
	if (wl == WL_DIRGROW) {
		/* long names: the directory's blocks and index grow fast */
		unsigned int len = 40 + (unsigned int)rr(r, 200), j;
		int n = snprintf(buf, M_NAME_MAX + 1, "d%u-", i);

		for (j = (unsigned int)n; j < len; j++)
			buf[j] = (char)('a' + (i + j) % 26);
		buf[len] = 0;
		return;
	}
	snprintf(buf, M_NAME_MAX + 1, "n%u", i);
}

static uint32_t pick_dir(struct wl_rng *r, const struct model *m, int wl)
{
	uint32_t d = 0;

	if (wl == WL_DIRGROW && rr(r, 8))
		return 0;
	if (pick_node(r, m, M_DIR, 1, &d))
		d = 0;
	return d;
}

static uint64_t pick_len(struct wl_rng *r)
{
	switch (rr(r, 4)) {
	case 0:
		return 1 + rr(r, 200);
	case 1:
		return PMFS_BLOCK_SIZE * (1 + rr(r, 3));
	case 2:
		return 1 + rr(r, 3 * PMFS_BLOCK_SIZE);
	default:
		return 1 + rr(r, 20000);
	}
}

static uint64_t pick_off(struct wl_rng *r, uint64_t size)
{
	switch (rr(r, 4)) {
	case 0:
		return 0;
	case 1:
		return rr(r, size + 1);
	case 2:
		return rr(r, size / PMFS_BLOCK_SIZE + 2) * PMFS_BLOCK_SIZE;
	default:
		return rr(r, size + 3 * PMFS_BLOCK_SIZE);
	}
}

int wl_choose(int wl, uint32_t i, struct wl_rng *r, const struct model *m,
	      struct op *o)
{
	unsigned int tot = 0, k, x;
	const char *nm;
	int tries;

	for (k = 0; k < OP_NR; k++)
		tot += weights[wl][k];
	for (tries = 0; tries < 50; tries++) {
		memset(o, 0, sizeof(*o));
		x = (unsigned int)rr(r, tot);
		for (k = 0; k < OP_NR; k++) {
			if (x < weights[wl][k])
				break;
			x -= weights[wl][k];
		}
		o->k = (enum opk)k;
		o->gen = i + 1;
		switch (o->k) {
		case OP_CREATE:
		case OP_MKDIR:
		case OP_SYMLINK:
		case OP_MKFIFO:
		case OP_TMPFILE:
			o->a = pick_dir(r, m, wl);
			new_name(r, wl, i, o->name);
			/* once in a while: a name that exists (-EEXIST) */
			if (o->k != OP_TMPFILE && rr(r, 16) == 0 &&
			    !pick_entry(r, m, M_FREE, &o->a, &nm))
				snprintf(o->name, sizeof(o->name), "%s", nm);
			if (o->k == OP_CREATE)
				o->flags = rr(r, 4) == 0;	/* + xattr */
			return 0;
		case OP_WRITE:
		case OP_APPEND:
		case OP_TRUNCATE:
		case OP_FALLOC:
		case OP_FSYNC:
		case OP_CHMOD:
			if (pick_node(r, m, M_FILE, 1, &o->a))
				continue;
			o->len = pick_len(r);
			o->off = pick_off(r, m->n[o->a].size);
			if (o->k == OP_APPEND)
				o->off = m->n[o->a].size;
			if (o->k == OP_TRUNCATE)
				o->len = rr(r, 2) ? rr(r, m->n[o->a].size + 1) :
					 m->n[o->a].size + pick_len(r);
			if (o->k == OP_FALLOC) {
				static const uint32_t modes[] = {
					0, PMFS_FALLOC_KEEP_SIZE,
					PMFS_FALLOC_PUNCH_HOLE |
					PMFS_FALLOC_KEEP_SIZE,
					PMFS_FALLOC_ZERO_RANGE,
					PMFS_FALLOC_ZERO_RANGE |
					PMFS_FALLOC_KEEP_SIZE,
				};
				o->flags = modes[rr(r, 5)];
			}
			if (o->k == OP_CHMOD)
				o->flags = (uint32_t)rr(r, 07777);
			if (o->off + o->len > WL_FILE_MAX ||
			    (o->k == OP_TRUNCATE && o->len > WL_FILE_MAX))
				continue;
			return 0;
		case OP_COPY:
			if (pick_node(r, m, M_FILE, 1, &o->a) ||
			    pick_node(r, m, M_FILE, 1, &o->c) || o->a == o->c)
				continue;
			o->off = pick_off(r, m->n[o->a].size);
			o->off2 = pick_off(r, m->n[o->c].size);
			o->len = pick_len(r);
			if (rr(r, 2)) {	/* block aligned: shared extents */
				o->off &= ~(uint64_t)(PMFS_BLOCK_SIZE - 1);
				o->off2 &= ~(uint64_t)(PMFS_BLOCK_SIZE - 1);
				o->len = PMFS_BLOCK_SIZE * (1 + rr(r, 4));
			}
			if (o->off2 + o->len > WL_FILE_MAX)
				continue;
			return 0;
		case OP_RENAME: {
			uint32_t src;

			if (pick_entry(r, m, M_FREE, &o->a, &nm))
				continue;
			snprintf(o->name, sizeof(o->name), "%s", nm);
			src = model_find((struct model *)m, o->a, nm)->node;
			switch (rr(r, 4)) {
			case 0:	/* over an existing entry */
			case 1:	/* exchange */
				if (pick_entry(r, m, M_FREE, &o->c, &nm))
					continue;
				snprintf(o->name2, sizeof(o->name2), "%s", nm);
				if (rr(r, 2))
					o->flags = PMFS_RENAME_EXCHANGE;
				else if (rr(r, 4) == 0)
					o->flags = PMFS_RENAME_NOREPLACE;
				break;
			default:
				o->c = pick_dir(r, m, wl);
				new_name(r, wl, i, o->name2);
				if (rr(r, 3) == 0)
					o->flags = PMFS_RENAME_NOREPLACE;
				break;
			}
			/* never a directory into itself, never a no-op */
			if (m->n[src].type == M_DIR &&
			    model_under(m, o->c, src))
				continue;
			{
				struct mdent *d = model_find((struct model *)m,
							     o->c, o->name2);

				if (d && d->node == src)
					continue;
				/* over an ancestor of the source: Linux's VFS
				 * refuses it (ENOTEMPTY) before the fs */
				if (d && m->n[d->node].type == M_DIR &&
				    model_under(m, o->a, d->node))
					continue;
				if (d && o->flags == PMFS_RENAME_EXCHANGE &&
				    m->n[d->node].type == M_DIR &&
				    model_under(m, o->a, d->node))
					continue;
			}
			return 0;
		}
		case OP_LINK:
			if (pick_node(r, m, M_FILE, 1, &o->a))
				continue;
			o->c = pick_dir(r, m, wl);
			new_name(r, wl, i, o->name);
			return 0;
		case OP_TMPLINK:
		case OP_PUT:
			if (pick_node(r, m, M_FILE, 0, &o->a))
				continue;
			o->c = pick_dir(r, m, wl);
			new_name(r, wl, i, o->name);
			return 0;
		case OP_UNLINK:
			if (pick_entry(r, m, rr(r, 3) ? M_FILE : M_FREE,
				       &o->a, &nm))
				continue;
			if (m->n[model_find((struct model *)m, o->a,
					    nm)->node].type == M_DIR)
				continue;
			snprintf(o->name, sizeof(o->name), "%s", nm);
			return 0;
		case OP_RMDIR:
			if (pick_entry(r, m, M_DIR, &o->a, &nm))
				continue;
			snprintf(o->name, sizeof(o->name), "%s", nm);
			return 0;
		case OP_SETXATTR:
		case OP_RMXATTR:
			if (pick_node(r, m, rr(r, 4) ? M_FILE : M_DIR, 1,
				      &o->a))
				continue;
			snprintf(o->name, sizeof(o->name), "user.x%u",
				 (unsigned int)rr(r, 6));
			o->len = rr(r, 3) ? rr(r, 100) : rr(r, WL_XATTR_MAX);
			if (o->k == OP_SETXATTR)
				o->flags = (uint32_t)rr(r, 3);
			return 0;
		case OP_SYNC:
			return 0;
		default:
			continue;
		}
	}
	o->k = OP_SYNC;
	return 0;
}

/* ---- live ------------------------------------------------------------- */

static void fill(uint8_t *buf, uint64_t ino, uint64_t off, uint64_t len,
		 uint32_t gen)
{
	uint64_t j;

	for (j = 0; j < len; j++)
		buf[j] = wl_pattern(ino, off + j, gen);
}

static int64_t live_new(struct pmfs *fs, const struct model *m, struct op *o)
{
	struct pmfs_new ni = { .uid = 1000, .gid = 1000 };
	struct pmfs_xattr xa;
	struct pmfs_attr at;
	uint64_t dir = m->n[o->a].ino;
	uint8_t val[64];
	char target[64];
	int ret;

	switch (o->k) {
	case OP_CREATE:
		ni.mode = S_IFREG | 0644;
		if (o->flags) {
			/* value patterned by (dir ino, gen): known upfront */
			fill(val, dir, 0, sizeof(val), o->gen);
			xa.name = "user.init";
			xa.value = val;
			xa.size = sizeof(val);
			ni.xattrs = &xa;
			ni.nr_xattrs = 1;
		}
		ret = pmfs_mknod(fs, dir, o->name, strlen(o->name), &ni, &at);
		break;
	case OP_MKDIR:
		ni.mode = S_IFDIR | 0755;
		ret = pmfs_mknod(fs, dir, o->name, strlen(o->name), &ni, &at);
		break;
	case OP_MKFIFO:
		ni.mode = S_IFIFO | 0600;
		ret = pmfs_mknod(fs, dir, o->name, strlen(o->name), &ni, &at);
		break;
	case OP_SYMLINK:
		ni.mode = S_IFLNK | 0777;
		snprintf(target, sizeof(target), "target-of-%u/%s", o->gen,
			 "x");
		ret = pmfs_symlink(fs, dir, o->name, strlen(o->name), target,
				   strlen(target), &ni, &at);
		break;
	default:	/* OP_TMPFILE */
		ni.mode = S_IFREG | 0600;
		ret = pmfs_tmpfile(fs, dir, &ni, &at);
		if (!ret)
			o->ino = at.ino;
		return ret;	/* the reference is held until link/put */
	}
	if (ret)
		return ret;
	o->ino = at.ino;
	pmfs_iput(fs, at.ino, 1);
	return 0;
}

int64_t wl_live(struct pmfs *fs, const struct model *m, struct op *o)
{
	const struct mnode *n = &m->n[o->a];
	struct pmfs_setattr sa = { 0 };
	struct pmfs_attr at;
	uint8_t *buf;
	int64_t ret;

	switch (o->k) {
	case OP_CREATE:
	case OP_MKDIR:
	case OP_SYMLINK:
	case OP_MKFIFO:
	case OP_TMPFILE:
		ret = live_new(fs, m, o);
		break;
	case OP_WRITE:
	case OP_APPEND:
		buf = malloc(o->len);
		if (!buf)
			return -ENOMEM;
		fill(buf, n->ino, o->off, o->len, o->gen);
		ret = pmfs_write(fs, n->ino, buf, o->len, o->off,
				 o->k == OP_APPEND ? PMFS_WRITE_APPEND : 0);
		free(buf);
		break;
	case OP_TRUNCATE:
		sa.valid = PMFS_SET_SIZE;
		sa.size = o->len;
		ret = pmfs_setattr(fs, n->ino, &sa, &at);
		break;
	case OP_CHMOD:
		sa.valid = PMFS_SET_MODE;
		sa.mode = o->flags;
		ret = pmfs_setattr(fs, n->ino, &sa, &at);
		break;
	case OP_FALLOC:
		ret = pmfs_fallocate(fs, n->ino, o->flags, o->off, o->len);
		break;
	case OP_COPY:
		ret = pmfs_copy_range(fs, n->ino, o->off, m->n[o->c].ino,
				      o->off2, o->len);
		break;
	case OP_RENAME:
		ret = pmfs_rename(fs, n->ino, o->name, strlen(o->name),
				  m->n[o->c].ino, o->name2, strlen(o->name2),
				  o->flags);
		break;
	case OP_LINK:
	case OP_TMPLINK:
		ret = pmfs_link(fs, n->ino, m->n[o->c].ino, o->name,
				strlen(o->name), &at);
		if (!ret)
			pmfs_iput(fs, n->ino, o->k == OP_TMPLINK ? 2 : 1);
		break;
	case OP_PUT:
		pmfs_iput(fs, n->ino, 1);
		ret = 0;
		break;
	case OP_UNLINK:
		ret = pmfs_unlink(fs, n->ino, o->name, strlen(o->name));
		break;
	case OP_RMDIR:
		ret = pmfs_rmdir(fs, n->ino, o->name, strlen(o->name));
		break;
	case OP_SETXATTR: {
		static const unsigned int fl[] = {
			0, PMFS_XATTR_CREATE, PMFS_XATTR_REPLACE,
		};

		buf = malloc(o->len + 1);
		if (!buf)
			return -ENOMEM;
		fill(buf, n->ino, 0, o->len, o->gen);
		ret = pmfs_setxattr(fs, n->ino, o->name, buf, o->len,
				    fl[o->flags % 3]);
		free(buf);
		break;
	}
	case OP_RMXATTR:
		ret = pmfs_removexattr(fs, n->ino, o->name);
		break;
	case OP_FSYNC:
		ret = pmfs_fsync(fs, n->ino, 0);
		break;
	default:
		ret = pmfs_sync(fs);
		break;
	}
	o->ret = ret;
	return ret;
}

/* ---- model ------------------------------------------------------------ */

static int64_t apply_new(struct model *m, struct op *o)
{
	uint32_t x;
	struct mnode *n;

	if (o->k != OP_TMPFILE && model_find(m, o->a, o->name))
		return -EEXIST;
	x = model_node(m);
	n = &m->n[x];
	o->newnode = x;
	n->ino = o->ino;
	n->nlink = 1;
	switch (o->k) {
	case OP_CREATE:
		n->mode = S_IFREG | 0644;
		if (o->flags) {
			uint8_t val[64];

			fill(val, m->n[o->a].ino, 0, sizeof(val), o->gen);
			model_set_xattr(n, "user.init", val, sizeof(val));
		}
		break;
	case OP_TMPFILE:
		n->mode = S_IFREG | 0600;
		n->nlink = 0;
		return 0;
	case OP_MKDIR:
		n->type = M_DIR;
		n->mode = S_IFDIR | 0755;
		n->nlink = 2;
		n->parent = o->a;
		m->n[o->a].nlink++;
		break;
	case OP_MKFIFO:
		n->type = M_FIFO;
		n->mode = S_IFIFO | 0600;
		break;
	default: {
		char target[64];

		n->type = M_SYMLINK;
		n->mode = S_IFLNK | 0777;
		snprintf(target, sizeof(target), "target-of-%u/%s", o->gen,
			 "x");
		n->target = strdup(target);
		n->size = strlen(target);
		break;
	}
	}
	model_add(m, o->a, o->name, x);
	return 0;
}

static void zero(struct mnode *n, uint64_t off, uint64_t len)
{
	if (off >= n->size)
		return;
	if (len > n->size - off)
		len = n->size - off;
	memset(n->data + off, 0, len);
}

static int dir_empty(const struct model *m, uint32_t x)
{
	return m->n[x].nent == 0;
}

static int64_t apply_rename(struct model *m, struct op *o)
{
	struct mdent *s = model_find(m, o->a, o->name);
	struct mdent *d = model_find(m, o->c, o->name2);
	uint32_t src, dst;
	int sdir, ddir;

	if (!s)
		return -ENOENT;
	src = s->node;
	sdir = m->n[src].type == M_DIR;
	if (o->flags & PMFS_RENAME_EXCHANGE) {
		if (!d)
			return -ENOENT;
		dst = d->node;
		ddir = m->n[dst].type == M_DIR;
		s->node = dst;
		d->node = src;
		if (sdir) {
			m->n[src].parent = o->c;
			m->n[o->a].nlink--;
			m->n[o->c].nlink++;
		}
		if (ddir) {
			m->n[dst].parent = o->a;
			m->n[o->c].nlink--;
			m->n[o->a].nlink++;
		}
		return 0;
	}
	if (d) {
		if (o->flags & PMFS_RENAME_NOREPLACE)
			return -EEXIST;
		dst = d->node;
		ddir = m->n[dst].type == M_DIR;
		if (sdir && !ddir)
			return -ENOTDIR;
		if (!sdir && ddir)
			return -EISDIR;
		if (ddir && !dir_empty(m, dst))
			return -ENOTEMPTY;
		model_del(m, o->c, o->name2);
		if (ddir)
			m->n[o->c].nlink--;
		model_unref(m, dst, 0);
	}
	model_del(m, o->a, o->name);
	model_add(m, o->c, o->name2, src);
	if (sdir) {
		m->n[src].parent = o->c;
		m->n[o->a].nlink--;
		m->n[o->c].nlink++;
	}
	return 0;
}

int64_t wl_apply(struct model *m, struct op *o)
{
	struct mnode *n = &m->n[o->a];
	struct mdent *d;
	uint64_t j, cnt;

	switch (o->k) {
	case OP_CREATE:
	case OP_MKDIR:
	case OP_SYMLINK:
	case OP_MKFIFO:
	case OP_TMPFILE:
		return apply_new(m, o);
	case OP_WRITE:
	case OP_APPEND:
		if (o->k == OP_APPEND)
			o->off = n->size;
		if (o->off + o->len > n->size)
			model_resize(n, o->off + o->len);
		for (j = 0; j < o->len; j++)
			n->data[o->off + j] = wl_pattern(n->ino, o->off + j,
							 o->gen);
		return (int64_t)o->len;
	case OP_TRUNCATE:
		model_resize(n, o->len);
		return 0;
	case OP_CHMOD:
		n->mode = (n->mode & S_IFMT) | (o->flags & 07777);
		return 0;
	case OP_FALLOC:
		if (o->flags & PMFS_FALLOC_PUNCH_HOLE) {
			zero(n, o->off, o->len);
			return 0;
		}
		if (o->flags & PMFS_FALLOC_ZERO_RANGE)
			zero(n, o->off, o->len);
		if (!(o->flags & PMFS_FALLOC_KEEP_SIZE) &&
		    o->off + o->len > n->size)
			model_resize(n, o->off + o->len);
		return 0;
	case OP_COPY: {
		struct mnode *t = &m->n[o->c];

		cnt = o->off < n->size ? n->size - o->off : 0;
		if (cnt > o->len)
			cnt = o->len;
		if (!cnt)
			return 0;
		if (o->off2 + cnt > t->size)
			model_resize(t, o->off2 + cnt);
		memcpy(t->data + o->off2, n->data + o->off, cnt);
		return (int64_t)cnt;
	}
	case OP_RENAME:
		return apply_rename(m, o);
	case OP_LINK:
	case OP_TMPLINK:
		if (model_find(m, o->c, o->name))
			return -EEXIST;
		n->nlink++;
		model_add(m, o->c, o->name, o->a);
		return 0;
	case OP_PUT:
		model_unref(m, o->a, 0);
		return 0;
	case OP_UNLINK:
		d = model_find(m, o->a, o->name);
		if (!d)
			return -ENOENT;
		j = d->node;
		model_del(m, o->a, o->name);
		model_unref(m, (uint32_t)j, 0);
		return 0;
	case OP_RMDIR:
		d = model_find(m, o->a, o->name);
		if (!d)
			return -ENOENT;
		j = d->node;
		if (m->n[j].type != M_DIR)
			return -ENOTDIR;
		if (!dir_empty(m, (uint32_t)j))
			return -ENOTEMPTY;
		model_del(m, o->a, o->name);
		n->nlink--;
		model_unref(m, (uint32_t)j, 0);
		return 0;
	case OP_SETXATTR: {
		struct mxattr *x = model_xattr(n, o->name);
		uint8_t *buf;

		if (o->flags % 3 == 1 && x)
			return -EEXIST;
		if (o->flags % 3 == 2 && !x)
			return -ENODATA;
		buf = malloc(o->len + 1);
		if (!buf)
			abort();
		fill(buf, n->ino, 0, o->len, o->gen);
		model_set_xattr(n, o->name, buf, o->len);
		free(buf);
		return 0;
	}
	case OP_RMXATTR:
		if (!model_xattr(n, o->name))
			return -ENODATA;
		model_del_xattr(n, o->name);
		return 0;
	default:
		return 0;
	}
}

int wl_data_op(const struct op *o, uint32_t *node)
{
	switch (o->k) {
	case OP_WRITE:
	case OP_APPEND:
		*node = o->a;
		return 1;
	case OP_COPY:
		*node = o->c;
		return 1;
	default:
		return 0;
	}
}

void op_describe(const struct op *o, char *buf, size_t size)
{
	switch (o->k) {
	case OP_WRITE:
	case OP_APPEND:
	case OP_TRUNCATE:
	case OP_FALLOC:
		snprintf(buf, size, "%s node %u off %" PRIu64 " len %" PRIu64
			 " flags %#x -> %" PRId64, op_name(o->k), o->a, o->off,
			 o->len, o->flags, o->ret);
		break;
	case OP_COPY:
		snprintf(buf, size, "copy_range node %u@%" PRIu64 " -> node %u@%"
			 PRIu64 " len %" PRIu64 " -> %" PRId64, o->a, o->off,
			 o->c, o->off2, o->len, o->ret);
		break;
	case OP_RENAME:
		snprintf(buf, size, "rename %u/%.40s -> %u/%.40s flags %#x -> %"
			 PRId64, o->a, o->name, o->c, o->name2, o->flags,
			 o->ret);
		break;
	default:
		snprintf(buf, size, "%s node %u/%u name %.40s flags %#x len %"
			 PRIu64 " -> %" PRId64 " (ino %" PRIu64 ")",
			 op_name(o->k), o->a, o->c, o->name, o->flags, o->len,
			 o->ret, o->ino);
		break;
	}
}
