/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zuf - the zufs VFS broker: private definitions.
 *
 * zuf.ko turns VFS operations into zufs protocol requests
 * (include/uapi/linux/zufs.h) and sends them to a user-space server over
 * an in-kernel ucchan connection, one per mount. The server is untrusted:
 * every reply is validated here before anything in the kernel uses it.
 */
#ifndef _ZUF_I_H
#define _ZUF_I_H

#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/types.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/workqueue.h>
#include <linux/ucchan.h>
#include <uapi/linux/zufs.h>

#include "zuf_compat_i.h"

#define ZUF_FS_NAME		"zufs"
#define ZUFS_SUPER_MAGIC	0x5a554653	/* "ZUFS" */
/* what this zuf implements */
#ifdef CONFIG_FS_POSIX_ACL
#define ZUF_ACL_CAP	ZUFS_CAP_ACL
#else
#define ZUF_ACL_CAP	0
#endif
#define ZUF_KERNEL_CAPS	(ZUFS_CAP_XATTR | ZUF_ACL_CAP | ZUFS_CAP_MMAP | \
			 ZUFS_CAP_FALLOCATE | ZUFS_CAP_TMPFILE | \
			 ZUFS_CAP_COPY_RANGE | ZUFS_CAP_SEEK_DATA | \
			 ZUFS_CAP_RENAME_EXCHANGE | ZUFS_CAP_OPEN | \
			 ZUFS_CAP_INIT_XATTRS | ZUFS_CAP_NOTIFY)
#define ZUF_DEFAULT_MAX_IO	(4U << 20)	/* bytes per READ/WRITE call */
/* calls made while unmounting or evicting never wait longer than this */
#define ZUF_TEARDOWN_TIMEOUT_NS	(10ULL * NSEC_PER_SEC)
/*
 * Default of the kthread_timeout module parameter (seconds): the bound on
 * calls of kernel threads, reclaim and page-cache I/O, even with
 * timeout=0. Well below the hung-task timeout (120 s by default).
 */
#define ZUF_KTHREAD_TIMEOUT_SEC	10
/* FORGETs wait this long for company before they are sent */
#define ZUF_FORGET_DELAY	(HZ / 10)

/*
 * Notifications from the server (zuf_notify.c): checked in the sender's
 * thread, queued here, applied in order by @work. @lock protects all but
 * @work and @sb; @count <= ZUF_NOTIFY_QLEN.
 */
struct zuf_notify_queue {
	spinlock_t lock;		/* all below but work and sb */
	int state;			/* ZUF_NOTIFY_OFF, _ON, _UNAGREED */
	struct list_head list;
	unsigned int count;
	struct super_block *sb;
	struct work_struct work;
	u64 accepted;			/* queued, ever */
	u64 applied;
	u64 full;			/* refused with -EAGAIN */
	u64 refused;			/* refused otherwise */
};

/* per-superblock state */
struct zuf_sb_info {
	/*
	 * The connection to the server: replaced when a mount whose server
	 * died is re-attached to a new one (zuf_reattach()). Callers use it
	 * inside conn_srcu (zuf_call()); the swap waits for them.
	 */
	struct ucchan_conn __rcu *conn;
	struct srcu_struct conn_srcu;
	u32 max_inline;		/* ucchan_conn_max_inline() of conn */
	u32 epoch;		/* re-attaches so far: open handles of an
				 * older epoch are gone with their server
				 */
	u64 sb_id;		/* server's name for this superblock */
	u8 fs_id[ZUFS_FS_ID_LEN];	/* the file system's identity (1.3);
					 * all zero: cannot re-attach
					 */
	u64 caps;		/* agreed ZUFS_CAP_* */
	u32 minor;		/* agreed minor version */
	u32 max_io;		/* bytes per READ/WRITE call */
	u32 copy_size;		/* the service's copy area (0: none) */
	u64 timeout_ns;		/* per call, 0 = none (still killable) */
	/* the mount options, for show_options and remount */
	char *service;
	char *fs_name;
	char *source;		/* SOURCE of mount(8), "" if none */
	char *options;		/* for the server ("a,b=c"), or NULL */
	bool untrusted_opt;	/* -o untrusted was given */
	/*
	 * The server is not trusted by the mounter (-o untrusted): no
	 * set-id bits, no devices, no file capabilities, no SB_NOSEC.
	 */
	bool untrusted;
	bool dead;		/* the service is gone: every op is -EIO
				 * (until a re-attach: read with acquire)
				 */
	bool destroying;	/* unmounting: no more FORGETs */
	/* one bit per opcode the server does not implement */
	DECLARE_BITMAP(no_op, ZUFS_OP_MAX);
	/*
	 * FORGETs queued by evict, sent in batches by forget_work on
	 * zuf_forget_wq; forget_count is the length of forget_list.
	 */
	spinlock_t forget_lock;
	struct list_head forget_list;
	unsigned int forget_count;
	struct delayed_work forget_work;
	struct zuf_notify_queue notify;	/* zuf_notify.c */
};

/* a FORGET waiting to be sent */
struct zuf_forget {
	struct list_head list;
	u64 ino;
	u64 nlookup;
};

/* per-inode state */
struct zuf_inode_info {
	struct inode vfs_inode;
	u64 nlookup;		/* lookups to FORGET; under i_lock */
	u64 generation;
	unsigned long state;	/* ZUF_I_* bits */
};

/* the cached attributes may be out of date: refetch before use */
#define ZUF_I_ATTR_STALE	0

/* per-open-file state */
struct zuf_file {
	u64 fh;			/* server's handle (ZUFS_CAP_OPEN), else 0 */
	u32 epoch;		/* zuf_sb_info.epoch when fh was given */
	bool opened;		/* fh came from OPEN, OPENDIR or CREATE: the
				 * last close sends RELEASE(DIR)
				 */
	loff_t dir_eof;		/* directories: the position at which the
				 * server said EOF (0: not known); reset
				 * by every lseek
				 */
};

static inline struct zuf_sb_info *ZUF_SB(struct super_block *sb)
{
	return sb->s_fs_info;
}

static inline struct zuf_inode_info *ZUF_I(struct inode *inode)
{
	return container_of(inode, struct zuf_inode_info, vfs_inode);
}

static inline u64 zuf_fh(struct file *file)
{
	struct zuf_file *zf = file->private_data;

	return zf ? zf->fh : 0;
}

/*
 * The open's handle was given by a server that has since died and been
 * replaced (re-attach): the new server never heard of it, so every op on
 * this open is -EIO (an open without a handle carries on).
 */
static inline bool zuf_file_stale(struct file *file)
{
	struct zuf_file *zf = file->private_data;

	return zf && zf->opened &&
	       zf->epoch != READ_ONCE(ZUF_SB(file_inode(file)->i_sb)->epoch);
}

static inline bool zuf_has(struct zuf_sb_info *sbi, u64 cap)
{
	return (sbi->caps & cap) == cap;
}

/* the server said it does not implement opcode */
static inline bool zuf_no_op(struct zuf_sb_info *sbi, u32 opcode)
{
	return test_bit(opcode, sbi->no_op);
}

/*
 * May opcode (OPENDIR, RELEASEDIR, FLUSH, FSYNCDIR, CREATE: per-open state
 * of protocol 1.2) be sent? Both sides at minor 2, ZUFS_CAP_OPEN agreed,
 * and the server has not answered it -ENOSYS.
 */
static inline bool zuf_open_op(struct zuf_sb_info *sbi, u32 opcode)
{
	return sbi->minor >= 2 && zuf_has(sbi, ZUFS_CAP_OPEN) &&
	       !zuf_no_op(sbi, opcode);
}

static inline void zuf_attr_stale(struct inode *inode)
{
	set_bit(ZUF_I_ATTR_STALE, &ZUF_I(inode)->state);
}

/* zuf_rpc.c: one request; see zuf_call() */
#define ZUF_MAX_NAMES	2

struct zuf_args {
	u32 opcode;		/* ZUFS_OP_* */
	u64 ino;		/* zufs_in_header.ino */
	const void *in;		/* the op's in struct (size from the table) */
	void *out;		/* the op's out struct (size from the table) */
	unsigned int nr_names;
	const char *names[ZUF_MAX_NAMES];	/* each sent with a NUL */
	u32 namelens[ZUF_MAX_NAMES];
	const void *tail;	/* bytes after the in struct (BATCH_FORGET) */
	u32 tail_len;
	struct ucchan_kbuf *bufs;
	unsigned int nr_bufs;
	bool teardown;		/* bounded wait (unmount, evict) */
	bool bounded;		/* kthread_timeout even with timeout=0 */
};

int zuf_call(struct zuf_sb_info *sbi, struct zuf_args *args);
int zuf_call_conn(struct zuf_sb_info *sbi, struct ucchan_conn *conn,
		  u64 sb_id, struct zuf_args *args);
int zuf_check_attr(struct zuf_sb_info *sbi, const struct zufs_attr *attr);
bool zuf_name_ok(const char *name, size_t len);
const char *zuf_op_name(u32 opcode);
int zuf_init_opdefs(void);

/* zuf_super.c */
int zuf_init_fs_context(struct fs_context *fc);
void zuf_kill_sb(struct super_block *sb);
void zuf_queue_forget(struct zuf_sb_info *sbi, u64 ino, u64 nlookup);
int zuf_forget_init(void);
void zuf_forget_exit(void);

/* zuf_notify.c */
extern const struct ucchan_conn_ops zuf_notify_conn_ops;
void zuf_notify_sb_init(struct zuf_sb_info *sbi, struct super_block *sb);
void zuf_notify_setup_sb(struct super_block *sb);
void zuf_notify_start(struct zuf_sb_info *sbi);
void zuf_notify_stop(struct zuf_sb_info *sbi);
int zuf_notify_show_stats(struct seq_file *m, struct dentry *root);
int zuf_notify_init(void);
void zuf_notify_exit(void);

/* zuf_inode.c */
struct inode *zuf_alloc_inode(struct super_block *sb);
void zuf_free_inode(struct inode *inode);
void zuf_evict_inode(struct inode *inode);
int zuf_take_attr(struct inode *inode, const struct zufs_attr *attr);
int zuf_inode_cache_init(void);
void zuf_inode_cache_exit(void);
struct inode *zuf_iget(struct super_block *sb, const struct zufs_attr *attr,
		       bool lookup);
void zuf_update_attr(struct inode *inode, const struct zufs_attr *attr);
int zuf_refresh_attr(struct inode *inode);
void zuf_new_owner(zuf_idmap_t *idmap, struct inode *dir, umode_t *mode,
		   struct zufs_new_inode *ni);
int zuf_getattr(zuf_idmap_t *idmap, const struct path *path,
		struct kstat *stat, u32 request_mask, unsigned int flags);
int zuf_setattr(zuf_idmap_t *idmap, struct dentry *dentry,
		struct iattr *attr);
int zuf_set_mode(struct inode *inode, umode_t mode);
extern const struct inode_operations zuf_file_inode_ops;
extern const struct inode_operations zuf_special_inode_ops;
extern const struct inode_operations zuf_symlink_inode_ops;

/* zuf_namei.c */
extern const struct inode_operations zuf_dir_inode_ops;
extern const struct inode_operations zuf_dir_create_inode_ops;

/* zuf_dir.c */
extern const struct file_operations zuf_dir_ops;

/* zuf_file.c */
extern const struct file_operations zuf_file_ops;
int zuf_fsync(struct file *file, loff_t start, loff_t end, int datasync);
#define ZUF_OPEN_FLAGS_STRIP	(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC)
int zuf_open_handle(struct inode *inode, struct file *file, u32 opcode,
		    struct zuf_file *zf);
void zuf_release_fh(struct zuf_sb_info *sbi, u64 ino, u32 opcode, u64 fh);
int zuf_open_created(struct inode *inode, struct file *file);
ssize_t zuf_io(struct inode *inode, u64 fh, struct iov_iter *iter,
	       loff_t *pos, size_t len, bool write, u32 flags);

/* zuf_mmap.c */
extern const struct address_space_operations zuf_aops;
int zuf_mmap(struct file *file, struct vm_area_struct *vma);

/* zuf_xattr.c */
extern ZUF_XATTR_LIST zuf_xattr_handlers[];
ssize_t zuf_listxattr(struct dentry *dentry, char *list, size_t size);
int zuf_xattr_call(struct inode *inode, u32 opcode, const char *name,
		   void *value, size_t size, u32 flags, u32 *out_size);

/* zuf_acl.c */
#ifdef CONFIG_FS_POSIX_ACL
struct posix_acl *zuf_get_acl(struct inode *inode, int type, bool rcu);
int zuf_set_acl(zuf_idmap_t *idmap, zuf_acl_obj_t *obj, struct posix_acl *acl,
		int type);
int zuf_acl_init(struct inode *inode, struct posix_acl *default_acl,
		 struct posix_acl *acl);
void *zuf_acl_value(const struct posix_acl *acl, size_t *size);
void zuf_acl_cache(struct inode *inode, struct posix_acl *default_acl,
		   struct posix_acl *acl);
#else
#define zuf_get_acl	NULL
#define zuf_set_acl	NULL
static inline int zuf_acl_init(struct inode *inode,
			       struct posix_acl *default_acl,
			       struct posix_acl *acl)
{
	return 0;
}

static inline void *zuf_acl_value(const struct posix_acl *acl, size_t *size)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void zuf_acl_cache(struct inode *inode,
				 struct posix_acl *default_acl,
				 struct posix_acl *acl)
{
}
#endif

#endif /* _ZUF_I_H */
