/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsqlproxy - client of sqlproxyd (SQL over ucchan or a Unix socket).
 *
 * Every function returns 0 (or a non-negative value) on success and -errno
 * on failure; errno is not part of the API. An SQL error from the server
 * is -SQLP_ESQL; sqlp_errcode() then gives SQLite's (extended) result code
 * and sqlp_errmsg() its message.
 */
#ifndef SQLPROXY_H
#define SQLPROXY_H

#include <stddef.h>
#include <stdint.h>
#include <errno.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SQLP_ESQL	EREMOTEIO	/* -SQLP_ESQL: the SQL failed */

/* Value types of sqlp_column_type() */
#define SQLP_NULL	0
#define SQLP_INTEGER	1
#define SQLP_FLOAT	2
#define SQLP_TEXT	3
#define SQLP_BLOB	4

struct sqlp_conn;
struct sqlp_stmt;

/*
 * target: "ucchan:NAME", "unix:PATH", or NULL for $SQLPROXY_TARGET, else
 * "ucchan:sqlproxy".
 */
int sqlp_connect(struct sqlp_conn **cp, const char *target);
void sqlp_disconnect(struct sqlp_conn *c);
/* "ucchan" or "unix" */
const char *sqlp_transport(const struct sqlp_conn *c);

int sqlp_prepare(struct sqlp_conn *c, const char *sql, struct sqlp_stmt **sp);
int sqlp_bind_null(struct sqlp_stmt *s, int idx);
int sqlp_bind_int64(struct sqlp_stmt *s, int idx, int64_t v);
int sqlp_bind_double(struct sqlp_stmt *s, int idx, double v);
/* len < 0: up to the NUL; the bytes are copied */
int sqlp_bind_text(struct sqlp_stmt *s, int idx, const char *v, int len);
int sqlp_bind_blob(struct sqlp_stmt *s, int idx, const void *v, size_t len);
int sqlp_clear_bindings(struct sqlp_stmt *s);
/* Run the statement; its rows then come from sqlp_step(). */
int sqlp_execute(struct sqlp_stmt *s);
/* 1: a row is ready; 0: no more rows; < 0: error. */
int sqlp_step(struct sqlp_stmt *s);
/* Drop the rest of the result (keeps bindings). */
int sqlp_reset(struct sqlp_stmt *s);
void sqlp_finalize(struct sqlp_stmt *s);

int sqlp_column_count(const struct sqlp_stmt *s);
const char *sqlp_column_name(const struct sqlp_stmt *s, int i);
const char *sqlp_column_decltype(const struct sqlp_stmt *s, int i);
int sqlp_column_type(const struct sqlp_stmt *s, int i);
int64_t sqlp_column_int64(const struct sqlp_stmt *s, int i);
double sqlp_column_double(const struct sqlp_stmt *s, int i);
/* NUL-terminated; valid until the next sqlp_step() */
const char *sqlp_column_text(struct sqlp_stmt *s, int i);
const void *sqlp_column_blob(const struct sqlp_stmt *s, int i);
int sqlp_column_bytes(const struct sqlp_stmt *s, int i);
int64_t sqlp_changes(const struct sqlp_stmt *s);
int64_t sqlp_last_insert_rowid(const struct sqlp_stmt *s);

/* Run SQL (one or more statements) and discard rows. */
int sqlp_exec(struct sqlp_conn *c, const char *sql);
/* 1 if the session is inside a transaction. */
int sqlp_in_transaction(const struct sqlp_conn *c);
int sqlp_errcode(const struct sqlp_conn *c);
const char *sqlp_errmsg(const struct sqlp_conn *c);

#ifdef __cplusplus
}
#endif

#endif /* SQLPROXY_H */
