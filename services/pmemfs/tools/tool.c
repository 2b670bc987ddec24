// SPDX-License-Identifier: BSD-2-Clause
/*
 * tool.c - helpers of the pmemfs tools (see tool.h).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "tool.h"

int tool_open(const char *prog, const char *path, bool shared,
	      struct tool_media *tm)
{
	int fd, err;

	tm->m = NULL;
	tm->lock_fd = -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "%s: cannot open %s: %s\n", prog, path,
			strerror(errno));
		return err;
	}
	if (flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		if (err == -EBUSY)
			fprintf(stderr, "%s: %s is in use (mounted by zusd, or another pmemfs tool runs on it)\n",
				prog, path);
		else
			fprintf(stderr, "%s: cannot lock %s: %s\n", prog,
				path, strerror(-err));
		close(fd);
		return err;
	}
	err = pm_media_open(path, &tm->m);
	if (err) {
		fprintf(stderr, "%s: cannot map %s: %s\n", prog, path,
			strerror(-err));
		close(fd);
		tm->m = NULL;
		return err;
	}
	tm->lock_fd = fd;
	return 0;
}

void tool_close(struct tool_media *tm)
{
	if (tm->m)
		pm_media_close(tm->m);
	if (tm->lock_fd >= 0)
		close(tm->lock_fd);
	tm->m = NULL;
	tm->lock_fd = -1;
}

int tool_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno)
		return -EINVAL;
	switch (tolower((unsigned char)*end)) {
	case '\0':
		break;
	case 'k':
		shift = 10;
		break;
	case 'm':
		shift = 20;
		break;
	case 'g':
		shift = 30;
		break;
	case 't':
		shift = 40;
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1] && strcasecmp(end + 1, "ib") && strcasecmp(end + 1, "b"))
		return -EINVAL;
	if (shift && v > (~0ULL >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int tool_parse_uuid(const char *s, uint8_t uuid[16])
{
	size_t i, n = 0;

	if (strlen(s) != 36)
		return -EINVAL;
	for (i = 0; i < 36; i++) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		hi = hexval((unsigned char)s[i]);
		lo = hexval((unsigned char)s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		uuid[n++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	return n == 16 ? 0 : -EINVAL;
}

void tool_format_uuid(const uint8_t u[16], char *buf)
{
	snprintf(buf, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}
