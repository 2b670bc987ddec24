/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libucchan private header: the objects behind the public handles and the
 * pure logic (argument checks, translations) that the unit tests reach
 * through the internal static library.
 */
#ifndef LIBUCCHAN_I_H
#define LIBUCCHAN_I_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>

#include "libucchan.h"

#define UCCHAN_LIB_DEFAULT_SLOTS	2	/* the kernel's default */

/* Where a worker's mappings are: what translation needs. */
struct ucchan_wmap {
	unsigned char *base;		/* worker mapping */
	size_t size;			/* its length (mmap_size) */
	size_t req_off;			/* inline request area */
	size_t reply_off;		/* inline reply area */
	size_t max_inline;		/* size of each inline area */
	unsigned char *regbuf;		/* service mapping, or NULL */
	size_t regbuf_size;
};

struct ucchan_worker {
	struct ucchan_server *srv;
	pthread_t thread;
	bool thread_started;
	unsigned int cpu;
	unsigned int slot;
	int fd;
	struct ucchan_wmap map;
	void *data;
	struct ucchan_req req;		/* reused for every request */
};

struct ucchan_server {
	int svc_fd;
	uint32_t id;
	char name[UCCHAN_NAME_MAX];
	struct ucchan_server_ops ops;
	void *arg;
	unsigned int slots;
	unsigned int max_inline;
	void *regbuf;
	size_t regbuf_size;
	uint64_t poll_ns;		/* every WAIT's spin for a request */
	cpu_set_t cpus;
	bool cpus_set;
	bool started;

	struct ucchan_worker *workers;
	unsigned int nr_workers;

	/* start-up hand-shake with the worker threads */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int nr_ready;
	int start_err;
	bool go;

	pthread_t ev_thread;
	bool ev_started;
	int stop_fd;			/* eventfd that stops the event thread */
	int stopping;			/* atomic: ucchan_server_stop() began */
	int nr_alive;			/* atomic: worker threads serving or
					 * binding again (not given up) */
	int test_bad_wait_cpu;		/* test hook, see server.c; -1: off */
	unsigned int test_bind_enomem;	/* test hook: failed binds to fake */
	int test_bind_err;		/* test hook: their errno (ENOMEM) */
};

struct ucchan_client {
	int fd;
	uint64_t client_id;
	size_t max_inline;
	uint64_t window_size;
	uint32_t service_id;
	uint32_t creator_uid;
	uint32_t creator_flags;
	bool creator_known;	/* the kernel reports the creator */
};

/* Pure logic (xlate.c): no system calls. Not exported from the .so. */
#pragma GCC visibility push(hidden)
int ucchan__copy_struct(void *dst, size_t dsize, const void *src,
			size_t ssize, size_t min_size);
int ucchan__name_check(const char *name);
int ucchan__service_create_fill(struct ucchan_service_create *sc,
				const struct ucchan_server_opts *o);
int ucchan__iov_fill(struct ucchan_iov *iov, const struct ucchan_cbuf *bufs,
		     unsigned int nr);
int ucchan__call_fill(struct ucchan_call *c, struct ucchan_iov *iov,
		      const struct ucchan_call_args *a, size_t max_inline);
int ucchan__req_fill(struct ucchan_req *r, const struct ucchan_req_hdr *hdr,
		     const struct ucchan_wmap *m);
int ucchan__wmap_check(const struct ucchan_worker_bind *b, size_t *size);
int ucchan__cpulist_parse(const char *s, cpu_set_t *set);
#pragma GCC visibility pop

#endif /* LIBUCCHAN_I_H */
