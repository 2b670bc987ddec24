/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench-events.h - mark a benchmark's measured loops for event counting.
 *
 * tests/bench/lib/events.py runs a benchmark with BENCH_EVENTS set to a
 * tracefs instance it prepared (tracepoints enabled, tracing off). Around
 * each measured loop the benchmark calls
 *
 *	bench_events_begin(label, op);		// tracing on, then a marker
 *	... the loop: n iterations ...
 *	bench_events_end(label, op, n, last);	// a marker; tracing off if last
 *
 * and events.py divides what the kernel traced between the markers by n.
 * "last" is false only when several clients measure the same loop at once
 * and another one is still running (the last to finish turns tracing off).
 * Without BENCH_EVENTS (or on any error) these calls do nothing: the
 * benchmark's timing runs are not traced.
 *
 * Header-only (static functions), for the benchmark programs of
 * tests/bench and lib/libucchan/tools.
 */
#ifndef ZUFS_BENCH_EVENTS_H
#define ZUFS_BENCH_EVENTS_H

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct bench_events {
	int on_fd;	/* <instance>/tracing_on, -1: not counting */
	int mark_fd;	/* <instance>/trace_marker */
	bool opened;
};

static struct bench_events bench_events_state = { -1, -1, false };

static inline bool bench_events_enabled(void)
{
	struct bench_events *be = &bench_events_state;
	const char *dir;
	char p[PATH_MAX];

	if (be->opened)
		return be->on_fd >= 0;
	be->opened = true;
	dir = getenv("BENCH_EVENTS");
	if (!dir || !*dir)
		return false;
	snprintf(p, sizeof(p), "%s/trace_marker", dir);
	be->mark_fd = open(p, O_WRONLY | O_CLOEXEC);
	snprintf(p, sizeof(p), "%s/tracing_on", dir);
	be->on_fd = open(p, O_WRONLY | O_CLOEXEC);
	if (be->mark_fd < 0 || be->on_fd < 0) {
		fprintf(stderr, "bench-events: cannot open %s/{trace_marker,tracing_on}: not counting\n",
			dir);
		if (be->mark_fd >= 0)
			close(be->mark_fd);
		if (be->on_fd >= 0)
			close(be->on_fd);
		be->mark_fd = be->on_fd = -1;
	}
	return be->on_fd >= 0;
}

static inline void bench_events_mark(const char *what, const char *label,
				     const char *op, long n)
{
	char m[512];
	int len;

	len = snprintf(m, sizeof(m), "bench-events %s pid=%d n=%ld label=%s op=%s\n",
		       what, (int)getpid(), n, label, op);
	if (len > 0 && len < (int)sizeof(m) &&
	    write(bench_events_state.mark_fd, m, len) != len)
		perror("bench-events: trace_marker");
}

/* The loop that follows is counted. label: no blanks; op: may have blanks. */
static inline void bench_events_begin(const char *label, const char *op)
{
	if (!bench_events_enabled())
		return;
	if (write(bench_events_state.on_fd, "1", 1) != 1)
		perror("bench-events: tracing_on");
	bench_events_mark("begin", label, op, 0);
}

/* The loop ran n iterations; last: no other client is still in it. */
static inline void bench_events_end(const char *label, const char *op, long n,
				    bool last)
{
	if (!bench_events_enabled())
		return;
	bench_events_mark("end", label, op, n);
	if (last && write(bench_events_state.on_fd, "0", 1) != 1)
		perror("bench-events: tracing_on");
}

#endif /* ZUFS_BENCH_EVENTS_H */
