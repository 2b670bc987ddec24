// SPDX-License-Identifier: BSD-2-Clause
/* model.c - the oracle's in-memory file tree (model.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model.h"

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		abort();
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

static void *dup_mem(const void *p, size_t n)
{
	return memcpy(xmalloc(n), p, n);
}

struct model *model_new(void)
{
	struct model *m = calloc(1, sizeof(*m));
	uint32_t r;

	if (!m)
		abort();
	r = model_node(m);
	m->n[r].type = M_DIR;
	m->n[r].ino = 1;
	m->n[r].mode = S_IFDIR | 0755;
	m->n[r].nlink = 2;
	m->n[r].parent = r;
	return m;
}

static void node_free(struct mnode *n)
{
	unsigned int i;

	free(n->data);
	free(n->target);
	for (i = 0; i < n->nxa; i++) {
		free(n->xa[i].name);
		free(n->xa[i].val);
	}
	free(n->xa);
	for (i = 0; i < n->nent; i++)
		free(n->ent[i].name);
	free(n->ent);
	memset(n, 0, sizeof(*n));
}

struct model *model_clone(const struct model *m)
{
	struct model *c = xmalloc(sizeof(*c));
	unsigned int i, j;

	c->nn = m->nn;
	c->n = xmalloc(m->nn * sizeof(*c->n));
	memcpy(c->n, m->n, m->nn * sizeof(*c->n));
	for (i = 0; i < m->nn; i++) {
		const struct mnode *s = &m->n[i];
		struct mnode *d = &c->n[i];

		if (s->data)
			d->data = dup_mem(s->data, s->size);
		if (s->target)
			d->target = xstrdup(s->target);
		if (s->nxa) {
			d->xa = xmalloc(s->nxa * sizeof(*d->xa));
			for (j = 0; j < s->nxa; j++) {
				d->xa[j].name = xstrdup(s->xa[j].name);
				d->xa[j].val = dup_mem(s->xa[j].val,
						       s->xa[j].len);
				d->xa[j].len = s->xa[j].len;
			}
		} else {
			d->xa = NULL;
		}
		if (s->nent) {
			d->ent = xmalloc(s->nent * sizeof(*d->ent));
			for (j = 0; j < s->nent; j++) {
				d->ent[j].name = xstrdup(s->ent[j].name);
				d->ent[j].node = s->ent[j].node;
			}
		} else {
			d->ent = NULL;
		}
	}
	return c;
}

void model_free(struct model *m)
{
	unsigned int i;

	if (!m)
		return;
	for (i = 0; i < m->nn; i++)
		node_free(&m->n[i]);
	free(m->n);
	free(m);
}

uint32_t model_node(struct model *m)
{
	unsigned int i;

	for (i = 0; i < m->nn; i++)
		if (m->n[i].type == M_FREE)
			break;
	if (i == m->nn) {
		m->n = xrealloc(m->n, (m->nn + 1) * sizeof(*m->n));
		m->nn++;
	}
	memset(&m->n[i], 0, sizeof(m->n[i]));
	m->n[i].type = M_FILE;
	return i;
}

struct mdent *model_find(struct model *m, uint32_t dir, const char *name)
{
	struct mnode *d = &m->n[dir];
	unsigned int i;

	for (i = 0; i < d->nent; i++)
		if (!strcmp(d->ent[i].name, name))
			return &d->ent[i];
	return NULL;
}

void model_add(struct model *m, uint32_t dir, const char *name,
	       uint32_t node)
{
	struct mnode *d = &m->n[dir];

	d->ent = xrealloc(d->ent, (d->nent + 1) * sizeof(*d->ent));
	d->ent[d->nent].name = xstrdup(name);
	d->ent[d->nent].node = node;
	d->nent++;
}

void model_del(struct model *m, uint32_t dir, const char *name)
{
	struct mnode *d = &m->n[dir];
	unsigned int i;

	for (i = 0; i < d->nent; i++)
		if (!strcmp(d->ent[i].name, name)) {
			free(d->ent[i].name);
			d->ent[i] = d->ent[--d->nent];
			return;
		}
}

void model_unref(struct model *m, uint32_t node, int keep)
{
	struct mnode *n = &m->n[node];

	if (n->nlink)
		n->nlink--;
	if (n->type == M_DIR)
		n->nlink = 0;
	if (!n->nlink && !keep)
		node_free(n);
}

int model_resize(struct mnode *n, uint64_t size)
{
	n->data = xrealloc(n->data, size);
	if (size > n->size)
		memset(n->data + n->size, 0, size - n->size);
	n->size = size;
	return 0;
}

struct mxattr *model_xattr(struct mnode *n, const char *name)
{
	unsigned int i;

	for (i = 0; i < n->nxa; i++)
		if (!strcmp(n->xa[i].name, name))
			return &n->xa[i];
	return NULL;
}

int model_set_xattr(struct mnode *n, const char *name, const void *v,
		    size_t len)
{
	struct mxattr *x = model_xattr(n, name);

	if (!x) {
		n->xa = xrealloc(n->xa, (n->nxa + 1) * sizeof(*n->xa));
		x = &n->xa[n->nxa++];
		x->name = xstrdup(name);
	} else {
		free(x->val);
	}
	x->val = dup_mem(v, len);
	x->len = len;
	return 0;
}

void model_del_xattr(struct mnode *n, const char *name)
{
	struct mxattr *x = model_xattr(n, name);

	if (!x)
		return;
	free(x->name);
	free(x->val);
	*x = n->xa[--n->nxa];
}

int model_under(const struct model *m, uint32_t a, uint32_t b)
{
	unsigned int depth = 0;

	while (depth++ < m->nn + 1) {
		if (a == b)
			return 1;
		if (a == 0)
			return 0;
		a = m->n[a].parent;
	}
	return 0;
}
