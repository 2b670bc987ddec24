// SPDX-License-Identifier: BSD-2-Clause
/* test_core.c - every API operation of the pmemfs core, with errors */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

#define MiB (1024ULL * 1024)
#define R PMFS_ROOT_INO
#define S(x) x, strlen(x)

static int setup(void **state)
{
	struct tfs *t = calloc(1, sizeof(*t));

	tfs_make(t, 64 * MiB, 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tfs *t = *state;

	if (t->fs)
		tfs_umount(t);
	assert_int_equal(tfs_fsck(t, 0), 0);
	tfs_destroy(t);
	free(t);
	return 0;
}

static void test_names(void **state)
{
	struct tfs *t = *state;
	struct pmfs_new ni = { .mode = S_IFREG | 0644 };
	struct pmfs_attr a;
	char big[300];

	memset(big, 'x', sizeof(big));
	assert_int_equal(pmfs_mknod(t->fs, R, S("."), &ni, &a), -EINVAL);
	assert_int_equal(pmfs_mknod(t->fs, R, S(".."), &ni, &a), -EINVAL);
	assert_int_equal(pmfs_mknod(t->fs, R, S("a/b"), &ni, &a), -EINVAL);
	assert_int_equal(pmfs_mknod(t->fs, R, "", 0, &ni, &a), -EINVAL);
	assert_int_equal(pmfs_mknod(t->fs, R, big, 256, &ni, &a), -ENAMETOOLONG);
	assert_int_equal(pmfs_mknod(t->fs, R, big, 255, &ni, &a), 0);
	pmfs_iput(t->fs, a.ino, 1);
	assert_int_equal(pmfs_lookup(t->fs, R, big, 255, &a), 0);
	pmfs_iput(t->fs, a.ino, 1);
	assert_int_equal(pmfs_mknod(t->fs, R, big, 255, &ni, &a), -EEXIST);
	assert_int_equal(pmfs_lookup(t->fs, R, S("nope"), &a), -ENOENT);
	assert_int_equal(pmfs_lookup(t->fs, a.ino, S("x"), &a), -ENOTDIR);
	assert_int_equal(pmfs_unlink(t->fs, R, big, 255), 0);
	assert_int_equal(pmfs_unlink(t->fs, R, big, 255), -ENOENT);
	assert_int_equal(pmfs_getattr(t->fs, 999999999, &a), -ESTALE);
}

static void test_file_rw(void **state)
{
	struct tfs *t = *state;
	static uint8_t w[300000], r[300000];
	struct pmfs_setattr sa = { 0 };
	struct pmfs_attr a;
	uint64_t ino = mkfile(t->fs, R, "f", S_IFREG | 0600);

	fill(w, sizeof(w), 1);
	assert_int_equal(pmfs_write(t->fs, ino, w, sizeof(w), 0, 0), sizeof(w));
	assert_int_equal(pmfs_write(t->fs, ino, w, 10, 5, 0), 10);
	memmove(w + 5, w, 10);
	fill(w, 0, 0);
	assert_int_equal(pmfs_read(t->fs, ino, r, sizeof(r), 0), sizeof(r));
	{
		uint8_t ref[300000];

		fill(ref, sizeof(ref), 1);
		memmove(ref + 5, ref, 10);
		assert_memory_equal(r, ref, sizeof(r));
		memcpy(w, ref, sizeof(w));
	}
	assert_int_equal(pmfs_read(t->fs, ino, r, 10, sizeof(w)), 0);
	assert_int_equal(pmfs_write(t->fs, ino, "tail", 4, 0, PMFS_WRITE_APPEND), 4);
	assert_int_equal(pmfs_getattr(t->fs, ino, &a), 0);
	assert_int_equal(a.size, sizeof(w) + 4);
	assert_true(a.blocks >= sizeof(w) / 512);
	/* sparse write far away: the gap reads as zeros */
	assert_int_equal(pmfs_write(t->fs, ino, "X", 1, 10 * MiB, 0), 1);
	assert_int_equal(pmfs_read(t->fs, ino, r, 4096, 5 * MiB), 4096);
	for (int i = 0; i < 4096; i++)
		assert_int_equal(r[i], 0);
	/* truncate down into a block, grow back: the cut bytes are zeros */
	sa.valid = PMFS_SET_SIZE;
	sa.size = 1000;
	assert_int_equal(pmfs_setattr(t->fs, ino, &sa, &a), 0);
	assert_int_equal(a.size, 1000);
	sa.size = 9000;
	assert_int_equal(pmfs_setattr(t->fs, ino, &sa, &a), 0);
	assert_int_equal(pmfs_read(t->fs, ino, r, 9000, 0), 9000);
	assert_memory_equal(r, w, 1000);
	for (int i = 1000; i < 9000; i++)
		assert_int_equal(r[i], 0);
	tfs_remount(t);
	assert_int_equal(pmfs_read(t->fs, ino, r, 9000, 0), 9000);
	assert_memory_equal(r, w, 1000);
	sa.valid = PMFS_SET_MODE | PMFS_SET_UID | PMFS_SET_GID | PMFS_SET_MTIME;
	sa.mode = 0751;
	sa.uid = 7;
	sa.gid = 8;
	sa.mtime.tv_sec = 12345;
	assert_int_equal(pmfs_setattr(t->fs, ino, &sa, &a), 0);
	tfs_remount(t);
	assert_int_equal(pmfs_getattr(t->fs, ino, &a), 0);
	assert_int_equal(a.mode, S_IFREG | 0751);
	assert_int_equal(a.uid, 7);
	assert_int_equal(a.gid, 8);
	assert_int_equal(a.mtime.tv_sec, 12345);
	assert_int_equal(pmfs_write(t->fs, R, "x", 1, 0, 0), -EISDIR);
	assert_int_equal(pmfs_read(t->fs, R, r, 1, 0), -EISDIR);
	assert_int_equal(pmfs_fsync(t->fs, ino, 0), 0);
	assert_int_equal(pmfs_sync(t->fs), 0);
}

static void test_dirs(void **state)
{
	struct tfs *t = *state;
	struct pmfs_new nd = { .mode = S_IFDIR | 0755 };
	struct pmfs_attr a, d;

	assert_int_equal(pmfs_mknod(t->fs, R, S("d"), &nd, &d), 0);
	pmfs_iput(t->fs, d.ino, 1);
	assert_int_equal(d.nlink, 2);
	assert_int_equal(pmfs_getattr(t->fs, R, &a), 0);
	assert_int_equal(a.nlink, 3);
	mkfile(t->fs, d.ino, "f", 0644);
	assert_int_equal(pmfs_rmdir(t->fs, R, S("d")), -ENOTEMPTY);
	assert_int_equal(pmfs_unlink(t->fs, R, S("d")), -EISDIR);
	assert_int_equal(pmfs_rmdir(t->fs, d.ino, S("f")), -ENOTDIR);
	assert_int_equal(pmfs_unlink(t->fs, d.ino, S("f")), 0);
	assert_int_equal(pmfs_rmdir(t->fs, R, S("d")), 0);
	assert_int_equal(pmfs_getattr(t->fs, R, &a), 0);
	assert_int_equal(a.nlink, 2);
	assert_int_equal(pmfs_getattr(t->fs, d.ino, &a), -ESTALE);
	{
		struct pmfs_new nc = { .mode = S_IFCHR | 0600, .rdev = 0x0501 };

		assert_int_equal(pmfs_mknod(t->fs, R, S("chr"), &nc, &a), 0);
		pmfs_iput(t->fs, a.ino, 1);
		assert_int_equal(a.rdev, 0x0501);
		nc.mode = S_IFIFO | 0600;
		assert_int_equal(pmfs_mknod(t->fs, R, S("fifo"), &nc, &a), 0);
		pmfs_iput(t->fs, a.ino, 1);
	}
}

static void test_symlinks(void **state)
{
	struct tfs *t = *state;
	struct pmfs_new ni = { .mode = 0777 };
	struct pmfs_attr a1, a2;
	char longt[4000], buf[4096];

	memset(longt, 'L', sizeof(longt));
	assert_int_equal(pmfs_symlink(t->fs, R, S("s"), S("target/x"), &ni, &a1), 0);
	assert_int_equal(pmfs_symlink(t->fs, R, S("l"), longt, sizeof(longt), &ni, &a2), 0);
	pmfs_iput(t->fs, a1.ino, 1);
	pmfs_iput(t->fs, a2.ino, 1);
	assert_int_equal(pmfs_symlink(t->fs, R, S("big"), longt, 5000, &ni, &a2), -ENAMETOOLONG);
	tfs_remount(t);
	assert_int_equal(pmfs_readlink(t->fs, a1.ino, buf, sizeof(buf)), 8);
	assert_memory_equal(buf, "target/x", 8);
	assert_int_equal(pmfs_readlink(t->fs, a2.ino, buf, sizeof(buf)), sizeof(longt));
	assert_memory_equal(buf, longt, sizeof(longt));
	assert_int_equal(pmfs_readlink(t->fs, R, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pmfs_getattr(t->fs, a1.ino, &a1), 0);
	assert_true(S_ISLNK(a1.mode));
	assert_int_equal(pmfs_unlink(t->fs, R, S("l")), 0);
	assert_int_equal(pmfs_unlink(t->fs, R, S("s")), 0);
}

static void test_links_orphans(void **state)
{
	struct tfs *t = *state;
	struct pmfs_stat s0, s1;
	struct pmfs_attr a;
	struct pmfs_new nd = { .mode = S_IFDIR | 0755 };
	uint64_t ino = mkfile(t->fs, R, "orig", 0644), dir;

	assert_int_equal(pmfs_mknod(t->fs, R, S("sub"), &nd, &a), 0);
	pmfs_iput(t->fs, a.ino, 1);
	dir = a.ino;
	assert_int_equal(pmfs_link(t->fs, ino, dir, S("hard"), &a), 0);
	pmfs_iput(t->fs, ino, 1);
	assert_int_equal(a.nlink, 2);
	assert_int_equal(pmfs_link(t->fs, ino, dir, S("hard"), &a), -EEXIST);
	assert_int_equal(pmfs_link(t->fs, dir, R, S("dirlink"), &a), -EPERM);
	assert_int_equal(pmfs_write(t->fs, ino, "data", 4, 0, 0), 4);
	tfs_remount(t);
	assert_int_equal(pmfs_lookup(t->fs, dir, S("hard"), &a), 0);
	assert_int_equal(a.ino, ino);
	assert_int_equal(a.nlink, 2);
	pmfs_iput(t->fs, ino, 1);
	assert_int_equal(pmfs_unlink(t->fs, R, S("orig")), 0);
	assert_int_equal(pmfs_statfs(t->fs, &s0), 0);
	/* hold a reference across the last unlink: an orphan */
	assert_int_equal(pmfs_iget(t->fs, ino), 0);
	assert_int_equal(pmfs_unlink(t->fs, dir, S("hard")), 0);
	assert_int_equal(pmfs_getattr(t->fs, ino, &a), 0);
	assert_int_equal(a.nlink, 0);
	assert_int_equal(pmfs_statfs(t->fs, &s1), 0);
	assert_int_equal(s1.orphans, 1);
	assert_int_equal(s1.ifree, s0.ifree);
	/* "crash": unmount with the reference held; mount frees the orphan */
	tfs_remount(t);
	assert_int_equal(pmfs_statfs(t->fs, &s1), 0);
	assert_int_equal(s1.orphans, 0);
	assert_int_equal(s1.ifree, s0.ifree + 1);
	assert_int_equal(s1.bfree, s0.bfree + 1);
	assert_int_equal(pmfs_getattr(t->fs, ino, &a), -ESTALE);
	/* the last iput frees an orphan at once */
	ino = mkfile(t->fs, R, "o2", 0644);
	assert_int_equal(pmfs_iget(t->fs, ino), 0);
	assert_int_equal(pmfs_unlink(t->fs, R, S("o2")), 0);
	assert_int_equal(pmfs_getattr(t->fs, ino, &a), 0);
	pmfs_iput(t->fs, ino, 1);
	assert_int_equal(pmfs_getattr(t->fs, ino, &a), -ESTALE);
}

static void test_tmpfile(void **state)
{
	struct tfs *t = *state;
	struct pmfs_new ni = { .mode = S_IFREG | 0600 };
	struct pmfs_stat s;
	struct pmfs_attr a, b;
	char buf[8];

	assert_int_equal(pmfs_tmpfile(t->fs, R, &ni, &a), 0);
	assert_int_equal(a.nlink, 0);
	assert_int_equal(pmfs_write(t->fs, a.ino, "tmpdata", 7, 0, 0), 7);
	assert_int_equal(pmfs_statfs(t->fs, &s), 0);
	assert_int_equal(s.orphans, 1);
	assert_int_equal(pmfs_link(t->fs, a.ino, R, S("linked"), &b), 0);
	assert_int_equal(b.nlink, 1);
	pmfs_iput(t->fs, a.ino, 2);
	assert_int_equal(pmfs_statfs(t->fs, &s), 0);
	assert_int_equal(s.orphans, 0);
	tfs_remount(t);
	assert_int_equal(pmfs_lookup(t->fs, R, S("linked"), &b), 0);
	assert_int_equal(pmfs_read(t->fs, b.ino, buf, 8, 0), 7);
	assert_memory_equal(buf, "tmpdata", 7);
	pmfs_iput(t->fs, b.ino, 1);
	/* a tmpfile never linked is gone after a crash */
	assert_int_equal(pmfs_tmpfile(t->fs, R, &ni, &a), 0);
	tfs_remount(t);
	assert_int_equal(pmfs_getattr(t->fs, a.ino, &b), -ESTALE);
	ni.mode = S_IFDIR | 0700;
	assert_int_equal(pmfs_tmpfile(t->fs, R, &ni, &a), -EINVAL);
}

static void test_rename(void **state)
{
	struct tfs *t = *state;
	struct pmfs_new nd = { .mode = S_IFDIR | 0755 };
	struct pmfs_attr a, d1, d2;
	uint64_t f1, f2;
	char buf[4];

	assert_int_equal(pmfs_mknod(t->fs, R, S("d1"), &nd, &d1), 0);
	assert_int_equal(pmfs_mknod(t->fs, R, S("d2"), &nd, &d2), 0);
	pmfs_iput(t->fs, d1.ino, 1);
	pmfs_iput(t->fs, d2.ino, 1);
	f1 = mkfile(t->fs, d1.ino, "a", 0644);
	f2 = mkfile(t->fs, d2.ino, "b", 0644);
	pmfs_write(t->fs, f1, "AAAA", 4, 0, 0);
	pmfs_write(t->fs, f2, "BBBB", 4, 0, 0);
	assert_int_equal(pmfs_rename(t->fs, d1.ino, S("a"), d1.ino, S("a2"), 0), 0);
	assert_int_equal(pmfs_rename(t->fs, d1.ino, S("a"), d1.ino, S("a3"), 0), -ENOENT);
	assert_int_equal(pmfs_rename(t->fs, d1.ino, S("a2"), d2.ino, S("b"),
				     PMFS_RENAME_NOREPLACE), -EEXIST);
	assert_int_equal(pmfs_rename(t->fs, d1.ino, S("a2"), d2.ino, S("b"),
				     PMFS_RENAME_EXCHANGE), 0);
	assert_int_equal(pmfs_lookup(t->fs, d2.ino, S("b"), &a), 0);
	pmfs_iput(t->fs, a.ino, 1);
	assert_int_equal(a.ino, f1);
	assert_int_equal(pmfs_lookup(t->fs, d1.ino, S("a2"), &a), 0);
	pmfs_iput(t->fs, a.ino, 1);
	assert_int_equal(a.ino, f2);
	/* replace: the old target is freed */
	assert_int_equal(pmfs_rename(t->fs, d1.ino, S("a2"), d2.ino, S("b"), 0), 0);
	assert_int_equal(pmfs_getattr(t->fs, f1, &a), -ESTALE);
	assert_int_equal(pmfs_lookup(t->fs, d1.ino, S("a2"), &a), -ENOENT);
	assert_int_equal(pmfs_lookup(t->fs, d2.ino, S("b"), &a), 0);
	pmfs_iput(t->fs, a.ino, 1);
	assert_int_equal(pmfs_read(t->fs, a.ino, buf, 4, 0), 4);
	assert_memory_equal(buf, "BBBB", 4);
	/* directories: move d2 into d1, loops refused, nlinks right */
	assert_int_equal(pmfs_rename(t->fs, R, S("d1"), d1.ino, S("x"), 0), -EINVAL);
	assert_int_equal(pmfs_rename(t->fs, R, S("d2"), d1.ino, S("d2"), 0), 0);
	assert_int_equal(pmfs_rename(t->fs, R, S("d1"), d2.ino, S("loop"), 0), -EINVAL);
	assert_int_equal(pmfs_getattr(t->fs, d1.ino, &a), 0);
	assert_int_equal(a.nlink, 3);
	assert_int_equal(pmfs_getattr(t->fs, R, &a), 0);
	assert_int_equal(a.nlink, 3);
	/* dir over non-empty dir, file over dir, dir over file */
	{
		uint64_t f = mkfile(t->fs, R, "file", 0644);
		struct pmfs_attr e;

		assert_int_equal(pmfs_mknod(t->fs, R, S("empty"), &nd, &e), 0);
		pmfs_iput(t->fs, e.ino, 1);
		assert_int_equal(pmfs_rename(t->fs, R, S("d1"), R, S("file"), 0), -ENOTDIR);
		assert_int_equal(pmfs_rename(t->fs, R, S("file"), R, S("d1"), 0), -EISDIR);
		assert_int_equal(pmfs_rename(t->fs, R, S("empty"), R, S("d1"), 0), -ENOTEMPTY);
		assert_int_equal(pmfs_rename(t->fs, d1.ino, S("d2"), R, S("empty"), 0), 0);
		assert_int_equal(pmfs_getattr(t->fs, e.ino, &e), -ESTALE);
		assert_int_equal(pmfs_rename(t->fs, R, S("file"), R, S("file"), 0), 0);
		assert_int_equal(pmfs_rename(t->fs, R, S("file"), R, S("d1"),
					     PMFS_RENAME_EXCHANGE), 0);
		assert_int_equal(pmfs_lookup(t->fs, R, S("d1"), &e), 0);
		pmfs_iput(t->fs, e.ino, 1);
		assert_int_equal(e.ino, f);
		assert_int_equal(pmfs_rename(t->fs, R, S("a"), R, S("b"),
			PMFS_RENAME_EXCHANGE | PMFS_RENAME_NOREPLACE), -EINVAL);
	}
	tfs_remount(t);
	assert_int_equal(pmfs_getattr(t->fs, R, &a), 0);
	assert_int_equal(a.nlink, 4);
}

static void test_xattr(void **state)
{
	struct tfs *t = *state;
	uint64_t ino = mkfile(t->fs, R, "x", 0644);
	static char big[PMFS_XATTR_SIZE_MAX + 1];
	char buf[256], *lb;
	struct pmfs_xattr xa[2] = {
		{ "system.posix_acl_access", "acl1", 4 },
		{ "user.k", "v", 1 },
	};
	struct pmfs_new ni = { .mode = S_IFREG | 0644, .nr_xattrs = 2, .xattrs = xa };
	struct pmfs_attr a;

	assert_int_equal(pmfs_getxattr(t->fs, ino, "user.a", buf, sizeof(buf)), -ENODATA);
	assert_int_equal(pmfs_setxattr(t->fs, ino, "user.a", "1", 1, PMFS_XATTR_REPLACE), -ENODATA);
	assert_int_equal(pmfs_setxattr(t->fs, ino, "user.a", "1", 1, PMFS_XATTR_CREATE), 0);
	assert_int_equal(pmfs_setxattr(t->fs, ino, "user.a", "1", 1, PMFS_XATTR_CREATE), -EEXIST);
	assert_int_equal(pmfs_setxattr(t->fs, ino, "user.a", "22", 2, PMFS_XATTR_REPLACE), 0);
	assert_int_equal(pmfs_getxattr(t->fs, ino, "user.a", NULL, 0), 2);
	assert_int_equal(pmfs_getxattr(t->fs, ino, "user.a", buf, 1), -ERANGE);
	/* a big one moves the area to blocks, removing it back inline */
	memset(big, 'b', sizeof(big));
	assert_int_equal(pmfs_setxattr(t->fs, ino, "user.big", big, sizeof(big), 0), -E2BIG);
	assert_int_equal(pmfs_setxattr(t->fs, ino, "user.big", big, PMFS_XATTR_SIZE_MAX, 0), 0);
	tfs_remount(t);
	lb = malloc(PMFS_XATTR_SIZE_MAX);
	assert_int_equal(pmfs_getxattr(t->fs, ino, "user.big", lb, PMFS_XATTR_SIZE_MAX),
			 PMFS_XATTR_SIZE_MAX);
	assert_memory_equal(lb, big, PMFS_XATTR_SIZE_MAX);
	free(lb);
	assert_int_equal(pmfs_listxattr(t->fs, ino, NULL, 0), 16);
	assert_int_equal(pmfs_listxattr(t->fs, ino, buf, sizeof(buf)), 16);
	assert_memory_equal(buf, "user.a\0user.big\0", 16);
	assert_int_equal(pmfs_listxattr(t->fs, ino, buf, 3), -ERANGE);
	assert_int_equal(pmfs_removexattr(t->fs, ino, "user.big"), 0);
	assert_int_equal(pmfs_removexattr(t->fs, ino, "user.big"), -ENODATA);
	assert_int_equal(pmfs_getxattr(t->fs, ino, "user.a", buf, sizeof(buf)), 2);
	assert_int_equal(pmfs_setxattr(t->fs, ino, "user.empty", NULL, 0, 0), 0);
	assert_int_equal(pmfs_getxattr(t->fs, ino, "user.empty", buf, sizeof(buf)), 0);
	/* xattrs given at creation (ACLs) */
	assert_int_equal(pmfs_mknod(t->fs, R, S("acl"), &ni, &a), 0);
	pmfs_iput(t->fs, a.ino, 1);
	tfs_remount(t);
	assert_int_equal(pmfs_getxattr(t->fs, a.ino, "system.posix_acl_access", buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "acl1", 4);
	assert_int_equal(pmfs_getxattr(t->fs, a.ino, "user.k", buf, sizeof(buf)), 1);
}

static void test_fallocate_seek(void **state)
{
	struct tfs *t = *state;
	uint64_t ino = mkfile(t->fs, R, "fa", 0644);
	static uint8_t w[65536], r[65536];
	struct pmfs_attr a;

	fill(w, sizeof(w), 3);
	assert_int_equal(pmfs_fallocate(t->fs, ino, 0, 0, 1 * MiB), 0);
	assert_int_equal(pmfs_getattr(t->fs, ino, &a), 0);
	assert_int_equal(a.size, MiB);
	assert_int_equal(a.blocks, MiB / 512);
	assert_int_equal(pmfs_read(t->fs, ino, r, sizeof(r), 4096), sizeof(r));
	for (size_t i = 0; i < sizeof(r); i++)
		assert_int_equal(r[i], 0);
	assert_int_equal(pmfs_fallocate(t->fs, ino, PMFS_FALLOC_KEEP_SIZE, 2 * MiB, MiB), 0);
	assert_int_equal(pmfs_getattr(t->fs, ino, &a), 0);
	assert_int_equal(a.size, MiB);
	assert_int_equal(a.blocks, 2 * MiB / 512);
	assert_int_equal(pmfs_write(t->fs, ino, w, sizeof(w), 0, 0), sizeof(w));
	/* punch an unaligned hole: partial blocks zeroed, whole ones freed */
	assert_int_equal(pmfs_fallocate(t->fs, ino, PMFS_FALLOC_PUNCH_HOLE |
					PMFS_FALLOC_KEEP_SIZE, 1000, 20000), 0);
	assert_int_equal(pmfs_read(t->fs, ino, r, sizeof(r), 0), sizeof(r));
	assert_memory_equal(r, w, 1000);
	for (int i = 1000; i < 21000; i++)
		assert_int_equal(r[i], 0);
	assert_memory_equal(r + 21000, w + 21000, sizeof(r) - 21000);
	assert_int_equal(pmfs_lseek(t->fs, ino, 0, PMFS_SEEK_DATA), 0);
	assert_int_equal(pmfs_lseek(t->fs, ino, 0, PMFS_SEEK_HOLE), 4096);
	assert_int_equal(pmfs_lseek(t->fs, ino, 4096, PMFS_SEEK_DATA), 20480);
	assert_int_equal(pmfs_lseek(t->fs, ino, 30000, PMFS_SEEK_HOLE), MiB);
	assert_int_equal(pmfs_lseek(t->fs, ino, MiB, PMFS_SEEK_DATA), -ENXIO);
	assert_int_equal(pmfs_lseek(t->fs, ino, 0, 7), -EINVAL);
	/* zero range keeps blocks allocated and reads zeros */
	assert_int_equal(pmfs_fallocate(t->fs, ino, PMFS_FALLOC_ZERO_RANGE, 30000, 20000), 0);
	assert_int_equal(pmfs_read(t->fs, ino, r, sizeof(r), 0), sizeof(r));
	for (int i = 30000; i < 50000; i++)
		assert_int_equal(r[i], 0);
	assert_memory_equal(r + 50000, w + 50000, sizeof(r) - 50000);
	assert_int_equal(pmfs_lseek(t->fs, ino, 30000, PMFS_SEEK_HOLE), MiB);
	assert_int_equal(pmfs_fallocate(t->fs, ino, 0x40, 0, 1), -EOPNOTSUPP);
	assert_int_equal(pmfs_fallocate(t->fs, ino, 0, 0, 0), -EINVAL);
	assert_int_equal(pmfs_fallocate(t->fs, R, 0, 0, 1), -EISDIR);
	tfs_remount(t);
	assert_int_equal(pmfs_read(t->fs, ino, r, sizeof(r), 0), sizeof(r));
	assert_memory_equal(r, w, 1000);
	assert_int_equal(pmfs_getattr(t->fs, ino, &a), 0);
	assert_int_equal(a.size, MiB);
}

static void test_copy_range(void **state)
{
	struct tfs *t = *state;
	uint64_t in = mkfile(t->fs, R, "in", 0644), out = mkfile(t->fs, R, "out", 0644);
	static uint8_t w[1 << 20], r[1 << 20];
	struct pmfs_stat s0, s1, base;
	uint8_t ref_out[8];

	assert_int_equal(pmfs_statfs(t->fs, &base), 0);
	fill(w, sizeof(w), 9);
	assert_int_equal(pmfs_write(t->fs, in, w, sizeof(w), 0, 0), sizeof(w));
	assert_int_equal(pmfs_statfs(t->fs, &s0), 0);
	assert_int_equal(pmfs_copy_range(t->fs, in, 100, out, 100, sizeof(w)), sizeof(w) - 100);
	assert_int_equal(pmfs_statfs(t->fs, &s1), 0);
	/* shared: only the head and tail blocks were copied */
	assert_true(s0.bfree - s1.bfree <= 3);
	assert_int_equal(pmfs_read(t->fs, out, r, sizeof(r), 0), sizeof(r));
	assert_memory_equal(r + 100, w + 100, sizeof(w) - 100);
	/* copy on write: writing one file leaves the other alone */
	assert_int_equal(pmfs_write(t->fs, out, "ZZZZ", 4, 8192, 0), 4);
	memcpy(ref_out, w + 12288, 8);
	assert_int_equal(pmfs_read(t->fs, in, r, sizeof(r), 0), sizeof(r));
	assert_memory_equal(r, w, sizeof(w));
	assert_int_equal(pmfs_write(t->fs, in, "YYYY", 4, 12288, 0), 4);
	memcpy(w + 12288, "YYYY", 4);
	assert_int_equal(pmfs_read(t->fs, out, r, 8, 12288), 8);
	assert_memory_equal(r, ref_out, 8);
	/* misaligned offsets: a plain copy */
	assert_int_equal(pmfs_copy_range(t->fs, in, 1, out, 2 * (1 << 20), 50000), 50000);
	assert_int_equal(pmfs_read(t->fs, out, r, 50000, 2 * (1 << 20)), 50000);
	assert_memory_equal(r, w + 1, 50000);
	/* within one file, non-overlapping; overlap is refused */
	assert_int_equal(pmfs_copy_range(t->fs, in, 0, in, 4 << 20, 1 << 20), 1 << 20);
	assert_int_equal(pmfs_copy_range(t->fs, in, 0, in, 4096, 8192), -EINVAL);
	tfs_remount(t);
	assert_int_equal(pmfs_read(t->fs, in, r, 1 << 20, 4 << 20), 1 << 20);
	assert_memory_equal(r, w, 1 << 20);
	/* delete both: every block comes back */
	assert_int_equal(pmfs_unlink(t->fs, R, S("in")), 0);
	assert_int_equal(pmfs_unlink(t->fs, R, S("out")), 0);
	assert_int_equal(pmfs_statfs(t->fs, &s1), 0);
	assert_int_equal(s1.bfree, base.bfree);
}

static void test_enospc_reuse(void **state)
{
	struct tfs *t = *state;
	static uint8_t w[1 << 20];
	struct pmfs_stat s0, s1;
	uint64_t total = 0;
	int n = 0;
	char name[32];

	mkfile(t->fs, R, "base", 0644);
	assert_int_equal(pmfs_statfs(t->fs, &s0), 0);
	fill(w, sizeof(w), 5);
	for (;; n++) {
		uint64_t ino;
		ssize_t r;

		snprintf(name, sizeof(name), "fill%d", n);
		ino = mkfile(t->fs, R, name, 0644);
		r = pmfs_write(t->fs, ino, w, sizeof(w), 0, 0);
		if (r < 0) {
			assert_int_equal(r, -ENOSPC);
			break;
		}
		total += (uint64_t)r;
		if (r < (ssize_t)sizeof(w))
			break;
	}
	assert_int_equal(pmfs_statfs(t->fs, &s1), 0);
	assert_true(s1.bfree < 300);
	assert_true(total > 40 * MiB);
	tfs_remount(t);
	for (int i = 0; i <= n; i++) {
		snprintf(name, sizeof(name), "fill%d", i);
		assert_int_equal(pmfs_unlink(t->fs, R, name, strlen(name)), 0);
	}
	assert_int_equal(pmfs_statfs(t->fs, &s1), 0);
	assert_int_equal(s1.bfree, s0.bfree);
	assert_int_equal(s1.ifree, s0.ifree);
	{
		uint64_t ino = mkfile(t->fs, R, "again", 0644);

		assert_int_equal(pmfs_write(t->fs, ino, w, sizeof(w), 0, 0), sizeof(w));
	}
}

struct wargs {
	struct pmfs *fs;
	uint64_t ino;
	int seed;
};

static void *writer(void *p)
{
	struct wargs *a = p;
	uint8_t buf[4096];

	for (int i = 0; i < 2000; i++) {
		fill(buf, sizeof(buf), (uint64_t)a->seed * 100000 + (uint64_t)i);
		if (pmfs_write(a->fs, a->ino, buf, sizeof(buf),
			       (uint64_t)(i % 1000) * 4096, 0) != 4096)
			return (void *)1;
	}
	return NULL;
}

static void test_two_writers(void **state)
{
	struct tfs *t = *state;
	struct wargs a[2];
	pthread_t th[2];
	uint8_t buf[4096], ref[4096];

	for (int i = 0; i < 2; i++) {
		char name[8] = "w0";

		name[1] = (char)('0' + i);
		a[i] = (struct wargs){ t->fs, mkfile(t->fs, R, name, 0644), i + 1 };
		assert_int_equal(pthread_create(&th[i], NULL, writer, &a[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		void *ret;

		pthread_join(th[i], &ret);
		assert_null(ret);
	}
	tfs_remount(t);
	for (int i = 0; i < 2; i++)
		for (int b = 0; b < 1000; b++) {
			fill(ref, sizeof(ref), (uint64_t)(i + 1) * 100000 + 1000 + (uint64_t)b);
			assert_int_equal(pmfs_read(t->fs, a[i].ino, buf, 4096, (uint64_t)b * 4096), 4096);
			assert_memory_equal(buf, ref, 4096);
		}
}

struct sargs {
	struct pmfs *fs;
	uint64_t d[2];
	int id;
};

static int noop_dirent(void *arg, const char *name, size_t len, uint64_t ino,
		       unsigned int type, uint64_t cookie)
{
	return 0;
}

/* random namespace operations in two shared directories */
static void *stress(void *p)
{
	struct sargs *a = p;
	struct pmfs_new ni = { .mode = S_IFREG | 0644 };
	uint64_t seed = (uint64_t)a->id * 7777 + 1;
	struct pmfs_attr at;

	for (int i = 0; i < 3000; i++) {
		char n1[16], n2[16];
		uint64_t d1, d2;
		int r;

		seed = seed * 6364136223846793005ULL + 1;
		d1 = a->d[(seed >> 20) & 1];
		d2 = a->d[(seed >> 21) & 1];
		snprintf(n1, sizeof(n1), "n%llu", (unsigned long long)((seed >> 30) % 50));
		snprintf(n2, sizeof(n2), "n%llu", (unsigned long long)((seed >> 40) % 50));
		switch ((seed >> 50) % 6) {
		case 0:
			r = pmfs_mknod(a->fs, d1, n1, strlen(n1), &ni, &at);
			if (!r)
				pmfs_iput(a->fs, at.ino, 1);
			break;
		case 1:
			pmfs_unlink(a->fs, d1, n1, strlen(n1));
			break;
		case 2:
			pmfs_rename(a->fs, d1, n1, strlen(n1), d2, n2, strlen(n2), 0);
			break;
		case 3:
			pmfs_rename(a->fs, d1, n1, strlen(n1), d2, n2, strlen(n2),
				    PMFS_RENAME_EXCHANGE);
			break;
		case 4:
			if (!pmfs_lookup(a->fs, d1, n1, strlen(n1), &at)) {
				pmfs_write(a->fs, at.ino, "abc", 3, 0, PMFS_WRITE_APPEND);
				if (!pmfs_link(a->fs, at.ino, d2, n2, strlen(n2), &at))
					pmfs_iput(a->fs, at.ino, 1);
				pmfs_iput(a->fs, at.ino, 1);
			}
			break;
		default:
			pmfs_readdir(a->fs, d1, 0, noop_dirent, NULL);
			break;
		}
	}
	return NULL;
}

static void test_concurrent_namespace(void **state)
{
	struct tfs *t = *state;
	struct pmfs_new nd = { .mode = S_IFDIR | 0755 };
	struct sargs a[4];
	pthread_t th[4];
	struct pmfs_attr x, y;

	assert_int_equal(pmfs_mknod(t->fs, R, S("A"), &nd, &x), 0);
	assert_int_equal(pmfs_mknod(t->fs, R, S("B"), &nd, &y), 0);
	pmfs_iput(t->fs, x.ino, 1);
	pmfs_iput(t->fs, y.ino, 1);
	for (int i = 0; i < 4; i++) {
		a[i] = (struct sargs){ t->fs, { x.ino, y.ino }, i };
		assert_int_equal(pthread_create(&th[i], NULL, stress, &a[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	tfs_remount(t);
}

static void test_statfs_remount_ro(void **state)
{
	struct tfs *t = *state;
	struct pmfs_stat s;
	uint8_t uuid[16];
	char err[128];
	uint64_t lf = 0;

	assert_int_equal(pmfs_statfs(t->fs, &s), 0);
	assert_int_equal(s.block_size, 4096);
	assert_true(s.blocks > 13000 && s.blocks <= 16384);
	assert_int_equal(s.bfree, s.blocks);
	for (uint32_t l = 0; l < s.lanes; l++)
		lf += s.lane_free[l];
	assert_int_equal(lf, s.bfree);
	assert_string_equal(s.label, "unit");
	pmfs_uuid(t->fs, uuid);
	assert_memory_equal(uuid, s.uuid, 16);
	tfs_umount(t);
	assert_int_equal(pmfs_mount(t->m, PMFS_MOUNT_RDONLY, &t->fs, err, sizeof(err)), 0);
	assert_int_equal(pmfs_mknod(t->fs, R, S("ro"), &(struct pmfs_new){ .mode = 0644 }, NULL), -EROFS);
	tfs_remount(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_rw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_links_orphans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tmpfile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xattr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fallocate_seek, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enospc_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_namespace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statfs_remount_ro, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
