/* SPDX-License-Identifier: BSD-2-Clause */
/* ucchan-top user space: declarations shared by its source files. */
#ifndef UCCHAN_TOP_I_H
#define UCCHAN_TOP_I_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "ucchan_top.h"

/* One (service, CPU) row of a snapshot: the per-CPU map values summed. */
struct ut_row {
	uint32_t service_id;
	uint32_t cpu;
	char name[UT_NAME_MAX];
	struct ut_stats s;
};

struct ut_snap {
	struct ut_row *rows;
	size_t nr;
	double when;		/* CLOCK_MONOTONIC seconds */
};

/* tp_format.c */
int ut_check_formats(const char *events_dir, char *err, size_t errlen);

/* collect.c */
int ut_snap_read(int stats_fd, int names_fd, struct ut_snap *snap);
void ut_snap_free(struct ut_snap *snap);
int ut_snap_delta(const struct ut_snap *cur, const struct ut_snap *prev,
		  struct ut_snap *out);
void ut_stats_add(struct ut_stats *acc, const struct ut_stats *s);
bool ut_stats_zero(const struct ut_stats *s);

/* report.c */
enum ut_kind { UT_INTERVAL, UT_SUMMARY };

struct ut_report_opts {
	bool json;
	bool hist;
	FILE *out;
};

void ut_report(const struct ut_report_opts *o, enum ut_kind kind,
	       const struct ut_snap *snap, double seconds, __u64 dropped);

#endif /* UCCHAN_TOP_I_H */
