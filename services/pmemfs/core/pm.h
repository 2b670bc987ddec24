/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pm.h - the only way pmemfs's core writes persistent memory.
 *
 * The core reads the media through plain pointers (base + offset) but
 * never writes it with a plain store: every write is a pm_store*() or
 * pm_set(), made persistent by pm_flush() and ordered by pm_fence().
 * That discipline is what lets the crash-state tests record every store,
 * flush and fence and build the images a power cut could leave.
 *
 * Persistence model (x86 ADR, as libpmem2 reports it):
 *  - a store is in the CPU cache: it may reach the media at any time, in
 *    any order, torn at 8-byte granularity, or not at all before a crash;
 *  - pm_flush() starts write-back of the cache lines of a range;
 *  - pm_fence() waits: every range flushed before it is persistent after it;
 *  - pm_store8() of an 8-byte aligned value is never torn.
 * Backends: libpmem2 (pm_pmem2.c: devdax, a file on a DAX file system or an
 * ordinary file, where libpmem2 falls back to msync) and, in test builds,
 * the recorder (tests/crash) which wraps another backend.
 */
#ifndef PMEMFS_PM_H
#define PMEMFS_PM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct pm_media;

struct pm_ops {
	/* copy @len bytes to @dst (inside the media); not yet flushed */
	void (*store)(struct pm_media *m, void *dst, const void *src, size_t len);
	/* store and flush in one (non-temporal copy where the CPU has it) */
	void (*store_flush)(struct pm_media *m, void *dst, const void *src,
			    size_t len);
	/* set @len bytes at @dst to @c and flush them */
	void (*set_flush)(struct pm_media *m, void *dst, int c, size_t len);
	/* one aligned 8-byte store, never torn; not yet flushed */
	void (*store8)(struct pm_media *m, uint64_t *dst, uint64_t val);
	void (*flush)(struct pm_media *m, const void *addr, size_t len);
	void (*fence)(struct pm_media *m);
	void (*close)(struct pm_media *m);
};

enum pm_kind {
	PM_KIND_DEVDAX = 1,	/* /dev/daxN.M */
	PM_KIND_FSDAX,		/* a file on a file system mounted -o dax */
	PM_KIND_FILE,		/* anything else: flushes are msync() */
	PM_KIND_RECORD,		/* test recorder over another backend */
};

struct pm_media {
	uint8_t *base;		/* mapping of the whole media */
	uint64_t size;		/* bytes mapped */
	enum pm_kind kind;
	const struct pm_ops *ops;
	void *priv;		/* backend state */
};

static inline void *pm_ptr(const struct pm_media *m, uint64_t off)
{
	return m->base + off;
}

static inline uint64_t pm_off(const struct pm_media *m, const void *p)
{
	return (uint64_t)((const uint8_t *)p - m->base);
}

static inline void pm_store(struct pm_media *m, void *dst, const void *src,
			    size_t len)
{
	m->ops->store(m, dst, src, len);
}

static inline void pm_store_flush(struct pm_media *m, void *dst,
				  const void *src, size_t len)
{
	m->ops->store_flush(m, dst, src, len);
}

static inline void pm_set_flush(struct pm_media *m, void *dst, int c,
				size_t len)
{
	m->ops->set_flush(m, dst, c, len);
}

static inline void pm_store8(struct pm_media *m, uint64_t *dst, uint64_t val)
{
	m->ops->store8(m, dst, val);
}

static inline void pm_flush(struct pm_media *m, const void *addr, size_t len)
{
	m->ops->flush(m, addr, len);
}

static inline void pm_fence(struct pm_media *m)
{
	m->ops->fence(m);
}

/* store, flush and fence: persistent on return */
static inline void pm_persist_copy(struct pm_media *m, void *dst,
				   const void *src, size_t len)
{
	m->ops->store_flush(m, dst, src, len);
	m->ops->fence(m);
}

/*
 * pm_media_open - map @path (devdax, DAX file or plain file) read-write.
 * Returns 0 or -errno; *@mp is allocated and set on success.
 * pm_media_close - unmap and free (through m->ops->close).
 */
int pm_media_open(const char *path, struct pm_media **mp);
void pm_media_close(struct pm_media *m);
const char *pm_kind_name(enum pm_kind kind);

#endif /* PMEMFS_PM_H */
