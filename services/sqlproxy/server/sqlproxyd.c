// SPDX-License-Identifier: BSD-2-Clause
/*
 * sqlproxyd: SQL over ucchan (and a Unix socket), backed by SQLite.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sqlproxyd_i.h"

#define DEFAULT_NAME	"sqlproxy"
#define DEFAULT_SOCKET	"/run/sqlproxy.sock"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: sqlproxyd [OPTION]...\n"
"Serve SQL over ucchan and a Unix socket from an SQLite database (WAL).\n\n"
"  -d, --db PATH        database file (default ./sqlproxy.db)\n"
"  -n, --name NAME      ucchan service name (default " DEFAULT_NAME ")\n"
"  -s, --socket PATH    Unix socket (default " DEFAULT_SOCKET ")\n"
"  -m, --mode OCTAL     connect permission for both (default 0660)\n"
"      --no-ucchan      do not create the ucchan service\n"
"      --no-socket      do not listen on the Unix socket\n"
"      --require-ucchan fail if ucchan is not available\n"
"      --slots N        ucchan channel slots per CPU (default 2)\n"
"      --cpus LIST      serve only these CPUs over ucchan (\"0-3\")\n"
"      --sync-full      PRAGMA synchronous=FULL (default NORMAL)\n"
"      --stmt-cache N   prepared statements cached per connection (64)\n"
"  -h, --help\n");
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, 'n' },
		{ "socket", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "no-ucchan", no_argument, NULL, 'U' },
		{ "no-socket", no_argument, NULL, 'S' },
		{ "require-ucchan", no_argument, NULL, 'R' },
		{ "slots", required_argument, NULL, 'l' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "sync-full", no_argument, NULL, 'F' },
		{ "stmt-cache", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct sqlp_engine_opts eo = { .db_path = "sqlproxy.db" };
	const char *name = DEFAULT_NAME, *sock = DEFAULT_SOCKET, *cpus = NULL;
	bool use_uc = true, use_sock = true, need_uc = false;
	unsigned int mode = 0660, slots = 0;
	struct sqlp_engine *e;
	struct sqlp_unix *u = NULL;
	struct sqlp_ucchan *uc = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t set, old;
	char err[512];
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "d:n:s:m:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'd': eo.db_path = optarg; break;
		case 'n': name = optarg; break;
		case 's': sock = optarg; break;
		case 'm': mode = (unsigned int)strtoul(optarg, NULL, 8); break;
		case 'U': use_uc = false; break;
		case 'S': use_sock = false; break;
		case 'R': need_uc = true; break;
		case 'l': slots = (unsigned int)atoi(optarg); break;
		case 'c': cpus = optarg; break;
		case 'F': eo.sync_full = true; break;
		case 'C': eo.stmt_cache = (unsigned int)atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || (!use_uc && !use_sock)) {
		usage(stderr);
		return 2;
	}

	ret = sqlp_engine_new(&e, &eo, err, sizeof(err));
	if (ret) {
		sqlp_log("cannot open database: %s", ret == -EIO ? err :
			 strerror(-ret));
		return 1;
	}

	/* Workers inherit this mask: signals go to the main thread only. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);

	if (use_uc) {
		ret = sqlp_ucchan_start(&uc, e, name, mode, slots, cpus);
		if (ret) {
			sqlp_log("ucchan service '%s' not available: %s%s", name,
				 strerror(-ret), need_uc || !use_sock ? "" :
				 "; serving the Unix socket only");
			if (need_uc || !use_sock)
				goto fail;
		} else {
			sqlp_log("ucchan service '%s' ready", name);
		}
	}
	if (use_sock) {
		ret = sqlp_unix_start(&u, e, sock, mode);
		if (ret) {
			sqlp_log("cannot listen on %s: %s", sock, strerror(-ret));
			goto fail;
		}
		sqlp_log("Unix socket %s ready", sock);
	}
	sqlp_log("database %s (WAL), serving", eo.db_path);

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* unblocked only inside sigsuspend(): no signal is lost in between */
	sigdelset(&old, SIGINT);
	sigdelset(&old, SIGTERM);
	sigdelset(&old, SIGHUP);
	while (!stop)
		sigsuspend(&old);
	sqlp_log("signal %d: shutting down", (int)stop);
	/* statements still running (a runaway query) end now */
	sqlp_engine_interrupt(e);
	sqlp_unix_stop(u);
	sqlp_ucchan_stop(uc);
	/* socket connection threads may still run: do not free the engine */
	return 0;
fail:
	sqlp_ucchan_stop(uc);
	sqlp_engine_free(e);
	return 1;
}
