// SPDX-License-Identifier: BSD-2-Clause
/* sqlproxyd engine: sessions, connection pool, statement cache, encoding. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "engine_i.h"

#define SESS_HASH	256
#define DEAD_RING	1024
#define POOL_MAX_IDLE	32

struct stmt_ent {
	char *sql;
	uint32_t len;
	uint64_t used;
	sqlite3_stmt *st;
};

struct sqlp_dbc {
	sqlite3 *db;
	struct sqlp_dbc *next;		/* pool */
	uint64_t tick;
	unsigned int nents;
	unsigned int cap;
	struct stmt_ent ents[];
};

struct sqlp_session {
	uint64_t key;
	struct sqlp_session *next;
	pthread_mutex_t lock;
	unsigned int refs;		/* under engine lock */
	bool dead;
	struct sqlp_dbc *dbc;		/* owned: in a transaction or cursor */
	sqlite3_stmt *cur;		/* open cursor, on a pending row */
	bool cur_cached;		/* cur belongs to the stmt cache */
	bool cur_cols_sent;
	uint64_t cur_id;
};

struct sqlp_engine {
	struct sqlp_engine_opts o;
	char *path;
	pthread_mutex_t lock;
	struct sqlp_dbc *pool;
	unsigned int npool;
	unsigned int nsessions;
	uint64_t next_cursor;
	struct sqlp_session *tab[SESS_HASH];
	uint64_t dead[DEAD_RING];	/* recently disconnected keys */
	unsigned int dead_pos;
	int stopping;			/* sqlp_engine_interrupt() */
};

/* ---- connections ------------------------------------------------------- */

static void dbc_close(struct sqlp_dbc *d)
{
	unsigned int i;

	if (!d)
		return;
	for (i = 0; i < d->nents; i++) {
		sqlite3_finalize(d->ents[i].st);
		free(d->ents[i].sql);
	}
	sqlite3_close(d->db);
	free(d);
}

/* SQLite's progress handler: non-zero interrupts the statement. */
static int dbc_progress(void *arg)
{
	struct sqlp_engine *e = arg;

	return __atomic_load_n(&e->stopping, __ATOMIC_RELAXED);
}

/*
 * A new connection: the daemon's own settings first (wal: switch the
 * database to WAL, done once by sqlp_engine_new()), then the sandbox that
 * every client statement runs under (sandbox.c).
 */
static int dbc_open(struct sqlp_engine *e, struct sqlp_dbc **dp, bool wal,
		    char *err, size_t errlen)
{
	struct sqlp_dbc *d;
	char *msg = NULL;
	int rc;

	d = calloc(1, sizeof(*d) + e->o.stmt_cache * sizeof(struct stmt_ent));
	if (!d)
		return -ENOMEM;
	d->cap = e->o.stmt_cache;
	rc = sqlite3_open_v2(e->path, &d->db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(d->db, 5000);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(d->db, e->o.sync_full ?
				  "PRAGMA synchronous=FULL" :
				  "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	if (rc == SQLITE_OK && wal) {
		rc = sqlite3_exec(d->db, "PRAGMA journal_mode=WAL", NULL, NULL,
				  &msg);
		if (rc != SQLITE_OK) {
			snprintf(err, errlen, "%s: WAL: %s", e->path,
				 msg ? msg : sqlite3_errmsg(d->db));
			sqlite3_free(msg);
			dbc_close(d);
			return -EIO;
		}
	}
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", e->path,
			 d->db ? sqlite3_errmsg(d->db) : sqlite3_errstr(rc));
		dbc_close(d);
		return -EIO;
	}
	if (sqlp_sandbox(d->db, err, errlen)) {
		dbc_close(d);
		return -EIO;
	}
	sqlite3_progress_handler(d->db, 1000, dbc_progress, e);
	*dp = d;
	return 0;
}

static struct sqlp_dbc *pool_get(struct sqlp_engine *e)
{
	struct sqlp_dbc *d;
	char err[256];

	pthread_mutex_lock(&e->lock);
	d = e->pool;
	if (d) {
		e->pool = d->next;
		e->npool--;
	}
	pthread_mutex_unlock(&e->lock);
	if (!d && dbc_open(e, &d, false, err, sizeof(err)))
		return NULL;
	d->next = NULL;
	return d;
}

static void pool_put(struct sqlp_engine *e, struct sqlp_dbc *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&e->lock);
	if (e->npool < POOL_MAX_IDLE) {
		d->next = e->pool;
		e->pool = d;
		e->npool++;
		d = NULL;
	}
	pthread_mutex_unlock(&e->lock);
	dbc_close(d);
}

/* Prepared statement for sql, from the cache; *cached tells who owns it. */
static int dbc_prepare(struct sqlp_dbc *d, const char *sql, uint32_t len,
		       sqlite3_stmt **stp, const char **tail, bool *cached)
{
	struct stmt_ent *victim = NULL;
	unsigned int i, n = d->nents;
	int rc;

	for (i = 0; i < n; i++) {
		struct stmt_ent *s = &d->ents[i];

		if (s->sql && s->len == len && !memcmp(s->sql, sql, len)) {
			s->used = ++d->tick;
			*stp = s->st;
			*tail = sql + len;
			*cached = true;
			return SQLITE_OK;
		}
	}
	rc = sqlite3_prepare_v3(d->db, sql, (int)len, SQLITE_PREPARE_PERSISTENT,
				stp, tail);
	*cached = false;
	if (rc != SQLITE_OK || !*stp)
		return rc;
	/* Only single-statement SQL is cached. */
	if (*tail != sql + len)
		return rc;
	/* Cache it: a free entry, else evict the least recently used. */
	if (d->nents < d->cap) {
		victim = &d->ents[d->nents++];
	} else if (d->cap) {
		victim = &d->ents[0];
		for (i = 1; i < n; i++)
			if (d->ents[i].used < victim->used)
				victim = &d->ents[i];
		sqlite3_finalize(victim->st);
		free(victim->sql);
		victim->sql = NULL;
	}
	if (!victim)
		return rc;
	victim->sql = malloc(len ? len : 1);
	if (!victim->sql) {
		victim->st = NULL;
		victim->len = 0;
		victim->used = 0;
		return rc;
	}
	memcpy(victim->sql, sql, len);
	victim->len = len;
	victim->st = *stp;
	victim->used = ++d->tick;
	*cached = true;
	return rc;
}

/* ---- sessions ---------------------------------------------------------- */

static struct sqlp_session **sess_slot(struct sqlp_engine *e, uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ull;

	return &e->tab[(h >> 56) % SESS_HASH];
}

static bool key_dead(struct sqlp_engine *e, uint64_t key)
{
	unsigned int i;

	for (i = 0; i < DEAD_RING; i++)
		if (e->dead[i] == key)
			return true;
	return false;
}

/* Find (and optionally create) key's session, referenced and locked. */
static int sess_get(struct sqlp_engine *e, uint64_t key, bool create,
		    struct sqlp_session **sp)
{
	struct sqlp_session *s, **slot;

	pthread_mutex_lock(&e->lock);
	slot = sess_slot(e, key);
	for (s = *slot; s; s = s->next)
		if (s->key == key)
			break;
	if (!s && create) {
		if (key_dead(e, key)) {
			pthread_mutex_unlock(&e->lock);
			return -ECONNRESET;
		}
		s = calloc(1, sizeof(*s));
		if (!s) {
			pthread_mutex_unlock(&e->lock);
			return -ENOMEM;
		}
		s->key = key;
		pthread_mutex_init(&s->lock, NULL);
		s->next = *slot;
		*slot = s;
		e->nsessions++;
	}
	if (s)
		s->refs++;
	pthread_mutex_unlock(&e->lock);
	if (s)
		pthread_mutex_lock(&s->lock);
	*sp = s;
	return 0;
}

static void sess_put(struct sqlp_engine *e, struct sqlp_session *s)
{
	bool last;

	pthread_mutex_unlock(&s->lock);
	pthread_mutex_lock(&e->lock);
	last = --s->refs == 0 && s->dead;
	pthread_mutex_unlock(&e->lock);
	if (last) {
		pthread_mutex_destroy(&s->lock);
		free(s);
	}
}

static void cursor_drop(struct sqlp_session *s)
{
	if (!s->cur)
		return;
	if (s->cur_cached) {
		sqlite3_reset(s->cur);
		sqlite3_clear_bindings(s->cur);
	} else {
		sqlite3_finalize(s->cur);
	}
	s->cur = NULL;
	s->cur_id = 0;
}

/* ---- replies ----------------------------------------------------------- */

void sqlp_reply_error(struct sqlp_reply_hdr *rep, void *res, size_t res_cap,
		      int status, const char *msg)
{
	size_t n = strlen(msg);

	if (n > res_cap)
		n = res_cap;
	memset(rep, 0, sizeof(*rep));
	rep->magic = SQLP_MAGIC;
	rep->status = status;
	if (n)
		memcpy(res, msg, n);
	rep->result_len = (uint32_t)n;
}

static void reply_sqlite(struct sqlp_reply_hdr *rep, void *res, size_t cap,
			 sqlite3 *db, int rc)
{
	sqlp_reply_error(rep, res, cap, sqlite3_extended_errcode(db) ?: rc,
			 sqlite3_errmsg(db));
}

static void value_of(sqlite3_stmt *st, int i, struct sqlp_value *v)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		v->type = SQLP_T_INT;
		v->i = sqlite3_column_int64(st, i);
		break;
	case SQLITE_FLOAT:
		v->type = SQLP_T_FLOAT;
		v->d = sqlite3_column_double(st, i);
		break;
	case SQLITE_TEXT:
		v->type = SQLP_T_TEXT;
		v->s.p = sqlite3_column_text(st, i);
		v->s.len = (uint32_t)sqlite3_column_bytes(st, i);
		break;
	case SQLITE_BLOB:
		v->type = SQLP_T_BLOB;
		v->s.p = sqlite3_column_blob(st, i);
		v->s.len = (uint32_t)sqlite3_column_bytes(st, i);
		break;
	default:
		v->type = SQLP_T_NULL;
		break;
	}
}

/* Encode the current row; on -ENOSPC *need is its size. */
static int put_row(struct sqlp_wbuf *w, sqlite3_stmt *st, int ncols,
		   size_t *need)
{
	size_t start = w->len, sz = 0;
	struct sqlp_value v;
	int i, ret = 0;

	for (i = 0; i < ncols; i++) {
		value_of(st, i, &v);
		sz += sqlp_value_size(&v);
		if (!ret)
			ret = sqlp_put_value(w, &v);
	}
	if (ret) {
		w->len = start;
		*need = sz;
	}
	return ret;
}

static int put_columns(struct sqlp_wbuf *w, sqlite3_stmt *st, int ncols)
{
	int i, ret = 0;

	for (i = 0; !ret && i < ncols; i++)
		ret = sqlp_put_column(w, sqlite3_column_name(st, i),
				      sqlite3_column_decltype(st, i));
	return ret;
}

/*
 * Run st (already bound) into the result, starting on a pending row when
 * pending. Returns with the statement either done (reset/finalized by the
 * caller) or parked as s's cursor (*parked).
 */
static void run_stmt(struct sqlp_engine *e, struct sqlp_dbc *d,
		     sqlite3_stmt *st, bool pending, bool cols_sent,
		     void *res, size_t cap, struct sqlp_reply_hdr *rep,
		     bool *parked, bool *need_cols)
{
	struct sqlp_wbuf w = { .p = res, .cap = cap };
	int ncols = sqlite3_column_count(st);
	size_t need = 0;
	int rc = SQLITE_ROW;

	*parked = false;
	*need_cols = false;
	memset(rep, 0, sizeof(*rep));
	rep->magic = SQLP_MAGIC;
	rep->ncols = (uint32_t)ncols;
	if (!pending)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		reply_sqlite(rep, res, cap, d->db, rc);
		return;
	}
	if (ncols && !cols_sent) {
		if (put_columns(&w, st, ncols)) {
			/* no room even for the column list */
			if (rc == SQLITE_ROW) {
				*parked = true;
				*need_cols = true;
			}
			memset(rep, 0, sizeof(*rep));
			rep->magic = SQLP_MAGIC;
			rep->status = -EMSGSIZE;
			rep->result_len = 65536 * 2 * (uint32_t)ncols;
			rep->flags = *parked ? SQLP_REP_MORE : 0;
			return;
		}
		rep->flags |= SQLP_REP_COLS;
	}
	while (rc == SQLITE_ROW) {
		if (put_row(&w, st, ncols, &need)) {
			*parked = true;
			*need_cols = !cols_sent && !(rep->flags & SQLP_REP_COLS);
			rep->flags |= SQLP_REP_MORE;
			if (!rep->nrows) {
				/* one row larger than the buffer */
				rep->status = -EMSGSIZE;
				rep->result_len = (uint32_t)(need + w.len);
				rep->flags &= ~SQLP_REP_COLS;
				*need_cols = !cols_sent;
				return;
			}
			break;
		}
		rep->nrows++;
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		reply_sqlite(rep, res, cap, d->db, rc);
		return;
	}
	rep->result_len = (uint32_t)w.len;
	rep->changes = sqlite3_changes64(d->db);
	rep->last_rowid = sqlite3_last_insert_rowid(d->db);
}

static int bind_params(sqlite3_stmt *st, struct sqlp_rbuf *r,
		       unsigned int nparams, const char **why)
{
	struct sqlp_value v;
	unsigned int i;
	int ret, rc = SQLITE_OK;

	if ((int)nparams > sqlite3_bind_parameter_count(st)) {
		*why = "more parameters than the statement takes";
		return SQLITE_RANGE;
	}
	for (i = 0; i < nparams && rc == SQLITE_OK; i++) {
		ret = sqlp_get_value(r, &v);
		if (ret) {
			*why = ret == -E2BIG ? "parameter too large" :
			       "malformed parameter";
			return ret;
		}
		switch (v.type) {
		case SQLP_T_NULL:
			rc = sqlite3_bind_null(st, (int)i + 1);
			break;
		case SQLP_T_INT:
			rc = sqlite3_bind_int64(st, (int)i + 1, v.i);
			break;
		case SQLP_T_FLOAT:
			rc = sqlite3_bind_double(st, (int)i + 1, v.d);
			break;
		case SQLP_T_TEXT:
			rc = sqlite3_bind_text(st, (int)i + 1, v.s.p,
					       (int)v.s.len, SQLITE_TRANSIENT);
			break;
		case SQLP_T_BLOB:
			rc = sqlite3_bind_blob(st, (int)i + 1, v.s.p,
					       (int)v.s.len, SQLITE_TRANSIENT);
			break;
		}
	}
	if (rc == SQLITE_OK && r->off != r->len) {
		*why = "trailing bytes after the parameters";
		return -EBADMSG;
	}
	return rc;
}

static bool only_space(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' &&
		    *p != ';')
			return false;
	return true;
}

static void do_exec(struct sqlp_engine *e, struct sqlp_dbc *d,
		    struct sqlp_session *s, struct sqlp_rbuf *r,
		    void *res, size_t cap, struct sqlp_reply_hdr *rep,
		    sqlite3_stmt **parkp, bool *cachedp, bool *need_cols)
{
	const char *sql, *tail, *end, *why = NULL;
	sqlite3_stmt *st = NULL;
	uint32_t sql_len;
	uint16_t nparams;
	bool cached, parked;
	int ret, rc;

	*parkp = NULL;
	ret = sqlp_exec_decode(r, &sql, &sql_len, &nparams);
	if (ret) {
		sqlp_reply_error(rep, res, cap, ret, ret == -E2BIG ?
				 "SQL text or parameter count too large" :
				 "malformed EXEC request");
		return;
	}
	end = sql + sql_len;
	for (;;) {
		rc = dbc_prepare(d, sql, (uint32_t)(end - sql), &st, &tail,
				 &cached);
		if (rc != SQLITE_OK) {
			reply_sqlite(rep, res, cap, d->db, rc);
			return;
		}
		if (!st) {	/* only whitespace or comments */
			memset(rep, 0, sizeof(*rep));
			rep->magic = SQLP_MAGIC;
			return;
		}
		if (only_space(tail, end))
			break;
		/* Leading statements of a script: run to completion. */
		if (nparams) {
			sqlite3_finalize(st);
			sqlp_reply_error(rep, res, cap, SQLITE_MISUSE,
					 "parameters need a single statement");
			return;
		}
		do
			rc = sqlite3_step(st);
		while (rc == SQLITE_ROW);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			reply_sqlite(rep, res, cap, d->db, rc);
			return;
		}
		sql = tail;
	}
	rc = bind_params(st, r, nparams, &why);
	if (rc != SQLITE_OK) {
		if (rc < 0)
			sqlp_reply_error(rep, res, cap, rc, why);
		else
			sqlp_reply_error(rep, res, cap, rc, why ? why :
					 sqlite3_errmsg(d->db));
		goto done;
	}
	run_stmt(e, d, st, false, false, res, cap, rep, &parked, need_cols);
	if (parked) {
		*parkp = st;
		*cachedp = cached;
		return;
	}
done:
	if (cached) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	} else {
		sqlite3_finalize(st);
	}
}

/* ---- the call ---------------------------------------------------------- */

void sqlp_engine_call(struct sqlp_engine *e, struct sqlp_wctx *w, uint64_t key,
		      const struct sqlp_req_hdr *hdr, const void *body,
		      void *res, size_t res_cap, struct sqlp_reply_hdr *rep)
{
	struct sqlp_rbuf r = { .p = body, .len = hdr->body_len };
	struct sqlp_session *s = NULL;
	struct sqlp_dbc *d;
	sqlite3_stmt *park = NULL;
	bool cached = false, need_cols = false, parked;
	int ret;

	ret = sqlp_req_check(hdr);
	if (ret) {
		sqlp_reply_error(rep, res, res_cap, ret, "bad request header");
		return;
	}
	if (hdr->op == SQLP_OP_HELLO) {
		struct sqlp_hello h = {
			.version = SQLP_VERSION_MAJOR << 8 | SQLP_VERSION_MINOR,
			.sqlite_version = (uint32_t)sqlite3_libversion_number(),
			.features = SQLP_FEAT_CURSOR | SQLP_FEAT_BODY_BUF,
		};

		if (res_cap < sizeof(h)) {
			sqlp_reply_error(rep, res, res_cap, -EMSGSIZE, "");
			rep->result_len = sizeof(h);
			return;
		}
		memset(rep, 0, sizeof(*rep));
		rep->magic = SQLP_MAGIC;
		memcpy(res, &h, sizeof(h));
		rep->result_len = sizeof(h);
		return;
	}

	ret = sess_get(e, key, false, &s);
	if (ret) {
		sqlp_reply_error(rep, res, res_cap, ret, "session lookup");
		return;
	}
	if (hdr->op == SQLP_OP_FETCH || hdr->op == SQLP_OP_CLOSE) {
		if (!s || !s->cur || s->cur_id != hdr->cursor) {
			sqlp_reply_error(rep, res, res_cap, -ENOENT,
					 "no such cursor");
			goto out;
		}
		if (hdr->op == SQLP_OP_CLOSE) {
			cursor_drop(s);
			memset(rep, 0, sizeof(*rep));
			rep->magic = SQLP_MAGIC;
			goto settle;
		}
		d = s->dbc;
		run_stmt(e, d, s->cur, true, s->cur_cols_sent, res, res_cap,
			 rep, &parked, &need_cols);
		if (parked) {
			if (rep->flags & SQLP_REP_COLS)
				s->cur_cols_sent = true;
			rep->cursor = s->cur_id;
		} else {
			cursor_drop(s);
		}
		goto settle;
	}

	/* EXEC */
	if (s)
		cursor_drop(s);
	d = s && s->dbc ? s->dbc : w->dbc;
	if (!d) {
		d = w->dbc = pool_get(e);
		if (!d) {
			sqlp_reply_error(rep, res, res_cap, -ENOMEM,
					 "cannot open the database");
			goto out;
		}
	}
	do_exec(e, d, s, &r, res, res_cap, rep, &park, &cached, &need_cols);
	if (!park && sqlite3_get_autocommit(d->db) && (!s || !s->dbc))
		goto out;	/* stateless: the common fast path */
	if (!s) {
		ret = sess_get(e, key, true, &s);
		if (ret) {
			/* client already gone: undo what it started */
			if (park) {
				if (cached)
					sqlite3_reset(park);
				else
					sqlite3_finalize(park);
			}
			if (!sqlite3_get_autocommit(d->db))
				sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
			sqlp_reply_error(rep, res, res_cap, ret,
					 "client disconnected");
			goto out;
		}
	}
	if (!s->dbc) {
		/* the session takes the worker's connection over */
		s->dbc = d;
		w->dbc = NULL;
	}
	if (park) {
		s->cur = park;
		s->cur_cached = cached;
		s->cur_cols_sent = !need_cols;
		pthread_mutex_lock(&e->lock);
		s->cur_id = ++e->next_cursor;
		pthread_mutex_unlock(&e->lock);
		rep->cursor = s->cur_id;
	}
settle:
	/* give the connection back once nothing keeps the session on it */
	if (s->dbc && !s->cur && sqlite3_get_autocommit(s->dbc->db)) {
		if (!w->dbc)
			w->dbc = s->dbc;
		else
			pool_put(e, s->dbc);
		s->dbc = NULL;
	}
out:
	if (s && s->dbc && !sqlite3_get_autocommit(s->dbc->db))
		rep->flags |= SQLP_REP_INTXN;
	if (s)
		sess_put(e, s);
}

void sqlp_engine_disconnect(struct sqlp_engine *e, uint64_t key)
{
	struct sqlp_session *s, **pp;

	pthread_mutex_lock(&e->lock);
	e->dead[e->dead_pos++ % DEAD_RING] = key;
	for (pp = sess_slot(e, key); (s = *pp); pp = &s->next)
		if (s->key == key)
			break;
	if (s) {
		*pp = s->next;
		s->dead = true;
		s->refs++;
		e->nsessions--;
	}
	pthread_mutex_unlock(&e->lock);
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	cursor_drop(s);
	if (s->dbc) {
		if (!sqlite3_get_autocommit(s->dbc->db))
			sqlite3_exec(s->dbc->db, "ROLLBACK", NULL, NULL, NULL);
		if (sqlite3_get_autocommit(s->dbc->db)) {
			pool_put(e, s->dbc);
		} else {
			dbc_close(s->dbc);	/* closing rolls back */
		}
		s->dbc = NULL;
	}
	sess_put(e, s);
}

void sqlp_engine_interrupt(struct sqlp_engine *e)
{
	__atomic_store_n(&e->stopping, 1, __ATOMIC_RELAXED);
}

unsigned int sqlp_engine_sessions(struct sqlp_engine *e)
{
	unsigned int n;

	pthread_mutex_lock(&e->lock);
	n = e->nsessions;
	pthread_mutex_unlock(&e->lock);
	return n;
}

void sqlp_wctx_release(struct sqlp_engine *e, struct sqlp_wctx *w)
{
	pool_put(e, w->dbc);
	w->dbc = NULL;
}

int sqlp_engine_new(struct sqlp_engine **ep, const struct sqlp_engine_opts *o,
		    char *err, size_t errlen)
{
	struct sqlp_engine *e;
	struct sqlp_dbc *d;
	int ret;

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->o = *o;
	if (!e->o.stmt_cache)
		e->o.stmt_cache = 64;
	e->path = strdup(o->db_path);
	pthread_mutex_init(&e->lock, NULL);
	if (!e->path) {
		free(e);
		return -ENOMEM;
	}
	ret = dbc_open(e, &d, true, err, errlen);
	if (ret) {
		sqlp_engine_free(e);
		return ret;
	}
	pool_put(e, d);
	*ep = e;
	return 0;
}

void sqlp_engine_free(struct sqlp_engine *e)
{
	struct sqlp_session *s, *n;
	struct sqlp_dbc *d;
	unsigned int i;

	if (!e)
		return;
	for (i = 0; i < SESS_HASH; i++)
		for (s = e->tab[i]; s; s = n) {
			n = s->next;
			cursor_drop(s);
			dbc_close(s->dbc);	/* rolls back */
			free(s);
		}
	while ((d = e->pool)) {
		e->pool = d->next;
		dbc_close(d);
	}
	free(e->path);
	free(e);
}
