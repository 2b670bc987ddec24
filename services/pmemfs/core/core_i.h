/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core_i.h - private header of the pmemfs core.
 *
 * Lock order: fs->rename_lock > directory inode locks > other inode locks
 * (a directory before the inodes it names; rename takes its second and
 * later inode locks with trylock and backs off, so it never waits while
 * holding one) > fs->ialloc_lock > allocator lane locks > journal lanes.
 */
#ifndef PMEMFS_CORE_I_H
#define PMEMFS_CORE_I_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "format.h"
#include "pmemfs.h"

#define BS		PMFS_BLOCK_SIZE
#define LEAF_TX_MAX	16	/* leaves one transaction may rewrite */

uint32_t pmfs_crc32c(uint32_t crc, const void *buf, size_t len);
uint32_t pmfs_obj_crc(const void *obj, size_t len);
bool pmfs_obj_crc_ok(const void *obj, size_t len);
void pmfs_obj_seal(void *obj, size_t len);

/* DRAM extent map: inline (nleaf == 0: d.u.ext[0..d.nr_ext)) or leaves */
struct leaf {
	uint64_t blk;
	uint32_t n;
	struct pmfs_dext e[PMFS_LEAF_MAX];
};

struct emap {
	uint32_t nleaf;
	struct leaf **lv;
};

/* DRAM directory index, built at first access */
struct dindex {
	uint32_t nblk;
	uint64_t *pblk;		/* media block of each directory block */
	uint64_t *used;		/* per block: slots in use */
	uint64_t *head;		/* per block: first slots of entries */
	uint64_t nent;
	uint32_t free_hint;	/* a block that had a removal */
	uint32_t hcap;		/* power of two */
	uint32_t hn;
	uint32_t *ht;		/* slot + 1, linear probing; 0: empty */
	uint32_t *hh;		/* hash of each ht entry */
};

struct pinode {
	pthread_rwlock_t lock;
	uint64_t ino;
	struct pmfs_dinode d;	/* equals the media inode */
	uint64_t refs;		/* API references (under lock) */
	uint64_t nblk;		/* data blocks mapped */
	bool tmpfile;
	bool bad;		/* fsck: unusable */
	struct emap em;
	struct dindex *dir;
};

struct alane {
	pthread_mutex_t lock;
	uint64_t start, end;	/* data block index range */
	uint64_t hint;
	uint64_t nfree;
};

struct scanrep {
	pmfs_report_fn fn;
	void *arg;
	bool repair;
	uint64_t unfixed;
};

struct pmfs {
	struct pm_media *m;
	struct pmfs_dsb sb;
	bool rdonly;
	struct scanrep *rep;	/* fsck mode */
	struct pinode **itab;	/* [sb.inodes] */
	uint8_t *iused;
	pthread_mutex_t ialloc_lock;
	uint64_t ihint;
	uint64_t ifree;
	uint16_t *rc;		/* [data_blocks] block reference counts */
	uint32_t nlanes;
	struct alane al[PMFS_MAX_LANES];
	pthread_mutex_t jl[PMFS_MAX_LANES];
	pthread_mutex_t rename_lock;
	uint64_t jseq;
	uint64_t commits;
	uint64_t replayed;
	uint64_t orphans;
	uint64_t repairs;	/* fsck: problems fixed */
	char why[256];		/* first problem (mount) */
};

/* ---- journal.c ---- */
struct txfree {
	uint64_t blk;
	uint64_t len;
};
struct tx {
	uint8_t *buf;
	size_t used, cap, alloc;
	uint32_t nrec;
	struct txfree *fr;
	uint32_t nfr, capfr;
	struct txfree *al;	/* references taken for it: undone by tx_abort */
	uint32_t nal, capal;
};
int tx_init(struct pmfs *fs, struct tx *tx);
void tx_fini(struct tx *tx);
size_t tx_room(const struct tx *tx);
int tx_add(struct tx *tx, uint64_t off, const void *src, uint32_t len);
int tx_add_inode(struct pmfs *fs, struct tx *tx, struct pmfs_dinode *nd);
int tx_free(struct tx *tx, uint64_t blk, uint64_t len);
int tx_took(struct tx *tx, uint64_t blk, uint64_t len);
void tx_abort(struct pmfs *fs, struct tx *tx);
void tx_commit(struct pmfs *fs, struct tx *tx);
int journal_recover(struct pmfs *fs);

/* ---- alloc.c ---- */
int alloc_init(struct pmfs *fs);
int balloc(struct pmfs *fs, uint64_t want, uint64_t min, uint64_t *blk,
	   uint64_t *got);
void bput(struct pmfs *fs, uint64_t blk, uint64_t len);
int bget(struct pmfs *fs, uint64_t blk, uint64_t len);
int bmark(struct pmfs *fs, uint64_t blk, uint64_t len, bool shared);
bool blk_valid(const struct pmfs *fs, uint64_t blk, uint64_t len);
void alloc_count(struct pmfs *fs);
uint64_t alloc_free(struct pmfs *fs);
int ialloc(struct pmfs *fs, struct pinode **pip);
void iunalloc(struct pmfs *fs, uint64_t ino);

/* ---- inode.c ---- */
struct pmfs_dinode *dinode_ptr(struct pmfs *fs, uint64_t ino);
struct pinode *pinode_new(struct pmfs *fs, uint64_t ino);
struct pinode *iget_locked(struct pmfs *fs, uint64_t ino, bool wr, int *err);
void iunlock(struct pinode *pi);
void fill_attr(const struct pinode *pi, struct pmfs_attr *a);
void now_ts(int64_t *s, uint32_t *ns);
void touch_mc(struct pmfs_dinode *d, bool m, bool c);
int inode_evict(struct pmfs *fs, struct pinode *pi);
void inode_maybe_evict(struct pmfs *fs, struct pinode *pi);
void pinode_free_dram(struct pinode *pi);

/* ---- extent.c ---- */
int emap_load(struct pmfs *fs, struct pinode *pi, bool mark,
	      const char **why);
void emap_clear(struct emap *em);
bool emap_lookup(const struct pinode *pi, uint64_t lblk,
		 struct pmfs_dext *out);
uint64_t emap_count(const struct pinode *pi);
int emap_replace(struct pmfs *fs, struct pinode *pi, struct pmfs_dinode *nd,
		 struct tx *tx, uint64_t lblk, uint64_t count,
		 const struct pmfs_dext *ne, uint32_t nne, bool free_old);
uint64_t emap_last_end(const struct pinode *pi);
int emap_free_all(struct pmfs *fs, struct pinode *pi, struct pmfs_dinode *nd,
		  struct tx *tx);

/* ---- dir.c ---- */
int dir_load(struct pmfs *fs, struct pinode *dir);
void dir_free(struct dindex *di);
int dir_find(struct pmfs *fs, struct pinode *dir, const char *name,
	     size_t len, uint32_t *slot, const struct pmfs_dent **de);
int dir_add(struct pmfs *fs, struct pinode *dir, struct pmfs_dinode *nd,
	    struct tx *tx, const char *name, size_t len, uint64_t ino,
	    unsigned int type);
int dir_remove(struct pmfs *fs, struct pinode *dir, struct tx *tx,
	       uint32_t slot);
int dir_set(struct pmfs *fs, struct pinode *dir, struct tx *tx,
	    uint32_t slot, uint64_t ino, unsigned int type);
const struct pmfs_dent *dir_dent(struct pmfs *fs, struct pinode *dir,
				 uint32_t slot);
unsigned int mode_dtype(uint32_t mode);
int name_ok(const char *name, size_t len);

/* ---- data.c ---- */
int trunc_blocks(struct pmfs *fs, struct pinode *pi, struct pmfs_dinode *nd,
		 uint64_t from_lblk);
int do_truncate(struct pmfs *fs, struct pinode *pi, uint64_t size);
ssize_t do_write(struct pmfs *fs, struct pinode *pi, const void *buf,
		 size_t len, uint64_t off, bool extend);
ssize_t do_read(struct pmfs *fs, struct pinode *pi, void *buf, size_t len,
		uint64_t off);

/* ---- xattr.c ---- */
int xattr_build(struct pmfs *fs, struct pmfs_dinode *nd,
		const struct pmfs_xattr *xa, uint32_t n);
int xattr_check(struct pmfs *fs, const struct pmfs_dinode *d);

/* ---- recover.c ---- */
int fs_open(struct pm_media *m, unsigned int flags, struct scanrep *rep,
	    struct pmfs **fsp, char *err, size_t errlen);
void fs_close(struct pmfs *fs);
void problem(struct pmfs *fs, int fixed, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- super.c ---- */
int sb_check(const struct pm_media *m, const struct pmfs_dsb *sb,
	     char *why, size_t len);

static inline uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

static inline void *blk_ptr(struct pmfs *fs, uint64_t blk)
{
	return pm_ptr(fs->m, blk * BS);
}

#endif /* PMEMFS_CORE_I_H */
