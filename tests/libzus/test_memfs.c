// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_memfs.c - memfs semantics, calling its ops table directly (as the
 * dispatcher would after validation): link counts, rename cases, readdir
 * cookie stability while the directory changes, sparse files with punch
 * hole and SEEK_DATA/SEEK_HOLE, xattrs, special files, tmpfile, forget,
 * limits, and concurrent use.
 */
#include <errno.h>
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

#include "zus_i.h"

struct fx {
	struct zus_server srv;
	struct zus_sb_inst *si;
	struct zus_sb *sb;
	struct zus_ctx ctx;		/* what every op gets */
	const struct zus_fs_ops *op;
	zus_ino_t root;
};

static const struct zus_transport test_transport = {
	.id = ZUS_TRANSPORT_ZUFS,
};

static int mount_memfs(struct fx *f, const char *options)
{
	struct zus_loaded_plugin *lp;
	uint64_t sb_id;
	int err;

	memset(f, 0, sizeof(*f));
	assert_int_equal(zus_server_init(&f->srv), 0);
	assert_int_equal(zus_plugin_wrap(zus_plugin_entry(), NULL, "memfs.c",
					 &lp), 0);
	assert_int_equal(zus_plugin_init(lp, ZUS_TRANSPORT_ZUFS,
					 zus_zufs_capable()), 0);
	assert_int_equal(zus_server_add_plugin(&f->srv, lp), 0);
	err = zus_server_mount(&f->srv, "memfs", "none", options, 0, 1000,
			       100, 42, 1, &test_transport, &sb_id, &f->root,
			       &f->si);
	if (err)
		return err;
	f->sb = &f->si->sb;
	zus_ctx_init(&f->ctx, f->si, 1000, 100, 42);
	f->op = f->si->ops;
	return 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_int_equal(mount_memfs(f, ""), 0);
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

static zus_ino_t mk(struct fx *f, zus_ino_t dir, const char *name,
		    uint32_t mode)
{
	struct zus_new_inode ni = { .mode = mode, .uid = 1000, .gid = 100 };
	struct zus_attr a;
	int err;

	if (S_ISDIR(mode))
		err = f->op->mkdir(&f->ctx, dir, name, strlen(name), &ni, &a);
	else
		err = f->op->mknod(&f->ctx, dir, name, strlen(name), &ni, &a);
	assert_int_equal(err, 0);
	assert_int_equal(a.mode, mode);
	assert_int_equal(a.uid, 1000);
	return a.ino;
}

static struct zus_attr attr(struct fx *f, zus_ino_t ino)
{
	struct zus_attr a;

	assert_int_equal(f->op->getattr(&f->ctx, ino, &a), 0);
	return a;
}

static int lookup(struct fx *f, zus_ino_t dir, const char *name,
		  zus_ino_t *ino)
{
	struct zus_attr a;
	int err = f->op->lookup(&f->ctx, dir, name, strlen(name), &a);

	if (!err && ino)
		*ino = a.ino;
	if (!err)
		f->op->forget(&f->ctx, a.ino, 1);	/* keep counts balanced */
	return err;
}

/* ---- a readdir collector ---------------------------------------------- */

struct ent {
	char name[64];
	zus_ino_t ino;
	unsigned int type;
	uint64_t cookie;
};

struct collect {
	struct zus_dir_ctx ctx;
	struct ent ents[256];
	size_t max;
};

static size_t collect_encode(struct zus_dir_ctx *ctx, const char *name,
			     size_t namelen, zus_ino_t ino, unsigned int type,
			     uint64_t cookie)
{
	struct collect *c = (struct collect *)ctx;
	struct ent *e;

	if (ctx->count >= c->max) {
		ctx->full = true;
		return 0;
	}
	e = &c->ents[ctx->count];
	snprintf(e->name, sizeof(e->name), "%.*s", (int)namelen, name);
	e->ino = ino;
	e->type = type;
	e->cookie = cookie;
	return 1;
}

/* Read up to max entries after cookie; returns how many. */
static size_t rd(struct fx *f, zus_ino_t dir, uint64_t cookie, size_t max,
		 struct collect *c)
{
	int ret;

	memset(c, 0, sizeof(*c));
	c->ctx.encode = collect_encode;
	c->max = max;
	ret = f->op->readdir(&f->ctx, dir, cookie, &c->ctx);
	/* the end is explicit: ZUS_DIR_EOF, or 0 when the reply was full */
	assert_int_equal(ret, c->ctx.full ? 0 : ZUS_DIR_EOF);
	return c->ctx.count;
}

/* ---- tests ------------------------------------------------------------ */

static void link_counts(void **state)
{
	struct fx *f = *state;
	struct zus_attr a;
	zus_ino_t d, file;

	assert_int_equal(attr(f, f->root).nlink, 2);
	d = mk(f, f->root, "d", S_IFDIR | 0755);
	assert_int_equal(attr(f, f->root).nlink, 3);
	assert_int_equal(attr(f, d).nlink, 2);
	file = mk(f, f->root, "f", S_IFREG | 0644);
	assert_int_equal(attr(f, file).nlink, 1);

	assert_int_equal(f->op->link(&f->ctx, file, d, "g", 1, &a), 0);
	assert_int_equal(a.nlink, 2);
	assert_int_equal(a.ino, file);
	assert_int_equal(f->op->link(&f->ctx, file, d, "g", 1, &a), -EEXIST);
	assert_int_equal(f->op->link(&f->ctx, d, f->root, "dl", 2, &a), -EPERM);

	assert_int_equal(f->op->unlink(&f->ctx, f->root, "f", 1), 0);
	assert_int_equal(attr(f, file).nlink, 1);
	assert_int_equal(f->op->unlink(&f->ctx, d, "g", 1), 0);
	/* No name left, but the kernel still holds it (2 lookups):
	 * an open unlinked file. */
	assert_int_equal(attr(f, file).nlink, 0);
	f->op->forget(&f->ctx, file, 1);
	assert_int_equal(f->op->getattr(&f->ctx, file, &a), 0);
	f->op->forget(&f->ctx, file, 1);
	assert_int_equal(f->op->getattr(&f->ctx, file, &a), -ENOENT);

	/* Directory rules. */
	mk(f, d, "x", S_IFREG | 0600);
	assert_int_equal(f->op->rmdir(&f->ctx, f->root, "d", 1), -ENOTEMPTY);
	assert_int_equal(f->op->unlink(&f->ctx, f->root, "d", 1), -EISDIR);
	assert_int_equal(f->op->rmdir(&f->ctx, d, "x", 1), -ENOTDIR);
	assert_int_equal(f->op->unlink(&f->ctx, d, "x", 1), 0);
	assert_int_equal(f->op->unlink(&f->ctx, d, "x", 1), -ENOENT);
	assert_int_equal(f->op->rmdir(&f->ctx, f->root, "d", 1), 0);
	assert_int_equal(attr(f, f->root).nlink, 2);
	/* A removed directory takes no new entries. */
	struct zus_new_inode ni = { .mode = S_IFREG | 0600 };
	assert_int_equal(f->op->mknod(&f->ctx, d, "y", 1, &ni, &a), -ENOENT);
	assert_int_equal(lookup(f, f->root, "d", NULL), -ENOENT);
	assert_int_equal(f->op->mkdir(&f->ctx, file, "z", 1, &ni, &a), -ENOENT);
}

static void create_errors(void **state)
{
	struct fx *f = *state;
	struct zus_new_inode ni = { .mode = S_IFREG | 0644 };
	struct zus_attr a;
	zus_ino_t file = mk(f, f->root, "f", S_IFREG | 0644);

	assert_int_equal(f->op->mknod(&f->ctx, f->root, "f", 1, &ni, &a), -EEXIST);
	assert_int_equal(f->op->mknod(&f->ctx, file, "x", 1, &ni, &a), -ENOTDIR);
	assert_int_equal(f->op->lookup(&f->ctx, file, "x", 1, &a), -ENOTDIR);
	assert_int_equal(f->op->lookup(&f->ctx, f->root, "nope", 4, &a), -ENOENT);
}

static void rename_cases(void **state)
{
	struct fx *f = *state;
	zus_ino_t a = mk(f, f->root, "a", S_IFDIR | 0755);
	zus_ino_t b = mk(f, f->root, "b", S_IFDIR | 0755);
	zus_ino_t sub = mk(f, a, "sub", S_IFDIR | 0755);
	zus_ino_t f1 = mk(f, a, "f1", S_IFREG | 0644);
	zus_ino_t f2 = mk(f, b, "f2", S_IFREG | 0644);
	zus_ino_t ino;
	struct zus_attr at;

	/* Plain move across directories. */
	assert_int_equal(f->op->rename(&f->ctx, a, "f1", 2, b, "g1", 2, 0), 0);
	assert_int_equal(lookup(f, a, "f1", NULL), -ENOENT);
	assert_int_equal(lookup(f, b, "g1", &ino), 0);
	assert_int_equal(ino, f1);

	/* NOREPLACE onto an existing name. */
	assert_int_equal(f->op->rename(&f->ctx, b, "g1", 2, b, "f2", 2,
				       ZUS_RENAME_NOREPLACE), -EEXIST);
	/* Replace: f2's inode loses its only name; freed once forgotten. */
	assert_int_equal(f->op->rename(&f->ctx, b, "g1", 2, b, "f2", 2, 0), 0);
	assert_int_equal(lookup(f, b, "f2", &ino), 0);
	assert_int_equal(ino, f1);
	assert_int_equal(attr(f, f2).nlink, 0);
	f->op->forget(&f->ctx, f2, 1);
	assert_int_equal(f->op->getattr(&f->ctx, f2, &at), -ENOENT);

	/* Type mismatches and non-empty targets. */
	assert_int_equal(f->op->rename(&f->ctx, a, "sub", 3, b, "f2", 2, 0),
			 -ENOTDIR);
	assert_int_equal(f->op->rename(&f->ctx, b, "f2", 2, a, "sub", 3, 0),
			 -EISDIR);
	mk(f, sub, "busy", S_IFREG | 0644);
	assert_int_equal(f->op->rename(&f->ctx, f->root, "b", 1, a, "sub", 3, 0),
			 -ENOTEMPTY);
	/* A directory into itself or below itself. */
	assert_int_equal(f->op->rename(&f->ctx, f->root, "a", 1, sub, "a", 1, 0),
			 -EINVAL);
	assert_int_equal(f->op->rename(&f->ctx, f->root, "a", 1, a, "x", 1, 0),
			 -EINVAL);
	assert_int_equal(f->op->rename(&f->ctx, a, "nope", 4, b, "x", 1, 0),
			 -ENOENT);
	assert_int_equal(f->op->rename(&f->ctx, a, "sub", 3, b, "x", 1,
				       ZUS_RENAME_EXCHANGE), -ENOENT);
	assert_int_equal(f->op->rename(&f->ctx, a, "sub", 3, b, "x", 1,
				       ZUS_RENAME_WHITEOUT), -EINVAL);

	/* Moving a directory moves its ".." link. */
	assert_int_equal(attr(f, a).nlink, 3);
	assert_int_equal(attr(f, b).nlink, 2);
	assert_int_equal(f->op->rename(&f->ctx, a, "sub", 3, b, "sub", 3, 0), 0);
	assert_int_equal(attr(f, a).nlink, 2);
	assert_int_equal(attr(f, b).nlink, 3);

	/* EXCHANGE a file and a directory across directories. */
	mk(f, a, "file", S_IFREG | 0644);
	assert_int_equal(f->op->rename(&f->ctx, a, "file", 4, b, "sub", 3,
				       ZUS_RENAME_EXCHANGE), 0);
	assert_int_equal(lookup(f, a, "file", &ino), 0);
	assert_int_equal(ino, sub);
	assert_int_equal(attr(f, a).nlink, 3);
	assert_int_equal(attr(f, b).nlink, 2);
	{
		struct collect c;

		/* The entry's type follows its new inode. */
		rd(f, a, 0, 10, &c);
		for (size_t i = 0; i < c.ctx.count; i++)
			if (!strcmp(c.ents[i].name, "file"))
				assert_int_equal(c.ents[i].type, ZUS_DT_DIR);
	}

	/* Hard links of one inode: rename is a no-op, both names stay. */
	assert_int_equal(f->op->link(&f->ctx, f1, a, "l2", 2, &at), 0);
	assert_int_equal(f->op->rename(&f->ctx, a, "l2", 2, b, "f2", 2, 0), 0);
	assert_int_equal(lookup(f, a, "l2", NULL), 0);
	assert_int_equal(lookup(f, b, "f2", NULL), 0);
	/* Same name onto itself. */
	assert_int_equal(f->op->rename(&f->ctx, a, "l2", 2, a, "l2", 2, 0), 0);
}

static void readdir_cookies(void **state)
{
	struct fx *f = *state;
	bool seen[100] = { false }, present[100];
	zus_ino_t d = mk(f, f->root, "d", S_IFDIR | 0755);
	uint64_t cookie = 0, last = 0;
	struct collect c;
	char name[32];
	int round = 0;

	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "e%d", i);
		mk(f, d, name, S_IFREG | 0644);
		present[i] = true;
	}
	for (int i = 40; i < 100; i++)
		present[i] = false;

	/* Read 7 at a time; between batches remove two entries (one seen,
	 * one not yet) and add one. Every entry that exists for the whole
	 * listing must be seen exactly once; removed unseen ones never. */
	for (;;) {
		size_t n = rd(f, d, cookie, 7, &c);

		for (size_t i = 0; i < n; i++) {
			int k = atoi(c.ents[i].name + 1);

			assert_true(present[k]);
			assert_false(seen[k]);
			seen[k] = true;
			assert_true(c.ents[i].cookie > last);
			assert_int_equal(c.ents[i].type, ZUS_DT_REG);
			last = c.ents[i].cookie;
		}
		if (n < 7)
			break;
		cookie = c.ents[n - 1].cookie;
		round++;
		for (int k = 0; k < 40; k++)	/* a seen one */
			if (present[k] && seen[k]) {
				snprintf(name, sizeof(name), "e%d", k);
				assert_int_equal(f->op->unlink(&f->ctx, d, name,
							       strlen(name)), 0);
				present[k] = false;
				break;
			}
		for (int k = 39; k >= 0; k--)	/* an unseen one */
			if (present[k] && !seen[k]) {
				snprintf(name, sizeof(name), "e%d", k);
				assert_int_equal(f->op->unlink(&f->ctx, d, name,
							       strlen(name)), 0);
				present[k] = false;
				break;
			}
		snprintf(name, sizeof(name), "e%d", 40 + round);
		mk(f, d, name, S_IFREG | 0644);
		present[40 + round] = true;
	}
	for (int k = 0; k < 40; k++)	/* originals still there: all seen */
		if (present[k])
			assert_true(seen[k]);
	assert_true(round > 3);

	/* A full reply: zus_dir_emit says 1 and does not add the entry. */
	rd(f, d, 0, 1, &c);
	assert_int_equal(c.ctx.count, 1);
	/* Cookies below the first are "from the start". */
	rd(f, d, 1, 200, &c);
	assert_int_equal(c.ctx.count, rd(f, d, 2, 200, &c));
	assert_int_equal(rd(f, d, UINT64_MAX >> 1, 200, &c), 0);
}

static void sparse_files(void **state)
{
	struct fx *f = *state;
	zus_ino_t file = mk(f, f->root, "sparse", S_IFREG | 0644);
	char buf[8192], zero[8192] = { 0 };
	const uint64_t MB = 1 << 20;
	struct zus_setattr sa = { 0 };
	struct zus_attr a;

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(f->op->write(&f->ctx, file, buf, 4096, 0, 0), 4096);
	assert_int_equal(f->op->write(&f->ctx, file, buf, 100, MB, 0), 100);
	a = attr(f, file);
	assert_int_equal(a.size, MB + 100);
	assert_int_equal(a.blocks, 2 * 8);	/* two 4 KiB pages */

	assert_int_equal(f->op->lseek(&f->ctx, file, 0, ZUS_SEEK_DATA), 0);
	assert_int_equal(f->op->lseek(&f->ctx, file, 0, ZUS_SEEK_HOLE), 4096);
	assert_int_equal(f->op->lseek(&f->ctx, file, 5000, ZUS_SEEK_DATA), MB);
	assert_int_equal(f->op->lseek(&f->ctx, file, MB, ZUS_SEEK_HOLE), MB + 100);
	assert_int_equal(f->op->lseek(&f->ctx, file, MB + 100, ZUS_SEEK_DATA),
			 -ENXIO);
	/* Holes read as zeros; reads stop at EOF. */
	assert_int_equal(f->op->read(&f->ctx, file, buf, 8192, 8192), 8192);
	assert_memory_equal(buf, zero, 8192);
	assert_int_equal(f->op->read(&f->ctx, file, buf, 8192, MB), 100);
	assert_int_equal(f->op->read(&f->ctx, file, buf, 10, MB + 100), 0);

	/* Punch the first page: data now starts at 1 MiB. */
	assert_int_equal(f->op->fallocate(&f->ctx, file, ZUS_FALLOC_PUNCH_HOLE,
					  0, 4096), -EOPNOTSUPP);
	assert_int_equal(f->op->fallocate(&f->ctx, file, ZUS_FALLOC_PUNCH_HOLE |
					  ZUS_FALLOC_KEEP_SIZE, 0, 4096), 0);
	assert_int_equal(f->op->lseek(&f->ctx, file, 0, ZUS_SEEK_DATA), MB);
	assert_int_equal(attr(f, file).blocks, 8);
	assert_int_equal(attr(f, file).size, MB + 100);
	/* Partial punch inside a page zeroes bytes, keeps the page. */
	assert_int_equal(f->op->fallocate(&f->ctx, file, ZUS_FALLOC_PUNCH_HOLE |
					  ZUS_FALLOC_KEEP_SIZE, MB + 10, 20), 0);
	assert_int_equal(f->op->read(&f->ctx, file, buf, 100, MB), 100);
	assert_int_equal(buf[9], 'x');
	assert_memory_equal(buf + 10, zero, 20);
	assert_int_equal(buf[30], 'x');

	/* Preallocation beyond EOF with KEEP_SIZE keeps the size. */
	assert_int_equal(f->op->fallocate(&f->ctx, file, ZUS_FALLOC_KEEP_SIZE,
					  2 * MB, 8192), 0);
	assert_int_equal(attr(f, file).size, MB + 100);
	assert_int_equal(attr(f, file).blocks, 3 * 8);
	assert_int_equal(f->op->fallocate(&f->ctx, file, 0, 2 * MB, 8192), 0);
	assert_int_equal(attr(f, file).size, 2 * MB + 8192);

	/* Truncate down then up: the tail reads back as zeros. */
	sa.valid = ZUS_SET_SIZE;
	sa.size = MB + 50;
	assert_int_equal(f->op->setattr(&f->ctx, file, &sa, &a), 0);
	assert_int_equal(a.size, MB + 50);
	assert_int_equal(a.blocks, 8);
	sa.size = MB + 100;
	assert_int_equal(f->op->setattr(&f->ctx, file, &sa, &a), 0);
	assert_int_equal(f->op->read(&f->ctx, file, buf, 100, MB), 100);
	assert_int_equal(buf[49], 'x');
	assert_memory_equal(buf + 50, zero, 50);

	/* A truncate (even to the same size) drops preallocation beyond
	 * EOF too: it used to stay allocated until the file went. */
	assert_int_equal(f->op->fallocate(&f->ctx, file, ZUS_FALLOC_KEEP_SIZE,
					  4 * MB, 4096), 0);
	assert_int_equal(attr(f, file).blocks, 16);
	assert_int_equal(f->op->setattr(&f->ctx, file, &sa, &a), 0);
	assert_int_equal(a.size, MB + 100);
	assert_int_equal(a.blocks, 8);

	/* Append writes at EOF. */
	assert_int_equal(f->op->write(&f->ctx, file, "abc", 3, 0,
				      ZUS_WRITE_APPEND), 3);
	assert_int_equal(attr(f, file).size, MB + 103);
	/* Not a file. */
	assert_int_equal(f->op->read(&f->ctx, f->root, buf, 1, 0), -EISDIR);
	assert_int_equal(f->op->write(&f->ctx, f->root, buf, 1, 0, 0), -EISDIR);
	sa.size = 0;
	assert_int_equal(f->op->setattr(&f->ctx, f->root, &sa, &a), -EISDIR);
}

static bool list_has(const char *list, ssize_t len, const char *name)
{
	for (ssize_t i = 0; i < len; i += strlen(list + i) + 1)
		if (!strcmp(list + i, name))
			return true;
	return false;
}

static void xattrs(void **state)
{
	struct fx *f = *state;
	zus_ino_t file = mk(f, f->root, "x", S_IFREG | 0644);
	static const char *const names[] = {
		"user.a", "trusted.b", "security.selinux",
		"system.posix_acl_access",
	};
	char buf[256], small[4];
	ssize_t n;

	for (size_t i = 0; i < 4; i++)
		assert_int_equal(f->op->setxattr(&f->ctx, file, names[i], "value",
						 5, 0), 0);
	n = f->op->listxattr(&f->ctx, file, NULL, 0);
	assert_int_equal(n, 7 + 10 + 17 + 24);
	assert_int_equal(f->op->listxattr(&f->ctx, file, small, sizeof(small)),
			 -ERANGE);
	assert_int_equal(f->op->listxattr(&f->ctx, file, buf, sizeof(buf)), n);
	for (size_t i = 0; i < 4; i++)
		assert_true(list_has(buf, n, names[i]));

	assert_int_equal(f->op->getxattr(&f->ctx, file, "user.a", NULL, 0), 5);
	assert_int_equal(f->op->getxattr(&f->ctx, file, "user.a", small, 4),
			 -ERANGE);
	assert_int_equal(f->op->getxattr(&f->ctx, file, "user.a", buf, 256), 5);
	assert_memory_equal(buf, "value", 5);
	assert_int_equal(f->op->getxattr(&f->ctx, file, "user.zz", buf, 256),
			 -ENODATA);

	assert_int_equal(f->op->setxattr(&f->ctx, file, "user.a", "v2", 2,
					 ZUS_XATTR_CREATE), -EEXIST);
	assert_int_equal(f->op->setxattr(&f->ctx, file, "user.new", "v", 1,
					 ZUS_XATTR_REPLACE), -ENODATA);
	assert_int_equal(f->op->setxattr(&f->ctx, file, "user.a", "v2", 2,
					 ZUS_XATTR_REPLACE), 0);
	assert_int_equal(f->op->getxattr(&f->ctx, file, "user.a", buf, 256), 2);
	/* Empty values are values. */
	assert_int_equal(f->op->setxattr(&f->ctx, file, "user.empty", "", 0, 0), 0);
	assert_int_equal(f->op->getxattr(&f->ctx, file, "user.empty", buf, 256), 0);

	assert_int_equal(f->op->removexattr(&f->ctx, file, "trusted.b"), 0);
	assert_int_equal(f->op->removexattr(&f->ctx, file, "trusted.b"), -ENODATA);
	n = f->op->listxattr(&f->ctx, file, buf, sizeof(buf));
	assert_false(list_has(buf, n, "trusted.b"));
	assert_true(list_has(buf, n, "user.a"));
	assert_true(list_has(buf, n, "user.empty"));
}

static void special_files(void **state)
{
	struct fx *f = *state;
	struct zus_new_inode ni = { .mode = S_IFCHR | 0600,
				    .rdev = makedev(1, 3) };
	struct zus_attr a, b;
	struct zus_statfs st1, st2;
	char buf[64];

	assert_int_equal(f->op->mknod(&f->ctx, f->root, "null", 4, &ni, &a), 0);
	assert_int_equal(a.rdev, makedev(1, 3));
	ni.mode = S_IFIFO | 0644;
	assert_int_equal(f->op->mknod(&f->ctx, f->root, "fifo", 4, &ni, &a), 0);
	assert_int_equal(a.rdev, 0);		/* only devices have one */
	ni.mode = S_IFSOCK | 0644;
	assert_int_equal(f->op->mknod(&f->ctx, f->root, "sock", 4, &ni, &a), 0);
	assert_true(S_ISSOCK(attr(f, a.ino).mode));

	ni.mode = S_IFLNK | 0777;
	assert_int_equal(f->op->symlink(&f->ctx, f->root, "ln", 2, "../target",
					9, &ni, &a), 0);
	assert_int_equal(a.size, 9);
	assert_int_equal(f->op->readlink(&f->ctx, a.ino, buf, sizeof(buf)), 9);
	assert_memory_equal(buf, "../target", 9);
	assert_int_equal(f->op->readlink(&f->ctx, a.ino, buf, 3), -ERANGE);
	assert_int_equal(f->op->readlink(&f->ctx, f->root, buf, 64), -EINVAL);

	/* tmpfile: no name, lives while referenced; link gives it one. */
	assert_int_equal(f->op->statfs(&f->ctx, &st1), 0);
	ni.mode = S_IFREG | 0600;
	assert_int_equal(f->op->tmpfile(&f->ctx, f->root, &ni, &a), 0);
	assert_int_equal(a.nlink, 0);
	assert_int_equal(f->op->write(&f->ctx, a.ino, "tmp", 3, 0, 0), 3);
	assert_int_equal(f->op->statfs(&f->ctx, &st2), 0);
	assert_int_equal(st2.ffree, st1.ffree - 1);
	assert_int_equal(st2.bfree, st1.bfree - 1);
	assert_int_equal(f->op->link(&f->ctx, a.ino, f->root, "kept", 4, &b), 0);
	assert_int_equal(b.nlink, 1);
	f->op->forget(&f->ctx, a.ino, 2);
	assert_int_equal(lookup(f, f->root, "kept", NULL), 0);
	/* An unnamed tmpfile is freed at forget, its space returned. */
	assert_int_equal(f->op->tmpfile(&f->ctx, f->root, &ni, &a), 0);
	assert_int_equal(f->op->write(&f->ctx, a.ino, "tmp", 3, 0, 0), 3);
	f->op->forget(&f->ctx, a.ino, 1);
	assert_int_equal(f->op->getattr(&f->ctx, a.ino, &b), -ENOENT);
	assert_int_equal(f->op->statfs(&f->ctx, &st1), 0);
	assert_int_equal(st1.ffree, st2.ffree);	/* only "kept" remains */
	assert_int_equal(st1.bfree, st2.bfree);
}

static void timestamps(void **state)
{
	struct fx *f = *state;
	struct zus_setattr sa = { .valid = ZUS_SET_MTIME | ZUS_SET_ATIME |
					   ZUS_SET_MODE | ZUS_SET_UID,
				  .mode = 0700, .uid = 42 };
	struct zus_attr a;
	zus_ino_t d = mk(f, f->root, "d", S_IFDIR | 0755);

	sa.mtime.tv_sec = 1000;
	sa.atime.tv_sec = 2000;
	assert_int_equal(f->op->setattr(&f->ctx, d, &sa, &a), 0);
	assert_int_equal(a.mtime.tv_sec, 1000);
	assert_int_equal(a.atime.tv_sec, 2000);
	assert_int_equal(a.mode, S_IFDIR | 0700);	/* type kept */
	assert_int_equal(a.uid, 42);
	assert_true(a.ctime.tv_sec > 1000);		/* setattr sets ctime */
	mk(f, d, "child", S_IFREG | 0644);
	assert_true(attr(f, d).mtime.tv_sec > 1000);	/* dir changed */

	sa.valid = ZUS_SET_MTIME | ZUS_SET_MTIME_NOW;
	assert_int_equal(f->op->setattr(&f->ctx, d, &sa, &a), 0);
	assert_true(a.mtime.tv_sec > 1000);
}

static void limits(void **state)
{
	struct fx f2;
	char buf[4096 * 3];
	struct zus_statfs st;
	zus_ino_t file;

	assert_int_equal(mount_memfs(&f2, "bogus=1"), -EINVAL);
	zus_server_fini(&f2.srv);
	assert_int_equal(mount_memfs(&f2, "size=8k,nr_inodes=2"), 0);
	memset(buf, 'y', sizeof(buf));
	file = mk(&f2, f2.root, "f", S_IFREG | 0644);
	/* The entry "f" takes a few bytes of the budget: one page fits, a
	 * short write, then ENOSPC. */
	assert_int_equal(f2.op->write(&f2.ctx, file, buf, sizeof(buf), 0, 0),
			 4096);
	assert_int_equal(f2.op->write(&f2.ctx, file, buf, 10, 4096, 0), -ENOSPC);
	assert_int_equal(f2.op->statfs(&f2.ctx, &st), 0);
	assert_int_equal(st.blocks, 2);
	assert_int_equal(st.bfree, 0);
	mk(&f2, f2.root, "g", S_IFREG | 0644);
	{
		struct zus_new_inode ni = { .mode = S_IFREG | 0644 };
		struct zus_attr a;

		assert_int_equal(f2.op->mknod(&f2.ctx, f2.root, "h", 1, &ni, &a),
				 -ENOSPC);
	}
	zus_server_fini(&f2.srv);
}

/* ---- metadata is charged against size= --------------------------------- */

static uint64_t bfree(struct fx *f)
{
	struct zus_statfs st;

	assert_int_equal(f->op->statfs(&f->ctx, &st), 0);
	return st.bfree;
}

/* Name number k, padded with '0' to len (< 256) characters, in buf. */
static const char *nth(char *buf, const char *prefix, int k, int len)
{
	char num[16];
	size_t p = strlen(prefix), d = (size_t)snprintf(num, sizeof(num),
							  "%d", k);

	memcpy(buf, prefix, p);
	memset(buf + p, '0', (size_t)len - p - d);
	memcpy(buf + len - d, num, d);
	buf[len] = 0;
	return buf;
}

/* Set xattrs of 100-byte values on ino until ENOSPC; how many fit. */
static int fill_xattrs(struct fx *f, zus_ino_t ino)
{
	char name[256], val[100];
	int k, err;

	memset(val, 'v', sizeof(val));
	for (k = 0; k < 10000; k++) {
		err = f->op->setxattr(&f->ctx, ino, nth(name, "user.x", k, 20),
				      val, sizeof(val), ZUS_XATTR_CREATE);
		if (err)
			break;
	}
	assert_int_equal(err, -ENOSPC);
	return k;
}

static void drop_xattrs(struct fx *f, zus_ino_t ino, int n)
{
	char name[256];

	for (int k = 0; k < n; k++)
		assert_int_equal(f->op->removexattr(&f->ctx, ino,
					nth(name, "user.x", k, 20)), 0);
}

/* Hard links to ino with 200-byte names until ENOSPC; how many fit. */
static int fill_links(struct fx *f, zus_ino_t ino)
{
	char name[256];
	struct zus_attr a;
	int k, err;

	for (k = 0; k < 10000; k++) {
		err = f->op->link(&f->ctx, ino, f->root, nth(name, "l", k, 200),
				  200, &a);
		if (err)
			break;
		f->op->forget(&f->ctx, ino, 1);
	}
	assert_int_equal(err, -ENOSPC);
	return k;
}

static void drop_names(struct fx *f, const char *prefix, int len, int n)
{
	char name[256];

	for (int k = 0; k < n; k++)
		assert_int_equal(f->op->unlink(&f->ctx, f->root,
				 nth(name, prefix, k, len), (size_t)len), 0);
}

/* Symlinks with 1000-byte targets until ENOSPC; how many fit. */
static int fill_symlinks(struct fx *f)
{
	struct zus_new_inode ni = { .mode = S_IFLNK | 0777 };
	char name[256], target[1001];
	struct zus_attr a;
	int k, err;

	memset(target, 't', 1000);
	target[1000] = 0;
	for (k = 0; k < 10000; k++) {
		err = f->op->symlink(&f->ctx, f->root, nth(name, "s", k, 8), 8,
				     target, 1000, &ni, &a);
		if (err)
			break;
		f->op->forget(&f->ctx, a.ino, 1);	/* the name keeps it */
	}
	assert_int_equal(err, -ENOSPC);
	return k;
}

static void metadata_space(void **state)
{
	struct fx fx, *f = &fx;
	char buf[8192], name[256];
	struct zus_attr a;
	zus_ino_t file;
	int n, n2;

	(void)state;
	/* 2 pages of budget; inodes are not what runs out */
	assert_int_equal(mount_memfs(f, "size=8k,nr_inodes=100000"), 0);
	assert_int_equal(bfree(f), 2);
	memset(buf, 'd', sizeof(buf));

	/* xattrs: bounded, then freed and reusable, all of it */
	n = fill_xattrs(f, f->root);
	assert_true(n > 0 && n < 8192 / 100);
	assert_int_equal(bfree(f), 0);
	/* a larger value does not fit, an equal one replaces in place */
	memset(name, 'w', 200);
	assert_int_equal(f->op->setxattr(&f->ctx, f->root, nth(name, "user.x",
					 0, 20), buf, 200, ZUS_XATTR_REPLACE),
			 -ENOSPC);
	assert_int_equal(f->op->setxattr(&f->ctx, f->root, nth(name, "user.x",
					 0, 20), buf, 100, ZUS_XATTR_REPLACE),
			 0);
	drop_xattrs(f, f->root, n);
	assert_int_equal(bfree(f), 2);
	assert_int_equal(fill_xattrs(f, f->root), n);
	drop_xattrs(f, f->root, n);
	assert_int_equal(bfree(f), 2);

	/* directory entries: hard links cost no inode, only the name */
	file = mk(f, f->root, "f", S_IFREG | 0644);
	n = fill_links(f, file);
	assert_true(n > 0 && n < 8192 / 200);
	assert_int_equal(bfree(f), 0);
	/* full: a file page does not fit either */
	assert_int_equal(f->op->write(&f->ctx, file, buf, 1, 0, 0), -ENOSPC);
	/* a rename to a name of the same length needs no more space */
	assert_int_equal(f->op->rename(&f->ctx, f->root, nth(name, "l", 0, 200),
				       200, f->root, "l-renamed-to-200-chars"
				       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				       "xxxxxxxxxxxxxxxxxx", 200, 0), 0);
	assert_int_equal(f->op->rename(&f->ctx, f->root,
				       "l-renamed-to-200-chars"
				       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				       "xxxxxxxxxxxxxxxxxx", 200, f->root,
				       nth(name, "l", 0, 200), 200, 0), 0);
	drop_names(f, "l", 200, n);
	assert_int_equal(fill_links(f, file), n);
	drop_names(f, "l", 200, n);
	assert_int_equal(f->op->unlink(&f->ctx, f->root, "f", 1), 0);
	f->op->forget(&f->ctx, file, 1);
	assert_int_equal(bfree(f), 2);

	/* symlink targets */
	n = fill_symlinks(f);
	assert_true(n > 0 && n < 8);
	assert_int_equal(bfree(f), 0);
	drop_names(f, "s", 8, n);
	assert_int_equal(bfree(f), 2);
	n2 = fill_symlinks(f);
	assert_int_equal(n2, n);
	drop_names(f, "s", 8, n);

	/* back at the start: the whole budget holds file data again */
	assert_int_equal(bfree(f), 2);
	file = mk(f, f->root, "g", S_IFREG | 0644);
	assert_int_equal(f->op->write(&f->ctx, file, buf, 4096, 0, 0), 4096);
	assert_int_equal(f->op->unlink(&f->ctx, f->root, "g", 1), 0);
	f->op->forget(&f->ctx, file, 1);
	assert_int_equal(bfree(f), 2);
	(void)a;
	zus_server_fini(&f->srv);
}

struct thr {
	struct fx *f;
	int id;
};

static void *hammer(void *arg)
{
	struct thr *t = arg;
	struct fx *f = t->f;
	struct zus_new_inode ni = { .mode = S_IFREG | 0644 };
	char name[32], buf[512];
	struct zus_attr a;

	memset(buf, t->id, sizeof(buf));
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "t%d-%d", t->id, i % 16);
		if (f->op->mknod(&f->ctx, f->root, name, strlen(name), &ni,
				 &a) == 0) {
			if (f->op->write(&f->ctx, a.ino, buf, sizeof(buf),
					 i * 100, 0) != sizeof(buf))
				return (void *)1;
			f->op->forget(&f->ctx, a.ino, 1);
		}
		if (i % 3 == 0)
			f->op->unlink(&f->ctx, f->root, name, strlen(name));
	}
	return NULL;
}

static void concurrent(void **state)
{
	struct fx *f = *state;
	pthread_t th[4];
	struct thr t[4];
	struct collect c;
	void *ret;

	for (int i = 0; i < 4; i++) {
		t[i].f = f;
		t[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, hammer, &t[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_null(ret);
	}
	/* The directory and the link count agree with what survived. */
	assert_int_equal(attr(f, f->root).nlink, 2);
	assert_true(rd(f, f->root, 0, 256, &c) <= 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(link_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(create_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(rename_cases, setup, teardown),
		cmocka_unit_test_setup_teardown(readdir_cookies, setup, teardown),
		cmocka_unit_test_setup_teardown(sparse_files, setup, teardown),
		cmocka_unit_test_setup_teardown(xattrs, setup, teardown),
		cmocka_unit_test_setup_teardown(special_files, setup, teardown),
		cmocka_unit_test_setup_teardown(timestamps, setup, teardown),
		cmocka_unit_test(limits),
		cmocka_unit_test(metadata_space),
		cmocka_unit_test_setup_teardown(concurrent, setup, teardown),
	};

	if (!getenv("ZUS_TEST_VERBOSE"))
		zus_log_level = 0;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
