// SPDX-License-Identifier: BSD-2-Clause
/*
 * Check the hand-written tracepoint records of ucchan_top.h against the
 * running module's format files, field by field (offset and size), so that
 * a changed tracepoint is refused instead of read wrongly.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ucchan_top_i.h"

struct ut_field {
	const char *event;
	const char *field;
	size_t offset;
	size_t size;
};

#define UT_F(ev, type, f) \
	{ ev, #f, offsetof(struct type, f), sizeof(((struct type *)0)->f) }

static const struct ut_field ut_fields[] = {
	UT_F("ucchan_call_issue", ut_tp_issue, service_id),
	UT_F("ucchan_call_issue", ut_tp_issue, service),
	UT_F("ucchan_call_issue", ut_tp_issue, call_id),
	UT_F("ucchan_call_issue", ut_tp_issue, client_id),
	UT_F("ucchan_call_issue", ut_tp_issue, cpu),
	UT_F("ucchan_call_issue", ut_tp_issue, target_cpu),
	UT_F("ucchan_call_issue", ut_tp_issue, req_len),
	UT_F("ucchan_call_issue", ut_tp_issue, nr_bufs),
	UT_F("ucchan_call_issue", ut_tp_issue, map_bytes),
	UT_F("ucchan_call_reply", ut_tp_reply, service_id),
	UT_F("ucchan_call_reply", ut_tp_reply, service),
	UT_F("ucchan_call_reply", ut_tp_reply, call_id),
	UT_F("ucchan_call_reply", ut_tp_reply, cpu),
	UT_F("ucchan_call_reply", ut_tp_reply, client_cpu),
	UT_F("ucchan_call_reply", ut_tp_reply, status),
	UT_F("ucchan_call_reply", ut_tp_reply, reply_len),
	UT_F("ucchan_call_reply", ut_tp_reply, latency_ns),
	UT_F("ucchan_call_fallback", ut_tp_fallback, service_id),
	UT_F("ucchan_call_fallback", ut_tp_fallback, service),
	UT_F("ucchan_call_fallback", ut_tp_fallback, from_cpu),
	UT_F("ucchan_call_fallback", ut_tp_fallback, to_cpu),
	UT_F("ucchan_call_busy", ut_tp_busy, service_id),
	UT_F("ucchan_call_busy", ut_tp_busy, service),
	UT_F("ucchan_call_busy", ut_tp_busy, cpu),
	UT_F("ucchan_bounce", ut_tp_bounce, service_id),
	UT_F("ucchan_bounce", ut_tp_bounce, service),
	UT_F("ucchan_bounce", ut_tp_bounce, bytes),
	UT_F("ucchan_call_abort", ut_tp_abort, service_id),
	UT_F("ucchan_call_abort", ut_tp_abort, service),
	UT_F("ucchan_call_abort", ut_tp_abort, error),
};

/*
 * Find "field:<type> <name>[<n>];\toffset:<o>;\tsize:<s>;" for @name in the
 * format file text @fmt. Returns 0 and fills @off/@size, or -1.
 */
static int ut_find_field(const char *fmt, const char *name, size_t *off,
			 size_t *size)
{
	const char *line = fmt;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		const char *decl = strstr(line, "field:");
		char *semi;
		char buf[256];
		size_t len;

		if (!end)
			end = line + strlen(line);
		len = (size_t)(end - line);
		if (decl && decl < end && len < sizeof(buf)) {
			unsigned long o, s;
			char *p, *q;

			memcpy(buf, line, len);
			buf[len] = '\0';
			semi = strchr(buf + (decl - line), ';');
			p = strstr(buf, "offset:");
			q = strstr(buf, "size:");
			if (semi && p && q) {
				const char *nm;
				size_t nl;
				char *br;

				*semi = '\0';
				br = strchr(buf + (decl - line), '[');
				if (br)
					*br = '\0';
				nm = strrchr(buf + (decl - line), ' ');
				nm = nm ? nm + 1 : buf + (decl - line) + 6;
				nl = strlen(nm);
				if (nl == strlen(name) && !memcmp(nm, name, nl) &&
				    sscanf(p, "offset:%lu", &o) == 1 &&
				    sscanf(q, "size:%lu", &s) == 1) {
					*off = o;
					*size = s;
					return 0;
				}
			}
		}
		line = *end ? end + 1 : end;
	}
	return -1;
}

static char *ut_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t cap = 8192, len = 0, n;
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(cap + 1);
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			char *nb = realloc(buf, cap * 2 + 1);

			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

int ut_check_formats(const char *events_dir, char *err, size_t errlen)
{
	const char *cur_event = NULL;
	char *fmt = NULL;
	size_t i;
	int ret = 0;

	for (i = 0; i < sizeof(ut_fields) / sizeof(ut_fields[0]); i++) {
		const struct ut_field *f = &ut_fields[i];
		size_t off, size;

		if (!cur_event || strcmp(cur_event, f->event)) {
			char path[512];

			free(fmt);
			snprintf(path, sizeof(path), "%s/%s/format",
				 events_dir, f->event);
			fmt = ut_read_file(path);
			cur_event = f->event;
			if (!fmt) {
				snprintf(err, errlen, "cannot read %s", path);
				ret = -1;
				break;
			}
		}
		if (ut_find_field(fmt, f->field, &off, &size)) {
			snprintf(err, errlen, "%s: no field '%s'", f->event,
				 f->field);
			ret = -1;
			break;
		}
		if (off != f->offset || size != f->size) {
			snprintf(err, errlen,
				 "%s.%s: kernel has offset %zu size %zu, ucchan-top was built for offset %zu size %zu",
				 f->event, f->field, off, size, f->offset,
				 f->size);
			ret = -1;
			break;
		}
	}
	free(fmt);
	return ret;
}
