/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * gen.h - build the crash images a trace allows (x86 ADR model).
 *
 * Replaying the trace from its initial image, the generator keeps two
 * images: "persisted" (every 8-byte word's last flushed-and-fenced value)
 * and "current" (every store applied). A FLUSH takes the dirty words of
 * the cache lines it covers into a pending set with their value at flush
 * time; a FENCE makes the pending values persistent. A crash point is the
 * moment just before each fence (and the end of the trace); there the
 * words whose content is not yet certain (in-flight: pending or dirty,
 * differing from persisted) may each hold its persisted value or any later
 * one. For each crash point the generator offers:
 *   GEN_FENCED  only the persisted words (nothing in flight reached media)
 *   GEN_ALL     every store persisted (the current image)
 *   GEN_SUBSET  K seeded subsets of the in-flight words applied; subset k
 *               uses mode k % 4: random words, random cache lines, a single
 *               cache line, all lines but one. Each chosen word takes its
 *               latest value or, when it was flushed earlier, that value.
 * Crash points are sampled (seeded, per point) when they would give more
 * than max_images images; every image is reproducible from (seed, point,
 * kind, k) alone (gen_opts.only_point / only_image).
 */
#ifndef PMCRASH_GEN_H
#define PMCRASH_GEN_H

#include <stdint.h>

#include "record.h"

enum gen_kind {
	GEN_FENCED = 0,
	GEN_ALL = 1,
	GEN_SUBSET = 2,		/* image index 2 + k */
};

struct gen_image {
	uint8_t *img;		/* scratch copy: the checker may write it */
	uint64_t size;
	uint64_t point;		/* crash point number (0 ..) */
	uint64_t event;		/* index in the trace of the fence (or nev) */
	unsigned int index;	/* 0 fenced, 1 all, 2 + k subset k */
	uint64_t inflight;	/* words in flight at this point */
	uint64_t applied;	/* in-flight words applied in this image */
	uint64_t seed;		/* subset seed */
	/* oracle state: ops 0 .. done-1 returned; op @done began if busy */
	uint32_t done;
	int busy;
};

/* Return 0: the image is good; > 0: a failure (counted); < 0: stop. */
typedef int (*gen_check_fn)(void *arg, struct gen_image *gi);

struct gen_opts {
	uint64_t seed;
	uint64_t max_images;	/* 0: no bound */
	unsigned int subsets;	/* K */
	int64_t only_point;	/* >= 0: just this point */
	int only_image;		/* >= 0: just this image index */
	int stop_on_fail;
};

struct gen_stats {
	uint64_t points;	/* crash points in the trace */
	uint64_t points_used;	/* sampled */
	uint64_t images;	/* checked */
	uint64_t dups;		/* skipped: same as the previous point */
	uint64_t failures;
	uint64_t first_fail_point;
	int first_fail_index;
	uint8_t *final_cur;	/* current image at the end (caller frees) */
};

int gen_run(const struct rec_trace *t, const struct gen_opts *o,
	    gen_check_fn fn, void *arg, struct gen_stats *st);

uint64_t gen_hash(uint64_t a, uint64_t b);

#endif /* PMCRASH_GEN_H */
