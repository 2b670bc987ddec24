// SPDX-License-Identifier: BSD-2-Clause
/*
 * data.c - pmemfs.so: readdir, read, write, fallocate, lseek,
 * copy_range.
 *
 * read and write hand the core the application's buffer (zufs: the
 * worker's ucchan window): the core copies between it and the media, so
 * a read is one copy and a write one non-temporal store, durable when it
 * returns. fsync therefore has nothing left to write (no fsync op: entry.c).
 */
#include <errno.h>

#include "pmemfs_plugin.h"

_Static_assert(PMFS_DIR_COOKIE_FIRST == ZUS_DIR_COOKIE_FIRST &&
	       PMFS_DIR_EOF == ZUS_DIR_EOF, "readdir constants");
_Static_assert(ZUS_FALLOC_KEEP_SIZE == PMFS_FALLOC_KEEP_SIZE &&
	       ZUS_FALLOC_PUNCH_HOLE == PMFS_FALLOC_PUNCH_HOLE &&
	       ZUS_FALLOC_ZERO_RANGE == PMFS_FALLOC_ZERO_RANGE,
	       "fallocate modes");
_Static_assert(ZUS_SEEK_DATA == PMFS_SEEK_DATA &&
	       ZUS_SEEK_HOLE == PMFS_SEEK_HOLE, "lseek whence");

struct emit {
	struct zus_dir_ctx *dctx;
	int err;		/* dir_emit's error, if any */
};

/* The core's callback: one entry to the host's reply. */
static int emit_one(void *arg, const char *name, size_t namelen,
		    uint64_t ino, unsigned int dtype, uint64_t cookie)
{
	struct emit *e = arg;
	int r = pmp_host->dir_emit(e->dctx, name, namelen, ino, dtype, cookie);

	if (r < 0)
		e->err = r;
	return r != 0;		/* full (1) or an error: stop */
}

int pmp_readdir(const struct zus_ctx *ctx, zus_ino_t dir, uint64_t cookie,
		struct zus_dir_ctx *dctx)
{
	struct emit e = { .dctx = dctx };
	int r = pmfs_readdir(PFS(ctx), dir, cookie, emit_one, &e);

	if (r == 0 && e.err)
		return e.err;
	return (int)pmp_ret(r);
}

ssize_t pmp_read(const struct zus_ctx *ctx, zus_ino_t ino, void *buf,
		 size_t len, uint64_t off)
{
	return pmp_ret(pmfs_read(PFS(ctx), ino, buf, len, off));
}

ssize_t pmp_write(const struct zus_ctx *ctx, zus_ino_t ino, const void *buf,
		  size_t len, uint64_t off, unsigned int flags)
{
	PMP_RO_CHECK(ctx);
	return pmp_ret(pmfs_write(PFS(ctx), ino, buf, len, off,
			  (flags & ZUS_WRITE_APPEND) ? PMFS_WRITE_APPEND : 0));
}

int pmp_fallocate(const struct zus_ctx *ctx, zus_ino_t ino,
		  unsigned int mode, uint64_t off, uint64_t len)
{
	const unsigned int known = ZUS_FALLOC_KEEP_SIZE |
				   ZUS_FALLOC_PUNCH_HOLE |
				   ZUS_FALLOC_ZERO_RANGE;

	PMP_RO_CHECK(ctx);
	if (mode & ~known)
		return -EOPNOTSUPP;
	return pmp_ret(pmfs_fallocate(PFS(ctx), ino, mode, off, len));
}

int64_t pmp_lseek(const struct zus_ctx *ctx, zus_ino_t ino, uint64_t off,
		  int whence)
{
	if (whence != ZUS_SEEK_DATA && whence != ZUS_SEEK_HOLE)
		return -EINVAL;
	return pmp_ret(pmfs_lseek(PFS(ctx), ino, off, whence));
}

ssize_t pmp_copy_range(const struct zus_ctx *ctx, zus_ino_t ino_in,
		       uint64_t fh_in, uint64_t off_in, zus_ino_t ino_out,
		       uint64_t off_out, size_t len)
{
	(void)fh_in;
	PMP_RO_CHECK(ctx);
	return pmp_ret(pmfs_copy_range(PFS(ctx), ino_in, off_in, ino_out,
				       off_out, len));
}
