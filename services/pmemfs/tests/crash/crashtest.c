// SPDX-License-Identifier: BSD-2-Clause
/*
 * crashtest.c - pmemfs-crashtest: run seeded workloads on the pmemfs core
 * over the recorder, build the crash images of each trace (gen.c) and
 * check every one: fsck does not fail on the image as the crash left it
 * (and does not write it), mount recovers it, the tree matches the oracle
 * (every returned op present, the op in flight wholly absent or present,
 * overwrites old-or-new), and after umount fsck is clean. See README.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "crashtest.h"
#include "gen.h"
#include "memmedia.h"
#include "pmemfs.h"
#include "record.h"
#include "workload.h"

struct run {
	const struct ct_opts *o;
	int wl;
	uint32_t nops;		/* ops run (the umount is op nops) */
	struct op *ops;
	struct model **models;	/* models[i]: after i ops; nops + 2 */
	uint8_t *copy;		/* the image before the checks */
	uint64_t size;
	uint64_t reported;
	/* crash during recovery: the image whose recovery is recorded */
	const struct gen_image *outer;
	uint8_t *outer_copy;
	uint64_t rec_images, rec_fail;
	uint64_t relaxed;	/* images accepted by --relax */
	uint64_t jflips, jdetected;
	uint32_t nest_done;
	int nest_busy;
};

void fsck_report(void *arg, const char *msg, int fixed)
{
	struct fsck_log *l = arg;

	if (l->n < 3)
		snprintf(l->first[l->n], sizeof(l->first[0]), "%s%s", msg,
			 fixed ? " (fixed)" : "");
	l->n++;
	if (fixed)
		l->fixed++;
}

int save_image(const struct ct_opts *o, const char *tag, const void *img,
	       uint64_t size)
{
	char path[4096];
	const uint8_t *p = img;
	uint64_t done = 0;
	int fd;

	if (!o->save)
		return 0;
	mkdir(o->save, 0755);
	snprintf(path, sizeof(path), "%s/%s.img", o->save, tag);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -errno;
	while (done < size) {
		ssize_t w = write(fd, p + done, size - done);

		if (w <= 0) {
			close(fd);
			return -EIO;
		}
		done += (uint64_t)w;
	}
	close(fd);
	printf("    saved %s\n", path);
	return 0;
}

static void fail_report(struct run *r, const struct gen_image *gi,
			const char *what, const char *why)
{
	const struct gen_image *outer = r->outer ? r->outer : gi;

	const struct ct_opts *o = r->o;
	char desc[400] = "none", tag[128];

	r->reported++;
	if (!o->verbose && r->reported > 5)
		return;
	if (gi->busy && gi->done < r->nops)
		op_describe(&r->ops[gi->done], desc, sizeof(desc));
	else if (gi->busy)
		snprintf(desc, sizeof(desc), "umount");
	if (r->outer)
		printf("  FAIL %s seed %" PRIu64 " point %" PRIu64 " image %u,"
		       " crashed again in its recovery at point %" PRIu64
		       " image %u (--recovery):\n", wl_names[r->wl], o->seed,
		       outer->point, outer->index, gi->point, gi->index);
	gi = outer;
	printf("  FAIL %s seed %" PRIu64 " point %" PRIu64 " image %u: %s: %s\n"
	       "    %u ops returned; in flight: %s; in-flight words %" PRIu64
	       ", applied %" PRIu64 "\n"
	       "    reproduce: %s --workload %s --seed %" PRIu64 " --ops %u"
	       " --size %" PRIu64 " --lanes %u --subsets %u --point %" PRIu64
	       " --image %u -v%s\n", wl_names[r->wl], o->seed, gi->point,
	       gi->index, what, why, gi->done, desc, gi->inflight, gi->applied,
	       o->argv0, wl_names[r->wl], o->seed, o->ops, o->size, o->lanes,
	       o->subsets, gi->point, gi->index,
	       o->save ? "" : " --save DIR");
	snprintf(tag, sizeof(tag), "%s-s%" PRIu64 "-p%" PRIu64 "-i%u",
		 wl_names[r->wl], o->seed, gi->point, gi->index);
	save_image(o, tag, r->outer ? r->outer_copy : r->copy, r->size);
}

static int compare(struct run *r, struct pmfs *fs, const struct gen_image *gi,
		   char *why, size_t whylen)
{
	const struct model *after = r->models[gi->done + (gi->busy ? 1 : 0)];
	const struct model *before = r->models[gi->done];
	struct check_relax rx;
	char w2[512];
	uint32_t node;
	int c;

	c = check_tree(fs, after, NULL, why, whylen);
	if (!c || !gi->busy)
		return c;
	c = check_tree(fs, before, NULL, w2, sizeof(w2));
	if (!c)
		return 0;
	if (gi->done < r->nops && wl_data_op(&r->ops[gi->done], &node)) {
		rx.before = before;
		rx.node = node;
		c = check_tree(fs, after, &rx, why, whylen);
		if (!c)
			return 0;
	}
	snprintf(why + strlen(why), whylen - strlen(why), " | vs before: %s",
		 w2);
	if (gi->done < r->nops && (r->o->relax >> r->ops[gi->done].k & 1)) {
		r->relaxed++;
		return 0;
	}
	return c;
}

static int check_image(void *arg, struct gen_image *gi);

#if __has_include("format.h")
#include "format.h"
/* The byte range of a committed journal lane in @img (0: none). */
static uint64_t committed_lane(const uint8_t *img, uint64_t size,
			       uint64_t *len)
{
	const struct pmfs_dsb *sb = (const void *)img;
	uint64_t l;

	if (size < 4096 || sb->magic != PMFS_SB_MAGIC ||
	    sb->lanes > PMFS_MAX_LANES || sb->block_size != 4096)
		return 0;
	for (l = 0; l < sb->lanes; l++) {
		uint64_t off = (sb->journal_blk + l * sb->lane_blocks) * 4096;
		const struct pmfs_jhdr *h = (const void *)(img + off);

		if (off + 4096 > size)
			return 0;
		if (h->commit && h->commit == h->seq &&
		    h->len <= sb->lane_blocks * 4096ULL - sizeof(*h)) {
			*len = sizeof(*h) + h->len;
			return off;
		}
	}
	return 0;
}
#else
static uint64_t committed_lane(const uint8_t *img, uint64_t size,
			       uint64_t *len)
{
	return 0;
}
#endif

/*
 * --jflip N: in an image with a committed journal lane, flip N single
 * bits (one at a time) in the lane's header and records: recovery must
 * refuse or discard/replay it (the state before or after the op in
 * flight), and fsck must be clean after it.
 */
static int journal_flips(struct run *r, struct gen_image *gi)
{
	uint64_t len = 0, off = committed_lane(r->copy, gi->size, &len), i;
	uint8_t *img;
	int bad = 0;

	if (!off || !len)
		return 0;
	img = malloc(gi->size);
	if (!img)
		return -ENOMEM;
	for (i = 0; i < r->o->jflip && !bad; i++) {
		uint64_t h = gen_hash(gen_hash(r->o->seed, gi->point), i);
		uint64_t at = off + h % len;
		struct pm_media *m;
		struct fsck_log fl = { 0 };
		struct pmfs *fs;
		char err[256] = "", why[1200] = "";
		int ret;

		memcpy(img, r->copy, gi->size);
		img[at] ^= (uint8_t)(1U << (h >> 59 & 7));
		m = mem_media_over(img, gi->size);
		if (!m)
			break;
		r->jflips++;
		ret = pmfs_mount(m, 0, &fs, err, sizeof(err));
		if (!ret) {
			int c = compare(r, fs, gi, why, sizeof(why));

			pmfs_umount(fs);
			ret = pmfs_fsck(m, 0, fsck_report, &fl);
			if (c == CHK_ERROR && ret > 0) {
				/* detected: an error, and fsck reports */
				r->jdetected++;
				ret = 0;
			} else if (c) {
				printf("  FAIL %s seed %" PRIu64 " point %" PRIu64
				       " image %u: journal bit flip at %#" PRIx64
				       ": %s: %s\n    reproduce: %s --workload %s"
				       " --seed %" PRIu64 " --ops %u --point %"
				       PRIu64 " --image %u --jflip %" PRIu64
				       "\n", wl_names[r->wl], r->o->seed,
				       gi->point, gi->index, at,
				       c == CHK_ERROR ? "error, fsck clean" :
				       "wrong answer", why, r->o->argv0,
				       wl_names[r->wl], r->o->seed, r->o->ops,
				       gi->point, gi->index, r->o->jflip);
				bad = 1;
			} else if (ret) {
				printf("  FAIL %s seed %" PRIu64 " point %" PRIu64
				       " image %u: journal bit flip at %#" PRIx64
				       ": fsck after recovery: %d (%s)\n",
				       wl_names[r->wl], r->o->seed, gi->point,
				       gi->index, at, ret, fl.first[0]);
				bad = 1;
			}
		}
		m->ops->close(m);
	}
	free(img);
	return bad;
}

/*
 * Crash again during the recovery of @gi's image: record its mount and
 * umount, and check the crash images of that trace (same oracle state).
 */
static int recovery_crashes(struct run *r, struct gen_image *gi)
{
	struct gen_opts go = {
		.seed = gen_hash(r->o->seed, gi->point * 64 + gi->index),
		.max_images = 16, .subsets = 2, .only_point = -1,
		.only_image = -1,
	};
	uint8_t *buf = malloc(gi->size), *copy = malloc(gi->size);
	struct pm_media *mem = buf ? mem_media_over(buf, gi->size) : NULL;
	struct pm_media *rec;
	uint8_t *saved = r->copy;
	struct rec_trace tr;
	struct gen_stats st;
	struct pmfs *fs;
	char err[256];
	int ret = 0;

	rec = NULL;
	if (mem)
		memcpy(buf, gi->img, gi->size);
	rec = mem ? rec_media_wrap(mem) : NULL;
	if (!rec || !copy) {
		ret = -ENOMEM;
		goto out;
	}
	if (pmfs_mount(rec, 0, &fs, err, sizeof(err)))
		goto out;	/* check_image reports it */
	pmfs_umount(fs);
	rec_trace(rec, &tr);
	/* the nested images: same ops done and in flight as @gi */
	r->outer = gi;
	r->outer_copy = saved;
	r->copy = copy;
	{
		struct gen_image *g = gi;
		uint32_t done = g->done;
		int busy = g->busy;

		r->nest_done = done;
		r->nest_busy = busy;
		ret = gen_run(&tr, &go, check_image, r, &st);
	}
	r->outer = NULL;
	r->copy = saved;
	free(st.final_cur);
	r->rec_images += st.images;
	if (!ret && st.failures) {
		r->rec_fail += st.failures;
		ret = 1;
	}
out:
	if (rec)
		rec->ops->close(rec);
	if (mem)
		mem->ops->close(mem);
	free(buf);
	free(copy);
	return ret;
}

static int check_image(void *arg, struct gen_image *gi)
{
	struct run *r = arg;
	struct pm_media *m = mem_media_over(gi->img, gi->size);
	struct fsck_log fl = { 0 };
	struct pmfs *fs = NULL;
	char err[256] = "", why[1200];
	int ret, nested_fail = 0;

	if (!m)
		return -ENOMEM;
	if (r->outer) {
		gi->done = r->nest_done;
		gi->busy = r->nest_busy;
	} else if (r->o->recovery && gi->inflight &&
		   gen_hash(r->o->seed, gi->point * 64 + gi->index) %
		   r->o->recovery == 0) {
		ret = recovery_crashes(r, gi);
		if (ret < 0) {
			m->ops->close(m);
			return ret;
		}
		nested_fail = ret;
	}
	memcpy(r->copy, gi->img, gi->size);
	ret = pmfs_fsck(m, 0, fsck_report, &fl);
	if (ret < 0) {
		snprintf(why, sizeof(why), "%s", strerror(-ret));
		fail_report(r, gi, "fsck of the crashed image failed", why);
		goto fail;
	}
	if (memcmp(r->copy, gi->img, gi->size)) {
		fail_report(r, gi, "fsck without repair", "wrote the media");
		goto fail;
	}
	ret = pmfs_mount(m, 0, &fs, err, sizeof(err));
	if (ret) {
		snprintf(why, sizeof(why), "%s (%s)", strerror(-ret), err);
		fail_report(r, gi, "mount (recovery) failed", why);
		goto fail;
	}
	if (compare(r, fs, gi, why, sizeof(why))) {
		fail_report(r, gi, "oracle", why);
		pmfs_umount(fs);
		goto fail;
	}
	pmfs_umount(fs);
	memset(&fl, 0, sizeof(fl));
	ret = pmfs_fsck(m, 0, fsck_report, &fl);
	if (ret) {
		snprintf(why, sizeof(why), "%d problems (%s%s%s)", ret,
			 fl.first[0], fl.n > 1 ? "; " : "", fl.first[1]);
		fail_report(r, gi, "fsck after recovery not clean", why);
		goto fail;
	}
	if (r->o->jflip && !r->outer) {
		ret = journal_flips(r, gi);
		if (ret) {
			m->ops->close(m);
			return ret < 0 ? ret : 1;
		}
	}
	if (r->o->deep) {
		ret = pmfs_mount(m, PMFS_MOUNT_RDONLY, &fs, err, sizeof(err));
		if (ret) {
			snprintf(why, sizeof(why), "%s (%s)", strerror(-ret),
				 err);
			fail_report(r, gi, "second mount failed", why);
			goto fail;
		}
		ret = compare(r, fs, gi, why, sizeof(why));
		pmfs_umount(fs);
		if (ret) {
			fail_report(r, gi, "oracle after a second mount", why);
			goto fail;
		}
	}
	m->ops->close(m);
	return nested_fail;
fail:
	m->ops->close(m);
	return 1;
}

struct summary {
	uint32_t ops;
	uint64_t stores, fences, points, images, dups, failures;
	uint64_t live_fail, rec_images, rec_fail;
	struct corrupt_stats cs;
	double secs;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --dump P: the events between crash points P-1 and P (debugging) */
static void dump_events(const struct rec_trace *t, uint64_t point)
{
	uint64_t p = 0;
	size_t i;

	for (i = 0; i < t->nev && p <= point; i++) {
		const struct rec_ev *e = &t->ev[i];

		if (e->type == REC_FENCE) {
			if (p + 1 >= point)
				printf("    [%zu] FENCE (crash point %" PRIu64 ")\n",
				       i, p);
			p++;
			continue;
		}
		if (p + 1 < point)
			continue;
		if (e->type == REC_MARK)
			printf("    [%zu] MARK op %" PRIu64 " %s\n", i, e->off,
			       e->len == REC_BEGIN ? "begin" : "end");
		else
			printf("    [%zu] %s off %#" PRIx64 " (block %" PRIu64
			       " +%" PRIu64 ") len %u\n", i,
			       e->type == REC_STORE ? "STORE" : "FLUSH", e->off,
			       e->off / 4096, e->off % 4096, e->len);
	}
}

static int run_workload(const struct ct_opts *o, int wl, struct summary *s)
{
	struct pmfs_mkfs_opts mo = { .size = o->size, .lanes = o->lanes };
	struct run r = { .o = o, .wl = wl };
	struct wl_rng rng = { .s = gen_hash(o->seed, (uint64_t)wl + 1) };
	struct gen_opts go = {
		.seed = gen_hash(o->seed, (uint64_t)wl + 100),
		.max_images = o->images, .subsets = o->subsets,
		.only_point = o->point, .only_image = o->image,
		.stop_on_fail = o->stop,
	};
	struct pm_media *mem, *rec;
	struct model *m;
	struct pmfs *fs;
	struct rec_trace tr;
	struct gen_stats st;
	char err[256] = "", why[1200];
	double t0 = now();
	uint32_t i;
	int ret;

	memset(s, 0, sizeof(*s));
	snprintf(mo.label, sizeof(mo.label), "crash-%s", wl_names[wl]);
	mem = mem_media_new(o->size);
	r.ops = calloc(o->ops + 1, sizeof(*r.ops));
	r.models = calloc(o->ops + 2, sizeof(*r.models));
	r.copy = malloc(o->size);
	r.size = o->size;
	if (!mem || !r.ops || !r.models || !r.copy)
		return -ENOMEM;
	ret = pmfs_mkfs(mem, &mo);
	if (ret) {
		fprintf(stderr, "%s: mkfs: %s\n", wl_names[wl], strerror(-ret));
		return ret;
	}
	rec = rec_media_wrap(mem);
	if (!rec)
		return -ENOMEM;
	ret = pmfs_mount(rec, 0, &fs, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s: mount: %s (%s)\n", wl_names[wl],
			strerror(-ret), err);
		return ret;
	}
	m = model_new();
	r.models[0] = model_clone(m);
	for (i = 0; i < o->ops; i++) {
		struct op *op = &r.ops[i];
		int64_t live, want;

		wl_choose(wl, i, &rng, m, op);
		rec_mark(rec, i, REC_BEGIN);
		live = wl_live(fs, m, op);
		rec_mark(rec, i, REC_END);
		want = wl_apply(m, op);
		r.models[i + 1] = model_clone(m);
		if (o->verbose > 1) {
			op_describe(op, why, sizeof(why));
			printf("    op %u: %s\n", i, why);
		}
		if (live != want) {
			op_describe(op, why, sizeof(why));
			printf("  FAIL %s seed %" PRIu64 " op %u (live): %s: "
			       "returned %" PRId64 ", the model says %" PRId64
			       "\n", wl_names[wl], o->seed, i, why, live, want);
			s->live_fail++;
			i++;
			break;
		}
	}
	r.nops = i;
	ret = check_tree(fs, m, NULL, why, sizeof(why));
	if (ret) {
		printf("  FAIL %s seed %" PRIu64 " (live, before umount): %s\n",
		       wl_names[wl], o->seed, why);
		s->live_fail++;
	}
	/* drop the tmpfiles' references (not an op: the umount frees them) */
	rec_mark(rec, r.nops, REC_BEGIN);
	pmfs_umount(fs);
	rec_mark(rec, r.nops, REC_END);
	r.models[r.nops + 1] = model_clone(m);
	rec_trace(rec, &tr);
	s->ops = r.nops;
	s->stores = tr.nstores;
	s->fences = tr.nfences;
	if (tr.out_of_range) {
		printf("  FAIL %s: %" PRIu64 " media ops out of range or an "
		       "unaligned store8\n", wl_names[wl], tr.out_of_range);
		s->live_fail++;
	}
	if (o->dump >= 0)
		dump_events(&tr, (uint64_t)o->dump);
	ret = gen_run(&tr, &go, check_image, &r, &st);
	if (ret) {
		fprintf(stderr, "%s: generator: %s\n", wl_names[wl],
			strerror(-ret));
		return ret;
	}
	if (st.final_cur && memcmp(st.final_cur, mem->base, o->size)) {
		uint64_t j, n = 0, first = 0;

		for (j = 0; j < o->size; j++)
			if (st.final_cur[j] != mem->base[j] && !n++)
				first = j;
		printf("  FAIL %s: %" PRIu64 " bytes of the media were written "
		       "bypassing pm_ops (first at %#" PRIx64 ")\n",
		       wl_names[wl], n, first);
		s->live_fail++;
	}
	free(st.final_cur);
	s->points = st.points;
	s->images = st.images;
	s->dups = st.dups;
	s->rec_images = r.rec_images;
	s->rec_fail = r.rec_fail;
	if (r.jflips)
		printf("  %s: %" PRIu64 " bit flips in committed journal lanes"
		       " (%" PRIu64 " detected after mount)\n", wl_names[wl],
		       r.jflips, r.jdetected);
	if (r.relaxed)
		printf("  %s: %" PRIu64 " images with a --relax op in flight "
		       "matched neither before nor after\n", wl_names[wl],
		       r.relaxed);
	s->failures = st.failures + s->live_fail;
	if (o->corrupt) {
		ret = corrupt_run(o, wl_names[wl], mem->base, o->size, m,
				  &s->cs);
		if (ret)
			return ret;
		s->failures += s->cs.failures;
	}
	rec->ops->close(rec);
	mem->ops->close(mem);
	for (i = 0; i <= r.nops + 1; i++)
		model_free(r.models[i]);
	model_free(m);
	free(r.models);
	free(r.ops);
	free(r.copy);
	s->secs = now() - t0;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: pmemfs-crashtest [options]\n"
"  --workload NAME|all  (files rename links dirgrow falloc xattr mixed)\n"
"  --seed S             workload and image seed (default 1)\n"
"  --ops N              operations per workload (default 40)\n"
"  --images MAX         crash images per workload (default 400, 0: all)\n"
"  --subsets K          random subsets per crash point (default 4)\n"
"  --size BYTES         media size (default 8 MiB)\n"
"  --lanes N            journal/allocator lanes (default 2)\n"
"  --point P --image I  check only that crash image (reproduce)\n"
"  --save DIR           save failing images to DIR\n"
"  --deep               also remount read-only and check again\n"
"  --stop               stop at the first failing image\n"
"  --corrupt N          then flip N bits in the final image, one at a time\n"
"  --relax OP,..        accept any state while OP is in flight (known\n"
"                       non-atomic ops, e.g. fallocate,copy_range)\n"
"  --jflip N            N bit flips in each image's committed journal lane\n"
"  --dump P             print the trace's events before crash point P\n"
"  --recovery N         crash again in the recovery of 1 in N images\n"
"  --expect-fail        exit 0 only if failures were found (self-test)\n"
"  -v                   more output (-v -v: every op)\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "workload", 1, NULL, 'w' }, { "seed", 1, NULL, 's' },
		{ "ops", 1, NULL, 'n' }, { "images", 1, NULL, 'i' },
		{ "subsets", 1, NULL, 'k' }, { "size", 1, NULL, 'S' },
		{ "lanes", 1, NULL, 'l' }, { "point", 1, NULL, 'p' },
		{ "image", 1, NULL, 'I' }, { "save", 1, NULL, 'o' },
		{ "deep", 0, NULL, 'd' }, { "stop", 0, NULL, 'x' },
		{ "corrupt", 1, NULL, 'c' }, { "help", 0, NULL, 'h' },
		{ "expect-fail", 0, NULL, 'F' }, { "recovery", 1, NULL, 'R' },
		{ "relax", 1, NULL, 'X' }, { "dump", 1, NULL, 'D' },
		{ "jflip", 1, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	struct ct_opts o = {
		.seed = 1, .ops = 40, .images = 400, .subsets = 4,
		.size = 8 << 20, .lanes = 2, .point = -1, .image = -1,
		.dump = -1,
		.argv0 = argv[0],
	};
	const char *wl = "all";
	struct summary s, tot = { 0 };
	int c, w, first, last, bad = 0, expect_fail = 0;

	while ((c = getopt_long(argc, argv, "vh", lo, NULL)) != -1) {
		switch (c) {
		case 'w': wl = optarg; break;
		case 's': o.seed = strtoull(optarg, NULL, 0); break;
		case 'n': o.ops = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'i': o.images = strtoull(optarg, NULL, 0); break;
		case 'k': o.subsets = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'S': o.size = strtoull(optarg, NULL, 0); break;
		case 'l': o.lanes = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'p': o.point = strtoll(optarg, NULL, 0); break;
		case 'I': o.image = atoi(optarg); break;
		case 'o': o.save = optarg; break;
		case 'd': o.deep = 1; break;
		case 'x': o.stop = 1; break;
		case 'c': o.corrupt = strtoull(optarg, NULL, 0); break;
		case 'v': o.verbose++; break;
		case 'F': expect_fail = 1; break;
		case 'J': o.jflip = strtoull(optarg, NULL, 0); break;
		case 'D': o.dump = strtoll(optarg, NULL, 0); break;
		case 'R': o.recovery = strtoull(optarg, NULL, 0); break;
		case 'X': {
			char *tok, *sp = NULL;

			for (tok = strtok_r(optarg, ",", &sp); tok;
			     tok = strtok_r(NULL, ",", &sp)) {
				unsigned int k;

				for (k = 0; k < OP_NR; k++)
					if (!strcmp(op_name((enum opk)k), tok))
						break;
				if (k == OP_NR) {
					fprintf(stderr, "unknown op %s\n", tok);
					return 2;
				}
				o.relax |= 1U << k;
			}
			break;
		}
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(wl, "all")) {
		first = 0;
		for (last = 0; wl_names[last + 1]; last++)
			;
	} else {
		first = last = wl_lookup(wl);
		if (first < 0) {
			fprintf(stderr, "unknown workload %s\n", wl);
			return 2;
		}
	}
	printf("pmemfs-crashtest seed %" PRIu64 " ops %u images %" PRIu64
	       " subsets %u size %" PRIu64 " lanes %u\n", o.seed, o.ops,
	       o.images, o.subsets, o.size, o.lanes);
	printf("%-9s %5s %8s %7s %7s %7s %5s %8s %8s %6s\n", "workload",
	       "ops", "stores", "fences", "points", "images", "dups",
	       "rec-imgs", "failures", "secs");
	for (w = first; w <= last; w++) {
		if (run_workload(&o, w, &s)) {
			printf("%-9s: could not run\n", wl_names[w]);
			bad = 1;
			continue;
		}
		printf("%-9s %5u %8" PRIu64 " %7" PRIu64 " %7" PRIu64 " %7"
		       PRIu64 " %5" PRIu64 " %8" PRIu64 " %8" PRIu64 " %6.1f\n",
		       wl_names[w], s.ops, s.stores, s.fences, s.points,
		       s.images, s.dups, s.rec_images, s.failures, s.secs);
		if (o.corrupt)
			printf("%-9s corrupt: %" PRIu64 " flips, %" PRIu64
			       " refused, %" PRIu64 " unnoticed-harmless, %"
			       PRIu64 " data-only, %" PRIu64 " repaired, %"
			       PRIu64 " failures\n", "", s.cs.flips,
			       s.cs.refused, s.cs.clean_ok, s.cs.data_hits,
			       s.cs.repaired, s.cs.failures);
		fflush(stdout);
		tot.ops += s.ops;
		tot.stores += s.stores;
		tot.fences += s.fences;
		tot.points += s.points;
		tot.images += s.images;
		tot.dups += s.dups;
		tot.rec_images += s.rec_images;
		tot.failures += s.failures;
		tot.secs += s.secs;
	}
	printf("%-9s %5u %8" PRIu64 " %7" PRIu64 " %7" PRIu64 " %7" PRIu64
	       " %5" PRIu64 " %8" PRIu64 " %8" PRIu64 " %6.1f\n", "total",
	       tot.ops, tot.stores, tot.fences, tot.points, tot.images,
	       tot.dups, tot.rec_images, tot.failures, tot.secs);
	if (expect_fail) {
		/* self-test of the framework on a broken file system */
		printf("%s\n", tot.failures ? "failures found, as expected" :
		       "NO failure found: the framework missed the bug");
		return bad || !tot.failures ? 1 : 0;
	}
	return bad || tot.failures ? 1 : 0;
}
