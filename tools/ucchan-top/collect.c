// SPDX-License-Identifier: BSD-2-Clause
/*
 * Snapshots of the BPF statistics map: every (service, CPU) entry with its
 * per-CPU values summed, sorted by service name, id, CPU; and the delta of
 * two snapshots (one interval).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "ucchan_top_i.h"

void ut_stats_add(struct ut_stats *acc, const struct ut_stats *s)
{
	int i;

	acc->calls += s->calls;
	acc->replies += s->replies;
	acc->errors += s->errors;
	acc->aborts += s->aborts;
	acc->same_cpu += s->same_cpu;
	acc->fallbacks += s->fallbacks;
	acc->busy_waits += s->busy_waits;
	acc->bounces += s->bounces;
	acc->bounced_bytes += s->bounced_bytes;
	acc->map_bytes += s->map_bytes;
	acc->req_bytes += s->req_bytes;
	acc->reply_bytes += s->reply_bytes;
	acc->latency_sum_ns += s->latency_sum_ns;
	if (s->latency_max_ns > acc->latency_max_ns)
		acc->latency_max_ns = s->latency_max_ns;
	for (i = 0; i < UT_HIST_SLOTS; i++)
		acc->hist[i] += s->hist[i];
}

/* The counters of @a minus those of @b (the maximum is not a counter: kept). */
static void ut_stats_sub(struct ut_stats *a, const struct ut_stats *b)
{
	int i;

	a->calls -= b->calls;
	a->replies -= b->replies;
	a->errors -= b->errors;
	a->aborts -= b->aborts;
	a->same_cpu -= b->same_cpu;
	a->fallbacks -= b->fallbacks;
	a->busy_waits -= b->busy_waits;
	a->bounces -= b->bounces;
	a->bounced_bytes -= b->bounced_bytes;
	a->map_bytes -= b->map_bytes;
	a->req_bytes -= b->req_bytes;
	a->reply_bytes -= b->reply_bytes;
	a->latency_sum_ns -= b->latency_sum_ns;
	for (i = 0; i < UT_HIST_SLOTS; i++)
		a->hist[i] -= b->hist[i];
}

bool ut_stats_zero(const struct ut_stats *s)
{
	return !s->calls && !s->replies && !s->aborts && !s->fallbacks &&
	       !s->busy_waits && !s->bounces;
}

static int ut_row_cmp(const void *pa, const void *pb)
{
	const struct ut_row *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	if (c)
		return c;
	if (a->service_id != b->service_id)
		return a->service_id < b->service_id ? -1 : 1;
	if (a->cpu != b->cpu)
		return a->cpu < b->cpu ? -1 : 1;
	return 0;
}

static double ut_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int ut_snap_read(int stats_fd, int names_fd, struct ut_snap *snap)
{
	int ncpu = libbpf_num_possible_cpus();
	struct ut_key key, next, *prev = NULL;
	struct ut_stats *vals;
	size_t cap = 64;
	int err = 0;

	memset(snap, 0, sizeof(*snap));
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	snap->rows = calloc(cap, sizeof(*snap->rows));
	if (!vals || !snap->rows) {
		err = -ENOMEM;
		goto out;
	}
	snap->when = ut_now();
	while (!bpf_map_get_next_key(stats_fd, prev, &next)) {
		struct ut_row *r;
		struct ut_name nm;
		int i;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(stats_fd, &key, vals))
			continue;	/* not there any more */
		if (snap->nr == cap) {
			struct ut_row *nr = realloc(snap->rows,
						    cap * 2 * sizeof(*nr));

			if (!nr) {
				err = -ENOMEM;
				goto out;
			}
			snap->rows = nr;
			cap *= 2;
		}
		r = &snap->rows[snap->nr++];
		memset(r, 0, sizeof(*r));
		r->service_id = key.service_id;
		r->cpu = key.cpu;
		if (!bpf_map_lookup_elem(names_fd, &key.service_id, &nm)) {
			memcpy(r->name, nm.name, sizeof(r->name));
			r->name[sizeof(r->name) - 1] = '\0';
		} else {
			snprintf(r->name, sizeof(r->name), "#%u",
				 key.service_id);
		}
		for (i = 0; i < ncpu; i++)
			ut_stats_add(&r->s, &vals[i]);
	}
	qsort(snap->rows, snap->nr, sizeof(*snap->rows), ut_row_cmp);
out:
	free(vals);
	if (err)
		ut_snap_free(snap);
	return err;
}

void ut_snap_free(struct ut_snap *snap)
{
	free(snap->rows);
	snap->rows = NULL;
	snap->nr = 0;
}

static const struct ut_row *ut_snap_find(const struct ut_snap *s,
					 const struct ut_row *key)
{
	return bsearch(key, s->rows, s->nr, sizeof(*s->rows), ut_row_cmp);
}

int ut_snap_delta(const struct ut_snap *cur, const struct ut_snap *prev,
		  struct ut_snap *out)
{
	size_t i;

	out->nr = 0;
	out->when = cur->when;
	out->rows = calloc(cur->nr ? cur->nr : 1, sizeof(*out->rows));
	if (!out->rows)
		return -ENOMEM;
	for (i = 0; i < cur->nr; i++) {
		const struct ut_row *p = ut_snap_find(prev, &cur->rows[i]);
		struct ut_row *r = &out->rows[out->nr];

		*r = cur->rows[i];
		if (p)
			ut_stats_sub(&r->s, &p->s);
		if (!ut_stats_zero(&r->s))
			out->nr++;
	}
	return 0;
}
