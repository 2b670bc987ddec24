// SPDX-License-Identifier: GPL-2.0
/*
 * zuf - protocol glue: the opcode table, building a request, sending it
 * through ucchan and validating the reply.
 *
 * Every request goes through zuf_call(): it checks that the op is known
 * and not remembered as unsupported, lays out header, in struct
 * and names in one inline request, calls the service and checks the
 * status and the reply's length before the caller looks at the reply.
 * Content checks that depend on the op (attributes, counts, records) are
 * done by the callers, with zuf_check_attr() and zuf_name_ok().
 *
 * Timeouts (docs/zuf.md "Timeouts"): a call waits timeout= seconds (0:
 * for ever, killable), except where nobody could kill the waiter or where
 * others wait for it uninterruptibly: kernel threads (writeback flushers,
 * kswapd, the FORGET work), reclaim, and page-cache I/O (args->bounded,
 * which holds a folio locked or under writeback) wait at most
 * kthread_timeout seconds.
 */
#include <linux/cred.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "zuf_i.h"

/**
 * struct zuf_opdef - what zuf knows about one opcode
 * @name:     for messages
 * @in_size:  bytes of the op's in struct (0: none)
 * @out_size: bytes of the op's reply on success (0: none)
 * @optional: a server may answer "not implemented"; remembered per
 *            superblock
 * @lossy:    a timed-out call cannot make the kernel's caches wrong (the
 *            inodes of a FORGET are gone from the kernel whether or not
 *            the server performs it; an op that only reads changes
 *            nothing, and its late writes into a buffer go to ucchan's
 *            private copies): the mount stays alive
 */
struct zuf_opdef {
	const char *name;
	u16 in_size;
	u16 out_size;
	bool optional;
	bool lossy;
};

#define ZUF_OP(op, in, out, opt) \
	[ZUFS_OP_##op] = { .name = #op, .in_size = (in), .out_size = (out), \
			   .optional = (opt) }
/* an op that only reads: a late completion changes nothing we cache */
#define ZUF_OP_RO(op, in, out, opt) \
	[ZUFS_OP_##op] = { .name = #op, .in_size = (in), .out_size = (out), \
			   .optional = (opt), .lossy = true }
#define ZUF_OP_LOSSY(op, in) \
	[ZUFS_OP_##op] = { .name = #op, .in_size = (in), .optional = true, \
			   .lossy = true }

static const struct zuf_opdef zuf_opdefs[] = {
	[0] = { .name = "INVALID" },
	ZUF_OP(INIT, sizeof(struct zufs_init_in),
	       sizeof(struct zufs_init_out), false),
	ZUF_OP(DESTROY, 0, 0, false),
	ZUF_OP_RO(STATFS, 0, sizeof(struct zufs_statfs_out), false),
	ZUF_OP(SYNC_FS, sizeof(struct zufs_sync_fs_in), 0, true),
	ZUF_OP(LOOKUP, sizeof(struct zufs_name_in),
	       sizeof(struct zufs_entry_out), false),
	ZUF_OP_LOSSY(FORGET, sizeof(struct zufs_forget_in)),
	ZUF_OP_RO(GETATTR, 0, sizeof(struct zufs_entry_out), false),
	ZUF_OP(SETATTR, sizeof(struct zufs_setattr_in),
	       sizeof(struct zufs_entry_out), false),
	ZUF_OP(MKNOD, sizeof(struct zufs_create_in),
	       sizeof(struct zufs_entry_out), false),
	ZUF_OP(MKDIR, sizeof(struct zufs_create_in),
	       sizeof(struct zufs_entry_out), false),
	ZUF_OP(SYMLINK, sizeof(struct zufs_symlink_in),
	       sizeof(struct zufs_entry_out), true),
	ZUF_OP_RO(READLINK, sizeof(struct zufs_readlink_in),
		  sizeof(struct zufs_readlink_out), true),
	ZUF_OP(LINK, sizeof(struct zufs_link_in),
	       sizeof(struct zufs_entry_out), true),
	ZUF_OP(UNLINK, sizeof(struct zufs_name_in), 0, false),
	ZUF_OP(RMDIR, sizeof(struct zufs_name_in), 0, false),
	ZUF_OP(RENAME, sizeof(struct zufs_rename_in), 0, true),
	ZUF_OP(TMPFILE, sizeof(struct zufs_tmpfile_in),
	       sizeof(struct zufs_entry_out), true),
	ZUF_OP_RO(READDIR, sizeof(struct zufs_readdir_in),
		  sizeof(struct zufs_readdir_out), false),
	ZUF_OP(OPEN, sizeof(struct zufs_open_in),
	       sizeof(struct zufs_open_out), true),
	ZUF_OP(RELEASE, sizeof(struct zufs_release_in), 0, true),
	ZUF_OP_RO(READ, sizeof(struct zufs_io_in),
		  sizeof(struct zufs_read_out), false),
	ZUF_OP(WRITE, sizeof(struct zufs_io_in),
	       sizeof(struct zufs_write_out), false),
	ZUF_OP(FSYNC, sizeof(struct zufs_fsync_in), 0, true),
	ZUF_OP(FALLOCATE, sizeof(struct zufs_fallocate_in),
	       sizeof(struct zufs_entry_out), true),
	ZUF_OP_RO(LSEEK, sizeof(struct zufs_lseek_in),
		  sizeof(struct zufs_lseek_out), true),
	ZUF_OP(COPY_RANGE, sizeof(struct zufs_copy_range_in),
	       sizeof(struct zufs_copy_range_out), true),
	ZUF_OP_RO(GETXATTR, sizeof(struct zufs_xattr_in),
		  sizeof(struct zufs_xattr_out), true),
	ZUF_OP(SETXATTR, sizeof(struct zufs_xattr_in), 0, true),
	ZUF_OP_RO(LISTXATTR, sizeof(struct zufs_xattr_in),
		  sizeof(struct zufs_xattr_out), true),
	ZUF_OP(REMOVEXATTR, sizeof(struct zufs_xattr_in), 0, true),
	ZUF_OP_LOSSY(BATCH_FORGET, sizeof(struct zufs_batch_forget_in)),
	ZUF_OP(OPENDIR, sizeof(struct zufs_open_in),
	       sizeof(struct zufs_open_out), true),
	ZUF_OP(RELEASEDIR, sizeof(struct zufs_release_in), 0, true),
	ZUF_OP(FLUSH, sizeof(struct zufs_flush_in), 0, true),
	ZUF_OP(FSYNCDIR, sizeof(struct zufs_fsync_in), 0, true),
	ZUF_OP(CREATE, sizeof(struct zufs_create_open_in),
	       sizeof(struct zufs_create_open_out), true),
};

static unsigned int kthread_timeout = ZUF_KTHREAD_TIMEOUT_SEC;
module_param(kthread_timeout, uint, 0644);
MODULE_PARM_DESC(kthread_timeout,
		 "seconds a kernel thread, reclaim or page-cache I/O waits for the server, even with timeout=0 (default 10; 0 = like timeout=)");

/* the first errno user space never sees (ERESTARTSYS) */
#define ZUF_KERNEL_ERRNO_FIRST	512

/* inline requests up to this size are built on the stack */
#define ZUF_STACK_REQ	256

/**
 * zuf_init_opdefs() - check the opcode table at module load
 *
 * Return: 0, or -EINVAL if an opcode has no entry.
 */
int zuf_init_opdefs(void)
{
	unsigned int i;

	BUILD_BUG_ON(ARRAY_SIZE(zuf_opdefs) != ZUFS_OP_MAX);
	/* the 1.2 structs: fixed sizes, no implicit padding */
	BUILD_BUG_ON(sizeof(struct zufs_flush_in) != 16);
	BUILD_BUG_ON(sizeof(struct zufs_create_open_in) != 32);
	BUILD_BUG_ON(sizeof(struct zufs_create_open_out) !=
		     sizeof(struct zufs_attr) + 16);
	BUILD_BUG_ON(sizeof(struct zufs_init_xattrs) != 16);
	BUILD_BUG_ON(ZUFS_INIT_XATTR_NAME_OFFSET != 8);
	for (i = 1; i < ZUFS_OP_MAX; i++)
		if (!zuf_opdefs[i].name)
			return -EINVAL;
	return 0;
}

const char *zuf_op_name(u32 opcode)
{
	return opcode < ZUFS_OP_MAX ? zuf_opdefs[opcode].name : "?";
}

/**
 * zuf_name_ok() - is this a name a server may hand to the kernel
 * @name: bytes (not NUL terminated)
 * @len:  their count
 *
 * Return: true for 1..ZUFS_NAME_MAX bytes without '/' or NUL that are
 * not "." or "..".
 */
bool zuf_name_ok(const char *name, size_t len)
{
	if (!len || len > ZUFS_NAME_MAX)
		return false;
	if (name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.')))
		return false;
	return !memchr(name, '/', len) && !memchr(name, '\0', len);
}

/**
 * zuf_check_attr() - validate attributes a server sent
 * @sbi:  the superblock
 * @attr: the attributes
 *
 * Return: 0, or -EIO (and a rate-limited message) if the server sent
 * something no inode can have.
 */
int zuf_check_attr(struct zuf_sb_info *sbi, const struct zufs_attr *attr)
{
	const char *why = NULL;

	if (!attr->ino)
		why = "inode number 0";
	else if (attr->mode & ~(S_IFMT | 07777))
		why = "mode bits";
	else if (!S_ISREG(attr->mode) && !S_ISDIR(attr->mode) &&
		 !S_ISLNK(attr->mode) && !S_ISCHR(attr->mode) &&
		 !S_ISBLK(attr->mode) && !S_ISFIFO(attr->mode) &&
		 !S_ISSOCK(attr->mode))
		why = "file type";
	else if (attr->atimensec >= NSEC_PER_SEC ||
		 attr->mtimensec >= NSEC_PER_SEC ||
		 attr->ctimensec >= NSEC_PER_SEC)
		why = "nanoseconds";
	else if (attr->size > MAX_LFS_FILESIZE)
		why = "size";
	else if (attr->rdev_major >= (1U << 12) ||
		 attr->rdev_minor >= (1U << 20))
		why = "device number";
	else if (attr->reserved[0] || attr->reserved[1])
		why = "reserved fields";
	if (!why)
		return 0;
	pr_warn_ratelimited("zufs: sb %llu: server sent bad attributes of inode %llu (%s)\n",
			    sbi->sb_id, attr->ino, why);
	return -EIO;
}

/*
 * Translate a ucchan error: the service is gone, or the call failed.
 * A timed-out call may still be performed by the server, later: for data
 * and namespace ops the kernel can then no longer trust what it caches
 * (a late WRITE could even overwrite newer data or undo a truncate), so
 * the mount is marked dead. A lossy op (FORGET, an op that only reads)
 * just fails.
 */
static int zuf_call_error(struct zuf_sb_info *sbi, int err, u32 opcode)
{
	if (err == -ETIMEDOUT && zuf_opdefs[opcode].lossy) {
		pr_warn_ratelimited("zufs: sb %llu: %s timed out: dropped\n",
				    sbi->sb_id, zuf_op_name(opcode));
		if (opcode == ZUFS_OP_FORGET || opcode == ZUFS_OP_BATCH_FORGET)
			return -ETIMEDOUT;
		return -EIO;	/* a read that failed; the mount lives on */
	}
	switch (err) {
	case -EINTR:	/* fatal signal: the caller is dying anyway */
		return -EINTR;
	case -ENOMEM:
	case -EFAULT:
		return err;
	case -ESHUTDOWN:
		if (!READ_ONCE(sbi->dead))
			pr_warn("zufs: sb %llu: service died: every operation now fails with -EIO\n",
				sbi->sb_id);
		WRITE_ONCE(sbi->dead, true);
		return -EIO;
	case -ETIMEDOUT:
		/* the op may still happen: our cache can no longer be trusted */
		pr_warn("zufs: sb %llu: %s timed out: mount is dead\n",
			sbi->sb_id, zuf_op_name(opcode));
		WRITE_ONCE(sbi->dead, true);
		return -EIO;
	default:
		pr_warn_ratelimited("zufs: sb %llu: %s: call failed (%d)\n",
				    sbi->sb_id, zuf_op_name(opcode), err);
		return -EIO;
	}
}

/*
 * How long this call may wait (0: for ever, killable). A kernel thread
 * cannot be killed and may be what frees memory (kswapd) or what others
 * wait for uninterruptibly (the flusher that sync(2) waits for); reclaim
 * holds up the allocation that entered it; page-cache I/O (@args->bounded)
 * holds a folio locked or under writeback that others wait for. These
 * wait at most kthread_timeout seconds, or timeout= if that is shorter.
 */
static u64 zuf_call_timeout(struct zuf_sb_info *sbi,
			    const struct zuf_args *args)
{
	u64 t = sbi->timeout_ns;
	u64 bound;

	if (args->teardown)
		return ZUF_TEARDOWN_TIMEOUT_NS;
	if (!args->bounded && !(current->flags & (PF_KTHREAD | PF_MEMALLOC)))
		return t;
	bound = (u64)READ_ONCE(kthread_timeout) * NSEC_PER_SEC;
	if (!bound || (t && t < bound))
		return t;
	return bound;
}

/*
 * ucchan's written() callback: how many bytes of a server-written buffer
 * the reply says were produced, so that a bounced buffer (a kernel buffer,
 * or user memory a long-term pin refused) is copied back only that far.
 * The reply is not validated yet: a wrong count is clamped by ucchan to
 * the buffer, and the caller rejects the reply afterwards.
 */
static size_t zuf_written(const struct ucchan_kcall *kc, unsigned int i)
{
	const struct zuf_args *args = kc->priv;
	const struct zuf_opdef *def = &zuf_opdefs[args->opcode];

	if (kc->status || kc->reply_len != def->out_size)
		return 0;
	switch (args->opcode) {
	case ZUFS_OP_READ:
		return ((const struct zufs_read_out *)kc->reply)->count;
	case ZUFS_OP_READDIR:
		return ((const struct zufs_readdir_out *)kc->reply)->len;
	case ZUFS_OP_READLINK:
		return ((const struct zufs_readlink_out *)kc->reply)->len;
	case ZUFS_OP_GETXATTR:
	case ZUFS_OP_LISTXATTR:
		return ((const struct zufs_xattr_out *)kc->reply)->size;
	default:
		return SIZE_MAX;
	}
}

/**
 * zuf_call_conn() - send one request on @conn and check the reply's shape
 * @sbi:   the superblock (not-implemented memory)
 * @conn:  the connection (sbi->conn inside conn_srcu, or a new one that
 *         zuf_reattach() has not published yet)
 * @sb_id: the server's superblock the request is for (0 for INIT)
 * @args: the request: opcode, inode, in struct, names, out struct, buffers
 *
 * The caller's fsuid/fsgid/tgid go in the header. On success the out
 * struct (exactly the op's size) has been copied to @args->out; its
 * contents are for the caller to validate.
 *
 * Return: 0; the server's -errno (within [-511, -1]); -EOPNOTSUPP for
 * an optional op the server does not implement (asked once per
 * superblock; zuf_no_op() tells it from the server's own -EOPNOTSUPP);
 * -EIO if the service is gone or the reply is malformed; -EINTR on a
 * fatal signal; -ENOMEM; -ETIMEDOUT for a lossy op (FORGET) that timed
 * out (any other op that times out is -EIO and the mount is dead).
 */
int zuf_call_conn(struct zuf_sb_info *sbi, struct ucchan_conn *conn,
		  u64 sb_id, struct zuf_args *args)
{
	const struct zuf_opdef *def;
	struct ucchan_kcall kc = {};
	u64 stack_req[ZUF_STACK_REQ / sizeof(u64)];
	struct zufs_in_header *h;
	size_t len;
	void *req;
	char *p;
	unsigned int i;
	int err;

	if (WARN_ON_ONCE(!args->opcode || args->opcode >= ZUFS_OP_MAX ||
			 args->nr_names > ZUF_MAX_NAMES))
		return -EINVAL;
	def = &zuf_opdefs[args->opcode];
	if (def->optional && test_bit(args->opcode, sbi->no_op))
		return -EOPNOTSUPP;

	len = sizeof(*h) + def->in_size + args->tail_len;
	for (i = 0; i < args->nr_names; i++)
		len += args->namelens[i] + 1;
	if (len > ucchan_conn_max_inline(conn))
		return -ENAMETOOLONG;
	if (len <= sizeof(stack_req)) {
		req = stack_req;
	} else {
		req = kmalloc(len, GFP_KERNEL);
		if (!req)
			return -ENOMEM;
	}

	h = req;
	*h = (struct zufs_in_header) {
		.opcode = args->opcode,
		.len = len,
		.sb_id = sb_id,
		.ino = args->ino,
		.uid = from_kuid_munged(&init_user_ns, current_fsuid()),
		.gid = from_kgid_munged(&init_user_ns, current_fsgid()),
		.pid = (current->flags & PF_KTHREAD) ? 0 :
			task_tgid_nr(current),
	};
	p = (char *)(h + 1);
	if (def->in_size)
		memcpy(p, args->in, def->in_size);
	p += def->in_size;
	if (args->tail_len)
		memcpy(p, args->tail, args->tail_len);
	p += args->tail_len;
	for (i = 0; i < args->nr_names; i++) {
		memcpy(p, args->names[i], args->namelens[i]);
		p += args->namelens[i];
		*p++ = '\0';
	}

	kc.req = req;
	kc.req_len = len;
	kc.reply = args->out;
	kc.reply_cap = def->out_size;
	kc.bufs = args->bufs;
	kc.nr_bufs = args->nr_bufs;
	kc.written = zuf_written;
	kc.priv = args;
	kc.timeout_ns = zuf_call_timeout(sbi, args);
	/*
	 * Teardown (DESTROY, RELEASE, evict) reaches the server even from
	 * a killed task, in which the last unmount or close may run: its
	 * wait is bounded (ZUF_TEARDOWN_TIMEOUT_NS), not killable.
	 */
	if (args->teardown)
		kc.flags = UCCHAN_KCALL_NOINTR;
	err = ucchan_call(conn, &kc);
	if (req != stack_req)
		kfree(req);
	if (err)
		return zuf_call_error(sbi, err, args->opcode);

	/*
	 * Only the errnos user space knows: 512 and above are the kernel's
	 * own (-ERESTARTSYS, -EIOCBQUEUED, ...) and would change what the
	 * VFS does with the result.
	 */
	if (kc.status > 0 || kc.status <= -ZUF_KERNEL_ERRNO_FIRST) {
		pr_warn_ratelimited("zufs: sb %llu: %s: bad status %d\n",
				    sbi->sb_id, def->name, kc.status);
		return -EIO;
	}
	if (kc.status == ZUF_STATUS_NOT_IMPLEMENTED && def->optional) {
		set_bit(args->opcode, sbi->no_op);
		return -EOPNOTSUPP;
	}
	if (kc.status)
		return kc.status;
	if (kc.reply_len != def->out_size) {
		pr_warn_ratelimited("zufs: sb %llu: %s: reply of %u bytes, want %u\n",
				    sbi->sb_id, def->name, kc.reply_len,
				    def->out_size);
		return -EIO;
	}
	return 0;
}

/**
 * zuf_call() - send one request to the mount's server
 * @sbi:  the superblock
 * @args: the request, as for zuf_call_conn()
 *
 * The connection is used inside conn_srcu, so that a re-attach can replace
 * it (it publishes the new one, waits for the callers of the old one, and
 * only then clears @sbi->dead with release semantics).
 *
 * Return: as zuf_call_conn(); -EIO at once while the mount is dead.
 */
int zuf_call(struct zuf_sb_info *sbi, struct zuf_args *args)
{
	struct ucchan_conn *conn;
	int idx, err;

	/* pairs with the release in zuf_reattach(): then conn, sb_id are new */
	if (smp_load_acquire(&sbi->dead))
		return -EIO;
	idx = srcu_read_lock(&sbi->conn_srcu);
	conn = srcu_dereference(sbi->conn, &sbi->conn_srcu);
	err = zuf_call_conn(sbi, conn, sbi->sb_id, args);
	srcu_read_unlock(&sbi->conn_srcu, idx);
	return err;
}
