// SPDX-License-Identifier: BSD-2-Clause
/*
 * zufs-mixed - a concurrent mixed data and metadata workload.
 *
 *   zufs-mixed [-p PROCS] [-d SECONDS] [-n OPS] [-s SEED] [-l LABEL] [-q] DIR
 *
 * Forks PROCS processes (default 4), each in its own directory DIR/p<i>,
 * seeded with SEED + i. They start together and each runs for SECONDS
 * (default 10) or OPS operations (whichever comes first; -n 0: no limit)
 * a random mix of:
 *   create   open(O_CREAT|O_EXCL), write 0..64 KiB, close
 *   open     open + fstat + close of an existing file
 *   stat     stat, size checked against the model
 *   rename   rename to a free name (the model follows)
 *   unlink   unlink a file
 *   mkdir    mkdir / rmdir of a subdirectory
 *   readdir  opendir + readdir, the entry count checked
 *   writev   lseek + writev, preadv, pwritev, readv: 2..8 segments of
 *   pwritev  1 B..64 KiB each (log-uniform), at random offsets below
 *   readv    1 MiB; everything read is compared with the model (what the
 *   preadv   process wrote; holes read as zeros)
 *   fsync    fsync of an open file (one op in 64)
 * Each file's descriptor stays open from create to unlink (renames do not
 * close it), so data ops are not dominated by opens.
 *
 * Output, one line per process and one total:
 *   zufs-mixed label=L proc=I ops=N secs=S ops_s=X verified=B create=.. ...
 *   zufs-mixed label=L total procs=P ops=N ops_s=X errors=E create=.. ...
 * ops_s of the total is the sum of the processes' rates. Per op kind also
 * the mean latency in µs (us_create=..): where the time goes.
 * Exit status: 0 when every process finished and verified everything,
 * 1 on a mismatch or an unexpected error (the first is reported), 2 usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NFILES		16
#define NDIRS		4
#define FILE_MAX	(1 << 20)
#define SEG_MAX		(64 << 10)
#define SEGS_MAX	8

enum op {
	OP_CREATE, OP_OPEN, OP_STAT, OP_RENAME, OP_UNLINK, OP_MKDIR,
	OP_READDIR, OP_WRITEV, OP_PWRITEV, OP_READV, OP_PREADV, OP_FSYNC,
	OP_NR
};

static const char *const op_name[OP_NR] = {
	"create", "open", "stat", "rename", "unlink", "mkdir",
	"readdir", "writev", "pwritev", "readv", "preadv", "fsync",
};

/* weights of the mix, out of their sum */
static const unsigned int op_weight[OP_NR] = {
	6, 6, 10, 5, 4, 4, 3, 12, 12, 12, 12, 1,
};

struct file {
	int present;		/* the name exists */
	int fd;			/* open from create to unlink */
	unsigned int name;	/* the name's number: f<name> */
	size_t size;
	unsigned char *data;	/* the model, FILE_MAX bytes */
};

struct stats {
	uint64_t ops, verified;
	uint64_t n[OP_NR];
	uint64_t ns[OP_NR];
	uint64_t secs_ns;
	int errors;
};

static struct file files[NFILES];
static int dirs[NDIRS];
static unsigned int next_name;
static uint64_t rng;
static char base[4096];
static unsigned char *rbuf, *wbuf;
static int quiet;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t rnd(void)	/* xorshift64* */
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* 1 .. max, log-uniform: as many small segments as large ones */
static size_t seg_size(size_t max)
{
	unsigned int bits = 0;
	size_t lim;

	while ((1UL << bits) < max)
		bits++;
	lim = 1UL << below(bits + 1);
	if (lim > max)
		lim = max;
	return 1 + below(lim);
}

static int fail(struct stats *st, const char *fmt, ...)
{
	va_list ap;

	if (!st->errors++) {
		fprintf(stderr, "zufs-mixed: %s: ", base);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	return -1;
}

static void path_of(char *buf, size_t len, unsigned int name)
{
	snprintf(buf, len, "%s/f%u", base, name);
}

static struct file *pick(int present)
{
	unsigned int i, start = below(NFILES);

	for (i = 0; i < NFILES; i++) {
		struct file *f = &files[(start + i) % NFILES];

		if (f->present == present)
			return f;
	}
	return NULL;
}

/*
 * Data to write: a copy from a random offset of a pool of random bytes
 * made before the clock starts, so that the timed loop spends its user
 * time in memcpy and memcmp, not in a byte-wise generator (under TCG
 * that would cost more than the file system calls measured).
 */
#define POOL_SIZE	(FILE_MAX + SEGS_MAX * SEG_MAX)
static unsigned char *pool;

static void fill(unsigned char *p, size_t len)
{
	memcpy(p, pool + below(POOL_SIZE - len + 1), len);
}

static int op_create(struct stats *st)
{
	struct file *f = pick(0);
	char path[4200];
	size_t len;
	ssize_t r;

	if (!f)
		return 1;
	f->name = next_name++;
	path_of(path, sizeof(path), f->name);
	f->fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
	if (f->fd < 0)
		return fail(st, "create %s: %s", path, strerror(errno));
	len = below(SEG_MAX + 1);
	fill(f->data, len);
	/* the model of the slot's last file is zeroed as far as it went */
	if (f->size > len)
		memset(f->data + len, 0, f->size - len);
	r = write(f->fd, f->data, len);
	if (r != (ssize_t)len)
		return fail(st, "write %s: %zd of %zu: %s", path, r, len,
			    strerror(errno));
	f->size = len;
	f->present = 1;
	/* the create's own descriptor is closed; another one stays open */
	close(f->fd);
	f->fd = open(path, O_RDWR);
	if (f->fd < 0)
		return fail(st, "open %s: %s", path, strerror(errno));
	return 0;
}

static int op_open(struct stats *st)
{
	struct file *f = pick(1);
	char path[4200];
	struct stat sb;
	int fd;

	if (!f)
		return 1;
	path_of(path, sizeof(path), f->name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return fail(st, "open %s: %s", path, strerror(errno));
	if (fstat(fd, &sb) || (size_t)sb.st_size != f->size) {
		close(fd);
		return fail(st, "fstat %s: size %lld, expected %zu", path,
			    (long long)sb.st_size, f->size);
	}
	close(fd);
	return 0;
}

static int op_stat(struct stats *st)
{
	struct file *f = pick(below(8) != 0);
	char path[4200];
	struct stat sb;
	int r;

	if (!f)
		return 1;
	path_of(path, sizeof(path), f->present ? f->name : next_name + 1000);
	r = stat(path, &sb);
	if (f->present && (r || (size_t)sb.st_size != f->size))
		return fail(st, "stat %s: %s, size %lld, expected %zu", path,
			    r ? strerror(errno) : "ok", (long long)sb.st_size,
			    f->size);
	if (!f->present && (r == 0 || errno != ENOENT))
		return fail(st, "stat of absent %s: %s", path,
			    r ? strerror(errno) : "exists");
	return 0;
}

static int op_rename(struct stats *st)
{
	struct file *f = pick(1);
	char from[4200], to[4200];
	unsigned int name = next_name++;

	if (!f)
		return 1;
	path_of(from, sizeof(from), f->name);
	path_of(to, sizeof(to), name);
	if (rename(from, to))
		return fail(st, "rename %s %s: %s", from, to, strerror(errno));
	f->name = name;
	return 0;
}

static int op_unlink(struct stats *st)
{
	struct file *f = pick(1);
	char path[4200];

	if (!f)
		return 1;
	path_of(path, sizeof(path), f->name);
	if (unlink(path))
		return fail(st, "unlink %s: %s", path, strerror(errno));
	close(f->fd);
	f->fd = -1;
	f->present = 0;	/* the size stays: how far create must zero */
	return 0;
}

static int op_mkdir(struct stats *st)
{
	unsigned int i = below(NDIRS);
	char path[4200];

	snprintf(path, sizeof(path), "%s/d%u", base, i);
	if (dirs[i] ? rmdir(path) : mkdir(path, 0755))
		return fail(st, "%s %s: %s", dirs[i] ? "rmdir" : "mkdir", path,
			    strerror(errno));
	dirs[i] = !dirs[i];
	return 0;
}

static int op_readdir(struct stats *st)
{
	unsigned int i, want = 0, got = 0;
	struct dirent *de;
	DIR *d;

	for (i = 0; i < NFILES; i++)
		want += files[i].present;
	for (i = 0; i < NDIRS; i++)
		want += dirs[i];
	d = opendir(base);
	if (!d)
		return fail(st, "opendir: %s", strerror(errno));
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			got++;
	closedir(d);
	if (got != want)
		return fail(st, "readdir: %u entries, expected %u", got, want);
	return 0;
}

/* segments of a data op at a random offset; returns the total */
static size_t make_iov(struct iovec *iov, int *nseg, unsigned char *buf,
		       off_t *off)
{
	size_t total = 0;
	int i;

	*nseg = 2 + below(SEGS_MAX - 1);
	for (i = 0; i < *nseg; i++) {
		iov[i].iov_base = buf + total;
		iov[i].iov_len = seg_size(SEG_MAX);
		total += iov[i].iov_len;
	}
	*off = below(FILE_MAX - total + 1);
	return total;
}

static int op_write(struct stats *st, int positional)
{
	struct file *f = pick(1);
	struct iovec iov[SEGS_MAX];
	size_t total;
	ssize_t r;
	off_t off;
	int nseg;

	if (!f)
		return 1;
	total = make_iov(iov, &nseg, wbuf, &off);
	fill(wbuf, total);
	if (positional) {
		r = pwritev(f->fd, iov, nseg, off);
	} else {
		if (lseek(f->fd, off, SEEK_SET) != off)
			return fail(st, "lseek f%u: %s", f->name,
				    strerror(errno));
		r = writev(f->fd, iov, nseg);
	}
	if (r != (ssize_t)total)
		return fail(st, "%s f%u %d segs %zu at %lld: %zd: %s",
			    positional ? "pwritev" : "writev", f->name, nseg,
			    total, (long long)off, r, strerror(errno));
	memcpy(f->data + off, wbuf, total);
	if (off + total > f->size)
		f->size = off + total;
	return 0;
}

static int op_read(struct stats *st, int positional)
{
	struct file *f = pick(1);
	struct iovec iov[SEGS_MAX];
	size_t total, want;
	ssize_t r;
	off_t off;
	int nseg;

	if (!f)
		return 1;
	total = make_iov(iov, &nseg, rbuf, &off);
	/* reads start inside the file (or at its end) more often than not */
	if (f->size && below(4))
		off = below(f->size);
	memset(rbuf, 0xa5, total);
	if (positional) {
		r = preadv(f->fd, iov, nseg, off);
	} else {
		if (lseek(f->fd, off, SEEK_SET) != off)
			return fail(st, "lseek f%u: %s", f->name,
				    strerror(errno));
		r = readv(f->fd, iov, nseg);
	}
	want = (size_t)off >= f->size ? 0 : f->size - off;
	if (want > total)
		want = total;
	if (r != (ssize_t)want)
		return fail(st, "%s f%u %d segs %zu at %lld: %zd, expected %zu: %s",
			    positional ? "preadv" : "readv", f->name, nseg,
			    total, (long long)off, r, want,
			    r < 0 ? strerror(errno) : "short");
	if (memcmp(rbuf, f->data + off, want)) {
		size_t i = 0;

		while (rbuf[i] == f->data[off + i])
			i++;
		return fail(st, "%s f%u: data differ at %lld (+%zu in %zu)",
			    positional ? "preadv" : "readv", f->name,
			    (long long)off + i, i, want);
	}
	st->verified += want;
	return 0;
}

static int op_fsync(struct stats *st)
{
	struct file *f = pick(1);

	if (!f)
		return 1;
	if (fsync(f->fd))
		return fail(st, "fsync f%u: %s", f->name, strerror(errno));
	return 0;
}

static int run_op(struct stats *st, enum op op)
{
	switch (op) {
	case OP_CREATE: return op_create(st);
	case OP_OPEN: return op_open(st);
	case OP_STAT: return op_stat(st);
	case OP_RENAME: return op_rename(st);
	case OP_UNLINK: return op_unlink(st);
	case OP_MKDIR: return op_mkdir(st);
	case OP_READDIR: return op_readdir(st);
	case OP_WRITEV: return op_write(st, 0);
	case OP_PWRITEV: return op_write(st, 1);
	case OP_READV: return op_read(st, 0);
	case OP_PREADV: return op_read(st, 1);
	default: return op_fsync(st);
	}
}

static enum op pick_op(void)
{
	unsigned int sum = 0, i, r;

	for (i = 0; i < OP_NR; i++)
		sum += op_weight[i];
	r = below(sum);
	for (i = 0; i < OP_NR; i++) {
		if (r < op_weight[i])
			return i;
		r -= op_weight[i];
	}
	return OP_FSYNC;
}

static void print_stats(const char *label, const char *who,
			const struct stats *st, double ops_s)
{
	int i;

	printf("zufs-mixed label=%s %s ops=%llu ops_s=%.1f verified=%llu errors=%d",
	       label, who, (unsigned long long)st->ops, ops_s,
	       (unsigned long long)st->verified, st->errors);
	for (i = 0; i < OP_NR; i++)
		printf(" %s=%llu", op_name[i], (unsigned long long)st->n[i]);
	for (i = 0; i < OP_NR; i++)
		printf(" us_%s=%.0f", op_name[i],
		       st->n[i] ? st->ns[i] / 1e3 / st->n[i] : 0.0);
	printf("\n");
}

static int child(const char *dir, int idx, uint64_t seed, double secs,
		 uint64_t max_ops, int go, struct stats *st)
{
	uint64_t t0, t, end;
	char c;
	int i;

	snprintf(base, sizeof(base), "%s/p%d", dir, idx);
	rng = seed * 0x9e3779b97f4a7c15ULL + idx + 1;
	for (i = 0; i < 4; i++)
		rnd();
	rbuf = malloc(SEGS_MAX * SEG_MAX);
	wbuf = malloc(SEGS_MAX * SEG_MAX);
	for (i = 0; i < NFILES; i++) {
		files[i].fd = -1;
		files[i].data = calloc(1, FILE_MAX);
		if (!files[i].data)
			return fail(st, "out of memory");
	}
	pool = malloc(POOL_SIZE);
	if (!rbuf || !wbuf || !pool)
		return fail(st, "out of memory");
	for (i = 0; i < POOL_SIZE; i += 8) {
		uint64_t v = rnd();

		memcpy(pool + i, &v, 8);
	}
	if (mkdir(base, 0755))
		return fail(st, "mkdir: %s", strerror(errno));
	/* wait for the start */
	if (read(go, &c, 1) < 0)
		return fail(st, "start pipe: %s", strerror(errno));
	t0 = now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	for (;;) {
		enum op op = pick_op();
		int r;

		t = now_ns();
		if (t >= end || (max_ops && st->ops >= max_ops))
			break;
		r = run_op(st, op);
		if (r < 0)
			break;
		if (r > 0)	/* nothing to do it on: not counted */
			continue;
		st->n[op]++;
		st->ns[op] += now_ns() - t;
		st->ops++;
	}
	st->secs_ns = now_ns() - t0;
	/* clean up (untimed): the directory is left empty */
	for (i = 0; i < NFILES; i++) {
		char path[4200];

		if (!files[i].present)
			continue;
		path_of(path, sizeof(path), files[i].name);
		if (unlink(path) && !st->errors)
			fail(st, "unlink %s: %s", path, strerror(errno));
		close(files[i].fd);
	}
	for (i = 0; i < NDIRS; i++) {
		char path[4200];

		snprintf(path, sizeof(path), "%s/d%u", base, i);
		if (dirs[i] && rmdir(path) && !st->errors)
			fail(st, "rmdir %s: %s", path, strerror(errno));
	}
	if (rmdir(base) && !st->errors)
		fail(st, "rmdir: %s", strerror(errno));
	return st->errors ? -1 : 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: zufs-mixed [-p PROCS] [-d SECONDS] [-n OPS] [-s SEED] [-l LABEL] [-q] DIR\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int procs = 4, opt, i, go[2], rc = 0, fds[2];
	double secs = 10;
	uint64_t seed = 1, max_ops = 0;
	const char *label = "fs";
	struct stats total = { 0 };
	double total_s = 0;
	pid_t *pids;
	int *pipes;

	while ((opt = getopt(argc, argv, "p:d:n:s:l:q")) != -1) {
		switch (opt) {
		case 'p': procs = atoi(optarg); break;
		case 'd': secs = atof(optarg); break;
		case 'n': max_ops = strtoull(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'l': label = optarg; break;
		case 'q': quiet = 1; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || procs < 1 || procs > 64 || secs <= 0)
		usage();
	pids = calloc(procs, sizeof(*pids));
	pipes = calloc(procs, sizeof(*pipes));
	if (!pids || !pipes || pipe(go))
		return 1;
	for (i = 0; i < procs; i++) {
		if (pipe(fds))
			return 1;
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("fork");
			return 1;
		}
		if (pids[i] == 0) {
			struct stats st = { 0 };
			int r;

			close(go[1]);
			close(fds[0]);
			r = child(argv[optind], i, seed, secs, max_ops, go[0],
				  &st);
			if (write(fds[1], &st, sizeof(st)) != sizeof(st))
				r = -1;
			_exit(r ? 1 : 0);
		}
		close(fds[1]);
		pipes[i] = fds[0];
	}
	close(go[0]);
	usleep(100000);
	close(go[1]);	/* every child's read returns: go */
	for (i = 0; i < procs; i++) {
		struct stats st = { 0 };
		char who[32];
		double ops_s;
		int status, j;
		ssize_t r = read(pipes[i], &st, sizeof(st));

		if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			rc = 1;
		if (r != sizeof(st)) {
			fprintf(stderr, "zufs-mixed: process %d reported nothing\n", i);
			rc = 1;
			continue;
		}
		ops_s = st.secs_ns ? st.ops * 1e9 / st.secs_ns : 0;
		snprintf(who, sizeof(who), "proc=%d", i);
		if (!quiet)
			print_stats(label, who, &st, ops_s);
		total_s += ops_s;
		total.ops += st.ops;
		total.verified += st.verified;
		total.errors += st.errors;
		for (j = 0; j < OP_NR; j++) {
			total.n[j] += st.n[j];
			total.ns[j] += st.ns[j];
		}
	}
	{
		char who[32];

		snprintf(who, sizeof(who), "total procs=%d", procs);
		print_stats(label, who, &total, total_s);
	}
	if (total.errors)
		rc = 1;
	return rc;
}
