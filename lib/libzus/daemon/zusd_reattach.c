// SPDX-License-Identifier: BSD-2-Clause
/*
 * zusd_reattach.c - zusd --reattach: after a restart, take over the zufs
 * mounts the kernel kept for this service (protocol 1.3).
 *
 * Each zufs mount in /proc/self/mountinfo whose service= is ours is
 * remounted with its own options plus "reattach" (and its per-mount
 * flags: a classic remount resets nosuid/nodev/noexec/atime to what it
 * is given). The kernel refuses a mount whose server is alive (EBUSY:
 * not ours to take), one whose file system gave no identity (EOPNOTSUPP:
 * unmount and mount it again) and one whose file system is another
 * (ESTALE); each outcome is logged. It runs in its own thread once the
 * workers serve, because the kernel's INIT of each re-attach is served by
 * them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "zus_i.h"
#include "zusd_fuse.h"

/* Undo mountinfo's octal escapes (\040 space, \011, \012, \134) in place. */
static void unescape(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
				      (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/* The per-mount flags of mountinfo's field 6 ("rw,nosuid,relatime"). */
static unsigned long mount_flags(const char *opts)
{
	static const struct { const char *name; unsigned long flag; } map[] = {
		{ "ro", MS_RDONLY }, { "nosuid", MS_NOSUID },
		{ "nodev", MS_NODEV }, { "noexec", MS_NOEXEC },
		{ "noatime", MS_NOATIME }, { "nodiratime", MS_NODIRATIME },
		{ "relatime", MS_RELATIME }, { "strictatime", MS_STRICTATIME },
	};
	unsigned long flags = 0;
	size_t i, len;

	while (*opts) {
		len = strcspn(opts, ",");
		for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (strlen(map[i].name) == len &&
			    !strncmp(opts, map[i].name, len))
				flags |= map[i].flag;
		opts += len;
		if (*opts)
			opts++;
	}
	return flags;
}

/* Is "service=NAME" one of the super options (escaped as show_options)? */
static int has_service(const char *sopts, const char *service)
{
	size_t n = strlen(service);
	const char *p = sopts;

	while ((p = strstr(p, "service=")) != NULL) {
		if ((p == sopts || p[-1] == ',') && !strncmp(p + 8, service, n) &&
		    (p[8 + n] == ',' || p[8 + n] == '\0'))
			return 1;
		p += 8;
	}
	return 0;
}

/*
 * One mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS] -
 * FSTYPE SOURCE SUPEROPTS". Re-attach it if it is one of ours. Returns 1
 * when re-attached, 0 when not ours or refused.
 */
static int reattach_line(char *line, const char *service)
{
	char *f[6], *sep, *fstype, *source, *sopts, *data, *save = NULL;
	unsigned int i;
	int ok;

	sep = strstr(line, " - ");
	if (!sep)
		return 0;
	*sep = '\0';
	for (i = 0; i < 6; i++) {
		f[i] = strtok_r(i ? NULL : line, " ", &save);
		if (!f[i])
			return 0;
	}
	save = NULL;
	fstype = strtok_r(sep + 3, " ", &save);
	source = strtok_r(NULL, " ", &save);
	sopts = strtok_r(NULL, " \n", &save);
	if (!fstype || !source || !sopts || strcmp(fstype, "zufs") ||
	    !has_service(sopts, service))
		return 0;
	unescape(f[4]);
	unescape(source);
	/* the super options stay escaped as the kernel prints them, but for
	 * the "rw"/"ro" it puts first, which the remount takes from flags */
	if (!strncmp(sopts, "rw,", 3) || !strncmp(sopts, "ro,", 3))
		sopts += 3;
	if (asprintf(&data, "%s,reattach", sopts) < 0)
		return 0;
	unescape(data);
	ok = !mount(source, f[4], NULL, MS_REMOUNT | mount_flags(f[5]), data);
	if (ok)
		zus_log(ZUS_LOG_NOTICE, "re-attached %s (%s)", f[4], source);
	else if (errno == EBUSY)
		zus_log(ZUS_LOG_INFO, "%s: its server is alive", f[4]);
	else
		zus_warn("%s: cannot re-attach: %s%s", f[4], strerror(errno),
			 errno == EOPNOTSUPP ?
			 " (its file system has no identity: unmount and mount it again)" :
			 errno == ESTALE ? " (another file system)" : "");
	free(data);
	return ok;
}

static void *reattach_thread(void *arg)
{
	char *service = arg, *line = NULL;
	size_t cap = 0;
	unsigned int n = 0;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f) {
		zus_warn("--reattach: /proc/self/mountinfo: %s", strerror(errno));
		free(service);
		return NULL;
	}
	while (getline(&line, &cap, f) > 0)
		n += reattach_line(line, service);
	fclose(f);
	free(line);
	zus_log(ZUS_LOG_NOTICE, "--reattach: %u mount(s) of service '%s' re-attached",
		n, service);
	free(service);
	return NULL;
}

/**
 * zusd_reattach_start() - re-attach our service's dead mounts, in a thread
 * @service: the ucchan service zusd serves (its workers already run)
 *
 * Return: 0 or -errno (the thread could not start).
 */
int zusd_reattach_start(const char *service)
{
	pthread_t t;
	char *s = strdup(service);
	int err;

	if (!s)
		return -ENOMEM;
	err = pthread_create(&t, NULL, reattach_thread, s);
	if (err) {
		free(s);
		return -err;
	}
	pthread_detach(t);
	return 0;
}
