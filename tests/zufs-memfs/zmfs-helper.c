// SPDX-License-Identifier: BSD-2-Clause
/*
 * zmfs-helper - the system calls the zufs-memfs tests need and that the
 * shell and python3 do not offer.
 *
 *   zmfs-helper rename2 OLD NEW none|noreplace|exchange
 *	renameat2(2) with flags.
 *   zmfs-helper readdir-churn DIR NKEEP
 *	Creates NKEEP files keep-N in DIR, then reads DIR with getdents64(2)
 *	through a small buffer (many calls, so the server's cookies are
 *	used), and between the first NKEEP/40 + 2 calls creates new entries
 *	and removes entries created earlier (names never reused). Checks that "." and ".." and
 *	every keep-N appear exactly once and that no name appears twice.
 *
 *   zmfs-helper mmap-pread FILE PAGES ROUNDS
 *	Maps FILE (PAGES pages, shared, not yet faulted) and pread()s FILE's
 *	other half into the mapping, ROUNDS times (new mapping each round):
 *	the read's buffer faults pages of the same zufs file in, a nested
 *	request on the same CPU. Checks the bytes (page i holds byte i+1,
 *	so a page read into page j must hold byte (PAGES/2+j)+1).
 *
 * Exit 0 on success; on a failing system call, prints
 * "ERR <ERRNO-NAME> <message>" on stdout and exits 1 (the tests compare
 * the errno name); usage or a failed check: a message on stderr, exit 2.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	(1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE		(1 << 1)
#endif

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int syserr(const char *what)
{
	int e = errno;
	const char *name = strerrorname_np(e);

	printf("ERR %s %s: %s\n", name ? name : "?", what, strerror(e));
	return 1;
}

static int do_rename2(char **argv)
{
	unsigned int flags;

	if (!strcmp(argv[2], "none"))
		flags = 0;
	else if (!strcmp(argv[2], "noreplace"))
		flags = RENAME_NOREPLACE;
	else if (!strcmp(argv[2], "exchange"))
		flags = RENAME_EXCHANGE;
	else {
		fprintf(stderr, "rename2: bad flags '%s'\n", argv[2]);
		return 2;
	}
	if (syscall(SYS_renameat2, AT_FDCWD, argv[0], AT_FDCWD, argv[1],
		    flags) < 0)
		return syserr("renameat2");
	return 0;
}

/* Names seen so far, a simple open-addressing set. */
struct nameset {
	char **slot;
	unsigned int *count;
	size_t size;
};

static unsigned int nameset_add(struct nameset *s, const char *name)
{
	size_t h = 5381;

	for (const char *p = name; *p; p++)
		h = h * 33 + (unsigned char)*p;
	for (size_t i = h % s->size;; i = (i + 1) % s->size) {
		if (!s->slot[i]) {
			s->slot[i] = strdup(name);
			if (!s->slot[i]) {
				perror("strdup");
				exit(2);
			}
			return ++s->count[i];
		}
		if (!strcmp(s->slot[i], name))
			return ++s->count[i];
	}
}

static unsigned int nameset_get(const struct nameset *s, const char *name)
{
	for (size_t i = 0; i < s->size; i++)
		if (s->slot[i] && !strcmp(s->slot[i], name))
			return s->count[i];
	return 0;
}

static int touch_at(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY, 0644);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int do_readdir_churn(char **argv)
{
	const char *dir = argv[0];
	long nkeep = strtol(argv[1], NULL, 0);
	struct nameset seen;
	char buf[512], name[64];
	long created = 0, removed = 0, calls = 0, dups = 0, missing = 0;
	long returned = 0, churn_calls = nkeep / 40 + 2;
	int dfd, bad = 0;

	if (nkeep <= 0 || nkeep > 100000) {
		fprintf(stderr, "readdir-churn: bad NKEEP\n");
		return 2;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return syserr("open dir");
	for (long i = 0; i < nkeep; i++) {
		snprintf(name, sizeof(name), "keep-%ld", i);
		errno = -touch_at(dfd, name);
		if (errno)
			return syserr("create keep");
	}
	/* every keep name and every churn name the call limit allows */
	seen.size = 2 * ((size_t)nkeep + 3 * (size_t)churn_calls) + 64;
	seen.slot = calloc(seen.size, sizeof(*seen.slot));
	seen.count = calloc(seen.size, sizeof(*seen.count));
	if (!seen.slot || !seen.count) {
		perror("calloc");
		return 2;
	}

	for (;;) {
		long n = syscall(SYS_getdents64, dfd, buf, sizeof(buf));

		if (n < 0)
			return syserr("getdents64");
		if (n == 0)
			break;
		calls++;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(buf + off);

			returned++;
			if (nameset_add(&seen, d->d_name) > 1 &&
			    dups++ < 10)
				fprintf(stderr, "readdir-churn: '%s' seen again (call %ld, d_off %lld)\n",
					d->d_name, calls, (long long)d->d_off);
			off += d->d_reclen;
		}
		/* Change the directory between two calls, during the
		 * first half of the scan: three new entries, and the
		 * oldest churn entry still present goes (names are never
		 * reused, so none may show up twice). Not for ever: a
		 * file system may return entries created after opendir
		 * (memfs appends them), so a scan that keeps creating
		 * would legitimately never end. */
		if (calls > churn_calls)
			continue;
		for (int k = 0; k < 3; k++) {
			snprintf(name, sizeof(name), "churn-%ld", created++);
			errno = -touch_at(dfd, name);
			if (errno)
				return syserr("create churn");
		}
		snprintf(name, sizeof(name), "churn-%ld", removed++);
		if (unlinkat(dfd, name, 0) < 0)
			return syserr("unlink churn");
		if (dups > 100 || calls > 4 * nkeep + 100) {
			fprintf(stderr, "readdir-churn: no end after %ld calls, %ld duplicates\n",
				calls, dups);
			bad = 1;
			break;
		}
	}
	if (nameset_get(&seen, ".") != 1 || nameset_get(&seen, "..") != 1) {
		fprintf(stderr, "readdir-churn: '.' or '..' not seen once\n");
		bad = 1;
	}
	for (long i = 0; i < nkeep; i++) {
		snprintf(name, sizeof(name), "keep-%ld", i);
		if (nameset_get(&seen, name) != 1) {
			if (missing++ < 10)
				fprintf(stderr, "readdir-churn: '%s' seen %u times\n",
					name, nameset_get(&seen, name));
		}
	}
	printf("readdir-churn: %ld getdents64 calls, %ld entries returned, %ld created, %ld removed during the scan; %ld keep entries missing, %ld duplicates\n",
	       calls, returned, created, removed, missing, dups);
	close(dfd);
	return (bad || missing || dups) ? 2 : 0;
}

static int do_mmap_pread(char **argv)
{
	long pages = atol(argv[1]), rounds = atol(argv[2]), r, j;
	long pg = sysconf(_SC_PAGESIZE), half = pages / 2;
	unsigned char *map;
	int fd;

	if (pages < 2 || rounds < 1)
		return 2;
	fd = open(argv[0], O_RDWR);
	if (fd < 0)
		return syserr("open");
	for (r = 0; r < rounds; r++) {
		ssize_t got;

		map = mmap(NULL, pages * pg, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, 0);
		if (map == MAP_FAILED)
			return syserr("mmap");
		/* into the first half, from the second half */
		got = pread(fd, map, half * pg, half * pg);
		if (got != half * pg) {
			if (got < 0)
				return syserr("pread");
			fprintf(stderr, "short pread: %zd\n", got);
			return 2;
		}
		for (j = 0; j < half; j++)
			if (map[j * pg] != (unsigned char)(half + j + 1) ||
			    map[j * pg + pg - 1] != (unsigned char)(half + j + 1)) {
				fprintf(stderr, "page %ld holds %u, want %u\n",
					j, map[j * pg],
					(unsigned int)(unsigned char)(half + j + 1));
				return 2;
			}
		/* put the first half back for the next round */
		for (j = 0; j < half; j++)
			memset(map + j * pg, (int)(j + 1), pg);
		if (msync(map, pages * pg, MS_SYNC))
			return syserr("msync");
		munmap(map, pages * pg);
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "rename2"))
		return do_rename2(argv + 2);
	if (argc == 4 && !strcmp(argv[1], "readdir-churn"))
		return do_readdir_churn(argv + 2);
	if (argc == 5 && !strcmp(argv[1], "mmap-pread"))
		return do_mmap_pread(argv + 2);
	fprintf(stderr,
		"usage: zmfs-helper rename2 OLD NEW none|noreplace|exchange\n"
		"       zmfs-helper readdir-churn DIR NKEEP\n"
		"       zmfs-helper mmap-pread FILE PAGES ROUNDS\n");
	return 2;
}
