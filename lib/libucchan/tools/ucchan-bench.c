// SPDX-License-Identifier: BSD-2-Clause
/*
 * ucchan-bench: round-trip latency of ucchan against pipe, Unix-socket,
 * eventfd and futex ping-pong, thread-to-thread and process-to-process,
 * with the peer on the same CPU and on another CPU; 4 KiB and 1 MiB
 * payloads (inline, mapped, registered) against a 2x memcpy of the data;
 * payloads of 4 KiB to 1 MiB copied through the worker's copy area
 * against the same mapped (where the copy area's size should end).
 *
 *   ucchan-bench [-r RUNS] [-n ITERS] [-t MAX_MS_PER_RUN] [-c CPU] [-o CPU]
 *
 * Every case runs RUNS times; a run is ITERS round trips, or fewer if it
 * exceeds MAX_MS_PER_RUN (at least 20). Reported: the median of the runs'
 * medians and the median of the runs' p99, in microseconds, timed with the
 * TSC (calibrated per run against CLOCK_MONOTONIC). The payload
 * handler touches one byte per page of each buffer (writes it for WRITE
 * buffers): it measures what it costs to make the data reachable, not to
 * process it.
 *
 * Under tests/bench/lib/events.py (BENCH_EVENTS set) every timed run is
 * marked for the kernel event counts per round trip (label "ucchan-bench",
 * op "CASE|PEER|MODE"; tests/bench/lib/bench-events.h).
 */
#include <errno.h>
#include <getopt.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "echo_i.h"
#include "bench-clock.h"
#include "bench-events.h"

#define MIB		(1UL << 20)
#define MAX_RUNS	32

static unsigned int runs = 5, iters = 2000, max_ms = 400;
static int cpu_a, cpu_b = 1;		/* client CPU, "other" CPU */
static uint64_t *lat;
static char cur_case[128];		/* "case|peer|mode", "" = not marked */

static void set_case(const char *what, const char *where, const char *mode)
{
	if (what)
		snprintf(cur_case, sizeof(cur_case), "%s|%s|%s", what, where, mode);
	else
		cur_case[0] = 0;
}

/* every CPU (-u: the client runs where the scheduler puts it) */
static void unpin(void)
{
	cpu_set_t s;
	long i, n = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&s);
	for (i = 0; i < n && i < CPU_SETSIZE; i++)
		CPU_SET(i, &s);
	if (sched_setaffinity(0, sizeof(s), &s)) {
		perror("sched_setaffinity");
		exit(1);
	}
}

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	if (sched_setaffinity(0, sizeof(s), &s)) {
		perror("sched_setaffinity");
		exit(1);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct result {
	double med_us, p99_us;
};

/* A round trip to time; returns 0 or -errno. */
typedef int (*rt_fn)(void *ctx);

static struct result measure(rt_fn fn, void *ctx)
{
	double med[MAX_RUNS], p99[MAX_RUNS], ns_per_tick;
	struct result r = { -1, -1 };
	unsigned int run, i;

	for (i = 0; i < 20; i++)		/* warm up */
		if (fn(ctx))
			return r;
	for (run = 0; run < runs; run++) {
		uint64_t start, tstart, t1, end;

		if (cur_case[0])
			bench_events_begin("ucchan-bench", cur_case);
		start = echo_now_ns();
		tstart = bench_ticks();
		for (i = 0; i < iters; i++) {
			uint64_t t0 = bench_ticks();

			if (fn(ctx))
				return r;
			lat[i] = bench_ticks() - t0;
			if (i >= 20 && !(i & 31) &&
			    echo_now_ns() - start > max_ms * 1000000ull) {
				i++;
				break;
			}
		}
		t1 = bench_ticks();
		end = echo_now_ns();
		if (cur_case[0])
			bench_events_end("ucchan-bench", cur_case, i, true);
		ns_per_tick = t1 > tstart ? (double)(end - start) /
					    (double)(t1 - tstart) : 1.0;
		qsort(lat, i, sizeof(*lat), cmp_u64);
		med[run] = lat[i / 2] * ns_per_tick / 1e3;
		p99[run] = lat[i * 99 / 100] * ns_per_tick / 1e3;
	}
	qsort(med, runs, sizeof(double), cmp_dbl);
	qsort(p99, runs, sizeof(double), cmp_dbl);
	r.med_us = med[runs / 2];
	r.p99_us = p99[runs / 2];
	return r;
}

/* ---- baselines: a peer that answers each 1-byte/1-count ping -------- */

enum kind { K_PIPE, K_UNIX, K_EVENTFD, K_FUTEX, K_NR };
static const char *const kind_name[K_NR] = {
	[K_PIPE] = "pipe", [K_UNIX] = "unix socket",
	[K_EVENTFD] = "eventfd", [K_FUTEX] = "futex",
};

struct pp {
	enum kind kind;
	int to_srv[2], to_cli[2];	/* pipe/socket/eventfd fds */
	_Atomic uint32_t *word;		/* futex: 0 idle, 1 ping, 2 pong, 3 quit */
	int srv_cpu;
};

static long futex(_Atomic uint32_t *w, int op, uint32_t val)
{
	return syscall(SYS_futex, w, op, val, NULL, NULL, 0);
}

static void futex_wait_for(_Atomic uint32_t *w, uint32_t want, uint32_t want2)
{
	uint32_t v;

	while ((v = atomic_load(w)) != want && v != want2)
		futex(w, FUTEX_WAIT, v);
}

static int pp_send(struct pp *p, int fd, int quit)
{
	uint64_t one = quit ? 2 : 1;
	char c = quit ? 'q' : 'p';

	if (p->kind == K_EVENTFD)
		return write(fd, &one, 8) == 8 ? 0 : -EIO;
	return write(fd, &c, 1) == 1 ? 0 : -EIO;
}

/* 1 = got a ping, 0 = quit, <0 error */
static int pp_recv(struct pp *p, int fd)
{
	uint64_t v;
	char c;

	if (p->kind == K_EVENTFD) {
		if (read(fd, &v, 8) != 8)
			return -EIO;
		return v == 1;
	}
	if (read(fd, &c, 1) != 1)
		return -EIO;
	return c == 'p';
}

static void *pp_server(void *arg)
{
	struct pp *p = arg;

	pin(p->srv_cpu);
	if (p->kind == K_FUTEX) {
		for (;;) {
			futex_wait_for(p->word, 1, 3);
			if (atomic_load(p->word) == 3)
				return NULL;
			atomic_store(p->word, 2);
			futex(p->word, FUTEX_WAKE, 1);
		}
	}
	while (pp_recv(p, p->to_srv[0]) == 1)
		if (pp_send(p, p->to_cli[1], 0))
			break;
	return NULL;
}

static int pp_rt(void *arg)
{
	struct pp *p = arg;

	if (p->kind == K_FUTEX) {
		atomic_store(p->word, 1);
		futex(p->word, FUTEX_WAKE, 1);
		futex_wait_for(p->word, 2, 2);
		return 0;
	}
	if (pp_send(p, p->to_srv[1], 0))
		return -EIO;
	return pp_recv(p, p->to_cli[0]) == 1 ? 0 : -EIO;
}

static int pp_open(struct pp *p)
{
	int i;

	if (p->kind == K_PIPE)
		return pipe(p->to_srv) || pipe(p->to_cli) ? -errno : 0;
	if (p->kind == K_EVENTFD) {
		for (i = 0; i < 2; i++) {
			int *f = i ? p->to_cli : p->to_srv;

			f[0] = f[1] = eventfd(0, 0);
			if (f[0] < 0)
				return -errno;
		}
		return 0;
	}
	if (p->kind == K_UNIX) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
			return -errno;
		/* client end sv[0], server end sv[1] */
		p->to_srv[1] = p->to_cli[0] = sv[0];
		p->to_srv[0] = p->to_cli[1] = sv[1];
		return 0;
	}
	p->word = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return p->word == MAP_FAILED ? -errno : 0;
}

static void pp_close(struct pp *p)
{
	if (p->kind == K_FUTEX) {
		munmap((void *)p->word, 4096);
		return;
	}
	close(p->to_srv[0]);
	close(p->to_cli[0]);
	if (p->kind == K_PIPE) {
		close(p->to_srv[1]);
		close(p->to_cli[1]);
	}
}

static struct result bench_pp(enum kind k, int procs, int srv_cpu)
{
	struct pp p = { .kind = k, .srv_cpu = srv_cpu };
	struct result r = { -1, -1 };
	pthread_t t;
	pid_t pid = -1;

	if (pp_open(&p))
		return r;
	if (procs) {
		pid = fork();
		if (pid == 0) {
			pp_server(&p);
			_exit(0);
		}
	} else if (pthread_create(&t, NULL, pp_server, &p)) {
		pp_close(&p);
		return r;
	}
	r = measure(pp_rt, &p);
	if (k == K_FUTEX) {
		atomic_store(p.word, 3);
		futex(p.word, FUTEX_WAKE, 1);
	} else {
		pp_send(&p, p.to_srv[1], 1);
	}
	if (procs)
		waitpid(pid, NULL, 0);
	else
		pthread_join(t, NULL);
	pp_close(&p);
	return r;
}

/* ---- ucchan ----------------------------------------------------------- */

static int32_t touch_handle(struct ucchan_req *req, size_t *reply_len,
			    void *arg)
{
	unsigned int i;
	size_t off;

	if (req->len) {
		memcpy(req->reply, req->data, req->len);
		*reply_len = req->len;
	}
	for (i = 0; i < req->nr_bufs; i++) {
		volatile unsigned char *p = req->bufs[i].addr;

		for (off = 0; off < req->bufs[i].len; off += 4096) {
			unsigned char v = p[off];

			if (req->bufs[i].flags & UCCHAN_BUF_WRITE)
				p[off] = v + 1;
		}
	}
	return 0;
}

/* @copy: the copy area's size (0: kernel default, -1: none); @poll_ns */
static int bench_serve(struct ucchan_server **srvp, const char *name,
		       const char *cpus, int64_t copy, uint64_t poll_ns)
{
	static const struct ucchan_server_ops ops = {
		.size = sizeof(ops),
		.handle = touch_handle,
	};
	struct ucchan_server_opts o = {
		.size = sizeof(o),
		.name = name,
		.mode = 0600,
		.slots_per_cpu = 1,
		.max_inline = 4096,
		.regbuf_size = 4 * MIB,
		.copy_size = copy,
		.poll_ns = poll_ns,
	};
	int ret = ucchan_server_create(srvp, &o, &ops, NULL);

	if (ret)
		return ret;
	if (cpus)
		ret = ucchan_server_set_cpus(*srvp, cpus);
	if (!ret)
		ret = ucchan_server_start(*srvp);
	if (ret)
		ucchan_server_destroy(*srvp);
	return ret;
}

/* The server, in this process (threads) or in a child (processes). */
struct ucsrv {
	struct ucchan_server *srv;
	pid_t pid;
	int quit[2];
};

static int ucsrv_start(struct ucsrv *s, int procs, const char *name,
		       const char *cpus, int64_t copy, uint64_t poll_ns)
{
	int ready[2], ret = 0;
	char c;

	if (!procs) {
		s->pid = -1;
		return bench_serve(&s->srv, name, cpus, copy, poll_ns);
	}
	if (pipe(ready) || pipe(s->quit))
		return -errno;
	s->pid = fork();
	if (s->pid == 0) {
		close(ready[0]);
		close(s->quit[1]);
		ret = bench_serve(&s->srv, name, cpus, copy, poll_ns);
		c = ret ? 'e' : 'r';
		if (write(ready[1], &c, 1) != 1 || ret)
			_exit(1);
		if (read(s->quit[0], &c, 1) < 0)
			_exit(1);
		ucchan_server_destroy(s->srv);
		_exit(0);
	}
	close(ready[1]);
	close(s->quit[0]);
	if (s->pid < 0 || read(ready[0], &c, 1) != 1 || c != 'r')
		ret = -EIO;
	close(ready[0]);
	if (ret) {
		close(s->quit[1]);
		if (s->pid > 0)
			waitpid(s->pid, NULL, 0);
	}
	return ret;
}

static void ucsrv_stop(struct ucsrv *s)
{
	if (s->pid < 0) {
		ucchan_server_destroy(s->srv);
		return;
	}
	close(s->quit[1]);
	waitpid(s->pid, NULL, 0);
}

struct ucbench {
	struct ucchan_client *cl;
	struct ucchan_call_args a;
	struct ucchan_cbuf buf;
};

static int uc_rt(void *arg)
{
	struct ucbench *b = arg;
	int ret = ucchan_client_call(b->cl, &b->a);

	return ret ? ret : b->a.status;
}

/*
 * U_MAPPED: a service with no copy area; U_COPY: one of UCCHAN_MAX_COPY;
 * U_POLL: a null call to workers that poll for POLL_NS
 */
/*
 * The CPU time the polling workers and callers of service @name spun, per
 * call (its debugfs stats: calls and poll_ns of the total line, when
 * debugfs is mounted and readable).
 */
static void poll_cost(const char *name)
{
	unsigned long long v[11];
	char path[160], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/ucchan/%s/stats", name);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "total %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			   &v[7], &v[8], &v[9], &v[10]) == 11 && v[0])
			printf("  (polling: %.1f us spun per call, %.0f %% of the calls taken by a spinning worker)\n",
			       v[10] / 1000.0 / v[0], 100.0 * v[9] / v[0]);
	fclose(f);
}

enum ucmode { U_NULL, U_INLINE, U_MAPPED, U_COPY, U_REG, U_POLL };
#define POLL_NS 2000000ULL	/* 2 ms: a cross-vCPU round trip under TCG */

static struct result bench_uc(enum ucmode m, size_t size, int procs,
			      const char *cpus, unsigned char *mem)
{
	static unsigned char req[4096], reply[4096];
	static unsigned int seq;
	struct result r = { -1, -1 };
	struct ucbench b = { .a = { .size = sizeof(b.a) } };
	struct ucsrv s;
	char name[64];
	int id = -1, ret;

	snprintf(name, sizeof(name), "bench-%d-%u", getpid(), seq++);
	ret = ucsrv_start(&s, procs, name, cpus,
			  m == U_COPY ? (int64_t)UCCHAN_MAX_COPY :
			  m == U_MAPPED ? -1 : 0, m == U_POLL ? POLL_NS : 0);
	if (ret) {
		fprintf(stderr, "ucchan-bench: server: %s\n", strerror(-ret));
		return r;
	}
	ret = ucchan_client_connect(&b.cl, name);
	if (ret) {
		fprintf(stderr, "ucchan-bench: connect: %s\n", strerror(-ret));
		goto out;
	}
	b.a.reply = reply;
	b.a.reply_cap = sizeof(reply);
	b.buf = (struct ucchan_cbuf){ mem, size, ECHO_RW, 0 };
	if (m == U_INLINE) {
		b.a.req = req;
		b.a.req_len = size;
	} else if (m == U_MAPPED || m == U_COPY || m == U_REG) {
		b.a.bufs = &b.buf;
		b.a.nr_bufs = 1;
	}
	if (m == U_REG) {
		id = ucchan_client_buf_register(b.cl, mem, size, ECHO_RW);
		if (id < 0) {
			fprintf(stderr, "ucchan-bench: register: %s\n",
				strerror(-id));
			goto out_close;
		}
		b.buf = (struct ucchan_cbuf){ NULL, size,
			ECHO_RW | UCCHAN_BUF_REGISTERED, (uint32_t)id };
	}
	r = measure(uc_rt, &b);
	if (m == U_POLL)
		poll_cost(name);
	if (id >= 0)
		ucchan_client_buf_unregister(b.cl, id);
out_close:
	ucchan_client_close(b.cl);
out:
	ucsrv_stop(&s);
	return r;
}

struct cpctx {
	unsigned char *s, *d;
};

static int copy2(void *arg)
{
	struct cpctx *c = arg;

	memcpy(c->d, c->s, MIB);	/* in */
	memcpy(c->s, c->d, MIB);	/* out */
	__asm__ volatile("" : : "r"(c->d), "r"(c->s) : "memory");
	return 0;
}

static struct result bench_memcpy(unsigned char *src, unsigned char *dst)
{
	struct cpctx ctx = { src, dst };

	return measure(copy2, &ctx);
}

/* ---- report ------------------------------------------------------------ */

static void row(const char *what, const char *where, const char *mode,
		struct result r)
{
	if (r.med_us < 0)
		printf("%-34s %-6s %-7s %12s %12s\n", what, where, mode,
		       "FAILED", "-");
	else
		printf("%-34s %-6s %-7s %12.1f %12.1f\n", what, where, mode,
		       r.med_us, r.p99_us);
	fflush(stdout);
}

static void ratio(const char *what, double a, double b, const char *target)
{
	if (a <= 0 || b <= 0)
		printf("  %-58s n/a (a case failed)\n", what);
	else
		printf("  %-58s %7.3f   (target %s)\n", what, a / b, target);
}

int main(int argc, char **argv)
{
	struct result base[K_NR][2][2];	/* [kind][procs][cross] */
	struct result ucn[2], uc4i[2], uc4m[2], uc4r[2], uc1m[2], uc1r[2];
	struct result fb[2], fbp[2], cp;
	static const size_t sweep[] = { 4096, 16384, 65536, 262144, MIB };
#define NSWEEP ((int)(sizeof(sweep) / sizeof(sweep[0])))
	struct result swc[NSWEEP], swm[NSWEEP];
	const char *pn[2] = { "thread", "process" };
	char other[16];
	unsigned char *mem, *dst;
	double worst_cross = 0;
	int k, pr, cr, c, unpinned = 0;

	while ((c = getopt(argc, argv, "r:n:t:c:o:u")) != -1) {
		switch (c) {
		case 'r': runs = strtoul(optarg, NULL, 0); break;
		case 'n': iters = strtoul(optarg, NULL, 0); break;
		case 't': max_ms = strtoul(optarg, NULL, 0); break;
		case 'c': cpu_a = atoi(optarg); break;
		case 'o': cpu_b = atoi(optarg); break;
		case 'u': unpinned = 1; break;
		default:
			fprintf(stderr, "usage: ucchan-bench [-r RUNS] [-n ITERS] [-t MAX_MS_PER_RUN] [-c CPU] [-o OTHER_CPU] [-u]\n");
			return 2;
		}
	}
	if (!runs || runs > MAX_RUNS || iters < 21) {
		fprintf(stderr, "ucchan-bench: 1 <= runs <= %d, iters > 20\n",
			MAX_RUNS);
		return 2;
	}
	lat = calloc(iters, sizeof(*lat));
	mem = aligned_alloc(4096, 4 * MIB);
	dst = aligned_alloc(4096, MIB);
	if (!lat || !mem || !dst)
		return 1;
	memset(mem, 1, 4 * MIB);
	memset(dst, 2, MIB);
	pin(cpu_a);
	snprintf(other, sizeof(other), "%d", cpu_b);

	printf("ucchan-bench: %u runs x up to %u round trips (<= %u ms per run); client on CPU %d, other CPU %d\n",
	       runs, iters, max_ms, cpu_a, cpu_b);
	printf("%-34s %-6s %-7s %12s %12s\n", "case", "peer", "mode",
	       "median_us", "p99_us");
	/*
	 * Run right after the guest booted, the first case measured is
	 * disturbed by the system settling: one untimed pass first.
	 */
	set_case(NULL, NULL, NULL);
	bench_uc(U_NULL, 0, 0, NULL, mem);
/* one case: marked for event counts, measured, printed */
#define CASE(res, what, where, mode, call) do {			\
		set_case(what, where, mode);				\
		(res) = (call);						\
		row(what, where, mode, res);				\
	} while (0)
	if (unpinned) {
		/* only ucchan, the client free to move: what a user gets */
		unpin();
		for (pr = 0; pr < 2; pr++) {
			CASE(ucn[pr], "ucchan null, client unpinned", "any",
			     pn[pr], bench_uc(U_NULL, 0, pr, NULL, mem));
			CASE(uc4m[pr], "ucchan 4 KiB copied, client unpinned",
			     "any", pn[pr],
			     bench_uc(U_COPY, 4096, pr, NULL, mem));
		}
		return 0;
	}
	for (pr = 0; pr < 2; pr++) {
		CASE(ucn[pr], "ucchan null", "same", pn[pr],
		     bench_uc(U_NULL, 0, pr, NULL, mem));
		CASE(uc4i[pr], "ucchan 4 KiB inline (+4 KiB reply)", "same",
		     pn[pr], bench_uc(U_INLINE, 4096, pr, NULL, mem));
		CASE(uc4m[pr], "ucchan 4 KiB mapped", "same", pn[pr],
		     bench_uc(U_MAPPED, 4096, pr, NULL, mem));
		CASE(uc4r[pr], "ucchan 4 KiB registered", "same", pn[pr],
		     bench_uc(U_REG, 4096, pr, NULL, mem));
		CASE(uc1m[pr], "ucchan 1 MiB mapped", "same", pn[pr],
		     bench_uc(U_MAPPED, MIB, pr, NULL, mem));
		CASE(uc1r[pr], "ucchan 1 MiB registered", "same", pn[pr],
		     bench_uc(U_REG, MIB, pr, NULL, mem));
		CASE(fb[pr], "ucchan null, fallback (no worker)", "other",
		     pn[pr], bench_uc(U_NULL, 0, pr, other, mem));
		CASE(fbp[pr], "ucchan null, other CPU's worker polls", "other",
		     pn[pr], bench_uc(U_POLL, 0, pr, other, mem));
	}
	for (k = 0; k < K_NR; k++)
		for (pr = 0; pr < 2; pr++)
			for (cr = 0; cr < 2; cr++)
				CASE(base[k][pr][cr], kind_name[k],
				     cr ? "other" : "same", pn[pr],
				     bench_pp(k, pr, cr ? cpu_b : cpu_a));
	CASE(cp, "memcpy 1 MiB twice (in + out)", "-", "-",
	     bench_memcpy(mem, dst));
	/* copied against mapped, thread server: the copy area's break-even */
	for (k = 0; k < NSWEEP; k++) {
		char what[2][64];

		snprintf(what[0], sizeof(what[0]), "ucchan %zu KiB copied",
			 sweep[k] >> 10);
		snprintf(what[1], sizeof(what[1]), "ucchan %zu KiB mapped",
			 sweep[k] >> 10);
		CASE(swc[k], what[0], "same", pn[0],
		     bench_uc(U_COPY, sweep[k], 0, NULL, mem));
		CASE(swm[k], what[1], "same", pn[0],
		     bench_uc(U_MAPPED, sweep[k], 0, NULL, mem));
	}
#undef CASE

	printf("\nratios (median of medians; < 1 means ucchan is faster):\n");
	for (pr = 0; pr < 2; pr++) {
		char what[96];

		snprintf(what, sizeof(what), "ucchan null / futex, same CPU, %s",
			 pn[pr]);
		ratio(what, ucn[pr].med_us, base[K_FUTEX][pr][0].med_us, "<= 0.5");
		snprintf(what, sizeof(what), "ucchan null / pipe, same CPU, %s",
			 pn[pr]);
		ratio(what, ucn[pr].med_us, base[K_PIPE][pr][0].med_us, "<= 0.4");
		snprintf(what, sizeof(what), "ucchan null / unix socket, same CPU, %s",
			 pn[pr]);
		ratio(what, ucn[pr].med_us, base[K_UNIX][pr][0].med_us, "-");
		snprintf(what, sizeof(what), "ucchan null / eventfd, same CPU, %s",
			 pn[pr]);
		ratio(what, ucn[pr].med_us, base[K_EVENTFD][pr][0].med_us, "-");
		worst_cross = 0;
		for (k = 0; k < K_NR; k++) {
			double rr = base[k][pr][1].med_us > 0 ?
				    ucn[pr].med_us / base[k][pr][1].med_us : 0;

			if (rr > worst_cross)
				worst_cross = rr;
			snprintf(what, sizeof(what), "ucchan null / %s, other CPU, %s",
				 kind_name[k], pn[pr]);
			ratio(what, ucn[pr].med_us, base[k][pr][1].med_us,
			      "<= 0.1");
		}
		printf("  %-58s %7.3f   (target <= 0.1)\n",
		       pn[pr][0] == 't' ? "worst cross-CPU ratio, thread" :
		       "worst cross-CPU ratio, process", worst_cross);
		snprintf(what, sizeof(what), "ucchan null, polling other CPU / futex same CPU, %s",
			 pn[pr]);
		ratio(what, fbp[pr].med_us, base[K_FUTEX][pr][0].med_us, "<= 0.3");
		snprintf(what, sizeof(what), "ucchan 1 MiB mapped / 2x memcpy 1 MiB, %s",
			 pn[pr]);
		ratio(what, uc1m[pr].med_us, cp.med_us, "< 1");
		snprintf(what, sizeof(what), "ucchan 1 MiB registered / 2x memcpy 1 MiB, %s",
			 pn[pr]);
		ratio(what, uc1r[pr].med_us, cp.med_us, "-");
	}
	for (k = 0; k < NSWEEP; k++) {
		char what[96];

		snprintf(what, sizeof(what), "ucchan %zu KiB copied / mapped, thread",
			 sweep[k] >> 10);
		ratio(what, swc[k].med_us, swm[k].med_us,
		      "< 1 up to the copy area's size");
	}
	return 0;
}
