/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tool.h - what mkfs.pmemfs, fsck.pmemfs and pmemfs-stat share: opening
 * the media under the same exclusive lock the plugin holds while it is
 * mounted, sizes with suffixes, UUIDs.
 */
#ifndef PMEMFS_TOOL_H
#define PMEMFS_TOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "pmemfs.h"

struct tool_media {
	struct pm_media *m;
	int lock_fd;
};

/*
 * Lock @path (flock: LOCK_EX, or LOCK_SH when @shared) without waiting,
 * then map it. Prints why on failure (prog: the message prefix) and
 * returns -errno; -EBUSY when it is mounted or in use by another tool.
 */
int tool_open(const char *prog, const char *path, bool shared,
	      struct tool_media *tm);
void tool_close(struct tool_media *tm);

/* "123", "64k", "512M", "2g", "1t" (powers of 1024). 0 or -EINVAL. */
int tool_parse_size(const char *s, uint64_t *out);
/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". 0 or -EINVAL. */
int tool_parse_uuid(const char *s, uint8_t uuid[16]);
/* buf: at least 37 bytes. */
void tool_format_uuid(const uint8_t uuid[16], char *buf);

#endif /* PMEMFS_TOOL_H */
