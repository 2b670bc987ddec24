// SPDX-License-Identifier: BSD-2-Clause
/*
 * server.c - the loaded plugins and the mounted superblocks.
 *
 * Each mount is one superblock instance of a plugin, named by an sb_id
 * (never reused while zusd runs). Requests look their superblock up and
 * run with sb_lock held shared; mount and unmount take it exclusive, so a
 * superblock is never destroyed under a running op.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "zus_i.h"

int zus_server_init(struct zus_server *srv)
{
	memset(srv, 0, sizeof(*srv));
	srv->next_sb_id = 1;
	return -pthread_rwlock_init(&srv->sb_lock, NULL);
}

static void sb_destroy(struct zus_sb_inst *si)
{
	/* from here on host->notify_* say -ESHUTDOWN, on every transport */
	__atomic_store_n(&si->dying, true, __ATOMIC_RELEASE);
	if (si->ops->umount)
		si->ops->umount(&si->sb);
	free(si);
}

void zus_server_fini(struct zus_server *srv)
{
	struct zus_loaded_plugin *lp, *next;

	for (size_t i = 0; i < srv->nr_sbs; i++) {
		zus_warn("unmounting sb %llu (%s) at exit",
			 (unsigned long long)srv->sbs[i]->sb.sb_id,
			 srv->sbs[i]->lp->plugin->name);
		sb_destroy(srv->sbs[i]);
	}
	free(srv->sbs);
	for (lp = srv->plugins; lp; lp = next) {
		next = lp->next;
		zus_plugin_unload(lp);
	}
	pthread_rwlock_destroy(&srv->sb_lock);
	memset(srv, 0, sizeof(*srv));
}

struct zus_loaded_plugin *zus_server_find_plugin(struct zus_server *srv,
						 const char *fsname)
{
	struct zus_loaded_plugin *lp;

	for (lp = srv->plugins; lp; lp = lp->next)
		if (!strcmp(lp->plugin->name, fsname))
			return lp;
	return NULL;
}

int zus_server_add_plugin(struct zus_server *srv, struct zus_loaded_plugin *lp)
{
	if (zus_server_find_plugin(srv, lp->plugin->name)) {
		zus_err("%s: a plugin for fs '%s' is loaded already", lp->path,
			lp->plugin->name);
		return -EEXIST;
	}
	lp->next = srv->plugins;
	srv->plugins = lp;
	zus_info("loaded plugin '%s' (%s) from %s", lp->plugin->name,
		 lp->plugin->description ? lp->plugin->description : "",
		 lp->path);
	return 0;
}

void zus_ctx_init(struct zus_ctx *ctx, struct zus_sb_inst *si, uint32_t uid,
		  uint32_t gid, uint32_t pid)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->size = sizeof(*ctx);
	ctx->sb = &si->sb;
	ctx->uid = uid;
	ctx->gid = gid;
	ctx->pid = pid;
}

int zus_server_mount(struct zus_server *srv, const char *fsname,
		     const char *source, const char *options,
		     unsigned int mount_flags, uint32_t uid, uint32_t gid,
		     uint32_t pid, uint64_t client_id,
		     const struct zus_transport *t, uint64_t *sb_id,
		     zus_ino_t *root, struct zus_sb_inst **sip)
{
	struct zus_ctx ctx;
	struct zus_loaded_plugin *lp;
	struct zus_sb_inst *si;
	char *opts;
	int err;

	/* Plugins are only added before the service starts: no lock. */
	lp = zus_server_find_plugin(srv, fsname);
	if (!lp) {
		zus_err("mount: no plugin for fs '%s'", fsname);
		return -ENODEV;
	}
	if (!lp->inited || lp->conn.transport != t->id) {
		zus_err("mount: plugin '%s' was not started for this transport",
			fsname);
		return -EIO;
	}
	if (mount_flags & ~(ZUS_MOUNT_RDONLY | ZUS_MOUNT_REATTACH))
		return -EINVAL;
	if ((lp->conn.flags & ZUS_CONN_RDONLY) &&
	    !(mount_flags & ZUS_MOUNT_RDONLY)) {
		zus_err("mount: fs '%s' is read-only: mount it with -o ro",
			fsname);
		return -EROFS;
	}
	si = calloc(1, sizeof(*si));
	opts = strdup(options);
	if (!si || !opts) {
		free(si);
		free(opts);
		return -ENOMEM;
	}
#if ZUS_WITH_EVIL
	/* evil= (zusd-test --evil only) is for us, not for the plugin. */
	err = zus_evil_take_option(opts, &si->evil);
	if (err)
		goto fail;
#endif
	si->lp = lp;
	si->ops = &lp->ops;
	si->sb.plugin = lp->plugin;
	si->sb.fs_priv = lp->fs_priv;
	si->sb.host = &zus_host;
	si->sb.mount_flags = mount_flags;
	si->transport = t;
	si->client_id = client_id;
	si->sb.sb_id = __atomic_fetch_add(&srv->next_sb_id, 1,
					  __ATOMIC_RELAXED);

	/* The plugin's mount may take time: other mounts keep running. */
	zus_ctx_init(&ctx, si, uid, gid, pid);
	err = lp->ops.mount(&ctx, source, opts, mount_flags, &si->root);
	if (err > 0 || (!err && !si->root)) {
		zus_err("mount: plugin '%s' returned %d, root ino %llu: broken plugin",
			fsname, err, (unsigned long long)si->root);
		if (!err && lp->ops.umount)
			lp->ops.umount(&si->sb);
		err = -EIO;
	}
	if (err)
		goto fail;

	pthread_rwlock_wrlock(&srv->sb_lock);
	if (srv->nr_sbs == srv->cap_sbs) {
		size_t ncap = srv->cap_sbs ? srv->cap_sbs * 2 : 8;
		void *n = realloc(srv->sbs, ncap * sizeof(*srv->sbs));

		if (!n) {
			pthread_rwlock_unlock(&srv->sb_lock);
			sb_destroy(si);
			free(opts);
			return -ENOMEM;
		}
		srv->sbs = n;
		srv->cap_sbs = ncap;
	}
	srv->sbs[srv->nr_sbs++] = si;
	pthread_rwlock_unlock(&srv->sb_lock);
	free(opts);
	*sb_id = si->sb.sb_id;
	*root = si->root;
	if (sip)
		*sip = si;
	zus_info("mounted sb %llu: fs %s, source '%s', options '%s'",
		 (unsigned long long)*sb_id, fsname, source, options);
	return 0;

fail:
	free(si);
	free(opts);
	zus_info("mount of fs %s, source '%s', options '%s' failed: %s",
		 fsname, source, options, strerror(-err));
	return err;
}

/* Under the write lock: take sbs[i] out of the table. */
static struct zus_sb_inst *sb_remove(struct zus_server *srv, size_t i)
{
	struct zus_sb_inst *si = srv->sbs[i];

	srv->sbs[i] = srv->sbs[--srv->nr_sbs];
	return si;
}

int zus_server_umount(struct zus_server *srv, uint64_t sb_id)
{
	struct zus_sb_inst *si = NULL;

	pthread_rwlock_wrlock(&srv->sb_lock);
	for (size_t i = 0; i < srv->nr_sbs; i++)
		if (srv->sbs[i]->sb.sb_id == sb_id) {
			si = sb_remove(srv, i);
			break;
		}
	pthread_rwlock_unlock(&srv->sb_lock);
	if (!si)
		return -ENOENT;
	/* Out of the table and no reader left: destroy without the lock. */
	sb_destroy(si);
	zus_info("unmounted sb %llu", (unsigned long long)sb_id);
	return 0;
}

void zus_server_client_gone(struct zus_server *srv, uint64_t client_id)
{
	for (;;) {
		struct zus_sb_inst *si = NULL;

		pthread_rwlock_wrlock(&srv->sb_lock);
		for (size_t i = 0; i < srv->nr_sbs; i++)
			if (srv->sbs[i]->client_id == client_id) {
				si = sb_remove(srv, i);
				break;
			}
		pthread_rwlock_unlock(&srv->sb_lock);
		if (!si)
			return;
		zus_warn("connection %llu closed: dropping its sb %llu",
			 (unsigned long long)client_id,
			 (unsigned long long)si->sb.sb_id);
		sb_destroy(si);
	}
}

size_t zus_server_nr_mounts(struct zus_server *srv)
{
	size_t n;

	pthread_rwlock_rdlock(&srv->sb_lock);
	n = srv->nr_sbs;
	pthread_rwlock_unlock(&srv->sb_lock);
	return n;
}

struct zus_sb_inst *zus_server_sb_locked(struct zus_server *srv,
					 uint64_t sb_id)
{
	/* Few mounts per daemon: a linear scan beats a hash here. */
	for (size_t i = 0; i < srv->nr_sbs; i++)
		if (srv->sbs[i]->sb.sb_id == sb_id)
			return srv->sbs[i];
	return NULL;
}
