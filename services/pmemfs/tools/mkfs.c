// SPDX-License-Identifier: BSD-2-Clause
/*
 * mkfs.pmemfs - write a new, empty pmemfs on a DAX device or a file.
 *
 *   mkfs.pmemfs [-f] [-q] [-s SIZE] [-N INODES] [-l LANES] [-L LABEL]
 *               [-U UUID] DEVICE|FILE
 *
 * A FILE that does not exist is created with -s SIZE (and one smaller
 * than SIZE is extended). Refuses, without -f, to overwrite a pmemfs or
 * another file system it recognises, and always refuses media that is
 * mounted (the plugin's lock). Exit: 0 done, 1 refused/failed, 8 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

static const char *prog = "mkfs.pmemfs";

static void usage(FILE *f)
{
	fprintf(f,
"usage: %s [options] DEVICE|FILE\n"
"  -s, --size SIZE      bytes to use (k/m/g/t suffixes; default: all;\n"
"                       creates or extends a regular FILE to SIZE)\n"
"  -N, --inodes N       number of inodes (default: one per 16 KiB)\n"
"  -l, --lanes N        per-CPU journal/allocator lanes (default 64)\n"
"  -L, --label LABEL    up to 31 bytes\n"
"  -U, --uuid UUID      (default: a random one)\n"
"  -f, --force          overwrite an existing file system\n"
"  -q, --quiet          print nothing but errors\n"
"  -h, --help\n", prog);
}

/* A file system we recognise at the start of the media, or NULL. */
static const char *known_fs(const struct pm_media *m)
{
	const uint8_t *b = m->base;

	if (m->size >= 0x440 && b[0x438] == 0x53 && b[0x439] == 0xef)
		return "ext2/3/4";
	if (m->size >= 4 && !memcmp(b, "XFSB", 4))
		return "xfs";
	if (m->size >= 0x10048 && !memcmp(b + 0x10040, "_BHRfS_M", 8))
		return "btrfs";
	return NULL;
}

/* Create or extend a regular file to @size; nothing for a device. */
static int prepare_file(const char *path, uint64_t size)
{
	struct stat st;
	int fd;

	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode) || !size)
			return 0;
	} else if (errno != ENOENT) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	} else if (!size) {
		fprintf(stderr, "%s: %s does not exist (give -s SIZE to create it)\n",
			prog, path);
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size < size && ftruncate(fd, (off_t)size)) {
		fprintf(stderr, "%s: cannot extend %s to %llu bytes: %s\n",
			prog, path, (unsigned long long)size, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "inodes", required_argument, NULL, 'N' },
		{ "lanes", required_argument, NULL, 'l' },
		{ "label", required_argument, NULL, 'L' },
		{ "uuid", required_argument, NULL, 'U' },
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct pmfs_mkfs_opts o;
	struct tool_media tm;
	struct pmfs_stat st;
	struct pmfs *fs;
	bool force = false, quiet = false;
	const char *path, *other;
	char why[256] = "", ustr[37];
	uint64_t v;
	int c, err;

	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "s:N:l:L:U:fqh", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (tool_parse_size(optarg, &o.size) || !o.size) {
				fprintf(stderr, "%s: bad size '%s'\n", prog, optarg);
				return 8;
			}
			break;
		case 'N':
			if (tool_parse_size(optarg, &o.inodes) || !o.inodes) {
				fprintf(stderr, "%s: bad inode count '%s'\n", prog, optarg);
				return 8;
			}
			break;
		case 'l':
			if (tool_parse_size(optarg, &v) || !v || v > 64) {
				fprintf(stderr, "%s: lanes must be 1..64\n", prog);
				return 8;
			}
			o.lanes = (uint32_t)v;
			break;
		case 'L':
			if (strlen(optarg) >= sizeof(o.label)) {
				fprintf(stderr, "%s: label longer than %zu bytes\n",
					prog, sizeof(o.label) - 1);
				return 8;
			}
			strncpy(o.label, optarg, sizeof(o.label) - 1);
			break;
		case 'U':
			if (tool_parse_uuid(optarg, o.uuid)) {
				fprintf(stderr, "%s: bad uuid '%s'\n", prog, optarg);
				return 8;
			}
			break;
		case 'f':
			force = true;
			break;
		case 'q':
			quiet = true;
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
	if (prepare_file(path, o.size))
		return 1;
	if (tool_open(prog, path, false, &tm))
		return 1;
	if (o.size > tm.m->size) {
		fprintf(stderr, "%s: %s has only %llu bytes (-s %llu)\n", prog,
			path, (unsigned long long)tm.m->size,
			(unsigned long long)o.size);
		goto fail;
	}
	if (!force) {
		err = pmfs_mount(tm.m, PMFS_MOUNT_RDONLY, &fs, why, sizeof(why));
		if (!err)
			pmfs_umount(fs);
		if (!err || err == -EROFS || err == -EUCLEAN) {
			fprintf(stderr, "%s: %s holds a pmemfs: -f to overwrite it\n",
				prog, path);
			goto fail;
		}
		other = known_fs(tm.m);
		if (other) {
			fprintf(stderr, "%s: %s seems to hold %s: -f to overwrite it\n",
				prog, path, other);
			goto fail;
		}
	}
	err = pmfs_mkfs(tm.m, &o);
	if (err) {
		fprintf(stderr, "%s: mkfs of %s failed: %s\n", prog, path,
			strerror(-err));
		goto fail;
	}
	if (!quiet) {
		err = pmfs_mount(tm.m, PMFS_MOUNT_RDONLY, &fs, why, sizeof(why));
		if (err) {
			fprintf(stderr, "%s: the new file system does not mount: %s: %s\n",
				prog, strerror(-err), why);
			goto fail;
		}
		err = pmfs_statfs(fs, &st);
		pmfs_umount(fs);
		if (err) {
			fprintf(stderr, "%s: statfs: %s\n", prog, strerror(-err));
			goto fail;
		}
		tool_format_uuid(st.uuid, ustr);
		printf("%s: %s (%s): %llu blocks of %u bytes, %llu inodes, %u lanes\n",
		       prog, path, pm_kind_name(tm.m->kind),
		       (unsigned long long)st.blocks, st.block_size,
		       (unsigned long long)st.inodes, st.lanes);
		printf("%s: uuid %s, label '%.*s', format version %u\n", prog,
		       ustr, (int)sizeof(st.label), st.label, st.version);
	}
	tool_close(&tm);
	return 0;
fail:
	tool_close(&tm);
	return 1;
}
