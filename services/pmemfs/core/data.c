// SPDX-License-Identifier: BSD-2-Clause
/*
 * data.c - file data: read, write, truncate, fallocate, SEEK_DATA/HOLE,
 * copy_range with shared extents, fsync.
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

/*
 * @buf NULL: write zeros. @extend: grow the size over the range.
 * The metadata of each WRITE_CHUNK bytes of the range (all the pieces
 * that short allocations, holes and extent boundaries cut it into) is
 * one transaction: a write of up to 2 MiB is atomic. While the inode is
 * write-locked, pi->d and the DRAM extent map run ahead of the media by
 * the uncommitted transaction; it is committed before the unlock.
 */
ssize_t do_write(struct pmfs *fs, struct pinode *pi, const void *buf,
		 size_t len, uint64_t off, bool extend)
{
	const uint8_t *src = buf;
	uint64_t end = off + len, cend;
	size_t done = 0;
	bool dirty = false;
	struct tx tx;
	int err = 0;

	if (!len)
		return 0;
	if (end < off || end > PMFS_MAX_FILE)
		return -EFBIG;
	err = tx_init(fs, &tx);
	if (err)
		return err;
	cend = end - off > WRITE_CHUNK ? off + WRITE_CHUNK : end;
	while (done < len) {
		uint64_t pos = off + done, lblk = pos / BS, boff = pos % BS;
		uint64_t last = (cend - 1) / BS, nb, pb, got, n;
		struct pmfs_dinode nd;
		struct pmfs_dext e, ne;
		bool found = emap_lookup(pi, lblk, &e);

		if (found && !(e.flags & PMFS_EXT_SHARED)) {
			uint8_t *dst = (uint8_t *)blk_ptr(fs, e.pblk +
					(lblk - e.lblk)) + boff;

			n = (e.lblk + e.len - lblk) * BS - boff;
			if (n > cend - pos)
				n = cend - pos;
			if (src)
				pm_store_flush(fs->m, dst, src + done, n);
			else
				pm_set_flush(fs->m, dst, 0, n);
			goto advance;
		}
		nb = last - lblk + 1;
		if (found && nb > e.lblk + e.len - lblk)
			nb = e.lblk + e.len - lblk;
		if (!found && e.lblk != UINT64_MAX && nb > e.lblk - lblk)
			nb = e.lblk - lblk;
		if (!found && !src) {	/* zeros over a hole: nothing to do */
			n = nb * BS - boff;
			if (n > cend - pos)
				n = cend - pos;
			goto advance;
		}
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
		err = emap_replace(fs, pi, &nd, &tx, lblk, got, &ne, 1, true);
		if (err == -E2BIG && tx.nrec) {
			/* the lane is full (cannot happen within a chunk's
			 * worth of leaves, see FORMAT.md): commit, go on */
			bput(fs, pb, got);
			write_commit(fs, pi, &tx, pos, extend);
			dirty = false;
			err = 0;
			continue;
		}
		if (err) {
			bput(fs, pb, got);
			break;
		}
		pi->d = nd;	/* ahead of the media until the commit */
		n = ((lblk + got) * BS < cend ? (lblk + got) * BS : cend) - pos;
advance:
		done += n;
		dirty = true;
		if (off + done == cend) {
			write_commit(fs, pi, &tx, cend, extend);
			dirty = false;
			cend = end - cend > WRITE_CHUNK ? cend + WRITE_CHUNK : end;
		}
	}
	if (dirty)
		write_commit(fs, pi, &tx, off + done, extend);
	tx_fini(&tx);
	return done ? (ssize_t)done : err;
}

/* zero the stale bytes after EOF in the last block (before growing) */
static int zero_tail(struct pmfs *fs, struct pinode *pi)
{
	uint64_t size = pi->d.size;
	struct pmfs_dext e;
	ssize_t r;

	if (!(size % BS) || !emap_lookup(pi, size / BS, &e))
		return 0;
	r = do_write(fs, pi, NULL, BS - size % BS, size, false);
	return r < 0 ? (int)r : 0;
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

/* zero [off, off+len) of mapped blocks in place (copy on write if shared) */
static int zero_partial(struct pmfs *fs, struct pinode *pi, uint64_t off,
			uint64_t len)
{
	ssize_t r;

	if (!len)
		return 0;
	r = do_write(fs, pi, NULL, len, off, false);
	return r < 0 ? (int)r : 0;
}

static int punch(struct pmfs *fs, struct pinode *pi, uint64_t off,
		 uint64_t len)
{
	uint64_t end = off + len, first = div_up(off, BS), last = end / BS;
	int ret;

	if (first > last) /* inside one block */
		return zero_partial(fs, pi, off, len);
	ret = zero_partial(fs, pi, off, first * BS - off);
	if (!ret)
		ret = zero_partial(fs, pi, last * BS, end - last * BS);
	if (!ret && last > first)
		ret = unmap(fs, pi, first, last - first, pi->d.size);
	return ret;
}

/* map zeroed blocks over the holes of [off, off+len) */
static int prealloc(struct pmfs *fs, struct pinode *pi, uint64_t off,
		    uint64_t len)
{
	uint64_t lblk = off / BS, end = div_up(off + len, BS);
	struct tx tx;
	int ret = tx_init(fs, &tx);

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
		ret = emap_replace(fs, pi, &nd, &tx, lblk, got, &ne, 1, true);
		if (ret) {
			bput(fs, pb, got);
			break;
		}
		touch_mc(&nd, true, true);
		tx_add_inode(fs, &tx, &nd);
		tx_commit(fs, &tx);
		pi->d = nd;
		lblk += got;
	}
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
	if (!S_ISREG(pi->d.mode)) {
		ret = S_ISDIR(pi->d.mode) ? -EISDIR : -ENODEV;
		goto out;
	}
	if (mode & PMFS_FALLOC_PUNCH_HOLE) {
		ret = punch(fs, pi, off, len);
		goto out;
	}
	if (mode & PMFS_FALLOC_ZERO_RANGE) {
		uint64_t e = off + len < pi->d.size ? off + len : pi->d.size;

		ret = e > off ? punch(fs, pi, off, e - off) : 0;
		if (ret)
			goto out;
	}
	ret = prealloc(fs, pi, off, len);
	if (!ret && !(mode & PMFS_FALLOC_KEEP_SIZE) && off + len > pi->d.size) {
		ret = zero_tail(fs, pi);
		if (!ret)
			ret = set_size(fs, pi, off + len);
	}
out:
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

static ssize_t bounce(struct pmfs *fs, struct pinode *in, uint64_t off_in,
		      struct pinode *out, uint64_t off_out, size_t len)
{
	size_t done = 0;
	uint8_t *buf;

	if (!len)
		return 0;
	buf = malloc(65536);
	if (!buf)
		return -ENOMEM;
	while (done < len) {
		size_t n = len - done < 65536 ? len - done : 65536;
		ssize_t r = do_read(fs, in, buf, n, off_in + done);

		if (r <= 0)
			break;
		if (off_out + done > out->d.size && zero_tail(fs, out))
			break;
		r = do_write(fs, out, buf, (size_t)r, off_out + done, true);
		if (r <= 0) {
			free(buf);
			return done ? (ssize_t)done : r;
		}
		done += (size_t)r;
	}
	free(buf);
	return (ssize_t)done;
}

/* share [sblk, sblk+n) of @in at dblk of @out: one transaction per extent */
static int share(struct pmfs *fs, struct pinode *in, uint64_t sblk,
		 struct pinode *out, uint64_t dblk, uint64_t n,
		 uint64_t size_after)
{
	struct tx tx;
	int ret = tx_init(fs, &tx);

	for (uint64_t cur = 0; !ret && cur < n;) {
		struct pmfs_dinode nds = in->d, ndd = out->d;
		struct pmfs_dinode *pdd = in == out ? &nds : &ndd;
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
			if (!(e.flags & PMFS_EXT_SHARED))
				ret = emap_replace(fs, in, &nds, &tx, se.lblk, c,
						   &se, 1, false);
			if (!ret)
				ret = emap_replace(fs, out, pdd, &tx, de.lblk, c,
						   &de, 1, true);
			if (ret) {
				bput(fs, se.pblk, c);
				break;
			}
		} else {
			c = e.lblk == UINT64_MAX ? n - cur : e.lblk - (sblk + cur);
			if (c > n - cur)
				c = n - cur;
			ret = emap_replace(fs, out, pdd, &tx, dblk + cur, c,
					   NULL, 0, true);
			if (ret)
				break;
		}
		cur += c;
		if (pdd->size < size_after && cur == n)
			pdd->size = size_after;
		else if (pdd->size < (dblk + cur) * BS)
			pdd->size = (dblk + cur) * BS;
		touch_mc(pdd, true, true);
		if (in != out)
			tx_add_inode(fs, &tx, &nds);
		tx_add_inode(fs, &tx, pdd);
		tx_commit(fs, &tx);
		in->d = nds;
		if (in != out)
			out->d = ndd;
	}
	tx_fini(&tx);
	return ret;
}

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
	if (off_in % BS == off_out % BS && len >= 2 * BS) {
		size_t head = (BS - off_in % BS) % BS;
		uint64_t nblk = (len - head) / BS;

		r = bounce(fs, in, off_in, out, off_out, head);
		if (r < 0 || (size_t)r < head) {
			done = r < 0 ? r : r;
			goto out;
		}
		done = r;
		if (off_out + head > out->d.size && (err = zero_tail(fs, out))) {
			done = done ? done : err;
			goto out;
		}
		err = share(fs, in, (off_in + head) / BS, out,
			    (off_out + head) / BS, nblk,
			    off_out + head + nblk * BS);
		if (err) {
			done = done ? done : err;
			goto out;
		}
		done += (ssize_t)(nblk * BS);
	}
	r = bounce(fs, in, off_in + (uint64_t)done, out,
		   off_out + (uint64_t)done, len - (size_t)done);
	if (r < 0 && !done)
		done = r;
	else if (r > 0)
		done += r;
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
