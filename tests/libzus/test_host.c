// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_host.c - the services of struct zus_host that a plugin calls
 * without any transport: parse_size, opt_parse, dir_emit (and what the
 * host makes of readdir's return), log. Their error returns are part of
 * the plugin ABI (zus.h); a plugin relies on each of them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "zus_i.h"

static const struct zus_host *h = &zus_host;

static void parse_size(void **state)
{
	uint64_t v = 77;

	(void)state;
	assert_int_equal(h->parse_size("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(h->parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(h->parse_size("8k", &v), 0);
	assert_int_equal(v, 8192);
	assert_int_equal(h->parse_size("256M", &v), 0);
	assert_int_equal(v, 256ULL << 20);
	assert_int_equal(h->parse_size("3g", &v), 0);
	assert_int_equal(v, 3ULL << 30);
	assert_int_equal(h->parse_size("2T", &v), 0);
	assert_int_equal(v, 2ULL << 40);
	assert_int_equal(h->parse_size("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);

	/* not a size: -EINVAL, *out untouched */
	v = 77;
	assert_int_equal(h->parse_size("", &v), -EINVAL);
	assert_int_equal(h->parse_size("k", &v), -EINVAL);
	assert_int_equal(h->parse_size("-1", &v), -EINVAL);
	assert_int_equal(h->parse_size("+1", &v), -EINVAL);
	assert_int_equal(h->parse_size(" 1", &v), -EINVAL);
	assert_int_equal(h->parse_size("12x", &v), -EINVAL);
	assert_int_equal(h->parse_size("12kb", &v), -EINVAL);
	assert_int_equal(h->parse_size("1 ", &v), -EINVAL);
	assert_int_equal(h->parse_size("0x10", &v), -EINVAL);
	assert_int_equal(h->parse_size(NULL, &v), -EINVAL);
	assert_int_equal(h->parse_size("1", NULL), -EINVAL);
	assert_int_equal(v, 77);

	/* too big for 64 bits: -ERANGE */
	assert_int_equal(h->parse_size("18446744073709551616", &v), -ERANGE);
	assert_int_equal(h->parse_size("99999999999999999999999", &v),
			 -ERANGE);
	/* 2^64 >> 30 = 17179869184 */
	assert_int_equal(h->parse_size("17179869183g", &v), 0);
	assert_int_equal(h->parse_size("17179869184g", &v), -ERANGE);
	assert_int_equal(h->parse_size("16777216t", &v), -ERANGE);
	assert_int_equal(h->parse_size("18014398509481984k", &v), -ERANGE);
}

struct seen {
	int n;
	char key[8][300];
	char val[8][4200];
	bool has_val[8];
	int fail_at;			/* 1-based item whose fn fails */
};

static int record(void *arg, const char *key, const char *value)
{
	struct seen *s = arg;

	if (s->n == 8)
		return -E2BIG;
	snprintf(s->key[s->n], sizeof(s->key[0]), "%s", key);
	s->has_val[s->n] = value != NULL;
	snprintf(s->val[s->n], sizeof(s->val[0]), "%s", value ? value : "");
	s->n++;
	return s->n == s->fail_at ? -EPERM : 0;
}

static int parse(const char *opts, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	return h->opt_parse(opts, record, s);
}

static void opt_parse(void **state)
{
	char *big = malloc(8192);
	struct seen s;

	(void)state;
	assert_non_null(big);

	/* empty strings and empty items: nothing */
	assert_int_equal(parse("", &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(parse(",,,", &s), 0);
	assert_int_equal(s.n, 0);

	/* flags, values, empty values, empty items between */
	assert_int_equal(parse("ro,,size=8m,name=,x", &s), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.key[0], "ro");
	assert_false(s.has_val[0]);
	assert_string_equal(s.key[1], "size");
	assert_string_equal(s.val[1], "8m");
	assert_string_equal(s.key[2], "name");
	assert_true(s.has_val[2]);
	assert_string_equal(s.val[2], "");
	assert_string_equal(s.key[3], "x");

	/* escapes: "\," and "\=" are literal, "\\" one backslash, only the
	 * first unescaped '=' splits; a trailing lone backslash is kept */
	assert_int_equal(parse("a\\,b=c\\,d,k\\=1=v=w,p=q\\\\,t\\", &s), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.key[0], "a,b");
	assert_string_equal(s.val[0], "c,d");
	assert_string_equal(s.key[1], "k=1");
	assert_string_equal(s.val[1], "v=w");
	assert_string_equal(s.key[2], "p");
	assert_string_equal(s.val[2], "q\\");
	assert_string_equal(s.key[3], "t\\");

	/* no key: -EINVAL, and the items before it were seen */
	assert_int_equal(parse("a,=x,b", &s), -EINVAL);
	assert_int_equal(s.n, 1);

	/* a key of 255 bytes is fine, 256 is not */
	memset(big, 'k', 255);
	big[255] = '\0';
	assert_int_equal(parse(big, &s), 0);
	assert_int_equal(strlen(s.key[0]), 255);
	memset(big, 'k', 256);
	big[256] = '\0';
	assert_int_equal(parse(big, &s), -EINVAL);
	assert_int_equal(s.n, 0);

	/* a value of 4095 bytes is fine, 4096 is not (escapes count once) */
	memcpy(big, "v=", 2);
	memset(big + 2, 'x', 4095);
	big[4097] = '\0';
	assert_int_equal(parse(big, &s), 0);
	assert_int_equal(strlen(s.val[0]), 4095);
	memset(big + 2, 'x', 4096);
	big[4098] = '\0';
	assert_int_equal(parse(big, &s), -EINVAL);
	memcpy(big + 2, "\\,", 2);	/* 4096 raw, an escaped , counts once */
	assert_int_equal(parse(big, &s), 0);
	assert_int_equal(strlen(s.val[0]), 4095);
	assert_int_equal(s.val[0][0], ',');

	/* the callback's error stops the walk and is returned */
	memset(&s, 0, sizeof(s));
	s.fail_at = 2;
	assert_int_equal(h->opt_parse("a,b,c", record, &s), -EPERM);
	assert_int_equal(s.n, 2);

	assert_int_equal(h->opt_parse(NULL, record, &s), -EINVAL);
	assert_int_equal(h->opt_parse("a", NULL, &s), -EINVAL);
	free(big);
}

/* An encoder that takes entries of namelen + 8 bytes into cap. */
static size_t enc(struct zus_dir_ctx *ctx, const char *name, size_t namelen,
		  zus_ino_t ino, unsigned int type, uint64_t cookie)
{
	(void)name;
	(void)ino;
	(void)type;
	(void)cookie;
	if (ctx->used + namelen + 8 > ctx->cap)
		return 0;
	return namelen + 8;
}

static void dir_emit(void **state)
{
	struct zus_dir_ctx c = { .cap = 32, .encode = enc };
	char name[ZUS_NAME_MAX + 2];
	bool eof;

	(void)state;
	memset(name, 'n', sizeof(name));

	/* malformed entries: -EINVAL, nothing added */
	assert_int_equal(h->dir_emit(&c, "", 0, 5, ZUS_DT_REG, 3), -EINVAL);
	assert_int_equal(h->dir_emit(&c, ".", 1, 5, ZUS_DT_DIR, 3), -EINVAL);
	assert_int_equal(h->dir_emit(&c, "..", 2, 5, ZUS_DT_DIR, 3), -EINVAL);
	assert_int_equal(h->dir_emit(&c, "a/b", 3, 5, ZUS_DT_REG, 3),
			 -EINVAL);
	assert_int_equal(h->dir_emit(&c, "a\0b", 3, 5, ZUS_DT_REG, 3),
			 -EINVAL);
	assert_int_equal(h->dir_emit(&c, name, ZUS_NAME_MAX + 1, 5,
				     ZUS_DT_REG, 3), -EINVAL);
	assert_int_equal(h->dir_emit(&c, NULL, 1, 5, ZUS_DT_REG, 3), -EINVAL);
	assert_int_equal(h->dir_emit(&c, "a", 1, 0, ZUS_DT_REG, 3), -EINVAL);
	assert_int_equal(h->dir_emit(&c, "a", 1, 5, 3, 3), -EINVAL);
	assert_int_equal(h->dir_emit(&c, "a", 1, 5, 15, 3), -EINVAL);
	assert_int_equal(h->dir_emit(&c, "a", 1, 5, ZUS_DT_REG,
				     ZUS_DIR_COOKIE_FIRST - 1), -EINVAL);
	assert_int_equal(h->dir_emit(&c, "a", 1, 5, ZUS_DT_REG, 1ULL << 63),
			 -EINVAL);
	assert_int_equal(h->dir_emit(NULL, "a", 1, 5, ZUS_DT_REG, 3), -EINVAL);
	assert_int_equal(c.count, 0);
	assert_int_equal(c.used, 0);

	/* a good one; a 255-byte name is a name */
	assert_int_equal(h->dir_emit(&c, "a", 1, 5, ZUS_DT_REG, 10), 0);
	assert_int_equal(c.count, 1);
	/* cookies must grow */
	assert_int_equal(h->dir_emit(&c, "b", 1, 6, ZUS_DT_REG, 10), -EINVAL);
	assert_int_equal(h->dir_emit(&c, "b", 1, 6, ZUS_DT_REG, 9), -EINVAL);
	assert_int_equal(h->dir_emit(&c, "bb", 2, 6, ZUS_DT_UNKNOWN, 11), 0);
	assert_int_equal(c.count, 2);
	/* full: 1, not added, and from then on 1 */
	assert_int_equal(h->dir_emit(&c, "ccccccccc", 9, 7, ZUS_DT_DIR, 12),
			 1);
	assert_true(c.full);
	assert_int_equal(h->dir_emit(&c, "d", 1, 8, ZUS_DT_LNK, 13), 1);
	assert_int_equal(c.count, 2);
	assert_int_equal(c.used, 9 + 10);
	/* a full reply ends with 0 (more to come) or ZUS_DIR_EOF */
	assert_int_equal(zus_readdir_result(&c, 0, &eof), 0);
	assert_false(eof);
	assert_int_equal(zus_readdir_result(&c, ZUS_DIR_EOF, &eof), 0);
	assert_true(eof);

	/* a reply that is not full must say ZUS_DIR_EOF: 0 is a plugin bug */
	memset(&c, 0, sizeof(c));
	c.cap = 4096;
	c.encode = enc;
	assert_int_equal(h->dir_emit(&c, name, ZUS_NAME_MAX, 5, ZUS_DT_REG,
				     3), 0);
	assert_int_equal(zus_readdir_result(&c, 0, &eof), -EIO);
	assert_int_equal(zus_readdir_result(&c, 2, &eof), -EIO);
	assert_int_equal(zus_readdir_result(&c, -ENOTDIR, &eof), -ENOTDIR);
	assert_false(eof);
	assert_int_equal(zus_readdir_result(&c, -100000, &eof), -EIO);
}

/* host->log: one line per message on stderr, "zusd: LEVEL: text",
 * filtered by zus_log_level; a long message is cut, not overrun. */
static void log_lines(void **state)
{
	char path[] = "/tmp/test_host_log.XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	char *big = malloc(3000), buf[8192];
	int level = zus_log_level;
	ssize_t n;

	(void)state;
	assert_true(fd >= 0 && saved >= 0 && big);
	unlink(path);
	memset(big, 'z', 2999);
	big[2999] = '\0';
	unsetenv("JOURNAL_STREAM");
	fflush(stderr);
	assert_true(dup2(fd, 2) == 2);
	zus_log_level = ZUS_LOG_NOTICE;
	h->log(ZUS_LOG_ERR, "plugin says %d", 42);
	h->log(ZUS_LOG_INFO, "too chatty");
	h->log(ZUS_LOG_NOTICE, "%s", big);
	zus_log_level = ZUS_LOG_DEBUG;
	h->log(ZUS_LOG_DEBUG, "now shown");
	h->log(99, "clamped");
	fflush(stderr);
	assert_true(dup2(saved, 2) == 2);
	close(saved);
	zus_log_level = level;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "zusd: error: plugin says 42\n"));
	assert_null(strstr(buf, "too chatty"));
	assert_non_null(strstr(buf, "zusd: debug: now shown\n"));
	assert_non_null(strstr(buf, "zusd: debug: clamped\n"));
	/* the long one: cut to the logger's line, still one line */
	{
		char *l = strstr(buf, "zusd: notice: zzz");
		char *e;

		assert_non_null(l);
		e = strchr(l, '\n');
		assert_non_null(e);
		assert_true(e - l < 1100 && e - l > 1000);
	}
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_size),
		cmocka_unit_test(opt_parse),
		cmocka_unit_test(dir_emit),
		cmocka_unit_test(log_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
