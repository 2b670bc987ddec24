// SPDX-License-Identifier: BSD-2-Clause
/*
 * mount.zufs - the mount(8) helper for "mount -t zufs".
 *
 * util-linux runs it as: mount.zufs SOURCE DIR [-sfnv] [-o OPTIONS]
 * [-N NS] [-t zufs]. It splits OPTIONS into the generic ones (ro, nosuid,
 * noatime, ...: mount(2) flags) and the file system's (service=, fs= and
 * the plugin's own, passed on as the data string), checks that the
 * modules are loaded and a zusd serves the service, so that a missing
 * module or server gives a clear message instead of a bare error from the
 * kernel, then calls mount(2).
 *
 * A remount (-o remount,...) changes only the generic flags: nothing is
 * added to the options (mount(8) passes the ones /proc/mounts or fstab
 * shows, which zuf.ko accepts as long as they do not change) and no
 * server is probed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <libucchan.h>

#define DEFAULT_SERVICE	"zufs"
#define FS_TYPE		"zufs"

struct flag_opt {
	const char *name;
	unsigned long set, clear;
};

/* Generic options mount(8) hands helpers; everything else is data. */
static const struct flag_opt flag_opts[] = {
	{ "ro",		 MS_RDONLY, 0 },
	{ "rw",		 0, MS_RDONLY },
	{ "nosuid",	 MS_NOSUID, 0 },
	{ "suid",	 0, MS_NOSUID },
	{ "nodev",	 MS_NODEV, 0 },
	{ "dev",	 0, MS_NODEV },
	{ "noexec",	 MS_NOEXEC, 0 },
	{ "exec",	 0, MS_NOEXEC },
	{ "sync",	 MS_SYNCHRONOUS, 0 },
	{ "async",	 0, MS_SYNCHRONOUS },
	{ "dirsync",	 MS_DIRSYNC, 0 },
	{ "noatime",	 MS_NOATIME, 0 },
	{ "atime",	 0, MS_NOATIME },
	{ "nodiratime",	 MS_NODIRATIME, 0 },
	{ "diratime",	 0, MS_NODIRATIME },
	{ "relatime",	 MS_RELATIME, 0 },
	{ "norelatime",	 0, MS_RELATIME },
	{ "strictatime", MS_STRICTATIME, 0 },
	{ "lazytime",	 MS_LAZYTIME, 0 },
	{ "nolazytime",	 0, MS_LAZYTIME },
	{ "silent",	 MS_SILENT, 0 },
	{ "loud",	 0, MS_SILENT },
	{ "remount",	 MS_REMOUNT, 0 },
	/* user-space only options: dropped */
	{ "defaults",	 0, 0 },
	{ "auto",	 0, 0 },
	{ "noauto",	 0, 0 },
	{ "user",	 0, 0 },
	{ "nouser",	 0, 0 },
	{ "users",	 0, 0 },
	{ "nofail",	 0, 0 },
	{ "_netdev",	 0, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: mount.zufs SOURCE DIR [-o OPTIONS] [-fnsv]\n"
"  Mount a zufs file system served by zusd. OPTIONS: the generic mount\n"
"  options (ro, nosuid, noatime, ...) plus\n"
"    service=NAME   the zusd service (default \"" DEFAULT_SERVICE "\")\n"
"    fs=NAME        the plugin to mount (required), e.g. fs=memfs\n"
"  and the plugin's own options (memfs: size=, nr_inodes=).\n"
"  -f fake (do everything but mount(2)), -n no mtab (ignored),\n"
"  -s sloppy (ignored), -v verbose.\n");
}

/* Append ",opt" (or "opt") to data. */
static int data_add(char *data, size_t cap, const char *opt)
{
	size_t len = strlen(data);

	if (len + !!len + strlen(opt) + 1 > cap)
		return -E2BIG;
	if (len)
		data[len++] = ',';
	strcpy(data + len, opt);
	return 0;
}

/* Does the kernel know file system type zufs (is zuf.ko loaded)? */
static bool have_fs_type(void)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/filesystems", "re");

	if (!f)
		return true;	/* cannot tell: let mount(2) say */
	while (!found && fgets(line, sizeof(line), f)) {
		char *name = strrchr(line, '\t');

		name = name ? name + 1 : line;
		name[strcspn(name, "\n")] = '\0';
		found = !strcmp(name, FS_TYPE);
	}
	fclose(f);
	return found;
}

/* The kernel modules: ucchan.ko (/dev/ucchan) and zuf.ko (type zufs). */
static int check_modules(void)
{
	if (access(UCCHAN_DEVICE, F_OK) && errno == ENOENT) {
		fprintf(stderr,
			"mount.zufs: " UCCHAN_DEVICE " does not exist: the ucchan module is not loaded\n"
			"  (modprobe ucchan && modprobe zuf, or insmod ucchan.ko then zuf.ko)\n");
		return -ENOENT;
	}
	if (!have_fs_type()) {
		fprintf(stderr,
			"mount.zufs: unknown file system type '" FS_TYPE "': the zuf module is not loaded\n"
			"  (modprobe zuf, or insmod zuf.ko)\n");
		return -ENODEV;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *source, *dir, *service = NULL;
	char *opts = NULL, *tok, *save = NULL, *data;
	bool fake = false, verbose = false, have_fs = false, untrusted = false;
	unsigned long flags = 0;
	struct ucchan_client *cl;
	size_t cap;
	int c, err;

	/* mount(8) puts SOURCE DIR first; getopt permutes the rest. */
	while ((c = getopt(argc, argv, "o:fnsvhN:t:V")) != -1) {
		switch (c) {
		case 'o':
			opts = optarg;
			break;
		case 'f':
			fake = true;
			break;
		case 'n': case 's': case 'N': case 't':
			break;
		case 'v':
			verbose = true;
			break;
		case 'V':
			printf("mount.zufs %s\n", ZUS_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return 1;
	}
	source = argv[optind];
	dir = argv[optind + 1];

	cap = (opts ? strlen(opts) : 0) + sizeof("service=") + 64;
	data = calloc(1, cap);
	opts = strdup(opts ? opts : "");
	if (!data || !opts) {
		fprintf(stderr, "mount.zufs: out of memory\n");
		return 1;
	}
	for (tok = strtok_r(opts, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < sizeof(flag_opts) / sizeof(flag_opts[0]); i++)
			if (!strcmp(tok, flag_opts[i].name))
				break;
		if (i < sizeof(flag_opts) / sizeof(flag_opts[0])) {
			flags = (flags & ~flag_opts[i].clear) | flag_opts[i].set;
			continue;
		}
		if (!strncmp(tok, "x-", 2))	/* userspace-only (fstab) */
			continue;
		if (!strncmp(tok, "service=", 8))
			service = tok + 8;
		if (!strncmp(tok, "fs=", 3))
			have_fs = true;
		if (!strcmp(tok, "untrusted"))
			untrusted = true;
		data_add(data, cap, tok);
	}
	if (flags & MS_REMOUNT)
		goto do_mount;	/* the options as they are: zuf checks them */
	if (!have_fs) {
		fprintf(stderr, "mount.zufs: which file system? add -o fs=NAME (e.g. fs=memfs)\n");
		return 1;
	}
	if (check_modules())
		return 32;
	if (!service) {
		service = DEFAULT_SERVICE;
		data_add(data, cap, "service=" DEFAULT_SERVICE);
	}

	/* Is somebody serving it? A connection costs nothing and tells. */
	err = ucchan_client_connect(&cl, service);
	if (err == -ENOENT) {
		fprintf(stderr,
			"mount.zufs: no zusd serves service '%s': start one, e.g.\n"
			"  zusd --plugin FS --service %s &   (or systemctl start zusd)\n",
			service, service);
		return 32;
	}
	if (!err) {
		uint32_t cuid, cflags;

		/* the kernel refuses it too; say why, and what to do */
		if (!untrusted && !ucchan_client_creator(cl, &cuid, &cflags) &&
		    !(cflags & UCCHAN_CREATOR_ADMIN) && cuid != geteuid()) {
			fprintf(stderr,
				"mount.zufs: service '%s' was created by uid %u without CAP_SYS_ADMIN:\n"
				"  not a trusted server. Start zusd as root, or mount with -o untrusted\n"
				"  (no set-id bits, device nodes or file capabilities).\n",
				service, cuid);
			ucchan_client_close(cl);
			return 32;
		}
		ucchan_client_close(cl);
	} else if (verbose)	/* e.g. no /dev/ucchan: let the kernel say */
		fprintf(stderr, "mount.zufs: probing service '%s': %s\n",
			service, strerror(-err));

do_mount:
	if (verbose)
		fprintf(stderr, "mount.zufs: mount(\"%s\", \"%s\", \"zufs\", 0x%lx, \"%s\")\n",
			source, dir, flags, data);
	if (fake)
		return 0;
	if (mount(source, dir, "zufs", flags, data)) {
		err = errno;
		fprintf(stderr, "mount.zufs: mounting %s on %s: %s\n", source,
			dir, strerror(err));
		if (err == ENODEV && !have_fs_type())
			fprintf(stderr, "mount.zufs: the zuf module is not loaded (modprobe zuf)\n");
		else if (err == EINVAL)
			fprintf(stderr, "mount.zufs: see the kernel log (dmesg) for the reason\n");
		return 32;
	}
	free(opts);
	free(data);
	return 0;
}
