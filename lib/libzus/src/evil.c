// SPDX-License-Identifier: BSD-2-Clause
/*
 * evil.c - "evil server" mode, for testing the kernel's validation of
 * server replies. Only with zusd --evil: a mount option evil=LIST (or
 * ZUSD_EVIL=LIST for every mount) selects deliberately broken replies for
 * that superblock. The dispatcher applies them after encoding a correct
 * reply (see dispatch.c); exit_OP/hang_OP act before the op runs.
 * LIST is '+' separated; see zusd(8).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zus_i.h"

#if ZUS_WITH_EVIL

bool zus_evil_allowed;

static const struct {
	const char *name;
	uint32_t flag;
} evil_names[] = {
	{ "ino0",	 ZUS_EVIL_INO0 },
	{ "bad_mode",	 ZUS_EVIL_BAD_MODE },
	{ "type_flip",	 ZUS_EVIL_TYPE_FLIP },
	{ "slash_name",	 ZUS_EVIL_SLASH_NAME },
	{ "dot_name",	 ZUS_EVIL_DOT_NAME },
	{ "bad_dirent",	 ZUS_EVIL_BAD_DIRENT },
	{ "big_len",	 ZUS_EVIL_BIG_LEN },
	{ "big_read",	 ZUS_EVIL_BIG_READ },
	{ "short_reply", ZUS_EVIL_SHORT_REPLY },
};

static int parse_op(const char *s)
{
	if (!strcmp(s, "any"))
		return ZUS_EVIL_OP_ANY;
	return zus_op_by_name(s);
}

int zus_evil_parse(const char *list, struct zus_evil *ev)
{
	char *copy = strdup(list), *tok, *save = NULL;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, "+", &save); tok && !err;
	     tok = strtok_r(NULL, "+", &save)) {
		size_t i;

		for (i = 0; i < sizeof(evil_names) / sizeof(evil_names[0]); i++)
			if (!strcmp(tok, evil_names[i].name))
				break;
		if (i < sizeof(evil_names) / sizeof(evil_names[0])) {
			ev->flags |= evil_names[i].flag;
		} else if (!strncmp(tok, "exit_", 5) &&
			   parse_op(tok + 5) != ZUS_EVIL_OP_NONE) {
			ev->exit_op = parse_op(tok + 5);
		} else if (!strncmp(tok, "hang_", 5) &&
			   parse_op(tok + 5) != ZUS_EVIL_OP_NONE) {
			ev->hang_op = parse_op(tok + 5);
		} else {
			zus_err("evil: unknown behaviour '%s'", tok);
			err = -EINVAL;
		}
	}
	free(copy);
	return err;
}

int zus_evil_take_option(char *options, struct zus_evil *ev)
{
	const char *env = getenv("ZUSD_EVIL");
	char *p = options, *end;
	int err;

	ev->flags = 0;
	ev->exit_op = ev->hang_op = ZUS_EVIL_OP_NONE;
	if (zus_evil_allowed && env && *env) {
		err = zus_evil_parse(env, ev);
		if (err)
			return err;
	}
	/* Find "evil=" at the start of an option and cut that option out. */
	while (p && *p) {
		end = strchr(p, ',');
		if (!strncmp(p, "evil=", 5)) {
			size_t len = end ? (size_t)(end - p) : strlen(p);
			char val[256];

			if (!zus_evil_allowed) {
				zus_err("mount option evil= needs zusd --evil");
				return -EINVAL;
			}
			if (len - 5 >= sizeof(val))
				return -EINVAL;
			memcpy(val, p + 5, len - 5);
			val[len - 5] = '\0';
			err = zus_evil_parse(val, ev);
			if (err)
				return err;
			if (end) {
				memmove(p, end + 1, strlen(end + 1) + 1);
				continue;	/* the next option is at p now */
			}
			/* the last option: cut it, and the ',' before it */
			*p = '\0';
			if (p > options)
				p[-1] = '\0';
			break;
		}
		p = end ? end + 1 : NULL;
	}
	ev->active = ev->flags || ev->exit_op != ZUS_EVIL_OP_NONE ||
		     ev->hang_op != ZUS_EVIL_OP_NONE;
	if (ev->active)
		zus_warn("evil mode for this mount: flags 0x%x exit_op %d hang_op %d",
			 ev->flags, ev->exit_op, ev->hang_op);
	return 0;
}

void zus_evil_trap(const struct zus_evil *ev, int op)
{
	if (ev->exit_op == ZUS_EVIL_OP_ANY || ev->exit_op == op) {
		zus_warn("evil: exiting inside the handler of op %d", op);
		_exit(3);
	}
	if (ev->hang_op == ZUS_EVIL_OP_ANY || ev->hang_op == op) {
		zus_warn("evil: hanging inside the handler of op %d", op);
		for (;;)
			pause();
	}
}

#ifdef ZUS_NO_PROTOCOL
/* Built without <linux/zufs.h>: no opcodes to name. */
int zus_op_by_name(const char *name)
{
	return ZUS_EVIL_OP_NONE;
}
#endif

#endif /* ZUS_WITH_EVIL */
