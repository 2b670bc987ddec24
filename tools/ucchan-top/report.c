// SPDX-License-Identifier: BSD-2-Clause
/*
 * Output of ucchan-top: a table (one line per service and CPU, plus a line
 * for all CPUs of a service), optional log2 latency histograms, or one JSON
 * object per line for scripts.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include "ucchan_top_i.h"

/* Latency bound below which a fraction @q of the replies fall (bucket top). */
static __u64 ut_quantile(const struct ut_stats *s, double q)
{
	__u64 want, seen = 0;
	int i;

	if (!s->replies)
		return 0;
	/* the rank of the q-quantile, rounded up: with 2 replies, p99 is
	 * the slower one's bucket, never below the average */
	want = (__u64)(q * (double)s->replies);
	if ((double)want < q * (double)s->replies || want < 1)
		want++;
	for (i = 0; i < UT_HIST_SLOTS; i++) {
		seen += s->hist[i];
		if (seen >= want)
			return (2ULL << i) - 1;
	}
	return UINT64_MAX;
}

static double ut_ratio(__u64 a, __u64 b)
{
	return b ? (double)a / (double)b : 0.0;
}

static void ut_bytes(char *buf, size_t len, __u64 v)
{
	static const char units[] = "BKMGTP";
	double d = (double)v;
	int u = 0;

	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%lluB", v);
	else
		snprintf(buf, len, "%.1f%c", d, units[u]);
}

static void ut_table_line(FILE *out, const char *name, const char *cpu,
			  const struct ut_stats *s, double secs)
{
	char bounced[32];

	ut_bytes(bounced, sizeof(bounced), s->bounced_bytes);
	fprintf(out,
		"%-20.20s %4s %10.1f %9llu %6.1f %7llu %6llu"
		" %6llu %8s %10.1f %10.1f\n",
		name, cpu, secs > 0 ? (double)s->calls / secs : 0.0,
		s->calls, 100.0 * ut_ratio(s->same_cpu, s->calls),
		s->fallbacks, s->busy_waits, s->aborts, bounced,
		ut_ratio(s->latency_sum_ns, s->replies) / 1000.0,
		(double)ut_quantile(s, 0.99) / 1000.0);
}

static void ut_hist(FILE *out, const char *name, const struct ut_stats *s)
{
	__u64 max = 0;
	int i, lo = -1, hi = -1;

	for (i = 0; i < UT_HIST_SLOTS; i++) {
		if (!s->hist[i])
			continue;
		if (lo < 0)
			lo = i;
		hi = i;
		if (s->hist[i] > max)
			max = s->hist[i];
	}
	if (lo < 0)
		return;
	fprintf(out, "\n%s: latency (issue -> reply)\n", name);
	fprintf(out, "%25s : %-10s distribution\n", "nsecs", "count");
	for (i = lo; i <= hi; i++) {
		char stars[41];
		int n = (int)(s->hist[i] * 40 / max);

		memset(stars, '*', (size_t)n);
		stars[n] = '\0';
		fprintf(out, "%11llu -> %-10llu : %-10llu"
			" |%-40s|\n", i ? 1ULL << i : 0, (2ULL << i) - 1,
			s->hist[i], stars);
	}
}

/* Calls @fn for each service of @snap: [first, last) rows and their sum. */
typedef void (*ut_service_fn)(const struct ut_report_opts *o,
			      const struct ut_row *first,
			      const struct ut_row *last,
			      const struct ut_stats *total, double secs,
			      enum ut_kind kind, int index);

static void ut_each_service(const struct ut_report_opts *o,
			    const struct ut_snap *snap, double secs,
			    enum ut_kind kind, ut_service_fn fn)
{
	size_t i = 0;
	int index = 0;

	while (i < snap->nr) {
		const struct ut_row *first = &snap->rows[i];
		struct ut_stats total;

		memset(&total, 0, sizeof(total));
		while (i < snap->nr &&
		       snap->rows[i].service_id == first->service_id) {
			ut_stats_add(&total, &snap->rows[i].s);
			i++;
		}
		fn(o, first, &snap->rows[i], &total, secs, kind, index++);
	}
}

static void ut_table_service(const struct ut_report_opts *o,
			     const struct ut_row *first,
			     const struct ut_row *last,
			     const struct ut_stats *total, double secs,
			     enum ut_kind kind, int index)
{
	const struct ut_row *r;
	char cpu[16];

	for (r = first; r < last; r++) {
		snprintf(cpu, sizeof(cpu), "%u", r->cpu);
		ut_table_line(o->out, r->name, cpu, &r->s, secs);
	}
	if (last - first > 1)
		ut_table_line(o->out, first->name, "all", total, secs);
}

static void ut_hist_service(const struct ut_report_opts *o,
			    const struct ut_row *first,
			    const struct ut_row *last,
			    const struct ut_stats *total, double secs,
			    enum ut_kind kind, int index)
{
	ut_hist(o->out, first->name, total);
}

static void ut_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void ut_json_stats(FILE *out, const struct ut_stats *s, double secs,
			  enum ut_kind kind)
{
	bool first = true;
	int i;

	fprintf(out,
		"\"calls\":%llu,\"calls_per_sec\":%.3f,"
		"\"replies\":%llu,\"errors\":%llu"
		",\"aborts\":%llu,\"same_cpu\":%llu"
		",\"same_cpu_ratio\":%.4f,\"fallbacks\":%llu"
		",\"busy_waits\":%llu,\"bounces\":%llu"
		",\"bounced_bytes\":%llu,\"map_bytes\":%llu"
		",\"req_bytes\":%llu,\"reply_bytes\":%llu"
		",\"latency_sum_ns\":%llu,\"latency_avg_ns\":%.1f",
		s->calls, secs > 0 ? (double)s->calls / secs : 0.0,
		s->replies, s->errors, s->aborts, s->same_cpu,
		ut_ratio(s->same_cpu, s->calls), s->fallbacks,
		s->busy_waits, s->bounces, s->bounced_bytes, s->map_bytes,
		s->req_bytes, s->reply_bytes, s->latency_sum_ns,
		ut_ratio(s->latency_sum_ns, s->replies));
	if (kind == UT_SUMMARY)
		fprintf(out, ",\"latency_max_ns\":%llu", s->latency_max_ns);
	fputs(",\"hist\":[", out);
	for (i = 0; i < UT_HIST_SLOTS; i++) {
		if (!s->hist[i])
			continue;
		fprintf(out, "%s{\"lo_ns\":%llu,\"hi_ns\":%llu"
			",\"count\":%llu}", first ? "" : ",",
			i ? 1ULL << i : 0, (2ULL << i) - 1, s->hist[i]);
		first = false;
	}
	fputc(']', out);
}

static void ut_json_service(const struct ut_report_opts *o,
			    const struct ut_row *first,
			    const struct ut_row *last,
			    const struct ut_stats *total, double secs,
			    enum ut_kind kind, int index)
{
	const struct ut_row *r;

	fprintf(o->out, "%s{\"id\":%u,\"name\":", index ? "," : "",
		first->service_id);
	ut_json_string(o->out, first->name);
	fputs(",\"cpus\":[", o->out);
	for (r = first; r < last; r++) {
		fprintf(o->out, "%s{\"cpu\":%u,", r == first ? "" : ",",
			r->cpu);
		ut_json_stats(o->out, &r->s, secs, kind);
		fputc('}', o->out);
	}
	fputs("],\"total\":{", o->out);
	ut_json_stats(o->out, total, secs, kind);
	fputs("}}", o->out);
}

void ut_report(const struct ut_report_opts *o, enum ut_kind kind,
	       const struct ut_snap *snap, double secs, __u64 dropped)
{
	struct timespec ts;
	char when[32];
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);

	if (o->json) {
		fprintf(o->out, "{\"type\":\"%s\",\"time\":%lld.%03ld,"
			"\"seconds\":%.3f,\"dropped\":%llu"
			",\"services\":[",
			kind == UT_SUMMARY ? "summary" : "interval",
			(long long)ts.tv_sec, ts.tv_nsec / 1000000, secs,
			dropped);
		ut_each_service(o, snap, secs, kind, ut_json_service);
		fputs("]}\n", o->out);
		fflush(o->out);
		return;
	}
	if (kind == UT_SUMMARY)
		fprintf(o->out, "\n%s  summary of %.1f s\n", when, secs);
	else
		fprintf(o->out, "\n%s  interval %.2f s\n", when, secs);
	if (dropped)
		fprintf(o->out,
			"warning: %llu events dropped (statistics map full)\n",
			dropped);
	if (!snap->nr) {
		fputs("no ucchan calls\n", o->out);
		fflush(o->out);
		return;
	}
	fprintf(o->out, "%-20s %4s %10s %9s %6s %7s %6s %6s %8s %10s %10s\n",
		"SERVICE", "CPU", "CALLS/s", "CALLS", "SAME%", "FALLBK",
		"BUSY", "ABORT", "BOUNCED", "AVG_us", "P99_us");
	ut_each_service(o, snap, secs, kind, ut_table_service);
	if (o->hist || kind == UT_SUMMARY)
		ut_each_service(o, snap, secs, kind, ut_hist_service);
	fflush(o->out);
}
