// SPDX-License-Identifier: BSD-2-Clause
/*
 * plugin.c - the plugin loader.
 *
 * A plugin is a shared object with exactly one entry point,
 * zus_plugin_entry(), returning a struct zus_plugin that starts with its
 * size and ABI version. Its ops table starts with its own size: the
 * loader copies what the plugin has into a zero-filled table of the
 * library's size, so ops the plugin does not know about are NULL and the
 * dispatcher answers them with -ENOSYS.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zus_i.h"

#define PLUGIN_MIN_SIZE \
	(offsetof(struct zus_plugin, ops) + sizeof(const void *))

bool zus_fs_name_valid(const char *name)
{
	size_t n = strnlen(name, ZUS_FS_NAME_MAX + 1);

	if (n == 0 || n > ZUS_FS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

int zus_plugin_wrap(const struct zus_plugin *p, void *dl, const char *path,
		    struct zus_loaded_plugin **out)
{
	struct zus_loaded_plugin *lp;
	const struct zus_fs_ops *ops;
	size_t n;

	if (!p) {
		zus_err("%s: entry point returned NULL", path);
		return -EINVAL;
	}
	if (p->size < PLUGIN_MIN_SIZE) {
		zus_err("%s: struct zus_plugin too small (%u < %zu)", path,
			p->size, PLUGIN_MIN_SIZE);
		return -EINVAL;
	}
	if (p->abi_version != ZUS_ABI_VERSION) {
		if (p->abi_version == 1)
			zus_err("%s: built for zus plugin ABI 1; this zusd loads ABI %u plugins only: rebuild it against zus.h of ABI %u (docs/writing-a-plugin.md, \"Porting from ABI 1\")",
				path, ZUS_ABI_VERSION, ZUS_ABI_VERSION);
		else
			zus_err("%s: plugin ABI version %u, this zusd speaks %u",
				path, p->abi_version, ZUS_ABI_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (!p->name || !zus_fs_name_valid(p->name)) {
		zus_err("%s: invalid fs name (want 1..%d of [a-z0-9_-])", path,
			ZUS_FS_NAME_MAX);
		return -EINVAL;
	}
	ops = p->ops;
	if (!ops || ops->size < ZUS_FS_OPS_MIN_SIZE) {
		zus_err("%s: ops table %s (size %zu, need >= %zu)", path,
			ops ? "too small" : "missing", ops ? ops->size : 0,
			ZUS_FS_OPS_MIN_SIZE);
		return -EINVAL;
	}
	if (!ops->mount) {
		zus_err("%s: ops table has no mount", path);
		return -EINVAL;
	}

	lp = calloc(1, sizeof(*lp) + strlen(path) + 1);
	if (!lp)
		return -ENOMEM;
	n = ops->size < sizeof(lp->ops) ? ops->size : sizeof(lp->ops);
	memcpy(&lp->ops, ops, n);
	if (ops->size > sizeof(lp->ops))
		zus_info("%s: ops table is newer than this zusd (%zu > %zu bytes): newer ops unused",
			 path, ops->size, sizeof(lp->ops));
	lp->ops.size = n;
	lp->plugin = p;
	lp->dl = dl;
	strcpy(lp->path, path);
	*out = lp;
	return 0;
}

static int load_path(const char *path, struct zus_loaded_plugin **out)
{
	zus_plugin_entry_fn entry;
	void *dl;
	int err;

	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		zus_err("%s: %s", path, dlerror());
		return access(path, F_OK) ? -ENOENT : -ENOEXEC;
	}
	/* POSIX-blessed way to turn a dlsym() result into a function. */
	*(void **)&entry = dlsym(dl, ZUS_PLUGIN_ENTRY_SYMBOL);
	if (!entry) {
		zus_err("%s: no %s() entry point: not a zufs plugin", path,
			ZUS_PLUGIN_ENTRY_SYMBOL);
		dlclose(dl);
		return -ENOEXEC;
	}
	err = zus_plugin_wrap(entry(), dl, path, out);
	if (err)
		dlclose(dl);
	return err;
}

/* Try dir/name.so for each dir of a ':' separated list. */
static int search_list(const char *list, const char *name,
		       struct zus_loaded_plugin **out)
{
	const char *p = list, *end;

	while (p && *p) {
		size_t len;
		char *path;
		int err;

		end = strchr(p, ':');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len && asprintf(&path, "%.*s/%s.so", (int)len, p, name) > 0) {
			if (access(path, F_OK) == 0) {
				err = load_path(path, out);
				free(path);
				return err;
			}
			free(path);
		}
		p = end ? end + 1 : NULL;
	}
	return -ENOENT;
}

int zus_plugin_load(const char *spec, const char *const *dirs,
		    struct zus_loaded_plugin **out)
{
	int err;

	if (strchr(spec, '/'))
		return load_path(spec, out);
	if (!zus_fs_name_valid(spec)) {
		zus_err("plugin name '%s' is invalid (a name is [a-z0-9_-], a path contains '/')",
			spec);
		return -EINVAL;
	}
	err = search_list(getenv("ZUS_PLUGIN_PATH"), spec, out);
	for (; err == -ENOENT && dirs && *dirs; dirs++)
		err = search_list(*dirs, spec, out);
	if (err == -ENOENT)
		zus_err("plugin '%s' not found (ZUS_PLUGIN_PATH, then the plugin directories)",
			spec);
	return err;
}

/* The ops each capability needs (zus.h). */
static const struct {
	uint64_t cap;
	const char *name;
	size_t ops[4];
} cap_ops[] = {
	{ ZUS_CAP_XATTR, "XATTR", { offsetof(struct zus_fs_ops, getxattr),
		offsetof(struct zus_fs_ops, setxattr),
		offsetof(struct zus_fs_ops, listxattr),
		offsetof(struct zus_fs_ops, removexattr) } },
	{ ZUS_CAP_FALLOCATE, "FALLOCATE",
		{ offsetof(struct zus_fs_ops, fallocate) } },
	{ ZUS_CAP_TMPFILE, "TMPFILE", { offsetof(struct zus_fs_ops, tmpfile) } },
	{ ZUS_CAP_COPY_RANGE, "COPY_RANGE",
		{ offsetof(struct zus_fs_ops, copy_range) } },
	{ ZUS_CAP_SEEK_DATA, "SEEK_DATA", { offsetof(struct zus_fs_ops, lseek) } },
	{ ZUS_CAP_OPEN, "OPEN", { offsetof(struct zus_fs_ops, open),
		offsetof(struct zus_fs_ops, release) } },
	{ ZUS_CAP_RENAME_EXCHANGE, "RENAME_EXCHANGE",
		{ offsetof(struct zus_fs_ops, rename) } },
	{ ZUS_CAP_MMAP, "MMAP", { offsetof(struct zus_fs_ops, write) } },
};

static bool has_op_at(const struct zus_fs_ops *ops, size_t off)
{
	return ops->size >= off + sizeof(void *) &&
	       *(void *const *)((const char *)ops + off);
}

static int conn_check(const struct zus_loaded_plugin *lp,
		      const struct zus_conn *c)
{
	const char *path = lp->path;

	if (c->want & ~ZUS_CAP_ALL) {
		zus_err("%s: init wants unknown capabilities 0x%llx", path,
			(unsigned long long)(c->want & ~ZUS_CAP_ALL));
		return -EINVAL;
	}
	if ((c->want & ZUS_CAP_ACL) && !(c->want & ZUS_CAP_XATTR)) {
		zus_err("%s: init wants ACL without XATTR (ACLs are xattrs)",
			path);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(cap_ops) / sizeof(cap_ops[0]); i++) {
		if (!(c->want & cap_ops[i].cap))
			continue;
		for (size_t j = 0; j < 4 && cap_ops[i].ops[j]; j++)
			if (!has_op_at(&lp->ops, cap_ops[i].ops[j])) {
				zus_err("%s: init wants %s but the ops table lacks one of its ops (zus.h lists them)",
					path, cap_ops[i].name);
				return -EINVAL;
			}
	}
	if (c->time_gran > 1000000000U) {
		zus_err("%s: time_gran %u ns is more than a second", path,
			c->time_gran);
		return -EINVAL;
	}
	if (c->blksize && (c->blksize < 512 || c->blksize > (1U << 20) ||
			   (c->blksize & (c->blksize - 1)))) {
		zus_err("%s: blksize %u is not a power of 2 in 512..1M", path,
			c->blksize);
		return -EINVAL;
	}
	if (c->max_file_size > ZUS_MAX_FILE_SIZE) {
		zus_err("%s: max_file_size beyond 2^63-1", path);
		return -EINVAL;
	}
	if (c->flags & ~ZUS_CONN_RDONLY) {
		zus_err("%s: unknown conn flags 0x%x", path, c->flags);
		return -EINVAL;
	}
	if (c->pad || c->size != sizeof(*c) || c->transport != lp->conn.transport ||
	    c->capable != lp->conn.capable) {
		zus_err("%s: init changed host fields of struct zus_conn", path);
		return -EINVAL;
	}
	return 0;
}

int zus_plugin_init(struct zus_loaded_plugin *lp, unsigned int transport,
		    uint64_t capable)
{
	struct zus_conn c;
	int err = 0;

	if (lp->inited)
		return -EALREADY;
	memset(&lp->conn, 0, sizeof(lp->conn));
	lp->conn.size = sizeof(lp->conn);
	lp->conn.transport = transport;
	lp->conn.capable = capable & ZUS_CAP_ALL;
	c = lp->conn;
	lp->fs_priv = NULL;
	if (ZUS_HAS_OP(&lp->ops, init)) {
		err = lp->ops.init(&zus_host, &c, &lp->fs_priv);
		if (err) {
			if (err > 0 || !zus_errno_ok(err)) {
				zus_err("%s: init returned %d, not 0 or -errno",
					lp->path, err);
				err = -EIO;
			} else {
				zus_err("%s: init refused to start: %s",
					lp->path, strerror(-err));
			}
			return err;
		}
	}
	lp->inited = true;	/* destroy() runs from here on */
	err = conn_check(lp, &c);
	if (err)
		return err;
	if (c.want & ~c.capable)
		zus_log(ZUS_LOG_NOTICE,
			"%s: capabilities 0x%llx wanted but not offered by this transport: not used",
			lp->path, (unsigned long long)(c.want & ~c.capable));
	c.want &= c.capable;
	lp->conn = c;
	zus_info("%s: started (transport %u, capabilities 0x%llx)", lp->path,
		 transport, (unsigned long long)c.want);
	return 0;
}

void zus_plugin_unload(struct zus_loaded_plugin *lp)
{
	if (lp->inited && ZUS_HAS_OP(&lp->ops, destroy))
		lp->ops.destroy(lp->fs_priv);
	if (lp->dl)
		dlclose(lp->dl);
	free(lp);
}
