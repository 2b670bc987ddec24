// SPDX-License-Identifier: BSD-2-Clause
/*
 * zusd.c - zusd: load plugins, serve the zufs protocol on a ucchan
 * service with one worker per CPU, until told to stop.
 *
 * Shutdown rule: SIGTERM or SIGINT stops zusd when nothing is mounted.
 * While file systems are mounted the first signal is refused (logged with
 * the number of mounts); a second one, or the first with --force, stops
 * zusd anyway: the mounts then fail every operation with an error until
 * they are unmounted.
 *
 * Signals: SIGTERM, SIGINT and SIGHUP are blocked from the start (before
 * plugins are loaded, so that no thread a plugin starts takes them) and
 * taken by the main thread alone with sigwaitinfo(). SIGHUP is logged and
 * ignored: zusd logs to stderr (the journal), there is nothing to reopen,
 * and a hangup must not kill a daemon that serves mounts.
 *
 * Bounded shutdown: once stopping, zusd waits --stop-timeout seconds for
 * its workers; a worker stuck in a plugin op would otherwise keep it
 * alive forever. After that it names the stuck op(s) and exits with
 * status 1 without waiting (the kernel fails the mounts' requests).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libucchan.h>
#include <linux/zufs.h>

#include "zus_i.h"
#include "zusd_fuse.h"
#ifdef ZUS_HAVE_FUSE
#include "fuse_i.h"
#endif

#define MAX_PLUGINS	32
#define ZUSD_DEFAULT_SERVICE	"zufs"
#define ZUSD_DEFAULT_STOP_TIMEOUT	10	/* seconds */

/* What one worker is doing: named when shutdown finds it stuck. */
struct zusd_busy {
	struct zusd_busy *next;
	unsigned int cpu, slot;
	uint32_t opcode;
	uint64_t sb_id, ino;
	struct timespec since;		/* CLOCK_MONOTONIC_COARSE: read in
					 * user space on every kernel (the
					 * precise clock is a system call
					 * where the clocksource is not
					 * vDSO-readable, e.g. HPET in QEMU),
					 * and seconds are what is reported */
	int busy;			/* atomic: the fields above are valid */
};

struct zusd {
	struct zus_server srv;
	struct ucchan_server *ucs;
	const char *plugins[MAX_PLUGINS];
	unsigned int nr_plugins;
	const char *service;
	mode_t mode;
	unsigned int slots;
	const char *cpus;		/* --cpus, or NULL: every CPU */
	uint64_t poll_ns;		/* --poll-ns */
	int ready_fd;
	bool force;
	bool reattach;			/* --reattach */
	unsigned int stop_timeout;	/* seconds; 0: wait forever */
	pthread_mutex_t busy_lock;	/* the list, not the entries */
	struct zusd_busy *busy;
	struct zusd_fuse_args fuse;	/* --transport fuse (zusd_fuse.c) */
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: zusd --plugin NAME|PATH [--plugin ...] [OPTION]...\n"
"Serve zufs file systems (zuf.ko) from user-space plugins over ucchan.\n"
"\n"
"  -p, --plugin NAME|PATH  load a plugin: a path (contains '/') or a name\n"
"                          looked up as NAME.so in $ZUS_PLUGIN_PATH, then\n"
"                          %s (or the build tree)\n"
"  -s, --service NAME      ucchan service name (default \"%s\"); mount with\n"
"                          -o service=NAME\n"
"  -m, --mode OCTAL        connect permission of the service (default 0600)\n"
"      --slots N           channels per CPU (default: the kernel's)\n"
"      --cpus LIST         workers on these CPUs only (\"0-3,8\"; default\n"
"                          every CPU: a call is served on its own CPU)\n"
"      --poll-ns NS        workers spin NS for the next request before\n"
"                          sleeping (0-10000000; default 0: no polling)\n"
"      --ready-fd FD       write one byte to FD, then close it, when ready\n"
"  -f, --force             exit on the first SIGTERM even while mounted\n"
"      --reattach          once serving, re-attach the zufs mounts of this\n"
"                          service whose server died (mount -o\n"
"                          remount,reattach; file systems with an identity)\n"
"      --stop-timeout SEC  at shutdown, wait at most SEC seconds for workers\n"
"                          busy in a plugin op, then exit 1 naming the op\n"
"                          (default %d; 0 waits forever)\n"
#if ZUS_WITH_EVIL
"      --evil              test mode: allow the evil= mount option and\n"
"                          $ZUSD_EVIL (broken replies; zusd-test only)\n"
#endif
"      --transport fuse    serve one mount over FUSE (stock kernel, no zufs\n"
"                          modules) instead of zufs: with --mount DIR\n"
"      --mount DIR         (fuse) mount on DIR; zusd exits when unmounted\n"
"      --source SRC        (fuse) the mount's source (default: fs name)\n"
"  -o OPTIONS              (fuse) mount options: fs=, the plugin's (size=...),\n"
"                          ro, nosuid..., allow_other, timeout=SEC, direct_io,\n"
"                          readdirplus, max_threads=N (see zusd(8))\n"
"  -v, --verbose           more logging (repeat for debug)\n"
"  -q, --quiet             errors only\n"
"  -h, --help              this help\n"
"  -V, --version           print the version\n"
"\n"
"Readiness is also announced to $NOTIFY_SOCKET (systemd Type=notify).\n"
"SIGTERM/SIGINT stop zusd when nothing is mounted; while mounted the first\n"
"is refused and a second one (or --force) stops it. SIGHUP is ignored.\n",
		ZUS_PLUGIN_DIR, ZUSD_DEFAULT_SERVICE, ZUSD_DEFAULT_STOP_TIMEOUT);
}

static int parse_args(struct zusd *d, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "plugin",	required_argument, NULL, 'p' },
		{ "service",	required_argument, NULL, 's' },
		{ "mode",	required_argument, NULL, 'm' },
		{ "slots",	required_argument, NULL, 'S' },
		{ "cpus",	required_argument, NULL, 'C' },
		{ "poll-ns",	required_argument, NULL, 'P' },
		{ "ready-fd",	required_argument, NULL, 'r' },
		{ "force",	no_argument,	   NULL, 'f' },
		{ "reattach",	no_argument,	   NULL, 'A' },
		{ "stop-timeout", required_argument, NULL, 'T' },
#if ZUS_WITH_EVIL
		{ "evil",	no_argument,	   NULL, 'E' },
#endif
		{ "transport",	required_argument, NULL, 'X' },
		{ "mount",	required_argument, NULL, 'M' },
		{ "source",	required_argument, NULL, 'F' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ "quiet",	no_argument,	   NULL, 'q' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ "version",	no_argument,	   NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	long v;
	int c;

	d->service = ZUSD_DEFAULT_SERVICE;
	d->mode = 0600;
	d->ready_fd = -1;
	d->stop_timeout = ZUSD_DEFAULT_STOP_TIMEOUT;
	while ((c = getopt_long(argc, argv, "p:s:m:o:fvqhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'p':
			if (d->nr_plugins == MAX_PLUGINS) {
				zus_err("at most %d plugins", MAX_PLUGINS);
				return 2;
			}
			d->plugins[d->nr_plugins++] = optarg;
			break;
		case 's':
			d->service = optarg;
			break;
		case 'm':
			v = strtol(optarg, &end, 8);
			if (*end || end == optarg || v < 0 || v > 0777) {
				zus_err("--mode: '%s' is not an octal mode", optarg);
				return 2;
			}
			d->mode = v;
			break;
		case 'S':
			v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 1 || v > 16) {
				zus_err("--slots: want 1..16, not '%s'", optarg);
				return 2;
			}
			d->slots = v;
			break;
		case 'C':
			d->cpus = optarg;
			break;
		case 'P':
			v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 0 ||
			    v > (long)UCCHAN_MAX_POLL_NS) {
				zus_err("--poll-ns: want 0..%llu, not '%s'",
					UCCHAN_MAX_POLL_NS, optarg);
				return 2;
			}
			d->poll_ns = v;
			break;
		case 'r':
			v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 0 || v > INT_MAX) {
				zus_err("--ready-fd: '%s' is not a descriptor",
					optarg);
				return 2;
			}
			d->ready_fd = v;
			break;
		case 'A':
			d->reattach = true;
			break;
		case 'f':
			d->force = true;
			break;
		case 'T':
			v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 0 || v > 86400) {
				zus_err("--stop-timeout: want 0..86400 seconds, not '%s'",
					optarg);
				return 2;
			}
			d->stop_timeout = v;
			break;
#if ZUS_WITH_EVIL
		case 'E':
			zus_evil_allowed = true;
			zus_warn("--evil: test mode, mounts may ask for broken replies");
			break;
#endif
		case 'X':
			if (zusd_fuse_transport(&d->fuse, optarg))
				return 2;
			break;
		case 'M':
			d->fuse.mountpoint = optarg;
			break;
		case 'F':
			d->fuse.source = optarg;
			break;
		case 'o':
			if (zusd_fuse_add_opts(&d->fuse, optarg))
				return 2;
			break;
		case 'v':
			if (zus_log_level < ZUS_LOG_DEBUG)
				zus_log_level++;
			break;
		case 'q':
			zus_log_level = ZUS_LOG_ERR;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("zusd %s (plugin ABI %d)\n", ZUS_VERSION,
			       ZUS_ABI_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		zus_err("unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (!d->nr_plugins) {
		zus_err("no plugin: give at least one --plugin");
		usage(stderr);
		return 2;
	}
	if (zusd_fuse_check_args(&d->fuse))
		return 2;
	return -1;			/* go on */
}

/* ---- readiness -------------------------------------------------------- */

/* sd_notify(3) protocol: one datagram to $NOTIFY_SOCKET. */
void zusd_sd_notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(sa.sun_path))
		return;
	strcpy(sa.sun_path, path);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';	/* abstract socket */
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
		   (struct sockaddr *)&sa, len) < 0)
		zus_warn("NOTIFY_SOCKET %s: %s", path, strerror(errno));
	close(fd);
}

static void announce_ready(struct zusd *d)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=serving service %s",
		 d->service);
	zusd_sd_notify(msg);
	if (d->ready_fd >= 0) {
		if (write(d->ready_fd, "R", 1) != 1)
			zus_warn("--ready-fd %d: %s", d->ready_fd,
				 strerror(errno));
		close(d->ready_fd);
		d->ready_fd = -1;
	}
}

/* ---- ucchan glue ------------------------------------------------------ */

static int32_t zusd_handle(struct ucchan_req *req, size_t *reply_len, void *arg)
{
	struct zusd *d = arg;
	struct zus_call c = {
		.req = req->data,
		.req_len = req->len,
		.reply = req->reply,
		.reply_cap = req->reply_cap,
		.nr_bufs = req->nr_bufs,
		.client_id = req->hdr->client_id,
	};
	struct zusd_busy *b = ucchan_worker_get_data(req->worker);
	int32_t status;

	/*
	 * Only zuf.ko speaks zufs to us. The header's uid/gid were set by
	 * the kernel after its permission checks; a user-space client could
	 * forge them (and plugins trust the kernel's checks), so it is
	 * refused whatever --mode lets connect.
	 */
	if (!(req->hdr->flags & UCCHAN_REQ_KERNEL)) {
		zus_dbg("refusing a request from user-space client %llu",
			(unsigned long long)req->hdr->client_id);
		*reply_len = 0;
		return -EPERM;
	}
	if (c.nr_bufs > ZUS_MAX_REQ_BUFS)
		c.nr_bufs = ZUS_MAX_REQ_BUFS;
	for (unsigned int i = 0; i < c.nr_bufs; i++) {
		c.bufs[i].addr = req->bufs[i].addr;
		c.bufs[i].len = req->bufs[i].len;
		c.bufs[i].flags = req->bufs[i].flags &
				  (ZUS_BUF_READ | ZUS_BUF_WRITE);
	}
	if (b && req->len >= sizeof(struct zufs_in_header)) {
		const struct zufs_in_header *h = req->data;

		b->opcode = h->opcode;
		b->sb_id = h->sb_id;
		b->ino = h->ino;
		clock_gettime(CLOCK_MONOTONIC_COARSE, &b->since);
		__atomic_store_n(&b->busy, 1, __ATOMIC_RELEASE);
	}
	status = zus_dispatch(&d->srv, &c);
	if (b)
		__atomic_store_n(&b->busy, 0, __ATOMIC_RELEASE);
	*reply_len = c.reply_len;
	return status;
}

/* Each worker gets its zusd_busy entry (kept until zusd exits). */
static int zusd_worker_init(struct ucchan_worker *w, unsigned int cpu,
			    unsigned int slot, void *arg)
{
	struct zusd *d = arg;
	struct zusd_busy *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	b->cpu = cpu;
	b->slot = slot;
	pthread_mutex_lock(&d->busy_lock);
	b->next = d->busy;
	d->busy = b;
	pthread_mutex_unlock(&d->busy_lock);
	ucchan_worker_set_data(w, b);
	return 0;
}

static void zusd_disconnect(uint64_t client_id, void *arg)
{
	struct zusd *d = arg;

	zus_server_client_gone(&d->srv, client_id);
}

static const struct ucchan_server_ops zusd_ucchan_ops = {
	.size		= sizeof(struct ucchan_server_ops),
	.handle		= zusd_handle,
	.worker_init	= zusd_worker_init,
	.disconnect	= zusd_disconnect,
};

/* host->notify_* of a zufs mount: a ucchan notification to its client. */
static int zusd_notify(void *arg, uint64_t client_id, const void *msg,
		       size_t len)
{
	struct zusd *d = arg;

	if (!d->ucs)
		return -ENOTCONN;
	return ucchan_server_notify(d->ucs, client_id, msg, len);
}

/* ---- main ------------------------------------------------------------- */

/* Load every --plugin and start it for a transport (its init()). */
static int load_plugins(struct zusd *d, unsigned int transport,
			uint64_t capable)
{
	const char *dirs[3] = { NULL, NULL, NULL };
	unsigned int nd = 0;
	char exe[PATH_MAX];
	ssize_t n;

	/* Run from the build tree: the plugins built there come first. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if (!strncmp(exe, ZUS_BUILD_DIR "/", strlen(ZUS_BUILD_DIR) + 1))
			dirs[nd++] = ZUS_BUILD_PLUGIN_DIRS;
	}
	dirs[nd] = ZUS_PLUGIN_DIR;
	for (unsigned int i = 0; i < d->nr_plugins; i++) {
		struct zus_loaded_plugin *lp;
		int err = zus_plugin_load(d->plugins[i], dirs, &lp);

		if (!err) {
			err = zus_plugin_init(lp, transport, capable);
			if (!err)
				err = zus_server_add_plugin(&d->srv, lp);
			if (err)
				zus_plugin_unload(lp);
		}
		if (err)
			return err;
	}
	return 0;
}

/* Wait for SIGTERM/SIGINT (SIGHUP: ignored) and apply the shutdown rule. */
static void wait_for_stop(struct zusd *d, const sigset_t *set)
{
	bool refused = false;

	for (;;) {
		siginfo_t si;
		size_t mounts;
		int sig = sigwaitinfo(set, &si);

		if (sig < 0)
			continue;	/* EINTR */
		if (sig == SIGHUP) {
			zus_info("SIGHUP: ignored (zusd logs to stderr: nothing to reopen)");
			continue;
		}
		mounts = zus_server_nr_mounts(&d->srv);
		if (!mounts) {
			zus_info("%s: nothing mounted, exiting", strsignal(sig));
			return;
		}
		if (d->force || refused) {
			zus_warn("%s: exiting with %zu file system(s) still mounted; they fail with errors until unmounted",
				 strsignal(sig), mounts);
			return;
		}
		zus_warn("%s: %zu file system(s) mounted: unmount them first, or send the signal again to force",
			 strsignal(sig), mounts);
		refused = true;
	}
}

/* ---- bounded shutdown ------------------------------------------------ */

struct zusd_stop {
	struct zusd *d;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
};

/* Log every worker still inside a plugin op; how many there are. */
static unsigned int report_stuck(struct zusd *d)
{
	struct timespec now;
	struct zusd_busy *b;
	unsigned int n = 0;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);	/* as b->since */
	pthread_mutex_lock(&d->busy_lock);
	for (b = d->busy; b; b = b->next) {
		if (!__atomic_load_n(&b->busy, __ATOMIC_ACQUIRE))
			continue;
		zus_err("shutdown: the worker of CPU %u slot %u is stuck in op %s (sb %llu, ino %llu) for %lld s",
			b->cpu, b->slot, zus_op_name(b->opcode),
			(unsigned long long)b->sb_id,
			(unsigned long long)b->ino,
			(long long)(now.tv_sec - b->since.tv_sec));
		n++;
	}
	pthread_mutex_unlock(&d->busy_lock);
	return n;
}

/* Runs while main stops the workers: past the deadline, exit anyway. */
static void *stop_watchdog(void *p)
{
	struct zusd_stop *st = p;
	struct timespec dl;
	unsigned int n;
	int ret = 0;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += st->d->stop_timeout;
	pthread_mutex_lock(&st->lock);
	while (!st->done && ret != ETIMEDOUT)
		ret = pthread_cond_timedwait(&st->cond, &st->lock, &dl);
	if (st->done) {
		pthread_mutex_unlock(&st->lock);
		return NULL;
	}
	n = report_stuck(st->d);
	zus_err("shutdown: workers did not stop within %u s (%u stuck in a plugin op); exiting without them",
		st->d->stop_timeout, n);
	zusd_sd_notify("STATUS=exited with a worker stuck in a plugin op");
	_exit(1);	/* exit() would run destructors under the stuck op */
}

/* Stop the workers (and unmount what is left), within stop_timeout. */
static void stop_bounded(struct zusd *d)
{
	struct zusd_stop st = { .d = d, .done = false };
	pthread_condattr_t ca;
	pthread_t t;
	bool watched;

	pthread_mutex_init(&st.lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&st.cond, &ca);
	pthread_condattr_destroy(&ca);
	watched = d->stop_timeout &&
		  !pthread_create(&t, NULL, stop_watchdog, &st);
	if (d->stop_timeout && !watched)
		zus_warn("shutdown: no watchdog thread: waiting for the workers without a bound");
	ucchan_server_destroy(d->ucs);	/* workers stop, clients -ESHUTDOWN */
	d->ucs = NULL;
	zus_server_fini(&d->srv);	/* the plugins' umount */
	if (watched) {
		pthread_mutex_lock(&st.lock);
		st.done = true;
		pthread_cond_signal(&st.cond);
		pthread_mutex_unlock(&st.lock);
		pthread_join(t, NULL);
	}
	pthread_cond_destroy(&st.cond);
	pthread_mutex_destroy(&st.lock);
}

static void free_busy(struct zusd *d)
{
	struct zusd_busy *b, *n;

	for (b = d->busy; b; b = n) {
		n = b->next;
		free(b);
	}
	d->busy = NULL;
	pthread_mutex_destroy(&d->busy_lock);
}

int main(int argc, char **argv)
{
	struct zusd d = { 0 };
	struct ucchan_server_opts uopts = {
		.size = sizeof(uopts),
	};
	sigset_t set;
	int ret, err;

	/*
	 * First of all: every thread started from now on (by a plugin's
	 * constructor or mount, by libucchan) inherits this mask, so only
	 * the main thread takes these signals, in wait_for_stop().
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_mutex_init(&d.busy_lock, NULL);

	ret = parse_args(&d, argc, argv);
	if (ret >= 0)
		return ret;
	err = zus_server_init(&d.srv);
	if (err) {
		zus_err("init: %s", strerror(-err));
		return 1;
	}
	ret = 1;
	zus_zufs_set_notify(zusd_notify, &d);
#ifdef ZUS_HAVE_FUSE
	if (d.fuse.fuse) {		/* one FUSE mount instead of ucchan */
		if (!load_plugins(&d, ZUS_TRANSPORT_FUSE, zus_fuse_capable()))
			ret = zusd_fuse_main(&d.srv, &d.fuse, d.ready_fd,
					     d.force, &set);
		goto out_srv;
	}
#endif
	if (load_plugins(&d, ZUS_TRANSPORT_ZUFS, zus_zufs_capable()))
		goto out_srv;

	uopts.name = d.service;
	uopts.mode = d.mode;
	uopts.slots_per_cpu = d.slots;
	uopts.max_inline = zus_proto_max_inline();
	uopts.poll_ns = d.poll_ns;
	err = ucchan_server_create(&d.ucs, &uopts, &zusd_ucchan_ops, &d);
	if (err) {
		zus_err("service '%s': %s%s", d.service, strerror(-err),
			err == -ENOENT ? " (is ucchan.ko loaded?)" :
			err == -EEXIST ? " (another server runs it)" :
			err == -EOPNOTSUPP ? " (--poll-ns: no polling in this ucchan.ko)" : "");
		goto out_srv;
	}
	if (d.cpus) {
		err = ucchan_server_set_cpus(d.ucs, d.cpus);
		if (err) {
			zus_err("--cpus '%s': %s", d.cpus, strerror(-err));
			goto out_ucs;
		}
	}
	err = ucchan_server_start(d.ucs);
	if (err) {
		zus_err("starting workers: %s", strerror(-err));
		goto out_ucs;
	}
	zus_log(ZUS_LOG_NOTICE, "serving service '%s' (id %u), %u plugin(s)",
		d.service, ucchan_server_id(d.ucs), d.nr_plugins);
	announce_ready(&d);
	if (d.reattach) {
		err = zusd_reattach_start(d.service);
		if (err)
			zus_err("--reattach: %s", strerror(-err));
	}

	wait_for_stop(&d, &set);
	zusd_sd_notify("STOPPING=1");
	stop_bounded(&d);
	free_busy(&d);
	return 0;
out_ucs:
	ucchan_server_destroy(d.ucs);	/* workers stop, clients -ESHUTDOWN */
out_srv:
	zus_server_fini(&d.srv);
	free_busy(&d);
	return ret;
}
