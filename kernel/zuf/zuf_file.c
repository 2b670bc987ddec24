// SPDX-License-Identifier: GPL-2.0
/*
 * zuf - regular files: open/flush/release, read/write straight to the server
 * (the application's pages are handed to the server as a ucchan buffer:
 * zero copy), fsync, fallocate, SEEK_DATA/SEEK_HOLE, copy_file_range.
 *
 * File data are not cached: the page cache only holds pages of shared
 * mmaps (zuf_mmap.c). read and write keep it coherent the way direct I/O
 * does: dirty pages in the range are written back first, and a write
 * invalidates the cached pages it covers.
 */
#include <linux/fs.h>
#include <linux/falloc.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/splice.h>
#include <linux/uio.h>

#include "zuf_i.h"

/**
 * zuf_release_fh() - tell the server an open handle is gone
 * @sbi:    the superblock
 * @ino:    the file or directory
 * @opcode: ZUFS_OP_RELEASE or ZUFS_OP_RELEASEDIR
 * @fh:     the server's handle
 *
 * Bounded wait (unmount and exiting processes close files); the reply
 * is ignored.
 */
void zuf_release_fh(struct zuf_sb_info *sbi, u64 ino, u32 opcode, u64 fh)
{
	struct zufs_release_in in = { .fh = fh };
	struct zuf_args args = {
		.opcode = opcode,
		.ino = ino,
		.in = &in,
		.teardown = true,
	};

	zuf_call(sbi, &args);
}

/**
 * zuf_open_handle() - OPEN or OPENDIR: the server's handle for a new open
 * @inode:  the file or directory
 * @file:   the open file
 * @opcode: ZUFS_OP_OPEN or ZUFS_OP_OPENDIR
 * @zf:     filled in (fh, opened)
 *
 * Return: 0 (also when the server does not implement @opcode: then the
 * file has no handle), or -errno. A reply the kernel cannot use is
 * released at once.
 */
int zuf_open_handle(struct inode *inode, struct file *file, u32 opcode,
		    struct zuf_file *zf)
{
	struct zuf_sb_info *sbi = ZUF_SB(inode->i_sb);
	struct zufs_open_in in = {
		.flags = file->f_flags & ~ZUF_OPEN_FLAGS_STRIP,
	};
	struct zufs_open_out out;
	struct zuf_args args = {
		.opcode = opcode,
		.ino = inode->i_ino,
		.in = &in,
		.out = &out,
	};
	int err;

	err = zuf_call(sbi, &args);
	if (err)
		return zuf_no_op(sbi, opcode) ? 0 : err;
	if (out.reserved) {
		pr_warn_ratelimited("zufs: sb %llu: %s of inode %lu: reserved field set\n",
				    sbi->sb_id, zuf_op_name(opcode),
				    inode->i_ino);
		zuf_release_fh(sbi, inode->i_ino,
			       opcode == ZUFS_OP_OPEN ? ZUFS_OP_RELEASE :
			       ZUFS_OP_RELEASEDIR, out.fh);
		return -EIO;
	}
	zf->fh = out.fh;
	zf->epoch = READ_ONCE(sbi->epoch);
	zf->opened = true;
	return 0;
}

static int zuf_open(struct inode *inode, struct file *file)
{
	struct zuf_sb_info *sbi = ZUF_SB(inode->i_sb);
	struct zuf_file *zf;
	int err;

	if (READ_ONCE(sbi->dead))
		return -EIO;
	zf = kzalloc(sizeof(*zf), GFP_KERNEL);
	if (!zf)
		return -ENOMEM;
	if (zuf_has(sbi, ZUFS_CAP_OPEN) && !zuf_no_op(sbi, ZUFS_OP_OPEN)) {
		err = zuf_open_handle(inode, file, ZUFS_OP_OPEN, zf);
		if (err) {
			kfree(zf);
			return err;
		}
	}
	file->private_data = zf;
	file->f_mode |= FMODE_CAN_ODIRECT;
	return 0;
}

/**
 * zuf_open_created() - the open callback of a file CREATE opened
 * @inode: the new file
 * @file:  its open file; private_data is already the handle of CREATE
 *
 * Return: 0.
 */
int zuf_open_created(struct inode *inode, struct file *file)
{
	file->f_mode |= FMODE_CAN_ODIRECT;
	return 0;
}

static int zuf_release(struct inode *inode, struct file *file)
{
	struct zuf_sb_info *sbi = ZUF_SB(inode->i_sb);
	struct zuf_file *zf = file->private_data;

	/* the last user of a shared mapping is gone: write it back */
	if (inode->i_mapping->nrpages)
		filemap_write_and_wait(inode->i_mapping);
	if (zf && zf->opened && !zuf_file_stale(file))
		zuf_release_fh(sbi, inode->i_ino, ZUFS_OP_RELEASE, zf->fh);
	kfree(zf);
	return 0;
}

/*
 * close(2) of a descriptor (protocol 1.2): FLUSH, whose status is what
 * close returns. Not for closes inside the kernel (no file table) or by
 * kernel threads: nobody would see the error.
 */
static int zuf_flush(struct file *file, fl_owner_t id)
{
	struct inode *inode = file_inode(file);
	struct zuf_sb_info *sbi = ZUF_SB(inode->i_sb);
	struct zufs_flush_in in = { .fh = zuf_fh(file) };
	struct zuf_args args = {
		.opcode = ZUFS_OP_FLUSH,
		.ino = inode->i_ino,
		.in = &in,
	};
	int err;

	if (!id || (current->flags & PF_KTHREAD) || zuf_file_stale(file) ||
	    !zuf_open_op(sbi, ZUFS_OP_FLUSH))
		return 0;
	err = zuf_call(sbi, &args);
	if (err == -EOPNOTSUPP && zuf_no_op(sbi, ZUFS_OP_FLUSH))
		return 0;
	return err;
}

/*
 * Bytes of the next call: at most max_io, and for a user iovec at most
 * its current segment, so that the server sees the application's own
 * pages (ucchan bounces an iterator that a buffer would have to split) -
 * unless more of the iovec fits in the service's copy area: ucchan copies
 * such a buffer whatever its segments, so one call carries what would
 * take one per segment (a readv of 8 small segments: 1 call, not 8).
 */
static size_t zuf_io_chunk(struct zuf_sb_info *sbi, struct iov_iter *iter,
			   size_t left)
{
	size_t chunk = min_t(size_t, left, sbi->max_io);

	if (iter_is_iovec(iter)) {
		size_t seg = iov_iter_single_seg_count(iter);
		size_t off = offset_in_page(zuf_iter_addr(iter));
		u32 csize = READ_ONCE(sbi->copy_size);
		size_t copy = csize > off ? csize - off : 0;

		if (seg)
			chunk = min(chunk, max(seg, copy));
	}
	return chunk;
}

/**
 * zuf_io() - READ or WRITE calls for up to @len bytes of @iter at *@pos
 * @inode: the file
 * @fh:    the server's file handle
 * @iter:  the data; advanced by what the server reports
 * @pos:   file position; advanced likewise (for an append, set to where
 *         the data went)
 * @len:   bytes to transfer (<= iov_iter_count(@iter))
 * @write: WRITE, else READ
 * @flags: ZUFS_IO_* and ZUFS_WRITE_APPEND
 *
 * Stops at a short transfer (end of file, out of space).
 * Return: bytes transferred, or -errno if none were.
 */
ssize_t zuf_io(struct inode *inode, u64 fh, struct iov_iter *iter,
	       loff_t *pos, size_t len, bool write, u32 flags)
{
	struct zuf_sb_info *sbi = ZUF_SB(inode->i_sb);
	size_t done = 0;
	int err = 0;

	while (done < len) {
		size_t chunk = zuf_io_chunk(sbi, iter, len - done);
		struct zufs_io_in in = {
			.fh = fh,
			.offset = *pos,
			.len = chunk,
			.flags = flags,
		};
		union {
			struct zufs_read_out r;
			struct zufs_write_out w;
		} out;
		struct ucchan_kbuf kbuf = {
			.iter = iter,
			.len = chunk,
			.flags = write ? UCCHAN_BUF_READ : UCCHAN_BUF_WRITE,
		};
		struct zuf_args args = {
			.opcode = write ? ZUFS_OP_WRITE : ZUFS_OP_READ,
			.ino = inode->i_ino,
			.in = &in,
			.out = &out,
			.bufs = &kbuf,
			.nr_bufs = 1,
			/* a locked folio or one under writeback */
			.bounded = !!(flags & ZUFS_IO_PAGECACHE),
		};
		u64 count, where = *pos;

		err = zuf_call(sbi, &args);
		if (err)
			break;
		count = write ? out.w.count : out.r.count;
		if (count > chunk) {
			err = -EIO;
			break;
		}
		if (write) {
			if (flags & ZUFS_WRITE_APPEND)
				where = out.w.offset;
			if (where != out.w.offset ||
			    where > inode->i_sb->s_maxbytes - count) {
				err = -EIO;
				break;
			}
			/*
			 * Page-cache writeback (ZUFS_IO_PAGECACHE) runs
			 * without i_rwsem: replies of concurrent WRITEs, and
			 * of a write(2) or truncate meanwhile, may arrive in
			 * any order, so the size (and times) of this reply
			 * may be older than the inode's. Such a WRITE never
			 * extends the file (it stops at i_size), so the
			 * kernel's size stays right; the other attributes
			 * are marked stale and the next stat asks GETATTR.
			 */
			if (flags & ZUFS_IO_PAGECACHE)
				zuf_attr_stale(inode);
			else
				err = zuf_take_attr(inode, &out.w.attr);
			if (err)
				break;
		}
		iov_iter_advance(iter, count);
		*pos = where + count;
		done += count;
		if (count < chunk)
			break;
	}
	if (err && write)
		zuf_attr_stale(inode);
	return done ? done : err;
}

/* ucchan maps user memory, kvecs and bvecs; anything else is bounced */
static bool zuf_iter_mappable(const struct iov_iter *iter)
{
	return user_backed_iter(iter) || iov_iter_is_kvec(iter) ||
		iov_iter_is_bvec(iter);
}

#define ZUF_BOUNCE_MAX	(64U << 10)

/*
 * zuf_io() through a kernel buffer, for iterators ucchan cannot show a
 * server (the ITER_PIPE of splice before 6.5, xarray or folio queues).
 * Same contract as zuf_io().
 */
static ssize_t zuf_io_bounce(struct inode *inode, u64 fh,
			     struct iov_iter *iter, loff_t *pos, size_t len,
			     bool write, u32 flags)
{
	size_t bsize = min_t(size_t, len, ZUF_BOUNCE_MAX);
	size_t done = 0;
	ssize_t ret = 0;
	void *buf;

	buf = kvmalloc(bsize, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	while (done < len) {
		size_t chunk = min(bsize, len - done);
		struct kvec kv = { .iov_base = buf, .iov_len = chunk };
		struct iov_iter kiter;

		if (write && copy_from_iter(buf, chunk, iter) != chunk) {
			ret = -EFAULT;
			break;
		}
		iov_iter_kvec(&kiter, write ? ITER_SOURCE : ITER_DEST, &kv, 1,
			      chunk);
		ret = zuf_io(inode, fh, &kiter, pos, chunk, write, flags);
		if (write && ret < (ssize_t)chunk)
			iov_iter_revert(iter, chunk - max_t(ssize_t, ret, 0));
		if (ret <= 0)
			break;
		if (!write && copy_to_iter(buf, ret, iter) != ret) {
			ret = -EFAULT;
			break;
		}
		done += ret;
		if (ret < chunk)
			break;
	}
	kvfree(buf);
	return done ? done : ret;
}

/**
 * zuf_drop_pages() - drop the cached pages of bytes the server changed
 * @inode:  the file
 * @start:  first byte changed
 * @end:    last byte changed (inclusive)
 * @locked: the caller holds the invalidate lock exclusive
 *
 * After a write(2), copy_file_range or fallocate, the pages of the range
 * that are cached hold the old bytes: they are unmapped and removed, so
 * the next fault reads them again. invalidate_inode_pages2_range() keeps
 * a page that is dirty; a dirty page here was written through a shared
 * mapping while the server changed the bytes (write(2) cannot hold the
 * invalidate lock: its buffer may be a mapping of this very file, whose
 * faults take it). Writing it back would put the old bytes around the
 * mapped write back on the server; so it is dropped, and the loss of the
 * mapped write is reported as -EIO to the next fsync/msync, as the
 * kernel's direct I/O does for stale page cache.
 */
static void zuf_drop_pages(struct inode *inode, loff_t start, loff_t end,
			   bool locked)
{
	struct address_space *mapping = inode->i_mapping;
	pgoff_t first = start >> PAGE_SHIFT, last = end >> PAGE_SHIFT;
	loff_t lstart = (loff_t)first << PAGE_SHIFT;
	loff_t lend = ((loff_t)(last + 1) << PAGE_SHIFT) - 1;

	if (start > end || !mapping->nrpages)
		return;
	if (!invalidate_inode_pages2_range(mapping, first, last))
		return;
	if (!locked)
		filemap_invalidate_lock(mapping);
	/* no page of the range can be dirtied now: zuf_page_mkwrite waits */
	if (invalidate_inode_pages2_range(mapping, first, last)) {
		pr_warn_ratelimited("zufs: sb %llu: inode %lu: page written through a mapping while the server changed it, dropped\n",
				    ZUF_SB(inode->i_sb)->sb_id, inode->i_ino);
		unmap_mapping_range(mapping, lstart, lend - lstart + 1, 0);
		truncate_inode_pages_range(mapping, lstart, lend);
		mapping_set_error(mapping, -EIO);
	}
	if (!locked)
		filemap_invalidate_unlock(mapping);
}

static ssize_t zuf_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	struct address_space *mapping = file->f_mapping;
	size_t count = iov_iter_count(to);
	u32 flags = 0;
	int err;

	if (zuf_file_stale(file))
		return -EIO;
	if (!count)
		return 0;
	if (iocb->ki_flags & IOCB_DIRECT)
		flags |= ZUFS_IO_DIRECT;
	if (mapping->nrpages) {
		err = filemap_write_and_wait_range(mapping, iocb->ki_pos,
						   iocb->ki_pos + count - 1);
		if (err)
			return err;
	}
	if (!zuf_iter_mappable(to))
		return zuf_io_bounce(file_inode(file), zuf_fh(file), to,
				     &iocb->ki_pos, count, false, flags);
	return zuf_io(file_inode(file), zuf_fh(file), to, &iocb->ki_pos, count,
		      false, flags);
}

static ssize_t zuf_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct inode *inode = file_inode(file);
	struct address_space *mapping = file->f_mapping;
	u32 flags = 0;
	size_t count;
	ssize_t ret;
	loff_t pos;

	if (zuf_file_stale(file))
		return -EIO;
	inode_lock(inode);
	ret = generic_write_checks(iocb, from);
	if (ret <= 0)
		goto out;
	ret = file_remove_privs(file);
	if (ret)
		goto out;
	if (iocb->ki_flags & IOCB_APPEND)
		flags |= ZUFS_WRITE_APPEND;
	if (iocb->ki_flags & IOCB_DIRECT)
		flags |= ZUFS_IO_DIRECT;
	if (iocb->ki_flags & IOCB_DSYNC)
		flags |= ZUFS_IO_SYNC;
	pos = iocb->ki_pos;
	count = iov_iter_count(from);
	if (mapping->nrpages) {
		ret = filemap_write_and_wait_range(mapping, pos,
						   pos + iov_iter_count(from) - 1);
		if (ret)
			goto out;
	}
	if (zuf_iter_mappable(from))
		ret = zuf_io(inode, zuf_fh(file), from, &iocb->ki_pos,
			     iov_iter_count(from), true, flags);
	else
		ret = zuf_io_bounce(inode, zuf_fh(file), from, &iocb->ki_pos,
				    iov_iter_count(from), true, flags);
	/*
	 * Drop the cached pages of what was written: all of the range asked
	 * for, as a failed call may still have written some of it; an
	 * append went where the server put it.
	 */
	if (ret > 0 && iocb->ki_pos - ret < pos)
		pos = iocb->ki_pos - ret;
	zuf_drop_pages(inode, pos, max(iocb->ki_pos, pos + (loff_t)count) - 1,
		       false);
out:
	inode_unlock(inode);
	if (ret > 0)
		ret = generic_write_sync(iocb, ret);
	return ret;
}

int zuf_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	struct inode *inode = file_inode(file);
	struct zufs_fsync_in in = {
		.fh = zuf_fh(file),
		.datasync = !!datasync,
	};
	struct zuf_args args = {
		.opcode = ZUFS_OP_FSYNC,
		.ino = inode->i_ino,
		.in = &in,
	};
	int err;

	if (zuf_file_stale(file))
		return -EIO;
	err = file_write_and_wait_range(file, start, end);
	if (err)
		return err;
	err = zuf_call(ZUF_SB(inode->i_sb), &args);
	if (err && zuf_no_op(ZUF_SB(inode->i_sb), ZUFS_OP_FSYNC))
		err = 0;
	return err;
}

static long zuf_fallocate(struct file *file, int mode, loff_t offset,
			  loff_t len)
{
	struct inode *inode = file_inode(file);
	struct zuf_sb_info *sbi = ZUF_SB(inode->i_sb);
	struct zufs_fallocate_in in = {
		.fh = zuf_fh(file),
		.offset = offset,
		.len = len,
	};
	struct zufs_entry_out out;
	struct zuf_args args = {
		.opcode = ZUFS_OP_FALLOCATE,
		.ino = inode->i_ino,
		.in = &in,
		.out = &out,
	};
	loff_t end = offset + len - 1;
	int err;

	if (zuf_file_stale(file))
		return -EIO;
	if (!zuf_has(sbi, ZUFS_CAP_FALLOCATE))
		return -EOPNOTSUPP;
	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE |
		     FALLOC_FL_ZERO_RANGE))
		return -EOPNOTSUPP;
	if (mode & FALLOC_FL_KEEP_SIZE)
		in.mode |= ZUFS_FALLOC_KEEP_SIZE;
	if (mode & FALLOC_FL_PUNCH_HOLE)
		in.mode |= ZUFS_FALLOC_PUNCH_HOLE;
	if (mode & FALLOC_FL_ZERO_RANGE)
		in.mode |= ZUFS_FALLOC_ZERO_RANGE;

	inode_lock(inode);
	/*
	 * Exclusive invalidate lock: no page of the range is read in or
	 * dirtied through a mapping from the write-back until the cached
	 * pages are zeroed or dropped (zuf_page_mkwrite, filemap_fault).
	 */
	filemap_invalidate_lock(inode->i_mapping);
	if (!(mode & FALLOC_FL_KEEP_SIZE)) {
		err = inode_newsize_ok(inode, offset + len);
		if (err)
			goto out;
	}
	/* also the bytes around the range in its first and last page */
	err = filemap_write_and_wait_range(inode->i_mapping, offset, end);
	if (err)
		goto out;
	err = zuf_call(sbi, &args);
	if (!err)
		err = zuf_take_attr(inode, &out.attr);
	/*
	 * The server zeroed the range (or may have, if the call failed):
	 * zero the partial pages and drop the others, unmapped first.
	 */
	if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE))
		truncate_pagecache_range(inode, offset, end);
out:
	filemap_invalidate_unlock(inode->i_mapping);
	inode_unlock(inode);
	return err;
}

static loff_t zuf_llseek(struct file *file, loff_t offset, int whence)
{
	struct inode *inode = file_inode(file);
	struct zuf_sb_info *sbi = ZUF_SB(inode->i_sb);
	struct zufs_lseek_in in = {
		.fh = zuf_fh(file),
		.offset = offset,
		.whence = whence == SEEK_DATA ? ZUFS_SEEK_DATA : ZUFS_SEEK_HOLE,
	};
	struct zufs_lseek_out out;
	struct zuf_args args = {
		.opcode = ZUFS_OP_LSEEK,
		.ino = inode->i_ino,
		.in = &in,
		.out = &out,
	};
	loff_t size;
	int err;

	if (zuf_file_stale(file) && (whence == SEEK_DATA || whence == SEEK_HOLE))
		return -EIO;
	if ((whence != SEEK_DATA && whence != SEEK_HOLE) ||
	    !zuf_has(sbi, ZUFS_CAP_SEEK_DATA) ||
	    zuf_no_op(sbi, ZUFS_OP_LSEEK))
		return generic_file_llseek(file, offset, whence);

	size = i_size_read(inode);
	if (offset < 0 || offset >= size)
		return -ENXIO;
	err = filemap_write_and_wait(inode->i_mapping);
	if (err)
		return err;
	err = zuf_call(sbi, &args);
	if (err && zuf_no_op(sbi, ZUFS_OP_LSEEK))
		return generic_file_llseek(file, offset, whence);
	if (err)
		return err;
	if (out.offset < offset || out.offset > size ||
	    (whence == SEEK_DATA && out.offset == size))
		return -EIO;
	return vfs_setpos(file, out.offset, inode->i_sb->s_maxbytes);
}

static ssize_t zuf_copy_file_range(struct file *file_in, loff_t pos_in,
				   struct file *file_out, loff_t pos_out,
				   size_t len, unsigned int flags)
{
	struct inode *inode_in = file_inode(file_in);
	struct inode *inode_out = file_inode(file_out);
	struct zuf_sb_info *sbi = ZUF_SB(inode_in->i_sb);
	struct zufs_copy_range_in in = {
		.fh_in = zuf_fh(file_in),
		.off_in = pos_in,
		.ino_out = inode_out->i_ino,
		.fh_out = zuf_fh(file_out),
		.off_out = pos_out,
		.len = len,
	};
	struct zufs_copy_range_out out;
	struct zuf_args args = {
		.opcode = ZUFS_OP_COPY_RANGE,
		.ino = inode_in->i_ino,
		.in = &in,
		.out = &out,
	};
	ssize_t ret;

	if (zuf_file_stale(file_in) || zuf_file_stale(file_out))
		return -EIO;
	if (flags)
		return -EOPNOTSUPP;
	if (!len)
		return 0;
	/* no server side copy: the VFS copies through splice */
	if (inode_in->i_sb != inode_out->i_sb ||
	    !zuf_has(sbi, ZUFS_CAP_COPY_RANGE) ||
	    zuf_no_op(sbi, ZUFS_OP_COPY_RANGE))
		return zuf_splice_copy(file_in, pos_in, file_out, pos_out, len);

	inode_lock(inode_out);
	/* as for fallocate: no page of the destination read in or dirtied */
	filemap_invalidate_lock(inode_out->i_mapping);
	ret = file_remove_privs(file_out);
	if (ret)
		goto out;
	ret = filemap_write_and_wait_range(inode_in->i_mapping, pos_in,
					   pos_in + len - 1);
	if (!ret)
		ret = filemap_write_and_wait_range(inode_out->i_mapping,
						   pos_out, pos_out + len - 1);
	if (ret)
		goto out;
	ret = zuf_call(sbi, &args);
	if (!ret) {
		ret = zuf_take_attr(inode_out, &out.attr);
		if (!ret && out.count > len)
			ret = -EIO;
		if (!ret)
			ret = out.count;
	}
	if (ret < 0)
		zuf_attr_stale(inode_out);
	/*
	 * The destination's cached pages hold the old bytes: drop them
	 * (whole pages; truncate_pagecache_range() would zero the copied
	 * part of the first and last page and keep them).
	 */
	zuf_drop_pages(inode_out, pos_out, pos_out + len - 1, true);
out:
	filemap_invalidate_unlock(inode_out->i_mapping);
	inode_unlock(inode_out);
	if (ret == -EOPNOTSUPP && zuf_no_op(sbi, ZUFS_OP_COPY_RANGE))
		return zuf_splice_copy(file_in, pos_in, file_out, pos_out, len);
	return ret;
}

const struct file_operations zuf_file_ops = {
	.open		= zuf_open,
	.flush		= zuf_flush,
	.release	= zuf_release,
	.llseek		= zuf_llseek,
	.read_iter	= zuf_read_iter,
	.write_iter	= zuf_write_iter,
	.mmap		= zuf_mmap,
	.fsync		= zuf_fsync,
	.fallocate	= zuf_fallocate,
	.copy_file_range = zuf_copy_file_range,
	.splice_write	= iter_file_splice_write,
	.splice_read	= ZUF_SPLICE_READ,
};
