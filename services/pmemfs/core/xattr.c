// SPDX-License-Identifier: BSD-2-Clause
/*
 * xattr.c - extended attributes (POSIX ACLs are system.posix_acl_*).
 *
 * All of an inode's xattrs are one packed area: inline in the inode when
 * it fits PMFS_XATTR_INLINE bytes, else in contiguous xattr blocks. A
 * change writes a new area (new blocks, persistent before the commit) and
 * switches the inode to it in one transaction: copy on write, atomic.
 */
#include <stdlib.h>

#include "core_i.h"

#define XA_AREA_MAX	(256 * 1024)

static size_t xent_size(size_t namelen, size_t vlen)
{
	return (sizeof(struct pmfs_xent) + namelen + vlen + 3) & ~(size_t)3;
}

/* the packed entries of @d; false if the area is corrupt */
static bool xa_area(struct pmfs *fs, const struct pmfs_dinode *d,
		    const uint8_t **p, size_t *len)
{
	if (!d->xattr_blk) {
		if (d->xattr_inline_len > PMFS_XATTR_INLINE)
			return false;
		*p = d->xattr_inline;
		*len = d->xattr_inline_len;
	} else {
		const struct pmfs_xblk *h;

		if (d->xattr_inline_len || !blk_valid(fs, d->xattr_blk,
						       d->xattr_nblk) ||
		    d->xattr_len > (uint64_t)d->xattr_nblk * BS - sizeof(*h))
			return false;
		h = blk_ptr(fs, d->xattr_blk);
		if (h->magic != PMFS_XATTR_MAGIC || h->ino != d->ino ||
		    h->len != d->xattr_len ||
		    !pmfs_obj_crc_ok(h, sizeof(*h) + h->len))
			return false;
		*p = (const uint8_t *)(h + 1);
		*len = h->len;
	}
	return true;
}

/* next entry at *@pos, false at the end or on garbage (*@bad) */
static bool xa_next(const uint8_t *a, size_t len, size_t *pos,
		    struct pmfs_xent *x, const char **name,
		    const uint8_t **val, bool *bad)
{
	*bad = false;
	if (*pos >= len)
		return false;
	if (len - *pos < sizeof(*x)) {
		*bad = true;
		return false;
	}
	memcpy(x, a + *pos, sizeof(*x));
	if (!x->namelen || x->vlen > PMFS_XATTR_SIZE_MAX ||
	    xent_size(x->namelen, x->vlen) > len - *pos) {
		*bad = true;
		return false;
	}
	*name = (const char *)a + *pos + sizeof(*x);
	*val = a + *pos + sizeof(*x) + x->namelen;
	*pos += xent_size(x->namelen, x->vlen);
	return true;
}

int xattr_check(struct pmfs *fs, const struct pmfs_dinode *d)
{
	const uint8_t *a, *v;
	const char *n;
	struct pmfs_xent x;
	size_t len, pos = 0;
	bool bad;

	if (!xa_area(fs, d, &a, &len))
		return -EUCLEAN;
	while (xa_next(a, len, &pos, &x, &n, &v, &bad))
		;
	return bad ? -EUCLEAN : 0;
}

static size_t xa_put(uint8_t *buf, const char *name, size_t nl,
		     const void *val, size_t vl)
{
	struct pmfs_xent x = { .namelen = (uint8_t)nl, .vlen = (uint32_t)vl };
	size_t sz = xent_size(nl, vl);

	memset(buf, 0, sz);
	memcpy(buf, &x, sizeof(x));
	memcpy(buf + sizeof(x), name, nl);
	if (vl)
		memcpy(buf + sizeof(x) + nl, val, vl);
	return sz;
}

/* make @buf the xattr area of @nd; old blocks are freed by @tx */
static int xa_store(struct pmfs *fs, struct pmfs_dinode *nd, struct tx *tx,
		    const uint8_t *buf, size_t len)
{
	uint64_t oblk = nd->xattr_blk, onblk = nd->xattr_nblk;

	if (len <= PMFS_XATTR_INLINE) {
		memset(nd->xattr_inline, 0, sizeof(nd->xattr_inline));
		memcpy(nd->xattr_inline, buf, len);
		nd->xattr_inline_len = (uint32_t)len;
		nd->xattr_blk = 0;
		nd->xattr_nblk = 0;
		nd->xattr_len = 0;
	} else {
		uint64_t nblk = div_up(sizeof(struct pmfs_xblk) + len, BS), blk, got;
		struct pmfs_xblk *h;
		int ret;

		ret = balloc(fs, nblk, nblk, &blk, &got);
		if (ret)
			return ret;
		h = calloc(1, sizeof(*h) + len);
		if (!h) {
			bput(fs, blk, nblk);
			return -ENOMEM;
		}
		h->magic = PMFS_XATTR_MAGIC;
		h->len = (uint32_t)len;
		h->ino = nd->ino;
		memcpy(h + 1, buf, len);
		pmfs_obj_seal(h, sizeof(*h) + len);
		pm_store_flush(fs->m, blk_ptr(fs, blk), h, sizeof(*h) + len);
		pm_fence(fs->m);
		free(h);
		memset(nd->xattr_inline, 0, sizeof(nd->xattr_inline));
		nd->xattr_inline_len = 0;
		nd->xattr_blk = blk;
		nd->xattr_nblk = (uint32_t)nblk;
		nd->xattr_len = (uint32_t)len;
	}
	if (oblk && tx)
		tx_free(tx, oblk, onblk);
	return 0;
}

static int xname_ok(const char *name, size_t *nl)
{
	if (!name)
		return -EINVAL;
	*nl = strlen(name);
	if (!*nl || *nl > PMFS_XATTR_NAME_MAX)
		return -ERANGE;
	return 0;
}

int xattr_build(struct pmfs *fs, struct pmfs_dinode *nd,
		const struct pmfs_xattr *xa, uint32_t n)
{
	size_t len = 0, nl;
	uint8_t *buf;
	int ret;

	if (!n)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		ret = xname_ok(xa[i].name, &nl);
		if (ret)
			return ret;
		if (xa[i].size > PMFS_XATTR_SIZE_MAX)
			return -E2BIG;
		len += xent_size(nl, xa[i].size);
	}
	if (len > XA_AREA_MAX)
		return -ENOSPC;
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	len = 0;
	for (uint32_t i = 0; i < n; i++)
		len += xa_put(buf + len, xa[i].name, strlen(xa[i].name),
			      xa[i].value, xa[i].size);
	ret = xa_store(fs, nd, NULL, buf, len);
	free(buf);
	return ret;
}

ssize_t pmfs_getxattr(struct pmfs *fs, uint64_t ino, const char *name,
		      void *buf, size_t size)
{
	const uint8_t *a, *v;
	const char *n;
	struct pmfs_xent x;
	struct pinode *pi;
	size_t len, pos = 0, nl;
	ssize_t ret = -ENODATA;
	bool bad;
	int err;

	err = xname_ok(name, &nl);
	if (err)
		return err;
	pi = iget_locked(fs, ino, false, &err);
	if (!pi)
		return err;
	if (!xa_area(fs, &pi->d, &a, &len)) {
		ret = -EIO;
		goto out;
	}
	while (xa_next(a, len, &pos, &x, &n, &v, &bad)) {
		if (x.namelen != nl || memcmp(n, name, nl))
			continue;
		if (!size)
			ret = x.vlen;
		else if (size < x.vlen)
			ret = -ERANGE;
		else {
			memcpy(buf, v, x.vlen);
			ret = x.vlen;
		}
		break;
	}
out:
	iunlock(pi);
	return ret;
}

ssize_t pmfs_listxattr(struct pmfs *fs, uint64_t ino, char *buf, size_t size)
{
	const uint8_t *a, *v;
	const char *n;
	struct pmfs_xent x;
	struct pinode *pi;
	size_t len, pos = 0, need = 0;
	bool bad;
	int err;

	pi = iget_locked(fs, ino, false, &err);
	if (!pi)
		return err;
	if (!xa_area(fs, &pi->d, &a, &len)) {
		iunlock(pi);
		return -EIO;
	}
	while (xa_next(a, len, &pos, &x, &n, &v, &bad)) {
		if (size && need + x.namelen + 1 <= size) {
			memcpy(buf + need, n, x.namelen);
			buf[need + x.namelen] = 0;
		}
		need += x.namelen + 1;
	}
	iunlock(pi);
	if (size && need > size)
		return -ERANGE;
	return (ssize_t)need;
}

/* set (@value non-NULL) or remove an xattr */
static int xa_change(struct pmfs *fs, uint64_t ino, const char *name,
		     const void *value, size_t size, unsigned int flags)
{
	const uint8_t *a, *v;
	const char *n;
	struct pmfs_xent x;
	struct pmfs_dinode nd;
	struct pinode *pi;
	size_t len, pos = 0, nl, nlen = 0;
	bool bad, found = false;
	uint8_t *buf = NULL;
	struct tx tx;
	int ret;

	ret = xname_ok(name, &nl);
	if (ret)
		return ret;
	if (value && size > PMFS_XATTR_SIZE_MAX)
		return -E2BIG;
	if (fs->rdonly)
		return -EROFS;
	pi = iget_locked(fs, ino, true, &ret);
	if (!pi)
		return ret;
	if (!xa_area(fs, &pi->d, &a, &len)) {
		ret = -EIO;
		goto out;
	}
	ret = -ENOMEM;
	buf = malloc(len + (value ? xent_size(nl, size) : 0) + 1);
	if (!buf)
		goto out;
	while (xa_next(a, len, &pos, &x, &n, &v, &bad)) {
		if (x.namelen == nl && !memcmp(n, name, nl)) {
			found = true;
			continue;
		}
		nlen += xa_put(buf + nlen, n, x.namelen, v, x.vlen);
	}
	if (bad) {
		ret = -EIO;
		goto out;
	}
	if (value && found && (flags & PMFS_XATTR_CREATE)) {
		ret = -EEXIST;
		goto out;
	}
	if (!found && (!value || (flags & PMFS_XATTR_REPLACE))) {
		ret = -ENODATA;
		goto out;
	}
	if (value)
		nlen += xa_put(buf + nlen, name, nl, value, size);
	if (nlen > XA_AREA_MAX) {
		ret = -ENOSPC;
		goto out;
	}
	ret = tx_init(fs, &tx);
	if (ret)
		goto out;
	nd = pi->d;
	ret = xa_store(fs, &nd, &tx, buf, nlen);
	if (!ret) {
		touch_mc(&nd, false, true);
		tx_add_inode(fs, &tx, &nd);
		tx_commit(fs, &tx);
		pi->d = nd;
	}
	tx_fini(&tx);
out:
	free(buf);
	iunlock(pi);
	return ret;
}

int pmfs_setxattr(struct pmfs *fs, uint64_t ino, const char *name,
		  const void *value, size_t size, unsigned int flags)
{
	static const char empty;

	if (flags & ~(PMFS_XATTR_CREATE | PMFS_XATTR_REPLACE))
		return -EINVAL;
	return xa_change(fs, ino, name, value ? value : &empty, size, flags);
}

int pmfs_removexattr(struct pmfs *fs, uint64_t ino, const char *name)
{
	return xa_change(fs, ino, name, NULL, 0, 0);
}
