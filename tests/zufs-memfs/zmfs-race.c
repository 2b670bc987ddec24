// SPDX-License-Identifier: BSD-2-Clause
/*
 * zmfs-race: page-cache writeback against size changes, two threads.
 *
 *   zmfs-race trunc ITERATIONS FILE
 *	A mapper thread dirties the first pages of FILE through a shared
 *	mapping and msyncs, in a loop; the main thread truncates the file to
 *	0, stops the mapper (it finishes its msync), and checks that the
 *	size is still 0 and read(2) finds no data: a writeback that was
 *	under way while the server truncated must not bring the file back.
 *	Then it extends the file again and lets the mapper go on.
 *
 *   zmfs-race size ITERATIONS FILE
 *	The mapper thread writes page 0 through a mapping and msyncs, in a
 *	loop, while the main thread extends the file with write(2) and
 *	checks after each write that st_size is at least its end: the reply
 *	of an older page-cache WRITE must not move the size back.
 *
 * Exit 0 when every check passed, 1 at the first failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGES	4
#define MAPLEN	(PAGES * 4096)

static int fd;
static unsigned char *map;
static atomic_int run = 1, paused, pause_req;
static sigjmp_buf jb;
static __thread int in_access;

static void on_sigbus(int sig)
{
	(void)sig;
	if (in_access)
		siglongjmp(jb, 1);
	abort();
}

static void *mapper(void *arg)
{
	volatile unsigned int n = 0;

	(void)arg;
	while (atomic_load(&run)) {
		if (atomic_load(&pause_req)) {
			atomic_store(&paused, 1);
			while (atomic_load(&pause_req) && atomic_load(&run))
				usleep(100);
			atomic_store(&paused, 0);
			continue;
		}
		in_access = 1;
		if (!sigsetjmp(jb, 1)) {
			/* beyond the end of file: SIGBUS, skipped */
			map[(n % PAGES) * 4096 + (n % 4000)] = (unsigned char)(n | 1);
		}
		in_access = 0;
		msync(map, MAPLEN, MS_SYNC);
		n++;
	}
	return NULL;
}

static void pause_mapper(void)
{
	atomic_store(&pause_req, 1);
	while (!atomic_load(&paused))
		usleep(100);
}

static void resume_mapper(void)
{
	atomic_store(&pause_req, 0);
	while (atomic_load(&paused))
		usleep(100);
}

static off_t size_of(void)
{
	struct stat st;

	if (fstat(fd, &st)) {
		perror("fstat");
		exit(1);
	}
	return st.st_size;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	static unsigned char buf[65536];
	pthread_t t;
	long iters, i;
	int trunc;

	if (argc != 4 || (strcmp(argv[1], "trunc") && strcmp(argv[1], "size"))) {
		fprintf(stderr, "usage: %s trunc|size ITERATIONS FILE\n",
			argv[0]);
		return 2;
	}
	trunc = !strcmp(argv[1], "trunc");
	iters = atol(argv[2]);
	sigaction(SIGBUS, &sa, NULL);
	fd = open(argv[3], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, MAPLEN)) {
		perror(argv[3]);
		return 1;
	}
	map = mmap(NULL, MAPLEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(buf, 0x5a, sizeof(buf));
	if (pthread_create(&t, NULL, mapper, NULL)) {
		perror("pthread_create");
		return 1;
	}
	for (i = 0; i < iters; i++) {
		if (trunc) {
			ssize_t r;

			if (ftruncate(fd, 0)) {
				perror("ftruncate");
				return 1;
			}
			pause_mapper();
			r = pread(fd, buf, sizeof(buf), 0);
			if (size_of() != 0 || r != 0) {
				fprintf(stderr,
					"FAIL: iteration %ld: after truncate to 0 the size is %lld, read returned %zd\n",
					i, (long long)size_of(), r);
				return 1;
			}
			if (ftruncate(fd, MAPLEN)) {
				perror("ftruncate");
				return 1;
			}
			resume_mapper();
		} else {
			off_t end = MAPLEN + (i % 64 + 1) * 4096;

			if (pwrite(fd, buf, 4096, end - 4096) != 4096) {
				perror("pwrite");
				return 1;
			}
			if (size_of() < end) {
				fprintf(stderr,
					"FAIL: iteration %ld: wrote up to %lld, st_size %lld\n",
					i, (long long)end, (long long)size_of());
				return 1;
			}
			if (i % 64 == 63 && ftruncate(fd, MAPLEN)) {
				perror("ftruncate");
				return 1;
			}
		}
	}
	atomic_store(&run, 0);
	pthread_join(t, NULL);
	printf("zmfs-race %s: %ld iterations passed\n", argv[1], iters);
	return 0;
}
