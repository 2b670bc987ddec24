// SPDX-License-Identifier: BSD-2-Clause
/*
 * sqlproxy-bench: point SELECT and single-row INSERT (autocommit and
 * batched) through libsqlproxy (ucchan or Unix socket) or in-process
 * SQLite (the floor). Prints one line per workload:
 *   <mode> <workload> ops=N qps=Q p50_us=L p99_us=L
 *
 *   sqlproxy-bench -m TARGET [-n OPS] [-r ROWS] [-b BATCH] [-t MS] [-l LABEL]
 *
 * TARGET: ucchan:NAME or unix:PATH (a running sqlproxyd), inproc:DBPATH
 * (SQLite in this process: the floor), or ucchan-thread:DBPATH (sqlproxyd's
 * engine and ucchan transport started inside this process: the same calls
 * through ucchan without an address-space switch, which shows what the
 * switch itself costs under QEMU TCG). -t MS stops a workload after MS
 * milliseconds (at least 20 operations; 0 = no limit). -l names the mode
 * in the output (default: the target's prefix).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "sqlproxy.h"
#include "sqlproxyd_i.h"

struct db {
	struct sqlp_conn *c;	/* proxied */
	sqlite3 *lite;		/* in-process */
	struct sqlp_stmt *ps_sel, *ps_ins;
	sqlite3_stmt *ls_sel, *ls_ins;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int exec(struct db *d, const char *sql)
{
	if (d->c)
		return sqlp_exec(d->c, sql);
	return sqlite3_exec(d->lite, sql, NULL, NULL, NULL) ? -EIO : 0;
}

static int op_select(struct db *d, int64_t key)
{
	int ret;

	if (d->c) {
		ret = sqlp_bind_int64(d->ps_sel, 1, key);
		if (!ret)
			ret = sqlp_execute(d->ps_sel);
		if (!ret)
			ret = sqlp_step(d->ps_sel);
		if (ret == 1 && sqlp_column_int64(d->ps_sel, 0) != key)
			ret = -EIO;
		sqlp_reset(d->ps_sel);
		return ret == 1 ? 0 : ret < 0 ? ret : -ENOENT;
	}
	sqlite3_bind_int64(d->ls_sel, 1, key);
	ret = sqlite3_step(d->ls_sel);
	if (ret == SQLITE_ROW && sqlite3_column_int64(d->ls_sel, 0) != key)
		ret = -1;
	sqlite3_reset(d->ls_sel);
	return ret == SQLITE_ROW ? 0 : -EIO;
}

static int op_insert(struct db *d, int64_t key)
{
	int ret;

	if (d->c) {
		ret = sqlp_bind_int64(d->ps_ins, 1, key);
		if (!ret)
			ret = sqlp_bind_text(d->ps_ins, 2, "payload-0123456789", -1);
		if (!ret)
			ret = sqlp_execute(d->ps_ins);
		if (!ret)
			ret = sqlp_step(d->ps_ins);
		return ret;
	}
	sqlite3_bind_int64(d->ls_ins, 1, key);
	sqlite3_bind_text(d->ls_ins, 2, "payload-0123456789", -1, SQLITE_STATIC);
	ret = sqlite3_step(d->ls_ins);
	sqlite3_reset(d->ls_ins);
	return ret == SQLITE_DONE ? 0 : -EIO;
}

static uint64_t max_ns;	/* -t: time budget of one workload */

static int run(struct db *d, const char *mode, const char *name, int n,
	       int batch, int64_t base, int (*op)(struct db *, int64_t),
	       int64_t rows)
{
	uint64_t *lat = malloc(sizeof(*lat) * (size_t)n), t0, t, total;
	int i, ret = 0;

	if (!lat)
		return -ENOMEM;
	srand(42);
	total = now_ns();
	for (i = 0; i < n && !ret; i++) {
		if (max_ns && i >= 20 && now_ns() - total > max_ns &&
		    (!batch || i % batch == 0)) {
			n = i;
			break;
		}
		if (batch && i % batch == 0)
			ret = exec(d, "BEGIN");
		t0 = now_ns();
		ret = ret ? ret : op(d, rows ? 1 + rand() % rows : base + i);
		t = now_ns();
		lat[i] = t - t0;
		if (!ret && batch && (i % batch == batch - 1 || i == n - 1))
			ret = exec(d, "COMMIT");
	}
	total = now_ns() - total;
	if (ret) {
		fprintf(stderr, "%s %s: failed at op %d: %s\n", mode, name, i,
			strerror(-ret));
		free(lat);
		return ret;
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp_u64);
	printf("%s %s ops=%d qps=%.0f p50_us=%.1f p99_us=%.1f\n", mode, name, n,
	       n / (total / 1e9), lat[n / 2] / 1e3, lat[n * 99 / 100] / 1e3);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	const char *target = "ucchan:sqlproxy", *mode;
	struct sqlp_engine *eng = NULL;
	struct sqlp_ucchan *self = NULL;
	struct db d = { 0 };
	int n = 2000, rows = 1000, batch = 100, opt, ret;
	char self_target[80];
	int64_t base;

	const char *label = NULL;

	while ((opt = getopt(argc, argv, "m:n:r:b:t:l:")) != -1) {
		switch (opt) {
		case 'm': target = optarg; break;
		case 'l': label = optarg; break;
		case 'n': n = atoi(optarg); break;
		case 'r': rows = atoi(optarg); break;
		case 'b': batch = atoi(optarg); break;
		case 't': max_ns = strtoull(optarg, NULL, 10) * 1000000ull; break;
		default:
			fprintf(stderr, "usage: sqlproxy-bench [-m TARGET] [-n OPS] [-r ROWS] [-b BATCH] [-t MS] [-l LABEL]\n");
			return 2;
		}
	}
	if (n < 1 || rows < 1 || batch < 1)
		return 2;
	mode = strncmp(target, "inproc:", 7) ? strtok(strdup(target), ":") :
	       "inproc";
	if (!strcmp(mode, "ucchan-thread")) {
		struct sqlp_engine_opts eo = { .db_path = target + 14 };
		char err[256] = "";

		snprintf(self_target, sizeof(self_target),
			 "ucchan:sqlpbench-self-%d", (int)getpid());
		ret = sqlp_engine_new(&eng, &eo, err, sizeof(err));
		if (!ret)
			ret = sqlp_ucchan_start(&self, eng, self_target + 7,
						0600, 0, NULL);
		if (ret) {
			fprintf(stderr, "cannot serve %s: %s %s\n", target,
				strerror(-ret), err);
			return 1;
		}
		target = self_target;
	}
	if (!strcmp(mode, "inproc")) {
		if (sqlite3_open(target + 7, &d.lite) ||
		    sqlite3_exec(d.lite, "PRAGMA journal_mode=WAL; "
				 "PRAGMA synchronous=NORMAL", NULL, NULL, NULL)) {
			fprintf(stderr, "cannot open %s\n", target + 7);
			return 1;
		}
	} else {
		ret = sqlp_connect(&d.c, target);
		if (ret) {
			fprintf(stderr, "cannot connect to %s: %s\n", target,
				strerror(-ret));
			return 1;
		}
	}
	{
		char sql[320];

		snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS bench; CREATE "
			 "TABLE bench(id INTEGER PRIMARY KEY, v TEXT); WITH "
			 "RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
			 "LIMIT %d) INSERT INTO bench SELECT x, 'row-' || x FROM c",
			 rows);
		ret = exec(&d, sql);
	}
	if (ret) {
		fprintf(stderr, "setup failed: %s\n", d.c ? sqlp_errmsg(d.c) : "");
		return 1;
	}
	if (d.c) {
		sqlp_prepare(d.c, "SELECT id, v FROM bench WHERE id = ?1", &d.ps_sel);
		sqlp_prepare(d.c, "INSERT INTO bench VALUES (?1, ?2)", &d.ps_ins);
	} else {
		sqlite3_prepare_v2(d.lite, "SELECT id, v FROM bench WHERE id = ?1",
				   -1, &d.ls_sel, NULL);
		sqlite3_prepare_v2(d.lite, "INSERT INTO bench VALUES (?1, ?2)",
				   -1, &d.ls_ins, NULL);
	}
	base = rows + 1;
	if (label)
		mode = label;
	ret = run(&d, mode, "select_pk", n, 0, 0, op_select, rows);
	if (!ret)
		ret = run(&d, mode, "insert_autocommit", n / 4 ? n / 4 : 1, 0,
			  base, op_insert, 0);
	if (!ret)
		ret = run(&d, mode, "insert_batched", n, batch, base + n, op_insert, 0);
	if (d.c) {
		sqlp_finalize(d.ps_sel);
		sqlp_finalize(d.ps_ins);
		sqlp_disconnect(d.c);
		sqlp_ucchan_stop(self);
		sqlp_engine_free(eng);
	} else {
		sqlite3_finalize(d.ls_sel);
		sqlite3_finalize(d.ls_ins);
		sqlite3_close(d.lite);
	}
	return ret ? 1 : 0;
}
