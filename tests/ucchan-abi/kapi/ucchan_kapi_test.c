// SPDX-License-Identifier: GPL-2.0
/*
 * Test of ucchan's in-kernel client API, run at module load against a
 * running echo server (service=NAME): inline calls, kvec (bounced), bvec
 * (mapped when page-aligned between segments, bounced when not) and
 * user-backed (pinned) buffers, reply size checks, notifications from
 * the server (ucchan_connect_ops(): the echo worker notifies this
 * connection in the middle of its call). Each check is logged
 * as "ucchan_kapi_test: ok - ..." or "not ok - ..."; the load fails
 * (-EINVAL) if any check failed.
 */
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/bvec.h>
#include <linux/uaccess.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/ucchan.h>

#include "abi-proto.h"

static char *service = "abi-echo";
module_param(service, charp, 0444);
MODULE_PARM_DESC(service, "name of the echo service to call");

static int failed;

#define CHECK(cond, fmt, ...)						\
	do {								\
		bool __ok = (cond);					\
		if (!__ok)						\
			failed++;					\
		pr_info("ucchan_kapi_test: %s - " fmt "\n",		\
			__ok ? "ok" : "not ok", ##__VA_ARGS__);		\
	} while (0)

static struct abi_req rq;
static struct abi_rep rp;

static int call(struct ucchan_conn *conn, u32 op, struct ucchan_kbuf *bufs,
		unsigned int nr, u32 reply_cap)
{
	struct ucchan_kcall c = {
		.req = &rq, .req_len = sizeof(rq),
		.reply = &rp, .reply_cap = reply_cap,
		.bufs = bufs, .nr_bufs = nr,
	};
	int ret;

	rq.op = op;
	memset(&rp, 0, sizeof(rp));
	ret = ucchan_call(conn, &c);
	return ret ? ret : c.status;
}

static bool filled(const u8 *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != (u8)(i * 7 + 3))
			return false;
	return true;
}

/* The bytes of the pages around the buffer are still 0xAA. */
static bool bvec_neighbours_intact(struct page **pg, unsigned int off,
				   const unsigned int *lens)
{
	const u8 *p0 = page_address(pg[0]), *p2 = page_address(pg[2]);

	if (off && p0[off - 1] != 0xAA)
		return false;
	if (off + lens[0] < PAGE_SIZE && p0[off + lens[0]] != 0xAA)
		return false;
	return lens[2] >= PAGE_SIZE || p2[lens[2]] == 0xAA;
}

/* A bvec buffer over three pages, starting at @off, split like @lens. */
static void test_bvec(struct ucchan_conn *conn, struct page **pg,
		      const char *what, unsigned int off,
		      const unsigned int *lens)
{
	struct bio_vec bv[3];
	struct ucchan_kbuf kb;
	struct iov_iter it;
	size_t len = 0, i, pos;
	u8 *flat;
	u64 h = ABI_FNV_INIT;
	int ret;

	flat = kmalloc(3 * PAGE_SIZE, GFP_KERNEL);
	if (!flat) {
		CHECK(false, "%s: memory", what);
		return;
	}
	for (i = 0; i < 3; i++) {
		memset(page_address(pg[i]), 0xAA, PAGE_SIZE);
		bvec_set_page(&bv[i], pg[i], lens[i], i ? 0 : off);
		len += lens[i];
	}
	for (i = 0, pos = 0; i < 3; i++) {
		u8 *p = page_address(pg[i]) + (i ? 0 : off);
		size_t j;

		for (j = 0; j < lens[i]; j++, pos++) {
			flat[pos] = (u8)(pos * 31 + 5);
			p[j] = flat[pos];
		}
	}
	h = abi_fnv(flat, len, h);

	iov_iter_bvec(&it, ITER_SOURCE, bv, 3, len);
	kb.iter = &it;
	kb.len = len;
	kb.flags = UCCHAN_BUF_READ;
	ret = call(conn, OP_SUM, &kb, 1, sizeof(rp));
	CHECK(!ret && rp.sum == h && rp.len0 == len &&
	      iov_iter_count(&it) == len,
	      "%s: server reads it byte-exact, iterator not advanced", what);

	iov_iter_bvec(&it, ITER_DEST, bv, 3, len);
	kb.flags = UCCHAN_BUF_READ | UCCHAN_BUF_WRITE;
	ret = call(conn, OP_FILL, &kb, 1, sizeof(rp));
	for (i = 0, pos = 0; i < 3; i++) {
		u8 *p = page_address(pg[i]) + (i ? 0 : off);

		memcpy(flat + pos, p, lens[i]);
		pos += lens[i];
	}
	CHECK(!ret && filled(flat, len) && bvec_neighbours_intact(pg, off, lens),
	      "%s: server writes it byte-exact, neighbours intact", what);
	kfree(flat);
}

static size_t written_ten(const struct ucchan_kcall *c, unsigned int i)
{
	return 10;
}

static void test_kvec(struct ucchan_conn *conn)
{
	size_t len = 2 * PAGE_SIZE + 123;
	struct ucchan_kbuf kb;
	struct iov_iter it;
	struct kvec kv[2];
	u8 *buf;
	size_t i;
	int ret;

	buf = kvmalloc(len + 2, GFP_KERNEL);
	if (!buf) {
		CHECK(false, "kvec: memory");
		return;
	}
	for (i = 0; i < len + 2; i++)
		buf[i] = (u8)(i * 3 + 1);
	kv[0].iov_base = buf + 1;
	kv[0].iov_len = 1000;
	kv[1].iov_base = buf + 1 + 1000;
	kv[1].iov_len = len - 1000;
	iov_iter_kvec(&it, ITER_SOURCE, kv, 2, len);
	kb.iter = &it;
	kb.len = len;
	kb.flags = UCCHAN_BUF_READ;
	ret = call(conn, OP_SUM, &kb, 1, sizeof(rp));
	CHECK(!ret && rp.sum == abi_fnv(buf + 1, len, ABI_FNV_INIT),
	      "kvec (two segments, bounced): server reads it byte-exact");

	iov_iter_kvec(&it, ITER_DEST, kv, 2, len);
	kb.flags = UCCHAN_BUF_WRITE;
	ret = call(conn, OP_FILL, &kb, 1, sizeof(rp));
	CHECK(!ret && filled(buf + 1, len) && buf[0] == 1 &&
	      buf[len + 1] == (u8)((len + 1) * 3 + 1),
	      "kvec: server's writes copied back, neighbours intact");

	/* the server fills 10 bytes and says so: only those come back */
	for (i = 0; i < len + 2; i++)
		buf[i] = 0x55;
	iov_iter_kvec(&it, ITER_DEST, kv, 2, len);
	kb.flags = UCCHAN_BUF_WRITE;
	rq.hold_ms = 10;
	{
		struct ucchan_kcall c = {
			.req = &rq, .req_len = sizeof(rq),
			.reply = &rp, .reply_cap = sizeof(rp),
			.bufs = &kb, .nr_bufs = 1,
			.written = written_ten,
		};
		size_t bad = 0;

		rq.op = OP_FILL_PREFIX;
		ret = ucchan_call(conn, &c);
		for (i = 0; i < len; i++)
			bad += buf[1 + i] != (i < 10 ? (u8)(i * 7 + 3) : 0x55);
		CHECK(!ret && !bad,
		      "kvec: written() limits the copy back to the 10 bytes the server produced (%zu wrong)",
		      bad);
	}
	rq.hold_ms = 0;
	kvfree(buf);
}

static void test_ubuf(struct ucchan_conn *conn)
{
	size_t len = 3 * PAGE_SIZE, i;
	struct ucchan_kbuf kb;
	struct iov_iter it;
	unsigned long addr;
	u8 *tmp;
	int ret;

	addr = vm_mmap(NULL, 0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	tmp = kmalloc(len, GFP_KERNEL);
	if (IS_ERR_VALUE(addr) || !tmp) {
		CHECK(false, "ubuf: memory");
		goto out;
	}
	for (i = 0; i < len; i++)
		tmp[i] = (u8)(i * 11 + 7);
	if (copy_to_user((void __user *)addr + 17, tmp, len)) {
		CHECK(false, "ubuf: copy_to_user");
		goto out_unmap;
	}
	iov_iter_ubuf(&it, ITER_SOURCE, (void __user *)addr + 17, len);
	kb.iter = &it;
	kb.len = len;
	kb.flags = UCCHAN_BUF_READ;
	ret = call(conn, OP_SUM, &kb, 1, sizeof(rp));
	CHECK(!ret && rp.sum == abi_fnv(tmp, len, ABI_FNV_INIT),
	      "user-backed iterator (pinned, mapped): server reads it");

	iov_iter_ubuf(&it, ITER_DEST, (void __user *)addr + 17, len);
	kb.flags = UCCHAN_BUF_WRITE;
	ret = call(conn, OP_FILL, &kb, 1, sizeof(rp));
	memset(tmp, 0, len);
	CHECK(!ret && !copy_from_user(tmp, (void __user *)addr + 17, len) &&
	      filled(tmp, len),
	      "user-backed iterator: server writes it");
out_unmap:
	vm_munmap(addr, 4 * PAGE_SIZE);
out:
	kfree(tmp);
}

/* what the notify callback saw */
static struct {
	u8 msg[UCCHAN_NOTIFY_MAX];
	u32 len;
	unsigned int calls;
	struct task_struct *task;
	void *priv;
	struct ucchan_conn *conn;
} nt;

static int kapi_notify(struct ucchan_conn *conn, void *priv, const void *msg,
		       u32 len)
{
	nt.calls++;
	nt.len = len;
	nt.task = current;
	nt.priv = priv;
	nt.conn = conn;
	memcpy(nt.msg, msg, min_t(u32, len, sizeof(nt.msg)));
	return len == 5 && !memcmp(msg, "fail", 5) ? -EL2HLT : 0;
}

static const struct ucchan_conn_ops kapi_ops = {
	.notify = kapi_notify,
};

static int notify_call(struct ucchan_conn *conn, const char *data, u32 len)
{
	memset(&nt, 0, sizeof(nt));
	strscpy(rq.data, data, sizeof(rq.data));
	rq.hold_ms = len;
	return call(conn, OP_NOTIFY, NULL, 0, sizeof(rp));
}

static void test_notify(void)
{
	static int cookie;
	struct ucchan_conn *conn, *plain;
	bool pattern = true;
	int ret;
	u32 i;

	conn = ucchan_connect_ops(service, &kapi_ops, &cookie);
	CHECK(!IS_ERR(conn), "connect_ops to %s", service);
	if (IS_ERR(conn))
		return;
	ret = notify_call(conn, "hello kapi", 0);
	CHECK(!ret && nt.calls == 1 && nt.len == 11 &&
	      !memcmp(nt.msg, "hello kapi", 11) && nt.priv == &cookie &&
	      nt.conn == conn && nt.task && nt.task != current,
	      "server notifies mid-call: payload delivered in the server's thread (ret %d, calls %u, len %u)",
	      ret, nt.calls, nt.len);
	ret = notify_call(conn, "fail", 0);
	CHECK(ret == -EL2HLT && nt.calls == 1,
	      "the callback's result is the server's ioctl result (%d)", ret);
	ret = notify_call(conn, "", UCCHAN_NOTIFY_MAX);
	for (i = 0; i < UCCHAN_NOTIFY_MAX; i++)
		pattern &= nt.msg[i] == (u8)(i * 7 + 3);
	CHECK(!ret && nt.len == UCCHAN_NOTIFY_MAX && pattern,
	      "a %d-byte message arrives intact (%d)", UCCHAN_NOTIFY_MAX, ret);
	ret = notify_call(conn, "", UCCHAN_NOTIFY_MAX + 1);
	CHECK(ret == -EMSGSIZE && !nt.calls,
	      "a larger one is refused, -EMSGSIZE (%d)", ret);

	plain = ucchan_connect(service);
	CHECK(!IS_ERR(plain), "plain connect to %s", service);
	if (!IS_ERR(plain)) {
		ret = notify_call(plain, "nobody listens", 0);
		CHECK(ret == -EOPNOTSUPP && !nt.calls,
		      "a kernel client without a notify callback: -EOPNOTSUPP (%d)",
		      ret);
		ucchan_disconnect(plain);
	}
	ucchan_disconnect(conn);
	rq.hold_ms = 0;
}

/*
 * UCCHAN_KCALL_NOINTR: a call from a task with SIGKILL pending (as the
 * last unmount in the exit of a killed process) still reaches the server
 * and gets its reply. A kernel thread that lets SIGKILL in and sends it
 * to itself: insmod's own task would die of it.
 */
struct nointr_run {
	struct ucchan_conn *conn;
	struct completion done;
	int nointr;
	bool pending;
};

static int nointr_thread(void *arg)
{
	struct nointr_run *r = arg;
	struct ucchan_kcall c = {
		.req = &rq, .req_len = sizeof(rq),
		.reply = &rp, .reply_cap = sizeof(rp),
		.timeout_ns = 10ULL * NSEC_PER_SEC,
		.flags = UCCHAN_KCALL_NOINTR,
	};

	allow_signal(SIGKILL);
	send_sig(SIGKILL, current, 1);
	r->pending = fatal_signal_pending(current);
	rq.op = OP_ECHO;
	strscpy(rq.data, "nointr", sizeof(rq.data));
	memset(&rp, 0, sizeof(rp));
	r->nointr = ucchan_call(r->conn, &c) ?: c.status;
	if (r->nointr == 42 && strcmp(rp.data, "nointr"))
		r->nointr = -EBADMSG;
	complete(&r->done);
	return 0;
}

static void test_nointr(struct ucchan_conn *conn)
{
	struct ucchan_kcall c = {
		.req = &rq, .req_len = sizeof(rq),
		.reply = &rp, .reply_cap = sizeof(rp),
		.flags = UCCHAN_KCALL_NOINTR,
	};
	struct nointr_run r = { .conn = conn };
	struct task_struct *t;
	int ret;

	rq.op = OP_ECHO;
	ret = ucchan_call(conn, &c);
	CHECK(ret == -EINVAL, "NOINTR without a timeout -> EINVAL (%d)", ret);
	c.flags = 0x80000000u;
	c.timeout_ns = NSEC_PER_SEC;
	ret = ucchan_call(conn, &c);
	CHECK(ret == -EINVAL, "unknown kcall flags -> EINVAL (%d)", ret);

	init_completion(&r.done);
	t = kthread_run(nointr_thread, &r, "ucchan_kapi_nointr");
	CHECK(!IS_ERR(t), "NOINTR thread started");
	if (IS_ERR(t))
		return;
	wait_for_completion(&r.done);
	CHECK(r.pending && r.nointr == 42,
	      "NOINTR call with SIGKILL pending (%d) is served: %d", r.pending,
	      r.nointr);
}

static int __init ucchan_kapi_test_init(void)
{
	static const unsigned int aligned[3] = { PAGE_SIZE - 100, PAGE_SIZE, 50 };
	static const unsigned int split[3] = { 10, 700, PAGE_SIZE };
	struct ucchan_conn *conn;
	struct page *pg[3] = {};
	int ret, i;

	conn = ucchan_connect("no-such-service");
	CHECK(PTR_ERR(conn) == -ENOENT, "connect to a missing service -> ENOENT");
	conn = ucchan_connect("bad/name");
	CHECK(PTR_ERR(conn) == -EINVAL, "connect with a bad name -> EINVAL");
	conn = ucchan_connect(service);
	CHECK(!IS_ERR(conn), "connect to %s", service);
	if (IS_ERR(conn))
		return -EINVAL;
	CHECK(ucchan_conn_alive(conn) && ucchan_conn_max_inline(conn) >= 4096,
	      "connection alive, max_inline %u", ucchan_conn_max_inline(conn));

	strscpy(rq.data, "kapi", sizeof(rq.data));
	ret = call(conn, OP_ECHO, NULL, 0, sizeof(rp));
	CHECK(ret == 42 && !strcmp(rp.data, "kapi") &&
	      (rp.hdr_flags & UCCHAN_REQ_KERNEL),
	      "inline echo, UCCHAN_REQ_KERNEL set (ret %d)", ret);
	ret = call(conn, OP_ECHO, NULL, 0, 8);
	CHECK(ret == -EMSGSIZE, "reply larger than reply_cap -> EMSGSIZE (%d)",
	      ret);

	for (i = 0; i < 3; i++) {
		pg[i] = alloc_page(GFP_KERNEL);
		if (!pg[i])
			goto out;
	}
	test_bvec(conn, pg, "bvec meeting at page boundaries (mapped)", 100,
		  aligned);
	test_bvec(conn, pg, "bvec with a split page (bounced)", 0, split);
	test_kvec(conn);
	test_ubuf(conn);
	test_notify();
	test_nointr(conn);
out:
	for (i = 0; i < 3; i++)
		if (pg[i])
			__free_page(pg[i]);
	ucchan_disconnect(conn);
	pr_info("ucchan_kapi_test: %s\n", failed ? "FAILED" : "all passed");
	return failed ? -EINVAL : 0;
}

static void __exit ucchan_kapi_test_exit(void)
{
}

module_init(ucchan_kapi_test_init);
module_exit(ucchan_kapi_test_exit);
MODULE_DESCRIPTION("ucchan in-kernel client API test");
MODULE_LICENSE("GPL");
