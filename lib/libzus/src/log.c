// SPDX-License-Identifier: BSD-2-Clause
/*
 * log.c - the logger plugins and zusd share: one line per message on
 * stderr, filtered by level. Under systemd (JOURNAL_STREAM set) lines carry
 * a "<N>" priority prefix the journal understands; otherwise a level name.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zus_i.h"

int zus_log_level = ZUS_LOG_NOTICE;

static const char *const level_names[] = {
	[0] = "emerg", [1] = "alert", [2] = "crit", [ZUS_LOG_ERR] = "error",
	[ZUS_LOG_WARNING] = "warning", [ZUS_LOG_NOTICE] = "notice",
	[ZUS_LOG_INFO] = "info", [ZUS_LOG_DEBUG] = "debug",
};

ZUS_EXPORT void zus_log(int level, const char *fmt, ...)
{
	static int journal = -1;
	char line[1024];
	va_list ap;

	if (level < 0)
		level = 0;
	if (level > ZUS_LOG_DEBUG)
		level = ZUS_LOG_DEBUG;
	if (level > zus_log_level)
		return;
	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") != NULL;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line: stdio locks the stream, lines do not mix. */
	if (journal)
		fprintf(stderr, "<%d>%s\n", level, line);
	else
		fprintf(stderr, "zusd: %s: %s\n", level_names[level], line);
}
