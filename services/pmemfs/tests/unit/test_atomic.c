// SPDX-License-Identifier: BSD-2-Clause
/* test_atomic.c - operations pmemfs.h calls atomic commit their metadata
 * in one journal transaction (counted with pmfs_statfs), even when free
 * space is fragmented into single blocks. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_fragmented),
		cmocka_unit_test(test_write_chunks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
