/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * zus.h - the zufs server plugin API.
 *
 * A zufs file system is a shared object ("plugin") that zusd loads with
 * dlopen(). It exports exactly one symbol, zus_plugin_entry(), which returns
 * a struct zus_plugin describing the file system and pointing at its ops
 * table (struct zus_fs_ops). zusd receives requests from the zuf kernel
 * module, validates them once, centrally, and calls the ops below.
 *
 * Conventions
 *   - Every op returns 0 (or a non-negative count where stated) on success
 *     and a negative errno (-1..-511, the errnos user space knows) on
 *     failure; anything else is answered with -EIO. errno itself is never
 *     looked at.
 *   - A NULL op, or an op beyond the end of the plugin's table (ops->size
 *     too small to contain it), is answered with -ENOSYS by the library.
 *   - Inodes are named by 64-bit inode numbers (zus_ino_t) chosen by the
 *     plugin; 0 is never a valid inode number.
 *   - Names handed to ops are validated by the library: 1..ZUS_NAME_MAX
 *     bytes, no '/', no NUL, never "." or "..". They are NUL terminated
 *     for convenience; namelen is their length.
 *   - Permission checks are done by the kernel before a request is sent.
 *     Create-type ops receive the new inode's mode/uid/gid from the kernel
 *     in struct zus_new_inode.
 *   - Ops are called concurrently from one worker thread per CPU. A plugin
 *     does its own locking (a lock per superblock is fine: see memfs).
 *   - Data ops (read/write) see the application's buffer directly: buf
 *     points into the worker's ucchan window (zero copy). Never keep the
 *     pointer after the op returns.
 *
 * Lookup counts (as in FUSE): every op that returns an inode to the kernel
 * in a struct zus_attr (lookup, mknod, mkdir, symlink, link, tmpfile) adds
 * one to that inode's lookup count. forget(ino, n) removes n. An inode with
 * no links and a zero lookup count can be freed. The root inode returned by
 * mount is pinned for the lifetime of the superblock and never forgotten.
 */
#ifndef ZUS_H
#define ZUS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Major ABI version of struct zus_plugin / struct zus_fs_ops. A plugin
 * built for another major version is refused. Growth within a major
 * version happens by appending ops (see zus_fs_ops.size). */
#define ZUS_ABI_VERSION		1

/* The one symbol zusd looks up in a plugin. */
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

/* What the kernel decided for a new inode (create-type ops). */
struct zus_new_inode {
	uint32_t mode;		/* type and permissions, umask applied */
	uint32_t uid;
	uint32_t gid;
	uint32_t pad;
	uint64_t rdev;		/* mknod of S_IFCHR/S_IFBLK */
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

/* One mounted instance of a plugin. Allocated and owned by libzus. */
struct zus_sb {
	uint64_t sb_id;			/* id the kernel uses for this mount */
	const struct zus_plugin *plugin;
	void *priv;			/* the plugin's; set it in mount() */
};

/* Filled by readdir through zus_dir_emit(); opaque. */
struct zus_dir_ctx;

/* Directory entry types for zus_dir_emit (same values as DT_*). */
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

/*
 * The file system's ops. Every plugin defines one static const instance
 * with designated initialisers and .size = sizeof(struct zus_fs_ops).
 * Each method's contract lists its valid replies; the library checks the
 * replies (types, lengths, counts) before they go to the kernel and turns a
 * broken reply into -EIO.
 */
struct zus_fs_ops {
	size_t size;		/* sizeof(struct zus_fs_ops) as compiled */

	/* ---- superblock ------------------------------------------------ */

	/*
	 * mount: create a superblock instance. source and options are what
	 * the user passed to mount(8) (options without the ones zuf keeps,
	 * "" when none). Set sb->priv; store the root directory's inode
	 * number in *root. Replies: 0; -EINVAL (bad options); -ENOMEM;
	 * any -errno. Required: a table without mount is refused at load.
	 */
	int (*mount)(struct zus_sb *sb, const char *source,
		     const char *options, zus_ino_t *root);
	/* umount: free everything sb->priv owns. Always succeeds. */
	void (*umount)(struct zus_sb *sb);
	/* statfs: fill *st. Replies: 0, -errno. */
	int (*statfs)(struct zus_sb *sb, struct zus_statfs *st);
	/* sync_fs: make everything durable (syncfs(2)). Replies: 0, -errno. */
	int (*sync_fs)(struct zus_sb *sb, int wait);

	/* ---- inodes ---------------------------------------------------- */

	/*
	 * lookup: find name in directory dir; fill *attr; counts as a lookup.
	 * Replies: 0; -ENOENT; -ENOTDIR (dir is not a directory).
	 */
	int (*lookup)(struct zus_sb *sb, zus_ino_t dir, const char *name,
		      size_t namelen, struct zus_attr *attr);
	/* forget: the kernel dropped nlookup references to ino. No reply. */
	void (*forget)(struct zus_sb *sb, zus_ino_t ino, uint64_t nlookup);
	/* getattr: fill *attr. Replies: 0; -ENOENT (stale ino). */
	int (*getattr)(struct zus_sb *sb, zus_ino_t ino, struct zus_attr *attr);
	/*
	 * setattr: change the attributes selected by sa->valid (ZUS_SET_SIZE
	 * truncates or extends; sparse), update ctime, fill *attr with the
	 * result. Replies: 0; -EISDIR (size of a directory); -EFBIG;
	 * -ENOSPC; -ENOENT.
	 */
	int (*setattr)(struct zus_sb *sb, zus_ino_t ino,
		       const struct zus_setattr *sa, struct zus_attr *attr);
	/*
	 * mknod: create name in dir of type ni->mode & S_IFMT, one of S_IFREG,
	 * S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK (the library refuses others).
	 * Fill *attr (a lookup). Replies: 0; -EEXIST; -ENOSPC; -ENOTDIR.
	 */
	int (*mknod)(struct zus_sb *sb, zus_ino_t dir, const char *name,
		     size_t namelen, const struct zus_new_inode *ni,
		     struct zus_attr *attr);
	/* mkdir: as mknod, ni->mode type is S_IFDIR. */
	int (*mkdir)(struct zus_sb *sb, zus_ino_t dir, const char *name,
		     size_t namelen, const struct zus_new_inode *ni,
		     struct zus_attr *attr);
	/*
	 * symlink: create name in dir pointing at target (1..ZUS_SYMLINK_MAX
	 * bytes, NUL terminated). Replies as mknod.
	 */
	int (*symlink)(struct zus_sb *sb, zus_ino_t dir, const char *name,
		       size_t namelen, const char *target, size_t targetlen,
		       const struct zus_new_inode *ni, struct zus_attr *attr);
	/*
	 * readlink: copy the target (no NUL) into buf. Replies: its length
	 * (<= size); -EINVAL (not a symlink); -ERANGE (buf too small).
	 */
	ssize_t (*readlink)(struct zus_sb *sb, zus_ino_t ino, char *buf,
			    size_t size);
	/*
	 * link: add a name for ino in newdir; fill *attr (a lookup).
	 * Replies: 0; -EEXIST; -EPERM (ino is a directory); -EMLINK.
	 */
	int (*link)(struct zus_sb *sb, zus_ino_t ino, zus_ino_t newdir,
		    const char *name, size_t namelen, struct zus_attr *attr);
	/* unlink: remove a non-directory name. Replies: 0; -ENOENT; -EISDIR. */
	int (*unlink)(struct zus_sb *sb, zus_ino_t dir, const char *name,
		      size_t namelen);
	/* rmdir: remove an empty directory. Replies: 0; -ENOENT; -ENOTDIR;
	 * -ENOTEMPTY. */
	int (*rmdir)(struct zus_sb *sb, zus_ino_t dir, const char *name,
		     size_t namelen);
	/*
	 * rename: renameat2(2) semantics for flags 0, ZUS_RENAME_NOREPLACE
	 * and ZUS_RENAME_EXCHANGE. Replies: 0; -ENOENT; -EEXIST (NOREPLACE);
	 * -ENOTEMPTY; -EISDIR; -ENOTDIR; -EINVAL (directory into itself,
	 * unsupported flag).
	 */
	int (*rename)(struct zus_sb *sb, zus_ino_t olddir, const char *oldname,
		      size_t oldlen, zus_ino_t newdir, const char *newname,
		      size_t newlen, unsigned int flags);
	/*
	 * tmpfile: create an unnamed inode (nlink 0) "in" dir (O_TMPFILE).
	 * Fill *attr (a lookup). Replies as mknod.
	 */
	int (*tmpfile)(struct zus_sb *sb, zus_ino_t dir,
		       const struct zus_new_inode *ni, struct zus_attr *attr);

	/* ---- directories ----------------------------------------------- */

	/*
	 * readdir: emit the entries of dir that come after cookie (cookie <
	 * ZUS_DIR_COOKIE_FIRST means from the start) with zus_dir_emit()
	 * until it returns 1 (buffer full) or the directory ends. Do not emit
	 * "." and "..". Each entry carries the cookie that resumes after it;
	 * cookies must stay valid while the directory changes (an entry
	 * added or removed does not make readdir skip or repeat others).
	 * Replies: 0; -ENOTDIR.
	 */
	int (*readdir)(struct zus_sb *sb, zus_ino_t dir, uint64_t cookie,
		       struct zus_dir_ctx *ctx);

	/* ---- file data ------------------------------------------------- */

	/*
	 * read: copy up to len bytes at off into buf (the application's
	 * buffer). Holes read as zeros. Replies: bytes read (<= len; 0 at or
	 * past end of file); -EISDIR; -EINVAL.
	 */
	ssize_t (*read)(struct zus_sb *sb, zus_ino_t ino, void *buf,
			size_t len, uint64_t off);
	/*
	 * write: copy len bytes from buf to off (or end of file with
	 * ZUS_WRITE_APPEND), extending the file; update mtime/ctime.
	 * Replies: bytes written (<= len; short only on -ENOSPC/-EFBIG
	 * after some bytes); -ENOSPC; -EFBIG; -EISDIR.
	 */
	ssize_t (*write)(struct zus_sb *sb, zus_ino_t ino, const void *buf,
			 size_t len, uint64_t off, unsigned int flags);
	/*
	 * fallocate: mode 0 allocates (and extends), ZUS_FALLOC_KEEP_SIZE
	 * allocates without extending, ZUS_FALLOC_PUNCH_HOLE (always with
	 * KEEP_SIZE) frees the range, ZUS_FALLOC_ZERO_RANGE zeroes it.
	 * Replies: 0; -EOPNOTSUPP (mode); -ENOSPC; -EFBIG.
	 */
	int (*fallocate)(struct zus_sb *sb, zus_ino_t ino, unsigned int mode,
			 uint64_t off, uint64_t len);
	/*
	 * lseek: ZUS_SEEK_DATA / ZUS_SEEK_HOLE from off. Replies: the offset
	 * found (>= off); -ENXIO (off at/after EOF, or no data after off).
	 * Without this op the kernel treats the file as all data.
	 */
	int64_t (*lseek)(struct zus_sb *sb, zus_ino_t ino, uint64_t off,
			 int whence);
	/* fsync: make ino durable. Replies: 0, -errno. */
	int (*fsync)(struct zus_sb *sb, zus_ino_t ino, int datasync);

	/* ---- extended attributes --------------------------------------- */

	/*
	 * getxattr: name is the full name ("user.foo", "trusted.x",
	 * "security.selinux", "system.posix_acl_access", ...). With size 0
	 * return the value's length; else copy it to buf. Replies: length;
	 * -ENODATA; -ERANGE (size too small).
	 */
	ssize_t (*getxattr)(struct zus_sb *sb, zus_ino_t ino, const char *name,
			    void *buf, size_t size);
	/* setxattr: flags ZUS_XATTR_CREATE/REPLACE. Replies: 0; -EEXIST;
	 * -ENODATA; -ENOSPC. */
	int (*setxattr)(struct zus_sb *sb, zus_ino_t ino, const char *name,
			const void *value, size_t size, unsigned int flags);
	/*
	 * listxattr: NUL-terminated names back to back, as listxattr(2).
	 * With size 0 return the length needed. Replies: length; -ERANGE.
	 */
	ssize_t (*listxattr)(struct zus_sb *sb, zus_ino_t ino, char *buf,
			     size_t size);
	/* removexattr: Replies: 0; -ENODATA. */
	int (*removexattr)(struct zus_sb *sb, zus_ino_t ino, const char *name);

	/* ---- appended in ABI 1 (the table's size says who has them) ----- */

	/*
	 * copy_range: copy len bytes of ino_in at off_in to ino_out at
	 * off_out (copy_file_range(2) inside one superblock; the ranges may
	 * be of the same file but the kernel never passes overlapping ones),
	 * extending ino_out; update its mtime/ctime. Replies: bytes copied
	 * (<= len; 0 when off_in is at or past the end of ino_in; short at
	 * its end); -EISDIR; -EINVAL (not regular files); -ENOSPC; -EFBIG.
	 * Without it the kernel copies through read and write.
	 */
	ssize_t (*copy_range)(struct zus_sb *sb, zus_ino_t ino_in,
			      uint64_t off_in, zus_ino_t ino_out,
			      uint64_t off_out, size_t len);
};

/* The smallest ops table zusd accepts: up to and including .mount. */
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

/* ---- helpers for plugins (libzus.so) --------------------------------- */

/*
 * zus_dir_emit - add one entry to a readdir reply.
 * cookie is the position after this entry (>= ZUS_DIR_COOKIE_FIRST,
 * < 2^63), type a ZUS_DT_* value. Returns 0 when the entry was added,
 * 1 when the reply is full (the entry was NOT added: stop, it will be
 * asked for again from the previous cookie), -EINVAL on a bad argument.
 */
int zus_dir_emit(struct zus_dir_ctx *ctx, const char *name, size_t namelen,
		 zus_ino_t ino, unsigned int type, uint64_t cookie);

/* Log levels for zus_log (syslog priorities). */
#define ZUS_LOG_ERR	3
#define ZUS_LOG_WARNING	4
#define ZUS_LOG_NOTICE	5
#define ZUS_LOG_INFO	6
#define ZUS_LOG_DEBUG	7

/* zus_log - log a message through zusd's logger (stderr, level-filtered). */
void zus_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif /* ZUS_H */
