// SPDX-License-Identifier: BSD-2-Clause
/*
 * sqlproxy-functional TARGET [ROWS]: behaviour a client relies on, against
 * a running sqlproxyd (TARGET = unix:PATH or ucchan:NAME). Exit 0/1/77.
 *   basic        create, insert with every parameter type, select back
 *   errors       SQL errors carry SQLite's code and message; session lives on
 *   txn          BEGIN .. COMMIT across calls; ROLLBACK undoes
 *   killed       a client SIGKILLed inside a transaction: rolled back, the
 *                write lock released, others unaffected
 *   cursor       a result larger than the result buffer arrives complete
 *   bigrow       one row larger than the buffer (buffer grows)
 *   bulk         ROWS rows in one transaction, then point queries
 *   concurrent   4 processes inserting and reading at once
 *   hostile      (unix only) malformed messages get an error reply; the
 *                server keeps serving
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include "sqlproxy.h"
#include "sqlproxy_proto.h"

static const char *target;
static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { \
	fprintf(stderr, "FAIL %s:%d: %s: ", __func__, __LINE__, #cond); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); \
	failures++; return -1; } } while (0)

static struct sqlp_conn *conn(void)
{
	struct sqlp_conn *c;
	int ret = sqlp_connect(&c, target);

	if (ret) {
		fprintf(stderr, "connect %s: %s\n", target, strerror(-ret));
		exit(ret == -ENOENT && !strncmp(target, "ucchan:", 7) ? 77 : 1);
	}
	return c;
}

static int64_t scalar(struct sqlp_conn *c, const char *sql)
{
	struct sqlp_stmt *s;
	int64_t v = -1;

	if (!sqlp_prepare(c, sql, &s) && !sqlp_execute(s) && sqlp_step(s) == 1)
		v = sqlp_column_int64(s, 0);
	sqlp_finalize(s);
	return v;
}

static int t_basic(void)
{
	struct sqlp_conn *c = conn();
	struct sqlp_stmt *s;
	const char blob[] = { 1, 0, 2 };
	int ret;

	CHECK(!sqlp_exec(c, "DROP TABLE IF EXISTS t1; CREATE TABLE t1("
			  "id INTEGER PRIMARY KEY, n, r REAL, s TEXT, b BLOB)"),
	      "%s", sqlp_errmsg(c));
	CHECK(!sqlp_prepare(c, "INSERT INTO t1 VALUES (?1, ?2, ?3, ?4, ?5)", &s), "-");
	sqlp_bind_int64(s, 1, 7);
	sqlp_bind_null(s, 2);
	sqlp_bind_double(s, 3, 0.25);
	sqlp_bind_text(s, 4, "it's \"q\"", -1);
	sqlp_bind_blob(s, 5, blob, sizeof(blob));
	ret = sqlp_execute(s);
	CHECK(ret == 0, "%d %s", ret, sqlp_errmsg(c));
	CHECK(sqlp_changes(s) == 1 && sqlp_last_insert_rowid(s) == 7, "-");
	sqlp_finalize(s);
	CHECK(!sqlp_prepare(c, "SELECT * FROM t1", &s), "-");
	CHECK(sqlp_execute(s) == 0, "%s", sqlp_errmsg(c));
	CHECK(sqlp_column_count(s) == 5, "-");
	CHECK(!strcmp(sqlp_column_name(s, 3), "s"), "-");
	CHECK(!strcmp(sqlp_column_decltype(s, 2), "REAL"), "-");
	CHECK(sqlp_step(s) == 1, "-");
	CHECK(sqlp_column_int64(s, 0) == 7, "-");
	CHECK(sqlp_column_type(s, 1) == SQLP_NULL, "-");
	CHECK(sqlp_column_double(s, 2) == 0.25, "-");
	CHECK(!strcmp(sqlp_column_text(s, 3), "it's \"q\""), "-");
	CHECK(sqlp_column_bytes(s, 4) == 3 &&
	      !memcmp(sqlp_column_blob(s, 4), blob, 3), "-");
	CHECK(sqlp_step(s) == 0, "-");
	sqlp_finalize(s);
	sqlp_disconnect(c);
	return 0;
}

static int t_errors(void)
{
	struct sqlp_conn *c = conn();
	struct sqlp_stmt *s;

	CHECK(sqlp_exec(c, "SELEKT 1") == -SQLP_ESQL, "-");
	CHECK(sqlp_errcode(c) == 1 && strstr(sqlp_errmsg(c), "syntax"),
	      "%d %s", sqlp_errcode(c), sqlp_errmsg(c));
	CHECK(sqlp_exec(c, "INSERT INTO t1(id) VALUES (7)") == -SQLP_ESQL, "-");
	CHECK((sqlp_errcode(c) & 0xff) == 19, "constraint: %d",
	      sqlp_errcode(c));
	CHECK(!sqlp_prepare(c, "SELECT ?1", &s), "-");
	sqlp_bind_int64(s, 2, 1);	/* more parameters than it takes */
	CHECK(sqlp_execute(s) == -SQLP_ESQL && sqlp_errcode(c) == 25, "%d",
	      sqlp_errcode(c));
	sqlp_finalize(s);
	CHECK(scalar(c, "SELECT 41 + 1") == 42, "session still serves");
	sqlp_disconnect(c);
	return 0;
}

static int t_txn(void)
{
	struct sqlp_conn *a = conn(), *b = conn();

	CHECK(!sqlp_exec(a, "CREATE TABLE IF NOT EXISTS tx(v)"), "-");
	CHECK(!sqlp_exec(a, "DELETE FROM tx"), "-");
	CHECK(!sqlp_exec(a, "BEGIN"), "%s", sqlp_errmsg(a));
	CHECK(sqlp_in_transaction(a), "-");
	/* many calls: they land on whichever worker, the txn follows */
	for (int i = 0; i < 50; i++)
		CHECK(!sqlp_exec(a, "INSERT INTO tx VALUES (1)"), "%s",
		      sqlp_errmsg(a));
	CHECK(scalar(a, "SELECT count(*) FROM tx") == 50, "own writes");
	CHECK(scalar(b, "SELECT count(*) FROM tx") == 0, "isolation");
	CHECK(!sqlp_exec(a, "COMMIT"), "%s", sqlp_errmsg(a));
	CHECK(!sqlp_in_transaction(a), "-");
	CHECK(scalar(b, "SELECT count(*) FROM tx") == 50, "committed");
	CHECK(!sqlp_exec(a, "BEGIN; DELETE FROM tx"), "-");
	CHECK(!sqlp_exec(a, "ROLLBACK"), "-");
	CHECK(scalar(b, "SELECT count(*) FROM tx") == 50, "rolled back");
	sqlp_disconnect(a);
	sqlp_disconnect(b);
	return 0;
}

static int t_killed(void)
{
	struct sqlp_conn *c = conn();
	int p[2], st;
	pid_t pid;
	char x;

	CHECK(!sqlp_exec(c, "CREATE TABLE IF NOT EXISTS killed(v)"), "-");
	CHECK(!sqlp_exec(c, "DELETE FROM killed"), "-");
	CHECK(!pipe(p), "-");
	pid = fork();
	if (pid == 0) {
		struct sqlp_conn *k = conn();

		if (sqlp_exec(k, "BEGIN") ||
		    sqlp_exec(k, "INSERT INTO killed VALUES ('uncommitted')"))
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	CHECK(read(p[0], &x, 1) == 1, "child failed");
	close(p[0]);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	/* the child held the write lock: we can write once it is rolled back */
	CHECK(!sqlp_exec(c, "INSERT INTO killed VALUES ('mine')"), "%s",
	      sqlp_errmsg(c));
	CHECK(scalar(c, "SELECT count(*) FROM killed") == 1, "child's row gone");
	CHECK(scalar(c, "SELECT count(*) FROM killed WHERE v = 'uncommitted'") == 0, "-");
	sqlp_disconnect(c);
	return 0;
}

static int t_cursor(void)
{
	struct sqlp_conn *c = conn();
	struct sqlp_stmt *s;
	int64_t n = 0, sum = 0;
	int ret;

	/* ~2.2 MB of rows: several times the 256 KiB result buffer */
	CHECK(!sqlp_prepare(c, "WITH RECURSIVE q(x) AS (SELECT 1 UNION ALL "
		"SELECT x + 1 FROM q LIMIT 20000) SELECT x, printf('%0100d', x) "
		"FROM q", &s), "-");
	CHECK(sqlp_execute(s) == 0, "%s", sqlp_errmsg(c));
	while ((ret = sqlp_step(s)) == 1) {
		n++;
		sum += sqlp_column_int64(s, 0);
		CHECK(sqlp_column_bytes(s, 1) == 100 &&
		      atoll(sqlp_column_text(s, 1)) == sqlp_column_int64(s, 0), "-");
	}
	CHECK(ret == 0, "%d", ret);
	CHECK(n == 20000 && sum == 20000LL * 20001 / 2, "n=%lld", (long long)n);
	/* stop half-way, then the session is still usable */
	CHECK(sqlp_execute(s) == 0 && sqlp_step(s) == 1, "-");
	CHECK(sqlp_reset(s) == 0, "-");
	CHECK(scalar(c, "SELECT 5") == 5, "-");
	sqlp_finalize(s);
	sqlp_disconnect(c);
	return 0;
}

static int t_bigrow(void)
{
	struct sqlp_conn *c = conn();
	struct sqlp_stmt *s;
	size_t len = 1u << 20;
	char *big = malloc(len);

	memset(big, 'z', len);
	CHECK(!sqlp_prepare(c, "SELECT ?1, length(?1)", &s), "-");
	sqlp_bind_blob(s, 1, big, len);
	CHECK(sqlp_execute(s) == 0, "%s", sqlp_errmsg(c));
	CHECK(sqlp_step(s) == 1, "-");
	CHECK((size_t)sqlp_column_bytes(s, 0) == len &&
	      !memcmp(sqlp_column_blob(s, 0), big, len), "-");
	CHECK(sqlp_column_int64(s, 1) == (int64_t)len, "-");
	sqlp_finalize(s);
	/* a parameter over the limit is refused by the library */
	CHECK(!sqlp_prepare(c, "SELECT ?1", &s), "-");
	big = realloc(big, SQLP_MAX_VALUE + 1);
	CHECK(sqlp_bind_blob(s, 1, big, SQLP_MAX_VALUE + 1) == -E2BIG, "-");
	sqlp_finalize(s);
	free(big);
	sqlp_disconnect(c);
	return 0;
}

static int t_bulk(int64_t rows)
{
	struct sqlp_conn *c = conn();
	struct sqlp_stmt *s;
	int64_t i;

	CHECK(!sqlp_exec(c, "DROP TABLE IF EXISTS bulk; CREATE TABLE bulk("
			  "id INTEGER PRIMARY KEY, v TEXT)"), "-");
	CHECK(!sqlp_exec(c, "BEGIN"), "-");
	CHECK(!sqlp_prepare(c, "INSERT INTO bulk VALUES (?1, ?2)", &s), "-");
	for (i = 1; i <= rows; i++) {
		char v[32];

		snprintf(v, sizeof(v), "v%lld", (long long)i);
		sqlp_bind_int64(s, 1, i);
		sqlp_bind_text(s, 2, v, -1);
		CHECK(sqlp_execute(s) == 0, "row %lld: %s", (long long)i,
		      sqlp_errmsg(c));
	}
	sqlp_finalize(s);
	CHECK(!sqlp_exec(c, "COMMIT"), "-");
	CHECK(scalar(c, "SELECT count(*) FROM bulk") == rows, "-");
	CHECK(!sqlp_prepare(c, "SELECT v FROM bulk WHERE id = ?1", &s), "-");
	for (i = 1; i <= rows; i += rows / 97 + 1) {
		char v[32];

		snprintf(v, sizeof(v), "v%lld", (long long)i);
		sqlp_bind_int64(s, 1, i);
		CHECK(sqlp_execute(s) == 0 && sqlp_step(s) == 1, "-");
		CHECK(!strcmp(sqlp_column_text(s, 0), v), "-");
		CHECK(sqlp_step(s) == 0, "-");
	}
	sqlp_finalize(s);
	sqlp_disconnect(c);
	return 0;
}

static int t_concurrent(void)
{
	struct sqlp_conn *c = conn();
	int i, st, bad = 0;
	pid_t pid[4];

	CHECK(!sqlp_exec(c, "DROP TABLE IF EXISTS conc; CREATE TABLE conc(w, i)"), "-");
	for (i = 0; i < 4; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			struct sqlp_conn *k = conn();
			struct sqlp_stmt *s;
			int j, r = 0;

			sqlp_prepare(k, "INSERT INTO conc VALUES (?1, ?2)", &s);
			for (j = 0; j < 200 && !r; j++) {
				sqlp_bind_int64(s, 1, i);
				sqlp_bind_int64(s, 2, j);
				r = sqlp_execute(s);
				if (!r && scalar(k, "SELECT 1") != 1)
					r = 1;
			}
			_exit(r ? 1 : 0);
		}
	}
	for (i = 0; i < 4; i++) {
		waitpid(pid[i], &st, 0);
		bad += !WIFEXITED(st) || WEXITSTATUS(st);
	}
	CHECK(!bad, "%d children failed", bad);
	CHECK(scalar(c, "SELECT count(*) FROM conc") == 800, "-");
	sqlp_disconnect(c);
	return 0;
}

static int raw_call(int fd, const void *msg, size_t len,
		    struct sqlp_reply_hdr *rep)
{
	char res[4096];

	if (send(fd, msg, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -1;
	if (recv(fd, rep, sizeof(*rep), MSG_WAITALL) != sizeof(*rep))
		return -1;
	if (rep->result_len > sizeof(res))
		return -1;
	if (rep->result_len &&
	    recv(fd, res, rep->result_len, MSG_WAITALL) != rep->result_len)
		return -1;
	return 0;
}

static int t_hostile(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sqlp_reply_hdr rep;
	struct {
		struct sqlp_req_hdr h;
		uint8_t body[64];
	} m;
	struct sqlp_conn *c = conn();
	int fd;

	strncpy(sa.sun_path, target + 5, sizeof(sa.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(!connect(fd, (struct sockaddr *)&sa, sizeof(sa)), "-");
	memset(&m, 0, sizeof(m));
	m.h.magic = SQLP_MAGIC;
	m.h.version = SQLP_VERSION_MAJOR << 8;
	m.h.op = SQLP_OP_EXEC;
	m.h.result_cap = 4096;
	/* EXEC body that claims more SQL than it carries */
	m.h.body_len = 16;
	((struct sqlp_exec_hdr *)m.body)->sql_len = 1000;
	CHECK(!raw_call(fd, &m, sizeof(m.h) + 16, &rep), "-");
	CHECK(rep.status == -EBADMSG, "%d", rep.status);
	/* parameter with an unknown type */
	((struct sqlp_exec_hdr *)m.body)->sql_len = 8;
	((struct sqlp_exec_hdr *)m.body)->nparams = 1;
	memcpy(m.body + 8, "SELECT ?", 8);
	m.body[16] = 99;
	m.h.body_len = 17;
	CHECK(!raw_call(fd, &m, sizeof(m.h) + 17, &rep), "-");
	CHECK(rep.status == -EINVAL, "%d", rep.status);
	/* FETCH of a cursor that does not exist */
	m.h.op = SQLP_OP_FETCH;
	m.h.body_len = 0;
	m.h.cursor = 12345;
	CHECK(!raw_call(fd, &m, sizeof(m.h), &rep), "-");
	CHECK(rep.status == -ENOENT, "%d", rep.status);
	/* bad magic: error reply, then the connection is closed */
	m.h.magic = 0x12345678;
	CHECK(!raw_call(fd, &m, sizeof(m.h), &rep), "-");
	CHECK(rep.status == -EBADMSG, "%d", rep.status);
	CHECK(recv(fd, &rep, 1, 0) == 0, "closed after a bad header");
	close(fd);
	/* a half-sent request then a hang-up */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(!connect(fd, (struct sockaddr *)&sa, sizeof(sa)), "-");
	CHECK(send(fd, &m, 10, 0) == 10, "-");
	close(fd);
	CHECK(scalar(c, "SELECT 9") == 9, "others still served");
	sqlp_disconnect(c);
	return 0;
}

int main(int argc, char **argv)
{
	int64_t rows = argc > 2 ? atoll(argv[2]) : 2000;

	if (argc < 2) {
		fprintf(stderr, "usage: %s TARGET [ROWS]\n", argv[0]);
		return 2;
	}
	target = argv[1];
	signal(SIGPIPE, SIG_IGN);
#define RUN(t) do { int r_ = (t); printf("%s %s\n", r_ ? "FAIL" : "ok  ", #t); \
	fflush(stdout); } while (0)
	RUN(t_basic());
	RUN(t_errors());
	RUN(t_txn());
	RUN(t_killed());
	RUN(t_cursor());
	RUN(t_bigrow());
	RUN(t_bulk(rows));
	RUN(t_concurrent());
	if (!strncmp(target, "unix:", 5))
		RUN(t_hostile());
	return failures ? 1 : 0;
}
