// SPDX-License-Identifier: BSD-2-Clause
/*
 * gen_test.c - the generator's persistence model, checked on hand-made
 * traces: what the "only fenced" and "all" images hold at each point.
 */
#include <stdio.h>
#include <string.h>

#include "gen.h"
#include "memmedia.h"
#include "record.h"

#define N 16

static uint64_t want_fenced[N][4], want_all[N][4], want_inflight[N];
static unsigned int npoints, bad;

static int at(void *arg, struct gen_image *gi)
{
	const uint64_t offs[4] = { 0, 8, 64, 128 };
	unsigned int i;
	uint64_t v;

	if (gi->point >= N)
		return 0;
	if (gi->point + 1 > npoints)
		npoints = (unsigned int)gi->point + 1;
	if (gi->index > GEN_ALL)
		return 0;
	if (gi->index == GEN_FENCED && gi->inflight != want_inflight[gi->point]) {
		printf("point %u: %u words in flight, want %u\n",
		       (unsigned int)gi->point, (unsigned int)gi->inflight,
		       (unsigned int)want_inflight[gi->point]);
		bad++;
	}
	for (i = 0; i < 4; i++) {
		uint64_t w = gi->index == GEN_FENCED ?
			     want_fenced[gi->point][i] :
			     want_all[gi->point][i];

		memcpy(&v, gi->img + offs[i], 8);
		if (v != w) {
			printf("point %u image %u word @%u: %#llx, want %#llx\n",
			       (unsigned int)gi->point, gi->index,
			       (unsigned int)offs[i], (unsigned long long)v,
			       (unsigned long long)w);
			bad++;
		}
	}
	return 0;
}

static void want(unsigned int p, uint64_t f0, uint64_t f8, uint64_t f64,
		 uint64_t f128, uint64_t a0, uint64_t a8, uint64_t a64,
		 uint64_t a128, uint64_t inflight)
{
	const uint64_t f[4] = { f0, f8, f64, f128 };
	const uint64_t a[4] = { a0, a8, a64, a128 };

	memcpy(want_fenced[p], f, sizeof(f));
	memcpy(want_all[p], a, sizeof(a));
	want_inflight[p] = inflight;
}

int main(void)
{
	struct pm_media *mem = mem_media_new(4096), *m;
	struct gen_opts o = { .seed = 1, .subsets = 2, .only_point = -1,
			      .only_image = -1 };
	struct gen_stats st;
	struct rec_trace t;
	uint64_t *w;

	if (!mem || !(m = rec_media_wrap(mem)))
		return 2;
	w = (uint64_t *)m->base;
	/* point 0: A stored and flushed, before its fence */
	pm_store8(m, &w[0], 0xa);
	pm_flush(m, &w[0], 8);
	want(0, 0, 0, 0, 0, 0xa, 0, 0, 0, 1);
	pm_fence(m);
	/* point 1: B (same line as A) and C (next line); a 1-byte flush of
	 * line 0 takes B too, not C */
	pm_store8(m, &w[1], 0xb);
	pm_store8(m, &w[8], 0xc);
	pm_flush(m, (uint8_t *)m->base + 3, 1);
	want(1, 0xa, 0, 0, 0, 0xa, 0xb, 0xc, 0, 2);
	pm_fence(m);
	/* point 2: D flushed, then stored again before the fence */
	pm_store8(m, &w[16], 0xd);
	pm_flush(m, &w[16], 8);
	pm_store8(m, &w[16], 0xdd);
	want(2, 0xa, 0xb, 0, 0, 0xa, 0xb, 0xc, 0xdd, 2);
	pm_fence(m);
	/* point 3 (end): D's flushed value is persistent, not its later one;
	 * C never flushed */
	want(3, 0xa, 0xb, 0, 0xd, 0xa, 0xb, 0xc, 0xdd, 2);
	rec_trace(m, &t);
	if (gen_run(&t, &o, at, NULL, &st))
		return 2;
	if (npoints != 4 || st.points != 4) {
		printf("%u points, want 4\n", npoints);
		bad++;
	}
	printf("gen_test: %u points, %llu images, %u problems\n", npoints,
	       (unsigned long long)st.images, bad);
	return bad ? 1 : 0;
}
