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
 *   concurrent   4 processes inserting and reading at once, pinned to the
 *                CPUs in turn (both CPUs of the test VM)
 *   hostile      malformed messages from a raw client (over the socket or
 *                straight through libucchan) get an error reply; nothing
 *                they carry is executed or committed; the server keeps
 *                serving everybody else
 *   sandbox      client SQL reaches no file but the database: ATTACH,
 *                VACUUM INTO, load_extension, file and safety pragmas are
 *                refused with SQLITE_AUTH and create nothing; ordinary SQL
 *                and introspection pragmas still work
 *
 * sqlproxy-functional TARGET --restart-client: the client side of the
 * server-restart test (sqlproxy-test.sh drives it with SIGUSR1): inside a
 * transaction, then the server is killed; calls must fail at once with a
 * clear error (-ESHUTDOWN over ucchan, -ECONNRESET over the socket), also
 * for a call that was running in the server when it died; then, once the
 * server is back, a new connection works and the transaction is gone.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <libucchan.h>
#include "sqlproxy.h"
#include "sqlproxy_proto.h"

#define SQLITE_RANGE_CODE 25

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
	/* SQL over the limit: -E2BIG, and no half-made statement left */
	{
		size_t n = SQLP_MAX_SQL + 1;
		char *big = malloc(n + 1);

		CHECK(big, "-");
		memset(big, ' ', n);
		big[n] = 0;
		s = (struct sqlp_stmt *)big;	/* not NULL, not a statement */
		CHECK(sqlp_prepare(c, big, &s) == -E2BIG, "-");
		free(big);
		CHECK(s == NULL, "a failed prepare left *sp set");
		sqlp_finalize(s);
	}
	CHECK(scalar(c, "SELECT 41 + 1") == 42, "session still serves");
	sqlp_disconnect(c);
	return 0;
}

#define SQLITE_AUTH_CODE 23

/*
 * sql is refused by the authorizer: SQLITE_AUTH, or for a function SQLite's
 * "not authorized to use function" (SQLITE_ERROR); if path, no file there.
 */
static int refused(struct sqlp_conn *c, const char *sql, const char *path)
{
	int ret = sqlp_exec(c, sql);

	CHECK(ret == -SQLP_ESQL && (sqlp_errcode(c) == SQLITE_AUTH_CODE ||
				    strstr(sqlp_errmsg(c), "not authorized")),
	      "%s: %d, SQLite code %d (%s)", sql, ret, sqlp_errcode(c),
	      sqlp_errmsg(c));
	CHECK(!path || access(path, F_OK), "%s: created %s", sql, path);
	return 0;
}

static int t_sandbox(void)
{
	char dir[] = "/tmp/sqlp-sandbox.XXXXXX", path[64], sql[256];
	struct sqlp_conn *c;
	struct sqlp_stmt *s;
	int bad = 0;

	CHECK(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	c = conn();
	snprintf(path, sizeof(path), "%s/x", dir);
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS x", path);
	bad |= refused(c, sql, path);
	snprintf(sql, sizeof(sql), "ATTACH 'file:%s?mode=rwc' AS x", path);
	bad |= refused(c, sql, path);
	bad |= refused(c, "ATTACH ':memory:' AS m", NULL);
	bad |= refused(c, "DETACH main", NULL);
	snprintf(path, sizeof(path), "%s/y", dir);
	snprintf(sql, sizeof(sql), "VACUUM INTO '%s'", path);
	bad |= refused(c, sql, path);
	bad |= refused(c, "VACUUM", NULL);
	snprintf(path, sizeof(path), "%s/lib.so", dir);
	snprintf(sql, sizeof(sql), "SELECT load_extension('%s')", path);
	bad |= refused(c, sql, NULL);
	snprintf(sql, sizeof(sql), "PRAGMA temp_store_directory = '%s'", dir);
	bad |= refused(c, sql, NULL);
	bad |= refused(c, "PRAGMA journal_mode = DELETE", NULL);
	bad |= refused(c, "PRAGMA journal_mode = OFF", NULL);
	bad |= refused(c, "PRAGMA synchronous = OFF", NULL);
	bad |= refused(c, "PRAGMA locking_mode = EXCLUSIVE", NULL);
	bad |= refused(c, "PRAGMA writable_schema = ON", NULL);
	bad |= refused(c, "PRAGMA trusted_schema = ON", NULL);
	bad |= refused(c, "PRAGMA mmap_size = 1000000000", NULL);
	bad |= refused(c, "PRAGMA hard_heap_limit = 1", NULL);
	bad |= refused(c, "PRAGMA foreign_keys = ON", NULL);
	bad |= refused(c, "SELECT fts3_tokenizer('simple')", NULL);
	bad |= refused(c, "SELECT sql FROM sqlite_stmt", NULL);
	CHECK(!bad, "a refused statement was not refused");
	CHECK(rmdir(dir) == 0, "%s not empty: a file was created", dir);

	/* ordinary SQL and introspection still work */
	CHECK(!sqlp_exec(c, "DROP TABLE IF EXISTS sb; "
			 "CREATE TABLE sb(a INTEGER PRIMARY KEY, b TEXT); "
			 "CREATE INDEX sb_b ON sb(b); "
			 "INSERT INTO sb(b) VALUES ('x'), ('y')"),
	      "%s", sqlp_errmsg(c));
	CHECK(scalar(c, "SELECT count(*) FROM sb") == 2, "-");
	CHECK(scalar(c, "SELECT count(*) FROM pragma_table_info('sb')") == 2,
	      "%s", sqlp_errmsg(c));
	CHECK(!sqlp_prepare(c, "PRAGMA table_info(sb)", &s), "-");
	CHECK(!sqlp_execute(s) && sqlp_step(s) == 1 &&
	      !strcmp(sqlp_column_text(s, 1), "a"), "%s", sqlp_errmsg(c));
	sqlp_finalize(s);
	CHECK(!sqlp_prepare(c, "PRAGMA journal_mode", &s), "-");
	CHECK(!sqlp_execute(s) && sqlp_step(s) == 1 &&
	      !strcmp(sqlp_column_text(s, 0), "wal"), "%s", sqlp_errmsg(c));
	sqlp_finalize(s);
	CHECK(!sqlp_exec(c, "PRAGMA user_version = 7"), "%s", sqlp_errmsg(c));
	CHECK(scalar(c, "PRAGMA user_version") == 7, "-");
	CHECK(!sqlp_exec(c, "PRAGMA user_version = 0"), "%s", sqlp_errmsg(c));
	CHECK(!sqlp_prepare(c, "PRAGMA integrity_check", &s), "-");
	CHECK(!sqlp_execute(s) && sqlp_step(s) == 1 &&
	      !strcmp(sqlp_column_text(s, 0), "ok"), "%s", sqlp_errmsg(c));
	sqlp_finalize(s);
	CHECK(scalar(c, "SELECT count(*) FROM pragma_index_list('sb')") == 1,
	      "%s", sqlp_errmsg(c));
	CHECK(scalar(c, "SELECT abs(-3) + length('ab')") == 5, "-");
	CHECK(!sqlp_exec(c, "DROP TABLE sb"), "%s", sqlp_errmsg(c));
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
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	int i, st, bad = 0;
	pid_t pid[4];

	CHECK(!sqlp_exec(c, "DROP TABLE IF EXISTS conc; CREATE TABLE conc(w, i)"), "-");
	for (i = 0; i < 4; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			struct sqlp_conn *k;
			struct sqlp_stmt *s;
			cpu_set_t cpus;
			int j, r = 0;

			/* spread over every CPU: ucchan serves each on its own */
			CPU_ZERO(&cpus);
			CPU_SET(i % ncpu, &cpus);
			if (sched_setaffinity(0, sizeof(cpus), &cpus))
				_exit(3);
			k = conn();

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

/* ---- raw clients: hand-made messages, over either transport --------- */

struct raw {
	int fd;				/* socket, or -1 */
	struct ucchan_client *uc;	/* ucchan, or NULL */
	struct sqlp_reply_hdr rep;
	char res[4096];			/* result or error message */
};

static int raw_open(struct raw *r)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	if (!strncmp(target, "ucchan:", 7))
		return ucchan_client_connect(&r->uc, target + 7);
	strncpy(sa.sun_path, target + 5, sizeof(sa.sun_path) - 1);
	r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r->fd < 0)
		return -errno;
	return connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
}

static void raw_close(struct raw *r)
{
	if (r->uc)
		ucchan_client_close(r->uc);
	if (r->fd >= 0)
		close(r->fd);
	r->uc = NULL;
	r->fd = -1;
}

/*
 * Send len bytes as one request; 0 with r->rep (and r->res) filled, or -1
 * if the transport failed. Over ucchan the message is the inline request
 * and the result comes back inline (no SQLP_REQ_RESULT_BUF).
 */
static int raw_call(struct raw *r, const void *msg, size_t len)
{
	uint8_t reply[sizeof(r->rep) + sizeof(r->res)];

	memset(&r->rep, 0, sizeof(r->rep));
	r->res[0] = 0;
	if (r->uc) {
		struct ucchan_call_args a = {
			.size = sizeof(a), .req = msg, .req_len = len,
			.reply = reply, .reply_cap = sizeof(reply),
		};

		if (ucchan_client_call(r->uc, &a) || a.reply_len < sizeof(r->rep) ||
		    a.reply_len > sizeof(reply))
			return -1;
		memcpy(&r->rep, reply, sizeof(r->rep));
		if (r->rep.result_len != a.reply_len - sizeof(r->rep) ||
		    r->rep.status != a.status)
			return -1;
		memcpy(r->res, reply + sizeof(r->rep), r->rep.result_len);
		return 0;
	}
	if (send(r->fd, msg, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -1;
	if (recv(r->fd, &r->rep, sizeof(r->rep), MSG_WAITALL) != sizeof(r->rep))
		return -1;
	if (r->rep.result_len > sizeof(r->res))
		return -1;
	if (r->rep.result_len &&
	    recv(r->fd, r->res, r->rep.result_len, MSG_WAITALL) !=
	    r->rep.result_len)
		return -1;
	return 0;
}

struct rmsg {
	struct sqlp_req_hdr h;
	uint8_t body[1024];
};

static void rmsg_hdr(struct rmsg *m, uint16_t op)
{
	memset(m, 0, sizeof(*m));
	m->h.magic = SQLP_MAGIC;
	m->h.version = SQLP_VERSION_MAJOR << 8 | SQLP_VERSION_MINOR;
	m->h.op = op;
	m->h.result_cap = 4096;
}

/* A well-formed EXEC of sql with nparams parameters; returns its length. */
static size_t rmsg_exec(struct rmsg *m, const char *sql,
			const struct sqlp_value *params, unsigned int nparams)
{
	struct sqlp_wbuf w = { .p = m->body, .cap = sizeof(m->body) };

	rmsg_hdr(m, SQLP_OP_EXEC);
	if (sqlp_exec_encode(&w, sql, strlen(sql), params, nparams) < 0)
		abort();
	m->h.body_len = (uint32_t)w.len;
	return sizeof(m->h) + w.len;
}

#define RAW_EXPECT(r, m, len, st) do { \
	CHECK(!raw_call(r, m, len), "transport failed"); \
	CHECK((r)->rep.status == (st), "status %d, want %d (%s)", \
	      (r)->rep.status, (st), (r)->res); \
	CHECK((r)->rep.magic == SQLP_MAGIC, "reply magic"); } while (0)

static int t_hostile(void)
{
	bool uc = !strncmp(target, "ucchan:", 7);
	struct sqlp_conn *c = conn();
	struct sqlp_value v[2];
	struct raw r, q;
	struct rmsg m;
	size_t len;

	CHECK(!sqlp_exec(c, "DROP TABLE IF EXISTS hostile; "
			 "CREATE TABLE hostile(v)"), "%s", sqlp_errmsg(c));
	CHECK(!raw_open(&r), "raw connect");
	/* a sane request first: the raw client works at all */
	len = rmsg_exec(&m, "SELECT 1", NULL, 0);
	RAW_EXPECT(&r, &m, len, 0);
	CHECK(r.rep.nrows == 1 && r.rep.ncols == 1, "-");

	/* EXEC body that claims more SQL than it carries */
	rmsg_hdr(&m, SQLP_OP_EXEC);
	m.h.body_len = 16;
	((struct sqlp_exec_hdr *)m.body)->sql_len = 1000;
	RAW_EXPECT(&r, &m, sizeof(m.h) + 16, -EBADMSG);
	/* SQL text over the limit, nparams over the limit */
	((struct sqlp_exec_hdr *)m.body)->sql_len = SQLP_MAX_SQL + 1;
	RAW_EXPECT(&r, &m, sizeof(m.h) + 16, -E2BIG);
	((struct sqlp_exec_hdr *)m.body)->sql_len = 8;
	((struct sqlp_exec_hdr *)m.body)->nparams = SQLP_MAX_PARAMS + 1;
	RAW_EXPECT(&r, &m, sizeof(m.h) + 16, -E2BIG);
	/* reserved field of the EXEC header */
	((struct sqlp_exec_hdr *)m.body)->nparams = 0;
	((struct sqlp_exec_hdr *)m.body)->reserved = 1;
	memcpy(m.body + 8, "SELECT 1", 8);
	RAW_EXPECT(&r, &m, sizeof(m.h) + 16, -EINVAL);
	/* a parameter of an unknown type */
	((struct sqlp_exec_hdr *)m.body)->reserved = 0;
	((struct sqlp_exec_hdr *)m.body)->nparams = 1;
	memcpy(m.body + 8, "SELECT ?", 8);
	m.body[16] = 99;
	m.h.body_len = 17;
	RAW_EXPECT(&r, &m, sizeof(m.h) + 17, -EINVAL);
	/* a TEXT parameter claiming 4 GiB, and one over SQLP_MAX_VALUE */
	m.body[16] = SQLP_T_TEXT;
	memcpy(m.body + 17, &(uint32_t){ 0xffffffffu }, 4);
	m.h.body_len = 21;
	RAW_EXPECT(&r, &m, sizeof(m.h) + 21, -E2BIG);
	memcpy(m.body + 17, &(uint32_t){ 1000 }, 4);
	RAW_EXPECT(&r, &m, sizeof(m.h) + 21, -EBADMSG);
	/* an INSERT whose parameters are followed by garbage: not run */
	v[0] = (struct sqlp_value){ .type = SQLP_T_INT, .i = 666 };
	len = rmsg_exec(&m, "INSERT INTO hostile VALUES (?1)", v, 1);
	m.body[m.h.body_len++] = 0x5a;
	RAW_EXPECT(&r, &m, len + 1, -EBADMSG);
	/* ... and one with a truncated parameter */
	len = rmsg_exec(&m, "INSERT INTO hostile VALUES (?1)", v, 1);
	m.h.body_len -= 3;
	RAW_EXPECT(&r, &m, len - 3, -EBADMSG);
	/* more parameters than the statement takes: SQLITE_RANGE, not run */
	v[1] = v[0];
	len = rmsg_exec(&m, "INSERT INTO hostile VALUES (?1)", v, 2);
	RAW_EXPECT(&r, &m, len, SQLITE_RANGE_CODE);
	/* FETCH and CLOSE of a cursor that does not exist */
	rmsg_hdr(&m, SQLP_OP_FETCH);
	m.h.cursor = 12345;
	RAW_EXPECT(&r, &m, sizeof(m.h), -ENOENT);
	m.h.op = SQLP_OP_CLOSE;
	RAW_EXPECT(&r, &m, sizeof(m.h), -ENOENT);
	CHECK(scalar(c, "SELECT count(*) FROM hostile") == 0,
	      "a malformed request was executed");

	if (uc) {
		/*
		 * ucchan is message based: a bad header is answered and the
		 * connection goes on.
		 */
		rmsg_hdr(&m, SQLP_OP_HELLO);
		RAW_EXPECT(&r, &m, 10, -EBADMSG);	/* shorter than the header */
		m.h.magic = 0x12345678;
		RAW_EXPECT(&r, &m, sizeof(m.h), -EBADMSG);
		rmsg_hdr(&m, 77);
		RAW_EXPECT(&r, &m, sizeof(m.h), -EOPNOTSUPP);
		rmsg_hdr(&m, SQLP_OP_HELLO);
		m.h.version = 9 << 8;
		RAW_EXPECT(&r, &m, sizeof(m.h), -EPROTONOSUPPORT);
		rmsg_hdr(&m, SQLP_OP_HELLO);
		m.h.reserved0 = 1;
		RAW_EXPECT(&r, &m, sizeof(m.h), -EINVAL);
		m.h.reserved0 = 0;
		m.h.flags = 1u << 7;
		RAW_EXPECT(&r, &m, sizeof(m.h), -EINVAL);
		/* inline body shorter or longer than body_len says */
		len = rmsg_exec(&m, "SELECT 1", NULL, 0);
		RAW_EXPECT(&r, &m, len - 1, -EBADMSG);
		RAW_EXPECT(&r, &m, len + 1, -EBADMSG);
		/* body or result "in a buffer" that was not passed */
		m.h.flags = SQLP_REQ_BODY_BUF;
		RAW_EXPECT(&r, &m, sizeof(m.h), -EBADMSG);
		m.h.flags = SQLP_REQ_RESULT_BUF;
		RAW_EXPECT(&r, &m, len, -EBADMSG);
		/* the raw connection still works after all that */
		len = rmsg_exec(&m, "SELECT 2", NULL, 0);
		RAW_EXPECT(&r, &m, len, 0);
	}

	/*
	 * A raw client inside a transaction sends garbage and goes away: its
	 * insert is rolled back, the write lock released.
	 */
	CHECK(!raw_open(&q), "raw connect");
	len = rmsg_exec(&m, "BEGIN", NULL, 0);
	RAW_EXPECT(&q, &m, len, 0);
	CHECK(q.rep.flags & SQLP_REP_INTXN, "in a transaction");
	v[0].i = 777;
	len = rmsg_exec(&m, "INSERT INTO hostile VALUES (?1)", v, 1);
	RAW_EXPECT(&q, &m, len, 0);
	CHECK(q.rep.changes == 1, "-");
	rmsg_hdr(&m, SQLP_OP_EXEC);
	m.h.body_len = 8;
	((struct sqlp_exec_hdr *)m.body)->sql_len = 99;
	RAW_EXPECT(&q, &m, sizeof(m.h) + 8, -EBADMSG);
	CHECK(q.rep.flags & SQLP_REP_INTXN, "still in the transaction");
	if (!uc) {
		/* bad magic: error reply, then the stream is closed */
		m.h.magic = 0x12345678;
		RAW_EXPECT(&q, &m, sizeof(m.h), -EBADMSG);
		CHECK(recv(q.fd, &m, 1, 0) == 0, "closed after a bad header");
	}
	raw_close(&q);
	/* the lock is free once the server noticed: this write goes through */
	CHECK(!sqlp_exec(c, "INSERT INTO hostile VALUES (1)"), "%s",
	      sqlp_errmsg(c));
	CHECK(scalar(c, "SELECT count(*) FROM hostile") == 1 &&
	      scalar(c, "SELECT count(*) FROM hostile WHERE v = 777") == 0,
	      "the hostile client's insert was committed");

	if (!uc) {
		/* a half-sent request then a hang-up */
		raw_close(&r);
		CHECK(!raw_open(&r), "-");
		CHECK(send(r.fd, &m, 10, 0) == 10, "-");
	}
	raw_close(&r);
	CHECK(scalar(c, "SELECT 9") == 9, "others still served");
	sqlp_disconnect(c);
	return 0;
}

/* ---- server restart under a connected client --------------------------- */

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void wait_usr1(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigwait(&set, &sig);
}

static int restart_client(void)
{
	bool uc = !strncmp(target, "ucchan:", 7);
	int want = uc ? -ESHUTDOWN : -ECONNRESET;
	struct sqlp_conn *c, *d;
	struct timespec t0;
	int p[2], st, ret;
	sigset_t set;
	pid_t pid;
	char x;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	alarm(120);	/* a hang fails the test instead of stalling it */
	c = conn();
	CHECK(!sqlp_exec(c, "DROP TABLE IF EXISTS restart; "
			 "CREATE TABLE restart(v)"), "%s", sqlp_errmsg(c));
	CHECK(!sqlp_exec(c, "BEGIN"), "%s", sqlp_errmsg(c));
	CHECK(!sqlp_exec(c, "INSERT INTO restart VALUES ('uncommitted')"),
	      "%s", sqlp_errmsg(c));
	/* a second client whose call never ends while the server lives */
	CHECK(!pipe(p), "-");
	pid = fork();
	if (pid == 0) {
		struct sqlp_conn *k;

		alarm(120);
		k = conn();
		close(p[0]);
		if (write(p[1], "x", 1) != 1)
			_exit(2);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ret = sqlp_exec(k, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
				"SELECT x + 1 FROM c) SELECT count(*) FROM c");
		printf("in-flight call: %s after the server died (%.1f ms "
		       "since issued)\n", strerror(-ret), ms_since(&t0));
		fflush(stdout);
		sqlp_disconnect(k);
		/* over ucchan its worker may go before the service does */
		_exit(ret == want || (uc && ret == -ECONNRESET) ? 0 : 1);
	}
	close(p[1]);
	CHECK(read(p[0], &x, 1) == 1, "child failed");
	close(p[0]);
	printf("ready\n");
	fflush(stdout);

	wait_usr1();	/* the server was killed (and reaped) */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = sqlp_exec(c, "SELECT 1");
	printf("idle client: %s (%s) in %.1f ms\n", strerror(-ret),
	       sqlp_errmsg(c), ms_since(&t0));
	CHECK(ret == want, "first call after the server died: %d", ret);
	CHECK(sqlp_exec(c, "SELECT 1") == want, "second call");
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0, "in-flight call did not fail cleanly");
	ret = sqlp_connect(&d, target);
	CHECK(ret == -ENOENT || ret == -ECONNREFUSED, "connect while down: %d",
	      ret);
	sqlp_disconnect(c);	/* must not hang either */
	printf("down\n");
	fflush(stdout);

	wait_usr1();	/* the server is back */
	c = conn();
	CHECK(scalar(c, "SELECT count(*) FROM restart WHERE v = 'uncommitted'")
	      == 0, "the dead server's transaction survived");
	CHECK(!sqlp_exec(c, "INSERT INTO restart VALUES ('after')"), "%s",
	      sqlp_errmsg(c));
	CHECK(scalar(c, "SELECT count(*) FROM restart") == 1, "-");
	sqlp_disconnect(c);
	printf("reconnected\n");
	return 0;
}

int main(int argc, char **argv)
{
	int64_t rows = argc > 2 ? atoll(argv[2]) : 2000;

	if (argc < 2) {
		fprintf(stderr, "usage: %s TARGET [ROWS | --restart-client]\n",
			argv[0]);
		return 2;
	}
	target = argv[1];
	signal(SIGPIPE, SIG_IGN);
	if (argc > 2 && !strcmp(argv[2], "--restart-client"))
		return restart_client() || failures ? 1 : 0;
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
	RUN(t_hostile());
	RUN(t_sandbox());
	return failures ? 1 : 0;
}
