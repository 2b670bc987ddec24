// SPDX-License-Identifier: BSD-2-Clause
/*
 * dir.c - zus_dir_emit(): the plugin-facing half of readdir. It checks each
 * entry (name, type, inode, cookie order) so a buggy plugin cannot send the
 * kernel a malformed record, then lets the dispatcher encode it.
 */
#include <errno.h>
#include <string.h>

#include "zus_i.h"

static bool dt_valid(unsigned int type)
{
	switch (type) {
	case ZUS_DT_UNKNOWN: case ZUS_DT_FIFO: case ZUS_DT_CHR:
	case ZUS_DT_DIR: case ZUS_DT_BLK: case ZUS_DT_REG:
	case ZUS_DT_LNK: case ZUS_DT_SOCK:
		return true;
	}
	return false;
}

ZUS_EXPORT int zus_dir_emit(struct zus_dir_ctx *ctx, const char *name,
			    size_t namelen, zus_ino_t ino, unsigned int type,
			    uint64_t cookie)
{
	size_t n;

	if (!ctx || !name || !namelen || namelen > ZUS_NAME_MAX || !ino ||
	    !dt_valid(type) || cookie < ZUS_DIR_COOKIE_FIRST ||
	    cookie >= (1ULL << 63))
		return -EINVAL;
	if (memchr(name, '/', namelen) || memchr(name, '\0', namelen) ||
	    (namelen == 1 && name[0] == '.') ||
	    (namelen == 2 && name[0] == '.' && name[1] == '.'))
		return -EINVAL;
	n = ctx->encode(ctx, name, namelen, ino, type, cookie);
	if (!n)
		return 1;		/* full: not added */
	ctx->used += n;
	ctx->count++;
	ctx->last_cookie = cookie;
	return 0;
}
