// SPDX-License-Identifier: BSD-2-Clause
/* util.c - shared helpers of the pmemfs unit tests */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static int kind_printed;

void tfs_make(struct tfs *t, uint64_t size, uint64_t inodes)
{
	/* an ordinary file: on tmpfs if there is one (libpmem2 flushes with
	 * msync there too, but msync of tmpfs costs no I/O) */
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
			  getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	struct pmfs_mkfs_opts o = { .inodes = inodes, .label = "unit" };
	int fd;

	memset(t, 0, sizeof(*t));
	snprintf(t->path, sizeof(t->path), "%s/pmemfs-unit-XXXXXX", dir);
	fd = mkstemp(t->path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
	assert_int_equal(pm_media_open(t->path, &t->m), 0);
	if (!kind_printed++)
		printf("# media: %s (%s)\n", pm_kind_name(t->m->kind), t->path);
	assert_int_equal(pmfs_mkfs(t->m, &o), 0);
	tfs_mount(t);
}

void tfs_mount(struct tfs *t)
{
	char err[256];
	int ret = pmfs_mount(t->m, 0, &t->fs, err, sizeof(err));

	if (ret)
		printf("# mount: %d %s\n", ret, err);
	assert_int_equal(ret, 0);
}

void tfs_umount(struct tfs *t)
{
	pmfs_umount(t->fs);
	t->fs = NULL;
}

void tfs_remount(struct tfs *t)
{
	tfs_umount(t);
	tfs_mount(t);
}

void tfs_destroy(struct tfs *t)
{
	if (t->fs)
		tfs_umount(t);
	pm_media_close(t->m);
	unlink(t->path);
}

static void report(void *arg, const char *msg, int fixed)
{
	printf("# fsck: %s%s\n", msg, fixed ? " [fixed]" : "");
	(*(int *)arg)++;
}

int tfs_fsck(struct tfs *t, unsigned int flags)
{
	int n = 0, ret;

	assert_null(t->fs);
	ret = pmfs_fsck(t->m, flags, report, &n);
	if (ret < 0)
		return ret;
	return flags & PMFS_FSCK_REPAIR ? n : ret;
}

uint64_t mkfile(struct pmfs *fs, uint64_t dir, const char *name,
		uint32_t mode)
{
	struct pmfs_new ni = { .mode = mode };
	struct pmfs_attr a;

	assert_int_equal(pmfs_mknod(fs, dir, name, strlen(name), &ni, &a), 0);
	pmfs_iput(fs, a.ino, 1);
	return a.ino;
}

void fill(void *buf, size_t len, uint64_t seed)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		p[i] = (uint8_t)(seed >> 56);
	}
}
