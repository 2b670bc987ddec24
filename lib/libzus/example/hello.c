// SPDX-License-Identifier: BSD-2-Clause
/*
 * hello - the smallest useful zufs plugin: a read-only file system with
 * one directory holding one file, "hello", whose text is a mount option.
 * It is the first tutorial of docs/writing-a-plugin.md; memfs.c is the
 * complete example.
 *
 *   zusd --plugin hello --service zufs &
 *   mount -t zufs -o ro,service=zufs,fs=hello,greeting=hi none /mnt
 *   cat /mnt/hello                                  # -> "hi"
 *
 * The same .so runs over FUSE: zusd --transport fuse --plugin hello ...
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zus.h>

#define HELLO_ROOT	1	/* inode numbers are the plugin's choice */
#define HELLO_FILE	2
#define HELLO_NAME	"hello"

/* One mount: its text and when it was mounted. */
struct hello_sb {
	char *text;
	size_t len;
	struct timespec time;
};

static const struct zus_host *host;	/* set once, in init */

static int hello_init(const struct zus_host *h, struct zus_conn *conn,
		      void **fs_priv)
{
	(void)fs_priv;
	host = h;
	conn->flags |= ZUS_CONN_RDONLY;	/* mount with -o ro */
	conn->time_gran = 1000000000;	/* whole seconds are enough */
	return 0;
}

/* host->opt_parse calls this for every key[=value] of the options. */
static int hello_opt(void *arg, const char *key, const char *value)
{
	struct hello_sb *hs = arg;

	if (strcmp(key, "greeting") || !value) {
		host->log(ZUS_LOG_ERR, "hello: unknown option '%s'", key);
		return -EINVAL;
	}
	free(hs->text);
	hs->text = strdup(value);
	return hs->text ? 0 : -ENOMEM;
}

static int hello_mount(const struct zus_ctx *ctx, const char *source,
		       const char *options, unsigned int flags,
		       zus_ino_t *root)
{
	struct hello_sb *hs = calloc(1, sizeof(*hs));
	int err;

	(void)source;
	(void)flags;		/* read-only: the host checked ZUS_CONN_RDONLY */
	if (!hs)
		return -ENOMEM;
	err = host->opt_parse(options, hello_opt, hs);
	if (!err && !hs->text && !(hs->text = strdup("Hello, world!\n")))
		err = -ENOMEM;
	if (err) {
		free(hs->text);
		free(hs);
		return err;
	}
	hs->len = strlen(hs->text);
	clock_gettime(CLOCK_REALTIME, &hs->time);
	ctx->sb->priv = hs;
	*root = HELLO_ROOT;
	return 0;
}

static void hello_umount(struct zus_sb *sb)
{
	struct hello_sb *hs = sb->priv;

	free(hs->text);
	free(hs);
}

static int hello_getattr(const struct zus_ctx *ctx, zus_ino_t ino,
			 struct zus_attr *attr)
{
	const struct hello_sb *hs = ctx->sb->priv;

	memset(attr, 0, sizeof(*attr));
	attr->ino = ino;
	attr->atime = attr->mtime = attr->ctime = hs->time;
	if (ino == HELLO_ROOT) {
		attr->mode = S_IFDIR | 0555;
		attr->nlink = 2;
	} else if (ino == HELLO_FILE) {
		attr->mode = S_IFREG | 0444;
		attr->nlink = 1;
		attr->size = hs->len;
		attr->blocks = (hs->len + 511) / 512;
	} else {
		return -ENOENT;
	}
	return 0;
}

/* A lookup hands the kernel a reference; with two inodes that live as
 * long as the mount there is nothing to count, so no forget op. */
static int hello_lookup(const struct zus_ctx *ctx, zus_ino_t dir,
			const char *name, size_t namelen,
			struct zus_attr *attr)
{
	if (dir != HELLO_ROOT)
		return -ENOTDIR;
	if (namelen != strlen(HELLO_NAME) || memcmp(name, HELLO_NAME, namelen))
		return -ENOENT;
	return hello_getattr(ctx, HELLO_FILE, attr);
}

/* Cookies: 3 is "after hello". The end is said explicitly. */
static int hello_readdir(const struct zus_ctx *ctx, zus_ino_t dir,
			 uint64_t cookie, struct zus_dir_ctx *dctx)
{
	(void)ctx;
	if (dir != HELLO_ROOT)
		return -ENOTDIR;
	if (cookie < ZUS_DIR_COOKIE_FIRST &&
	    host->dir_emit(dctx, HELLO_NAME, strlen(HELLO_NAME), HELLO_FILE,
			   ZUS_DT_REG, ZUS_DIR_COOKIE_FIRST))
		return 0;	/* reply full: asked again from cookie */
	return ZUS_DIR_EOF;
}

/* buf is the reader's own buffer (zero copy on zufs). */
static ssize_t hello_read(const struct zus_ctx *ctx, zus_ino_t ino,
			  void *buf, size_t len, uint64_t off)
{
	const struct hello_sb *hs = ctx->sb->priv;

	if (ino != HELLO_FILE)
		return ino == HELLO_ROOT ? -EISDIR : -ENOENT;
	if (off >= hs->len)
		return 0;
	if (len > hs->len - off)
		len = hs->len - off;
	memcpy(buf, hs->text + off, len);
	return (ssize_t)len;
}

static int hello_statfs(const struct zus_ctx *ctx, struct zus_statfs *st)
{
	(void)ctx;
	st->files = 2;
	st->bsize = 4096;
	st->blocks = 1;
	return 0;
}

static const struct zus_fs_ops hello_ops = {
	.size		= sizeof(struct zus_fs_ops),
	.init		= hello_init,
	.mount		= hello_mount,
	.umount		= hello_umount,
	.statfs		= hello_statfs,
	.lookup		= hello_lookup,
	.getattr	= hello_getattr,
	.readdir	= hello_readdir,
	.read		= hello_read,
};

static const struct zus_plugin hello_plugin = {
	.size		= sizeof(struct zus_plugin),
	.abi_version	= ZUS_ABI_VERSION,
	.name		= "hello",
	.description	= "one read-only file (tutorial)",
	.ops		= &hello_ops,
};

ZUS_EXPORT const struct zus_plugin *zus_plugin_entry(void)
{
	return &hello_plugin;
}
