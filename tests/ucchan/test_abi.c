// SPDX-License-Identifier: BSD-2-Clause
/*
 * The ucchan UAPI, field by field: every struct has the size and offsets
 * implied by naturally aligned fields with explicit padding, the same on
 * every ABI (no implicit padding: the field sizes add up to sizeof), and
 * every ioctl number encodes its real struct.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <linux/ucchan.h>

#define MSZ(t, f)	sizeof(((struct t *)0)->f)
#define OFF(t, f, o)	do { \
	assert_int_equal(offsetof(struct t, f), o); \
	assert_int_equal(offsetof(struct t, f) % \
		(MSZ(t, f) >= 8 ? 8 : MSZ(t, f) >= 4 ? 4 : 1), 0); \
	sum += MSZ(t, f); \
} while (0)
#define END(t, size)	do { \
	assert_int_equal(sizeof(struct t), size); \
	assert_int_equal(sum, size); \
	assert_int_equal(sizeof(struct t) % 8, 0); \
	sum = 0; \
} while (0)

static void test_version(void **state)
{
	size_t sum = 0;

	OFF(ucchan_version, abi_version, 0);
	OFF(ucchan_version, max_bufs, 4);
	OFF(ucchan_version, features, 8);
	OFF(ucchan_version, max_slots, 16);
	OFF(ucchan_version, max_inline, 20);
	OFF(ucchan_version, nr_cpu_ids, 24);
	OFF(ucchan_version, max_copy, 28);
	OFF(ucchan_version, max_window, 32);
	OFF(ucchan_version, reserved, 40);
	END(ucchan_version, 64);
}

static void test_service(void **state)
{
	size_t sum = 0;

	OFF(ucchan_service_create, name, 0);
	assert_int_equal(MSZ(ucchan_service_create, name), UCCHAN_NAME_MAX);
	OFF(ucchan_service_create, mode, 64);
	OFF(ucchan_service_create, flags, 68);
	OFF(ucchan_service_create, slots_per_cpu, 72);
	OFF(ucchan_service_create, max_inline, 76);
	OFF(ucchan_service_create, window_size, 80);
	OFF(ucchan_service_create, regbuf_size, 88);
	OFF(ucchan_service_create, service_id, 96);
	OFF(ucchan_service_create, pad, 100);
	OFF(ucchan_service_create, copy_size, 104);
	OFF(ucchan_service_create, pad2, 108);
	OFF(ucchan_service_create, reserved, 112);
	END(ucchan_service_create, 128);

	OFF(ucchan_service_perm, uid, 0);
	OFF(ucchan_service_perm, gid, 4);
	OFF(ucchan_service_perm, mode, 8);
	OFF(ucchan_service_perm, flags, 12);
	OFF(ucchan_service_perm, reserved, 16);
	END(ucchan_service_perm, 32);
}

static void test_worker(void **state)
{
	size_t sum = 0;

	OFF(ucchan_worker_bind, service_fd, 0);
	OFF(ucchan_worker_bind, cpu, 4);
	OFF(ucchan_worker_bind, slot, 8);
	OFF(ucchan_worker_bind, flags, 12);
	OFF(ucchan_worker_bind, mmap_size, 16);
	OFF(ucchan_worker_bind, req_offset, 24);
	OFF(ucchan_worker_bind, reply_offset, 32);
	OFF(ucchan_worker_bind, window_offset, 40);
	OFF(ucchan_worker_bind, window_size, 48);
	OFF(ucchan_worker_bind, max_inline, 56);
	OFF(ucchan_worker_bind, copy_size, 60);
	OFF(ucchan_worker_bind, copy_offset, 64);
	OFF(ucchan_worker_bind, reserved, 72);
	END(ucchan_worker_bind, 88);

	OFF(ucchan_buf_desc, offset, 0);
	OFF(ucchan_buf_desc, len, 8);
	OFF(ucchan_buf_desc, flags, 16);
	OFF(ucchan_buf_desc, pad, 20);
	END(ucchan_buf_desc, 24);

	OFF(ucchan_req_hdr, call_id, 0);
	OFF(ucchan_req_hdr, client_id, 8);
	OFF(ucchan_req_hdr, req_len, 16);
	OFF(ucchan_req_hdr, nr_bufs, 20);
	OFF(ucchan_req_hdr, flags, 24);
	OFF(ucchan_req_hdr, cpu, 28);
	OFF(ucchan_req_hdr, pid, 32);
	OFF(ucchan_req_hdr, uid, 36);
	OFF(ucchan_req_hdr, gid, 40);
	OFF(ucchan_req_hdr, pad, 44);
	OFF(ucchan_req_hdr, reserved, 48);
	OFF(ucchan_req_hdr, bufs, 80);
	END(ucchan_req_hdr, 80 + UCCHAN_MAX_BUFS * 24);
	/* the header page holds it */
	assert_true(sizeof(struct ucchan_req_hdr) <= 4096);

	OFF(ucchan_wait, status, 0);
	OFF(ucchan_wait, reply_len, 4);
	OFF(ucchan_wait, flags, 8);
	OFF(ucchan_wait, pad, 12);
	OFF(ucchan_wait, poll_ns, 16);
	OFF(ucchan_wait, reserved, 24);
	END(ucchan_wait, 32);
}

static void test_client(void **state)
{
	size_t sum = 0;

	OFF(ucchan_connect, name, 0);
	OFF(ucchan_connect, flags, 64);
	OFF(ucchan_connect, max_inline, 68);
	OFF(ucchan_connect, client_id, 72);
	OFF(ucchan_connect, window_size, 80);
	OFF(ucchan_connect, service_id, 88);
	OFF(ucchan_connect, pad, 92);
	OFF(ucchan_connect, creator_uid, 96);
	OFF(ucchan_connect, creator_flags, 100);
	OFF(ucchan_connect, reserved, 104);
	END(ucchan_connect, 112);

	OFF(ucchan_iov, addr, 0);
	OFF(ucchan_iov, len, 8);
	OFF(ucchan_iov, flags, 16);
	OFF(ucchan_iov, buf_id, 20);
	END(ucchan_iov, 24);

	OFF(ucchan_call, req_ptr, 0);
	OFF(ucchan_call, reply_ptr, 8);
	OFF(ucchan_call, iov_ptr, 16);
	OFF(ucchan_call, req_len, 24);
	OFF(ucchan_call, reply_cap, 28);
	OFF(ucchan_call, iov_cnt, 32);
	OFF(ucchan_call, flags, 36);
	OFF(ucchan_call, timeout_ns, 40);
	OFF(ucchan_call, status, 48);
	OFF(ucchan_call, reply_len, 52);
	OFF(ucchan_call, reserved, 56);
	END(ucchan_call, 72);

	OFF(ucchan_buf_reg, addr, 0);
	OFF(ucchan_buf_reg, len, 8);
	OFF(ucchan_buf_reg, flags, 16);
	OFF(ucchan_buf_reg, buf_id, 20);
	OFF(ucchan_buf_reg, area_offset, 24);
	OFF(ucchan_buf_reg, reserved, 32);
	END(ucchan_buf_reg, 48);

	OFF(ucchan_buf_unreg, buf_id, 0);
	OFF(ucchan_buf_unreg, flags, 4);
	OFF(ucchan_buf_unreg, reserved, 8);
	END(ucchan_buf_unreg, 16);

	OFF(ucchan_event, type, 0);
	OFF(ucchan_event, pad, 4);
	OFF(ucchan_event, client_id, 8);
	OFF(ucchan_event, reserved, 16);
	END(ucchan_event, 32);

	OFF(ucchan_notify, client_id, 0);
	OFF(ucchan_notify, msg_ptr, 8);
	OFF(ucchan_notify, msg_len, 16);
	OFF(ucchan_notify, flags, 20);
	OFF(ucchan_notify, reserved, 24);
	END(ucchan_notify, 40);
}

#define IOC(cmd, nr, dir, t) do { \
	assert_int_equal(_IOC_TYPE(cmd), UCCHAN_IOC_MAGIC); \
	assert_int_equal(_IOC_NR(cmd), nr); \
	assert_int_equal(_IOC_DIR(cmd), dir); \
	assert_int_equal(_IOC_SIZE(cmd), sizeof(struct t)); \
} while (0)

static void test_ioctls(void **state)
{
	const unsigned int rw = _IOC_READ | _IOC_WRITE;

	IOC(UCCHAN_IOC_VERSION, 0, rw, ucchan_version);
	IOC(UCCHAN_IOC_SERVICE_CREATE, 1, rw, ucchan_service_create);
	IOC(UCCHAN_IOC_SERVICE_SET_PERM, 2, _IOC_WRITE, ucchan_service_perm);
	IOC(UCCHAN_IOC_WORKER_BIND, 3, rw, ucchan_worker_bind);
	IOC(UCCHAN_IOC_WORKER_WAIT, 4, _IOC_WRITE, ucchan_wait);
	IOC(UCCHAN_IOC_CONNECT, 5, rw, ucchan_connect);
	IOC(UCCHAN_IOC_CALL, 6, rw, ucchan_call);
	IOC(UCCHAN_IOC_BUF_REGISTER, 7, rw, ucchan_buf_reg);
	IOC(UCCHAN_IOC_BUF_UNREGISTER, 8, _IOC_WRITE, ucchan_buf_unreg);
	IOC(UCCHAN_IOC_NOTIFY, 9, _IOC_WRITE, ucchan_notify);
	/* flag bits are distinct */
	assert_int_equal(UCCHAN_BUF_READ & UCCHAN_BUF_WRITE, 0);
	assert_int_equal((UCCHAN_BUF_READ | UCCHAN_BUF_WRITE) &
			 UCCHAN_BUF_REGISTERED, 0);
	assert_int_equal(UCCHAN_REQ_KERNEL & UCCHAN_REQ_FALLBACK, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_service),
		cmocka_unit_test(test_worker),
		cmocka_unit_test(test_client),
		cmocka_unit_test(test_ioctls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
