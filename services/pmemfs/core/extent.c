// SPDX-License-Identifier: BSD-2-Clause
/*
 * extent.c - per-file extent maps.
 *
 * Up to PMFS_INLINE_EXT extents live in the inode; beyond that the inode
 * names an index block listing leaf blocks, each a sorted array of up to
 * PMFS_LEAF_MAX extents (a two-level B+tree, PMFS_IDX_MAX leaves). The
 * DRAM copy (struct emap) mirrors the media; emap_replace() edits both:
 * the new leaves, index and inode go into the caller's transaction and
 * blocks it unmaps are released after the commit.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "core_i.h"

#define LEAF_FILL	126	/* extents per leaf when splitting */

void emap_clear(struct emap *em)
{
	for (uint32_t i = 0; i < em->nleaf; i++)
		free(em->lv[i]);
	free(em->lv);
	em->lv = NULL;
	em->nleaf = 0;
}

static bool ext_ok(const struct pmfs *fs, const struct pmfs_dext *e,
		   uint64_t *prev_end)
{
	if (!e->len || e->tier || (e->flags & ~PMFS_EXT_SHARED))
		return false;
	if (e->lblk < *prev_end || e->lblk + e->len < e->lblk ||
	    e->lblk + e->len > (UINT64_MAX >> 12))
		return false;
	if (!blk_valid(fs, e->pblk, e->len))
		return false;
	*prev_end = e->lblk + e->len;
	return true;
}

static int mark_exts(struct pmfs *fs, struct pinode *pi,
		     const struct pmfs_dext *e, uint32_t n, bool mark,
		     uint64_t *prev_end, const char **why)
{
	for (uint32_t i = 0; i < n; i++) {
		if (!ext_ok(fs, &e[i], prev_end)) {
			*why = "bad extent";
			return -EUCLEAN;
		}
		if (mark && bmark(fs, e[i].pblk, e[i].len,
				  e[i].flags & PMFS_EXT_SHARED)) {
			*why = "block used twice";
			return -EUCLEAN;
		}
		pi->nblk += e[i].len;
	}
	return 0;
}

int emap_load(struct pmfs *fs, struct pinode *pi, bool mark,
	      const char **why)
{
	const struct pmfs_dinode *d = &pi->d;
	const struct pmfs_eidx *ix;
	uint64_t prev_end = 0;
	int ret;

	emap_clear(&pi->em);
	pi->nblk = 0;
	if (!d->ext_index) {
		if (d->nr_ext > PMFS_INLINE_EXT) {
			*why = "bad inline extent count";
			return -EUCLEAN;
		}
		return mark_exts(fs, pi, d->u.ext, d->nr_ext, mark, &prev_end,
				 why);
	}
	*why = "bad extent index";
	if (d->nr_ext || !blk_valid(fs, d->ext_index, 1))
		return -EUCLEAN;
	ix = blk_ptr(fs, d->ext_index);
	if (ix->magic != PMFS_EIDX_MAGIC || !pmfs_obj_crc_ok(ix, BS) ||
	    ix->ino != pi->ino || !ix->count || ix->count > PMFS_IDX_MAX)
		return -EUCLEAN;
	if (mark && bmark(fs, d->ext_index, 1, false)) {
		*why = "extent index block used twice";
		return -EUCLEAN;
	}
	pi->em.lv = calloc(ix->count, sizeof(*pi->em.lv));
	if (!pi->em.lv)
		return -ENOMEM;
	for (uint32_t i = 0; i < ix->count; i++) {
		const struct pmfs_eleaf *lf;
		struct leaf *l;

		*why = "bad extent leaf";
		if (!blk_valid(fs, ix->e[i].leaf_blk, 1))
			goto bad;
		lf = blk_ptr(fs, ix->e[i].leaf_blk);
		if (lf->magic != PMFS_ELEAF_MAGIC || !pmfs_obj_crc_ok(lf, BS) ||
		    lf->ino != pi->ino || !lf->count ||
		    lf->count > PMFS_LEAF_MAX ||
		    lf->e[0].lblk != ix->e[i].first_lblk)
			goto bad;
		if (mark && bmark(fs, ix->e[i].leaf_blk, 1, false)) {
			*why = "extent leaf block used twice";
			goto bad;
		}
		l = malloc(sizeof(*l));
		if (!l) {
			emap_clear(&pi->em);
			return -ENOMEM;
		}
		l->blk = ix->e[i].leaf_blk;
		l->n = lf->count;
		memcpy(l->e, lf->e, l->n * sizeof(l->e[0]));
		pi->em.lv[pi->em.nleaf++] = l;
		ret = mark_exts(fs, pi, l->e, l->n, mark, &prev_end, why);
		if (ret)
			goto bad;
	}
	return 0;
bad:
	emap_clear(&pi->em);
	return -EUCLEAN;
}

static uint32_t leaf_find(const struct emap *em, uint64_t lblk)
{
	uint32_t lo = 0, hi = em->nleaf;

	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;

		if (em->lv[mid]->e[0].lblk <= lblk)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* index of the last extent with lblk <= @lblk, or -1 */
static int64_t arr_find(const struct pmfs_dext *e, uint32_t n, uint64_t lblk)
{
	int64_t lo = -1, hi = n;

	while (hi - lo > 1) {
		int64_t mid = (lo + hi) / 2;

		if (e[mid].lblk <= lblk)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

bool emap_lookup(const struct pinode *pi, uint64_t lblk,
		 struct pmfs_dext *out)
{
	const struct pmfs_dext *e;
	uint32_t n, li = 0;
	int64_t i;

	if (!pi->em.nleaf) {
		e = pi->d.u.ext;
		n = pi->d.ext_index ? 0 : pi->d.nr_ext;
	} else {
		li = leaf_find(&pi->em, lblk);
		e = pi->em.lv[li]->e;
		n = pi->em.lv[li]->n;
	}
	i = arr_find(e, n, lblk);
	if (i >= 0 && lblk < e[i].lblk + e[i].len) {
		*out = e[i];
		return true;
	}
	memset(out, 0, sizeof(*out));
	if (i + 1 < n)
		out->lblk = e[i + 1].lblk;
	else if (pi->em.nleaf && li + 1 < pi->em.nleaf)
		out->lblk = pi->em.lv[li + 1]->e[0].lblk;
	else
		out->lblk = UINT64_MAX;
	return false;
}

uint64_t emap_count(const struct pinode *pi)
{
	uint64_t n = 0;

	if (!pi->em.nleaf)
		return pi->d.ext_index ? 0 : pi->d.nr_ext;
	for (uint32_t i = 0; i < pi->em.nleaf; i++)
		n += pi->em.lv[i]->n;
	return n;
}

uint64_t emap_last_end(const struct pinode *pi)
{
	const struct pmfs_dext *e;

	if (!pi->em.nleaf) {
		if (pi->d.ext_index || !pi->d.nr_ext)
			return 0;
		e = &pi->d.u.ext[pi->d.nr_ext - 1];
	} else {
		struct leaf *l = pi->em.lv[pi->em.nleaf - 1];

		e = &l->e[l->n - 1];
	}
	return e->lblk + e->len;
}

static int write_leaf(struct pmfs *fs, struct pinode *pi, struct tx *tx,
		      const struct leaf *l)
{
	struct pmfs_eleaf *ob = calloc(1, sizeof(*ob));
	int ret;

	if (!ob)
		return -ENOMEM;
	ob->magic = PMFS_ELEAF_MAGIC;
	ob->count = l->n;
	ob->ino = pi->ino;
	memcpy(ob->e, l->e, l->n * sizeof(l->e[0]));
	pmfs_obj_seal(ob, BS);
	ret = tx_add(tx, l->blk * BS, ob, BS);
	free(ob);
	return ret;
}

static int write_index(struct pmfs *fs, struct pinode *pi, struct tx *tx,
		       uint64_t blk)
{
	struct pmfs_eidx *ob = calloc(1, sizeof(*ob));
	int ret;

	if (!ob)
		return -ENOMEM;
	ob->magic = PMFS_EIDX_MAGIC;
	ob->count = pi->em.nleaf;
	ob->ino = pi->ino;
	for (uint32_t i = 0; i < pi->em.nleaf; i++) {
		ob->e[i].first_lblk = pi->em.lv[i]->e[0].lblk;
		ob->e[i].leaf_blk = pi->em.lv[i]->blk;
	}
	pmfs_obj_seal(ob, BS);
	ret = tx_add(tx, blk * BS, ob, BS);
	free(ob);
	return ret;
}

struct edit {
	struct pmfs_dext *v;
	uint32_t n;
	struct txfree *fr;
	uint32_t nfr, capfr;
	uint64_t removed;
};

static int edit_free(struct edit *ed, uint64_t blk, uint64_t len)
{
	if (ed->nfr == ed->capfr) {
		uint32_t nc = ed->capfr ? ed->capfr * 2 : 8;
		struct txfree *n = realloc(ed->fr, nc * sizeof(*n));

		if (!n)
			return -ENOMEM;
		ed->fr = n;
		ed->capfr = nc;
	}
	ed->fr[ed->nfr].blk = blk;
	ed->fr[ed->nfr].len = len;
	ed->nfr++;
	ed->removed += len;
	return 0;
}

static int edit_run(struct edit *ed, const struct pmfs_dext *src, uint32_t n,
		    uint64_t lblk, uint64_t end, const struct pmfs_dext *ne,
		    uint32_t nne, bool *inserted)
{
	for (uint32_t i = 0; i < n; i++) {
		struct pmfs_dext s = src[i];
		uint64_t s_end = s.lblk + s.len, a, b;

		if (s_end <= lblk) {
			ed->v[ed->n++] = s;
			continue;
		}
		if (s.lblk >= end) {
			if (!*inserted) {
				for (uint32_t k = 0; k < nne; k++)
					ed->v[ed->n++] = ne[k];
				*inserted = true;
			}
			ed->v[ed->n++] = s;
			continue;
		}
		if (s.lblk < lblk) {
			struct pmfs_dext l = s;

			l.len = lblk - s.lblk;
			ed->v[ed->n++] = l;
		}
		a = s.lblk > lblk ? s.lblk : lblk;
		b = s_end < end ? s_end : end;
		if (edit_free(ed, s.pblk + (a - s.lblk), b - a))
			return -ENOMEM;
		if (!*inserted) {
			for (uint32_t k = 0; k < nne; k++)
				ed->v[ed->n++] = ne[k];
			*inserted = true;
		}
		if (s_end > end) {
			struct pmfs_dext r = s;

			r.lblk = end;
			r.pblk += end - s.lblk;
			r.len = s_end - end;
			ed->v[ed->n++] = r;
		}
	}
	return 0;
}

static void edit_merge(struct edit *ed)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < ed->n; i++) {
		struct pmfs_dext *p = k ? &ed->v[k - 1] : NULL, *c = &ed->v[i];

		if (p && p->lblk + p->len == c->lblk &&
		    p->pblk + p->len == c->pblk && p->tier == c->tier &&
		    p->flags == c->flags &&
		    (uint64_t)p->len + c->len <= UINT32_MAX / 2) {
			p->len += c->len;
			continue;
		}
		ed->v[k++] = *c;
	}
	ed->n = k;
}

int emap_replace(struct pmfs *fs, struct pinode *pi, struct pmfs_dinode *nd,
		 struct tx *tx, uint64_t lblk, uint64_t count,
		 const struct pmfs_dext *ne, uint32_t nne, bool free_old)
{
	struct emap *em = &pi->em;
	uint64_t end = lblk + count, added = 0;
	struct edit ed = { 0 };
	bool inserted = false, tree = em->nleaf > 0;
	uint32_t li = 0, lj = 0, nsrc, k_old = 0, k_new = 0, total;
	struct leaf **nl = NULL, *fresh[8] = { 0 };
	uint64_t newblk[8], nnew = 0, idxblk = nd->ext_index;
	int ret = -ENOMEM;

	if (end < lblk)
		end = UINT64_MAX;
	for (uint32_t k = 0; k < nne; k++)
		added += ne[k].len;
	if (!tree) {
		nsrc = nd->nr_ext;
	} else {
		li = leaf_find(em, lblk);
		lj = end ? leaf_find(em, end - 1) : li;
		nsrc = em->lv[li]->n + (lj != li ? em->lv[lj]->n : 0);
	}
	ed.v = malloc((nsrc + nne + 2) * sizeof(*ed.v));
	if (!ed.v)
		return -ENOMEM;
	if (!tree) {
		struct pmfs_dext src[PMFS_INLINE_EXT];

		memcpy(src, nd->u.ext, sizeof(src));
		if (edit_run(&ed, src, nsrc, lblk, end, ne, nne, &inserted))
			goto out;
	} else {
		if (edit_run(&ed, em->lv[li]->e, em->lv[li]->n, lblk, end, ne,
			     nne, &inserted))
			goto out;
		for (uint32_t i = li + 1; i < lj; i++)
			for (uint32_t k = 0; k < em->lv[i]->n; k++)
				if (edit_free(&ed, em->lv[i]->e[k].pblk,
					      em->lv[i]->e[k].len))
					goto out;
		if (lj != li && edit_run(&ed, em->lv[lj]->e, em->lv[lj]->n,
					 lblk, end, ne, nne, &inserted))
			goto out;
	}
	if (!inserted) {
		for (uint32_t k = 0; k < nne; k++)
			ed.v[ed.n++] = ne[k];
	}
	edit_merge(&ed);

	if (!tree && ed.n <= PMFS_INLINE_EXT) {
		memset(nd->u.ext, 0, sizeof(nd->u.ext));
		memcpy(nd->u.ext, ed.v, ed.n * sizeof(*ed.v));
		nd->nr_ext = ed.n;
		goto done;
	}
	k_old = tree ? lj - li + 1 : 0;
	if (ed.n == 0)
		k_new = 0;
	else if (ed.n <= PMFS_LEAF_MAX)
		k_new = 1;
	else
		k_new = div_up(ed.n, LEAF_FILL);
	total = em->nleaf - k_old + k_new;
	if (total > PMFS_IDX_MAX || k_new > 6) {
		ret = -EFBIG;
		goto out;
	}
	if (tx_room(tx) < (k_new + 2) * (BS + 64)) {
		ret = -E2BIG;
		goto out;
	}
	/* allocate what is needed first: nothing changes on -ENOSPC */
	if (!tree) {
		uint64_t got;

		ret = balloc(fs, 1, 1, &idxblk, &got);
		if (ret)
			goto out;
		newblk[nnew++] = idxblk;
	}
	for (uint32_t i = k_old; i < k_new; i++) {
		uint64_t got;

		ret = balloc(fs, 1, 1, &newblk[nnew], &got);
		if (ret)
			goto unalloc;
		nnew++;
	}
	ret = -ENOMEM;
	for (uint32_t t = k_old; t < k_new; t++) {
		fresh[t - k_old] = malloc(sizeof(struct leaf));
		if (!fresh[t - k_old])
			goto unalloc;
		fresh[t - k_old]->blk = newblk[(tree ? 0 : 1) + t - k_old];
	}
	nl = calloc(total ? total : 1, sizeof(*nl));
	if (!nl)
		goto unalloc;
	{
		uint32_t w = 0, pos = 0;

		for (uint32_t i = 0; tree && i < li; i++)
			nl[w++] = em->lv[i];
		for (uint32_t t = 0; t < k_new; t++) {
			uint32_t cnt = ed.n / k_new + (t < ed.n % k_new);
			struct leaf *l = t < k_old ? em->lv[li + t] :
						     fresh[t - k_old];

			l->n = cnt;
			memcpy(l->e, ed.v + pos, cnt * sizeof(*ed.v));
			pos += cnt;
			nl[w++] = l;
		}
		for (uint32_t t = k_new; t < k_old; t++) {
			struct leaf *l = em->lv[li + t];

			tx_free(tx, l->blk, 1);
			free(l);
		}
		for (uint32_t i = lj + 1; tree && i < em->nleaf; i++)
			nl[w++] = em->lv[i];
		free(em->lv);
		em->lv = nl;
		em->nleaf = w;
	}
	if (!em->nleaf) {
		tx_free(tx, idxblk, 1);
		nd->ext_index = 0;
		nd->nr_ext = 0;
		memset(nd->u.ext, 0, sizeof(nd->u.ext));
		free(em->lv);
		em->lv = NULL;
		goto done;
	}
	if (em->nleaf == 1 && em->lv[0]->n <= PMFS_INLINE_EXT) {
		struct leaf *l = em->lv[0];

		memset(nd->u.ext, 0, sizeof(nd->u.ext));
		memcpy(nd->u.ext, l->e, l->n * sizeof(l->e[0]));
		nd->nr_ext = l->n;
		nd->ext_index = 0;
		tx_free(tx, l->blk, 1);
		tx_free(tx, idxblk, 1);
		emap_clear(em);
		goto done;
	}
	for (uint32_t t = 0; t < k_new; t++) {
		ret = write_leaf(fs, pi, tx, em->lv[li + t]);
		if (ret)
			goto out;	/* cannot happen: room was checked */
	}
	ret = write_index(fs, pi, tx, idxblk);
	if (ret)
		goto out;
	nd->ext_index = idxblk;
	nd->nr_ext = 0;
	memset(nd->u.ext, 0, sizeof(nd->u.ext));
done:
	for (uint64_t i = 0; i < nnew; i++)
		if (tx_took(tx, newblk[i], 1))
			break;	/* only an abort would miss it: a leak */
	if (free_old)
		for (uint32_t i = 0; i < ed.nfr; i++)
			tx_free(tx, ed.fr[i].blk, ed.fr[i].len);
	pi->nblk = pi->nblk - ed.removed + added;
	ret = 0;
	goto out;
unalloc:
	for (uint32_t t = k_old; t < k_new; t++)
		free(fresh[t - k_old]);
	for (uint64_t i = 0; i < nnew; i++)
		bput(fs, newblk[i], 1);
out:
	free(ed.v);
	free(ed.fr);
	return ret;
}

int emap_free_all(struct pmfs *fs, struct pinode *pi, struct pmfs_dinode *nd,
		  struct tx *tx)
{
	if (!pi->em.nleaf) {
		for (uint32_t i = 0; !nd->ext_index && i < nd->nr_ext; i++)
			tx_free(tx, nd->u.ext[i].pblk, nd->u.ext[i].len);
	} else {
		for (uint32_t i = 0; i < pi->em.nleaf; i++) {
			struct leaf *l = pi->em.lv[i];

			for (uint32_t k = 0; k < l->n; k++)
				tx_free(tx, l->e[k].pblk, l->e[k].len);
			tx_free(tx, l->blk, 1);
		}
		tx_free(tx, nd->ext_index, 1);
	}
	emap_clear(&pi->em);
	pi->nblk = 0;
	nd->ext_index = 0;
	nd->nr_ext = 0;
	if (!S_ISLNK(nd->mode))
		memset(nd->u.ext, 0, sizeof(nd->u.ext));
	return 0;
}
