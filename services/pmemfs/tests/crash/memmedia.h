/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * memmedia.h - a pm.h media over a heap buffer (no persistence at all):
 * the inner backend of the recorder in tests, and the media a crash image
 * is mounted from. Flush and fence do nothing.
 */
#ifndef PMCRASH_MEMMEDIA_H
#define PMCRASH_MEMMEDIA_H

#include <stdint.h>

#include "pm.h"

/* A zeroed buffer of @size bytes, owned (freed by close). NULL: no memory. */
struct pm_media *mem_media_new(uint64_t size);
/* Over @buf, not owned (close frees only the media struct). */
struct pm_media *mem_media_over(void *buf, uint64_t size);

#endif /* PMCRASH_MEMMEDIA_H */
