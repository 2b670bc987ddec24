/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * format.h - pmemfs on-media format (little endian, x86-64). See FORMAT.md.
 * Every checksummed object starts with a u32 CRC32C over the rest of the
 * object, then a u32 magic.
 */
#ifndef PMEMFS_FORMAT_H
#define PMEMFS_FORMAT_H

#include <stdint.h>

#define PMFS_SB_MAGIC		0x53464d50U	/* "PMFS" */
#define PMFS_INODE_MAGIC	0x444e4950U	/* "PIND" */
#define PMFS_EIDX_MAGIC		0x58444950U	/* "PIDX" */
#define PMFS_ELEAF_MAGIC	0x46454c50U	/* "PLEF" */
#define PMFS_XATTR_MAGIC	0x52544150U	/* "PATR" */
#define PMFS_VERSION		1

#define PMFS_SB_BLK		0	/* primary superblock */
#define PMFS_SB_COPY_BLK	1	/* its copy */
#define PMFS_JOURNAL_BLK	2	/* first journal lane */
#define PMFS_LANE_BLOCKS	32	/* 128 KiB per lane */
#define PMFS_MAX_LANES		64

/* feature bits: compat (ignored if unknown), ro-compat (mount ro if
 * unknown), incompat (refuse if unknown). None are defined in version 1;
 * reserved for tiering (PMFS_FEAT_INCOMPAT_TIERS) and later growth. */
#define PMFS_FEAT_INCOMPAT_TIERS	(1U << 0)	/* reserved */
#define PMFS_FEAT_INCOMPAT_SUPP		0U
#define PMFS_FEAT_ROCOMPAT_SUPP		0U

struct pmfs_dsb {
	uint32_t crc;		/* over bytes [4, sizeof) */
	uint32_t magic;
	uint32_t version;
	uint32_t block_size;
	uint32_t feat_compat;
	uint32_t feat_rocompat;
	uint32_t feat_incompat;
	uint32_t lanes;
	uint32_t lane_blocks;
	uint32_t inode_size;
	uint64_t size;		/* bytes of the media in use */
	uint64_t nblocks;	/* size / block_size */
	uint64_t journal_blk;	/* first block of lane 0 */
	uint64_t itable_blk;	/* first block of the inode table */
	uint64_t inodes;	/* slots in the inode table (ino 0 unused) */
	uint64_t data_blk;	/* first data block */
	uint64_t data_blocks;	/* data blocks, data_blk..nblocks-1 */
	uint64_t mkfs_time;
	uint8_t uuid[16];
	char label[32];
	uint64_t tiers[8];	/* reserved: slow-tier device ids */
	uint64_t reserved[37];
};				/* 512 bytes */

/* An extent: logical blocks [lblk, lblk+len) at [pblk, pblk+len) of
 * tier @tier (0: this pmem device; others reserved for tiering). */
#define PMFS_EXT_SHARED		(1U << 0)	/* blocks also mapped elsewhere */
struct pmfs_dext {
	uint64_t lblk;
	uint64_t pblk;		/* 64-bit block address in its tier */
	uint32_t len;
	uint16_t flags;
	uint16_t tier;
};

#define PMFS_INLINE_AREA	160
#define PMFS_INLINE_EXT		(PMFS_INLINE_AREA / sizeof(struct pmfs_dext))
#define PMFS_XATTR_INLINE	184

#define PMFS_DI_TRUNC		(1U << 0)	/* blocks beyond size pending */

struct pmfs_dinode {
	uint32_t crc;		/* over bytes [4, 512); 0 with magic 0: never used */
	uint32_t magic;
	uint64_t ino;
	uint64_t generation;
	uint32_t mode;		/* 0: free slot */
	uint32_t nlink;
	uint32_t uid;
	uint32_t gid;
	uint32_t flags;
	uint32_t nr_ext;	/* inline extents (when ext_index == 0) */
	uint64_t size;
	uint64_t rdev;
	uint64_t parent;	/* directories: the parent's ino */
	int64_t atime_s, mtime_s, ctime_s;
	uint32_t atime_ns, mtime_ns, ctime_ns;
	uint32_t xattr_inline_len;
	uint64_t ext_index;	/* block of the extent index (0: inline) */
	uint64_t xattr_blk;	/* first block of the xattr area (0: none) */
	uint32_t xattr_nblk;
	uint32_t xattr_len;
	uint64_t reserved[4];
	union {
		struct pmfs_dext ext[PMFS_INLINE_EXT];
		char symlink[PMFS_INLINE_AREA];	/* short symlink target */
		uint8_t raw[PMFS_INLINE_AREA];
	} u;
	uint8_t xattr_inline[PMFS_XATTR_INLINE];
};

#define PMFS_IDX_MAX	254
struct pmfs_eidx_ent {
	uint64_t first_lblk;
	uint64_t leaf_blk;
};
struct pmfs_eidx {		/* extent index block: leaves in lblk order */
	uint32_t crc;		/* over [4, 4096) */
	uint32_t magic;
	uint32_t count;
	uint32_t pad;
	uint64_t ino;
	uint64_t pad2;
	struct pmfs_eidx_ent e[PMFS_IDX_MAX];
};

#define PMFS_LEAF_MAX	169
struct pmfs_eleaf {		/* extent leaf: sorted, non-overlapping */
	uint32_t crc;		/* over [4, 4096) */
	uint32_t magic;
	uint32_t count;
	uint32_t pad;
	uint64_t ino;
	uint64_t pad2;
	struct pmfs_dext e[PMFS_LEAF_MAX];
	uint8_t tail[8];
};

/* Directory blocks: 64 slots of 64 bytes; an entry takes 1..5 slots. */
#define PMFS_DSLOT		64
#define PMFS_DSLOTS		64
#define PMFS_DENT_HDR		24
#define PMFS_DENT_MAXSLOTS	5
struct pmfs_dent {
	uint32_t crc;		/* over [4, nslots * 64) */
	uint8_t nslots;
	uint8_t type;		/* DT_* */
	uint16_t namelen;
	uint64_t ino;		/* 0: free */
	uint32_t hash;
	uint32_t pad;
	char name[];
};

/* xattr area (inline in the inode or in xattr blocks): packed entries */
struct pmfs_xent {
	uint8_t namelen;
	uint8_t pad;
	uint16_t pad2;
	uint32_t vlen;
	/* name, then value, then zero padding to 4 bytes */
};
struct pmfs_xblk {		/* header of an xattr area in blocks */
	uint32_t crc;		/* over [4, 24 + len) */
	uint32_t magic;
	uint32_t len;
	uint32_t count;
	uint64_t ino;
};

/* Journal lane: header, then records {off, len, data padded to 8}. */
struct pmfs_jhdr {
	uint64_t commit;	/* == seq: committed; 0: free */
	uint64_t seq;
	uint32_t crc;		/* over seq, nrec, len and the records */
	uint32_t nrec;
	uint64_t len;
	uint64_t pad[4];
};
struct pmfs_jrec {
	uint64_t off;
	uint32_t len;
	uint32_t pad;
};

_Static_assert(sizeof(struct pmfs_dsb) == 512, "dsb");
_Static_assert(sizeof(struct pmfs_dinode) == 512, "dinode");
_Static_assert(sizeof(struct pmfs_dext) == 24, "dext");
_Static_assert(sizeof(struct pmfs_eidx) == 4096, "eidx");
_Static_assert(sizeof(struct pmfs_eleaf) == 4096, "eleaf");
_Static_assert(sizeof(struct pmfs_dent) == PMFS_DENT_HDR, "dent");
_Static_assert(sizeof(struct pmfs_jhdr) == 64, "jhdr");

#endif /* PMEMFS_FORMAT_H */
