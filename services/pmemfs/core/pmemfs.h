/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pmemfs.h - the pmemfs core: a crash-consistent file system on persistent
 * memory, as a library with no zusd dependency (libpmemfs-core.a).
 *
 * Users: the zusd plugin (services/pmemfs/plugin), mkfs/fsck/stat tools,
 * unit tests, and the crash-state tests. All media writes go through pm.h.
 *
 * Rules of the API:
 *  - every function returns 0 / a count >= 0, or -errno;
 *  - every function is safe to call from many threads at once (locks are
 *    per inode / directory; allocation is per CPU lane);
 *  - DURABILITY: every operation that returns success is durable when it
 *    returns (metadata and data are persistent: pmem makes that cheap), so
 *    pmfs_fsync() only waits for nothing and pmfs_sync() is a fence. A crash
 *    at any point leaves each operation either wholly done or not done at
 *    all (the rename, link, unlink, create, truncate, fallocate, setattr,
 *    xattr, copy_range and the metadata part of a write: size, block map;
 *    a write is split into atomic 2 MiB chunks, a copy_range into 128 MiB
 *    ones, 2 MiB when copied by bytes, fallocate's invisible preallocation
 *    past 512 blocks: FORMAT.md, "What is atomic"), and a file
 *    never shows bytes that were never written to it: new blocks reach a
 *    file's block map only after their data (or zeros) are persistent.
 *    An overwrite of bytes already in the file is not atomic (like every
 *    POSIX file system): after a crash mid-overwrite the range may hold a
 *    mix of old and new bytes, never anything else.
 *  - names are byte strings of 1..PMFS_NAME_MAX bytes without '/' or NUL,
 *    not "." or ".." (callers check; the core refuses with -EINVAL).
 *  - permission checks are the caller's (the kernel's) job; the core keeps
 *    mode/uid/gid as told.
 */
#ifndef PMEMFS_H
#define PMEMFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "pm.h"

#define PMFS_NAME_MAX		255
#define PMFS_SYMLINK_MAX	4095
#define PMFS_XATTR_NAME_MAX	255
#define PMFS_XATTR_SIZE_MAX	65536
#define PMFS_BLOCK_SIZE		4096
#define PMFS_ROOT_INO		1
#define PMFS_LINK_MAX		65000

struct pmfs;

/* ---- format, mount --------------------------------------------------- */

struct pmfs_mkfs_opts {
	uint64_t size;		/* bytes of the media to use (0: all of it) */
	uint64_t inodes;	/* inode count (0: one per 16 KiB) */
	uint32_t lanes;		/* per-CPU journal/allocator lanes (0: 64) */
	uint32_t pad;
	uint8_t uuid[16];	/* all zero: generate one */
	char label[32];		/* NUL-padded */
};

/* Write a new, empty file system (root directory 0755 root:root). */
int pmfs_mkfs(struct pm_media *m, const struct pmfs_mkfs_opts *o);

#define PMFS_MOUNT_RDONLY	(1U << 0)	/* no writes at all, not even
						 * recovery: -EROFS if needed */
/* do not free orphans (allocated inodes with nlink 0) at mount: a
 * re-attached server's kernel may still hold them open; the next mount
 * without the flag frees them */
#define PMFS_MOUNT_KEEP_ORPHANS	(1U << 1)

/*
 * Mount: check the superblocks (fall back to the copy when the primary is
 * bad, repairing it unless read-only), run recovery (replay or discard each
 * journal lane, free orphans: inodes with nlink 0 left by a crash, unless
 * KEEP_ORPHANS), build
 * the DRAM state. On failure writes a one-line reason to @err; on success
 * @err is "" or a warning to log (e.g. the superblock copy was used).
 * Returns 0; -EINVAL (not pmemfs / bad superblock: err says which check);
 * -EUCLEAN (inconsistent, e.g. a committed journal transaction fails its
 * checksum: run fsck.pmemfs); -EROFS; -ENOMEM.
 */
int pmfs_mount(struct pm_media *m, unsigned int flags, struct pmfs **fsp,
	       char *err, size_t errlen);
/* Unmount: everything is already durable; frees DRAM state. */
void pmfs_umount(struct pmfs *fs);

/* Identity of the file system (superblock uuid): a restarted server
 * proves with it that it serves the same file system. */
void pmfs_uuid(const struct pmfs *fs, uint8_t uuid[16]);

/* ---- inodes ------------------------------------------------------------ */

struct pmfs_attr {
	uint64_t ino;
	uint64_t generation;
	uint32_t mode;
	uint32_t nlink;
	uint32_t uid;
	uint32_t gid;
	uint64_t rdev;
	uint64_t size;
	uint64_t blocks;	/* 512-byte units allocated */
	struct timespec atime;
	struct timespec mtime;
	struct timespec ctime;
};

/* One extended attribute of a new inode (stored atomically with it). */
struct pmfs_xattr {
	const char *name;
	const void *value;
	size_t size;
};

struct pmfs_new {
	uint32_t mode;		/* type and permission bits */
	uint32_t uid;
	uint32_t gid;
	uint32_t nr_xattrs;
	uint64_t rdev;
	const struct pmfs_xattr *xattrs;
};

#define PMFS_SET_MODE		(1U << 0)
#define PMFS_SET_UID		(1U << 1)
#define PMFS_SET_GID		(1U << 2)
#define PMFS_SET_SIZE		(1U << 3)
#define PMFS_SET_ATIME		(1U << 4)
#define PMFS_SET_MTIME		(1U << 5)
#define PMFS_SET_CTIME		(1U << 6)
#define PMFS_SET_ATIME_NOW	(1U << 7)
#define PMFS_SET_MTIME_NOW	(1U << 8)

struct pmfs_setattr {
	uint32_t valid;
	uint32_t mode;		/* permission bits (07777) */
	uint32_t uid;
	uint32_t gid;
	uint64_t size;
	struct timespec atime;
	struct timespec mtime;
	struct timespec ctime;
};

/*
 * References. The core frees an inode when its nlink is 0 and nobody
 * holds a reference. lookup, the create family, link and pmfs_iget take
 * one reference; pmfs_iput(n) drops n. Unlinked inodes still referenced
 * are on the persistent orphan list, freed by the last iput or by the next
 * mount's recovery.
 */
int pmfs_iget(struct pmfs *fs, uint64_t ino);
void pmfs_iput(struct pmfs *fs, uint64_t ino, uint64_t n);

int pmfs_lookup(struct pmfs *fs, uint64_t dir, const char *name,
		size_t namelen, struct pmfs_attr *attr);
int pmfs_getattr(struct pmfs *fs, uint64_t ino, struct pmfs_attr *attr);
/* SIZE truncates or extends (sparse); ctime is set to now. */
int pmfs_setattr(struct pmfs *fs, uint64_t ino, const struct pmfs_setattr *sa,
		 struct pmfs_attr *attr);
/* Any type but S_IFLNK (pmfs_symlink): regular, dir, chr, blk, fifo, sock */
int pmfs_mknod(struct pmfs *fs, uint64_t dir, const char *name,
	       size_t namelen, const struct pmfs_new *ni,
	       struct pmfs_attr *attr);
int pmfs_symlink(struct pmfs *fs, uint64_t dir, const char *name,
		 size_t namelen, const char *target, size_t targetlen,
		 const struct pmfs_new *ni, struct pmfs_attr *attr);
ssize_t pmfs_readlink(struct pmfs *fs, uint64_t ino, char *buf, size_t size);
int pmfs_link(struct pmfs *fs, uint64_t ino, uint64_t newdir,
	      const char *name, size_t namelen, struct pmfs_attr *attr);
int pmfs_unlink(struct pmfs *fs, uint64_t dir, const char *name,
		size_t namelen);
int pmfs_rmdir(struct pmfs *fs, uint64_t dir, const char *name,
	       size_t namelen);

#define PMFS_RENAME_NOREPLACE	(1U << 0)
#define PMFS_RENAME_EXCHANGE	(1U << 1)
int pmfs_rename(struct pmfs *fs, uint64_t olddir, const char *oldname,
		size_t oldlen, uint64_t newdir, const char *newname,
		size_t newlen, unsigned int flags);
/* O_TMPFILE: nlink 0, on the orphan list until linked or put. */
int pmfs_tmpfile(struct pmfs *fs, uint64_t dir, const struct pmfs_new *ni,
		 struct pmfs_attr *attr);

/* ---- directories -------------------------------------------------------- */

#define PMFS_DIR_COOKIE_FIRST	3
#define PMFS_DIR_EOF		1

/* Return 0 to go on, non-zero to stop (the entry was not taken). */
typedef int (*pmfs_dir_fn)(void *arg, const char *name, size_t namelen,
			   uint64_t ino, unsigned int dtype, uint64_t cookie);
/*
 * Entries after @cookie (< PMFS_DIR_COOKIE_FIRST: from the start), without
 * "." and "..". Cookies grow and stay valid while the directory changes.
 * Returns PMFS_DIR_EOF, 0 when fn stopped it, -ENOTDIR.
 */
int pmfs_readdir(struct pmfs *fs, uint64_t dir, uint64_t cookie,
		 pmfs_dir_fn fn, void *arg);

/* ---- data ------------------------------------------------------------- */

/* Holes read as zeros; @buf may be the application's buffer (zero copy). */
ssize_t pmfs_read(struct pmfs *fs, uint64_t ino, void *buf, size_t len,
		  uint64_t off);
#define PMFS_WRITE_APPEND	(1U << 0)
ssize_t pmfs_write(struct pmfs *fs, uint64_t ino, const void *buf,
		   size_t len, uint64_t off, unsigned int flags);

#define PMFS_FALLOC_KEEP_SIZE	0x01
#define PMFS_FALLOC_PUNCH_HOLE	0x02
#define PMFS_FALLOC_ZERO_RANGE	0x10
int pmfs_fallocate(struct pmfs *fs, uint64_t ino, unsigned int mode,
		   uint64_t off, uint64_t len);

#define PMFS_SEEK_DATA		3
#define PMFS_SEEK_HOLE		4
int64_t pmfs_lseek(struct pmfs *fs, uint64_t ino, uint64_t off, int whence);

/* Shares whole aligned blocks (reference-counted extents) and copies the
 * unaligned head and tail, in one transaction. Ranges never overlap. */
ssize_t pmfs_copy_range(struct pmfs *fs, uint64_t ino_in, uint64_t off_in,
			uint64_t ino_out, uint64_t off_out, size_t len);

int pmfs_fsync(struct pmfs *fs, uint64_t ino, int datasync);
int pmfs_sync(struct pmfs *fs);

/* ---- extended attributes -------------------------------------------- */

#define PMFS_XATTR_CREATE	1
#define PMFS_XATTR_REPLACE	2
ssize_t pmfs_getxattr(struct pmfs *fs, uint64_t ino, const char *name,
		      void *buf, size_t size);
int pmfs_setxattr(struct pmfs *fs, uint64_t ino, const char *name,
		  const void *value, size_t size, unsigned int flags);
ssize_t pmfs_listxattr(struct pmfs *fs, uint64_t ino, char *buf,
		       size_t size);
int pmfs_removexattr(struct pmfs *fs, uint64_t ino, const char *name);

/* ---- state, check ----------------------------------------------------- */

struct pmfs_stat {
	uint64_t blocks;	/* data blocks in total */
	uint64_t bfree;
	uint64_t inodes;
	uint64_t ifree;
	uint64_t orphans;
	uint32_t block_size;
	uint32_t lanes;
	uint64_t lane_free[64];	/* free blocks per allocator lane */
	uint64_t journal_commits;	/* since mount */
	uint64_t journal_replayed;	/* transactions recovery replayed */
	uint8_t uuid[16];
	char label[32];
	uint32_t version;
	uint32_t features;
};
int pmfs_statfs(struct pmfs *fs, struct pmfs_stat *st);

#define PMFS_FSCK_REPAIR	(1U << 0)	/* fix what can be fixed */

/* Called for each problem found (and whether it was fixed). */
typedef void (*pmfs_report_fn)(void *arg, const char *msg, int fixed);
/*
 * Check an unmounted file system: superblocks, checksums of every object,
 * the allocator against the block maps (no block used twice unless a
 * shared extent says so, no leak), link counts against directory entries,
 * directory indexes, the orphan list, the journal. Returns the number of
 * problems left unfixed (0: clean), or -errno (-EINVAL: not pmemfs).
 */
int pmfs_fsck(struct pm_media *m, unsigned int flags, pmfs_report_fn report,
	      void *arg);

#endif /* PMEMFS_H */
