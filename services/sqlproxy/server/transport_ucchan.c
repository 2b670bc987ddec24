// SPDX-License-Identifier: BSD-2-Clause
/*
 * sqlproxyd ucchan transport: one pinned worker per CPU and slot (libucchan);
 * the request header (and usually the body) is the inline request, the
 * result is encoded straight into the client's buffer as the worker sees
 * it mapped (per-call window or registered-buffer area): no copy on the
 * way back but the one SQLite's column accessors imply.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libucchan.h>
#include "sqlproxyd_i.h"

struct sqlp_ucchan {
	struct sqlp_engine *e;
	struct ucchan_server *srv;
};

static int32_t uc_handle(struct ucchan_req *req, size_t *reply_len, void *arg)
{
	struct sqlp_ucchan *u = arg;
	struct sqlp_wctx *w = ucchan_worker_get_data(req->worker);
	struct sqlp_reply_hdr *rep = req->reply;
	struct sqlp_req_hdr h;
	const void *body;
	void *res, *inline_res;
	size_t res_cap;
	unsigned int rbuf;

	if (req->reply_cap < sizeof(*rep))
		return -EPROTO;
	res = (char *)req->reply + sizeof(*rep);
	inline_res = res;
	res_cap = req->reply_cap - sizeof(*rep);
	*reply_len = sizeof(*rep);
	if (req->len < sizeof(h)) {
		sqlp_reply_error(rep, res, res_cap, -EBADMSG,
				 "request shorter than its header");
		goto out;
	}
	memcpy(&h, req->data, sizeof(h));	/* read the header once */
	if (h.flags & SQLP_REQ_BODY_BUF) {
		if (!req->nr_bufs || !(req->bufs[0].flags & UCCHAN_BUF_READ) ||
		    req->bufs[0].len < h.body_len ||
		    req->len != sizeof(h)) {
			sqlp_reply_error(rep, res, res_cap, -EBADMSG,
					 "body buffer missing or short");
			goto out;
		}
		body = req->bufs[0].addr;
	} else {
		if (req->len != sizeof(h) + (size_t)h.body_len) {
			sqlp_reply_error(rep, res, res_cap, -EBADMSG,
					 "inline body length mismatch");
			goto out;
		}
		body = (const char *)req->data + sizeof(h);
	}
	if (h.flags & SQLP_REQ_RESULT_BUF) {
		rbuf = req->nr_bufs - 1;
		if (!req->nr_bufs ||
		    !(req->bufs[rbuf].flags & UCCHAN_BUF_WRITE) ||
		    ((h.flags & SQLP_REQ_BODY_BUF) && rbuf == 0)) {
			sqlp_reply_error(rep, res, res_cap, -EBADMSG,
					 "result buffer missing");
			goto out;
		}
		res = req->bufs[rbuf].addr;
		res_cap = req->bufs[rbuf].len;
		if (res_cap > SQLP_MAX_RESULT)
			res_cap = SQLP_MAX_RESULT;
	}
	sqlp_engine_call(u->e, w, req->hdr->client_id, &h, body, res, res_cap,
			 rep);
	if (res == inline_res && rep->status != -EMSGSIZE)
		*reply_len += rep->result_len;
	return rep->status;
out:
	/* transport errors: the message is inline */
	*reply_len += rep->result_len;
	return rep->status;
}

static int uc_worker_init(struct ucchan_worker *wk, unsigned int cpu,
			  unsigned int slot, void *arg)
{
	struct sqlp_wctx *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	ucchan_worker_set_data(wk, w);
	return 0;
}

static void uc_worker_exit(struct ucchan_worker *wk, void *arg)
{
	struct sqlp_ucchan *u = arg;
	struct sqlp_wctx *w = ucchan_worker_get_data(wk);

	if (w) {
		sqlp_wctx_release(u->e, w);
		free(w);
	}
}

static void uc_disconnect(uint64_t client_id, void *arg)
{
	struct sqlp_ucchan *u = arg;

	sqlp_engine_disconnect(u->e, client_id);
}

static const struct ucchan_server_ops uc_ops = {
	.size = sizeof(struct ucchan_server_ops),
	.handle = uc_handle,
	.worker_init = uc_worker_init,
	.worker_exit = uc_worker_exit,
	.disconnect = uc_disconnect,
};

int sqlp_ucchan_start(struct sqlp_ucchan **up, struct sqlp_engine *e,
		      const char *name, unsigned int mode,
		      unsigned int slots, const char *cpus)
{
	struct ucchan_server_opts o = {
		.size = sizeof(o),
		.name = name,
		.mode = mode,
		.slots_per_cpu = slots,
		.regbuf_size = 64ull << 20,
	};
	struct sqlp_ucchan *u;
	int ret;

	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->e = e;
	ret = ucchan_server_create(&u->srv, &o, &uc_ops, u);
	if (ret)
		goto fail;
	if (cpus) {
		ret = ucchan_server_set_cpus(u->srv, cpus);
		if (ret)
			goto fail_srv;
	}
	ret = ucchan_server_start(u->srv);
	if (ret)
		goto fail_srv;
	*up = u;
	return 0;
fail_srv:
	ucchan_server_destroy(u->srv);
fail:
	free(u);
	return ret;
}

void sqlp_ucchan_stop(struct sqlp_ucchan *u)
{
	if (!u)
		return;
	ucchan_server_destroy(u->srv);
	free(u);
}
