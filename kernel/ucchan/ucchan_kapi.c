// SPDX-License-Identifier: GPL-2.0
/*
 * ucchan in-kernel client API (include/linux/ucchan.h). A kernel client
 * is a connection like a user one: it holds a reference to the service
 * object, its calls take the same path, and its disconnect is reported
 * to the server as a UCCHAN_EV_DISCONNECT event.
 */
#include <linux/module.h>
#include <linux/err.h>
#include <linux/string.h>

#include "ucchan_i.h"

/**
 * ucchan_connect() - connect to a service by name
 * @name: the service's name (NUL terminated)
 *
 * The service's mode is checked against current's credentials as for
 * UCCHAN_IOC_CONNECT: write permission for current's fsuid/fsgid/groups,
 * or CAP_SYS_ADMIN. The connection holds a reference to the service
 * object (not to the server's file): it stays valid after the service
 * dies, calls then fail with -ESHUTDOWN.
 *
 * Context: process context, may sleep.
 * Return: the connection, or ERR_PTR(-EINVAL) for a bad name,
 * ERR_PTR(-ENOENT) when no live service has that name, ERR_PTR(-EACCES),
 * ERR_PTR(-ENOMEM).
 */
struct ucchan_conn *ucchan_connect(const char *name)
{
	return ucchan_connect_ops(name, NULL, NULL);
}
EXPORT_SYMBOL_GPL(ucchan_connect);

/**
 * ucchan_connect_ops() - connect to a service, taking its notifications
 * @name: the service's name (NUL terminated)
 * @ops:  callbacks for what the server sends unasked (may be NULL, as
 *        may be each callback); must stay valid until the disconnect
 * @priv: handed to each callback
 *
 * Like ucchan_connect(). With @ops->notify, the server can send this
 * connection messages with UCCHAN_IOC_NOTIFY (its client_id is in the
 * header of every request of this connection): @ops->notify runs in the
 * sending server thread, with no ucchan lock held, and its result is the
 * server's ioctl result. See struct ucchan_conn_ops for what it may do.
 *
 * Context: process context, may sleep.
 * Return: as ucchan_connect().
 */
struct ucchan_conn *ucchan_connect_ops(const char *name,
				       const struct ucchan_conn_ops *ops,
				       void *priv)
{
	if (!name || strnlen(name, UCCHAN_NAME_MAX) == UCCHAN_NAME_MAX ||
	    ucchan_check_name(name))
		return ERR_PTR(-EINVAL);
	return ucchan_conn_open(name, true, ops, priv);
}
EXPORT_SYMBOL_GPL(ucchan_connect_ops);

/**
 * ucchan_call() - one synchronous call to the connection's service
 * @conn: a connection from ucchan_connect()
 * @call: the request, the reply buffer and the client buffers; on success
 *        @call->status and @call->reply_len are filled in
 *
 * The request is copied into a channel of the calling CPU (or of another
 * CPU when this one has no worker), the worker is woken and the caller
 * sleeps, killable (not with UCCHAN_KCALL_NOINTR), until the reply (or
 * @call->timeout_ns). Buffers in
 * @call->bufs are shown to the server for the duration of the call: user
 * memory (ITER_UBUF, single-segment ITER_IOVEC) pinned and mapped, bvec
 * pages referenced and mapped when their segments meet at page
 * boundaries, everything else (ITER_KVEC, split user or bvec iterators)
 * bounced. The iterators are not advanced. The reply is copied into
 * @call->reply, a private copy the caller validates.
 *
 * Context: process context, may sleep; never call it atomically.
 * Return: 0 when the server replied (its answer is in @call->status),
 * -ESHUTDOWN (service gone), -ECONNRESET (the serving worker went away),
 * -EINTR (fatal signal: the call is abandoned), -ETIMEDOUT, -EPROTO (bad
 * reply), -EMSGSIZE (@call->reply_len > @call->reply_cap; nothing
 * copied), -E2BIG (buffers exceed the window), -EINVAL, -EFAULT, -ENOMEM.
 */
int ucchan_call(struct ucchan_conn *conn, struct ucchan_kcall *call)
{
	struct ucchan_call_src src = {};

	might_sleep();
	if (!conn || !call || (call->nr_bufs && !call->bufs) ||
	    (call->req_len && !call->req) ||
	    (call->reply_cap && !call->reply))
		return -EINVAL;
	src.user = false;
	src.kreq = call->req;
	src.req_len = call->req_len;
	src.kreply = call->reply;
	src.reply_cap = call->reply_cap;
	src.timeout_ns = call->timeout_ns;
	if (call->flags & ~UCCHAN_KCALL_NOINTR)
		return -EINVAL;
	src.nointr = call->flags & UCCHAN_KCALL_NOINTR;
	src.kbufs = call->bufs;
	src.nr_bufs = call->nr_bufs;
	src.kcall = call;
	call->status = 0;
	call->reply_len = 0;
	return ucchan_call_common(conn, &src, &call->status, &call->reply_len);
}
EXPORT_SYMBOL_GPL(ucchan_call);

/**
 * ucchan_conn_alive() - is the connection's service still alive?
 * @conn: a connection from ucchan_connect()
 *
 * Context: any.
 * Return: false once the service's file was released (its calls fail
 * with -ESHUTDOWN from then on); a true answer may be stale at once.
 */
bool ucchan_conn_alive(struct ucchan_conn *conn)
{
	return !READ_ONCE(conn->svc->dead);
}
EXPORT_SYMBOL_GPL(ucchan_conn_alive);

/**
 * ucchan_conn_max_inline() - the service's inline area size
 * @conn: a connection from ucchan_connect()
 *
 * Context: any.
 * Return: the largest request (and reply) in bytes.
 */
u32 ucchan_conn_max_inline(struct ucchan_conn *conn)
{
	return conn->svc->max_inline;
}
EXPORT_SYMBOL_GPL(ucchan_conn_max_inline);

/**
 * ucchan_conn_window_size() - the most bytes of buffers one call can carry
 * @conn: a connection from ucchan_connect()
 *
 * A buffer takes the pages it touches: a client splitting large transfers
 * must keep each call's buffers (with their partial first and last pages)
 * within this.
 *
 * Context: any.
 * Return: the window size of the service's workers, in bytes.
 */
u64 ucchan_conn_window_size(struct ucchan_conn *conn)
{
	return conn->svc->window_size;
}
EXPORT_SYMBOL_GPL(ucchan_conn_window_size);

/**
 * ucchan_conn_copy_size() - the bytes of buffers a call can have copied
 * @conn: a connection from ucchan_connect()
 *
 * A call's buffers that fit in the worker's copy area, with the pages they
 * touch, are copied in and out instead of mapped, whatever their iterator
 * (an iovec of any number of segments too).
 *
 * Context: any.
 * Return: the copy area size of the service's workers, in bytes (0: none).
 */
u32 ucchan_conn_copy_size(struct ucchan_conn *conn)
{
	return conn->svc->copy_size;
}
EXPORT_SYMBOL_GPL(ucchan_conn_copy_size);

/**
 * ucchan_conn_server() - who created the connection's service
 * @conn: a connection from ucchan_connect()
 * @id:   filled in
 *
 * Anyone may create a service of any free name: a kernel client that
 * acts on a server's answers with privileges (a file system mounted by
 * root, for one) checks here whom it is talking to. The creator is fixed
 * at creation (UCCHAN_IOC_SERVICE_SET_PERM changes who may connect, not
 * this), and a dead service's name stays reserved for its creator while
 * a connection refers to it.
 *
 * Context: any.
 */
void ucchan_conn_server(struct ucchan_conn *conn, struct ucchan_server_id *id)
{
	id->uid = conn->svc->creator_uid;
	id->gid = conn->svc->creator_gid;
	id->admin = conn->svc->creator_flags & UCCHAN_CREATOR_ADMIN;
}
EXPORT_SYMBOL_GPL(ucchan_conn_server);

/**
 * ucchan_disconnect() - close a connection
 * @conn: a connection from ucchan_connect(), or NULL / an ERR_PTR (ignored)
 *
 * The server gets a UCCHAN_EV_DISCONNECT event with the connection's
 * client_id if the service is still alive. No call may be running on
 * @conn. Waits for notify callbacks running on @conn: none runs, or
 * starts, once this returns (so never call it from one).
 *
 * Context: process context.
 */
void ucchan_disconnect(struct ucchan_conn *conn)
{
	if (IS_ERR_OR_NULL(conn))
		return;
	ucchan_conn_close(conn);
}
EXPORT_SYMBOL_GPL(ucchan_disconnect);
