// SPDX-License-Identifier: BSD-2-Clause
/*
 * journal.c - per-lane redo journal for metadata.
 *
 * A transaction is built in DRAM (records: media offset, length, new
 * bytes) and committed in one lane (sched_getcpu() % lanes):
 *   records + header -> flush -> fence -> commit word (store8) -> flush,
 *   fence -> apply in place -> flush, fence -> clear commit word -> flush,
 *   fence.
 * Recovery replays a lane whose commit word equals its header's seq and
 * whose CRC and record bounds check. A lane with a non-zero commit word
 * that fails them is a committed transaction whose home locations may be
 * torn: mount refuses it (-EUCLEAN); fsck reports it, and with repair
 * discards it and goes on to check (and repair) everything it touched.
 */
#include <sched.h>
#include <stdlib.h>

#include "core_i.h"

int tx_init(struct pmfs *fs, struct tx *tx)
{
	memset(tx, 0, sizeof(*tx));
	tx->cap = (size_t)fs->sb.lane_blocks * BS - sizeof(struct pmfs_jhdr);
	tx->alloc = 8192;	/* grows up to cap */
	tx->buf = malloc(tx->alloc);
	return tx->buf ? 0 : -ENOMEM;
}

void tx_fini(struct tx *tx)
{
	free(tx->buf);
	free(tx->fr);
	free(tx->al);
	tx->buf = NULL;
	tx->fr = NULL;
	tx->al = NULL;
}

size_t tx_room(const struct tx *tx)
{
	return tx->cap - tx->used;
}

/*
 * A record with the same place and length as an earlier one of @tx that
 * no later record overlaps: its bytes can be replaced in place (the
 * result of applying the records in order is the same). One transaction
 * may so rewrite the same leaf or inode many times at the cost of one.
 */
static uint8_t *tx_same(struct tx *tx, uint64_t off, uint32_t len)
{
	uint8_t *hit = NULL;
	size_t p = 0;

	while (p < tx->used) {
		struct pmfs_jrec r;

		memcpy(&r, tx->buf + p, sizeof(r));
		if (r.off == off && r.len == len)
			hit = tx->buf + p + sizeof(r);
		else if (hit && r.off < off + len && off < r.off + r.len)
			hit = NULL;
		p += sizeof(r) + ((r.len + 7) & ~7U);
	}
	return hit;
}

int tx_add(struct tx *tx, uint64_t off, const void *src, uint32_t len)
{
	size_t need = sizeof(struct pmfs_jrec) + ((len + 7) & ~7U);
	struct pmfs_jrec r = { .off = off, .len = len };
	uint8_t *same = tx_same(tx, off, len);

	if (same) {
		memmove(same, src, len);
		return 0;
	}
	if (need > tx_room(tx))
		return -E2BIG;
	if (tx->used + need > tx->alloc) {
		size_t n = tx->alloc;
		uint8_t *nb;

		while (n < tx->used + need)
			n *= 2;
		if (n > tx->cap)
			n = tx->cap;
		nb = realloc(tx->buf, n);
		if (!nb)
			return -ENOMEM;
		tx->buf = nb;
		tx->alloc = n;
	}
	memcpy(tx->buf + tx->used, &r, sizeof(r));
	memcpy(tx->buf + tx->used + sizeof(r), src, len);
	memset(tx->buf + tx->used + sizeof(r) + len, 0,
	       need - sizeof(r) - len);
	tx->used += need;
	tx->nrec++;
	return 0;
}

int tx_add_inode(struct pmfs *fs, struct tx *tx, struct pmfs_dinode *nd)
{
	nd->magic = PMFS_INODE_MAGIC;
	pmfs_obj_seal(nd, sizeof(*nd));
	return tx_add(tx, pm_off(fs->m, dinode_ptr(fs, nd->ino)), nd,
		      sizeof(*nd));
}

static int push(struct txfree **v, uint32_t *n, uint32_t *cap, uint64_t blk,
		uint64_t len)
{
	if (!len)
		return 0;
	if (*n == *cap) {
		uint32_t nc = *cap ? *cap * 2 : 16;
		struct txfree *nv = realloc(*v, nc * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = nc;
	}
	(*v)[*n].blk = blk;
	(*v)[*n].len = len;
	(*n)++;
	return 0;
}

/* drop a reference to [blk, blk+len) once the transaction committed */
int tx_free(struct tx *tx, uint64_t blk, uint64_t len)
{
	return push(&tx->fr, &tx->nfr, &tx->capfr, blk, len);
}

/* a reference to [blk, blk+len) taken (balloc, bget) for this transaction:
 * dropped again if it is aborted */
int tx_took(struct tx *tx, uint64_t blk, uint64_t len)
{
	return push(&tx->al, &tx->nal, &tx->capal, blk, len);
}

/* forget an uncommitted transaction: the references it took are dropped,
 * the ones it would drop are kept (the caller restores its DRAM state) */
void tx_abort(struct pmfs *fs, struct tx *tx)
{
	for (uint32_t i = 0; i < tx->nal; i++)
		bput(fs, tx->al[i].blk, tx->al[i].len);
	tx->nal = 0;
	tx->nfr = 0;
	tx->used = 0;
	tx->nrec = 0;
}

static struct pmfs_jhdr *lane_hdr(struct pmfs *fs, uint32_t lane)
{
	return blk_ptr(fs, fs->sb.journal_blk +
		       (uint64_t)lane * fs->sb.lane_blocks);
}

static uint32_t jcrc(const struct pmfs_jhdr *h, const void *recs)
{
	uint32_t c = pmfs_crc32c(0, &h->seq, sizeof(h->seq));

	c = pmfs_crc32c(c, &h->nrec, sizeof(h->nrec));
	c = pmfs_crc32c(c, &h->len, sizeof(h->len));
	return pmfs_crc32c(c, recs, h->len);
}

/* apply records in place; bounds were checked by the caller */
static void apply(struct pmfs *fs, const uint8_t *recs, size_t len)
{
	struct pm_media *m = fs->m;
	size_t p = 0;

	while (p + sizeof(struct pmfs_jrec) <= len) {
		struct pmfs_jrec r;

		memcpy(&r, recs + p, sizeof(r));
		pm_store_flush(m, pm_ptr(m, r.off), recs + p + sizeof(r),
			       r.len);
		p += sizeof(r) + ((r.len + 7) & ~7U);
	}
	pm_fence(m);
}

void tx_commit(struct pmfs *fs, struct tx *tx)
{
	struct pm_media *m = fs->m;
	struct pmfs_jhdr h = { 0 }, *lh;
	int cpu = sched_getcpu();
	uint32_t lane = (cpu < 0 ? 0 : (uint32_t)cpu) % fs->nlanes;

	if (tx->nrec) {
		pthread_mutex_lock(&fs->jl[lane]);
		lh = lane_hdr(fs, lane);
		h.seq = __atomic_add_fetch(&fs->jseq, 1, __ATOMIC_RELAXED);
		h.nrec = tx->nrec;
		h.len = tx->used;
		h.crc = jcrc(&h, tx->buf);
		pm_store_flush(m, (uint8_t *)lh + sizeof(h), tx->buf,
			       tx->used);
		pm_store_flush(m, &lh->seq, &h.seq,
			       sizeof(h) - offsetof(struct pmfs_jhdr, seq));
		pm_fence(m);
		pm_store8(m, &lh->commit, h.seq);
		pm_flush(m, &lh->commit, 8);
		pm_fence(m);
		apply(fs, tx->buf, tx->used);
		pm_store8(m, &lh->commit, 0);
		pm_flush(m, &lh->commit, 8);
		pm_fence(m);
		pthread_mutex_unlock(&fs->jl[lane]);
		__atomic_add_fetch(&fs->commits, 1, __ATOMIC_RELAXED);
	}
	for (uint32_t i = 0; i < tx->nfr; i++)
		bput(fs, tx->fr[i].blk, tx->fr[i].len);
	tx->nfr = 0;
	tx->nal = 0;
	tx->used = 0;
	tx->nrec = 0;
}

/* Check that every record of a lane lies in the media past the
 * superblocks and outside the journal. */
static bool recs_ok(struct pmfs *fs, const uint8_t *recs, uint64_t len,
		    uint32_t nrec)
{
	uint64_t lo = fs->sb.itable_blk * BS, hi = fs->sb.nblocks * BS;
	uint64_t p = 0;
	uint32_t n = 0;

	while (p < len) {
		struct pmfs_jrec r;

		if (len - p < sizeof(r))
			return false;
		memcpy(&r, recs + p, sizeof(r));
		if (r.off < lo || r.off > hi || r.len > hi - r.off)
			return false;
		if (((uint64_t)r.len + 7) / 8 * 8 > len - p - sizeof(r))
			return false;
		p += sizeof(r) + ((r.len + 7) & ~7U);
		n++;
	}
	return n == nrec;
}

int journal_recover(struct pmfs *fs)
{
	struct pm_media *m = fs->m;
	uint64_t cap = (uint64_t)fs->sb.lane_blocks * BS - sizeof(struct pmfs_jhdr);
	uint64_t maxseq = 0;

	for (uint32_t l = 0; l < fs->sb.lanes; l++) {
		struct pmfs_jhdr *lh = lane_hdr(fs, l);
		const uint8_t *recs = (const uint8_t *)(lh + 1);
		struct pmfs_jhdr h;

		memcpy(&h, lh, sizeof(h));
		if (h.seq > maxseq)
			maxseq = h.seq;
		if (!h.commit)
			continue;
		if (h.commit == h.seq && h.len <= cap && jcrc(&h, recs) == h.crc &&
		    recs_ok(fs, recs, h.len, h.nrec)) {
			if (fs->rep) {
				problem(fs, fs->rep->repair,
					"journal lane %u: committed transaction %llu %s",
					l, (unsigned long long)h.seq,
					fs->rep->repair ? "replayed" : "not replayed");
				if (!fs->rep->repair)
					continue;
			} else if (fs->rdonly) {
				return -EROFS;
			}
			apply(fs, recs, h.len);
			fs->replayed++;
		} else if (!fs->rep) {
			/* commit != 0: the records were fenced and the home
			 * locations may be partly written; discarding it
			 * would leave the update torn, silently */
			problem(fs, 0, "journal lane %u: committed transaction corrupt",
				l);
			return -EUCLEAN;
		} else {
			problem(fs, fs->rep->repair,
				"journal lane %u: committed transaction corrupt%s",
				l, fs->rep->repair ? ": discarded" : "");
			if (!fs->rep->repair)
				continue;
		}
		pm_store8(m, &lh->commit, 0);
		pm_flush(m, &lh->commit, 8);
		pm_fence(m);
	}
	fs->jseq = maxseq;
	return 0;
}
