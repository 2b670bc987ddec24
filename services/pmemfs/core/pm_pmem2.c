// SPDX-License-Identifier: BSD-2-Clause
/*
 * pm_pmem2.c - the libpmem2 backend of pm.h: devdax, a file on fsdax, or
 * an ordinary file (granularity PAGE: libpmem2's flush is msync there).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpmem2.h>

#include "pm.h"

struct pm2 {
	struct pm_media m;
	int fd;
	struct pmem2_config *cfg;
	struct pmem2_source *src;
	struct pmem2_map *map;
	pmem2_memcpy_fn memcpy_fn;
	pmem2_memset_fn memset_fn;
	pmem2_flush_fn flush_fn;
	pmem2_drain_fn drain_fn;
};

static struct pm2 *pm2(struct pm_media *m)
{
	return (struct pm2 *)m->priv;
}

static void pm2_store(struct pm_media *m, void *dst, const void *src,
		      size_t len)
{
	pm2(m)->memcpy_fn(dst, src, len, PMEM2_F_MEM_NOFLUSH);
}

static void pm2_store_flush(struct pm_media *m, void *dst, const void *src,
			    size_t len)
{
	pm2(m)->memcpy_fn(dst, src, len, PMEM2_F_MEM_NODRAIN);
}

static void pm2_set_flush(struct pm_media *m, void *dst, int c, size_t len)
{
	pm2(m)->memset_fn(dst, c, len, PMEM2_F_MEM_NODRAIN);
}

static void pm2_store8(struct pm_media *m, uint64_t *dst, uint64_t val)
{
	__atomic_store_n(dst, val, __ATOMIC_RELEASE);
}

static void pm2_flush(struct pm_media *m, const void *addr, size_t len)
{
	pm2(m)->flush_fn(addr, len);
}

static void pm2_fence(struct pm_media *m)
{
	pm2(m)->drain_fn();
}

static void pm2_close(struct pm_media *m)
{
	struct pm2 *p = pm2(m);

	pmem2_map_delete(&p->map);
	pmem2_source_delete(&p->src);
	pmem2_config_delete(&p->cfg);
	close(p->fd);
	free(p);
}

static const struct pm_ops pm2_ops = {
	.store = pm2_store,
	.store_flush = pm2_store_flush,
	.set_flush = pm2_set_flush,
	.store8 = pm2_store8,
	.flush = pm2_flush,
	.fence = pm2_fence,
	.close = pm2_close,
};

int pm_media_open(const char *path, struct pm_media **mp)
{
	struct pm2 *p;
	struct stat st;
	int ret;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->fd = open(path, O_RDWR | O_CLOEXEC);
	if (p->fd < 0) {
		ret = -errno;
		free(p);
		return ret;
	}
	if (fstat(p->fd, &st) < 0) {
		ret = -errno;
		goto err_fd;
	}
	ret = -EINVAL;
	if (pmem2_config_new(&p->cfg))
		goto err_fd;
	if (pmem2_config_set_required_store_granularity(p->cfg,
			PMEM2_GRANULARITY_PAGE))
		goto err_cfg;
	if (pmem2_source_from_fd(&p->src, p->fd))
		goto err_cfg;
	if (pmem2_map_new(&p->map, p->cfg, p->src))
		goto err_src;
	p->m.base = pmem2_map_get_address(p->map);
	p->m.size = pmem2_map_get_size(p->map);
	if (S_ISCHR(st.st_mode))
		p->m.kind = PM_KIND_DEVDAX;
	else if (pmem2_map_get_store_granularity(p->map) ==
		 PMEM2_GRANULARITY_PAGE)
		p->m.kind = PM_KIND_FILE;
	else
		p->m.kind = PM_KIND_FSDAX;
	p->memcpy_fn = pmem2_get_memcpy_fn(p->map);
	p->memset_fn = pmem2_get_memset_fn(p->map);
	p->flush_fn = pmem2_get_flush_fn(p->map);
	p->drain_fn = pmem2_get_drain_fn(p->map);
	p->m.ops = &pm2_ops;
	p->m.priv = p;
	*mp = &p->m;
	return 0;

err_src:
	pmem2_source_delete(&p->src);
err_cfg:
	pmem2_config_delete(&p->cfg);
err_fd:
	close(p->fd);
	free(p);
	return ret;
}

void pm_media_close(struct pm_media *m)
{
	if (m)
		m->ops->close(m);
}

const char *pm_kind_name(enum pm_kind kind)
{
	switch (kind) {
	case PM_KIND_DEVDAX:
		return "devdax";
	case PM_KIND_FSDAX:
		return "fsdax";
	case PM_KIND_FILE:
		return "file";
	case PM_KIND_RECORD:
		return "record";
	}
	return "unknown";
}
