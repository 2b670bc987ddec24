// SPDX-License-Identifier: BSD-2-Clause
/*
 * sqlproxyd sandbox: what client SQL may do on a connection.
 *
 * sqlproxyd runs every client's SQL with the daemon's own privileges, so
 * SQL must not reach anything but the database the daemon was started on.
 * Everything that names a file, loads code, or changes state of a
 * (pooled, hence shared) connection is refused; the policy is documented
 * in docs/sqlproxy.md ("Security"). Refusals are SQLITE_AUTH ("not
 * authorized"), decided when the statement is prepared, except VACUUM,
 * whose internal ATTACH is refused when it runs.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sqlite3.h>
#include "engine_i.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Pragmas a client may run as a query (no value): introspection of the
 * schema and of the database file, nothing that writes or names a file.
 */
static const char *const pragma_query[] = {
	"collation_list", "data_version", "database_list", "foreign_keys",
	"freelist_count", "function_list", "journal_mode", "module_list",
	"page_count", "page_size", "pragma_list", "schema_version",
	"synchronous", "table_list",
};

/*
 * Pragmas a client may run with an argument too: for these the argument
 * names a table or index to look at (or a limit), or is a value stored in
 * the database header that only the application interprets
 * (application_id, user_version).
 */
static const char *const pragma_arg[] = {
	"application_id", "foreign_key_check", "foreign_key_list",
	"index_info", "index_list", "index_xinfo", "integrity_check",
	"quick_check", "table_info", "table_xinfo", "user_version",
};

/* SQL functions a client may not call (load_extension is also off). */
static const char *const func_denied[] = {
	"load_extension",	/* loads a shared object: code execution */
	"fts3_tokenizer",	/* 2-argument form takes a C pointer */
};

/* Tables a client may not read. */
static const char *const table_denied[] = {
	"sqlite_stmt",	/* SQL text of every statement on this connection */
};

static bool in(const char *const *list, size_t n, const char *s)
{
	size_t i;

	if (!s)
		return false;
	for (i = 0; i < n; i++)
		if (!strcasecmp(list[i], s))
			return true;
	return false;
}

/* The authorizer, for every statement of every client. */
static int sandbox_auth(void *arg, int action, const char *a1, const char *a2,
			const char *dbname, const char *trigger)
{
	(void)arg;
	(void)dbname;
	(void)trigger;
	switch (action) {
	case SQLITE_ATTACH:	/* a file by name; VACUUM's own ATTACH too */
	case SQLITE_DETACH:
		return SQLITE_DENY;
	case SQLITE_PRAGMA:	/* a1 = name, a2 = argument or NULL */
		if (in(pragma_arg, ARRAY_SIZE(pragma_arg), a1))
			return SQLITE_OK;
		return !a2 && in(pragma_query, ARRAY_SIZE(pragma_query), a1) ?
		       SQLITE_OK : SQLITE_DENY;
	case SQLITE_FUNCTION:	/* a2 = function name */
		return in(func_denied, ARRAY_SIZE(func_denied), a2) ?
		       SQLITE_DENY : SQLITE_OK;
	case SQLITE_READ:	/* a1 = table */
		return in(table_denied, ARRAY_SIZE(table_denied), a1) ?
		       SQLITE_DENY : SQLITE_OK;
	default:
		return SQLITE_OK;
	}
}

int sqlp_sandbox(sqlite3 *db, char *err, size_t errlen)
{
	static const struct {
		int op;
		int on;
		const char *what;
	} cfg[] = {
		{ SQLITE_DBCONFIG_DEFENSIVE, 1, "DEFENSIVE" },
		{ SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, "TRUSTED_SCHEMA" },
		{ SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0,
		  "ENABLE_LOAD_EXTENSION" },
		{ SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0,
		  "ENABLE_FTS3_TOKENIZER" },
	};
	size_t i;
	int rc, now;

	for (i = 0; i < ARRAY_SIZE(cfg); i++) {
		now = -1;
		rc = sqlite3_db_config(db, cfg[i].op, cfg[i].on, &now);
		if (rc != SQLITE_OK || now != cfg[i].on) {
			snprintf(err, errlen, "SQLITE_DBCONFIG_%s=%d: %s",
				 cfg[i].what, cfg[i].on, rc != SQLITE_OK ?
				 sqlite3_errstr(rc) : "not applied");
			return -1;
		}
	}
	sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
	if (sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, -1) != 0) {
		snprintf(err, errlen, "SQLITE_LIMIT_ATTACHED=0 not applied");
		return -1;
	}
	rc = sqlite3_set_authorizer(db, sandbox_auth, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "authorizer: %s", sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}
