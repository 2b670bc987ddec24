// SPDX-License-Identifier: BSD-2-Clause
/*
 * log.c - the logger of zusd, and of plugins through host->log: one line
 * per message on stderr, filtered by level. Under systemd (JOURNAL_STREAM set) lines carry
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

void zus_vlog(int level, const char *fmt, va_list ap)
{
	static int journal = -1;
	char line[1024];

	if (level < 0)
		level = 0;
	if (level > ZUS_LOG_DEBUG)
		level = ZUS_LOG_DEBUG;
	if (level > zus_log_level)
		return;
	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") != NULL;

	vsnprintf(line, sizeof(line), fmt, ap);
	/* One fprintf per line: stdio locks the stream, lines do not mix. */
	if (journal)
		fprintf(stderr, "<%d>%s\n", level, line);
	else
		fprintf(stderr, "zusd: %s: %s\n", level_names[level], line);
}

void zus_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	zus_vlog(level, fmt, ap);
	va_end(ap);
}
