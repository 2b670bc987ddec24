// SPDX-License-Identifier: BSD-2-Clause
/*
 * recover.c - opening a file system (mount and fsck): superblock choice,
 * journal replay, the inode scan that validates every inode, extent map
 * and xattr area and rebuilds the allocator's reference counts, and the
 * freeing of orphans (allocated inodes with nlink 0; kept with
 * PMFS_MOUNT_KEEP_ORPHANS).
 *
 * Everything read from the media is bounds-checked before use: a mount
 * refuses a corrupted image (-EUCLEAN, err says what), fsck reports it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core_i.h"

void problem(struct pmfs *fs, int fixed, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (fs->rep) {
		fs->rep->fn(fs->rep->arg, msg, fixed);
		if (!fixed)
			fs->rep->unfixed++;
		else
			fs->repairs++;
	} else if (!fs->why[0]) {
		memcpy(fs->why, msg, sizeof(fs->why));
	}
}

static bool repairing(const struct pmfs *fs)
{
	return fs->rep && fs->rep->repair;
}

static int pick_sb(struct pmfs *fs, char *err, size_t errlen)
{
	struct pm_media *m = fs->m;
	struct pmfs_dsb a, b;
	char wa[80] = "media too small", wb[80] = "media too small";
	int ra = -EINVAL, rb = -EINVAL;

	if (m->size >= 2 * BS) {
		memcpy(&a, pm_ptr(m, PMFS_SB_BLK * BS), sizeof(a));
		memcpy(&b, pm_ptr(m, PMFS_SB_COPY_BLK * BS), sizeof(b));
		ra = sb_check(m, &a, wa, sizeof(wa));
		rb = sb_check(m, &b, wb, sizeof(wb));
	}
	if (ra && rb) {
		snprintf(err, errlen, "no valid superblock: primary: %s; copy: %s",
			 wa, wb);
		if (fs->rep)
			problem(fs, 0, "%s", err);
		return -EINVAL;
	}
	if (ra) {
		bool fix = !fs->rdonly;

		fs->sb = b;
		snprintf(err, errlen,
			 "primary superblock bad (%s): using the copy%s", wa,
			 fix ? ", primary restored" : "");
		if (fs->rep)
			problem(fs, fix, "primary superblock bad (%s)%s", wa,
				fix ? ": restored from the copy" : "");
		if (fix) {
			pm_store_flush(m, pm_ptr(m, PMFS_SB_BLK * BS), &b, sizeof(b));
			pm_fence(m);
		}
		return 0;
	}
	fs->sb = a;
	if (rb || memcmp(&a, &b, sizeof(a))) {
		bool fix = !fs->rdonly;

		if (fs->rep)
			problem(fs, fix, "superblock copy bad (%s)%s",
				rb ? wb : "differs from the primary",
				fix ? ": rewritten" : "");
		if (fix) {
			pm_store_flush(m, pm_ptr(m, PMFS_SB_COPY_BLK * BS), &a,
				       sizeof(a));
			pm_fence(m);
		}
	}
	return 0;
}

static bool mode_ok(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR:
	case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		return true;
	}
	return false;
}

/* write a free inode over slot @ino (fsck repair, through the journal) */
static void clear_inode(struct pmfs *fs, uint64_t ino, uint64_t gen)
{
	struct pmfs_dinode nd = { .ino = ino, .generation = gen };
	struct tx tx;

	if (tx_init(fs, &tx))
		return;
	tx_add_inode(fs, &tx, &nd);
	tx_commit(fs, &tx);
	tx_fini(&tx);
}

static int scan_inode(struct pmfs *fs, uint64_t ino)
{
	const struct pmfs_dinode *d = dinode_ptr(fs, ino);
	const char *why = NULL;
	struct pinode *pi = NULL;
	int ret;

	if (!d->magic && !d->crc && !d->mode)
		return 0;
	if (d->magic != PMFS_INODE_MAGIC || !pmfs_obj_crc_ok(d, sizeof(*d)))
		why = "bad checksum";
	else if (d->ino != ino)
		why = "wrong inode number";
	else if (!d->mode)
		return 0;
	else if (!mode_ok(d->mode))
		why = "bad mode";
	else if (S_ISDIR(d->mode) && d->size % BS)
		why = "bad directory size";
	else if (S_ISLNK(d->mode) && (!d->size || d->size > PMFS_SYMLINK_MAX ||
		 (!d->nr_ext && !d->ext_index && d->size >= PMFS_INLINE_AREA)))
		why = "bad symlink";
	if (!why) {
		pi = pinode_new(fs, ino);
		if (!pi)
			return -ENOMEM;
		ret = emap_load(fs, pi, true, &why);
		if (ret == -ENOMEM)
			return ret;
		if (!ret)
			why = NULL;
		if (!ret && xattr_check(fs, &pi->d))
			why = "bad xattr area";
		if (!why && pi->d.xattr_blk &&
		    bmark(fs, pi->d.xattr_blk, pi->d.xattr_nblk, false))
			why = "xattr blocks used twice";
		if (why)
			pi->bad = true;
	}
	if (why) {
		problem(fs, repairing(fs), "inode %llu: %s%s",
			(unsigned long long)ino, why,
			repairing(fs) ? ": cleared" : "");
		if (!fs->rep)
			return -EUCLEAN;
		if (fs->itab[ino])
			fs->itab[ino]->bad = true;
		if (repairing(fs))
			clear_inode(fs, ino, d->generation);
		return 0;
	}
	fs->iused[ino] = 1;
	fs->ifree--;
	if (!pi->d.nlink)
		fs->orphans++;
	return 0;
}

void fs_close(struct pmfs *fs)
{
	if (fs->itab)
		for (uint64_t i = 0; i < fs->sb.inodes; i++)
			if (fs->itab[i]) {
				pinode_free_dram(fs->itab[i]);
				pthread_rwlock_destroy(&fs->itab[i]->lock);
				free(fs->itab[i]);
			}
	free(fs->itab);
	free(fs->iused);
	free(fs->rc);
	free(fs);
}

int fs_open(struct pm_media *m, unsigned int flags, struct scanrep *rep,
	    struct pmfs **fsp, char *err, size_t errlen)
{
	struct pmfs *fs;
	char dummy[8];
	int ret;

	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = 0;
	fs = calloc(1, sizeof(*fs));
	if (!fs) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	fs->m = m;
	fs->rep = rep;
	fs->rdonly = flags & PMFS_MOUNT_RDONLY;
	pthread_mutex_init(&fs->ialloc_lock, NULL);
	pthread_mutex_init(&fs->rename_lock, NULL);
	ret = pick_sb(fs, err, errlen);
	if (ret)
		goto fail;
	ret = -ENOMEM;
	fs->itab = calloc(fs->sb.inodes, sizeof(*fs->itab));
	fs->iused = calloc(fs->sb.inodes, 1);
	if (!fs->itab || !fs->iused || alloc_init(fs))
		goto fail;
	for (uint32_t l = 0; l < PMFS_MAX_LANES; l++)
		pthread_mutex_init(&fs->jl[l], NULL);
	fs->ifree = fs->sb.inodes - 1;
	fs->ihint = PMFS_ROOT_INO + 1;
	ret = journal_recover(fs);
	if (ret == -EUCLEAN) {
		snprintf(err, errlen, "%s: run fsck.pmemfs", fs->why);
		goto fail;
	} else if (ret) {
		snprintf(err, errlen, "the journal needs recovery (read-only)");
		goto fail;
	}
	for (uint64_t i = PMFS_ROOT_INO; i < fs->sb.inodes; i++) {
		ret = scan_inode(fs, i);
		if (ret) {
			if (ret == -EUCLEAN)
				snprintf(err, errlen, "%s: run fsck.pmemfs",
					 fs->why);
			goto fail;
		}
	}
	if (!fs->iused[PMFS_ROOT_INO] ||
	    !S_ISDIR(fs->itab[PMFS_ROOT_INO]->d.mode) ||
	    !fs->itab[PMFS_ROOT_INO]->d.nlink) {
		if (!repairing(fs))	/* fsck -y makes a new one */
			problem(fs, 0, "no root directory");
		snprintf(err, errlen, "no root directory: run fsck.pmemfs");
		ret = -EUCLEAN;
		if (!fs->rep)
			goto fail;
	}
	alloc_count(fs);
	if (!fs->rep || repairing(fs)) {
		/* read-only or KEEP_ORPHANS (a re-attached server's kernel
		 * may still hold them open): orphans stay, nothing is freed;
		 * they stay on the orphan list for a later mount */
		if (!fs->rdonly && !(flags & PMFS_MOUNT_KEEP_ORPHANS))
			for (uint64_t i = PMFS_ROOT_INO + 1; i < fs->sb.inodes; i++) {
				struct pinode *pi = fs->itab[i];

				if (fs->iused[i] && !pi->d.nlink) {
					if (fs->rep)
						problem(fs, 1, "orphan inode %llu freed",
							(unsigned long long)i);
					inode_maybe_evict(fs, pi);
				}
			}
	} else if (fs->orphans) {
		problem(fs, 0, "%llu orphan inode(s) (freed by mount or -y)",
			(unsigned long long)fs->orphans);
	}
	*fsp = fs;
	return 0;
fail:
	fs_close(fs);
	return ret;
}
