// SPDX-License-Identifier: BSD-2-Clause
/*
 * dispatch.c - the zufs protocol (<linux/zufs.h>) on the server side.
 *
 * One table, indexed by opcode (io_uring opdef style), says for every
 * request what it carries: the size of its in and out structs, how many
 * names follow the in struct and where their lengths are, whether it
 * names an inode, whether it may carry a client buffer, which plugin op
 * serves it, and the handler. zus_dispatch() does everything that is the
 * same for every op, once:
 *
 *   header     opcode known, length == what ucchan delivered, flags and
 *              reserved fields zero, request exactly header + in struct +
 *              names, reply area large enough for the out struct;
 *   names      1..255 bytes, no '/' or NUL, not "." or ".." (file
 *              names), 1..255 bytes without NUL (xattr names), each
 *              followed by its NUL;
 *   entries    (BATCH_FORGET) exactly the count the in struct announces;
 *   buffers    at most one, only for the ops that carry one;
 *   superblock the sb_id is mounted, by this connection; its evil test
 *              mode (zusd --evil) is looked up;
 *   plugin op  NULL or beyond the plugin's table: -ENOSYS;
 *   status     anything but 0 or -1..-511 from a handler is -EIO.
 *
 * The handler decodes its in struct (pads, flags, ranges), calls the
 * plugin's op with the client's buffer itself (zero copy: the pages ucchan
 * mapped into the worker), validates what the plugin answered (attributes,
 * types, counts, lengths; a broken answer is -EIO, logged) and encodes the
 * out struct. The op runs with the server's superblock lock held shared,
 * so the superblock cannot be unmounted under it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <linux/zufs.h>

#include "zus_i.h"

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define BUILD_BUG_ON(c)		_Static_assert(!(c), #c)

/* What follows the in struct. */
enum zus_name_kind {
	NAME_FILE = 1,		/* a file name: 1..255, no '/', not . or .. */
	NAME_XATTR,		/* an xattr name: 1..255, no NUL */
	NAME_MOUNT,		/* INIT source/options: 0..1024, no NUL */
};

union zus_in {
	struct zufs_init_in init;
	struct zufs_sync_fs_in sync_fs;
	struct zufs_name_in name;
	struct zufs_forget_in forget;
	struct zufs_batch_forget_in batch_forget;
	struct zufs_setattr_in setattr;
	struct zufs_create_in create;
	struct zufs_symlink_in symlink;
	struct zufs_readlink_in readlink;
	struct zufs_link_in link;
	struct zufs_rename_in rename;
	struct zufs_tmpfile_in tmpfile;
	struct zufs_readdir_in readdir;
	struct zufs_open_in open;
	struct zufs_release_in release;
	struct zufs_flush_in flush;
	struct zufs_create_open_in create_open;
	struct zufs_io_in io;
	struct zufs_fsync_in fsync;
	struct zufs_fallocate_in fallocate;
	struct zufs_lseek_in lseek;
	struct zufs_copy_range_in copy_range;
	struct zufs_xattr_in xattr;
};

union zus_out {
	struct zufs_init_out init;
	struct zufs_statfs_out statfs;
	struct zufs_entry_out entry;
	struct zufs_readlink_out readlink;
	struct zufs_readdir_out readdir;
	struct zufs_open_out open;
	struct zufs_create_open_out create_open;
	struct zufs_read_out read;
	struct zufs_write_out write;
	struct zufs_lseek_out lseek;
	struct zufs_copy_range_out copy_range;
	struct zufs_xattr_out xattr;
};

/* One request being served. */
struct zus_req {
	struct zus_server *srv;
	struct zus_call *c;
	const struct zus_opdef *def;
	struct zufs_in_header h;
	union zus_in in;		/* aligned copy of the in struct */
	const char *name[2];		/* NUL terminated, in the request */
	size_t namelen[2];
	const char *entries;		/* BATCH_FORGET's, in the request */
	struct zus_sb_inst *si;		/* NULL for INIT */
	struct zus_sb *sb;
	const struct zus_fs_ops *ops;
	struct zus_ctx ctx;		/* what the plugin's op receives */
	struct zus_xattr xattrs[ZUFS_INIT_XATTRS_MAX];	/* a create's */
	union zus_out out;		/* encoded here, copied to the reply */
	size_t out_len;			/* what goes out on status 0 */
	bool locked;			/* holding srv->sb_lock (read) */
};

/**
 * struct zus_opdef - what the dispatcher knows about one opcode
 * @name:        lower case, for logs and zusd --evil (exit_NAME)
 * @in_size:     bytes of the op's in struct
 * @out_size:    bytes of the op's reply on success
 * @nr_names:    names after the in struct (0..2)
 * @name_kind:   enum zus_name_kind of those names
 * @namelen_off: offsets of their __u32 lengths in the in struct
 * @entry_size:  entries of this size follow the in struct, as many as its
 *               first __u32 says (BATCH_FORGET); 0: none
 * @op_off:      offset of the plugin op in struct zus_fs_ops (0: none);
 *               a NULL op or one beyond the plugin's table is -ENOSYS
 * @need_ino:    header.ino must be nonzero
 * @has_buf:     the request may carry client buffers: bufs[0], and
 *               bufs[1] for SYMLINK's initial xattrs (@xattr_buf)
 * @xattr_buf:   1 + index of the optional initial-xattrs buffer (1.2,
 *               ZUFS_CAP_INIT_XATTRS); 0: the op has none
 * @handle:      decode, call the plugin, check and encode its answer
 */
struct zus_opdef {
	const char *name;
	uint16_t in_size;
	uint16_t out_size;
	uint8_t nr_names;
	uint8_t name_kind;
	uint8_t namelen_off[2];
	uint16_t entry_size;
	uint16_t op_off;
	bool need_ino;
	bool has_buf;
	uint8_t xattr_buf;
	int (*handle)(struct zus_req *r);
};

/* open(2) flags a plugin may see (O_CREAT, O_EXCL, O_NOCTTY and O_TRUNC
 * are the kernel's business). */
#define ZUS_OPEN_FLAGS_OK \
	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC | O_DIRECT | \
	 O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | \
	 O_SYNC | O_PATH | O_TMPFILE | FASYNC)
/* ... and what the kernel may send: those and its own bits, taken off */
#define ZUS_OPEN_FLAGS_IN	(ZUS_OPEN_FLAGS_OK | ZUS_OPEN_KERNEL_BITS)
#define open_flags(f)		((f) & ~(uint32_t)ZUS_OPEN_KERNEL_BITS)

/* ---- helpers ------------------------------------------------------------ */

#define plugin_err(r, fmt, ...) \
	zus_err("plugin %s: %s of sb %llu ino %llu: " fmt, \
		(r)->sb->plugin->name, (r)->def->name, \
		(unsigned long long)(r)->h.sb_id, \
		(unsigned long long)(r)->h.ino, ##__VA_ARGS__)

#define proto_err(r, fmt, ...) \
	zus_warn("protocol: %s: " fmt, (r)->def ? (r)->def->name : "?", \
		 ##__VA_ARGS__)

static bool is_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static int bad_errno(struct zus_req *r, int64_t ret)
{
	plugin_err(r, "returned %lld, not 0 or -errno: broken plugin",
		   (long long)ret);
	return -EIO;
}

/*
 * Validate and encode attributes the plugin returned. want_ino: the inode
 * they must be of (0: any); want_type: S_IFMT they must have (0: any).
 */
static int put_attr(struct zus_req *r, const struct zus_attr *a,
		    zus_ino_t want_ino, uint32_t want_type,
		    struct zufs_attr *z)
{
	uint32_t type = a->mode & S_IFMT;
	const char *why = zus_attr_invalid(a, want_ino, want_type);

	if (why) {
		plugin_err(r, "bad attributes of inode %llu (mode 0%o): %s",
			   (unsigned long long)a->ino, a->mode, why);
		return -EIO;
	}
	memset(z, 0, sizeof(*z));
	z->ino = a->ino;
	z->generation = a->generation;
	z->size = a->size;
	z->blocks = a->blocks;
	z->atime = (uint64_t)a->atime.tv_sec;
	z->mtime = (uint64_t)a->mtime.tv_sec;
	z->ctime = (uint64_t)a->ctime.tv_sec;
	z->atimensec = a->atime.tv_nsec;
	z->mtimensec = a->mtime.tv_nsec;
	z->ctimensec = a->ctime.tv_nsec;
	z->mode = a->mode;
	z->nlink = a->nlink;
	z->uid = a->uid;
	z->gid = a->gid;
	if (type == S_IFCHR || type == S_IFBLK) {
		z->rdev_major = major(a->rdev);
		z->rdev_minor = minor(a->rdev);
	}
	z->blksize = a->blksize;
	return 0;
}

/*
 * The reply of an op that hands the kernel an inode reference (lookup,
 * mknod, mkdir, symlink, link, tmpfile). If the plugin succeeded but its
 * attributes are refused, the kernel never takes the reference: give it
 * back with forget so the plugin does not leak the inode.
 */
static int entry_reply(struct zus_req *r, int ret, const struct zus_attr *a,
		       zus_ino_t want_ino, uint32_t want_type)
{
	if (ret)
		return zus_errno_ok(ret) ? ret : bad_errno(r, ret);
	ret = put_attr(r, a, want_ino, want_type, &r->out.entry.attr);
	if (!ret && a->ino == r->h.ino && r->def->nr_names) {
		plugin_err(r, "an entry names its own directory");
		ret = -EIO;
	}
	if (ret && a->ino && r->ops->size >= offsetof(struct zus_fs_ops,
						      forget) + sizeof(void *) &&
	    r->ops->forget)
		r->ops->forget(&r->ctx, a->ino, 1);
	return ret;
}

/* Attributes after a change (setattr, getattr, write, fallocate...). */
static int getattr_after(struct zus_req *r, zus_ino_t ino,
			 struct zufs_attr *z)
{
	struct zus_attr a;
	int ret;

	if (!r->ops->getattr) {
		plugin_err(r, "has no getattr: cannot return attributes");
		return -EIO;
	}
	memset(&a, 0, sizeof(a));
	ret = r->ops->getattr(&r->ctx, ino, &a);
	if (ret)
		return zus_errno_ok(ret) ? ret : bad_errno(r, ret);
	return put_attr(r, &a, ino, 0, z);
}

/*
 * The request's client buffer: none when len is 0, else exactly one of
 * len bytes the server may access as flag says.
 */
static int get_buf(struct zus_req *r, uint64_t len, unsigned int flag,
		   void **addr)
{
	const struct zus_call *c = r->c;

	*addr = NULL;
	if (!len) {
		if (c->nr_bufs) {
			proto_err(r, "a buffer where none is expected");
			return -EINVAL;
		}
		return 0;
	}
	/* bufs[0] is the payload; SYMLINK may have initial xattrs in [1] */
	if (c->nr_bufs < 1 || c->nr_bufs > (r->def->xattr_buf == 2 ? 2 : 1) ||
	    !(c->bufs[0].flags & flag) ||
	    c->bufs[0].len != len || !c->bufs[0].addr) {
		proto_err(r, "want one %s buffer of %llu bytes, got %u (%zu bytes, flags 0x%x)",
			  flag == ZUS_BUF_READ ? "READ" : "WRITE",
			  (unsigned long long)len, c->nr_bufs,
			  c->nr_bufs ? c->bufs[0].len : 0,
			  c->nr_bufs ? c->bufs[0].flags : 0);
		return -EINVAL;
	}
	*addr = c->bufs[0].addr;
	return 0;
}

/* The request is about an open of the file: the plugin gets its handle. */
static void ctx_fh(struct zus_req *r, uint64_t fh)
{
	if (fh) {
		r->ctx.fh = fh;
		r->ctx.flags |= ZUS_CTX_FH;
	}
}

static int new_inode_in(struct zus_req *r, const struct zufs_new_inode *z,
			struct zus_new_inode *ni)
{
	uint32_t type = z->mode & S_IFMT;

	if (z->pad || (z->mode & ~(uint32_t)(S_IFMT | 07777)) ||
	    !zus_type_valid(type) ||
	    ((type == S_IFCHR || type == S_IFBLK) ?
	     (z->rdev_major >= (1U << 12) || z->rdev_minor >= (1U << 20)) :
	     (z->rdev_major || z->rdev_minor))) {
		proto_err(r, "bad new inode (mode 0%o, rdev %u:%u)", z->mode,
			  z->rdev_major, z->rdev_minor);
		return -EINVAL;
	}
	memset(ni, 0, sizeof(*ni));
	ni->mode = z->mode;
	ni->uid = z->uid;
	ni->gid = z->gid;
	ni->rdev = makedev(z->rdev_major, z->rdev_minor);
	return 0;
}

/*
 * The initial xattrs of a create request (1.2, ZUFS_CAP_INIT_XATTRS): the
 * block in bufs[r->def->xattr_buf], if the request has that buffer. All
 * of it is checked before the plugin sees any (zufs.h, "Initial
 * xattrs"); ni->xattrs then point into the block.
 */
static int init_xattrs_in(struct zus_req *r, struct zus_new_inode *ni)
{
	const struct zus_call *c = r->c;
	unsigned int idx = r->def->xattr_buf - 1u;
	struct zufs_init_xattrs hdr;
	const char *b;
	size_t len, pos;

	if (!r->def->xattr_buf || c->nr_bufs <= idx)
		return 0;		/* none */
	if (!(r->si->agreed & ZUFS_CAP_INIT_XATTRS)) {
		proto_err(r, "initial xattrs without ZUFS_CAP_INIT_XATTRS");
		return -EINVAL;
	}
	b = c->bufs[idx].addr;
	len = c->bufs[idx].len;
	if (!b || !(c->bufs[idx].flags & ZUS_BUF_READ) || len < sizeof(hdr) ||
	    len % 8 || len > ZUFS_INIT_XATTRS_SIZE_MAX)
		goto bad;
	memcpy(&hdr, b, sizeof(hdr));
	if (hdr.pad || hdr.len != len || !hdr.count ||
	    hdr.count > ZUFS_INIT_XATTRS_MAX)
		goto bad;
	pos = sizeof(hdr);
	for (uint32_t i = 0; i < hdr.count; i++) {
		struct zufs_init_xattr x;
		const char *name;
		size_t rec;

		if (len - pos < ZUFS_INIT_XATTR_NAME_OFFSET)
			goto bad;
		memcpy(&x, b + pos, ZUFS_INIT_XATTR_NAME_OFFSET);
		if (!x.namelen || x.namelen > ZUFS_XATTR_NAME_MAX ||
		    x.size > ZUFS_XATTR_SIZE_MAX)
			goto bad;
		rec = ZUFS_INIT_XATTR_SIZE(x.namelen, x.size);
		if (rec > len - pos)
			goto bad;
		name = b + pos + ZUFS_INIT_XATTR_NAME_OFFSET;
		if (memchr(name, '\0', x.namelen) || name[x.namelen] ||
		    !is_zero(name + x.namelen + 1 + x.size,
			     rec - ZUFS_INIT_XATTR_NAME_OFFSET - x.namelen - 1 -
			     x.size))
			goto bad;
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(r->xattrs[j].name, name))
				goto bad;
		r->xattrs[i].name = name;
		r->xattrs[i].value = name + x.namelen + 1;
		r->xattrs[i].size = x.size;
		pos += rec;
	}
	if (pos != len)
		goto bad;
	ni->xattrs = r->xattrs;
	ni->nr_xattrs = hdr.count;
	return 0;
bad:
	proto_err(r, "malformed initial xattrs (%zu bytes)", len);
	return -EINVAL;
}

/* ---- superblock ----------------------------------------------------------- */

/* Plugin capabilities (ZUS_CAP_*) and the kernel's (ZUFS_CAP_*). */
static const struct {
	uint64_t zus, zufs;
} cap_map[] = {
	{ ZUS_CAP_XATTR, ZUFS_CAP_XATTR },
	{ ZUS_CAP_ACL, ZUFS_CAP_ACL },
	{ ZUS_CAP_MMAP, ZUFS_CAP_MMAP },
	{ ZUS_CAP_FALLOCATE, ZUFS_CAP_FALLOCATE },
	{ ZUS_CAP_TMPFILE, ZUFS_CAP_TMPFILE },
	{ ZUS_CAP_COPY_RANGE, ZUFS_CAP_COPY_RANGE },
	{ ZUS_CAP_SEEK_DATA, ZUFS_CAP_SEEK_DATA },
	{ ZUS_CAP_RENAME_EXCHANGE, ZUFS_CAP_RENAME_EXCHANGE },
	{ ZUS_CAP_OPEN, ZUFS_CAP_OPEN },
};

/* How notifications reach the kernel (zusd: ucchan_server_notify). */
static zus_zufs_send_fn notify_send;
static void *notify_arg;

void zus_zufs_set_notify(zus_zufs_send_fn fn, void *arg)
{
	notify_send = fn;
	notify_arg = arg;
}

/* What this dispatcher can serve: the transport's zus_conn.capable. */
uint64_t zus_zufs_capable(void)
{
	uint64_t caps = 0;

	for (size_t i = 0; i < ARRAY_SIZE(cap_map); i++)
		caps |= cap_map[i].zus;
	if (notify_send)
		caps |= ZUS_CAP_NOTIFY;
	return caps;
}

/* A notification's status from the kernel, as host->notify_* returns it. */
static int notify_status(int err)
{
	switch (err) {
	case -ENOENT:		/* not in the kernel's cache: nothing to drop */
		return 0;
	case -EOPNOTSUPP:	/* not agreed, or an old kernel */
		return -ENOSYS;
	case -ENOTCONN:		/* the mount's connection is gone */
		return -ESHUTDOWN;
	}
	return err;
}

static int zufs_inval_inode(struct zus_sb_inst *si, zus_ino_t ino,
			    int64_t off, int64_t len)
{
	struct {
		struct zufs_notify_hdr h;
		struct zufs_notify_inval_inode in;
	} m;

	if (!notify_send || !(si->agreed & ZUFS_CAP_NOTIFY))
		return -ENOSYS;
	memset(&m, 0, sizeof(m));
	m.h.type = ZUFS_NOTIFY_INVAL_INODE;
	m.h.len = sizeof(m);
	m.h.sb_id = si->sb.sb_id;
	m.in.ino = ino;
	m.in.off = off < 0 ? -1 : off;
	m.in.len = (uint64_t)len;
	return notify_status(notify_send(notify_arg, si->client_id, &m,
					 sizeof(m)));
}

static int zufs_inval_entry(struct zus_sb_inst *si, zus_ino_t dir,
			    const char *name, size_t namelen)
{
	struct {
		struct zufs_notify_hdr h;
		struct zufs_notify_inval_entry e;
		char name[ZUFS_NAME_MAX + 1];
	} m;
	size_t len = sizeof(m.h) + sizeof(m.e) + namelen + 1;

	if (!notify_send || !(si->agreed & ZUFS_CAP_NOTIFY))
		return -ENOSYS;
	memset(&m, 0, sizeof(m));
	m.h.type = ZUFS_NOTIFY_INVAL_ENTRY;
	m.h.len = (uint32_t)len;
	m.h.sb_id = si->sb.sb_id;
	m.e.parent = dir;
	m.e.namelen = (uint32_t)namelen;
	memcpy(m.name, name, namelen);
	return notify_status(notify_send(notify_arg, si->client_id, &m, len));
}

static uint64_t zufs_caps(uint64_t want)
{
	uint64_t caps = 0;

	for (size_t i = 0; i < ARRAY_SIZE(cap_map); i++)
		if (want & cap_map[i].zus)
			caps |= cap_map[i].zufs;
	return caps;
}

static const struct zus_transport zufs_transport = {
	.id = ZUS_TRANSPORT_ZUFS,
	.inval_inode = zufs_inval_inode,
	.inval_entry = zufs_inval_entry,
};

_Static_assert(ZUS_FS_ID_LEN == ZUFS_FS_ID_LEN, "fs_id sizes");

static int op_init(struct zus_req *r)
{
	const struct zufs_init_in *in = &r->in.init;
	struct zufs_init_out *out = &r->out.init;
	struct zus_loaded_plugin *lp;
	struct zus_sb_inst *si;
	struct zus_attr a;
	uint64_t sb_id;
	zus_ino_t root;
	size_t fsl;
	int ret;

	if (in->major != ZUFS_KERNEL_VERSION) {
		zus_err("INIT: kernel speaks zufs protocol %u, this zusd %d",
			in->major, ZUFS_KERNEL_VERSION);
		return -EPROTONOSUPPORT;
	}
	fsl = strnlen(in->fs_name, sizeof(in->fs_name));
	if (in->pad || !is_zero(in->reserved, sizeof(in->reserved)) ||
	    (in->flags & ~(ZUFS_INIT_RDONLY | ZUFS_INIT_REATTACH)) ||
	    (!(in->flags & ZUFS_INIT_REATTACH) !=
	     is_zero(in->fs_id, sizeof(in->fs_id))) ||
	    fsl == sizeof(in->fs_name) ||
	    !is_zero(in->fs_name + fsl, sizeof(in->fs_name) - fsl) ||
	    r->h.sb_id) {
		proto_err(r, "malformed INIT");
		return -EINVAL;
	}
	lp = zus_server_find_plugin(r->srv, in->fs_name);
	if (!lp) {
		zus_err("mount: no plugin for fs '%.*s'", (int)fsl, in->fs_name);
		return -ENODEV;
	}
	ret = zus_server_mount(r->srv, in->fs_name, r->name[0], r->name[1],
			       ((in->flags & ZUFS_INIT_RDONLY) ?
				ZUS_MOUNT_RDONLY : 0) |
			       ((in->flags & ZUFS_INIT_REATTACH) ?
				ZUS_MOUNT_REATTACH : 0),
			       r->h.uid, r->h.gid, r->h.pid, r->c->client_id,
			       &zufs_transport, &sb_id, &root, &si);
	if (ret)
		return zus_errno_ok(ret) ? ret : -EIO;
	/* a re-attach must find the file system the kernel kept */
	if ((in->flags & ZUFS_INIT_REATTACH) &&
	    memcmp(si->sb.fs_id, in->fs_id, sizeof(in->fs_id))) {
		zus_err("sb %llu: re-attach refused: fs '%s' at '%s' is not the file system the kernel kept (identity differs)",
			(unsigned long long)sb_id, in->fs_name, r->name[0]);
		zus_server_umount(r->srv, sb_id);
		return -ESTALE;
	}

	/* The root's attributes, with the superblock visible to nobody else
	 * yet but this connection (whose only call is this one). */
	pthread_rwlock_rdlock(&r->srv->sb_lock);
	r->si = si;
	r->sb = &si->sb;
	r->ops = si->ops;
	zus_ctx_init(&r->ctx, si, r->h.uid, r->h.gid, r->h.pid);
	memset(&a, 0, sizeof(a));
	ret = -EIO;
	if (!r->ops->getattr) {
		plugin_err(r, "has no getattr");
	} else {
		ret = r->ops->getattr(&r->ctx, root, &a);
		if (ret && !zus_errno_ok(ret))
			ret = bad_errno(r, ret);
		if (!ret)
			ret = put_attr(r, &a, root, S_IFDIR, &out->root);
	}
	pthread_rwlock_unlock(&r->srv->sb_lock);
	if (ret) {
		zus_server_umount(r->srv, sb_id);
		return ret;
	}
	out->major = ZUFS_KERNEL_VERSION;
	out->minor = ZUFS_KERNEL_MINOR_VERSION;
	/* caps of 1.0/1.1 are offered in in->caps (unknown bits ignored, as
	 * 1.2 says); INIT_XATTRS by the minor. Initial xattrs go to the
	 * plugin in zus_new_inode: any plugin with xattrs takes them. */
	out->caps = zufs_caps(lp->conn.want) & in->caps & ZUFS_CAP_OFFER_MASK;
	if (in->minor >= 2 && (out->caps & ZUFS_CAP_XATTR))
		out->caps |= ZUFS_CAP_INIT_XATTRS;
	if (in->minor >= 2 && (lp->conn.want & ZUS_CAP_NOTIFY) && notify_send)
		out->caps |= ZUFS_CAP_NOTIFY;
	si->agreed = out->caps;
	__atomic_store_n(&si->live, true, __ATOMIC_RELEASE);
	out->sb_id = sb_id;
	memcpy(out->fs_id, si->sb.fs_id, sizeof(out->fs_id));
	out->time_gran = lp->conn.time_gran ? lp->conn.time_gran : 1;
	out->blksize = lp->conn.blksize;
	out->max_file_size = lp->conn.max_file_size;
	out->max_io = lp->conn.max_io > UINT32_MAX ? UINT32_MAX :
		      (uint32_t)lp->conn.max_io;
	zus_info("sb %llu: caps 0x%llx (kernel offered 0x%llx), kernel protocol %u.%u",
		 (unsigned long long)sb_id, (unsigned long long)out->caps,
		 (unsigned long long)in->caps, in->major, in->minor);
	return 0;
}

static int op_destroy(struct zus_req *r)
{
	/* Drop our read lock first: unmounting takes the lock exclusive.
	 * The superblock belongs to this connection (checked), which waits
	 * for this reply: nothing else destroys it meanwhile. */
	uint64_t sb_id = r->h.sb_id;

	pthread_rwlock_unlock(&r->srv->sb_lock);
	r->locked = false;
	r->si = NULL;
	return zus_server_umount(r->srv, sb_id) ? -EINVAL : 0;
}

static int op_statfs(struct zus_req *r)
{
	struct zufs_statfs_out *out = &r->out.statfs;
	struct zus_statfs st;
	int ret;

	memset(&st, 0, sizeof(st));
	ret = r->ops->statfs(&r->ctx, &st);
	if (ret)
		return zus_errno_ok(ret) ? ret : bad_errno(r, ret);
	if (st.bfree > st.blocks || st.bavail > st.bfree ||
	    st.ffree > st.files || st.namelen > ZUS_NAME_MAX) {
		plugin_err(r, "inconsistent statfs (blocks %llu bfree %llu bavail %llu files %llu ffree %llu namelen %u)",
			   (unsigned long long)st.blocks,
			   (unsigned long long)st.bfree,
			   (unsigned long long)st.bavail,
			   (unsigned long long)st.files,
			   (unsigned long long)st.ffree, st.namelen);
		return -EIO;
	}
	out->blocks = st.blocks;
	out->bfree = st.bfree;
	out->bavail = st.bavail;
	out->files = st.files;
	out->ffree = st.ffree;
	out->bsize = st.bsize ? st.bsize : 4096;
	out->namelen = st.namelen ? st.namelen : ZUS_NAME_MAX;
	out->frsize = out->bsize;
	return 0;
}

static int op_sync_fs(struct zus_req *r)
{
	const struct zufs_sync_fs_in *in = &r->in.sync_fs;
	int ret;

	if (in->wait > 1 || in->pad)
		return -EINVAL;
	ret = r->ops->sync_fs(&r->ctx, in->wait);
	return ret > 0 || !zus_errno_ok(ret) ? bad_errno(r, ret) : ret;
}

/* ---- inodes --------------------------------------------------------------- */

static int op_lookup(struct zus_req *r)
{
	struct zus_attr a;
	int ret;

	if (r->in.name.pad)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	ret = r->ops->lookup(&r->ctx, r->h.ino, r->name[0], r->namelen[0], &a);
	return entry_reply(r, ret, &a, 0, 0);
}

static int op_forget(struct zus_req *r)
{
	if (r->in.forget.nlookup)
		r->ops->forget(&r->ctx, r->h.ino, r->in.forget.nlookup);
	return 0;
}

/*
 * Many FORGETs in one request: every entry is checked before the plugin
 * sees any (the request is untrusted), then each is the plugin's forget.
 */
static int op_batch_forget(struct zus_req *r)
{
	const struct zufs_batch_forget_in *in = &r->in.batch_forget;
	struct zufs_forget_one e;
	uint32_t i;

	if (!in->count || in->pad || r->h.ino) {
		proto_err(r, "count %u, pad 0x%x, inode %llu", in->count,
			  in->pad, (unsigned long long)r->h.ino);
		return -EINVAL;
	}
	for (i = 0; i < in->count; i++) {
		memcpy(&e, r->entries + i * sizeof(e), sizeof(e));
		if (!e.ino || !e.nlookup) {
			proto_err(r, "entry %u: inode %llu, nlookup %llu", i,
				  (unsigned long long)e.ino,
				  (unsigned long long)e.nlookup);
			return -EINVAL;
		}
	}
	for (i = 0; i < in->count; i++) {
		memcpy(&e, r->entries + i * sizeof(e), sizeof(e));
		r->ops->forget(&r->ctx, e.ino, e.nlookup);
	}
	return 0;
}

static int op_getattr(struct zus_req *r)
{
	struct zus_attr a;
	int ret;

	memset(&a, 0, sizeof(a));
	ret = r->ops->getattr(&r->ctx, r->h.ino, &a);
	if (ret)
		return zus_errno_ok(ret) ? ret : bad_errno(r, ret);
	return put_attr(r, &a, r->h.ino, 0, &r->out.entry.attr);
}

static int op_setattr(struct zus_req *r)
{
	const struct zufs_setattr_in *in = &r->in.setattr;
	struct zus_setattr sa;
	struct zus_attr a;
	int ret;

	if ((in->valid & ~ZUFS_SET_ALL) || (in->mode & ~07777U) ||
	    in->pad || !is_zero(in->reserved, sizeof(in->reserved)) ||
	    in->atimensec >= ZUS_NSEC_PER_SEC ||
	    in->mtimensec >= ZUS_NSEC_PER_SEC ||
	    in->ctimensec >= ZUS_NSEC_PER_SEC ||
	    in->size > ZUS_MAX_FILE_SIZE)
		return -EINVAL;
	memset(&sa, 0, sizeof(sa));
	/* ZUFS_SET_* and ZUS_SET_* share their values (checked below). */
	sa.valid = in->valid;
	sa.mode = in->mode;
	sa.uid = in->uid;
	sa.gid = in->gid;
	sa.size = in->size;
	sa.atime.tv_sec = (int64_t)in->atime;
	sa.atime.tv_nsec = in->atimensec;
	sa.mtime.tv_sec = (int64_t)in->mtime;
	sa.mtime.tv_nsec = in->mtimensec;
	sa.ctime.tv_sec = (int64_t)in->ctime;
	sa.ctime.tv_nsec = in->ctimensec;
	memset(&a, 0, sizeof(a));
	ret = r->ops->setattr(&r->ctx, r->h.ino, &sa, &a);
	if (ret)
		return zus_errno_ok(ret) ? ret : bad_errno(r, ret);
	return put_attr(r, &a, r->h.ino, 0, &r->out.entry.attr);
}

static int op_mknod_mkdir(struct zus_req *r)
{
	const struct zufs_create_in *in = &r->in.create;
	bool dir = r->h.opcode == ZUFS_OP_MKDIR;
	struct zus_new_inode ni;
	struct zus_attr a;
	uint32_t type;
	int ret;

	if (in->pad || new_inode_in(r, &in->ni, &ni) ||
	    init_xattrs_in(r, &ni))
		return -EINVAL;
	type = ni.mode & S_IFMT;
	if (dir ? type != S_IFDIR : (type == S_IFDIR || type == S_IFLNK))
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	if (dir)
		ret = r->ops->mkdir(&r->ctx, r->h.ino, r->name[0], r->namelen[0],
				    &ni, &a);
	else
		ret = r->ops->mknod(&r->ctx, r->h.ino, r->name[0], r->namelen[0],
				    &ni, &a);
	return entry_reply(r, ret, &a, 0, type);
}

static int op_symlink(struct zus_req *r)
{
	const struct zufs_symlink_in *in = &r->in.symlink;
	char target[ZUFS_SYMLINK_MAX + 1];
	struct zus_new_inode ni;
	struct zus_attr a;
	void *buf;
	int ret;

	if (new_inode_in(r, &in->ni, &ni) || (ni.mode & S_IFMT) != S_IFLNK ||
	    !in->targetlen || in->targetlen > ZUFS_SYMLINK_MAX ||
	    get_buf(r, in->targetlen, ZUS_BUF_READ, &buf) ||
	    init_xattrs_in(r, &ni))
		return -EINVAL;
	/* The target lives in the caller's pages: copy it once, NUL it. */
	memcpy(target, buf, in->targetlen);
	target[in->targetlen] = '\0';
	if (memchr(target, '\0', in->targetlen))
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	ret = r->ops->symlink(&r->ctx, r->h.ino, r->name[0], r->namelen[0],
			      target, in->targetlen, &ni, &a);
	return entry_reply(r, ret, &a, 0, S_IFLNK);
}

static int op_readlink(struct zus_req *r)
{
	const struct zufs_readlink_in *in = &r->in.readlink;
	ssize_t ret;
	void *buf;

	if (in->pad || !in->size || in->size > ZUFS_SYMLINK_MAX ||
	    get_buf(r, in->size, ZUS_BUF_WRITE, &buf))
		return -EINVAL;
	ret = r->ops->readlink(&r->ctx, r->h.ino, buf, in->size);
	if (ret < 0)
		return zus_errno_ok(ret) ? (int)ret : bad_errno(r, ret);
	if (ret == 0 || (size_t)ret > in->size ||
	    memchr(buf, '\0', (size_t)ret)) {
		plugin_err(r, "readlink length %zd (buffer %u) or a NUL in the target",
			   ret, in->size);
		return -EIO;
	}
	r->out.readlink.len = (uint32_t)ret;
	return 0;
}

static int op_link(struct zus_req *r)
{
	const struct zufs_link_in *in = &r->in.link;
	struct zus_attr a;
	int ret;

	if (in->pad || !in->ino)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	ret = r->ops->link(&r->ctx, in->ino, r->h.ino, r->name[0], r->namelen[0],
			   &a);
	return entry_reply(r, ret, &a, in->ino, 0);
}

static int op_unlink_rmdir(struct zus_req *r)
{
	int ret;

	if (r->in.name.pad)
		return -EINVAL;
	if (r->h.opcode == ZUFS_OP_RMDIR)
		ret = r->ops->rmdir(&r->ctx, r->h.ino, r->name[0], r->namelen[0]);
	else
		ret = r->ops->unlink(&r->ctx, r->h.ino, r->name[0], r->namelen[0]);
	return ret > 0 || !zus_errno_ok(ret) ? bad_errno(r, ret) : ret;
}

static int op_rename(struct zus_req *r)
{
	const struct zufs_rename_in *in = &r->in.rename;
	int ret;

	if (in->pad || !in->newdir ||
	    (in->flags & ~(ZUFS_RENAME_NOREPLACE | ZUFS_RENAME_EXCHANGE)) ||
	    in->flags == (ZUFS_RENAME_NOREPLACE | ZUFS_RENAME_EXCHANGE))
		return -EINVAL;
	ret = r->ops->rename(&r->ctx, r->h.ino, r->name[0], r->namelen[0],
			     in->newdir, r->name[1], r->namelen[1], in->flags);
	return ret > 0 || !zus_errno_ok(ret) ? bad_errno(r, ret) : ret;
}

static int op_tmpfile(struct zus_req *r)
{
	struct zus_new_inode ni;
	struct zus_attr a;
	int ret;

	if (new_inode_in(r, &r->in.tmpfile.ni, &ni) ||
	    (ni.mode & S_IFMT) != S_IFREG || init_xattrs_in(r, &ni))
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	ret = r->ops->tmpfile(&r->ctx, r->h.ino, &ni, &a);
	return entry_reply(r, ret, &a, 0, S_IFREG);
}

/* ---- directories ---------------------------------------------------------- */

/* zus_dir_emit() calls this for every valid entry: one zufs_dirent. */
static size_t dirent_encode(struct zus_dir_ctx *ctx, const char *name,
			    size_t namelen, zus_ino_t ino, unsigned int type,
			    uint64_t cookie)
{
	struct zufs_dirent d = {
		.ino = ino,
		.off = cookie,
		.type = type,
	};
	size_t rec;
	char *p;

#if ZUS_WITH_EVIL
	char evil_name[ZUFS_NAME_MAX + 1];

	if (ctx->evil & ZUS_EVIL_SLASH_NAME) {
		memcpy(evil_name, name, namelen);
		evil_name[0] = '/';
		name = evil_name;
	}
	if (ctx->evil & ZUS_EVIL_DOT_NAME) {
		namelen = (ctx->count & 1) + 1;		/* ".", "..", ... */
		name = "..";
	}
#endif
	d.namelen = namelen;
	rec = ZUFS_DIRENT_ALIGN(ZUFS_DIRENT_NAME_OFFSET + namelen);
	if (ctx->cap - ctx->used < rec) {
		ctx->full = true;
		return 0;
	}
	/* Straight into the caller's buffer; memcpy: no alignment assumed. */
	p = ctx->buf + ctx->used;
	memcpy(p, &d, ZUFS_DIRENT_NAME_OFFSET);
	memcpy(p + ZUFS_DIRENT_NAME_OFFSET, name, namelen);
	memset(p + ZUFS_DIRENT_NAME_OFFSET + namelen, 0,
	       rec - ZUFS_DIRENT_NAME_OFFSET - namelen);
	return rec;
}

static int op_readdir(struct zus_req *r)
{
	const struct zufs_readdir_in *in = &r->in.readdir;
	struct zus_dir_ctx ctx;
	bool eof;
	void *buf;
	int ret;

	if (in->pad || !in->size || in->cookie >= (1ULL << 63) ||
	    get_buf(r, in->size, ZUS_BUF_WRITE, &buf))
		return -EINVAL;
	memset(&ctx, 0, sizeof(ctx));
	ctx.buf = buf;
	ctx.cap = in->size;
	ctx.encode = dirent_encode;
	ctx.evil = r->si->evil.flags;
	ctx_fh(r, in->fh);
	ret = r->ops->readdir(&r->ctx, r->h.ino, in->cookie, &ctx);
	ret = zus_readdir_result(&ctx, ret, &eof);
	if (ret)
		return ret;
	r->out.readdir.len = (uint32_t)ctx.used;
	r->out.readdir.flags = eof ? ZUFS_READDIR_EOF : 0;
	return 0;
}

/* ---- per-open state (ZUFS_CAP_OPEN; 1.2: directories, flush, create) ----- */

typedef int (*zus_open_fn)(const struct zus_ctx *ctx, zus_ino_t ino,
			   unsigned int flags, struct zus_open_out *out);

/*
 * OPEN, OPENDIR: the plugin's handle goes back to the kernel. ZUS_OPEN_*
 * are hints for page-cache transports: zuf caches file data only for mmap
 * and keeps no per-open cache policy.
 */
static int open_common(struct zus_req *r, zus_open_fn fn)
{
	const struct zufs_open_in *in = &r->in.open;
	struct zus_open_out o;
	int ret;

	if (in->pad || (in->flags & ~(uint32_t)ZUS_OPEN_FLAGS_IN))
		return -EINVAL;
	memset(&o, 0, sizeof(o));
	ret = fn(&r->ctx, r->h.ino, open_flags(in->flags), &o);
	if (ret)
		return ret > 0 || !zus_errno_ok(ret) ? bad_errno(r, ret) : ret;
	r->out.open.fh = o.fh;
	return 0;
}

/* OPENDIR: as OPEN (below), for a directory. */
static int op_opendir(struct zus_req *r)
{
	return open_common(r, r->ops->opendir);
}

static int op_releasedir(struct zus_req *r)
{
	const struct zufs_release_in *in = &r->in.release;

	if (in->pad || in->flags)
		return -EINVAL;
	ctx_fh(r, in->fh);
	r->ops->releasedir(&r->ctx, r->h.ino, 0);
	return 0;
}

static int op_flush(struct zus_req *r)
{
	const struct zufs_flush_in *in = &r->in.flush;
	int ret;

	if (in->pad || in->flags)
		return -EINVAL;
	ctx_fh(r, in->fh);
	ret = r->ops->flush(&r->ctx, r->h.ino);
	return ret > 0 || !zus_errno_ok(ret) ? bad_errno(r, ret) : ret;
}

static int op_fsyncdir(struct zus_req *r)
{
	const struct zufs_fsync_in *in = &r->in.fsync;
	int ret;

	if (in->pad || in->datasync > 1)
		return -EINVAL;
	ctx_fh(r, in->fh);
	ret = r->ops->fsyncdir(&r->ctx, r->h.ino, (int)in->datasync);
	return ret > 0 || !zus_errno_ok(ret) ? bad_errno(r, ret) : ret;
}

/*
 * CREATE: create and open in one request. If the plugin's reply cannot be
 * used, the open it made is released and the lookup given back (the file
 * stays: as after a MKNOD whose OPEN failed).
 */
static int op_create(struct zus_req *r)
{
	const struct zufs_create_open_in *in = &r->in.create_open;
	struct zufs_create_open_out *out = &r->out.create_open;
	struct zus_new_inode ni;
	struct zus_open_out o;
	struct zus_attr a;
	int ret;

	if (new_inode_in(r, &in->ni, &ni) || (ni.mode & S_IFMT) != S_IFREG ||
	    (in->flags & ~(uint32_t)ZUS_OPEN_FLAGS_IN) ||
	    init_xattrs_in(r, &ni))
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	memset(&o, 0, sizeof(o));
	ret = r->ops->create(&r->ctx, r->h.ino, r->name[0], r->namelen[0],
			     &ni, open_flags(in->flags), &a, &o);
	if (ret)
		return zus_errno_ok(ret) && ret < 0 ? ret : bad_errno(r, ret);
	ret = put_attr(r, &a, 0, S_IFREG, &out->attr);
	if (!ret && a.ino == r->h.ino) {
		plugin_err(r, "an entry names its own directory");
		ret = -EIO;
	}
	if (ret) {
		if (ZUS_HAS_OP(r->ops, release)) {
			struct zus_ctx c = r->ctx;

			c.fh = o.fh;
			c.flags |= ZUS_CTX_FH;
			r->ops->release(&c, a.ino, open_flags(in->flags));
		}
		if (a.ino && ZUS_HAS_OP(r->ops, forget))
			r->ops->forget(&r->ctx, a.ino, 1);
		return ret;
	}
	out->fh = o.fh;
	return 0;
}

/* ---- file data ------------------------------------------------------------ */

static int op_open(struct zus_req *r)
{
	return open_common(r, r->ops->open);
}

static int op_release(struct zus_req *r)
{
	const struct zufs_release_in *in = &r->in.release;

	if (in->pad || (in->flags & ~(uint32_t)ZUS_OPEN_FLAGS_IN))
		return -EINVAL;
	ctx_fh(r, in->fh);
	r->ops->release(&r->ctx, r->h.ino, open_flags(in->flags));
	return 0;
}

static int io_in_check(const struct zufs_io_in *in, bool write)
{
	uint32_t ok = ZUFS_IO_DIRECT | ZUFS_IO_PAGECACHE |
		      (write ? ZUFS_IO_SYNC | ZUFS_WRITE_APPEND : 0);

	if (in->pad || (in->flags & ~ok) || in->offset > ZUS_MAX_FILE_SIZE ||
	    in->len > ZUS_MAX_FILE_SIZE - in->offset ||
	    in->len > (uint64_t)SSIZE_MAX)
		return -EINVAL;
	return 0;
}

static int op_read(struct zus_req *r)
{
	const struct zufs_io_in *in = &r->in.io;
	ssize_t ret;
	void *buf;

	if (io_in_check(in, false) ||
	    get_buf(r, in->len, ZUS_BUF_WRITE, &buf))
		return -EINVAL;
	ctx_fh(r, in->fh);
	ret = in->len ? r->ops->read(&r->ctx, r->h.ino, buf, in->len, in->offset)
		      : 0;
	if (ret < 0)
		return zus_errno_ok(ret) ? (int)ret : bad_errno(r, ret);
	if ((uint64_t)ret > in->len) {
		plugin_err(r, "read %zd bytes of %llu", ret,
			   (unsigned long long)in->len);
		return -EIO;
	}
	r->out.read.count = (uint64_t)ret;
	return 0;
}

static int op_write(struct zus_req *r)
{
	const struct zufs_io_in *in = &r->in.io;
	struct zufs_write_out *out = &r->out.write;
	unsigned int flags = 0;
	ssize_t ret;
	void *buf;
	int err;

	if (io_in_check(in, true) || get_buf(r, in->len, ZUS_BUF_READ, &buf))
		return -EINVAL;
	ctx_fh(r, in->fh);
	if (in->flags & ZUFS_WRITE_APPEND)
		flags |= ZUS_WRITE_APPEND;
	ret = in->len ? r->ops->write(&r->ctx, r->h.ino, buf, in->len,
				      in->offset, flags) : 0;
	if (ret < 0)
		return zus_errno_ok(ret) ? (int)ret : bad_errno(r, ret);
	if ((uint64_t)ret > in->len) {
		plugin_err(r, "wrote %zd bytes of %llu", ret,
			   (unsigned long long)in->len);
		return -EIO;
	}
	err = getattr_after(r, r->h.ino, &out->attr);
	if (err)
		return err;
	out->count = (uint64_t)ret;
	out->offset = in->offset;
	if (flags & ZUS_WRITE_APPEND) {
		/* The kernel serialises appends to a file (inode lock): the
		 * data went to the end, and the end is now size. */
		if (out->attr.size < out->count) {
			plugin_err(r, "append of %llu bytes left size %llu",
				   (unsigned long long)out->count,
				   (unsigned long long)out->attr.size);
			return -EIO;
		}
		out->offset = out->attr.size - out->count;
	}
	return 0;
}

static int op_fsync(struct zus_req *r)
{
	const struct zufs_fsync_in *in = &r->in.fsync;
	int ret;

	if (in->pad || in->datasync > 1)
		return -EINVAL;
	ctx_fh(r, in->fh);
	ret = r->ops->fsync(&r->ctx, r->h.ino, in->datasync);
	return ret > 0 || !zus_errno_ok(ret) ? bad_errno(r, ret) : ret;
}

static int op_fallocate(struct zus_req *r)
{
	const struct zufs_fallocate_in *in = &r->in.fallocate;
	uint32_t ok = ZUFS_FALLOC_KEEP_SIZE | ZUFS_FALLOC_PUNCH_HOLE |
		      ZUFS_FALLOC_ZERO_RANGE;
	int ret;

	if (in->pad || (in->mode & ~ok) || !in->len ||
	    ((in->mode & ZUFS_FALLOC_PUNCH_HOLE) &&
	     (in->mode != (ZUFS_FALLOC_PUNCH_HOLE | ZUFS_FALLOC_KEEP_SIZE))))
		return -EINVAL;
	if (in->offset > ZUS_MAX_FILE_SIZE ||
	    in->len > ZUS_MAX_FILE_SIZE - in->offset)
		return -EFBIG;
	/* ZUFS_FALLOC_* and ZUS_FALLOC_* share their values (checked below). */
	ctx_fh(r, in->fh);
	ret = r->ops->fallocate(&r->ctx, r->h.ino, in->mode, in->offset, in->len);
	if (ret)
		return ret > 0 || !zus_errno_ok(ret) ? bad_errno(r, ret) : ret;
	return getattr_after(r, r->h.ino, &r->out.entry.attr);
}

static int op_lseek(struct zus_req *r)
{
	const struct zufs_lseek_in *in = &r->in.lseek;
	int64_t ret;

	if (in->pad || in->offset > ZUS_MAX_FILE_SIZE ||
	    (in->whence != ZUFS_SEEK_DATA && in->whence != ZUFS_SEEK_HOLE))
		return -EINVAL;
	ctx_fh(r, in->fh);
	ret = r->ops->lseek(&r->ctx, r->h.ino, in->offset, (int)in->whence);
	if (ret < 0)
		return zus_errno_ok(ret) ? (int)ret : bad_errno(r, ret);
	if ((uint64_t)ret < in->offset) {
		plugin_err(r, "lseek from %llu returned %lld",
			   (unsigned long long)in->offset, (long long)ret);
		return -EIO;
	}
	r->out.lseek.offset = (uint64_t)ret;
	return 0;
}

static int op_copy_range(struct zus_req *r)
{
	const struct zufs_copy_range_in *in = &r->in.copy_range;
	struct zufs_copy_range_out *out = &r->out.copy_range;
	ssize_t ret;
	int err;

	if (in->pad || in->flags || !in->ino_out ||
	    in->off_in > ZUS_MAX_FILE_SIZE || in->off_out > ZUS_MAX_FILE_SIZE ||
	    in->len > (uint64_t)SSIZE_MAX)
		return -EINVAL;
	ctx_fh(r, in->fh_out);
	ret = r->ops->copy_range(&r->ctx, r->h.ino, in->fh_in, in->off_in,
				 in->ino_out, in->off_out, in->len);
	if (ret < 0)
		return zus_errno_ok(ret) ? (int)ret : bad_errno(r, ret);
	if ((uint64_t)ret > in->len) {
		plugin_err(r, "copied %zd bytes of %llu", ret,
			   (unsigned long long)in->len);
		return -EIO;
	}
	err = getattr_after(r, in->ino_out, &out->attr);
	if (err)
		return err;
	out->count = (uint64_t)ret;
	return 0;
}

/* ---- extended attributes -------------------------------------------------- */

static int xattr_in_check(struct zus_req *r, bool has_name)
{
	const struct zufs_xattr_in *in = &r->in.xattr;

	if (in->pad || in->size > ZUFS_XATTR_SIZE_MAX ||
	    (!has_name && in->namelen))
		return -EINVAL;
	if (r->h.opcode != ZUFS_OP_SETXATTR && in->flags)
		return -EINVAL;
	return 0;
}

static int op_getxattr(struct zus_req *r)
{
	const struct zufs_xattr_in *in = &r->in.xattr;
	ssize_t ret;
	void *buf;

	if (xattr_in_check(r, true) ||
	    get_buf(r, in->size, ZUS_BUF_WRITE, &buf))
		return -EINVAL;
	ret = r->ops->getxattr(&r->ctx, r->h.ino, r->name[0], buf, in->size);
	if (ret < 0)
		return zus_errno_ok(ret) ? (int)ret : bad_errno(r, ret);
	if (ret > ZUFS_XATTR_SIZE_MAX || (in->size && (size_t)ret > in->size)) {
		plugin_err(r, "xattr length %zd (buffer %u)", ret, in->size);
		return -EIO;
	}
	r->out.xattr.size = (uint32_t)ret;
	return 0;
}

static int op_setxattr(struct zus_req *r)
{
	const struct zufs_xattr_in *in = &r->in.xattr;
	void *buf;
	int ret;

	if (xattr_in_check(r, true) ||
	    (in->flags & ~(ZUFS_XATTR_CREATE | ZUFS_XATTR_REPLACE)) ||
	    get_buf(r, in->size, ZUS_BUF_READ, &buf))
		return -EINVAL;
	ret = r->ops->setxattr(&r->ctx, r->h.ino, r->name[0], buf ? buf : "",
			       in->size, in->flags);
	return ret > 0 || !zus_errno_ok(ret) ? bad_errno(r, ret) : ret;
}

static int op_listxattr(struct zus_req *r)
{
	const struct zufs_xattr_in *in = &r->in.xattr;
	ssize_t ret;
	char *buf;

	if (xattr_in_check(r, false) ||
	    get_buf(r, in->size, ZUS_BUF_WRITE, (void **)&buf))
		return -EINVAL;
	ret = r->ops->listxattr(&r->ctx, r->h.ino, buf, in->size);
	if (ret < 0)
		return zus_errno_ok(ret) ? (int)ret : bad_errno(r, ret);
	if (ret > ZUFS_XATTR_SIZE_MAX || (in->size && (size_t)ret > in->size) ||
	    (in->size && ret && buf[ret - 1] != '\0')) {
		plugin_err(r, "xattr list of %zd bytes (buffer %u), or not NUL terminated",
			   ret, in->size);
		return -EIO;
	}
	r->out.xattr.size = (uint32_t)ret;
	return 0;
}

static int op_removexattr(struct zus_req *r)
{
	int ret;

	if (xattr_in_check(r, true) || r->in.xattr.size || r->c->nr_bufs)
		return -EINVAL;
	ret = r->ops->removexattr(&r->ctx, r->h.ino, r->name[0]);
	return ret > 0 || !zus_errno_ok(ret) ? bad_errno(r, ret) : ret;
}

/* ---- the table ------------------------------------------------------------ */

#define OP(opc, nm, fn, in, out, field, ino, buf) \
	[ZUFS_OP_##opc] = { .name = nm, .in_size = (in), .out_size = (out), \
			    .op_off = (field), .need_ino = (ino), \
			    .has_buf = (buf), .handle = (fn) }
#define OPN(opc, nm, fn, in, out, field, ino, buf, kind, n, l0, l1) \
	[ZUFS_OP_##opc] = { .name = nm, .in_size = (in), .out_size = (out), \
			    .op_off = (field), .need_ino = (ino), \
			    .has_buf = (buf), .handle = (fn), \
			    .nr_names = (n), .name_kind = (kind), \
			    .namelen_off = { (l0), (l1) } }
/* a create-type op: optional initial xattrs in bufs[xb - 1] (1.2) */
#define OPNX(opc, nm, fn, in, out, field, kind, l0, xb) \
	[ZUFS_OP_##opc] = { .name = nm, .in_size = (in), .out_size = (out), \
			    .op_off = (field), .need_ino = true, \
			    .has_buf = true, .handle = (fn), \
			    .nr_names = (l0) ? 1 : 0, .name_kind = (kind), \
			    .namelen_off = { (l0), 0 }, .xattr_buf = (xb) }
#define OPS(f)		offsetof(struct zus_fs_ops, f)
#define IN(s)		sizeof(struct zufs_##s)
#define LEN(s, f)	offsetof(struct zufs_##s, f)

static const struct zus_opdef zus_opdefs[] = {
	[0] = { .name = "invalid" },
	OPN(INIT, "init", op_init, IN(init_in), IN(init_out), 0, false, false,
	    NAME_MOUNT, 2, LEN(init_in, source_len), LEN(init_in, options_len)),
	OP(DESTROY, "destroy", op_destroy, 0, 0, 0, false, false),
	OP(STATFS, "statfs", op_statfs, 0, IN(statfs_out), OPS(statfs), false,
	   false),
	OP(SYNC_FS, "sync_fs", op_sync_fs, IN(sync_fs_in), 0, OPS(sync_fs),
	   false, false),
	OPN(LOOKUP, "lookup", op_lookup, IN(name_in), IN(entry_out),
	    OPS(lookup), true, false, NAME_FILE, 1, LEN(name_in, namelen), 0),
	OP(FORGET, "forget", op_forget, IN(forget_in), 0, OPS(forget), true,
	   false),
	OP(GETATTR, "getattr", op_getattr, 0, IN(entry_out), OPS(getattr),
	   true, false),
	OP(SETATTR, "setattr", op_setattr, IN(setattr_in), IN(entry_out),
	   OPS(setattr), true, false),
	OPNX(MKNOD, "mknod", op_mknod_mkdir, IN(create_in), IN(entry_out),
	     OPS(mknod), NAME_FILE, LEN(create_in, namelen), 1),
	OPNX(MKDIR, "mkdir", op_mknod_mkdir, IN(create_in), IN(entry_out),
	     OPS(mkdir), NAME_FILE, LEN(create_in, namelen), 1),
	OPNX(SYMLINK, "symlink", op_symlink, IN(symlink_in), IN(entry_out),
	     OPS(symlink), NAME_FILE, LEN(symlink_in, namelen), 2),
	OP(READLINK, "readlink", op_readlink, IN(readlink_in),
	   IN(readlink_out), OPS(readlink), true, true),
	OPN(LINK, "link", op_link, IN(link_in), IN(entry_out), OPS(link), true,
	    false, NAME_FILE, 1, LEN(link_in, namelen), 0),
	OPN(UNLINK, "unlink", op_unlink_rmdir, IN(name_in), 0, OPS(unlink),
	    true, false, NAME_FILE, 1, LEN(name_in, namelen), 0),
	OPN(RMDIR, "rmdir", op_unlink_rmdir, IN(name_in), 0, OPS(rmdir), true,
	    false, NAME_FILE, 1, LEN(name_in, namelen), 0),
	OPN(RENAME, "rename", op_rename, IN(rename_in), 0, OPS(rename), true,
	    false, NAME_FILE, 2, LEN(rename_in, oldlen),
	    LEN(rename_in, newlen)),
	[ZUFS_OP_TMPFILE] = { .name = "tmpfile", .in_size = IN(tmpfile_in),
		.out_size = IN(entry_out), .op_off = OPS(tmpfile),
		.need_ino = true, .has_buf = true, .xattr_buf = 1,
		.handle = op_tmpfile },
	OP(READDIR, "readdir", op_readdir, IN(readdir_in), IN(readdir_out),
	   OPS(readdir), true, true),
	/* OPEN/RELEASE: sent only when ZUFS_CAP_OPEN was agreed, i.e. the
	 * plugin wants ZUS_CAP_OPEN (and so has open and release). */
	OP(OPEN, "open", op_open, IN(open_in), IN(open_out), OPS(open), true,
	   false),
	OP(RELEASE, "release", op_release, IN(release_in), 0, OPS(release),
	   true, false),
	OP(READ, "read", op_read, IN(io_in), IN(read_out), OPS(read), true,
	   true),
	OP(WRITE, "write", op_write, IN(io_in), IN(write_out), OPS(write), true,
	   true),
	OP(FSYNC, "fsync", op_fsync, IN(fsync_in), 0, OPS(fsync), true, false),
	OP(FALLOCATE, "fallocate", op_fallocate, IN(fallocate_in),
	   IN(entry_out), OPS(fallocate), true, false),
	OP(LSEEK, "lseek", op_lseek, IN(lseek_in), IN(lseek_out), OPS(lseek),
	   true, false),
	OP(COPY_RANGE, "copy_range", op_copy_range, IN(copy_range_in),
	   IN(copy_range_out), OPS(copy_range), true, false),
	OPN(GETXATTR, "getxattr", op_getxattr, IN(xattr_in), IN(xattr_out),
	    OPS(getxattr), true, true, NAME_XATTR, 1, LEN(xattr_in, namelen),
	    0),
	OPN(SETXATTR, "setxattr", op_setxattr, IN(xattr_in), 0, OPS(setxattr),
	    true, true, NAME_XATTR, 1, LEN(xattr_in, namelen), 0),
	OP(LISTXATTR, "listxattr", op_listxattr, IN(xattr_in), IN(xattr_out),
	   OPS(listxattr), true, true),
	OPN(REMOVEXATTR, "removexattr", op_removexattr, IN(xattr_in), 0,
	    OPS(removexattr), true, false, NAME_XATTR, 1,
	    LEN(xattr_in, namelen), 0),
	OP(OPENDIR, "opendir", op_opendir, IN(open_in), IN(open_out),
	   OPS(opendir), true, false),
	OP(RELEASEDIR, "releasedir", op_releasedir, IN(release_in), 0,
	   OPS(releasedir), true, false),
	OP(FLUSH, "flush", op_flush, IN(flush_in), 0, OPS(flush), true, false),
	OP(FSYNCDIR, "fsyncdir", op_fsyncdir, IN(fsync_in), 0, OPS(fsyncdir),
	   true, false),
	[ZUFS_OP_CREATE] = { .name = "create", .in_size = IN(create_open_in),
		.out_size = IN(create_open_out), .op_off = OPS(create),
		.need_ino = true, .has_buf = true, .xattr_buf = 1,
		.handle = op_create, .nr_names = 1, .name_kind = NAME_FILE,
		.namelen_off = { LEN(create_open_in, namelen), 0 } },
	[ZUFS_OP_BATCH_FORGET] = { .name = "batch_forget",
		.in_size = IN(batch_forget_in), .handle = op_batch_forget,
		.op_off = OPS(forget),
		.entry_size = sizeof(struct zufs_forget_one) },
};

/* Every opcode has its entry; the table and the protocol agree. */
BUILD_BUG_ON(ARRAY_SIZE(zus_opdefs) != ZUFS_OP_MAX);
BUILD_BUG_ON(sizeof(union zus_in) > 255);
/* an entry count is the in struct's first __u32 */
BUILD_BUG_ON(offsetof(struct zufs_batch_forget_in, count) != 0);
BUILD_BUG_ON(ZUS_NAME_MAX != ZUFS_NAME_MAX);
BUILD_BUG_ON(ZUS_SYMLINK_MAX != ZUFS_SYMLINK_MAX);
BUILD_BUG_ON(ZUS_XATTR_NAME_MAX != ZUFS_XATTR_NAME_MAX);
BUILD_BUG_ON(ZUS_XATTR_SIZE_MAX != ZUFS_XATTR_SIZE_MAX);
BUILD_BUG_ON(ZUS_FS_NAME_MAX + 1 != ZUFS_FS_NAME_MAX);
BUILD_BUG_ON(ZUS_DIR_COOKIE_FIRST != ZUFS_DIR_COOKIE_FIRST);
BUILD_BUG_ON(ZUS_SET_MODE != ZUFS_SET_MODE || ZUS_SET_UID != ZUFS_SET_UID ||
	     ZUS_SET_GID != ZUFS_SET_GID || ZUS_SET_SIZE != ZUFS_SET_SIZE ||
	     ZUS_SET_ATIME != ZUFS_SET_ATIME ||
	     ZUS_SET_MTIME != ZUFS_SET_MTIME ||
	     ZUS_SET_CTIME != ZUFS_SET_CTIME);
BUILD_BUG_ON(ZUS_RENAME_NOREPLACE != ZUFS_RENAME_NOREPLACE ||
	     ZUS_RENAME_EXCHANGE != ZUFS_RENAME_EXCHANGE);
BUILD_BUG_ON(ZUS_FALLOC_KEEP_SIZE != ZUFS_FALLOC_KEEP_SIZE ||
	     ZUS_FALLOC_PUNCH_HOLE != ZUFS_FALLOC_PUNCH_HOLE ||
	     ZUS_FALLOC_ZERO_RANGE != ZUFS_FALLOC_ZERO_RANGE);
BUILD_BUG_ON(ZUS_SEEK_DATA != ZUFS_SEEK_DATA ||
	     ZUS_SEEK_HOLE != ZUFS_SEEK_HOLE);
BUILD_BUG_ON(ZUS_XATTR_CREATE != ZUFS_XATTR_CREATE ||
	     ZUS_XATTR_REPLACE != ZUFS_XATTR_REPLACE);
/* INIT is the largest request: it must fit the inline area we ask for. */
BUILD_BUG_ON(sizeof(struct zufs_in_header) + sizeof(struct zufs_init_in) +
	     2 * (ZUFS_MOUNT_STR_MAX + 1) > ZUFS_MIN_INLINE);

int zus_op_by_name(const char *name)
{
	for (unsigned int i = 1; i < ARRAY_SIZE(zus_opdefs); i++)
		if (zus_opdefs[i].name && !strcasecmp(name, zus_opdefs[i].name))
			return (int)i;
	return ZUS_EVIL_OP_NONE;
}

const char *zus_op_name(unsigned int opcode)
{
	return opcode < ARRAY_SIZE(zus_opdefs) && zus_opdefs[opcode].name ?
	       zus_opdefs[opcode].name : "?";
}

size_t zus_proto_max_inline(void)
{
	return ZUFS_MIN_INLINE;
}

/* ---- decoding ------------------------------------------------------------- */

static bool name_ok(int kind, const char *s, size_t len)
{
	switch (kind) {
	case NAME_FILE:
		if (!len || len > ZUFS_NAME_MAX || memchr(s, '/', len) ||
		    (s[0] == '.' && (len == 1 || (len == 2 && s[1] == '.'))))
			return false;
		break;
	case NAME_XATTR:
		if (!len || len > ZUFS_XATTR_NAME_MAX)
			return false;
		break;
	case NAME_MOUNT:
		if (len > ZUFS_MOUNT_STR_MAX)
			return false;
		break;
	default:
		return false;
	}
	return !memchr(s, '\0', len) && s[len] == '\0';
}

/* Header, lengths, names and buffers: everything that is not op-specific. */
static int decode(struct zus_req *r)
{
	const struct zus_call *c = r->c;
	const struct zus_opdef *def;
	const char *p;
	size_t want;

	if (c->req_len < sizeof(r->h)) {
		zus_warn("protocol: request of %zu bytes, shorter than a header",
			 c->req_len);
		return -EINVAL;
	}
	memcpy(&r->h, c->req, sizeof(r->h));
	if (!r->h.opcode) {
		zus_warn("protocol: opcode 0");
		return -EINVAL;
	}
	if (r->h.opcode >= ARRAY_SIZE(zus_opdefs)) {
		zus_warn("protocol: unknown opcode %u", r->h.opcode);
		return -ENOSYS;	/* a newer kernel's op: "not implemented" */
	}
	def = r->def = &zus_opdefs[r->h.opcode];
	if (r->h.len != c->req_len || r->h.flags ||
	    !is_zero(r->h.reserved, sizeof(r->h.reserved))) {
		proto_err(r, "header length %u (request %zu), flags 0x%x or reserved fields",
			  r->h.len, c->req_len, r->h.flags);
		return -EINVAL;
	}
	want = sizeof(r->h) + def->in_size;
	if (c->req_len < want) {
		proto_err(r, "request of %zu bytes, want at least %zu",
			  c->req_len, want);
		return -EINVAL;
	}
	memcpy(&r->in, (const char *)c->req + sizeof(r->h), def->in_size);
	p = (const char *)c->req + want;
	for (unsigned int i = 0; i < def->nr_names; i++) {
		uint32_t len;

		memcpy(&len, (const char *)&r->in + def->namelen_off[i],
		       sizeof(len));
		if (len > c->req_len - want ||
		    c->req_len - want - len < 1 ||
		    !name_ok(def->name_kind, p, len)) {
			proto_err(r, "bad name %u (%u bytes)", i, len);
			return -EINVAL;
		}
		r->name[i] = p;
		r->namelen[i] = len;
		p += len + 1;
		want += len + 1;
	}
	if (def->entry_size) {
		uint32_t count;

		memcpy(&count, &r->in, sizeof(count));
		if (count > (c->req_len - want) / def->entry_size) {
			proto_err(r, "%u entries in %zu bytes", count,
				  c->req_len - want);
			return -EINVAL;
		}
		r->entries = p;
		want += (size_t)count * def->entry_size;
	}
	if (c->req_len != want) {
		proto_err(r, "request of %zu bytes, want %zu", c->req_len, want);
		return -EINVAL;
	}
	if ((!def->has_buf && c->nr_bufs) ||
	    c->nr_bufs > (def->xattr_buf == 2 ? 2u : 1u)) {
		proto_err(r, "%u buffers", c->nr_bufs);
		return -EINVAL;
	}
	if (def->need_ino && !r->h.ino) {
		proto_err(r, "inode 0");
		return -EINVAL;
	}
	if (c->reply_cap < def->out_size) {
		proto_err(r, "reply area of %zu bytes, want %u", c->reply_cap,
			  def->out_size);
		return -EINVAL;
	}
	if (!def->handle)
		return -ENOSYS;
	return 0;
}

#if ZUS_WITH_EVIL
/* ---- evil mode (zusd-test --evil): break a correct reply on purpose ------- */

static struct zufs_attr *evil_attr(struct zus_req *r)
{
	switch (r->h.opcode) {
	case ZUFS_OP_LOOKUP: case ZUFS_OP_GETATTR: case ZUFS_OP_SETATTR:
	case ZUFS_OP_MKNOD: case ZUFS_OP_MKDIR: case ZUFS_OP_SYMLINK:
	case ZUFS_OP_LINK: case ZUFS_OP_TMPFILE: case ZUFS_OP_FALLOCATE:
		return &r->out.entry.attr;
	case ZUFS_OP_WRITE:
		return &r->out.write.attr;
	case ZUFS_OP_COPY_RANGE:
		return &r->out.copy_range.attr;
	}
	return NULL;
}

static void evil_apply(struct zus_req *r)
{
	uint32_t ev = r->si->evil.flags;
	struct zufs_attr *a = evil_attr(r);
	uint32_t op = r->h.opcode;

	if ((ev & ZUS_EVIL_INO0) && a && op != ZUFS_OP_GETATTR &&
	    op != ZUFS_OP_SETATTR && op != ZUFS_OP_FALLOCATE &&
	    op != ZUFS_OP_WRITE && op != ZUFS_OP_COPY_RANGE)
		a->ino = 0;
	if ((ev & ZUS_EVIL_BAD_MODE) && a)
		a->mode |= S_IFMT;
	if ((ev & ZUS_EVIL_TYPE_FLIP) && op == ZUFS_OP_GETATTR)
		a->mode = (a->mode & 07777) |
			  (S_ISDIR(a->mode) ? S_IFREG : S_IFDIR);
	if ((ev & ZUS_EVIL_BAD_DIRENT) && op == ZUFS_OP_READDIR &&
	    r->out.readdir.len >= ZUFS_DIRENT_NAME_OFFSET) {
		struct zufs_dirent d;
		char *p = r->c->bufs[0].addr;

		memcpy(&d, p, ZUFS_DIRENT_NAME_OFFSET);
		d.ino = 0;
		d.namelen = r->out.readdir.len;	/* past the end */
		memcpy(p, &d, ZUFS_DIRENT_NAME_OFFSET);
	}
	if (ev & ZUS_EVIL_BIG_LEN) {
		if (op == ZUFS_OP_READLINK)
			r->out.readlink.len = r->in.readlink.size + 1;
		else if (op == ZUFS_OP_GETXATTR || op == ZUFS_OP_LISTXATTR)
			r->out.xattr.size = r->in.xattr.size ?
				r->in.xattr.size + 1 : ZUFS_XATTR_SIZE_MAX + 1;
		else if (op == ZUFS_OP_READDIR)
			r->out.readdir.len = r->in.readdir.size + 8;
	}
	if (ev & ZUS_EVIL_BIG_READ) {
		if (op == ZUFS_OP_READ)
			r->out.read.count = r->in.io.len + 1;
		else if (op == ZUFS_OP_WRITE)
			r->out.write.count = r->in.io.len + 1;
	}
	if ((ev & ZUS_EVIL_SHORT_REPLY) && r->out_len)
		r->out_len = 1;
}
#endif /* ZUS_WITH_EVIL */

/* ---- the entry point ------------------------------------------------------ */

int32_t zus_dispatch(struct zus_server *srv, struct zus_call *c)
{
	struct zus_req r;
	int ret;

	memset(&r, 0, sizeof(r));
	r.srv = srv;
	r.c = c;
	c->reply_len = 0;
	ret = decode(&r);
	if (ret)
		goto out;

	if (r.h.opcode != ZUFS_OP_INIT) {
		pthread_rwlock_rdlock(&srv->sb_lock);
		r.locked = true;
		r.si = zus_server_sb_locked(srv, r.h.sb_id);
		if (!r.si || r.si->client_id != c->client_id) {
			zus_warn("protocol: %s: unknown superblock %llu for connection %llu",
				 r.def->name, (unsigned long long)r.h.sb_id,
				 (unsigned long long)c->client_id);
			r.si = NULL;
			ret = -EINVAL;
			goto out;
		}
		r.sb = &r.si->sb;
		r.ops = r.si->ops;
		zus_ctx_init(&r.ctx, r.si, r.h.uid, r.h.gid, r.h.pid);
		if (!r.h.pid)
			r.ctx.flags |= ZUS_CTX_KERNEL;
		if (r.def->op_off &&
		    (r.ops->size < r.def->op_off + sizeof(void *) ||
		     !*(void *const *)((const char *)r.ops + r.def->op_off))) {
			ret = -ENOSYS;
			goto out;
		}
#if ZUS_WITH_EVIL
		if (r.si->evil.active)
			zus_evil_trap(&r.si->evil, (int)r.h.opcode);
#endif
	}

	r.out_len = r.def->out_size;
	ret = r.def->handle(&r);
	if (ret > 0 || ret < -ZUS_MAX_ERRNO) {
		zus_err("%s: handler status %d: turned into -EIO", r.def->name,
			ret);
		ret = -EIO;
	}
	if (!ret) {
#if ZUS_WITH_EVIL
		if (r.si && r.si->evil.flags && r.h.opcode != ZUFS_OP_INIT)
			evil_apply(&r);
#endif
		memcpy(c->reply, &r.out, r.out_len);
		c->reply_len = r.out_len;
	}
out:
	if (r.locked)
		pthread_rwlock_unlock(&srv->sb_lock);
	zus_dbg("%s sb %llu ino %llu: %d", zus_op_name(r.h.opcode),
		(unsigned long long)r.h.sb_id, (unsigned long long)r.h.ino,
		ret);
	return ret;
}
