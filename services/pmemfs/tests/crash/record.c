// SPDX-License-Identifier: BSD-2-Clause
/* record.c - record every store, flush and fence to a media (record.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

struct rec_priv {
	struct pm_media *inner;
	pthread_mutex_t lock;
	int on;
	uint8_t *init;
	struct rec_ev *ev;
	size_t nev, cap;
	uint8_t *data;
	size_t ndata, dcap;
	uint64_t nstores, nflushes, nfences, oor;
};

static const struct pm_ops rec_ops;

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 4096;
	void *q;

	while (n < need)
		n *= 2;
	q = realloc(p, n * elem);
	if (!q) {
		fprintf(stderr, "pmcrash: recorder out of memory\n");
		abort();
	}
	*cap = n;
	return q;
}

static void ev_add(struct rec_priv *p, uint32_t type, uint64_t off,
		   uint32_t len, const void *src, int fill)
{
	struct rec_ev *e;

	if (p->nev + 1 > p->cap)
		p->ev = grow(p->ev, &p->cap, p->nev + 1, sizeof(*p->ev));
	e = &p->ev[p->nev++];
	e->off = off;
	e->len = len;
	e->type = type;
	if (type != REC_STORE)
		return;
	if (p->ndata + len > p->dcap)
		p->data = grow(p->data, &p->dcap, p->ndata + len, 1);
	if (src)
		memcpy(p->data + p->ndata, src, len);
	else
		memset(p->data + p->ndata, fill, len);
	p->ndata += len;
}

static int in_range(struct pm_media *m, const void *a, size_t len)
{
	const uint8_t *b = a;

	return b >= m->base && len <= m->size &&
	       (uint64_t)(b - m->base) <= m->size - len;
}

/* Stores of more than 4 GiB do not happen; split anyway. */
static void rec_store_ev(struct pm_media *m, struct rec_priv *p, void *dst,
			 const void *src, int fill, size_t len, int flush)
{
	uint64_t off = pm_off(m, dst);

	while (len) {
		uint32_t n = len > (1U << 30) ? (1U << 30) : (uint32_t)len;

		ev_add(p, REC_STORE, off, n, src, fill);
		if (flush)
			ev_add(p, REC_FLUSH, off, n, NULL, 0);
		p->nstores++;
		off += n;
		len -= n;
		if (src)
			src = (const uint8_t *)src + n;
	}
}

static void rec_store(struct pm_media *m, void *dst, const void *src,
		      size_t len)
{
	struct rec_priv *p = m->priv;

	pthread_mutex_lock(&p->lock);
	if (!in_range(m, dst, len)) {
		p->oor++;
		pthread_mutex_unlock(&p->lock);
		return;
	}
	p->inner->ops->store(p->inner, dst, src, len);
	if (p->on)
		rec_store_ev(m, p, dst, src, 0, len, 0);
	pthread_mutex_unlock(&p->lock);
}

static void rec_store_flush(struct pm_media *m, void *dst, const void *src,
			    size_t len)
{
	struct rec_priv *p = m->priv;

	pthread_mutex_lock(&p->lock);
	if (!in_range(m, dst, len)) {
		p->oor++;
		pthread_mutex_unlock(&p->lock);
		return;
	}
	p->inner->ops->store_flush(p->inner, dst, src, len);
	if (p->on)
		rec_store_ev(m, p, dst, src, 0, len, 1);
	pthread_mutex_unlock(&p->lock);
}

static void rec_set_flush(struct pm_media *m, void *dst, int c, size_t len)
{
	struct rec_priv *p = m->priv;

	pthread_mutex_lock(&p->lock);
	if (!in_range(m, dst, len)) {
		p->oor++;
		pthread_mutex_unlock(&p->lock);
		return;
	}
	p->inner->ops->set_flush(p->inner, dst, c, len);
	if (p->on)
		rec_store_ev(m, p, dst, NULL, c, len, 1);
	pthread_mutex_unlock(&p->lock);
}

static void rec_store8(struct pm_media *m, uint64_t *dst, uint64_t val)
{
	struct rec_priv *p = m->priv;

	pthread_mutex_lock(&p->lock);
	if (!in_range(m, dst, 8) || (pm_off(m, dst) & 7)) {
		/* unaligned: not atomic on the media: a core bug */
		p->oor++;
		pthread_mutex_unlock(&p->lock);
		return;
	}
	p->inner->ops->store8(p->inner, dst, val);
	if (p->on)
		rec_store_ev(m, p, dst, &val, 0, 8, 0);
	pthread_mutex_unlock(&p->lock);
}

static void rec_flush(struct pm_media *m, const void *addr, size_t len)
{
	struct rec_priv *p = m->priv;

	pthread_mutex_lock(&p->lock);
	if (!in_range(m, addr, len)) {
		p->oor++;
		pthread_mutex_unlock(&p->lock);
		return;
	}
	p->inner->ops->flush(p->inner, addr, len);
	if (p->on && len) {
		ev_add(p, REC_FLUSH, pm_off(m, addr),
		       len > UINT32_MAX ? UINT32_MAX : (uint32_t)len, NULL, 0);
		p->nflushes++;
	}
	pthread_mutex_unlock(&p->lock);
}

static void rec_fence(struct pm_media *m)
{
	struct rec_priv *p = m->priv;

	pthread_mutex_lock(&p->lock);
	p->inner->ops->fence(p->inner);
	if (p->on) {
		ev_add(p, REC_FENCE, 0, 0, NULL, 0);
		p->nfences++;
	}
	pthread_mutex_unlock(&p->lock);
}

static void rec_close(struct pm_media *m)
{
	struct rec_priv *p = m->priv;

	pthread_mutex_destroy(&p->lock);
	free(p->init);
	free(p->ev);
	free(p->data);
	free(p);
	free(m);
}

static const struct pm_ops rec_ops = {
	.store = rec_store,
	.store_flush = rec_store_flush,
	.set_flush = rec_set_flush,
	.store8 = rec_store8,
	.flush = rec_flush,
	.fence = rec_fence,
	.close = rec_close,
};

struct pm_media *rec_media_wrap(struct pm_media *inner)
{
	struct pm_media *m = calloc(1, sizeof(*m));
	struct rec_priv *p = calloc(1, sizeof(*p));

	if (!m || !p)
		goto fail;
	p->init = malloc(inner->size ? inner->size : 1);
	if (!p->init)
		goto fail;
	memcpy(p->init, inner->base, inner->size);
	pthread_mutex_init(&p->lock, NULL);
	p->inner = inner;
	p->on = 1;
	m->base = inner->base;
	m->size = inner->size;
	m->kind = PM_KIND_RECORD;
	m->ops = &rec_ops;
	m->priv = p;
	return m;
fail:
	if (p)
		free(p->init);
	free(p);
	free(m);
	return NULL;
}

int rec_is_recorder(const struct pm_media *m)
{
	return m->ops == &rec_ops;
}

void rec_mark(struct pm_media *m, uint32_t op, enum rec_phase phase)
{
	struct rec_priv *p = m->priv;

	if (!rec_is_recorder(m))
		return;
	pthread_mutex_lock(&p->lock);
	if (p->on)
		ev_add(p, REC_MARK, op, phase, NULL, 0);
	pthread_mutex_unlock(&p->lock);
}

void rec_enable(struct pm_media *m, int on)
{
	struct rec_priv *p = m->priv;

	pthread_mutex_lock(&p->lock);
	p->on = on;
	pthread_mutex_unlock(&p->lock);
}

void rec_trace(struct pm_media *m, struct rec_trace *t)
{
	struct rec_priv *p = m->priv;

	pthread_mutex_lock(&p->lock);
	t->init = p->init;
	t->size = m->size;
	t->ev = p->ev;
	t->nev = p->nev;
	t->data = p->data;
	t->ndata = p->ndata;
	t->nstores = p->nstores;
	t->nflushes = p->nflushes;
	t->nfences = p->nfences;
	t->out_of_range = p->oor;
	pthread_mutex_unlock(&p->lock);
}
