/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ucchan in-kernel client API (for zuf.ko and other kernel clients).
 *
 * This is not the user ABI: see include/uapi/linux/ucchan.h for that.
 * A kernel client connects to a service by name, issues synchronous calls
 * that the service's worker on the caller's CPU serves, and disconnects.
 */
#ifndef _LINUX_UCCHAN_H
#define _LINUX_UCCHAN_H

#include <linux/types.h>
#include <linux/uio.h>
#include <uapi/linux/ucchan.h>

struct ucchan_conn;

/**
 * struct ucchan_kbuf - a buffer handed to the server for one call
 * @iter:  the memory; user-backed iterators (ITER_UBUF, ITER_IOVEC) are
 *         pinned and mapped into the worker's window (zero copy); ITER_BVEC
 *         pages are referenced and mapped; ITER_KVEC is bounced. At most
 *         @len bytes from the iterator's current position are used. The
 *         iterator is NOT advanced: the caller advances it by what the
 *         server reports.
 * @len:   bytes to hand over (<= iov_iter_count(@iter))
 * @flags: UCCHAN_BUF_READ and/or UCCHAN_BUF_WRITE
 */
struct ucchan_kbuf {
	struct iov_iter *iter;
	size_t len;
	unsigned int flags;
};

/**
 * struct ucchan_kcall - one synchronous call from the kernel
 * @req:       inline request (copied into the channel)
 * @req_len:   its length, <= the service's max_inline
 * @reply:     where the inline reply is copied; the caller validates this
 *             private copy, never the shared area
 * @reply_cap: size of @reply
 * @reply_len: out: bytes of reply
 * @status:    out: the server's status value
 * @bufs:      client buffers, @nr_bufs of them (<= UCCHAN_MAX_BUFS)
 * @nr_bufs:   number of @bufs
 * @timeout_ns: 0 = no timeout (still killable)
 * @flags:     UCCHAN_KCALL_NOINTR: the caller waits (for a channel, for the
 *             reply) uninterruptibly, not killable, and @timeout_ns must
 *             bound it. For a message that must reach the server even
 *             from a dying task (the last unmount can run in a task that
 *             was killed: its killable call would be dropped unsent).
 *             Other bits: -EINVAL.
 * @written:   optional; after a reply, before bounced buffers are copied
 *             back: how many bytes of buffer @i the server produced (its
 *             reply says; @reply, @status, @reply_len are filled in). Only
 *             those are copied back (clamped to the buffer's length), so
 *             a short answer never overwrites the rest of the caller's
 *             buffer. NULL: the whole buffer.
 * @priv:      for @written
 */
#define UCCHAN_KCALL_NOINTR	0x1u

struct ucchan_kcall {
	const void *req;
	u32 req_len;
	u32 reply_cap;
	void *reply;
	u32 reply_len;
	s32 status;
	struct ucchan_kbuf *bufs;
	unsigned int nr_bufs;
	u64 timeout_ns;
	unsigned int flags;
	size_t (*written)(const struct ucchan_kcall *call, unsigned int i);
	void *priv;
};

/**
 * struct ucchan_server_id - who created a service (fixed at creation)
 * @uid:   the creator's fsuid
 * @gid:   the creator's fsgid
 * @admin: the creator had CAP_SYS_ADMIN in the initial user namespace
 */
struct ucchan_server_id {
	kuid_t uid;
	kgid_t gid;
	bool admin;
};

/**
 * struct ucchan_conn_ops - what an in-kernel client takes from its server
 * @notify: optional; a message the server sent to this connection with
 *          UCCHAN_IOC_NOTIFY: @len bytes (1..UCCHAN_NOTIFY_MAX) at @msg,
 *          a private copy valid only during the call. Runs in the server
 *          thread's process context (it may sleep), with no ucchan lock
 *          held, possibly while that very thread holds a call of this
 *          client (the thread is a worker in the middle of a request).
 *          So it must not wait for anything the server or an unfinished
 *          call could hold (no ucchan_call(), no lock an issuing thread
 *          holds across ucchan_call()): validate, queue, return. Returns
 *          0 or -errno, handed to the server as the ioctl's result.
 *          Never called after ucchan_disconnect() returned, which waits
 *          for a running callback (so never disconnect from inside it).
 *          Calls may run concurrently (several server threads).
 * @priv is the pointer given to ucchan_connect_ops().
 */
struct ucchan_conn_ops {
	int (*notify)(struct ucchan_conn *conn, void *priv, const void *msg,
		      u32 len);
};

/*
 * ucchan_connect() checks the service's mode against current's credentials
 * and returns a connection or ERR_PTR(-ENOENT, -EACCES, -EINVAL).
 * ucchan_call() returns 0 when the server replied, else -ESHUTDOWN (service
 * gone), -ECONNRESET (the worker serving the call went away), -EINTR
 * (fatal signal: call abandoned), -ETIMEDOUT, -EPROTO (bad reply),
 * -EMSGSIZE (reply_len > reply_cap; nothing copied), -E2BIG, -EINVAL,
 * -EFAULT (also: a copy back to a bounced user buffer faulted), -ENOMEM.
 * Sleeps; never call it atomically. Nothing that can fault runs while the
 * call holds a channel, so a call made from a page fault of a file served
 * through the same service cannot deadlock. When the call ends early
 * (signal, timeout, service death) the server's window no longer shows
 * the caller's memory by the time ucchan_call() returns.
 * Full kernel-doc at the definitions (kernel/ucchan/ucchan_kapi.c).
 */
struct ucchan_conn *ucchan_connect(const char *name);
struct ucchan_conn *ucchan_connect_ops(const char *name,
				       const struct ucchan_conn_ops *ops,
				       void *priv);
int ucchan_call(struct ucchan_conn *conn, struct ucchan_kcall *call);
bool ucchan_conn_alive(struct ucchan_conn *conn);
u32 ucchan_conn_max_inline(struct ucchan_conn *conn);
u64 ucchan_conn_window_size(struct ucchan_conn *conn);
u32 ucchan_conn_copy_size(struct ucchan_conn *conn);
void ucchan_conn_server(struct ucchan_conn *conn, struct ucchan_server_id *id);
void ucchan_disconnect(struct ucchan_conn *conn);

#endif /* _LINUX_UCCHAN_H */
