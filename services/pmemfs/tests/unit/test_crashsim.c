// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_crashsim.c - a small crash simulation (the full crash-state tests
 * live in tests/crash): a DRAM media whose stores stop reaching the image
 * after fence N. For every N of a workload: recover, fsck must be clean,
 * and every operation that completed before the cut is there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "util.h"

#define IMG (8u << 20)
#define R PMFS_ROOT_INO
#define S(x) x, strlen(x)

static uint64_t fences, cut, epoch_stores;
static int crashed, subset;

/* the last epoch before the cut keeps only every other store (a crash
 * with part of the unfenced stores written back) */
static int keep(void)
{
	if (crashed)
		return 0;
	if (subset && cut && fences + 1 == cut)
		return (int)(epoch_stores++ & 1);
	return 1;
}

static void m_store(struct pm_media *m, void *dst, const void *src, size_t len)
{
	if (keep())
		memcpy(dst, src, len);
}

static void m_set(struct pm_media *m, void *dst, int c, size_t len)
{
	if (keep())
		memset(dst, c, len);
}

static void m_store8(struct pm_media *m, uint64_t *dst, uint64_t v)
{
	if (keep())
		*dst = v;
}

static void m_flush(struct pm_media *m, const void *a, size_t len)
{
}

static void m_fence(struct pm_media *m)
{
	if (++fences == cut)
		crashed = 1;
}

static void m_close(struct pm_media *m)
{
}

static const struct pm_ops mops = {
	.store = m_store, .store_flush = m_store, .set_flush = m_set,
	.store8 = m_store8, .flush = m_flush, .fence = m_fence,
	.close = m_close,
};

static char buf[20000];

/* the workload; returns the number of operations completed before the
 * crash (an operation is complete if the cut came after it returned) */
static int workload(struct pmfs *fs)
{
	struct pmfs_new nf = { .mode = S_IFREG | 0644 }, nd = { .mode = S_IFDIR | 0755 };
	struct pmfs_attr a, d;
	uint64_t f[6];
	int done = 0;
	char name[8];

#define STEP(x) do { (void)(x); if (crashed) return done; done++; } while (0)
	STEP(pmfs_mknod(fs, R, S("d"), &nd, &d));
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		STEP(pmfs_mknod(fs, d.ino, name, 2, &nf, &a));
		f[i] = a.ino;
		STEP(pmfs_write(fs, f[i], buf, sizeof(buf), 0, 0));
	}
	STEP(pmfs_rename(fs, d.ino, S("f1"), R, S("g1"), 0));
	STEP(pmfs_link(fs, f[2], R, S("h2"), &a));
	STEP(pmfs_unlink(fs, d.ino, S("f3")));
	{
		struct pmfs_setattr sa = { .valid = PMFS_SET_SIZE, .size = 100 };

		STEP(pmfs_setattr(fs, f[4], &sa, &a));
	}
	STEP(pmfs_setxattr(fs, f[5], "user.k", "value", 5, 0));
	STEP(pmfs_fallocate(fs, f[5], 0, 0, 100000));
	STEP(pmfs_rename(fs, R, S("g1"), R, S("h2"), PMFS_RENAME_EXCHANGE));
	STEP(pmfs_rename(fs, R, S("h2"), d.ino, S("f0"), 0));
	STEP(pmfs_symlink(fs, R, S("s"), S("d/f0"), &nf, &a));
	STEP(pmfs_copy_range(fs, f[5], 0, f[4], 0, 20000));
	STEP(pmfs_rmdir(fs, R, S("d")));	/* -ENOTEMPTY */
	return done;
#undef STEP
}

static int present(struct pmfs *fs, uint64_t dir, const char *name,
		   uint64_t *ino)
{
	struct pmfs_attr a;

	if (pmfs_lookup(fs, dir, name, strlen(name), &a))
		return 0;
	pmfs_iput(fs, a.ino, 1);
	if (ino)
		*ino = a.ino;
	return 1;
}

/* ops: 1 mkdir d; 2+2i create d/fi; 3+2i write fi; 14 rename d/f1 g1;
 * 15 link f2 h2; 16 unlink d/f3; 17 truncate f4; 18 setxattr f5;
 * 19 fallocate f5; 20 exchange g1 h2; 21 rename h2 d/f0; 22 symlink s;
 * 23 copy_range f5 -> f4; 24 rmdir d (fails). @done: ops completed. */
static void verify(struct pmfs *fs, int done)
{
	static char rb[20000];
	uint64_t d = 0, ino = 0;
	struct pmfs_attr a;

	if (done < 1)
		return;		/* mkdir in progress: either way */
	assert_true(present(fs, R, "d", &d));
	for (int i = 0; i < 6; i++) {
		char name[4] = { 'f', (char)('0' + i), 0 };
		int made = done >= 2 + 2 * i, written = done >= 3 + 2 * i;

		if ((i == 1 && done >= 13) || (i == 3 && done >= 15))
			continue;	/* being renamed / removed */
		if (!made) {
			if (done < 1 + 2 * i)
				assert_false(present(fs, d, name, NULL));
			continue;
		}
		assert_true(present(fs, d, name, &ino));
		assert_int_equal(pmfs_getattr(fs, ino, &a), 0);
		if (!written) {
			/* one chunk: all or nothing */
			assert_true(a.size == 0 || a.size == sizeof(buf));
			continue;
		}
		if (i == 4 && done >= 16)
			continue;	/* truncated, then copied over */
		assert_true(a.size >= sizeof(buf));
		assert_int_equal(pmfs_read(fs, ino, rb, sizeof(rb), 0), sizeof(rb));
		assert_memory_equal(rb, buf, sizeof(buf));
	}
	if (done >= 4 && done < 20)	/* rename is atomic */
		assert_int_equal(present(fs, d, "f1", NULL) +
				 present(fs, R, "g1", NULL), 1);
	if (done >= 14)
		assert_true(present(fs, R, "g1", NULL));
	if (done >= 15 && done < 20)
		assert_true(present(fs, R, "h2", NULL));
	if (done >= 16)
		assert_false(present(fs, d, "f3", NULL));
	if (done >= 21)
		assert_false(present(fs, R, "h2", NULL));
	if (done >= 18) {
		char v[8];

		assert_true(present(fs, d, "f5", &ino));
		assert_int_equal(pmfs_getxattr(fs, ino, "user.k", v, sizeof(v)), 5);
	}
	if (done >= 19) {
		assert_int_equal(pmfs_getattr(fs, ino, &a), 0);
		assert_int_equal(a.size, 100000);
	}
	if (done >= 22)
		assert_true(present(fs, R, "s", NULL));
}

static void report(void *arg, const char *msg, int fixed);

/* the second workload: directory growth, multi-chunk writes, extent
 * trees, truncate, punch, tmpfile, rename over a file; checked by fsck
 * and by a few invariants */
static int workload2(struct pmfs *fs)
{
	static char big[3 << 20];
	struct pmfs_new nf = { .mode = S_IFREG | 0644 };
	struct pmfs_attr a;
	uint64_t frag = 0;
	int done = 0;
	char name[16];

#define STEP(x) do { (void)(x); if (crashed) return done; done++; } while (0)
	for (int i = 0; i < 70; i++) {	/* > 64 slots: a second dir block */
		snprintf(name, sizeof(name), "file%02d", i);
		STEP(pmfs_mknod(fs, R, name, strlen(name), &nf, &a));
		pmfs_iput(fs, a.ino, 1);
	}
	STEP(pmfs_mknod(fs, R, S("frag"), &nf, &a));
	frag = a.ino;
	pmfs_iput(fs, a.ino, 1);
	for (int b = 0; b < 40; b += 2)	/* 20 extents: a tree */
		STEP(pmfs_write(fs, frag, buf, 4096, (uint64_t)b * 4096, 0));
	STEP(pmfs_write(fs, frag, big, sizeof(big), 1 << 20, 0));
	{
		struct pmfs_setattr sa = { .valid = PMFS_SET_SIZE, .size = 5000 };

		STEP(pmfs_setattr(fs, frag, &sa, &a));
	}
	STEP(pmfs_fallocate(fs, frag, PMFS_FALLOC_PUNCH_HOLE | PMFS_FALLOC_KEEP_SIZE, 0, 4096));
	STEP(pmfs_tmpfile(fs, R, &nf, &a));
	STEP(pmfs_write(fs, a.ino, buf, 100, 0, 0));
	STEP(pmfs_link(fs, a.ino, R, S("wastmp"), &a));
	STEP(pmfs_rename(fs, R, S("wastmp"), R, S("file05"), 0));
	for (int i = 0; i < 70; i += 3) {
		snprintf(name, sizeof(name), "file%02d", i);
		STEP(pmfs_unlink(fs, R, name, strlen(name)));
	}
	return done;
#undef STEP
}

static void verify2(struct pmfs *fs, int done)
{
	struct pmfs_attr a;

	/* creates are in order: file00..file(done-1) exist (or were removed
	 * by the last loop) */
	for (int i = 0; i < 70 && i < done; i++) {
		char name[16];
		int r;

		snprintf(name, sizeof(name), "file%02d", i);
		r = pmfs_lookup(fs, R, name, strlen(name), &a);
		if (!r)
			pmfs_iput(fs, a.ino, 1);
		if (done < 70 + 1 + 20 + 1 + 1 + 1 + 4)
			assert_int_equal(r, 0);
	}
	if (done >= 71 + 20 + 2) {	/* truncated to 5000 */
		assert_int_equal(pmfs_lookup(fs, R, S("frag"), &a), 0);
		pmfs_iput(fs, a.ino, 1);
		assert_int_equal(a.size, 5000);
	}
}

static void run_points(int (*wl)(struct pmfs *), void (*vf)(struct pmfs *, int),
		       bool subsets, int *images)
{
	uint8_t *img = malloc(IMG), *clean = malloc(IMG);
	struct pm_media m = { .base = img, .size = IMG, .kind = PM_KIND_RECORD, .ops = &mops };
	struct pmfs_mkfs_opts o = { .lanes = 4, .inodes = 256 };
	uint64_t total;
	struct pmfs *fs;
	char err[256];

	memset(img, 0, IMG);
	crashed = 0;
	cut = 0;
	assert_int_equal(pmfs_mkfs(&m, &o), 0);
	memcpy(clean, img, IMG);
	fences = 0;
	assert_int_equal(pmfs_mount(&m, 0, &fs, err, sizeof(err)), 0);
	wl(fs);
	pmfs_umount(fs);
	total = fences;
	printf("# crash points: %llu fences\n", (unsigned long long)total);
	for (uint64_t k = 2; k <= 2 * (total + 1) + 1; k++) {
		uint64_t c = k / 2;
		int done, r;

		subset = subsets && (k & 1);
		if (!subsets && (k & 1))
			continue;
		epoch_stores = 0;
		memcpy(img, clean, IMG);
		crashed = 0;
		fences = 0;
		cut = c;
		assert_int_equal(pmfs_mount(&m, 0, &fs, err, sizeof(err)), 0);
		done = wl(fs);
		pmfs_umount(fs);
		crashed = 0;
		cut = 0;
		subset = 0;
		r = pmfs_mount(&m, 0, &fs, err, sizeof(err));
		if (r)
			printf("# cut %llu: mount after crash: %d %s\n",
			       (unsigned long long)c, r, err);
		assert_int_equal(r, 0);
		vf(fs, done);
		pmfs_umount(fs);
		cut = c;
		assert_int_equal(pmfs_fsck(&m, 0, report, NULL), 0);
		cut = 0;
		(*images)++;
	}
	free(img);
	free(clean);
}

static void test_crash_points2(void **state)
{
	int images = 0;

	fill(buf, sizeof(buf), 43);
	run_points(workload2, verify2, true, &images);
	printf("# %d crash images recovered, verified, fsck clean\n", images);
}

static void report(void *arg, const char *msg, int fixed)
{
	printf("# cut %llu: fsck: %s\n", (unsigned long long)cut, msg);
}

static void test_crash_points(void **state)
{
	uint8_t *img = malloc(IMG), *clean = malloc(IMG);
	struct pm_media m = { .base = img, .size = IMG, .kind = PM_KIND_RECORD, .ops = &mops };
	struct pmfs_mkfs_opts o = { .lanes = 4, .inodes = 256 };
	uint64_t total;
	struct pmfs *fs;
	char err[256];
	int images = 0;

	fill(buf, sizeof(buf), 42);
	memset(img, 0, IMG);
	crashed = 0;
	cut = 0;
	assert_int_equal(pmfs_mkfs(&m, &o), 0);
	memcpy(clean, img, IMG);
	/* count the fences of the whole workload */
	fences = 0;
	assert_int_equal(pmfs_mount(&m, 0, &fs, err, sizeof(err)), 0);
	workload(fs);
	pmfs_umount(fs);
	total = fences;
	printf("# crash points: %llu fences\n", (unsigned long long)total);
	for (uint64_t k = 2; k <= 2 * (total + 1) + 1; k++) {
		uint64_t c = k / 2;
		int done, r;

		subset = k & 1;
		epoch_stores = 0;
		memcpy(img, clean, IMG);
		crashed = 0;
		fences = 0;
		cut = c;
		assert_int_equal(pmfs_mount(&m, 0, &fs, err, sizeof(err)), 0);
		done = workload(fs);
		pmfs_umount(fs);	/* DRAM only: the image is what a crash left */
		crashed = 0;
		cut = 0;
		subset = 0;
		r = pmfs_mount(&m, 0, &fs, err, sizeof(err));
		if (r)
			printf("# cut %llu: mount after crash: %d %s\n",
			       (unsigned long long)c, r, err);
		assert_int_equal(r, 0);
		verify(fs, done);
		pmfs_umount(fs);
		cut = c;
		assert_int_equal(pmfs_fsck(&m, 0, report, NULL), 0);
		cut = 0;
		images++;
	}
	printf("# %d crash images recovered, verified, fsck clean\n", images);
	free(img);
	free(clean);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_points),
		cmocka_unit_test(test_crash_points2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
