/* SPDX-License-Identifier: BSD-2-Clause */
/* crashtest.h - shared by the driver (crashtest.c) and corrupt.c. */
#ifndef PMCRASH_CRASHTEST_H
#define PMCRASH_CRASHTEST_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct ct_opts {
	uint64_t seed;
	uint32_t ops;
	uint64_t images;	/* per workload */
	unsigned int subsets;
	uint64_t size;		/* media bytes */
	uint32_t lanes;
	int64_t point;		/* --point */
	int64_t dump;		/* --dump */
	int image;		/* --image */
	int verbose;
	int deep;		/* remount read-only and check again */
	int stop;		/* at the first failure */
	uint64_t corrupt;	/* bit flips (0: no corruption test) */
	uint64_t jflip;		/* bit flips per committed journal lane */
	uint64_t recovery;	/* crash in the recovery of 1 in N images */
	const char *save;	/* directory for failing images */
	const char *argv0;
	uint32_t relax;		/* bit per enum opk: in flight, not checked */
};

/* fsck's problem reports: counted, the first few kept */
struct fsck_log {
	unsigned int n, fixed;
	char first[3][160];
};
void fsck_report(void *arg, const char *msg, int fixed);

int save_image(const struct ct_opts *o, const char *tag, const void *img,
	       uint64_t size);

struct corrupt_stats {
	uint64_t flips, refused, clean_ok, data_hits, repaired, failures;
};
/* Flip bits in the populated image @img (a copy is made per flip). */
int corrupt_run(const struct ct_opts *o, const char *wl, const uint8_t *img,
		uint64_t size, const struct model *final,
		struct corrupt_stats *cs);

#endif /* PMCRASH_CRASHTEST_H */
