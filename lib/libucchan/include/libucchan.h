/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libucchan - user-space library for ucchan servers and clients.
 *
 * Conventions: every function returns 0 (or a non-negative count) on
 * success and -errno on failure; errno is not part of the API. Structs
 * passed in carry their size so that old programs and new libraries meet.
 */
#ifndef LIBUCCHAN_H
#define LIBUCCHAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/ucchan.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UCCHAN_DEVICE "/dev/ucchan"

/* ---- common ---------------------------------------------------------- */

/* Fill *v from the kernel (UCCHAN_IOC_VERSION). */
int ucchan_version_get(struct ucchan_version *v);

/* ---- server ---------------------------------------------------------- */

struct ucchan_server;
struct ucchan_worker;

/* A client buffer as a handler sees it: already mapped, ready to use. */
struct ucchan_sbuf {
	void *addr;
	size_t len;
	unsigned int flags;		/* UCCHAN_BUF_* */
};

/* One request, as handed to ucchan_server_ops.handle(). */
struct ucchan_req {
	const void *data;		/* inline request (read-only) */
	size_t len;
	void *reply;			/* inline reply area */
	size_t reply_cap;
	unsigned int nr_bufs;
	struct ucchan_sbuf bufs[UCCHAN_MAX_BUFS];
	const struct ucchan_req_hdr *hdr; /* call_id, client_id, creds, cpu */
	struct ucchan_worker *worker;
};

struct ucchan_server_ops {
	size_t size;			/* sizeof(struct ucchan_server_ops) */
	/*
	 * Serve one request: write up to req->reply_cap bytes to req->reply,
	 * set *reply_len, return the status the client receives.
	 */
	int32_t (*handle)(struct ucchan_req *req, size_t *reply_len,
			  void *arg);
	/* Optional: called in each worker thread before/after serving. */
	int (*worker_init)(struct ucchan_worker *w, unsigned int cpu,
			   unsigned int slot, void *arg);
	void (*worker_exit)(struct ucchan_worker *w, void *arg);
	/* Optional: a client connection closed (from the event thread). */
	void (*disconnect)(uint64_t client_id, void *arg);
};

struct ucchan_server_opts {
	size_t size;			/* sizeof(struct ucchan_server_opts) */
	const char *name;
	mode_t mode;			/* connect permission bits */
	unsigned int slots_per_cpu;	/* 0 = kernel default */
	unsigned int max_inline;	/* 0 = kernel default */
	uint64_t window_size;		/* 0 = kernel default */
	uint64_t regbuf_size;		/* 0 = no registered buffers */
	/*
	 * Per-worker copy area: small client buffers are copied through it
	 * instead of mapped. 0 = kernel default (16 KiB), -1 = none (every
	 * buffer mapped), else bytes (page multiple, <= UCCHAN_MAX_COPY).
	 * New with UCCHAN_FEAT_COPY_BUFS; a kernel without it ignores it.
	 */
	int64_t copy_size;
	/*
	 * Polling: each worker spins in the kernel this long for the next
	 * request before it sleeps, and a caller on another CPU that finds
	 * it spinning spins for its reply: cross-CPU calls without a context
	 * switch, for the CPU time spun. 0 = off (the default); at most
	 * UCCHAN_MAX_POLL_NS. New with UCCHAN_FEAT_POLL.
	 */
	uint64_t poll_ns;
};

int ucchan_server_create(struct ucchan_server **srvp,
			 const struct ucchan_server_opts *opts,
			 const struct ucchan_server_ops *ops, void *arg);
/* Start one pinned worker thread per online CPU and slot (or cpus). */
int ucchan_server_start(struct ucchan_server *srv);
/*
 * Serve only the CPUs of cpulist ("0-3,8"), before ucchan_server_start();
 * NULL restores the default (every online CPU). Added in LIBUCCHAN_1.
 */
int ucchan_server_set_cpus(struct ucchan_server *srv, const char *cpulist);
int ucchan_server_set_perm(struct ucchan_server *srv, uid_t uid, gid_t gid,
			   mode_t mode);
/* Stop workers, close the service (clients get -ESHUTDOWN), free. */
void ucchan_server_destroy(struct ucchan_server *srv);
uint32_t ucchan_server_id(const struct ucchan_server *srv);

/* Per-worker user data, and the worker's identity. */
void ucchan_worker_set_data(struct ucchan_worker *w, void *data);
void *ucchan_worker_get_data(const struct ucchan_worker *w);
unsigned int ucchan_worker_cpu(const struct ucchan_worker *w);
unsigned int ucchan_worker_slot(const struct ucchan_worker *w);
/* Registered-buffer area of the service (for UCCHAN_BUF_REGISTERED). */
void *ucchan_server_regbuf_base(const struct ucchan_server *srv);
/*
 * Send len bytes (1..UCCHAN_NOTIFY_MAX) to the in-kernel client client_id
 * (from ucchan_req.hdr->client_id), from any thread of the server.
 * Returns the client's answer (0 or -errno) or ucchan's -EINVAL,
 * -EMSGSIZE, -ENOTCONN (no such connection), -EOPNOTSUPP (a user-space
 * client, or a kernel without UCCHAN_FEAT_NOTIFY). Added in LIBUCCHAN_1.2.
 */
int ucchan_server_notify(struct ucchan_server *srv, uint64_t client_id,
			 const void *msg, size_t len);

/* ---- client ---------------------------------------------------------- */

struct ucchan_client;

/* A client buffer for one call: iov_base/len plus UCCHAN_BUF_* flags. */
struct ucchan_cbuf {
	void *addr;			/* or offset inside buf_id */
	size_t len;
	unsigned int flags;
	uint32_t buf_id;		/* with UCCHAN_BUF_REGISTERED */
};

struct ucchan_call_args {
	size_t size;			/* sizeof(struct ucchan_call_args) */
	const void *req;
	size_t req_len;
	void *reply;
	size_t reply_cap;
	const struct ucchan_cbuf *bufs;
	unsigned int nr_bufs;
	uint64_t timeout_ns;
	/* out */
	int32_t status;
	size_t reply_len;		/* may exceed reply_cap: truncated */
};

int ucchan_client_connect(struct ucchan_client **clp, const char *name);
/* 0 when the server replied (args->status holds its answer), or -errno. */
int ucchan_client_call(struct ucchan_client *cl, struct ucchan_call_args *a);
/* Convenience: inline only; returns the server's status or -errno. */
int ucchan_client_call_simple(struct ucchan_client *cl, const void *req,
			      size_t req_len, void *reply, size_t reply_cap,
			      size_t *reply_len);
/* Register a page-aligned buffer; returns buf_id (>= 0) or -errno. */
int ucchan_client_buf_register(struct ucchan_client *cl, void *addr,
			       size_t len, unsigned int flags);
int ucchan_client_buf_unregister(struct ucchan_client *cl, uint32_t buf_id);
uint64_t ucchan_client_id(const struct ucchan_client *cl);
size_t ucchan_client_max_inline(const struct ucchan_client *cl);
/* Most bytes of mapped (non-registered) buffers one call may carry. */
uint64_t ucchan_client_window_size(const struct ucchan_client *cl);
/* The connection's file descriptor (to poll, or to pass on). */
int ucchan_client_fd(const struct ucchan_client *cl);
/*
 * Who created the service (anyone may create any free name): its fsuid in
 * the caller's user namespace and UCCHAN_CREATOR_* flags. 0, -EINVAL, or
 * -EOPNOTSUPP when the kernel does not report it (no UCCHAN_FEAT_CREATOR).
 */
int ucchan_client_creator(const struct ucchan_client *cl, uint32_t *uid,
			  uint32_t *flags);
void ucchan_client_close(struct ucchan_client *cl);

#ifdef __cplusplus
}
#endif

#endif /* LIBUCCHAN_H */
