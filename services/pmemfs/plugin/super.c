// SPDX-License-Identifier: BSD-2-Clause
/*
 * super.c - pmemfs.so: init, mount, umount, statfs, sync_fs.
 *
 * mount(source, options, flags): source is the media: a device-DAX
 * character device (/dev/dax0.0), a file on a file system mounted -o dax,
 * or an ordinary file (flushes become msync). The source is locked with
 * flock(LOCK_EX) for as long as it is mounted, so that a second mount, a
 * mkfs.pmemfs or an fsck.pmemfs (which take the same lock) is refused
 * instead of corrupting it. Options:
 *   source=PATH  the media, when mount(8)'s source cannot name it
 *   ro / rw      read-only / read-write (as ZUS_MOUNT_RDONLY, which the
 *                host normally passes instead)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "pmemfs_plugin.h"

const struct zus_host *pmp_host;

int pmp_init(const struct zus_host *h, struct zus_conn *conn,
	     void **fs_priv)
{
	(void)fs_priv;
	pmp_host = h;
	conn->want = ZUS_CAP_XATTR | ZUS_CAP_ACL | ZUS_CAP_MMAP |
		     ZUS_CAP_FALLOCATE | ZUS_CAP_TMPFILE |
		     ZUS_CAP_COPY_RANGE | ZUS_CAP_SEEK_DATA |
		     ZUS_CAP_RENAME_EXCHANGE;
	conn->max_file_size = PMP_MAX_FILE_SIZE;
	conn->time_gran = 1;
	conn->blksize = PMFS_BLOCK_SIZE;
	return 0;
}

struct pmp_opts {
	const char *source;	/* source=, points into a copy we own */
	char *source_buf;
	bool ro;		/* "ro" in the options */
};

static int pmp_opt(void *arg, const char *key, const char *value)
{
	struct pmp_opts *o = arg;

	if (!strcmp(key, "source") && value && *value) {
		free(o->source_buf);
		o->source_buf = strdup(value);
		if (!o->source_buf)
			return -ENOMEM;
		o->source = o->source_buf;
		return 0;
	}
	if ((!strcmp(key, "ro") || !strcmp(key, "rw")) && !value) {
		o->ro = !strcmp(key, "ro");
		return 0;
	}
	pmp_host->log(ZUS_LOG_ERR, "pmemfs: unknown mount option '%s%s%s'",
		      key, value ? "=" : "", value ? value : "");
	return -EINVAL;
}

/* Exclusive use of the media while mounted (mkfs and fsck take it too). */
static int lock_source(const char *path, int *fdp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err;

	if (fd < 0) {
		err = -errno;
		pmp_host->log(ZUS_LOG_ERR, "pmemfs: cannot open %s: %s", path,
			      strerror(-err));
		return err;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		pmp_host->log(ZUS_LOG_ERR,
			      "pmemfs: %s is in use (mounted, or being checked/formatted)",
			      path);
		close(fd);
		return err;
	}
	*fdp = fd;
	return 0;
}

int pmp_mount(const struct zus_ctx *ctx, const char *source,
	      const char *options, unsigned int flags, zus_ino_t *root)
{
	struct pmp_opts o = { .source = source };
	struct pmp_sb *p;
	char why[256] = "";
	int err;

	err = pmp_host->opt_parse(options, pmp_opt, &o);
	if (err)
		goto out_opts;
	if (!o.source || !*o.source || !strcmp(o.source, "none")) {
		pmp_host->log(ZUS_LOG_ERR,
			      "pmemfs: no media: mount SOURCE must be a DAX device or a file (mkfs.pmemfs it first)");
		err = -EINVAL;
		goto out_opts;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		err = -ENOMEM;
		goto out_opts;
	}
	p->lock_fd = -1;
	p->ro = (flags & ZUS_MOUNT_RDONLY) || o.ro;
	snprintf(p->source, sizeof(p->source), "%s", o.source);
	err = lock_source(p->source, &p->lock_fd);
	if (err)
		goto out_free;
	err = pm_media_open(p->source, &p->media);
	if (err) {
		pmp_host->log(ZUS_LOG_ERR, "pmemfs: cannot map %s: %s",
			      p->source, strerror(-err));
		goto out_unlock;
	}
	/*
	 * A re-attach (zusd restarted under a mount the kernel kept): the
	 * kernel may hold unlinked inodes open, so the orphans stay until
	 * the next ordinary mount.
	 */
	err = pmfs_mount(p->media, (p->ro ? PMFS_MOUNT_RDONLY : 0) |
			 ((flags & ZUS_MOUNT_REATTACH) ?
			  PMFS_MOUNT_KEEP_ORPHANS : 0), &p->fs,
			 why, sizeof(why));
	if (err) {
		pmp_host->log(ZUS_LOG_ERR, "pmemfs: cannot mount %s: %s%s%s",
			      p->source, strerror(-err), *why ? ": " : "",
			      why);
		if (err == -EUCLEAN)
			pmp_host->log(ZUS_LOG_ERR,
				      "pmemfs: run fsck.pmemfs -y %s",
				      p->source);
		goto out_close;
	}
	pmp_host->log(ZUS_LOG_INFO, "pmemfs: mounted %s (%s)%s", p->source,
		      pm_kind_name(p->media->kind), p->ro ? " read-only" : "");
	ctx->sb->priv = p;
	/* the identity a restarted zusd proves with (zufs re-attach) */
	pmfs_uuid(p->fs, ctx->sb->fs_id);
	*root = PMFS_ROOT_INO;
	free(o.source_buf);
	return 0;

out_close:
	pm_media_close(p->media);
out_unlock:
	close(p->lock_fd);
out_free:
	free(p);
out_opts:
	free(o.source_buf);
	return err;
}

/*
 * Inodes the kernel still referenced at umount, unlinked (open-unlinked
 * files, O_TMPFILEs): the FUSE transport sends no FORGET for them at
 * unmount, so they are still on the core's orphan list. Nobody can hold
 * them any more: a mount's recovery frees orphans, so run one now rather
 * than leave them for the next mount (and for fsck to report).
 */
static void free_orphans(struct pmp_sb *p)
{
	struct pmfs_stat st;
	struct pmfs *fs;
	char why[256] = "";
	int err;

	if (p->ro || pmfs_statfs(p->fs, &st) || !st.orphans)
		return;
	pmfs_umount(p->fs);
	p->fs = NULL;
	err = pmfs_mount(p->media, 0, &fs, why, sizeof(why));
	if (err) {
		pmp_host->log(ZUS_LOG_WARNING,
			      "pmemfs: %s: %llu orphan(s) left for the next mount: %s %s",
			      p->source, (unsigned long long)st.orphans,
			      strerror(-err), why);
		return;
	}
	pmfs_umount(fs);
}

void pmp_umount(struct zus_sb *sb)
{
	struct pmp_sb *p = sb->priv;

	if (!p)
		return;
	free_orphans(p);
	if (p->fs)
		pmfs_umount(p->fs);
	pm_media_close(p->media);
	close(p->lock_fd);
	pmp_host->log(ZUS_LOG_INFO, "pmemfs: unmounted %s", p->source);
	free(p);
	sb->priv = NULL;
}

int pmp_statfs(const struct zus_ctx *ctx, struct zus_statfs *st)
{
	struct pmfs_stat ps;
	int err;

	err = pmfs_statfs(PFS(ctx), &ps);
	if (err)
		return err;
	st->bsize = ps.block_size ? ps.block_size : PMFS_BLOCK_SIZE;
	st->blocks = ps.blocks;
	st->bfree = ps.bfree;
	st->bavail = ps.bfree;
	st->files = ps.inodes;
	st->ffree = ps.ifree;
	st->namelen = PMFS_NAME_MAX;
	return 0;
}

/* Every completed op is already durable: a fence is all there is to do. */
int pmp_sync_fs(const struct zus_ctx *ctx, int wait)
{
	(void)wait;
	if (PSB(ctx)->ro)
		return 0;
	return pmfs_sync(PFS(ctx));
}
