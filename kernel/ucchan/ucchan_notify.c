// SPDX-License-Identifier: GPL-2.0
/*
 * ucchan notifications: a server's message to one of its in-kernel
 * clients (UCCHAN_IOC_NOTIFY on the service file).
 *
 * Who may send: whoever holds the service file, that is the server (its
 * worker files are not enough); to whom: a connection of that service,
 * named by the client_id its requests carry. What: an opaque message of
 * 1..UCCHAN_NOTIFY_MAX bytes, copied into the kernel for the duration of
 * the ioctl only. ucchan queues nothing: the client's ->notify callback
 * runs in the sending thread, and a client that needs to do more than
 * validate and queue does it later, itself, within bounds it chooses
 * (its answer, -EAGAIN for one, goes back to the server).
 *
 * Why this cannot deadlock: the callback runs with no ucchan lock held.
 * The connection is found under svc->lock and pinned by conn->notify_busy,
 * then the lock is dropped; the only thing that waits for notify_busy is
 * the connection's own close (ucchan_disconnect()), which a client must
 * not call from its callback. The sending thread may be a worker in the
 * middle of a call of the very client it notifies: nothing here waits
 * for that call, and the callback must not either (see
 * struct ucchan_conn_ops).
 */
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ucchan_i.h"

/*
 * The connection @client_id of @svc, pinned for one notify callback, or
 * NULL with *@err set: -ENOTCONN (no such connection), -EOPNOTSUPP (it
 * takes no notifications: a user-space connection, or an in-kernel one
 * without ->notify).
 */
static struct ucchan_conn *ucchan_notify_get(struct ucchan_service *svc,
					     u64 client_id, int *err)
{
	struct ucchan_conn *conn, *found = NULL;

	*err = -ENOTCONN;
	spin_lock(&svc->lock);
	list_for_each_entry(conn, &svc->conns, node) {
		if (conn->client_id != client_id)
			continue;
		if (!conn->kernel || !conn->ops || !conn->ops->notify) {
			*err = -EOPNOTSUPP;
		} else {
			atomic_inc(&conn->notify_busy);
			found = conn;
		}
		break;
	}
	spin_unlock(&svc->lock);
	return found;
}

/*
 * Caller holds the service file, so @svc outlives the wake-up; @conn may
 * be freed as soon as the count drops.
 */
static void ucchan_notify_put(struct ucchan_service *svc,
			      struct ucchan_conn *conn)
{
	if (atomic_dec_and_test(&conn->notify_busy))
		wake_up_all(&svc->notify_wq);
}

/**
 * ucchan_notify() - UCCHAN_IOC_NOTIFY: hand a message to a kernel client
 * @svc:  the service (the caller's service file)
 * @uarg: struct ucchan_notify
 *
 * Return: the client callback's result (0 or -errno), or -EINVAL,
 * -EMSGSIZE, -EFAULT, -ENOMEM, -ENOTCONN, -EOPNOTSUPP.
 */
int ucchan_notify(struct ucchan_service *svc,
		  struct ucchan_notify __user *uarg)
{
	struct ucchan_notify n;
	struct ucchan_conn *conn;
	void *msg;
	int ret;

	if (copy_from_user(&n, uarg, sizeof(n)))
		return -EFAULT;
	if (n.flags || memchr_inv(n.reserved, 0, sizeof(n.reserved)) ||
	    !n.msg_len)
		return -EINVAL;
	if (n.msg_len > UCCHAN_NOTIFY_MAX)
		return -EMSGSIZE;
	/* charged to the sender; freed before we return */
	msg = kmalloc(n.msg_len, GFP_KERNEL_ACCOUNT);
	if (!msg)
		return -ENOMEM;
	if (copy_from_user(msg, u64_to_user_ptr(n.msg_ptr), n.msg_len)) {
		ret = -EFAULT;
		goto out;
	}
	conn = ucchan_notify_get(svc, n.client_id, &ret);
	if (!conn)
		goto out;
	ret = conn->ops->notify(conn, conn->priv, msg, n.msg_len);
	ucchan_notify_put(svc, conn);
	if (WARN_ON_ONCE(ret > 0))
		ret = -EIO;
out:
	kfree(msg);
	return ret;
}
