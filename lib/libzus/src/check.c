// SPDX-License-Identifier: BSD-2-Clause
/*
 * check.c - what a plugin returns is checked here, the same way for every
 * transport: a buggy plugin gets -EIO (and a log line) on zufs and on
 * FUSE alike, and never hands the kernel a malformed inode, name or entry.
 */
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "zus_i.h"

bool zus_errno_ok(int64_t ret)
{
	return ret >= -ZUS_MAX_ERRNO;
}

bool zus_type_valid(uint32_t type)
{
	switch (type) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR:
	case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		return true;
	}
	return false;
}

bool zus_dt_valid(unsigned int type)
{
	switch (type) {
	case ZUS_DT_UNKNOWN: case ZUS_DT_FIFO: case ZUS_DT_CHR:
	case ZUS_DT_DIR: case ZUS_DT_BLK: case ZUS_DT_REG:
	case ZUS_DT_LNK: case ZUS_DT_SOCK:
		return true;
	}
	return false;
}

bool zus_name_valid(const char *name, size_t namelen)
{
	if (!name || !namelen || namelen > ZUS_NAME_MAX)
		return false;
	if (memchr(name, '/', namelen) || memchr(name, '\0', namelen))
		return false;
	return !(name[0] == '.' &&
		 (namelen == 1 || (namelen == 2 && name[1] == '.')));
}

static bool ts_valid(const struct timespec *ts)
{
	return ts->tv_nsec >= 0 && ts->tv_nsec < ZUS_NSEC_PER_SEC;
}

const char *zus_attr_invalid(const struct zus_attr *a, zus_ino_t want_ino,
			     uint32_t want_type)
{
	uint32_t type = a->mode & S_IFMT;

	if (!a->ino)
		return "inode number 0";
	if (want_ino && a->ino != want_ino)
		return "attributes of another inode";
	if (a->mode & ~(uint32_t)(S_IFMT | 07777))
		return "mode bits beyond S_IFMT|07777";
	if (!zus_type_valid(type))
		return "invalid file type";
	if (want_type && type != want_type)
		return "wrong file type";
	if (!ts_valid(&a->atime) || !ts_valid(&a->mtime) ||
	    !ts_valid(&a->ctime))
		return "nanoseconds out of range";
	if (a->size > ZUS_MAX_FILE_SIZE)
		return "size beyond 2^63-1";
	if ((type == S_IFCHR || type == S_IFBLK) &&
	    (major(a->rdev) >= (1U << 12) || minor(a->rdev) >= (1U << 20)))
		return "device number beyond 12:20 bits";
	return NULL;
}
