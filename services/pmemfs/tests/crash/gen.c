// SPDX-License-Identifier: BSD-2-Clause
/* gen.c - crash images from a trace (see gen.h for the model). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

#define LINE 64

struct pend {
	uint64_t w;		/* word index */
	uint64_t val;
};

struct cand {
	uint64_t w;
	uint64_t pendval;
	int haspend;
};

struct replay {
	const struct rec_trace *t;
	uint64_t nwords;
	uint8_t *persist, *cur;
	uint64_t *dirty_bm, *cand_bm;
	uint64_t *dirty;
	size_t ndirty, dcap;
	struct pend *pend;
	size_t npend, pcap;
	struct cand *cand;
	size_t ncand, ccap;
	uint64_t pver;		/* bumped when persisted changes */
};

uint64_t gen_hash(uint64_t a, uint64_t b)
{
	uint64_t z = a * 0x9e3779b97f4a7c15ULL + b + 0x632be59bd9b4e019ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ULL;
	return gen_hash(*s, 0);
}

static int bit_test(const uint64_t *bm, uint64_t i)
{
	return (bm[i >> 6] >> (i & 63)) & 1;
}

static void bit_set(uint64_t *bm, uint64_t i)
{
	bm[i >> 6] |= 1ULL << (i & 63);
}

static void bit_clear(uint64_t *bm, uint64_t i)
{
	bm[i >> 6] &= ~(1ULL << (i & 63));
}

static int more(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 1024;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static uint64_t word(const uint8_t *img, uint64_t w)
{
	uint64_t v;

	memcpy(&v, img + w * 8, 8);
	return v;
}

static void replay_free(struct replay *r)
{
	free(r->persist);
	free(r->cur);
	free(r->dirty_bm);
	free(r->cand_bm);
	free(r->dirty);
	free(r->pend);
	free(r->cand);
}

static int replay_init(struct replay *r, const struct rec_trace *t)
{
	uint64_t bmw;

	memset(r, 0, sizeof(*r));
	r->t = t;
	r->nwords = (t->size + 7) / 8;
	bmw = (r->nwords + 63) / 64 + 1;
	/* padded to whole words so tail words can be read */
	r->persist = calloc(1, r->nwords * 8 + 8);
	r->cur = calloc(1, r->nwords * 8 + 8);
	r->dirty_bm = calloc(bmw, 8);
	r->cand_bm = calloc(bmw, 8);
	if (!r->persist || !r->cur || !r->dirty_bm || !r->cand_bm) {
		replay_free(r);
		return -ENOMEM;
	}
	memcpy(r->persist, t->init, t->size);
	memcpy(r->cur, t->init, t->size);
	return 0;
}

static int ev_store(struct replay *r, const struct rec_ev *e,
		    const uint8_t *data)
{
	uint64_t w0, w1, w;

	if (!e->len || e->off + e->len > r->t->size)
		return 0;
	memcpy(r->cur + e->off, data, e->len);
	w0 = e->off / 8;
	w1 = (e->off + e->len - 1) / 8;
	for (w = w0; w <= w1; w++) {
		if (bit_test(r->dirty_bm, w))
			continue;
		if (more((void **)&r->dirty, &r->dcap, r->ndirty + 1, 8))
			return -ENOMEM;
		bit_set(r->dirty_bm, w);
		r->dirty[r->ndirty++] = w;
	}
	return 0;
}

static int ev_flush(struct replay *r, const struct rec_ev *e)
{
	uint64_t a, b, w;

	if (!e->len || e->off >= r->t->size)
		return 0;
	a = e->off / LINE * LINE / 8;
	b = (e->off + e->len + LINE - 1) / LINE * LINE / 8;
	if (b > r->nwords)
		b = r->nwords;
	/* fast path: nothing dirty at all */
	if (!r->ndirty)
		return 0;
	for (w = a; w < b; w++) {
		if ((w & 63) == 0 && w + 64 <= b && !r->dirty_bm[w >> 6]) {
			w += 63;
			continue;
		}
		if (!bit_test(r->dirty_bm, w))
			continue;
		if (more((void **)&r->pend, &r->pcap, r->npend + 1,
			 sizeof(*r->pend)))
			return -ENOMEM;
		r->pend[r->npend].w = w;
		r->pend[r->npend].val = word(r->cur, w);
		r->npend++;
		bit_clear(r->dirty_bm, w);
	}
	return 0;
}

static void ev_fence(struct replay *r)
{
	size_t i, j;

	for (i = 0; i < r->npend; i++) {
		uint64_t w = r->pend[i].w;

		if (word(r->persist, w) != r->pend[i].val) {
			memcpy(r->persist + w * 8, &r->pend[i].val, 8);
			r->pver++;
		}
	}
	r->npend = 0;
	for (i = j = 0; i < r->ndirty; i++)
		if (bit_test(r->dirty_bm, r->dirty[i]))
			r->dirty[j++] = r->dirty[i];
	r->ndirty = j;
}

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return x->w < y->w ? -1 : x->w > y->w;
}

/* The in-flight words: pending or dirty, differing from persisted. */
static int collect(struct replay *r)
{
	size_t i;

	r->ncand = 0;
	for (i = 0; i < r->npend + r->ndirty; i++) {
		uint64_t w = i < r->npend ? r->pend[i].w :
			     r->dirty[i - r->npend];
		struct cand *c;

		if (i >= r->npend && !bit_test(r->dirty_bm, w))
			continue;
		if (bit_test(r->cand_bm, w)) {
			/* already in: a later pending value wins */
			size_t k;

			if (i >= r->npend)
				continue;
			for (k = 0; k < r->ncand; k++)
				if (r->cand[k].w == w) {
					r->cand[k].pendval = r->pend[i].val;
					break;
				}
			continue;
		}
		if (more((void **)&r->cand, &r->ccap, r->ncand + 1,
			 sizeof(*r->cand)))
			return -ENOMEM;
		bit_set(r->cand_bm, w);
		c = &r->cand[r->ncand++];
		c->w = w;
		c->haspend = i < r->npend;
		c->pendval = c->haspend ? r->pend[i].val : 0;
	}
	/* keep only the words that can differ from persisted */
	{
		size_t j = 0;

		for (i = 0; i < r->ncand; i++) {
			struct cand *c = &r->cand[i];
			uint64_t p = word(r->persist, c->w);

			bit_clear(r->cand_bm, c->w);
			if (word(r->cur, c->w) == p &&
			    (!c->haspend || c->pendval == p))
				continue;
			r->cand[j++] = *c;
		}
		r->ncand = j;
	}
	if (r->ncand)
		qsort(r->cand, r->ncand, sizeof(*r->cand), cand_cmp);
	return 0;
}

static void put_word(uint8_t *img, uint64_t size, uint64_t w, uint64_t v)
{
	uint64_t off = w * 8;
	size_t n = off + 8 <= size ? 8 : (size_t)(size - off);

	memcpy(img + off, &v, n);
}

static void apply_cand(const struct cand *c, const uint8_t *cur,
		       uint8_t *img, uint64_t size, uint64_t *s)
{
	uint64_t v = word(cur, c->w);

	if (c->haspend && c->pendval != v && (rnd(s) & 1))
		v = c->pendval;
	put_word(img, size, c->w, v);
}

/* Build subset image k into img (a copy of persisted): applied count. */
static uint64_t make_subset(struct replay *r, uint8_t *img, unsigned int k,
			    uint64_t seed)
{
	uint64_t s = seed, applied = 0, nlines = 0, pick = 0, line = ~0ULL;
	unsigned int mode = k % 4;
	uint64_t p = rnd(&s) % 99 + 1;	/* percent */
	size_t i;
	int take = 0;

	for (i = 0; i < r->ncand; i++)
		if (i == 0 || r->cand[i].w / 8 != r->cand[i - 1].w / 8)
			nlines++;
	if (nlines)
		pick = rnd(&s) % nlines;
	nlines = 0;
	for (i = 0; i < r->ncand; i++) {
		const struct cand *c = &r->cand[i];
		int newline = c->w / 8 != line;

		if (newline) {
			line = c->w / 8;
			switch (mode) {
			case 1:
				take = rnd(&s) % 100 < p;
				break;
			case 2:
				take = nlines == pick;
				break;
			case 3:
				take = nlines != pick;
				break;
			default:
				break;
			}
			nlines++;
		}
		if (mode == 0)
			take = rnd(&s) % 100 < p;
		if (take) {
			apply_cand(c, r->cur, img, r->t->size, &s);
			applied++;
		}
	}
	return applied;
}

struct point_ctx {
	uint32_t done;
	int busy;
	uint64_t last_pver;
	uint32_t last_done;
	int last_busy;
	int have_last;
};

/* Is this point's fenced image a duplicate of the previous point's? */
static int is_dup(struct replay *r, struct point_ctx *pc)
{
	int dup = pc->have_last && !r->ncand && pc->last_pver == r->pver &&
		  pc->last_done == pc->done && pc->last_busy == pc->busy;

	pc->have_last = 1;
	pc->last_pver = r->pver;
	pc->last_done = pc->done;
	pc->last_busy = pc->busy;
	return dup;
}

static unsigned int images_at(struct replay *r, const struct gen_opts *o)
{
	return r->ncand ? 2 + o->subsets : 1;
}

/*
 * One pass over the trace; at each crash point call @at (dry run when
 * NULL: count only). Returns 0 or -errno, or what @at returned (< 0).
 */
typedef int (*point_fn)(void *arg, struct replay *r, uint64_t point,
			uint64_t event, struct point_ctx *pc);

static int replay_run(const struct rec_trace *t, point_fn at, void *arg,
		      uint8_t **final_cur)
{
	struct replay r;
	struct point_ctx pc = { 0 };
	const uint8_t *data = t->data;
	uint64_t point = 0;
	size_t i;
	int err;

	err = replay_init(&r, t);
	if (err)
		return err;
	for (i = 0; i <= t->nev; i++) {
		const struct rec_ev *e = i < t->nev ? &t->ev[i] : NULL;

		if (!e || e->type == REC_FENCE) {
			err = collect(&r);
			if (!err)
				err = at(arg, &r, point++, i, &pc);
			if (err)
				break;
			if (e)
				ev_fence(&r);
			continue;
		}
		switch (e->type) {
		case REC_STORE:
			err = ev_store(&r, e, data);
			data += e->len;
			break;
		case REC_FLUSH:
			err = ev_flush(&r, e);
			break;
		case REC_MARK:
			if (e->len == REC_BEGIN) {
				pc.done = (uint32_t)e->off;
				pc.busy = 1;
			} else {
				pc.done = (uint32_t)e->off + 1;
				pc.busy = 0;
			}
			break;
		default:
			break;
		}
		if (err)
			break;
	}
	if (!err && final_cur) {
		*final_cur = r.cur;
		r.cur = NULL;
	}
	replay_free(&r);
	return err;
}

struct count_ctx {
	const struct gen_opts *o;
	uint64_t points, images;
};

static int count_at(void *arg, struct replay *r, uint64_t point,
		    uint64_t event, struct point_ctx *pc)
{
	struct count_ctx *c = arg;

	c->points++;
	if (!is_dup(r, pc))
		c->images += images_at(r, c->o);
	return 0;
}

struct run_ctx {
	const struct gen_opts *o;
	gen_check_fn fn;
	void *arg;
	struct gen_stats *st;
	uint64_t rate_ppm;	/* points kept per million */
	uint8_t *scratch;
};

static int run_at(void *arg, struct replay *r, uint64_t point,
		  uint64_t event, struct point_ctx *pc)
{
	struct run_ctx *c = arg;
	const struct gen_opts *o = c->o;
	struct gen_image gi;
	unsigned int n, idx;
	int ret;

	if (is_dup(r, pc)) {
		c->st->dups++;
		return 0;
	}
	if (o->only_point >= 0 && (uint64_t)o->only_point != point)
		return 0;
	if (o->only_point < 0 && c->rate_ppm < 1000000 &&
	    gen_hash(o->seed ^ 0x5ca1ab1eULL, point) % 1000000 >= c->rate_ppm)
		return 0;
	c->st->points_used++;
	n = images_at(r, o);
	for (idx = 0; idx < n; idx++) {
		if (o->only_image >= 0 && (unsigned int)o->only_image != idx)
			continue;
		if (o->max_images && c->st->images >= o->max_images)
			return 0;
		memset(&gi, 0, sizeof(gi));
		gi.img = c->scratch;
		gi.size = r->t->size;
		gi.point = point;
		gi.event = event;
		gi.index = idx;
		gi.inflight = r->ncand;
		gi.done = pc->done;
		gi.busy = pc->busy;
		if (idx == GEN_ALL) {
			memcpy(gi.img, r->cur, gi.size);
			gi.applied = r->ncand;
		} else {
			memcpy(gi.img, r->persist, gi.size);
			if (idx >= GEN_SUBSET) {
				gi.seed = gen_hash(gen_hash(o->seed, point),
						   idx);
				gi.applied = make_subset(r, gi.img,
							 idx - GEN_SUBSET,
							 gi.seed);
			}
		}
		c->st->images++;
		ret = c->fn(c->arg, &gi);
		if (ret < 0)
			return ret;
		if (ret > 0) {
			if (!c->st->failures) {
				c->st->first_fail_point = point;
				c->st->first_fail_index = (int)idx;
			}
			c->st->failures++;
			if (o->stop_on_fail)
				return -ECANCELED;
		}
	}
	return 0;
}

int gen_run(const struct rec_trace *t, const struct gen_opts *o,
	    gen_check_fn fn, void *arg, struct gen_stats *st)
{
	struct count_ctx cc = { .o = o };
	struct run_ctx rc = { .o = o, .fn = fn, .arg = arg, .st = st };
	int err;

	memset(st, 0, sizeof(*st));
	st->first_fail_index = -1;
	err = replay_run(t, count_at, &cc, NULL);
	if (err)
		return err;
	st->points = cc.points;
	rc.rate_ppm = 1000000;
	if (o->max_images && cc.images > o->max_images)
		rc.rate_ppm = o->max_images * 1000000 / cc.images + 1;
	rc.scratch = malloc(t->size ? t->size : 1);
	if (!rc.scratch)
		return -ENOMEM;
	err = replay_run(t, run_at, &rc, &st->final_cur);
	free(rc.scratch);
	if (err == -ECANCELED)
		err = 0;
	return err;
}
