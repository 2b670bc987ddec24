// SPDX-License-Identifier: BSD-2-Clause
/*
 * namei.c - names: lookup, the create family, link, unlink, rmdir,
 * rename (NOREPLACE, EXCHANGE), O_TMPFILE, readlink. Each operation is one
 * transaction: the entries, the inodes and the directory growth commit
 * together or not at all.
 */
#include <sched.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core_i.h"

/* write-locked directory with its index loaded */
static struct pinode *dir_wlock(struct pmfs *fs, uint64_t ino, int *err)
{
	struct pinode *dir = iget_locked(fs, ino, true, err);

	if (!dir)
		return NULL;
	if (!S_ISDIR(dir->d.mode)) {
		*err = -ENOTDIR;
		goto fail;
	}
	*err = dir_load(fs, dir);
	if (*err)
		goto fail;
	return dir;
fail:
	iunlock(dir);
	return NULL;
}

static struct pinode *itry(struct pmfs *fs, uint64_t ino, int *err)
{
	struct pinode *pi;

	if (ino < PMFS_ROOT_INO || ino >= fs->sb.inodes ||
	    !(pi = __atomic_load_n(&fs->itab[ino], __ATOMIC_ACQUIRE))) {
		*err = -EIO;
		return NULL;
	}
	if (pthread_rwlock_trywrlock(&pi->lock)) {
		*err = -EBUSY;
		return NULL;
	}
	if (!pi->d.mode || pi->bad) {
		iunlock(pi);
		*err = -EIO;
		return NULL;
	}
	return pi;
}

int pmfs_lookup(struct pmfs *fs, uint64_t dirino, const char *name,
		size_t namelen, struct pmfs_attr *attr)
{
	struct pinode *dir, *pi;
	const struct pmfs_dent *de;
	uint32_t slot;
	uint64_t ino;
	int ret = name_ok(name, namelen);

	if (ret)
		return ret;
	dir = iget_locked(fs, dirino, false, &ret);
	if (!dir)
		return ret;
	if (!S_ISDIR(dir->d.mode)) {
		iunlock(dir);
		return -ENOTDIR;
	}
	if (!dir->dir) {
		iunlock(dir);
		dir = dir_wlock(fs, dirino, &ret);
		if (!dir)
			return ret;
	}
	ret = dir_find(fs, dir, name, namelen, &slot, &de);
	if (ret)
		goto out;
	ino = de->ino;
	pi = iget_locked(fs, ino, false, &ret);
	if (!pi) {
		ret = -EIO;
		goto out;
	}
	__atomic_add_fetch(&pi->refs, 1, __ATOMIC_RELAXED);
	fill_attr(pi, attr);
	iunlock(pi);
out:
	iunlock(dir);
	return ret;
}

static int do_create(struct pmfs *fs, uint64_t dirino, const char *name,
		     size_t len, const struct pmfs_new *ni, const char *target,
		     size_t tlen, bool tmp, struct pmfs_attr *attr)
{
	struct pmfs_dinode nd, ndir;
	uint32_t mode = ni->mode, slot;
	struct pinode *dir, *pi;
	uint64_t sblk = 0;
	struct tx tx;
	int ret;

	if (fs->rdonly)
		return -EROFS;
	if (!tmp && (ret = name_ok(name, len)))
		return ret;
	if (!(mode & S_IFMT))
		mode |= S_IFREG;
	if (tmp && !S_ISREG(mode))
		return -EINVAL;
	dir = dir_wlock(fs, dirino, &ret);
	if (!dir)
		return ret;
	if (!dir->d.nlink) {
		ret = -ENOENT;
		goto out_dir;
	}
	if (!tmp && !dir_find(fs, dir, name, len, &slot, NULL)) {
		ret = -EEXIST;
		goto out_dir;
	}
	if (S_ISDIR(mode) && dir->d.nlink >= PMFS_LINK_MAX) {
		ret = -EMLINK;
		goto out_dir;
	}
	ret = tx_init(fs, &tx);
	if (ret)
		goto out_dir;
	ret = ialloc(fs, &pi);
	if (ret)
		goto out_tx;
	pthread_rwlock_wrlock(&pi->lock);
	memset(&nd, 0, sizeof(nd));
	nd.ino = pi->ino;
	nd.generation = pi->d.generation + 1;
	nd.mode = mode;
	nd.uid = ni->uid;
	nd.gid = ni->gid;
	nd.nlink = tmp ? 0 : S_ISDIR(mode) ? 2 : 1;
	nd.rdev = (S_ISCHR(mode) || S_ISBLK(mode)) ? ni->rdev : 0;
	nd.parent = dirino;
	now_ts(&nd.atime_s, &nd.atime_ns);
	nd.mtime_s = nd.ctime_s = nd.atime_s;
	nd.mtime_ns = nd.ctime_ns = nd.atime_ns;
	ret = xattr_build(fs, &nd, ni->xattrs, ni->nr_xattrs);
	if (ret)
		goto out_ino;
	pi->nblk = 0;
	if (S_ISLNK(mode)) {
		nd.size = tlen;
		if (tlen < PMFS_INLINE_AREA) {
			memcpy(nd.u.symlink, target, tlen);
		} else {
			uint64_t got;

			ret = balloc(fs, 1, 1, &sblk, &got);
			if (ret)
				goto out_xattr;
			pm_store_flush(fs->m, blk_ptr(fs, sblk), target, tlen);
			pm_fence(fs->m);
			nd.u.ext[0].pblk = sblk;
			nd.u.ext[0].len = 1;
			nd.nr_ext = 1;
			pi->nblk = 1;
		}
	}
	ndir = dir->d;
	if (!tmp) {
		ret = dir_add(fs, dir, &ndir, &tx, name, len, pi->ino,
			      mode_dtype(mode));
		if (ret)
			goto out_sym;
		if (S_ISDIR(mode))
			ndir.nlink++;
		touch_mc(&ndir, true, true);
		tx_add_inode(fs, &tx, &ndir);
	}
	tx_add_inode(fs, &tx, &nd);
	tx_commit(fs, &tx);
	pi->d = nd;
	dir->d = ndir;
	pi->refs = 1;
	pi->tmpfile = tmp;
	if (tmp)
		__atomic_add_fetch(&fs->orphans, 1, __ATOMIC_RELAXED);
	fill_attr(pi, attr);
	iunlock(pi);
	goto out_tx;
out_sym:
	if (sblk)
		bput(fs, sblk, 1);
out_xattr:
	if (nd.xattr_blk)
		bput(fs, nd.xattr_blk, nd.xattr_nblk);
out_ino:
	iunlock(pi);
	iunalloc(fs, pi->ino);
out_tx:
	tx_fini(&tx);
out_dir:
	iunlock(dir);
	return ret;
}

int pmfs_mknod(struct pmfs *fs, uint64_t dir, const char *name,
	       size_t namelen, const struct pmfs_new *ni,
	       struct pmfs_attr *attr)
{
	if (S_ISLNK(ni->mode))
		return -EINVAL;
	return do_create(fs, dir, name, namelen, ni, NULL, 0, false, attr);
}

int pmfs_symlink(struct pmfs *fs, uint64_t dir, const char *name,
		 size_t namelen, const char *target, size_t targetlen,
		 const struct pmfs_new *ni, struct pmfs_attr *attr)
{
	struct pmfs_new n = *ni;

	if (!target || !targetlen)
		return -ENOENT;
	if (targetlen > PMFS_SYMLINK_MAX)
		return -ENAMETOOLONG;
	n.mode = S_IFLNK | 0777;
	return do_create(fs, dir, name, namelen, &n, target, targetlen, false,
			 attr);
}

int pmfs_tmpfile(struct pmfs *fs, uint64_t dir, const struct pmfs_new *ni,
		 struct pmfs_attr *attr)
{
	return do_create(fs, dir, NULL, 0, ni, NULL, 0, true, attr);
}

ssize_t pmfs_readlink(struct pmfs *fs, uint64_t ino, char *buf, size_t size)
{
	struct pinode *pi;
	size_t n;
	int err;

	pi = iget_locked(fs, ino, false, &err);
	if (!pi)
		return err;
	if (!S_ISLNK(pi->d.mode)) {
		iunlock(pi);
		return -EINVAL;
	}
	n = pi->d.size < size ? pi->d.size : size;
	if (!pi->d.nr_ext && n <= PMFS_INLINE_AREA)
		memcpy(buf, pi->d.u.symlink, n);
	else if (pi->d.nr_ext == 1 && n <= BS)
		memcpy(buf, blk_ptr(fs, pi->d.u.ext[0].pblk), n);
	else
		n = (size_t)-EIO;
	iunlock(pi);
	return (ssize_t)n;
}

int pmfs_link(struct pmfs *fs, uint64_t ino, uint64_t newdir,
	      const char *name, size_t namelen, struct pmfs_attr *attr)
{
	struct pmfs_dinode nd, ndir;
	struct pinode *dir, *pi;
	uint32_t slot;
	struct tx tx;
	int ret = name_ok(name, namelen);

	if (ret)
		return ret;
	if (fs->rdonly)
		return -EROFS;
	ret = tx_init(fs, &tx);
	if (ret)
		return ret;
again:
	dir = dir_wlock(fs, newdir, &ret);
	if (!dir)
		goto out_tx;
	if (ino == newdir) {
		ret = -EPERM;
		goto out_dir;
	}
	pi = itry(fs, ino, &ret);
	if (!pi) {
		iunlock(dir);
		if (ret == -EBUSY) {
			sched_yield();
			goto again;
		}
		ret = -ENOENT;
		goto out_tx;
	}
	if (S_ISDIR(pi->d.mode)) {
		ret = -EPERM;
		goto out;
	}
	if (pi->d.nlink >= PMFS_LINK_MAX) {
		ret = -EMLINK;
		goto out;
	}
	if ((!pi->d.nlink && !pi->tmpfile) || !dir->d.nlink) {
		ret = -ENOENT;
		goto out;
	}
	if (!dir_find(fs, dir, name, namelen, &slot, NULL)) {
		ret = -EEXIST;
		goto out;
	}
	ndir = dir->d;
	nd = pi->d;
	ret = dir_add(fs, dir, &ndir, &tx, name, namelen, ino,
		      mode_dtype(nd.mode));
	if (ret)
		goto out;
	nd.nlink++;
	touch_mc(&nd, false, true);
	touch_mc(&ndir, true, true);
	tx_add_inode(fs, &tx, &ndir);
	tx_add_inode(fs, &tx, &nd);
	tx_commit(fs, &tx);
	dir->d = ndir;
	pi->d = nd;
	if (nd.nlink == 1) {
		pi->tmpfile = false;
		__atomic_sub_fetch(&fs->orphans, 1, __ATOMIC_RELAXED);
	}
	__atomic_add_fetch(&pi->refs, 1, __ATOMIC_RELAXED);
	fill_attr(pi, attr);
out:
	iunlock(pi);
out_dir:
	iunlock(dir);
out_tx:
	tx_fini(&tx);
	return ret;
}

static int do_remove(struct pmfs *fs, uint64_t dirino, const char *name,
		     size_t len, bool isdir)
{
	struct pmfs_dinode nd, ndir;
	const struct pmfs_dent *de;
	struct pinode *dir, *pi;
	uint32_t slot;
	struct tx tx;
	int ret = name_ok(name, len);

	if (ret)
		return ret;
	if (fs->rdonly)
		return -EROFS;
	ret = tx_init(fs, &tx);
	if (ret)
		return ret;
again:
	dir = dir_wlock(fs, dirino, &ret);
	if (!dir)
		goto out_tx;
	ret = dir_find(fs, dir, name, len, &slot, &de);
	if (ret)
		goto out_dir;
	pi = itry(fs, de->ino, &ret);
	if (!pi) {
		iunlock(dir);
		if (ret == -EBUSY) {
			sched_yield();
			goto again;
		}
		goto out_tx;
	}
	if (isdir && !S_ISDIR(pi->d.mode)) {
		ret = -ENOTDIR;
		goto out;
	}
	if (!isdir && S_ISDIR(pi->d.mode)) {
		ret = -EISDIR;
		goto out;
	}
	if (isdir) {
		ret = dir_load(fs, pi);
		if (ret)
			goto out;
		if (pi->dir->nent) {
			ret = -ENOTEMPTY;
			goto out;
		}
	}
	ndir = dir->d;
	nd = pi->d;
	ret = dir_remove(fs, dir, &tx, slot);
	if (ret)
		goto out;
	nd.nlink = isdir ? 0 : nd.nlink - 1;
	if (isdir)
		ndir.nlink--;
	touch_mc(&nd, false, true);
	touch_mc(&ndir, true, true);
	tx_add_inode(fs, &tx, &ndir);
	tx_add_inode(fs, &tx, &nd);
	tx_commit(fs, &tx);
	dir->d = ndir;
	pi->d = nd;
	if (!nd.nlink) {
		__atomic_add_fetch(&fs->orphans, 1, __ATOMIC_RELAXED);
		inode_maybe_evict(fs, pi);
	}
out:
	iunlock(pi);
out_dir:
	iunlock(dir);
out_tx:
	tx_fini(&tx);
	return ret;
}

int pmfs_unlink(struct pmfs *fs, uint64_t dir, const char *name,
		size_t namelen)
{
	return do_remove(fs, dir, name, namelen, false);
}

int pmfs_rmdir(struct pmfs *fs, uint64_t dir, const char *name,
	       size_t namelen)
{
	return do_remove(fs, dir, name, namelen, true);
}

/* is @anc an ancestor of (or equal to) @ino? (rename_lock held) */
static bool is_ancestor(struct pmfs *fs, uint64_t anc, uint64_t ino)
{
	for (uint64_t n = 0; n < fs->sb.inodes; n++) {
		struct pinode *pi;

		if (ino == anc)
			return true;
		if (ino == PMFS_ROOT_INO || ino >= fs->sb.inodes)
			return false;
		pi = __atomic_load_n(&fs->itab[ino], __ATOMIC_ACQUIRE);
		if (!pi)
			return false;
		ino = __atomic_load_n(&pi->d.parent, __ATOMIC_RELAXED);
	}
	return true;
}

int pmfs_rename(struct pmfs *fs, uint64_t olddir, const char *oldname,
		size_t oldlen, uint64_t newdir, const char *newname,
		size_t newlen, unsigned int flags)
{
	struct pinode *op = NULL, *np = NULL, *sp = NULL, *tp = NULL;
	struct pmfs_dinode dop, dnp, ds, dt, *pnp;
	const struct pmfs_dent *de;
	uint32_t sslot, tslot = 0;
	uint64_t sino, tino = 0;
	bool target, sdir, tdir = false;
	struct tx tx;
	int ret;

	if ((ret = name_ok(oldname, oldlen)) || (ret = name_ok(newname, newlen)))
		return ret;
	if (flags & ~(PMFS_RENAME_NOREPLACE | PMFS_RENAME_EXCHANGE) ||
	    flags == (PMFS_RENAME_NOREPLACE | PMFS_RENAME_EXCHANGE))
		return -EINVAL;
	if (fs->rdonly)
		return -EROFS;
	ret = tx_init(fs, &tx);
	if (ret)
		return ret;
	/* like the VFS: only a rename across directories needs the fs-wide
	 * rename lock (it keeps the tree still for the loop check) */
	if (olddir != newdir)
		pthread_mutex_lock(&fs->rename_lock);
again:
	op = np = sp = tp = NULL;
	{
		uint64_t a = olddir < newdir ? olddir : newdir;
		uint64_t b = olddir < newdir ? newdir : olddir;
		struct pinode *pa, *pb = NULL;

		pa = dir_wlock(fs, a, &ret);
		if (!pa)
			goto out_unlocked;
		if (b != a) {
			pb = itry(fs, b, &ret);
			if (!pb) {
				iunlock(pa);
				if (ret == -EBUSY) {
					sched_yield();
					goto again;
				}
				ret = -ENOENT;
				goto out_unlocked;
			}
			if (!S_ISDIR(pb->d.mode)) {
				iunlock(pa);
				iunlock(pb);
				ret = -ENOTDIR;
				goto out_unlocked;
			}
			ret = dir_load(fs, pb);
			if (ret) {
				iunlock(pa);
				iunlock(pb);
				goto out_unlocked;
			}
		}
		op = olddir == a ? pa : pb;
		np = newdir == a ? pa : pb;
	}
	ret = dir_find(fs, op, oldname, oldlen, &sslot, &de);
	if (ret)
		goto out;
	sino = de->ino;
	target = !dir_find(fs, np, newname, newlen, &tslot, &de);
	if (target)
		tino = de->ino;
	if ((flags & PMFS_RENAME_EXCHANGE) && !target) {
		ret = -ENOENT;
		goto out;
	}
	if (target && (flags & PMFS_RENAME_NOREPLACE)) {
		ret = -EEXIST;
		goto out;
	}
	if (target && tino == sino) {
		ret = 0;
		goto out;
	}
	if (sino == olddir || sino == newdir || tino == olddir ||
	    tino == newdir) {
		ret = -EINVAL;
		goto out;
	}
	sp = itry(fs, sino, &ret);
	if (sp && target)
		tp = itry(fs, tino, &ret);
	if (!sp || (target && !tp)) {
		if (ret == -EBUSY) {
			if (sp)
				iunlock(sp);
			sp = NULL;
			iunlock(op);
			if (np != op)
				iunlock(np);
			sched_yield();
			goto again;
		}
		goto out;
	}
	sdir = S_ISDIR(sp->d.mode);
	tdir = tp && S_ISDIR(tp->d.mode);
	if (target && !(flags & PMFS_RENAME_EXCHANGE)) {
		if (sdir && !tdir) {
			ret = -ENOTDIR;
			goto out;
		}
		if (!sdir && tdir) {
			ret = -EISDIR;
			goto out;
		}
		if (tdir) {
			ret = dir_load(fs, tp);
			if (ret)
				goto out;
			if (tp->dir->nent) {
				ret = -ENOTEMPTY;
				goto out;
			}
		}
	}
	if (olddir != newdir && ((sdir && is_ancestor(fs, sino, newdir)) ||
	    ((flags & PMFS_RENAME_EXCHANGE) && tdir &&
	     is_ancestor(fs, tino, olddir)))) {
		ret = -EINVAL;
		goto out;
	}
	if (olddir != newdir && sdir && !target &&
	    np->d.nlink >= PMFS_LINK_MAX) {
		ret = -EMLINK;
		goto out;
	}
	dop = op->d;
	dnp = np->d;
	pnp = op == np ? &dop : &dnp;
	ds = sp->d;
	if (tp)
		dt = tp->d;
	if (flags & PMFS_RENAME_EXCHANGE) {
		ret = dir_set(fs, op, &tx, sslot, tino, mode_dtype(dt.mode));
		if (!ret)
			ret = dir_set(fs, np, &tx, tslot, sino,
				      mode_dtype(ds.mode));
		if (ret)
			goto out;
		if (olddir != newdir) {
			if (sdir) {
				ds.parent = newdir;
				dop.nlink--;
				pnp->nlink++;
			}
			if (tdir) {
				dt.parent = olddir;
				dop.nlink++;
				pnp->nlink--;
			}
		}
		touch_mc(&dt, false, true);
	} else if (target) {
		ret = dir_set(fs, np, &tx, tslot, sino, mode_dtype(ds.mode));
		if (!ret)
			ret = dir_remove(fs, op, &tx, sslot);
		if (ret)
			goto out;
		if (tdir) {
			dt.nlink = 0;
			pnp->nlink--;
		} else {
			dt.nlink--;
		}
		touch_mc(&dt, false, true);
		if (sdir && olddir != newdir) {
			ds.parent = newdir;
			dop.nlink--;
			pnp->nlink++;
		}
	} else {
		ret = dir_add(fs, np, pnp, &tx, newname, newlen, sino,
			      mode_dtype(ds.mode));
		if (!ret)
			ret = dir_remove(fs, op, &tx, sslot);
		if (ret)
			goto out;
		if (sdir && olddir != newdir) {
			ds.parent = newdir;
			dop.nlink--;
			pnp->nlink++;
		}
	}
	touch_mc(&ds, false, true);
	touch_mc(&dop, true, true);
	touch_mc(pnp, true, true);
	tx_add_inode(fs, &tx, &dop);
	if (op != np)
		tx_add_inode(fs, &tx, &dnp);
	tx_add_inode(fs, &tx, &ds);
	if (tp)
		tx_add_inode(fs, &tx, &dt);
	tx_commit(fs, &tx);
	op->d = dop;
	if (op != np)
		np->d = dnp;
	sp->d = ds;
	if (tp) {
		tp->d = dt;
		if (!dt.nlink) {
			__atomic_add_fetch(&fs->orphans, 1, __ATOMIC_RELAXED);
			inode_maybe_evict(fs, tp);
		}
	}
out:
	if (tp)
		iunlock(tp);
	if (sp)
		iunlock(sp);
	iunlock(op);
	if (np != op)
		iunlock(np);
out_unlocked:
	if (olddir != newdir)
		pthread_mutex_unlock(&fs->rename_lock);
	tx_fini(&tx);
	return ret;
}
