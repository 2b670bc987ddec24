// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_plugin.c - pmemfs.so in-process: the plugin's sources and the core
 * linked into the test, mounted through libzus's server (as zusd does) on
 * an ordinary temporary file (PM_KIND_FILE: flushes are msync), its ops
 * called directly. Covers what the plugin layer adds: references
 * (lookup/forget, unlinked and O_TMPFILE inodes), attributes, initial
 * xattrs, readdir through dir_emit with a small reply, data, read-only
 * mounts, the media lock, mount errors, persistence across a remount,
 * ENOSPC then reuse, and fsck clean at the end of each test.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>

#include "zus_i.h"
#include "pmemfs.h"

#define MEDIA_SIZE	(64ULL << 20)

struct fx {
	char path[64];
	struct zus_server srv;
	struct zus_sb_inst *si;
	struct zus_ctx ctx;
	const struct zus_fs_ops *op;
	zus_ino_t root;
	bool mounted;
};

static const struct zus_transport test_transport = {
	.id = ZUS_TRANSPORT_ZUFS,
};

static void make_media(struct fx *f)
{
	struct pmfs_mkfs_opts o = { .inodes = 4096, .lanes = 4 };
	struct pm_media *m;
	int fd;

	snprintf(f->path, sizeof(f->path), "/tmp/pmemfs-test.XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)MEDIA_SIZE), 0);
	close(fd);
	assert_int_equal(pm_media_open(f->path, &m), 0);
	assert_int_equal(m->kind, PM_KIND_FILE);
	strcpy(o.label, "unit");
	assert_int_equal(pmfs_mkfs(m, &o), 0);
	pm_media_close(m);
}

static int mount_fs(struct fx *f, const char *source, const char *options,
		    unsigned int flags)
{
	struct zus_loaded_plugin *lp;
	uint64_t sb_id;
	int err;

	assert_int_equal(zus_server_init(&f->srv), 0);
	assert_int_equal(zus_plugin_wrap(zus_plugin_entry(), NULL, "pmemfs.so",
					 &lp), 0);
	assert_int_equal(zus_plugin_init(lp, ZUS_TRANSPORT_ZUFS,
					 zus_zufs_capable()), 0);
	assert_int_equal(zus_server_add_plugin(&f->srv, lp), 0);
	err = zus_server_mount(&f->srv, "pmemfs", source, options, flags,
			       1000, 100, 42, 1, &test_transport, &sb_id,
			       &f->root, &f->si);
	if (err) {
		zus_server_fini(&f->srv);
		return err;
	}
	zus_ctx_init(&f->ctx, f->si, 1000, 100, 42);
	f->op = f->si->ops;
	f->mounted = true;
	return 0;
}

static void umount_fs(struct fx *f)
{
	if (f->mounted)
		zus_server_fini(&f->srv);
	f->mounted = false;
}

static void fsck_report(void *arg, const char *msg, int fixed)
{
	(void)arg;
	fprintf(stderr, "fsck: %s%s\n", msg, fixed ? " (fixed)" : "");
}

static void fsck_clean(struct fx *f)
{
	struct pm_media *m;

	assert_int_equal(pm_media_open(f->path, &m), 0);
	assert_int_equal(pmfs_fsck(m, 0, fsck_report, NULL), 0);
	pm_media_close(m);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	make_media(f);
	assert_int_equal(mount_fs(f, f->path, "", 0), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	umount_fs(f);
	fsck_clean(f);
	unlink(f->path);
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
	assert_int_equal(a.gid, 100);
	assert_int_equal(a.blksize, 4096);
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
		f->op->forget(&f->ctx, a.ino, 1);
	return err;
}

static void wr(struct fx *f, zus_ino_t ino, const void *buf, size_t len,
	       uint64_t off)
{
	assert_int_equal(f->op->write(&f->ctx, ino, buf, len, off, 0),
			 (ssize_t)len);
}

/* ---- readdir through the host's dir_emit, a few entries per reply ---- */

struct collect {
	struct zus_dir_ctx ctx;
	char names[64][16];
	uint64_t cookies[64];
	size_t max;
};

static size_t collect_encode(struct zus_dir_ctx *ctx, const char *name,
			     size_t namelen, zus_ino_t ino, unsigned int type,
			     uint64_t cookie)
{
	struct collect *c = (struct collect *)ctx;

	(void)ino;
	(void)type;
	if (ctx->count >= c->max)
		return 0;
	snprintf(c->names[ctx->count], sizeof(c->names[0]), "%.*s",
		 (int)namelen, name);
	c->cookies[ctx->count] = cookie;
	return 1;
}

static size_t rd(struct fx *f, zus_ino_t dir, uint64_t cookie, size_t max,
		 struct collect *c, int *ret)
{
	memset(c, 0, sizeof(*c));
	c->ctx.encode = collect_encode;
	c->max = max;
	*ret = f->op->readdir(&f->ctx, dir, cookie, &c->ctx);
	assert_int_equal(*ret, c->ctx.full ? 0 : ZUS_DIR_EOF);
	return c->ctx.count;
}

/* ---- tests ------------------------------------------------------------ */

static void links_and_references(void **state)
{
	struct fx *f = *state;
	struct zus_attr a;
	zus_ino_t d, file;

	assert_int_equal(attr(f, f->root).nlink, 2);
	assert_int_equal(attr(f, f->root).mode, S_IFDIR | 0755);
	d = mk(f, f->root, "d", S_IFDIR | 0755);
	assert_int_equal(attr(f, f->root).nlink, 3);
	file = mk(f, f->root, "f", S_IFREG | 0644);
	assert_int_equal(f->op->link(&f->ctx, file, d, "g", 1, &a), 0);
	assert_int_equal(a.nlink, 2);
	assert_int_equal(f->op->link(&f->ctx, file, d, "g", 1, &a), -EEXIST);
	assert_int_equal(f->op->unlink(&f->ctx, f->root, "f", 1), 0);
	assert_int_equal(f->op->unlink(&f->ctx, d, "g", 1), 0);
	/* unlinked, but the kernel still holds 2 lookups: still there */
	assert_int_equal(attr(f, file).nlink, 0);
	f->op->forget(&f->ctx, file, 1);
	assert_int_equal(f->op->getattr(&f->ctx, file, &a), 0);
	f->op->forget(&f->ctx, file, 1);
	assert_int_equal(f->op->getattr(&f->ctx, file, &a), -ENOENT);

	file = mk(f, d, "x", S_IFREG | 0600);
	f->op->forget(&f->ctx, file, 1);
	assert_int_equal(f->op->rmdir(&f->ctx, f->root, "d", 1), -ENOTEMPTY);
	assert_int_equal(f->op->unlink(&f->ctx, f->root, "d", 1), -EISDIR);
	assert_int_equal(f->op->unlink(&f->ctx, d, "x", 1), 0);
	assert_int_equal(f->op->rmdir(&f->ctx, f->root, "d", 1), 0);
	assert_int_equal(attr(f, f->root).nlink, 2);
	assert_int_equal(lookup(f, f->root, "d", NULL), -ENOENT);
	/* the kernel's references: created d and x, one each */
	f->op->forget(&f->ctx, d, 1);
}

static void special_files_and_symlinks(void **state)
{
	struct fx *f = *state;
	struct zus_new_inode ni = { .mode = S_IFCHR | 0600,
				    .rdev = makedev(1, 3) };
	struct zus_attr a;
	char buf[64];
	ssize_t n;

	assert_int_equal(f->op->mknod(&f->ctx, f->root, "null", 4, &ni, &a), 0);
	assert_int_equal(a.rdev, makedev(1, 3));
	assert_int_equal(attr(f, a.ino).rdev, makedev(1, 3));
	ni.mode = S_IFLNK | 0777;
	assert_int_equal(f->op->symlink(&f->ctx, f->root, "l", 1, "target/x", 8,
					&ni, &a), 0);
	assert_int_equal(a.size, 8);
	n = f->op->readlink(&f->ctx, a.ino, buf, sizeof(buf));
	assert_int_equal(n, 8);
	assert_memory_equal(buf, "target/x", 8);
	mk(f, f->root, "fifo", S_IFIFO | 0644);
	mk(f, f->root, "sock", S_IFSOCK | 0644);
}

static void rename_flags(void **state)
{
	struct fx *f = *state;
	zus_ino_t a = mk(f, f->root, "a", S_IFREG | 0644);
	zus_ino_t b = mk(f, f->root, "b", S_IFDIR | 0755);
	zus_ino_t ino;

	assert_int_equal(f->op->rename(&f->ctx, f->root, "a", 1, f->root, "b", 1,
				       ZUS_RENAME_NOREPLACE), -EEXIST);
	assert_int_equal(f->op->rename(&f->ctx, f->root, "a", 1, f->root, "b", 1,
				       ZUS_RENAME_EXCHANGE), 0);
	assert_int_equal(lookup(f, f->root, "a", &ino), 0);
	assert_int_equal(ino, b);
	assert_int_equal(lookup(f, f->root, "b", &ino), 0);
	assert_int_equal(ino, a);
	assert_int_equal(f->op->rename(&f->ctx, f->root, "b", 1, b, "in", 2, 0), 0);
	assert_int_equal(lookup(f, b, "in", &ino), 0);
	assert_int_equal(ino, a);
	assert_int_equal(f->op->rename(&f->ctx, b, "in", 2, f->root, "c", 1,
				       ZUS_RENAME_WHITEOUT), -EINVAL);
}

static void readdir_paged(void **state)
{
	struct fx *f = *state;
	struct collect c;
	uint64_t cookie = 0;
	size_t total = 0, n;
	char name[16];
	int ret, seen[40] = { 0 };

	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "e%02d", i);
		mk(f, f->root, name, S_IFREG | 0644);
	}
	do {
		n = rd(f, f->root, cookie, 7, &c, &ret);
		for (size_t k = 0; k < n; k++) {
			int i = atoi(c.names[k] + 1);

			assert_true(c.cookies[k] >= ZUS_DIR_COOKIE_FIRST);
			assert_true(c.cookies[k] > cookie);
			cookie = c.cookies[k];
			assert_int_equal(seen[i]++, 0);
		}
		total += n;
	} while (ret == 0);
	assert_int_equal(total, 40);
	/* a non-directory */
	zus_ino_t ino;

	assert_int_equal(lookup(f, f->root, "e00", &ino), 0);
	memset(&c, 0, sizeof(c));
	c.ctx.encode = collect_encode;
	c.max = 7;
	assert_int_equal(f->op->readdir(&f->ctx, ino, 0, &c.ctx), -ENOTDIR);
}

static void data_holes_and_seek(void **state)
{
	struct fx *f = *state;
	zus_ino_t ino = mk(f, f->root, "data", S_IFREG | 0644);
	struct zus_setattr sa = { .valid = ZUS_SET_SIZE };
	static char buf[3 * 4096], back[3 * 4096];
	struct zus_attr a;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7 + 1);
	wr(f, ino, buf, 4096, 0);
	wr(f, ino, buf, 100, 5 * 4096 + 10);
	a = attr(f, ino);
	assert_int_equal(a.size, 5 * 4096 + 110);
	assert_int_equal(f->op->read(&f->ctx, ino, back, 4096, 0), 4096);
	assert_memory_equal(back, buf, 4096);
	assert_int_equal(f->op->read(&f->ctx, ino, back, 4096, 4096), 4096);
	for (int i = 0; i < 4096; i++)
		assert_int_equal(back[i], 0);
	assert_int_equal(f->op->lseek(&f->ctx, ino, 100, ZUS_SEEK_HOLE), 4096);
	assert_int_equal(f->op->lseek(&f->ctx, ino, 4096, ZUS_SEEK_DATA),
			 5 * 4096);
	assert_int_equal(f->op->lseek(&f->ctx, ino, 0, 0), -EINVAL);
	/* append */
	assert_int_equal(f->op->write(&f->ctx, ino, "xyz", 3, 0,
				      ZUS_WRITE_APPEND), 3);
	assert_int_equal(attr(f, ino).size, 5 * 4096 + 113);
	/* punch and truncate */
	assert_int_equal(f->op->fallocate(&f->ctx, ino, ZUS_FALLOC_PUNCH_HOLE |
					  ZUS_FALLOC_KEEP_SIZE, 0, 4096), 0);
	assert_int_equal(f->op->read(&f->ctx, ino, back, 16, 0), 16);
	for (int i = 0; i < 16; i++)
		assert_int_equal(back[i], 0);
	assert_int_equal(f->op->fallocate(&f->ctx, ino, 0x40, 0, 4096),
			 -EOPNOTSUPP);
	sa.size = 10;
	assert_int_equal(f->op->setattr(&f->ctx, ino, &sa, &a), 0);
	assert_int_equal(a.size, 10);
	assert_int_equal(f->op->read(&f->ctx, ino, back, 4096, 0), 10);
	/* copy_range */
	zus_ino_t dst = mk(f, f->root, "copy", S_IFREG | 0644);

	wr(f, ino, buf, sizeof(buf), 0);
	assert_int_equal(f->op->copy_range(&f->ctx, ino, 0, 0, dst, 0,
					   sizeof(buf)), (ssize_t)sizeof(buf));
	assert_int_equal(f->op->read(&f->ctx, dst, back, sizeof(back), 0),
			 (ssize_t)sizeof(back));
	assert_memory_equal(back, buf, sizeof(buf));
	/* every op is durable at its return: no fsync op (entry.c) */
	assert_null(f->op->fsync);
	assert_int_equal(f->op->sync_fs(&f->ctx, 1), 0);
}

static void attributes(void **state)
{
	struct fx *f = *state;
	zus_ino_t ino = mk(f, f->root, "a", S_IFREG | 0644);
	struct zus_setattr sa = {
		.valid = ZUS_SET_MODE | ZUS_SET_UID | ZUS_SET_GID |
			 ZUS_SET_MTIME | ZUS_SET_ATIME,
		.mode = S_IFDIR | 0600,	/* type bits ignored */
		.uid = 7, .gid = 8,
		.atime = { 1000, 5 }, .mtime = { 2000, 123456789 },
	};
	struct zus_attr a;

	assert_int_equal(f->op->setattr(&f->ctx, ino, &sa, &a), 0);
	assert_int_equal(a.mode, S_IFREG | 0600);
	assert_int_equal(a.uid, 7);
	assert_int_equal(a.gid, 8);
	assert_int_equal(a.mtime.tv_sec, 2000);
	assert_int_equal(a.mtime.tv_nsec, 123456789);
	assert_int_equal(a.atime.tv_sec, 1000);
	a = attr(f, ino);
	assert_int_equal(a.mtime.tv_nsec, 123456789);
}

static void xattrs(void **state)
{
	struct fx *f = *state;
	static const char acl[] = "\x02\0\0\0\x01\0\x06\0\xff\xff\xff\xff";
	struct zus_xattr init[] = {
		{ "security.selinux", "label_t", 7 },
		{ "system.posix_acl_access", acl, sizeof(acl) - 1 },
	};
	struct zus_new_inode ni = { .mode = S_IFREG | 0644, .nr_xattrs = 2,
				    .xattrs = init };
	struct zus_attr a;
	char buf[256];
	ssize_t n;

	assert_int_equal(f->op->mknod(&f->ctx, f->root, "x", 1, &ni, &a), 0);
	n = f->op->getxattr(&f->ctx, a.ino, "security.selinux", buf, sizeof(buf));
	assert_int_equal(n, 7);
	assert_memory_equal(buf, "label_t", 7);
	assert_int_equal(f->op->getxattr(&f->ctx, a.ino,
					 "system.posix_acl_access", NULL, 0),
			 sizeof(acl) - 1);
	assert_int_equal(f->op->setxattr(&f->ctx, a.ino, "user.k", "v", 1,
					 ZUS_XATTR_CREATE), 0);
	assert_int_equal(f->op->setxattr(&f->ctx, a.ino, "user.k", "v", 1,
					 ZUS_XATTR_CREATE), -EEXIST);
	assert_int_equal(f->op->setxattr(&f->ctx, a.ino, "user.n", "v", 1,
					 ZUS_XATTR_REPLACE), -ENODATA);
	n = f->op->listxattr(&f->ctx, a.ino, NULL, 0);
	assert_int_equal(n, sizeof("security.selinux") +
			 sizeof("system.posix_acl_access") + sizeof("user.k"));
	assert_int_equal(f->op->listxattr(&f->ctx, a.ino, buf, 3), -ERANGE);
	assert_int_equal(f->op->removexattr(&f->ctx, a.ino, "user.k"), 0);
	assert_int_equal(f->op->removexattr(&f->ctx, a.ino, "user.k"),
			 -ENODATA);
	assert_int_equal(f->op->getxattr(&f->ctx, a.ino, "user.k", buf, 10),
			 -ENODATA);
}

static void tmpfile_lives_until_forget(void **state)
{
	struct fx *f = *state;
	struct zus_new_inode ni = { .mode = S_IFREG | 0600 };
	struct zus_statfs st0, st1;
	struct zus_attr a;
	static char buf[64 * 1024];

	/* the root's first entry gives it an index block it keeps */
	mk(f, f->root, "anchor", S_IFREG | 0644);
	assert_int_equal(f->op->statfs(&f->ctx, &st0), 0);
	assert_int_equal(f->op->tmpfile(&f->ctx, f->root, &ni, &a), 0);
	assert_int_equal(a.nlink, 0);
	wr(f, a.ino, buf, sizeof(buf), 0);
	assert_int_equal(f->op->statfs(&f->ctx, &st1), 0);
	assert_true(st1.bfree < st0.bfree);
	assert_true(st1.ffree < st0.ffree);
	/* linked in: a name and stays */
	struct zus_attr l;

	assert_int_equal(f->op->link(&f->ctx, a.ino, f->root, "kept", 4, &l), 0);
	assert_int_equal(l.nlink, 1);
	f->op->forget(&f->ctx, a.ino, 2);
	assert_int_equal(lookup(f, f->root, "kept", NULL), 0);
	assert_int_equal(f->op->unlink(&f->ctx, f->root, "kept", 4), 0);
	/* a second tmpfile, forgotten: its space comes back */
	assert_int_equal(f->op->tmpfile(&f->ctx, f->root, &ni, &a), 0);
	wr(f, a.ino, buf, sizeof(buf), 0);
	f->op->forget(&f->ctx, a.ino, 1);
	assert_int_equal(f->op->getattr(&f->ctx, a.ino, &l), -ENOENT);
	assert_int_equal(f->op->statfs(&f->ctx, &st1), 0);
	assert_int_equal(st1.bfree, st0.bfree);
	assert_int_equal(st1.ffree, st0.ffree);
	assert_int_equal(st1.bsize, 4096);
	assert_int_equal(st1.namelen, 255);
}

static void persists_across_remount(void **state)
{
	struct fx *f = *state;
	zus_ino_t d = mk(f, f->root, "dir", S_IFDIR | 0750);
	zus_ino_t ino = mk(f, d, "file", S_IFREG | 0640);
	static char buf[10000], back[10000];
	struct zus_attr a;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i ^ (i >> 8));
	wr(f, ino, buf, sizeof(buf), 12345);
	assert_int_equal(f->op->setxattr(&f->ctx, ino, "user.p", "q", 1, 0), 0);
	umount_fs(f);
	fsck_clean(f);
	assert_int_equal(mount_fs(f, f->path, "", 0), 0);
	assert_int_equal(f->op->lookup(&f->ctx, f->root, "dir", 3, &a), 0);
	assert_int_equal(a.ino, d);
	assert_int_equal(a.mode, S_IFDIR | 0750);
	assert_int_equal(f->op->lookup(&f->ctx, d, "file", 4, &a), 0);
	assert_int_equal(a.size, 12345 + sizeof(buf));
	assert_int_equal(f->op->read(&f->ctx, a.ino, back, sizeof(back), 12345),
			 (ssize_t)sizeof(back));
	assert_memory_equal(back, buf, sizeof(buf));
	assert_int_equal(f->op->getxattr(&f->ctx, a.ino, "user.p", back, 8), 1);
	f->op->forget(&f->ctx, a.ino, 1);
	f->op->forget(&f->ctx, d, 1);
}

/* Unlinked while the kernel holds it, then unmounted without a forget
 * (what the FUSE transport does): no orphan is left behind. */
static void orphan_at_umount(void **state)
{
	struct fx *f = *state;
	struct zus_new_inode ni = { .mode = S_IFREG | 0600 };
	struct zus_attr a;
	zus_ino_t ino = mk(f, f->root, "open-unlinked", S_IFREG | 0644);

	wr(f, ino, "data", 4, 0);
	assert_int_equal(f->op->unlink(&f->ctx, f->root, "open-unlinked", 13),
			 0);
	assert_int_equal(f->op->tmpfile(&f->ctx, f->root, &ni, &a), 0);
	umount_fs(f);
	fsck_clean(f);
	assert_int_equal(mount_fs(f, f->path, "", 0), 0);
}

static void read_only(void **state)
{
	struct fx *f = *state;
	zus_ino_t ino = mk(f, f->root, "r", S_IFREG | 0644);
	struct zus_new_inode ni = { .mode = S_IFREG | 0644 };
	struct zus_attr a;
	char buf[4];

	wr(f, ino, "abcd", 4, 0);
	umount_fs(f);
	assert_int_equal(mount_fs(f, f->path, "", ZUS_MOUNT_RDONLY), 0);
	assert_int_equal(f->op->lookup(&f->ctx, f->root, "r", 1, &a), 0);
	assert_int_equal(f->op->read(&f->ctx, a.ino, buf, 4, 0), 4);
	assert_memory_equal(buf, "abcd", 4);
	assert_int_equal(f->op->write(&f->ctx, a.ino, "x", 1, 0, 0), -EROFS);
	assert_int_equal(f->op->mknod(&f->ctx, f->root, "n", 1, &ni, &a), -EROFS);
	assert_int_equal(f->op->unlink(&f->ctx, f->root, "r", 1), -EROFS);
	assert_int_equal(f->op->setxattr(&f->ctx, f->root, "user.a", "b", 1, 0),
			 -EROFS);
	assert_int_equal(f->op->sync_fs(&f->ctx, 1), 0);
	umount_fs(f);
	/* "ro" in the options does the same */
	assert_int_equal(mount_fs(f, f->path, "ro", 0), 0);
	assert_int_equal(f->op->mknod(&f->ctx, f->root, "n", 1, &ni, &a), -EROFS);
}

static void mount_errors(void **state)
{
	struct fx *f = *state;
	struct fx g = { 0 };
	char junk[64];
	int fd;

	/* the media is locked while mounted */
	assert_int_equal(mount_fs(&g, f->path, "", 0), -EBUSY);
	assert_int_equal(mount_fs(&g, "", "", 0), -EINVAL);
	assert_int_equal(mount_fs(&g, "none", "", 0), -EINVAL);
	assert_int_equal(mount_fs(&g, "/nonexistent/pmem", "", 0), -ENOENT);
	assert_int_equal(mount_fs(&g, f->path, "bogus=1", 0), -EINVAL);
	/* not a pmemfs */
	snprintf(junk, sizeof(junk), "/tmp/pmemfs-junk.XXXXXX");
	fd = mkstemp(junk);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 8 << 20), 0);
	close(fd);
	assert_int_equal(mount_fs(&g, junk, "", 0), -EINVAL);
	/* source= names the media */
	umount_fs(f);
	char opt[96];

	snprintf(opt, sizeof(opt), "source=%s", f->path);
	assert_int_equal(mount_fs(f, "none", opt, 0), 0);
	unlink(junk);
}

/* Fill (in a directory of its own, removed after: directories keep their
 * index blocks while they live), get ENOSPC, delete, get every block back,
 * reuse them. */
static void enospc_then_reuse(void **state)
{
	struct fx *f = *state;
	static char buf[1 << 20];
	struct zus_statfs st0, st1;
	uint64_t written = 0;
	zus_ino_t d, ino;
	ssize_t n;
	int files = 0;

	memset(buf, 0x5a, sizeof(buf));
	mk(f, f->root, "anchor", S_IFREG | 0644);
	assert_int_equal(f->op->statfs(&f->ctx, &st0), 0);
	d = mk(f, f->root, "fill", S_IFDIR | 0755);
	for (;;) {
		char name[16];

		snprintf(name, sizeof(name), "f%d", files);
		ino = mk(f, d, name, S_IFREG | 0644);
		files++;
		n = f->op->write(&f->ctx, ino, buf, sizeof(buf), 0, 0);
		f->op->forget(&f->ctx, ino, 1);
		if (n < (ssize_t)sizeof(buf)) {
			assert_true(n == -ENOSPC || n >= 0);
			if (n > 0)
				written += (uint64_t)n;
			break;
		}
		written += (uint64_t)n;
		assert_true(files < 1000);
	}
	assert_true(written > MEDIA_SIZE / 2);
	assert_int_equal(f->op->statfs(&f->ctx, &st1), 0);
	assert_true(st1.bfree < st0.bfree / 10);
	for (int i = 0; i < files; i++) {
		char name[16];

		snprintf(name, sizeof(name), "f%d", i);
		assert_int_equal(f->op->unlink(&f->ctx, d, name,
					       strlen(name)), 0);
	}
	assert_int_equal(f->op->rmdir(&f->ctx, f->root, "fill", 4), 0);
	f->op->forget(&f->ctx, d, 1);
	assert_int_equal(f->op->statfs(&f->ctx, &st1), 0);
	assert_int_equal(st1.bfree, st0.bfree);
	assert_int_equal(st1.ffree, st0.ffree);
	/* the space is usable again */
	ino = mk(f, f->root, "again", S_IFREG | 0644);
	for (int i = 0; i < 8; i++)
		wr(f, ino, buf, sizeof(buf), (uint64_t)i << 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(links_and_references, setup, teardown),
		cmocka_unit_test_setup_teardown(special_files_and_symlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(rename_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(readdir_paged, setup, teardown),
		cmocka_unit_test_setup_teardown(data_holes_and_seek, setup, teardown),
		cmocka_unit_test_setup_teardown(attributes, setup, teardown),
		cmocka_unit_test_setup_teardown(xattrs, setup, teardown),
		cmocka_unit_test_setup_teardown(tmpfile_lives_until_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(persists_across_remount, setup, teardown),
		cmocka_unit_test_setup_teardown(orphan_at_umount, setup, teardown),
		cmocka_unit_test_setup_teardown(read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(mount_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(enospc_then_reuse, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
