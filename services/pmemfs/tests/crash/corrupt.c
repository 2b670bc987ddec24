// SPDX-License-Identifier: BSD-2-Clause
/*
 * corrupt.c - the corruption tester (pmemfs-crashtest --corrupt N): flip
 * one bit at a time in a populated image, at N seeded places among its
 * non-zero 64-byte lines, then:
 *  - fsck (no repair) must not fail or crash;
 *  - mount must refuse, or succeed and answer like the oracle (or with an
 *    error: detected); a wrong answer is a failure unless it is a file's
 *    data byte (data blocks carry no checksum);
 *  - when mount refused, fsck must have reported a problem;
 *  - fsck with repair, then fsck must be clean and mount must work.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "crashtest.h"
#include "gen.h"
#include "memmedia.h"
#include "pmemfs.h"

static int flip_one(const struct ct_opts *o, const char *wl,
		    const char *kind, uint8_t *img,
		    uint64_t size, uint64_t off, unsigned int bit,
		    const struct model *final, struct corrupt_stats *cs)
{
	struct pm_media *m = mem_media_over(img, size);
	struct fsck_log fl = { 0 };
	struct pmfs *fs;
	char err[256] = "", why[1200] = "", what[600] = "";
	int r0, r1, r2, ret, c;

	if (!m)
		return -ENOMEM;
	img[off] ^= (uint8_t)(1U << bit);
	r0 = pmfs_fsck(m, 0, fsck_report, &fl);
	if (r0 < 0 && r0 != -EINVAL) {
		snprintf(what, sizeof(what), "fsck: %s", strerror(-r0));
		goto fail;
	}
	ret = pmfs_mount(m, 0, &fs, err, sizeof(err));
	if (ret) {
		cs->refused++;
		if (r0 == 0) {
			snprintf(what, sizeof(what), "mount refuses (%s: %s) "
				 "but fsck says clean", strerror(-ret), err);
			goto fail;
		}
	} else {
		c = check_tree(fs, final, NULL, why, sizeof(why));
		pmfs_umount(fs);
		if (c == CHK_ERROR) {
			cs->refused++;
		} else if (c == CHK_WRONG) {
			if (strstr(why, " byte ") && !strstr(why, "size")) {
				cs->data_hits++;
			} else {
				snprintf(what, sizeof(what),
					 "silent wrong answer");
				goto fail;
			}
		} else {
			cs->clean_ok++;
		}
	}
	memset(&fl, 0, sizeof(fl));
	r1 = pmfs_fsck(m, PMFS_FSCK_REPAIR, fsck_report, &fl);
	if (fl.fixed)
		cs->repaired++;
	memset(&fl, 0, sizeof(fl));
	r2 = pmfs_fsck(m, 0, fsck_report, &fl);
	if (r2) {
		snprintf(what, sizeof(what), "fsck after repair (%d) not clean:"
			 " %d (%s)", r1, r2, fl.first[0]);
		goto fail;
	}
	ret = pmfs_mount(m, 0, &fs, err, sizeof(err));
	if (ret) {
		snprintf(what, sizeof(what), "mount after repair: %s (%s)",
			 strerror(-ret), err);
		goto fail;
	}
	pmfs_umount(fs);
	m->ops->close(m);
	return 0;
fail:
	cs->failures++;
	if (o->verbose || cs->failures <= 5) {
		char tag[128];

		printf("  FAIL %s corrupt %s: bit %u of byte %#" PRIx64
		       ": %s%s%s\n"
		       "    reproduce: %s --workload %s --seed %" PRIu64
		       " --ops %u --size %" PRIu64 " --lanes %u --images 1"
		       " --corrupt %" PRIu64 " -v\n", wl, kind, bit, off, what,
		       why[0] ? ": " : "", why, o->argv0, wl, o->seed, o->ops,
		       o->size, o->lanes, o->corrupt);
		snprintf(tag, sizeof(tag), "%s-s%" PRIu64 "-flip%" PRIx64 "-%u",
			 wl, o->seed, off, bit);
		img[off] ^= (uint8_t)(1U << bit);	/* not quite: post-mount */
		save_image(o, tag, img, size);
	}
	m->ops->close(m);
	return 0;
}

/*
 * Where to flip: the metadata structures by kind, found by parsing the
 * image with the core's on-media format (format.h, read-only use) when it
 * is there; else any non-zero 64-byte line.
 */
enum cat {
	C_SB, C_SBCOPY, C_JHDR, C_JOURNAL, C_INODE, C_DIRENT, C_EIDX,
	C_ELEAF, C_XATTR, C_DATA, C_ANY, C_NR
};

static const char *const cat_names[C_NR] = {
	"superblock", "sb-copy", "jrnl-hdr", "journal", "inode", "dirent",
	"ext-index", "ext-leaf", "xattr-blk", "file-data", "any-line",
};

struct region {
	uint64_t off, len;
};

struct regions {
	struct region *r[C_NR];
	size_t n[C_NR], cap[C_NR];
};

static void reg_add(struct regions *rg, int c, uint64_t off, uint64_t len,
		    uint64_t size)
{
	if (!len || off >= size || len > size - off)
		return;
	if (rg->n[c] == rg->cap[c]) {
		size_t n = rg->cap[c] ? rg->cap[c] * 2 : 64;
		struct region *r = realloc(rg->r[c], n * sizeof(*r));

		if (!r)
			return;
		rg->r[c] = r;
		rg->cap[c] = n;
	}
	rg->r[c][rg->n[c]].off = off;
	rg->r[c][rg->n[c]].len = len;
	rg->n[c]++;
}

#if __has_include("format.h")
#include "format.h"

static void ext_regions(struct regions *rg, const struct pmfs_dsb *sb,
			const struct pmfs_dext *e, uint32_t n, int cat,
			uint64_t size)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (e[i].tier || e[i].pblk < sb->data_blk ||
		    e[i].pblk >= sb->nblocks)
			continue;
		/* directories: every block; files: the first of each */
		reg_add(rg, cat, e[i].pblk * PMFS_BLOCK_SIZE,
			(cat == C_DIRENT ? e[i].len : 1) *
			(uint64_t)PMFS_BLOCK_SIZE, size);
	}
}

static void map_format(struct regions *rg, const uint8_t *img,
		       uint64_t size)
{
	struct pmfs_dsb sb;
	uint64_t ino, l, bs = PMFS_BLOCK_SIZE;

	if (size < 2 * bs)
		return;
	memcpy(&sb, img, sizeof(sb));
	if (sb.magic != PMFS_SB_MAGIC || sb.block_size != bs ||
	    sb.size > size || sb.inodes > size / 512 ||
	    sb.lanes > PMFS_MAX_LANES)
		return;
	reg_add(rg, C_SB, 0, sizeof(sb), size);
	reg_add(rg, C_SBCOPY, bs, sizeof(sb), size);
	for (l = 0; l < sb.lanes; l++) {
		uint64_t off = (sb.journal_blk + l * sb.lane_blocks) * bs;

		reg_add(rg, C_JHDR, off, sizeof(struct pmfs_jhdr), size);
		reg_add(rg, C_JOURNAL, off + sizeof(struct pmfs_jhdr),
			sb.lane_blocks * bs - sizeof(struct pmfs_jhdr), size);
	}
	for (ino = 1; ino < sb.inodes; ino++) {
		uint64_t off = sb.itable_blk * bs + ino * 512;
		const struct pmfs_dinode *d;
		int dcat;

		if (off + 512 > size)
			break;
		d = (const void *)(img + off);
		if (d->magic != PMFS_INODE_MAGIC || !d->mode)
			continue;
		reg_add(rg, C_INODE, off, 512, size);
		dcat = (d->mode & 0170000) == 0040000 ? C_DIRENT : C_DATA;
		if ((d->mode & 0170000) == 0120000)
			dcat = -1;	/* symlink: inline or one block */
		if (d->xattr_blk)
			reg_add(rg, C_XATTR, d->xattr_blk * bs,
				(uint64_t)(d->xattr_nblk ? d->xattr_nblk : 1) *
				bs, size);
		if (dcat < 0)
			continue;
		if (!d->ext_index) {
			ext_regions(rg, &sb, d->u.ext,
				    d->nr_ext < PMFS_INLINE_EXT ? d->nr_ext :
				    PMFS_INLINE_EXT, dcat, size);
			continue;
		}
		if (d->ext_index * bs + bs > size)
			continue;
		{
			const struct pmfs_eidx *x = (const void *)(img +
					d->ext_index * bs);
			uint32_t k;

			reg_add(rg, C_EIDX, d->ext_index * bs, bs, size);
			for (k = 0; k < x->count && k < PMFS_IDX_MAX; k++) {
				const struct pmfs_eleaf *lf;
				uint64_t lb = x->e[k].leaf_blk;

				if (lb < sb.data_blk || lb * bs + bs > size)
					continue;
				reg_add(rg, C_ELEAF, lb * bs, bs, size);
				lf = (const void *)(img + lb * bs);
				ext_regions(rg, &sb, lf->e,
					    lf->count < PMFS_LEAF_MAX ?
					    lf->count : PMFS_LEAF_MAX, dcat,
					    size);
			}
		}
	}
}
#else
static void map_format(struct regions *rg, const uint8_t *img,
		       uint64_t size)
{
}
#endif

/* A place in category @c: a non-zero byte if one is found quickly. */
static uint64_t pick_off(const struct regions *rg, int c, const uint8_t *img,
			 uint64_t h)
{
	uint64_t off = 0;
	int t;

	for (t = 0; t < 16; t++) {
		const struct region *r = &rg->r[c][gen_hash(h, (uint64_t)t) %
						    rg->n[c]];

		off = r->off + gen_hash(h, 100 + (uint64_t)t) % r->len;
		if (img[off])
			break;
	}
	return off;
}

int corrupt_run(const struct ct_opts *o, const char *wl, const uint8_t *img,
		uint64_t size, const struct model *final,
		struct corrupt_stats *cs)
{
	struct regions rg = { 0 };
	struct corrupt_stats per[C_NR] = { { 0 } };
	uint8_t *copy = malloc(size);
	static const uint8_t zero[64];
	int cats[C_NR], ncat = 0, ret = 0, c;
	uint64_t i, s;

	if (!copy)
		return -ENOMEM;
	map_format(&rg, img, size);
	for (i = 0; i + 64 <= size; i += 64)
		if (memcmp(img + i, zero, 64))
			reg_add(&rg, C_ANY, i, 64, size);
	for (c = 0; c < C_NR; c++)
		if (rg.n[c])
			cats[ncat++] = c;
	s = gen_hash(o->seed, 0xc0ffee);
	for (i = 0; i < o->corrupt && ncat; i++) {
		uint64_t h = gen_hash(s, i), off;
		unsigned int bit = (unsigned int)((h >> 40) % 8);

		c = cats[i % (uint64_t)ncat];
		off = pick_off(&rg, c, img, h);
		memcpy(copy, img, size);
		alarm(60);
		ret = flip_one(o, wl, cat_names[c], copy, size, off, bit,
			       final, &per[c]);
		alarm(0);
		per[c].flips++;
		if (ret)
			break;
	}
	printf("  corrupt %-7s %-10s %6s %7s %8s %9s %8s %8s\n", wl, "kind",
	       "flips", "refused", "harmless", "data-only", "repaired",
	       "failures");
	for (c = 0; c < C_NR; c++) {
		if (!per[c].flips)
			continue;
		printf("  corrupt %-7s %-10s %6" PRIu64 " %7" PRIu64 " %8" PRIu64
		       " %9" PRIu64 " %8" PRIu64 " %8" PRIu64 "\n", wl,
		       cat_names[c], per[c].flips, per[c].refused,
		       per[c].clean_ok, per[c].data_hits, per[c].repaired,
		       per[c].failures);
		cs->flips += per[c].flips;
		cs->refused += per[c].refused;
		cs->clean_ok += per[c].clean_ok;
		cs->data_hits += per[c].data_hits;
		cs->repaired += per[c].repaired;
		cs->failures += per[c].failures;
	}
	for (c = 0; c < C_NR; c++)
		free(rg.r[c]);
	free(copy);
	return ret;
}
