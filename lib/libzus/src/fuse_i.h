/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuse_i.h - the FUSE transport of libzus (fuse_ll.c): any ABI 2 plugin
 * served to a stock kernel through libfuse 3's low-level API. Used by
 * zusd --transport fuse (daemon/zusd_fuse.c). Not installed; built only
 * when libfuse3 is found (ZUS_HAVE_FUSE).
 */
#ifndef ZUS_FUSE_I_H
#define ZUS_FUSE_I_H

#include <stdbool.h>
#include <stdint.h>

#include "zus_i.h"

struct zus_fuse;

/* Knobs of the transport (zusd: host options of -o, see zusd(8)). */
struct zus_fuse_conf {
	double timeout;		/* entry, negative entry and attribute
				 * timeout in s; < 0: the default (86400,
				 * 1 when the plugin wants ZUS_CAP_NOTIFY) */
	bool direct_io;		/* no page cache for file data (as zufs) */
	bool readdirplus;	/* answer READDIRPLUS (one lookup per entry) */
	bool debug;		/* libfuse's -d */
	unsigned int max_threads; /* libfuse worker threads (0: its default) */
	unsigned int max_idle;	/* idle workers kept (0: its default) */
};

/* ZUS_CAP_* the FUSE transport serves (zus_plugin_init's capable). */
uint64_t zus_fuse_capable(void);
/*
 * Create the libfuse session for plugin lp, started for the FUSE
 * transport (zus_plugin_init(lp, ZUS_TRANSPORT_FUSE, zus_fuse_capable())). fuse_opts: libfuse mount
 * options ("allow_other,nosuid", may be ""); default_permissions is
 * always added. -errno (logged) on failure.
 */
int zus_fuse_new(struct zus_fuse **out, struct zus_server *srv,
		 struct zus_loaded_plugin *lp, const struct zus_fuse_conf *conf,
		 const char *fuse_opts);
/*
 * Mount: the plugin's mount (source, its options, ZUS_MOUNT_* flags) with
 * the caller's credentials, the root's attributes checked, then the
 * kernel mount on mountpoint. -errno (logged) on failure.
 */
int zus_fuse_mount(struct zus_fuse *zf, const char *mountpoint,
		   const char *source, const char *options,
		   unsigned int mount_flags);
/* Serve requests until unmounted or zus_fuse_exit(). 0 or -errno. */
int zus_fuse_loop(struct zus_fuse *zf);
/*
 * From another thread (a signal): stop serving and detach the mount
 * (lazily, like fusermount3 -u -z: open files keep working until closed,
 * then zus_fuse_loop returns).
 */
void zus_fuse_exit(struct zus_fuse *zf);
/* Unmount if still mounted, the plugin's umount, free. */
void zus_fuse_destroy(struct zus_fuse *zf);

/* Version of the libfuse zusd runs with ("3.14.0"). */
const char *zus_fuse_version(void);

#endif /* ZUS_FUSE_I_H */
