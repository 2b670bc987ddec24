// SPDX-License-Identifier: BSD-2-Clause
/*
 * sqlproxyd Unix stream socket transport: the same messages as over
 * ucchan, header then body on the stream. One thread and one session per
 * connection; a malformed header closes the connection (the stream cannot
 * be resynchronised) after an error reply, a malformed body only fails
 * that request.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include "sqlproxyd_i.h"

struct sqlp_unix {
	struct sqlp_engine *e;
	int lfd;
	char *path;
	pthread_t acceptor;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned int nconns;
	bool stopping;
	uint64_t next_key;
};

struct uconn {
	struct sqlp_unix *u;
	int fd;
	uint64_t key;
};

static int read_full(int fd, void *p, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, (char *)p + got, n - got);
		if (r == 0)
			return got ? -EPIPE : -ECONNRESET;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)r;
	}
	return 0;
}

static int write_reply(int fd, const struct sqlp_reply_hdr *rep,
		       const void *res)
{
	struct iovec iov[2] = {
		{ (void *)rep, sizeof(*rep) },
		{ (void *)res, rep->status == -EMSGSIZE ? 0 : rep->result_len },
	};
	size_t left = iov[0].iov_len + iov[1].iov_len;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t r;

	while (left) {
		r = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		left -= (size_t)r;
		while (r && mh.msg_iovlen) {
			size_t k = (size_t)r < mh.msg_iov->iov_len ?
				   (size_t)r : mh.msg_iov->iov_len;

			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + k;
			mh.msg_iov->iov_len -= k;
			r -= (ssize_t)k;
			if (!mh.msg_iov->iov_len) {
				mh.msg_iov++;
				mh.msg_iovlen--;
			}
		}
	}
	return 0;
}

static void *conn_main(void *arg)
{
	struct uconn *c = arg;
	struct sqlp_unix *u = c->u;
	struct sqlp_wctx w = { 0 };
	struct sqlp_req_hdr h;
	struct sqlp_reply_hdr rep;
	void *body = NULL, *res = NULL;
	size_t body_cap = 0, res_cap = 0;
	char errbuf[128];
	int ret;

	for (;;) {
		ret = read_full(c->fd, &h, sizeof(h));
		if (ret)
			break;
		ret = sqlp_req_check(&h);
		if (ret) {
			sqlp_reply_error(&rep, errbuf, sizeof(errbuf), ret,
					 "bad request header; closing");
			write_reply(c->fd, &rep, errbuf);
			break;
		}
		if (h.body_len > body_cap) {
			void *p = realloc(body, h.body_len);

			if (!p)
				break;
			body = p;
			body_cap = h.body_len;
		}
		if (h.result_cap > res_cap) {
			void *p = realloc(res, h.result_cap);

			if (!p)
				break;
			res = p;
			res_cap = h.result_cap;
		}
		if (read_full(c->fd, body, h.body_len))
			break;
		sqlp_engine_call(u->e, &w, c->key, &h, body, res, h.result_cap,
				 &rep);
		if (write_reply(c->fd, &rep, res))
			break;
	}
	sqlp_engine_disconnect(u->e, c->key);
	sqlp_wctx_release(u->e, &w);
	close(c->fd);
	free(body);
	free(res);
	free(c);
	pthread_mutex_lock(&u->lock);
	if (!--u->nconns)
		pthread_cond_broadcast(&u->idle);
	pthread_mutex_unlock(&u->lock);
	return NULL;
}

static void *accept_main(void *arg)
{
	struct sqlp_unix *u = arg;
	pthread_attr_t attr;
	struct uconn *c;
	pthread_t t;
	int fd;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		fd = accept4(u->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EMFILE || errno == ENFILE)
				continue;
			break;	/* listener shut down */
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->u = u;
		c->fd = fd;
		pthread_mutex_lock(&u->lock);
		if (u->stopping) {
			pthread_mutex_unlock(&u->lock);
			close(fd);
			free(c);
			break;
		}
		/* keys with the top bit set never collide with ucchan ids */
		c->key = (1ull << 63) | ++u->next_key;
		u->nconns++;
		pthread_mutex_unlock(&u->lock);
		if (pthread_create(&t, &attr, conn_main, c)) {
			pthread_mutex_lock(&u->lock);
			u->nconns--;
			pthread_mutex_unlock(&u->lock);
			close(fd);
			free(c);
		}
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

int sqlp_unix_start(struct sqlp_unix **up, struct sqlp_engine *e,
		    const char *path, unsigned int mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sqlp_unix *u;
	int ret;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->e = e;
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->idle, NULL);
	u->path = strdup(path);
	u->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (u->lfd < 0 || !u->path) {
		ret = u->lfd < 0 ? -errno : -ENOMEM;
		goto fail;
	}
	/* a stale socket from a dead server: replace it; a live one: EADDRINUSE */
	if (connect(u->lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		ret = -EADDRINUSE;
		goto fail;
	}
	close(u->lfd);
	u->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(path);
	if (u->lfd < 0 || bind(u->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(path, mode) || listen(u->lfd, 128)) {
		ret = -errno;
		goto fail;
	}
	ret = -pthread_create(&u->acceptor, NULL, accept_main, u);
	if (ret)
		goto fail;
	*up = u;
	return 0;
fail:
	if (u->lfd >= 0)
		close(u->lfd);
	free(u->path);
	free(u);
	return ret;
}

void sqlp_unix_stop(struct sqlp_unix *u)
{
	if (!u)
		return;
	pthread_mutex_lock(&u->lock);
	u->stopping = true;
	pthread_mutex_unlock(&u->lock);
	shutdown(u->lfd, SHUT_RDWR);
	pthread_join(u->acceptor, NULL);
	close(u->lfd);
	unlink(u->path);
	/*
	 * Connection threads end when their clients go; the daemon exits
	 * right after this, which drops them (and rolls back their work);
	 * u stays while any of them runs.
	 */
	pthread_mutex_lock(&u->lock);
	if (u->nconns) {
		pthread_mutex_unlock(&u->lock);
		return;
	}
	pthread_mutex_unlock(&u->lock);
	free(u->path);
	free(u);
}
