// SPDX-License-Identifier: BSD-2-Clause
/* sqlproxy: interactive SQL shell for sqlproxyd (libsqlproxy). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <editline/readline.h>
#include "sqlproxy.h"
#include "sqlproxy_proto.h"	/* SQLP_MAX_SQL */

static void usage(FILE *f)
{
	fprintf(f,
"Usage: sqlproxy [OPTION]... [SQL]\n"
"SQL shell for sqlproxyd.\n\n"
"  -u, --ucchan NAME    connect over ucchan (default service sqlproxy)\n"
"  -s, --socket PATH    connect over the Unix socket\n"
"  -t, --target T       ucchan:NAME or unix:PATH (default $SQLPROXY_TARGET)\n"
"  -c SQL               run SQL and exit (also: SQL as the last argument)\n"
"  -H, --no-header      no column headers\n"
"  -h, --help\n"
"Dot commands: .tables  .schema [TABLE]  .quit\n"
"Exit status: 0, or 1 if any statement failed.\n");
}

struct out {
	bool header;
};

/* Print the result of one statement like the sqlite3 shell's box-less
 * column mode: widths from the rows (buffered), header, separator. */
static int print_result(struct sqlp_stmt *s, const struct out *o)
{
	int n = sqlp_column_count(s), i, ret;
	size_t rows = 0, cap = 0, *w;
	char **cells = NULL;

	if (!n) {
		while ((ret = sqlp_step(s)) == 1)
			;
		return ret;
	}
	w = calloc((size_t)n, sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		w[i] = strlen(sqlp_column_name(s, i));
	while ((ret = sqlp_step(s)) == 1) {
		if ((rows + 1) * (size_t)n > cap) {
			char **p;

			cap = cap ? cap * 2 : (size_t)n * 64;
			p = realloc(cells, cap * sizeof(*p));
			if (!p) {
				ret = -ENOMEM;
				break;
			}
			cells = p;
		}
		for (i = 0; i < n; i++) {
			const char *t = sqlp_column_type(s, i) == SQLP_NULL ?
					"" : sqlp_column_text(s, i);
			char *d = strdup(t ? t : "");
			size_t l = d ? strlen(d) : 0;

			cells[rows * n + i] = d;
			if (l > w[i])
				w[i] = l;
		}
		rows++;
	}
	if (o->header && ret == 0) {
		for (i = 0; i < n; i++)
			printf(i + 1 < n ? "%-*s  " : "%.*s\n", (int)w[i],
			       sqlp_column_name(s, i));
		for (i = 0; i < n; i++) {
			size_t k;

			for (k = 0; k < w[i]; k++)
				putchar('-');
			fputs(i + 1 < n ? "  " : "\n", stdout);
		}
	}
	for (size_t r = 0; r < rows; r++)
		for (i = 0; i < n; i++) {
			char *c = cells[r * n + i];

			if (ret == 0 && i + 1 < n)
				printf("%-*s  ", (int)w[i], c ? c : "");
			else if (ret == 0)
				printf("%s\n", c ? c : "");
			free(c);
		}
	free(cells);
	free(w);
	return ret;
}

/* The server went away (stopped, restarted, crashed)? */
static bool conn_lost(int ret)
{
	return ret == -ESHUTDOWN || ret == -ECONNRESET || ret == -EPIPE ||
	       ret == -ENOTCONN;
}

static int run_sql(struct sqlp_conn *c, const char *sql, const struct out *o)
{
	struct sqlp_stmt *s = NULL;	/* prepare may fail before setting it */
	int ret;

	ret = sqlp_prepare(c, sql, &s);
	if (!ret)
		ret = sqlp_execute(s);
	if (!ret)
		ret = print_result(s, o);
	if (ret) {
		if (ret == -E2BIG && !s)
			fprintf(stderr, "Error: the statement is %zu bytes, "
				"over the limit of %u bytes\n", strlen(sql),
				SQLP_MAX_SQL);
		else if (ret == -SQLP_ESQL)
			fprintf(stderr, "Error: %s (SQLite code %d)\n",
				sqlp_errmsg(c), sqlp_errcode(c));
		else if (conn_lost(ret))
			fprintf(stderr, "Error: the server went away (%s); "
				"connecting again for the next statement\n",
				strerror(-ret));
		else
			fprintf(stderr, "Error: %s%s%s\n", strerror(-ret),
				sqlp_errmsg(c)[0] ? ": " : "", sqlp_errmsg(c));
	}
	if (ret && s)
		sqlp_reset(s);
	sqlp_finalize(s);
	return ret;
}

static int run_dot(struct sqlp_conn *c, char *line, const struct out *o,
		   bool *quit)
{
	char *cmd = strtok(line, " \t"), *arg = strtok(NULL, " \t");
	struct sqlp_stmt *s = NULL;
	int ret;

	if (!strcmp(cmd, ".quit") || !strcmp(cmd, ".exit")) {
		*quit = true;
		return 0;
	}
	if (!strcmp(cmd, ".tables"))
		return run_sql(c, "SELECT name FROM sqlite_schema WHERE type IN "
			       "('table','view') AND name NOT LIKE 'sqlite_%' "
			       "ORDER BY 1", o);
	if (!strcmp(cmd, ".schema")) {
		ret = sqlp_prepare(c, arg ?
			"SELECT sql || ';' FROM sqlite_schema WHERE sql NOT NULL "
			"AND tbl_name = ?1 ORDER BY rowid" :
			"SELECT sql || ';' FROM sqlite_schema WHERE sql NOT NULL "
			"AND name NOT LIKE 'sqlite_%' ORDER BY rowid", &s);
		if (!ret && arg)
			ret = sqlp_bind_text(s, 1, arg, -1);
		if (!ret)
			ret = sqlp_execute(s);
		while (!ret && (ret = sqlp_step(s)) == 1)
			ret = puts(sqlp_column_text(s, 0)) < 0 ? -EIO : 0;
		if (ret)
			fprintf(stderr, "Error: %s\n", ret == -SQLP_ESQL ?
				sqlp_errmsg(c) : strerror(-ret));
		sqlp_finalize(s);
		return ret;
	}
	if (!strcmp(cmd, ".help")) {
		puts(".tables  .schema [TABLE]  .quit");
		return 0;
	}
	fprintf(stderr, "Error: unknown command: %s\n", cmd);
	return -EINVAL;
}

/* Is the buffered text a complete statement (ends with ';' outside quotes)? */
static bool complete(const char *p)
{
	char q = 0, last = 0;

	for (; *p; p++) {
		if (q) {
			if (*p == q)
				q = 0;
			continue;
		}
		if (*p == '\'' || *p == '"')
			q = *p;
		if (*p != ' ' && *p != '\t' && *p != '\n')
			last = *p;
	}
	return !q && last == ';';
}

/*
 * After a lost connection, connect again before the next statement (the
 * server rolled back whatever transaction was open). False if that failed.
 */
static bool ready(struct sqlp_conn **cp, const char *target, bool *lost)
{
	struct sqlp_conn *n;
	bool intxn;
	int ret;

	if (!*lost)
		return true;
	ret = sqlp_connect(&n, target);
	if (ret) {
		fprintf(stderr, "Error: connection lost; cannot reconnect: %s\n",
			strerror(-ret));
		return false;
	}
	intxn = sqlp_in_transaction(*cp);
	sqlp_disconnect(*cp);
	*cp = n;
	*lost = false;
	fprintf(stderr, "sqlproxy: reconnected over %s%s\n",
		sqlp_transport(n), intxn ?
		"; the open transaction was rolled back" : "");
	return true;
}

static int shell(struct sqlp_conn *c, const char *target, const struct out *o)
{
	bool tty = isatty(0), quit = false, lost = false;
	char *buf = NULL, *more, *line;
	size_t len = 0;
	int status = 0, ret;

	if (tty)
		printf("sqlproxy: connected over %s. \".help\" for help.\n",
		       sqlp_transport(c));
	while (!quit) {
		const char *prompt = len ? "   ...> " :
			(sqlp_in_transaction(c) ? "sqlproxy*> " : "sqlproxy> ");

		if (tty) {
			line = readline(prompt);
		} else {
			size_t n = 0;

			line = NULL;
			if (getline(&line, &n, stdin) < 0) {
				free(line);
				line = NULL;
			} else {
				line[strcspn(line, "\n")] = 0;
			}
		}
		if (!line)
			break;
		if (!len && line[0] == '.') {
			if (tty)
				add_history(line);
			ret = ready(&c, target, &lost) ?
			      run_dot(c, line, o, &quit) : -ENOTCONN;
			if (ret)
				status = 1;
			lost = lost || conn_lost(ret);
			free(line);
			fflush(stdout);
			continue;
		}
		more = realloc(buf, len + strlen(line) + 2);
		if (!more) {
			fprintf(stderr, "Error: %s\n", strerror(ENOMEM));
			free(line);
			free(buf);
			sqlp_disconnect(c);
			return 1;
		}
		buf = more;
		len += (size_t)sprintf(buf + len, "%s%s", len ? "\n" : "", line);
		free(line);
		if (complete(buf)) {
			if (tty)
				add_history(buf);
			ret = ready(&c, target, &lost) ? run_sql(c, buf, o) :
			      -ENOTCONN;
			if (ret)
				status = 1;
			lost = lost || conn_lost(ret);
			len = 0;
			fflush(stdout);	/* a pipe sees each result as it comes */
		}
	}
	if (len && (!ready(&c, target, &lost) || run_sql(c, buf, o)))
		status = 1;
	free(buf);
	sqlp_disconnect(c);
	return status;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ucchan", required_argument, NULL, 'u' },
		{ "socket", required_argument, NULL, 's' },
		{ "target", required_argument, NULL, 't' },
		{ "no-header", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct out o = { .header = true };
	const char *sql = NULL;
	char target[4200] = "";
	struct sqlp_conn *c;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "u:s:t:c:Hh", lo, NULL)) != -1) {
		switch (opt) {
		case 'u':
			snprintf(target, sizeof(target), "ucchan:%s", optarg);
			break;
		case 's':
			snprintf(target, sizeof(target), "unix:%s", optarg);
			break;
		case 't':
			snprintf(target, sizeof(target), "%s", optarg);
			break;
		case 'c':
			sql = optarg;
			break;
		case 'H':
			o.header = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc && !sql)
		sql = argv[optind++];
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	ret = sqlp_connect(&c, target[0] ? target : NULL);
	if (ret) {
		fprintf(stderr, "sqlproxy: cannot connect to %s: %s\n",
			target[0] ? target : getenv("SQLPROXY_TARGET") ?
			getenv("SQLPROXY_TARGET") : "ucchan:sqlproxy",
			strerror(-ret));
		return 1;
	}
	if (sql) {
		char *copy = strdup(sql);
		bool quit = false;

		ret = copy && copy[0] == '.' ? run_dot(c, copy, &o, &quit) :
		      run_sql(c, sql, &o);
		free(copy);
		sqlp_disconnect(c);
		return ret ? 1 : 0;
	}
	ret = shell(c, target[0] ? target : NULL, &o);
	return ret;
}
