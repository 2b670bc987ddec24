// SPDX-License-Identifier: BSD-2-Clause
/*
 * libucchan client side: a connection is one /dev/ucchan file bound with
 * UCCHAN_IOC_CONNECT; a call is one UCCHAN_IOC_CALL with everything on
 * the caller's stack (no allocation, no copy besides the kernel's).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "libucchan_i.h"

int ucchan_version_get(struct ucchan_version *v)
{
	int fd, ret = 0;

	if (!v)
		return -EINVAL;
	fd = open(UCCHAN_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(v, 0, sizeof(*v));
	if (ioctl(fd, UCCHAN_IOC_VERSION, v) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int ucchan_client_connect(struct ucchan_client **clp, const char *name)
{
	struct ucchan_connect c = { .flags = 0 };
	struct ucchan_client *cl;
	int ret;

	if (!clp)
		return -EINVAL;
	ret = ucchan__name_check(name);
	if (ret)
		return ret;
	cl = calloc(1, sizeof(*cl));
	if (!cl)
		return -ENOMEM;
	cl->fd = open(UCCHAN_DEVICE, O_RDWR | O_CLOEXEC);
	if (cl->fd < 0) {
		ret = -errno;
		goto out_free;
	}
	strcpy(c.name, name);
	if (ioctl(cl->fd, UCCHAN_IOC_CONNECT, &c) < 0) {
		ret = -errno;
		goto out_close;
	}
	{
		struct ucchan_version v;

		memset(&v, 0, sizeof(v));
		cl->creator_known = !ioctl(cl->fd, UCCHAN_IOC_VERSION, &v) &&
				    (v.features & UCCHAN_FEAT_CREATOR);
	}
	cl->creator_uid = c.creator_uid;
	cl->creator_flags = c.creator_flags;
	cl->client_id = c.client_id;
	cl->max_inline = c.max_inline;
	cl->window_size = c.window_size;
	cl->service_id = c.service_id;
	*clp = cl;
	return 0;

out_close:
	close(cl->fd);
out_free:
	free(cl);
	return ret;
}

int ucchan_client_call(struct ucchan_client *cl, struct ucchan_call_args *a)
{
	struct ucchan_iov iov[UCCHAN_MAX_BUFS];
	struct ucchan_call c;
	int ret;

	if (!cl)
		return -EINVAL;
	ret = ucchan__call_fill(&c, iov, a, cl->max_inline);
	if (ret)
		return ret;
	if (ioctl(cl->fd, UCCHAN_IOC_CALL, &c) < 0)
		return -errno;
	a->status = c.status;
	a->reply_len = c.reply_len;
	return 0;
}

int ucchan_client_call_simple(struct ucchan_client *cl, const void *req,
			      size_t req_len, void *reply, size_t reply_cap,
			      size_t *reply_len)
{
	struct ucchan_call_args a = {
		.size = sizeof(a),
		.req = req,
		.req_len = req_len,
		.reply = reply,
		.reply_cap = reply_cap,
	};
	int ret = ucchan_client_call(cl, &a);

	if (ret)
		return ret;
	if (reply_len)
		*reply_len = a.reply_len;
	return a.status;
}

int ucchan_client_buf_register(struct ucchan_client *cl, void *addr,
			       size_t len, unsigned int flags)
{
	struct ucchan_buf_reg r = {
		.addr = (uintptr_t)addr,
		.len = len,
		.flags = flags,
	};

	if (!cl || !len || (flags & ~(UCCHAN_BUF_READ | UCCHAN_BUF_WRITE)) ||
	    !(flags & (UCCHAN_BUF_READ | UCCHAN_BUF_WRITE)))
		return -EINVAL;
	if (ioctl(cl->fd, UCCHAN_IOC_BUF_REGISTER, &r) < 0)
		return -errno;
	if (r.buf_id > INT32_MAX)
		return -EOVERFLOW;
	return (int)r.buf_id;
}

int ucchan_client_buf_unregister(struct ucchan_client *cl, uint32_t buf_id)
{
	struct ucchan_buf_unreg u = { .buf_id = buf_id };

	if (!cl)
		return -EINVAL;
	if (ioctl(cl->fd, UCCHAN_IOC_BUF_UNREGISTER, &u) < 0)
		return -errno;
	return 0;
}

uint64_t ucchan_client_id(const struct ucchan_client *cl)
{
	return cl ? cl->client_id : 0;
}

size_t ucchan_client_max_inline(const struct ucchan_client *cl)
{
	return cl ? cl->max_inline : 0;
}

uint64_t ucchan_client_window_size(const struct ucchan_client *cl)
{
	return cl ? cl->window_size : 0;
}

int ucchan_client_fd(const struct ucchan_client *cl)
{
	return cl ? cl->fd : -EINVAL;
}

void ucchan_client_close(struct ucchan_client *cl)
{
	if (!cl)
		return;
	close(cl->fd);
	free(cl);
}

int ucchan_client_creator(const struct ucchan_client *cl, uint32_t *uid,
			  uint32_t *flags)
{
	if (!cl)
		return -EINVAL;
	if (!cl->creator_known)
		return -EOPNOTSUPP;
	if (uid)
		*uid = cl->creator_uid;
	if (flags)
		*flags = cl->creator_flags;
	return 0;
}
