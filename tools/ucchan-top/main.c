// SPDX-License-Identifier: BSD-2-Clause
/*
 * ucchan-top: live per-service, per-CPU view of the ucchan channel (calls
 * per second, latency histogram, same-CPU ratio, fallbacks, busy waits,
 * bounced bytes) from BPF programs on the ucchan tracepoints.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "ucchan_top_i.h"
#include "ucchan_top.skel.h"

#define UT_PROG "ucchan-top"

struct ut_opts {
	double interval;
	long count;		/* 0: until SIGINT */
	const char *service;
	bool json;
	bool hist;
	bool verbose;
};

static bool ut_verbose;

static void ut_usage(FILE *f)
{
	fprintf(f,
		"Usage: " UT_PROG " [OPTIONS]\n"
		"Live latency and locality view of ucchan services.\n\n"
		"  -i, --interval SECS   report every SECS seconds (default 1)\n"
		"  -c, --count N         stop after N intervals (default: until SIGINT)\n"
		"  -s, --service NAME    only this service\n"
		"  -j, --json            one JSON object per line\n"
		"  -H, --hist            latency histograms every interval\n"
		"  -v, --verbose         libbpf diagnostics\n"
		"  -V, --version         print the version\n"
		"  -h, --help            this help\n");
}

static int ut_die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs(UT_PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static int ut_libbpf_print(enum libbpf_print_level level, const char *fmt,
			   va_list ap)
{
	/* quiet unless -v: failures are reported once, in our words */
	if (!ut_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int ut_parse(int argc, char **argv, struct ut_opts *o)
{
	static const struct option lopts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "service", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "hist", no_argument, NULL, 'H' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	o->interval = 1.0;
	while ((c = getopt_long(argc, argv, "i:c:s:jHvVh", lopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			errno = 0;
			o->interval = strtod(optarg, &end);
			if (errno || *end || !isfinite(o->interval) ||
			    o->interval < 0.01 || o->interval > 86400)
				return ut_die(2, "bad interval '%s' (0.01..86400 seconds)",
					      optarg);
			break;
		case 'c':
			errno = 0;
			o->count = strtol(optarg, &end, 10);
			if (errno || *end || o->count < 1)
				return ut_die(2, "bad count '%s'", optarg);
			break;
		case 's':
			if (!*optarg || strlen(optarg) >= UT_NAME_MAX)
				return ut_die(2, "bad service name '%s' (1..%d bytes)",
					      optarg, UT_NAME_MAX - 1);
			o->service = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'H':
			o->hist = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'V':
			printf(UT_PROG " %s\n", UT_VERSION);
			exit(0);
		case 'h':
			ut_usage(stdout);
			exit(0);
		default:
			ut_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		ut_usage(stderr);
		return ut_die(2, "unexpected argument '%s'", argv[optind]);
	}
	return 0;
}

/* The ucchan events directory in tracefs, or an exit code after a message. */
static int ut_find_events(const char **dir)
{
	static const char *const roots[] = {
		"/sys/kernel/tracing/events",
		"/sys/kernel/debug/tracing/events",
	};
	static char path[128];
	bool have_tracefs = false;
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		if (stat(roots[i], &st))
			continue;
		have_tracefs = true;
		snprintf(path, sizeof(path), "%s/ucchan", roots[i]);
		if (!stat(path, &st)) {
			*dir = path;
			return 0;
		}
	}
	if (!have_tracefs)
		return ut_die(1, "tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)");
	return ut_die(1, "ucchan.ko is not loaded: no ucchan tracepoints in %s (modprobe ucchan)",
		      roots[0]);
}

static int ut_signalfd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

/* Waits @secs or until SIGINT/SIGTERM: returns true when signalled. */
static bool ut_wait(int sfd, double secs)
{
	struct timespec ts = {
		.tv_sec = (time_t)secs,
		.tv_nsec = (long)((secs - floor(secs)) * 1e9),
	};
	struct pollfd p = { .fd = sfd, .events = POLLIN };
	int n;

	do {
		n = ppoll(&p, 1, &ts, NULL);
	} while (n < 0 && errno == EINTR);
	return n > 0;
}

static int ut_run(const struct ut_opts *o, struct ucchan_top *skel, int sfd)
{
	struct ut_report_opts ro = { .json = o->json, .hist = o->hist,
				     .out = stdout };
	int stats_fd = bpf_map__fd(skel->maps.stats);
	int names_fd = bpf_map__fd(skel->maps.names);
	struct ut_snap start, prev, cur, delta;
	bool stop = false;
	long n = 0;
	int err;

	err = ut_snap_read(stats_fd, names_fd, &start);
	if (err)
		return ut_die(1, "cannot read the statistics: %s", strerror(-err));
	err = ut_snap_read(stats_fd, names_fd, &prev);
	if (err) {
		ut_snap_free(&start);
		return ut_die(1, "cannot read the statistics: %s",
			      strerror(-err));
	}
	fprintf(stderr, UT_PROG ": tracing ucchan%s%s... Ctrl-C to end.\n",
		o->service ? " service " : "", o->service ? o->service : "");
	while (!stop) {
		stop = ut_wait(sfd, o->interval);
		err = ut_snap_read(stats_fd, names_fd, &cur);
		if (err)
			goto fail;
		/* a last partial interval too: the intervals add up to the summary */
		err = ut_snap_delta(&cur, &prev, &delta);
		if (err) {
			ut_snap_free(&cur);
			goto fail;
		}
		ut_report(&ro, UT_INTERVAL, &delta, cur.when - prev.when,
			  skel->bss->dropped);
		ut_snap_free(&delta);
		ut_snap_free(&prev);
		prev = cur;
		if (o->count && ++n >= o->count)
			stop = true;
	}
	ut_report(&ro, UT_SUMMARY, &prev, prev.when - start.when,
		  skel->bss->dropped);
	ut_snap_free(&prev);
	ut_snap_free(&start);
	return 0;
fail:
	ut_snap_free(&prev);
	ut_snap_free(&start);
	return ut_die(1, "cannot read the statistics: %s", strerror(-err));
}

int main(int argc, char **argv)
{
	struct ut_opts o = { 0 };
	struct ucchan_top *skel;
	const char *events;
	char why[256];
	int err, sfd;

	err = ut_parse(argc, argv, &o);
	if (err)
		return err;
	ut_verbose = o.verbose;
	libbpf_set_print(ut_libbpf_print);

	if (geteuid() != 0)
		return ut_die(1, "must be run as root (it loads BPF programs and reads tracefs)");
	err = ut_find_events(&events);
	if (err)
		return err;
	if (access("/dev/ucchan", F_OK))
		return ut_die(1, "ucchan.ko is not loaded: no /dev/ucchan (modprobe ucchan)");
	if (ut_check_formats(events, why, sizeof(why)))
		return ut_die(1, "the ucchan tracepoints do not match this ucchan-top: %s",
			      why);
	err = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACEPOINT, NULL);
	if (err <= 0)
		return ut_die(1, "BPF is unavailable: tracepoint programs cannot be loaded (%s)",
			      err ? strerror(-err) : "not supported by this kernel");

	skel = ucchan_top__open();
	if (!skel)
		return ut_die(1, "BPF is unavailable: cannot open the BPF object: %s",
			      strerror(errno));
	if (o.service) {
		memcpy((char *)skel->rodata->filter_name, o.service,
		       strlen(o.service) + 1);
		skel->rodata->filter_on = 1;
	}
	err = ucchan_top__load(skel);
	if (err) {
		ucchan_top__destroy(skel);
		return ut_die(1, "BPF is unavailable: cannot load the BPF programs: %s%s",
			      strerror(-err), o.verbose ? "" : " (-v for details)");
	}
	err = ucchan_top__attach(skel);
	if (err) {
		ucchan_top__destroy(skel);
		return ut_die(1, "cannot attach to the ucchan tracepoints: %s",
			      strerror(-err));
	}
	sfd = ut_signalfd();
	if (sfd < 0) {
		ucchan_top__destroy(skel);
		return ut_die(1, "signalfd: %s", strerror(-sfd));
	}
	err = ut_run(&o, skel, sfd);
	close(sfd);
	ucchan_top__destroy(skel);
	return err;
}
