// SPDX-License-Identifier: BSD-2-Clause
/*
 * zmfs-randio: a seeded random-operation tester for one file.
 *
 * Every operation (write, read, mapped write, mapped read, truncate,
 * fallocate in each mode, copy_file_range inside the file and from a
 * second file, msync) is applied to the file and to an in-memory model;
 * every result (return values, data read back, st_size) is checked
 * against the model after every operation. On a mismatch the seed, the
 * differing bytes and the last operations are printed and the exit
 * status is 1. The same seed replays the same operations.
 *
 *   zmfs-randio [-s SEED] [-n OPS] [-l FILESIZE] [-L MAXOPLEN]
 *               [-o OP,OP,...] [-x OP,OP,...] [-c EVERY] [-q] FILE [SRCFILE]
 *
 * OPs: write read mapwrite mapread truncate falloc falloc_keep punch
 * zero zero_keep copy copy_src msync. -o chooses the ops (default all),
 * -x removes some. -c N also compares the whole file with read(2) every N
 * operations (0: only at the end). SRCFILE (default FILE.src) is the
 * second file of copy_src; it is created with random data.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE	0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE	0x02
#endif
#ifndef FALLOC_FL_ZERO_RANGE
#define FALLOC_FL_ZERO_RANGE	0x10
#endif

enum op {
	OP_WRITE, OP_READ, OP_MAPWRITE, OP_MAPREAD, OP_TRUNCATE, OP_FALLOC,
	OP_FALLOC_KEEP, OP_PUNCH, OP_ZERO, OP_ZERO_KEEP, OP_COPY,
	OP_COPY_SRC, OP_MSYNC, OP_MAX
};

static const char *const op_names[OP_MAX] = {
	[OP_WRITE] = "write",		[OP_READ] = "read",
	[OP_MAPWRITE] = "mapwrite",	[OP_MAPREAD] = "mapread",
	[OP_TRUNCATE] = "truncate",	[OP_FALLOC] = "falloc",
	[OP_FALLOC_KEEP] = "falloc_keep", [OP_PUNCH] = "punch",
	[OP_ZERO] = "zero",		[OP_ZERO_KEEP] = "zero_keep",
	[OP_COPY] = "copy",		[OP_COPY_SRC] = "copy_src",
	[OP_MSYNC] = "msync",
};

struct rec {
	unsigned long n;
	enum op op;
	uint64_t off, len, off2;	/* off2: copy source / msync flag */
	int64_t ret;
};

#define HIST	64

static uint64_t rng_state;
static unsigned char *model, *smodel, *buf, *cbuf;
static uint64_t msize, fsize, ssize, maxop;
static long pagesz;
static int fd, sfd;
static uint64_t seed;
static struct rec hist[HIST];
static unsigned long opno;
static bool quiet;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static void dump_history(void)
{
	unsigned long first = opno >= HIST ? opno - HIST + 1 : 1;

	fprintf(stderr, "last operations (seed %" PRIu64 "):\n", seed);
	for (unsigned long n = first; n <= opno; n++) {
		const struct rec *r = &hist[n % HIST];

		fprintf(stderr, "  %7lu %-11s off %#9" PRIx64 " len %#7" PRIx64,
			r->n, op_names[r->op], r->off, r->len);
		if (r->op == OP_COPY || r->op == OP_COPY_SRC)
			fprintf(stderr, " from %#9" PRIx64, r->off2);
		if (r->op == OP_MAPWRITE && r->off2)
			fprintf(stderr, " +msync");
		fprintf(stderr, " -> %" PRId64 "\n", r->ret);
	}
}

static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FAIL at op %lu (seed %" PRIu64 "): ", opno, seed);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	dump_history();
	exit(1);
}

/* compare got[0..len) with the model at off; fail with the first difference */
static void compare(const char *what, const unsigned char *got, uint64_t off,
		    uint64_t len)
{
	uint64_t i, end;

	if (!memcmp(got, model + off, len))
		return;
	for (i = 0; i < len && got[i] == model[off + i]; i++)
		;
	for (end = i; end < len && got[end] != model[off + end]; end++)
		;
	fprintf(stderr, "%s: data differ at %#" PRIx64 " (%" PRIu64
		" bytes from there differ; range %#" PRIx64 "+%#" PRIx64 ")\n",
		what, off + i, end - i, off, len);
	fprintf(stderr, "  offset    expected got\n");
	for (uint64_t j = i; j < end && j < i + 16; j++)
		fprintf(stderr, "  %#8" PRIx64 "  %02x       %02x\n", off + j,
			model[off + j], got[j]);
	fail("%s returned wrong data", what);
}

static void check_size(void)
{
	struct stat st;

	if (fstat(fd, &st))
		fail("fstat: %s", strerror(errno));
	if ((uint64_t)st.st_size != fsize)
		fail("st_size %lld, expected %" PRIu64, (long long)st.st_size,
		     fsize);
}

static void full_check(void)
{
	ssize_t r = pread(fd, buf, msize, 0);

	if (r < 0)
		fail("full read: %s", strerror(errno));
	if ((uint64_t)r != fsize)
		fail("full read returned %zd, size %" PRIu64, r, fsize);
	compare("full read", buf, 0, fsize);
}

static void fill(unsigned char *p, uint64_t len)
{
	/* never zero, so zeros in the file are always the model's zeros */
	for (uint64_t i = 0; i < len; i++)
		p[i] = (unsigned char)(rnd_below(255) + 1);
}

/* a random range inside [0, limit): offsets often page aligned or ends */
static void pick_range(uint64_t limit, uint64_t *off, uint64_t *len)
{
	uint64_t o, l, max;

	o = rnd_below(limit);
	switch (rnd_below(4)) {
	case 0:
		o &= ~(uint64_t)(pagesz - 1);
		break;
	case 1:
		o |= (uint64_t)(pagesz - 1);
		if (o >= limit)
			o = limit - 1;
		break;
	}
	max = limit - o;
	if (max > maxop)
		max = maxop;
	l = rnd_below(max) + 1;
	if (rnd_below(4) == 0 && l > (uint64_t)pagesz) {
		l &= ~(uint64_t)(pagesz - 1);
	}
	*off = o;
	*len = l;
}

static void set_size(uint64_t n)
{
	if (n < fsize)
		memset(model + n, 0, fsize - n);
	fsize = n;
}

static void extend(uint64_t end)
{
	if (end > fsize)
		fsize = end;
}

static void *map(uint64_t off, uint64_t len, int prot, uint64_t *pgoff)
{
	uint64_t start = off & ~(uint64_t)(pagesz - 1);
	void *p;

	p = mmap(NULL, off + len - start, prot, MAP_SHARED, fd, (off_t)start);
	if (p == MAP_FAILED)
		fail("mmap %#" PRIx64 "+%#" PRIx64 ": %s", start,
		     off + len - start, strerror(errno));
	*pgoff = off - start;
	return p;
}

static int64_t do_op(enum op op, struct rec *r)
{
	uint64_t off = 0, len = 0, src = 0, pg;
	unsigned char *p;
	ssize_t ret;
	int mode;

	switch (op) {
	case OP_WRITE:
		pick_range(msize, &off, &len);
		fill(buf, len);
		r->off = off;
		r->len = len;
		ret = pwrite(fd, buf, len, (off_t)off);
		if (ret != (ssize_t)len)
			fail("pwrite returned %zd (%s)", ret,
			     ret < 0 ? strerror(errno) : "short");
		memcpy(model + off, buf, len);
		extend(off + len);
		return ret;
	case OP_READ:
		if (!fsize)
			return 0;
		pick_range(fsize, &off, &len);
		/* sometimes across end of file */
		if (rnd_below(8) == 0)
			len = msize - off < maxop ? msize - off : maxop;
		r->off = off;
		r->len = len;
		ret = pread(fd, buf, len, (off_t)off);
		if (ret < 0)
			fail("pread: %s", strerror(errno));
		if ((uint64_t)ret != (off + len > fsize ? fsize - off : len))
			fail("pread returned %zd", ret);
		compare("read", buf, off, (uint64_t)ret);
		return ret;
	case OP_MAPWRITE:
		pick_range(msize, &off, &len);
		r->off = off;
		r->len = len;
		r->off2 = rnd_below(2);
		if (off + len > fsize) {
			/* a mapping cannot extend: grow the file first */
			if (ftruncate(fd, (off_t)(off + len)))
				fail("ftruncate for mapwrite: %s",
				     strerror(errno));
			fsize = off + len;
		}
		p = map(off, len, PROT_READ | PROT_WRITE, &pg);
		fill(model + off, len);
		memcpy(p + pg, model + off, len);
		if (r->off2 && msync(p, pg + len, MS_SYNC))
			fail("msync: %s", strerror(errno));
		munmap(p, pg + len);
		return (int64_t)len;
	case OP_MAPREAD:
		if (!fsize)
			return 0;
		pick_range(fsize, &off, &len);
		r->off = off;
		r->len = len;
		p = map(off, len, PROT_READ, &pg);
		memcpy(buf, p + pg, len);
		munmap(p, pg + len);
		compare("mapped read", buf, off, len);
		return (int64_t)len;
	case OP_TRUNCATE:
		off = rnd_below(msize + 1);
		if (rnd_below(3) == 0)
			off &= ~(uint64_t)(pagesz - 1);
		r->off = off;
		if (ftruncate(fd, (off_t)off))
			fail("ftruncate: %s", strerror(errno));
		set_size(off);
		return 0;
	case OP_FALLOC:
	case OP_FALLOC_KEEP:
	case OP_PUNCH:
	case OP_ZERO:
	case OP_ZERO_KEEP:
		pick_range(msize, &off, &len);
		r->off = off;
		r->len = len;
		mode = op == OP_FALLOC ? 0 :
		       op == OP_FALLOC_KEEP ? FALLOC_FL_KEEP_SIZE :
		       op == OP_PUNCH ?
				FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE :
		       op == OP_ZERO ? FALLOC_FL_ZERO_RANGE :
				FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
		if (fallocate(fd, mode, (off_t)off, (off_t)len))
			fail("fallocate(%s): %s", op_names[op],
			     strerror(errno));
		if (op == OP_PUNCH || op == OP_ZERO || op == OP_ZERO_KEEP) {
			uint64_t end = off + len;

			if (op != OP_ZERO && end > fsize)
				end = fsize;
			if (end > off)
				memset(model + off, 0, end - off);
		}
		if (op == OP_FALLOC || op == OP_ZERO)
			extend(off + len);
		return 0;
	case OP_COPY:
		/* two ranges of the file that do not overlap */
		if (fsize < 2)
			return 0;
		pick_range(fsize, &src, &len);
		if (len > fsize / 2)
			len = fsize / 2 ? fsize / 2 : 1;
		if (src + len > fsize)
			src = fsize - len;
		for (int tries = 0;; tries++) {
			off = rnd_below(msize - len + 1);
			if (tries < 3 && rnd_below(2))
				off &= ~(uint64_t)(pagesz - 1);
			if (off + len <= src || off >= src + len)
				break;
			if (tries > 20)
				return 0;
		}
		goto copy;
	case OP_COPY_SRC:
		pick_range(ssize, &src, &len);
		off = rnd_below(msize - len + 1);
		if (rnd_below(2))
			off &= ~(uint64_t)(pagesz - 1);
copy: {
		loff_t in = (loff_t)src, out = (loff_t)off;
		int from = op == OP_COPY ? fd : sfd;
		const unsigned char *sm = op == OP_COPY ? model : smodel;
		uint64_t done = 0;

		r->off = off;
		r->len = len;
		r->off2 = src;
		memcpy(cbuf, sm + src, len);
		while (done < len) {
			ret = copy_file_range(from, &in, fd, &out, len - done,
					      0);
			if (ret < 0)
				fail("copy_file_range: %s", strerror(errno));
			if (ret == 0)
				fail("copy_file_range copied %" PRIu64
				     " of %" PRIu64, done, len);
			done += (uint64_t)ret;
		}
		memcpy(model + off, cbuf, len);
		extend(off + len);
		return (int64_t)done;
	}
	case OP_MSYNC:
		if (!fsize)
			return 0;
		p = map(0, fsize, PROT_READ | PROT_WRITE, &pg);
		if (msync(p, fsize, MS_SYNC))
			fail("msync: %s", strerror(errno));
		munmap(p, fsize);
		return 0;
	default:
		abort();
	}
}

static int op_by_name(const char *s, size_t n)
{
	for (int i = 0; i < OP_MAX; i++)
		if (strlen(op_names[i]) == n && !strncmp(op_names[i], s, n))
			return i;
	return -1;
}

static unsigned int parse_ops(const char *list)
{
	unsigned int mask = 0;

	while (*list) {
		size_t n = strcspn(list, ",");
		int op = op_by_name(list, n);

		if (op < 0) {
			fprintf(stderr, "unknown op '%.*s'; ops:", (int)n,
				list);
			for (int i = 0; i < OP_MAX; i++)
				fprintf(stderr, " %s", op_names[i]);
			fputc('\n', stderr);
			exit(2);
		}
		mask |= 1U << op;
		list += n;
		if (*list)
			list++;
	}
	return mask;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-s SEED] [-n OPS] [-l FILESIZE] [-L MAXOPLEN] [-o OPS] [-x OPS] [-c EVERY] [-q] FILE [SRCFILE]\n",
		argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long nops = 10000, every = 0;
	unsigned int mask = (1U << OP_MAX) - 1;
	enum op ops[OP_MAX];
	int nr = 0, c;
	char *srcpath = NULL;
	unsigned long counts[OP_MAX] = { 0 };

	seed = (uint64_t)getpid() ^ (uint64_t)time(NULL);
	msize = 256 << 10;
	maxop = 64 << 10;
	while ((c = getopt(argc, argv, "s:n:l:L:o:x:c:q")) != -1) {
		switch (c) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			nops = strtoul(optarg, NULL, 0);
			break;
		case 'l':
			msize = strtoull(optarg, NULL, 0);
			break;
		case 'L':
			maxop = strtoull(optarg, NULL, 0);
			break;
		case 'o':
			mask = parse_ops(optarg);
			break;
		case 'x':
			mask &= ~parse_ops(optarg);
			break;
		case 'c':
			every = strtoul(optarg, NULL, 0);
			break;
		case 'q':
			quiet = true;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind + 1 != argc && optind + 2 != argc)
		usage(argv[0]);
	if (msize < 2 || !maxop || !mask)
		usage(argv[0]);
	pagesz = sysconf(_SC_PAGESIZE);
	rng_state = seed ? seed : 1;
	for (int i = 0; i < OP_MAX; i++)
		if (mask & (1U << i))
			ops[nr++] = (enum op)i;

	model = calloc(1, msize);
	buf = malloc(msize);
	cbuf = malloc(msize);
	ssize = msize;
	smodel = malloc(ssize);
	if (!model || !buf || !cbuf || !smodel) {
		perror("malloc");
		return 1;
	}
	fd = open(argv[optind], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(argv[optind]);
		return 1;
	}
	if (optind + 2 == argc) {
		srcpath = strdup(argv[optind + 1]);
	} else if (asprintf(&srcpath, "%s.src", argv[optind]) < 0) {
		srcpath = NULL;
	}
	if (!srcpath) {
		perror("srcpath");
		return 1;
	}
	sfd = open(srcpath, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (sfd < 0) {
		perror(srcpath);
		return 1;
	}
	fill(smodel, ssize);
	if (pwrite(sfd, smodel, ssize, 0) != (ssize_t)ssize) {
		perror("writing the source file");
		return 1;
	}
	printf("zmfs-randio: seed %" PRIu64 ", %lu ops, file size %" PRIu64
	       ", op length %" PRIu64 ", ops", seed, nops, msize, maxop);
	for (int i = 0; i < nr; i++)
		printf(" %s", op_names[ops[i]]);
	printf("\n");
	fflush(stdout);

	for (opno = 1; opno <= nops; opno++) {
		struct rec *r = &hist[opno % HIST];
		enum op op = ops[rnd_below((uint64_t)nr)];

		memset(r, 0, sizeof(*r));
		r->n = opno;
		r->op = op;
		r->ret = do_op(op, r);
		counts[op]++;
		check_size();
		if (every && opno % every == 0)
			full_check();
		if (!quiet && opno % 10000 == 0) {
			printf("  %lu ops\n", opno);
			fflush(stdout);
		}
	}
	opno--;
	full_check();
	if (close(fd) || close(sfd)) {
		perror("close");
		return 1;
	}
	/* after the last close everything must have reached the file */
	fd = open(argv[optind], O_RDONLY);
	if (fd < 0) {
		perror(argv[optind]);
		return 1;
	}
	full_check();
	close(fd);
	printf("zmfs-randio: seed %" PRIu64 ": %lu ops passed:", seed, opno);
	for (int i = 0; i < OP_MAX; i++)
		if (counts[i])
			printf(" %s %lu", op_names[i], counts[i]);
	printf("\n");
	free(srcpath);
	return 0;
}
