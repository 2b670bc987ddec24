// SPDX-License-Identifier: BSD-2-Clause
/* test_fsck.c - fsck finds and repairs injected corruptions; mount
 * refuses corrupted images cleanly. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "util.h"
#include "core_i.h"

#define MiB (1024ULL * 1024)
#define R PMFS_ROOT_INO
#define S(x) x, strlen(x)

struct img {
	struct tfs t;
	uint64_t dir, file, big, link;
	uint64_t big_leaf;	/* a leaf block of big's extent tree */
	uint64_t root_blk;	/* root directory block 0 */
};

static void populate(struct img *im)
{
	struct pmfs *fs;
	struct pmfs_new nd = { .mode = S_IFDIR | 0755 };
	struct pmfs_attr a;
	uint8_t blk[4096];

	tfs_make(&im->t, 32 * MiB, 0);
	fs = im->t.fs;
	assert_int_equal(pmfs_mknod(fs, R, S("dir"), &nd, &a), 0);
	pmfs_iput(fs, a.ino, 1);
	im->dir = a.ino;
	im->file = mkfile(fs, im->dir, "file", 0644);
	assert_int_equal(pmfs_write(fs, im->file, "hello", 5, 0, 0), 5);
	assert_int_equal(pmfs_setxattr(fs, im->file, "user.x", "y", 1, 0), 0);
	assert_int_equal(pmfs_link(fs, im->file, R, S("hard"), &a), 0);
	pmfs_iput(fs, a.ino, 1);
	im->big = mkfile(fs, R, "big", 0644);
	for (uint64_t b = 0; b < 600; b += 2) {
		fill(blk, sizeof(blk), b);
		assert_int_equal(pmfs_write(fs, im->big, blk, 4096, b * 4096, 0), 4096);
	}
	assert_int_equal(pmfs_symlink(fs, R, S("sym"), S("dir/file"),
				      &(struct pmfs_new){ 0 }, &a), 0);
	pmfs_iput(fs, a.ino, 1);
	im->link = a.ino;
	assert_true(fs->itab[im->big]->em.nleaf > 1);
	im->big_leaf = fs->itab[im->big]->em.lv[1]->blk;
	{
		struct pmfs_dext e;

		assert_true(emap_lookup(fs->itab[R], 0, &e));
		im->root_blk = e.pblk;
	}
	tfs_umount(&im->t);
	assert_int_equal(tfs_fsck(&im->t, 0), 0);
}

static void flip(struct pm_media *m, uint64_t off, uint8_t mask)
{
	uint8_t b = *(uint8_t *)pm_ptr(m, off) ^ mask;

	pm_persist_copy(m, pm_ptr(m, off), &b, 1);
}

static uint64_t inode_off(struct img *im, uint64_t ino)
{
	const struct pmfs_dsb *sb = pm_ptr(im->t.m, 0);

	return sb->itable_blk * 4096 + ino * sizeof(struct pmfs_dinode);
}

/* check finds problems, repair fixes them, then clean and mountable */
static void repair_cycle(struct img *im)
{
	int n = tfs_fsck(&im->t, 0);

	assert_true(n > 0);
	assert_true(tfs_fsck(&im->t, PMFS_FSCK_REPAIR) > 0);
	assert_int_equal(tfs_fsck(&im->t, 0), 0);
	tfs_mount(&im->t);
}

static void test_clean(void **state)
{
	struct img im;

	populate(&im);
	tfs_mount(&im.t);
	tfs_umount(&im.t);
	assert_int_equal(tfs_fsck(&im.t, PMFS_FSCK_REPAIR), 0);
	tfs_destroy(&im.t);
}

static void test_inode_bit(void **state)
{
	struct img im;
	struct pmfs_attr a;
	char err[256];

	populate(&im);
	flip(im.t.m, inode_off(&im, im.file) + 40, 0x10);
	assert_int_equal(pmfs_mount(im.t.m, 0, &im.t.fs, err, sizeof(err)), -EUCLEAN);
	printf("# mount: %s\n", err);
	im.t.fs = NULL;
	repair_cycle(&im);
	assert_int_equal(pmfs_lookup(im.t.fs, im.dir, S("file"), &a), -ENOENT);
	assert_int_equal(pmfs_lookup(im.t.fs, R, S("hard"), &a), -ENOENT);
	assert_int_equal(pmfs_lookup(im.t.fs, R, S("big"), &a), 0);
	pmfs_iput(im.t.fs, a.ino, 1);
	tfs_destroy(&im.t);
}

static void test_dirent_bit(void **state)
{
	struct img im;
	struct pmfs_attr a;

	populate(&im);
	/* the first entry of the root directory ("dir") */
	flip(im.t.m, im.root_blk * 4096 + PMFS_DENT_HDR, 0x01);
	tfs_mount(&im.t);	/* directories are checked when read */
	assert_int_equal(pmfs_lookup(im.t.fs, R, S("big"), &a), -EIO);
	tfs_umount(&im.t);
	repair_cycle(&im);
	assert_int_equal(pmfs_lookup(im.t.fs, R, S("big"), &a), 0);
	pmfs_iput(im.t.fs, a.ino, 1);
	assert_int_equal(pmfs_lookup(im.t.fs, R, S("dir"), &a), -ENOENT);
	/* the file in the lost directory is still reachable by its link */
	assert_int_equal(pmfs_lookup(im.t.fs, R, S("hard"), &a), 0);
	pmfs_iput(im.t.fs, a.ino, 1);
	assert_int_equal(a.nlink, 1);
	tfs_destroy(&im.t);
}

static void test_superblock_bit(void **state)
{
	struct img im;

	populate(&im);
	flip(im.t.m, 64, 0x80);
	repair_cycle(&im);
	tfs_umount(&im.t);
	flip(im.t.m, 4096 + 64, 0x80);	/* the copy */
	repair_cycle(&im);
	tfs_destroy(&im.t);
}

static void test_extent_bit(void **state)
{
	struct img im;
	struct pmfs_attr a;
	char err[256];

	populate(&im);
	/* the pblk of an extent in a leaf */
	flip(im.t.m, im.big_leaf * 4096 + 32 + 8 + 2, 0x04);
	assert_int_equal(pmfs_mount(im.t.m, 0, &im.t.fs, err, sizeof(err)), -EUCLEAN);
	printf("# mount: %s\n", err);
	im.t.fs = NULL;
	repair_cycle(&im);
	assert_int_equal(pmfs_lookup(im.t.fs, R, S("big"), &a), -ENOENT);
	assert_int_equal(pmfs_lookup(im.t.fs, R, S("sym"), &a), 0);
	pmfs_iput(im.t.fs, a.ino, 1);
	tfs_destroy(&im.t);
}

static void test_duplicate_entry(void **state)
{
	struct img im;
	struct pmfs_attr a;
	uint8_t slot[64];

	populate(&im);
	/* root: dir (slot 0), hard (1), big (2), sym (3): copy "hard" */
	memcpy(slot, pm_ptr(im.t.m, im.root_blk * 4096 + 64), 64);
	assert_memory_equal(slot + PMFS_DENT_HDR, "hard", 4);
	pm_persist_copy(im.t.m, pm_ptr(im.t.m, im.root_blk * 4096 + 64 * 20), slot, 64);
	repair_cycle(&im);
	assert_int_equal(pmfs_lookup(im.t.fs, R, S("hard"), &a), 0);
	pmfs_iput(im.t.fs, a.ino, 1);
	assert_int_equal(a.nlink, 2);
	tfs_destroy(&im.t);
}

static void test_nlink(void **state)
{
	struct img im;
	struct pmfs_dinode d;
	struct pmfs_attr a;

	populate(&im);
	memcpy(&d, pm_ptr(im.t.m, inode_off(&im, im.file)), sizeof(d));
	d.nlink = 7;
	pmfs_obj_seal(&d, sizeof(d));
	pm_persist_copy(im.t.m, pm_ptr(im.t.m, inode_off(&im, im.file)), &d, sizeof(d));
	repair_cycle(&im);
	assert_int_equal(pmfs_getattr(im.t.fs, im.file, &a), 0);
	assert_int_equal(a.nlink, 2);
	tfs_destroy(&im.t);
}

static int count_ent(void *arg, const char *name, size_t len, uint64_t ino,
		     unsigned int type, uint64_t cookie)
{
	return 0;
}

static void test_garbage(void **state)
{
	struct img im;
	const struct pmfs_dsb *sb;
	uint8_t *junk;
	uint64_t len;
	char err[256];
	int r;

	for (int round = 0; round < 4; round++) {
		populate(&im);
		sb = pm_ptr(im.t.m, 0);
		/* garbage over the inode table or the data region */
		len = 64 * 1024;
		junk = malloc(len);
		fill(junk, len, (uint64_t)round + 1);
		pm_persist_copy(im.t.m, pm_ptr(im.t.m, (round & 1 ?
				sb->data_blk : sb->itable_blk) * 4096 +
				(uint64_t)round * 4096), junk, len);
		free(junk);
		r = pmfs_mount(im.t.m, 0, &im.t.fs, err, sizeof(err));
		if (!r) {
			char buf[64];

			/* whatever mounted must not crash when used */
			pmfs_readdir(im.t.fs, R, 0, count_ent, NULL);
			pmfs_read(im.t.fs, im.big, buf, sizeof(buf), 0);
			tfs_umount(&im.t);
		} else {
			im.t.fs = NULL;
			printf("# round %d mount: %s\n", round, err);
		}
		assert_true(tfs_fsck(&im.t, PMFS_FSCK_REPAIR) >= 0);
		assert_int_equal(tfs_fsck(&im.t, 0), 0);
		tfs_mount(&im.t);
		tfs_destroy(&im.t);
	}
}

/* random bit flips in the metadata: mount refuses or works, never
 * crashes; fsck -y converges to a clean, mountable file system */
static void test_fuzz_bits(void **state)
{
	struct img im;
	const struct pmfs_dsb *sb;
	uint8_t *snap;
	uint64_t seed = 12345, size, idx = 0;
	int refused = 0, mounted = 0;

	populate(&im);
	size = im.t.m->size;
	snap = malloc(size);
	memcpy(snap, im.t.m->base, size);
	sb = (const void *)snap;
	{
		uint64_t itab = sb->itable_blk * 4096;

		for (int it = 0; it < 60; it++) {
			char err[256], b[64];
			struct pmfs_attr a;
			int r;

			pm_persist_copy(im.t.m, im.t.m->base, snap, size);
			for (int k = 0; k < 1 + it % 4; k++) {
				uint64_t off;

				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				switch ((seed >> 33) % 5) {
				case 0: off = (seed >> 8) % 512; break;
				case 1: off = itab + 512 + (seed >> 8) % (512 * 8); break;
				case 2: off = im.root_blk * 4096 + (seed >> 8) % 512; break;
				case 3: off = im.big_leaf * 4096 + (seed >> 8) % 4096; break;
				default: off = itab + 512 * im.big + (seed >> 8) % 512; break;
				}
				flip(im.t.m, off, (uint8_t)(1u << ((seed >> 40) & 7)));
			}
			r = pmfs_mount(im.t.m, 0, &im.t.fs, err, sizeof(err));
			if (!r) {
				mounted++;
				pmfs_readdir(im.t.fs, R, 0, count_ent, NULL);
				if (!pmfs_lookup(im.t.fs, R, S("big"), &a)) {
					pmfs_read(im.t.fs, a.ino, b, sizeof(b), 4096 * 100);
					pmfs_iput(im.t.fs, a.ino, 1);
				}
				pmfs_lookup(im.t.fs, im.dir, S("file"), &a);
				tfs_umount(&im.t);
			} else {
				refused++;
				im.t.fs = NULL;
			}
			assert_true(tfs_fsck(&im.t, PMFS_FSCK_REPAIR) >= 0 ||
				    r == -EINVAL);
			if (r == -EINVAL && tfs_fsck(&im.t, 0) == -EINVAL)
				continue;	/* both superblocks hit */
			assert_int_equal(tfs_fsck(&im.t, 0), 0);
			tfs_mount(&im.t);
			tfs_umount(&im.t);
			idx++;
		}
	}
	printf("# fuzz: %d mounted, %d refused, %llu repaired clean\n",
	       mounted, refused, (unsigned long long)idx);
	free(snap);
	tfs_destroy(&im.t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_inode_bit),
		cmocka_unit_test(test_dirent_bit),
		cmocka_unit_test(test_superblock_bit),
		cmocka_unit_test(test_extent_bit),
		cmocka_unit_test(test_duplicate_entry),
		cmocka_unit_test(test_nlink),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_fuzz_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
