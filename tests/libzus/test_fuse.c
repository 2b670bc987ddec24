// SPDX-License-Identifier: BSD-2-Clause
/*
 * The FUSE transport (lib/libzus/src/fuse_ll.c) without a kernel: its
 * source is compiled into this test, which stands in for libfuse's
 * request side (fuse_req_*, fuse_reply_*: the replies are kept in the
 * fake request), for the kernel mount (fuse_session_mount does nothing)
 * and for the notification calls (counted, and held at a gate to fill
 * the queue). The rest of libfuse is the real one: fuse_session_new,
 * the dirent encoders. The plugin is memfs-oh (tests/libzus/meson.build),
 * started for the FUSE transport.
 *
 * What it checks: ".." of readdir names the parent (after mkdir, lookup,
 * readdirplus and a rename into another directory); listxattr filtered
 * as zuf.ko filters it; readdirplus's lookups carry no handle; bad names
 * of mknod/create; the notifications' results (-EINVAL, -EAGAIN of a full
 * queue, -ESHUTDOWN in umount) and what reaches libfuse; memfs-oh's test
 * control, which the VM test zufs-memfs-notify relies on.
 */
#include "fuse_ll.c"

#include <linux/fuse.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "notify_hooks.h"

/* ---- libfuse's request side, faked ---------------------------------------- */

enum { R_NONE, R_ERR, R_ENTRY, R_CREATE, R_ATTR, R_OPEN, R_BUF, R_XATTR,
       R_OTHER };

struct fuse_req {
	struct zus_fuse *zf;
	struct fuse_ctx ctx;
	int kind;			/* R_*: which reply */
	int err;			/* R_ERR: fuse_reply_err's (0 or >0) */
	struct fuse_entry_param e;
	struct fuse_file_info fi;
	size_t count;			/* R_XATTR */
	char *buf;			/* R_BUF: a copy */
	size_t len;
};

void *fuse_req_userdata(fuse_req_t req)
{
	return req->zf;
}

const struct fuse_ctx *fuse_req_ctx(fuse_req_t req)
{
	return &req->ctx;
}

int fuse_req_getgroups(fuse_req_t req, int size, gid_t list[])
{
	(void)req;
	if (size > 0)
		list[0] = 0;
	return 1;
}

int fuse_reply_err(fuse_req_t req, int err)
{
	req->kind = R_ERR;
	req->err = err;
	return 0;
}

void fuse_reply_none(fuse_req_t req)
{
	req->kind = R_OTHER;
}

int fuse_reply_entry(fuse_req_t req, const struct fuse_entry_param *e)
{
	req->kind = R_ENTRY;
	req->e = *e;
	return 0;
}

int fuse_reply_create(fuse_req_t req, const struct fuse_entry_param *e,
		      const struct fuse_file_info *fi)
{
	req->kind = R_CREATE;
	req->e = *e;
	req->fi = *fi;
	return 0;
}

int fuse_reply_attr(fuse_req_t req, const struct stat *attr,
		    double attr_timeout)
{
	(void)attr_timeout;
	req->kind = R_ATTR;
	req->e.attr = *attr;
	return 0;
}

int fuse_reply_readlink(fuse_req_t req, const char *link)
{
	(void)link;
	req->kind = R_OTHER;
	return 0;
}

int fuse_reply_open(fuse_req_t req, const struct fuse_file_info *fi)
{
	req->kind = R_OPEN;
	req->fi = *fi;
	return 0;
}

int fuse_reply_write(fuse_req_t req, size_t count)
{
	req->kind = R_OTHER;
	req->count = count;
	return 0;
}

int fuse_reply_buf(fuse_req_t req, const char *buf, size_t size)
{
	req->kind = R_BUF;
	free(req->buf);
	req->buf = malloc(size ? size : 1);
	assert_non_null(req->buf);
	if (size)
		memcpy(req->buf, buf, size);
	req->len = size;
	return 0;
}

int fuse_reply_statfs(fuse_req_t req, const struct statvfs *stbuf)
{
	(void)stbuf;
	req->kind = R_OTHER;
	return 0;
}

int fuse_reply_xattr(fuse_req_t req, size_t count)
{
	req->kind = R_XATTR;
	req->count = count;
	return 0;
}

int fuse_reply_lseek(fuse_req_t req, off_t off)
{
	(void)off;
	req->kind = R_OTHER;
	return 0;
}

/* No kernel mount. */
int fuse_session_mount(struct fuse_session *se, const char *mountpoint)
{
	(void)se;
	(void)mountpoint;
	return 0;
}

void fuse_session_unmount(struct fuse_session *se)
{
	(void)se;
}

/* What reached libfuse's notification calls; closed, the gate holds them. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool closed;
	unsigned int entered, inodes, entries;
	fuse_ino_t last_ino;
	off_t last_off, last_len;
	char last_name[ZUS_NAME_MAX + 1];
} nt = { .lock = PTHREAD_MUTEX_INITIALIZER,
	  .cond = PTHREAD_COND_INITIALIZER };

static void nt_enter(void)
{
	pthread_mutex_lock(&nt.lock);
	nt.entered++;
	pthread_cond_broadcast(&nt.cond);
	while (nt.closed)
		pthread_cond_wait(&nt.cond, &nt.lock);
}

int fuse_lowlevel_notify_inval_inode(struct fuse_session *se, fuse_ino_t ino,
				     off_t off, off_t len)
{
	(void)se;
	nt_enter();
	nt.inodes++;
	nt.last_ino = ino;
	nt.last_off = off;
	nt.last_len = len;
	pthread_cond_broadcast(&nt.cond);
	pthread_mutex_unlock(&nt.lock);
	return 0;
}

int fuse_lowlevel_notify_inval_entry(struct fuse_session *se, fuse_ino_t parent,
				     const char *name, size_t namelen)
{
	(void)se;
	nt_enter();
	nt.entries++;
	nt.last_ino = parent;
	memcpy(nt.last_name, name, namelen);
	nt.last_name[namelen] = '\0';
	pthread_cond_broadcast(&nt.cond);
	pthread_mutex_unlock(&nt.lock);
	return 0;
}

/* Wait until the notification calls were entered n times in all. */
static void nt_wait_entered(unsigned int n)
{
	pthread_mutex_lock(&nt.lock);
	while (nt.entered < n)
		pthread_cond_wait(&nt.cond, &nt.lock);
	pthread_mutex_unlock(&nt.lock);
}

static void nt_gate(bool closed)
{
	pthread_mutex_lock(&nt.lock);
	nt.closed = closed;
	pthread_cond_broadcast(&nt.cond);
	pthread_mutex_unlock(&nt.lock);
}

/* ---- the fixture: memfs-oh mounted over the FUSE transport --------------- */

struct fx {
	struct zus_server srv;
	struct zus_loaded_plugin *lp;
	struct zus_fuse *zf;
	struct fuse_req req;
	zus_ino_t root;			/* the plugin's number of the root */
};

static int setup(void **state)
{
	const char *dirs[] = { getenv("ZUS_TEST_PLUGIN_DIR"), NULL };
	struct zus_fuse_conf conf = { .timeout = -1 };
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_non_null(dirs[0]);
	assert_int_equal(zus_server_init(&f->srv), 0);
	assert_int_equal(zus_plugin_load("memfs-oh", dirs, &f->lp), 0);
	assert_int_equal(zus_plugin_init(f->lp, ZUS_TRANSPORT_FUSE,
					 zus_fuse_capable()), 0);
	assert_true(f->lp->conn.want & ZUS_CAP_OPEN);
	assert_true(f->lp->conn.want & ZUS_CAP_NOTIFY);
	assert_int_equal(zus_server_add_plugin(&f->srv, f->lp), 0);
	assert_int_equal(zus_fuse_new(&f->zf, &f->srv, f->lp, &conf, ""), 0);
	assert_int_equal(zus_fuse_mount(f->zf, "/nowhere", "src", "size=16m",
					0), 0);
	f->root = f->zf->root;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	nt_gate(false);			/* a failed check may have left it */
	zus_fuse_destroy(f->zf);
	zus_server_fini(&f->srv);
	free(f->req.buf);
	free(f);
	return 0;
}

/* A fresh request from uid. */
static fuse_req_t rq(struct fx *f, uint32_t uid)
{
	char *keep = f->req.buf;

	memset(&f->req, 0, sizeof(f->req));
	f->req.buf = keep;
	f->req.zf = f->zf;
	f->req.ctx.uid = uid;
	f->req.ctx.gid = uid;
	f->req.ctx.pid = 1;
	f->req.ctx.umask = 022;
	return &f->req;
}

/* The request's result: -errno, or 0 for any other reply. */
static int res(struct fx *f)
{
	assert_int_not_equal(f->req.kind, R_NONE);
	return f->req.kind == R_ERR ? -f->req.err : 0;
}

/* mkdir name in node: its node id (and st_ino in *ino). */
static fuse_ino_t mkdir_in(struct fx *f, fuse_ino_t node, const char *name,
			   zus_ino_t *ino)
{
	ll_mkdir(rq(f, 0), node, name, 0755);
	assert_int_equal(res(f), 0);
	assert_int_equal(f->req.kind, R_ENTRY);
	if (ino)
		*ino = f->req.e.attr.st_ino;
	return f->req.e.ino;
}

static fuse_ino_t mknod_in(struct fx *f, fuse_ino_t node, const char *name)
{
	ll_mknod(rq(f, 0), node, name, S_IFREG | 0644, 0);
	assert_int_equal(res(f), 0);
	return f->req.e.ino;
}

/* The d_ino readdir (plus: readdirplus) gives name in node, or 0. */
static uint64_t dirent_ino(struct fx *f, fuse_ino_t node, const char *name,
			   bool plus)
{
	struct fuse_file_info fi;
	size_t pos = 0;
	uint64_t ino = 0;

	memset(&fi, 0, sizeof(fi));
	ll_opendir(rq(f, 0), node, &fi);
	assert_int_equal(f->req.kind, R_OPEN);
	fi = f->req.fi;
	if (plus)
		ll_readdirplus(rq(f, 0), node, 65536, 0, &fi);
	else
		ll_readdir(rq(f, 0), node, 65536, 0, &fi);
	assert_int_equal(res(f), 0);
	assert_int_equal(f->req.kind, R_BUF);
	while (!ino && pos < f->req.len) {
		const struct fuse_dirent *d;

		if (plus)
			pos += sizeof(struct fuse_entry_out);
		d = (const void *)(f->req.buf + pos);
		if (d->namelen == strlen(name) &&
		    !memcmp(d->name, name, d->namelen))
			ino = d->ino;
		pos += FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + d->namelen);
	}
	ll_releasedir(rq(f, 0), node, &fi);
	return ino;
}

/* ".." of readdir and readdirplus: the parent's inode number, which the
 * transport learns from the entry replies and from renames. */
static void dotdot(void **state)
{
	struct fx *f = *state;
	zus_ino_t a_ino, b_ino, c_ino;
	fuse_ino_t a, b, c;
	unsigned int inodes;
	size_t dirs;

	a = mkdir_in(f, FUSE_ROOT_ID, "a", &a_ino);
	b = mkdir_in(f, a, "b", &b_ino);
	c = mkdir_in(f, FUSE_ROOT_ID, "c", &c_ino);
	for (int plus = 0; plus < 2; plus++) {
		assert_int_equal(dirent_ino(f, FUSE_ROOT_ID, "..", plus),
				 f->root);
		assert_int_equal(dirent_ino(f, FUSE_ROOT_ID, ".", plus),
				 f->root);
		assert_int_equal(dirent_ino(f, a, "..", plus), f->root);
		assert_int_equal(dirent_ino(f, b, "..", plus), a_ino);
		assert_int_equal(dirent_ino(f, b, ".", plus), b_ino);
	}
	/* a rename into another directory: b's parent is c, and what the
	 * kernel cached of b's readdir is dropped before the reply */
	pthread_mutex_lock(&nt.lock);
	inodes = nt.inodes;
	pthread_mutex_unlock(&nt.lock);
	ll_rename(rq(f, 0), a, "b", c, "b2", 0);
	assert_int_equal(res(f), 0);
	assert_int_equal(nt.inodes, inodes + 1);
	assert_int_equal(nt.last_ino, b);
	assert_int_equal(nt.last_off, 0);
	assert_int_equal(dirent_ino(f, b, "..", false), c_ino);
	/* an exchange across directories moves both */
	mkdir_in(f, a, "x", NULL);
	ll_rename(rq(f, 0), c, "b2", a, "x", ZUS_RENAME_EXCHANGE);
	assert_int_equal(res(f), 0);
	assert_int_equal(dirent_ino(f, b, "..", false), a_ino);
	/* a lookup tells it too; forgetting every lookup drops b */
	ll_lookup(rq(f, 0), a, "x");
	assert_int_equal(res(f), 0);
	assert_int_equal(f->req.e.ino, b);
	dirs = f->zf->nr_dirs;
	/* b: mkdir, readdirplus (of a), this lookup; the renames' own
	 * lookups are not the kernel's */
	ll_forget(rq(f, 0), b, 2);
	assert_int_equal(f->zf->nr_dirs, dirs);
	ll_forget(rq(f, 0), b, 1);
	assert_int_equal(f->zf->nr_dirs, dirs - 1);
}

/* listxattr into a buffer of size (0: the length): -errno or the length,
 * the list in f->req.buf. */
static ssize_t list(struct fx *f, fuse_ino_t node, uint32_t uid, size_t size)
{
	ll_listxattr(rq(f, uid), node, size);
	if (f->req.kind == R_ERR)
		return -f->req.err;
	if (!size) {
		assert_int_equal(f->req.kind, R_XATTR);
		return (ssize_t)f->req.count;
	}
	assert_int_equal(f->req.kind, R_BUF);
	return (ssize_t)f->req.len;
}

/* As zuf.ko's zuf_filter_list: trusted.* to uid 0 only, the ACL names
 * only with ACLs; a size query answers the plugin's whole length. */
static void listxattr_filter(void **state)
{
	static const char acl[] = { 2, 0, 0, 0, 1, 0, 6, 0, 0xff, 0xff, 0xff,
				    0xff };
	struct fx *f = *state;
	struct zus_ctx ctx;
	fuse_ino_t node = mknod_in(f, FUSE_ROOT_ID, "xf");
	zus_ino_t ino = zf_ino(f->zf, node);
	size_t all;

	ll_setxattr(rq(f, 0), node, "user.a", "1", 1, 0);
	assert_int_equal(res(f), 0);
	ll_setxattr(rq(f, 0), node, "trusted.t", "2", 1, 0);
	assert_int_equal(res(f), 0);
	/* an ACL the plugin keeps (say from a mount with ACLs) */
	assert_false(f->zf->acl);
	zus_ctx_init(&ctx, f->zf->si, 0, 0, 1);
	assert_int_equal(f->zf->ops->setxattr(&ctx, ino, ZF_ACL_NAME_ACCESS,
					      acl, sizeof(acl), 0), 0);
	all = sizeof("user.a") + sizeof("trusted.t") +
	      sizeof(ZF_ACL_NAME_ACCESS);
	assert_int_equal(list(f, node, 1000, 0), all);
	assert_int_equal(list(f, node, 1000, 4096), sizeof("user.a"));
	assert_memory_equal(f->req.buf, "user.a", sizeof("user.a"));
	assert_int_equal(list(f, node, 0, 4096),
			 sizeof("user.a") + sizeof("trusted.t"));
	assert_non_null(memmem(f->req.buf, f->req.len, "trusted.t",
			       sizeof("trusted.t")));
	assert_null(memmem(f->req.buf, f->req.len, "system.", 7));
	/* the filtered list fits where the whole one would not */
	assert_int_equal(list(f, node, 1000, sizeof("user.a")),
			 sizeof("user.a"));
	assert_int_equal(list(f, node, 1000, sizeof("user.a") - 1), -ERANGE);
	f->zf->acl = true;
	assert_int_equal(list(f, node, 0, 4096), all);
	assert_int_equal(list(f, node, 1000, 4096),
			 sizeof("user.a") + sizeof(ZF_ACL_NAME_ACCESS));
	f->zf->acl = false;
}

/* memfs-oh's counter name (trusted.memfs_oh.stats), through getxattr. */
static unsigned long long oh_stat(struct fx *f, const char *name)
{
	char key[32], text[512];
	const char *p;

	ll_getxattr(rq(f, 0), FUSE_ROOT_ID, "trusted.memfs_oh.stats", 4096);
	assert_int_equal(f->req.kind, R_BUF);
	assert_true(f->req.len < sizeof(text));
	memcpy(text, f->req.buf, f->req.len);
	text[f->req.len] = '\0';
	snprintf(key, sizeof(key), "%s=", name);
	p = strstr(text, key);
	assert_non_null(p);
	return strtoull(p + strlen(key), NULL, 10);
}

/* readdirplus with a directory's handle: its per-entry lookups carry no
 * handle (memfs-oh counts a lookup with one as a wrong handle). */
static void readdirplus_handles(void **state)
{
	struct fx *f = *state;
	struct fuse_file_info fi;

	mkdir_in(f, FUSE_ROOT_ID, "d", NULL);
	mknod_in(f, FUSE_ROOT_ID, "f");
	memset(&fi, 0, sizeof(fi));
	ll_opendir(rq(f, 0), FUSE_ROOT_ID, &fi);
	assert_int_equal(f->req.kind, R_OPEN);
	fi = f->req.fi;
	assert_int_not_equal(fi.fh, 0);
	ll_readdirplus(rq(f, 0), FUSE_ROOT_ID, 65536, 0, &fi);
	assert_int_equal(f->req.kind, R_BUF);
	ll_readdir(rq(f, 0), FUSE_ROOT_ID, 65536, 0, &fi);
	assert_int_equal(f->req.kind, R_BUF);
	ll_releasedir(rq(f, 0), FUSE_ROOT_ID, &fi);
	assert_int_equal(oh_stat(f, "opendir"), 1);
	assert_int_equal(oh_stat(f, "releasedir"), 1);
	assert_int_equal(oh_stat(f, "bad"), 0);
}

/* mknod and create: a name too long is ENAMETOOLONG, as for every op. */
static void bad_names(void **state)
{
	struct fx *f = *state;
	struct fuse_file_info fi;
	char longname[ZUS_NAME_MAX + 2];
	fuse_ino_t node;

	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memset(&fi, 0, sizeof(fi));
	fi.flags = O_RDWR | O_CREAT;
	ll_mknod(rq(f, 0), FUSE_ROOT_ID, longname, S_IFREG | 0644, 0);
	assert_int_equal(res(f), -ENAMETOOLONG);
	ll_create(rq(f, 0), FUSE_ROOT_ID, longname, S_IFREG | 0644, &fi);
	assert_int_equal(res(f), -ENAMETOOLONG);
	ll_mkdir(rq(f, 0), FUSE_ROOT_ID, longname, 0755);
	assert_int_equal(res(f), -ENAMETOOLONG);
	ll_mknod(rq(f, 0), FUSE_ROOT_ID, "a/b", S_IFREG | 0644, 0);
	assert_int_equal(res(f), -EINVAL);
	ll_create(rq(f, 0), FUSE_ROOT_ID, "a/b", S_IFREG | 0644, &fi);
	assert_int_equal(res(f), -EINVAL);
	ll_mknod(rq(f, 0), FUSE_ROOT_ID, "d", S_IFDIR | 0755, 0);
	assert_int_equal(res(f), -EINVAL);
	/* the name at the limit works, through create (and its open) */
	longname[ZUS_NAME_MAX] = '\0';
	ll_create(rq(f, 0), FUSE_ROOT_ID, longname, S_IFREG | 0644, &fi);
	assert_int_equal(f->req.kind, R_CREATE);
	fi = f->req.fi;
	node = f->req.e.ino;
	ll_release(rq(f, 0), node, &fi);
	assert_int_equal(oh_stat(f, "create"), 1);
	assert_int_equal(oh_stat(f, "live"), 0);
}

/* A plugin with ZUS_CAP_OPEN but no create: ll_create makes the file with
 * mknod and opens it with open (one lookup, one handle, as create). */
static void create_by_mknod_open(void **state)
{
	struct fx *f = *state;
	int (*create)(const struct zus_ctx *, zus_ino_t, const char *, size_t,
		      const struct zus_new_inode *, unsigned int,
		      struct zus_attr *, struct zus_open_out *);
	struct fuse_file_info fi;
	fuse_ino_t node;

	create = f->lp->ops.create;
	f->lp->ops.create = NULL;
	memset(&fi, 0, sizeof(fi));
	fi.flags = O_WRONLY | O_CREAT | ZUS_KERNEL_O_LARGEFILE;
	ll_create(rq(f, 0), FUSE_ROOT_ID, "mo", S_IFREG | 0640, &fi);
	f->lp->ops.create = create;
	assert_int_equal(f->req.kind, R_CREATE);
	assert_int_not_equal(f->req.fi.fh, 0);
	assert_int_equal(f->req.e.attr.st_mode, S_IFREG | 0640);
	fi = f->req.fi;
	node = f->req.e.ino;
	assert_int_equal(oh_stat(f, "create"), 0);
	assert_int_equal(oh_stat(f, "open"), 1);
	assert_int_equal(oh_stat(f, "live"), 1);
	ll_flush(rq(f, 0), node, &fi);
	assert_int_equal(res(f), 0);
	ll_release(rq(f, 0), node, &fi);
	assert_int_equal(oh_stat(f, "flush"), 1);
	assert_int_equal(oh_stat(f, "live"), 0);
	assert_int_equal(oh_stat(f, "bad"), 0);
}

/* The notifications' results, as on zufs (test_dispatch.c
 * notifications): -EINVAL, 0 for queued, -EAGAIN for a full queue,
 * -ESHUTDOWN from umount on; libfuse gets node ids (the root is 1). */
static void notifications(void **state)
{
	struct fx *f = *state;
	struct zus_sb *sb = &f->zf->si->sb;
	const struct zus_host *h = sb->host;
	unsigned int k;

	assert_int_equal(h->notify_inval_inode(sb, 5, -1, 7), -EINVAL);
	assert_int_equal(h->notify_inval_inode(sb, 0, 0, 0), -EINVAL);
	assert_int_equal(h->notify_inval_inode(sb, 5, 0, -1), -EINVAL);
	assert_int_equal(h->notify_inval_entry(sb, 5, "a/b", 3), -EINVAL);
	assert_int_equal(h->notify_inval_entry(sb, 5, "..", 2), -EINVAL);

	/* through to libfuse, the root as node 1 */
	memset(&nt.entered, 0, sizeof(nt) - offsetof(typeof(nt), entered));
	assert_int_equal(h->notify_inval_inode(sb, f->root, 4096, 10), 0);
	nt_wait_entered(1);
	assert_int_equal(h->notify_inval_entry(sb, f->root, "name", 4), 0);
	nt_wait_entered(2);
	pthread_mutex_lock(&nt.lock);
	while (nt.entries < 1)
		pthread_cond_wait(&nt.cond, &nt.lock);
	assert_int_equal(nt.inodes, 1);
	assert_int_equal(nt.last_ino, FUSE_ROOT_ID);
	assert_string_equal(nt.last_name, "name");
	pthread_mutex_unlock(&nt.lock);

	/* held at the gate: one taken, ZF_NOTIFY_MAX queued, then full */
	nt_gate(true);
	assert_int_equal(h->notify_inval_inode(sb, 5, -1, 0), 0);
	nt_wait_entered(3);
	for (k = 0; k < ZF_NOTIFY_MAX; k++)
		assert_int_equal(h->notify_inval_inode(sb, 5, -1, 0), 0);
	assert_int_equal(h->notify_inval_inode(sb, 5, -1, 0), -EAGAIN);
	assert_int_equal(h->notify_inval_entry(sb, 5, "x", 1), -EAGAIN);
	nt_gate(false);
	nt_wait_entered(3 + ZF_NOTIFY_MAX);
	assert_int_equal(h->notify_inval_inode(sb, 5, -1, 0), 0);

	/* in umount (zus_fuse_destroy): -ESHUTDOWN */
	real_umount = f->lp->ops.umount;
	f->lp->ops.umount = umount_notifying;
	umount_inval_inode = umount_inval_entry = 1;
	zus_fuse_destroy(f->zf);
	f->zf = NULL;
	f->lp->ops.umount = real_umount;
	assert_int_equal(umount_inval_inode, -ESHUTDOWN);
	assert_int_equal(umount_inval_entry, -ESHUTDOWN);

	/* inside the plugin's mount: 0, nothing queued (as on zufs) */
	{
		struct zus_fuse_conf conf = { .timeout = -1 };

		memset(&nt.entered, 0,
		       sizeof(nt) - offsetof(typeof(nt), entered));
		real_mount = f->lp->ops.mount;
		f->lp->ops.mount = mount_notifying;
		mount_inval_inode = mount_inval_entry = 1;
		assert_int_equal(zus_fuse_new(&f->zf, &f->srv, f->lp, &conf,
					      ""), 0);
		assert_int_equal(zus_fuse_mount(f->zf, "/nowhere", "src", "",
						0), 0);
		f->lp->ops.mount = real_mount;
		assert_int_equal(mount_inval_inode, 0);
		assert_int_equal(mount_inval_entry, 0);
		sb = &f->zf->si->sb;
		/* in order: had mount's been queued, they came first */
		assert_int_equal(h->notify_inval_entry(sb, f->zf->root,
						       "after", 5), 0);
		pthread_mutex_lock(&nt.lock);
		while (nt.entries < 1)
			pthread_cond_wait(&nt.cond, &nt.lock);
		assert_int_equal(nt.inodes, 0);
		assert_int_equal(nt.entries, 1);
		assert_string_equal(nt.last_name, "after");
		pthread_mutex_unlock(&nt.lock);
	}
}

/* memfs-oh's test control (what the VM test zufs-memfs-notify drives):
 * changes behind the kernel, and notifications that reach libfuse. */
static char ctl_cmd[256];

static int ctl_send(struct fx *f)
{
	ll_setxattr(rq(f, 0), FUSE_ROOT_ID, "trusted.memfs_oh.ctl", ctl_cmd,
		    strlen(ctl_cmd), 0);
	return res(f);
}

#define ctl(f, ...) \
	(snprintf(ctl_cmd, sizeof(ctl_cmd), __VA_ARGS__), ctl_send(f))

static void oh_control(void **state)
{
	struct fx *f = *state;
	fuse_ino_t node = mknod_in(f, FUSE_ROOT_ID, "f");
	zus_ino_t ino = zf_ino(f->zf, node);
	unsigned int entries;

	assert_int_equal(ctl(f, "data %llu hello", (unsigned long long)ino), 0);
	ll_getattr(rq(f, 0), node, NULL);
	assert_int_equal(f->req.kind, R_ATTR);
	assert_int_equal(f->req.e.attr.st_size, 5);
	assert_int_equal(ctl(f, "mode %llu 600", (unsigned long long)ino), 0);
	ll_getattr(rq(f, 0), node, NULL);
	assert_int_equal(f->req.e.attr.st_mode & 07777, 0600);
	assert_int_equal(ctl(f, "rename %llu f g",
			     (unsigned long long)f->root), 0);
	ll_lookup(rq(f, 0), FUSE_ROOT_ID, "g");
	assert_int_equal(f->req.e.ino, node);
	ll_lookup(rq(f, 0), FUSE_ROOT_ID, "f");
	assert_int_equal(f->req.e.ino, 0);		/* a negative entry */
	assert_int_equal(ctl(f, "inval-inode %llu -1 5",
			     (unsigned long long)ino), -EINVAL);
	assert_int_equal(ctl(f, "bogus"), -EINVAL);
	pthread_mutex_lock(&nt.lock);
	entries = nt.entries;
	pthread_mutex_unlock(&nt.lock);
	assert_int_equal(ctl(f, "inval-entry %llu g",
			     (unsigned long long)f->root), 0);
	pthread_mutex_lock(&nt.lock);
	while (nt.entries == entries)
		pthread_cond_wait(&nt.cond, &nt.lock);
	assert_int_equal(nt.last_ino, FUSE_ROOT_ID);
	assert_string_equal(nt.last_name, "g");
	pthread_mutex_unlock(&nt.lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(dotdot),
		T(listxattr_filter),
		T(readdirplus_handles),
		T(bad_names),
		T(create_by_mknod_open),
		T(notifications),
		T(oh_control),
#undef T
	};

	zus_log_level = ZUS_LOG_ERR - 1;	/* quiet: errors are expected */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
