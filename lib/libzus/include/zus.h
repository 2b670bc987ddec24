/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * zus.h - the zufs server plugin API, ABI 2.
 *
 * A zufs file system is a shared object ("plugin") that a host loads with
 * dlopen(): zusd serving the zuf kernel module over ucchan (transport
 * "zufs"), or zusd serving a stock kernel over libfuse (transport "fuse").
 * The same .so runs on both. It exports exactly one symbol,
 * zus_plugin_entry(), which returns a struct zus_plugin describing the
 * file system and pointing at its ops table (struct zus_fs_ops).
 *
 * A plugin needs nothing but this header: everything the host offers
 * (logging, readdir replies, option parsing, notifications) comes as a
 * versioned table of functions, struct zus_host, handed to init(). A
 * plugin does not link against any library of the project, so it can be
 * written under any license.
 *
 * Conventions
 *   - Every op returns 0 (or a non-negative count where stated) on success
 *     and a negative errno (-1..-511, the errnos user space knows) on
 *     failure; anything else is answered with -EIO. errno itself is never
 *     looked at.
 *   - A NULL op, or an op beyond the end of the plugin's table (ops->size
 *     too small to contain it), is answered with -ENOSYS by the host.
 *   - Every op receives a request context (struct zus_ctx): the
 *     superblock, the caller's fsuid/fsgid/pid, and the per-open handle
 *     when the op is about an open file. The context is size-tagged, so
 *     it grows without a new major ABI.
 *   - Inodes are named by 64-bit inode numbers (zus_ino_t) chosen by the
 *     plugin; 0 is never a valid inode number.
 *   - Names handed to ops are validated by the host: 1..ZUS_NAME_MAX
 *     bytes, no '/', no NUL, never "." or "..". They are NUL terminated
 *     for convenience; namelen is their length.
 *   - Permission checks are done by the kernel before a request is sent
 *     (both transports mount with the kernel's permission checks on).
 *     Create-type ops receive the new inode's mode/uid/gid from the kernel
 *     in struct zus_new_inode.
 *   - Ops are called concurrently from several threads (zufs: one worker
 *     per CPU; fuse: libfuse's worker threads). A plugin does its own
 *     locking (a lock per superblock is fine: see memfs).
 *   - Data ops (read/write) see the application's buffer directly where
 *     the transport allows it (zufs: the buffer points into the worker's
 *     ucchan window, zero copy; fuse: a libfuse buffer). Never keep the
 *     pointer after the op returns.
 *
 * Lookup counts (as in FUSE): every op that returns an inode to the kernel
 * in a struct zus_attr (lookup, mknod, mkdir, symlink, link, tmpfile,
 * create) adds one to that inode's lookup count. forget(ino, n) removes n.
 * An inode with no links and a zero lookup count can be freed. The root
 * inode returned by mount is pinned for the lifetime of the superblock and
 * never forgotten.
 *
 * ABI history
 *   1: fixed argument lists, no context, no per-open state. A plugin built
 *      for ABI 1 is refused at load with a message naming its ABI; there
 *      is no compatibility layer (docs/writing-a-plugin.md, "Porting from
 *      ABI 1").
 *   2: this header.
 */
#ifndef ZUS_H
#define ZUS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Major ABI version of struct zus_plugin / struct zus_fs_ops. A plugin
 * built for another major version is refused. Growth within a major
 * version happens by appending ops (zus_fs_ops.size), appending fields to
 * the size-tagged structs (zus_ctx, zus_conn, zus_host) and new ZUS_CAP_*
 * bits. */
#define ZUS_ABI_VERSION		2

/* The one symbol a host looks up in a plugin. */
#define ZUS_PLUGIN_ENTRY_SYMBOL	"zus_plugin_entry"

#define ZUS_NAME_MAX		255	/* bytes in a file name */
#define ZUS_SYMLINK_MAX		4095	/* bytes in a symlink target */
#define ZUS_XATTR_NAME_MAX	255	/* bytes in an xattr name */
#define ZUS_XATTR_SIZE_MAX	65536	/* bytes in an xattr value */
#define ZUS_FS_NAME_MAX		31	/* bytes in a plugin (fs) name */

#define ZUS_EXPORT __attribute__((visibility("default")))

typedef uint64_t zus_ino_t;

/* Inode attributes, as the kernel wants them. */
struct zus_attr {
	zus_ino_t ino;
	uint64_t generation;	/* bumps when an inode number is reused */
	uint32_t mode;		/* S_IFMT type bits | permission bits */
	uint32_t nlink;
	uint32_t uid;
	uint32_t gid;
	uint64_t rdev;		/* device number (makedev()) of S_IFCHR/S_IFBLK */
	uint64_t size;		/* bytes */
	uint64_t blocks;	/* 512-byte units actually allocated */
	uint32_t blksize;	/* preferred I/O size */
	uint32_t pad;
	struct timespec atime;
	struct timespec mtime;
	struct timespec ctime;
};

/* One extended attribute to set on a new inode, atomically with its
 * creation (LSM labels from the kernel's security hook, ACLs inherited
 * from a default ACL). */
struct zus_xattr {
	const char *name;	/* full name: "security.selinux" */
	const void *value;
	size_t size;
};

/* What the kernel decided for a new inode (create-type ops). */
struct zus_new_inode {
	uint32_t mode;		/* type and permissions, umask applied */
	uint32_t uid;
	uint32_t gid;
	uint32_t nr_xattrs;	/* entries in xattrs[] */
	uint64_t rdev;		/* mknod of S_IFCHR/S_IFBLK */
	/* Attributes the new inode must carry from its first moment: store
	 * them with the inode or fail the create (no half-made inode). A
	 * transport that cannot carry them at creation passes none and sets
	 * them with setxattr right after (zufs kernel protocol 1.1, fuse):
	 * see docs/writing-a-plugin.md. */
	const struct zus_xattr *xattrs;
};

/* struct zus_setattr.valid */
#define ZUS_SET_MODE		(1U << 0)
#define ZUS_SET_UID		(1U << 1)
#define ZUS_SET_GID		(1U << 2)
#define ZUS_SET_SIZE		(1U << 3)	/* truncate / extend */
#define ZUS_SET_ATIME		(1U << 4)
#define ZUS_SET_MTIME		(1U << 5)
#define ZUS_SET_CTIME		(1U << 6)
#define ZUS_SET_ATIME_NOW	(1U << 7)	/* with ZUS_SET_ATIME */
#define ZUS_SET_MTIME_NOW	(1U << 8)	/* with ZUS_SET_MTIME */
#define ZUS_SET_ALL		((1U << 9) - 1)

struct zus_setattr {
	uint32_t valid;		/* ZUS_SET_* */
	uint32_t mode;		/* permission bits only (type bits ignored) */
	uint32_t uid;
	uint32_t gid;
	uint64_t size;
	struct timespec atime;
	struct timespec mtime;
	struct timespec ctime;
};

struct zus_statfs {
	uint64_t blocks;	/* total, in bsize units */
	uint64_t bfree;
	uint64_t bavail;
	uint64_t files;		/* total inodes */
	uint64_t ffree;
	uint32_t bsize;
	uint32_t namelen;	/* <= ZUS_NAME_MAX */
};

/* rename flags (same values as renameat2(2)) */
#define ZUS_RENAME_NOREPLACE	(1U << 0)
#define ZUS_RENAME_EXCHANGE	(1U << 1)
#define ZUS_RENAME_WHITEOUT	(1U << 2)

/* setxattr flags (same values as setxattr(2)) */
#define ZUS_XATTR_CREATE	1
#define ZUS_XATTR_REPLACE	2

/* fallocate modes (same values as fallocate(2)) */
#define ZUS_FALLOC_KEEP_SIZE	0x01
#define ZUS_FALLOC_PUNCH_HOLE	0x02
#define ZUS_FALLOC_ZERO_RANGE	0x10

/* lseek whence accepted by zus_fs_ops.lseek */
#define ZUS_SEEK_DATA		3
#define ZUS_SEEK_HOLE		4

/* write flags */
#define ZUS_WRITE_APPEND	(1U << 0)	/* write at the current end of
						 * file; off is ignored */

/* ---- capabilities: what a plugin wants, what a host can do ----------- */

#define ZUS_CAP_XATTR		(1ULL << 0)	/* getxattr..removexattr */
#define ZUS_CAP_ACL		(1ULL << 1)	/* POSIX ACLs, kept as the
						 * system.posix_acl_* xattrs
						 * (needs ZUS_CAP_XATTR) */
#define ZUS_CAP_MMAP		(1ULL << 2)	/* shared writable mmap */
#define ZUS_CAP_FALLOCATE	(1ULL << 3)	/* fallocate */
#define ZUS_CAP_TMPFILE		(1ULL << 4)	/* tmpfile (O_TMPFILE) */
#define ZUS_CAP_COPY_RANGE	(1ULL << 5)	/* copy_range */
#define ZUS_CAP_SEEK_DATA	(1ULL << 6)	/* lseek SEEK_DATA/SEEK_HOLE */
#define ZUS_CAP_RENAME_EXCHANGE	(1ULL << 7)	/* rename RENAME_EXCHANGE */
#define ZUS_CAP_OPEN		(1ULL << 8)	/* open/release, opendir/
						 * releasedir, flush, create
						 * (per-open handles) */
#define ZUS_CAP_NOTIFY		(1ULL << 9)	/* host->notify_* work */
#define ZUS_CAP_ALL		((1ULL << 10) - 1)

/* The ops each capability needs (checked when the plugin is loaded; a
 * wanted capability whose ops are missing refuses the plugin):
 *   XATTR: getxattr setxattr listxattr removexattr; ACL: XATTR;
 *   FALLOCATE: fallocate; TMPFILE: tmpfile; COPY_RANGE: copy_range;
 *   SEEK_DATA: lseek; OPEN: open release (opendir/releasedir/flush/
 *   create/fsyncdir optional); RENAME_EXCHANGE, MMAP, NOTIFY: none. */

/* Transports (zus_conn.transport). */
#define ZUS_TRANSPORT_ZUFS	1	/* zuf.ko over ucchan */
#define ZUS_TRANSPORT_FUSE	2	/* a stock kernel over libfuse 3 */

/* zus_conn.flags */
#define ZUS_CONN_RDONLY		(1U << 0)	/* the plugin serves read-only
						 * mounts only */

/*
 * The connection between a plugin and its host, handed to init(). The
 * host fills it with defaults and what it can do; the plugin states its
 * limits and wishes in the fields marked "plugin". Fields appended in
 * later minor versions are zero for an older plugin (the host fills the
 * struct to its own size and a plugin reads only conn->size bytes).
 */
struct zus_conn {
	uint32_t size;		/* host: sizeof(struct zus_conn) */
	uint32_t transport;	/* host: ZUS_TRANSPORT_* */
	uint64_t capable;	/* host: ZUS_CAP_* the transport supports */
	uint64_t want;		/* plugin: ZUS_CAP_* it wants (default 0) */
	uint64_t max_io;	/* plugin: bytes per read/write call
				 * (0: as large as the transport allows) */
	uint64_t max_file_size;	/* plugin: 0 = no limit below the kernel's */
	uint32_t time_gran;	/* plugin: timestamp granularity in ns,
				 * 1..10^9 (0 = 1) */
	uint32_t blksize;	/* plugin: st_blksize / statfs unit (0 = 4096) */
	uint32_t flags;		/* plugin: ZUS_CONN_* */
	uint32_t pad;
	uint64_t reserved[8];
};

/* mount() flags */
#define ZUS_MOUNT_RDONLY	(1U << 0)	/* mounted read-only */
/*
 * The kernel kept this mount while its server died; this zusd re-attaches
 * it. The file system must be the one it was (the host compares the
 * zus_sb.fs_id mount() sets with the old one), and the kernel may still
 * hold inodes the last server handed out, among them unlinked ones that
 * are open: do not free orphans (unlinked inodes still referenced) on
 * such a mount; the next ordinary mount may.
 */
#define ZUS_MOUNT_REATTACH	(1U << 1)

#define ZUS_FS_ID_LEN		16

/* One mounted instance of a plugin. Allocated and owned by the host. */
struct zus_sb {
	uint64_t sb_id;			/* the host's id for this mount */
	const struct zus_plugin *plugin;
	void *priv;			/* the plugin's; set it in mount() */
	void *fs_priv;			/* what init() stored (plugin-wide) */
	const struct zus_host *host;	/* == what init() received */
	unsigned int mount_flags;	/* ZUS_MOUNT_* */
	/*
	 * The file system's identity, set by mount() (e.g. the uuid of its
	 * media). All zero (the default): none, and a mount whose server
	 * died cannot be re-attached (zufs transport; see docs/zuf.md,
	 * "Crash and restart"). Only a file system whose state outlives the
	 * server (persistent media) may set one.
	 */
	uint8_t fs_id[ZUS_FS_ID_LEN];
};

/* zus_ctx.flags */
#define ZUS_CTX_FH		(1U << 0)	/* fh is the handle of the open
						 * file the op is about */
#define ZUS_CTX_KERNEL		(1U << 1)	/* kernel work (writeback,
						 * reclaim): no caller, pid 0 */

/*
 * Request context, the first argument of every op. Valid during the op
 * only. Grows by appending (size says how much the host filled).
 */
struct zus_ctx {
	uint32_t size;		/* sizeof(struct zus_ctx) of the host */
	uint32_t flags;		/* ZUS_CTX_* */
	struct zus_sb *sb;	/* the superblock */
	uint32_t uid;		/* caller's fsuid */
	uint32_t gid;		/* caller's fsgid */
	uint32_t pid;		/* caller's tgid; 0 for kernel work */
	uint32_t pad;
	uint64_t fh;		/* per-open handle (with ZUS_CTX_FH), else 0 */
	uint64_t reserved[4];
};

/* What open, opendir and create fill in (zeroed by the host). */
struct zus_open_out {
	uint64_t fh;		/* the plugin's handle for this open */
	uint32_t flags;		/* ZUS_OPEN_* */
	uint32_t pad;
};

/* zus_open_out.flags */
#define ZUS_OPEN_DIRECT_IO	(1U << 0)	/* no page cache for this open
						 * (fuse; zufs never caches
						 * file data but for mmap) */
#define ZUS_OPEN_KEEP_CACHE	(1U << 1)	/* cached data stays valid */
#define ZUS_OPEN_NONSEEKABLE	(1U << 2)

/* Filled by readdir through host->dir_emit(); opaque. */
struct zus_dir_ctx;

/* Directory entry types for dir_emit (same values as DT_*). */
#define ZUS_DT_UNKNOWN	0
#define ZUS_DT_FIFO	1
#define ZUS_DT_CHR	2
#define ZUS_DT_DIR	4
#define ZUS_DT_BLK	6
#define ZUS_DT_REG	8
#define ZUS_DT_LNK	10
#define ZUS_DT_SOCK	12

/* First readdir cookie a plugin may hand out. 0, 1 and 2 are reserved
 * (start of directory; the kernel uses 1 and 2 for "." and ".."). */
#define ZUS_DIR_COOKIE_FIRST	3

/* readdir's reply when the directory ended after what it emitted. */
#define ZUS_DIR_EOF		1

/* Log levels for host->log (syslog priorities). */
#define ZUS_LOG_ERR	3
#define ZUS_LOG_WARNING	4
#define ZUS_LOG_NOTICE	5
#define ZUS_LOG_INFO	6
#define ZUS_LOG_DEBUG	7

/* host->opt_parse callback: one key[=value] of a mount option string
 * (value NULL when there was no '='). Return 0 to go on, a -errno to stop
 * (opt_parse returns it). */
typedef int (*zus_opt_fn)(void *arg, const char *key, const char *value);

#define ZUS_HOST_VERSION	1

/*
 * Services of the host, handed to init() and kept in every zus_sb. The
 * table is the host's and lives until destroy() returns. Members appended
 * in later versions: check host->size before using one newer than the
 * version a plugin was built for (ZUS_HOST_HAS(host, member)).
 */
struct zus_host {
	uint32_t size;		/* sizeof(struct zus_host) of the host */
	uint32_t version;	/* ZUS_HOST_VERSION of the host */

	/* Log through the host's logger (stderr/journal, level-filtered). */
	void (*log)(int level, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));
	void (*vlog)(int level, const char *fmt, va_list ap);

	/*
	 * dir_emit: add one entry to a readdir reply. cookie is the position
	 * after this entry (>= ZUS_DIR_COOKIE_FIRST, < 2^63), type a
	 * ZUS_DT_* value. Returns 0 when the entry was added, 1 when the
	 * reply is full (the entry was NOT added: stop and return 0; it will
	 * be asked for again from the previous cookie), -EINVAL on a bad
	 * argument.
	 */
	int (*dir_emit)(struct zus_dir_ctx *dctx, const char *name,
			size_t namelen, zus_ino_t ino, unsigned int type,
			uint64_t cookie);

	/*
	 * opt_parse: split a mount option string ("a,b=1,c=x\,y") at commas
	 * ('\' escapes a comma or a backslash) and call fn for each
	 * key[=value], in order; empty items are skipped. Returns 0, fn's
	 * first error, -EINVAL for a key longer than 255 bytes or a value
	 * longer than 4095, -ENOMEM.
	 */
	int (*opt_parse)(const char *options, zus_opt_fn fn, void *arg);
	/*
	 * parse_size: a size with an optional k/m/g/t suffix (powers of 1024,
	 * either case). Returns 0 and *out; -EINVAL (not a number, unknown
	 * suffix); -ERANGE (over 2^64 - 1).
	 */
	int (*parse_size)(const char *s, uint64_t *out);

	/*
	 * Notifications: tell the kernel that something changed behind its
	 * back (a shared or remote back end, a tiering engine), so that
	 * cached attributes, pages and dentries are dropped. Need
	 * ZUS_CAP_NOTIFY (else -ENOSYS). They may be called from any thread,
	 * inside an op too: the host queues them and the kernel applies them
	 * shortly after, in order per superblock; a 0 return means "queued"
	 * (or: the kernel had nothing of it cached). The same on every
	 * transport: -ENOSYS (not agreed); -EINVAL (ino or dir 0, off < 0
	 * with len != 0, len < 0, a bad name); -EAGAIN (the mount's queue is
	 * full: send it again later); -ENOMEM; -ESHUTDOWN (the mount is
	 * going away: from the start of its umount on, inside umount too).
	 * Inside the plugin's mount they return 0 and send nothing: the
	 * kernel has nothing of the new mount cached yet.
	 *
	 * notify_inval_inode: off < 0: only the attributes; else the
	 *   attributes and the data in [off, off + len) (len 0: to the end).
	 * notify_inval_entry: the dentry name in dir (and the negative one).
	 */
	int (*notify_inval_inode)(struct zus_sb *sb, zus_ino_t ino,
				  int64_t off, int64_t len);
	int (*notify_inval_entry)(struct zus_sb *sb, zus_ino_t dir,
				  const char *name, size_t namelen);
};

#define ZUS_HOST_HAS(host, member) \
	((host)->size >= offsetof(struct zus_host, member) + \
	 sizeof((host)->member) && (host)->member)

/*
 * The file system's ops. Every plugin defines one static const instance
 * with designated initialisers and .size = sizeof(struct zus_fs_ops).
 * Each method's contract lists its valid replies; the host checks the
 * replies (types, lengths, counts) before they go to the kernel and turns a
 * broken reply into -EIO.
 */
struct zus_fs_ops {
	size_t size;		/* sizeof(struct zus_fs_ops) as compiled */

	/* ---- plugin ---------------------------------------------------- */

	/*
	 * init: called once, after the plugin is loaded and before any
	 * mount. State limits and wishes in *conn (want is checked against
	 * conn->capable: a wanted capability the transport lacks is dropped
	 * with a notice; one whose ops are missing refuses the plugin).
	 * *fs_priv (NULL on entry) is handed to destroy and is in every
	 * zus_sb. Replies: 0; -errno refuses the plugin. Optional.
	 */
	int (*init)(const struct zus_host *host, struct zus_conn *conn,
		    void **fs_priv);
	/* destroy: after the last umount, before dlclose(). Optional. */
	void (*destroy)(void *fs_priv);

	/* ---- superblock ------------------------------------------------ */

	/*
	 * mount: create a superblock instance (ctx->sb; set ctx->sb->priv).
	 * source and options are what the user passed to mount(8) (options
	 * without the ones the host keeps, "" when none); flags ZUS_MOUNT_*.
	 * Store the root directory's inode number in *root. Replies: 0;
	 * -EINVAL (bad options); -EROFS (a read-write mount of something
	 * that is read-only); -ENOMEM; any -errno. Required.
	 */
	int (*mount)(const struct zus_ctx *ctx, const char *source,
		     const char *options, unsigned int flags, zus_ino_t *root);
	/* umount: free everything sb->priv owns. Always succeeds. */
	void (*umount)(struct zus_sb *sb);
	/* statfs: fill *st. Replies: 0, -errno. */
	int (*statfs)(const struct zus_ctx *ctx, struct zus_statfs *st);
	/* sync_fs: make everything durable (syncfs(2)). Replies: 0, -errno. */
	int (*sync_fs)(const struct zus_ctx *ctx, int wait);

	/* ---- inodes ---------------------------------------------------- */

	/*
	 * lookup: find name in directory dir; fill *attr; counts as a lookup.
	 * Replies: 0; -ENOENT; -ENOTDIR (dir is not a directory).
	 */
	int (*lookup)(const struct zus_ctx *ctx, zus_ino_t dir,
		      const char *name, size_t namelen, struct zus_attr *attr);
	/* forget: the kernel dropped nlookup references to ino. No reply. */
	void (*forget)(const struct zus_ctx *ctx, zus_ino_t ino,
		       uint64_t nlookup);
	/* getattr: fill *attr. Replies: 0; -ENOENT (stale ino). */
	int (*getattr)(const struct zus_ctx *ctx, zus_ino_t ino,
		       struct zus_attr *attr);
	/*
	 * setattr: change the attributes selected by sa->valid (ZUS_SET_SIZE
	 * truncates or extends; sparse), update ctime, fill *attr with the
	 * result. ctx->fh is set for ftruncate/fchmod where the transport
	 * says which open it was. Replies: 0; -EISDIR (size of a directory);
	 * -EFBIG; -ENOSPC; -ENOENT.
	 */
	int (*setattr)(const struct zus_ctx *ctx, zus_ino_t ino,
		       const struct zus_setattr *sa, struct zus_attr *attr);
	/*
	 * mknod: create name in dir of type ni->mode & S_IFMT, one of S_IFREG,
	 * S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK (the host refuses others).
	 * Fill *attr (a lookup). Replies: 0; -EEXIST; -ENOSPC; -ENOTDIR.
	 */
	int (*mknod)(const struct zus_ctx *ctx, zus_ino_t dir,
		     const char *name, size_t namelen,
		     const struct zus_new_inode *ni, struct zus_attr *attr);
	/* mkdir: as mknod, ni->mode type is S_IFDIR. */
	int (*mkdir)(const struct zus_ctx *ctx, zus_ino_t dir,
		     const char *name, size_t namelen,
		     const struct zus_new_inode *ni, struct zus_attr *attr);
	/*
	 * symlink: create name in dir pointing at target (1..ZUS_SYMLINK_MAX
	 * bytes, NUL terminated). Replies as mknod.
	 */
	int (*symlink)(const struct zus_ctx *ctx, zus_ino_t dir,
		       const char *name, size_t namelen, const char *target,
		       size_t targetlen, const struct zus_new_inode *ni,
		       struct zus_attr *attr);
	/*
	 * readlink: copy the target (no NUL) into buf. Replies: its length
	 * (<= size); -EINVAL (not a symlink); -ERANGE (buf too small).
	 */
	ssize_t (*readlink)(const struct zus_ctx *ctx, zus_ino_t ino,
			    char *buf, size_t size);
	/*
	 * link: add a name for ino in newdir; fill *attr (a lookup).
	 * Replies: 0; -EEXIST; -EPERM (ino is a directory); -EMLINK.
	 */
	int (*link)(const struct zus_ctx *ctx, zus_ino_t ino, zus_ino_t newdir,
		    const char *name, size_t namelen, struct zus_attr *attr);
	/* unlink: remove a non-directory name. Replies: 0; -ENOENT; -EISDIR. */
	int (*unlink)(const struct zus_ctx *ctx, zus_ino_t dir,
		      const char *name, size_t namelen);
	/* rmdir: remove an empty directory. Replies: 0; -ENOENT; -ENOTDIR;
	 * -ENOTEMPTY. */
	int (*rmdir)(const struct zus_ctx *ctx, zus_ino_t dir,
		     const char *name, size_t namelen);
	/*
	 * rename: renameat2(2) semantics for flags 0, ZUS_RENAME_NOREPLACE
	 * and ZUS_RENAME_EXCHANGE. Replies: 0; -ENOENT; -EEXIST (NOREPLACE);
	 * -ENOTEMPTY; -EISDIR; -ENOTDIR; -EINVAL (directory into itself,
	 * unsupported flag).
	 */
	int (*rename)(const struct zus_ctx *ctx, zus_ino_t olddir,
		      const char *oldname, size_t oldlen, zus_ino_t newdir,
		      const char *newname, size_t newlen, unsigned int flags);
	/*
	 * tmpfile: create an unnamed inode (nlink 0) "in" dir (O_TMPFILE).
	 * Fill *attr (a lookup). The kernel then opens it (open). Replies as
	 * mknod.
	 */
	int (*tmpfile)(const struct zus_ctx *ctx, zus_ino_t dir,
		       const struct zus_new_inode *ni, struct zus_attr *attr);

	/* ---- open files (ZUS_CAP_OPEN) --------------------------------- */

	/*
	 * create: create the regular file name in dir and open it, in one
	 * step (open(2) with O_CREAT that made the file). flags are the
	 * open(2) flags (O_CREAT/O_EXCL/O_NOCTTY/O_TRUNC stripped). Fill
	 * *attr (a lookup) and *out. Replies as mknod. Without it the host
	 * uses mknod and then open.
	 */
	int (*create)(const struct zus_ctx *ctx, zus_ino_t dir,
		      const char *name, size_t namelen,
		      const struct zus_new_inode *ni, unsigned int flags,
		      struct zus_attr *attr, struct zus_open_out *out);
	/*
	 * open: an open(2) of ino (regular file; O_CREAT/O_EXCL/O_NOCTTY/
	 * O_TRUNC stripped: truncation comes as a setattr). Fill *out; every
	 * op on this open gets out->fh in ctx->fh. Replies: 0; -EACCES;
	 * -EROFS; -errno.
	 */
	int (*open)(const struct zus_ctx *ctx, zus_ino_t ino,
		    unsigned int flags, struct zus_open_out *out);
	/* flush: close(2) of one descriptor of the open ctx->fh (called once
	 * per close, maybe several times per open). Replies: 0; -errno
	 * (close(2) returns it). */
	int (*flush)(const struct zus_ctx *ctx, zus_ino_t ino);
	/* release: the last reference to the open ctx->fh is gone. No
	 * reply. */
	void (*release)(const struct zus_ctx *ctx, zus_ino_t ino,
			unsigned int flags);
	/* opendir/releasedir: as open/release, for a directory; readdir
	 * and fsyncdir of this open get out->fh in ctx->fh. */
	int (*opendir)(const struct zus_ctx *ctx, zus_ino_t ino,
		       unsigned int flags, struct zus_open_out *out);
	void (*releasedir)(const struct zus_ctx *ctx, zus_ino_t ino,
			   unsigned int flags);
	/* fsyncdir: make dir's entries durable. Replies: 0, -errno. Without
	 * it fsync of a directory calls fsync. */
	int (*fsyncdir)(const struct zus_ctx *ctx, zus_ino_t ino,
			int datasync);

	/* ---- directories ----------------------------------------------- */

	/*
	 * readdir: emit the entries of dir that come after cookie (cookie <
	 * ZUS_DIR_COOKIE_FIRST means from the start) with host->dir_emit()
	 * until it returns 1 (reply full: return 0) or the directory ends
	 * (return ZUS_DIR_EOF). Do not emit "." and "..". Each entry carries
	 * the cookie that resumes after it; cookies must grow and stay valid
	 * while the directory changes (an entry added or removed does not
	 * make readdir skip or repeat others). Replies: ZUS_DIR_EOF; 0 only
	 * right after dir_emit returned 1 (anything else is a plugin bug,
	 * answered with -EIO); -ENOTDIR.
	 */
	int (*readdir)(const struct zus_ctx *ctx, zus_ino_t dir,
		       uint64_t cookie, struct zus_dir_ctx *dctx);

	/* ---- file data ------------------------------------------------- */

	/*
	 * read: copy up to len bytes at off into buf (the application's
	 * buffer). Holes read as zeros. Replies: bytes read (<= len; 0 at or
	 * past end of file); -EISDIR; -EINVAL.
	 */
	ssize_t (*read)(const struct zus_ctx *ctx, zus_ino_t ino, void *buf,
			size_t len, uint64_t off);
	/*
	 * write: copy len bytes from buf to off (or end of file with
	 * ZUS_WRITE_APPEND), extending the file; update mtime/ctime.
	 * Replies: bytes written (<= len; short only on -ENOSPC/-EFBIG
	 * after some bytes); -ENOSPC; -EFBIG; -EISDIR.
	 */
	ssize_t (*write)(const struct zus_ctx *ctx, zus_ino_t ino,
			 const void *buf, size_t len, uint64_t off,
			 unsigned int flags);
	/*
	 * fallocate: mode 0 allocates (and extends), ZUS_FALLOC_KEEP_SIZE
	 * allocates without extending, ZUS_FALLOC_PUNCH_HOLE (always with
	 * KEEP_SIZE) frees the range, ZUS_FALLOC_ZERO_RANGE zeroes it.
	 * Replies: 0; -EOPNOTSUPP (mode); -ENOSPC; -EFBIG.
	 */
	int (*fallocate)(const struct zus_ctx *ctx, zus_ino_t ino,
			 unsigned int mode, uint64_t off, uint64_t len);
	/*
	 * lseek: ZUS_SEEK_DATA / ZUS_SEEK_HOLE from off. Replies: the offset
	 * found (>= off); -ENXIO (off at/after EOF, or no data after off).
	 */
	int64_t (*lseek)(const struct zus_ctx *ctx, zus_ino_t ino,
			 uint64_t off, int whence);
	/* fsync: make ino durable. Replies: 0, -errno. */
	int (*fsync)(const struct zus_ctx *ctx, zus_ino_t ino, int datasync);
	/*
	 * copy_range: copy len bytes of ino_in at off_in (its open: fh_in) to
	 * ino_out at off_out (its open: ctx->fh), extending ino_out; update
	 * its mtime/ctime. The ranges may be of the same file but never
	 * overlap. Replies: bytes copied (<= len; 0 when off_in is at or past
	 * the end of ino_in; short at its end); -EISDIR; -EINVAL; -ENOSPC;
	 * -EFBIG.
	 */
	ssize_t (*copy_range)(const struct zus_ctx *ctx, zus_ino_t ino_in,
			      uint64_t fh_in, uint64_t off_in,
			      zus_ino_t ino_out, uint64_t off_out, size_t len);

	/* ---- extended attributes (ZUS_CAP_XATTR) ----------------------- */

	/*
	 * getxattr: name is the full name ("user.foo", "trusted.x",
	 * "security.selinux", "system.posix_acl_access", ...). With size 0
	 * return the value's length; else copy it to buf. Replies: length;
	 * -ENODATA; -ERANGE (size too small).
	 */
	ssize_t (*getxattr)(const struct zus_ctx *ctx, zus_ino_t ino,
			    const char *name, void *buf, size_t size);
	/* setxattr: flags ZUS_XATTR_CREATE/REPLACE. Replies: 0; -EEXIST;
	 * -ENODATA; -ENOSPC. */
	int (*setxattr)(const struct zus_ctx *ctx, zus_ino_t ino,
			const char *name, const void *value, size_t size,
			unsigned int flags);
	/*
	 * listxattr: NUL-terminated names back to back, as listxattr(2).
	 * With size 0 return the length needed. Replies: length; -ERANGE.
	 */
	ssize_t (*listxattr)(const struct zus_ctx *ctx, zus_ino_t ino,
			     char *buf, size_t size);
	/* removexattr: Replies: 0; -ENODATA. */
	int (*removexattr)(const struct zus_ctx *ctx, zus_ino_t ino,
			   const char *name);
};

/* The smallest ops table a host accepts: up to and including .mount. */
#define ZUS_FS_OPS_MIN_SIZE \
	(offsetof(struct zus_fs_ops, mount) + sizeof(void (*)(void)))

/* What zus_plugin_entry() returns. Must stay valid until dlclose(). */
struct zus_plugin {
	uint32_t size;			/* sizeof(struct zus_plugin) */
	uint32_t abi_version;		/* ZUS_ABI_VERSION */
	const char *name;		/* fs name: [a-z0-9_-], 1..31 bytes */
	const char *description;	/* one line, for zusd -v and logs */
	const struct zus_fs_ops *ops;
};

/* Signature of the entry point. Define it with ZUS_EXPORT. */
typedef const struct zus_plugin *(*zus_plugin_entry_fn)(void);
ZUS_EXPORT const struct zus_plugin *zus_plugin_entry(void);

#ifdef __cplusplus
}
#endif

#endif /* ZUS_H */
