// SPDX-License-Identifier: BSD-2-Clause
/*
 * zufs-testsrv - a small zufs protocol server for testing zuf.ko on its
 * own: one in-memory file system, every request checked against
 * <linux/zufs.h>, and "evil" modes in which it lies to the kernel the
 * way a broken or hostile server could.
 *
 *   zufs-testsrv SERVICE [EVIL]
 *
 * EVIL (optional): readdir-slash, readdir-dot, readdir-overrun,
 * read-overcount, lookup-ino0, lookup-self, lookup-dirtwice, attr-mode,
 * getattr-stall, write-overcount, status-positive, reply-short.
 * Prints "ready" on stdout once the service exists; runs until killed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libucchan.h>
#include <linux/zufs.h>

#define NR_INODES	4096
#define MAX_ENTRIES	512

struct dent {
	char name[ZUFS_NAME_MAX + 1];
	uint64_t ino;
	uint64_t cookie;
};

struct node {
	bool used;
	struct zufs_attr a;
	char *data;		/* regular file data / symlink target */
	size_t cap;
	struct dent *ents;	/* directory */
	unsigned int nents;
	uint64_t next_cookie;
	uint64_t nlookup;
};

static struct node nodes[NR_INODES];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *evil = "";
static uint64_t gen_counter = 1;

static bool is_evil(const char *m)
{
	return !strcmp(evil, m);
}

static void now(__u64 *sec, __u32 *nsec)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	*sec = ts.tv_sec;
	*nsec = ts.tv_nsec;
}

static void touch_mc(struct node *n)
{
	now(&n->a.mtime, &n->a.mtimensec);
	n->a.ctime = n->a.mtime;
	n->a.ctimensec = n->a.mtimensec;
}

static struct node *get(uint64_t ino)
{
	if (!ino || ino >= NR_INODES || !nodes[ino].used)
		return NULL;
	return &nodes[ino];
}

static uint64_t new_node(const struct zufs_new_inode *ni)
{
	uint64_t i;

	for (i = 2; i < NR_INODES; i++) {
		struct node *n = &nodes[i];

		if (n->used)
			continue;
		memset(n, 0, sizeof(*n));
		n->used = true;
		n->a.ino = i;
		n->a.generation = gen_counter++;
		n->a.mode = ni->mode;
		n->a.uid = ni->uid;
		n->a.gid = ni->gid;
		n->a.rdev_major = ni->rdev_major;
		n->a.rdev_minor = ni->rdev_minor;
		n->a.nlink = S_ISDIR(ni->mode) ? 2 : 1;
		n->a.blksize = 4096;
		n->next_cookie = ZUFS_DIR_COOKIE_FIRST;
		now(&n->a.atime, &n->a.atimensec);
		touch_mc(n);
		return i;
	}
	return 0;
}

static void maybe_free(struct node *n)
{
	if (n->a.nlink || n->nlookup)
		return;
	free(n->data);
	free(n->ents);
	n->used = false;
}

static struct dent *find(struct node *d, const char *name)
{
	unsigned int i;

	for (i = 0; i < d->nents; i++)
		if (!strcmp(d->ents[i].name, name))
			return &d->ents[i];
	return NULL;
}

static int add(struct node *d, const char *name, uint64_t ino)
{
	struct dent *e;

	if (d->nents == MAX_ENTRIES)
		return -ENOSPC;
	if (!d->ents) {
		d->ents = calloc(MAX_ENTRIES, sizeof(*d->ents));
		if (!d->ents)
			return -ENOMEM;
	}
	e = &d->ents[d->nents++];
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->ino = ino;
	e->cookie = d->next_cookie++;
	touch_mc(d);
	return 0;
}

static void del(struct node *d, struct dent *e)
{
	/* keep cookie order: shift */
	memmove(e, e + 1, (d->ents + d->nents - e - 1) * sizeof(*e));
	d->nents--;
	touch_mc(d);
}

static int entry_reply(uint64_t ino, void *reply, size_t *rlen)
{
	struct zufs_entry_out *out = reply;

	nodes[ino].nlookup++;
	memset(out, 0, sizeof(*out));
	out->attr = nodes[ino].a;
	*rlen = sizeof(*out);
	return 0;
}

static int ensure(struct node *n, size_t size)
{
	char *p;

	if (size <= n->cap)
		return 0;
	p = realloc(n->data, size);
	if (!p)
		return -ENOSPC;
	memset(p + n->cap, 0, size - n->cap);
	n->data = p;
	n->cap = size;
	return 0;
}

static int32_t serve(struct ucchan_req *req, size_t *rlen)
{
	const struct zufs_in_header *h = req->data;
	const char *body = (const char *)(h + 1);
	struct node *n, *d;
	struct dent *e;
	uint64_t ino;
	int err;

	*rlen = 0;
	if (req->len < sizeof(*h) || h->len != req->len)
		return -EPROTO;
	if (h->opcode == ZUFS_OP_INIT) {
		const struct zufs_init_in *in = (const void *)body;
		struct zufs_init_out *out = req->reply;
		struct zufs_new_inode ni = { .mode = S_IFDIR | 0755 };

		if (in->major != ZUFS_KERNEL_VERSION)
			return -EPROTONOSUPPORT;
		if (strcmp(in->fs_name, "testfs"))
			return -ENODEV;
		if (in->options_len)	/* no options known */
			return -EINVAL;
		memset(nodes, 0, sizeof(nodes));
		nodes[1].used = true;
		nodes[1].a.ino = 1;
		nodes[1].a.mode = ni.mode;
		nodes[1].a.nlink = 2;
		nodes[1].a.generation = 1;
		nodes[1].next_cookie = ZUFS_DIR_COOKIE_FIRST;
		memset(out, 0, sizeof(*out));
		out->major = ZUFS_KERNEL_VERSION;
		out->minor = ZUFS_KERNEL_MINOR_VERSION;
		out->caps = ZUFS_CAP_MMAP;
		out->sb_id = 42;
		out->root = nodes[1].a;
		*rlen = sizeof(*out);
		return 0;
	}
	if (h->sb_id != 42)
		return -EINVAL;
	if (is_evil("status-positive"))
		return 5;
	n = get(h->ino);
	switch (h->opcode) {
	case ZUFS_OP_DESTROY:
	case ZUFS_OP_SYNC_FS:
	case ZUFS_OP_FSYNC:
		return 0;
	case ZUFS_OP_STATFS: {
		struct zufs_statfs_out *out = req->reply;

		memset(out, 0, sizeof(*out));
		out->blocks = 1000;
		out->bfree = out->bavail = 500;
		out->files = NR_INODES;
		out->ffree = 100;
		out->bsize = 4096;
		*rlen = sizeof(*out);
		return 0;
	}
	case ZUFS_OP_FORGET: {
		const struct zufs_forget_in *in = (const void *)body;

		if (!n || in->nlookup > n->nlookup)
			return -EINVAL;
		n->nlookup -= in->nlookup;
		maybe_free(n);
		return 0;
	}
	case ZUFS_OP_GETATTR:
		if (!n)
			return -ENOENT;
		if (is_evil("getattr-stall"))
			pause();
		if (is_evil("attr-mode")) {
			struct zufs_entry_out *out = req->reply;

			memset(out, 0, sizeof(*out));
			out->attr = n->a;
			out->attr.mode = 0170777;
			*rlen = sizeof(*out);
			return 0;
		}
		memset(req->reply, 0, sizeof(struct zufs_entry_out));
		((struct zufs_entry_out *)req->reply)->attr = n->a;
		*rlen = is_evil("reply-short") ? 8 : sizeof(struct zufs_entry_out);
		return 0;
	case ZUFS_OP_SETATTR: {
		const struct zufs_setattr_in *in = (const void *)body;

		if (!n)
			return -ENOENT;
		if (in->valid & ZUFS_SET_MODE)
			n->a.mode = (n->a.mode & S_IFMT) | (in->mode & 07777);
		if (in->valid & ZUFS_SET_UID)
			n->a.uid = in->uid;
		if (in->valid & ZUFS_SET_GID)
			n->a.gid = in->gid;
		if (in->valid & ZUFS_SET_SIZE) {
			if (!S_ISREG(n->a.mode))
				return -EISDIR;
			err = ensure(n, in->size);
			if (err)
				return err;
			if (in->size < n->a.size)
				memset(n->data + in->size, 0, n->cap - in->size);
			n->a.size = in->size;
			touch_mc(n);
		}
		if (in->valid & ZUFS_SET_ATIME) {
			n->a.atime = in->atime;
			n->a.atimensec = in->atimensec;
		}
		if (in->valid & ZUFS_SET_MTIME) {
			n->a.mtime = in->mtime;
			n->a.mtimensec = in->mtimensec;
		}
		if (in->valid & ZUFS_SET_CTIME) {
			n->a.ctime = in->ctime;
			n->a.ctimensec = in->ctimensec;
		}
		memset(req->reply, 0, sizeof(struct zufs_entry_out));
		((struct zufs_entry_out *)req->reply)->attr = n->a;
		*rlen = sizeof(struct zufs_entry_out);
		return 0;
	}
	case ZUFS_OP_LOOKUP: {
		const struct zufs_name_in *in = (const void *)body;
		const char *name = (const char *)(in + 1);

		if (!n || !S_ISDIR(n->a.mode))
			return -ENOTDIR;
		if (strlen(name) != in->namelen)
			return -EINVAL;
		e = find(n, name);
		if (!e)
			return -ENOENT;
		err = entry_reply(e->ino, req->reply, rlen);
		if (is_evil("lookup-ino0"))
			((struct zufs_entry_out *)req->reply)->attr.ino = 0;
		if (is_evil("lookup-self"))
			((struct zufs_entry_out *)req->reply)->attr = n->a;
		if (is_evil("lookup-dirtwice") && strcmp(name, "a")) {
			e = find(n, "a");
			if (e)
				((struct zufs_entry_out *)req->reply)->attr =
					nodes[e->ino].a;
		}
		return err;
	}
	case ZUFS_OP_MKNOD:
	case ZUFS_OP_MKDIR: {
		const struct zufs_create_in *in = (const void *)body;
		const char *name = (const char *)(in + 1);

		if (!n || !S_ISDIR(n->a.mode))
			return -ENOTDIR;
		if (find(n, name))
			return -EEXIST;
		ino = new_node(&in->ni);
		if (!ino)
			return -ENOSPC;
		err = add(n, name, ino);
		if (err)
			return err;
		if (S_ISDIR(in->ni.mode))
			n->a.nlink++;
		return entry_reply(ino, req->reply, rlen);
	}
	case ZUFS_OP_SYMLINK: {
		const struct zufs_symlink_in *in = (const void *)body;
		const char *name = (const char *)(in + 1);

		if (!n || !S_ISDIR(n->a.mode))
			return -ENOTDIR;
		if (req->nr_bufs != 1 || req->bufs[0].len != in->targetlen)
			return -EINVAL;
		if (find(n, name))
			return -EEXIST;
		ino = new_node(&in->ni);
		if (!ino)
			return -ENOSPC;
		d = &nodes[ino];
		d->data = malloc(in->targetlen);
		memcpy(d->data, req->bufs[0].addr, in->targetlen);
		d->a.size = in->targetlen;
		err = add(n, name, ino);
		if (err)
			return err;
		return entry_reply(ino, req->reply, rlen);
	}
	case ZUFS_OP_READLINK: {
		struct zufs_readlink_out *out = req->reply;

		if (!n || !S_ISLNK(n->a.mode))
			return -EINVAL;
		if (req->nr_bufs != 1 || req->bufs[0].len < n->a.size)
			return -ERANGE;
		memcpy(req->bufs[0].addr, n->data, n->a.size);
		memset(out, 0, sizeof(*out));
		out->len = n->a.size;
		*rlen = sizeof(*out);
		return 0;
	}
	case ZUFS_OP_LINK: {
		const struct zufs_link_in *in = (const void *)body;
		const char *name = (const char *)(in + 1);
		struct node *t = get(in->ino);

		if (!n || !t)
			return -ENOENT;
		if (S_ISDIR(t->a.mode))
			return -EPERM;
		if (find(n, name))
			return -EEXIST;
		err = add(n, name, in->ino);
		if (err)
			return err;
		t->a.nlink++;
		touch_mc(t);
		t->a.mtime = t->a.mtime;
		return entry_reply(in->ino, req->reply, rlen);
	}
	case ZUFS_OP_UNLINK:
	case ZUFS_OP_RMDIR: {
		const struct zufs_name_in *in = (const void *)body;
		const char *name = (const char *)(in + 1);
		struct node *t;

		if (!n)
			return -ENOENT;
		e = find(n, name);
		if (!e)
			return -ENOENT;
		t = &nodes[e->ino];
		if (h->opcode == ZUFS_OP_RMDIR) {
			if (!S_ISDIR(t->a.mode))
				return -ENOTDIR;
			if (t->nents)
				return -ENOTEMPTY;
			t->a.nlink = 0;
			n->a.nlink--;
		} else {
			if (S_ISDIR(t->a.mode))
				return -EISDIR;
			t->a.nlink--;
		}
		touch_mc(t);
		del(n, e);
		maybe_free(t);
		return 0;
	}
	case ZUFS_OP_RENAME: {
		const struct zufs_rename_in *in = (const void *)body;
		const char *oldname = (const char *)(in + 1);
		const char *newname = oldname + in->oldlen + 1;
		struct node *nd = get(in->newdir);
		struct dent *ne;
		uint64_t moved;

		if (!n || !nd)
			return -ENOENT;
		if (in->flags & ~ZUFS_RENAME_NOREPLACE)
			return -EINVAL;
		e = find(n, oldname);
		if (!e)
			return -ENOENT;
		moved = e->ino;
		ne = find(nd, newname);
		if (ne) {
			struct node *t = &nodes[ne->ino];

			if (in->flags & ZUFS_RENAME_NOREPLACE)
				return -EEXIST;
			if (S_ISDIR(t->a.mode) != S_ISDIR(nodes[moved].a.mode))
				return S_ISDIR(t->a.mode) ? -EISDIR : -ENOTDIR;
			if (S_ISDIR(t->a.mode) && t->nents)
				return -ENOTEMPTY;
			if (S_ISDIR(t->a.mode)) {
				t->a.nlink = 0;
				nd->a.nlink--;
			} else {
				t->a.nlink--;
			}
			del(nd, ne);
			maybe_free(t);
			e = find(n, oldname);
		}
		del(n, e);
		err = add(nd, newname, moved);
		if (err)
			return err;
		if (S_ISDIR(nodes[moved].a.mode) && n != nd) {
			n->a.nlink--;
			nd->a.nlink++;
		}
		touch_mc(&nodes[moved]);
		return 0;
	}
	case ZUFS_OP_READDIR: {
		const struct zufs_readdir_in *in = (const void *)body;
		struct zufs_readdir_out *out = req->reply;
		char *buf = req->nr_bufs ? req->bufs[0].addr : NULL;
		size_t cap = req->nr_bufs ? req->bufs[0].len : 0, pos = 0;
		unsigned int i;

		if (!n || !S_ISDIR(n->a.mode))
			return -ENOTDIR;
		memset(out, 0, sizeof(*out));
		for (i = 0; i < n->nents; i++) {
			struct zufs_dirent *de = (void *)(buf + pos);
			const char *name = n->ents[i].name;
			size_t nl = strlen(name), rl;

			if (n->ents[i].cookie <= in->cookie)
				continue;
			if (is_evil("readdir-slash"))
				name = "a/b", nl = 3;
			if (is_evil("readdir-dot"))
				name = "..", nl = 2;
			rl = ZUFS_DIRENT_ALIGN(ZUFS_DIRENT_NAME_OFFSET + nl);
			if (pos + rl > cap)
				break;
			de->ino = n->ents[i].ino;
			de->off = n->ents[i].cookie;
			de->namelen = nl;
			de->type = (nodes[de->ino].a.mode & S_IFMT) >> 12;
			memcpy(de->name, name, nl);
			memset(de->name + nl, 0, rl - ZUFS_DIRENT_NAME_OFFSET - nl);
			if (is_evil("readdir-overrun"))
				de->namelen = 250;
			pos += rl;
		}
		out->len = pos;
		if (i == n->nents)
			out->flags = ZUFS_READDIR_EOF;
		*rlen = sizeof(*out);
		return 0;
	}
	case ZUFS_OP_READ: {
		const struct zufs_io_in *in = (const void *)body;
		struct zufs_read_out *out = req->reply;
		uint64_t cnt = 0;

		if (!n || !S_ISREG(n->a.mode))
			return -EISDIR;
		if (req->nr_bufs != 1 || req->bufs[0].len != in->len)
			return -EINVAL;
		if (in->offset < n->a.size) {
			cnt = n->a.size - in->offset;
			if (cnt > in->len)
				cnt = in->len;
			memcpy(req->bufs[0].addr, n->data + in->offset, cnt);
		}
		memset(out, 0, sizeof(*out));
		out->count = is_evil("read-overcount") ? in->len + 1 : cnt;
		*rlen = sizeof(*out);
		return 0;
	}
	case ZUFS_OP_WRITE: {
		const struct zufs_io_in *in = (const void *)body;
		struct zufs_write_out *out = req->reply;
		uint64_t off = in->offset;

		if (!n || !S_ISREG(n->a.mode))
			return -EISDIR;
		if (req->nr_bufs != 1 || req->bufs[0].len != in->len)
			return -EINVAL;
		if (in->flags & ZUFS_WRITE_APPEND)
			off = n->a.size;
		if (off + in->len > (64ULL << 20))
			return -EFBIG;
		err = ensure(n, off + in->len);
		if (err)
			return err;
		memcpy(n->data + off, req->bufs[0].addr, in->len);
		if (off + in->len > n->a.size)
			n->a.size = off + in->len;
		n->a.blocks = (n->cap + 511) / 512;
		touch_mc(n);
		memset(out, 0, sizeof(*out));
		out->count = is_evil("write-overcount") ? in->len + 1 : in->len;
		out->offset = off;
		out->attr = n->a;
		*rlen = sizeof(*out);
		return 0;
	}
	default:
		return -ENOSYS;
	}
}

static int32_t handle(struct ucchan_req *req, size_t *reply_len, void *arg)
{
	int32_t st;

	(void)arg;
	pthread_mutex_lock(&lock);
	st = serve(req, reply_len);
	pthread_mutex_unlock(&lock);
	return st;
}

int main(int argc, char **argv)
{
	struct ucchan_server_ops ops = {
		.size = sizeof(ops),
		.handle = handle,
	};
	struct ucchan_server_opts opts = {
		.size = sizeof(opts),
		.mode = 0666,
		.max_inline = 8192,
	};
	struct ucchan_server *srv;
	int err;

	if (argc < 2) {
		fprintf(stderr, "usage: zufs-testsrv SERVICE [EVIL]\n");
		return 2;
	}
	opts.name = argv[1];
	if (argc > 2)
		evil = argv[2];
	err = ucchan_server_create(&srv, &opts, &ops, NULL);
	if (!err)
		err = ucchan_server_start(srv);
	if (err) {
		fprintf(stderr, "zufs-testsrv: %s\n", strerror(-err));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
