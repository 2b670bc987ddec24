/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * zusd_fuse.h - zusd --transport fuse: what zusd.c parses and hands to
 * zusd_fuse_main() (zusd_fuse.c).
 */
#ifndef ZUSD_FUSE_H
#define ZUSD_FUSE_H

#include <signal.h>
#include <stdbool.h>

#include "zus_i.h"

struct zusd_fuse_args {
	bool fuse;			/* --transport fuse */
	const char *mountpoint;		/* --mount DIR */
	const char *source;		/* --source SRC (or -o source=) */
	char *options;			/* every -o, joined with ',' */
};

/* --transport NAME: "zufs" (the default) or "fuse". 0, or -EINVAL with a
 * message (unknown, or fuse not compiled in). */
int zusd_fuse_transport(struct zusd_fuse_args *fa, const char *name);
/* -o OPTIONS (repeatable). 0 or -ENOMEM. */
int zusd_fuse_add_opts(struct zusd_fuse_args *fa, const char *opts);
/* After parsing: --mount/-o/--source only with --transport fuse, which
 * needs --mount. 0, or -EINVAL with a message. */
int zusd_fuse_check_args(const struct zusd_fuse_args *fa);
/* zusd.c: an sd_notify(3) message to $NOTIFY_SOCKET (none: nothing). */
void zusd_sd_notify(const char *msg);
/* zusd_reattach.c: --reattach, in a thread of its own. 0 or -errno. */
int zusd_reattach_start(const char *service);

/*
 * Serve one FUSE mount of a loaded plugin until it is unmounted (or a
 * signal of sigs unmounts it). ready_fd: as zusd --ready-fd (-1: none);
 * force: stop at the first signal even with files open. Exit status.
 */
int zusd_fuse_main(struct zus_server *srv, struct zusd_fuse_args *fa,
		   int ready_fd, bool force, const sigset_t *sigs);

#endif /* ZUSD_FUSE_H */
