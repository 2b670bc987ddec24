// SPDX-License-Identifier: BSD-2-Clause
/*
 * zufs-fsbench - per-operation latency of a file system, for comparing
 * zufs, FUSE and tmpfs (tests/bench/zufs/bench-zufs.sh runs it in the VM).
 *
 *   zufs-fsbench [-n N] [-d N] [-s N] [-b BYTES] [-w N] [-c CPU] [-l LABEL] [-x]
 *                [-f] [-C STATS] [-B FILE:N] DIR
 *
 * In a fresh directory DIR/zfsb.<pid> it sets up a 1 MiB file (written and
 * read back to check the data) and a directory of 1000 empty files, then
 * times, one call sequence at a time (the TSC read around each, converted
 * to ns per timed loop against CLOCK_MONOTONIC: in a QEMU guest the
 * clocksource is the HPET and each clock_gettime() would be a system call
 * plus a device read inside every timed operation):
 *
 *   stat           stat() of the 1 MiB file by path
 *   pread_4k       pread() of 4 KiB, cycling over the file's 256 pages
 *   pwrite_4k      pwrite() of 4 KiB, same offsets (overwrites)
 *   (-f) pwrite_4k_fsync  pwrite() of 4 KiB as above + fsync()
 *   create_unlink  open(O_CREAT|O_EXCL|O_WRONLY) + close() + unlink()
 *   readdir_1000   open(O_DIRECTORY) + getdents64() to the end + close()
 *                  of the 1000-entry directory (1002 entries with . and ..)
 *   seqread_1m     the 1 MiB file read from offset 0 to its end with
 *                  pread() of BYTES each (default 128 KiB)
 *   (-x) create, close, unlink: the three calls of create_unlink, timed
 *                  separately in the same iterations
 *
 * Each op is run -w times untimed first (warm-up). Output, one line per op:
 *
 *   zufs-fsbench label=L op=OP n=N median_ns=M p99_ns=P min_ns=X max_ns=Y total_ns=T
 *
 * (total_ns: wall time of the whole timed loop, for throughput; not on the
 * create/close/unlink lines of -x).
 *
 * With -B FILE:N, N processes run the same ops at once (two clients on two
 * CPUs): before each op's timed loop every process waits until all N have
 * reached it (a counter in the shared file FILE, created if needed; the
 * same FILE, fresh, for the N processes of one run).
 *
 * Under tests/bench/lib/events.py (BENCH_EVENTS set) each timed loop is
 * marked for the kernel event counts (tests/bench/lib/bench-events.h).
 * With -C FILE (a ucchan service's debugfs stats file, e.g.
 * /sys/kernel/debug/ucchan/zufs/stats) each line also has the service's
 * counters per timed iteration: calls=, fallbacks=, mapped_b=, bounced_b=
 * (calls made by anyone during the loop, e.g. zuf's deferred FORGETs).
 *
 * Exit: 0, or 1 with a message when a call fails or returns wrong data.
 * Everything it created is removed at the end (also after a failure).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench-clock.h"
#include "bench-events.h"

#define FILE_SIZE	(1024 * 1024)
#define IO_SIZE		4096
#define NR_ENTRIES	1000
#define DENTS_BUF	32768

struct opts {
	long n, n_dir, n_seq, warmup, chunk;
	int cpu;
	bool split, fsync;
	const char *label;
	const char *stats;	/* -C: ucchan stats file of the service */
	const char *barrier;	/* -B FILE:N */
};

/* -B: N processes start each timed loop together (in a shared file) */
struct barrier {
	_Atomic unsigned int arrived, done;
};

static struct barrier *bar;
static unsigned int bar_n = 1, bar_gen;

static char work[PATH_MAX / 2], data_path[PATH_MAX], dir_path[PATH_MAX],
	    cu_path[PATH_MAX];
static char *iobuf;

static int fail(const char *what, const char *path)
{
	int err = errno;

	fprintf(stderr, "zufs-fsbench: %s %s: %s\n", what, path ? path : "",
		strerror(err));
	return -(err ? err : EIO);
}

static unsigned char pattern(size_t off)
{
	return (unsigned char)(off * 7 + off / 4096);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* ucchan counters of a service ("total" line of its debugfs stats file) */
struct ustats {
	unsigned long long calls, same_cpu, fallbacks, busy_waits, mapped,
			   bounced, aborts;
};

static int read_stats(const char *path, struct ustats *u)
{
	char line[256];
	FILE *f = fopen(path, "r");
	int found = 0;

	if (!f)
		return fail("open", path);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "total %llu %llu %llu %llu %llu %llu %llu",
			   &u->calls, &u->same_cpu, &u->fallbacks,
			   &u->busy_waits, &u->mapped, &u->bounced,
			   &u->aborts) == 7)
			found = 1;
	fclose(f);
	if (!found) {
		fprintf(stderr, "zufs-fsbench: %s: no 'total' line\n", path);
		return -EINVAL;
	}
	return 0;
}

static void report(const struct opts *o, const char *op, uint64_t *v, long n,
		   const struct ustats *d, uint64_t total)
{
	uint64_t median;
	long p99;

	qsort(v, n, sizeof(*v), cmp_u64);
	median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	p99 = (n * 99 + 99) / 100 - 1;	/* ceil(0.99 n) - 1 */
	printf("zufs-fsbench label=%s op=%s n=%ld median_ns=%" PRIu64
	       " p99_ns=%" PRIu64 " min_ns=%" PRIu64 " max_ns=%" PRIu64,
	       o->label, op, n, median, v[p99], v[0], v[n - 1]);
	if (total)
		printf(" total_ns=%" PRIu64, total);
	if (d)	/* per timed iteration */
		printf(" calls=%.2f fallbacks=%.2f mapped_b=%.0f bounced_b=%.0f",
		       (double)d->calls / n, (double)d->fallbacks / n,
		       (double)d->mapped / n, (double)d->bounced / n);
	printf("\n");
	fflush(stdout);
}

/* ---- set-up and clean-up ------------------------------------------------- */

static int setup(const char *dir)
{
	size_t off;
	ssize_t r;
	int fd, err = 0;

	if (strlen(dir) > sizeof(work) - 32) {
		errno = ENAMETOOLONG;
		return fail("directory", dir);
	}
	snprintf(work, sizeof(work), "%s/zfsb.%d", dir, (int)getpid());
	snprintf(data_path, sizeof(data_path), "%s/data", work);
	snprintf(dir_path, sizeof(dir_path), "%s/d1000", work);
	snprintf(cu_path, sizeof(cu_path), "%s/cu", work);
	if (mkdir(work, 0755))
		return fail("mkdir", work);
	if (mkdir(dir_path, 0755))
		return fail("mkdir", dir_path);

	for (off = 0; off < FILE_SIZE; off++)
		iobuf[off] = pattern(off);
	fd = open(data_path, O_CREAT | O_EXCL | O_RDWR, 0644);
	if (fd < 0)
		return fail("create", data_path);
	for (off = 0; off < FILE_SIZE; off += r) {
		r = pwrite(fd, iobuf + off, FILE_SIZE - off, off);
		if (r <= 0) {
			err = r < 0 ? fail("write", data_path) : -EIO;
			goto out;
		}
	}
	memset(iobuf, 0, FILE_SIZE);
	for (off = 0; off < FILE_SIZE; off += r) {
		r = pread(fd, iobuf + off, FILE_SIZE - off, off);
		if (r <= 0) {
			errno = r < 0 ? errno : EIO;
			err = fail("read back", data_path);
			goto out;
		}
	}
	for (off = 0; off < FILE_SIZE; off++)
		if ((unsigned char)iobuf[off] != pattern(off)) {
			fprintf(stderr, "zufs-fsbench: %s: wrong data at %zu\n",
				data_path, off);
			err = -EIO;
			goto out;
		}

	for (int k = 0; k < NR_ENTRIES; k++) {
		char p[PATH_MAX + 16];
		int f;

		snprintf(p, sizeof(p), "%s/e%04d", dir_path, k);
		f = open(p, O_CREAT | O_EXCL | O_WRONLY, 0644);
		if (f < 0) {
			err = fail("create", p);
			goto out;
		}
		close(f);
	}
out:
	close(fd);
	return err;
}

/* Best effort; returns -errno of the first failure. */
static int cleanup(void)
{
	int err = 0;

	if (!work[0])
		return 0;
	for (int k = 0; k < NR_ENTRIES; k++) {
		char p[PATH_MAX + 16];

		snprintf(p, sizeof(p), "%s/e%04d", dir_path, k);
		if (unlink(p) && errno != ENOENT && !err)
			err = fail("unlink", p);
	}
	if (rmdir(dir_path) && errno != ENOENT && !err)
		err = fail("rmdir", dir_path);
	if (unlink(data_path) && errno != ENOENT && !err)
		err = fail("unlink", data_path);
	if (unlink(cu_path) && errno != ENOENT && !err)
		err = fail("unlink", cu_path);
	if (rmdir(work) && errno != ENOENT && !err)
		err = fail("rmdir", work);
	return err;
}

/* ---- the operations (one timed unit each; 0 or -errno) --------------------- */

struct ctx {
	int rfd, wfd;
	long i;
	long chunk;
	uint64_t *split[3];	/* -x: create, close, unlink of create_unlink (ticks) */
	long split_base;	/* c->i of the first timed iteration */
	bool timed;
	double ns_per_tick;	/* of the last timed loop */
};

static int op_stat(struct ctx *c)
{
	struct stat st;

	if (stat(data_path, &st))
		return fail("stat", data_path);
	if (st.st_size != FILE_SIZE) {
		fprintf(stderr, "zufs-fsbench: stat: size %lld\n",
			(long long)st.st_size);
		return -EIO;
	}
	return 0;
}

static int op_pread(struct ctx *c)
{
	off_t off = (off_t)(c->i % (FILE_SIZE / IO_SIZE)) * IO_SIZE;
	ssize_t r = pread(c->rfd, iobuf, IO_SIZE, off);

	if (r != IO_SIZE) {
		errno = r < 0 ? errno : EIO;
		return fail("pread", data_path);
	}
	return 0;
}

static int op_pwrite(struct ctx *c)
{
	off_t off = (off_t)(c->i % (FILE_SIZE / IO_SIZE)) * IO_SIZE;
	ssize_t r = pwrite(c->wfd, iobuf, IO_SIZE, off);

	if (r != IO_SIZE) {
		errno = r < 0 ? errno : EIO;
		return fail("pwrite", data_path);
	}
	return 0;
}

static int op_pwrite_fsync(struct ctx *c)
{
	int err = op_pwrite(c);

	if (!err && fsync(c->wfd))
		err = fail("fsync", data_path);
	return err;
}

static int op_create_unlink(struct ctx *c)
{
	uint64_t t0 = 0, t1 = 0, t2 = 0;
	int fd;

	if (c->split[0])
		t0 = bench_ticks();
	fd = open(cu_path, O_CREAT | O_EXCL | O_WRONLY, 0644);
	if (fd < 0)
		return fail("create", cu_path);
	if (c->split[0])
		t1 = bench_ticks();
	if (close(fd))
		return fail("close", cu_path);
	if (c->split[0])
		t2 = bench_ticks();
	if (unlink(cu_path))
		return fail("unlink", cu_path);
	if (c->split[0] && c->timed) {
		long k = c->i - c->split_base;

		c->split[0][k] = t1 - t0;
		c->split[1][k] = t2 - t1;
		c->split[2][k] = bench_ticks() - t2;
	}
	return 0;
}

static int op_readdir(struct ctx *c)
{
	static char buf[DENTS_BUF];
	long entries = 0;
	ssize_t r;
	int fd = open(dir_path, O_RDONLY | O_DIRECTORY);

	if (fd < 0)
		return fail("opendir", dir_path);
	while ((r = getdents64(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t pos = 0; pos < r;) {
			const struct dirent64 *d = (const void *)(buf + pos);

			entries++;
			pos += d->d_reclen;
		}
	}
	if (r < 0) {
		r = fail("getdents64", dir_path);
		close(fd);
		return r;
	}
	close(fd);
	if (entries != NR_ENTRIES + 2) {
		fprintf(stderr, "zufs-fsbench: readdir: %ld entries, want %d\n",
			entries, NR_ENTRIES + 2);
		return -EIO;
	}
	return 0;
}

static int op_seqread(struct ctx *c)
{
	for (off_t off = 0; off < FILE_SIZE;) {
		ssize_t r = pread(c->rfd, iobuf, c->chunk, off);

		if (r <= 0) {
			errno = r < 0 ? errno : EIO;
			return fail("sequential read", data_path);
		}
		off += r;
	}
	return 0;
}

static int barrier_open(const char *spec)
{
	char path[PATH_MAX];
	const char *colon = strrchr(spec, ':');
	long n;
	int fd;

	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(path)) {
		fprintf(stderr, "zufs-fsbench: -B FILE:N\n");
		return -EINVAL;
	}
	n = strtol(colon + 1, NULL, 10);
	if (n < 1 || n > 64) {
		fprintf(stderr, "zufs-fsbench: -B: N in 1..64\n");
		return -EINVAL;
	}
	memcpy(path, spec, colon - spec);
	path[colon - spec] = 0;
	fd = open(path, O_RDWR | O_CREAT, 0600);
	if (fd < 0)
		return fail("open", path);
	if (ftruncate(fd, 4096)) {	/* zero-filled; idempotent */
		close(fd);
		return fail("ftruncate", path);
	}
	bar = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (bar == MAP_FAILED) {
		bar = NULL;
		return fail("mmap", path);
	}
	bar_n = (unsigned int)n;
	return 0;
}

/*
 * Wait until every process reached this op (polls: outside the timed loop).
 * -ETIMEDOUT after 10 minutes: a peer that died must not hang the others.
 */
static int barrier_wait(void)
{
	unsigned int ms = 0;

	if (!bar)
		return 0;
	bar_gen++;
	atomic_fetch_add(&bar->arrived, 1);
	while (atomic_load(&bar->arrived) < bar_n * bar_gen) {
		if (++ms > 600000) {
			fprintf(stderr, "zufs-fsbench: -B: the other processes did not reach op %u in 10 min\n",
				bar_gen);
			return -ETIMEDOUT;
		}
		usleep(1000);
	}
	return 0;
}

/* True for the last process to finish this op's timed loop. */
static bool barrier_last(void)
{
	if (!bar)
		return true;
	return atomic_fetch_add(&bar->done, 1) + 1 == bar_n * bar_gen;
}

static int run(const struct opts *o, const char *name,
	       int (*fn)(struct ctx *), struct ctx *c, long n, uint64_t *v)
{
	struct ustats s0, s1, d = { 0 };
	uint64_t start, total, tstart, tend;
	double ns_per_tick;
	int err;

	c->timed = false;
	for (c->i = 0; c->i < o->warmup; c->i++) {
		err = fn(c);
		if (err)
			return err;
	}
	c->timed = true;
	c->split_base = c->i;
	err = barrier_wait();
	if (err)
		return err;
	if (o->stats) {
		err = read_stats(o->stats, &s0);
		if (err)
			return err;
	}
	bench_events_begin(o->label, name);
	start = bench_now_ns();
	tstart = bench_ticks();
	for (long k = 0; k < n; k++, c->i++) {
		uint64_t t0 = bench_ticks();

		err = fn(c);
		v[k] = bench_ticks() - t0;
		if (err)
			return err;
	}
	tend = bench_ticks();
	total = bench_now_ns() - start;
	bench_events_end(o->label, name, n, barrier_last());
	/* ticks -> ns by this loop's own wall time */
	ns_per_tick = tend > tstart ? (double)total / (double)(tend - tstart) : 1.0;
	c->ns_per_tick = ns_per_tick;
	for (long k = 0; k < n; k++)
		v[k] = (uint64_t)((double)v[k] * ns_per_tick + 0.5);
	if (o->stats) {
		err = read_stats(o->stats, &s1);
		if (err)
			return err;
		d.calls = s1.calls - s0.calls;
		d.fallbacks = s1.fallbacks - s0.fallbacks;
		d.mapped = s1.mapped - s0.mapped;
		d.bounced = s1.bounced - s0.bounced;
	}
	report(o, name, v, n, o->stats ? &d : NULL, total);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: zufs-fsbench [options] DIR\n"
		"  -n N      iterations of stat, pread_4k, pwrite_4k, (-f) pwrite_4k_fsync,\n"
		"            create_unlink (2000)\n"
		"  -d N      iterations of readdir_1000 (100)\n"
		"  -s N      iterations of seqread_1m (100)\n"
		"  -b BYTES  read size of seqread_1m, 4096..1048576 (131072)\n"
		"  -w N      untimed warm-up iterations of each op (20)\n"
		"  -c CPU    pin to this CPU, -1: do not pin (0)\n"
		"  -l LABEL  label of the output lines (DIR)\n"
		"  -x        also report the parts of create_unlink: create, close, unlink\n"
		"  -f        also pwrite_4k_fsync: pwrite_4k + fsync()\n"
		"  -C FILE   ucchan stats file (debugfs ucchan/<service>/stats): also\n"
		"            report the service's calls (etc.) per timed iteration\n"
		"  -B FILE:N N processes start each timed loop together (shared FILE)\n");
}

static long num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "zufs-fsbench: bad number '%s' (%ld..%ld)\n",
			s, min, max);
		exit(1);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct opts o = { .n = 2000, .n_dir = 100, .n_seq = 100, .warmup = 20,
			  .chunk = 131072, .cpu = 0 };
	struct ctx c = { .rfd = -1, .wfd = -1 };
	uint64_t *v = NULL;
	long most;
	int opt, err;

	while ((opt = getopt(argc, argv, "n:d:s:b:w:c:l:xfC:B:h")) != -1) {
		switch (opt) {
		case 'n': o.n = num(optarg, 1, 10000000); break;
		case 'd': o.n_dir = num(optarg, 1, 10000000); break;
		case 's': o.n_seq = num(optarg, 1, 10000000); break;
		case 'b': o.chunk = num(optarg, 4096, FILE_SIZE); break;
		case 'w': o.warmup = num(optarg, 0, 10000000); break;
		case 'c': o.cpu = num(optarg, -1, CPU_SETSIZE - 1); break;
		case 'l': o.label = optarg; break;
		case 'x': o.split = true; break;
		case 'f': o.fsync = true; break;
		case 'C': o.stats = optarg; break;
		case 'B': o.barrier = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 1;
	}
	if (!o.label)
		o.label = argv[optind];
	if (strpbrk(o.label, " \t\n=")) {
		fprintf(stderr, "zufs-fsbench: the label may not contain blanks or '='\n");
		return 1;
	}
	c.chunk = o.chunk;
	if (o.barrier && barrier_open(o.barrier))
		return 1;
	if (o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			fail("pin to CPU", NULL);
			return 1;
		}
	}
	most = o.n > o.n_dir ? o.n : o.n_dir;
	most = most > o.n_seq ? most : o.n_seq;
	v = calloc(most, sizeof(*v));
	iobuf = aligned_alloc(4096, FILE_SIZE);
	if (o.split)
		for (int k = 0; k < 3; k++)
			c.split[k] = calloc(o.n, sizeof(uint64_t));
	if (!v || !iobuf ||
	    (o.split && (!c.split[0] || !c.split[1] || !c.split[2]))) {
		fprintf(stderr, "zufs-fsbench: out of memory\n");
		return 1;
	}

	err = setup(argv[optind]);
	if (!err) {
		c.rfd = open(data_path, O_RDONLY);
		c.wfd = open(data_path, O_WRONLY);
		if (c.rfd < 0 || c.wfd < 0)
			err = fail("open", data_path);
	}
	if (!err)
		err = run(&o, "stat", op_stat, &c, o.n, v);
	if (!err)
		err = run(&o, "pread_4k", op_pread, &c, o.n, v);
	if (!err)
		err = run(&o, "pwrite_4k", op_pwrite, &c, o.n, v);
	if (!err && o.fsync)
		err = run(&o, "pwrite_4k_fsync", op_pwrite_fsync, &c, o.n, v);
	if (!err)
		err = run(&o, "create_unlink", op_create_unlink, &c, o.n, v);
	if (!err && o.split) {
		for (int k = 0; k < 3; k++)
			for (long i = 0; i < o.n; i++)
				c.split[k][i] = (uint64_t)((double)c.split[k][i] *
							   c.ns_per_tick + 0.5);
		report(&o, "create", c.split[0], o.n, NULL, 0);
		report(&o, "close", c.split[1], o.n, NULL, 0);
		report(&o, "unlink", c.split[2], o.n, NULL, 0);
	}
	if (!err)
		err = run(&o, "readdir_1000", op_readdir, &c, o.n_dir, v);
	if (!err)
		err = run(&o, "seqread_1m", op_seqread, &c, o.n_seq, v);
	if (c.rfd >= 0)
		close(c.rfd);
	if (c.wfd >= 0)
		close(c.wfd);
	if (cleanup() && !err)
		err = -EIO;
	for (int k = 0; k < 3; k++)
		free(c.split[k]);
	free(v);
	free(iobuf);
	return err ? 1 : 0;
}
