/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sqlproxy wire protocol: SQL text plus typed parameters in, a compact
 * result set out. The same messages travel over ucchan (request inline,
 * result written by the server straight into the client's mapped buffer)
 * and over a Unix stream socket (length-prefixed by the headers below).
 *
 * Changelog
 *   1.0: initial protocol: HELLO, EXEC, FETCH, CLOSE.
 *
 * Rules: all integers little-endian (the only hosts are x86-64 and the
 * server rejects a foreign magic); every reserved field must be zero
 * (-EINVAL); unknown ops are -EOPNOTSUPP; an old client meets a new server
 * through HELLO (same major required, minor and feature bits negotiated).
 *
 * Request  = struct sqlp_req_hdr, then body_len body bytes.
 *   ucchan: the header is the inline request; the body follows inline, or,
 *   with SQLP_REQ_BODY_BUF, is client buffer 0 (UCCHAN_BUF_READ). With
 *   SQLP_REQ_RESULT_BUF the result goes to the last client buffer
 *   (UCCHAN_BUF_WRITE), else inline after the reply header.
 *   socket: header then body on the stream; result_cap says how many result
 *   bytes the client accepts.
 * Reply    = struct sqlp_reply_hdr, then result_len result bytes.
 *
 * EXEC body: struct sqlp_exec_hdr, sql_len bytes of SQL (no NUL), then
 *   nparams parameters, each: u8 SQLP_T_* then
 *     NULL: nothing; INT: 8 bytes; FLOAT: 8 bytes (IEEE 754);
 *     TEXT/BLOB: u32 length, then the bytes.
 * Result (status 0): with SQLP_REP_COLS first the column list, ncols times:
 *   u16 name length, name, u16 declared-type length, declared type;
 *   then nrows rows of ncols values encoded like parameters.
 * Result (status != 0): the error message, UTF-8, no NUL.
 *
 * A result that does not fit leaves a cursor (SQLP_REP_MORE, cursor id);
 * FETCH continues it, CLOSE drops it. Nothing is ever truncated: a single
 * row larger than the whole result buffer is -EMSGSIZE and the cursor
 * stays, so the client can FETCH again with a bigger buffer
 * (reply.result_len then says how many bytes the row needs).
 */
#ifndef SQLPROXY_PROTO_H
#define SQLPROXY_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define SQLP_MAGIC		0x504c5153u	/* "SQLP" */
#define SQLP_VERSION_MAJOR	1
#define SQLP_VERSION_MINOR	0

/* Limits, enforced on both sides. */
#define SQLP_MAX_SQL		(1u << 20)	/* SQL text bytes */
#define SQLP_MAX_PARAMS		999u		/* bound parameters */
#define SQLP_MAX_VALUE		(16u << 20)	/* one TEXT/BLOB value */
#define SQLP_MAX_BODY		(64u << 20)	/* request body */
#define SQLP_MAX_RESULT		(64u << 20)	/* socket result_cap */

enum sqlp_op {
	SQLP_OP_HELLO = 1,	/* body: none; reply: sqlp_hello in result */
	SQLP_OP_EXEC = 2,	/* run SQL with parameters */
	SQLP_OP_FETCH = 3,	/* more rows of cursor */
	SQLP_OP_CLOSE = 4,	/* drop cursor */
	SQLP_OP_LAST
};

/* Value types (parameters and result values). */
enum sqlp_type {
	SQLP_T_NULL = 0,
	SQLP_T_INT = 1,
	SQLP_T_FLOAT = 2,
	SQLP_T_TEXT = 3,
	SQLP_T_BLOB = 4,
};

/* sqlp_req_hdr.flags */
#define SQLP_REQ_BODY_BUF	(1u << 0)
#define SQLP_REQ_RESULT_BUF	(1u << 1)
#define SQLP_REQ_FLAGS		(SQLP_REQ_BODY_BUF | SQLP_REQ_RESULT_BUF)

struct sqlp_req_hdr {
	uint32_t magic;		/* SQLP_MAGIC */
	uint16_t version;	/* SQLP_VERSION_MAJOR << 8 | minor */
	uint16_t op;		/* enum sqlp_op */
	uint32_t flags;		/* SQLP_REQ_* */
	uint32_t body_len;
	uint32_t result_cap;	/* socket: result bytes accepted */
	uint32_t reserved0;
	uint64_t cursor;	/* FETCH, CLOSE */
};

struct sqlp_exec_hdr {
	uint32_t sql_len;
	uint16_t nparams;
	uint16_t reserved;
};

/* sqlp_reply_hdr.flags */
#define SQLP_REP_COLS		(1u << 0)	/* result starts with columns */
#define SQLP_REP_MORE		(1u << 1)	/* cursor holds more rows */
#define SQLP_REP_INTXN		(1u << 2)	/* session is inside a transaction */

struct sqlp_reply_hdr {
	uint32_t magic;
	/*
	 * 0 ok; > 0 an SQLite (extended) result code, message in the result;
	 * < 0 -errno of a protocol or server error, message in the result.
	 */
	int32_t status;
	uint32_t flags;		/* SQLP_REP_* */
	uint32_t ncols;
	uint32_t nrows;		/* rows in this reply */
	uint32_t result_len;
	uint64_t cursor;	/* with SQLP_REP_MORE */
	int64_t changes;	/* sqlite3_changes() of the statement */
	int64_t last_rowid;	/* sqlite3_last_insert_rowid() */
};

/* HELLO result. */
#define SQLP_FEAT_CURSOR	(1ull << 0)
#define SQLP_FEAT_BODY_BUF	(1ull << 1)
struct sqlp_hello {
	uint16_t version;	/* server's */
	uint16_t reserved;
	uint32_t sqlite_version;	/* sqlite3_libversion_number() */
	uint64_t features;	/* SQLP_FEAT_* */
};

_Static_assert(sizeof(struct sqlp_req_hdr) == 32, "req hdr ABI");
_Static_assert(sizeof(struct sqlp_exec_hdr) == 8, "exec hdr ABI");
_Static_assert(sizeof(struct sqlp_reply_hdr) == 48, "reply hdr ABI");
_Static_assert(sizeof(struct sqlp_hello) == 16, "hello ABI");

/* ---- codec (src/proto.c; shared by client, server and tests) --------- */

/* One value: a parameter or a result column value. */
struct sqlp_value {
	enum sqlp_type type;
	union {
		int64_t i;
		double d;
		struct {
			const void *p;	/* not NUL-terminated */
			uint32_t len;
		} s;
	};
};

/* Bounded writer: every put fails with -ENOSPC and writes nothing. */
struct sqlp_wbuf {
	uint8_t *p;
	size_t len;
	size_t cap;
};

/* Bounded reader: every get fails with -EBADMSG and consumes nothing. */
struct sqlp_rbuf {
	const uint8_t *p;
	size_t len;
	size_t off;
};

int sqlp_put_bytes(struct sqlp_wbuf *w, const void *p, size_t n);
int sqlp_put_value(struct sqlp_wbuf *w, const struct sqlp_value *v);
size_t sqlp_value_size(const struct sqlp_value *v);
int sqlp_get_bytes(struct sqlp_rbuf *r, void *p, size_t n);
int sqlp_get_u16(struct sqlp_rbuf *r, uint16_t *v);
int sqlp_get_u32(struct sqlp_rbuf *r, uint32_t *v);
/* Points v into r's memory; -EBADMSG, -E2BIG (> SQLP_MAX_VALUE), -EINVAL. */
int sqlp_get_value(struct sqlp_rbuf *r, struct sqlp_value *v);

/* Check a request header: magic, major version, op, flags, sizes. */
int sqlp_req_check(const struct sqlp_req_hdr *h);
/* Check a reply header against the request's result capacity. */
int sqlp_reply_check(const struct sqlp_reply_hdr *h, size_t result_cap);

/* Encode an EXEC body; returns bytes written or -ENOSPC/-E2BIG/-EINVAL. */
int sqlp_exec_encode(struct sqlp_wbuf *w, const char *sql, size_t sql_len,
		     const struct sqlp_value *params, unsigned int nparams);
/*
 * Decode an EXEC body: *sql points into body; parameters are decoded one by
 * one with sqlp_get_value() from *r, which is left after the SQL text.
 */
int sqlp_exec_decode(struct sqlp_rbuf *r, const char **sql, uint32_t *sql_len,
		     uint16_t *nparams);

/* Column entry of a result. */
int sqlp_put_column(struct sqlp_wbuf *w, const char *name, const char *decl);
int sqlp_get_column(struct sqlp_rbuf *r, const char **name, uint16_t *nlen,
		    const char **decl, uint16_t *dlen);

#endif /* SQLPROXY_PROTO_H */
