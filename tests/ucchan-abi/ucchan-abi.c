// SPDX-License-Identifier: BSD-2-Clause
/*
 * ucchan ABI test: raw ioctls on /dev/ucchan, no library. Runs in a VM as
 * root (tests/vm/vm-run). If /dev/ucchan is missing and UCCHAN_KO names
 * the module, the test loads it; at the end it checks that rmmod fails
 * while a service is open and succeeds once everything is closed.
 *
 * Every check prints "ok - NAME" or "not ok - NAME (...)"; exit 0 when
 * all passed, 1 otherwise, 77 when the module is not available.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/ucchan.h>

#include "abi-proto.h"

#define DEV "/dev/ucchan"
#define PG 4096UL

static int failures, checks;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

/* ioctl returning 0 or -errno */
static int ioc(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static void expect_err(int got, int want, const char *name)
{
	if (got == -want)
		check(true, "%s -> %s", name, strerror(want));
	else
		check(false, "%s: want %s, got %d (%s)", name, strerror(want),
		      got, got < 0 ? strerror(-got) : "success");
}

static int dev_open(void)
{
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		perror(DEV);
		exit(1);
	}
	return fd;
}

static int pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

static void unpin_self(void)
{
	cpu_set_t set;
	long i, n = sysconf(_SC_NPROCESSORS_CONF);

	CPU_ZERO(&set);
	for (i = 0; i < n; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * A service of @copy_size bytes of copy area per worker (0: the default;
 * -1: none, UCCHAN_SVC_NOCOPY). The tests of the window use services
 * without one, so that their buffers are mapped whatever their size.
 */
static int create_service_copy(const char *name, unsigned int mode, int *id,
			       long copy_size)
{
	struct ucchan_service_create c = {
		.mode = mode,
		.flags = copy_size < 0 ? UCCHAN_SVC_NOCOPY : 0,
		.copy_size = copy_size < 0 ? 0 : (uint32_t)copy_size,
	};
	int fd = dev_open(), r;

	strncpy(c.name, name, sizeof(c.name) - 1);
	r = ioc(fd, UCCHAN_IOC_SERVICE_CREATE, &c);
	if (r) {
		close(fd);
		return r;
	}
	if (id)
		*id = c.service_id;
	return fd;
}

static int create_service(const char *name, unsigned int mode, int *id)
{
	return create_service_copy(name, mode, id, -1);
}

static int connect_to(const char *name, struct ucchan_connect *out)
{
	struct ucchan_connect c = {};
	int fd = dev_open(), r;

	strncpy(c.name, name, sizeof(c.name) - 1);
	r = ioc(fd, UCCHAN_IOC_CONNECT, &c);
	if (r) {
		close(fd);
		return r;
	}
	if (out)
		*out = c;
	return fd;
}

/* ---- the echo server, raw ioctls + mmap ---- */

/* The calling thread's page faults while it reads a byte of every page */
static uint64_t touch_faults(const volatile unsigned char *p, size_t len)
{
	struct rusage u0, u1;
	size_t i;

	getrusage(RUSAGE_THREAD, &u0);
	for (i = 0; i < len; i += PG)
		(void)p[i];
	getrusage(RUSAGE_THREAD, &u1);
	return (uint64_t)(u1.ru_minflt - u0.ru_minflt) +
	       (uint64_t)(u1.ru_majflt - u0.ru_majflt);
}


/* Set by a test to end every OP_HOLD early (see test_pin_limit). */
static volatile int hold_release;

struct worker {
	int svc_fd;
	int cpu;
	int slot;
	int fd;
	volatile int state;	/* 0 starting, 1 ready, 2 bind failed, 3 done */
	int bind_err;
	volatile int holding;	/* inside an OP_HOLD */
	uint64_t poll_ns;	/* every WAIT's poll_ns */
	volatile pid_t tid;
	int late_probe;		/* OP_HOLD: probe[0] read after the hold */
	int late_fault;		/* OP_HOLD_FILL: the fill took a SIGBUS */
	int last_err;		/* WAIT's error that ended the loop */
	int bad_reply_err;	/* WAIT's answer to the bad reply */
	unsigned char *area;	/* the service's registered-buffer area */
	struct ucchan_worker_bind bind;	/* what WORKER_BIND said */
	pthread_t th;
};

static __thread sigjmp_buf probe_jb;
static __thread volatile int probing;

static void sigbus_handler(int sig)
{
	(void)sig;
	if (probing)
		siglongjmp(probe_jb, 1);
	_exit(99);
}

/* Read a byte; -1 on SIGBUS */
static int probe_read(const volatile unsigned char *p)
{
	int v;

	probing = 1;
	if (sigsetjmp(probe_jb, 1)) {
		probing = 0;
		return -1;
	}
	v = *p;
	probing = 0;
	return v;
}

/* Write a byte; 1 on SIGBUS */
static int probe_write(volatile unsigned char *p, unsigned char v)
{
	probing = 1;
	if (sigsetjmp(probe_jb, 1)) {
		probing = 0;
		return 1;
	}
	*p = v;
	probing = 0;
	return 0;
}

static uint64_t fnv(const unsigned char *p, size_t n)
{
	return abi_fnv(p, n, ABI_FNV_INIT);
}

/* OP_NOTIFY: the worker notifies the caller's connection mid-call */
static int worker_notify(struct worker *w, uint64_t client_id,
			 const struct abi_req *rq)
{
	static unsigned char msg[UCCHAN_NOTIFY_MAX + 1];
	struct ucchan_notify n = { .client_id = client_id };
	unsigned int i;

	if (rq->hold_ms) {
		for (i = 0; i < rq->hold_ms && i < sizeof(msg); i++)
			msg[i] = (unsigned char)(i * 7 + 3);
		n.msg_ptr = (uintptr_t)msg;
		n.msg_len = rq->hold_ms;
	} else {
		n.msg_ptr = (uintptr_t)rq->data;
		n.msg_len = strnlen(rq->data, sizeof(rq->data) - 1) + 1;
	}
	return ioc(w->svc_fd, UCCHAN_IOC_NOTIFY, &n);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct ucchan_worker_bind b = {};
	struct ucchan_wait wt = {};
	struct ucchan_req_hdr *hdr;
	unsigned char *map;
	int r;

	w->fd = -1;
	if (pin_self(w->cpu)) {
		w->bind_err = -errno;
		w->state = 2;
		return NULL;
	}
	w->fd = dev_open();
	b.service_fd = w->svc_fd;
	b.cpu = w->cpu;
	b.slot = w->slot;
	r = ioc(w->fd, UCCHAN_IOC_WORKER_BIND, &b);
	if (r) {
		w->bind_err = r;
		w->state = 2;
		return NULL;
	}
	map = mmap(NULL, b.mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   w->fd, 0);
	if (map == MAP_FAILED) {
		w->bind_err = -errno;
		w->state = 2;
		return NULL;
	}
	hdr = (struct ucchan_req_hdr *)map;
	w->bind = b;
	w->tid = (pid_t)syscall(SYS_gettid);
	w->state = 1;
	for (;;) {
		const struct abi_req *rq;
		struct abi_rep *rp;
		unsigned char *b0;
		unsigned int i;

		wt.poll_ns = w->poll_ns;
		r = ioc(w->fd, UCCHAN_IOC_WORKER_WAIT, &wt);
		if (r == -EINVAL && wt.reply_len > b.max_inline) {
			w->bad_reply_err = r;
			memset(&wt, 0, sizeof(wt));
			continue;
		}
		if (r == -EINTR) {
			memset(&wt, 0, sizeof(wt));
			continue;
		}
		if (r) {
			w->last_err = r;
			break;
		}
		rq = (const struct abi_req *)(map + b.req_offset);
		rp = (struct abi_rep *)(map + b.reply_offset);
		memset(rp, 0, sizeof(*rp));
		rp->hdr_flags = hdr->flags;
		rp->hdr_cpu = hdr->cpu;
		rp->nr_bufs = hdr->nr_bufs;
		rp->uid = hdr->uid;
		rp->client_id = hdr->client_id;
		b0 = NULL;
		if (hdr->nr_bufs)
			b0 = ((hdr->bufs[0].flags & UCCHAN_BUF_REGISTERED) ?
			      w->area : map) + hdr->bufs[0].offset;
		if (b0)
			rp->len0 = hdr->bufs[0].len;
		for (i = 0; i < 2 && i < hdr->nr_bufs; i++)
			rp->off[i] = hdr->bufs[i].offset;
		for (i = 0; i < rq->nprobe && i < NPROBE && b0; i++)
			rp->probe[i] = probe_read(b0 + rq->probe[i]);
		wt.status = 0;
		wt.reply_len = sizeof(*rp);
		wt.flags = UCCHAN_WAIT_REPLY;
		switch (rq->op) {
		case OP_ECHO:
			memcpy(rp->data, rq->data, sizeof(rp->data));
			wt.status = 42;
			wt.reply_len = offsetof(struct abi_rep, data) +
				       strnlen(rq->data, sizeof(rq->data));
			break;
		case OP_SUM:
			if (b0)
				rp->sum = fnv(b0, hdr->bufs[0].len);
			break;
		case OP_FILL:
			for (i = 0; b0 && i < hdr->bufs[0].len; i++)
				b0[i] = (unsigned char)(i * 7 + 3);
			break;
		case OP_FILL_PREFIX:
			for (i = 0; b0 && i < hdr->bufs[0].len && i < rq->hold_ms;
			     i++)
				b0[i] = (unsigned char)(i * 7 + 3);
			break;
		case OP_WRITE_RO:
			if (b0)
				rp->write_fault = probe_write(b0, 0x55);
			break;
		case OP_HOLD:
			w->holding = 1;
			/* hold_ms, or until the test says (hold_release) */
			for (i = 0; i < rq->hold_ms && !hold_release; i += 10)
				usleep(10000);
			/* the buffer must still be there after the hold */
			w->late_probe = b0 && rq->nprobe ?
					probe_read(b0 + rq->probe[0]) : -2;
			w->holding = 0;
			break;
		case OP_HOLD_FILL:
			w->holding = 1;
			usleep(rq->hold_ms * 1000);
			w->late_probe = b0 && rq->nprobe ?
					probe_read(b0 + rq->probe[0]) : -2;
			w->late_fault = 0;
			for (i = 0; b0 && i < hdr->bufs[0].len; i++)
				if (probe_write(b0 + i,
						(unsigned char)(i * 7 + 3))) {
					w->late_fault = 1;
					break;
				}
			w->holding = 0;
			break;
		case OP_BADREPLY:
			wt.reply_len = b.max_inline + 1;
			break;
		case OP_NOTIFY:
			wt.status = worker_notify(w, hdr->client_id, rq);
			break;
		case OP_FAULTS:
			rp->sum = b0 ? touch_faults(b0, hdr->bufs[0].len) : 0;
			break;
		case OP_QUIT:
			w->last_err = 0;
			goto quit;
		default:
			wt.status = -EOPNOTSUPP;
		}
	}
quit:
	munmap(map, b.mmap_size);
	close(w->fd);
	w->state = 3;
	return NULL;
}

static int worker_start_poll(struct worker *w, int svc_fd, int cpu, int slot,
			     unsigned char *area, uint64_t poll_ns)
{
	memset(w, 0, sizeof(*w));
	w->poll_ns = poll_ns;
	w->area = area;
	w->svc_fd = svc_fd;
	w->cpu = cpu;
	w->slot = slot;
	if (pthread_create(&w->th, NULL, worker_main, w))
		return -1;
	while (w->state == 0)
		usleep(1000);
	if (w->state != 1) {
		pthread_join(w->th, NULL);
		return w->bind_err;
	}
	return 0;
}

static int worker_start(struct worker *w, int svc_fd, int cpu, int slot,
			unsigned char *area)
{
	return worker_start_poll(w, svc_fd, cpu, slot, area, 0);
}

static int do_call(int conn, struct abi_req *rq, struct abi_rep *rp,
		   struct ucchan_iov *iov, unsigned int n, uint64_t timeout_ns,
		   struct ucchan_call *out)
{
	struct ucchan_call c = {
		.req_ptr = (uintptr_t)rq,
		.reply_ptr = (uintptr_t)rp,
		.iov_ptr = (uintptr_t)iov,
		.req_len = sizeof(*rq),
		.reply_cap = sizeof(*rp),
		.iov_cnt = n,
		.timeout_ns = timeout_ns,
	};
	int r;

	memset(rp, 0, sizeof(*rp));
	r = ioc(conn, UCCHAN_IOC_CALL, &c);
	if (out)
		*out = c;
	return r;
}

static long vmstat(const char *key)
{
	char line[256];
	long v = -1;
	size_t n = strlen(key);
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ' ')
			v = atol(line + n + 1);
	fclose(f);
	return v;
}

static int ncpus(void)
{
	return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

/* ---- checks ---- */

static void test_version(void)
{
	struct ucchan_version v = {};
	int fd = dev_open();

	check(ioc(fd, UCCHAN_IOC_VERSION, &v) == 0 &&
	      v.abi_version == UCCHAN_ABI_VERSION &&
	      v.max_bufs == UCCHAN_MAX_BUFS && v.max_slots == UCCHAN_MAX_SLOTS &&
	      v.max_inline == UCCHAN_MAX_INLINE && v.nr_cpu_ids >= 1 &&
	      v.max_window >= PG && v.max_copy == UCCHAN_MAX_COPY &&
	      !v.reserved[0],
	      "version query: abi %u, features %#llx, max_window %llu",
	      v.abi_version, (unsigned long long)v.features,
	      (unsigned long long)v.max_window);
	check((v.features & UCCHAN_FEAT_MAPPED_BUFS) &&
	      (v.features & UCCHAN_FEAT_REG_BUFS) &&
	      (v.features & UCCHAN_FEAT_TIMEOUT) &&
	      (v.features & UCCHAN_FEAT_EVENTS) &&
	      (v.features & UCCHAN_FEAT_CREATOR) &&
	      (v.features & UCCHAN_FEAT_NOTIFY) &&
	      (v.features & UCCHAN_FEAT_COPY_BUFS) &&
	      (v.features & UCCHAN_FEAT_POLL),
	      "version: every UCCHAN_FEAT_* offered");
	memset(&v, 0, sizeof(v));
	v.reserved[1] = 1;
	expect_err(ioc(fd, UCCHAN_IOC_VERSION, &v), EINVAL,
		   "version with nonzero reserved");
	memset(&v, 0, sizeof(v));
	v.max_copy = 1;
	expect_err(ioc(fd, UCCHAN_IOC_VERSION, &v), EINVAL,
		   "version with a nonzero out field");
	expect_err(ioc(fd, UCCHAN_IOC_VERSION, (void *)8), EFAULT,
		   "version with bad pointer");
	expect_err(ioc(fd, _IOWR(UCCHAN_IOC_MAGIC, 0x3f, struct ucchan_version),
		       &v), ENOTTY, "unknown ioctl number");
	expect_err(ioc(fd, _IO('x', 1), NULL), ENOTTY, "foreign ioctl");
	close(fd);
}

static const char *const create_cases[] = {
	"create with unknown flags", "create with nonzero pad",
	"create with nonzero reserved", "create with service_id set",
	"create with mode 01000", "create with 17 slots",
	"create with max_inline too big",
	"create with window not a page multiple", "create with huge window",
	"create with huge regbuf area", "create with empty name",
	"create with name of 64 bytes, no NUL", "create with '/' in name",
	"create with leading '.'", "create with space in name",
	"create with NOCOPY and a copy_size", "create with copy_size not a page multiple",
	"create with copy_size > UCCHAN_MAX_COPY", "create with nonzero pad2",
};

static void create_case(struct ucchan_service_create *c, unsigned int i)
{
	switch (i) {
	case 0: c->flags = 2; break;
	case 1: c->pad = 1; break;
	case 2: c->reserved[1] = 1; break;
	case 3: c->service_id = 1; break;
	case 4: c->mode = 01000; break;
	case 5: c->slots_per_cpu = UCCHAN_MAX_SLOTS + 1; break;
	case 6: c->max_inline = UCCHAN_MAX_INLINE + 1; break;
	case 7: c->window_size = PG + 1; break;
	case 8: c->window_size = 1ULL << 50; break;
	case 9: c->regbuf_size = 1ULL << 50; break;
	case 10: c->name[0] = 0; break;
	case 11: memset(c->name, 'a', sizeof(c->name)); break;
	case 12: strcpy(c->name, "a/b"); break;
	case 13: strcpy(c->name, ".hidden"); break;
	case 14: strcpy(c->name, "a b"); break;
	case 15: c->flags = UCCHAN_SVC_NOCOPY; c->copy_size = PG; break;
	case 16: c->copy_size = PG + 1; break;
	case 17: c->copy_size = UCCHAN_MAX_COPY + PG; break;
	case 18: c->pad2 = 1; break;
	}
}

static void test_create_args(void)
{
	struct ucchan_service_create c;
	unsigned int i;
	int fd = dev_open();

	for (i = 0; i < sizeof(create_cases) / sizeof(create_cases[0]); i++) {
		memset(&c, 0, sizeof(c));
		strcpy(c.name, "abi-args");
		c.mode = 0600;
		create_case(&c, i);
		expect_err(ioc(fd, UCCHAN_IOC_SERVICE_CREATE, &c), EINVAL,
			   create_cases[i]);
	}
	expect_err(ioc(fd, UCCHAN_IOC_SERVICE_CREATE, (void *)8), EFAULT,
		   "create with bad pointer");
	close(fd);
}

static void test_names(void)
{
	struct ucchan_service_create c = { .mode = 0600 };
	char name63[64];
	int a, b, id;

	memset(name63, 'n', 63);
	name63[63] = 0;
	a = create_service(name63, 0600, &id);
	check(a >= 0 && id > 0, "create with a 63-byte name, service_id %d", id);
	if (a >= 0)
		close(a);

	a = create_service("abi-dup", 0600, NULL);
	check(a >= 0, "create abi-dup");
	strcpy(c.name, "abi-dup2");
	expect_err(ioc(a, UCCHAN_IOC_SERVICE_CREATE, &c), EBUSY,
		   "second create on a service file");
	b = create_service("abi-dup", 0600, NULL);
	expect_err(b < 0 ? b : 0, EEXIST, "duplicate name");
	close(a);
	b = create_service("abi-dup", 0600, NULL);
	check(b >= 0, "name reusable after the service file is closed");
	if (b >= 0)
		close(b);
}

static void test_perm_args(int svc)
{
	struct ucchan_service_perm p;

	memset(&p, 0, sizeof(p));
	p.uid = p.gid = (uint32_t)-1;
	p.mode = 0600;
	p.flags = 1;
	expect_err(ioc(svc, UCCHAN_IOC_SERVICE_SET_PERM, &p), EINVAL,
		   "set_perm with flags");
	p.flags = 0;
	p.reserved[1] = 1;
	expect_err(ioc(svc, UCCHAN_IOC_SERVICE_SET_PERM, &p), EINVAL,
		   "set_perm with nonzero reserved");
	p.reserved[1] = 0;
	p.mode = 04600;
	expect_err(ioc(svc, UCCHAN_IOC_SERVICE_SET_PERM, &p), EINVAL,
		   "set_perm with mode 04600");
	expect_err(ioc(svc, UCCHAN_IOC_SERVICE_SET_PERM, (void *)8), EFAULT,
		   "set_perm with bad pointer");
}

static int bind_here(int svc, int cpu, int slot, int *wfd)
{
	struct ucchan_worker_bind b = {
		.service_fd = svc, .cpu = (uint32_t)cpu, .slot = (uint32_t)slot,
	};
	int fd = dev_open(), r;

	r = ioc(fd, UCCHAN_IOC_WORKER_BIND, &b);
	if (r || !wfd)
		close(fd);
	else
		*wfd = fd;
	return r;
}

static int set_cpu_online(int cpu, int on)
{
	char path[64];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online",
		 cpu);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, on ? "1" : "0", 1) != 1)
		r = -errno;
	close(fd);
	return r;
}

static void test_bind(int svc)
{
	struct ucchan_worker_bind b;
	struct ucchan_wait wt = {};
	int fd, wfd = -1, other = dev_open();
	void *m;

	unpin_self();
	if (ncpus() > 1)
		expect_err(bind_here(svc, 0, 0, NULL), EINVAL,
			   "bind from a thread not pinned to one CPU");
	expect_err(bind_here(svc, 100000, 0, NULL), EINVAL,
		   "bind to a nonexistent CPU");
	pin_self(0);
	if (ncpus() > 1) {
		expect_err(bind_here(svc, 1, 0, NULL), EINVAL,
			   "bind to a CPU the thread is not pinned to");
		if (set_cpu_online(1, 0) == 0) {
			expect_err(bind_here(svc, 1, 0, NULL), ENODEV,
				   "bind to an offline CPU");
			check(set_cpu_online(1, 1) == 0, "CPU 1 back online");
		} else {
			printf("# cannot offline CPU 1: offline bind not tested\n");
		}
	}
	expect_err(bind_here(svc, 0, 2, NULL), EINVAL,
		   "bind to a slot beyond slots_per_cpu");
	expect_err(bind_here(other, 0, 0, NULL), EINVAL,
		   "bind with an unbound file as service_fd");
	expect_err(bind_here(-1, 0, 0, NULL), EBADF,
		   "bind with service_fd -1");

	fd = dev_open();
	memset(&b, 0, sizeof(b));
	b.service_fd = svc;
	b.flags = 1;
	expect_err(ioc(fd, UCCHAN_IOC_WORKER_BIND, &b), EINVAL, "bind with flags");
	b.flags = 0;
	b.reserved[0] = 1;
	expect_err(ioc(fd, UCCHAN_IOC_WORKER_BIND, &b), EINVAL,
		   "bind with nonzero reserved");
	b.reserved[0] = 0;
	b.copy_size = 1;
	expect_err(ioc(fd, UCCHAN_IOC_WORKER_BIND, &b), EINVAL,
		   "bind with nonzero copy_size (an out field)");
	b.copy_size = 0;
	b.copy_offset = PG;
	expect_err(ioc(fd, UCCHAN_IOC_WORKER_BIND, &b), EINVAL,
		   "bind with nonzero copy_offset (an out field)");
	expect_err(ioc(fd, UCCHAN_IOC_WORKER_BIND, (void *)8), EFAULT,
		   "bind with bad pointer");
	close(fd);

	check(bind_here(svc, 0, 0, &wfd) == 0, "bind cpu 0 slot 0");
	expect_err(bind_here(svc, 0, 0, NULL), EBUSY, "bind a taken slot");
	memset(&b, 0, sizeof(b));
	b.service_fd = svc;
	b.slot = 1;
	expect_err(ioc(wfd, UCCHAN_IOC_WORKER_BIND, &b), EBUSY,
		   "bind a file that is already a worker");
	wt.flags = 2;
	expect_err(ioc(wfd, UCCHAN_IOC_WORKER_WAIT, &wt), EINVAL,
		   "wait with unknown flag");
	wt.flags = 0;
	wt.reserved[0] = 1;
	expect_err(ioc(wfd, UCCHAN_IOC_WORKER_WAIT, &wt), EINVAL,
		   "wait with nonzero reserved");
	wt.reserved[0] = 0;
	wt.poll_ns = UCCHAN_MAX_POLL_NS + 1;
	expect_err(ioc(wfd, UCCHAN_IOC_WORKER_WAIT, &wt), EINVAL,
		   "wait with poll_ns > UCCHAN_MAX_POLL_NS");
	wt.poll_ns = 0;
	wt.flags = UCCHAN_WAIT_REPLY;
	expect_err(ioc(wfd, UCCHAN_IOC_WORKER_WAIT, &wt), EINVAL,
		   "wait with a reply but no call");
	expect_err(ioc(other, UCCHAN_IOC_WORKER_WAIT, &wt), EINVAL,
		   "wait on a file that is not a worker");
	expect_err(ioc(wfd, UCCHAN_IOC_WORKER_WAIT, (void *)8), EFAULT,
		   "wait with bad pointer");

	memset(&b, 0, sizeof(b));
	b.service_fd = svc;
	fd = dev_open();
	ioc(fd, UCCHAN_IOC_WORKER_BIND, &b);	/* EBUSY, fills nothing */
	close(fd);
	/* mmap rules on the bound worker (mmap_size from a fresh bind) */
	{
		int w2 = -1;
		struct ucchan_worker_bind b2 = { .service_fd = svc, .slot = 1 };

		w2 = dev_open();
		check(ioc(w2, UCCHAN_IOC_WORKER_BIND, &b2) == 0 &&
		      b2.mmap_size == b2.window_offset + b2.window_size &&
		      b2.req_offset == PG &&
		      b2.reply_offset == PG + b2.max_inline,
		      "bind slot 1: layout hdr|req|reply|window");
		m = mmap(NULL, b2.mmap_size, PROT_READ | PROT_WRITE, MAP_PRIVATE,
			 w2, 0);
		check(m == MAP_FAILED && errno == EINVAL,
		      "worker mmap MAP_PRIVATE refused");
		m = mmap(NULL, b2.mmap_size - PG, PROT_READ, MAP_SHARED, w2, 0);
		check(m == MAP_FAILED && errno == EINVAL,
		      "worker mmap of the wrong size refused");
		m = mmap(NULL, b2.mmap_size, PROT_READ, MAP_SHARED, w2, PG);
		check(m == MAP_FAILED && errno == EINVAL,
		      "worker mmap at nonzero offset refused");
		m = mmap(NULL, b2.mmap_size, PROT_READ | PROT_EXEC, MAP_SHARED,
			 w2, 0);
		check(m == MAP_FAILED && errno == EPERM,
		      "worker mmap PROT_EXEC refused");
		m = mmap(NULL, b2.mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 w2, 0);
		check(m != MAP_FAILED, "worker mmap");
		if (m != MAP_FAILED) {
			void *m2 = mmap(NULL, b2.mmap_size, PROT_READ,
					MAP_SHARED, w2, 0);

			check(m2 == MAP_FAILED && errno == EBUSY,
			      "second worker mmap refused");
			check(probe_write((unsigned char *)m, 1) == 1,
			      "request header is read-only (SIGBUS)");
			check(probe_write((unsigned char *)m + b2.req_offset, 1) == 1,
			      "request area is read-only (SIGBUS)");
			check(probe_write((unsigned char *)m + b2.reply_offset, 1) == 0,
			      "reply area is writable");
			check(probe_read((unsigned char *)m + b2.window_offset) == -1,
			      "idle window page -> SIGBUS");
			check(mprotect((char *)m + PG, PG, PROT_READ) == -1,
			      "worker mapping cannot be split (mprotect part)");
			munmap(m, b2.mmap_size);
		}
		close(w2);
	}
	close(wfd);
	check(bind_here(svc, 0, 0, &wfd) == 0,
	      "slot free again after the worker file is closed");
	close(wfd);
	close(other);
}

static void test_connect_args(void)
{
	struct ucchan_connect c;
	int fd = dev_open(), conn;

	memset(&c, 0, sizeof(c));
	strcpy(c.name, "abi-echo");
	c.flags = 1;
	expect_err(ioc(fd, UCCHAN_IOC_CONNECT, &c), EINVAL, "connect with flags");
	c.flags = 0;
	c.reserved[0] = 1;
	expect_err(ioc(fd, UCCHAN_IOC_CONNECT, &c), EINVAL,
		   "connect with nonzero reserved");
	c.reserved[0] = 0;
	c.pad = 1;
	expect_err(ioc(fd, UCCHAN_IOC_CONNECT, &c), EINVAL,
		   "connect with nonzero pad");
	c.pad = 0;
	c.creator_uid = 1;
	expect_err(ioc(fd, UCCHAN_IOC_CONNECT, &c), EINVAL,
		   "connect with nonzero creator_uid (an out field)");
	c.creator_uid = 0;
	c.creator_flags = 1;
	expect_err(ioc(fd, UCCHAN_IOC_CONNECT, &c), EINVAL,
		   "connect with nonzero creator_flags (an out field)");
	c.creator_flags = 0;
	strcpy(c.name, "no-such-service");
	expect_err(ioc(fd, UCCHAN_IOC_CONNECT, &c), ENOENT,
		   "connect to a missing service");
	strcpy(c.name, "../x");
	expect_err(ioc(fd, UCCHAN_IOC_CONNECT, &c), EINVAL,
		   "connect with a bad name");
	expect_err(ioc(fd, UCCHAN_IOC_CONNECT, (void *)8), EFAULT,
		   "connect with bad pointer");
	close(fd);
	conn = connect_to("abi-echo", NULL);
	check(conn >= 0, "connect as root");
	if (conn >= 0) {
		memset(&c, 0, sizeof(c));
		strcpy(c.name, "abi-echo");
		expect_err(ioc(conn, UCCHAN_IOC_CONNECT, &c), EBUSY,
			   "connect on a connected file");
		close(conn);
	}
}

/* Child as uid/gid 65534: exit status = errno of the connect (0 = ok) */
static int connect_as_nobody(const char *name)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		int r;

		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(200);
		r = connect_to(name, NULL);
		_exit(r < 0 ? -r : 0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 255;
	return WEXITSTATUS(st);
}

static void test_perms(int svc)
{
	struct ucchan_service_perm p = { .uid = (uint32_t)-1,
					 .gid = (uint32_t)-1, .mode = 0666 };
	int r;

	r = connect_as_nobody("abi-echo");
	check(r == EACCES, "uid 65534 connect to a 0600 service -> EACCES (got %d)", r);
	check(ioc(svc, UCCHAN_IOC_SERVICE_SET_PERM, &p) == 0, "set_perm 0666");
	r = connect_as_nobody("abi-echo");
	check(r == 0, "uid 65534 connect after set_perm 0666 (got %d)", r);
	p.mode = 0620;
	p.gid = 65534;
	check(ioc(svc, UCCHAN_IOC_SERVICE_SET_PERM, &p) == 0,
	      "set_perm group 65534 mode 0620");
	r = connect_as_nobody("abi-echo");
	check(r == 0, "uid 65534 connect through the group w bit (got %d)", r);
	p.mode = 0600;
	p.gid = 0;
	ioc(svc, UCCHAN_IOC_SERVICE_SET_PERM, &p);
	r = connect_as_nobody("abi-echo");
	check(r == EACCES, "uid 65534 refused again after set_perm 0600 (got %d)", r);
}

static void test_call_args(int conn)
{
	struct ucchan_iov iov[UCCHAN_MAX_BUFS + 1];
	static char buf[PG] __attribute__((aligned(4096)));
	struct abi_req rq = { .op = OP_ECHO };
	struct abi_rep rp;
	struct ucchan_call c;

	memset(iov, 0, sizeof(iov));
	memset(&c, 0, sizeof(c));
	c.req_ptr = (uintptr_t)&rq;
	c.req_len = sizeof(rq);
	c.flags = 1;
	expect_err(ioc(conn, UCCHAN_IOC_CALL, &c), EINVAL, "call with flags");
	c.flags = 0;
	c.reserved[1] = 1;
	expect_err(ioc(conn, UCCHAN_IOC_CALL, &c), EINVAL,
		   "call with nonzero reserved");
	c.reserved[1] = 0;
	c.req_len = 1 << 20;
	expect_err(ioc(conn, UCCHAN_IOC_CALL, &c), EINVAL,
		   "call with req_len > max_inline");
	c.req_len = sizeof(rq);
	c.iov_cnt = UCCHAN_MAX_BUFS + 1;
	c.iov_ptr = (uintptr_t)iov;
	expect_err(ioc(conn, UCCHAN_IOC_CALL, &c), EINVAL,
		   "call with iov_cnt > UCCHAN_MAX_BUFS");
	c.iov_cnt = 1;
	c.iov_ptr = 8;
	expect_err(ioc(conn, UCCHAN_IOC_CALL, &c), EFAULT,
		   "call with bad iov_ptr");
	c.iov_ptr = (uintptr_t)iov;
	iov[0].addr = (uintptr_t)buf;
	iov[0].len = sizeof(buf);
	iov[0].flags = 0;
	expect_err(ioc(conn, UCCHAN_IOC_CALL, &c), EINVAL,
		   "call with iov flags 0");
	iov[0].flags = UCCHAN_BUF_READ | 0x100;
	expect_err(ioc(conn, UCCHAN_IOC_CALL, &c), EINVAL,
		   "call with unknown iov flag");
	iov[0].flags = UCCHAN_BUF_READ;
	iov[0].buf_id = 3;
	expect_err(ioc(conn, UCCHAN_IOC_CALL, &c), EINVAL,
		   "call with buf_id on an unregistered buffer");
	iov[0].buf_id = 0;
	iov[0].len = 0;
	expect_err(ioc(conn, UCCHAN_IOC_CALL, &c), EINVAL,
		   "call with a zero-length buffer");
	iov[0].len = 1ULL << 40;
	expect_err(ioc(conn, UCCHAN_IOC_CALL, &c), E2BIG,
		   "call with a 1 TiB buffer");
	iov[0].len = (uint64_t)-16;
	expect_err(ioc(conn, UCCHAN_IOC_CALL, &c), EINVAL,
		   "call with addr+len wrapping");
	iov[0].addr = 0x10000;	/* not mapped */
	iov[0].len = PG;
	expect_err(do_call(conn, &rq, &rp, iov, 1, 0, NULL), EFAULT,
		   "call with an unmapped buffer");
	c.iov_cnt = 0;
	c.req_ptr = 8;
	expect_err(ioc(conn, UCCHAN_IOC_CALL, &c), EFAULT,
		   "call with bad req_ptr");
	expect_err(ioc(conn, UCCHAN_IOC_CALL, (void *)8), EFAULT,
		   "call with bad pointer");
	{
		struct ucchan_buf_reg reg = {
			.addr = (uintptr_t)buf, .len = PG,
			.flags = UCCHAN_BUF_READ,
		};

		expect_err(ioc(conn, UCCHAN_IOC_BUF_REGISTER, &reg), EOPNOTSUPP,
			   "buf_register on a service without an area");
	}
}

static void test_echo(int conn, int uid_expected)
{
	struct abi_req rq = { .op = OP_ECHO };
	struct abi_rep rp;
	struct ucchan_call c;
	char small[8];
	int r;

	strcpy(rq.data, "hello, ucchan");
	r = do_call(conn, &rq, &rp, NULL, 0, 0, &c);
	check(r == 0 && c.status == 42 &&
	      c.reply_len == offsetof(struct abi_rep, data) + strlen(rq.data) &&
	      !strcmp(rp.data, rq.data) && rp.nr_bufs == 0 &&
	      rp.uid == (uint32_t)uid_expected,
	      "inline echo round trip (r=%d status=%d len=%u)", r, c.status,
	      c.reply_len);

	memset(small, 0x7e, sizeof(small));
	memset(&c, 0, sizeof(c));
	c.req_ptr = (uintptr_t)&rq;
	c.req_len = sizeof(rq);
	c.reply_ptr = (uintptr_t)small;
	c.reply_cap = 4;
	r = ioc(conn, UCCHAN_IOC_CALL, &c);
	check(r == 0 && c.reply_len > 4 && small[4] == 0x7e,
	      "reply longer than reply_cap: full reply_len, only cap copied");
}

static unsigned char *region(size_t pages)
{
	unsigned char *p = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	memset(p, 0xAA, pages * PG);
	return p;
}

static void test_buffers(int conn)
{
	unsigned char *r4 = region(4), *buf;
	size_t len = 3 + PG + 100, i;
	struct ucchan_iov iov = {};
	struct abi_req rq = {};
	struct abi_rep rp;
	int r, ok;

	/* odd offset: 3 bytes of page 0, page 1, 100 bytes of page 2 */
	buf = r4 + PG - 3;
	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 13 + 1);
	iov.addr = (uintptr_t)buf;
	iov.len = len;
	iov.flags = UCCHAN_BUF_READ;
	rq.op = OP_SUM;
	rq.nprobe = 5;
	rq.probe[0] = -1;		/* byte before, in the bounce page */
	rq.probe[1] = -(int64_t)(PG - 3);	/* start of first page */
	rq.probe[2] = (int64_t)len;	/* byte after, in the bounce page */
	rq.probe[3] = (int64_t)(PG - 3 + 3 * PG);	/* page after the last */
	rq.probe[4] = (int64_t)len - 1;	/* last byte of the buffer */
	r = do_call(conn, &rq, &rp, &iov, 1, 0, NULL);
	check(r == 0 && rp.nr_bufs == 1 && rp.len0 == len &&
	      rp.sum == fnv(buf, len),
	      "server reads an odd-offset buffer spanning 3 pages byte-exact");
	check(r == 0 && rp.probe[0] == 0 && rp.probe[1] == 0 && rp.probe[2] == 0,
	      "bytes just outside the buffer read as zero (bounce pages), got %d %d %d",
	      rp.probe[0], rp.probe[1], rp.probe[2]);
	check(r == 0 && rp.probe[3] == -1,
	      "window page after the buffer -> SIGBUS (got %d)", rp.probe[3]);
	check(r == 0 && rp.probe[4] == buf[len - 1],
	      "last byte of the buffer visible");

	/* the next call with a one-page buffer: old pages must be gone */
	iov.addr = (uintptr_t)r4;
	iov.len = 10;
	rq.nprobe = 2;
	rq.probe[0] = 2 * PG;		/* third window page, used before */
	rq.probe[1] = PG;		/* second window page, used before */
	r = do_call(conn, &rq, &rp, &iov, 1, 0, NULL);
	check(r == 0 && rp.probe[0] == -1 && rp.probe[1] == -1 &&
	      rp.sum == fnv(r4, 10),
	      "pages of the previous call are unmapped (zapped) in the next");

	/* write-only buffer at odd offset: server fills, neighbours intact */
	memset(r4, 0xAA, 4 * PG);
	iov.addr = (uintptr_t)buf;
	iov.len = len;
	iov.flags = UCCHAN_BUF_WRITE;
	rq.op = OP_FILL;
	rq.nprobe = 0;
	r = do_call(conn, &rq, &rp, &iov, 1, 0, NULL);
	ok = r == 0;
	for (i = 0; ok && i < len; i++)
		ok = buf[i] == (unsigned char)(i * 7 + 3);
	check(ok, "server writes a WRITE buffer at odd offset byte-exact");
	ok = r == 0;
	for (i = 0; ok && i < PG - 3; i++)
		ok = r4[i] == 0xAA;
	for (i = PG - 3 + len; ok && i < 4 * PG; i++)
		ok = r4[i] == 0xAA;
	check(ok, "bytes around the WRITE buffer untouched");

	/* read-only buffer written by the server */
	memset(r4, 0x11, 4 * PG);
	iov.addr = (uintptr_t)r4;
	iov.len = 2 * PG;
	iov.flags = UCCHAN_BUF_READ;
	rq.op = OP_WRITE_RO;
	r = do_call(conn, &rq, &rp, &iov, 1, 0, NULL);
	check(r == 0 && rp.write_fault == 1 && r4[0] == 0x11,
	      "server write to a READ-only buffer -> SIGBUS, data unchanged");

	/* several buffers, the last one read-write */
	{
		struct ucchan_iov v[3] = {
			{ (uintptr_t)r4 + 5, 7, UCCHAN_BUF_READ, 0 },
			{ (uintptr_t)r4 + PG, PG, UCCHAN_BUF_READ, 0 },
			{ (uintptr_t)r4 + 2 * PG + 1, PG, UCCHAN_BUF_READ |
			  UCCHAN_BUF_WRITE, 0 },
		};

		rq.op = OP_SUM;
		r = do_call(conn, &rq, &rp, v, 3, 0, NULL);
		check(r == 0 && rp.nr_bufs == 3 && rp.sum == fnv(r4 + 5, 7),
		      "call with three buffers");
	}

	/* the worker maps a call's buffers as it takes the call */
	for (i = 0; i < 2; i++) {
		iov.addr = (uintptr_t)r4;
		iov.len = 4 * PG;
		iov.flags = UCCHAN_BUF_READ;
		rq.op = OP_FAULTS;
		rq.nprobe = 0;
		r = do_call(conn, &rq, &rp, &iov, 1, 0, NULL);
		check(r == 0 && rp.sum == 0,
		      "call %zu: the server reads a 4-page mapped buffer without a page fault (%d, %llu faults)",
		      i + 1, r, (unsigned long long)rp.sum);
	}
	munmap(r4, 4 * PG);
}

static void test_bad_reply(int conn, struct worker *w)
{
	struct abi_req rq = { .op = OP_BADREPLY };
	struct abi_rep rp;
	int r;

	r = do_call(conn, &rq, &rp, NULL, 0, 0, NULL);
	expect_err(r, EPROTO, "server reply_len > max_inline fails the call");
	usleep(10000);
	expect_err(w->bad_reply_err, EINVAL,
		   "worker's oversized reply_len rejected");
	rq.op = OP_ECHO;
	strcpy(rq.data, "x");
	check(do_call(conn, &rq, &rp, NULL, 0, 0, NULL) == 0,
	      "worker serves again after a bad reply");
}

static void test_timeout(int conn, struct worker *w)
{
	struct abi_req rq = { .op = OP_HOLD, .hold_ms = 600 };
	struct abi_rep rp;
	int r;

	r = do_call(conn, &rq, &rp, NULL, 0, 50 * 1000 * 1000, NULL);
	expect_err(r, ETIMEDOUT, "call timeout while the server holds it");
	check(w->holding == 1, "timed-out call returned before the server replied");
	while (w->holding)
		usleep(1000);
	rq.op = OP_ECHO;
	strcpy(rq.data, "y");
	check(do_call(conn, &rq, &rp, NULL, 0, 0, NULL) == 0 &&
	      !strcmp(rp.data, "y"),
	      "late reply of the abandoned call discarded, next call fine");
}

static void test_fallback(int conn)
{
	struct abi_req rq = { .op = OP_ECHO };
	struct abi_rep rp;
	int r;

	if (ncpus() < 2) {
		printf("# one CPU: fallback not tested\n");
		return;
	}
	pin_self(1);
	strcpy(rq.data, "fb");
	r = do_call(conn, &rq, &rp, NULL, 0, 0, NULL);
	check(r == 0 && (rp.hdr_flags & UCCHAN_REQ_FALLBACK) && rp.hdr_cpu == 1,
	      "call from a CPU without worker falls back (flags %#x cpu %u)",
	      rp.hdr_flags, rp.hdr_cpu);
	pin_self(0);
	r = do_call(conn, &rq, &rp, NULL, 0, 0, NULL);
	check(r == 0 && !(rp.hdr_flags & UCCHAN_REQ_FALLBACK) && rp.hdr_cpu == 0,
	      "call from the worker's CPU is not a fallback");
}

static void test_events(int svc, int conn, uint64_t client_id)
{
	struct ucchan_event ev[4];
	ssize_t n;
	int fl = fcntl(svc, F_GETFL);

	fcntl(svc, F_SETFL, fl | O_NONBLOCK);
	while (read(svc, ev, sizeof(ev)) > 0)
		;	/* drop earlier events */
	close(conn);
	n = read(svc, ev, sizeof(ev));
	check(n == sizeof(ev[0]) && ev[0].type == UCCHAN_EV_DISCONNECT &&
	      ev[0].client_id == client_id,
	      "UCCHAN_EV_DISCONNECT read from the service file");
	n = read(svc, ev, sizeof(ev));
	check(n < 0 && errno == EAGAIN, "event queue empty afterwards");
	n = read(svc, ev, sizeof(ev[0]) - 1);
	check(n < 0 && errno == EINVAL, "short event read -> EINVAL");
	{
		struct ucchan_event all[80];
		int i, c, count = 0, overflow = 0;

		for (i = 0; i < 70; i++) {
			c = connect_to("abi-echo", NULL);
			if (c >= 0)
				close(c);
		}
		n = read(svc, all, sizeof(all));
		for (i = 0; n > 0 && i < n / (ssize_t)sizeof(all[0]); i++) {
			if (all[i].type == UCCHAN_EV_OVERFLOW)
				overflow += i == 0 ? 1 : 100;
			else if (all[i].type == UCCHAN_EV_DISCONNECT)
				count++;
		}
		check(overflow == 1 && count == 64,
		      "70 disconnects: UCCHAN_EV_OVERFLOW first, then 64 events (%d, %d)",
		      overflow, count);
	}
	fcntl(svc, F_SETFL, fl);
}

static int notify(int fd, uint64_t client_id, const void *msg, uint32_t len)
{
	struct ucchan_notify n = {
		.client_id = client_id,
		.msg_ptr = (uintptr_t)msg,
		.msg_len = len,
	};

	return ioc(fd, UCCHAN_IOC_NOTIFY, &n);
}

/*
 * UCCHAN_IOC_NOTIFY from user space: argument checks, and who may be
 * notified (an in-kernel client only: the kapi module tests delivery).
 */
static void test_notify(int svc, int conn, uint64_t client_id)
{
	static char big[UCCHAN_NOTIFY_MAX + 1];
	struct ucchan_notify n;
	struct ucchan_connect ci;
	int fd, other, oconn;

	memset(&n, 0, sizeof(n));
	n.client_id = client_id;
	n.msg_ptr = (uintptr_t)"x";
	n.msg_len = 1;
	n.flags = 1;
	expect_err(ioc(svc, UCCHAN_IOC_NOTIFY, &n), EINVAL,
		   "notify with nonzero flags");
	n.flags = 0;
	n.reserved[0] = 1;
	expect_err(ioc(svc, UCCHAN_IOC_NOTIFY, &n), EINVAL,
		   "notify with nonzero reserved[0]");
	n.reserved[0] = 0;
	n.reserved[1] = 1;
	expect_err(ioc(svc, UCCHAN_IOC_NOTIFY, &n), EINVAL,
		   "notify with nonzero reserved[1]");
	expect_err(notify(svc, client_id, "x", 0), EINVAL,
		   "notify of 0 bytes");
	expect_err(notify(svc, client_id, big, UCCHAN_NOTIFY_MAX + 1),
		   EMSGSIZE, "notify of UCCHAN_NOTIFY_MAX + 1 bytes");
	expect_err(notify(svc, client_id, big, 0x80000000u), EMSGSIZE,
		   "notify of 2 GiB");
	expect_err(notify(svc, client_id, (void *)8, 16), EFAULT,
		   "notify with a bad message pointer");
	expect_err(ioc(svc, UCCHAN_IOC_NOTIFY, (void *)8), EFAULT,
		   "notify with a bad struct pointer");
	expect_err(notify(svc, client_id, big, UCCHAN_NOTIFY_MAX), EOPNOTSUPP,
		   "notify of a user-space client (full size)");
	expect_err(notify(svc, ~0ULL, "x", 1), ENOTCONN,
		   "notify of an unknown client_id");
	expect_err(notify(svc, 0, "x", 1), ENOTCONN, "notify of client_id 0");
	expect_err(notify(conn, client_id, "x", 1), EINVAL,
		   "notify on a connection file");
	fd = dev_open();
	expect_err(notify(fd, client_id, "x", 1), EINVAL,
		   "notify on an unbound file");
	close(fd);

	/* a client of another service is not this service's */
	other = create_service("abi-notify-other", 0600, NULL);
	oconn = other >= 0 ? connect_to("abi-notify-other", &ci) : -1;
	check(oconn >= 0, "second service and a client of it");
	if (oconn >= 0) {
		expect_err(notify(svc, ci.client_id, "x", 1), ENOTCONN,
			   "notify of another service's client");
		expect_err(notify(other, ci.client_id, "x", 1), EOPNOTSUPP,
			   "the same client through its own service");
		close(oconn);
		expect_err(notify(other, ci.client_id, "x", 1), ENOTCONN,
			   "notify of a closed connection");
	}
	if (other >= 0)
		close(other);
}

/*
 * The in-kernel client API, through a test module (UCCHAN_KAPI_KO) that
 * runs its checks at load time against our echo server.
 */
static void test_kapi(void)
{
	const char *ko = getenv("UCCHAN_KAPI_KO");
	char rec[1024];
	int fd, kmsg, r;
	ssize_t n;

	if (!ko) {
		printf("# UCCHAN_KAPI_KO not set: in-kernel API not tested\n");
		return;
	}
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	check(fd >= 0, "kapi test module %s readable", ko);
	if (fd < 0)
		return;
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);
	r = (int)syscall(SYS_finit_module, fd, "service=abi-echo", 0);
	close(fd);
	if (kmsg >= 0) {
		while ((n = read(kmsg, rec, sizeof(rec) - 1)) > 0) {
			char *m;

			rec[n] = 0;
			m = strstr(rec, "ucchan_kapi_test: ");
			if (m)
				printf("# %s", m);
		}
		close(kmsg);
	}
	check(r == 0, "in-kernel client API checks (module load: %s)",
	      r ? strerror(errno) : "all passed");
	if (!r)
		check(syscall(SYS_delete_module, "ucchan_kapi_test",
			      O_NONBLOCK) == 0,
		      "kapi test module unloaded (its connection is gone)");
}

static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, done = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)done < size - 1 &&
	       (n = read(fd, buf + done, size - 1 - done)) > 0)
		done += n;
	buf[done] = 0;
	close(fd);
	return 0;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* The field names of a trace event's format, after the common ones. */
/* Column @col of the "total" line of a service's debugfs stats, or -1. */
static long long svc_stat(const char *name, const char *col)
{
	char path[128], buf[8192], *t, *tok, *save;
	unsigned int i, want = 0;
	long long v = -1;

	snprintf(path, sizeof(path), "/sys/kernel/debug/ucchan/%s/stats", name);
	if (read_file(path, buf, sizeof(buf)) || !(t = strstr(buf, "\ntotal")))
		return -1;
	*t++ = 0;
	for (i = 0, tok = strtok_r(buf, " \n", &save); tok;
	     i++, tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, col))
			want = i;
	for (i = 0, tok = strtok_r(t, " \n", &save); tok && want;
	     i++, tok = strtok_r(NULL, " \n", &save))
		if (i == want)
			v = strtoll(tok, NULL, 10);
	return v;
}

static int svc_bytes(const char *name, unsigned long long *mapped,
		     unsigned long long *copied)
{
	long long m = svc_stat(name, "bytes_mapped");
	long long c = svc_stat(name, "bytes_copied");

	*mapped = (unsigned long long)m;
	*copied = (unsigned long long)c;
	return m < 0 || c < 0 ? -1 : 0;
}

static void trace_fields(const char *event, char *out, size_t size)
{
	static char fmt[8192];
	char path[256], *p, *name;

	out[0] = 0;
	snprintf(path, sizeof(path),
		 "/sys/kernel/tracing/events/ucchan/%s/format", event);
	if (read_file(path, fmt, sizeof(fmt)))
		return;
	for (p = fmt; (p = strstr(p, "field:")); p++) {
		char *semi = strchr(p, ';'), *end;

		if (!semi)
			break;
		*semi = 0;
		end = strchr(p, '[');
		if (end)
			*end = 0;
		name = strrchr(p, ' ');
		if (name && strncmp(name + 1, "common_", 7)) {
			strncat(out, name + 1, size - strlen(out) - 2);
			strcat(out, " ");
		}
		p = semi;
	}
}

static void test_observability(int conn)
{
	static char buf[16384];
	static const char *const events[][2] = {
		{ "ucchan_call_issue", "service_id service call_id client_id cpu target_cpu req_len nr_bufs map_bytes " },
		{ "ucchan_call_dispatch", "service_id call_id cpu slot " },
		{ "ucchan_call_reply", "service_id service call_id cpu client_cpu status reply_len latency_ns " },
		{ "ucchan_call_fallback", "service_id service call_id from_cpu to_cpu " },
		{ "ucchan_call_busy", "service_id service cpu " },
		{ "ucchan_bounce", "service_id service call_id bytes " },
		{ "ucchan_copy", "service_id service call_id bytes " },
		{ "ucchan_call_abort", "service_id service call_id error " },
	};
	static const char stats_hdr[] = "cpu    calls same_cpu fallbacks busy_waits bytes_mapped bytes_bounced aborts bytes_copied migrated poll_hits poll_ns\n";
	struct abi_req rq = { .op = OP_ECHO };
	struct abi_rep rp;
	unsigned long long calls = 0;
	char fields[512], *t;
	unsigned int i;
	bool ok;

	check(read_file("/sys/kernel/debug/ucchan/services", buf,
			sizeof(buf)) == 0 && strstr(buf, " abi-echo "),
	      "debugfs services lists abi-echo");
	ok = read_file("/sys/kernel/debug/ucchan/abi-echo/stats", buf,
		       sizeof(buf)) == 0 &&
	     !strncmp(buf, stats_hdr, strlen(stats_hdr)) &&
	     (t = strstr(buf, "\ntotal")) &&
	     sscanf(t + 7, "%llu", &calls) == 1;
	check(ok && calls > 10, "debugfs stats of abi-echo: %llu calls in total",
	      calls);
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		trace_fields(events[i][0], fields, sizeof(fields));
		check(!strcmp(fields, events[i][1]),
		      "tracepoint %s fields: %s", events[i][0], fields);
	}
	if (write_file("/sys/kernel/tracing/events/ucchan/enable", "1")) {
		check(false, "enable the ucchan trace events");
		return;
	}
	write_file("/sys/kernel/tracing/trace", "");
	strcpy(rq.data, "trace");
	do_call(conn, &rq, &rp, NULL, 0, 0, NULL);
	write_file("/sys/kernel/tracing/events/ucchan/enable", "0");
	read_file("/sys/kernel/tracing/trace", buf, sizeof(buf));
	check(strstr(buf, "ucchan_call_issue: service=abi-echo") &&
	      strstr(buf, "ucchan_call_dispatch:") &&
	      strstr(buf, "ucchan_call_reply: service=abi-echo"),
	      "a call traces issue, dispatch and reply");
}

static int reg_buf(int conn, void *addr, size_t len, unsigned int flags,
		   struct ucchan_buf_reg *out)
{
	struct ucchan_buf_reg r = { .addr = (uintptr_t)addr, .len = len,
				    .flags = flags };
	int ret = ioc(conn, UCCHAN_IOC_BUF_REGISTER, &r);

	if (out)
		*out = r;
	return ret;
}

static int reg_call(int conn, uint32_t op, uint64_t off, uint64_t len,
		    unsigned int flags, uint32_t id, struct abi_req *rq,
		    struct abi_rep *rp)
{
	struct ucchan_iov iov = { off, len, flags | UCCHAN_BUF_REGISTERED, id };

	rq->op = op;
	return do_call(conn, rq, rp, &iov, 1, 0, NULL);
}

static void test_regbufs(void)
{
	struct ucchan_service_create c = { .mode = 0600,
					   .regbuf_size = 16 * PG };
	struct ucchan_buf_reg ra = {}, rb = {}, r;
	struct ucchan_buf_unreg u = {};
	struct abi_req rq = {};
	struct abi_rep rp;
	unsigned char *area, *mem;
	struct worker w;
	int svc = dev_open(), conn, ret, ok;
	size_t i;

	strcpy(c.name, "abi-reg");
	check(ioc(svc, UCCHAN_IOC_SERVICE_CREATE, &c) == 0,
	      "create abi-reg with a 16-page registered-buffer area");
	area = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, svc, 0);
	check(area != MAP_FAILED, "server maps the area");
	if (area == MAP_FAILED)
		return;
	check(mmap(NULL, 16 * PG, PROT_READ, MAP_SHARED, svc, 0) == MAP_FAILED &&
	      errno == EBUSY, "second mapping of the area refused");
	check(mmap(NULL, 8 * PG, PROT_READ, MAP_SHARED, svc, 0) == MAP_FAILED &&
	      errno == EINVAL, "area mapping of the wrong size refused");
	check(probe_read(area) == -1, "empty area page -> SIGBUS");
	ret = worker_start(&w, svc, 0, 0, area);
	check(ret == 0, "abi-reg worker bound");
	if (ret)
		return;
	conn = connect_to("abi-reg", NULL);
	mem = region(16);
	for (i = 0; i < 16 * PG; i++)
		mem[i] = (unsigned char)(i * 5 + 2);

	expect_err(reg_buf(conn, mem, 2 * PG, 0, NULL), EINVAL,
		   "register with flags 0");
	expect_err(reg_buf(conn, mem + 1, PG, UCCHAN_BUF_READ, NULL), EINVAL,
		   "register an unaligned address");
	expect_err(reg_buf(conn, mem, PG + 1, UCCHAN_BUF_READ, NULL), EINVAL,
		   "register an unaligned length");
	memset(&r, 0, sizeof(r));
	r.addr = (uintptr_t)mem;
	r.len = PG;
	r.flags = UCCHAN_BUF_READ;
	r.reserved[1] = 1;
	expect_err(ioc(conn, UCCHAN_IOC_BUF_REGISTER, &r), EINVAL,
		   "register with nonzero reserved");
	expect_err(ioc(conn, UCCHAN_IOC_BUF_REGISTER, (void *)8), EFAULT,
		   "register with bad pointer");
	check(reg_buf(conn, mem, 2 * PG, UCCHAN_BUF_READ | UCCHAN_BUF_WRITE,
		      &ra) == 0, "register 2 pages read-write: id %u at %llu",
	      ra.buf_id, (unsigned long long)ra.area_offset);
	check(reg_buf(conn, mem + 4 * PG, PG, UCCHAN_BUF_READ, &rb) == 0 &&
	      rb.buf_id != ra.buf_id, "register 1 page read-only");
	expect_err(reg_buf(conn, mem, 16 * PG, UCCHAN_BUF_READ, NULL), ENOSPC,
		   "register more than the free area");

	ret = reg_call(conn, OP_SUM, 100, 5000, UCCHAN_BUF_READ, ra.buf_id,
		       &rq, &rp);
	check(ret == 0 && rp.nr_bufs == 1 && rp.sum == fnv(mem + 100, 5000),
	      "server reads a registered buffer at an offset");
	ret = reg_call(conn, OP_FILL, 0, 2 * PG, UCCHAN_BUF_WRITE, ra.buf_id,
		       &rq, &rp);
	ok = ret == 0;
	for (i = 0; ok && i < 2 * PG; i++)
		ok = mem[i] == (unsigned char)(i * 7 + 3);
	check(ok, "server writes a registered buffer, client sees it");
	ret = reg_call(conn, OP_WRITE_RO, 0, PG, UCCHAN_BUF_READ, rb.buf_id,
		       &rq, &rp);
	check(ret == 0 && rp.write_fault == 1,
	      "server write to a read-only registered buffer -> SIGBUS");
	expect_err(reg_call(conn, OP_SUM, 0, PG, UCCHAN_BUF_WRITE, rb.buf_id,
			    &rq, &rp), EACCES,
		   "call asks WRITE on a read-only registered buffer");
	expect_err(reg_call(conn, OP_SUM, PG, 2 * PG, UCCHAN_BUF_READ,
			    ra.buf_id, &rq, &rp), EINVAL,
		   "call beyond the end of a registered buffer");
	expect_err(reg_call(conn, OP_SUM, 0, PG, UCCHAN_BUF_READ, 63, &rq, &rp),
		   ENOENT, "call with an unknown buf_id");

	u.buf_id = ra.buf_id;
	u.flags = 1;
	expect_err(ioc(conn, UCCHAN_IOC_BUF_UNREGISTER, &u), EINVAL,
		   "unregister with flags");
	u.flags = 0;
	expect_err(ioc(conn, UCCHAN_IOC_BUF_UNREGISTER, (void *)8), EFAULT,
		   "unregister with bad pointer");
	check(ioc(conn, UCCHAN_IOC_BUF_UNREGISTER, &u) == 0, "unregister");
	expect_err(ioc(conn, UCCHAN_IOC_BUF_UNREGISTER, &u), ENOENT,
		   "unregister twice");
	rq.nprobe = 2;
	rq.probe[0] = (int64_t)ra.area_offset - (int64_t)rb.area_offset;
	rq.probe[1] = 0;
	ret = reg_call(conn, OP_SUM, 0, PG, UCCHAN_BUF_READ, rb.buf_id, &rq,
		       &rp);
	check(ret == 0 && rp.probe[0] == -1 &&
	      rp.probe[1] == mem[4 * PG],
	      "unregistered range zapped from the server (SIGBUS), others stay");
	rq.nprobe = 0;
	check(reg_buf(conn, mem, 2 * PG, UCCHAN_BUF_READ, &ra) == 0,
	      "area range reusable after unregister");
	{
		/*
		 * The client abandons a call (timeout) and unregisters the
		 * buffer while the server still works on it: the server
		 * must keep seeing the pages (not SIGBUS) until it replies.
		 */
		struct ucchan_iov iov = { PG + 9, 100, UCCHAN_BUF_READ |
					  UCCHAN_BUF_REGISTERED, ra.buf_id };

		rq.op = OP_HOLD;
		rq.hold_ms = 300;
		rq.nprobe = 1;
		rq.probe[0] = 1;
		w.late_probe = -3;
		ret = do_call(conn, &rq, &rp, &iov, 1, 50 * 1000 * 1000, NULL);
		expect_err(ret, ETIMEDOUT, "registered-buffer call abandoned");
		u.buf_id = ra.buf_id;
		check(ioc(conn, UCCHAN_IOC_BUF_UNREGISTER, &u) == 0,
		      "unregister while the server holds the abandoned call");
		for (i = 0; w.holding && i < 5000; i++)
			usleep(1000);
		check(w.late_probe == mem[PG + 10],
		      "server still reads the buffer after the client unregistered it mid-call (%d, want %d)",
		      w.late_probe, mem[PG + 10]);
		rq.op = OP_SUM;
		rq.nprobe = 0;
		rq.hold_ms = 0;
		expect_err(reg_call(conn, OP_SUM, 0, PG, UCCHAN_BUF_READ,
				    ra.buf_id, &rq, &rp), ENOENT,
			   "unregistered buffer gone for new calls");
		check(reg_buf(conn, mem, 2 * PG, UCCHAN_BUF_READ, &ra) == 0,
		      "area range reusable once the held call ended");
	}
	{
		/* as uid 65534 with RLIMIT_MEMLOCK of 2 pages */
		struct ucchan_service_perm p = { .uid = (uint32_t)-1,
						 .gid = (uint32_t)-1,
						 .mode = 0666 };
		struct rlimit rl = { 2 * PG, 2 * PG };
		int st = -1;
		pid_t pid;

		ioc(svc, UCCHAN_IOC_SERVICE_SET_PERM, &p);
		pid = fork();
		if (pid == 0) {
			int c2;

			if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgroups(0, NULL) ||
			    setresgid(65534, 65534, 65534) ||
			    setresuid(65534, 65534, 65534))
				_exit(10);
			c2 = connect_to("abi-reg", NULL);
			if (c2 < 0)
				_exit(11);
			if (reg_buf(c2, mem + 8 * PG, 4 * PG, UCCHAN_BUF_READ,
				    NULL) != -ENOMEM)
				_exit(12);
			if (reg_buf(c2, mem + 8 * PG, PG, UCCHAN_BUF_READ, NULL))
				_exit(13);
			_exit(0);
		}
		waitpid(pid, &st, 0);
		check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "registered pins charged to RLIMIT_MEMLOCK (child status %d)",
		      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	close(conn);	/* unregisters the rest */
	/* the area mapping holds the service file: unmap it, then close */
	munmap(area, 16 * PG);
	close(svc);
	pthread_join(w.th, NULL);
	check(w.last_err == -ESHUTDOWN, "abi-reg worker ends with the service");
	munmap(mem, 16 * PG);
}

/* Workers on every CPU, one slot each; several clients per CPU. */
struct stress_client {
	int cpu;
	int iters;
	int errors;
	pthread_t th;
};

static void *stress_main(void *arg)
{
	struct stress_client *sc = arg;
	unsigned char *mem = region(3);
	struct abi_req rq = { .op = OP_SUM };
	struct abi_rep rp;
	int conn, i;

	pin_self(sc->cpu);
	conn = connect_to("abi-stress", NULL);
	if (conn < 0) {
		sc->errors++;
		return NULL;
	}
	for (i = 0; i < sc->iters; i++) {
		size_t off = (size_t)(i * 37 + sc->cpu) % PG, len = 1 + i * 101 % (2 * PG);
		struct ucchan_iov iov = { (uintptr_t)mem + off, len,
					  UCCHAN_BUF_READ, 0 };

		mem[off] = (unsigned char)i;
		if (do_call(conn, &rq, &rp, &iov, 1, 0, NULL) ||
		    rp.sum != fnv(mem + off, len))
			sc->errors++;
	}
	close(conn);
	munmap(mem, 3 * PG);
	return NULL;
}

static void test_stress(void)
{
	struct ucchan_service_create c = { .mode = 0600, .slots_per_cpu = 1 };
	struct stress_client sc[4];
	struct worker w[8];
	int svc = dev_open(), n = ncpus(), i, bound = 0, errors = 0;

	if (n > 8)
		n = 8;
	strcpy(c.name, "abi-stress");
	if (ioc(svc, UCCHAN_IOC_SERVICE_CREATE, &c)) {
		check(false, "create abi-stress");
		return;
	}
	for (i = 0; i < n; i++)
		bound += worker_start(&w[i], svc, i, 0, NULL) == 0;
	check(bound == n, "one worker per CPU (%d)", bound);
	for (i = 0; i < 4; i++) {
		sc[i].cpu = i % n;
		sc[i].iters = 150;
		sc[i].errors = 0;
		pthread_create(&sc[i].th, NULL, stress_main, &sc[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(sc[i].th, NULL);
		errors += sc[i].errors;
	}
	check(errors == 0,
	      "4 clients x 150 calls with buffers over %d CPUs, 1 slot each: %d errors",
	      n, errors);
	close(svc);
	for (i = 0; i < n; i++)
		pthread_join(w[i].th, NULL);
}

/* A worker that closes its file while holding a call. */
static void test_worker_quit(void)
{
	struct abi_req rq = { .op = OP_QUIT };
	struct abi_rep rp;
	struct worker w;
	unsigned char *mem = region(2);
	struct ucchan_iov iov = { (uintptr_t)mem + 5, PG, UCCHAN_BUF_READ, 0 };
	int svc, conn;

	svc = create_service("abi-quit", 0600, NULL);
	if (svc < 0 || worker_start(&w, svc, 0, 0, NULL)) {
		check(false, "quit test set-up");
		return;
	}
	conn = connect_to("abi-quit", NULL);
	expect_err(do_call(conn, &rq, &rp, &iov, 1, 0, NULL), ECONNRESET,
		   "worker closes its file during a call");
	pthread_join(w.th, NULL);
	rq.op = OP_ECHO;
	expect_err(do_call(conn, &rq, &rp, NULL, 0, 20 * 1000 * 1000, NULL),
		   ETIMEDOUT, "no worker left: call waits, times out");
	close(conn);
	close(svc);
	munmap(mem, 2 * PG);
}

struct bg_call {
	int conn;
	int ret;
	volatile int done;
	struct abi_req rq;
	struct abi_rep rp;
	unsigned char *buf;
};

static void *bg_call_main(void *arg)
{
	struct bg_call *bc = arg;
	struct ucchan_iov iov = { (uintptr_t)bc->buf + 1, 2 * PG,
				  UCCHAN_BUF_READ | UCCHAN_BUF_WRITE, 0 };

	pin_self(0);
	bc->ret = do_call(bc->conn, &bc->rq, &bc->rp, &iov, 1, 0, NULL);
	bc->done = 1;
	return NULL;
}

static void *bg_call_cpu1(void *arg)
{
	struct bg_call *bc = arg;

	pin_self(1);
	bc->ret = do_call(bc->conn, &bc->rq, &bc->rp, NULL, 0, 0, NULL);
	bc->done = 1;
	return NULL;
}

/*
 * A caller whose CPU goes offline during its call (the worker is on
 * another CPU: a fallback) gets its reply.
 */
static void test_hotplug(int conn, struct worker *w)
{
	struct bg_call bc = { .conn = conn };
	pthread_t th;
	int i, r;

	if (ncpus() < 2 || access("/sys/devices/system/cpu/cpu1/online", W_OK)) {
		printf("# CPU 1 cannot go offline: hotplug not tested\n");
		return;
	}
	bc.rq.op = OP_HOLD;
	bc.rq.hold_ms = 4000;
	pthread_create(&th, NULL, bg_call_cpu1, &bc);
	for (i = 0; i < 3000 && !w->holding; i++)
		usleep(1000);
	r = set_cpu_online(1, 0);
	check(r == 0 && w->holding && !bc.done,
	      "caller's CPU goes offline while its call is outstanding (%d)", r);
	pthread_join(th, NULL);
	check(bc.ret == 0 && bc.rp.hdr_cpu == 1 &&
	      (bc.rp.hdr_flags & UCCHAN_REQ_FALLBACK),
	      "that call still completes (%d)", bc.ret);
	check(set_cpu_online(1, 1) == 0, "CPU 1 online again");
}

/* The state letter of task @tid (/proc/self/task/TID/stat), or '?'. */
static char task_state(pid_t tid)
{
	char path[64], buf[256], *p;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	if (read_file(path, buf, sizeof(buf)) || !(p = strrchr(buf, ')')))
		return '?';
	return p[2];
}

/*
 * Polling: a worker on CPU 1 spinning for requests serves a caller on
 * CPU 0 (a fallback) with the reply spun for, not slept for; the spin is
 * bounded: an idle polling worker ends up asleep; a call that outlasts
 * the caller's spin still gets its reply.
 */
#define REPLY_EVENT "/sys/kernel/tracing/events/ucchan/ucchan_call_reply/enable"

static void test_poll(void)
{
	struct abi_req rq = { .op = OP_ECHO };
	struct abi_rep rp;
	struct worker w;
	int svc, conn, i, ok = 1, r;
	long long hits, spun, calls0;
	char st = '?';

	if (ncpus() < 2) {
		printf("# one CPU: polling not tested\n");
		return;
	}
	unpin_self();
	svc = create_service("abi-poll", 0600, NULL);
	if (svc < 0 || worker_start_poll(&w, svc, 1, 0, NULL, 2000000)) {
		check(false, "polling test set-up");
		return;
	}
	pin_self(0);
	conn = connect_to("abi-poll", NULL);
	calls0 = svc_stat("abi-poll", "calls");
	for (i = 0; i < 200 && ok; i++) {
		snprintf(rq.data, sizeof(rq.data), "poll %d", i);
		r = do_call(conn, &rq, &rp, NULL, 0, 0, NULL);
		ok = r == 0 && !strcmp(rp.data, rq.data) &&
		     (rp.hdr_flags & UCCHAN_REQ_FALLBACK);
	}
	hits = svc_stat("abi-poll", "poll_hits");
	spun = svc_stat("abi-poll", "poll_ns");
	check(ok, "200 calls from CPU 0 to a polling worker on CPU 1, byte-exact");
	check(hits > 0 && spun > 0 && svc_stat("abi-poll", "calls") - calls0 == 200,
	      "the worker took requests spinning: %lld of 200, %lld ns spun",
	      hits, spun);
	/*
	 * Again with the reply tracepoint on: a caller spinning on the other
	 * CPU frees the call's state the moment it sees the reply, so the
	 * worker must have read what it traces before (a use-after-free that
	 * KASAN reported on the debug kernel, found through ucchan-top).
	 */
	if (!write_file(REPLY_EVENT, "1")) {
		for (i = 0; i < 200 && ok; i++) {
			snprintf(rq.data, sizeof(rq.data), "traced %d", i);
			r = do_call(conn, &rq, &rp, NULL, 0, 0, NULL);
			ok = r == 0 && !strcmp(rp.data, rq.data);
		}
		write_file(REPLY_EVENT, "0");
		check(ok, "200 polled calls with the reply tracepoint on");
	} else {
		printf("# no tracefs: polled calls with the reply tracepoint not tested\n");
	}
	for (i = 0; i < 100 && st != 'S'; i++) {
		usleep(20000);
		st = task_state(w.tid);
	}
	check(st == 'S', "an idle polling worker stops spinning and sleeps (state %c)",
	      st);
	rq.op = OP_HOLD;
	rq.hold_ms = 200;
	r = do_call(conn, &rq, &rp, NULL, 0, 0, NULL);
	check(r == 0, "a call longer than the spin gets its reply (%d)", r);
	close(conn);
	close(svc);
	pthread_join(w.th, NULL);
	check(w.last_err == -ESHUTDOWN, "the polling worker ends with the service");
}

struct mig_call {
	struct bg_call bc;
	volatile pid_t tid;
};

/* On CPU 0, free to run on every CPU: a call that holds. */
static void *mig_call_main(void *arg)
{
	struct mig_call *mc = arg;

	pin_self(0);
	mc->tid = (pid_t)syscall(SYS_gettid);
	unpin_self();
	mc->bc.ret = do_call(mc->bc.conn, &mc->bc.rq, &mc->bc.rp, NULL, 0, 0,
			     NULL);
	mc->bc.done = 1;
	return NULL;
}

/*
 * The caller is not kept on its CPU for the call: moved elsewhere while
 * it waits, it is served all the same (the worker of the CPU it called
 * from answers it) and counted as migrated.
 */
static void test_migrate(int conn, struct worker *w)
{
	struct mig_call mc = { .bc = { .conn = conn } };
	long long before = svc_stat("abi-echo", "migrated");
	cpu_set_t one;
	pthread_t th;
	int i, r = -1;

	if (ncpus() < 2) {
		printf("# one CPU: migration not tested\n");
		return;
	}
	mc.bc.rq.op = OP_HOLD;
	mc.bc.rq.hold_ms = 1000;
	pthread_create(&th, NULL, mig_call_main, &mc);
	for (i = 0; i < 3000 && !w->holding; i++)
		usleep(1000);
	CPU_ZERO(&one);
	CPU_SET(1, &one);
	if (w->holding && mc.tid)
		r = sched_setaffinity(mc.tid, sizeof(one), &one);
	pthread_join(th, NULL);
	check(r == 0 && mc.bc.ret == 0 && mc.bc.rp.hdr_cpu == 0 &&
	      !(mc.bc.rp.hdr_flags & UCCHAN_REQ_FALLBACK),
	      "a caller moved to CPU 1 during its call is served (%d, %d)", r,
	      mc.bc.ret);
	check(before >= 0 && svc_stat("abi-echo", "migrated") == before + 1,
	      "and counted as migrated (%lld -> %lld)", before,
	      svc_stat("abi-echo", "migrated"));
}

static void test_shutdown(int svc, int conn, struct worker *w)
{
	struct bg_call bc = { .conn = conn };
	struct abi_req rq = { .op = OP_ECHO };
	struct abi_rep rp;
	pthread_t th;
	int i, fd;

	bc.rq.op = OP_HOLD;
	bc.rq.hold_ms = 2000;
	bc.buf = region(3);
	pthread_create(&th, NULL, bg_call_main, &bc);
	for (i = 0; i < 2000 && !w->holding; i++)
		usleep(1000);
	check(w->holding, "server holds a call with a mapped buffer");
	close(svc);
	for (i = 0; i < 1000 && !bc.done; i++)
		usleep(1000);
	check(bc.done && bc.ret == -ESHUTDOWN && w->holding,
	      "service closed while a client waits -> ESHUTDOWN before the reply (%d)",
	      bc.ret);
	pthread_join(th, NULL);
	check(do_call(conn, &rq, &rp, NULL, 0, 0, NULL) == -ESHUTDOWN,
	      "call on a dead service -> ESHUTDOWN");
	pthread_join(w->th, NULL);
	expect_err(w->last_err, ESHUTDOWN, "worker's WAIT after death");
	fd = create_service("abi-echo", 0600, NULL);
	check(fd >= 0, "name reusable after death while connections remain");
	if (fd >= 0)
		close(fd);
	close(conn);
	munmap(bc.buf, 3 * PG);
}

static void test_kill_client(void)
{
	struct worker w;
	int svc, st;
	pid_t pid;

	svc = create_service("abi-kill", 0600, NULL);
	if (svc < 0 || worker_start(&w, svc, 0, 0, NULL)) {
		check(false, "kill test set-up");
		return;
	}
	pid = fork();
	if (pid == 0) {
		struct abi_req rq = { .op = OP_HOLD, .hold_ms = 1500 };
		struct abi_rep rp;
		unsigned char *b = region(2);
		struct ucchan_iov iov = { (uintptr_t)b + 9, PG,
					  UCCHAN_BUF_READ | UCCHAN_BUF_WRITE, 0 };
		int conn = connect_to("abi-kill", NULL);

		do_call(conn, &rq, &rp, &iov, 1, 0, NULL);
		_exit(3);
	}
	while (!w.holding)
		usleep(1000);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	check(WIFSIGNALED(st) && w.holding,
	      "client killed during a call dies before the reply");
	while (w.holding)
		usleep(1000);
	close(svc);
	pthread_join(w.th, NULL);
	check(w.last_err == -ESHUTDOWN, "worker of the kill test ends");
}

/* A memfd of @pages pages holding @fill, mapped shared and never touched. */
static unsigned char *untouched(size_t pages, int fill, int *fdp)
{
	unsigned char page[PG];
	int fd = memfd_create("abi-copy", 0);
	unsigned char *p;
	size_t i;

	memset(page, fill, sizeof(page));
	for (i = 0; fd >= 0 && i < pages; i++)
		if (pwrite(fd, page, PG, (off_t)(i * PG)) != PG)
			exit(1);
	p = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (fd < 0 || p == MAP_FAILED) {
		perror("memfd");
		exit(1);
	}
	*fdp = fd;
	return p;
}

/*
 * The copy area: small buffers are copied through it (not mapped), at
 * their offset in the page, both ways, with the window's semantics for
 * what the caller sees; larger ones and the ones that no longer fit are
 * mapped; memory a copy with page faults disabled cannot reach (pages
 * not mapped in the caller yet) still arrives; an abandoned call leaves
 * the channel usable.
 */
static void test_copy(void)
{
	unsigned long long m0, c0, m1, c1;
	unsigned char *r = region(24), *mf;
	struct ucchan_iov iov[2] = {};
	struct abi_req rq = {};
	struct abi_rep rp;
	struct worker w;
	uint64_t co, cz;
	size_t len = PG - 50, i;
	int svc, conn, r1, ok, mfd, st;
	pid_t pid;

	unpin_self();
	svc = create_service_copy("abi-copy", 0600, NULL, 4 * PG);
	if (svc < 0 || worker_start(&w, svc, 0, 0, NULL)) {
		check(false, "copy test set-up");
		return;
	}
	pin_self(0);
	co = w.bind.copy_offset;
	cz = w.bind.copy_size;
	check(cz == 4 * PG && co == w.bind.reply_offset + w.bind.max_inline &&
	      w.bind.window_offset == co + cz &&
	      w.bind.mmap_size == w.bind.window_offset + w.bind.window_size,
	      "bind: copy area of 4 pages between the reply area and the window");
	conn = connect_to("abi-copy", NULL);

	/* read-only, at an odd offset in its page */
	for (i = 0; i < len; i++)
		r[100 + i] = (unsigned char)(i * 13 + 5);
	iov[0] = (struct ucchan_iov){ (uintptr_t)r + 100, len, UCCHAN_BUF_READ, 0 };
	rq.op = OP_SUM;
	rq.nprobe = 1;
	rq.probe[0] = (int64_t)len - 1;
	svc_bytes("abi-copy", &m0, &c0);
	r1 = do_call(conn, &rq, &rp, iov, 1, 0, NULL);
	svc_bytes("abi-copy", &m1, &c1);
	check(r1 == 0 && rp.sum == fnv(r + 100, len) &&
	      rp.probe[0] == r[100 + len - 1],
	      "a small READ buffer reaches the server byte-exact");
	check(r1 == 0 && rp.off[0] >= co && rp.off[0] + len <= co + cz &&
	      rp.off[0] % PG == 100,
	      "it is in the copy area, at the caller's offset in the page (%llu)",
	      (unsigned long long)rp.off[0]);
	check(m1 == m0 && c1 == c0 + len,
	      "stats: %zu bytes copied, none mapped (copied +%llu, mapped +%llu)",
	      len, c1 - c0, m1 - m0);

	/* the server writes a READ-only copy: the caller's bytes stay */
	memset(r, 0x11, PG);
	iov[0] = (struct ucchan_iov){ (uintptr_t)r, 64, UCCHAN_BUF_READ, 0 };
	rq.op = OP_WRITE_RO;
	rq.nprobe = 0;
	r1 = do_call(conn, &rq, &rp, iov, 1, 0, NULL);
	check(r1 == 0 && rp.write_fault == 0 && r[0] == 0x11,
	      "a server write to a READ-only copy changes only its copy");

	/* write-only, partly written: the rest keeps the caller's bytes */
	memset(r, 0xAA, 3 * PG);
	iov[0] = (struct ucchan_iov){ (uintptr_t)r + PG - 7, 2 * PG,
				      UCCHAN_BUF_WRITE, 0 };
	rq.op = OP_FILL_PREFIX;
	rq.hold_ms = 1000;
	r1 = do_call(conn, &rq, &rp, iov, 1, 0, NULL);
	ok = r1 == 0 && rp.off[0] >= co && rp.off[0] < co + cz;
	for (i = 0; ok && i < 2 * PG; i++)
		ok = r[PG - 7 + i] == (i < 1000 ? (unsigned char)(i * 7 + 3) : 0xAA);
	for (i = 0; ok && i < PG - 7; i++)
		ok = r[i] == 0xAA && r[3 * PG - 7 + i] == 0xAA;
	check(ok, "a copied WRITE buffer: the written bytes come back, the others and the neighbours stay");
	rq.hold_ms = 0;

	/* what fits is copied, what does not is mapped */
	iov[0] = (struct ucchan_iov){ (uintptr_t)r, 3 * PG, UCCHAN_BUF_READ, 0 };
	iov[1] = (struct ucchan_iov){ (uintptr_t)r + 3 * PG, 2 * PG,
				      UCCHAN_BUF_READ, 0 };
	rq.op = OP_SUM;
	svc_bytes("abi-copy", &m0, &c0);
	r1 = do_call(conn, &rq, &rp, iov, 2, 0, NULL);
	svc_bytes("abi-copy", &m1, &c1);
	check(r1 == 0 && rp.sum == fnv(r, 3 * PG) && rp.off[0] >= co &&
	      rp.off[0] < co + cz && rp.off[1] >= co + cz &&
	      c1 - c0 == 3 * PG && m1 - m0 == 2 * PG,
	      "3 pages copied, then 2 that no longer fit mapped (offsets %llu %llu)",
	      (unsigned long long)rp.off[0], (unsigned long long)rp.off[1]);
	iov[0] = (struct ucchan_iov){ (uintptr_t)r, 5 * PG, UCCHAN_BUF_READ, 0 };
	r1 = do_call(conn, &rq, &rp, iov, 1, 0, NULL);
	check(r1 == 0 && rp.sum == fnv(r, 5 * PG) && rp.off[0] >= co + cz,
	      "a buffer larger than the copy area is mapped");

	/* pages the caller has not mapped yet: copied with faults allowed */
	mf = untouched(2, 0x5C, &mfd);
	iov[0] = (struct ucchan_iov){ (uintptr_t)mf + 1, PG, UCCHAN_BUF_READ, 0 };
	memset(r, 0x5C, PG);
	r1 = do_call(conn, &rq, &rp, iov, 1, 0, NULL);
	check(r1 == 0 && rp.sum == fnv(r, PG) && rp.off[0] >= co &&
	      rp.off[0] < co + cz,
	      "a READ buffer in pages not yet mapped by the caller arrives");
	munmap(mf, 2 * PG);
	close(mfd);
	mf = untouched(2, 0, &mfd);
	iov[0] = (struct ucchan_iov){ (uintptr_t)mf + 3, PG, UCCHAN_BUF_WRITE, 0 };
	rq.op = OP_FILL;
	r1 = do_call(conn, &rq, &rp, iov, 1, 0, NULL);
	munmap(mf, 2 * PG);
	ok = r1 == 0 && pread(mfd, r, PG + 3, 0) == PG + 3;
	for (i = 0; ok && i < PG; i++)
		ok = r[3 + i] == (unsigned char)(i * 7 + 3);
	check(ok && r[0] == 0, "a WRITE buffer in pages not yet mapped by the caller comes back");
	close(mfd);

	/* pages the caller unmaps during the call: the copy back is staged */
	{
		struct bg_call bc = { .conn = conn };
		pthread_t th;

		mf = untouched(3, 0x21, &mfd);
		bc.buf = mf;
		bc.rq.op = OP_HOLD_FILL;
		bc.rq.hold_ms = 300;
		pthread_create(&th, NULL, bg_call_main, &bc);
		for (i = 0; i < 5000 && !w.holding; i++)
			usleep(1000);
		ok = w.holding && !madvise(mf, 3 * PG, MADV_DONTNEED);
		pthread_join(th, NULL);
		munmap(mf, 3 * PG);
		ok = ok && bc.ret == 0 && !w.late_fault &&
		     pread(mfd, r, 2 * PG + 2, 0) == 2 * PG + 2 &&
		     r[0] == 0x21 && r[2 * PG + 1] == 0x21;
		for (i = 0; ok && i < 2 * PG; i++)
			ok = r[1 + i] == (unsigned char)(i * 7 + 3);
		check(ok, "a WRITE buffer whose pages the caller unmapped during the call comes back");
		close(mfd);
	}

	/* user address 0 (and an address that maps nothing) both ways */
	{
		static const unsigned int fl[] = {
			UCCHAN_BUF_READ, UCCHAN_BUF_WRITE,
			UCCHAN_BUF_READ | UCCHAN_BUF_WRITE,
		};
		unsigned char *hole = region(2);
		unsigned int k;

		munmap(hole, 2 * PG);
		ok = 1;
		for (k = 0; k < 6 && ok; k++) {
			iov[0] = (struct ucchan_iov){
				k < 3 ? 0 : (uintptr_t)hole + 5, 100, fl[k % 3], 0 };
			rq.op = (fl[k % 3] & UCCHAN_BUF_WRITE) ? OP_FILL : OP_SUM;
			r1 = do_call(conn, &rq, &rp, iov, 1, 0, NULL);
			ok = r1 == -EFAULT;
		}
		check(ok, "a copied buffer at address 0 or unmapped memory: EFAULT (%d)",
		      r1);
	}

	/* a client killed in a copied call: the slot serves the next one */
	pid = fork();
	if (pid == 0) {
		struct abi_req hq = { .op = OP_HOLD, .hold_ms = 3000,
				      .nprobe = 1 };
		struct ucchan_iov v = { (uintptr_t)r + 9, PG,
					UCCHAN_BUF_READ | UCCHAN_BUF_WRITE, 0 };
		int c = connect_to("abi-copy", NULL);

		memset(r, 0x77, 2 * PG);
		do_call(c, &hq, &rp, &v, 1, 0, NULL);
		_exit(3);
	}
	for (i = 0; i < 5000 && !w.holding; i++)
		usleep(1000);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	hold_release = 1;
	for (i = 0; i < 5000 && w.holding; i++)
		usleep(1000);
	hold_release = 0;
	check(WIFSIGNALED(st) && w.late_probe == 0x77,
	      "a client killed in a copied call: the server's copy stays readable (%d)",
	      w.late_probe);
	for (i = 0; i < PG; i++)
		r[i] = (unsigned char)(i * 3);
	iov[0] = (struct ucchan_iov){ (uintptr_t)r, PG, UCCHAN_BUF_READ, 0 };
	rq.op = OP_SUM;
	r1 = do_call(conn, &rq, &rp, iov, 1, 0, NULL);
	check(r1 == 0 && rp.sum == fnv(r, PG), "the next call after it is served");

	close(conn);
	close(svc);
	pthread_join(w.th, NULL);
	check(w.last_err == -ESHUTDOWN, "worker of the copy test ends");

	/* the default: 16 KiB; UCCHAN_SVC_NOCOPY: none */
	svc = create_service_copy("abi-copy", 0600, NULL, 0);
	if (svc >= 0 && !worker_start(&w, svc, 0, 0, NULL)) {
		check(w.bind.copy_size == 16384, "default copy area: 16 KiB (%u)",
		      w.bind.copy_size);
		close(svc);
		pthread_join(w.th, NULL);
	} else {
		check(false, "service with the default copy area");
	}
	svc = create_service("abi-copy", 0600, NULL);
	if (svc >= 0 && !worker_start(&w, svc, 0, 0, NULL)) {
		check(w.bind.copy_size == 0 && w.bind.copy_offset == 0 &&
		      w.bind.window_offset == w.bind.reply_offset + w.bind.max_inline,
		      "UCCHAN_SVC_NOCOPY: no copy area");
		close(svc);
		pthread_join(w.th, NULL);
	} else {
		check(false, "service without a copy area");
	}
	munmap(r, 24 * PG);
}

/* Run fn(arg) in a child as uid/gid 65534; its exit status (or -1). */
static int as_nobody(int (*fn)(void *), void *arg, rlim_t memlock)
{
	struct rlimit rl = { memlock, memlock };
	int st = -1;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		if ((memlock && setrlimit(RLIMIT_MEMLOCK, &rl)) ||
		    setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(100);
		_exit(fn(arg));
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int nobody_create(void *arg)
{
	int fd = create_service(arg, 0666, NULL);

	return fd >= 0 ? 0 : -fd;
}

static int nobody_create_hold(void *arg)
{
	int fd = create_service(arg, 0666, NULL);

	if (fd < 0)
		return -fd;
	pause();	/* killed by the parent */
	return 0;
}

/*
 * Who serves a name: the creator is reported (and fixed); a dead
 * service's name stays its creator's while a connection refers to it.
 */
static void test_trust(void)
{
	struct ucchan_connect ci;
	int svc, conn, r, st;
	pid_t pid;

	conn = connect_to("abi-echo", &ci);
	check(conn >= 0 && ci.creator_uid == 0 &&
	      (ci.creator_flags & UCCHAN_CREATOR_ADMIN),
	      "root's service: creator uid 0 with CAP_SYS_ADMIN (uid %u flags %#x)",
	      ci.creator_uid, ci.creator_flags);
	if (conn >= 0)
		close(conn);

	/* a user's service, kept alive by the child */
	pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(100);
		_exit(nobody_create_hold("abi-user"));
	}
	for (r = 0; r < 500; r++) {
		conn = connect_to("abi-user", &ci);
		if (conn != -ENOENT)
			break;
		usleep(10000);
	}
	check(conn >= 0 && ci.creator_uid == 65534 && !ci.creator_flags,
	      "a user's service: creator uid 65534, not admin (uid %u flags %#x)",
	      ci.creator_uid, ci.creator_flags);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	/* our connection holds the dead service: its name is reserved */
	r = as_nobody(nobody_create, "abi-user", 0);
	check(r == 0, "the creator's uid may take its dead service's name back (%d)",
	      r);
	if (conn >= 0)
		close(conn);

	svc = create_service("abi-tomb", 0666, NULL);
	conn = connect_to("abi-tomb", NULL);
	check(svc >= 0 && conn >= 0, "abi-tomb created and connected");
	close(svc);	/* dead; conn still refers to it */
	r = as_nobody(nobody_create, "abi-tomb", 0);
	check(r == EADDRINUSE,
	      "another user cannot take a dead service's name while a connection refers to it (%s)",
	      strerror(r));
	expect_err(connect_to("abi-tomb", NULL), ENOENT,
		   "a dead service's name connects to nothing");
	close(conn);
	r = as_nobody(nobody_create, "abi-tomb", 0);
	check(r == 0, "the name is free once nothing refers to the dead service (%s)",
	      strerror(r));
	svc = create_service("abi-tomb", 0666, NULL);
	conn = connect_to("abi-tomb", NULL);
	close(svc);
	svc = create_service("abi-tomb", 0666, NULL);
	check(svc >= 0, "the creator (root) takes its dead service's name over (%d)",
	      svc);
	close(svc);
	close(conn);
}

/*
 * A call abandoned while the server holds it (timeout): once the call
 * returns, the server reaches none of the caller's memory. What it reads
 * is what it was given; what it writes goes nowhere; no SIGBUS.
 */
static void test_revoke(void)
{
	struct abi_req rq = { .op = OP_HOLD_FILL, .hold_ms = 400, .nprobe = 1 };
	struct abi_rep rp;
	struct worker w;
	unsigned char *b = region(4);
	struct ucchan_iov iov = { (uintptr_t)b + 9, 2 * PG,
				  UCCHAN_BUF_READ | UCCHAN_BUF_WRITE, 0 };
	int svc, conn, r, i, bad = 0;

	svc = create_service("abi-revoke", 0600, NULL);
	if (svc < 0 || worker_start(&w, svc, 0, 0, NULL)) {
		check(false, "revoke test set-up");
		return;
	}
	pin_self(0);
	conn = connect_to("abi-revoke", NULL);
	rq.probe[0] = PG + 5;
	b[9 + PG + 5] = 0x11;
	r = do_call(conn, &rq, &rp, &iov, 1, 50 * 1000 * 1000, NULL);
	expect_err(r, ETIMEDOUT, "call abandoned while the server holds it");
	memset(b, 0x5C, 4 * PG);	/* the application reuses its buffer */
	for (i = 0; w.holding && i < 5000; i++)
		usleep(1000);
	for (i = 0; i < (int)(4 * PG); i++)
		bad += b[i] != 0x5C;
	check(!bad, "the server's late writes never reach the caller's reused buffer (%d bytes changed)",
	      bad);
	check(w.late_fault == 0, "the server's late writes go somewhere harmless (no SIGBUS)");
	check(w.late_probe == 0x11,
	      "the server reads what it was given after the caller left (%d, want 17)",
	      w.late_probe);
	rq.op = OP_ECHO;
	strcpy(rq.data, "z");
	check(do_call(conn, &rq, &rp, NULL, 0, 0, NULL) == 0 &&
	      !strcmp(rp.data, "z"), "the channel serves the next call");
	close(conn);
	close(svc);
	pthread_join(w.th, NULL);
	munmap(b, 4 * PG);
}

struct pin_arg {
	size_t pages;
	unsigned int hold_ms;
};

/* as nobody: one call with a @pages buffer the server holds */
static int nobody_pin_call(void *arg)
{
	struct pin_arg *pa = arg;
	struct abi_req rq = { .op = OP_HOLD, .hold_ms = pa->hold_ms };
	struct abi_rep rp;
	unsigned char *b = region(pa->pages);
	struct ucchan_iov iov = { (uintptr_t)b, pa->pages * PG,
				  UCCHAN_BUF_READ, 0 };
	int conn, r;

	pin_self(0);
	conn = connect_to("abi-pin", NULL);
	if (conn < 0)
		return 50;
	r = do_call(conn, &rq, &rp, &iov, 1, 0, NULL);
	return r ? -r : 0;
}

/*
 * Per-call pins are charged to the caller's RLIMIT_MEMLOCK (the server
 * decides how long they last) and given back when the call ends, also
 * when the caller is killed while the server holds the call.
 */
static void test_pin_limit(void)
{
	struct pin_arg big = { 8, 0 }, fits = { 3, 0 }, held = { 3, 300000 };
	struct worker w0, w1;
	bool seen, still;
	int svc, r, st, i;
	pid_t pid;

	svc = create_service("abi-pin", 0666, NULL);
	if (svc < 0 || worker_start(&w0, svc, 0, 0, NULL) ||
	    worker_start(&w1, svc, 0, 1, NULL)) {
		check(false, "pin test set-up");
		return;
	}
	r = as_nobody(nobody_pin_call, &big, 4 * PG);
	check(r == ENOMEM, "an 8-page buffer with RLIMIT_MEMLOCK of 4 pages: ENOMEM (%s)",
	      strerror(r));
	r = as_nobody(nobody_pin_call, &fits, 4 * PG);
	check(r == 0, "a 3-page buffer within RLIMIT_MEMLOCK of 4 pages works (%s)",
	      strerror(r));
	/* a caller killed while the server holds its pinned buffer */
	pid = fork();
	if (pid == 0)
		_exit(as_nobody(nobody_pin_call, &held, 4 * PG));
	for (i = 0; !w0.holding && !w1.holding && i < 60000; i++)
		usleep(1000);
	/*
	 * The server holds the call until the checks are done (at most
	 * 300 s): the kill and the next call must happen while it still
	 * does, however slow the kernel (debug, loaded host) is.
	 */
	seen = w0.holding || w1.holding;
	/* the holding child is the grandchild: kill the whole uid's calls */
	r = system("pkill -KILL -U 65534 ucchan-abi");
	waitpid(pid, &st, 0);
	check(seen, "caller killed while the server holds its call");
	r = as_nobody(nobody_pin_call, &fits, 4 * PG);
	still = w0.holding || w1.holding;
	check(r == 0 && still,
	      "the killed caller's pins were given back at once, while the server still holds the call (%s%s)",
	      strerror(r), still ? "" : "; the hold ended first: inconclusive");
	hold_release = 1;
	for (i = 0; (w0.holding || w1.holding) && i < 60000; i++)
		usleep(1000);
	hold_release = 0;
	close(svc);
	pthread_join(w0.th, NULL);
	pthread_join(w1.th, NULL);
}

/*
 * A write-only buffer with partial first and last pages: the server
 * writes a few bytes only; the rest of the buffer (in the bounce pages)
 * must come back as it was, not as zeros.
 */
static void test_short_write(int conn)
{
	struct abi_req rq = { .op = OP_FILL_PREFIX, .hold_ms = 10 };
	struct abi_rep rp;
	unsigned char *b = region(4);
	struct ucchan_iov iov = { (uintptr_t)b + 100, 2 * PG,
				  UCCHAN_BUF_WRITE, 0 };
	int r, i, bad = 0;

	r = do_call(conn, &rq, &rp, &iov, 1, 0, NULL);
	check(r == 0, "write-only call with partial pages (%d)", r);
	for (i = 0; i < 10; i++)
		bad += b[100 + i] != (unsigned char)(i * 7 + 3);
	for (i = 10; i < (int)(2 * PG); i++)
		bad += b[100 + i] != 0xAA;
	check(!bad, "a server writing 10 bytes of a write-only buffer leaves the rest as it was (%d bytes wrong)",
	      bad);
	munmap(b, 4 * PG);
}

/* Registered buffers: anonymous or shmem memory only. */
static void test_regbuf_kinds(void)
{
	struct ucchan_service_create c = { .mode = 0600, .regbuf_size = 16 * PG };
	int svc = dev_open(), conn, fd, r;
	struct ucchan_buf_reg rr;
	void *file, *shm;

	strcpy(c.name, "abi-regkind");
	if (ioc(svc, UCCHAN_IOC_SERVICE_CREATE, &c)) {
		check(false, "regkind service");
		return;
	}
	conn = connect_to("abi-regkind", NULL);
	fd = open("/proc/self/exe", O_RDONLY);
	file = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	r = reg_buf(conn, file, PG, UCCHAN_BUF_READ, &rr);
	check(r == -EOPNOTSUPP, "a file mapping cannot be registered (%d)", r);
	munmap(file, PG);
	fd = memfd_create("abi", 0);
	r = ftruncate(fd, 2 * PG);
	shm = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	r = reg_buf(conn, shm, 2 * PG, UCCHAN_BUF_READ, &rr);
	check(r == 0, "shmem (memfd) can be registered (%d)", r);
	close(conn);
	munmap(shm, 2 * PG);
	close(svc);
}

static int module_refcnt(void)
{
	FILE *f = fopen("/sys/module/ucchan/refcnt", "r");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int load_module(void)
{
	const char *ko = getenv("UCCHAN_KO");
	int fd, r;

	if (!access(DEV, F_OK))
		return 0;
	if (!ko || access(ko, R_OK)) {
		printf("SKIP: %s missing and UCCHAN_KO not a readable module\n",
		       DEV);
		return 77;
	}
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	r = (int)syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	if (r) {
		printf("not ok - insmod %s: %s\n", ko, strerror(errno));
		return 1;
	}
	for (r = 0; r < 500 && access(DEV, F_OK); r++)
		usleep(10000);
	return access(DEV, F_OK) ? 1 : 0;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = sigbus_handler };
	long pins_acq, pins_rel;
	struct ucchan_connect cinfo;
	struct worker w;
	int svc, conn, r, fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	r = load_module();
	if (r)
		return r;
	sigaction(SIGBUS, &sa, NULL);

	test_version();
	test_create_args();
	test_names();

	svc = create_service("abi-echo", 0600, NULL);
	check(svc >= 0, "create abi-echo (mode 0600)");
	if (svc < 0)
		return 1;
	test_perm_args(svc);
	test_bind(svc);
	test_connect_args();
	test_perms(svc);

	unpin_self();
	r = worker_start(&w, svc, 0, 0, NULL);
	check(r == 0, "echo worker bound on CPU 0 (%d)", r);
	if (r)
		return 1;
	pin_self(0);
	conn = connect_to("abi-echo", &cinfo);
	check(conn >= 0 && cinfo.client_id && cinfo.max_inline >= PG,
	      "client connected");
	test_call_args(conn);
	test_echo(conn, (int)geteuid());
	test_buffers(conn);
	test_short_write(conn);
	test_bad_reply(conn, &w);
	test_timeout(conn, &w);
	test_fallback(conn);
	pin_self(0);
	test_notify(svc, conn, cinfo.client_id);
	test_kapi();
	test_observability(conn);
	test_hotplug(conn, &w);
	test_migrate(conn, &w);
	test_poll();
	pin_self(0);
	test_events(svc, conn, cinfo.client_id);
	conn = connect_to("abi-echo", NULL);
	test_kill_client();
	test_trust();
	test_revoke();
	test_pin_limit();
	test_regbufs();
	test_regbuf_kinds();
	test_copy();
	test_stress();
	test_worker_quit();

	/* module reference while a service file is open */
	r = (int)syscall(SYS_delete_module, "ucchan", O_NONBLOCK);
	check(r < 0 && (errno == EWOULDBLOCK || errno == EBUSY),
	      "rmmod ucchan refused while files are open (%s)",
	      r < 0 ? strerror(errno) : "unloaded!");
	test_shutdown(svc, conn, &w);

	/* per-CPU vmstat deltas are folded lazily: refresh, retry a while */
	for (r = 0; r < 50; r++) {
		fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);
		if (fd >= 0) {
			if (write(fd, "1", 1) < 0)
				perror("stat_refresh");
			close(fd);
		}
		pins_acq = vmstat("nr_foll_pin_acquired");
		pins_rel = vmstat("nr_foll_pin_released");
		if (pins_acq == pins_rel)
			break;
		usleep(100000);
	}
	check(pins_acq > 0 && pins_acq == pins_rel,
	      "all pins released (acquired %ld released %ld)", pins_acq,
	      pins_rel);
	fd = open("/sys/kernel/debug/ucchan/services", O_RDONLY);
	check(fd >= 0, "debugfs services file present");
	if (fd >= 0)
		close(fd);
	check(module_refcnt() == 0, "module refcount back to 0 (%d)",
	      module_refcnt());
	r = (int)syscall(SYS_delete_module, "ucchan", O_NONBLOCK);
	check(r == 0, "rmmod ucchan once unused (%s)",
	      r ? strerror(errno) : "ok");
	printf("# %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
