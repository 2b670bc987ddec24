// SPDX-License-Identifier: BSD-2-Clause
/*
 * fsck.pmemfs - check (and with -y repair) an unmounted pmemfs.
 *
 *   fsck.pmemfs [-n | -y | -p | -a] [-f] [-v] DEVICE|FILE
 *
 * Exit status, as e2fsck(8): 0 clean; 1 problems found and all fixed;
 * 4 problems left unfixed; 8 usage or operational error (cannot open,
 * in use, not a pmemfs). Without -y/-p/-a nothing is changed (as -n).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static const char *prog = "fsck.pmemfs";

struct tally {
	unsigned long found, fixed;
	bool verbose;
};

static void report(void *arg, const char *msg, int fixed)
{
	struct tally *t = arg;

	t->found++;
	if (fixed)
		t->fixed++;
	printf("%s: %s%s\n", prog, msg, fixed ? " (fixed)" : "");
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: %s [options] DEVICE|FILE\n"
"  -n            check only, change nothing (the default)\n"
"  -y, -p, -a    repair what can be repaired\n"
"  -f            check even if it looks clean (always done)\n"
"  -v            verbose\n"
"  -h            help\n"
"exit: 0 clean, 1 fixed, 4 left unfixed, 8 usage/operational error\n",
		prog);
}

int main(int argc, char **argv)
{
	struct tally t = { 0 };
	struct tool_media tm;
	bool repair = false, norepair = false;
	const char *path;
	int c, r;

	while ((c = getopt(argc, argv, "nyapfvhC:")) != -1) {
		switch (c) {
		case 'n':
			norepair = true;
			break;
		case 'y':
		case 'p':
		case 'a':
			repair = true;
			break;
		case 'f':
		case 'C':	/* fsck(8)'s progress fd: no progress here */
			break;
		case 'v':
			t.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 8;
		}
	}
	if (optind != argc - 1 || (repair && norepair)) {
		if (repair && norepair)
			fprintf(stderr, "%s: -n and -y/-p/-a exclude each other\n",
				prog);
		usage(stderr);
		return 8;
	}
	path = argv[optind];
	if (tool_open(prog, path, false, &tm))
		return 8;
	if (t.verbose)
		printf("%s: checking %s (%s, %llu bytes)%s\n", prog, path,
		       pm_kind_name(tm.m->kind),
		       (unsigned long long)tm.m->size,
		       repair ? ", repairing" : "");
	r = pmfs_fsck(tm.m, repair ? PMFS_FSCK_REPAIR : 0, report, &t);
	tool_close(&tm);
	if (r < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path,
			r == -EINVAL ? "not a pmemfs (bad superblocks)" :
			strerror(-r));
		return 8;
	}
	if (r > 0) {
		printf("%s: %s: %d problem(s) left unfixed%s\n", prog, path, r,
		       repair ? "" : " (run with -y to repair)");
		return 4;
	}
	if (t.found) {
		printf("%s: %s: %lu problem(s) fixed\n", prog, path, t.fixed);
		return 1;
	}
	printf("%s: %s: clean\n", prog, path);
	return 0;
}
