/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sqlproxyd engine: executes sqlproxy requests against SQLite, whatever
 * the transport. Connections: each worker (ucchan worker thread or socket
 * connection thread) uses a connection of its own for autocommit work; a
 * session (one client: a ucchan client_id or a socket connection) that is
 * inside a transaction or holds a cursor takes that connection over, so
 * its next call finds it on whichever worker it lands; the worker takes a
 * fresh one from the pool. Each connection carries its own prepared
 * statement cache.
 */
#ifndef SQLPROXYD_ENGINE_I_H
#define SQLPROXYD_ENGINE_I_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include "sqlproxy_proto.h"

struct sqlp_engine;
struct sqlp_dbc;

struct sqlp_engine_opts {
	const char *db_path;
	bool sync_full;		/* PRAGMA synchronous=FULL (else NORMAL) */
	unsigned int stmt_cache;	/* statements cached per connection */
};

/* Per worker: the connection used for autocommit calls. */
struct sqlp_wctx {
	struct sqlp_dbc *dbc;
};

int sqlp_engine_new(struct sqlp_engine **ep, const struct sqlp_engine_opts *o,
		    char *err, size_t errlen);
void sqlp_engine_free(struct sqlp_engine *e);
void sqlp_wctx_release(struct sqlp_engine *e, struct sqlp_wctx *w);

/*
 * Serve one request of client key. hdr was not checked yet; body points
 * to hdr->body_len bytes (may be changed concurrently by a hostile client:
 * read once). The result goes to res (res_cap bytes); *rep is filled.
 * Never fails: every error is reported in rep->status and the result.
 */
void sqlp_engine_call(struct sqlp_engine *e, struct sqlp_wctx *w, uint64_t key,
		      const struct sqlp_req_hdr *hdr, const void *body,
		      void *res, size_t res_cap, struct sqlp_reply_hdr *rep);

/* Client key is gone: roll back its transaction, drop its cursor. */
void sqlp_engine_disconnect(struct sqlp_engine *e, uint64_t key);

/* Fill *rep and res with an error reply (also used by transports). */
void sqlp_reply_error(struct sqlp_reply_hdr *rep, void *res, size_t res_cap,
		      int status, const char *msg);

/*
 * Shutting down: every statement running now or later fails with
 * SQLITE_INTERRUPT (so that workers can be joined).
 */
void sqlp_engine_interrupt(struct sqlp_engine *e);

/*
 * sandbox.c: confine client SQL on db to db's own database (authorizer,
 * defensive settings, no ATTACH, no extensions). 0, or -1 with err set.
 */
struct sqlite3;
int sqlp_sandbox(struct sqlite3 *db, char *err, size_t errlen);

/* Statistics (for tests and logs). */
unsigned int sqlp_engine_sessions(struct sqlp_engine *e);

#endif /* SQLPROXYD_ENGINE_I_H */
