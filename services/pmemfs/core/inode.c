// SPDX-License-Identifier: BSD-2-Clause
/*
 * inode.c - the DRAM inode table (one struct pinode per used slot, never
 * freed before unmount, so a pointer stays valid), references, getattr,
 * setattr and freeing.
 *
 * An inode whose nlink is 0 stays allocated while referenced (open,
 * O_TMPFILE): the set of allocated inodes with nlink 0 is the persistent
 * orphan list; mount's inode scan frees them.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "core_i.h"

struct pmfs_dinode *dinode_ptr(struct pmfs *fs, uint64_t ino)
{
	return pm_ptr(fs->m, fs->sb.itable_blk * BS +
		      ino * sizeof(struct pmfs_dinode));
}

struct pinode *pinode_new(struct pmfs *fs, uint64_t ino)
{
	struct pinode *pi = calloc(1, sizeof(*pi));

	if (!pi)
		return NULL;
	pthread_rwlock_init(&pi->lock, NULL);
	pi->ino = ino;
	memcpy(&pi->d, dinode_ptr(fs, ino), sizeof(pi->d));
	__atomic_store_n(&fs->itab[ino], pi, __ATOMIC_RELEASE);
	return pi;
}

void pinode_free_dram(struct pinode *pi)
{
	emap_clear(&pi->em);
	dir_free(pi->dir);
	pi->dir = NULL;
}

/* the inode, locked, if it is in use: else NULL and *err */
struct pinode *iget_locked(struct pmfs *fs, uint64_t ino, bool wr, int *err)
{
	struct pinode *pi;

	if (ino < PMFS_ROOT_INO || ino >= fs->sb.inodes) {
		*err = -ESTALE;
		return NULL;
	}
	pi = __atomic_load_n(&fs->itab[ino], __ATOMIC_ACQUIRE);
	if (!pi) {
		*err = -ESTALE;
		return NULL;
	}
	if (wr)
		pthread_rwlock_wrlock(&pi->lock);
	else
		pthread_rwlock_rdlock(&pi->lock);
	if (!pi->d.mode || pi->bad) {
		pthread_rwlock_unlock(&pi->lock);
		*err = -ESTALE;
		return NULL;
	}
	return pi;
}

void iunlock(struct pinode *pi)
{
	pthread_rwlock_unlock(&pi->lock);
}

/*
 * File times at the kernel's own granularity (current_time() is coarse:
 * one tick); a coarse clock is read in the vDSO whatever the clocksource.
 */
void now_ts(int64_t *s, uint32_t *ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	*s = ts.tv_sec;
	*ns = (uint32_t)ts.tv_nsec;
}

void touch_mc(struct pmfs_dinode *d, bool m, bool c)
{
	int64_t s;
	uint32_t ns;

	now_ts(&s, &ns);
	if (m) {
		d->mtime_s = s;
		d->mtime_ns = ns;
	}
	if (c) {
		d->ctime_s = s;
		d->ctime_ns = ns;
	}
}

void fill_attr(const struct pinode *pi, struct pmfs_attr *a)
{
	const struct pmfs_dinode *d = &pi->d;

	if (!a)
		return;
	memset(a, 0, sizeof(*a));
	a->ino = pi->ino;
	a->generation = d->generation;
	a->mode = d->mode;
	a->nlink = d->nlink;
	a->uid = d->uid;
	a->gid = d->gid;
	a->rdev = d->rdev;
	a->size = d->size;
	a->blocks = pi->nblk * (BS / 512);
	a->atime.tv_sec = d->atime_s;
	a->atime.tv_nsec = d->atime_ns;
	a->mtime.tv_sec = d->mtime_s;
	a->mtime.tv_nsec = d->mtime_ns;
	a->ctime.tv_sec = d->ctime_s;
	a->ctime.tv_nsec = d->ctime_ns;
}

/* Free an inode with nlink 0 (write-locked): its blocks and xattr area
 * go after one transaction that marks the slot free. */
int inode_evict(struct pmfs *fs, struct pinode *pi)
{
	struct pmfs_dinode nd = pi->d;
	struct tx tx;
	int ret;

	ret = tx_init(fs, &tx);
	if (ret)
		return ret;
	emap_free_all(fs, pi, &nd, &tx);
	if (nd.xattr_blk)
		tx_free(&tx, nd.xattr_blk, nd.xattr_nblk);
	{
		uint64_t gen = nd.generation;

		memset(&nd, 0, sizeof(nd));
		nd.ino = pi->ino;
		nd.generation = gen;
	}
	tx_add_inode(fs, &tx, &nd);
	tx_commit(fs, &tx);
	tx_fini(&tx);
	pi->d = nd;
	pi->nblk = 0;
	pi->tmpfile = false;
	pi->refs = 0;
	pinode_free_dram(pi);
	iunalloc(fs, pi->ino);
	return 0;
}

/* called with pi write-locked after nlink or refs dropped */
void inode_maybe_evict(struct pmfs *fs, struct pinode *pi)
{
	if (pi->d.mode && !pi->d.nlink && !pi->refs) {
		__atomic_sub_fetch(&fs->orphans, 1, __ATOMIC_RELAXED);
		inode_evict(fs, pi);
	}
}

int pmfs_iget(struct pmfs *fs, uint64_t ino)
{
	struct pinode *pi;
	int err;

	pi = iget_locked(fs, ino, true, &err);
	if (!pi)
		return err;
	pi->refs++;
	iunlock(pi);
	return 0;
}

void pmfs_iput(struct pmfs *fs, uint64_t ino, uint64_t n)
{
	struct pinode *pi;
	int err;

	pi = iget_locked(fs, ino, true, &err);
	if (!pi)
		return;
	pi->refs = n > pi->refs ? 0 : pi->refs - n;
	if (!fs->rdonly)
		inode_maybe_evict(fs, pi);
	iunlock(pi);
}

int pmfs_getattr(struct pmfs *fs, uint64_t ino, struct pmfs_attr *attr)
{
	struct pinode *pi;
	int err;

	pi = iget_locked(fs, ino, false, &err);
	if (!pi)
		return err;
	fill_attr(pi, attr);
	iunlock(pi);
	return 0;
}

int pmfs_setattr(struct pmfs *fs, uint64_t ino, const struct pmfs_setattr *sa,
		 struct pmfs_attr *attr)
{
	struct pmfs_dinode nd;
	struct pinode *pi;
	struct tx tx;
	int64_t s;
	uint32_t ns;
	int err;

	if (fs->rdonly)
		return -EROFS;
	pi = iget_locked(fs, ino, true, &err);
	if (!pi)
		return err;
	if (sa->valid & PMFS_SET_SIZE) {
		if (S_ISDIR(pi->d.mode)) {
			err = -EISDIR;
			goto out;
		}
		if (!S_ISREG(pi->d.mode)) {
			err = -EINVAL;
			goto out;
		}
		err = do_truncate(fs, pi, sa->size);
		if (err)
			goto out;
	}
	err = tx_init(fs, &tx);
	if (err)
		goto out;
	nd = pi->d;
	now_ts(&s, &ns);
	if (sa->valid & PMFS_SET_MODE)
		nd.mode = (nd.mode & S_IFMT) | (sa->mode & 07777);
	if (sa->valid & PMFS_SET_UID)
		nd.uid = sa->uid;
	if (sa->valid & PMFS_SET_GID)
		nd.gid = sa->gid;
	if (sa->valid & PMFS_SET_ATIME_NOW) {
		nd.atime_s = s;
		nd.atime_ns = ns;
	} else if (sa->valid & PMFS_SET_ATIME) {
		nd.atime_s = sa->atime.tv_sec;
		nd.atime_ns = (uint32_t)sa->atime.tv_nsec;
	}
	if (sa->valid & PMFS_SET_MTIME_NOW) {
		nd.mtime_s = s;
		nd.mtime_ns = ns;
	} else if (sa->valid & PMFS_SET_MTIME) {
		nd.mtime_s = sa->mtime.tv_sec;
		nd.mtime_ns = (uint32_t)sa->mtime.tv_nsec;
	}
	if (sa->valid & PMFS_SET_CTIME) {
		nd.ctime_s = sa->ctime.tv_sec;
		nd.ctime_ns = (uint32_t)sa->ctime.tv_nsec;
	} else {
		nd.ctime_s = s;
		nd.ctime_ns = ns;
	}
	tx_add_inode(fs, &tx, &nd);
	tx_commit(fs, &tx);
	tx_fini(&tx);
	pi->d = nd;
	fill_attr(pi, attr);
out:
	iunlock(pi);
	return err;
}
