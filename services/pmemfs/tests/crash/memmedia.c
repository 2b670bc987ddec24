// SPDX-License-Identifier: BSD-2-Clause
/* memmedia.c - pm.h over a heap buffer (see memmedia.h). */
#include <stdlib.h>
#include <string.h>

#include "memmedia.h"

struct mem_priv {
	int owned;
};

static void mem_store(struct pm_media *m, void *dst, const void *src,
		      size_t len)
{
	memcpy(dst, src, len);
}

static void mem_set_flush(struct pm_media *m, void *dst, int c, size_t len)
{
	memset(dst, c, len);
}

static void mem_store8(struct pm_media *m, uint64_t *dst, uint64_t val)
{
	__atomic_store_n(dst, val, __ATOMIC_RELAXED);
}

static void mem_flush(struct pm_media *m, const void *addr, size_t len)
{
}

static void mem_fence(struct pm_media *m)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void mem_close(struct pm_media *m)
{
	struct mem_priv *p = m->priv;

	if (p->owned)
		free(m->base);
	free(p);
	free(m);
}

static const struct pm_ops mem_ops = {
	.store = mem_store,
	.store_flush = mem_store,
	.set_flush = mem_set_flush,
	.store8 = mem_store8,
	.flush = mem_flush,
	.fence = mem_fence,
	.close = mem_close,
};

static struct pm_media *mem_media_make(void *buf, uint64_t size, int owned)
{
	struct pm_media *m = calloc(1, sizeof(*m));
	struct mem_priv *p = calloc(1, sizeof(*p));

	if (!m || !p) {
		free(m);
		free(p);
		return NULL;
	}
	p->owned = owned;
	m->base = buf;
	m->size = size;
	m->kind = PM_KIND_FILE;
	m->ops = &mem_ops;
	m->priv = p;
	return m;
}

struct pm_media *mem_media_new(uint64_t size)
{
	void *buf = calloc(1, size ? size : 1);
	struct pm_media *m;

	if (!buf)
		return NULL;
	m = mem_media_make(buf, size, 1);
	if (!m)
		free(buf);
	return m;
}

struct pm_media *mem_media_over(void *buf, uint64_t size)
{
	return mem_media_make(buf, size, 0);
}
