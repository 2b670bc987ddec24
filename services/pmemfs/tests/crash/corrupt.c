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

static int flip_one(const struct ct_opts *o, const char *wl, uint8_t *img,
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

		printf("  FAIL %s corrupt: bit %u of byte %#" PRIx64 ": %s%s%s\n"
		       "    reproduce: %s --workload %s --seed %" PRIu64
		       " --ops %u --size %" PRIu64 " --lanes %u --images 1"
		       " --corrupt %" PRIu64 " -v\n", wl, bit, off, what,
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

int corrupt_run(const struct ct_opts *o, const char *wl, const uint8_t *img,
		uint64_t size, const struct model *final,
		struct corrupt_stats *cs)
{
	uint64_t nlines = size / 64, nz = 0, i, *lines, s;
	uint8_t *copy = malloc(size);
	static const uint8_t zero[64];
	int ret = 0;

	lines = malloc(nlines * sizeof(*lines) + 8);
	if (!copy || !lines) {
		free(copy);
		free(lines);
		return -ENOMEM;
	}
	for (i = 0; i < nlines; i++)
		if (memcmp(img + i * 64, zero, 64))
			lines[nz++] = i;
	s = gen_hash(o->seed, 0xc0ffee);
	for (i = 0; i < o->corrupt && nz; i++) {
		uint64_t h = gen_hash(s, i);
		uint64_t line = lines[h % nz];
		uint64_t off = line * 64 + (h >> 20) % 64;
		unsigned int bit = (unsigned int)((h >> 40) % 8);

		memcpy(copy, img, size);
		alarm(60);
		ret = flip_one(o, wl, copy, size, off, bit, final, cs);
		alarm(0);
		cs->flips++;
		if (ret)
			break;
	}
	free(copy);
	free(lines);
	return ret;
}
