// SPDX-License-Identifier: BSD-2-Clause
/*
 * regress.c - the core bugs the crash tests found, each reduced to a
 * direct check (no crash images needed). See FOUND.md.
 *   leaf-remount  a file with more extents than fit inline (an extent
 *                 index and leaf) must mount again and fsck clean
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "memmedia.h"
#include "pmemfs.h"

#define SIZE (8 << 20)

static void report(void *arg, const char *msg, int fixed)
{
	printf("    fsck: %s%s\n", msg, fixed ? " (fixed)" : "");
}

static int leaf_remount(void)
{
	struct pmfs_mkfs_opts mo = { .lanes = 2 };
	struct pmfs_new ni = { .mode = S_IFREG | 0644 };
	struct pm_media *m = mem_media_new(SIZE);
	struct pmfs_attr at;
	struct pmfs *fs;
	char err[256] = "";
	uint64_t ino;
	int r, i, bad = 0;

	if (!m || pmfs_mkfs(m, &mo) ||
	    pmfs_mount(m, 0, &fs, err, sizeof(err)))
		return printf("  setup failed: %s\n", err), 1;
	r = pmfs_mknod(fs, PMFS_ROOT_INO, "f", 1, &ni, &at);
	if (r)
		return printf("  mknod: %d\n", r), 1;
	ino = at.ino;
	pmfs_iput(fs, ino, 1);
	/* one byte in every other block: 8 extents (inline holds 6) */
	for (i = 0; i < 8; i++)
		if (pmfs_write(fs, ino, "x", 1, (uint64_t)i * 2 * 4096, 0) != 1)
			return printf("  write %d failed\n", i), 1;
	pmfs_umount(fs);
	r = pmfs_mount(m, 0, &fs, err, sizeof(err));
	if (r) {
		printf("  FAIL leaf-remount: mount: %s (%s)\n", strerror(-r),
		       err);
		bad = 1;
	} else {
		pmfs_umount(fs);
	}
	r = pmfs_fsck(m, 0, report, NULL);
	if (r) {
		printf("  FAIL leaf-remount: fsck: %d\n", r);
		bad = 1;
	}
	m->ops->close(m);
	return bad;
}

int main(void)
{
	int bad = 0;

	bad |= leaf_remount();
	printf("regress: %s\n", bad ? "FAIL" : "ok");
	return bad;
}
