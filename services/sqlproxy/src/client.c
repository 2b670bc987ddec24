// SPDX-License-Identifier: BSD-2-Clause
/* libsqlproxy: the sqlproxyd client (ucchan or Unix socket). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <libucchan.h>
#include "sqlproxy.h"
#include "sqlproxy_proto.h"

#define RES_DEFAULT	(256u << 10)
#define PAGE		4096u

struct sqlp_conn {
	bool is_ucchan;
	int fd;				/* socket */
	struct ucchan_client *uc;
	int buf_id;			/* registered result buffer, or -1 */
	size_t max_inline;
	uint8_t *inl;			/* inline reply (ucchan) */
	uint8_t *res;			/* result buffer */
	size_t res_cap;
	const uint8_t *rp;		/* where the last result is */
	uint8_t *req;			/* request being built */
	size_t req_cap;
	struct sqlp_stmt *active;	/* statement owning the result */
	bool intxn;
	int errcode;
	char errmsg[512];
};

struct sqlp_stmt {
	struct sqlp_conn *c;
	char *sql;
	size_t sql_len;
	struct sqlp_value *params;
	unsigned int nparams;
	bool executed, more, done;
	uint64_t cursor;
	int ncols;
	char **names, **decls;
	struct sqlp_value *vals;
	char **txt;
	size_t *txt_cap;
	struct sqlp_rbuf r;
	uint32_t rows_left;
	int64_t changes, rowid;
};

static void set_err(struct sqlp_conn *c, int code, const void *msg, size_t n)
{
	if (n >= sizeof(c->errmsg))
		n = sizeof(c->errmsg) - 1;
	memcpy(c->errmsg, msg, n);
	c->errmsg[n] = 0;
	c->errcode = code;
}

static void set_errno(struct sqlp_conn *c, int err)
{
	const char *m = strerror(-err);

	set_err(c, 0, m, strlen(m));
}

/* ---- transports -------------------------------------------------------- */

static int io_full(int fd, void *p, size_t n, bool wr)
{
	size_t done = 0;
	ssize_t r;

	while (done < n) {
		r = wr ? send(fd, (char *)p + done, n - done, MSG_NOSIGNAL) :
			 read(fd, (char *)p + done, n - done);
		if (r == 0)
			return -ECONNRESET;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errno == EPIPE ? -ECONNRESET : -errno;
		}
		done += (size_t)r;
	}
	return 0;
}

static int sock_call(struct sqlp_conn *c, size_t len,
		     struct sqlp_reply_hdr *rep)
{
	int ret;

	ret = io_full(c->fd, c->req, len, true);
	if (!ret)
		ret = io_full(c->fd, rep, sizeof(*rep), false);
	if (!ret && sqlp_reply_check(rep, c->res_cap))
		ret = -EPROTO;
	if (!ret && rep->status != -EMSGSIZE)
		ret = io_full(c->fd, c->res, rep->result_len, false);
	if (ret == -EPROTO || ret == -ECONNRESET) {
		/* the stream is lost: fail every later call too */
		shutdown(c->fd, SHUT_RDWR);
	}
	c->rp = c->res;
	return ret;
}

static int uc_register(struct sqlp_conn *c)
{
	int id = ucchan_client_buf_register(c->uc, c->res, c->res_cap,
					    UCCHAN_BUF_WRITE);

	c->buf_id = id >= 0 ? id : -1;
	return 0;
}

static int uc_call(struct sqlp_conn *c, size_t len, struct sqlp_reply_hdr *rep)
{
	struct sqlp_req_hdr *h = (struct sqlp_req_hdr *)c->req;
	struct ucchan_cbuf b[2];
	struct ucchan_call_args a = { .size = sizeof(a) };
	unsigned int n = 0;
	int ret;

	h->flags |= SQLP_REQ_RESULT_BUF;
	a.req = c->req;
	a.req_len = len;
	if (len > c->max_inline) {
		h->flags |= SQLP_REQ_BODY_BUF;
		a.req_len = sizeof(*h);
		b[n++] = (struct ucchan_cbuf){ c->req + sizeof(*h),
					       len - sizeof(*h),
					       UCCHAN_BUF_READ, 0 };
	}
	if (c->buf_id >= 0)
		b[n++] = (struct ucchan_cbuf){ 0, c->res_cap,
			UCCHAN_BUF_WRITE | UCCHAN_BUF_REGISTERED,
			(uint32_t)c->buf_id };
	else
		b[n++] = (struct ucchan_cbuf){ c->res, c->res_cap,
					       UCCHAN_BUF_WRITE, 0 };
	a.bufs = b;
	a.nr_bufs = n;
	a.reply = c->inl;
	a.reply_cap = c->max_inline;
	ret = ucchan_client_call(c->uc, &a);
	if (ret)
		return ret;
	if (a.reply_len < sizeof(*rep) || a.reply_len > c->max_inline)
		return -EPROTO;
	memcpy(rep, c->inl, sizeof(*rep));
	if (a.reply_len > sizeof(*rep)) {
		/* inline result (transport-level errors) */
		if (rep->result_len != a.reply_len - sizeof(*rep))
			return -EPROTO;
		c->rp = c->inl + sizeof(*rep);
	} else {
		c->rp = c->res;
	}
	if (sqlp_reply_check(rep, c->res_cap))
		return -EPROTO;
	return 0;
}

/* Send the request built in c->req (len bytes); *rep gets the reply. */
static int do_call(struct sqlp_conn *c, size_t len, struct sqlp_reply_hdr *rep)
{
	struct sqlp_req_hdr *h = (struct sqlp_req_hdr *)c->req;
	int ret;

	h->body_len = (uint32_t)(len - sizeof(*h));
	h->result_cap = (uint32_t)c->res_cap;
	ret = c->is_ucchan ? uc_call(c, len, rep) : sock_call(c, len, rep);
	if (ret)
		set_errno(c, ret);
	return ret;
}

static int grow_res(struct sqlp_conn *c, size_t need)
{
	size_t cap = c->res_cap;
	void *p;

	while (cap < need)
		cap *= 2;
	if (cap > SQLP_MAX_RESULT)
		return -EMSGSIZE;
	if (posix_memalign(&p, PAGE, cap))
		return -ENOMEM;
	if (c->is_ucchan && c->buf_id >= 0)
		ucchan_client_buf_unregister(c->uc, (uint32_t)c->buf_id);
	free(c->res);
	c->res = p;
	c->res_cap = cap;
	if (c->is_ucchan)
		uc_register(c);
	return 0;
}

static int req_reserve(struct sqlp_conn *c, size_t n)
{
	void *p;

	if (n <= c->req_cap)
		return 0;
	p = realloc(c->req, n);
	if (!p)
		return -ENOMEM;
	c->req = p;
	c->req_cap = n;
	return 0;
}

static void req_hdr(struct sqlp_conn *c, enum sqlp_op op, uint64_t cursor)
{
	struct sqlp_req_hdr *h = (struct sqlp_req_hdr *)c->req;

	memset(h, 0, sizeof(*h));
	h->magic = SQLP_MAGIC;
	h->version = SQLP_VERSION_MAJOR << 8 | SQLP_VERSION_MINOR;
	h->op = (uint16_t)op;
	h->cursor = cursor;
}

/* ---- connection -------------------------------------------------------- */

static int connect_unix(struct sqlp_conn *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -errno;
	c->max_inline = SQLP_MAX_BODY;
	return 0;
}

static int connect_ucchan(struct sqlp_conn *c, const char *name)
{
	int ret;

	c->is_ucchan = true;
	ret = ucchan_client_connect(&c->uc, name);
	if (ret)
		return ret;
	c->max_inline = ucchan_client_max_inline(c->uc);
	if (c->max_inline < sizeof(struct sqlp_reply_hdr) + 64)
		return -EPROTO;
	c->inl = malloc(c->max_inline);
	if (!c->inl)
		return -ENOMEM;
	return uc_register(c);
}

int sqlp_connect(struct sqlp_conn **cp, const char *target)
{
	struct sqlp_reply_hdr rep;
	struct sqlp_hello hello;
	struct sqlp_conn *c;
	int ret;

	if (!target)
		target = getenv("SQLPROXY_TARGET");
	if (!target || !*target)
		target = "ucchan:sqlproxy";
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = -1;
	c->buf_id = -1;
	c->res_cap = RES_DEFAULT;
	if (posix_memalign((void **)&c->res, PAGE, c->res_cap)) {
		free(c);
		return -ENOMEM;
	}
	ret = req_reserve(c, 4096);
	if (ret)
		goto fail;
	if (!strncmp(target, "unix:", 5))
		ret = connect_unix(c, target + 5);
	else if (!strncmp(target, "ucchan:", 7))
		ret = connect_ucchan(c, target + 7);
	else
		ret = -EINVAL;
	if (ret)
		goto fail;
	req_hdr(c, SQLP_OP_HELLO, 0);
	ret = do_call(c, sizeof(struct sqlp_req_hdr), &rep);
	if (!ret && (rep.status || rep.result_len < sizeof(hello)))
		ret = rep.status < 0 ? rep.status : -EPROTO;
	if (ret)
		goto fail;
	memcpy(&hello, c->rp, sizeof(hello));
	if ((hello.version >> 8) != SQLP_VERSION_MAJOR) {
		ret = -EPROTONOSUPPORT;
		goto fail;
	}
	*cp = c;
	return 0;
fail:
	sqlp_disconnect(c);
	return ret;
}

void sqlp_disconnect(struct sqlp_conn *c)
{
	if (!c)
		return;
	if (c->uc)
		ucchan_client_close(c->uc);	/* unregisters, too */
	if (c->fd >= 0)
		close(c->fd);
	if (c->active)
		c->active->c = NULL;
	free(c->inl);
	free(c->res);
	free(c->req);
	free(c);
}

const char *sqlp_transport(const struct sqlp_conn *c)
{
	return c->is_ucchan ? "ucchan" : "unix";
}

int sqlp_in_transaction(const struct sqlp_conn *c)
{
	return c->intxn;
}

int sqlp_errcode(const struct sqlp_conn *c)
{
	return c->errcode;
}

const char *sqlp_errmsg(const struct sqlp_conn *c)
{
	return c->errmsg;
}

/* ---- statements -------------------------------------------------------- */

int sqlp_prepare(struct sqlp_conn *c, const char *sql, struct sqlp_stmt **sp)
{
	struct sqlp_stmt *s;
	size_t n = strlen(sql);

	*sp = NULL;	/* on failure too: sqlp_finalize(NULL) is a no-op */
	if (n > SQLP_MAX_SQL)
		return -E2BIG;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->sql = strdup(sql);
	if (!s->sql) {
		free(s);
		return -ENOMEM;
	}
	s->sql_len = n;
	s->c = c;
	*sp = s;
	return 0;
}

static void free_result(struct sqlp_stmt *s)
{
	int i;

	for (i = 0; i < s->ncols; i++) {
		free(s->names[i]);
		free(s->decls[i]);
		free(s->txt[i]);
	}
	free(s->names);
	free(s->decls);
	free(s->txt);
	free(s->txt_cap);
	free(s->vals);
	s->names = s->decls = s->txt = NULL;
	s->txt_cap = NULL;
	s->vals = NULL;
	s->ncols = 0;
	s->rows_left = 0;
	s->executed = s->more = s->done = false;
}

static void param_free(struct sqlp_value *v)
{
	if (v->type == SQLP_T_TEXT || v->type == SQLP_T_BLOB)
		free((void *)v->s.p);
	v->type = SQLP_T_NULL;
}

static struct sqlp_value *param_slot(struct sqlp_stmt *s, int idx)
{
	struct sqlp_value *p;
	unsigned int i;

	if (idx < 1 || (unsigned int)idx > SQLP_MAX_PARAMS)
		return NULL;
	if ((unsigned int)idx > s->nparams) {
		p = realloc(s->params, (size_t)idx * sizeof(*p));
		if (!p)
			return NULL;
		for (i = s->nparams; i < (unsigned int)idx; i++)
			p[i].type = SQLP_T_NULL;
		s->params = p;
		s->nparams = (unsigned int)idx;
	}
	param_free(&s->params[idx - 1]);
	return &s->params[idx - 1];
}

int sqlp_bind_null(struct sqlp_stmt *s, int idx)
{
	return param_slot(s, idx) ? 0 : -ERANGE;
}

int sqlp_bind_int64(struct sqlp_stmt *s, int idx, int64_t v)
{
	struct sqlp_value *p = param_slot(s, idx);

	if (!p)
		return -ERANGE;
	p->type = SQLP_T_INT;
	p->i = v;
	return 0;
}

int sqlp_bind_double(struct sqlp_stmt *s, int idx, double v)
{
	struct sqlp_value *p = param_slot(s, idx);

	if (!p)
		return -ERANGE;
	p->type = SQLP_T_FLOAT;
	p->d = v;
	return 0;
}

static int bind_bytes(struct sqlp_stmt *s, int idx, enum sqlp_type t,
		      const void *v, size_t len)
{
	struct sqlp_value *p;
	void *copy;

	if (len > SQLP_MAX_VALUE)
		return -E2BIG;
	copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	p = param_slot(s, idx);
	if (!p) {
		free(copy);
		return -ERANGE;
	}
	if (len)
		memcpy(copy, v, len);
	p->type = t;
	p->s.p = copy;
	p->s.len = (uint32_t)len;
	return 0;
}

int sqlp_bind_text(struct sqlp_stmt *s, int idx, const char *v, int len)
{
	return bind_bytes(s, idx, SQLP_T_TEXT, v,
			  len < 0 ? strlen(v) : (size_t)len);
}

int sqlp_bind_blob(struct sqlp_stmt *s, int idx, const void *v, size_t len)
{
	return bind_bytes(s, idx, SQLP_T_BLOB, v, len);
}

int sqlp_clear_bindings(struct sqlp_stmt *s)
{
	unsigned int i;

	for (i = 0; i < s->nparams; i++)
		param_free(&s->params[i]);
	free(s->params);
	s->params = NULL;
	s->nparams = 0;
	return 0;
}

static int parse_columns(struct sqlp_stmt *s, uint32_t ncols)
{
	const char *n, *d;
	uint16_t nl, dl;
	uint32_t i;

	if (ncols > 32767)
		return -EPROTO;
	s->names = calloc(ncols ? ncols : 1, sizeof(char *));
	s->decls = calloc(ncols ? ncols : 1, sizeof(char *));
	s->txt = calloc(ncols ? ncols : 1, sizeof(char *));
	s->txt_cap = calloc(ncols ? ncols : 1, sizeof(size_t));
	s->vals = calloc(ncols ? ncols : 1, sizeof(*s->vals));
	s->ncols = (int)ncols;
	if (!s->names || !s->decls || !s->txt || !s->txt_cap || !s->vals)
		return -ENOMEM;
	for (i = 0; i < ncols; i++) {
		if (sqlp_get_column(&s->r, &n, &nl, &d, &dl))
			return -EPROTO;
		s->names[i] = strndup(n, nl);
		s->decls[i] = dl ? strndup(d, dl) : NULL;
		if (!s->names[i] || (dl && !s->decls[i]))
			return -ENOMEM;
	}
	return 0;
}

/* Take a reply for s: errors, columns, the row chunk. */
static int take_reply(struct sqlp_stmt *s, const struct sqlp_reply_hdr *rep)
{
	struct sqlp_conn *c = s->c;
	int ret;

	c->intxn = !!(rep->flags & SQLP_REP_INTXN);
	if (rep->status) {
		set_err(c, rep->status > 0 ? rep->status : 0, c->rp,
			rep->result_len);
		if (rep->status < 0 && !c->errmsg[0])
			set_errno(c, rep->status);
		return rep->status > 0 ? -SQLP_ESQL : rep->status;
	}
	s->r = (struct sqlp_rbuf){ .p = c->rp, .len = rep->result_len };
	if (rep->flags & SQLP_REP_COLS) {
		if (s->names)
			return -EPROTO;
		ret = parse_columns(s, rep->ncols);
		if (ret)
			return ret;
	} else if (!s->names && rep->nrows) {
		return -EPROTO;
	}
	s->rows_left = rep->nrows;
	s->more = !!(rep->flags & SQLP_REP_MORE);
	s->cursor = rep->cursor;
	s->changes = rep->changes;
	s->rowid = rep->last_rowid;
	return 0;
}

/* Call for s, growing the result buffer while one row does not fit. */
static int call_grow(struct sqlp_stmt *s, size_t len, struct sqlp_reply_hdr *rep)
{
	struct sqlp_conn *c = s->c;
	int ret;

	ret = do_call(c, len, rep);
	while (!ret && rep->status == -EMSGSIZE && (rep->flags & SQLP_REP_MORE)) {
		ret = grow_res(c, rep->result_len);
		if (ret)
			break;
		req_hdr(c, SQLP_OP_FETCH, rep->cursor);
		s->cursor = rep->cursor;
		ret = do_call(c, sizeof(struct sqlp_req_hdr), rep);
	}
	if (ret)
		return ret;
	return take_reply(s, rep);
}

int sqlp_execute(struct sqlp_stmt *s)
{
	struct sqlp_conn *c = s->c;
	struct sqlp_reply_hdr rep;
	struct sqlp_wbuf w;
	size_t need;
	unsigned int i;
	int ret;

	if (!c)
		return -ENOTCONN;
	free_result(s);
	need = sizeof(struct sqlp_req_hdr) + sizeof(struct sqlp_exec_hdr) +
	       s->sql_len;
	for (i = 0; i < s->nparams; i++)
		need += sqlp_value_size(&s->params[i]);
	if (need > SQLP_MAX_BODY)
		return -E2BIG;
	ret = req_reserve(c, need);
	if (ret)
		return ret;
	req_hdr(c, SQLP_OP_EXEC, 0);
	w = (struct sqlp_wbuf){ .p = c->req, .len = sizeof(struct sqlp_req_hdr),
				.cap = need };
	ret = sqlp_exec_encode(&w, s->sql, s->sql_len, s->params, s->nparams);
	if (ret < 0)
		return ret;
	if (c->active && c->active != s)
		c->active->done = true;	/* the server dropped its cursor */
	c->active = s;
	s->executed = true;
	c->errcode = 0;
	c->errmsg[0] = 0;
	ret = call_grow(s, w.len, &rep);
	if (ret)
		s->done = true;
	return ret;
}

static const char *text_copy(struct sqlp_stmt *s, int i)
{
	struct sqlp_value *v = &s->vals[i];
	size_t n = v->s.len + 1;

	if (s->txt_cap[i] < n) {
		char *p = realloc(s->txt[i], n);

		if (!p)
			return NULL;
		s->txt[i] = p;
		s->txt_cap[i] = n;
	}
	memcpy(s->txt[i], v->s.p, v->s.len);
	s->txt[i][v->s.len] = 0;
	return s->txt[i];
}

int sqlp_step(struct sqlp_stmt *s)
{
	struct sqlp_conn *c = s->c;
	struct sqlp_reply_hdr rep;
	int i, ret;

	if (!s->executed)
		return -EINVAL;
	if (s->done)
		return 0;
	if (!c || c->active != s)
		return -ECANCELED;
	while (!s->rows_left) {
		if (!s->more) {
			s->done = true;
			return 0;
		}
		req_hdr(c, SQLP_OP_FETCH, s->cursor);
		ret = call_grow(s, sizeof(struct sqlp_req_hdr), &rep);
		if (ret) {
			s->done = true;
			return ret;
		}
	}
	for (i = 0; i < s->ncols; i++) {
		if (sqlp_get_value(&s->r, &s->vals[i]))
			return -EPROTO;
		if (s->vals[i].type == SQLP_T_TEXT && !text_copy(s, i))
			return -ENOMEM;
	}
	s->rows_left--;
	return 1;
}

int sqlp_reset(struct sqlp_stmt *s)
{
	struct sqlp_conn *c = s->c;
	struct sqlp_reply_hdr rep;
	int ret = 0;

	if (c && c->active == s && s->more && !s->done) {
		req_hdr(c, SQLP_OP_CLOSE, s->cursor);
		ret = do_call(c, sizeof(struct sqlp_req_hdr), &rep);
		if (!ret && rep.status && rep.status != -ENOENT)
			ret = rep.status < 0 ? rep.status : -SQLP_ESQL;
	}
	if (c && c->active == s)
		c->active = NULL;
	free_result(s);
	return ret;
}

void sqlp_finalize(struct sqlp_stmt *s)
{
	if (!s)
		return;
	sqlp_reset(s);
	sqlp_clear_bindings(s);
	free(s->sql);
	free(s);
}

int sqlp_column_count(const struct sqlp_stmt *s)
{
	return s->ncols;
}

static const struct sqlp_value *col(const struct sqlp_stmt *s, int i)
{
	static const struct sqlp_value null;

	return i >= 0 && i < s->ncols && s->vals ? &s->vals[i] : &null;
}

const char *sqlp_column_name(const struct sqlp_stmt *s, int i)
{
	return i >= 0 && i < s->ncols ? s->names[i] : NULL;
}

const char *sqlp_column_decltype(const struct sqlp_stmt *s, int i)
{
	return i >= 0 && i < s->ncols ? s->decls[i] : NULL;
}

int sqlp_column_type(const struct sqlp_stmt *s, int i)
{
	return col(s, i)->type;
}

int64_t sqlp_column_int64(const struct sqlp_stmt *s, int i)
{
	const struct sqlp_value *v = col(s, i);

	switch (v->type) {
	case SQLP_T_INT: return v->i;
	case SQLP_T_FLOAT: return (int64_t)v->d;
	case SQLP_T_TEXT: return strtoll(s->txt[i], NULL, 10);
	default: return 0;
	}
}

double sqlp_column_double(const struct sqlp_stmt *s, int i)
{
	const struct sqlp_value *v = col(s, i);

	switch (v->type) {
	case SQLP_T_INT: return (double)v->i;
	case SQLP_T_FLOAT: return v->d;
	case SQLP_T_TEXT: return strtod(s->txt[i], NULL);
	default: return 0;
	}
}

const char *sqlp_column_text(struct sqlp_stmt *s, int i)
{
	const struct sqlp_value *v = col(s, i);
	char tmp[64];
	size_t n;

	switch (v->type) {
	case SQLP_T_TEXT:
		return s->txt[i];
	case SQLP_T_INT:
		snprintf(tmp, sizeof(tmp), "%lld", (long long)v->i);
		break;
	case SQLP_T_FLOAT:
		/* like the sqlite3 shell: 2.0, not 2 */
		snprintf(tmp, sizeof(tmp), "%.15g", v->d);
		if (strtod(tmp, NULL) != v->d)
			snprintf(tmp, sizeof(tmp), "%.17g", v->d);
		if (!strpbrk(tmp, ".eEni"))
			strcat(tmp, ".0");
		break;
	case SQLP_T_BLOB: {
		/* raw bytes, NUL-terminated like sqlite3_column_text() */
		struct sqlp_value t = *v;

		s->vals[i].type = SQLP_T_TEXT;
		text_copy(s, i);
		s->vals[i] = t;
		return s->txt[i];
	}
	default:
		return NULL;
	}
	n = strlen(tmp) + 1;
	if (s->txt_cap[i] < n) {
		char *p = realloc(s->txt[i], n);

		if (!p)
			return NULL;
		s->txt[i] = p;
		s->txt_cap[i] = n;
	}
	memcpy(s->txt[i], tmp, n);
	return s->txt[i];
}

const void *sqlp_column_blob(const struct sqlp_stmt *s, int i)
{
	const struct sqlp_value *v = col(s, i);

	if (v->type == SQLP_T_BLOB)
		return v->s.p;
	return v->type == SQLP_T_TEXT ? s->txt[i] : NULL;
}

int sqlp_column_bytes(const struct sqlp_stmt *s, int i)
{
	const struct sqlp_value *v = col(s, i);

	return v->type == SQLP_T_TEXT || v->type == SQLP_T_BLOB ?
	       (int)v->s.len : 0;
}

int64_t sqlp_changes(const struct sqlp_stmt *s)
{
	return s->changes;
}

int64_t sqlp_last_insert_rowid(const struct sqlp_stmt *s)
{
	return s->rowid;
}

int sqlp_exec(struct sqlp_conn *c, const char *sql)
{
	struct sqlp_stmt *s;
	int ret;

	ret = sqlp_prepare(c, sql, &s);
	if (ret)
		return ret;
	ret = sqlp_execute(s);
	if (!ret)
		while ((ret = sqlp_step(s)) == 1)
			;
	sqlp_finalize(s);
	return ret;
}
