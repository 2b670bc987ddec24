// SPDX-License-Identifier: BSD-2-Clause
/*
 * sqlproxy protocol codec: round trips, every truncation length, random
 * corruption, hostile lengths. Decoders must fail cleanly (-EBADMSG,
 * -E2BIG, -EINVAL) and never read outside the message (run under ASan
 * when the build enables it).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "sqlproxy_proto.h"

static const char blob[] = { 0, 1, 2, 3, (char)0xff };

static const struct sqlp_value params[] = {
	{ .type = SQLP_T_NULL },
	{ .type = SQLP_T_INT, .i = -42 },
	{ .type = SQLP_T_FLOAT, .d = 2.5 },
	{ .type = SQLP_T_TEXT, .s = { "héllo", 6 } },
	{ .type = SQLP_T_BLOB, .s = { blob, sizeof(blob) } },
	{ .type = SQLP_T_TEXT, .s = { "", 0 } },
};
#define NPARAMS (sizeof(params) / sizeof(params[0]))
static const char sql[] = "SELECT ?1, ?2, ?3, ?4, ?5, ?6";

static size_t encode(uint8_t *buf, size_t cap)
{
	struct sqlp_wbuf w = { .p = buf, .cap = cap };
	int n = sqlp_exec_encode(&w, sql, strlen(sql), params, NPARAMS);

	assert_true(n > 0);
	assert_int_equal((size_t)n, w.len);
	return w.len;
}

/* Decode a whole EXEC body; 0 or the first error. */
static int decode(const uint8_t *buf, size_t len, struct sqlp_value *out)
{
	struct sqlp_rbuf r = { .p = buf, .len = len };
	const char *s;
	uint32_t sl;
	uint16_t np, i;
	int ret;

	ret = sqlp_exec_decode(&r, &s, &sl, &np);
	if (ret)
		return ret;
	if (sl > len || s < (const char *)buf || s + sl > (const char *)buf + len)
		return -999;	/* must never happen */
	for (i = 0; i < np; i++) {
		struct sqlp_value v;

		ret = sqlp_get_value(&r, &v);
		if (ret)
			return ret;
		if ((v.type == SQLP_T_TEXT || v.type == SQLP_T_BLOB) &&
		    ((const uint8_t *)v.s.p < buf ||
		     (const uint8_t *)v.s.p + v.s.len > buf + len))
			return -999;
		if (out && i < NPARAMS)
			out[i] = v;
	}
	return r.off == len ? 0 : -EBADMSG;
}

static void test_roundtrip(void **state)
{
	uint8_t buf[512];
	struct sqlp_value v[NPARAMS];
	size_t len = encode(buf, sizeof(buf)), i;

	assert_int_equal(decode(buf, len, v), 0);
	for (i = 0; i < NPARAMS; i++) {
		assert_int_equal(v[i].type, params[i].type);
		switch (v[i].type) {
		case SQLP_T_INT:
			assert_int_equal(v[i].i, params[i].i);
			break;
		case SQLP_T_FLOAT:
			assert_true(v[i].d == params[i].d);
			break;
		case SQLP_T_TEXT:
		case SQLP_T_BLOB:
			assert_int_equal(v[i].s.len, params[i].s.len);
			assert_memory_equal(v[i].s.p, params[i].s.p, v[i].s.len);
			break;
		default:
			break;
		}
	}
}

static void test_encode_nospace(void **state)
{
	uint8_t buf[512];
	size_t full = encode(buf, sizeof(buf)), cap;

	for (cap = 0; cap < full; cap++) {
		struct sqlp_wbuf w = { .p = buf, .cap = cap };

		assert_int_equal(sqlp_exec_encode(&w, sql, strlen(sql), params,
						  NPARAMS), -ENOSPC);
		assert_int_equal(w.len, 0);	/* nothing half-written */
	}
}

static void test_every_truncation(void **state)
{
	uint8_t buf[512], *copy;
	size_t len = encode(buf, sizeof(buf)), n;

	for (n = 0; n < len; n++) {
		/* exact-size heap copy: ASan catches any over-read */
		copy = malloc(n ? n : 1);
		memcpy(copy, buf, n);
		assert_int_equal(decode(copy, n, NULL), -EBADMSG);
		free(copy);
	}
}

static void test_random_corruption(void **state)
{
	uint8_t buf[512], *copy;
	size_t len = encode(buf, sizeof(buf));
	int i, ret, ok = 0, bad = 0;

	srand(1);
	for (i = 0; i < 200000; i++) {
		copy = malloc(len);
		memcpy(copy, buf, len);
		copy[rand() % len] = (uint8_t)rand();
		if (rand() & 1)
			copy[rand() % len] ^= (uint8_t)(1u << (rand() % 8));
		ret = decode(copy, len, NULL);
		assert_int_not_equal(ret, -999);
		assert_true(ret == 0 || ret == -EBADMSG || ret == -E2BIG ||
			    ret == -EINVAL);
		ret ? bad++ : ok++;
		free(copy);
	}
	assert_true(bad > 0);	/* corruption is noticed... */
	assert_true(ok > 0);	/* ...and value bytes are just values */
}

static void test_hostile_lengths(void **state)
{
	uint8_t buf[64] = { 0 };
	struct sqlp_rbuf r = { .p = buf, .len = sizeof(buf) };
	struct sqlp_exec_hdr eh = { .sql_len = 0xffffffffu, .nparams = 1 };
	struct sqlp_value v;
	const char *s;
	uint32_t sl, big = SQLP_MAX_VALUE + 1, huge = 60;
	uint16_t np;

	memcpy(buf, &eh, sizeof(eh));
	assert_int_equal(sqlp_exec_decode(&r, &s, &sl, &np), -E2BIG);
	assert_int_equal(r.off, 0);
	eh.sql_len = 4;
	eh.nparams = SQLP_MAX_PARAMS + 1;
	memcpy(buf, &eh, sizeof(eh));
	assert_int_equal(sqlp_exec_decode(&r, &s, &sl, &np), -E2BIG);
	eh.nparams = 1;
	eh.reserved = 1;
	memcpy(buf, &eh, sizeof(eh));
	assert_int_equal(sqlp_exec_decode(&r, &s, &sl, &np), -EINVAL);

	/* a TEXT claiming more than SQLP_MAX_VALUE, and more than is there */
	buf[0] = SQLP_T_TEXT;
	memcpy(buf + 1, &big, 4);
	r.off = 0;
	assert_int_equal(sqlp_get_value(&r, &v), -E2BIG);
	memcpy(buf + 1, &huge, 4);
	assert_int_equal(sqlp_get_value(&r, &v), -EBADMSG);
	assert_int_equal(r.off, 0);
	buf[0] = 77;	/* unknown type */
	assert_int_equal(sqlp_get_value(&r, &v), -EINVAL);
}

static void test_req_check(void **state)
{
	struct sqlp_req_hdr h = {
		.magic = SQLP_MAGIC,
		.version = SQLP_VERSION_MAJOR << 8 | SQLP_VERSION_MINOR,
		.op = SQLP_OP_EXEC,
	};
	struct sqlp_req_hdr t;

	assert_int_equal(sqlp_req_check(&h), 0);
	t = h; t.magic ^= 1;
	assert_int_equal(sqlp_req_check(&t), -EBADMSG);
	t = h; t.version = (SQLP_VERSION_MAJOR + 1) << 8;
	assert_int_equal(sqlp_req_check(&t), -EPROTONOSUPPORT);
	t = h; t.version |= 0x7f;	/* newer minor: accepted */
	assert_int_equal(sqlp_req_check(&t), 0);
	t = h; t.op = 0;
	assert_int_equal(sqlp_req_check(&t), -EOPNOTSUPP);
	t = h; t.op = SQLP_OP_LAST;
	assert_int_equal(sqlp_req_check(&t), -EOPNOTSUPP);
	t = h; t.flags = 1u << 7;
	assert_int_equal(sqlp_req_check(&t), -EINVAL);
	t = h; t.reserved0 = 1;
	assert_int_equal(sqlp_req_check(&t), -EINVAL);
	t = h; t.body_len = SQLP_MAX_BODY + 1;
	assert_int_equal(sqlp_req_check(&t), -E2BIG);
	t = h; t.result_cap = SQLP_MAX_RESULT + 1;
	assert_int_equal(sqlp_req_check(&t), -E2BIG);
}

static void test_columns(void **state)
{
	uint8_t buf[64];
	struct sqlp_wbuf w = { .p = buf, .cap = sizeof(buf) };
	struct sqlp_rbuf r;
	const char *n, *d;
	uint16_t nl, dl;
	size_t len, k;

	assert_int_equal(sqlp_put_column(&w, "id", "INTEGER"), 0);
	assert_int_equal(sqlp_put_column(&w, "v", NULL), 0);
	len = w.len;
	r = (struct sqlp_rbuf){ .p = buf, .len = len };
	assert_int_equal(sqlp_get_column(&r, &n, &nl, &d, &dl), 0);
	assert_int_equal(nl, 2);
	assert_memory_equal(n, "id", 2);
	assert_int_equal(dl, 7);
	assert_int_equal(sqlp_get_column(&r, &n, &nl, &d, &dl), 0);
	assert_int_equal(dl, 0);
	for (k = 0; k < len; k++) {
		r = (struct sqlp_rbuf){ .p = buf, .len = k };
		if (sqlp_get_column(&r, &n, &nl, &d, &dl) == 0)
			assert_true(sqlp_get_column(&r, &n, &nl, &d, &dl) ==
				    -EBADMSG);
	}
}

static void test_reply_check(void **state)
{
	struct sqlp_reply_hdr h = { .magic = SQLP_MAGIC, .result_len = 100 };

	assert_int_equal(sqlp_reply_check(&h, 100), 0);
	assert_int_equal(sqlp_reply_check(&h, 99), -EBADMSG);
	h.status = -EMSGSIZE;	/* result_len is the size needed then */
	assert_int_equal(sqlp_reply_check(&h, 10), 0);
	h.magic = 0;
	assert_int_equal(sqlp_reply_check(&h, 100), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_encode_nospace),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_random_corruption),
		cmocka_unit_test(test_hostile_lengths),
		cmocka_unit_test(test_req_check),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_reply_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
