// SPDX-License-Identifier: BSD-2-Clause
/*
 * super.c - superblocks (primary in block 0, copy in block 1), mkfs,
 * statfs, identity.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "core_i.h"

int sb_check(const struct pm_media *m, const struct pmfs_dsb *sb,
	     char *why, size_t len)
{
	uint64_t itb;

#define BAD(msg) do { snprintf(why, len, "%s", msg); return -EINVAL; } while (0)
	if (sb->magic != PMFS_SB_MAGIC)
		BAD("bad magic (not pmemfs)");
	if (!pmfs_obj_crc_ok(sb, sizeof(*sb)))
		BAD("bad checksum");
	if (sb->version != PMFS_VERSION)
		BAD("unsupported version");
	if (sb->feat_incompat & ~PMFS_FEAT_INCOMPAT_SUPP)
		BAD("unsupported incompatible features");
	if (sb->block_size != BS || sb->inode_size != sizeof(struct pmfs_dinode))
		BAD("bad block or inode size");
	if (!sb->lanes || sb->lanes > PMFS_MAX_LANES ||
	    sb->lane_blocks != PMFS_LANE_BLOCKS)
		BAD("bad journal geometry");
	if (sb->size > m->size || sb->nblocks != sb->size / BS)
		BAD("size larger than the media");
	if (sb->inodes < 2 || sb->inodes > (1ULL << 40))
		BAD("bad inode count");
	itb = div_up(sb->inodes * sizeof(struct pmfs_dinode), BS);
	if (sb->journal_blk != PMFS_JOURNAL_BLK ||
	    sb->itable_blk != sb->journal_blk +
			      (uint64_t)sb->lanes * sb->lane_blocks ||
	    sb->data_blk != sb->itable_blk + itb ||
	    sb->data_blk >= sb->nblocks ||
	    sb->data_blocks != sb->nblocks - sb->data_blk ||
	    sb->data_blocks < sb->lanes)
		BAD("inconsistent geometry");
#undef BAD
	return 0;
}

int pmfs_mkfs(struct pm_media *m, const struct pmfs_mkfs_opts *o)
{
	struct pmfs_dsb sb = { 0 };
	struct pmfs_dinode root = { 0 };
	uint64_t size = o && o->size ? o->size : m->size, itb, inodes;
	uint32_t lanes = o && o->lanes ? o->lanes : PMFS_MAX_LANES;
	char why[64];

	if (size > m->size)
		return -ENOSPC;
	if (lanes > PMFS_MAX_LANES)
		return -EINVAL;
	size -= size % BS;
	inodes = (o && o->inodes ? o->inodes : size / 16384) + 1;
	if (inodes < 16)
		inodes = 16;
	if (inodes > (1ULL << 40))
		return -EINVAL;
	itb = div_up(inodes * sizeof(struct pmfs_dinode), BS);
	for (;;) {
		uint64_t meta = PMFS_JOURNAL_BLK +
				(uint64_t)lanes * PMFS_LANE_BLOCKS + itb;

		if (meta + 16 * (uint64_t)lanes <= size / BS)
			break;
		if (lanes == 1)
			return -ENOSPC;
		lanes /= 2;
	}
	sb.magic = PMFS_SB_MAGIC;
	sb.version = PMFS_VERSION;
	sb.block_size = BS;
	sb.lanes = lanes;
	sb.lane_blocks = PMFS_LANE_BLOCKS;
	sb.inode_size = sizeof(struct pmfs_dinode);
	sb.size = size;
	sb.nblocks = size / BS;
	sb.journal_blk = PMFS_JOURNAL_BLK;
	sb.itable_blk = PMFS_JOURNAL_BLK + (uint64_t)lanes * PMFS_LANE_BLOCKS;
	sb.inodes = inodes;
	sb.data_blk = sb.itable_blk + itb;
	sb.data_blocks = sb.nblocks - sb.data_blk;
	sb.mkfs_time = (uint64_t)time(NULL);
	if (o)
		memcpy(sb.uuid, o->uuid, 16);
	if (!memcmp(sb.uuid, (uint8_t[16]){ 0 }, 16)) {
		if (getrandom(sb.uuid, 16, 0) != 16)
			return -EIO;
		sb.uuid[6] = (sb.uuid[6] & 0x0f) | 0x40;
		sb.uuid[8] = (sb.uuid[8] & 0x3f) | 0x80;
	}
	if (o)
		memcpy(sb.label, o->label, sizeof(sb.label));
	pmfs_obj_seal(&sb, sizeof(sb));
	if (sb_check(m, &sb, why, sizeof(why)))
		return -EINVAL;

	/* invalidate first, so a half-made file system is never mounted */
	pm_set_flush(m, pm_ptr(m, 0), 0, 2 * BS);
	pm_fence(m);
	pm_set_flush(m, pm_ptr(m, sb.journal_blk * BS), 0,
		     (sb.data_blk - sb.journal_blk) * BS);
	root.magic = PMFS_INODE_MAGIC;
	root.ino = PMFS_ROOT_INO;
	root.generation = 1;
	root.mode = S_IFDIR | 0755;
	root.nlink = 2;
	root.parent = PMFS_ROOT_INO;
	root.atime_s = root.mtime_s = root.ctime_s = (int64_t)sb.mkfs_time;
	pmfs_obj_seal(&root, sizeof(root));
	pm_store_flush(m, pm_ptr(m, sb.itable_blk * BS +
				 PMFS_ROOT_INO * sizeof(root)), &root,
		       sizeof(root));
	pm_fence(m);
	pm_store_flush(m, pm_ptr(m, PMFS_SB_COPY_BLK * BS), &sb, sizeof(sb));
	pm_fence(m);
	pm_store_flush(m, pm_ptr(m, PMFS_SB_BLK * BS), &sb, sizeof(sb));
	pm_fence(m);
	return 0;
}

int pmfs_mount(struct pm_media *m, unsigned int flags, struct pmfs **fsp,
	       char *err, size_t errlen)
{
	if (flags & ~(PMFS_MOUNT_RDONLY | PMFS_MOUNT_KEEP_ORPHANS)) {
		if (err && errlen)
			snprintf(err, errlen, "unknown mount flags");
		return -EINVAL;
	}
	return fs_open(m, flags, NULL, fsp, err, errlen);
}

void pmfs_umount(struct pmfs *fs)
{
	if (fs) {
		pm_fence(fs->m);
		fs_close(fs);
	}
}

void pmfs_uuid(const struct pmfs *fs, uint8_t uuid[16])
{
	memcpy(uuid, fs->sb.uuid, 16);
}

int pmfs_statfs(struct pmfs *fs, struct pmfs_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->blocks = fs->sb.data_blocks;
	st->bfree = alloc_free(fs);
	st->inodes = fs->sb.inodes - 1;
	pthread_mutex_lock(&fs->ialloc_lock);
	st->ifree = fs->ifree;
	pthread_mutex_unlock(&fs->ialloc_lock);
	st->orphans = __atomic_load_n(&fs->orphans, __ATOMIC_RELAXED);
	st->block_size = BS;
	st->lanes = fs->nlanes;
	for (uint32_t l = 0; l < fs->nlanes; l++)
		st->lane_free[l] = __atomic_load_n(&fs->al[l].nfree,
						   __ATOMIC_RELAXED);
	st->journal_commits = __atomic_load_n(&fs->commits, __ATOMIC_RELAXED);
	st->journal_replayed = fs->replayed;
	memcpy(st->uuid, fs->sb.uuid, 16);
	memcpy(st->label, fs->sb.label, sizeof(st->label));
	st->version = fs->sb.version;
	st->features = fs->sb.feat_incompat;
	return 0;
}
