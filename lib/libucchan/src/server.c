// SPDX-License-Identifier: BSD-2-Clause
/*
 * libucchan server side: a service file, one pinned worker thread per
 * (CPU, slot) looping on UCCHAN_IOC_WORKER_WAIT (one syscall per request:
 * it delivers the previous reply and waits for the next request), and an
 * event thread that reports disconnects.
 *
 * Stopping: the event thread is stopped through an eventfd; then the
 * registered-buffer mapping is replaced by anonymous memory (a mapping
 * holds a reference on the service file) and the service file is closed.
 * The service dies, every WAIT returns -ESHUTDOWN and the workers leave.
 *
 * A WAIT failing with anything else (-EINVAL, -EBUSY, -EFAULT: a library
 * or kernel bug) must not leave the worker's CPU looking served by a
 * thread that is gone: the worker logs it on stderr (libucchan has no log
 * callback), closes its worker file, which unbinds the slot and fails the
 * call it held (-ECONNRESET for that caller; meanwhile the kernel sends
 * that CPU's calls to other CPUs' workers), and binds a fresh file to the
 * same slot. After WORKER_MAX_RESTARTS failures in a row without a
 * request in between it stays unbound and the thread ends. Binding again
 * that fails for want of memory (-ENOMEM, -EAGAIN: transient, e.g. under
 * memory pressure) or because the slot's old file is not released yet
 * (-EBUSY) is retried with a growing pause (10 ms .. 1 s) until it works
 * or the server stops; another error ends the worker. Unbinding retries a
 * munmap() that fails for want of memory: the mapping holds the file.
 *
 * The last worker never gives up: a service whose workers are all gone
 * while its file is open looks alive to the kernel, which keeps its
 * callers waiting for a worker to bind (for ever, without a timeout; seen
 * under fault injection on the debug kernel, where every worker met a
 * failed copy_from_user in turn). So the one worker left keeps binding
 * again, whatever the error, with the same growing pause, logging every
 * minute, until it works or the server stops.
 *
 * Test hook: with UCCHAN_TEST_BAD_WAIT=CPU[:N[:ERRNO]] in the environment
 * when the server starts, the worker of that CPU (slot 0) sends its first
 * reply with an unknown WAIT flag, which the kernel refuses with -EINVAL,
 * and its next N attempts to bind again fail with -ERRNO (default ENOMEM,
 * as if memory were short) (tests/ucchan/vm-wait-error.sh).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "libucchan_i.h"

#define WORKER_MAX_RESTARTS	3
#define TEST_BAD_WAIT_FLAG	(1U << 31)	/* no such UCCHAN_WAIT_* flag */

int ucchan_server_create(struct ucchan_server **srvp,
			 const struct ucchan_server_opts *opts,
			 const struct ucchan_server_ops *ops, void *arg)
{
	struct ucchan_server_opts o;
	struct ucchan_service_create sc;
	struct ucchan_server *srv;
	int ret;

	if (!srvp)
		return -EINVAL;
	ret = ucchan__copy_struct(&o, sizeof(o), opts, opts ? opts->size : 0,
				  sizeof(o));
	if (ret)
		return ret;
	ret = ucchan__service_create_fill(&sc, &o);
	if (ret)
		return ret;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	ret = ucchan__copy_struct(&srv->ops, sizeof(srv->ops), ops,
				  ops ? ops->size : 0,
				  offsetof(struct ucchan_server_ops, handle) +
				  sizeof(ops->handle));
	if (ret || !srv->ops.handle) {
		ret = ret ? ret : -EINVAL;
		goto out_free;
	}
	srv->arg = arg;
	srv->stop_fd = -1;
	srv->test_bad_wait_cpu = -1;
	srv->slots = sc.slots_per_cpu;
	srv->poll_ns = o.poll_ns;
	strcpy(srv->name, sc.name);
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->cond, NULL);

	srv->svc_fd = open(UCCHAN_DEVICE, O_RDWR | O_CLOEXEC);
	if (srv->svc_fd < 0) {
		ret = -errno;
		goto out_free;
	}
	if (o.poll_ns) {
		struct ucchan_version v = {};

		/* a kernel without polling would fail every worker's WAIT */
		if (ioctl(srv->svc_fd, UCCHAN_IOC_VERSION, &v) < 0 ||
		    !(v.features & UCCHAN_FEAT_POLL)) {
			ret = -EOPNOTSUPP;
			goto out_close;
		}
	}
	if (ioctl(srv->svc_fd, UCCHAN_IOC_SERVICE_CREATE, &sc) < 0) {
		ret = -errno;
		goto out_close;
	}
	srv->id = sc.service_id;
	if (o.regbuf_size) {
		if (o.regbuf_size > SIZE_MAX) {
			ret = -EINVAL;
			goto out_close;
		}
		srv->regbuf = mmap(NULL, o.regbuf_size, PROT_READ | PROT_WRITE,
				   MAP_SHARED, srv->svc_fd, 0);
		if (srv->regbuf == MAP_FAILED) {
			ret = -errno;
			srv->regbuf = NULL;
			goto out_close;
		}
		srv->regbuf_size = o.regbuf_size;
	}
	*srvp = srv;
	return 0;

out_close:
	close(srv->svc_fd);
out_free:
	free(srv);
	return ret;
}

int ucchan_server_set_cpus(struct ucchan_server *srv, const char *cpulist)
{
	cpu_set_t set;
	int ret;

	if (!srv || srv->started)
		return -EINVAL;
	if (!cpulist) {
		srv->cpus_set = false;
		return 0;
	}
	ret = ucchan__cpulist_parse(cpulist, &set);
	if (ret)
		return ret;
	srv->cpus = set;
	srv->cpus_set = true;
	return 0;
}

int ucchan_server_set_perm(struct ucchan_server *srv, uid_t uid, gid_t gid,
			   mode_t mode)
{
	struct ucchan_service_perm p = {
		.uid = uid,
		.gid = gid,
		.mode = mode,
	};

	if (!srv)
		return -EINVAL;
	if (ioctl(srv->svc_fd, UCCHAN_IOC_SERVICE_SET_PERM, &p) < 0)
		return -errno;
	return 0;
}

int ucchan_server_notify(struct ucchan_server *srv, uint64_t client_id,
			 const void *msg, size_t len)
{
	struct ucchan_notify n = {
		.client_id = client_id,
		.msg_ptr = (uintptr_t)msg,
		.msg_len = (uint32_t)len,
	};

	if (!srv || (!msg && len))
		return -EINVAL;
	if (len > UCCHAN_NOTIFY_MAX)
		return -EMSGSIZE;
	if (ioctl(srv->svc_fd, UCCHAN_IOC_NOTIFY, &n) < 0)
		/* a kernel without UCCHAN_IOC_NOTIFY */
		return errno == ENOTTY ? -EOPNOTSUPP : -errno;
	return 0;
}

uint32_t ucchan_server_id(const struct ucchan_server *srv)
{
	return srv ? srv->id : 0;
}

void *ucchan_server_regbuf_base(const struct ucchan_server *srv)
{
	return srv ? srv->regbuf : NULL;
}

void ucchan_worker_set_data(struct ucchan_worker *w, void *data)
{
	w->data = data;
}

void *ucchan_worker_get_data(const struct ucchan_worker *w)
{
	return w->data;
}

unsigned int ucchan_worker_cpu(const struct ucchan_worker *w)
{
	return w->cpu;
}

unsigned int ucchan_worker_slot(const struct ucchan_worker *w)
{
	return w->slot;
}

/* Pin, open, bind, map. Runs in the worker thread. */
static int ucchan_worker_setup(struct ucchan_worker *w)
{
	struct ucchan_server *srv = w->srv;
	struct ucchan_worker_bind b = {
		.service_fd = srv->svc_fd,
		.cpu = w->cpu,
		.slot = w->slot,
	};
	cpu_set_t set;
	size_t size;
	void *p;
	int ret;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	ret = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (ret)
		return -ret;
	w->fd = open(UCCHAN_DEVICE, O_RDWR | O_CLOEXEC);
	if (w->fd < 0)
		return -errno;
	if (ioctl(w->fd, UCCHAN_IOC_WORKER_BIND, &b) < 0)
		return -errno;
	ret = ucchan__wmap_check(&b, &size);
	if (ret)
		return ret;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, w->fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	w->map.base = p;
	w->map.size = size;
	w->map.req_off = b.req_offset;
	w->map.reply_off = b.reply_offset;
	w->map.max_inline = b.max_inline;
	w->map.regbuf = srv->regbuf;
	w->map.regbuf_size = srv->regbuf_size;
	w->req.worker = w;
	return 0;
}

/*
 * Unmap and close the worker file: the kernel unbinds its slot when the
 * file's last reference goes, and the mapping holds one. munmap() can fail
 * for want of memory (the kernel allocates to split or update its map of
 * the address space): the slot would then stay bound to a file no thread
 * waits on, and its CPU's callers would wait for ever (seen under fault
 * injection). So a failure for want of memory is retried until it works.
 */
static void ucchan_worker_unbind(struct ucchan_worker *w)
{
	struct timespec pause = { 0, 1000000L };

	while (w->map.base && munmap(w->map.base, w->map.size)) {
		if (errno != ENOMEM && errno != EAGAIN) {
			fprintf(stderr, "libucchan: service %s: worker of CPU "
				"%u slot %u: munmap of its mapping: %s\n",
				w->srv->name, w->cpu, w->slot,
				strerror(errno));
			break;
		}
		nanosleep(&pause, NULL);
		if (pause.tv_nsec < 100000000L)
			pause.tv_nsec *= 2;
	}
	w->map.base = NULL;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

/*
 * May this worker end (it gives up binding)? Not when it is the last one
 * of the service: see the top of this file.
 */
static bool ucchan_worker_may_leave(struct ucchan_server *srv)
{
	if (__atomic_sub_fetch(&srv->nr_alive, 1, __ATOMIC_SEQ_CST) > 0)
		return true;
	__atomic_add_fetch(&srv->nr_alive, 1, __ATOMIC_SEQ_CST);
	return false;
}

/*
 * WAIT failed with err, neither -EINTR nor -ESHUTDOWN. Log it, unbind the
 * slot and bind it again. True when the worker may go on.
 */
static bool ucchan_worker_recover(struct ucchan_worker *w, int err,
				  unsigned int *restarts)
{
	struct ucchan_server *srv = w->srv;
	struct timespec pause;
	unsigned int pause_ms, tries = 0;
	bool last = false;
	int ret;

	if (__atomic_load_n(&srv->stopping, __ATOMIC_ACQUIRE))
		return false;
	fprintf(stderr, "libucchan: service %s: worker of CPU %u slot %u: "
		"WORKER_WAIT failed: %s; unbinding it (its call, if any, "
		"fails; its CPU's calls go to other workers)\n",
		srv->name, w->cpu, w->slot, strerror(err));
	ucchan_worker_unbind(w);
	if (++*restarts > WORKER_MAX_RESTARTS) {
		if (ucchan_worker_may_leave(srv)) {
			fprintf(stderr, "libucchan: service %s: worker of CPU "
				"%u slot %u: %u failures in a row; it stays "
				"unbound\n", srv->name, w->cpu, w->slot,
				WORKER_MAX_RESTARTS);
			return false;
		}
		/* the last one: on, but not faster than once a second */
		last = true;
		*restarts = 0;
		pause.tv_sec = 1;
		pause.tv_nsec = 0;
		nanosleep(&pause, NULL);
		if (__atomic_load_n(&srv->stopping, __ATOMIC_ACQUIRE))
			return false;
	}
	for (pause_ms = 10;; pause_ms = pause_ms < 500 ? pause_ms * 2 : 1000) {
		if (srv->test_bad_wait_cpu == (int)w->cpu && !w->slot &&
		    srv->test_bind_enomem) {	/* the test hook */
			srv->test_bind_enomem--;
			ret = -srv->test_bind_err;
		} else {
			ret = ucchan_worker_setup(w);
		}
		if (!ret)
			break;
		ucchan_worker_unbind(w);
		if (__atomic_load_n(&srv->stopping, __ATOMIC_ACQUIRE))
			return false;
		/* -EBUSY: the slot's old file is not released yet */
		if (ret != -ENOMEM && ret != -EAGAIN && ret != -EBUSY &&
		    !last) {
			if (ucchan_worker_may_leave(srv)) {
				fprintf(stderr, "libucchan: service %s: worker "
					"of CPU %u slot %u: binding again: %s; "
					"it stays unbound\n", srv->name,
					w->cpu, w->slot, strerror(-ret));
				return false;
			}
			last = true;
		}
		if (pause_ms == 10 || (last && tries % 60 == 0))
			fprintf(stderr, "libucchan: service %s: worker of CPU "
				"%u slot %u: binding again: %s; retrying%s\n",
				srv->name, w->cpu, w->slot, strerror(-ret),
				last ? " (the service's last worker: it "
				"does not give up)" : "");
		tries++;
		pause.tv_sec = pause_ms / 1000;
		pause.tv_nsec = (long)(pause_ms % 1000) * 1000000L;
		nanosleep(&pause, NULL);
	}
	fprintf(stderr, "libucchan: service %s: worker of CPU %u slot %u "
		"bound again\n", srv->name, w->cpu, w->slot);
	return true;
}

static void ucchan_worker_loop(struct ucchan_worker *w)
{
	const struct ucchan_req_hdr *hdr = (const void *)w->map.base;
	struct ucchan_server *srv = w->srv;
	struct ucchan_wait wt = { .flags = 0, .poll_ns = srv->poll_ns };
	bool bad_wait = srv->test_bad_wait_cpu == (int)w->cpu && !w->slot;
	unsigned int restarts = 0;

	for (;;) {
		size_t reply_len = 0;
		int32_t status;

		if (ioctl(w->fd, UCCHAN_IOC_WORKER_WAIT, &wt) < 0) {
			int err = errno;

			if (err == EINTR) {
				/* the reply, if any, went out already */
				wt.flags = 0;
				continue;
			}
			if (err == ESHUTDOWN)
				return;	/* the service is gone */
			if (!ucchan_worker_recover(w, err, &restarts))
				return;
			hdr = (const void *)w->map.base;
			wt.flags = 0;
			continue;
		}
		restarts = 0;
		if (ucchan__req_fill(&w->req, hdr, &w->map)) {
			status = -EPROTO;
		} else {
			status = srv->ops.handle(&w->req, &reply_len,
						 srv->arg);
			if (reply_len > w->map.max_inline) {
				status = -EMSGSIZE;
				reply_len = 0;
			}
		}
		wt.status = status;
		wt.reply_len = reply_len;
		wt.flags = UCCHAN_WAIT_REPLY;
		if (bad_wait) {		/* the test hook: once */
			wt.flags |= TEST_BAD_WAIT_FLAG;
			bad_wait = false;
		}
	}
}

static void *ucchan_worker_main(void *p)
{
	struct ucchan_worker *w = p;
	struct ucchan_server *srv = w->srv;
	int ret = ucchan_worker_setup(w);
	bool go, inited = false;

	/* worker_init runs before start returns: its failure fails start */
	if (!ret && srv->ops.worker_init) {
		ret = srv->ops.worker_init(w, w->cpu, w->slot, srv->arg);
		if (ret > 0)
			ret = -ret;
		inited = !ret;
	}
	pthread_mutex_lock(&srv->lock);
	if (ret && !srv->start_err)
		srv->start_err = ret;
	srv->nr_ready++;
	pthread_cond_broadcast(&srv->cond);
	while (!srv->go)
		pthread_cond_wait(&srv->cond, &srv->lock);
	go = !srv->start_err;
	pthread_mutex_unlock(&srv->lock);
	if (go) {
		__atomic_add_fetch(&srv->nr_alive, 1, __ATOMIC_SEQ_CST);
		ucchan_worker_loop(w);
	}
	if ((go || inited) && srv->ops.worker_exit)
		srv->ops.worker_exit(w, srv->arg);
	return NULL;
}

/* Hand every queued event to ops->disconnect; false when the fd failed. */
static bool ucchan_events_drain(struct ucchan_server *srv)
{
	struct ucchan_event ev[16];

	for (;;) {
		ssize_t n = read(srv->svc_fd, ev, sizeof(ev)), i;

		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		if (n == 0)
			return false;
		for (i = 0; i < n / (ssize_t)sizeof(ev[0]); i++)
			if (ev[i].type == UCCHAN_EV_DISCONNECT)
				srv->ops.disconnect(ev[i].client_id, srv->arg);
	}
}

/*
 * The event thread: the service file is non-blocking, so that the thread
 * drains what is queued and still notices the stop eventfd; on stop it
 * drains once more, so no event queued before destroy is lost.
 */
static void *ucchan_event_main(void *p)
{
	struct ucchan_server *srv = p;
	struct pollfd pfd[2] = {
		{ .fd = srv->svc_fd, .events = POLLIN },
		{ .fd = srv->stop_fd, .events = POLLIN },
	};

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (pfd[0].revents & (POLLERR | POLLNVAL))
			return NULL;
		if (!ucchan_events_drain(srv) || pfd[1].revents)
			return NULL;
	}
}

/* The CPUs the workers go to: the set given, else every online CPU. */
static int ucchan_server_cpus(struct ucchan_server *srv, cpu_set_t *set)
{
	char buf[256];
	ssize_t n;
	int fd;

	if (srv->cpus_set) {
		*set = srv->cpus;
		return 0;
	}
	fd = open("/sys/devices/system/cpu/online", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return ucchan__cpulist_parse(buf, set);
}

static void ucchan_server_stop(struct ucchan_server *srv);

int ucchan_server_start(struct ucchan_server *srv)
{
	unsigned int i, s, n = 0;
	sigset_t all, old;
	cpu_set_t set;
	int ret = 0;

	if (!srv || srv->started)
		return -EINVAL;
	ret = ucchan_server_cpus(srv, &set);
	if (ret)
		return ret;
	srv->workers = calloc((size_t)CPU_COUNT(&set) * srv->slots,
			      sizeof(*srv->workers));
	if (!srv->workers)
		return -ENOMEM;
	srv->started = true;
	{
		const char *t = secure_getenv("UCCHAN_TEST_BAD_WAIT");

		if (t && *t) {
			srv->test_bad_wait_cpu = atoi(t);
			t = strchr(t, ':');
			srv->test_bind_enomem = t ? (unsigned int)atoi(t + 1) : 0;
			t = t ? strchr(t + 1, ':') : NULL;
			srv->test_bind_err = t ? atoi(t + 1) : ENOMEM;
			if (srv->test_bind_err <= 0)
				srv->test_bind_err = ENOMEM;
		}
	}
	/* library threads take no signals: they go to the program's threads */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < CPU_SETSIZE; i++) {
		if (!CPU_ISSET(i, &set))
			continue;
		for (s = 0; s < srv->slots; s++) {
			struct ucchan_worker *w = &srv->workers[n];

			w->srv = srv;
			w->cpu = i;
			w->slot = s;
			w->fd = -1;
			ret = -pthread_create(&w->thread, NULL,
					      ucchan_worker_main, w);
			if (ret)
				break;
			w->thread_started = true;
			n++;
		}
		if (ret)
			break;
	}
	srv->nr_workers = n;
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	pthread_mutex_lock(&srv->lock);
	while (srv->nr_ready < n)
		pthread_cond_wait(&srv->cond, &srv->lock);
	if (ret && !srv->start_err)
		srv->start_err = ret;
	ret = srv->start_err;
	srv->go = true;
	pthread_cond_broadcast(&srv->cond);
	pthread_mutex_unlock(&srv->lock);
	if (ret)
		goto fail;

	if (srv->ops.disconnect) {
		int fl = fcntl(srv->svc_fd, F_GETFL);

		if (fl < 0 || fcntl(srv->svc_fd, F_SETFL, fl | O_NONBLOCK) < 0) {
			ret = -errno;
			goto fail;
		}
		srv->stop_fd = eventfd(0, EFD_CLOEXEC);
		if (srv->stop_fd < 0) {
			ret = -errno;
			goto fail;
		}
		pthread_sigmask(SIG_SETMASK, &all, &old);
		ret = -pthread_create(&srv->ev_thread, NULL,
				      ucchan_event_main, srv);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (ret)
			goto fail;
		srv->ev_started = true;
	}
	return 0;

fail:
	ucchan_server_stop(srv);
	return ret;
}

/* Stop every thread, close every file. The service is dead after this. */
static void ucchan_server_stop(struct ucchan_server *srv)
{
	unsigned int i;

	__atomic_store_n(&srv->stopping, 1, __ATOMIC_RELEASE);
	if (srv->ev_started) {
		uint64_t one = 1;

		if (write(srv->stop_fd, &one, sizeof(one)) == sizeof(one))
			pthread_join(srv->ev_thread, NULL);
		srv->ev_started = false;
	}
	if (srv->stop_fd >= 0) {
		close(srv->stop_fd);
		srv->stop_fd = -1;
	}
	/*
	 * The area mapping holds a reference on the service file: swap it
	 * for anonymous memory (a handler still running sees zeroes, not
	 * SIGSEGV), so that the close below kills the service.
	 */
	if (srv->regbuf)
		mmap(srv->regbuf, srv->regbuf_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (srv->svc_fd >= 0) {
		close(srv->svc_fd);
		srv->svc_fd = -1;
	}
	for (i = 0; i < srv->nr_workers; i++) {
		struct ucchan_worker *w = &srv->workers[i];

		if (w->thread_started)
			pthread_join(w->thread, NULL);
		if (w->map.base)
			munmap(w->map.base, w->map.size);
		if (w->fd >= 0)
			close(w->fd);
	}
	if (srv->regbuf)
		munmap(srv->regbuf, srv->regbuf_size);
	srv->regbuf = NULL;
	free(srv->workers);
	srv->workers = NULL;
	srv->nr_workers = 0;
}

void ucchan_server_destroy(struct ucchan_server *srv)
{
	if (!srv)
		return;
	ucchan_server_stop(srv);
	pthread_cond_destroy(&srv->cond);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
