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

static void mount_flags(struct tfs *t, unsigned int flags)
{
	char err[256];
	int ret = pmfs_mount(t->m, flags, &t->fs, err, sizeof(err));

	if (ret)
		printf("# mount: %d %s\n", ret, err);
	assert_int_equal(ret, 0);
}

static uint64_t orphans(struct pmfs *fs)
{
	struct pmfs_stat st;

	assert_int_equal(pmfs_statfs(fs, &st), 0);
	return st.orphans;
}

/* KEEP_ORPHANS: an orphan (O_TMPFILE, unlinked open file) survives the
 * mount with its data; the next plain mount frees it */
static void test_keep_orphans(void **state)
{
	struct pmfs_new ni = { .mode = S_IFREG | 0600 };
	struct tfs t;
	struct pmfs_attr a, b;
	struct pmfs_stat st0, st;
	char buf[8] = "";
	uint64_t tmp, gone;

	tfs_make(&t, 16 * MiB, 0);
	gone = mkfile(t.fs, PMFS_ROOT_INO, "gone", 0644);
	assert_int_equal(pmfs_statfs(t.fs, &st0), 0);	/* root has a block */
	assert_int_equal(pmfs_tmpfile(t.fs, PMFS_ROOT_INO, &ni, &a), 0);
	tmp = a.ino;
	assert_int_equal(pmfs_write(t.fs, tmp, "orphan", 6, 0, 0), 6);
	assert_int_equal(pmfs_iget(t.fs, gone), 0);
	assert_int_equal(pmfs_write(t.fs, gone, "x", 1, 8192, 0), 1);
	assert_int_equal(pmfs_unlink(t.fs, PMFS_ROOT_INO, "gone", 4), 0);
	assert_int_equal(orphans(t.fs), 2);
	tfs_umount(&t);	/* the "crash": references still held */

	/* unknown flags are refused */
	assert_int_equal(pmfs_mount(t.m, 1U << 7, &t.fs, NULL, 0), -EINVAL);
	t.fs = NULL;
	for (int i = 0; i < 2; i++) {	/* kept however often */
		mount_flags(&t, PMFS_MOUNT_KEEP_ORPHANS);
		assert_int_equal(orphans(t.fs), 2);
		assert_int_equal(pmfs_getattr(t.fs, tmp, &b), 0);
		assert_int_equal(b.nlink, 0);
		assert_int_equal(b.size, 6);
		assert_int_equal(pmfs_read(t.fs, tmp, buf, sizeof(buf), 0), 6);
		assert_memory_equal(buf, "orphan", 6);
		assert_int_equal(pmfs_getattr(t.fs, gone, &b), 0);
		assert_int_equal(b.size, 8193);
		tfs_umount(&t);
	}
	/* the kernel that still holds one lets it go: freed at once */
	mount_flags(&t, PMFS_MOUNT_KEEP_ORPHANS);
	pmfs_iput(t.fs, gone, 1);
	assert_int_not_equal(pmfs_getattr(t.fs, gone, &b), 0);
	assert_int_equal(orphans(t.fs), 1);
	tfs_umount(&t);
	/* the next plain mount frees the rest */
	tfs_mount(&t);
	assert_int_equal(orphans(t.fs), 0);
	assert_int_not_equal(pmfs_getattr(t.fs, tmp, &b), 0);
	assert_int_equal(pmfs_statfs(t.fs, &st), 0);
	assert_int_equal(st.bfree, st0.bfree);
	assert_int_equal(st.ifree, st0.ifree + 1);
	tfs_umount(&t);
	assert_int_equal(tfs_fsck(&t, 0), 0);
	tfs_destroy(&t);
}

/* the corrupt committed transaction had been partly applied: its home
 * location (here a file's inode) is torn; fsck -y discards the lane and
 * repairs what the scan then finds */
static void test_committed_torn(void **state)
{
	struct tfs t;
	struct pmfs *fs = NULL;
	struct pmfs_dinode *d;
	char err[256] = "";
	uint64_t f;

	tfs_make(&t, 16 * MiB, 0);
	f = mkfile(t.fs, PMFS_ROOT_INO, "f", 0644);
	tfs_umount(&t);
	commit_lane(&t, 42, 8 * 20 + 2);
	d = pm_ptr(t.m, ((const struct pmfs_dsb *)pm_ptr(t.m, 0))->itable_blk *
		   BS + f * 512);
	d->size = 12345;	/* torn: checksum no longer matches */
	pm_flush(t.m, d, sizeof(*d));
	pm_fence(t.m);
	assert_int_equal(pmfs_mount(t.m, 0, &fs, err, sizeof(err)), -EUCLEAN);
	assert_true(tfs_fsck(&t, 0) >= 2);	/* the lane, the inode */
	assert_true(tfs_fsck(&t, PMFS_FSCK_REPAIR) >= 2);
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
		cmocka_unit_test(test_committed_torn),
		cmocka_unit_test(test_keep_orphans),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
