// SPDX-License-Identifier: BSD-2-Clause
/*
 * zusd_fuse.c - zusd --transport fuse: one mount of a plugin served over
 * libfuse 3 (lib/libzus/src/fuse_ll.c) on a stock kernel, no zufs modules.
 *
 *   zusd --transport fuse --plugin memfs --mount DIR [-o OPTIONS]
 *
 * OPTIONS are those of mount -t zufs (fs=, the plugin's own such as
 * size=) plus the generic mount flags (ro, nosuid, noatime, ...), libfuse's
 * (allow_other, auto_unmount, fsname=) and this transport's (timeout=,
 * direct_io, readdirplus, max_threads=, max_idle_threads=, debug); see
 * zusd(8). What is not one of those goes to the plugin's mount.
 *
 * Lifetime: zusd serves until the mount goes away (umount DIR,
 * fusermount3 -u DIR). SIGTERM/SIGINT detach the mount (lazily: open
 * files keep working until closed, then zusd exits); a second signal, or
 * the first with --force, exits at once (the mount then fails with
 * ENOTCONN until unmounted). SIGHUP is ignored.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "zusd_fuse.h"
#ifdef ZUS_HAVE_FUSE
#include "fuse_i.h"
#endif

int zusd_fuse_transport(struct zusd_fuse_args *fa, const char *name)
{
	if (!strcmp(name, "zufs")) {
		fa->fuse = false;
		return 0;
	}
	if (strcmp(name, "fuse")) {
		zus_err("--transport: '%s' is not a transport (zufs or fuse)",
			name);
		return -EINVAL;
	}
#ifndef ZUS_HAVE_FUSE
	zus_err("--transport fuse: this zusd was built without libfuse 3 (install libfuse3-dev, then reconfigure and rebuild)");
	return -EINVAL;
#else
	fa->fuse = true;
	return 0;
#endif
}

int zusd_fuse_add_opts(struct zusd_fuse_args *fa, const char *opts)
{
	size_t len = fa->options ? strlen(fa->options) : 0;
	char *n;

	if (!*opts)
		return 0;
	n = realloc(fa->options, len + strlen(opts) + 2);
	if (!n)
		return -ENOMEM;
	if (len)
		n[len++] = ',';
	strcpy(n + len, opts);
	fa->options = n;
	return 0;
}

int zusd_fuse_check_args(const struct zusd_fuse_args *fa)
{
	struct stat st;

	if (!fa->fuse) {
		if (fa->mountpoint || fa->options || fa->source) {
			zus_err("--mount, --source and -o are for --transport fuse (zufs mounts with mount -t zufs)");
			return -EINVAL;
		}
		return 0;
	}
	if (!fa->mountpoint) {
		zus_err("--transport fuse: which directory? give --mount DIR");
		return -EINVAL;
	}
	if (stat(fa->mountpoint, &st)) {
		zus_err("--mount %s: %s", fa->mountpoint, strerror(errno));
		return -EINVAL;
	}
	if (!S_ISDIR(st.st_mode)) {
		zus_err("--mount %s: not a directory", fa->mountpoint);
		return -EINVAL;
	}
	return 0;
}

#ifndef ZUS_HAVE_FUSE

int zusd_fuse_main(struct zus_server *srv, struct zusd_fuse_args *fa,
		   int ready_fd, bool force, const sigset_t *sigs)
{
	(void)srv; (void)fa; (void)ready_fd; (void)force; (void)sigs;
	zus_err("--transport fuse: not built in");
	return 2;
}

#else

/* The options split three ways. */
struct opts {
	char *fuse;		/* for libfuse (mount flags, allow_other...) */
	char *plugin;		/* for the plugin's mount */
	const char *fs;		/* fs= */
	const char *source;	/* source= */
	unsigned int mount_flags;
	struct zus_fuse_conf conf;
	bool item_failed;	/* the error came from opt_one (said) */
};

/* Generic mount flags and libfuse's own mount options: passed to libfuse. */
static const char *const fuse_keys[] = {
	"ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec",
	"sync", "async", "dirsync", "noatime", "atime", "nodiratime",
	"diratime", "relatime", "norelatime", "strictatime", "nostrictatime",
	"lazytime", "nolazytime", "allow_other", "allow_root", "auto_unmount",
	"fsname", "context", "fscontext", "defcontext", "rootcontext",
	NULL
};

/* What mount(8) and fstab add, meaningless here: dropped. */
static const char *const drop_keys[] = {
	"defaults", "auto", "noauto", "user", "nouser", "users", "nofail",
	"_netdev", "default_permissions", "silent", "loud", NULL
};

static bool in_list(const char *const *l, const char *key)
{
	for (; *l; l++)
		if (!strcmp(*l, key))
			return true;
	return false;
}

static int cat(char **s, const char *item, size_t len)
{
	size_t have = *s ? strlen(*s) : 0;
	char *n = realloc(*s, have + len + 2);

	if (!n)
		return -ENOMEM;
	if (have)
		n[have++] = ',';
	memcpy(n + have, item, len);
	n[have + len] = '\0';
	*s = n;
	return 0;
}

/* Append len bytes, no separator. */
static int cat_raw(char **s, const char *item, size_t len)
{
	size_t have = *s ? strlen(*s) : 0;
	char *n = realloc(*s, have + len + 1);

	if (!n)
		return -ENOMEM;
	memcpy(n + have, item, len);
	n[have + len] = '\0';
	*s = n;
	return 0;
}

static int parse_uint(const char *key, const char *v, unsigned int max,
		      unsigned int *out)
{
	char *end;
	unsigned long n;

	if (!v || !*v)
		goto bad;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n > max)
		goto bad;
	*out = (unsigned int)n;
	return 0;
bad:
	zus_err("-o %s=%s: want a number up to %u", key, v ? v : "", max);
	return -EINVAL;
}

/* One item: raw is what the user wrote (escapes kept, for the plugin). */
static int opt_one(struct opts *o, const char *raw, size_t rawlen,
		   const char *key, const char *val)
{
	char *end;

	if (!strcmp(key, "fs"))
		o->fs = val ? strdup(val) : NULL;
	else if (!strcmp(key, "source"))
		o->source = val ? strdup(val) : NULL;
	else if (!strcmp(key, "timeout")) {
		if (!val || (o->conf.timeout = strtod(val, &end), *end) ||
		    o->conf.timeout < 0 || o->conf.timeout > 1e9) {
			zus_err("-o timeout=%s: want seconds (0..1e9)",
				val ? val : "");
			return -EINVAL;
		}
	} else if (!strcmp(key, "direct_io") && !val)
		o->conf.direct_io = true;
	else if (!strcmp(key, "readdirplus") && !val)
		o->conf.readdirplus = true;
	else if (!strcmp(key, "debug") && !val)
		o->conf.debug = true;
	else if (!strcmp(key, "max_threads"))
		return parse_uint(key, val, 1024, &o->conf.max_threads);
	else if (!strcmp(key, "max_idle_threads"))
		return parse_uint(key, val, 1024, &o->conf.max_idle);
	else if (!strncmp(key, "x-", 2) || in_list(drop_keys, key))
		return 0;
	else if (in_list(fuse_keys, key)) {
		if (!strcmp(key, "ro"))
			o->mount_flags |= ZUS_MOUNT_RDONLY;
		if (!strcmp(key, "rw"))
			o->mount_flags &= ~ZUS_MOUNT_RDONLY;
		return cat(&o->fuse, raw, rawlen);
	} else {
		return cat(&o->plugin, raw, rawlen);
	}
	if ((!strcmp(key, "fs") || !strcmp(key, "source")) && !val) {
		zus_err("-o %s needs a value (%s=...)", key, key);
		return -EINVAL;
	}
	return 0;
}

/* host.c's splitter calls this for each item (raw: escapes kept). */
static int opt_item(void *arg, const char *raw, size_t rawlen,
		    const char *key, const char *val)
{
	struct opts *o = arg;
	int err = opt_one(o, raw, rawlen, key, val);

	if (err)
		o->item_failed = true;	/* opt_one said why */
	return err;
}

/* -o: the splitter of host->opt_parse, with the raw item kept. */
static int opts_split(struct opts *o, const char *s)
{
	int err;

	if (!s)
		return 0;
	o->item_failed = false;
	err = zus_opt_split(s, opt_item, o);
	if (err && !o->item_failed)
		zus_err("-o %s: an option without a name, or one too long (names up to 255 bytes, values up to 4095)",
			s);
	return err;
}

/* ---- readiness and the serving thread -------------------------------------- */


struct loop_arg {
	struct zus_fuse *zf;
	pthread_t main;
	int ret;
};

static void *loop_thread(void *p)
{
	struct loop_arg *la = p;

	la->ret = zus_fuse_loop(la->zf);
	pthread_kill(la->main, SIGUSR1);	/* wakes main's sigwaitinfo */
	return NULL;
}

static struct zus_loaded_plugin *pick_plugin(struct zus_server *srv,
					     const char *fs)
{
	struct zus_loaded_plugin *lp;

	if (fs) {
		lp = zus_server_find_plugin(srv, fs);
		if (!lp)
			zus_err("-o fs=%s: no such plugin loaded", fs);
		return lp;
	}
	lp = srv->plugins;
	if (lp && lp->next) {
		zus_err("--transport fuse: several plugins loaded: say which with -o fs=NAME");
		return NULL;
	}
	return lp;
}

int zusd_fuse_main(struct zus_server *srv, struct zusd_fuse_args *fa,
		   int ready_fd, bool force, const sigset_t *sigs)
{
	struct opts o = { .conf = { .timeout = -1 } };
	struct loop_arg la = { .main = pthread_self() };
	struct zus_loaded_plugin *lp;
	struct zus_fuse *zf = NULL;
	bool detached = false;
	sigset_t set = *sigs;
	const char *source;
	pthread_t t;
	char msg[256];
	int err, ret = 1;

	/* Our wake-up from the serving thread: blocked before any thread. */
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (opts_split(&o, fa->options))
		goto out;
	lp = pick_plugin(srv, o.fs);
	if (!lp)
		goto out;
	source = fa->source ? fa->source : o.source ? o.source :
		 lp->plugin->name;
	if (!o.fuse || !strstr(o.fuse, "fsname=")) {
		char *fsn = NULL;
		const char *s;

		/* the mount's source in /proc/mounts; ',' and '\' escaped */
		if (cat(&fsn, "fsname=", 7))
			goto out;
		for (s = source; *s; s++) {
			char c[2] = { '\\', *s };

			if (*s == ',' || *s == '\\' ? cat_raw(&fsn, c, 2) :
			    cat_raw(&fsn, s, 1))
				goto out;
		}
		err = cat(&o.fuse, fsn, strlen(fsn));
		free(fsn);
		if (err)
			goto out;
	}
	err = zus_fuse_new(&zf, srv, lp, &o.conf, o.fuse);
	if (err)
		goto out;
	err = zus_fuse_mount(zf, fa->mountpoint, source,
			     o.plugin ? o.plugin : "", o.mount_flags);
	if (err) {
		zus_err("mount of fs %s on %s failed: %s", lp->plugin->name,
			fa->mountpoint, strerror(-err));
		goto out;
	}
	la.zf = zf;
	err = pthread_create(&t, NULL, loop_thread, &la);
	if (err) {
		zus_err("starting the FUSE loop: %s", strerror(err));
		goto out;
	}
	zus_log(ZUS_LOG_NOTICE, "serving fs %s on %s over FUSE (libfuse %s)",
		lp->plugin->name, fa->mountpoint, zus_fuse_version());
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=serving %s on %s (fuse)",
		 lp->plugin->name, fa->mountpoint);
	zusd_sd_notify(msg);
	if (ready_fd >= 0) {
		if (write(ready_fd, "R", 1) != 1)
			zus_warn("--ready-fd %d: %s", ready_fd, strerror(errno));
		close(ready_fd);
	}

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);

		if (sig < 0)
			continue;
		if (sig == SIGUSR1)
			break;		/* unmounted: the loop returned */
		if (sig == SIGHUP) {
			zus_info("SIGHUP: ignored");
			continue;
		}
		if (force || detached) {
			zus_warn("%s: exiting now; %s fails with ENOTCONN until unmounted",
				 strsignal(sig), fa->mountpoint);
			zusd_sd_notify("STOPPING=1");
			_exit(1);	/* workers may be inside the plugin */
		}
		zus_log(ZUS_LOG_NOTICE,
			"%s: unmounting %s (lazily: zusd exits once no file is open there; signal again to exit now)",
			strsignal(sig), fa->mountpoint);
		zusd_sd_notify("STOPPING=1");
		zus_fuse_exit(zf);
		detached = true;
	}
	pthread_join(t, NULL);
	ret = la.ret ? 1 : 0;
	if (la.ret)
		zus_err("FUSE loop: %s", strerror(-la.ret));
	zus_info("%s unmounted", fa->mountpoint);
out:
	zus_fuse_destroy(zf);
	free(o.fuse);
	free(o.plugin);
	free((char *)o.fs);
	free((char *)o.source);
	return ret;
}

#endif /* ZUS_HAVE_FUSE */
