/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The echo protocol shared by ucchan-ping and ucchan-bench (and so by the
 * VM tests): the reply is the inline request; a READ|WRITE buffer is
 * inverted in place; a READ-only buffer followed by a WRITE-only one is
 * copied into it. Status 0, or -EINVAL for any other buffer layout.
 */
#ifndef UCCHAN_ECHO_I_H
#define UCCHAN_ECHO_I_H

#include <errno.h>
#include <string.h>
#include <time.h>
#include <libucchan.h>

#define ECHO_RW		(UCCHAN_BUF_READ | UCCHAN_BUF_WRITE)

static inline void echo_invert(unsigned char *p, size_t len)
{
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t v;

		memcpy(&v, p + i, 8);
		v = ~v;
		memcpy(p + i, &v, 8);
	}
	for (; i < len; i++)
		p[i] = ~p[i];
}

static inline int32_t echo_handle(struct ucchan_req *req, size_t *reply_len)
{
	unsigned int i;
	size_t n = req->len < req->reply_cap ? req->len : req->reply_cap;

	memcpy(req->reply, req->data, n);
	*reply_len = n;
	for (i = 0; i < req->nr_bufs; i++) {
		struct ucchan_sbuf *b = &req->bufs[i];
		unsigned int f = b->flags & ECHO_RW;

		if (f == ECHO_RW) {
			echo_invert(b->addr, b->len);
		} else if (f == UCCHAN_BUF_READ && i + 1 < req->nr_bufs &&
			   (req->bufs[i + 1].flags & ECHO_RW) ==
			   UCCHAN_BUF_WRITE) {
			struct ucchan_sbuf *d = &req->bufs[++i];

			memcpy(d->addr, b->addr, b->len < d->len ? b->len :
			       d->len);
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

static inline uint64_t echo_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

#endif /* UCCHAN_ECHO_I_H */
