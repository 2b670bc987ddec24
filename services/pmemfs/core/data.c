// SPDX-License-Identifier: BSD-2-Clause
/*
 * data.c - file data: read, write, truncate, fallocate, SEEK_DATA/HOLE,
 * copy_range with shared extents, fsync. The multi-step operations
 * (write, fallocate, copy_range) build one transaction while they hold
 * the inode write lock (write_tx) and commit it once.
 *
 * Rules: an overwrite of a mapped, unshared block goes in place (stored
 * and flushed; persistent before the transaction that updates size and
 * mtime). Any other write goes to new blocks, filled (old bytes of a
 * shared block, or zeros, around the new ones), flushed and fenced before
 * the transaction that maps them commits; the old shared blocks lose one
 * reference after the commit (copy on write). Bytes beyond EOF in the last
 * block may be stale: they are zeroed before the size grows over them.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "core_i.h"

#define PMFS_MAX_FILE	(1ULL << 50)
#define CHUNK_BLOCKS	512
#define WRITE_CHUNK	((uint64_t)CHUNK_BLOCKS * BS)	/* 2 MiB */

ssize_t do_read(struct pmfs *fs, struct pinode *pi, void *buf, size_t len,
		uint64_t off)
{
	uint8_t *p = buf;
	size_t done = 0;

	if (off >= pi->d.size)
		return 0;
	if (len > pi->d.size - off)
		len = pi->d.size - off;
	while (done < len) {
		uint64_t pos = off + done, lblk = pos / BS, boff = pos % BS;
		uint64_t run, n;
		struct pmfs_dext e;

		if (emap_lookup(pi, lblk, &e)) {
			run = (e.lblk + e.len - lblk) * BS - boff;
			n = run < len - done ? run : len - done;
			memcpy(p + done, (uint8_t *)blk_ptr(fs, e.pblk +
			       (lblk - e.lblk)) + boff, n);
		} else {
			run = e.lblk == UINT64_MAX ? UINT64_MAX :
				(e.lblk - lblk) * BS - boff;
			n = run < len - done ? run : len - done;
			memset(p + done, 0, n);
		}
		done += n;
	}
	return (ssize_t)done;
}

/* fill one new block: old content (shared) or zeros, then the new bytes */
static void fill_block(struct pmfs *fs, uint64_t dst, const uint8_t *old,
		       const uint8_t *src, uint64_t boff, uint64_t n)
{
	uint8_t *d = blk_ptr(fs, dst);

	if (n < BS) {
		if (old)
			pm_store_flush(fs->m, d, old, BS);
		else
			pm_set_flush(fs->m, d, 0, BS);
	}
	if (src)
		pm_store_flush(fs->m, d + boff, src, n);
	else if (old && n)
		pm_set_flush(fs->m, d + boff, 0, n);
	else if (n == BS)
		pm_set_flush(fs->m, d, 0, BS);
}

/* commit @tx with the inode grown to @upto (if @extend) and touched */
static void write_commit(struct pmfs *fs, struct pinode *pi, struct tx *tx,
			 uint64_t upto, bool extend)
{
	struct pmfs_dinode nd = pi->d;

	if (extend && upto > nd.size)
		nd.size = upto;
	touch_mc(&nd, true, true);
	tx_add_inode(fs, tx, &nd);
	tx_commit(fs, tx);
	pi->d = nd;
}

/* forget @tx: pi->d and the DRAM extent map back to the media's */
static void write_undo(struct pmfs *fs, struct pinode *pi, struct tx *tx)
{
	const char *why;

	tx_abort(fs, tx);
	pi->d = *dinode_ptr(fs, pi->ino);
	emap_load(fs, pi, false, &why);	/* the media's map was valid */
}

/*
 * Write [off, off+len) (@src NULL: zeros) into @tx without committing
 * it: overwrites of mapped unshared blocks go in place (unless @cow),
 * everything else goes to new blocks, persistent before the return, that
 * the transaction maps. pi->d and the DRAM extent map run ahead of the
 * media by the transaction (the inode is write-locked until it commits
 * or write_undo()). The size is the caller's. *done: bytes written,
 * also on error.
 */
static int write_tx(struct pmfs *fs, struct pinode *pi, struct tx *tx,
		    const uint8_t *src, size_t len, uint64_t off, bool cow,
		    size_t *donep)
{
	uint64_t end = off + len;
	size_t done = 0;
	int err = 0;

	while (done < len) {
		uint64_t pos = off + done, lblk = pos / BS, boff = pos % BS;
		uint64_t last = (end - 1) / BS, nb, pb, got, n;
		struct pmfs_dinode nd;
		struct pmfs_dext e, ne;
		bool found = emap_lookup(pi, lblk, &e);

		if (found && !cow && !(e.flags & PMFS_EXT_SHARED)) {
			uint8_t *dst = (uint8_t *)blk_ptr(fs, e.pblk +
					(lblk - e.lblk)) + boff;

			n = (e.lblk + e.len - lblk) * BS - boff;
			if (n > end - pos)
				n = end - pos;
			if (src)
				pm_store_flush(fs->m, dst, src + done, n);
			else
				pm_set_flush(fs->m, dst, 0, n);
			done += n;
			continue;
		}
		nb = last - lblk + 1;
		if (found && nb > e.lblk + e.len - lblk)
			nb = e.lblk + e.len - lblk;
		if (!found && e.lblk != UINT64_MAX && nb > e.lblk - lblk)
			nb = e.lblk - lblk;
		if (!found && !src) {	/* zeros over a hole: nothing to do */
			n = nb * BS - boff;
			done += n < end - pos ? n : end - pos;
			continue;
		}
		if (nb > CHUNK_BLOCKS)
			nb = CHUNK_BLOCKS;
		err = balloc(fs, nb, 1, &pb, &got);
		if (err)
			break;
		for (uint64_t i = 0; i < got; i++) {
			uint64_t bs = (lblk + i) * BS;
			uint64_t a = pos > bs ? pos : bs;
			uint64_t b = end < bs + BS ? end : bs + BS;
			const uint8_t *old = found ? blk_ptr(fs, e.pblk +
					(lblk + i - e.lblk)) : NULL;

			fill_block(fs, pb + i, old, src ? src + (a - off) : NULL,
				   a - bs, b - a);
		}
		pm_fence(fs->m);
		ne = (struct pmfs_dext){ .lblk = lblk, .pblk = pb, .len = (uint32_t)got };
		nd = pi->d;
		err = emap_replace(fs, pi, &nd, tx, lblk, got, &ne, 1, true);
		if (!err && (err = tx_took(tx, pb, got)))
			pb = 0;	/* mapped: only an abort would leak it */
		if (err) {
			if (pb)
				bput(fs, pb, got);
			break;
		}
		pi->d = nd;
		n = ((lblk + got) * BS < end ? (lblk + got) * BS : end) - pos;
		done += n;
	}
	*donep = done;
	return err;
}

/*
 * @buf NULL: write zeros. @extend: grow the size over the range.
 * The metadata of each WRITE_CHUNK bytes of the range (all the pieces
 * that short allocations, holes and extent boundaries cut it into) is
 * one transaction: a write of up to 2 MiB is atomic; a failing one is
 * short (what was done is committed) or changes nothing.
 */
ssize_t do_write(struct pmfs *fs, struct pinode *pi, const void *buf,
		 size_t len, uint64_t off, bool extend)
{
	const uint8_t *src = buf;
	uint64_t end = off + len;
	size_t done = 0;
	struct tx tx;
	int err = 0;

	if (!len)
		return 0;
	if (end < off || end > PMFS_MAX_FILE)
		return -EFBIG;
	err = tx_init(fs, &tx);
	if (err)
		return err;
	while (done < len) {
		size_t n = len - done < WRITE_CHUNK ? len - done : WRITE_CHUNK;
		size_t got = 0;

		err = write_tx(fs, pi, &tx, src ? src + done : NULL, n,
			       off + done, false, &got);
		done += got;
		if (err == -E2BIG && got) {
			/* the lane is full (not within a chunk's worth of
			 * leaves, see FORMAT.md): commit, go on */
			err = 0;
		}
		if (done || tx.nrec)
			write_commit(fs, pi, &tx, off + done, extend);
		if (err)
			break;
	}
	tx_fini(&tx);
	return done ? (ssize_t)done : err;
}

/* zero the stale bytes after EOF in the last block (before growing): in
 * place, or by copy on write into @tx if the block is shared */
static int zero_tail_tx(struct pmfs *fs, struct pinode *pi, struct tx *tx)
{
	uint64_t size = pi->d.size;
	struct pmfs_dext e;
	size_t done;

	if (!(size % BS) || !emap_lookup(pi, size / BS, &e))
		return 0;
	return write_tx(fs, pi, tx, NULL, BS - size % BS, size, false, &done);
}

static int zero_tail(struct pmfs *fs, struct pinode *pi)
{
	struct tx tx;
	int ret = tx_init(fs, &tx);

	if (ret)
		return ret;
	ret = zero_tail_tx(fs, pi, &tx);
	if (ret)
		write_undo(fs, pi, &tx);
	else if (tx.nrec)
		write_commit(fs, pi, &tx, 0, false);
	tx_fini(&tx);
	return ret;
}

static int set_size(struct pmfs *fs, struct pinode *pi, uint64_t size)
{
	struct pmfs_dinode nd = pi->d;
	struct tx tx;
	int ret = tx_init(fs, &tx);

	if (ret)
		return ret;
	nd.size = size;
	touch_mc(&nd, true, true);
	tx_add_inode(fs, &tx, &nd);
	tx_commit(fs, &tx);
	tx_fini(&tx);
	pi->d = nd;
	return 0;
}

/* unmap logical blocks [first, first+count) in one transaction */
static int unmap(struct pmfs *fs, struct pinode *pi, uint64_t first,
		 uint64_t count, uint64_t newsize)
{
	struct pmfs_dinode nd = pi->d;
	struct tx tx;
	int ret = tx_init(fs, &tx);

	if (ret)
		return ret;
	if (!first && count == UINT64_MAX)
		ret = emap_free_all(fs, pi, &nd, &tx);
	else if (count && first < emap_last_end(pi))
		ret = emap_replace(fs, pi, &nd, &tx, first, count, NULL, 0,
				   true);
	if (!ret) {
		nd.size = newsize;
		touch_mc(&nd, true, true);
		tx_add_inode(fs, &tx, &nd);
		tx_commit(fs, &tx);
		pi->d = nd;
	}
	tx_fini(&tx);
	return ret;
}

int do_truncate(struct pmfs *fs, struct pinode *pi, uint64_t size)
{
	uint64_t old = pi->d.size;
	int ret;

	if (size > PMFS_MAX_FILE)
		return -EFBIG;
	if (size == old)
		return 0;
	if (size > old) {
		ret = zero_tail(fs, pi);
		return ret ? ret : set_size(fs, pi, size);
	}
	return unmap(fs, pi, div_up(size, BS), UINT64_MAX - div_up(size, BS),
		     size);
}

static struct pinode *reg_lock(struct pmfs *fs, uint64_t ino, bool wr,
			       int *err)
{
	struct pinode *pi = iget_locked(fs, ino, wr, err);

	if (pi && !S_ISREG(pi->d.mode)) {
		*err = S_ISDIR(pi->d.mode) ? -EISDIR : -EINVAL;
		iunlock(pi);
		return NULL;
	}
	return pi;
}

ssize_t pmfs_read(struct pmfs *fs, uint64_t ino, void *buf, size_t len,
		  uint64_t off)
{
	struct pinode *pi;
	ssize_t r;
	int err;

	pi = reg_lock(fs, ino, false, &err);
	if (!pi)
		return err;
	r = do_read(fs, pi, buf, len, off);
	iunlock(pi);
	return r;
}

ssize_t pmfs_write(struct pmfs *fs, uint64_t ino, const void *buf,
		   size_t len, uint64_t off, unsigned int flags)
{
	struct pinode *pi;
	ssize_t r;
	int err;

	if (fs->rdonly)
		return -EROFS;
	pi = reg_lock(fs, ino, true, &err);
	if (!pi)
		return err;
	if (flags & PMFS_WRITE_APPEND)
		off = pi->d.size;
	if (off > pi->d.size && (err = zero_tail(fs, pi))) {
		iunlock(pi);
		return err;
	}
	r = do_write(fs, pi, buf, len, off, true);
	iunlock(pi);
	return r;
}

/* zero [off, off+len) of mapped blocks in @tx by copy on write: the new
 * blocks (old bytes around the zeros) are persistent first and mapped by
 * the transaction, so the range is wholly old or wholly zero */
static int zero_cow(struct pmfs *fs, struct pinode *pi, struct tx *tx,
		    uint64_t off, uint64_t len)
{
	size_t done;

	return len ? write_tx(fs, pi, tx, NULL, len, off, true, &done) : 0;
}

/* punch [off, off+len) into @tx: partial head and tail blocks zeroed by
 * copy on write, whole blocks unmapped */
static int punch_tx(struct pmfs *fs, struct pinode *pi, struct tx *tx,
		    uint64_t off, uint64_t len)
{
	uint64_t end = off + len, first = div_up(off, BS), last = end / BS;
	struct pmfs_dinode nd;
	int ret;

	if (first > last) /* inside one block */
		return zero_cow(fs, pi, tx, off, len);
	ret = zero_cow(fs, pi, tx, off, first * BS - off);
	if (!ret)
		ret = zero_cow(fs, pi, tx, last * BS, end - last * BS);
	if (ret || last == first || first >= emap_last_end(pi))
		return ret;
	nd = pi->d;
	ret = emap_replace(fs, pi, &nd, tx, first, last - first, NULL, 0, true);
	if (!ret)
		pi->d = nd;
	return ret;
}

/*
 * Map zeroed blocks over the holes of [off, off+len) in @tx. Nothing a
 * read can see changes (holes read as zeros): once @tx has mapped
 * CHUNK_BLOCKS blocks, or the lane is full, it is committed (with the
 * inode as it is then) and a new one goes on; *committed tells.
 */
static int prealloc_tx(struct pmfs *fs, struct pinode *pi, struct tx *tx,
		       uint64_t off, uint64_t len, bool *committed)
{
	uint64_t lblk = off / BS, end = div_up(off + len, BS), mapped = 0;
	int ret = 0;

	while (!ret && lblk < end) {
		struct pmfs_dinode nd;
		struct pmfs_dext e, ne;
		uint64_t nb = end - lblk, pb, got;

		if (emap_lookup(pi, lblk, &e)) {
			lblk = e.lblk + e.len;
			continue;
		}
		if (e.lblk != UINT64_MAX && nb > e.lblk - lblk)
			nb = e.lblk - lblk;
		if (nb > CHUNK_BLOCKS)
			nb = CHUNK_BLOCKS;
		ret = balloc(fs, nb, 1, &pb, &got);
		if (ret)
			break;
		pm_set_flush(fs->m, blk_ptr(fs, pb), 0, got * BS);
		pm_fence(fs->m);
		ne = (struct pmfs_dext){ .lblk = lblk, .pblk = pb, .len = (uint32_t)got };
		nd = pi->d;
		ret = emap_replace(fs, pi, &nd, tx, lblk, got, &ne, 1, true);
		if (!ret && (ret = tx_took(tx, pb, got)))
			pb = 0;
		if (ret == -E2BIG && tx->nrec) {
			bput(fs, pb, got);
			mapped = CHUNK_BLOCKS;	/* commit, then retry */
			ret = 0;
			got = 0;
		} else if (ret) {
			if (pb)
				bput(fs, pb, got);
			break;
		} else {
			pi->d = nd;
			mapped += got;
		}
		if (mapped >= CHUNK_BLOCKS) {
			write_commit(fs, pi, tx, 0, false);
			*committed = true;
			mapped = 0;
		}
		lblk += got;
	}
	return ret;
}

/*
 * One transaction for the visible change of a fallocate: PUNCH_HOLE and
 * ZERO_RANGE's zeroing (head and tail by copy on write) and the new size.
 * Mapping zeroed blocks over holes (mode 0, ZERO_RANGE) cannot be seen by
 * a read: it goes in the same transaction, or, past CHUNK_BLOCKS blocks,
 * in more that follow it. A failure before the first commit changes
 * nothing; after it, the size and part of the blocks are there.
 */
static int falloc(struct pmfs *fs, struct pinode *pi, unsigned int mode,
		  uint64_t off, uint64_t len)
{
	uint64_t end = off + len, size = pi->d.size;
	bool grow = !(mode & (PMFS_FALLOC_KEEP_SIZE | PMFS_FALLOC_PUNCH_HOLE)) &&
		    end > size;
	bool committed = false;
	struct tx tx;
	int ret;

	ret = tx_init(fs, &tx);
	if (ret)
		return ret;
	if (grow)	/* stale bytes past EOF: before the size grows */
		ret = zero_tail_tx(fs, pi, &tx);
	if (!ret && (mode & PMFS_FALLOC_PUNCH_HOLE))
		ret = punch_tx(fs, pi, &tx, off, len);
	else if (!ret && (mode & PMFS_FALLOC_ZERO_RANGE) && off < size)
		ret = punch_tx(fs, pi, &tx, off, (end < size ? end : size) - off);
	if (!ret && grow)
		pi->d.size = end;
	if (!ret && !(mode & PMFS_FALLOC_PUNCH_HOLE))
		ret = prealloc_tx(fs, pi, &tx, off, len, &committed);
	if (ret && !committed)
		write_undo(fs, pi, &tx);
	else if (tx.nrec || !committed)
		write_commit(fs, pi, &tx, 0, false);
	tx_fini(&tx);
	return ret;
}

int pmfs_fallocate(struct pmfs *fs, uint64_t ino, unsigned int mode,
		   uint64_t off, uint64_t len)
{
	struct pinode *pi;
	int ret;

	if (mode & ~(PMFS_FALLOC_KEEP_SIZE | PMFS_FALLOC_PUNCH_HOLE |
		     PMFS_FALLOC_ZERO_RANGE))
		return -EOPNOTSUPP;
	if ((mode & PMFS_FALLOC_PUNCH_HOLE) && (mode & PMFS_FALLOC_ZERO_RANGE))
		return -EINVAL;
	if (!len)
		return -EINVAL;
	if (off + len < off || off + len > PMFS_MAX_FILE)
		return -EFBIG;
	if (fs->rdonly)
		return -EROFS;
	pi = iget_locked(fs, ino, true, &ret);
	if (!pi)
		return ret;
	if (!S_ISREG(pi->d.mode))
		ret = S_ISDIR(pi->d.mode) ? -EISDIR : -ENODEV;
	else
		ret = falloc(fs, pi, mode, off, len);
	iunlock(pi);
	return ret;
}

int64_t pmfs_lseek(struct pmfs *fs, uint64_t ino, uint64_t off, int whence)
{
	struct pinode *pi;
	struct pmfs_dext e;
	int64_t ret;
	int err;
	uint64_t pos = off;

	if (whence != PMFS_SEEK_DATA && whence != PMFS_SEEK_HOLE)
		return -EINVAL;
	pi = iget_locked(fs, ino, false, &err);
	if (!pi)
		return err;
	if (off >= pi->d.size) {
		ret = -ENXIO;
		goto out;
	}
	for (;;) {
		bool found = emap_lookup(pi, pos / BS, &e);

		if (whence == PMFS_SEEK_DATA) {
			if (found) {
				ret = (int64_t)pos;
				break;
			}
			if (e.lblk == UINT64_MAX || e.lblk * BS >= pi->d.size) {
				ret = -ENXIO;
				break;
			}
			pos = e.lblk * BS;
		} else {
			if (!found) {
				ret = (int64_t)pos;
				break;
			}
			pos = (e.lblk + e.len) * BS;
			if (pos >= pi->d.size) {
				ret = (int64_t)pi->d.size;
				break;
			}
		}
	}
out:
	iunlock(pi);
	return ret;
}

/* copy bytes [off_in, off_in+len) of @in to @out at off_out into @tx */
static int bounce_tx(struct pmfs *fs, struct pinode *in, uint64_t off_in,
		     struct pinode *out, uint64_t off_out, size_t len,
		     struct tx *tx, size_t *donep)
{
	size_t done = 0;
	uint8_t *buf;
	int err = 0;

	*donep = 0;
	if (!len)
		return 0;
	buf = malloc(65536);
	if (!buf)
		return -ENOMEM;
	while (!err && done < len) {
		size_t n = len - done < 65536 ? len - done : 65536, got = 0;
		ssize_t r = do_read(fs, in, buf, n, off_in + done);

		if (r <= 0)
			break;
		err = write_tx(fs, out, tx, buf, (size_t)r, off_out + done,
			       false, &got);
		done += got;
	}
	free(buf);
	*donep = done;
	return err;
}

/* share [sblk, sblk+n) of @in at dblk of @out, into @tx */
static int share_tx(struct pmfs *fs, struct pinode *in, uint64_t sblk,
		    struct pinode *out, uint64_t dblk, uint64_t n,
		    struct tx *tx)
{
	int ret = 0;

	for (uint64_t cur = 0; !ret && cur < n;) {
		struct pmfs_dinode nd;
		struct pmfs_dext e, se, de;
		uint64_t c;

		if (emap_lookup(in, sblk + cur, &e)) {
			c = e.lblk + e.len - (sblk + cur);
			if (c > n - cur)
				c = n - cur;
			if (c > CHUNK_BLOCKS * 8)
				c = CHUNK_BLOCKS * 8;
			se = (struct pmfs_dext){ .lblk = sblk + cur,
				.pblk = e.pblk + (sblk + cur - e.lblk),
				.len = (uint32_t)c, .flags = PMFS_EXT_SHARED };
			de = se;
			de.lblk = dblk + cur;
			ret = bget(fs, se.pblk, c);
			if (ret)
				break;
			if (tx_took(tx, se.pblk, c)) {
				bput(fs, se.pblk, c);
				ret = -ENOMEM;
				break;
			}
			if (!(e.flags & PMFS_EXT_SHARED)) {
				nd = in->d;
				ret = emap_replace(fs, in, &nd, tx, se.lblk, c,
						   &se, 1, false);
				if (!ret)
					in->d = nd;
			}
			if (!ret) {
				nd = out->d;
				ret = emap_replace(fs, out, &nd, tx, de.lblk, c,
						   &de, 1, true);
				if (!ret)
					out->d = nd;
			}
		} else {
			c = e.lblk == UINT64_MAX ? n - cur : e.lblk - (sblk + cur);
			if (c > n - cur)
				c = n - cur;
			nd = out->d;
			ret = emap_replace(fs, out, &nd, tx, dblk + cur, c,
					   NULL, 0, true);
			if (!ret)
				out->d = nd;
		}
		cur += c;
	}
	return ret;
}

/*
 * The copy in one transaction: the unaligned head and tail copied by
 * bytes (new blocks, or in place over mapped unshared ones: an overwrite),
 * whole aligned blocks shared, the destination's size. A failure changes
 * no metadata. A copy whose metadata does not fit a journal lane (a
 * source of thousands of extents, or megabytes copied by bytes) fails
 * with -E2BIG before anything is committed: the caller copies less.
 */
static ssize_t copy_tx(struct pmfs *fs, struct pinode *in, uint64_t off_in,
		       struct pinode *out, uint64_t off_out, size_t len)
{
	size_t head = len, got = 0;
	uint64_t nblk = 0;
	struct tx tx;
	int err;

	err = tx_init(fs, &tx);
	if (err)
		return err;
	if (off_in % BS == off_out % BS && len >= 2 * BS) {
		head = (BS - off_in % BS) % BS;
		nblk = (len - head) / BS;
	}
	if (off_out > out->d.size)
		err = zero_tail_tx(fs, out, &tx);
	if (!err)
		err = bounce_tx(fs, in, off_in, out, off_out, head, &tx, &got);
	if (!err && nblk)
		err = share_tx(fs, in, (off_in + head) / BS, out,
			       (off_out + head) / BS, nblk, &tx);
	if (!err && nblk)
		err = bounce_tx(fs, in, off_in + head + nblk * BS, out,
				off_out + head + nblk * BS,
				len - head - nblk * BS, &tx, &got);
	if (err) {
		write_undo(fs, out, &tx);
		if (in != out) {
			const char *why;

			in->d = *dinode_ptr(fs, in->ino);
			emap_load(fs, in, false, &why);
		}
		tx_fini(&tx);
		return err;
	}
	if (in != out)
		tx_add_inode(fs, &tx, &in->d);
	write_commit(fs, out, &tx, off_out + len, true);
	tx_fini(&tx);
	return (ssize_t)len;
}

/* copies of up to COPY_TX bytes are atomic; longer ones go in such
 * pieces, each atomic, in order */
#define COPY_TX		(64 * WRITE_CHUNK)

ssize_t pmfs_copy_range(struct pmfs *fs, uint64_t ino_in, uint64_t off_in,
			uint64_t ino_out, uint64_t off_out, size_t len)
{
	struct pinode *in, *out, *first, *second = NULL;
	ssize_t done = 0, r;
	int err;

	if (fs->rdonly)
		return -EROFS;
	first = reg_lock(fs, ino_in < ino_out ? ino_in : ino_out, true, &err);
	if (!first)
		return err;
	if (ino_in != ino_out) {
		second = reg_lock(fs, ino_in < ino_out ? ino_out : ino_in, true,
				  &err);
		if (!second) {
			iunlock(first);
			return err;
		}
	}
	in = ino_in == first->ino ? first : second;
	out = ino_out == first->ino ? first : second;
	if (off_in >= in->d.size)
		goto out;
	if (len > in->d.size - off_in)
		len = in->d.size - off_in;
	if (off_out + len < off_out || off_out + len > PMFS_MAX_FILE) {
		done = -EFBIG;
		goto out;
	}
	if (in == out && off_in < off_out + len && off_out < off_in + len) {
		done = -EINVAL;
		goto out;
	}
	while ((size_t)done < len) {
		size_t n = len - (size_t)done;

		/* by bytes: as a write, at most a chunk per transaction */
		if (off_in % BS != off_out % BS && n > WRITE_CHUNK)
			n = WRITE_CHUNK;
		else if (n > COPY_TX)
			n = COPY_TX;
		r = copy_tx(fs, in, off_in + (uint64_t)done, out,
			    off_out + (uint64_t)done, n);
		if (r == -E2BIG && n > WRITE_CHUNK)
			r = copy_tx(fs, in, off_in + (uint64_t)done, out,
				    off_out + (uint64_t)done, WRITE_CHUNK);
		if (r <= 0) {
			if (!done)
				done = r;
			break;
		}
		done += r;
	}
out:
	if (second)
		iunlock(second);
	iunlock(first);
	return done;
}

int pmfs_fsync(struct pmfs *fs, uint64_t ino, int datasync)
{
	struct pinode *pi;
	int err;

	/* every operation was durable when it returned */
	pi = iget_locked(fs, ino, false, &err);
	if (!pi)
		return err;
	iunlock(pi);
	return 0;
}

int pmfs_sync(struct pmfs *fs)
{
	pm_fence(fs->m);
	return 0;
}
