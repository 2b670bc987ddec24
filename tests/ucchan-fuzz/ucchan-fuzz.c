// SPDX-License-Identifier: BSD-2-Clause
/*
 * ucchan-fuzz: an ioctl/mmap fuzzer for /dev/ucchan.
 *
 * Several processes (--procs), each with several threads, hammer the ABI of
 * include/uapi/linux/ucchan.h at once:
 *   - server threads: a service per process (names from a small pool shared
 *     by all processes, so they meet), workers bound from threads pinned to
 *     each CPU (sometimes to the wrong one), serving calls with random
 *     status and reply lengths (some too long), touching the window and
 *     the registered-buffer area, sometimes closing or unmapping mid-call;
 *   - caller threads: connect, register/unregister buffers, call with random
 *     iov arrays (heap memory, partial pages, registered buffers, bad
 *     addresses, huge lengths), random timeouts, fork a child that calls on
 *     the inherited connection;
 *   - chaos threads: random commands (the real ones, the real numbers with
 *     random size/direction, unknown numbers), on random files, with NULL,
 *     unmapped, kernel, misaligned, read-only and page-straddling pointers
 *     and mutated structs (reserved fields, flags, edge sizes, bad names);
 *     mmap/mprotect/mremap/munmap of every kind of file; read/poll events;
 *     close at random.
 * The parent kills (SIGKILL) and restarts random children while they run.
 *
 * The run is bounded by --ops (ioctls, all processes together) and
 * --seconds. It is seeded (--seed, printed at start): each process and
 * thread draws from its own generator derived from the seed, so the
 * sequence of operations each thread tries is reproducible; the
 * interleaving of threads and processes, and therefore the kernel's
 * answers, are not.
 *
 * Oracles (a violation fails the run with exit 1): an ioctl whose struct
 * has a non-zero reserved/pad field or an unknown flag, or an unknown
 * command, must not succeed; a request header written by the kernel must
 * be consistent (req_len <= max_inline, nr_bufs <= 16, every window buffer
 * inside the window); the fuzzer's own processes must not die of a signal
 * it did not send. The VM runner adds the real oracle: no kernel report
 * (KASAN, lockdep, UBSAN, WARN, BUG, ...) during the run.
 *
 * Exit: 0 done, 1 violation, 77 no /dev/ucchan.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/ucchan.h>

#define DEV		"/dev/ucchan"
#define NAME_POOL	6	/* service names shared by all processes */
#define MAX_PROCS	32
#define MAX_FDS		48	/* files a process keeps in its table */
#define MAX_THREADS	24
#define NCMDS		9
#define ARENA		8192

/* ---- shared state (MAP_SHARED, all processes) ---- */

struct shared {
	atomic_uint_fast64_t ioctls;
	atomic_uint_fast64_t ok;
	atomic_uint_fast64_t calls_ok;
	atomic_uint_fast64_t served;
	atomic_uint_fast64_t maps;
	atomic_uint_fast64_t forks;
	atomic_uint_fast64_t per_cmd[NCMDS + 1];
	atomic_uint_fast64_t err[134];
	atomic_uint violations;
	atomic_int stop;
	char first_violation[512];
	atomic_flag vlock;
};

static struct shared *sh;
static uint64_t max_ops = 200000;
static double max_seconds = 60;
static int nprocs = 4;
static int verbose;
static int hotplug;
static double t_end;
static long page;
static int ncpu = 1;
static unsigned int nr_cpu_ids_k = 1;

static const unsigned long cmds[NCMDS] = {
	UCCHAN_IOC_VERSION, UCCHAN_IOC_SERVICE_CREATE,
	UCCHAN_IOC_SERVICE_SET_PERM, UCCHAN_IOC_WORKER_BIND,
	UCCHAN_IOC_WORKER_WAIT, UCCHAN_IOC_CONNECT, UCCHAN_IOC_CALL,
	UCCHAN_IOC_BUF_REGISTER, UCCHAN_IOC_BUF_UNREGISTER,
};

static const char *const cmd_names[NCMDS + 1] = {
	"VERSION", "SERVICE_CREATE", "SERVICE_SET_PERM", "WORKER_BIND",
	"WORKER_WAIT", "CONNECT", "CALL", "BUF_REGISTER", "BUF_UNREGISTER",
	"other",
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool stopping(void)
{
	return atomic_load(&sh->stop) ||
	       atomic_load(&sh->ioctls) >= max_ops || now() >= t_end;
}

/* ---- random numbers: splitmix64 seeding, xorshift64* per thread ---- */

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __thread uint64_t rng_state = 1;

static void rng_seed(uint64_t seed)
{
	rng_state = splitmix(&seed) | 1;
}

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int percent)
{
	return below(100) < percent;
}

/* an interesting size or number */
static uint64_t edge(uint64_t typical)
{
	static const uint64_t e[] = {
		0, 1, 2, 3, 7, 15, 16, 17, 63, 64, 65, 255, 256, 4095, 4096,
		4097, 8192, 65535, 65536, 65537, 1 << 20, (1 << 20) + 1,
		(64 << 20) + 8192, 1ULL << 30, (1ULL << 30) + 4096, 1ULL << 31,
		0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
		1ULL << 62, 1ULL << 63, ~0ULL, ~0ULL - 4095,
	};

	switch (below(4)) {
	case 0:
		return e[below(sizeof(e) / sizeof(e[0]))];
	case 1:
		return rnd();
	case 2:
		return below(typical + 2);
	default:
		return typical;
	}
}

/* ---- violations and counting ---- */

static void violation(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ucchan-fuzz: VIOLATION (pid %d): %s\n", getpid(), buf);
	if (atomic_fetch_add(&sh->violations, 1) == 0)
		snprintf(sh->first_violation, sizeof(sh->first_violation),
			 "%s", buf);
}

static int cmd_index(unsigned long cmd)
{
	int i;

	for (i = 0; i < NCMDS; i++)
		if (cmds[i] == cmd)
			return i;
	return NCMDS;
}

/* ioctl, counted; returns 0 or -errno */
static int ioc(int fd, unsigned long cmd, void *arg)
{
	int r = ioctl(fd, cmd, arg);
	int e = r < 0 ? errno : 0;

	atomic_fetch_add(&sh->ioctls, 1);
	atomic_fetch_add(&sh->per_cmd[cmd_index(cmd)], 1);
	if (r >= 0)
		atomic_fetch_add(&sh->ok, 1);
	else
		atomic_fetch_add(&sh->err[e < 134 ? e : 0], 1);
	return r < 0 ? -e : r;
}

/* ---- SIGSEGV/SIGBUS protected memory access ---- */

static __thread sigjmp_buf probe_jb;
static __thread volatile sig_atomic_t probing;

static void fault_handler(int sig)
{
	if (probing) {
		probing = 0;
		siglongjmp(probe_jb, 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void noop_handler(int sig)
{
	(void)sig;
}

/* read (and optionally write) one byte; 0 or -1 if it faulted */
static int touch(volatile unsigned char *p, bool write)
{
	if (sigsetjmp(probe_jb, 1))
		return -1;
	probing = 1;
	if (write)
		*p = *p + 1;
	else
		(void)*p;
	probing = 0;
	return 0;
}

/* ---- bad pointers ---- */

static unsigned char *guard;	/* page 0 RW, page 1 PROT_NONE, page 2 RO */
static void *unmapped;

static void pointers_init(void)
{
	guard = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	mprotect(guard + page, page, PROT_NONE);
	mprotect(guard + 2 * page, page, PROT_READ);
	/* Never mapped by this program (mmap allocates top-down near the
	 * stack): an unmapped page that a later mmap cannot reuse.
	 */
	unmapped = (void *)0x100000000000ULL;
	if (msync(unmapped, page, MS_ASYNC) == 0 || errno != ENOMEM)
		unmapped = guard + page;
}

/* a pointer that is not the arena: returns true if it is one that must
 * fault, i.e. the ioctl cannot succeed if it reads the struct through it
 */
static void *bad_pointer(size_t size, bool *must_fault)
{
	*must_fault = true;
	switch (below(8)) {
	case 0:
		return NULL;
	case 1:
		return (void *)(uintptr_t)below(4096);
	case 2:
		return unmapped;
	case 3:
		return (void *)0xffffffff81000000ULL;
	case 4:
		return (void *)(0xffff888000000000ULL + below(1 << 20) * 8);
	case 5:	/* straddles into the PROT_NONE page */
		return guard + page - (size > 1 ? 1 + below(size - 1) : 0);
	case 6:	/* read-only: reading works, copy-out faults */
		*must_fault = false;
		return guard + 2 * page;
	default:
		*must_fault = false;
		return (void *)(uintptr_t)rnd();
	}
}

/* ---- ucchan mappings of this process (areas, worker files) ---- */

#define MAX_MAPS 16
static _Atomic uintptr_t map_addr[MAX_MAPS];

static void map_note(void *p)
{
	unsigned int i;

	for (i = 0; i < MAX_MAPS; i++) {
		uintptr_t zero = 0;

		if (atomic_compare_exchange_strong(&map_addr[i], &zero,
						   (uintptr_t)p))
			return;
	}
}

static void map_forget(void *p)
{
	unsigned int i;

	for (i = 0; i < MAX_MAPS; i++) {
		uintptr_t v = (uintptr_t)p;

		atomic_compare_exchange_strong(&map_addr[i], &v, 0);
	}
}

/* an address inside some ucchan mapping (possibly gone by now), or NULL */
static void *map_pick(void)
{
	uintptr_t v = atomic_load(&map_addr[below(MAX_MAPS)]);

	return v ? (void *)(v + page * below(4) + (chance(50) ? 0 : below(page))) :
		   NULL;
}

/* ---- the process's table of files ---- */

enum kind { K_NONE, K_UNBOUND, K_SERVICE, K_WORKER, K_CONN, K_OTHER };

static pthread_mutex_t tlock = PTHREAD_MUTEX_INITIALIZER;
static int fds[MAX_FDS];
static enum kind kinds[MAX_FDS];

static void fd_add(int fd, enum kind k)
{
	int i;

	if (fd < 0)
		return;
	pthread_mutex_lock(&tlock);
	for (i = 0; i < MAX_FDS; i++) {
		if (kinds[i] == K_NONE) {
			fds[i] = fd;
			kinds[i] = k;
			break;
		}
	}
	pthread_mutex_unlock(&tlock);
}

static void fd_forget(int fd)
{
	int i;

	pthread_mutex_lock(&tlock);
	for (i = 0; i < MAX_FDS; i++)
		if (kinds[i] != K_NONE && fds[i] == fd)
			kinds[i] = K_NONE;
	pthread_mutex_unlock(&tlock);
}

/* any fd of the table (or a random number now and then) */
static int fd_pick(enum kind want, enum kind *got)
{
	int i, n = 0, cand[MAX_FDS], r = -1;

	*got = K_OTHER;
	if (chance(3))
		return chance(50) ? -1 : (int)below(64);
	pthread_mutex_lock(&tlock);
	for (i = 0; i < MAX_FDS; i++)
		if (kinds[i] != K_NONE && (want == K_NONE || kinds[i] == want))
			cand[n++] = i;
	if (n) {
		i = cand[below(n)];
		r = fds[i];
		*got = kinds[i];
	}
	pthread_mutex_unlock(&tlock);
	return r;
}

/* close an fd of the table; the fd number is forgotten first */
static void fd_close_random(void)
{
	int i, n = 0, cand[MAX_FDS], fd = -1;

	pthread_mutex_lock(&tlock);
	for (i = 0; i < MAX_FDS; i++)
		if (kinds[i] == K_UNBOUND || kinds[i] == K_CONN ||
		    kinds[i] == K_OTHER)
			cand[n++] = i;
	if (n) {
		i = cand[below(n)];
		fd = fds[i];
		kinds[i] = K_NONE;
	}
	pthread_mutex_unlock(&tlock);
	if (fd >= 0)
		close(fd);
}

static int dev_open(void)
{
	return open(DEV, O_RDWR | O_CLOEXEC | (chance(10) ? O_NONBLOCK : 0));
}

/* ---- struct generators ---- */

static void random_name(char *name)
{
	unsigned int n, i;
	static const char ok[] = "abcXYZ019._-";

	memset(name, 0, UCCHAN_NAME_MAX);
	switch (below(6)) {
	case 0:		/* empty */
		break;
	case 1:		/* 64 bytes, no NUL */
		memset(name, 'a', UCCHAN_NAME_MAX);
		break;
	case 2:		/* longest valid */
		memset(name, 'b', UCCHAN_NAME_MAX - 1);
		break;
	case 3:		/* leading dot */
		strcpy(name, ".hidden");
		break;
	case 4:		/* random bytes */
		n = below(UCCHAN_NAME_MAX);
		for (i = 0; i < n; i++)
			name[i] = (char)rnd();
		break;
	default:
		n = 1 + below(UCCHAN_NAME_MAX - 1);
		for (i = 0; i < n; i++)
			name[i] = ok[below(sizeof(ok) - 1)];
	}
}

static void pool_name(char *name, unsigned int i)
{
	memset(name, 0, UCCHAN_NAME_MAX);
	snprintf(name, UCCHAN_NAME_MAX, "ucfz-%u", i % NAME_POOL);
}

/*
 * Fill the arena with a struct for cmd; *poisoned is set when a field that
 * must be zero was made non-zero (the ioctl must then fail).
 */
static void gen_struct(unsigned long cmd, void *arena, bool *poisoned)
{
	bool mutate = chance(50), poison = chance(25);
	union {
		struct ucchan_version v;
		struct ucchan_service_create sc;
		struct ucchan_service_perm sp;
		struct ucchan_worker_bind wb;
		struct ucchan_wait w;
		struct ucchan_connect c;
		struct ucchan_call call;
		struct ucchan_buf_reg br;
		struct ucchan_buf_unreg bu;
	} *u = arena;
	enum kind k;

	memset(arena, 0, ARENA);
	*poisoned = false;
	switch (cmd) {
	case UCCHAN_IOC_VERSION:
		if (poison) {
			switch (below(3)) {
			case 0: u->v.max_copy = 1 + below(9); break;
			case 1: u->v.reserved[below(3)] = 1 + below(9); break;
			default: u->v.abi_version = 1 + below(9);
			}
			*poisoned = true;
		}
		break;
	case UCCHAN_IOC_SERVICE_CREATE:
		if (mutate)
			random_name(u->sc.name);
		else
			pool_name(u->sc.name, below(NAME_POOL * 2));
		u->sc.mode = mutate && chance(30) ? edge(0777) : 0666;
		u->sc.slots_per_cpu = mutate ? edge(2) : below(4);
		u->sc.max_inline = mutate ? edge(4096) : 4096 * below(3);
		u->sc.window_size = mutate ? edge(1 << 20) : page * below(64);
		u->sc.regbuf_size = mutate ? edge(1 << 20) : page * below(64);
		/* a copy area of 0..16 pages, or none */
		u->sc.copy_size = mutate ? edge(1 << 16) : page * below(17);
		if (chance(20)) {
			u->sc.flags = UCCHAN_SVC_NOCOPY;
			u->sc.copy_size = 0;
		}
		if (poison) {
			switch (below(4)) {
			case 0: u->sc.flags = 2u << below(31); break;
			case 1: u->sc.pad = 1; break;
			case 2: u->sc.reserved[below(2)] = rnd() | 1; break;
			default: u->sc.service_id = 1 + below(100);
			}
			*poisoned = true;
		}
		break;
	case UCCHAN_IOC_SERVICE_SET_PERM:
		u->sp.uid = chance(70) ? (uint32_t)-1 : edge(0);
		u->sp.gid = chance(70) ? (uint32_t)-1 : edge(0);
		u->sp.mode = mutate ? edge(0666) : 0666;
		if (poison) {
			if (chance(50))
				u->sp.flags = 1u << below(32);
			else
				u->sp.reserved[below(2)] = rnd() | 1;
			*poisoned = true;
		}
		break;
	case UCCHAN_IOC_WORKER_BIND:
		u->wb.service_fd = mutate && chance(30) ? (int)edge(3) :
				   fd_pick(K_SERVICE, &k);
		u->wb.cpu = mutate ? edge(1) : below(ncpu);
		u->wb.slot = mutate ? edge(1) : below(3);
		if (poison) {
			switch (below(4)) {
			case 0: u->wb.flags = 1u << below(32); break;
			case 1: u->wb.mmap_size = page; break;
			case 2: u->wb.copy_size = 1; break;
			default: u->wb.reserved[below(2)] = 1;
			}
			*poisoned = true;
		}
		break;
	case UCCHAN_IOC_WORKER_WAIT:
		u->w.status = (int32_t)rnd();
		u->w.reply_len = mutate ? edge(64) : below(128);
		u->w.flags = chance(50) ? UCCHAN_WAIT_REPLY : 0;
		u->w.poll_ns = chance(20) ? below(50000) : 0;
		if (poison) {
			switch (below(4)) {
			case 0: u->w.flags |= 2u << below(31); break;
			case 1: u->w.pad = 1; break;
			case 2: u->w.poll_ns = UCCHAN_MAX_POLL_NS + 1 + below(9); break;
			default: u->w.reserved[0] = 1;
			}
			*poisoned = true;
		}
		break;
	case UCCHAN_IOC_CONNECT:
		if (mutate)
			random_name(u->c.name);
		else
			pool_name(u->c.name, below(NAME_POOL));
		if (poison) {
			switch (below(6)) {
			case 0: u->c.flags = 1u << below(32); break;
			case 1: u->c.client_id = 1; break;
			case 2: u->c.pad = 1; break;
			case 3: u->c.creator_uid = 1 + below(9); break;
			case 4: u->c.creator_flags = 1u << below(32); break;
			default:
				u->c.reserved[below(sizeof(u->c.reserved) /
						    sizeof(u->c.reserved[0]))] = 1;
			}
			*poisoned = true;
		}
		break;
	case UCCHAN_IOC_CALL: {
		unsigned char *data = (unsigned char *)arena + 1024;
		struct ucchan_iov *iov = (void *)((char *)arena + 4096);
		unsigned int i, n = below(5);

		u->call.req_ptr = (uintptr_t)data;
		u->call.req_len = mutate ? edge(64) : below(512);
		if (u->call.req_len > 2048)
			u->call.req_ptr = (uintptr_t)guard;
		u->call.reply_ptr = (uintptr_t)(data + 512);
		u->call.reply_cap = below(512);
		u->call.iov_ptr = (uintptr_t)iov;
		u->call.iov_cnt = mutate ? edge(n) : n;
		for (i = 0; i < n; i++) {
			iov[i].addr = (uintptr_t)(data + below(2048));
			iov[i].len = mutate ? edge(16) : 1 + below(256);
			if (iov[i].addr + iov[i].len > (uintptr_t)arena + 4096)
				iov[i].len = 1;
			iov[i].flags = mutate ? edge(1) & 7 :
				       1 + below(3);
		}
		/* chaos calls never wait for ever */
		u->call.timeout_ns = 1000000 + below(20000000);
		if (poison) {
			if (chance(50))
				u->call.flags = 1u << below(32);
			else
				u->call.reserved[below(2)] = 1;
			*poisoned = true;
		}
		break;
	}
	case UCCHAN_IOC_BUF_REGISTER:
		u->br.addr = (uintptr_t)(chance(60) ? guard : guard + 1);
		if (chance(20) && map_pick())	/* a PFNMAP mapping */
			u->br.addr = (uintptr_t)map_pick() & ~(uintptr_t)(page - 1);
		u->br.len = mutate ? edge(page) : (uint64_t)page;
		u->br.flags = mutate ? edge(1) : 1 + below(3);
		if (poison) {
			switch (below(3)) {
			case 0: u->br.buf_id = 1; break;
			case 1: u->br.area_offset = page; break;
			default: u->br.reserved[below(2)] = 1;
			}
			*poisoned = true;
		}
		break;
	case UCCHAN_IOC_BUF_UNREGISTER:
		u->bu.buf_id = mutate ? edge(3) : below(8);
		if (poison) {
			if (chance(50))
				u->bu.flags = 1u << below(32);
			else
				u->bu.reserved = 1;
			*poisoned = true;
		}
		break;
	default:	/* unknown command: random bytes */
		for (unsigned int i = 0; i < 256; i++)
			((unsigned char *)arena)[i] = (unsigned char)rnd();
	}
}

/* one chaos ioctl */
static void chaos_ioctl(unsigned char *arena)
{
	unsigned long cmd;
	bool poisoned = false, must_fault = false, exact = true, known;
	void *arg = arena;
	enum kind k;
	int fd, r, nr;

	switch (below(20)) {
	case 0: case 1:		/* real number, random size/direction */
		nr = below(NCMDS);
		cmd = _IOC(below(4), UCCHAN_IOC_MAGIC, nr, below(300));
		exact = cmd == cmds[nr];
		break;
	case 2:			/* unknown number */
		cmd = _IOC(below(4), UCCHAN_IOC_MAGIC, NCMDS + below(247),
			   below(300));
		exact = false;
		break;
	case 3: {		/* generic file ioctls that are safe on any fd */
		static const unsigned long g[] = { FIONBIO, FIOASYNC,
						   FIONREAD, FIOCLEX,
						   FIONCLEX };
		static int zero, one = 1;

		cmd = g[below(5)];
		fd = fd_pick(K_NONE, &k);
		ioc(fd, cmd, chance(50) ? (void *)&zero : (void *)&one);
		return;
	}
	default:
		cmd = cmds[below(NCMDS)];
	}
	known = cmd_index(cmd) < NCMDS;
	gen_struct(known ? cmd : 0, arena, &poisoned);
	if (chance(15))
		arg = bad_pointer(_IOC_SIZE(cmd), &must_fault);
	else if (chance(5))
		arg = arena + 1 + below(7);	/* misaligned, same bytes + junk */
	if (arg != arena)
		poisoned = false;
	fd = fd_pick(K_NONE, &k);
	r = ioc(fd, cmd, arg);
	if (r >= 0 && !known && fd >= 0 && k != K_OTHER)
		violation("unknown command %#lx succeeded on a ucchan file (fd %d, kind %d)",
			  cmd, fd, k);
	if (r >= 0 && poisoned && exact && k != K_OTHER && fd >= 0)
		violation("%s with a non-zero reserved/flag field succeeded (fd %d, kind %d)",
			  cmd_names[cmd_index(cmd)], fd, k);
	if (r >= 0 && must_fault && known && exact &&
	    cmd != UCCHAN_IOC_WORKER_WAIT && k != K_OTHER && fd >= 0)
		violation("%s through a faulting pointer %p succeeded",
			  cmd_names[cmd_index(cmd)], arg);
	/* a file that became something is known as such from now on */
	if (r >= 0 && arg == arena && k == K_UNBOUND && fd >= 0) {
		enum kind nk = cmd == UCCHAN_IOC_SERVICE_CREATE ? K_SERVICE :
			       cmd == UCCHAN_IOC_CONNECT ? K_CONN :
			       cmd == UCCHAN_IOC_WORKER_BIND ? K_WORKER :
			       K_UNBOUND;
		if (nk != K_UNBOUND) {
			fd_forget(fd);
			/* a worker bound by chaos is closed at once: nobody
			 * would serve it
			 */
			if (nk == K_WORKER)
				close(fd);
			else
				fd_add(fd, nk);
		}
	}
}

/* random mmap games on a random file */
static void chaos_mmap(void)
{
	static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE,
				     PROT_WRITE, PROT_NONE,
				     PROT_READ | PROT_EXEC };
	size_t len = chance(50) ? page * (1 + below(32)) : edge(page);
	off_t off = chance(70) ? 0 : (off_t)(chance(50) ? page * below(64) :
					      edge(page));
	int flags = chance(85) ? MAP_SHARED : MAP_PRIVATE;
	enum kind k;
	int fd = fd_pick(K_NONE, &k);
	unsigned char *p, *q;
	size_t i;

	if (len > (1u << 30))
		len = page;
	p = mmap(NULL, len, prots[below(5)], flags, fd, off);
	atomic_fetch_add(&sh->maps, 1);
	if (p == MAP_FAILED)
		return;
	for (i = 0; i < 4; i++)
		touch(p + below(len), chance(50));
	switch (below(5)) {
	case 0:
		mprotect(p, len, prots[below(5)]);
		touch(p, chance(50));
		break;
	case 1:
		q = mremap(p, len, len + page, MREMAP_MAYMOVE);
		if (q != MAP_FAILED) {
			p = q;
			len += page;
		}
		break;
	case 2:
		if (len >= (size_t)(3 * page)) {
			size_t rest = ((len + page - 1) & ~(page - 1)) - 2 * page;

			munmap(p + page, page);	/* split */
			munmap(p, page);
			munmap(p + 2 * page, rest);
			return;
		}
		break;
	case 3:	/* a fork while mapped (VM_DONTCOPY), child touches */
		if (chance(10)) {
			pid_t c = fork();

			if (c == 0) {
				touch(p, false);
				_exit(0);
			}
			if (c > 0) {
				atomic_fetch_add(&sh->forks, 1);
				waitpid(c, NULL, 0);
			}
		}
		break;
	}
	munmap(p, len);
}

/* read()/poll() on a service (or anything) */
static void chaos_read(void)
{
	unsigned char buf[4 * sizeof(struct ucchan_event)];
	struct pollfd pfd;
	enum kind k;
	int fd = fd_pick(chance(70) ? K_SERVICE : K_NONE, &k);

	pfd.fd = fd;
	pfd.events = POLLIN | POLLOUT | POLLPRI;
	poll(&pfd, 1, 0);
	if (chance(50) || (pfd.revents & POLLIN)) {
		int fl = fcntl(fd, F_GETFL);

		if (fl >= 0 && !(fl & O_NONBLOCK) && !(pfd.revents & POLLIN))
			return;		/* would block */
		if (read(fd, chance(10) ? (void *)guard + page : buf,
			 chance(20) ? below(sizeof(buf)) : sizeof(buf)) > 0 &&
		    k == K_SERVICE) {
			struct ucchan_event *ev = (void *)buf;

			if (ev->type != UCCHAN_EV_DISCONNECT &&
			    ev->type != UCCHAN_EV_OVERFLOW)
				violation("event of unknown type %u", ev->type);
		}
	}
}

/* ---- threads ---- */

struct service {
	int fd;			/* -1 once closed */
	char name[UCCHAN_NAME_MAX];
	unsigned char *area;
	size_t area_size;
	atomic_int users;	/* worker threads using this record */
	unsigned int slots;
	bool used;
};

#define MAX_SERVICES 3
static struct service services[MAX_SERVICES];
static pthread_mutex_t slock = PTHREAD_MUTEX_INITIALIZER;
/* live threads, by kernel tid (0 = free slot), for SIGUSR1 */
static atomic_int thread_tid[MAX_THREADS];
static atomic_int thread_used[MAX_THREADS];
static atomic_int nworkers, ncallers;

struct worker_arg {
	struct service *s;
	int cpu;
	unsigned int slot;
	uint64_t seed;
};

static void check_hdr(const struct ucchan_req_hdr *h,
		      const struct ucchan_worker_bind *b, size_t area_size)
{
	unsigned int i;

	if (h->req_len > b->max_inline)
		violation("hdr req_len %u > max_inline %u", h->req_len,
			  b->max_inline);
	if (h->nr_bufs > UCCHAN_MAX_BUFS) {
		violation("hdr nr_bufs %u", h->nr_bufs);
		return;
	}
	for (i = 0; i < h->nr_bufs; i++) {
		const struct ucchan_buf_desc *d = &h->bufs[i];

		if (d->flags & UCCHAN_BUF_REGISTERED) {
			if (area_size && d->offset + d->len > area_size)
				violation("registered buf %u [%#llx+%#llx] beyond the area (%#zx)",
					  i, (unsigned long long)d->offset,
					  (unsigned long long)d->len, area_size);
			continue;
		}
		/* in the copy area (copied buffers) or in the window */
		if (b->copy_size && d->offset >= b->copy_offset &&
		    d->offset + d->len <= b->copy_offset + b->copy_size)
			continue;
		if (d->offset < b->window_offset ||
		    d->offset + d->len > b->window_offset + b->window_size)
			violation("buf %u [%#llx+%#llx] outside the window [%#llx+%#llx] and the copy area",
				  i, (unsigned long long)d->offset,
				  (unsigned long long)d->len,
				  (unsigned long long)b->window_offset,
				  (unsigned long long)b->window_size);
	}
}

static void *worker_main(void *arg)
{
	struct worker_arg wa = *(struct worker_arg *)arg;
	struct service *s = wa.s;
	struct ucchan_worker_bind b = {};
	struct ucchan_wait wt = {};
	unsigned char *map = MAP_FAILED;
	size_t map_len = 0;
	cpu_set_t set;
	int fd = -1, r, cpu = wa.cpu;
	unsigned int served = 0, quota;
	bool holding = false;

	free(arg);
	rng_seed(wa.seed);
	quota = 1 + below(400);
	CPU_ZERO(&set);
	if (chance(5))		/* wrong pinning: bind must fail */
		CPU_SET(0, &set), CPU_SET(ncpu > 1 ? 1 : 0, &set);
	else
		CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	fd = dev_open();
	if (fd < 0)
		goto out;
	b.service_fd = s->fd;
	b.cpu = cpu;
	b.slot = wa.slot;
	r = ioc(fd, UCCHAN_IOC_WORKER_BIND, &b);
	if (r)
		goto out;
	/* The mask asked for is not the mask the thread got: with a CPU
	 * offline, sched_setaffinity() keeps only the online ones (cpuset),
	 * so {0,1} may have become {0}. Judge by what the thread has.
	 */
	if (CPU_COUNT(&set) > 1 && ncpu > 1 &&
	    sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 1)
		violation("WORKER_BIND succeeded from a thread allowed on %d CPUs",
			  CPU_COUNT(&set));
	fd_add(fd, K_WORKER);
	map_len = chance(95) ? b.mmap_size : edge(b.mmap_size);
	if (map_len > (1ULL << 31))
		map_len = b.mmap_size;
	map = mmap(NULL, map_len,
		   chance(95) ? PROT_READ | PROT_WRITE : PROT_READ,
		   MAP_SHARED, fd, chance(97) ? 0 : page);
	atomic_fetch_add(&sh->maps, 1);
	if (map == MAP_FAILED && chance(80))
		goto out;
	if (map != MAP_FAILED && map_len < b.mmap_size)
		violation("worker mapping of %zu bytes (< mmap_size %llu) accepted",
			  map_len, (unsigned long long)b.mmap_size);
	if (map != MAP_FAILED)
		map_note(map);
	while (!stopping() && served < quota) {
		struct ucchan_req_hdr *h = (void *)map;
		unsigned int i;

		if (holding) {
			wt.flags = UCCHAN_WAIT_REPLY;
			wt.status = chance(90) ? (int)below(3) : (int)rnd();
			wt.reply_len = chance(95) ? below(b.max_inline + 1) :
				       b.max_inline + 1 + below(10);
			if (chance(1))
				wt.flags = 0;	/* wait while holding: -EINVAL */
		} else {
			wt.flags = chance(1) ? UCCHAN_WAIT_REPLY : 0;
			wt.status = 0;
			wt.reply_len = 0;
		}
		r = ioc(fd, UCCHAN_IOC_WORKER_WAIT, &wt);
		if (r == -ESHUTDOWN)
			break;
		if (r == -EINTR) {
			holding = false;
			continue;
		}
		if (r == -EBUSY) {	/* a chaos thread waits on our file */
			usleep(1000);
			continue;
		}
		if (r) {
			/* the call may have been answered by a chaos thread
			 * waiting on our file: guess
			 */
			holding = chance(50);
			continue;
		}
		holding = true;
		served++;
		atomic_fetch_add(&sh->served, 1);
		if (map == MAP_FAILED)
			continue;
		if (touch(map, false)) {
			violation("worker header page not readable during a call");
			continue;
		}
		check_hdr(h, &b, s->area_size);
		/* the header is read-only: writing it must fault */
		if (chance(2) && touch(map, true) == 0)
			violation("worker header page writable");
		for (i = 0; i < h->nr_bufs && i < UCCHAN_MAX_BUFS; i++) {
			const struct ucchan_buf_desc *d = &h->bufs[i];
			unsigned char *base;

			if (d->flags & UCCHAN_BUF_REGISTERED) {
				base = s->area;
				if (!base || d->offset + d->len > s->area_size)
					continue;
			} else {
				base = map;
				if (d->offset + d->len > map_len)
					continue;
			}
			if (d->len == 0)
				continue;
			touch(base + d->offset, false);
			touch(base + d->offset + d->len - 1, false);
			if (d->flags & UCCHAN_BUF_WRITE)
				touch(base + d->offset + below(d->len), true);
			/* a copied READ buffer is the server's own copy */
			else if (chance(3) &&
				 !(b.copy_size && d->offset >= b.copy_offset &&
				   d->offset < b.copy_offset + b.copy_size) &&
				 touch(base + d->offset, true) == 0 &&
				 !(d->flags & UCCHAN_BUF_REGISTERED))
				violation("READ-only buffer %u writable", i);
			if (chance(2))	/* beyond the buffer, in the window */
				touch(base + d->offset + d->len + page, false);
		}
		if (b.max_inline)
			touch(map + b.reply_offset + below(b.max_inline), true);
		/* a server that is a client too: hands its window (a PFNMAP
		 * mapping) on as the buffer of a call of its own, or tries to
		 * register it
		 */
		if (chance(3) && h->nr_bufs) {
			const struct ucchan_buf_desc *d = &h->bufs[0];
			struct ucchan_iov niov = {
				.addr = (uintptr_t)map + d->offset,
				.len = d->len,
				.flags = UCCHAN_BUF_READ,
			};
			struct ucchan_call nc = {
				.iov_ptr = (uintptr_t)&niov,
				.iov_cnt = 1,
				.timeout_ns = 1000000,
			};
			struct ucchan_buf_reg nr = {
				.addr = ((uintptr_t)map + d->offset) &
					~(uintptr_t)(page - 1),
				.len = page,
				.flags = UCCHAN_BUF_READ,
			};
			enum kind ck;
			int cfd = fd_pick(K_CONN, &ck);

			if (!(d->flags & UCCHAN_BUF_REGISTERED)) {
				if (chance(50))
					ioc(cfd, UCCHAN_IOC_CALL, &nc);
				else
					ioc(cfd, UCCHAN_IOC_BUF_REGISTER, &nr);
			}
		}
		switch (below(200)) {
		case 0:		/* let the caller's timeout fire */
			usleep(below(30000));
			break;
		case 1:		/* close the worker while holding a call */
			goto out;
		case 2:		/* unmap mid-call, keep serving */
			map_forget(map);
			munmap(map, map_len);
			map = MAP_FAILED;
			break;
		case 3:
			mprotect(map, map_len, PROT_READ);
			break;
		case 4: {
			void *q = mremap(map, map_len, map_len + page,
					 MREMAP_MAYMOVE);

			if (q != MAP_FAILED) {
				violation("worker mapping could be mremap()ed");
				map_forget(map);
				map = q;
				map_len += page;
			}
			break;
		}
		}
	}
out:
	if (map != MAP_FAILED) {
		map_forget(map);
		munmap(map, map_len);
	}
	if (fd >= 0) {
		fd_forget(fd);
		close(fd);
	}
	atomic_fetch_sub(&s->users, 1);
	atomic_fetch_sub(&nworkers, 1);
	return NULL;
}

struct regbuf {
	unsigned char *mem;
	size_t len;
	uint32_t id;
	uint32_t flags;
	bool live;
};

static void fill_iov(struct ucchan_iov *iov, unsigned char *heap,
		     size_t heap_len, struct regbuf *rb, unsigned int nrb,
		     bool sane)
{
	static const int sane_cases[] = { 0, 1, 2, 3, 4, 5, 9 };
	bool dummy;

	memset(iov, 0, sizeof(*iov));
	iov->flags = 1 + below(3);
	switch (sane ? sane_cases[below(7)] : (int)below(10)) {
	case 0: case 1: case 2: case 3: {	/* heap, partial pages */
		size_t off = below(heap_len - 1);

		iov->addr = (uintptr_t)(heap + off);
		iov->len = 1 + below(heap_len - off);
		break;
	}
	case 4: case 5: {			/* registered */
		struct regbuf *r = &rb[below(nrb)];

		iov->flags |= UCCHAN_BUF_REGISTERED;
		iov->buf_id = r->live || chance(50) ? r->id : below(70);
		iov->addr = chance(80) ? below(r->len) : edge(r->len);
		iov->len = chance(80) ? 1 + below(r->len) : edge(r->len);
		if (chance(80))
			iov->flags = (iov->flags & ~3u) |
				     (r->flags ? r->flags : 1);
		break;
	}
	case 6:		/* bad address, or a ucchan mapping (VM_PFNMAP) */
		iov->addr = (uintptr_t)map_pick();
		/* READ only: the range may hold other memory by now, which a
		 * WRITE buffer's copy-back would overwrite
		 */
		iov->flags = UCCHAN_BUF_READ;
		if (!iov->addr || chance(50))
			iov->addr = (uintptr_t)bad_pointer(16, &dummy);
		iov->len = 1 + below(3 * page);
		break;
	case 7:					/* read-only memory, WRITE */
		iov->addr = (uintptr_t)(guard + 2 * page);
		iov->len = 1 + below(page);
		iov->flags = UCCHAN_BUF_WRITE;
		break;
	case 8:					/* edge lengths and flags */
		iov->addr = (uintptr_t)heap;
		iov->len = edge(heap_len);
		iov->flags = edge(1);
		iov->buf_id = chance(90) ? 0 : 1;
		break;
	default:				/* a whole page-aligned run */
		iov->addr = (uintptr_t)heap;
		iov->len = heap_len;
	}
}

/* a forked child calls on the inherited connection and exits */
static void fork_call(int conn, struct ucchan_call *c)
{
	pid_t p = fork();

	if (p == 0) {
		alarm(5);
		for (int i = 0; i < 3; i++)
			ioctl(conn, UCCHAN_IOC_CALL, c);
		_exit(0);
	}
	if (p > 0) {
		atomic_fetch_add(&sh->forks, 1);
		if (chance(30))
			kill(p, SIGKILL);
		waitpid(p, NULL, 0);
	}
}

static void *caller_main(void *arg)
{
	uint64_t seed = *(uint64_t *)arg;
	struct ucchan_connect c = {};
	struct ucchan_iov iov[UCCHAN_MAX_BUFS + 4];
	struct regbuf rb[4] = {};
	unsigned char req[512], reply[512];
	size_t heap_len;
	unsigned char *heap;
	unsigned int ncalls, i, n;
	bool sane;
	int fd, r;

	free(arg);
	rng_seed(seed);
	if (chance(60))		/* call from one CPU (the common case) */ {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(below(ncpu), &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	heap_len = page * (1 + below(8));
	heap = mmap(NULL, heap_len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (heap == MAP_FAILED)
		goto out_nofd;
	memset(heap, 0x5a, heap_len);
	fd = dev_open();
	if (fd < 0)
		goto out_heap;
	pool_name(c.name, below(NAME_POOL));
	r = ioc(fd, UCCHAN_IOC_CONNECT, &c);
	if (r) {
		close(fd);
		goto out_heap;
	}
	fd_add(fd, K_CONN);
	for (i = 0; i < 4; i++) {
		rb[i].len = page * (1 + below(4));
		rb[i].mem = mmap(NULL, rb[i].len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (rb[i].mem == MAP_FAILED) {
			rb[i].mem = NULL;
			rb[i].len = page;
		}
	}
	ncalls = 1 + below(300);
	while (ncalls-- && !stopping()) {
		struct ucchan_call call = {};
		struct regbuf *g = &rb[below(4)];

		if (chance(8) && g->mem) {
			if (!g->live) {
				struct ucchan_buf_reg br = {
					.addr = (uintptr_t)g->mem,
					.len = g->len,
					.flags = 1 + below(3),
				};

				if (ioc(fd, UCCHAN_IOC_BUF_REGISTER, &br) == 0) {
					g->live = true;
					g->id = br.buf_id;
					g->flags = br.flags;
				}
			} else {
				struct ucchan_buf_unreg bu = { .buf_id = g->id };

				if (ioc(fd, UCCHAN_IOC_BUF_UNREGISTER, &bu) == 0)
					g->live = false;
			}
			continue;
		}
		if (chance(1) && g->mem && g->live) {
			/* unmap a registered buffer's memory (still pinned) */
			munmap(g->mem, g->len);
			g->mem = NULL;
		}
		n = chance(90) ? below(5) : below(UCCHAN_MAX_BUFS + 1);
		sane = chance(50);	/* half the calls get past validation */
		for (i = 0; i < n; i++)
			fill_iov(&iov[i], heap, heap_len, rb, 4, sane);
		call.req_ptr = (uintptr_t)req;
		call.req_len = chance(95) ? below(sizeof(req)) :
			       c.max_inline + below(2);
		if (call.req_len > sizeof(req))
			call.req_ptr = (uintptr_t)heap;
		if (call.req_len > heap_len)
			call.req_len = heap_len;
		call.reply_ptr = (uintptr_t)reply;
		call.reply_cap = below(sizeof(reply) + 1);
		call.iov_ptr = (uintptr_t)iov;
		call.iov_cnt = chance(98) ? n : UCCHAN_MAX_BUFS + 1 + below(3);
		call.timeout_ns = chance(97) ? 1000000 + below(50000000) :
				  chance(50) ? 1 : 0;
		if (chance(2))
			call.reply_ptr = (uintptr_t)(guard + 2 * page);
		if (chance(1)) {
			fork_call(fd, &call);
			continue;
		}
		r = ioc(fd, UCCHAN_IOC_CALL, &call);
		if (r == 0) {
			atomic_fetch_add(&sh->calls_ok, 1);
			for (i = 0; i < call.iov_cnt && i < n; i++)
				if (!(iov[i].flags & 3) || (iov[i].flags & ~7u) ||
				    iov[i].len == 0)
					violation("CALL with iov[%u] flags %#x len %llu succeeded",
						  i, iov[i].flags,
						  (unsigned long long)iov[i].len);
		}
		if (r == -ESHUTDOWN && chance(50))
			break;
	}
	fd_forget(fd);
	close(fd);		/* unregisters what is left */
	for (i = 0; i < 4; i++)
		if (rb[i].mem)
			munmap(rb[i].mem, rb[i].len);
out_heap:
	munmap(heap, heap_len);
out_nofd:
	atomic_fetch_sub(&ncallers, 1);
	return NULL;
}

static void *chaos_main(void *arg)
{
	uint64_t seed = *(uint64_t *)arg;
	unsigned char *arena;

	free(arg);
	rng_seed(seed);
	arena = aligned_alloc(page, ARENA);
	if (!arena)
		return NULL;
	while (!stopping()) {
		switch (below(20)) {
		case 0:
			chaos_mmap();
			break;
		case 1:
			chaos_read();
			break;
		case 2:
			if (chance(30))
				fd_close_random();
			else
				fd_add(dev_open(), K_UNBOUND);
			break;
		default:
			chaos_ioctl(arena);
		}
	}
	free(arena);
	return NULL;
}

struct thread_start {
	void *(*fn)(void *);
	void *arg;
	int slot;
};

static void *thread_trampoline(void *p)
{
	struct thread_start ts = *(struct thread_start *)p;

	free(p);
	atomic_store(&thread_tid[ts.slot], gettid());
	ts.fn(ts.arg);
	atomic_store(&thread_tid[ts.slot], 0);
	atomic_store(&thread_used[ts.slot], 0);
	return NULL;
}

static void spawn(void *(*fn)(void *), void *arg)
{
	struct thread_start *ts = malloc(sizeof(*ts));
	pthread_attr_t a;
	pthread_t th;
	int i, zero;

	for (i = 0; i < MAX_THREADS; i++) {
		zero = 0;
		if (atomic_compare_exchange_strong(&thread_used[i], &zero, 1))
			break;
	}
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&a, 256 << 10);
	if (ts) {
		ts->fn = fn;
		ts->arg = arg;
		ts->slot = i;
	}
	if (!ts || !arg || i == MAX_THREADS ||
	    pthread_create(&th, &a, thread_trampoline, ts)) {
		if (i < MAX_THREADS)
			atomic_store(&thread_used[i], 0);
		free(ts);
		free(arg);
		if (fn == worker_main)
			atomic_fetch_sub(&nworkers, 1);
		if (fn == caller_main)
			atomic_fetch_sub(&ncallers, 1);
	}
	pthread_attr_destroy(&a);
}

static void *seed_arg(void)
{
	uint64_t *p = malloc(sizeof(*p));

	if (p)
		*p = rnd();
	return p;
}

static void area_drop(struct service *s)
{
	if (s->area && atomic_load(&s->users) == 0) {
		map_forget(s->area);
		munmap(s->area, s->area_size);
		s->area = NULL;
		s->area_size = 0;
	}
}

/* create a service with (mostly) valid, edge-case parameters */
static void service_create(void)
{
	struct ucchan_service_create sc = {};
	struct service *s = NULL;
	int i, fd, r;

	pthread_mutex_lock(&slock);
	for (i = 0; i < MAX_SERVICES; i++)
		if (!services[i].used && atomic_load(&services[i].users) == 0) {
			s = &services[i];
			break;
		}
	pthread_mutex_unlock(&slock);
	if (!s)
		return;
	area_drop(s);
	fd = dev_open();
	if (fd < 0)
		return;
	pool_name(sc.name, below(NAME_POOL));
	sc.mode = chance(70) ? 0666 : chance(50) ? 0600 : 0622;
	sc.slots_per_cpu = below(4);
	sc.max_inline = chance(70) ? 0 : chance(50) ? page * (1 + below(4)) :
			UCCHAN_MAX_INLINE;
	sc.window_size = chance(50) ? 0 : page * (2 + below(64));
	sc.regbuf_size = chance(30) ? 0 : page * (1 + below(64));
	r = ioc(fd, UCCHAN_IOC_SERVICE_CREATE, &sc);
	if (r) {
		close(fd);
		return;
	}
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->used = true;
	s->slots = sc.slots_per_cpu;
	memcpy(s->name, sc.name, sizeof(s->name));
	fd_add(fd, K_SERVICE);
	if (sc.regbuf_size && chance(80)) {
		s->area = mmap(NULL, sc.regbuf_size, PROT_READ | PROT_WRITE,
			       MAP_SHARED, fd, 0);
		atomic_fetch_add(&sh->maps, 1);
		if (s->area == MAP_FAILED) {
			s->area = NULL;
		} else {
			s->area_size = sc.regbuf_size;
			map_note(s->area);
		}
	}
	/* workers: one per CPU and slot, some missing, some twice */
	for (i = 0; i < ncpu; i++) {
		unsigned int sl;

		for (sl = 0; sl < s->slots + (chance(10) ? 1 : 0); sl++) {
			struct worker_arg *wa;

			if (chance(10))
				continue;
			wa = malloc(sizeof(*wa));
			if (!wa)
				continue;
			wa->s = s;
			wa->cpu = chance(3) ? (int)below(nr_cpu_ids_k + 2) : i;
			if (wa->cpu >= ncpu)
				wa->cpu = i;
			wa->slot = sl;
			wa->seed = rnd();
			atomic_fetch_add(&s->users, 1);
			atomic_fetch_add(&nworkers, 1);
			spawn(worker_main, wa);
		}
	}
}

/* kill a service: close its file and unmap its area (which holds it) */
static void service_kill(void)
{
	struct service *s = &services[below(MAX_SERVICES)];
	int fd;

	pthread_mutex_lock(&slock);
	if (!s->used) {
		pthread_mutex_unlock(&slock);
		return;
	}
	fd = s->fd;
	s->fd = -1;
	s->used = false;
	pthread_mutex_unlock(&slock);
	fd_forget(fd);
	close(fd);
	/* The area mapping holds the service file: the service dies once
	 * it is unmapped too. Worker threads read the area, so it is only
	 * unmapped when none is left (else at the record's next reuse).
	 */
	area_drop(s);
}

static void child_main(int idx, uint64_t seed)
{
	struct sigaction sa = {};
	unsigned int threads_done = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	rng_seed(seed);
	/* Every other process runs as nobody (when started as root), with a
	 * small RLIMIT_MEMLOCK: permission checks (0600 services of another
	 * user, SET_PERM without CAP_CHOWN) and the locked-memory charge of
	 * registered buffers are only reached without root's capabilities.
	 */
	if ((idx & 1) && geteuid() == 0) {
		struct rlimit rl = { 64 << 10, 64 << 10 };

		setrlimit(RLIMIT_MEMLOCK, &rl);
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			perror("ucchan-fuzz: dropping to nobody");
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* reset by setuid */
	}
	sa.sa_handler = fault_handler;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sa.sa_handler = noop_handler;
	sa.sa_flags = 0;	/* no SA_RESTART: interrupts WAIT and read */
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (verbose)
		fprintf(stderr, "ucchan-fuzz: child %d pid %d seed %#" PRIx64 "\n",
			idx, getpid(), seed);
	while (!stopping()) {
		switch (below(12)) {
		case 0: case 1:
			service_create();
			break;
		case 2:
			if (chance(20))
				service_kill();
			break;
		case 3: case 4: case 5:
			if (atomic_load(&ncallers) < 3) {
				atomic_fetch_add(&ncallers, 1);
				spawn(caller_main, seed_arg());
			}
			break;
		case 6:
			if (threads_done < 2) {
				threads_done++;
				spawn(chaos_main, seed_arg());
			}
			break;
		case 7:		/* interrupt every thread's syscalls */
			if (chance(20))
				for (int i = 0; i < MAX_THREADS; i++) {
					int tid = atomic_load(&thread_tid[i]);

					/* tgkill: never another process */
					if (tid)
						tgkill(getpid(), tid, SIGUSR1);
				}
			break;
		}
		usleep(1000 + below(20000));
	}
	_exit(0);	/* kills the threads */
}

/* ---- parent ---- */

static pid_t children[MAX_PROCS];
static uint64_t child_seed[MAX_PROCS];

static pid_t start_child(int idx, uint64_t seed)
{
	pid_t p;

	fflush(NULL);
	p = fork();
	if (p == 0)
		child_main(idx, seed);
	if (p < 0) {
		perror("fork");
		return -1;
	}
	children[idx] = p;
	child_seed[idx] = seed;
	return p;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--seed N] [--ops N] [--seconds S] [--procs N] [--verbose]\n"
		"  --seed N     base seed (default: from the clock; printed)\n"
		"  --ops N      stop after N ioctls, all processes together (default 200000)\n"
		"  --seconds S  stop after S seconds (default 60)\n"
		"  --procs N    fuzzing processes, 1..%d (default 4)\n"
		"  --hotplug    take the last CPU offline and back now and then (root)\n"
		"  --verbose    print each process's pid and seed\n",
		argv0, MAX_PROCS);
	exit(2);
}

static int cpu_online_set(int cpu, int on)
{
	char path[64];
	int fd, r;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online",
		 cpu);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	r = write(fd, on ? "1" : "0", 1) == 1 ? 0 : -1;
	close(fd);
	return r;
}

static int check_version(void)
{
	struct ucchan_version v = {};
	int fd = open(DEV, O_RDWR), r;

	if (fd < 0) {
		printf("ucchan-fuzz: SKIP: cannot open %s: %s\n", DEV,
		       strerror(errno));
		return 77;
	}
	r = ioc(fd, UCCHAN_IOC_VERSION, &v);
	close(fd);
	if (r) {
		printf("ucchan-fuzz: VERSION failed: %s\n", strerror(-r));
		return 1;
	}
	nr_cpu_ids_k = v.nr_cpu_ids;
	printf("ucchan-fuzz: ABI %u, features %#llx, nr_cpu_ids %u\n",
	       v.abi_version, (unsigned long long)v.features, v.nr_cpu_ids);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "ops", required_argument, NULL, 'o' },
		{ "seconds", required_argument, NULL, 't' },
		{ "procs", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "hotplug", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	uint64_t seed = 0, gen, total;
	bool have_seed = false;
	unsigned int restarts = 0, bad_exits = 0, i;
	double t0, elapsed, last_report;
	unsigned int hotplugs = 0;
	int c, r;

	while ((c = getopt_long(argc, argv, "s:o:t:p:vHh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			have_seed = true;
			break;
		case 'o':
			max_ops = strtoull(optarg, NULL, 0);
			break;
		case 't':
			max_seconds = strtod(optarg, NULL);
			break;
		case 'p':
			nprocs = atoi(optarg);
			if (nprocs < 1 || nprocs > MAX_PROCS)
				usage(argv[0]);
			break;
		case 'v':
			verbose = 1;
			break;
		case 'H':
			hotplug = 1;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (!have_seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000003u ^ ts.tv_nsec ^ getpid();
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	page = sysconf(_SC_PAGESIZE);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1)
		ncpu = 1;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	r = check_version();
	if (r)
		return r;
	pointers_init();
	printf("ucchan-fuzz: seed %#" PRIx64 " ops %" PRIu64 " seconds %g procs %d cpus %d\n",
	       seed, max_ops, max_seconds, nprocs, ncpu);
	printf("ucchan-fuzz: reproduce with: ucchan-fuzz --seed %#" PRIx64
	       " --ops %" PRIu64 " --seconds %g --procs %d\n",
	       seed, max_ops, max_seconds, nprocs);
	t0 = now();
	t_end = t0 + max_seconds;
	gen = seed;
	rng_seed(seed);
	for (i = 0; i < (unsigned int)nprocs; i++)
		if (start_child(i, splitmix(&gen)) < 0)
			return 2;
	last_report = t0;
	while (!stopping()) {
		pid_t p;
		int st;

		usleep(50000 + below(400000));
		if (now() - last_report >= 30) {
			last_report = now();
			printf("ucchan-fuzz: %.0f s: %" PRIu64 " ioctls, %u violation(s)\n",
			       last_report - t0,
			       (uint64_t)atomic_load(&sh->ioctls),
			       atomic_load(&sh->violations));
		}
		if (hotplug && ncpu > 1 && chance(3)) {
			/* the last CPU goes away under pinned workers and
			 * callers, then comes back
			 */
			if (cpu_online_set(ncpu - 1, 0) == 0) {
				hotplugs++;
				usleep(200000 + below(800000));
				if (cpu_online_set(ncpu - 1, 1))
					violation("CPU %d does not come back online",
						  ncpu - 1);
			}
		}
		/* reap children that ended by themselves (thread limit) */
		while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
			for (i = 0; i < (unsigned int)nprocs; i++)
				if (children[i] == p)
					break;
			if (i == (unsigned int)nprocs)
				continue;
			if (WIFSIGNALED(st)) {
				bad_exits++;
				violation("child %u (seed %#" PRIx64 ") died of signal %d",
					  i, child_seed[i], WTERMSIG(st));
			}
			if (!stopping() && start_child(i, splitmix(&gen)) < 0)
				children[i] = 0;
			restarts++;
		}
		if (chance(10) && !stopping()) {	/* kill one at random */
			i = below(nprocs);
			if (children[i] > 0) {
				kill(children[i], SIGKILL);
				waitpid(children[i], NULL, 0);
				restarts++;
				if (start_child(i, splitmix(&gen)) < 0)
					children[i] = 0;
			}
		}
	}
	atomic_store(&sh->stop, 1);
	for (i = 0; i < (unsigned int)nprocs; i++) {
		int st;

		if (children[i] <= 0)
			continue;
		/* a child exits by itself once it sees stop; give it time,
		 * then kill it (threads stuck in a call without timeout)
		 */
		for (c = 0; c < 100; c++) {
			if (waitpid(children[i], &st, WNOHANG) == children[i])
				break;
			usleep(20000);
		}
		if (c == 100) {
			kill(children[i], SIGKILL);
			waitpid(children[i], &st, 0);
		} else if (WIFSIGNALED(st)) {
			violation("child %u (seed %#" PRIx64 ") died of signal %d",
				  i, child_seed[i], WTERMSIG(st));
		}
	}
	elapsed = now() - t0;
	total = atomic_load(&sh->ioctls);
	printf("ucchan-fuzz: %" PRIu64 " ioctls in %.1f s (%.0f/s), %" PRIu64
	       " succeeded; %" PRIu64 " calls answered, %" PRIu64
	       " requests served, %" PRIu64 " mmaps, %" PRIu64
	       " forks, %u child restarts, %u CPU hotplugs\n",
	       total, elapsed, total / (elapsed > 0 ? elapsed : 1),
	       (uint64_t)atomic_load(&sh->ok),
	       (uint64_t)atomic_load(&sh->calls_ok),
	       (uint64_t)atomic_load(&sh->served),
	       (uint64_t)atomic_load(&sh->maps),
	       (uint64_t)atomic_load(&sh->forks), restarts, hotplugs);
	printf("ucchan-fuzz: per command:");
	for (i = 0; i <= NCMDS; i++)
		printf(" %s=%" PRIu64, cmd_names[i],
		       (uint64_t)atomic_load(&sh->per_cmd[i]));
	printf("\nucchan-fuzz: errors:");
	for (i = 0; i < 134; i++)
		if (atomic_load(&sh->err[i]))
			printf(" %s=%" PRIu64, i ? strerrorname_np(i) : "other",
			       (uint64_t)atomic_load(&sh->err[i]));
	printf("\n");
	(void)bad_exits;
	if (atomic_load(&sh->violations)) {
		printf("ucchan-fuzz: FAIL: %u violation(s), first: %s (seed %#" PRIx64 ")\n",
		       atomic_load(&sh->violations), sh->first_violation, seed);
		return 1;
	}
	printf("ucchan-fuzz: PASS (seed %#" PRIx64 ")\n", seed);
	return 0;
}
