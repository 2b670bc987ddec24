// SPDX-License-Identifier: BSD-2-Clause
/*
 * libucchan's logic without a kernel: argument checks, struct copying,
 * cbuf -> ucchan_iov translation, request header -> handler view (window
 * and registered-buffer offsets to pointers), the layout check of
 * WORKER_BIND's answer, CPU lists, and the public functions' error paths
 * that must fail before any system call.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "libucchan_i.h"

static void test_copy_struct(void **state)
{
	struct { uint64_t a, b; } dst;
	unsigned char src[24];

	memset(src, 0x11, sizeof(src));
	/* smaller caller struct: zero-extended */
	assert_int_equal(ucchan__copy_struct(&dst, sizeof(dst), src, 8, 8), 0);
	assert_int_equal(dst.a, 0x1111111111111111ull);
	assert_int_equal(dst.b, 0);
	/* below the minimum */
	assert_int_equal(ucchan__copy_struct(&dst, sizeof(dst), src, 4, 8),
			 -EINVAL);
	assert_int_equal(ucchan__copy_struct(&dst, sizeof(dst), NULL, 16, 8),
			 -EINVAL);
	/* larger caller struct: the unknown tail must be zero */
	assert_int_equal(ucchan__copy_struct(&dst, sizeof(dst), src, 24, 8),
			 -E2BIG);
	memset(src + 16, 0, 8);
	assert_int_equal(ucchan__copy_struct(&dst, sizeof(dst), src, 24, 8), 0);
	assert_int_equal(dst.b, 0x1111111111111111ull);
}

static void test_name_check(void **state)
{
	char longname[UCCHAN_NAME_MAX + 1];

	assert_int_equal(ucchan__name_check("echo"), 0);
	assert_int_equal(ucchan__name_check("a.b_c-D9"), 0);
	assert_int_equal(ucchan__name_check(NULL), -EINVAL);
	assert_int_equal(ucchan__name_check(""), -EINVAL);
	assert_int_equal(ucchan__name_check(".hidden"), -EINVAL);
	assert_int_equal(ucchan__name_check("a/b"), -EINVAL);
	assert_int_equal(ucchan__name_check("sp ace"), -EINVAL);
	memset(longname, 'x', sizeof(longname));
	longname[UCCHAN_NAME_MAX - 1] = 0;	/* 63 bytes: the longest */
	assert_int_equal(ucchan__name_check(longname), 0);
	longname[UCCHAN_NAME_MAX - 1] = 'x';
	longname[UCCHAN_NAME_MAX] = 0;		/* 64 bytes */
	assert_int_equal(ucchan__name_check(longname), -ENAMETOOLONG);
}

static void test_service_create_fill(void **state)
{
	struct ucchan_server_opts o = {
		.size = sizeof(o), .name = "svc", .mode = 0660,
		.max_inline = 8192, .window_size = 1 << 20,
		.regbuf_size = 1 << 21,
	};
	struct ucchan_service_create sc;

	memset(&sc, 0xff, sizeof(sc));
	assert_int_equal(ucchan__service_create_fill(&sc, &o), 0);
	assert_string_equal(sc.name, "svc");
	assert_int_equal(sc.mode, 0660);
	assert_int_equal(sc.slots_per_cpu, UCCHAN_LIB_DEFAULT_SLOTS);
	assert_int_equal(sc.max_inline, 8192);
	assert_int_equal(sc.window_size, 1 << 20);
	assert_int_equal(sc.regbuf_size, 1 << 21);
	/* flags, pad and reserved are zero */
	assert_int_equal(sc.flags, 0);
	assert_int_equal(sc.pad, 0);
	assert_int_equal(sc.copy_size, 0);
	assert_int_equal(sc.pad2, 0);
	assert_int_equal(sc.reserved[0] | sc.reserved[1], 0);
	o.copy_size = -1;
	assert_int_equal(ucchan__service_create_fill(&sc, &o), 0);
	assert_int_equal(sc.flags, UCCHAN_SVC_NOCOPY);
	assert_int_equal(sc.copy_size, 0);
	o.copy_size = 16384;
	assert_int_equal(ucchan__service_create_fill(&sc, &o), 0);
	assert_int_equal(sc.flags, 0);
	assert_int_equal(sc.copy_size, 16384);
	o.copy_size = -2;
	assert_int_equal(ucchan__service_create_fill(&sc, &o), -EINVAL);
	o.copy_size = UCCHAN_MAX_COPY + 4096;
	assert_int_equal(ucchan__service_create_fill(&sc, &o), -EINVAL);
	o.copy_size = 0;
	o.poll_ns = UCCHAN_MAX_POLL_NS;
	assert_int_equal(ucchan__service_create_fill(&sc, &o), 0);
	o.poll_ns = UCCHAN_MAX_POLL_NS + 1;
	assert_int_equal(ucchan__service_create_fill(&sc, &o), -EINVAL);
	o.poll_ns = 0;
	o.slots_per_cpu = 3;
	assert_int_equal(ucchan__service_create_fill(&sc, &o), 0);
	assert_int_equal(sc.slots_per_cpu, 3);

	o.mode = 01777;
	assert_int_equal(ucchan__service_create_fill(&sc, &o), -EINVAL);
	o.mode = 0600;
	o.slots_per_cpu = UCCHAN_MAX_SLOTS + 1;
	assert_int_equal(ucchan__service_create_fill(&sc, &o), -EINVAL);
	o.slots_per_cpu = 1;
	o.max_inline = UCCHAN_MAX_INLINE + 1;
	assert_int_equal(ucchan__service_create_fill(&sc, &o), -EINVAL);
	o.max_inline = 0;
	o.name = "bad name";
	assert_int_equal(ucchan__service_create_fill(&sc, &o), -EINVAL);
}

static void test_iov_fill(void **state)
{
	char a[16], b[16];
	struct ucchan_cbuf in[UCCHAN_MAX_BUFS + 1] = {
		{ a, sizeof(a), UCCHAN_BUF_READ, 0 },
		{ b, sizeof(b), UCCHAN_BUF_WRITE, 0 },
		{ (void *)4096, 100, UCCHAN_BUF_READ | UCCHAN_BUF_WRITE |
		  UCCHAN_BUF_REGISTERED, 7 },
	};
	struct ucchan_iov out[UCCHAN_MAX_BUFS];

	assert_int_equal(ucchan__iov_fill(out, in, 3), 0);
	assert_int_equal(out[0].addr, (uintptr_t)a);
	assert_int_equal(out[0].len, 16);
	assert_int_equal(out[0].flags, UCCHAN_BUF_READ);
	assert_int_equal(out[0].buf_id, 0);
	assert_int_equal(out[1].addr, (uintptr_t)b);
	assert_int_equal(out[1].flags, UCCHAN_BUF_WRITE);
	assert_int_equal(out[2].addr, 4096);
	assert_int_equal(out[2].len, 100);
	assert_int_equal(out[2].buf_id, 7);
	assert_int_equal(out[2].flags, UCCHAN_BUF_READ | UCCHAN_BUF_WRITE |
			 UCCHAN_BUF_REGISTERED);

	assert_int_equal(ucchan__iov_fill(out, NULL, 0), 0);
	assert_int_equal(ucchan__iov_fill(out, NULL, 1), -EINVAL);
	assert_int_equal(ucchan__iov_fill(out, in, UCCHAN_MAX_BUFS + 1),
			 -E2BIG);
	in[0].flags = 0;			/* neither READ nor WRITE */
	assert_int_equal(ucchan__iov_fill(out, in, 1), -EINVAL);
	in[0].flags = UCCHAN_BUF_REGISTERED;	/* still neither */
	assert_int_equal(ucchan__iov_fill(out, in, 1), -EINVAL);
	in[0].flags = UCCHAN_BUF_READ | (1U << 7);	/* unknown bit */
	assert_int_equal(ucchan__iov_fill(out, in, 1), -EINVAL);
	in[0].flags = UCCHAN_BUF_READ;
	in[0].buf_id = 3;			/* buf_id without REGISTERED */
	assert_int_equal(ucchan__iov_fill(out, in, 1), -EINVAL);
}

static void test_call_fill(void **state)
{
	char req[32], reply[64];
	struct ucchan_cbuf cb = { req, sizeof(req), UCCHAN_BUF_READ, 0 };
	struct ucchan_call_args a = {
		.size = sizeof(a), .req = req, .req_len = sizeof(req),
		.reply = reply, .reply_cap = sizeof(reply),
		.bufs = &cb, .nr_bufs = 1, .timeout_ns = 5,
	};
	struct ucchan_iov iov[UCCHAN_MAX_BUFS];
	struct ucchan_call c;

	memset(&c, 0xff, sizeof(c));
	assert_int_equal(ucchan__call_fill(&c, iov, &a, 4096), 0);
	assert_int_equal(c.req_ptr, (uintptr_t)req);
	assert_int_equal(c.req_len, 32);
	assert_int_equal(c.reply_ptr, (uintptr_t)reply);
	assert_int_equal(c.reply_cap, 64);
	assert_int_equal(c.iov_ptr, (uintptr_t)iov);
	assert_int_equal(c.iov_cnt, 1);
	assert_int_equal(c.timeout_ns, 5);
	assert_int_equal(c.flags, 0);
	assert_int_equal(c.reserved[0] | c.reserved[1], 0);
	assert_int_equal(iov[0].addr, (uintptr_t)req);

	/* no buffers: no iov pointer */
	a.nr_bufs = 0;
	assert_int_equal(ucchan__call_fill(&c, iov, &a, 4096), 0);
	assert_int_equal(c.iov_ptr, 0);
	/* huge reply_cap is clamped, not truncated modulo 2^32 */
	a.reply_cap = (size_t)1 << 33;
	assert_int_equal(ucchan__call_fill(&c, iov, &a, 4096), 0);
	assert_int_equal(c.reply_cap, UINT32_MAX);
	a.reply_cap = sizeof(reply);

	assert_int_equal(ucchan__call_fill(&c, iov, &a, 16), -EMSGSIZE);
	assert_int_equal(ucchan__call_fill(&c, iov, NULL, 4096), -EINVAL);
	a.size = sizeof(a) - 1;
	assert_int_equal(ucchan__call_fill(&c, iov, &a, 4096), -EINVAL);
	a.size = sizeof(a);
	a.req = NULL;
	assert_int_equal(ucchan__call_fill(&c, iov, &a, 4096), -EINVAL);
	a.req = req;
	a.reply = NULL;
	assert_int_equal(ucchan__call_fill(&c, iov, &a, 4096), -EINVAL);
	a.reply_cap = 0;	/* no reply wanted: fine */
	assert_int_equal(ucchan__call_fill(&c, iov, &a, 4096), 0);
	a.nr_bufs = UCCHAN_MAX_BUFS + 1;
	assert_int_equal(ucchan__call_fill(&c, iov, &a, 4096), -E2BIG);
}

/* A fake worker mapping: header page, request, reply, 4-page window. */
static unsigned char fake_map[8 * 4096];
static unsigned char fake_area[4 * 4096];

static const struct ucchan_wmap wmap = {
	.base = fake_map, .size = sizeof(fake_map),
	.req_off = 4096, .reply_off = 8192, .max_inline = 4096,
	.regbuf = fake_area, .regbuf_size = sizeof(fake_area),
};

static void test_req_fill(void **state)
{
	struct ucchan_req_hdr hdr = {
		.call_id = 1, .req_len = 10, .nr_bufs = 2,
		.bufs = {
			{ .offset = 3 * 4096 + 5, .len = 4096,
			  .flags = UCCHAN_BUF_READ },
			{ .offset = 100, .len = 200, .flags =
			  UCCHAN_BUF_WRITE | UCCHAN_BUF_REGISTERED },
		},
	};
	struct ucchan_req r;

	memset(&r, 0, sizeof(r));
	assert_int_equal(ucchan__req_fill(&r, &hdr, &wmap), 0);
	assert_ptr_equal(r.data, fake_map + 4096);
	assert_int_equal(r.len, 10);
	assert_ptr_equal(r.reply, fake_map + 8192);
	assert_int_equal(r.reply_cap, 4096);
	assert_ptr_equal(r.hdr, &hdr);
	assert_int_equal(r.nr_bufs, 2);
	/* window offsets: from the worker mapping */
	assert_ptr_equal(r.bufs[0].addr, fake_map + 3 * 4096 + 5);
	assert_int_equal(r.bufs[0].len, 4096);
	assert_int_equal(r.bufs[0].flags, UCCHAN_BUF_READ);
	/* registered: from the service mapping */
	assert_ptr_equal(r.bufs[1].addr, fake_area + 100);
	assert_int_equal(r.bufs[1].len, 200);

	/* a buffer ending exactly at the end is fine, one byte more is not */
	hdr.bufs[0].offset = sizeof(fake_map) - 4096;
	assert_int_equal(ucchan__req_fill(&r, &hdr, &wmap), 0);
	hdr.bufs[0].offset++;
	assert_int_equal(ucchan__req_fill(&r, &hdr, &wmap), -EPROTO);
	/* offset + len overflowing 64 bits */
	hdr.bufs[0].offset = 16;
	hdr.bufs[0].len = UINT64_MAX;
	assert_int_equal(ucchan__req_fill(&r, &hdr, &wmap), -EPROTO);
	hdr.bufs[0].len = 1;
	hdr.bufs[1].offset = sizeof(fake_area) - 199;
	assert_int_equal(ucchan__req_fill(&r, &hdr, &wmap), -EPROTO);
	hdr.bufs[1].offset = 0;
	assert_int_equal(ucchan__req_fill(&r, &hdr, &wmap), 0);
	/* registered buffer, but the server has no area */
	{
		struct ucchan_wmap m = wmap;

		m.regbuf = NULL;
		m.regbuf_size = 0;
		assert_int_equal(ucchan__req_fill(&r, &hdr, &m), -EPROTO);
	}
	hdr.req_len = 4097;
	assert_int_equal(ucchan__req_fill(&r, &hdr, &wmap), -EPROTO);
	hdr.req_len = 0;
	hdr.nr_bufs = UCCHAN_MAX_BUFS + 1;
	assert_int_equal(ucchan__req_fill(&r, &hdr, &wmap), -EPROTO);
}

static void test_wmap_check(void **state)
{
	struct ucchan_worker_bind b = {
		.mmap_size = 3 * 4096 + (64 << 20), .req_offset = 4096,
		.reply_offset = 8192, .window_offset = 12288,
		.window_size = 64 << 20, .max_inline = 4096,
	};
	size_t size = 0;

	assert_int_equal(ucchan__wmap_check(&b, &size), 0);
	assert_int_equal(size, b.mmap_size);
	b.window_size++;
	assert_int_equal(ucchan__wmap_check(&b, &size), -EPROTO);
	b.window_size--;
	b.req_offset = 0;	/* would overlap the header */
	assert_int_equal(ucchan__wmap_check(&b, &size), -EPROTO);
	b.req_offset = 4096;
	b.max_inline = 0;
	assert_int_equal(ucchan__wmap_check(&b, &size), -EPROTO);
	b.max_inline = 4096;
	b.reply_offset = b.mmap_size;
	assert_int_equal(ucchan__wmap_check(&b, &size), -EPROTO);
}

static void test_cpulist(void **state)
{
	cpu_set_t s;

	assert_int_equal(ucchan__cpulist_parse("0", &s), 0);
	assert_int_equal(CPU_COUNT(&s), 1);
	assert_true(CPU_ISSET(0, &s));
	assert_int_equal(ucchan__cpulist_parse("0-3,8,10-11", &s), 0);
	assert_int_equal(CPU_COUNT(&s), 7);
	assert_true(CPU_ISSET(3, &s) && CPU_ISSET(8, &s) && CPU_ISSET(11, &s));
	assert_false(CPU_ISSET(4, &s));
	assert_int_equal(ucchan__cpulist_parse("", &s), -EINVAL);
	assert_int_equal(ucchan__cpulist_parse(NULL, &s), -EINVAL);
	assert_int_equal(ucchan__cpulist_parse("3-1", &s), -EINVAL);
	assert_int_equal(ucchan__cpulist_parse("1,", &s), -EINVAL);
	assert_int_equal(ucchan__cpulist_parse("a", &s), -EINVAL);
	assert_int_equal(ucchan__cpulist_parse("1-", &s), -EINVAL);
	assert_int_equal(ucchan__cpulist_parse("99999", &s), -EINVAL);
}

static int32_t nop_handle(struct ucchan_req *req, size_t *len, void *arg)
{
	return 0;
}

/* Public functions: bad arguments fail before any system call. */
static void test_public_errors(void **state)
{
	struct ucchan_server_ops ops = { .size = sizeof(ops),
					 .handle = nop_handle };
	struct ucchan_server_opts o = { .size = sizeof(o), .name = "x" };
	struct ucchan_client fake = { .fd = -1, .max_inline = 64 };
	struct ucchan_call_args a = { .size = sizeof(a) };
	struct ucchan_server *srv;
	struct ucchan_client *cl;
	char big[65];

	assert_int_equal(ucchan_version_get(NULL), -EINVAL);
	assert_int_equal(ucchan_client_connect(NULL, "x"), -EINVAL);
	assert_int_equal(ucchan_client_connect(&cl, ".x"), -EINVAL);
	assert_int_equal(ucchan_client_call(NULL, &a), -EINVAL);
	assert_int_equal(ucchan_client_call(&fake, NULL), -EINVAL);
	/* too big for max_inline: refused by the library, not the kernel */
	assert_int_equal(ucchan_client_call_simple(&fake, big, sizeof(big),
						   NULL, 0, NULL), -EMSGSIZE);
	/* valid arguments reach the ioctl (here on a closed fd) */
	assert_int_equal(ucchan_client_call_simple(&fake, big, 8, NULL, 0,
						   NULL), -EBADF);
	assert_int_equal(ucchan_client_buf_register(&fake, big, 4096, 0),
			 -EINVAL);
	assert_int_equal(ucchan_client_buf_register(&fake, big, 0,
						    UCCHAN_BUF_READ), -EINVAL);
	assert_int_equal(ucchan_client_buf_register(&fake, big, 4096,
			 UCCHAN_BUF_READ | UCCHAN_BUF_REGISTERED), -EINVAL);
	assert_int_equal(ucchan_client_buf_unregister(NULL, 1), -EINVAL);
	assert_int_equal(ucchan_client_id(NULL), 0);
	assert_int_equal(ucchan_client_max_inline(&fake), 64);
	ucchan_client_close(NULL);

	assert_int_equal(ucchan_server_create(NULL, &o, &ops, NULL), -EINVAL);
	assert_int_equal(ucchan_server_create(&srv, NULL, &ops, NULL), -EINVAL);
	o.size = 8;	/* older than any library: too small */
	assert_int_equal(ucchan_server_create(&srv, &o, &ops, NULL), -EINVAL);
	o.size = sizeof(o);
	o.mode = 04777;
	assert_int_equal(ucchan_server_create(&srv, &o, &ops, NULL), -EINVAL);
	o.mode = 0600;
	o.name = "no/slash";
	assert_int_equal(ucchan_server_create(&srv, &o, &ops, NULL), -EINVAL);
	o.name = "x";
	ops.handle = NULL;	/* handle is mandatory */
	assert_int_equal(ucchan_server_create(&srv, &o, &ops, NULL), -EINVAL);
	assert_int_equal(ucchan_server_create(&srv, &o, NULL, NULL), -EINVAL);
	assert_int_equal(ucchan_server_start(NULL), -EINVAL);
	assert_int_equal(ucchan_server_set_cpus(NULL, "0"), -EINVAL);
	assert_int_equal(ucchan_server_set_perm(NULL, 0, 0, 0), -EINVAL);
	assert_int_equal(ucchan_server_id(NULL), 0);
	assert_null(ucchan_server_regbuf_base(NULL));
	ucchan_server_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_struct),
		cmocka_unit_test(test_name_check),
		cmocka_unit_test(test_service_create_fill),
		cmocka_unit_test(test_iov_fill),
		cmocka_unit_test(test_call_fill),
		cmocka_unit_test(test_req_fill),
		cmocka_unit_test(test_wmap_check),
		cmocka_unit_test(test_cpulist),
		cmocka_unit_test(test_public_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
