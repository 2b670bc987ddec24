// SPDX-License-Identifier: BSD-2-Clause
/* sqlproxy wire codec: bounded readers and writers, no allocation. */
#include <errno.h>
#include <string.h>
#include "sqlproxy_proto.h"

int sqlp_put_bytes(struct sqlp_wbuf *w, const void *p, size_t n)
{
	if (n > w->cap - w->len)
		return -ENOSPC;
	if (n)
		memcpy(w->p + w->len, p, n);
	w->len += n;
	return 0;
}

size_t sqlp_value_size(const struct sqlp_value *v)
{
	switch (v->type) {
	case SQLP_T_INT:
	case SQLP_T_FLOAT:
		return 1 + 8;
	case SQLP_T_TEXT:
	case SQLP_T_BLOB:
		return 1 + 4 + (size_t)v->s.len;
	default:
		return 1;
	}
}

int sqlp_put_value(struct sqlp_wbuf *w, const struct sqlp_value *v)
{
	uint8_t t = (uint8_t)v->type;
	size_t start = w->len;
	int ret;

	if (v->type > SQLP_T_BLOB)
		return -EINVAL;
	if ((v->type == SQLP_T_TEXT || v->type == SQLP_T_BLOB) &&
	    v->s.len > SQLP_MAX_VALUE)
		return -E2BIG;
	if (sqlp_value_size(v) > w->cap - w->len)
		return -ENOSPC;
	ret = sqlp_put_bytes(w, &t, 1);
	switch (v->type) {
	case SQLP_T_INT:
		ret = sqlp_put_bytes(w, &v->i, 8);
		break;
	case SQLP_T_FLOAT:
		ret = sqlp_put_bytes(w, &v->d, 8);
		break;
	case SQLP_T_TEXT:
	case SQLP_T_BLOB:
		ret = sqlp_put_bytes(w, &v->s.len, 4);
		if (!ret)
			ret = sqlp_put_bytes(w, v->s.p, v->s.len);
		break;
	default:
		break;
	}
	if (ret)
		w->len = start;
	return ret;
}

int sqlp_get_bytes(struct sqlp_rbuf *r, void *p, size_t n)
{
	if (r->off > r->len || n > r->len - r->off)
		return -EBADMSG;
	memcpy(p, r->p + r->off, n);
	r->off += n;
	return 0;
}

int sqlp_get_u16(struct sqlp_rbuf *r, uint16_t *v)
{
	return sqlp_get_bytes(r, v, 2);
}

int sqlp_get_u32(struct sqlp_rbuf *r, uint32_t *v)
{
	return sqlp_get_bytes(r, v, 4);
}

int sqlp_get_value(struct sqlp_rbuf *r, struct sqlp_value *v)
{
	size_t start = r->off;
	uint8_t t;
	uint32_t len;
	int ret;

	ret = sqlp_get_bytes(r, &t, 1);
	if (ret)
		return ret;
	v->type = (enum sqlp_type)t;
	switch (t) {
	case SQLP_T_NULL:
		return 0;
	case SQLP_T_INT:
		ret = sqlp_get_bytes(r, &v->i, 8);
		break;
	case SQLP_T_FLOAT:
		ret = sqlp_get_bytes(r, &v->d, 8);
		break;
	case SQLP_T_TEXT:
	case SQLP_T_BLOB:
		ret = sqlp_get_u32(r, &len);
		if (ret)
			break;
		if (len > SQLP_MAX_VALUE) {
			ret = -E2BIG;
			break;
		}
		if (len > r->len - r->off) {
			ret = -EBADMSG;
			break;
		}
		v->s.p = r->p + r->off;
		v->s.len = len;
		r->off += len;
		break;
	default:
		ret = -EINVAL;
		break;
	}
	if (ret)
		r->off = start;
	return ret;
}

int sqlp_req_check(const struct sqlp_req_hdr *h)
{
	if (h->magic != SQLP_MAGIC)
		return -EBADMSG;
	if ((h->version >> 8) != SQLP_VERSION_MAJOR)
		return -EPROTONOSUPPORT;
	if (h->op == 0 || h->op >= SQLP_OP_LAST)
		return -EOPNOTSUPP;
	if ((h->flags & ~SQLP_REQ_FLAGS) || h->reserved0)
		return -EINVAL;
	if (h->body_len > SQLP_MAX_BODY || h->result_cap > SQLP_MAX_RESULT)
		return -E2BIG;
	return 0;
}

int sqlp_reply_check(const struct sqlp_reply_hdr *h, size_t result_cap)
{
	if (h->magic != SQLP_MAGIC)
		return -EBADMSG;
	/* -EMSGSIZE reports the size needed in result_len, nothing follows */
	if (h->status == -EMSGSIZE)
		return 0;
	if (h->result_len > result_cap)
		return -EBADMSG;
	return 0;
}

int sqlp_exec_encode(struct sqlp_wbuf *w, const char *sql, size_t sql_len,
		     const struct sqlp_value *params, unsigned int nparams)
{
	struct sqlp_exec_hdr eh = { 0 };
	size_t start = w->len;
	unsigned int i;
	int ret;

	if (sql_len > SQLP_MAX_SQL || nparams > SQLP_MAX_PARAMS)
		return -E2BIG;
	eh.sql_len = (uint32_t)sql_len;
	eh.nparams = (uint16_t)nparams;
	ret = sqlp_put_bytes(w, &eh, sizeof(eh));
	if (!ret)
		ret = sqlp_put_bytes(w, sql, sql_len);
	for (i = 0; !ret && i < nparams; i++)
		ret = sqlp_put_value(w, &params[i]);
	if (ret) {
		w->len = start;
		return ret;
	}
	return (int)(w->len - start);
}

int sqlp_exec_decode(struct sqlp_rbuf *r, const char **sql, uint32_t *sql_len,
		     uint16_t *nparams)
{
	struct sqlp_exec_hdr eh;
	size_t start = r->off;
	int ret;

	ret = sqlp_get_bytes(r, &eh, sizeof(eh));
	if (ret)
		return ret;
	if (eh.reserved) {
		r->off = start;
		return -EINVAL;
	}
	if (eh.sql_len > SQLP_MAX_SQL || eh.nparams > SQLP_MAX_PARAMS) {
		r->off = start;
		return -E2BIG;
	}
	if (eh.sql_len > r->len - r->off) {
		r->off = start;
		return -EBADMSG;
	}
	*sql = (const char *)r->p + r->off;
	*sql_len = eh.sql_len;
	*nparams = eh.nparams;
	r->off += eh.sql_len;
	return 0;
}

int sqlp_put_column(struct sqlp_wbuf *w, const char *name, const char *decl)
{
	size_t start = w->len;
	size_t nl = name ? strlen(name) : 0, dl = decl ? strlen(decl) : 0;
	uint16_t n16, d16;
	int ret;

	if (nl > UINT16_MAX)
		nl = UINT16_MAX;
	if (dl > UINT16_MAX)
		dl = UINT16_MAX;
	n16 = (uint16_t)nl;
	d16 = (uint16_t)dl;
	ret = sqlp_put_bytes(w, &n16, 2);
	if (!ret)
		ret = sqlp_put_bytes(w, name, nl);
	if (!ret)
		ret = sqlp_put_bytes(w, &d16, 2);
	if (!ret)
		ret = sqlp_put_bytes(w, decl, dl);
	if (ret)
		w->len = start;
	return ret;
}

int sqlp_get_column(struct sqlp_rbuf *r, const char **name, uint16_t *nlen,
		    const char **decl, uint16_t *dlen)
{
	size_t start = r->off;
	int ret;

	ret = sqlp_get_u16(r, nlen);
	if (!ret && *nlen > r->len - r->off)
		ret = -EBADMSG;
	if (!ret) {
		*name = (const char *)r->p + r->off;
		r->off += *nlen;
		ret = sqlp_get_u16(r, dlen);
	}
	if (!ret && *dlen > r->len - r->off)
		ret = -EBADMSG;
	if (!ret) {
		*decl = (const char *)r->p + r->off;
		r->off += *dlen;
	}
	if (ret)
		r->off = start;
	return ret;
}
