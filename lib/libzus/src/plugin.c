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
		zus_err("%s: plugin ABI version %u, this zusd speaks %u", path,
			p->abi_version, ZUS_ABI_VERSION);
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

void zus_plugin_unload(struct zus_loaded_plugin *lp)
{
	if (lp->dl)
		dlclose(lp->dl);
	free(lp);
}
