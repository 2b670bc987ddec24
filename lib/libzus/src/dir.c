// SPDX-License-Identifier: BSD-2-Clause
/*
 * dir.c - the plugin-facing half of readdir: host->dir_emit() checks each
 * entry (name, type, inode, cookie order) so a buggy plugin cannot send
 * the kernel a malformed record, then lets the transport encode it; and
 * the check of what readdir returned (ZUS_DIR_EOF is explicit).
 */
#include <errno.h>
#include <string.h>

#include "zus_i.h"

int zus_dir_emit(struct zus_dir_ctx *ctx, const char *name, size_t namelen,
		 zus_ino_t ino, unsigned int type, uint64_t cookie)
{
	size_t n;

	if (!ctx || !zus_name_valid(name, namelen) || !ino ||
	    !zus_dt_valid(type) || cookie < ZUS_DIR_COOKIE_FIRST ||
	    cookie >= (1ULL << 63))
		return -EINVAL;
	/* Cookies grow: a reply whose entries go back would make the
	 * kernel's readdir loop (the kernel refuses it too). */
	if (ctx->count && cookie <= ctx->last_cookie)
		return -EINVAL;
	if (ctx->full)
		return 1;
	n = ctx->encode(ctx, name, namelen, ino, type, cookie);
	if (!n) {
		ctx->full = true;
		return 1;		/* full: not added */
	}
	ctx->used += n;
	ctx->count++;
	ctx->last_cookie = cookie;
	return 0;
}

int zus_readdir_result(const struct zus_dir_ctx *ctx, int ret, bool *eof)
{
	*eof = false;
	if (ret == ZUS_DIR_EOF) {
		*eof = true;
		return 0;
	}
	if (ret < 0)
		return zus_errno_ok(ret) ? ret : -EIO;
	if (ret == 0 && ctx->full)
		return 0;
	if (ret == 0)
		zus_err("readdir returned 0 but the reply was not full: return ZUS_DIR_EOF at the end of a directory (plugin bug)");
	else
		zus_err("readdir returned %d, not ZUS_DIR_EOF, 0 or -errno (plugin bug)",
			ret);
	return -EIO;
}
