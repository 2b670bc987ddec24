// SPDX-License-Identifier: BSD-2-Clause
/*
 * Pure logic of libucchan: argument checks and the translations between
 * the library's structs and the kernel's. No system calls here, so that
 * the unit tests cover all of it without /dev/ucchan.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "libucchan_i.h"

#define UCCHAN_BUF_ALL	(UCCHAN_BUF_READ | UCCHAN_BUF_WRITE | \
			 UCCHAN_BUF_REGISTERED)

/*
 * Copy a caller's size-tagged struct: a smaller (older) struct is
 * zero-extended, a larger (newer) one is accepted only if the bytes this
 * library does not know are zero. Below min_size: -EINVAL.
 */
int ucchan__copy_struct(void *dst, size_t dsize, const void *src,
			size_t ssize, size_t min_size)
{
	const unsigned char *s = src;
	size_t i;

	if (!src || ssize < min_size)
		return -EINVAL;
	for (i = dsize; i < ssize; i++)
		if (s[i])
			return -E2BIG;
	memset(dst, 0, dsize);
	memcpy(dst, src, ssize < dsize ? ssize : dsize);
	return 0;
}

/* 1..63 bytes of [A-Za-z0-9._-], not starting with '.'. */
int ucchan__name_check(const char *name)
{
	size_t i;

	if (!name || !name[0] || name[0] == '.')
		return -EINVAL;
	for (i = 0; name[i]; i++) {
		char c = name[i];

		if (i >= UCCHAN_NAME_MAX - 1)
			return -ENAMETOOLONG;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return -EINVAL;
	}
	return 0;
}

int ucchan__service_create_fill(struct ucchan_service_create *sc,
				const struct ucchan_server_opts *o)
{
	int ret = ucchan__name_check(o->name);

	if (ret)
		return ret;
	if (o->mode & ~(mode_t)0777)
		return -EINVAL;
	if (o->slots_per_cpu > UCCHAN_MAX_SLOTS ||
	    o->max_inline > UCCHAN_MAX_INLINE ||
	    o->copy_size < -1 || o->copy_size > UCCHAN_MAX_COPY ||
	    o->poll_ns > UCCHAN_MAX_POLL_NS)
		return -EINVAL;
	memset(sc, 0, sizeof(*sc));
	strcpy(sc->name, o->name);
	sc->mode = o->mode;
	sc->slots_per_cpu = o->slots_per_cpu ? o->slots_per_cpu :
			    UCCHAN_LIB_DEFAULT_SLOTS;
	sc->max_inline = o->max_inline;
	sc->window_size = o->window_size;
	sc->regbuf_size = o->regbuf_size;
	if (o->copy_size < 0)
		sc->flags = UCCHAN_SVC_NOCOPY;
	else
		sc->copy_size = (uint32_t)o->copy_size;
	return 0;
}

/* ucchan_cbuf[] -> ucchan_iov[]: flags checked, nothing else touched. */
int ucchan__iov_fill(struct ucchan_iov *iov, const struct ucchan_cbuf *bufs,
		     unsigned int nr)
{
	unsigned int i;

	if (nr > UCCHAN_MAX_BUFS)
		return -E2BIG;
	if (nr && !bufs)
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		const struct ucchan_cbuf *b = &bufs[i];

		if (b->flags & ~UCCHAN_BUF_ALL)
			return -EINVAL;
		if (!(b->flags & (UCCHAN_BUF_READ | UCCHAN_BUF_WRITE)))
			return -EINVAL;
		if (!(b->flags & UCCHAN_BUF_REGISTERED) && b->buf_id)
			return -EINVAL;
		iov[i].addr = (uintptr_t)b->addr;
		iov[i].len = b->len;
		iov[i].flags = b->flags;
		iov[i].buf_id = b->buf_id;
	}
	return 0;
}

int ucchan__call_fill(struct ucchan_call *c, struct ucchan_iov *iov,
		      const struct ucchan_call_args *a, size_t max_inline)
{
	int ret;

	if (!a || a->size < sizeof(*a))
		return -EINVAL;
	if (a->req_len > max_inline)
		return -EMSGSIZE;
	if ((a->req_len && !a->req) || (a->reply_cap && !a->reply))
		return -EINVAL;
	ret = ucchan__iov_fill(iov, a->bufs, a->nr_bufs);
	if (ret)
		return ret;
	memset(c, 0, sizeof(*c));
	c->req_ptr = (uintptr_t)a->req;
	c->reply_ptr = (uintptr_t)a->reply;
	c->iov_ptr = a->nr_bufs ? (uintptr_t)iov : 0;
	c->req_len = a->req_len;
	c->reply_cap = a->reply_cap > UINT32_MAX ? UINT32_MAX : a->reply_cap;
	c->iov_cnt = a->nr_bufs;
	c->timeout_ns = a->timeout_ns;
	return 0;
}

static bool ucchan_in(size_t off, size_t len, size_t size)
{
	return off <= size && len <= size - off;
}

/*
 * A request header -> the handler's view: inline areas and buffers as
 * pointers. Window buffers are relative to the worker mapping, registered
 * ones to the service mapping; a descriptor outside its mapping means a
 * broken kernel/library pair: -EPROTO, never a wild pointer.
 */
int ucchan__req_fill(struct ucchan_req *r, const struct ucchan_req_hdr *hdr,
		     const struct ucchan_wmap *m)
{
	unsigned int i;

	if (hdr->req_len > m->max_inline || hdr->nr_bufs > UCCHAN_MAX_BUFS)
		return -EPROTO;
	r->data = m->base + m->req_off;
	r->len = hdr->req_len;
	r->reply = m->base + m->reply_off;
	r->reply_cap = m->max_inline;
	r->hdr = hdr;
	for (i = 0; i < hdr->nr_bufs; i++) {
		const struct ucchan_buf_desc *d = &hdr->bufs[i];
		struct ucchan_sbuf *s = &r->bufs[i];

		if (d->flags & UCCHAN_BUF_REGISTERED) {
			if (!m->regbuf ||
			    !ucchan_in(d->offset, d->len, m->regbuf_size))
				return -EPROTO;
			s->addr = m->regbuf + d->offset;
		} else {
			if (!ucchan_in(d->offset, d->len, m->size))
				return -EPROTO;
			s->addr = m->base + d->offset;
		}
		s->len = d->len;
		s->flags = d->flags;
	}
	r->nr_bufs = hdr->nr_bufs;
	return 0;
}

/* The layout WORKER_BIND reported must hold together before we use it. */
int ucchan__wmap_check(const struct ucchan_worker_bind *b, size_t *size)
{
	uint64_t s = b->mmap_size;

	if (!s || s > SIZE_MAX || !b->max_inline ||
	    b->max_inline > UCCHAN_MAX_INLINE ||
	    b->req_offset < sizeof(struct ucchan_req_hdr) ||
	    !ucchan_in(b->req_offset, b->max_inline, s) ||
	    !ucchan_in(b->reply_offset, b->max_inline, s) ||
	    !ucchan_in(b->window_offset, b->window_size, s))
		return -EPROTO;
	*size = s;
	return 0;
}

/* "0-3,8,10-11" -> set. Empty lists, junk and CPUs >= CPU_SETSIZE: -EINVAL. */
int ucchan__cpulist_parse(const char *s, cpu_set_t *set)
{
	CPU_ZERO(set);
	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		unsigned long a, b;
		char *end;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		a = strtoul(s, &end, 10);
		b = a;
		if (*end == '-') {
			s = end + 1;
			if (*s < '0' || *s > '9')
				return -EINVAL;
			b = strtoul(s, &end, 10);
		}
		if (b < a || b >= CPU_SETSIZE)
			return -EINVAL;
		for (; a <= b; a++)
			CPU_SET(a, set);
		if (!*end)
			return 0;
		if (*end != ',')
			return -EINVAL;
		s = end + 1;
	}
}
