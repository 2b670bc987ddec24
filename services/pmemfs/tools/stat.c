// SPDX-License-Identifier: BSD-2-Clause
/*
 * pmemfs-stat - the state of an unmounted pmemfs: identity, usage,
 * inodes, per-lane allocator state, journal state, media kind.
 *
 *   pmemfs-stat [--json] [--live] DEVICE|FILE
 *
 * It mounts the file system read-only in-process (no recovery, no
 * write). The media must not be mounted (zusd holds its lock); --live
 * reads it anyway, best effort (numbers may be mid-update; use df(1) on
 * the mount point for live usage). Exit: 0; 1 cannot read; 2 journal
 * needs recovery (nothing else shown but the media); 8 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static const char *prog = "pmemfs-stat";

static void json_str(const char *s, size_t max)
{
	putchar('"');
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_text(const char *path, const struct pm_media *m,
		       const struct pmfs_stat *st)
{
	char u[37];
	uint32_t lanes = st->lanes < 64 ? st->lanes : 64;
	uint64_t used = st->blocks - st->bfree;

	tool_format_uuid(st->uuid, u);
	printf("media:        %s (%s, %llu bytes)\n", path,
	       pm_kind_name(m->kind), (unsigned long long)m->size);
	printf("uuid:         %s\n", u);
	printf("label:        '%.*s'\n", (int)sizeof(st->label), st->label);
	printf("version:      %u (features 0x%08x)\n", st->version,
	       st->features);
	printf("block size:   %u\n", st->block_size);
	printf("blocks:       %llu total, %llu used, %llu free (%.1f%% used)\n",
	       (unsigned long long)st->blocks, (unsigned long long)used,
	       (unsigned long long)st->bfree,
	       st->blocks ? 100.0 * (double)used / (double)st->blocks : 0.0);
	printf("inodes:       %llu total, %llu used, %llu free\n",
	       (unsigned long long)st->inodes,
	       (unsigned long long)(st->inodes - st->ifree),
	       (unsigned long long)st->ifree);
	printf("orphans:      %llu\n", (unsigned long long)st->orphans);
	printf("journal:      clean (%llu transactions replayed at open)\n",
	       (unsigned long long)st->journal_replayed);
	printf("lanes:        %u (free blocks per lane)\n", st->lanes);
	for (uint32_t i = 0; i < lanes; i++) {
		printf("  %2u: %-12llu", i,
		       (unsigned long long)st->lane_free[i]);
		if (i % 4 == 3)
			putchar('\n');
	}
	if (lanes % 4)
		putchar('\n');
}

static void print_json(const char *path, const struct pm_media *m,
		       const struct pmfs_stat *st)
{
	char u[37];
	uint32_t lanes = st->lanes < 64 ? st->lanes : 64;

	tool_format_uuid(st->uuid, u);
	printf("{\"media\":");
	json_str(path, 4096);
	printf(",\"kind\":\"%s\",\"media_size\":%llu,\"uuid\":\"%s\",\"label\":",
	       pm_kind_name(m->kind), (unsigned long long)m->size, u);
	json_str(st->label, sizeof(st->label));
	printf(",\"version\":%u,\"features\":%u,\"block_size\":%u,"
	       "\"blocks\":%llu,\"bfree\":%llu,\"inodes\":%llu,\"ifree\":%llu,"
	       "\"orphans\":%llu,\"journal\":{\"state\":\"clean\","
	       "\"replayed\":%llu,\"commits\":%llu},\"lanes\":%u,"
	       "\"lane_free\":[",
	       st->version, st->features, st->block_size,
	       (unsigned long long)st->blocks, (unsigned long long)st->bfree,
	       (unsigned long long)st->inodes, (unsigned long long)st->ifree,
	       (unsigned long long)st->orphans,
	       (unsigned long long)st->journal_replayed,
	       (unsigned long long)st->journal_commits, st->lanes);
	for (uint32_t i = 0; i < lanes; i++)
		printf("%s%llu", i ? "," : "",
		       (unsigned long long)st->lane_free[i]);
	printf("]}\n");
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: %s [--json] [--live] DEVICE|FILE\n"
"  -j, --json   one JSON object\n"
"  --live       read media that is mounted (best effort)\n"
"  -h, --help\n", prog);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "live", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct tool_media tm = { .lock_fd = -1 };
	struct pmfs_stat st;
	struct pmfs *fs;
	bool json = false, live = false;
	const char *path;
	char why[256] = "";
	int c, err;

	while ((c = getopt_long(argc, argv, "jh", lopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'L':
			live = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 8;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 8;
	}
	path = argv[optind];
	if (live) {
		err = pm_media_open(path, &tm.m);
		if (err)
			fprintf(stderr, "%s: cannot map %s: %s\n", prog, path,
				strerror(-err));
	} else {
		err = tool_open(prog, path, true, &tm);
	}
	if (err)
		return 1;
	err = pmfs_mount(tm.m, PMFS_MOUNT_RDONLY, &fs, why, sizeof(why));
	if (err == -EROFS) {
		if (json) {
			printf("{\"media\":");
			json_str(path, 4096);
			printf(",\"kind\":\"%s\",\"journal\":{\"state\":\"needs-recovery\"}}\n",
			       pm_kind_name(tm.m->kind));
		} else {
			printf("%s: %s (%s): the journal needs recovery: mount it, or run fsck.pmemfs -y\n",
			       prog, path, pm_kind_name(tm.m->kind));
		}
		tool_close(&tm);
		return 2;
	}
	if (err) {
		fprintf(stderr, "%s: %s: %s%s%s\n", prog, path, strerror(-err),
			*why ? ": " : "", why);
		tool_close(&tm);
		return 1;
	}
	err = pmfs_statfs(fs, &st);
	if (!err) {
		if (json)
			print_json(path, tm.m, &st);
		else
			print_text(path, tm.m, &st);
	} else {
		fprintf(stderr, "%s: statfs: %s\n", prog, strerror(-err));
	}
	pmfs_umount(fs);
	tool_close(&tm);
	return err ? 1 : 0;
}
