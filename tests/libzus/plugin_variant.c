// SPDX-License-Identifier: BSD-2-Clause
/*
 * plugin_variant.c - test plugins for the loader, one per VARIANT:
 *   good      a correct plugin (fs "tgood")
 *   badabi    abi_version from the future
 *   abi1      a plugin of ABI 1 (refused with a message naming ABI 1)
 *   badwant   init wants ZUS_CAP_XATTR without the xattr ops
 *   initfail  init refuses to start (-EPERM)
 *   noentry   no zus_plugin_entry symbol
 *   smallops  ops table smaller than ZUS_FS_OPS_MIN_SIZE
 *   oldops    ops table that ends after .getattr (an "old" plugin); the
 *             readdir set past its end must not be called
 *   nomount   no .mount
 *   badname   invalid fs name
 *   null      entry point returns NULL
 *   hang      a correct plugin (fs "thang") whose lookup never returns
 *             (zusd's bounded shutdown, zusd-vm.sh); it says so on stderr
 *   sigmask   a correct plugin (fs "tsigmask") whose constructor starts a
 *             thread, as a plugin may, that writes which of SIGTERM,
 *             SIGINT, SIGHUP it has blocked to $PV_SIGMASK_FILE
 *             (zusd-cli.sh: zusd blocks them before it loads plugins)
 * They link nothing of ours (plugins never do: the host gives init its
 * services).
 */
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zus.h>

#define V_good		1
#define V_badabi	2
#define V_noentry	3
#define V_smallops	4
#define V_oldops	5
#define V_nomount	6
#define V_badname	7
#define V_null		8
#define V_hang		9
#define V_sigmask	10
#define V_abi1		11
#define V_badwant	12
#define V_initfail	13
#define CAT_(a, b)	a##b
#define CAT(a, b)	CAT_(a, b)
#define IS(v)		(CAT(V_, VARIANT) == CAT(V_, v))

static __attribute__((unused)) int t_init(const struct zus_host *host,
					 struct zus_conn *conn, void **priv)
{
#if IS(badwant)
	conn->want |= ZUS_CAP_XATTR;
#endif
#if IS(initfail)
	host->log(ZUS_LOG_ERR, "pv_initfail: refusing to start");
	return -EPERM;
#endif
	return 0;
}

static __attribute__((unused)) int t_mount(const struct zus_ctx *ctx,
					  const char *source,
					  const char *options,
					  unsigned int flags, zus_ino_t *root)
{
	*root = 1;
	return 0;
}

static int t_getattr(const struct zus_ctx *ctx, zus_ino_t ino,
		     struct zus_attr *a)
{
	a->ino = ino;
	a->mode = 040755;
	a->nlink = 2;
	return 0;
}

static int t_readdir(const struct zus_ctx *ctx, zus_ino_t dir,
		     uint64_t cookie, struct zus_dir_ctx *dctx)
{
	return -EUCLEAN;	/* must never be reached for "oldops" */
}

static __attribute__((unused)) int t_lookup_hang(const struct zus_ctx *ctx,
		zus_ino_t dir, const char *name, size_t namelen,
		struct zus_attr *attr)
{
	fprintf(stderr, "pv_hang: lookup of '%.*s' blocks forever\n",
		(int)namelen, name);
	for (;;)
		sleep(1000);
	return -EIO;
}

#if IS(sigmask)
static void *t_mask_thread(void *arg)
{
	const char *path = getenv("PV_SIGMASK_FILE");
	sigset_t cur;
	FILE *f;

	if (!path || pthread_sigmask(SIG_BLOCK, NULL, &cur))
		return NULL;
	f = fopen(path, "w");
	if (!f)
		return NULL;
	fprintf(f, "TERM=%d INT=%d HUP=%d\n", sigismember(&cur, SIGTERM),
		sigismember(&cur, SIGINT), sigismember(&cur, SIGHUP));
	fclose(f);
	return NULL;
}

__attribute__((constructor)) static void t_start_thread(void)
{
	pthread_t t;

	if (!pthread_create(&t, NULL, t_mask_thread, NULL))
		pthread_join(t, NULL);
}
#endif

static const struct zus_fs_ops t_ops = {
#if IS(smallops)
	.size		= offsetof(struct zus_fs_ops, mount),
#elif IS(oldops)
	.size		= offsetof(struct zus_fs_ops, getattr) + sizeof(void *),
#else
	.size		= sizeof(struct zus_fs_ops),
#endif
#if !IS(nomount)
	.mount		= t_mount,
#endif
#if IS(badwant) || IS(initfail)
	.init		= t_init,
#endif
	.getattr	= t_getattr,
	.readdir	= t_readdir,
#if IS(hang)
	.lookup		= t_lookup_hang,
#endif
};

static const struct zus_plugin t_plugin __attribute__((unused)) = {
	.size		= sizeof(struct zus_plugin),
#if IS(badabi)
	.abi_version	= ZUS_ABI_VERSION + 98,
#elif IS(abi1)
	.abi_version	= 1,
#else
	.abi_version	= ZUS_ABI_VERSION,
#endif
#if IS(badname)
	.name		= "Bad/Name",
#else
	.name		= "t" VARIANT_NAME,
#endif
	.description	= "loader test plugin",
	.ops		= &t_ops,
};

#if IS(noentry)
ZUS_EXPORT const struct zus_plugin *zus_plugin_entry_misspelt(void);
ZUS_EXPORT const struct zus_plugin *zus_plugin_entry_misspelt(void)
#else
ZUS_EXPORT const struct zus_plugin *zus_plugin_entry(void)
#endif
{
#if IS(null)
	return NULL;
#else
	return &t_plugin;
#endif
}
