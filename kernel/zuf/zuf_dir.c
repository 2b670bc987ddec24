// SPDX-License-Identifier: GPL-2.0
/*
 * zuf - directories: open/release (per-open handles, protocol 1.2), fsync
 * and reading them. The position (ctx->pos) is the server's
 * cookie of the next entry: 0 and 1 are "." and "..", 2 is the first
 * server entry (cookie 0 in the request), else a cookie >=
 * ZUFS_DIR_COOKIE_FIRST the server chose so that it stays valid while
 * the directory changes.
 *
 * A server must make progress: every record's cookie is greater than the
 * position it follows, so a readdir call that does not end the directory
 * always emits at least one new entry and a reply that repeats entries
 * (or never says EOF with the same cookie) is -EIO instead of an endless
 * loop for getdents and for in-kernel callers (overlayfs, nfsd).
 *
 * Every open directory has a struct zuf_file (the OPENDIR handle where the
 * server gives one), which remembers where the server said EOF: the
 * getdents that would only find the end again is answered without a call
 * (a small directory costs one READDIR, not two). An entry made after that
 * is seen once the directory is read again from a seek (rewinddir,
 * seekdir) or a new open: POSIX leaves it unspecified whether readdir
 * shows a file added after opendir or rewinddir.
 */
#include <linux/bvec.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/uio.h>

#include "zuf_i.h"

/*
 * The reply buffer of READDIR: whole zeroed pages, which ucchan shows the
 * server as they are (referenced, not bounced: a kmalloc buffer would be
 * copied into fresh pages and back). One page first, so a small directory
 * costs what it did; once a reply filled it and the caller still has room,
 * one 64 KiB compound allocation (read in place) for the calls that
 * follow: `ls` of 1000 entries takes 3 calls (4 KiB, 64 KiB, then the one
 * that finds the end) instead of 9. When that allocation fails the page
 * goes on.
 */
#define ZUF_READDIR_BIG_ORDER	get_order(SZ_64K)

struct zuf_rdbuf {
	struct page *page;
	unsigned int order;
};

static int zuf_rdbuf_alloc(struct zuf_rdbuf *rb, unsigned int order)
{
	gfp_t gfp = GFP_KERNEL | __GFP_ZERO;
	struct page *page;

	if (order)
		gfp |= __GFP_COMP | __GFP_NOWARN | __GFP_NORETRY;
	page = alloc_pages(gfp, order);
	if (!page)
		return -ENOMEM;
	if (rb->page)
		__free_pages(rb->page, rb->order);
	rb->page = page;
	rb->order = order;
	return 0;
}

static bool zuf_dirent_type_ok(u32 type)
{
	switch (type) {
	case DT_UNKNOWN: case DT_FIFO: case DT_CHR: case DT_DIR:
	case DT_BLK: case DT_REG: case DT_LNK: case DT_SOCK:
		return true;
	}
	return false;
}

/*
 * Emit the records of one reply, which answered a request from cookie.
 * Returns 1 when the caller's buffer is full, 0 when all were emitted,
 * -EIO for a bad record (nothing after it is used).
 */
static int zuf_emit_records(struct zuf_sb_info *sbi, struct inode *dir,
			    struct dir_context *ctx, u64 cookie,
			    const char *buf, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		const struct zufs_dirent *d = (const void *)(buf + pos);
		size_t reclen;

		if (len - pos < ZUFS_DIRENT_NAME_OFFSET)
			goto bad;
		reclen = ZUFS_DIRENT_SIZE(d);
		if (d->namelen > ZUFS_NAME_MAX || reclen > len - pos ||
		    !zuf_name_ok(d->name, d->namelen) || !d->ino ||
		    !zuf_dirent_type_ok(d->type) ||
		    d->off < ZUFS_DIR_COOKIE_FIRST || d->off > S64_MAX)
			goto bad;
		if (d->off <= cookie) {
			pr_warn_ratelimited("zufs: sb %llu: readdir of directory %lu goes back (cookie %llu after %llu)\n",
					    sbi->sb_id, dir->i_ino, d->off,
					    cookie);
			return -EIO;
		}
		if (!dir_emit(ctx, d->name, d->namelen, d->ino, d->type))
			return 1;
		ctx->pos = d->off;
		cookie = d->off;
		pos += reclen;
	}
	return 0;
bad:
	pr_warn_ratelimited("zufs: sb %llu: bad readdir record at byte %zu\n",
			    sbi->sb_id, pos);
	return -EIO;
}

static int zuf_readdir(struct file *file, struct dir_context *ctx)
{
	struct inode *dir = file_inode(file);
	struct zuf_sb_info *sbi = ZUF_SB(dir->i_sb);
	struct zuf_file *zf = file->private_data;
	struct zufs_readdir_in in = { .fh = zuf_fh(file) };
	struct zufs_readdir_out out;
	struct zuf_rdbuf rb = { };
	struct ucchan_kbuf kbuf;
	struct iov_iter iter;
	struct bio_vec bv;
	struct zuf_args args = {
		.opcode = ZUFS_OP_READDIR,
		.ino = dir->i_ino,
		.in = &in,
		.out = &out,
		.bufs = &kbuf,
		.nr_bufs = 1,
	};
	size_t size;
	int err = 0;

	if (zuf_file_stale(file))
		return -EIO;
	if (!dir_emit_dots(file, ctx))
		return 0;
	if (ctx->pos > 2 && ctx->pos < ZUFS_DIR_COOKIE_FIRST)
		return -EINVAL;
	if (READ_ONCE(zf->dir_eof) == ctx->pos)
		return 0;
	if (zuf_rdbuf_alloc(&rb, 0))
		return -ENOMEM;
	for (;;) {
		/* each turn emitted one entry at least: stop for the killed */
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		size = PAGE_SIZE << rb.order;
		in.cookie = ctx->pos == 2 ? 0 : ctx->pos;
		in.size = size;
		bvec_set_page(&bv, rb.page, size, 0);
		iov_iter_bvec(&iter, ITER_DEST, &bv, 1, size);
		kbuf.iter = &iter;
		kbuf.len = size;
		kbuf.flags = UCCHAN_BUF_WRITE;
		err = zuf_call(sbi, &args);
		if (err)
			break;
		if (out.len > size || (out.flags & ~ZUFS_READDIR_EOF)) {
			err = -EIO;
			break;
		}
		err = zuf_emit_records(sbi, dir, ctx, in.cookie,
				       page_address(rb.page), out.len);
		if (err) {
			if (err > 0)
				err = 0;
			break;
		}
		if (!out.len || (out.flags & ZUFS_READDIR_EOF)) {
			/* every record went to the caller: the end is here */
			WRITE_ONCE(zf->dir_eof, ctx->pos);
			break;
		}
		/* more to read, and room for it: a big buffer from now on */
		if (!rb.order)
			zuf_rdbuf_alloc(&rb, ZUF_READDIR_BIG_ORDER);
	}
	__free_pages(rb.page, rb.order);
	return err;
}

/*
 * Per-open state of directories (protocol 1.2, ZUFS_CAP_OPEN): OPENDIR
 * gives the handle READDIR and FSYNCDIR carry, RELEASEDIR drops it. A 1.1
 * server (or one that answers OPENDIR -ENOSYS) gets neither: fh is 0 and
 * the struct zuf_file only remembers the EOF position.
 */
static int zuf_dir_open(struct inode *inode, struct file *file)
{
	struct zuf_sb_info *sbi = ZUF_SB(inode->i_sb);
	struct zuf_file *zf;
	int err;

	zf = kzalloc(sizeof(*zf), GFP_KERNEL);
	if (!zf)
		return -ENOMEM;
	if (zuf_open_op(sbi, ZUFS_OP_OPENDIR)) {
		err = zuf_open_handle(inode, file, ZUFS_OP_OPENDIR, zf);
		if (err) {
			kfree(zf);
			return err;
		}
	}
	file->private_data = zf;
	return 0;
}

/* a seek (rewinddir, seekdir) reads the directory from the server again */
static loff_t zuf_dir_llseek(struct file *file, loff_t offset, int whence)
{
	struct zuf_file *zf = file->private_data;

	WRITE_ONCE(zf->dir_eof, 0);
	return generic_file_llseek(file, offset, whence);
}

static int zuf_dir_release(struct inode *inode, struct file *file)
{
	struct zuf_file *zf = file->private_data;

	if (zf && zf->opened && !zuf_file_stale(file))
		zuf_release_fh(ZUF_SB(inode->i_sb), inode->i_ino,
			       ZUFS_OP_RELEASEDIR, zf->fh);
	kfree(zf);
	return 0;
}

/* fsync(2) of a directory: FSYNCDIR in 1.2, else (and after -ENOSYS) FSYNC */
static int zuf_dir_fsync(struct file *file, loff_t start, loff_t end,
			 int datasync)
{
	struct inode *inode = file_inode(file);
	struct zuf_sb_info *sbi = ZUF_SB(inode->i_sb);
	struct zufs_fsync_in in = {
		.fh = zuf_fh(file),
		.datasync = !!datasync,
	};
	struct zuf_args args = {
		.opcode = ZUFS_OP_FSYNCDIR,
		.ino = inode->i_ino,
		.in = &in,
	};
	int err;

	if (zuf_file_stale(file))
		return -EIO;
	if (zuf_open_op(sbi, ZUFS_OP_FSYNCDIR)) {
		err = zuf_call(sbi, &args);
		if (err != -EOPNOTSUPP || !zuf_no_op(sbi, ZUFS_OP_FSYNCDIR))
			return err;
	}
	return zuf_fsync(file, start, end, datasync);
}

const struct file_operations zuf_dir_ops = {
	.open		= zuf_dir_open,
	.release	= zuf_dir_release,
	.llseek		= zuf_dir_llseek,
	.read		= generic_read_dir,
	.iterate_shared	= zuf_readdir,
	.fsync		= zuf_dir_fsync,
};
