// SPDX-License-Identifier: BSD-2-Clause
/*
 * alloc.c - block and inode allocation.
 *
 * The allocator has no persistent state of its own: a block is in use iff
 * a block map (extent, extent leaf/index, xattr area) names it, and its
 * reference count is the number of extents naming it. Mount rebuilds the
 * DRAM counts (fs->rc) from the maps, so allocation and freeing need no
 * journal records: a freed block is reusable only after the transaction
 * that unmapped it has committed (tx_free/bput run after the commit), and
 * a block allocated but never mapped (crash) is free again at mount.
 * Each allocator lane owns a contiguous region of the data blocks and
 * steals from the other lanes when its own is empty.
 */
#include <sched.h>
#include <stdlib.h>

#include "core_i.h"

bool blk_valid(const struct pmfs *fs, uint64_t blk, uint64_t len)
{
	return len && blk >= fs->sb.data_blk && blk < fs->sb.nblocks &&
	       len <= fs->sb.nblocks - blk;
}

static struct alane *blk_lane(struct pmfs *fs, uint64_t idx)
{
	uint64_t per = fs->al[0].end - fs->al[0].start;
	uint64_t l = idx / per;

	return &fs->al[l < fs->nlanes ? l : fs->nlanes - 1];
}

int alloc_init(struct pmfs *fs)
{
	uint64_t n = fs->sb.data_blocks, per;

	fs->rc = calloc(n ? n : 1, sizeof(*fs->rc));
	if (!fs->rc)
		return -ENOMEM;
	fs->nlanes = fs->sb.lanes;
	per = n / fs->nlanes;
	for (uint32_t l = 0; l < fs->nlanes; l++) {
		pthread_mutex_init(&fs->al[l].lock, NULL);
		fs->al[l].start = l * per;
		fs->al[l].end = l + 1 == fs->nlanes ? n : (l + 1) * per;
		fs->al[l].hint = fs->al[l].start;
	}
	return 0;
}

void alloc_count(struct pmfs *fs)
{
	for (uint32_t l = 0; l < fs->nlanes; l++) {
		struct alane *a = &fs->al[l];

		a->nfree = 0;
		for (uint64_t i = a->start; i < a->end; i++)
			a->nfree += !fs->rc[i];
	}
}

uint64_t alloc_free(struct pmfs *fs)
{
	uint64_t f = 0;

	for (uint32_t l = 0; l < fs->nlanes; l++)
		f += __atomic_load_n(&fs->al[l].nfree, __ATOMIC_RELAXED);
	return f;
}

/* a run of >= min free blocks (up to want) in one lane */
static bool lane_alloc(struct pmfs *fs, struct alane *a, uint64_t want,
		       uint64_t min, uint64_t *blk, uint64_t *got)
{
	bool ok = false;

	pthread_mutex_lock(&a->lock);
	if (a->nfree >= min) {
		uint64_t span = a->end - a->start;

		for (uint64_t k = 0, i = a->hint; k < span;) {
			uint64_t j;

			if (i >= a->end)
				i = a->start;
			if (fs->rc[i]) {
				i++;
				k++;
				continue;
			}
			for (j = i; j < a->end && j - i < want && !fs->rc[j]; j++)
				;
			if (j - i >= min) {
				for (uint64_t b = i; b < j; b++)
					fs->rc[b] = 1;
				a->nfree -= j - i;
				a->hint = j;
				*blk = fs->sb.data_blk + i;
				*got = j - i;
				ok = true;
				break;
			}
			k += j - i;
			i = j;
		}
	}
	pthread_mutex_unlock(&a->lock);
	return ok;
}

int balloc(struct pmfs *fs, uint64_t want, uint64_t min, uint64_t *blk,
	   uint64_t *got)
{
	int cpu = sched_getcpu();
	uint32_t l0 = (cpu < 0 ? 0 : (uint32_t)cpu) % fs->nlanes;

	if (!want || min > want)
		return -EINVAL;
	for (uint32_t k = 0; k < fs->nlanes; k++)
		if (lane_alloc(fs, &fs->al[(l0 + k) % fs->nlanes], want, min,
			       blk, got))
			return 0;
	return -ENOSPC;
}

void bput(struct pmfs *fs, uint64_t blk, uint64_t len)
{
	uint64_t b = blk - fs->sb.data_blk, e = b + len;

	while (b < e) {
		struct alane *a = blk_lane(fs, b);
		uint64_t stop = a->end < e ? a->end : e;

		pthread_mutex_lock(&a->lock);
		for (; b < stop; b++)
			if (fs->rc[b] && !--fs->rc[b])
				a->nfree++;
		pthread_mutex_unlock(&a->lock);
	}
}

/* one more reference to mapped blocks (sharing) */
int bget(struct pmfs *fs, uint64_t blk, uint64_t len)
{
	uint64_t b0 = blk - fs->sb.data_blk, b;
	int ret = 0;

	for (b = b0; b < b0 + len; b++) {
		struct alane *a = blk_lane(fs, b);

		pthread_mutex_lock(&a->lock);
		if (!fs->rc[b] || fs->rc[b] == UINT16_MAX)
			ret = -EMLINK;
		else
			fs->rc[b]++;
		pthread_mutex_unlock(&a->lock);
		if (ret)
			break;
	}
	if (ret && b > b0)
		bput(fs, blk, b - b0);
	return ret;
}

/* mount/fsck: count a mapping; -EUCLEAN for a block used twice unless
 * both uses are shared extents */
int bmark(struct pmfs *fs, uint64_t blk, uint64_t len, bool shared)
{
	if (!blk_valid(fs, blk, len))
		return -ERANGE;
	for (uint64_t b = blk - fs->sb.data_blk, e = b + len; b < e; b++) {
		if (fs->rc[b] && !shared)
			return -EUCLEAN;
		if (fs->rc[b] == UINT16_MAX)
			return -EUCLEAN;
	}
	for (uint64_t b = blk - fs->sb.data_blk, e = b + len; b < e; b++)
		fs->rc[b]++;
	return 0;
}

int ialloc(struct pmfs *fs, struct pinode **pip)
{
	uint64_t n = fs->sb.inodes;
	int ret = -ENOSPC;

	pthread_mutex_lock(&fs->ialloc_lock);
	for (uint64_t k = 0, i = fs->ihint; k < n; k++, i++) {
		if (i >= n)
			i = PMFS_ROOT_INO + 1;
		if (i <= PMFS_ROOT_INO || fs->iused[i])
			continue;
		if (!fs->itab[i] && !pinode_new(fs, i)) {
			ret = -ENOMEM;
			break;
		}
		fs->iused[i] = 1;
		fs->ifree--;
		fs->ihint = i + 1;
		*pip = fs->itab[i];
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&fs->ialloc_lock);
	return ret;
}

void iunalloc(struct pmfs *fs, uint64_t ino)
{
	pthread_mutex_lock(&fs->ialloc_lock);
	if (fs->iused[ino]) {
		fs->iused[ino] = 0;
		fs->ifree++;
	}
	pthread_mutex_unlock(&fs->ialloc_lock);
}
