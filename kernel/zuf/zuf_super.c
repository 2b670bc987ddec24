// SPDX-License-Identifier: GPL-2.0
/*
 * zuf - the superblock: mount options (fs_context, show_options,
 * remount), connecting to the service and the INIT exchange, re-attach
 * after a server restart, statfs, sync_fs, FORGET batching and unmount
 * (DESTROY).
 *
 * Mount: mount -t zufs -o service=NAME,fs=PLUGIN[,timeout=SEC][,untrusted]
 * [,opt...] SOURCE DIR. service= (default "zufs") names the ucchan service
 * zusd serves; fs= the plugin. Every other option is handed to the server
 * in INIT, whose file system refuses what it does not know (-EINVAL).
 *
 * Trust: anyone may create a ucchan service of any free name, so the
 * mount checks who created the one it found (ucchan_conn_server()): a
 * creator with CAP_SYS_ADMIN in the initial user namespace, or the
 * mounter itself, is trusted. Any other server is refused, unless the
 * mounter says "untrusted": then nothing the server says can grant a
 * privilege (see zuf_sb_info.untrusted). docs/zuf.md, "Trust".
 */
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/math64.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/statfs.h>
#include <linux/string.h>

#include "zuf_i.h"

#define ZUF_DEFAULT_SERVICE	"zufs"

struct zuf_fs_context {
	char *service;
	char *fs_name;
	char *options;		/* for the server: "a,b=c" */
	size_t options_len;
	u64 timeout_ns;
	bool timeout_set;	/* timeout= was given */
	bool untrusted;		/* the mounter accepts an untrusted server */
	bool reattach;		/* remount: re-attach to a restarted server */
};

enum {
	ZUF_OPT_SERVICE, ZUF_OPT_FS, ZUF_OPT_TIMEOUT, ZUF_OPT_UNTRUSTED,
	ZUF_OPT_REATTACH,
};

static const struct fs_parameter_spec zuf_param_specs[] = {
	fsparam_string("service", ZUF_OPT_SERVICE),
	fsparam_string("fs", ZUF_OPT_FS),
	fsparam_u32("timeout", ZUF_OPT_TIMEOUT),
	fsparam_flag("untrusted", ZUF_OPT_UNTRUSTED),
	fsparam_flag("reattach", ZUF_OPT_REATTACH),
	{}
};

/* Append an option the server's file system will judge. */
static int zuf_add_server_option(struct fs_context *fc,
				 struct fs_parameter *param)
{
	struct zuf_fs_context *ctx = fc->fs_private;
	size_t klen = strlen(param->key), vlen = 0, len;
	char *p;

	if (param->type == fs_value_is_string)
		vlen = param->size;
	else if (param->type != fs_value_is_flag)
		return invalfc(fc, "%s: only string options", param->key);
	if (strchr(param->key, ',') || strchr(param->key, '=') ||
	    (vlen && memchr(param->string, ',', vlen)))
		return invalfc(fc, "%s: ',' not allowed", param->key);
	len = ctx->options_len + !!ctx->options_len + klen + (vlen ? vlen + 1 : 0);
	if (len > ZUFS_MOUNT_STR_MAX)
		return invalfc(fc, "options longer than %d bytes",
			       ZUFS_MOUNT_STR_MAX);
	p = krealloc(ctx->options, len + 1, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	ctx->options = p;
	p += ctx->options_len;
	if (ctx->options_len)
		*p++ = ',';
	memcpy(p, param->key, klen);
	p += klen;
	if (vlen) {
		*p++ = '=';
		memcpy(p, param->string, vlen);
		p += vlen;
	}
	*p = '\0';
	ctx->options_len = len;
	return 0;
}

static int zuf_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct zuf_fs_context *ctx = fc->fs_private;
	struct fs_parse_result result;
	int opt;

	opt = fs_parse(fc, zuf_param_specs, param, &result);
	if (opt == -ENOPARAM) {
		if (!strcmp(param->key, "source"))
			return -ENOPARAM;	/* the VFS takes it */
		return zuf_add_server_option(fc, param);
	}
	if (opt < 0)
		return opt;

	switch (opt) {
	case ZUF_OPT_SERVICE:
		if (!param->size || param->size >= UCCHAN_NAME_MAX)
			return invalfc(fc, "service: 1..%d bytes",
				       UCCHAN_NAME_MAX - 1);
		kfree(ctx->service);
		ctx->service = param->string;
		param->string = NULL;
		break;
	case ZUF_OPT_FS:
		if (!param->size || param->size >= ZUFS_FS_NAME_MAX)
			return invalfc(fc, "fs: 1..%d bytes",
				       ZUFS_FS_NAME_MAX - 1);
		kfree(ctx->fs_name);
		ctx->fs_name = param->string;
		param->string = NULL;
		break;
	case ZUF_OPT_TIMEOUT:
		ctx->timeout_ns = (u64)result.uint_32 * NSEC_PER_SEC;
		ctx->timeout_set = true;
		break;
	case ZUF_OPT_UNTRUSTED:
		ctx->untrusted = true;
		break;
	case ZUF_OPT_REATTACH:
		if (fc->purpose != FS_CONTEXT_FOR_RECONFIGURE)
			return invalfc(fc, "reattach: only with remount");
		ctx->reattach = true;
		break;
	}
	return 0;
}

/*
 * FORGETs. evict_inode may run in reclaim (kswapd, direct reclaim) and
 * must never wait for the server: it queues the inode's lookup count and
 * the work item sends it later, from zuf_forget_wq. The work waits
 * ZUF_FORGET_DELAY for more evictions, so that one BATCH_FORGET carries
 * many inodes (all that fit in the connection's inline size); a full
 * batch is sent at once. A server that does not implement BATCH_FORGET
 * gets single FORGETs. Nothing in evict or reclaim waits for the work
 * (only unmount does), so the queue needs no rescuer (no WQ_MEM_RECLAIM);
 * it is unbound so that a slow server ties up no CPU's worker pool.
 */
static struct workqueue_struct *zuf_forget_wq;

/* entries of one BATCH_FORGET on this connection */
static unsigned int zuf_forget_batch_max(struct zuf_sb_info *sbi)
{
	u32 room = READ_ONCE(sbi->max_inline);
	size_t fixed = sizeof(struct zufs_in_header) +
		       sizeof(struct zufs_batch_forget_in);

	return room > fixed ?
		(room - fixed) / sizeof(struct zufs_forget_one) : 0;
}

void zuf_queue_forget(struct zuf_sb_info *sbi, u64 ino, u64 nlookup)
{
	struct zuf_forget *f;
	unsigned long delay = ZUF_FORGET_DELAY;

	if (READ_ONCE(sbi->dead) || READ_ONCE(sbi->destroying))
		return;
	/* evict may run in reclaim: never call the server from here */
	f = kmalloc(sizeof(*f), GFP_NOFS | __GFP_NOWARN);
	if (!f)
		return;		/* the server keeps the inode until DESTROY */
	f->ino = ino;
	f->nlookup = nlookup;
	spin_lock(&sbi->forget_lock);
	list_add_tail(&f->list, &sbi->forget_list);
	if (++sbi->forget_count >= zuf_forget_batch_max(sbi))
		delay = 0;
	spin_unlock(&sbi->forget_lock);
	if (delay)
		queue_delayed_work(zuf_forget_wq, &sbi->forget_work, delay);
	else
		mod_delayed_work(zuf_forget_wq, &sbi->forget_work, 0);
}

static void zuf_forget_free(struct list_head *list)
{
	struct zuf_forget *f, *tmp;

	list_for_each_entry_safe(f, tmp, list, list) {
		list_del(&f->list);
		kfree(f);
	}
}

/* One FORGET, of the first inode on @list. */
static int zuf_forget_one(struct zuf_sb_info *sbi, struct list_head *list)
{
	struct zuf_forget *f = list_first_entry(list, struct zuf_forget, list);
	struct zufs_forget_in in = { .nlookup = f->nlookup };
	struct zuf_args args = {
		.opcode = ZUFS_OP_FORGET,
		.ino = f->ino,
		.in = &in,
		.teardown = true,
	};
	int err;

	err = zuf_call(sbi, &args);
	list_del(&f->list);
	kfree(f);
	return err;
}

/*
 * One BATCH_FORGET of up to @max inodes from the head of @list, built in
 * @batch. Returns 1 when the server does not implement it (the entries
 * stay on @list), else the call's result (the entries are freed).
 */
static int zuf_forget_batch(struct zuf_sb_info *sbi, struct list_head *list,
			    struct zufs_forget_one *batch, unsigned int max)
{
	struct zufs_batch_forget_in in = {};
	struct zuf_args args = {
		.opcode = ZUFS_OP_BATCH_FORGET,
		.in = &in,
		.tail = batch,
		.teardown = true,
	};
	struct zuf_forget *f;
	int err;

	list_for_each_entry(f, list, list) {
		if (in.count == max)
			break;
		batch[in.count].ino = f->ino;
		batch[in.count].nlookup = f->nlookup;
		in.count++;
	}
	args.tail_len = in.count * sizeof(*batch);
	err = zuf_call(sbi, &args);
	if (err == -EOPNOTSUPP && zuf_no_op(sbi, ZUFS_OP_BATCH_FORGET))
		return 1;
	while (in.count--) {
		f = list_first_entry(list, struct zuf_forget, list);
		list_del(&f->list);
		kfree(f);
	}
	return err;
}

static void zuf_forget_work(struct work_struct *work)
{
	struct zuf_sb_info *sbi = container_of(to_delayed_work(work),
					       struct zuf_sb_info, forget_work);
	struct zufs_forget_one *batch = NULL;
	unsigned int max = zuf_forget_batch_max(sbi);
	LIST_HEAD(list);
	int err;

	spin_lock(&sbi->forget_lock);
	list_splice_init(&sbi->forget_list, &list);
	sbi->forget_count = 0;
	spin_unlock(&sbi->forget_lock);
	/* BATCH_FORGET is protocol 1.1 */
	if (sbi->minor >= 1 && max > 1 && !list_is_singular(&list) &&
	    !zuf_no_op(sbi, ZUFS_OP_BATCH_FORGET))
		batch = kmalloc_array(max, sizeof(*batch),
				      GFP_KERNEL | __GFP_NOWARN);
	while (!list_empty(&list)) {
		if (READ_ONCE(sbi->destroying) || READ_ONCE(sbi->dead) ||
		    zuf_no_op(sbi, ZUFS_OP_FORGET))
			break;
		err = 1;
		if (batch && !zuf_no_op(sbi, ZUFS_OP_BATCH_FORGET))
			err = zuf_forget_batch(sbi, &list, batch, max);
		if (err == 1)
			err = zuf_forget_one(sbi, &list);
		/*
		 * A stalled server: drop what is left of this run rather than
		 * wait for each in turn (the server keeps those inodes until
		 * DESTROY; a FORGET performed late is harmless, see lossy).
		 */
		if (err == -ETIMEDOUT)
			break;
	}
	zuf_forget_free(&list);
	kfree(batch);
}

/**
 * zuf_forget_init() - create the FORGET workqueue (module load)
 *
 * Return: 0 or -ENOMEM.
 */
int zuf_forget_init(void)
{
	zuf_forget_wq = alloc_workqueue("zuf_forget", WQ_UNBOUND, 0);
	return zuf_forget_wq ? 0 : -ENOMEM;
}

/* Module unload: every mount is gone, so is every queued FORGET. */
void zuf_forget_exit(void)
{
	destroy_workqueue(zuf_forget_wq);
}

static int zuf_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct super_block *sb = dentry->d_sb;
	struct zufs_statfs_out out;
	struct zuf_args args = {
		.opcode = ZUFS_OP_STATFS,
		.out = &out,
	};
	int err;

	err = zuf_call(ZUF_SB(sb), &args);
	if (err)
		return err;
	if (out.namelen > ZUFS_NAME_MAX || out.bfree > out.blocks ||
	    out.bavail > out.bfree || out.ffree > out.files || out.pad ||
	    out.reserved[0] || out.reserved[1])
		return -EIO;
	buf->f_type = ZUFS_SUPER_MAGIC;
	buf->f_bsize = out.bsize ? out.bsize : PAGE_SIZE;
	buf->f_frsize = out.frsize ? out.frsize : buf->f_bsize;
	buf->f_blocks = out.blocks;
	buf->f_bfree = out.bfree;
	buf->f_bavail = out.bavail;
	buf->f_files = out.files;
	buf->f_ffree = out.ffree;
	buf->f_namelen = out.namelen ? out.namelen : ZUFS_NAME_MAX;
	return 0;
}

static int zuf_sync_fs(struct super_block *sb, int wait)
{
	struct zufs_sync_fs_in in = { .wait = !!wait };
	struct zuf_args args = {
		.opcode = ZUFS_OP_SYNC_FS,
		.in = &in,
	};
	int err;

	err = zuf_call(ZUF_SB(sb), &args);
	if (err && zuf_no_op(ZUF_SB(sb), ZUFS_OP_SYNC_FS))
		err = 0;
	return err;
}

/*
 * /proc/mounts, findmnt: the options as given (the VFS prints ro, nosuid
 * and the like), each escaped by seq_show_option(); a remount that passes
 * them back unchanged is accepted (zuf_reconfigure()).
 */
static int zuf_show_options(struct seq_file *m, struct dentry *root)
{
	struct zuf_sb_info *sbi = ZUF_SB(root->d_sb);
	const char *p = sbi->options;

	seq_show_option(m, "service", sbi->service);
	seq_show_option(m, "fs", sbi->fs_name);
	if (sbi->timeout_ns)
		seq_printf(m, ",timeout=%llu",
			   div_u64(sbi->timeout_ns, NSEC_PER_SEC));
	if (sbi->untrusted_opt)
		seq_puts(m, ",untrusted");
	/* the server's options: "key[=value]" separated by ',' */
	while (p && *p) {
		size_t len = strchrnul(p, ',') - p;
		char *opt = kstrndup(p, len, GFP_KERNEL);
		char *val;

		if (!opt)
			return -ENOMEM;
		val = strchr(opt, '=');
		if (val)
			*val++ = '\0';
		seq_show_option(m, opt, val);
		kfree(opt);
		p += len;
		if (*p)
			p++;
	}
	return 0;
}

static const struct super_operations zuf_super_ops = {
	.alloc_inode	= zuf_alloc_inode,
	.free_inode	= zuf_free_inode,
	.evict_inode	= zuf_evict_inode,
	.drop_inode	= generic_delete_inode,
	.statfs		= zuf_statfs,
	.sync_fs	= zuf_sync_fs,
	.show_options	= zuf_show_options,
	.show_stats	= zuf_notify_show_stats,
};

/*
 * The INIT exchange on @conn: version, caps, the server's superblock and
 * root. @fs_id is NULL for a mount, the identity to serve for a re-attach.
 * On success *@out is checked in itself (not yet against an old mount).
 * A reply with a superblock id is the caller's to DESTROY on any error
 * (out->sb_id is set then).
 */
static int zuf_init_exchange(struct fs_context *fc, struct zuf_sb_info *sbi,
			     struct ucchan_conn *conn, const u8 *fs_id,
			     struct zufs_init_out *out)
{
	const char *source = sbi->source;
	const char *options = sbi->options ? sbi->options : "";
	struct zufs_init_in in = {
		.major = ZUFS_KERNEL_VERSION,
		.minor = ZUFS_KERNEL_MINOR_VERSION,
		/* later caps are offered by minor: a 1.1 server refuses them */
		.caps = ZUF_KERNEL_CAPS & ZUFS_CAP_OFFER_MASK,
		.source_len = strlen(source),
		.options_len = strlen(options),
		.flags = (fc->sb_flags & SB_RDONLY) ? ZUFS_INIT_RDONLY : 0,
	};
	struct zuf_args args = {
		.opcode = ZUFS_OP_INIT,
		.in = &in,
		.out = out,
		.nr_names = 2,
		.names = { source, options },
		.namelens = { in.source_len, in.options_len },
	};
	int err;

	out->sb_id = 0;
	if (in.source_len > ZUFS_MOUNT_STR_MAX)
		return invalfc(fc, "source longer than %d bytes",
			       ZUFS_MOUNT_STR_MAX);
	strscpy(in.fs_name, sbi->fs_name, sizeof(in.fs_name));
	if (fs_id) {
		in.flags |= ZUFS_INIT_REATTACH;
		memcpy(in.fs_id, fs_id, sizeof(in.fs_id));
	}
	/* INIT names no superblock: it makes one */
	err = zuf_call_conn(sbi, conn, 0, &args);
	if (err)	/* a reply with an error status is not a superblock */
		out->sb_id = 0;
	switch (err) {
	case 0:
		break;
	case -EPROTONOSUPPORT:
		return invalfc(fc, "service %s does not speak zufs protocol %d",
			       sbi->service, ZUFS_KERNEL_VERSION);
	case -ENODEV:
		errorfc(fc, "service %s has no file system '%s'",
			sbi->service, sbi->fs_name);
		return err;
	case -EINVAL:
		if (fs_id)
			return invalfc(fc, "service %s refused to re-attach (pre-1.3?)",
				       sbi->service);
		return invalfc(fc, "file system %s refused the options '%s'",
			       sbi->fs_name, options);
	case -ESTALE:
		if (fs_id) {
			errorfc(fc, "service %s serves another file system: cannot re-attach",
				sbi->service);
			return err;
		}
		fallthrough;
	default:
		errorfc(fc, "INIT failed: %d", err);
		return err;
	}
	if (!out->sb_id) {
		errorfc(fc, "server returned superblock id 0");
		return -EPROTO;
	}
	if (out->major != ZUFS_KERNEL_VERSION) {
		errorfc(fc, "server speaks zufs protocol %u, not %d",
			out->major, ZUFS_KERNEL_VERSION);
		return -EPROTO;
	}
	if ((out->caps & ~ZUF_KERNEL_CAPS) || out->pad ||
	    ((out->caps & ZUFS_CAP_ACL) && !(out->caps & ZUFS_CAP_XATTR)) ||
	    ((out->caps & ZUFS_CAP_INIT_XATTRS) &&
	     (!(out->caps & ZUFS_CAP_XATTR) || out->minor < 2)) ||
	    ((out->caps & ZUFS_CAP_NOTIFY) && out->minor < 2) ||
	    out->time_gran > NSEC_PER_SEC ||
	    memchr_inv(out->reserved, 0, sizeof(out->reserved)) ||
	    zuf_check_attr(sbi, &out->root) || !S_ISDIR(out->root.mode)) {
		errorfc(fc, "server sent a bad INIT reply");
		return -EPROTO;
	}
	return 0;
}

/* DESTROY a superblock the server made for a mount that will not use it. */
static void zuf_destroy_on(struct zuf_sb_info *sbi, struct ucchan_conn *conn,
			   u64 sb_id)
{
	struct zuf_args args = {
		.opcode = ZUFS_OP_DESTROY,
		.teardown = true,
	};

	zuf_call_conn(sbi, conn, sb_id, &args);
}

/*
 * The bytes of buffers one call can carry: a buffer at an unaligned
 * address touches one page more than its length.
 */
static u64 zuf_window_max_io(struct ucchan_conn *conn)
{
	u64 win = ucchan_conn_window_size(conn);

	return win > PAGE_SIZE ? round_down(win - PAGE_SIZE, PAGE_SIZE) : 0;
}

/*
 * Is the server behind @conn one the mounter trusts? Its creator had
 * CAP_SYS_ADMIN in the initial user namespace, or is the mounter (by
 * fsuid). Else the mount is refused, or with -o untrusted (@untrusted_ok)
 * made harmless. Returns 0 and *@untrusted, or -EPERM.
 */
static int zuf_check_server(struct fs_context *fc, struct ucchan_conn *conn,
			    const char *service, bool untrusted_ok,
			    bool *untrusted)
{
	struct ucchan_server_id id;

	ucchan_conn_server(conn, &id);
	*untrusted = false;
	if (id.admin || uid_eq(id.uid, current_fsuid()))
		return 0;
	if (!untrusted_ok) {
		errorfc(fc, "service %s: creator uid %u lacks CAP_SYS_ADMIN: untrusted",
			service, from_kuid_munged(&init_user_ns, id.uid));
		return -EPERM;
	}
	pr_info("zufs: service %s (uid %u) mounted untrusted: nosuid, nodev\n",
		service, from_kuid_munged(&init_user_ns, id.uid));
	*untrusted = true;
	return 0;
}

/*
 * Connect to the service and check it: trust, inline size, window.
 * Returns the connection or an ERR_PTR (the reason is in @fc's log).
 */
static struct ucchan_conn *zuf_connect(struct fs_context *fc,
				       struct zuf_sb_info *sbi,
				       bool *untrusted)
{
	struct ucchan_conn *conn;
	int err;

	conn = ucchan_connect_ops(sbi->service, &zuf_notify_conn_ops, sbi);
	if (IS_ERR(conn)) {
		errorfc(fc, "cannot connect to service %s: %ld",
			sbi->service, PTR_ERR(conn));
		return conn;
	}
	err = zuf_check_server(fc, conn, sbi->service, sbi->untrusted_opt,
			       untrusted);
	if (!err && ucchan_conn_max_inline(conn) < ZUFS_MIN_INLINE) {
		errorfc(fc, "service %s: inline size %u < %d", sbi->service,
			ucchan_conn_max_inline(conn), ZUFS_MIN_INLINE);
		err = -EPROTO;
	}
	if (!err && zuf_window_max_io(conn) < PAGE_SIZE) {
		errorfc(fc, "service %s: window of %llu bytes cannot carry a page",
			sbi->service, ucchan_conn_window_size(conn));
		err = -EPROTO;
	}
	if (err) {
		ucchan_disconnect(conn);
		return ERR_PTR(err);
	}
	return conn;
}

/* max_io from the INIT reply and what the connection carries */
static u32 zuf_max_io(const struct zufs_init_out *out,
		      struct ucchan_conn *conn)
{
	u32 max_io = ZUF_DEFAULT_MAX_IO;

	if (out->max_io && out->max_io < max_io)
		max_io = max_t(u32, out->max_io, PAGE_SIZE);
	/* one READ/WRITE must fit the window, or every large one is -EIO */
	return min_t(u64, max_io, zuf_window_max_io(conn));
}

static int zuf_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct zuf_fs_context *ctx = fc->fs_private;
	struct zuf_sb_info *sbi;
	struct zufs_init_out out;
	struct ucchan_conn *conn;
	struct inode *root;
	int err;

	sbi = kzalloc(sizeof(*sbi), GFP_KERNEL);
	if (!sbi)
		return -ENOMEM;
	err = init_srcu_struct(&sbi->conn_srcu);
	if (err) {
		kfree(sbi);
		return err;
	}
	spin_lock_init(&sbi->forget_lock);
	INIT_LIST_HEAD(&sbi->forget_list);
	INIT_DELAYED_WORK(&sbi->forget_work, zuf_forget_work);
	zuf_notify_sb_init(sbi, sb);
	sbi->timeout_ns = ctx->timeout_ns;
	sbi->untrusted_opt = ctx->untrusted;
	sb->s_fs_info = sbi;
	sbi->service = kstrdup(ctx->service, GFP_KERNEL);
	sbi->fs_name = kstrdup(ctx->fs_name, GFP_KERNEL);
	sbi->source = kstrdup(fc->source ? fc->source : "", GFP_KERNEL);
	if (ctx->options) {
		sbi->options = kstrdup(ctx->options, GFP_KERNEL);
		if (!sbi->options)
			return -ENOMEM;
	}
	if (!sbi->service || !sbi->fs_name || !sbi->source)
		return -ENOMEM;

	conn = zuf_connect(fc, sbi, &sbi->untrusted);
	if (IS_ERR(conn))
		return PTR_ERR(conn);
	rcu_assign_pointer(sbi->conn, conn);
	sbi->max_inline = ucchan_conn_max_inline(conn);
	err = zuf_init_exchange(fc, sbi, conn, NULL, &out);
	sbi->sb_id = out.sb_id;		/* from now on unmount DESTROYs it */
	if (err)
		return err;
	/* a bdi of our own: shared mmap pages are written back */
	err = super_setup_bdi(sb);
	if (err)
		return err;

	sbi->caps = out.caps;
	sbi->minor = min_t(u32, out.minor, ZUFS_KERNEL_MINOR_VERSION);
	memcpy(sbi->fs_id, out.fs_id, sizeof(sbi->fs_id));
	sbi->max_io = zuf_max_io(&out, conn);
	sbi->copy_size = ucchan_conn_copy_size(conn);
	sb->s_magic = ZUFS_SUPER_MAGIC;
	sb->s_op = &zuf_super_ops;
	sb->s_maxbytes = MAX_LFS_FILESIZE;
	if (out.max_file_size && out.max_file_size < MAX_LFS_FILESIZE)
		sb->s_maxbytes = out.max_file_size;
	sb->s_time_gran = out.time_gran ? out.time_gran : 1;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	/* a user-space server's files cannot be IMA-appraised */
	sb->s_iflags |= SB_I_IMA_UNVERIFIABLE_SIGNATURE;
	if (sbi->untrusted) {
		/* nor can a stranger's grant anything: no devices, no set-id */
		sb->s_iflags |= SB_I_NODEV | SB_I_UNTRUSTED_MOUNTER;
	} else {
		/*
		 * Every change reaches the trusted server through this kernel,
		 * so the VFS may remember that a file has no set-id bits and
		 * no security.capability (S_NOSEC) instead of asking the
		 * server on every write.
		 */
		sb->s_flags |= SB_NOSEC;
	}
	if (zuf_has(sbi, ZUFS_CAP_XATTR))
		sb->s_xattr = zuf_xattr_handlers;
	if (zuf_has(sbi, ZUFS_CAP_ACL))
		sb->s_flags |= SB_POSIXACL;
	zuf_notify_setup_sb(sb);

	root = zuf_iget(sb, &out.root, false);
	if (IS_ERR(root))
		return PTR_ERR(root);
	sb->s_root = d_make_root(root);
	if (!sb->s_root)
		return -ENOMEM;
	zuf_notify_start(sbi);
	return 0;
}

static int zuf_get_tree(struct fs_context *fc)
{
	struct zuf_fs_context *ctx = fc->fs_private;

	if (!ctx->fs_name)
		return invalfc(fc, "missing fs=<file system>");
	if (!ctx->service) {
		ctx->service = kstrdup(ZUF_DEFAULT_SERVICE, GFP_KERNEL);
		if (!ctx->service)
			return -ENOMEM;
	}
	return get_tree_nodev(fc, zuf_fill_super);
}

/*
 * After a re-attach the kernel's lookup counts belong to the dead server:
 * the new one gave none, so they start again from 0 (what FORGET will
 * return is only what the new server handed out), and every cached
 * attribute is fetched again before it is used.
 */
static void zuf_reattach_inodes(struct super_block *sb)
{
	struct zuf_sb_info *sbi = ZUF_SB(sb);
	struct inode *inode;
	LIST_HEAD(stale);

	spin_lock(&sb->s_inode_list_lock);
	list_for_each_entry(inode, &sb->s_inodes, i_sb_list) {
		spin_lock(&inode->i_lock);
		ZUF_I(inode)->nlookup = 0;
		spin_unlock(&inode->i_lock);
		zuf_attr_stale(inode);
	}
	spin_unlock(&sb->s_inode_list_lock);
	/* FORGETs queued for the dead server are void */
	spin_lock(&sbi->forget_lock);
	list_splice_init(&sbi->forget_list, &stale);
	sbi->forget_count = 0;
	spin_unlock(&sbi->forget_lock);
	zuf_forget_free(&stale);
}

/* Does a re-attach reply describe the mount's file system as it was? */
static int zuf_reattach_check(struct fs_context *fc, struct super_block *sb,
			      const struct zufs_init_out *out)
{
	struct zuf_sb_info *sbi = ZUF_SB(sb);
	struct inode *root = d_inode(sb->s_root);
	u64 max_file = out->max_file_size && out->max_file_size < MAX_LFS_FILESIZE ?
		       out->max_file_size : MAX_LFS_FILESIZE;

	if (memcmp(out->fs_id, sbi->fs_id, sizeof(sbi->fs_id))) {
		errorfc(fc, "reattach: service %s serves another file system (identity differs)",
			sbi->service);
		return -ESTALE;
	}
	if (out->root.ino != root->i_ino ||
	    out->root.generation != ZUF_I(root)->generation) {
		errorfc(fc, "reattach: the root directory is another inode");
		return -ESTALE;
	}
	if (out->caps != sbi->caps ||
	    min_t(u32, out->minor, ZUFS_KERNEL_MINOR_VERSION) != sbi->minor ||
	    (out->time_gran ? out->time_gran : 1) != sb->s_time_gran ||
	    max_file != sb->s_maxbytes) {
		errorfc(fc, "reattach: other caps (0x%llx, was 0x%llx), minor or limits",
			out->caps, sbi->caps);
		return -EPROTO;
	}
	return 0;
}

/*
 * Re-attach (mount -o remount,reattach DIR): the mount's server died, a new
 * one serves the same service name. It must be trusted as at mount time
 * (an untrusted one only if the mount was untrusted already), and prove it
 * serves the same file system: the identity the first server gave, the
 * same root, caps and limits. Then the new connection replaces the old
 * one; calls on the old one have ended (they failed: its server is dead)
 * before the mount comes alive again. Handles of opens made before are
 * void (zuf_file_stale()). Runs under s_umount (remount): no unmount, no
 * other re-attach meanwhile.
 */
static int zuf_reattach(struct fs_context *fc, struct super_block *sb)
{
	struct zuf_sb_info *sbi = ZUF_SB(sb);
	struct ucchan_conn *conn, *old;
	struct zufs_init_out out;
	bool untrusted;
	int err;

	old = rcu_dereference_protected(sbi->conn,
					lockdep_is_held(&sb->s_umount));
	if (!READ_ONCE(sbi->dead) && ucchan_conn_alive(old)) {
		errorfc(fc, "reattach: the server of this mount is alive");
		return -EBUSY;
	}
	/* the server died while the mount was idle */
	WRITE_ONCE(sbi->dead, true);
	if (!memchr_inv(sbi->fs_id, 0, sizeof(sbi->fs_id))) {
		errorfc(fc, "reattach: file system %s gave no identity: unmount and mount again",
			sbi->fs_name);
		return -EOPNOTSUPP;
	}
	conn = zuf_connect(fc, sbi, &untrusted);
	if (IS_ERR(conn))
		return PTR_ERR(conn);
	err = -EPERM;
	if (untrusted && !sbi->untrusted) {
		errorfc(fc, "reattach: service %s is untrusted, the mount is not",
			sbi->service);
		goto out_conn;
	}
	err = zuf_init_exchange(fc, sbi, conn, sbi->fs_id, &out);
	if (!err)
		err = zuf_reattach_check(fc, sb, &out);
	if (err) {
		if (out.sb_id)
			zuf_destroy_on(sbi, conn, out.sb_id);
		goto out_conn;
	}

	sbi->sb_id = out.sb_id;
	sbi->max_io = zuf_max_io(&out, conn);
	WRITE_ONCE(sbi->copy_size, ucchan_conn_copy_size(conn));
	WRITE_ONCE(sbi->max_inline, ucchan_conn_max_inline(conn));
	bitmap_zero(sbi->no_op, ZUFS_OP_MAX);
	rcu_assign_pointer(sbi->conn, conn);
	/* every call that may still use the old connection has ended */
	synchronize_srcu(&sbi->conn_srcu);
	WRITE_ONCE(sbi->epoch, sbi->epoch + 1);
	zuf_reattach_inodes(sb);
	/* pairs with the acquire in zuf_call(): conn, sb_id, epoch first */
	smp_store_release(&sbi->dead, false);
	ucchan_disconnect(old);
	pr_info("zufs: sb %llu: re-attached to service %s\n", sbi->sb_id,
		sbi->service);
	return 0;

out_conn:
	ucchan_disconnect(conn);
	return err;
}

/*
 * remount: ro/rw and the VFS's flags, or reattach. The zufs options cannot
 * change, but may be passed again as they are (mount(8) passes what
 * /proc/mounts or fstab says).
 */
static int zuf_reconfigure(struct fs_context *fc)
{
	struct zuf_fs_context *ctx = fc->fs_private;
	struct super_block *sb = fc->root->d_sb;
	struct zuf_sb_info *sbi = ZUF_SB(sb);
	int err;

	if ((ctx->service && strcmp(ctx->service, sbi->service)) ||
	    (ctx->fs_name && strcmp(ctx->fs_name, sbi->fs_name)) ||
	    (ctx->untrusted && !sbi->untrusted_opt) ||
	    (ctx->timeout_set && ctx->timeout_ns != sbi->timeout_ns) ||
	    (ctx->options_len &&
	     strcmp(ctx->options, sbi->options ? sbi->options : "")))
		return invalfc(fc, "remount: zufs and server options cannot change");
	if (ctx->reattach) {
		err = zuf_reattach(fc, sb);
		if (err)
			return err;
	}
	sync_filesystem(sb);
	return 0;
}

static void zuf_free_fc(struct fs_context *fc)
{
	struct zuf_fs_context *ctx = fc->fs_private;

	if (!ctx)
		return;
	kfree(ctx->service);
	kfree(ctx->fs_name);
	kfree(ctx->options);
	kfree(ctx);
}

static const struct fs_context_operations zuf_context_ops = {
	.parse_param	= zuf_parse_param,
	.get_tree	= zuf_get_tree,
	.reconfigure	= zuf_reconfigure,
	.free		= zuf_free_fc,
};

int zuf_init_fs_context(struct fs_context *fc)
{
	struct zuf_fs_context *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	fc->fs_private = ctx;
	fc->ops = &zuf_context_ops;
	return 0;
}

/*
 * Unmount, or a mount that failed half way: forget nothing (DESTROY frees
 * all of the server's superblock), drop the inodes, DESTROY, disconnect.
 */
void zuf_kill_sb(struct super_block *sb)
{
	struct zuf_sb_info *sbi = ZUF_SB(sb);
	struct ucchan_conn *conn;

	if (sbi) {
		WRITE_ONCE(sbi->destroying, true);
		zuf_notify_stop(sbi);
	}
	kill_anon_super(sb);
	if (!sbi)
		return;
	/* the work sends nothing once destroying is set */
	cancel_delayed_work_sync(&sbi->forget_work);
	zuf_forget_free(&sbi->forget_list);
	if (sbi->sb_id) {
		struct zuf_args args = {
			.opcode = ZUFS_OP_DESTROY,
			.teardown = true,
		};

		zuf_call(sbi, &args);
	}
	/* nobody else uses the superblock any more */
	conn = rcu_dereference_protected(sbi->conn, 1);
	if (conn)
		ucchan_disconnect(conn);
	cleanup_srcu_struct(&sbi->conn_srcu);
	kfree(sbi->service);
	kfree(sbi->source);
	kfree(sbi->fs_name);
	kfree(sbi->options);
	kfree(sbi);
}
