// SPDX-License-Identifier: BSD-2-Clause
/*
 * ucchan-ping: an echo service, and a client that checks the echo byte for
 * byte and reports per-call latency.
 *
 *   ucchan-ping --serve NAME [--mode 0666] [--slots N] [--cpus LIST]
 *               [--regbuf BYTES] [--delay-ms N] [--hup-mode MODE]
 *   ucchan-ping NAME [-c COUNT] [-s SIZE] [--inline|--mapped|--registered]
 *               [--offset N] [-q]
 *
 * The server stops on SIGTERM/SIGINT; SIGHUP sets the mode to --hup-mode
 * (default 0666). The client exits 0 when every call came back exact, 1 otherwise.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "echo_i.h"

#define GUARD	64	/* bytes checked on each side of a WRITE buffer */

static unsigned int delay_ms;
static mode_t hup_mode = 0666;

static int32_t ping_handle(struct ucchan_req *req, size_t *reply_len,
			   void *arg)
{
	if (delay_ms) {
		struct timespec ts = {
			.tv_sec = delay_ms / 1000,
			.tv_nsec = (delay_ms % 1000) * 1000000L,
		};

		nanosleep(&ts, NULL);
	}
	return echo_handle(req, reply_len);
}

static atomic_ulong disconnects;

static void ping_disconnect(uint64_t client_id, void *arg)
{
	atomic_fetch_add(&disconnects, 1);
}

static int serve(const char *name, mode_t mode, unsigned int slots,
		 const char *cpus, uint64_t regbuf, int64_t copy)
{
	static const struct ucchan_server_ops ops = {
		.size = sizeof(ops),
		.handle = ping_handle,
		.disconnect = ping_disconnect,
	};
	struct ucchan_server_opts o = {
		.size = sizeof(o),
		.name = name,
		.mode = mode,
		.slots_per_cpu = slots,
		.regbuf_size = regbuf,
		.copy_size = copy,
	};
	struct ucchan_server *srv;
	sigset_t set;
	int ret, sig;

	/* every thread inherits the mask; main waits for the signal */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	ret = ucchan_server_create(&srv, &o, &ops, NULL);
	if (ret) {
		fprintf(stderr, "ucchan-ping: create %s: %s\n", name,
			strerror(-ret));
		return 1;
	}
	if (cpus)
		ret = ucchan_server_set_cpus(srv, cpus);
	if (!ret)
		ret = ucchan_server_start(srv);
	if (ret) {
		fprintf(stderr, "ucchan-ping: start %s: %s\n", name,
			strerror(-ret));
		ucchan_server_destroy(srv);
		return 1;
	}
	printf("serving %s (id %u)\n", name, ucchan_server_id(srv));
	fflush(stdout);
	while (!sigwait(&set, &sig) && sig == SIGHUP) {
		ret = ucchan_server_set_perm(srv, (uid_t)-1, (gid_t)-1,
					     hup_mode);
		printf("mode %04o: %s\n", (unsigned int)hup_mode,
		       ret ? strerror(-ret) : "ok");
		fflush(stdout);
	}
	ucchan_server_destroy(srv);
	printf("stopped %s: %lu disconnect events\n", name,
	       atomic_load(&disconnects));
	return 0;
}

enum { M_INLINE, M_MAPPED, M_REGISTERED };

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void fill(unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 131 + seed * 7 + (i >> 12));
}

/* The first bad byte of want vs got, or -1. */
static long diff_at(const unsigned char *want, const unsigned char *got,
		    size_t len, int inverted)
{
	size_t i;

	if (!inverted)
		return memcmp(want, got, len) ? 0 : -1;
	for (i = 0; i < len; i++)
		if ((want[i] ^ got[i]) != 0xff)
			return (long)i;
	return -1;
}

static int ping(const char *name, unsigned long count, size_t size,
		int mode, size_t offset, int quiet)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), span, area;
	unsigned char *want = NULL, *mem = NULL, *src, *dst;
	unsigned char reply[UCCHAN_MAX_INLINE];
	struct ucchan_cbuf bufs[2];
	struct ucchan_client *cl;
	uint64_t *lat;
	int ret, rc = 1, buf_id = -1, two = 0;
	unsigned long i;

	ret = ucchan_client_connect(&cl, name);
	if (ret) {
		fprintf(stderr, "ucchan-ping: connect %s: %s\n", name,
			strerror(-ret));
		return 1;
	}
	lat = calloc(count ? count : 1, sizeof(*lat));
	want = malloc(size + 1);
	/* room for two buffers at offset, with guards, page aligned */
	span = (offset + size + GUARD + pg) & ~(pg - 1);
	area = 2 * span + pg;
	mem = mmap(NULL, area, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!lat || !want || mem == MAP_FAILED) {
		fprintf(stderr, "ucchan-ping: out of memory\n");
		goto out;
	}
	if (mode == M_INLINE && size > ucchan_client_max_inline(cl)) {
		fprintf(stderr, "ucchan-ping: %zu bytes exceed max_inline %zu\n",
			size, ucchan_client_max_inline(cl));
		goto out;
	}
	src = mem + offset + GUARD;
	dst = mem + span + offset + GUARD;
	two = mode == M_MAPPED ?
	      2 * (size + offset + 2 * pg) <= ucchan_client_window_size(cl) :
	      mode == M_REGISTERED;
	if (mode == M_REGISTERED) {
		buf_id = ucchan_client_buf_register(cl, mem, area,
						    UCCHAN_BUF_READ |
						    UCCHAN_BUF_WRITE);
		if (buf_id < 0) {
			fprintf(stderr, "ucchan-ping: register: %s\n",
				strerror(-buf_id));
			goto out;
		}
	}

	for (i = 0; i < count; i++) {
		struct ucchan_call_args a = {
			.size = sizeof(a),
			.reply = reply,
			.reply_cap = sizeof(reply),
		};
		uint64_t t0;
		long bad;

		fill(want, size, (unsigned int)i);
		memset(mem, 0xa5, area);
		if (mode == M_INLINE) {
			a.req = want;
			a.req_len = size;
		} else if (size) {
			memcpy(src, want, size);
			if (two) {
				bufs[0] = (struct ucchan_cbuf){ src, size,
						UCCHAN_BUF_READ, 0 };
				bufs[1] = (struct ucchan_cbuf){ dst, size,
						UCCHAN_BUF_WRITE, 0 };
			} else {
				bufs[0] = (struct ucchan_cbuf){ src, size,
						ECHO_RW, 0 };
			}
			if (mode == M_REGISTERED) {
				bufs[0].addr = (void *)(src - mem);
				bufs[1].addr = (void *)(dst - mem);
				bufs[0].flags |= UCCHAN_BUF_REGISTERED;
				bufs[1].flags |= UCCHAN_BUF_REGISTERED;
				bufs[0].buf_id = buf_id;
				bufs[1].buf_id = buf_id;
			}
			a.bufs = bufs;
			a.nr_bufs = two ? 2 : 1;
		}
		t0 = echo_now_ns();
		ret = ucchan_client_call(cl, &a);
		lat[i] = echo_now_ns() - t0;
		if (ret || a.status) {
			struct timespec now;

			/* wall time of the failure: tests compare it */
			clock_gettime(CLOCK_REALTIME, &now);
			fprintf(stderr, "ucchan-ping: call %lu: %s (status %d) at %lld.%09ld\n",
				i, strerror(ret ? -ret : -a.status), a.status,
				(long long)now.tv_sec, now.tv_nsec);
			goto out;
		}
		if (mode == M_INLINE) {
			if (a.reply_len != size ||
			    diff_at(want, reply, size, 0) >= 0) {
				fprintf(stderr, "ucchan-ping: call %lu: inline echo mismatch (len %zu)\n",
					i, a.reply_len);
				goto out;
			}
			continue;
		}
		if (!size)
			continue;
		bad = diff_at(want, two ? dst : src, size, !two);
		if (bad >= 0) {
			fprintf(stderr, "ucchan-ping: call %lu: payload mismatch near byte %ld\n",
				i, bad);
			goto out;
		}
		if (two && memcmp(src, want, size)) {
			fprintf(stderr, "ucchan-ping: call %lu: READ buffer changed\n",
				i);
			goto out;
		}
		/* bytes around the buffers must be untouched */
		for (unsigned char *g = mem; g < mem + area; g++) {
			if ((g >= src && g < src + size) ||
			    (two && g >= dst && g < dst + size))
				continue;
			if (*g != 0xa5) {
				fprintf(stderr, "ucchan-ping: call %lu: byte %td outside the buffers changed\n",
					i, g - mem);
				goto out;
			}
		}
	}
	rc = 0;
	if (count) {
		uint64_t sum = 0;

		for (i = 0; i < count; i++)
			sum += lat[i];
		qsort(lat, count, sizeof(*lat), cmp_u64);
		if (!quiet)
			printf("%s: %lu calls of %zu bytes (%s%s), all exact; latency us: min %.1f median %.1f p99 %.1f max %.1f mean %.1f\n",
			       name, count, size,
			       mode == M_INLINE ? "inline" :
			       mode == M_MAPPED ? "mapped" : "registered",
			       mode != M_INLINE && size ? (two ? ", READ+WRITE" :
							   ", READ|WRITE") : "",
			       lat[0] / 1e3, lat[count / 2] / 1e3,
			       lat[count * 99 / 100] / 1e3, lat[count - 1] / 1e3,
			       sum / 1e3 / count);
	}
out:
	if (buf_id >= 0)
		ucchan_client_buf_unregister(cl, buf_id);
	if (mem != MAP_FAILED && mem)
		munmap(mem, area);
	free(want);
	free(lat);
	ucchan_client_close(cl);
	return rc;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ucchan-ping --serve NAME [--mode 0666] [--slots N] [--cpus LIST]\n"
		"                   [--regbuf BYTES] [--copy BYTES|-1] [--delay-ms N]\n"
		"                   [--hup-mode MODE]\n"
		"       ucchan-ping NAME [-c COUNT] [-s SIZE] [--inline|--mapped|--registered]\n"
		"                   [--offset N] [-q]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "serve", required_argument, NULL, 'S' },
		{ "mode", required_argument, NULL, 'm' },
		{ "slots", required_argument, NULL, 'n' },
		{ "cpus", required_argument, NULL, 'C' },
		{ "regbuf", required_argument, NULL, 'R' },
		{ "copy", required_argument, NULL, 'P' },
		{ "delay-ms", required_argument, NULL, 'D' },
		{ "hup-mode", required_argument, NULL, 'H' },
		{ "inline", no_argument, NULL, 'I' },
		{ "mapped", no_argument, NULL, 'M' },
		{ "registered", no_argument, NULL, 'G' },
		{ "offset", required_argument, NULL, 'o' },
		{ "count", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	const char *serve_name = NULL, *cpus = NULL;
	unsigned long count = 10, slots = 0;
	unsigned long long size = 0, offset = 0, regbuf = 0;
	long long copy = 0;
	mode_t mode = 0600;
	int mode_sel = -1, quiet = 0, c;

	while ((c = getopt_long(argc, argv, "c:s:q", opts, NULL)) != -1) {
		switch (c) {
		case 'S': serve_name = optarg; break;
		case 'm': mode = strtoul(optarg, NULL, 8); break;
		case 'n': slots = strtoul(optarg, NULL, 0); break;
		case 'C': cpus = optarg; break;
		case 'R': regbuf = strtoull(optarg, NULL, 0); break;
		case 'P': copy = strtoll(optarg, NULL, 0); break;
		case 'H': hup_mode = strtoul(optarg, NULL, 8); break;
		case 'D': delay_ms = strtoul(optarg, NULL, 0); break;
		case 'I': mode_sel = M_INLINE; break;
		case 'M': mode_sel = M_MAPPED; break;
		case 'G': mode_sel = M_REGISTERED; break;
		case 'o': offset = strtoull(optarg, NULL, 0); break;
		case 'c': count = strtoul(optarg, NULL, 0); break;
		case 's': size = strtoull(optarg, NULL, 0); break;
		case 'q': quiet = 1; break;
		default: usage();
		}
	}
	if (serve_name) {
		if (optind != argc)
			usage();
		return serve(serve_name, mode, slots, cpus, regbuf, copy);
	}
	if (optind != argc - 1)
		usage();
	if (mode_sel < 0)
		mode_sel = size <= 4096 ? M_INLINE : M_MAPPED;
	return ping(argv[optind], count, size, mode_sel, offset, quiet);
}
