/* SPDX-License-Identifier: BSD-2-Clause */
/* util.h - shared helpers of the pmemfs unit tests */
#ifndef PMEMFS_TEST_UTIL_H
#define PMEMFS_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pmemfs.h"

struct tfs {
	char path[256];
	struct pm_media *m;
	struct pmfs *fs;
};

/* make a temp file of @size, mkfs, mount */
void tfs_make(struct tfs *t, uint64_t size, uint64_t inodes);
void tfs_remount(struct tfs *t);
void tfs_umount(struct tfs *t);
void tfs_mount(struct tfs *t);
void tfs_destroy(struct tfs *t);
/* fsck problems (check only); prints each one */
int tfs_fsck(struct tfs *t, unsigned int flags);
uint64_t mkfile(struct pmfs *fs, uint64_t dir, const char *name,
		uint32_t mode);
void fill(void *buf, size_t len, uint64_t seed);

#endif
