// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_dispatch.c - the libzus dispatcher fed hand-built zufs requests,
 * as zuf.ko would send them, against memfs (compiled in): every opcode,
 * then malformed requests (short, bad opcode, bad names, lengths beyond
 * the buffers, unknown superblock, junk in pads) which must give clean
 * errors, plugins whose replies are broken (-EIO), and BATCH_FORGET
 * (every entry one forget; a malformed batch reaches the plugin not at
 * all).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <cmocka.h>

#include <linux/zufs.h>

#include "zus_i.h"
#include "notify_hooks.h"

#define CLIENT	7

struct fx {
	struct zus_server srv;
	uint64_t sb_id;
	uint64_t root;
	uint64_t caps;
};

/* A request under construction. */
struct rq {
	union {
		struct zufs_in_header h;
		char bytes[8192];
	} u;
	size_t len;
	union {
		struct zufs_init_out init;
		char bytes[512];
	} reply;
	struct zus_call c;
};

static void rq_start(struct rq *q, uint32_t opcode, uint64_t sb_id,
		     uint64_t ino)
{
	memset(q, 0, sizeof(*q));
	q->u.h.opcode = opcode;
	q->u.h.sb_id = sb_id;
	q->u.h.ino = ino;
	q->u.h.uid = 1000;
	q->u.h.gid = 100;
	q->u.h.pid = 42;
	q->len = sizeof(q->u.h);
}

static void rq_add(struct rq *q, const void *p, size_t n)
{
	assert_true(q->len + n <= sizeof(q->u.bytes));
	memcpy(q->u.bytes + q->len, p, n);
	q->len += n;
}

static void rq_name(struct rq *q, const char *name, size_t n)
{
	rq_add(q, name, n);
	rq_add(q, "", 1);
}

static void rq_buf(struct rq *q, void *addr, size_t len, unsigned int flags)
{
	q->c.bufs[q->c.nr_bufs].addr = addr;
	q->c.bufs[q->c.nr_bufs].len = len;
	q->c.bufs[q->c.nr_bufs].flags = flags;
	q->c.nr_bufs++;
}

/* Send with h.len = the built length (unless set already). */
static int rq_send(struct fx *f, struct rq *q)
{
	if (!q->u.h.len)
		q->u.h.len = q->len;
	q->c.req = q->u.bytes;
	q->c.req_len = q->len;
	q->c.reply = q->reply.bytes;
	q->c.reply_cap = sizeof(q->reply.bytes);
	q->c.client_id = CLIENT;
	memset(q->reply.bytes, 0xa5, sizeof(q->reply.bytes));
	return zus_dispatch(&f->srv, &q->c);
}

static int do_init(struct fx *f, const char *fs, const char *source,
		   const char *options, struct zufs_init_out *out)
{
	struct zufs_init_in in = {
		.major = ZUFS_KERNEL_VERSION,
		.minor = ZUFS_KERNEL_MINOR_VERSION,
		.caps = ZUFS_CAP_ALL,
		.source_len = strlen(source),
		.options_len = strlen(options),
	};
	struct rq q;
	int ret;

	snprintf(in.fs_name, sizeof(in.fs_name), "%s", fs);
	rq_start(&q, ZUFS_OP_INIT, 0, 0);
	rq_add(&q, &in, sizeof(in));
	rq_name(&q, source, in.source_len);
	rq_name(&q, options, in.options_len);
	ret = rq_send(f, &q);
	if (!ret) {
		assert_int_equal(q.c.reply_len, sizeof(*out));
		memcpy(out, q.reply.bytes, sizeof(*out));
	} else {
		assert_int_equal(q.c.reply_len, 0);
	}
	return ret;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct zus_loaded_plugin *lp;
	struct zufs_init_out out;

	assert_non_null(f);
	assert_int_equal(zus_server_init(&f->srv), 0);
	assert_int_equal(zus_plugin_wrap(zus_plugin_entry(), NULL, "memfs.c",
					 &lp), 0);
	assert_int_equal(zus_plugin_init(lp, ZUS_TRANSPORT_ZUFS,
					 zus_zufs_capable()), 0);
	assert_int_equal(zus_server_add_plugin(&f->srv, lp), 0);
	assert_int_equal(do_init(f, "memfs", "none", "size=64m", &out), 0);
	f->sb_id = out.sb_id;
	f->root = out.root.ino;
	f->caps = out.caps;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	zus_server_fini(&f->srv);
	free(f);
	return 0;
}

/* ---- request helpers ------------------------------------------------------ */

/* An op with only an in struct (and optional names already added). */
static int simple(struct fx *f, uint32_t op, uint64_t ino, const void *in,
		  size_t insz, struct rq *q)
{
	rq_start(q, op, f->sb_id, ino);
	if (insz)
		rq_add(q, in, insz);
	return rq_send(f, q);
}

static int named(struct fx *f, uint32_t op, uint64_t dir, const void *in,
		 size_t insz, const char *name, struct rq *q)
{
	rq_start(q, op, f->sb_id, dir);
	rq_add(q, in, insz);
	rq_name(q, name, strlen(name));
	return rq_send(f, q);
}

static struct zufs_attr entry_of(struct rq *q)
{
	struct zufs_entry_out out;

	assert_int_equal(q->c.reply_len, sizeof(out));
	memcpy(&out, q->reply.bytes, sizeof(out));
	return out.attr;
}

static int d_lookup(struct fx *f, uint64_t dir, const char *name,
		    struct zufs_attr *a)
{
	struct zufs_name_in in = { .namelen = strlen(name) };
	struct rq q;
	int ret = named(f, ZUFS_OP_LOOKUP, dir, &in, sizeof(in), name, &q);

	if (!ret && a)
		*a = entry_of(&q);
	return ret;
}

static int d_create(struct fx *f, uint32_t op, uint64_t dir, const char *name,
		    uint32_t mode, struct zufs_attr *a)
{
	struct zufs_create_in in = {
		.ni = { .mode = mode, .uid = 1000, .gid = 100 },
		.namelen = strlen(name),
	};
	struct rq q;
	int ret = named(f, op, dir, &in, sizeof(in), name, &q);

	if (!ret && a)
		*a = entry_of(&q);
	return ret;
}

static uint64_t mkfile(struct fx *f, uint64_t dir, const char *name)
{
	struct zufs_attr a;

	assert_int_equal(d_create(f, ZUFS_OP_MKNOD, dir, name, S_IFREG | 0644,
				  &a), 0);
	return a.ino;
}

static int d_getattr(struct fx *f, uint64_t ino, struct zufs_attr *a)
{
	struct rq q;
	int ret = simple(f, ZUFS_OP_GETATTR, ino, NULL, 0, &q);

	if (!ret && a)
		*a = entry_of(&q);
	return ret;
}

static int64_t d_io(struct fx *f, uint32_t op, uint64_t ino, void *buf,
		    size_t len, uint64_t off, uint32_t flags,
		    struct zufs_write_out *wout)
{
	struct zufs_io_in in = { .offset = off, .len = len, .flags = flags };
	struct rq q;
	int ret;

	rq_start(&q, op, f->sb_id, ino);
	rq_add(&q, &in, sizeof(in));
	if (len)
		rq_buf(&q, buf, len, op == ZUFS_OP_READ ? ZUS_BUF_WRITE :
			ZUS_BUF_READ);
	ret = rq_send(f, &q);
	if (ret)
		return ret;
	if (op == ZUFS_OP_WRITE) {
		struct zufs_write_out w;

		assert_int_equal(q.c.reply_len, sizeof(w));
		memcpy(&w, q.reply.bytes, sizeof(w));
		if (wout)
			*wout = w;
		return (int64_t)w.count;
	} else {
		struct zufs_read_out r;

		assert_int_equal(q.c.reply_len, sizeof(r));
		memcpy(&r, q.reply.bytes, sizeof(r));
		return (int64_t)r.count;
	}
}

/* Read the whole directory with a bufsize buffer; names joined by ' '. */
static int d_readdir_all(struct fx *f, uint64_t dir, size_t bufsize,
			 char *names, size_t cap, unsigned int *calls)
{
	char buf[4096];
	uint64_t cookie = 0;

	names[0] = '\0';
	*calls = 0;
	assert_true(bufsize <= sizeof(buf));
	for (;;) {
		struct zufs_readdir_in in = { .cookie = cookie,
					      .size = bufsize };
		struct zufs_readdir_out out;
		struct rq q;
		size_t pos = 0;
		int ret;

		rq_start(&q, ZUFS_OP_READDIR, f->sb_id, dir);
		rq_add(&q, &in, sizeof(in));
		rq_buf(&q, buf, bufsize, ZUS_BUF_WRITE);
		ret = rq_send(f, &q);
		if (ret)
			return ret;
		(*calls)++;
		assert_int_equal(q.c.reply_len, sizeof(out));
		memcpy(&out, q.reply.bytes, sizeof(out));
		assert_true(out.len <= bufsize);
		while (pos < out.len) {
			struct zufs_dirent d;

			memcpy(&d, buf + pos, ZUFS_DIRENT_NAME_OFFSET);
			assert_true(pos + ZUFS_DIRENT_SIZE(&d) <= out.len);
			assert_int_not_equal(d.ino, 0);
			assert_true(d.off >= ZUFS_DIR_COOKIE_FIRST);
			assert_true(d.off > cookie);
			snprintf(names + strlen(names), cap - strlen(names),
				 "%s%.*s", names[0] ? " " : "", (int)d.namelen,
				 buf + pos + ZUFS_DIRENT_NAME_OFFSET);
			cookie = d.off;
			pos += ZUFS_DIRENT_SIZE(&d);
		}
		if (!out.len || (out.flags & ZUFS_READDIR_EOF))
			return 0;
		assert_true(*calls < 1000);
	}
}

/* ---- every opcode against memfs -------------------------------------------- */

static void init_reply(void **state)
{
	struct fx *f = *state;
	struct zufs_attr a;

	assert_int_not_equal(f->sb_id, 0);
	assert_int_not_equal(f->root, 0);
	assert_int_equal(f->caps, ZUFS_CAP_XATTR | ZUFS_CAP_ACL |
			 ZUFS_CAP_MMAP | ZUFS_CAP_FALLOCATE |
			 ZUFS_CAP_TMPFILE | ZUFS_CAP_SEEK_DATA |
			 ZUFS_CAP_RENAME_EXCHANGE | ZUFS_CAP_COPY_RANGE |
			 ZUFS_CAP_INIT_XATTRS);
	assert_int_equal(d_getattr(f, f->root, &a), 0);
	assert_int_equal(a.mode, S_IFDIR | 0755);
	assert_int_equal(a.nlink, 2);
}

static void init_errors(void **state)
{
	struct fx *f = *state;
	struct zufs_init_out out;
	struct zufs_init_in in = {
		.major = ZUFS_KERNEL_VERSION,
		.caps = ZUFS_CAP_MMAP,
		.fs_name = "memfs",
	};
	char big[ZUFS_MOUNT_STR_MAX + 2];
	struct rq q;

	assert_int_equal(do_init(f, "nosuchfs", "", "", &out), -ENODEV);
	assert_int_equal(do_init(f, "memfs", "", "bogus=1", &out), -EINVAL);
	assert_int_equal(do_init(f, "memfs", "", "evil=ino0", &out), -EINVAL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(do_init(f, "memfs", big, "", &out), -EINVAL);

	/* Only the caps the kernel offered come back. */
	rq_start(&q, ZUFS_OP_INIT, 0, 0);
	rq_add(&q, &in, sizeof(in));
	rq_name(&q, "", 0);
	rq_name(&q, "", 0);
	assert_int_equal(rq_send(f, &q), 0);
	memcpy(&out, q.reply.bytes, sizeof(out));
	assert_int_equal(out.caps, ZUFS_CAP_MMAP);
	assert_int_equal(out.major, ZUFS_KERNEL_VERSION);
	assert_int_not_equal(out.sb_id, f->sb_id);

	in.major = ZUFS_KERNEL_VERSION + 1;		/* other major */
	rq_start(&q, ZUFS_OP_INIT, 0, 0);
	rq_add(&q, &in, sizeof(in));
	rq_name(&q, "", 0);
	rq_name(&q, "", 0);
	assert_int_equal(rq_send(f, &q), -EPROTONOSUPPORT);

	in.major = ZUFS_KERNEL_VERSION;
	memset(in.fs_name, 'm', sizeof(in.fs_name));	/* no NUL */
	rq_start(&q, ZUFS_OP_INIT, 0, 0);
	rq_add(&q, &in, sizeof(in));
	rq_name(&q, "", 0);
	rq_name(&q, "", 0);
	assert_int_equal(rq_send(f, &q), -EINVAL);

	snprintf(in.fs_name, sizeof(in.fs_name), "memfs");
	in.fs_name[10] = 'x';				/* junk after NUL */
	rq_start(&q, ZUFS_OP_INIT, 0, 0);
	rq_add(&q, &in, sizeof(in));
	rq_name(&q, "", 0);
	rq_name(&q, "", 0);
	assert_int_equal(rq_send(f, &q), -EINVAL);

	in.fs_name[10] = '\0';
	in.reserved[1] = 1;
	rq_start(&q, ZUFS_OP_INIT, 0, 0);
	rq_add(&q, &in, sizeof(in));
	rq_name(&q, "", 0);
	rq_name(&q, "", 0);
	assert_int_equal(rq_send(f, &q), -EINVAL);

	in.reserved[1] = 0;
	in.options_len = 3;				/* NUL inside */
	rq_start(&q, ZUFS_OP_INIT, 0, 0);
	rq_add(&q, &in, sizeof(in));
	rq_name(&q, "", 0);
	rq_name(&q, "a\0b", 3);
	assert_int_equal(rq_send(f, &q), -EINVAL);
	assert_int_equal(zus_server_nr_mounts(&f->srv), 2);
}

static void statfs_sync(void **state)
{
	struct fx *f = *state;
	struct zufs_sync_fs_in sin = { .wait = 1 };
	struct zufs_statfs_out st;
	struct rq q;

	assert_int_equal(simple(f, ZUFS_OP_STATFS, 0, NULL, 0, &q), 0);
	assert_int_equal(q.c.reply_len, sizeof(st));
	memcpy(&st, q.reply.bytes, sizeof(st));
	assert_int_equal(st.bsize, 4096);
	assert_int_equal(st.blocks, (64 << 20) / 4096);
	assert_int_equal(st.bfree, st.blocks);
	assert_int_equal(st.namelen, ZUFS_NAME_MAX);
	assert_int_equal(st.frsize, 4096);
	assert_true(st.ffree <= st.files);
	/* memfs has no sync_fs/fsync: -ENOSYS, which the kernel remembers. */
	assert_int_equal(simple(f, ZUFS_OP_SYNC_FS, 0, &sin, sizeof(sin), &q),
			 -ENOSYS);
	/* The op's absence is answered first, even for a malformed one. */
	sin.wait = 2;
	assert_int_equal(simple(f, ZUFS_OP_SYNC_FS, 0, &sin, sizeof(sin), &q),
			 -ENOSYS);
}

static void namespace_ops(void **state)
{
	struct fx *f = *state;
	struct zufs_attr a, d, b;
	uint64_t file;
	struct rq q;

	/* mknod of every kind, mkdir */
	file = mkfile(f, f->root, "f");
	assert_int_equal(d_create(f, ZUFS_OP_MKNOD, f->root, "f",
				  S_IFREG | 0644, NULL), -EEXIST);
	assert_int_equal(d_create(f, ZUFS_OP_MKNOD, f->root, "fifo",
				  S_IFIFO | 0600, &a), 0);
	assert_int_equal(a.mode, S_IFIFO | 0600);
	assert_int_equal(a.uid, 1000);
	assert_int_equal(a.gid, 100);
	assert_int_equal(d_create(f, ZUFS_OP_MKNOD, f->root, "sock",
				  S_IFSOCK | 0600, NULL), 0);
	{
		struct zufs_create_in in = {
			.ni = { .mode = S_IFCHR | 0600, .rdev_major = 4095,
				.rdev_minor = 1048575 },
			.namelen = 3,
		};

		assert_int_equal(named(f, ZUFS_OP_MKNOD, f->root, &in,
				       sizeof(in), "chr", &q), 0);
		a = entry_of(&q);
		assert_int_equal(a.rdev_major, 4095);
		assert_int_equal(a.rdev_minor, 1048575);
	}
	assert_int_equal(d_create(f, ZUFS_OP_MKDIR, f->root, "d",
				  S_IFDIR | 0755, &d), 0);
	assert_int_equal(d.mode, S_IFDIR | 0755);

	/* lookup, forget, getattr */
	assert_int_equal(d_lookup(f, f->root, "f", &a), 0);
	assert_int_equal(a.ino, file);
	assert_int_equal(d_lookup(f, f->root, "nope", NULL), -ENOENT);
	assert_int_equal(d_lookup(f, file, "x", NULL), -ENOTDIR);
	{
		struct zufs_forget_in fin = { .nlookup = 1 };

		assert_int_equal(simple(f, ZUFS_OP_FORGET, file, &fin,
					sizeof(fin), &q), 0);
		assert_int_equal(q.c.reply_len, 0);
	}
	assert_int_equal(d_getattr(f, file, &a), 0);
	assert_int_equal(a.ino, file);
	assert_int_equal(d_getattr(f, 999999, NULL), -ENOENT);

	/* setattr */
	{
		struct zufs_setattr_in in = {
			.valid = ZUFS_SET_MODE | ZUFS_SET_SIZE |
				 ZUFS_SET_MTIME,
			.mode = 0600, .size = 10000,
			.mtime = 1000, .mtimensec = 5,
		};

		assert_int_equal(simple(f, ZUFS_OP_SETATTR, file, &in,
					sizeof(in), &q), 0);
		a = entry_of(&q);
		assert_int_equal(a.mode, S_IFREG | 0600);
		assert_int_equal(a.size, 10000);
		assert_int_equal(a.mtime, 1000);
		assert_int_equal(a.mtimensec, 5);
		in.valid = ZUFS_SET_SIZE;
		assert_int_equal(simple(f, ZUFS_OP_SETATTR, d.ino, &in,
					sizeof(in), &q), -EISDIR);
	}

	/* symlink (target in a READ buffer) and readlink */
	{
		char target[] = "some/where";
		struct zufs_symlink_in in = {
			.ni = { .mode = S_IFLNK | 0777 },
			.namelen = 2,
			.targetlen = strlen(target),
		};
		struct zufs_readlink_in rin = { .size = ZUFS_SYMLINK_MAX };
		struct zufs_readlink_out rout;
		char buf[ZUFS_SYMLINK_MAX];

		rq_start(&q, ZUFS_OP_SYMLINK, f->sb_id, f->root);
		rq_add(&q, &in, sizeof(in));
		rq_name(&q, "sl", 2);
		rq_buf(&q, target, in.targetlen, ZUS_BUF_READ);
		assert_int_equal(rq_send(f, &q), 0);
		a = entry_of(&q);
		assert_int_equal(a.mode, S_IFLNK | 0777);
		assert_int_equal(a.size, strlen(target));

		rq_start(&q, ZUFS_OP_READLINK, f->sb_id, a.ino);
		rq_add(&q, &rin, sizeof(rin));
		rq_buf(&q, buf, sizeof(buf), ZUS_BUF_WRITE);
		assert_int_equal(rq_send(f, &q), 0);
		assert_int_equal(q.c.reply_len, sizeof(rout));
		memcpy(&rout, q.reply.bytes, sizeof(rout));
		assert_int_equal(rout.len, strlen(target));
		assert_memory_equal(buf, target, rout.len);

		/* readlink of a regular file */
		rq_start(&q, ZUFS_OP_READLINK, f->sb_id, file);
		rq_add(&q, &rin, sizeof(rin));
		rq_buf(&q, buf, sizeof(buf), ZUS_BUF_WRITE);
		assert_int_equal(rq_send(f, &q), -EINVAL);
	}

	/* link */
	{
		struct zufs_link_in in = { .ino = file, .namelen = 1 };

		assert_int_equal(named(f, ZUFS_OP_LINK, d.ino, &in, sizeof(in),
				       "g", &q), 0);
		a = entry_of(&q);
		assert_int_equal(a.ino, file);
		assert_int_equal(a.nlink, 2);
		in.ino = d.ino;
		in.namelen = 2;
		assert_int_equal(named(f, ZUFS_OP_LINK, f->root, &in,
				       sizeof(in), "dl", &q), -EPERM);
	}

	/* rename: plain, NOREPLACE, EXCHANGE */
	{
		struct zufs_rename_in in = { .newdir = d.ino, .oldlen = 4,
					     .newlen = 5 };

		rq_start(&q, ZUFS_OP_RENAME, f->sb_id, f->root);
		rq_add(&q, &in, sizeof(in));
		rq_name(&q, "fifo", 4);
		rq_name(&q, "fifo2", 5);
		assert_int_equal(rq_send(f, &q), 0);
		assert_int_equal(q.c.reply_len, 0);
		assert_int_equal(d_lookup(f, d.ino, "fifo2", &b), 0);
		assert_int_equal(d_lookup(f, f->root, "fifo", NULL), -ENOENT);

		in.newdir = f->root;
		in.oldlen = 1;
		in.newlen = 4;
		in.flags = ZUFS_RENAME_NOREPLACE;
		rq_start(&q, ZUFS_OP_RENAME, f->sb_id, d.ino);
		rq_add(&q, &in, sizeof(in));
		rq_name(&q, "g", 1);
		rq_name(&q, "sock", 4);
		assert_int_equal(rq_send(f, &q), -EEXIST);
		in.flags = ZUFS_RENAME_EXCHANGE;
		q.u.h.len = 0;
		memcpy(q.u.bytes + sizeof(q.u.h), &in, sizeof(in));
		assert_int_equal(rq_send(f, &q), 0);
		assert_int_equal(d_lookup(f, d.ino, "g", &a), 0);
		assert_int_equal(a.mode & S_IFMT, S_IFSOCK);
	}

	/* unlink, rmdir */
	{
		struct zufs_name_in in = { .namelen = 1 };

		assert_int_equal(named(f, ZUFS_OP_RMDIR, f->root, &in,
				       sizeof(in), "d", &q), -ENOTEMPTY);
		assert_int_equal(named(f, ZUFS_OP_UNLINK, f->root, &in,
				       sizeof(in), "d", &q), -EISDIR);
		assert_int_equal(named(f, ZUFS_OP_UNLINK, d.ino, &in,
				       sizeof(in), "g", &q), 0);
		in.namelen = 5;
		assert_int_equal(named(f, ZUFS_OP_UNLINK, d.ino, &in,
				       sizeof(in), "fifo2", &q), 0);
		assert_int_equal(d_create(f, ZUFS_OP_MKDIR, d.ino, "e",
					  S_IFDIR | 0700, NULL), 0);
		in.namelen = 1;
		assert_int_equal(named(f, ZUFS_OP_RMDIR, d.ino, &in,
				       sizeof(in), "e", &q), 0);
		assert_int_equal(named(f, ZUFS_OP_RMDIR, f->root, &in,
				       sizeof(in), "d", &q), 0);
		assert_int_equal(q.c.reply_len, 0);
	}

	/* tmpfile, then give it a name */
	{
		struct zufs_tmpfile_in in = { .ni = { .mode = S_IFREG | 0600 } };
		struct zufs_link_in lin = { .namelen = 3 };

		assert_int_equal(simple(f, ZUFS_OP_TMPFILE, f->root, &in,
					sizeof(in), &q), 0);
		a = entry_of(&q);
		assert_int_equal(a.nlink, 0);
		assert_int_equal(a.mode, S_IFREG | 0600);
		lin.ino = a.ino;
		assert_int_equal(named(f, ZUFS_OP_LINK, f->root, &lin,
				       sizeof(lin), "tmp", &q), 0);
		assert_int_equal(entry_of(&q).nlink, 1);
	}
}

static void readdir_pages(void **state)
{
	struct fx *f = *state;
	char names[8192], want[8192] = "";
	unsigned int calls;
	struct zufs_attr d;

	assert_int_equal(d_create(f, ZUFS_OP_MKDIR, f->root, "dir",
				  S_IFDIR | 0755, &d), 0);
	assert_int_equal(d_readdir_all(f, d.ino, 4096, names, sizeof(names),
				       &calls), 0);
	assert_string_equal(names, "");
	assert_int_equal(calls, 1);
	for (int i = 0; i < 100; i++) {
		char n[32];

		snprintf(n, sizeof(n), "entry-%03d", i);
		mkfile(f, d.ino, n);
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
			 "%s%s", i ? " " : "", n);
	}
	/* One page: everything in one call, with EOF. */
	assert_int_equal(d_readdir_all(f, d.ino, 4096, names, sizeof(names),
				       &calls), 0);
	assert_string_equal(names, want);
	assert_int_equal(calls, 1);
	/* 40 bytes: one 40-byte record per call, resumed by cookie. */
	assert_int_equal(d_readdir_all(f, d.ino, 40, names, sizeof(names),
				       &calls), 0);
	assert_string_equal(names, want);
	assert_true(calls >= 100);
	/* Too small for any record: an empty reply without EOF is "end". */
	assert_int_equal(d_readdir_all(f, d.ino, 16, names, sizeof(names),
				       &calls), 0);
	assert_string_equal(names, "");
	assert_int_equal(d_readdir_all(f, mkfile(f, f->root, "nd"), 4096,
				       names, sizeof(names), &calls), -ENOTDIR);
}

static void data_ops(void **state)
{
	struct fx *f = *state;
	uint64_t ino = mkfile(f, f->root, "data");
	static char wbuf[3 * 4096], rbuf[3 * 4096];
	struct zufs_write_out w;
	struct rq q;

	for (size_t i = 0; i < sizeof(wbuf); i++)
		wbuf[i] = (char)(i * 7 + 1);
	assert_int_equal(d_io(f, ZUFS_OP_WRITE, ino, wbuf, 5000, 100, 0, &w),
			 5000);
	assert_int_equal(w.offset, 100);
	assert_int_equal(w.attr.size, 5100);
	assert_int_equal(w.attr.ino, ino);
	memset(rbuf, 0x55, sizeof(rbuf));
	assert_int_equal(d_io(f, ZUFS_OP_READ, ino, rbuf, sizeof(rbuf), 0, 0,
			      NULL), 5100);
	for (int i = 0; i < 100; i++)
		assert_int_equal(rbuf[i], 0);		/* hole */
	assert_memory_equal(rbuf + 100, wbuf, 5000);
	/* append: the offset is where the data went */
	assert_int_equal(d_io(f, ZUFS_OP_WRITE, ino, wbuf, 10, 0,
			      ZUFS_WRITE_APPEND, &w), 10);
	assert_int_equal(w.offset, 5100);
	assert_int_equal(w.attr.size, 5110);
	/* reading at/after EOF */
	assert_int_equal(d_io(f, ZUFS_OP_READ, ino, rbuf, 10, 5110, 0, NULL),
			 0);
	assert_int_equal(d_io(f, ZUFS_OP_READ, ino, rbuf, 10, 1ULL << 40, 0,
			      NULL), 0);
	/* zero-length I/O carries no buffer */
	assert_int_equal(d_io(f, ZUFS_OP_READ, ino, NULL, 0, 0, 0, NULL), 0);
	/* a directory */
	assert_int_equal(d_io(f, ZUFS_OP_READ, f->root, rbuf, 10, 0, 0, NULL),
			 -EISDIR);

	/* fsync: memfs has none */
	{
		struct zufs_fsync_in in = { .datasync = 1 };

		assert_int_equal(simple(f, ZUFS_OP_FSYNC, ino, &in, sizeof(in),
					&q), -ENOSYS);
	}

	/* fallocate, punch hole, SEEK_DATA / SEEK_HOLE */
	{
		struct zufs_fallocate_in in = { .offset = 0, .len = 65536 };
		struct zufs_lseek_in lin = { .offset = 0,
					     .whence = ZUFS_SEEK_HOLE };
		struct zufs_lseek_out lout;
		struct zufs_attr a;

		assert_int_equal(simple(f, ZUFS_OP_FALLOCATE, ino, &in,
					sizeof(in), &q), 0);
		a = entry_of(&q);
		assert_int_equal(a.size, 65536);
		assert_int_equal(a.blocks, 65536 / 512);
		in.mode = ZUFS_FALLOC_PUNCH_HOLE | ZUFS_FALLOC_KEEP_SIZE;
		in.offset = 8192;
		in.len = 8192;
		assert_int_equal(simple(f, ZUFS_OP_FALLOCATE, ino, &in,
					sizeof(in), &q), 0);
		a = entry_of(&q);
		assert_int_equal(a.size, 65536);
		assert_int_equal(a.blocks, (65536 - 8192) / 512);
		assert_int_equal(simple(f, ZUFS_OP_LSEEK, ino, &lin,
					sizeof(lin), &q), 0);
		assert_int_equal(q.c.reply_len, sizeof(lout));
		memcpy(&lout, q.reply.bytes, sizeof(lout));
		assert_int_equal(lout.offset, 8192);
		lin.offset = 8192;
		lin.whence = ZUFS_SEEK_DATA;
		assert_int_equal(simple(f, ZUFS_OP_LSEEK, ino, &lin,
					sizeof(lin), &q), 0);
		memcpy(&lout, q.reply.bytes, sizeof(lout));
		assert_int_equal(lout.offset, 16384);
		lin.offset = 65536;
		assert_int_equal(simple(f, ZUFS_OP_LSEEK, ino, &lin,
					sizeof(lin), &q), -ENXIO);
	}

	/* copy_range: into another file, at an offset */
	{
		uint64_t out_ino = mkfile(f, f->root, "copy");
		struct zufs_copy_range_in in = {
			.off_in = 100, .ino_out = out_ino, .off_out = 1,
			.len = 1 << 20,
		};
		struct zufs_copy_range_out out;

		assert_int_equal(simple(f, ZUFS_OP_COPY_RANGE, ino, &in,
					sizeof(in), &q), 0);
		assert_int_equal(q.c.reply_len, sizeof(out));
		memcpy(&out, q.reply.bytes, sizeof(out));
		assert_int_equal(out.count, 65536 - 100);
		assert_int_equal(out.attr.ino, out_ino);
		assert_int_equal(out.attr.size, 65536 - 100 + 1);
		memset(rbuf, 0x55, sizeof(rbuf));
		assert_int_equal(d_io(f, ZUFS_OP_READ, out_ino, rbuf, 5001, 0,
				      0, NULL), 5001);
		assert_int_equal(rbuf[0], 0);
		assert_memory_equal(rbuf + 1, wbuf, 5000);
		in.off_in = 1ULL << 30;		/* past EOF: nothing */
		assert_int_equal(simple(f, ZUFS_OP_COPY_RANGE, ino, &in,
					sizeof(in), &q), 0);
		memcpy(&out, q.reply.bytes, sizeof(out));
		assert_int_equal(out.count, 0);
		in.off_in = 0;
		in.ino_out = f->root;
		assert_int_equal(simple(f, ZUFS_OP_COPY_RANGE, ino, &in,
					sizeof(in), &q), -EISDIR);
	}

	/* OPEN/RELEASE: not in the plugin API (ZUFS_CAP_OPEN never agreed) */
	{
		struct zufs_open_in oin = { 0 };
		struct zufs_release_in rin = { 0 };

		assert_int_equal(simple(f, ZUFS_OP_OPEN, ino, &oin,
					sizeof(oin), &q), -ENOSYS);
		assert_int_equal(simple(f, ZUFS_OP_RELEASE, ino, &rin,
					sizeof(rin), &q), -ENOSYS);
	}
}

static int xattr_call(struct fx *f, uint32_t op, uint64_t ino,
		      const char *name, void *buf, size_t size,
		      uint32_t flags, uint32_t *out_size)
{
	struct zufs_xattr_in in = {
		.size = size, .flags = flags,
		.namelen = name ? strlen(name) : 0,
	};
	struct rq q;
	int ret;

	rq_start(&q, op, f->sb_id, ino);
	rq_add(&q, &in, sizeof(in));
	if (name)
		rq_name(&q, name, strlen(name));
	if (size)
		rq_buf(&q, buf, size, op == ZUFS_OP_SETXATTR ? ZUS_BUF_READ :
			ZUS_BUF_WRITE);
	ret = rq_send(f, &q);
	if (!ret && out_size) {
		struct zufs_xattr_out out;

		assert_int_equal(q.c.reply_len, sizeof(out));
		memcpy(&out, q.reply.bytes, sizeof(out));
		*out_size = out.size;
	}
	return ret;
}

static void xattr_ops(void **state)
{
	struct fx *f = *state;
	uint64_t ino = mkfile(f, f->root, "x");
	char val[] = "value", buf[64];
	uint32_t n;

	assert_int_equal(xattr_call(f, ZUFS_OP_SETXATTR, ino, "user.a", val, 5,
				    ZUFS_XATTR_CREATE, NULL), 0);
	assert_int_equal(xattr_call(f, ZUFS_OP_SETXATTR, ino, "user.a", val, 5,
				    ZUFS_XATTR_CREATE, NULL), -EEXIST);
	assert_int_equal(xattr_call(f, ZUFS_OP_SETXATTR, ino, "user.b", NULL,
				    0, ZUFS_XATTR_REPLACE, NULL), -ENODATA);
	assert_int_equal(xattr_call(f, ZUFS_OP_SETXATTR, ino, "trusted.empty",
				    NULL, 0, 0, NULL), 0);
	assert_int_equal(xattr_call(f, ZUFS_OP_GETXATTR, ino, "user.a", NULL,
				    0, 0, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(xattr_call(f, ZUFS_OP_GETXATTR, ino, "user.a", buf,
				    sizeof(buf), 0, &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "value", 5);
	assert_int_equal(xattr_call(f, ZUFS_OP_GETXATTR, ino, "user.a", buf,
				    2, 0, &n), -ERANGE);
	assert_int_equal(xattr_call(f, ZUFS_OP_GETXATTR, ino, "user.zz", buf,
				    sizeof(buf), 0, &n), -ENODATA);
	assert_int_equal(xattr_call(f, ZUFS_OP_LISTXATTR, ino, NULL, NULL, 0,
				    0, &n), 0);
	assert_int_equal(n, sizeof("user.a") + sizeof("trusted.empty"));
	assert_int_equal(xattr_call(f, ZUFS_OP_LISTXATTR, ino, NULL, buf,
				    sizeof(buf), 0, &n), 0);
	assert_int_equal(n, sizeof("user.a") + sizeof("trusted.empty"));
	assert_int_equal(buf[n - 1], '\0');
	assert_int_equal(xattr_call(f, ZUFS_OP_REMOVEXATTR, ino, "user.a",
				    NULL, 0, 0, NULL), 0);
	assert_int_equal(xattr_call(f, ZUFS_OP_REMOVEXATTR, ino, "user.a",
				    NULL, 0, 0, NULL), -ENODATA);
	/* xattr names may hold '/' but not be empty */
	assert_int_equal(xattr_call(f, ZUFS_OP_SETXATTR, ino, "user.a/b", val,
				    1, 0, NULL), 0);
	assert_int_equal(xattr_call(f, ZUFS_OP_GETXATTR, ino, "", buf, 1, 0,
				    &n), -EINVAL);
}

static void destroy_sb(void **state)
{
	struct fx *f = *state;
	struct rq q;

	assert_int_equal(zus_server_nr_mounts(&f->srv), 1);
	mkfile(f, f->root, "gone");
	rq_start(&q, ZUFS_OP_DESTROY, f->sb_id + 1000, 0);
	assert_int_equal(rq_send(f, &q), -EINVAL);	/* unknown sb */
	rq_start(&q, ZUFS_OP_DESTROY, f->sb_id, 0);
	assert_int_equal(rq_send(f, &q), 0);
	assert_int_equal(zus_server_nr_mounts(&f->srv), 0);
	assert_int_equal(rq_send(f, &q), -EINVAL);	/* twice */
	assert_int_equal(d_getattr(f, f->root, NULL), -EINVAL);
}

/* ---- malformed requests: clean errors, never a crash ------------------------ */

static void malformed_header(void **state)
{
	struct fx *f = *state;
	struct zufs_name_in nin = { .namelen = 1 };
	struct rq q;

	/* shorter than a header */
	rq_start(&q, ZUFS_OP_GETATTR, f->sb_id, f->root);
	q.len = sizeof(q.u.h) - 1;
	assert_int_equal(rq_send(f, &q), -EINVAL);
	assert_int_equal(q.c.reply_len, 0);
	rq_start(&q, ZUFS_OP_GETATTR, f->sb_id, f->root);
	q.len = 0;
	assert_int_equal(rq_send(f, &q), -EINVAL);
	/* opcode 0, beyond the table */
	assert_int_equal(simple(f, 0, f->root, NULL, 0, &q), -EINVAL);
	assert_int_equal(simple(f, ZUFS_OP_MAX, f->root, NULL, 0, &q),
			 -ENOSYS);
	assert_int_equal(simple(f, 0xffffffff, f->root, NULL, 0, &q),
			 -ENOSYS);
	/* header length disagrees with the request */
	rq_start(&q, ZUFS_OP_GETATTR, f->sb_id, f->root);
	q.u.h.len = sizeof(q.u.h) + 8;
	assert_int_equal(rq_send(f, &q), -EINVAL);
	rq_start(&q, ZUFS_OP_GETATTR, f->sb_id, f->root);
	q.u.h.len = 0xffffffff;
	assert_int_equal(rq_send(f, &q), -EINVAL);
	/* flags, reserved */
	rq_start(&q, ZUFS_OP_GETATTR, f->sb_id, f->root);
	q.u.h.flags = 1;
	assert_int_equal(rq_send(f, &q), -EINVAL);
	rq_start(&q, ZUFS_OP_GETATTR, f->sb_id, f->root);
	q.u.h.reserved[1] = 1;
	assert_int_equal(rq_send(f, &q), -EINVAL);
	/* in struct cut short; trailing junk */
	rq_start(&q, ZUFS_OP_LOOKUP, f->sb_id, f->root);
	rq_add(&q, &nin, sizeof(nin) - 1);
	assert_int_equal(rq_send(f, &q), -EINVAL);
	rq_start(&q, ZUFS_OP_GETATTR, f->sb_id, f->root);
	rq_add(&q, "junk", 4);
	assert_int_equal(rq_send(f, &q), -EINVAL);
	/* unknown superblock; another connection's; inode 0 */
	rq_start(&q, ZUFS_OP_GETATTR, f->sb_id + 1, f->root);
	assert_int_equal(rq_send(f, &q), -EINVAL);
	rq_start(&q, ZUFS_OP_GETATTR, 0, f->root);
	assert_int_equal(rq_send(f, &q), -EINVAL);
	rq_start(&q, ZUFS_OP_GETATTR, f->sb_id, f->root);
	q.u.h.len = q.len;
	q.c.req = q.u.bytes;
	q.c.req_len = q.len;
	q.c.reply = q.reply.bytes;
	q.c.reply_cap = sizeof(q.reply.bytes);
	q.c.client_id = CLIENT + 1;
	assert_int_equal(zus_dispatch(&f->srv, &q.c), -EINVAL);
	assert_int_equal(simple(f, ZUFS_OP_GETATTR, 0, NULL, 0, &q), -EINVAL);
	/* a reply area too small for the out struct */
	rq_start(&q, ZUFS_OP_GETATTR, f->sb_id, f->root);
	q.u.h.len = q.len;
	q.c.req = q.u.bytes;
	q.c.req_len = q.len;
	q.c.reply = q.reply.bytes;
	q.c.reply_cap = sizeof(struct zufs_entry_out) - 1;
	q.c.client_id = CLIENT;
	assert_int_equal(zus_dispatch(&f->srv, &q.c), -EINVAL);
	assert_int_equal(q.c.reply_len, 0);
	/* still alive and well */
	assert_int_equal(d_getattr(f, f->root, NULL), 0);
}

static void malformed_names(void **state)
{
	struct fx *f = *state;
	struct zufs_name_in in;
	struct rq q;
	char longname[ZUFS_NAME_MAX + 2];
	static const struct {
		const char *name;
		size_t len;
	} bad[] = {
		{ "", 0 }, { ".", 1 }, { "..", 2 }, { "a/b", 3 }, { "/", 1 },
		{ "a\0b", 3 },
	};

	mkfile(f, f->root, "ok");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		in = (struct zufs_name_in){ .namelen = bad[i].len };
		rq_start(&q, ZUFS_OP_LOOKUP, f->sb_id, f->root);
		rq_add(&q, &in, sizeof(in));
		rq_name(&q, bad[i].name, bad[i].len);
		assert_int_equal(rq_send(f, &q), -EINVAL);
		rq_start(&q, ZUFS_OP_UNLINK, f->sb_id, f->root);
		rq_add(&q, &in, sizeof(in));
		rq_name(&q, bad[i].name, bad[i].len);
		assert_int_equal(rq_send(f, &q), -EINVAL);
	}
	/* too long */
	memset(longname, 'n', sizeof(longname));
	in = (struct zufs_name_in){ .namelen = ZUFS_NAME_MAX + 1 };
	rq_start(&q, ZUFS_OP_LOOKUP, f->sb_id, f->root);
	rq_add(&q, &in, sizeof(in));
	rq_name(&q, longname, ZUFS_NAME_MAX + 1);
	assert_int_equal(rq_send(f, &q), -EINVAL);
	in.namelen = ZUFS_NAME_MAX;		/* 255 is fine */
	rq_start(&q, ZUFS_OP_LOOKUP, f->sb_id, f->root);
	rq_add(&q, &in, sizeof(in));
	rq_name(&q, longname, ZUFS_NAME_MAX);
	assert_int_equal(rq_send(f, &q), -ENOENT);
	/* no NUL after the name */
	in.namelen = 2;
	rq_start(&q, ZUFS_OP_LOOKUP, f->sb_id, f->root);
	rq_add(&q, &in, sizeof(in));
	rq_add(&q, "okX", 3);
	assert_int_equal(rq_send(f, &q), -EINVAL);
	/* namelen beyond the request, also a huge one */
	in.namelen = 100;
	rq_start(&q, ZUFS_OP_LOOKUP, f->sb_id, f->root);
	rq_add(&q, &in, sizeof(in));
	rq_name(&q, "ok", 2);
	assert_int_equal(rq_send(f, &q), -EINVAL);
	in.namelen = 0xffffffff;
	q.u.h.len = 0;
	memcpy(q.u.bytes + sizeof(q.u.h), &in, sizeof(in));
	assert_int_equal(rq_send(f, &q), -EINVAL);
	/* a namelen shorter than what follows: trailing bytes */
	in.namelen = 1;
	rq_start(&q, ZUFS_OP_LOOKUP, f->sb_id, f->root);
	rq_add(&q, &in, sizeof(in));
	rq_name(&q, "ok", 2);
	assert_int_equal(rq_send(f, &q), -EINVAL);
	/* rename: second name missing, or bad */
	{
		struct zufs_rename_in rin = { .newdir = f->root, .oldlen = 2,
					      .newlen = 3 };

		rq_start(&q, ZUFS_OP_RENAME, f->sb_id, f->root);
		rq_add(&q, &rin, sizeof(rin));
		rq_name(&q, "ok", 2);
		assert_int_equal(rq_send(f, &q), -EINVAL);
		rq_name(&q, "..", 2);		/* length 2, want 3 */
		q.u.h.len = 0;
		assert_int_equal(rq_send(f, &q), -EINVAL);
		rin.newlen = 2;
		rq_start(&q, ZUFS_OP_RENAME, f->sb_id, f->root);
		rq_add(&q, &rin, sizeof(rin));
		rq_name(&q, "ok", 2);
		rq_name(&q, "..", 2);
		assert_int_equal(rq_send(f, &q), -EINVAL);
	}
	assert_int_equal(d_lookup(f, f->root, "ok", NULL), 0);
}

static void malformed_buffers(void **state)
{
	struct fx *f = *state;
	uint64_t ino = mkfile(f, f->root, "b");
	struct zufs_io_in in = { .len = 100 };
	char buf[200];
	struct rq q;

	/* READ without a buffer, with a READ-only one, a shorter one, two */
	rq_start(&q, ZUFS_OP_READ, f->sb_id, ino);
	rq_add(&q, &in, sizeof(in));
	assert_int_equal(rq_send(f, &q), -EINVAL);
	rq_buf(&q, buf, 100, ZUS_BUF_READ);
	assert_int_equal(rq_send(f, &q), -EINVAL);
	q.c.nr_bufs = 0;
	rq_buf(&q, buf, 99, ZUS_BUF_WRITE);
	assert_int_equal(rq_send(f, &q), -EINVAL);
	q.c.nr_bufs = 0;
	rq_buf(&q, buf, 100, ZUS_BUF_WRITE);
	rq_buf(&q, buf + 100, 100, ZUS_BUF_WRITE);
	assert_int_equal(rq_send(f, &q), -EINVAL);
	q.c.nr_bufs = 0;
	rq_buf(&q, NULL, 100, ZUS_BUF_WRITE);
	assert_int_equal(rq_send(f, &q), -EINVAL);
	/* a buffer where none belongs */
	rq_start(&q, ZUFS_OP_GETATTR, f->sb_id, ino);
	rq_buf(&q, buf, 10, ZUS_BUF_WRITE);
	assert_int_equal(rq_send(f, &q), -EINVAL);
	/* lengths beyond what is sane */
	in.offset = 1ULL << 63;
	in.len = 1;
	rq_start(&q, ZUFS_OP_READ, f->sb_id, ino);
	rq_add(&q, &in, sizeof(in));
	rq_buf(&q, buf, 1, ZUS_BUF_WRITE);
	assert_int_equal(rq_send(f, &q), -EINVAL);
	in.offset = 0;
	in.len = UINT64_MAX;
	q.u.h.len = 0;
	memcpy(q.u.bytes + sizeof(q.u.h), &in, sizeof(in));
	assert_int_equal(rq_send(f, &q), -EINVAL);
	/* bad I/O flags: APPEND on a read, unknown bits */
	in.len = 10;
	in.flags = ZUFS_WRITE_APPEND;
	rq_start(&q, ZUFS_OP_READ, f->sb_id, ino);
	rq_add(&q, &in, sizeof(in));
	rq_buf(&q, buf, 10, ZUS_BUF_WRITE);
	assert_int_equal(rq_send(f, &q), -EINVAL);
	in.flags = 1U << 20;
	rq_start(&q, ZUFS_OP_WRITE, f->sb_id, ino);
	rq_add(&q, &in, sizeof(in));
	rq_buf(&q, buf, 10, ZUS_BUF_READ);
	assert_int_equal(rq_send(f, &q), -EINVAL);
	/* readdir: size disagreeing with the buffer */
	{
		struct zufs_readdir_in rin = { .size = 4096 };

		rq_start(&q, ZUFS_OP_READDIR, f->sb_id, f->root);
		rq_add(&q, &rin, sizeof(rin));
		rq_buf(&q, buf, sizeof(buf), ZUS_BUF_WRITE);
		assert_int_equal(rq_send(f, &q), -EINVAL);
		rin.size = sizeof(buf);
		rin.cookie = 1ULL << 63;
		rq_start(&q, ZUFS_OP_READDIR, f->sb_id, f->root);
		rq_add(&q, &rin, sizeof(rin));
		rq_buf(&q, buf, sizeof(buf), ZUS_BUF_WRITE);
		assert_int_equal(rq_send(f, &q), -EINVAL);
	}
	/* symlink: target length vs buffer; NUL in the target; too long */
	{
		struct zufs_symlink_in sin = {
			.ni = { .mode = S_IFLNK | 0777 }, .namelen = 1,
			.targetlen = 10,
		};

		rq_start(&q, ZUFS_OP_SYMLINK, f->sb_id, f->root);
		rq_add(&q, &sin, sizeof(sin));
		rq_name(&q, "s", 1);
		rq_buf(&q, buf, 5, ZUS_BUF_READ);
		assert_int_equal(rq_send(f, &q), -EINVAL);
		memset(buf, 'a', 10);
		buf[3] = '\0';
		q.c.bufs[0].len = 10;
		assert_int_equal(rq_send(f, &q), -EINVAL);
		sin.targetlen = ZUFS_SYMLINK_MAX + 1;
		rq_start(&q, ZUFS_OP_SYMLINK, f->sb_id, f->root);
		rq_add(&q, &sin, sizeof(sin));
		rq_name(&q, "s", 1);
		assert_int_equal(rq_send(f, &q), -EINVAL);
	}
	/* xattr: size beyond the maximum */
	{
		struct zufs_xattr_in xin = { .size = ZUFS_XATTR_SIZE_MAX + 1,
					     .namelen = 6 };

		rq_start(&q, ZUFS_OP_GETXATTR, f->sb_id, ino);
		rq_add(&q, &xin, sizeof(xin));
		rq_name(&q, "user.a", 6);
		assert_int_equal(rq_send(f, &q), -EINVAL);
		xin.size = 0;
		xin.namelen = 3;	/* LISTXATTR carries no name */
		rq_start(&q, ZUFS_OP_LISTXATTR, f->sb_id, ino);
		rq_add(&q, &xin, sizeof(xin));
		assert_int_equal(rq_send(f, &q), -EINVAL);
	}
	assert_int_equal(d_getattr(f, ino, NULL), 0);
}

static void malformed_fields(void **state)
{
	struct fx *f = *state;
	uint64_t ino = mkfile(f, f->root, "m");
	struct rq q;

	/* pads */
	{
		struct zufs_name_in in = { .namelen = 1, .pad = 1 };

		assert_int_equal(named(f, ZUFS_OP_LOOKUP, f->root, &in,
				       sizeof(in), "m", &q), -EINVAL);
	}
	{
		struct zufs_setattr_in in = { .valid = ZUFS_SET_MODE,
					      .pad = 1 };

		assert_int_equal(simple(f, ZUFS_OP_SETATTR, ino, &in,
					sizeof(in), &q), -EINVAL);
		in.pad = 0;
		in.valid = 1U << 20;
		assert_int_equal(simple(f, ZUFS_OP_SETATTR, ino, &in,
					sizeof(in), &q), -EINVAL);
		in.valid = ZUFS_SET_MODE;
		in.mode = S_IFDIR | 0755;	/* type bits */
		assert_int_equal(simple(f, ZUFS_OP_SETATTR, ino, &in,
					sizeof(in), &q), -EINVAL);
		in.mode = 0;
		in.valid = ZUFS_SET_ATIME;
		in.atimensec = 1000000000;
		assert_int_equal(simple(f, ZUFS_OP_SETATTR, ino, &in,
					sizeof(in), &q), -EINVAL);
		in.atimensec = 0;
		in.reserved[0] = 1;
		assert_int_equal(simple(f, ZUFS_OP_SETATTR, ino, &in,
					sizeof(in), &q), -EINVAL);
	}
	/* new inodes of the wrong kind or with junk */
	assert_int_equal(d_create(f, ZUFS_OP_MKNOD, f->root, "x",
				  S_IFDIR | 0755, NULL), -EINVAL);
	assert_int_equal(d_create(f, ZUFS_OP_MKNOD, f->root, "x",
				  S_IFLNK | 0777, NULL), -EINVAL);
	assert_int_equal(d_create(f, ZUFS_OP_MKDIR, f->root, "x",
				  S_IFREG | 0755, NULL), -EINVAL);
	assert_int_equal(d_create(f, ZUFS_OP_MKNOD, f->root, "x", 0644, NULL),
			 -EINVAL);
	assert_int_equal(d_create(f, ZUFS_OP_MKNOD, f->root, "x",
				  S_IFREG | 010000, NULL), -EINVAL);
	{
		struct zufs_create_in in = {
			.ni = { .mode = S_IFREG | 0644, .rdev_major = 1 },
			.namelen = 1,
		};

		assert_int_equal(named(f, ZUFS_OP_MKNOD, f->root, &in,
				       sizeof(in), "x", &q), -EINVAL);
		in.ni = (struct zufs_new_inode){ .mode = S_IFBLK | 0600,
						 .rdev_major = 4096 };
		assert_int_equal(named(f, ZUFS_OP_MKNOD, f->root, &in,
				       sizeof(in), "x", &q), -EINVAL);
		in.ni = (struct zufs_new_inode){ .mode = S_IFREG | 0600,
						 .pad = 1 };
		assert_int_equal(named(f, ZUFS_OP_MKNOD, f->root, &in,
				       sizeof(in), "x", &q), -EINVAL);
	}
	assert_int_equal(d_lookup(f, f->root, "x", NULL), -ENOENT);
	/* rename flags */
	{
		struct zufs_rename_in in = { .newdir = f->root, .oldlen = 1,
					     .newlen = 1,
					     .flags = ZUFS_RENAME_NOREPLACE |
						      ZUFS_RENAME_EXCHANGE };

		rq_start(&q, ZUFS_OP_RENAME, f->sb_id, f->root);
		rq_add(&q, &in, sizeof(in));
		rq_name(&q, "m", 1);
		rq_name(&q, "n", 1);
		assert_int_equal(rq_send(f, &q), -EINVAL);
		in.flags = 4;			/* WHITEOUT: not in zufs */
		q.u.h.len = 0;
		memcpy(q.u.bytes + sizeof(q.u.h), &in, sizeof(in));
		assert_int_equal(rq_send(f, &q), -EINVAL);
	}
	/* fallocate modes, lseek whence, fsync/sync values, forget of 0 */
	{
		struct zufs_fallocate_in in = { .len = 10,
						.mode = ZUFS_FALLOC_PUNCH_HOLE };
		struct zufs_lseek_in lin = { .whence = 0 };
		struct zufs_fsync_in fin = { .datasync = 7 };
		struct zufs_forget_in gin = { .nlookup = 0 };

		assert_int_equal(simple(f, ZUFS_OP_FALLOCATE, ino, &in,
					sizeof(in), &q), -EINVAL);
		in.mode = 0x40;
		assert_int_equal(simple(f, ZUFS_OP_FALLOCATE, ino, &in,
					sizeof(in), &q), -EINVAL);
		in.mode = 0;
		in.len = 0;
		assert_int_equal(simple(f, ZUFS_OP_FALLOCATE, ino, &in,
					sizeof(in), &q), -EINVAL);
		in.len = UINT64_MAX;
		assert_int_equal(simple(f, ZUFS_OP_FALLOCATE, ino, &in,
					sizeof(in), &q), -EFBIG);
		assert_int_equal(simple(f, ZUFS_OP_LSEEK, ino, &lin,
					sizeof(lin), &q), -EINVAL);
		assert_int_equal(simple(f, ZUFS_OP_FSYNC, ino, &fin,
					sizeof(fin), &q), -ENOSYS);
		assert_int_equal(simple(f, ZUFS_OP_FORGET, ino, &gin,
					sizeof(gin), &q), 0);
	}
	/* link of inode 0; copy_range with flags */
	{
		struct zufs_link_in in = { .ino = 0, .namelen = 1 };
		struct zufs_copy_range_in cin = { .ino_out = ino, .len = 1,
						  .flags = 1 };

		assert_int_equal(named(f, ZUFS_OP_LINK, f->root, &in,
				       sizeof(in), "l", &q), -EINVAL);
		assert_int_equal(simple(f, ZUFS_OP_COPY_RANGE, ino, &cin,
					sizeof(cin), &q), -EINVAL);
	}
	assert_int_equal(d_getattr(f, ino, NULL), 0);
}

/* ---- a plugin that lies, and one with a tiny table ------------------------ */

static int bad_mode_ret;	/* what bad_getattr does, by test */

enum { LIE_INO0 = 1, LIE_MODE, LIE_OTHER_INO, LIE_NSEC, LIE_POSITIVE,
       LIE_BIG_ERRNO, LIE_SELF };

static int bad_mount(const struct zus_ctx *ctx, const char *source,
		     const char *options, unsigned int flags, zus_ino_t *root)
{
	*root = 1;
	return 0;
}

static void fill(struct zus_attr *a, zus_ino_t ino, uint32_t mode)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->mode = mode;
	a->nlink = 1;
}

static int bad_getattr(const struct zus_ctx *ctx, zus_ino_t ino, struct zus_attr *a)
{
	fill(a, ino, ino == 1 ? S_IFDIR | 0755 : S_IFREG | 0644);
	switch (ino == 1 ? 0 : bad_mode_ret) {
	case LIE_INO0: a->ino = 0; break;
	case LIE_MODE: a->mode = 0170644; break;
	case LIE_OTHER_INO: a->ino = ino + 1; break;
	case LIE_NSEC: a->mtime.tv_nsec = 1000000000; break;
	case LIE_POSITIVE: return 5;
	case LIE_BIG_ERRNO: return -512;	/* a kernel-internal errno */
	}
	return 0;
}

static uint64_t forgotten;

static void bad_forget(const struct zus_ctx *ctx, zus_ino_t ino, uint64_t n)
{
	forgotten += n;
}

static int bad_lookup(const struct zus_ctx *ctx, zus_ino_t dir, const char *name,
		      size_t namelen, struct zus_attr *a)
{
	fill(a, !strcmp(name, "self") ? dir : 5, S_IFREG | 0644);
	if (!strcmp(name, "dir"))
		a->mode = S_IFDIR | 0755;
	if (!strcmp(name, "badtype"))
		a->mode = 0644;
	if (!strcmp(name, "rdev")) {
		a->mode = S_IFCHR | 0600;
		a->rdev = makedev(5000, 1);
	}
	return 0;
}

static int bad_mkdir(const struct zus_ctx *ctx, zus_ino_t dir, const char *name,
		     size_t namelen, const struct zus_new_inode *ni,
		     struct zus_attr *a)
{
	fill(a, 9, S_IFREG | 0644);	/* asked for a directory */
	return 0;
}

static ssize_t bad_readlink(const struct zus_ctx *ctx, zus_ino_t ino, char *buf,
			    size_t size)
{
	return ino == 2 ? (ssize_t)size + 1 : 0;
}

static ssize_t bad_read(const struct zus_ctx *ctx, zus_ino_t ino, void *buf,
			size_t len, uint64_t off)
{
	return (ssize_t)len + 1;
}

static ssize_t bad_write(const struct zus_ctx *ctx, zus_ino_t ino, const void *buf,
			 size_t len, uint64_t off, unsigned int flags)
{
	return ino == 2 ? (ssize_t)len + 1 : (ssize_t)len;
}

static int bad_statfs(const struct zus_ctx *ctx, struct zus_statfs *st)
{
	st->blocks = 10;
	st->bfree = 11;
	return 0;
}

static int bad_unlink(const struct zus_ctx *ctx, zus_ino_t dir, const char *name,
		      size_t namelen)
{
	return 1;
}

static ssize_t bad_listxattr(const struct zus_ctx *ctx, zus_ino_t ino, char *buf,
			     size_t size)
{
	if (size)
		memcpy(buf, "user.a", 6);	/* no NUL */
	return 6;
}

static int64_t bad_lseek(const struct zus_ctx *ctx, zus_ino_t ino, uint64_t off,
			 int whence)
{
	return (int64_t)off - 1;
}

static const struct zus_fs_ops bad_ops = {
	.size		= sizeof(struct zus_fs_ops),
	.mount		= bad_mount,
	.statfs		= bad_statfs,
	.lookup		= bad_lookup,
	.forget		= bad_forget,
	.getattr	= bad_getattr,
	.mkdir		= bad_mkdir,
	.readlink	= bad_readlink,
	.unlink		= bad_unlink,
	.read		= bad_read,
	.write		= bad_write,
	.lseek		= bad_lseek,
	.listxattr	= bad_listxattr,
};

static const struct zus_plugin bad_plugin = {
	.size = sizeof(struct zus_plugin),
	.abi_version = ZUS_ABI_VERSION,
	.name = "liar",
	.ops = &bad_ops,
};

/* A table of an old, small plugin: only mount and getattr... cut short. */
static struct zus_fs_ops tiny_ops = {
	.size		= offsetof(struct zus_fs_ops, statfs),
	.mount		= bad_mount,
	.getattr	= bad_getattr,	/* beyond .size: not seen */
	.unlink		= bad_unlink,	/* -EIO if it were called */
};

static const struct zus_plugin tiny_plugin = {
	.size = sizeof(struct zus_plugin),
	.abi_version = ZUS_ABI_VERSION,
	.name = "tiny",
	.ops = &tiny_ops,
};

static const struct zus_plugin tiny2_plugin = {
	.size = sizeof(struct zus_plugin),
	.abi_version = ZUS_ABI_VERSION,
	.name = "tiny2",
	.ops = &tiny_ops,
};

static void add_plugin(struct fx *f, const struct zus_plugin *p)
{
	struct zus_loaded_plugin *lp;

	assert_int_equal(zus_plugin_wrap(p, NULL, p->name, &lp), 0);
	assert_int_equal(zus_plugin_init(lp, ZUS_TRANSPORT_ZUFS,
					 zus_zufs_capable()), 0);
	assert_int_equal(zus_server_add_plugin(&f->srv, lp), 0);
}

static void broken_replies(void **state)
{
	struct fx *f = *state;
	struct zufs_init_out out;
	struct zufs_attr a;
	char buf[ZUFS_SYMLINK_MAX];
	struct rq q;

	add_plugin(f, &bad_plugin);
	assert_int_equal(do_init(f, "liar", "", "", &out), 0);
	f->sb_id = out.sb_id;
	/* ABI 2: capabilities come from init's want, never from which ops
	 * are set (the liar has no init: it wants nothing). */
	assert_int_equal(out.caps, 0);

	for (bad_mode_ret = LIE_INO0; bad_mode_ret <= LIE_BIG_ERRNO;
	     bad_mode_ret++)
		assert_int_equal(d_getattr(f, 2, NULL), -EIO);
	bad_mode_ret = 0;
	assert_int_equal(d_getattr(f, 2, &a), 0);

	/* lookups whose reply is refused give the reference back */
	forgotten = 0;
	assert_int_equal(d_lookup(f, 1, "file", &a), 0);
	assert_int_equal(d_lookup(f, 1, "self", NULL), -EIO);
	assert_int_equal(d_lookup(f, 1, "badtype", NULL), -EIO);
	assert_int_equal(d_lookup(f, 1, "rdev", NULL), -EIO);
	assert_int_equal(forgotten, 3);
	assert_int_equal(d_create(f, ZUFS_OP_MKDIR, 1, "d", S_IFDIR | 0755,
				  NULL), -EIO);
	assert_int_equal(forgotten, 4);

	{
		struct zufs_readlink_in rin = { .size = ZUFS_SYMLINK_MAX };

		rq_start(&q, ZUFS_OP_READLINK, f->sb_id, 2);
		rq_add(&q, &rin, sizeof(rin));
		rq_buf(&q, buf, sizeof(buf), ZUS_BUF_WRITE);
		assert_int_equal(rq_send(f, &q), -EIO);	/* too long */
		q.u.h.ino = 3;
		assert_int_equal(rq_send(f, &q), -EIO);	/* empty */
	}
	assert_int_equal(d_io(f, ZUFS_OP_READ, 2, buf, 10, 0, 0, NULL), -EIO);
	assert_int_equal(d_io(f, ZUFS_OP_WRITE, 2, buf, 10, 0, 0, NULL), -EIO);
	/* an append whose size cannot hold the data */
	assert_int_equal(d_io(f, ZUFS_OP_WRITE, 3, buf, 10, 0,
			      ZUFS_WRITE_APPEND, NULL), -EIO);
	assert_int_equal(simple(f, ZUFS_OP_STATFS, 0, NULL, 0, &q), -EIO);
	{
		struct zufs_name_in in = { .namelen = 1 };

		assert_int_equal(named(f, ZUFS_OP_UNLINK, 1, &in, sizeof(in),
				       "x", &q), -EIO);
	}
	{
		struct zufs_lseek_in lin = { .offset = 10,
					     .whence = ZUFS_SEEK_DATA };

		assert_int_equal(simple(f, ZUFS_OP_LSEEK, 2, &lin,
					sizeof(lin), &q), -EIO);
	}
	{
		uint32_t n;

		assert_int_equal(xattr_call(f, ZUFS_OP_LISTXATTR, 2, NULL, buf,
					    64, 0, &n), -EIO);
		assert_int_equal(xattr_call(f, ZUFS_OP_LISTXATTR, 2, NULL, buf,
					    4, 0, &n), -EIO);
		/* NULL ops: -ENOSYS */
		assert_int_equal(xattr_call(f, ZUFS_OP_GETXATTR, 2, "user.a",
					    NULL, 0, 0, &n), -ENOSYS);
	}
	{
		struct zufs_tmpfile_in tin = { .ni = { .mode = S_IFREG } };

		assert_int_equal(simple(f, ZUFS_OP_TMPFILE, 1, &tin,
					sizeof(tin), &q), -ENOSYS);
	}
}

static void tiny_table(void **state)
{
	struct fx *f = *state;
	struct zufs_init_out out;
	struct zufs_name_in in = { .namelen = 1 };
	struct rq q;

	add_plugin(f, &tiny_plugin);
	/* INIT needs getattr for the root's attributes: the mount fails
	 * cleanly and leaves nothing mounted behind. */
	assert_int_equal(do_init(f, "tiny", "", "", &out), -EIO);
	assert_int_equal(zus_server_nr_mounts(&f->srv), 1);

	/* A table that ends after getattr: the ops beyond it are -ENOSYS,
	 * even where the struct behind it has a pointer. */
	tiny_ops.size = offsetof(struct zus_fs_ops, setattr);
	add_plugin(f, &tiny2_plugin);
	assert_int_equal(do_init(f, "tiny2", "", "", &out), 0);
	assert_int_equal(out.caps, 0);
	f->sb_id = out.sb_id;
	assert_int_equal(named(f, ZUFS_OP_UNLINK, 1, &in, sizeof(in), "x",
			       &q), -ENOSYS);
	assert_int_equal(named(f, ZUFS_OP_RMDIR, 1, &in, sizeof(in), "x",
			       &q), -ENOSYS);
	assert_int_equal(simple(f, ZUFS_OP_STATFS, 0, NULL, 0, &q), -ENOSYS);
	assert_int_equal(d_getattr(f, 1, NULL), 0);
}

/* ---- BATCH_FORGET ---------------------------------------------------------- */

#define REC_MAX	512
static struct { zus_ino_t ino; uint64_t n; } rec[REC_MAX];
static unsigned int nrec;

static void rec_forget(const struct zus_ctx *ctx, zus_ino_t ino, uint64_t n)
{
	assert_true(nrec < REC_MAX);
	rec[nrec].ino = ino;
	rec[nrec].n = n;
	nrec++;
}

static const struct zus_fs_ops rec_ops = {
	.size		= sizeof(struct zus_fs_ops),
	.mount		= bad_mount,
	.getattr	= bad_getattr,
	.forget		= rec_forget,
};

static const struct zus_plugin rec_plugin = {
	.size = sizeof(struct zus_plugin),
	.abi_version = ZUS_ABI_VERSION,
	.name = "forgetrec",
	.ops = &rec_ops,
};

/* A BATCH_FORGET of @n entries; @count is what the in struct says. */
static int batch(struct fx *f, uint32_t count, uint32_t pad, uint64_t ino,
		 const struct zufs_forget_one *e, unsigned int n,
		 struct rq *q)
{
	struct zufs_batch_forget_in in = { .count = count, .pad = pad };

	nrec = 0;
	rq_start(q, ZUFS_OP_BATCH_FORGET, f->sb_id, ino);
	rq_add(q, &in, sizeof(in));
	if (n)
		rq_add(q, e, n * sizeof(*e));
	return rq_send(f, q);
}

static void batch_forget(void **state)
{
	struct fx *f = *state;
	struct zufs_forget_one e[300] = {
		{ .ino = 5, .nlookup = 2 },
		{ .ino = 9, .nlookup = 1 },
		{ .ino = 5, .nlookup = 7 },	/* the same inode again adds */
	};
	struct zufs_forget_one bad;
	struct zufs_init_out out;
	struct zufs_attr a;
	unsigned int full, i;
	char junk[8] = { 0 };
	struct rq q;

	/* memfs: an unlinked file lives until the kernel forgets it */
	assert_int_equal(d_create(f, ZUFS_OP_MKNOD, f->root, "gone",
				  S_IFREG | 0644, &a), 0);
	{
		struct zufs_name_in in = { .namelen = 4 };
		struct zufs_forget_one one = { .ino = a.ino, .nlookup = 1 };

		assert_int_equal(named(f, ZUFS_OP_UNLINK, f->root, &in,
				       sizeof(in), "gone", &q), 0);
		assert_int_equal(d_getattr(f, a.ino, NULL), 0);
		assert_int_equal(batch(f, 1, 0, 0, &one, 1, &q), 0);
		assert_int_equal(q.c.reply_len, 0);
		assert_int_equal(d_getattr(f, a.ino, NULL), -ENOENT);
	}

	add_plugin(f, &rec_plugin);
	assert_int_equal(do_init(f, "forgetrec", "", "", &out), 0);
	f->sb_id = out.sb_id;

	/* each entry is one forget, in order */
	assert_int_equal(batch(f, 3, 0, 0, e, 3, &q), 0);
	assert_int_equal(q.c.reply_len, 0);
	assert_int_equal(nrec, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(rec[i].ino, e[i].ino);
		assert_int_equal(rec[i].n, e[i].nlookup);
	}

	/* as many as the kernel puts in one inline request */
	full = (zus_proto_max_inline() - sizeof(struct zufs_in_header) -
		sizeof(struct zufs_batch_forget_in)) / sizeof(e[0]);
	assert_true(full >= 3 && full <= 300);
	for (i = 0; i < full; i++) {
		e[i].ino = 100 + i;
		e[i].nlookup = 1 + i % 3;
	}
	assert_int_equal(batch(f, full, 0, 0, e, full, &q), 0);
	assert_int_equal(nrec, full);
	assert_int_equal(rec[full - 1].ino, 100 + full - 1);
	assert_int_equal(rec[full - 1].n, 1 + (full - 1) % 3);

	/* malformed: nothing reaches the plugin, not even valid entries */
	assert_int_equal(batch(f, 0, 0, 0, NULL, 0, &q), -EINVAL);
	assert_int_equal(batch(f, 4, 0, 0, e, 3, &q), -EINVAL);	/* short */
	assert_int_equal(nrec, 0);
	assert_int_equal(batch(f, 2, 0, 0, e, 3, &q), -EINVAL);	/* extra */
	assert_int_equal(nrec, 0);
	assert_int_equal(batch(f, UINT32_MAX, 0, 0, e, 3, &q), -EINVAL);
	assert_int_equal(batch(f, 1U << 28, 0, 0, e, 3, &q), -EINVAL);
	assert_int_equal(batch(f, 3, 1, 0, e, 3, &q), -EINVAL);	/* pad */
	assert_int_equal(batch(f, 3, 0, 5, e, 3, &q), -EINVAL);	/* ino */
	assert_int_equal(nrec, 0);
	bad = e[1];
	e[1].ino = 0;
	assert_int_equal(batch(f, 3, 0, 0, e, 3, &q), -EINVAL);
	assert_int_equal(nrec, 0);
	e[1] = bad;
	e[2].nlookup = 0;
	assert_int_equal(batch(f, 3, 0, 0, e, 3, &q), -EINVAL);
	assert_int_equal(nrec, 0);
	e[2].nlookup = 1;
	/* half an entry more */
	nrec = 0;
	rq_start(&q, ZUFS_OP_BATCH_FORGET, f->sb_id, 0);
	{
		struct zufs_batch_forget_in in = { .count = 3 };

		rq_add(&q, &in, sizeof(in));
	}
	rq_add(&q, e, 3 * sizeof(e[0]));
	rq_add(&q, junk, sizeof(junk));
	assert_int_equal(rq_send(f, &q), -EINVAL);
	assert_int_equal(nrec, 0);
	/* no buffer may come with it */
	rq_start(&q, ZUFS_OP_BATCH_FORGET, f->sb_id, 0);
	{
		struct zufs_batch_forget_in in = { .count = 1 };

		rq_add(&q, &in, sizeof(in));
	}
	rq_add(&q, e, sizeof(e[0]));
	rq_buf(&q, junk, sizeof(junk), ZUS_BUF_READ);
	assert_int_equal(rq_send(f, &q), -EINVAL);
	assert_int_equal(nrec, 0);
	/* and still fine afterwards */
	assert_int_equal(batch(f, 1, 0, 0, e, 1, &q), 0);
	assert_int_equal(nrec, 1);

	/* a plugin without forget: not implemented (the kernel then sends
	 * single FORGETs, which are not implemented either) */
	add_plugin(f, &tiny2_plugin);
	tiny_ops.size = offsetof(struct zus_fs_ops, setattr);
	assert_int_equal(do_init(f, "tiny2", "", "", &out), 0);
	f->sb_id = out.sb_id;
	assert_int_equal(batch(f, 1, 0, 0, e, 1, &q), -ENOSYS);
}

static void evil_modes(void **state)
{
	struct fx *f = *state;
	struct zufs_init_out out;
	struct zufs_attr a;
	char buf[4096];
	struct rq q;

	zus_evil_allowed = true;
	assert_int_equal(do_init(f, "memfs", "",
				 "evil=ino0+big_read+bad_dirent", &out), 0);
	zus_evil_allowed = false;
	f->sb_id = out.sb_id;
	assert_int_not_equal(out.root.ino, 0);	/* INIT is left alone */
	{
		struct zufs_create_in in = {
			.ni = { .mode = S_IFREG | 0644 }, .namelen = 1,
		};

		assert_int_equal(named(f, ZUFS_OP_MKNOD, out.root.ino, &in,
				       sizeof(in), "e", &q), 0);
		a = entry_of(&q);
		assert_int_equal(a.ino, 0);
	}
	assert_int_equal(d_getattr(f, 2, &a), 0);
	assert_int_equal(a.ino, 2);
	assert_int_equal(d_io(f, ZUFS_OP_WRITE, 2, buf, 10, 0, 0, NULL), 11);
	assert_int_equal(d_io(f, ZUFS_OP_READ, 2, buf, 10, 0, 0, NULL), 11);
	{
		struct zufs_readdir_in rin = { .size = sizeof(buf) };
		struct zufs_readdir_out rout;
		struct zufs_dirent d;

		rq_start(&q, ZUFS_OP_READDIR, f->sb_id, out.root.ino);
		rq_add(&q, &rin, sizeof(rin));
		rq_buf(&q, buf, sizeof(buf), ZUS_BUF_WRITE);
		assert_int_equal(rq_send(f, &q), 0);
		memcpy(&rout, q.reply.bytes, sizeof(rout));
		memcpy(&d, buf, ZUFS_DIRENT_NAME_OFFSET);
		assert_int_equal(d.ino, 0);
		assert_true(ZUFS_DIRENT_NAME_OFFSET + d.namelen > rout.len);
	}

	zus_evil_allowed = true;
	assert_int_equal(do_init(f, "memfs", "", "size=1m,evil=short_reply",
				 &out), 0);
	zus_evil_allowed = false;
	f->sb_id = out.sb_id;
	assert_int_equal(simple(f, ZUFS_OP_GETATTR, out.root.ino, NULL, 0, &q),
			 0);
	assert_int_equal(q.c.reply_len, 1);
	assert_int_equal(do_init(f, "memfs", "", "evil=nonsense", &out),
			 -EINVAL);
}

/* Requests from several workers at once, while other mounts come and go. */
struct worker_arg {
	struct fx *f;
	int id;
	int errors;
};

static void *worker(void *p)
{
	struct worker_arg *w = p;
	struct fx *f = w->f;
	char name[32], buf[512], back[512];
	struct zufs_attr d;

	snprintf(name, sizeof(name), "w%d", w->id);
	if (d_create(f, ZUFS_OP_MKDIR, f->root, name, S_IFDIR | 0755, &d))
		w->errors++;
	for (int i = 0; i < 200; i++) {
		struct zufs_name_in in;
		struct zufs_attr a;
		struct rq q;

		snprintf(name, sizeof(name), "f%d", i);
		if (d_create(f, ZUFS_OP_MKNOD, d.ino, name, S_IFREG | 0644, &a)) {
			w->errors++;
			continue;
		}
		memset(buf, w->id + i, sizeof(buf));
		if (d_io(f, ZUFS_OP_WRITE, a.ino, buf, sizeof(buf), 0, 0,
			 NULL) != sizeof(buf) ||
		    d_io(f, ZUFS_OP_READ, a.ino, back, sizeof(back), 0, 0,
			 NULL) != sizeof(back) ||
		    memcmp(buf, back, sizeof(buf)))
			w->errors++;
		in = (struct zufs_name_in){ .namelen = strlen(name) };
		if (named(f, ZUFS_OP_UNLINK, d.ino, &in, sizeof(in), name, &q))
			w->errors++;
	}
	return NULL;
}

static void *mounter(void *p)
{
	struct worker_arg *w = p;
	struct zufs_init_out out;

	for (int i = 0; i < 100; i++) {
		struct rq q;

		if (do_init(w->f, "memfs", "", "size=1m", &out)) {
			w->errors++;
			continue;
		}
		rq_start(&q, ZUFS_OP_DESTROY, out.sb_id, 0);
		q.u.h.len = q.len;
		q.c.req = q.u.bytes;
		q.c.req_len = q.len;
		q.c.client_id = CLIENT;
		if (zus_dispatch(&w->f->srv, &q.c))
			w->errors++;
	}
	return NULL;
}

static void concurrent(void **state)
{
	struct fx *f = *state;
	struct worker_arg args[5];
	pthread_t t[5];

	for (int i = 0; i < 5; i++) {
		args[i] = (struct worker_arg){ .f = f, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL,
						i == 4 ? mounter : worker,
						&args[i]), 0);
	}
	for (int i = 0; i < 5; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(args[i].errors, 0);
	}
	assert_int_equal(zus_server_nr_mounts(&f->srv), 1);
}

/* The evil= option is cut out of the options wherever it stands. */
static void evil_option(void **state)
{
	static const struct {
		const char *in, *out;
		uint32_t flags;
	} cases[] = {
		{ "evil=ino0", "", ZUS_EVIL_INO0 },
		{ "size=1m,evil=ino0", "size=1m", ZUS_EVIL_INO0 },
		{ "evil=big_len+short_reply,size=1m", "size=1m",
		  ZUS_EVIL_BIG_LEN | ZUS_EVIL_SHORT_REPLY },
		{ "a=1,evil=dot_name,b=2", "a=1,b=2", ZUS_EVIL_DOT_NAME },
		{ "a=1,evil=ino0,evil=bad_mode", "a=1",
		  ZUS_EVIL_INO0 | ZUS_EVIL_BAD_MODE },
		{ "noevil=1", "noevil=1", 0 },
		{ "", "", 0 },
	};
	struct zus_evil ev;
	char buf[128];

	(void)state;
	zus_evil_allowed = true;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", cases[i].in);
		assert_int_equal(zus_evil_take_option(buf, &ev), 0);
		assert_string_equal(buf, cases[i].out);
		assert_int_equal(ev.flags, cases[i].flags);
		assert_int_equal(ev.active, cases[i].flags != 0);
	}
	snprintf(buf, sizeof(buf), "a=1,evil=exit_read+hang_lookup");
	assert_int_equal(zus_evil_take_option(buf, &ev), 0);
	assert_string_equal(buf, "a=1");
	assert_int_equal(ev.exit_op, ZUFS_OP_READ);
	assert_int_equal(ev.hang_op, ZUFS_OP_LOOKUP);
	assert_true(ev.active);
	snprintf(buf, sizeof(buf), "evil=exit_any");
	assert_int_equal(zus_evil_take_option(buf, &ev), 0);
	assert_int_equal(ev.exit_op, ZUS_EVIL_OP_ANY);
	snprintf(buf, sizeof(buf), "evil=exit_nosuchop");
	assert_int_equal(zus_evil_take_option(buf, &ev), -EINVAL);
	zus_evil_allowed = false;
	snprintf(buf, sizeof(buf), "evil=ino0");
	assert_int_equal(zus_evil_take_option(buf, &ev), -EINVAL);
}

static void op_names(void **state)
{
	(void)state;
	for (unsigned int op = 1; op < ZUFS_OP_MAX; op++) {
		const char *n = zus_op_name(op);

		assert_string_not_equal(n, "?");
		assert_int_equal(zus_op_by_name(n), (int)op);
	}
	assert_int_equal(zus_op_by_name("READ"), ZUFS_OP_READ);
	assert_int_equal(zus_op_by_name("nosuchop"), ZUS_EVIL_OP_NONE);
	assert_string_equal(zus_op_name(ZUFS_OP_MAX), "?");
	assert_true(zus_proto_max_inline() >= ZUFS_MIN_INLINE);
}

/* ---- per-open handles: memfs-oh wants ZUS_CAP_OPEN ----------------------- */

static int d_open(struct fx *f, uint64_t ino, uint32_t flags, uint64_t *fh)
{
	struct zufs_open_in in = { .flags = flags };
	struct zufs_open_out out;
	struct rq q;
	int ret;

	rq_start(&q, ZUFS_OP_OPEN, f->sb_id, ino);
	rq_add(&q, &in, sizeof(in));
	ret = rq_send(f, &q);
	if (!ret) {
		assert_int_equal(q.c.reply_len, sizeof(out));
		memcpy(&out, q.reply.bytes, sizeof(out));
		assert_int_equal(out.reserved, 0);
		*fh = out.fh;
	}
	return ret;
}

static int d_release(struct fx *f, uint64_t ino, uint64_t fh)
{
	struct zufs_release_in in = { .fh = fh };
	struct rq q;

	rq_start(&q, ZUFS_OP_RELEASE, f->sb_id, ino);
	rq_add(&q, &in, sizeof(in));
	return rq_send(f, &q);
}

static int d_read_fh(struct fx *f, uint64_t ino, uint64_t fh, void *buf,
		     size_t len)
{
	struct zufs_io_in in = { .fh = fh, .len = len };
	struct rq q;

	rq_start(&q, ZUFS_OP_READ, f->sb_id, ino);
	rq_add(&q, &in, sizeof(in));
	rq_buf(&q, buf, len, ZUS_BUF_WRITE);
	return rq_send(f, &q);
}

/* Append one initial-xattr record to blk at *len. */
static void ixattr(char *blk, size_t *len, const char *name, const char *val)
{
	struct zufs_init_xattr x = {
		.namelen = strlen(name), .size = strlen(val),
	};
	size_t rl = ZUFS_INIT_XATTR_SIZE(x.namelen, x.size);

	memset(blk + *len, 0, rl);
	memcpy(blk + *len, &x, ZUFS_INIT_XATTR_NAME_OFFSET);
	memcpy(blk + *len + ZUFS_INIT_XATTR_NAME_OFFSET, name, x.namelen + 1);
	memcpy(blk + *len + ZUFS_INIT_XATTR_NAME_OFFSET + x.namelen + 1, val,
	       x.size);
	*len += rl;
}

static int d_create_open(struct fx *f, uint64_t dir, const char *name,
			 void *blk, size_t blen, uint64_t *ino, uint64_t *fh)
{
	struct zufs_create_open_in in = {
		.ni = { .mode = S_IFREG | 0640, .uid = 1000, .gid = 100 },
		.namelen = strlen(name),
		.flags = O_RDWR,
	};
	struct zufs_create_open_out out;
	struct rq q;
	int ret;

	rq_start(&q, ZUFS_OP_CREATE, f->sb_id, dir);
	rq_add(&q, &in, sizeof(in));
	rq_name(&q, name, strlen(name));
	if (blen)
		rq_buf(&q, blk, blen, ZUS_BUF_READ);
	ret = rq_send(f, &q);
	if (!ret) {
		assert_int_equal(q.c.reply_len, sizeof(out));
		memcpy(&out, q.reply.bytes, sizeof(out));
		assert_int_equal(out.reserved, 0);
		assert_int_equal(out.attr.mode, S_IFREG | 0640);
		*ino = out.attr.ino;
		*fh = out.fh;
	}
	return ret;
}

/*
 * Protocol 1.2 CREATE with initial xattrs (ZUFS_CAP_INIT_XATTRS): the file
 * is created and opened in one request and has the xattrs from its first
 * moment; a malformed block creates nothing.
 */
static void create_with_xattrs(struct fx *f, uint64_t root)
{
	char blk[512], val[32];
	struct zufs_init_xattrs h = { 0 };
	uint64_t ino = 0, fh = 0;
	uint32_t sz = 0;
	size_t len = sizeof(h);
	struct zufs_attr a;

	ixattr(blk, &len, "security.test", "label");
	ixattr(blk, &len, "user.x", "1");
	h.count = 2;
	h.len = len;
	memcpy(blk, &h, sizeof(h));
	assert_int_equal(d_create_open(f, root, "c1", blk, len, &ino, &fh), 0);
	assert_int_not_equal(fh, 0);
	assert_int_equal(xattr_call(f, ZUFS_OP_GETXATTR, ino, "security.test",
				    val, sizeof(val), 0, &sz), 0);
	assert_int_equal(sz, 5);
	assert_memory_equal(val, "label", 5);
	assert_int_equal(d_read_fh(f, ino, fh, val, 4), 0);
	assert_int_equal(d_release(f, ino, fh), 0);
	/* it exists: EEXIST */
	assert_int_equal(d_create_open(f, root, "c1", NULL, 0, &ino, &fh),
			 -EEXIST);
	/* malformed blocks: nothing created */
	h.count = 3;			/* more records than there are */
	memcpy(blk, &h, sizeof(h));
	assert_int_equal(d_create_open(f, root, "c2", blk, len, &ino, &fh),
			 -EINVAL);
	h.count = 2;
	h.len = len - 8;		/* not the buffer's length */
	memcpy(blk, &h, sizeof(h));
	assert_int_equal(d_create_open(f, root, "c2", blk, len, &ino, &fh),
			 -EINVAL);
	len = sizeof(h);
	ixattr(blk, &len, "user.x", "1");
	ixattr(blk, &len, "user.x", "2");	/* twice */
	h.len = len;
	memcpy(blk, &h, sizeof(h));
	assert_int_equal(d_create_open(f, root, "c2", blk, len, &ino, &fh),
			 -EINVAL);
	assert_int_equal(d_lookup(f, root, "c2", &a), -ENOENT);
}

/* What the zufs transport handed to zusd's notification sender. */
static struct {
	unsigned int n;
	uint64_t client;
	char msg[512];
	size_t len;
} sent;

static int fake_send(void *arg, uint64_t client_id, const void *msg,
		     size_t len)
{
	assert_true(len <= sizeof(sent.msg));
	sent.n++;
	sent.client = client_id;
	memcpy(sent.msg, msg, len);
	sent.len = len;
	return *(int *)arg;
}

/* host->notify_* of a zufs mount: the messages of zufs.h, to the mount's
 * connection; the kernel's "not cached" is success. */
static void notifications(struct fx *f, const struct zus_host *host,
			  int *answer)
{
	struct zus_sb_inst *si;
	struct zufs_notify_hdr h;
	struct zufs_notify_inval_inode ii;
	struct zufs_notify_inval_entry ie;

	pthread_rwlock_rdlock(&f->srv.sb_lock);
	si = zus_server_sb_locked(&f->srv, f->sb_id);
	pthread_rwlock_unlock(&f->srv.sb_lock);
	assert_non_null(si);
	assert_int_equal(host->notify_inval_inode(&si->sb, 5, 4096, 100), 0);
	assert_int_equal(sent.n, 1);
	assert_int_equal(sent.client, CLIENT);
	assert_int_equal(sent.len, sizeof(h) + sizeof(ii));
	memcpy(&h, sent.msg, sizeof(h));
	memcpy(&ii, sent.msg + sizeof(h), sizeof(ii));
	assert_int_equal(h.type, ZUFS_NOTIFY_INVAL_INODE);
	assert_int_equal(h.len, sent.len);
	assert_int_equal(h.sb_id, f->sb_id);
	assert_int_equal(ii.ino, 5);
	assert_int_equal(ii.off, 4096);
	assert_int_equal(ii.len, 100);
	/* attributes only */
	assert_int_equal(host->notify_inval_inode(&si->sb, 5, -1, 0), 0);
	memcpy(&ii, sent.msg + sizeof(h), sizeof(ii));
	assert_true(ii.off < 0);
	assert_int_equal(host->notify_inval_inode(&si->sb, 5, -1, 7),
			 -EINVAL);
	assert_int_equal(host->notify_inval_entry(&si->sb, 1, "name", 4), 0);
	memcpy(&h, sent.msg, sizeof(h));
	memcpy(&ie, sent.msg + sizeof(h), sizeof(ie));
	assert_int_equal(h.type, ZUFS_NOTIFY_INVAL_ENTRY);
	assert_int_equal(sent.len, sizeof(h) + sizeof(ie) + 5);
	assert_int_equal(ie.parent, 1);
	assert_int_equal(ie.namelen, 4);
	assert_memory_equal(sent.msg + sizeof(h) + sizeof(ie), "name", 5);
	assert_int_equal(host->notify_inval_entry(&si->sb, 1, "a/b", 3),
			 -EINVAL);
	*answer = -ENOENT;		/* not in the kernel's cache */
	assert_int_equal(host->notify_inval_inode(&si->sb, 5, 0, 0), 0);
	*answer = -EAGAIN;		/* the mount's queue is full */
	assert_int_equal(host->notify_inval_inode(&si->sb, 5, 0, 0), -EAGAIN);
	*answer = 0;
}

/* From the DESTROY on, the host answers -ESHUTDOWN and sends nothing. */
static void notify_in_umount(struct fx *f, struct zus_loaded_plugin *lp)
{
	int answer = 0;
	unsigned int n;
	struct rq q;

	zus_zufs_set_notify(fake_send, &answer);
	real_umount = lp->ops.umount;
	lp->ops.umount = umount_notifying;
	umount_inval_inode = umount_inval_entry = 1;
	n = sent.n;
	rq_start(&q, ZUFS_OP_DESTROY, f->sb_id, 0);
	assert_int_equal(rq_send(f, &q), 0);
	lp->ops.umount = real_umount;
	zus_zufs_set_notify(NULL, NULL);
	assert_int_equal(umount_inval_inode, -ESHUTDOWN);
	assert_int_equal(umount_inval_entry, -ESHUTDOWN);
	assert_int_equal(sent.n, n);
}

/* Inside the plugin's mount (the INIT not answered yet) the host answers
 * 0 and sends nothing: the kernel has nothing of the mount cached; once
 * INIT is answered, notifications go out again. */
static void notify_in_mount(struct fx *f, struct zus_loaded_plugin *lp)
{
	struct zufs_init_out out;
	struct zus_sb_inst *si;
	int answer = 0;
	unsigned int n;

	zus_zufs_set_notify(fake_send, &answer);
	real_mount = lp->ops.mount;
	lp->ops.mount = mount_notifying;
	mount_inval_inode = mount_inval_entry = 1;
	n = sent.n;
	assert_int_equal(do_init(f, "memfs-oh", "none", "", &out), 0);
	lp->ops.mount = real_mount;
	assert_int_equal(mount_inval_inode, 0);
	assert_int_equal(mount_inval_entry, 0);
	assert_int_equal(sent.n, n);
	pthread_rwlock_rdlock(&f->srv.sb_lock);
	si = zus_server_sb_locked(&f->srv, out.sb_id);
	pthread_rwlock_unlock(&f->srv.sb_lock);
	assert_non_null(si);
	assert_int_equal(zus_host.notify_inval_inode(&si->sb, out.root.ino, -1,
						     0), 0);
	assert_int_equal(sent.n, n + 1);
	zus_zufs_set_notify(NULL, NULL);
}

/*
 * ABI 2: a plugin that wants ZUS_CAP_OPEN gets it agreed, its handles
 * come back in OPEN's reply, and every op on the open file carries the
 * handle to the plugin (memfs-oh refuses a handle that is not an open of
 * the inode: -EBADF); a plugin that does not want it (memfs) never has
 * the cap agreed, and OPEN is -ENOSYS.
 */
static void open_handles(void **state)
{
	struct fx *f = *state;
	const char *dirs[] = { getenv("ZUS_TEST_PLUGIN_DIR"), NULL };
	struct zus_loaded_plugin *lp;
	struct zufs_init_out out;
	uint64_t file, fh = 0, fh2 = 0;
	int answer = 0;
	char buf[16];

	/* memfs (the fixture's): no OPEN */
	assert_false(f->caps & ZUFS_CAP_OPEN);
	assert_int_equal(d_open(f, f->root, O_RDONLY, &fh), -ENOSYS);

	/* memfs wants no NOTIFY: its host functions say so */
	{
		struct zus_sb_inst *si;

		pthread_rwlock_rdlock(&f->srv.sb_lock);
		si = zus_server_sb_locked(&f->srv, f->sb_id);
		pthread_rwlock_unlock(&f->srv.sb_lock);
		assert_int_equal(zus_host.notify_inval_inode(&si->sb, 1, -1, 0),
				 -ENOSYS);
	}
	assert_non_null(dirs[0]);
	zus_zufs_set_notify(fake_send, &answer);
	assert_int_equal(zus_plugin_load("memfs-oh", dirs, &lp), 0);
	assert_int_equal(zus_plugin_init(lp, ZUS_TRANSPORT_ZUFS,
					 zus_zufs_capable()), 0);
	assert_true(lp->conn.want & ZUS_CAP_OPEN);
	assert_int_equal(zus_server_add_plugin(&f->srv, lp), 0);
	assert_int_equal(do_init(f, "memfs-oh", "none", "", &out), 0);
	assert_true(out.caps & ZUFS_CAP_OPEN);
	assert_true(out.caps & ZUFS_CAP_NOTIFY);
	f->sb_id = out.sb_id;
	notifications(f, &zus_host, &answer);
	zus_zufs_set_notify(NULL, NULL);
	file = mkfile(f, out.root.ino, "f");
	assert_int_equal(d_open(f, file, O_RDWR, &fh), 0);
	assert_int_not_equal(fh, 0);
	assert_int_equal(d_open(f, file, O_RDONLY, &fh2), 0);
	assert_int_not_equal(fh, fh2);
	assert_int_equal(d_read_fh(f, file, fh, buf, sizeof(buf)), 0);
	/* a handle of another inode, a made-up one: the plugin sees them */
	assert_int_equal(d_read_fh(f, out.root.ino, fh, buf, sizeof(buf)),
			 -EBADF);
	assert_int_equal(d_read_fh(f, file, fh2 + 100, buf, sizeof(buf)),
			 -EBADF);
	/* opening a directory as a file */
	assert_int_equal(d_open(f, out.root.ino, O_RDONLY, &fh2), -EISDIR);
	assert_int_equal(d_release(f, file, fh), 0);
	/* released: the handle is gone */
	assert_int_equal(d_read_fh(f, file, fh, buf, sizeof(buf)), -EBADF);
	/* no handle (fh 0: page-cache I/O of a mapping) is always fine */
	assert_int_equal(d_read_fh(f, file, 0, buf, sizeof(buf)), 0);
	/* malformed OPEN: flags the kernel strips */
	assert_int_equal(d_open(f, file, O_CREAT, &fh2), -EINVAL);
	/* the kernel's own f_flags bits (O_LARGEFILE on every 64-bit open,
	 * an exec's) are no reason to refuse an open */
	assert_int_equal(d_open(f, file, O_RDONLY | ZUS_OPEN_KERNEL_BITS,
				&fh2), 0);
	assert_int_equal(d_release(f, file, fh2), 0);
	create_with_xattrs(f, out.root.ino);
	notify_in_umount(f, lp);
	notify_in_mount(f, lp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(init_reply),
		T(init_errors),
		T(statfs_sync),
		T(namespace_ops),
		T(readdir_pages),
		T(data_ops),
		T(xattr_ops),
		T(destroy_sb),
		T(malformed_header),
		T(malformed_names),
		T(malformed_buffers),
		T(malformed_fields),
		T(broken_replies),
		T(tiny_table),
		T(batch_forget),
		T(evil_modes),
		T(concurrent),
		T(open_handles),
		cmocka_unit_test(evil_option),
		cmocka_unit_test(op_names),
#undef T
	};

	zus_log_level = ZUS_LOG_ERR - 1;	/* quiet: errors are expected */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
