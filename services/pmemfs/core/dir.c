// SPDX-License-Identifier: BSD-2-Clause
/*
 * dir.c - directories: blocks of 64-byte slots holding entries in place
 * (an entry never moves, so its slot number is its readdir cookie), and
 * a DRAM hash index (slot numbers, linear probing) built at first access:
 * lookup, create and remove are O(1) on average.
 */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core_i.h"

unsigned int mode_dtype(uint32_t mode)
{
	return (mode & S_IFMT) >> 12;
}

int name_ok(const char *name, size_t len)
{
	if (!name || !len || len > PMFS_NAME_MAX)
		return len > PMFS_NAME_MAX ? -ENAMETOOLONG : -EINVAL;
	if (memchr(name, '/', len) || memchr(name, 0, len))
		return -EINVAL;
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return -EINVAL;
	return 0;
}

static uint32_t name_hash(const char *name, size_t len)
{
	return pmfs_crc32c(0x9e3779b9U, name, len);
}

static uint32_t dent_slots(size_t namelen)
{
	return (uint32_t)div_up(PMFS_DENT_HDR + namelen, PMFS_DSLOT);
}

void dir_free(struct dindex *di)
{
	if (!di)
		return;
	free(di->pblk);
	free(di->used);
	free(di->head);
	free(di->ht);
	free(di->hh);
	free(di);
}

const struct pmfs_dent *dir_dent(struct pmfs *fs, struct pinode *dir,
				 uint32_t slot)
{
	struct dindex *di = dir->dir;

	return (const struct pmfs_dent *)((uint8_t *)blk_ptr(fs,
		di->pblk[slot / PMFS_DSLOTS]) + (slot % PMFS_DSLOTS) * PMFS_DSLOT);
}

static void ht_insert(struct dindex *di, uint32_t slot, uint32_t hash)
{
	uint32_t mask = di->hcap - 1, i = hash & mask;

	while (di->ht[i])
		i = (i + 1) & mask;
	di->ht[i] = slot + 1;
	di->hh[i] = hash;
	di->hn++;
}

static int ht_resize(struct dindex *di, uint32_t cap)
{
	uint32_t *old = di->ht, *oh = di->hh, ocap = di->hcap;

	di->ht = calloc(cap, sizeof(*di->ht));
	di->hh = calloc(cap, sizeof(*di->hh));
	if (!di->ht || !di->hh) {
		free(di->ht);
		free(di->hh);
		di->ht = old;
		di->hh = oh;
		return -ENOMEM;
	}
	di->hcap = cap;
	di->hn = 0;
	for (uint32_t i = 0; i < ocap; i++)
		if (old[i])
			ht_insert(di, old[i] - 1, oh[i]);
	free(old);
	free(oh);
	return 0;
}

static void ht_remove(struct dindex *di, uint32_t slot, uint32_t hash)
{
	uint32_t mask = di->hcap - 1, i = hash & mask;

	while (di->ht[i] && di->ht[i] != slot + 1)
		i = (i + 1) & mask;
	if (!di->ht[i])
		return;
	di->ht[i] = 0;
	di->hn--;
	/* backward-shift deletion */
	for (uint32_t j = (i + 1) & mask; di->ht[j]; j = (j + 1) & mask) {
		uint32_t h = di->hh[j] & mask;
		bool move = j > i ? (h <= i || h > j) : (h <= i && h > j);

		if (move) {
			di->ht[i] = di->ht[j];
			di->hh[i] = di->hh[j];
			di->ht[j] = 0;
			i = j;
		}
	}
}

static bool dent_valid(struct pmfs *fs, const struct pmfs_dent *de,
		       uint32_t pos)
{
	if (!de->nslots || de->nslots > PMFS_DENT_MAXSLOTS ||
	    pos + de->nslots > PMFS_DSLOTS || !de->namelen ||
	    de->namelen > PMFS_NAME_MAX ||
	    dent_slots(de->namelen) != de->nslots)
		return false;
	if (!pmfs_obj_crc_ok(de, (size_t)de->nslots * PMFS_DSLOT))
		return false;
	if (de->ino <= 0 || de->ino >= fs->sb.inodes)
		return false;
	return de->hash == name_hash(de->name, de->namelen);
}

static bool slots_zero(const void *p, size_t n)
{
	const uint64_t *q = p;

	for (size_t i = 0; i < n / 8; i++)
		if (q[i])
			return false;
	return true;
}

static int dir_grow_arrays(struct dindex *di, uint32_t n)
{
	uint64_t *a = realloc(di->pblk, n * sizeof(*a));
	uint64_t *b, *c;

	if (!a)
		return -ENOMEM;
	di->pblk = a;
	b = realloc(di->used, n * sizeof(*b));
	if (!b)
		return -ENOMEM;
	di->used = b;
	c = realloc(di->head, n * sizeof(*c));
	if (!c)
		return -ENOMEM;
	di->head = c;
	return 0;
}

/* Build the index. A bad entry is -EIO (mount), or reported and, when
 * repairing, cleared (fsck). */
int dir_load(struct pmfs *fs, struct pinode *dir)
{
	struct dindex *di;
	uint64_t nblk = dir->d.size / BS;
	int ret = -ENOMEM;

	if (dir->dir)
		return 0;
	if (dir->d.size % BS || nblk > UINT32_MAX / PMFS_DSLOTS ||
	    nblk > dir->nblk) {
		problem(fs, 0, "directory %llu: size %llu does not match its blocks",
			(unsigned long long)dir->ino,
			(unsigned long long)dir->d.size);
		return -EIO;
	}
	di = calloc(1, sizeof(*di));
	if (!di)
		return -ENOMEM;
	di->hcap = 64;
	di->ht = calloc(di->hcap, sizeof(*di->ht));
	di->hh = calloc(di->hcap, sizeof(*di->hh));
	if (!di->ht || !di->hh || (nblk && dir_grow_arrays(di, (uint32_t)nblk)))
		goto err;
	dir->dir = di;
	for (uint32_t b = 0; b < nblk; b++) {
		struct pmfs_dext e;
		uint8_t *p;

		if (!emap_lookup(dir, b, &e)) {
			ret = -EIO;
			problem(fs, 0, "directory %llu: block %u is a hole",
				(unsigned long long)dir->ino, b);
			goto err;
		}
		di->pblk[b] = e.pblk + (b - e.lblk);
		di->used[b] = di->head[b] = 0;
		di->nblk = b + 1;
		p = blk_ptr(fs, di->pblk[b]);
		for (uint32_t s = 0; s < PMFS_DSLOTS;) {
			const struct pmfs_dent *de = (const void *)(p + s * PMFS_DSLOT);

			if (slots_zero(de, PMFS_DSLOT)) {
				s++;
				continue;
			}
			if (!dent_valid(fs, de, s)) {
				bool fix = fs->rep && fs->rep->repair;

				problem(fs, fix, "directory %llu: bad entry at slot %u",
					(unsigned long long)dir->ino,
					b * PMFS_DSLOTS + s);
				if (!fs->rep) {
					ret = -EIO;
					goto err;
				}
				if (fix)
					pm_set_flush(fs->m, (void *)de, 0, PMFS_DSLOT);
				s++;
				continue;
			}
			di->used[b] |= (de->nslots == 64 ? ~0ULL :
					((1ULL << de->nslots) - 1) << s);
			di->head[b] |= 1ULL << s;
			di->nent++;
			if (di->hn * 2 >= di->hcap &&
			    ht_resize(di, di->hcap * 2))
				goto err;
			ht_insert(di, b * PMFS_DSLOTS + s, de->hash);
			s += de->nslots;
		}
	}
	if (fs->rep)
		pm_fence(fs->m);
	return 0;
err:
	dir->dir = NULL;
	dir_free(di);
	return ret;
}

int dir_find(struct pmfs *fs, struct pinode *dir, const char *name,
	     size_t len, uint32_t *slot, const struct pmfs_dent **dep)
{
	struct dindex *di;
	uint32_t h = name_hash(name, len), mask, i;
	int ret = dir_load(fs, dir);

	if (ret)
		return ret;
	di = dir->dir;
	mask = di->hcap - 1;
	for (i = h & mask; di->ht[i]; i = (i + 1) & mask) {
		const struct pmfs_dent *de;

		if (di->hh[i] != h)
			continue;
		de = dir_dent(fs, dir, di->ht[i] - 1);

		if (di->hh[i] == h && de->namelen == len &&
		    !memcmp(de->name, name, len)) {
			*slot = di->ht[i] - 1;
			if (dep)
				*dep = de;
			return 0;
		}
	}
	return -ENOENT;
}

/* first run of @k free slots in a block, or -1 */
static int free_run(uint64_t used, uint32_t k)
{
	uint64_t want = k == 64 ? ~0ULL : (1ULL << k) - 1;

	for (int s = 0; s + (int)k <= PMFS_DSLOTS; s++)
		if (!(used & (want << s)))
			return s;
	return -1;
}

static void build_dent(uint8_t *buf, const char *name, size_t len,
		       uint64_t ino, unsigned int type)
{
	struct pmfs_dent *de = (struct pmfs_dent *)buf;
	uint32_t ns = dent_slots(len);

	memset(buf, 0, ns * PMFS_DSLOT);
	de->nslots = (uint8_t)ns;
	de->type = (uint8_t)type;
	de->namelen = (uint16_t)len;
	de->ino = ino;
	de->hash = name_hash(name, len);
	memcpy(buf + PMFS_DENT_HDR, name, len);
	pmfs_obj_seal(de, ns * PMFS_DSLOT);
}

/* Add an entry (the caller checked it does not exist): the entry goes in
 * @tx; a new directory block is zeroed and persistent before @tx maps it,
 * and @nd (the directory's staged inode) grows. */
int dir_add(struct pmfs *fs, struct pinode *dir, struct pmfs_dinode *nd,
	    struct tx *tx, const char *name, size_t len, uint64_t ino,
	    unsigned int type)
{
	struct dindex *di = dir->dir;
	uint32_t k = dent_slots(len), b = UINT32_MAX, slot;
	uint8_t buf[PMFS_DENT_MAXSLOTS * PMFS_DSLOT];
	int s = -1, ret;

	if (di->hn * 2 >= di->hcap) {
		ret = ht_resize(di, di->hcap * 2);
		if (ret)
			return ret;
	}
	if (di->free_hint < di->nblk &&
	    (s = free_run(di->used[di->free_hint], k)) >= 0)
		b = di->free_hint;
	else if (di->nblk && (s = free_run(di->used[di->nblk - 1], k)) >= 0)
		b = di->nblk - 1;
	if (b == UINT32_MAX) {
		struct pmfs_dext e = { .lblk = di->nblk, .len = 1 };
		uint64_t got;

		if (di->nblk >= UINT32_MAX / PMFS_DSLOTS - 1)
			return -ENOSPC;
		ret = dir_grow_arrays(di, di->nblk + 1);
		if (ret)
			return ret;
		ret = balloc(fs, 1, 1, &e.pblk, &got);
		if (ret)
			return ret;
		pm_set_flush(fs->m, blk_ptr(fs, e.pblk), 0, BS);
		pm_fence(fs->m);
		ret = emap_replace(fs, dir, nd, tx, e.lblk, 1, &e, 1, true);
		if (ret) {
			bput(fs, e.pblk, 1);
			return ret;
		}
		b = di->nblk++;
		di->pblk[b] = e.pblk;
		di->used[b] = di->head[b] = 0;
		nd->size = (uint64_t)di->nblk * BS;
		s = 0;
	}
	slot = b * PMFS_DSLOTS + (uint32_t)s;
	build_dent(buf, name, len, ino, type);
	ret = tx_add(tx, pm_off(fs->m, dir_dent(fs, dir, slot)), buf,
		     k * PMFS_DSLOT);
	if (ret)
		return ret;
	di->used[b] |= (k == 64 ? ~0ULL : ((1ULL << k) - 1) << s);
	di->head[b] |= 1ULL << s;
	di->nent++;
	ht_insert(di, slot, name_hash(name, len));
	return 0;
}

/* Remove the entry at @slot: its slots are zeroed by @tx. The hash index
 * is updated now (it reads the old entry, still on the media). */
int dir_remove(struct pmfs *fs, struct pinode *dir, struct tx *tx,
	       uint32_t slot)
{
	struct dindex *di = dir->dir;
	const struct pmfs_dent *de = dir_dent(fs, dir, slot);
	uint8_t zero[PMFS_DENT_MAXSLOTS * PMFS_DSLOT] = { 0 };
	uint32_t b = slot / PMFS_DSLOTS, s = slot % PMFS_DSLOTS, k = de->nslots;
	int ret;

	ret = tx_add(tx, pm_off(fs->m, de), zero, k * PMFS_DSLOT);
	if (ret)
		return ret;
	ht_remove(di, slot, de->hash);
	di->used[b] &= ~(k == 64 ? ~0ULL : ((1ULL << k) - 1) << s);
	di->head[b] &= ~(1ULL << s);
	di->nent--;
	di->free_hint = b;
	return 0;
}

/* Point the entry at @slot to another inode (rename over a target). */
int dir_set(struct pmfs *fs, struct pinode *dir, struct tx *tx,
	    uint32_t slot, uint64_t ino, unsigned int type)
{
	const struct pmfs_dent *de = dir_dent(fs, dir, slot);
	uint8_t buf[PMFS_DENT_MAXSLOTS * PMFS_DSLOT];

	build_dent(buf, de->name, de->namelen, ino, type);
	return tx_add(tx, pm_off(fs->m, de), buf, de->nslots * PMFS_DSLOT);
}

int pmfs_readdir(struct pmfs *fs, uint64_t dirino, uint64_t cookie,
		 pmfs_dir_fn fn, void *arg)
{
	struct pinode *dir;
	struct dindex *di;
	uint64_t start;
	int ret;

	dir = iget_locked(fs, dirino, false, &ret);
	if (!dir)
		return ret;
	if (!S_ISDIR(dir->d.mode)) {
		iunlock(dir);
		return -ENOTDIR;
	}
	if (!dir->dir) {	/* build the index under the write lock */
		iunlock(dir);
		dir = iget_locked(fs, dirino, true, &ret);
		if (!dir)
			return ret;
		ret = S_ISDIR(dir->d.mode) ? dir_load(fs, dir) : -ENOTDIR;
		iunlock(dir);
		if (ret)
			return ret;
		dir = iget_locked(fs, dirino, false, &ret);
		if (!dir)
			return ret;
	}
	di = dir->dir;
	ret = PMFS_DIR_EOF;
	start = cookie < PMFS_DIR_COOKIE_FIRST ? 0 :
		cookie - PMFS_DIR_COOKIE_FIRST + 1;
	for (uint64_t sl = start; di && sl < (uint64_t)di->nblk * PMFS_DSLOTS;) {
		uint32_t b = (uint32_t)(sl / PMFS_DSLOTS);
		uint64_t m = di->head[b] & (~0ULL << (sl % PMFS_DSLOTS));
		const struct pmfs_dent *de;

		if (!m) {
			sl = (uint64_t)(b + 1) * PMFS_DSLOTS;
			continue;
		}
		sl = (uint64_t)b * PMFS_DSLOTS + (uint64_t)__builtin_ctzll(m);
		de = dir_dent(fs, dir, (uint32_t)sl);
		if (fn(arg, de->name, de->namelen, de->ino, de->type,
		       sl + PMFS_DIR_COOKIE_FIRST)) {
			ret = 0;
			break;
		}
		sl++;
	}
	iunlock(dir);
	return ret;
}
