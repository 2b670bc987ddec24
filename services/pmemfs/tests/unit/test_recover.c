// SPDX-License-Identifier: BSD-2-Clause
/* test_recover.c - mount's recovery: committed journal lanes (replayed
 * when intact, refused when corrupt), orphans. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "util.h"
#include "core_i.h"

#define MiB (1024ULL * 1024)

/* Leave lane 0 committed (commit == seq) with one record: the root inode
 * with uid @uid; @flip: bit of the records to flip after sealing (-1:
 * none). Like a crash between the commit point and the clear. */
static void commit_lane(struct tfs *t, uint32_t uid, int flip)
{
	struct pm_media *m = t->m;
	const struct pmfs_dsb *sb = pm_ptr(m, 0);
	struct pmfs_jhdr *lh = pm_ptr(m, sb->journal_blk * BS);
	uint8_t *recs = (uint8_t *)(lh + 1);
	uint64_t ioff = sb->itable_blk * BS + PMFS_ROOT_INO * 512;
	struct pmfs_dinode d;
	struct pmfs_jrec r = { .off = ioff, .len = sizeof(d) };
	struct pmfs_jhdr h = { .seq = 1000, .nrec = 1 };

	memcpy(&d, pm_ptr(m, ioff), sizeof(d));
	d.uid = uid;
	pmfs_obj_seal(&d, sizeof(d));
	memcpy(recs, &r, sizeof(r));
	memcpy(recs + sizeof(r), &d, sizeof(d));
	h.len = sizeof(r) + sizeof(d);
	h.crc = pmfs_crc32c(0, &h.seq, sizeof(h.seq));
	h.crc = pmfs_crc32c(h.crc, &h.nrec, sizeof(h.nrec));
	h.crc = pmfs_crc32c(h.crc, &h.len, sizeof(h.len));
	h.crc = pmfs_crc32c(h.crc, recs, h.len);
	h.commit = h.seq;
	memcpy(lh, &h, sizeof(h));
	if (flip >= 0)
		recs[flip / 8] ^= (uint8_t)(1U << (flip % 8));
	pm_flush(m, lh, sizeof(h) + h.len);
	pm_fence(m);
}

static void test_committed_replayed(void **state)
{
	struct tfs t;
	struct pmfs_attr a;

	tfs_make(&t, 16 * MiB, 0);
	tfs_umount(&t);
	commit_lane(&t, 42, -1);
	tfs_mount(&t);
	assert_int_equal(pmfs_getattr(t.fs, PMFS_ROOT_INO, &a), 0);
	assert_int_equal(a.uid, 42);
	tfs_umount(&t);
	assert_int_equal(tfs_fsck(&t, 0), 0);
	tfs_destroy(&t);
}

static void test_committed_corrupt(void **state)
{
	static const int flips[] = { 3, 8 * 16 + 5, 8 * 200 + 1 };

	for (unsigned int i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		struct tfs t;
		struct pmfs *fs = NULL;
		struct pmfs_attr a;
		char err[256] = "";

		tfs_make(&t, 16 * MiB, 0);
		tfs_umount(&t);
		commit_lane(&t, 42, flips[i]);
		/* not discarded silently: mount refuses, says why */
		assert_int_equal(pmfs_mount(t.m, 0, &fs, err, sizeof(err)),
				 -EUCLEAN);
		assert_null(fs);
		assert_string_equal(err, "journal lane 0: committed "
				    "transaction corrupt: run fsck.pmemfs");
		assert_int_equal(pmfs_mount(t.m, PMFS_MOUNT_RDONLY, &fs, err,
					    sizeof(err)), -EUCLEAN);
		/* fsck reports it (twice: checking changes nothing) */
		assert_true(tfs_fsck(&t, 0) > 0);
		assert_true(tfs_fsck(&t, 0) > 0);
		/* repair discards it and checks the rest */
		assert_true(tfs_fsck(&t, PMFS_FSCK_REPAIR) > 0);
		assert_int_equal(tfs_fsck(&t, 0), 0);
		tfs_mount(&t);
		assert_int_equal(pmfs_getattr(t.fs, PMFS_ROOT_INO, &a), 0);
		assert_int_equal(a.uid, 0);
		tfs_destroy(&t);
	}
}

/* a lane whose commit word is not its seq (a flipped bit in either) is
 * corrupt too: commit is only ever 0 or seq */
static void test_commit_word_flip(void **state)
{
	struct tfs t;
	struct pmfs *fs = NULL;
	struct pmfs_jhdr *lh;
	char err[256] = "";

	tfs_make(&t, 16 * MiB, 0);
	tfs_umount(&t);
	commit_lane(&t, 42, -1);
	lh = pm_ptr(t.m, ((const struct pmfs_dsb *)pm_ptr(t.m, 0))->journal_blk
		    * BS);
	lh->seq ^= 4;
	pm_flush(t.m, lh, sizeof(*lh));
	pm_fence(t.m);
	assert_int_equal(pmfs_mount(t.m, 0, &fs, err, sizeof(err)), -EUCLEAN);
	assert_true(tfs_fsck(&t, PMFS_FSCK_REPAIR) > 0);
	assert_int_equal(tfs_fsck(&t, 0), 0);
	tfs_mount(&t);
	tfs_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_committed_replayed),
		cmocka_unit_test(test_committed_corrupt),
		cmocka_unit_test(test_commit_word_flip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
