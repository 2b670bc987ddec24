// SPDX-License-Identifier: BSD-2-Clause
/* test_atomic.c - operations pmemfs.h calls atomic (write, fallocate,
 * copy_range) commit their metadata in one journal transaction (counted
 * with pmfs_statfs), even when free space is fragmented. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "util.h"
#include "core_i.h"

#define MiB (1024ULL * 1024)
#define R PMFS_ROOT_INO
#define S(x) x, strlen(x)

static uint64_t commits(struct pmfs *fs)
{
	struct pmfs_stat st;

	assert_int_equal(pmfs_statfs(fs, &st), 0);
	return st.journal_commits;
}

/* fill the file system with two interleaved files, remove one: every
 * free extent is one block long; returns the number freed */
static uint64_t fragment(struct pmfs *fs)
{
	uint64_t a = mkfile(fs, R, "keep", 0644), b = mkfile(fs, R, "gone", 0644);
	uint8_t blk[4096];
	struct pmfs_stat st;

	memset(blk, 0x5a, sizeof(blk));
	for (uint64_t i = 0;; i++) {
		if (pmfs_write(fs, a, blk, BS, i * BS, 0) != BS)
			break;
		if (pmfs_write(fs, b, blk, BS, i * BS, 0) != BS)
			break;
	}
	assert_int_equal(pmfs_unlink(fs, R, S("gone")), 0);
	assert_int_equal(pmfs_statfs(fs, &st), 0);
	return st.bfree;
}

static void test_write_fragmented(void **state)
{
	struct tfs t;
	struct pmfs *fs;
	uint8_t buf[5 * 4096 + 300], rd[sizeof(buf)];
	struct pmfs_attr a;
	uint64_t f, c;

	tfs_make(&t, 8 * MiB, 0);
	fs = t.fs;
	assert_true(fragment(fs) >= 16);
	f = mkfile(fs, R, "f", 0644);
	fill(buf, sizeof(buf), 7);
	c = commits(fs);
	assert_int_equal(pmfs_write(fs, f, buf, sizeof(buf), 0, 0), sizeof(buf));
	assert_int_equal(commits(fs) - c, 1);
	/* an append of a partial block and more over fragmented space */
	c = commits(fs);
	assert_int_equal(pmfs_write(fs, f, buf, 3 * 4096, sizeof(buf), 0),
			 3 * 4096);
	assert_int_equal(commits(fs) - c, 1);
	assert_int_equal(pmfs_getattr(fs, f, &a), 0);
	assert_int_equal(a.size, sizeof(buf) + 3 * 4096);
	tfs_remount(&t);
	fs = t.fs;
	assert_int_equal(pmfs_read(fs, f, rd, sizeof(rd), 0), sizeof(rd));
	assert_memory_equal(rd, buf, sizeof(buf));
	tfs_umount(&t);
	assert_int_equal(tfs_fsck(&t, 0), 0);
	tfs_destroy(&t);
}

/* a write larger than 2 MiB commits once per 2 MiB of its range */
static void test_write_chunks(void **state)
{
	struct tfs t;
	size_t len = 5 * MiB + 100;
	uint8_t *buf = malloc(len), *rd = malloc(len);
	uint64_t f, c;

	assert_non_null(buf);
	assert_non_null(rd);
	tfs_make(&t, 32 * MiB, 0);
	f = mkfile(t.fs, R, "big", 0644);
	fill(buf, len, 3);
	c = commits(t.fs);
	assert_int_equal(pmfs_write(t.fs, f, buf, len, 10, 0), len);
	assert_int_equal(commits(t.fs) - c, 3);
	tfs_remount(&t);
	assert_int_equal(pmfs_read(t.fs, f, rd, len, 10), len);
	assert_memory_equal(rd, buf, len);
	tfs_umount(&t);
	assert_int_equal(tfs_fsck(&t, 0), 0);
	tfs_destroy(&t);
	free(buf);
	free(rd);
}

/* a file of @n blocks of pattern @seed, also in @ref */
static uint64_t pattern_file(struct pmfs *fs, const char *name, size_t n,
			     uint64_t seed, uint8_t *ref)
{
	uint64_t f = mkfile(fs, R, name, 0644);

	fill(ref, n * BS, seed);
	assert_int_equal(pmfs_write(fs, f, ref, n * BS, 0, 0), n * BS);
	return f;
}

static void check_file(struct pmfs *fs, uint64_t f, const uint8_t *ref,
		       size_t len)
{
	uint8_t *rd = malloc(len + 1);
	struct pmfs_attr a;

	assert_non_null(rd);
	assert_int_equal(pmfs_getattr(fs, f, &a), 0);
	assert_int_equal(a.size, len);
	assert_int_equal(pmfs_read(fs, f, rd, len + 1, 0), len);
	assert_memory_equal(rd, ref, len);
	free(rd);
}

/* PUNCH_HOLE, ZERO_RANGE (partial head and tail blocks), mode 0 past EOF:
 * one transaction each */
static void test_fallocate(void **state)
{
	static uint8_t ref[16 * 4096 + 5000];
	struct tfs t;
	uint64_t f, c;

	tfs_make(&t, 16 * MiB, 0);
	f = pattern_file(t.fs, "f", 16, 1, ref);
	c = commits(t.fs);
	assert_int_equal(pmfs_fallocate(t.fs, f, PMFS_FALLOC_PUNCH_HOLE |
					PMFS_FALLOC_KEEP_SIZE, 1000, 5 * BS), 0);
	assert_int_equal(commits(t.fs) - c, 1);
	memset(ref + 1000, 0, 5 * BS);
	check_file(t.fs, f, ref, 16 * BS);
	c = commits(t.fs);
	assert_int_equal(pmfs_fallocate(t.fs, f, PMFS_FALLOC_PUNCH_HOLE |
					PMFS_FALLOC_KEEP_SIZE, 9 * BS + 10, 100), 0);
	assert_int_equal(commits(t.fs) - c, 1);
	memset(ref + 9 * BS + 10, 0, 100);
	c = commits(t.fs);
	assert_int_equal(pmfs_fallocate(t.fs, f, PMFS_FALLOC_ZERO_RANGE,
					11 * BS + 7, 6 * BS), 0);
	assert_int_equal(commits(t.fs) - c, 1);
	memset(ref + 11 * BS + 7, 0, 16 * BS - (11 * BS + 7));
	check_file(t.fs, f, ref, 17 * BS + 7);
	c = commits(t.fs);
	assert_int_equal(pmfs_fallocate(t.fs, f, 0, 17 * BS + 100, 3 * BS), 0);
	assert_int_equal(commits(t.fs) - c, 1);
	check_file(t.fs, f, ref, 20 * BS + 100);
	tfs_remount(&t);
	check_file(t.fs, f, ref, 20 * BS + 100);
	tfs_umount(&t);
	assert_int_equal(tfs_fsck(&t, 0), 0);
	tfs_destroy(&t);
}

/* copy_range with an unaligned head, shared blocks and a tail: one
 * transaction */
static void test_copy_range(void **state)
{
	static uint8_t src[12 * 4096], ref[16 * 4096];
	struct tfs t;
	uint64_t a, b, c;

	tfs_make(&t, 16 * MiB, 0);
	a = pattern_file(t.fs, "a", 12, 2, src);
	b = pattern_file(t.fs, "b", 2, 3, ref);
	c = commits(t.fs);
	assert_int_equal(pmfs_copy_range(t.fs, a, 100, b, BS + 100,
					 9 * BS + 50), 9 * BS + 50);
	assert_int_equal(commits(t.fs) - c, 1);
	memcpy(ref + BS + 100, src + 100, 9 * BS + 50);
	check_file(t.fs, b, ref, 10 * BS + 150);
	/* by bytes (different alignment): one too */
	c = commits(t.fs);
	assert_int_equal(pmfs_copy_range(t.fs, a, 3, b, 11 * BS, 3 * BS),
			 3 * BS);
	assert_int_equal(commits(t.fs) - c, 1);
	memset(ref + 10 * BS + 150, 0, BS - 150);
	memcpy(ref + 11 * BS, src + 3, 3 * BS);
	check_file(t.fs, b, ref, 14 * BS);
	tfs_remount(&t);
	check_file(t.fs, b, ref, 14 * BS);
	check_file(t.fs, a, src, 12 * BS);
	tfs_umount(&t);
	assert_int_equal(tfs_fsck(&t, 0), 0);
	tfs_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_fragmented),
		cmocka_unit_test(test_write_chunks),
		cmocka_unit_test(test_fallocate),
		cmocka_unit_test(test_copy_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
