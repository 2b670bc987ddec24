// SPDX-License-Identifier: BSD-2-Clause
/*
 * toy.c - self-test of the crash-state framework: a tiny append log on
 * pm.h, correct and deliberately broken, recorded, turned into crash
 * images by gen.c and checked. The broken variants must be caught:
 *   good     data store_flush + fence, then len store8 + flush + fence
 *   broken   len committed (flushed, fenced) before the data is flushed
 *   nofence  data and len flushed, one fence (caught only by subsets)
 *   noflush  len stored and fenced but never flushed (not durable)
 * Log layout: u64 len at 0, records from 64.
 *
 * pmemfs-crash-toy MODE [--seed S] [--ops N] [--images MAX] [--subsets K]
 *                  [--expect-fail] [-v]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "memmedia.h"
#include "record.h"

#define TOY_SIZE	(256 * 1024)
#define TOY_DATA	64

enum toy_mode { TOY_GOOD, TOY_BROKEN, TOY_NOFENCE, TOY_NOFLUSH };

struct toy {
	enum toy_mode mode;
	unsigned int nops;
	uint64_t seed;
	uint64_t *sum;		/* sum[i]: log length after i appends */
	int verbose;
	uint64_t reported;
};

static uint8_t toy_byte(unsigned int rec, uint64_t j)
{
	return (uint8_t)(gen_hash(rec, j) % 255 + 1);
}

static void toy_append(struct pm_media *m, enum toy_mode mode,
		       const uint8_t *buf, uint32_t n)
{
	uint64_t *lenp = pm_ptr(m, 0);
	uint64_t len = *lenp;
	uint8_t *dst = pm_ptr(m, TOY_DATA + len);

	switch (mode) {
	case TOY_GOOD:
		pm_store_flush(m, dst, buf, n);
		pm_fence(m);
		pm_store8(m, lenp, len + n);
		pm_flush(m, lenp, 8);
		pm_fence(m);
		break;
	case TOY_BROKEN:
		pm_store(m, dst, buf, n);
		pm_store8(m, lenp, len + n);
		pm_flush(m, lenp, 8);
		pm_fence(m);
		pm_flush(m, dst, n);
		pm_fence(m);
		break;
	case TOY_NOFENCE:
		pm_store(m, dst, buf, n);
		pm_flush(m, dst, n);
		pm_store8(m, lenp, len + n);
		pm_flush(m, lenp, 8);
		pm_fence(m);
		break;
	case TOY_NOFLUSH:
		pm_store_flush(m, dst, buf, n);
		pm_fence(m);
		pm_store8(m, lenp, len + n);
		pm_fence(m);
		break;
	}
}

static int toy_check(void *arg, struct gen_image *gi)
{
	struct toy *t = arg;
	uint64_t len, j, lo = t->sum[gi->done];
	uint64_t hi = gi->busy ? t->sum[gi->done + 1] : lo;
	unsigned int rec = 0;
	const char *why = NULL;

	memcpy(&len, gi->img, 8);
	if (len != lo && len != hi) {
		why = "length is neither before nor after the op in flight";
	} else {
		for (j = 0; j < len; j++) {
			while (j >= t->sum[rec + 1])
				rec++;
			if (gi->img[TOY_DATA + j] !=
			    toy_byte(rec, j - t->sum[rec])) {
				why = "log shows bytes never appended";
				break;
			}
		}
	}
	if (!why)
		return 0;
	if (t->verbose || t->reported < 3)
		printf("  FAIL point %" PRIu64 " image %u (done %u%s, "
		       "in flight %" PRIu64 " words, applied %" PRIu64
		       "): len %" PRIu64 " (ok: %" PRIu64 " or %" PRIu64
		       "): %s\n", gi->point, gi->index, gi->done,
		       gi->busy ? "+1 busy" : "", gi->inflight, gi->applied,
		       len, lo, hi, why);
	t->reported++;
	return 1;
}

static const char *const mode_names[] = {
	"good", "broken", "nofence", "noflush",
};

static int usage(void)
{
	fprintf(stderr, "usage: pmemfs-crash-toy good|broken|nofence|noflush "
		"[--seed S] [--ops N] [--images MAX] [--subsets K] "
		"[--expect-fail] [-v]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct toy t = { .nops = 40, .seed = 1 };
	struct gen_opts o = { .subsets = 8, .only_point = -1,
			      .only_image = -1 };
	struct pm_media *mem, *rec;
	struct rec_trace tr;
	struct gen_stats st;
	int expect_fail = 0, i, err;
	unsigned int k;
	uint8_t buf[600];

	if (argc < 2)
		return usage();
	for (k = 0; k < 4; k++)
		if (!strcmp(argv[1], mode_names[k]))
			break;
	if (k == 4)
		return usage();
	t.mode = (enum toy_mode)k;
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			t.verbose = 1;
		else if (!strcmp(argv[i], "--expect-fail"))
			expect_fail = 1;
		else if (i + 1 < argc && !strcmp(argv[i], "--seed"))
			t.seed = strtoull(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--ops"))
			t.nops = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--images"))
			o.max_images = strtoull(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--subsets"))
			o.subsets = (unsigned int)strtoul(argv[++i], NULL, 0);
		else
			return usage();
	}
	o.seed = t.seed;
	mem = mem_media_new(TOY_SIZE);
	rec = mem ? rec_media_wrap(mem) : NULL;
	t.sum = calloc(t.nops + 2, sizeof(*t.sum));
	if (!rec || !t.sum) {
		fprintf(stderr, "toy: out of memory\n");
		return 2;
	}
	for (k = 0; k < t.nops; k++) {
		uint32_t n = (uint32_t)(gen_hash(t.seed, k) % 500 + 1), j;

		if (TOY_DATA + t.sum[k] + n > TOY_SIZE)
			break;
		for (j = 0; j < n; j++)
			buf[j] = toy_byte(k, j);
		rec_mark(rec, k, REC_BEGIN);
		toy_append(rec, t.mode, buf, n);
		rec_mark(rec, k, REC_END);
		t.sum[k + 1] = t.sum[k] + n;
	}
	t.nops = k;
	t.sum[k + 1] = t.sum[k];
	rec_trace(rec, &tr);
	err = gen_run(&tr, &o, toy_check, &t, &st);
	if (err) {
		fprintf(stderr, "toy: generator: %s\n", strerror(-err));
		return 2;
	}
	if (memcmp(st.final_cur, mem->base, mem->size)) {
		fprintf(stderr, "toy: replayed image differs from the media\n");
		return 2;
	}
	free(st.final_cur);
	printf("toy %-8s ops %u stores %" PRIu64 " fences %" PRIu64
	       " points %" PRIu64 " images %" PRIu64 " failures %" PRIu64
	       "\n", mode_names[t.mode], t.nops, tr.nstores, tr.nfences,
	       st.points, st.images, st.failures);
	rec->ops->close(rec);
	mem->ops->close(mem);
	free(t.sum);
	if (expect_fail) {
		if (!st.failures) {
			printf("toy %s: the checker did NOT catch the bug\n",
			       mode_names[t.mode]);
			return 1;
		}
		printf("toy %s: caught, as it must be\n", mode_names[t.mode]);
		return 0;
	}
	return st.failures ? 1 : 0;
}
