/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * zufs - the protocol between zuf.ko (the VFS broker) and a zufs server
 * (zusd and its plugins), carried over a ucchan service.
 *
 * Changelog (minor versions of ZUFS_KERNEL_VERSION 1)
 *   1.0: initial protocol.
 *        Clarified (no change for a correct server): statuses are
 *        [-511, -1]; ZUFS_CAP_ACL needs ZUFS_CAP_XATTR and stores ACLs
 *        in the VFS's posix_acl xattr format.
 *   1.1: ZUFS_OP_BATCH_FORGET (optional): many FORGETs in one request.
 *        A server that answers -ENOSYS gets single FORGETs, as in 1.0.
 *   1.2: Per-open state, with ZUFS_CAP_OPEN agreed and both sides at
 *        minor >= 2 (all optional; -ENOSYS to one of them stops it for
 *        the mount and gives 1.1's behaviour for it):
 *        - OPENDIR/RELEASEDIR: a handle per open directory, passed in
 *          READDIR and FSYNCDIR (else fh 0, as in 1.1);
 *        - FLUSH: once per close(2) of a regular file's descriptor; its
 *          status is close()'s return value (else close() succeeds);
 *        - FSYNCDIR: fsync(2) of a directory (else FSYNC, as in 1.1);
 *        - CREATE: open(2) with O_CREAT of a new regular file, created
 *          and opened in one request (else LOOKUP, MKNOD and OPEN).
 *        ZUFS_CAP_INIT_XATTRS: a new inode's LSM label and inherited
 *        POSIX ACLs travel in the create request itself (MKNOD, MKDIR,
 *        SYMLINK, TMPFILE, CREATE), so an inode never exists without
 *        them (else SETXATTRs after the create, as in 1.1). Offered by
 *        init_in.minor >= 2, not in init_in.caps (see ZUFS_CAP_OFFER_MASK).
 *        Clarified: init_in.caps never holds bits a 1.1 server does not
 *        know (a 1.1 server refuses unknown bits, as the rules below say).
 *        ZUFS_CAP_NOTIFY: the server may send cache invalidations
 *        (ZUFS_NOTIFY_*, end of this file) with UCCHAN_IOC_NOTIFY.
 *        Offered by init_in.minor >= 2, like ZUFS_CAP_INIT_XATTRS.
 *   1.3: Re-attach after a server restart. init_out.fs_id: the file
 *        system's identity (from its media: a persistent file system's
 *        uuid); all zero (what a 1.2 server sends in those reserved
 *        bytes) means "none": the mount cannot be re-attached.
 *        ZUFS_INIT_REATTACH: an INIT from a mount whose server died; it
 *        carries the fs_id the dead server gave. The server mounts the
 *        file system again and must answer the same fs_id, the same caps
 *        and the same root inode (number and generation), else zuf
 *        refuses it and the mount stays dead. A server that does not know
 *        the flag refuses the INIT (unknown flag bit).
 *
 * Transport. Every request is one synchronous ucchan call from zuf.ko
 * (an in-kernel ucchan client, one connection per mount) to the service
 * named by the "service=" mount option:
 *   - the inline request is a struct zufs_in_header, followed by the op's
 *     in struct, followed by the op's names (if any);
 *   - the call's status is the op's result: 0 (or, where stated, a byte
 *     count is carried in the out struct instead) or a negative errno in
 *     [-511, -1] (errnos user space knows; the kernel's own codes from
 *     512 up are not); any other value is a protocol error (-EIO);
 *   - on status 0 the inline reply is exactly the op's out struct (as of
 *     the agreed minor version); any other length is a protocol error
 *     (-EIO). On error the reply is ignored.
 *   - fh 0 means "no handle": page-cache I/O of mmap (ZUFS_IO_PAGECACHE)
 *     and every op when ZUFS_CAP_OPEN was not agreed.
 *   - bulk payloads (file data, symlink targets, readdir records, xattr
 *     values and lists) are NOT inline: they are ucchan client buffers,
 *     bufs[0] of the call. The server reads a UCCHAN_BUF_READ buffer
 *     (WRITE, SYMLINK, SETXATTR) and fills a UCCHAN_BUF_WRITE buffer
 *     (READ, READLINK, READDIR, GETXATTR, LISTXATTR) directly in its
 *     worker window; file data are the application's own pages (zero copy).
 *
 * Names: 1..ZUFS_NAME_MAX bytes, no '/' and no NUL, never "." or "..".
 * A name is carried with an explicit length (namelen) and followed by one
 * NUL byte; the request length covers both. Servers must use namelen.
 *
 * Rules of this protocol: only __u32/__u64 fields, explicit padding;
 * every pad, reserved field and unknown flag bit is zero when sent and
 * must be checked for zero by the receiver (-EINVAL). A struct is never
 * changed in place: growth happens in reserved fields or by appending,
 * announced by a minor version and/or a ZUFS_CAP_* bit.
 *
 * Inode numbers are chosen by the server; 0 is never valid. Every op
 * that returns a struct zufs_attr for an inode the kernel now references
 * (LOOKUP, MKNOD, MKDIR, SYMLINK, LINK, TMPFILE, CREATE) adds one to the
 * inode's lookup count; FORGET removes nlookup. The root inode returned
 * by INIT is never forgotten. Unless it says otherwise (ZUFS_CAP_NOTIFY)
 * the server is the only writer of the file system: the kernel caches
 * dentries, inodes and attributes without timeouts.
 */
#ifndef _UAPI_LINUX_ZUFS_H
#define _UAPI_LINUX_ZUFS_H

#include <linux/types.h>

/* Protocol version: a different major is incompatible; minor is additive. */
#define ZUFS_KERNEL_VERSION		1
#define ZUFS_KERNEL_MINOR_VERSION	3

/* Limits */
#define ZUFS_NAME_MAX		255	/* bytes in a file name */
#define ZUFS_SYMLINK_MAX	4095	/* bytes in a symlink target */
#define ZUFS_XATTR_NAME_MAX	255	/* bytes in an xattr name */
#define ZUFS_XATTR_SIZE_MAX	65536	/* bytes in an xattr value or list */
#define ZUFS_FS_NAME_MAX	32	/* fs (plugin) name incl. the NUL */
#define ZUFS_MOUNT_STR_MAX	1024	/* source or options bytes, no NUL */
/*
 * Smallest ucchan max_inline a zufs service must offer: INIT carries the
 * source and options inline.
 */
#define ZUFS_MIN_INLINE		4096

/* First readdir cookie a server may hand out (0 = start of directory;
 * 1 and 2 are the kernel's "." and "..").
 */
#define ZUFS_DIR_COOKIE_FIRST	3

/*
 * Capability bits (zufs_init_in.caps: what the kernel supports;
 * zufs_init_out.caps: what the server's file system supports, a subset;
 * caps newer than 1.1 are offered by the minor, see ZUFS_CAP_OFFER_MASK).
 * An op whose capability was not agreed is never sent.
 */
#define ZUFS_CAP_XATTR		(1ULL << 0)	/* GET/SET/LIST/REMOVEXATTR */
#define ZUFS_CAP_ACL		(1ULL << 1)	/* POSIX ACLs kept as the
						 * system.posix_acl_* xattrs
						 * in the VFS's xattr format
						 * (version 2, little endian,
						 * init_user_ns ids); needs
						 * ZUFS_CAP_XATTR
						 */
#define ZUFS_CAP_MMAP		(1ULL << 2)	/* shared writable mmap (page
						 * cache written back through
						 * WRITE)
						 */
#define ZUFS_CAP_FALLOCATE	(1ULL << 3)	/* FALLOCATE */
#define ZUFS_CAP_TMPFILE	(1ULL << 4)	/* TMPFILE (O_TMPFILE) */
#define ZUFS_CAP_COPY_RANGE	(1ULL << 5)	/* COPY_RANGE */
#define ZUFS_CAP_SEEK_DATA	(1ULL << 6)	/* LSEEK (SEEK_DATA/HOLE) */
#define ZUFS_CAP_RENAME_EXCHANGE (1ULL << 7)	/* RENAME_EXCHANGE */
#define ZUFS_CAP_OPEN		(1ULL << 8)	/* wants OPEN/RELEASE; with
						 * minor >= 2 also OPENDIR,
						 * RELEASEDIR, FLUSH, FSYNCDIR
						 * and CREATE
						 */
#define ZUFS_CAP_INIT_XATTRS	(1ULL << 9)	/* 1.2: initial xattrs in the
						 * create requests (see "Initial
						 * xattrs"); needs
						 * ZUFS_CAP_XATTR
						 */
#define ZUFS_CAP_NOTIFY		(1ULL << 10)	/* 1.2: the server sends
						 * ZUFS_NOTIFY_* messages
						 */
#define ZUFS_CAP_ALL		((1ULL << 11) - 1)
/*
 * The caps init_in.caps may hold: those of 1.0 and 1.1. A 1.1 server
 * refuses any other bit there (-EINVAL), so caps of later minors are
 * offered by init_in.minor instead: a kernel that sends minor >= 2
 * supports ZUFS_CAP_INIT_XATTRS and ZUFS_CAP_NOTIFY, and a server of
 * minor >= 2 agrees to them by setting them in init_out.caps. A server
 * must accept (and ignore) bits of init_in.caps it does not know from 1.2
 * on.
 */
#define ZUFS_CAP_OFFER_MASK	((1ULL << 9) - 1)

/* Opcodes. Numbers are ABI: never reuse or renumber. */
enum zufs_opcode {
	ZUFS_OP_INIT		= 1,
	ZUFS_OP_DESTROY		= 2,
	ZUFS_OP_STATFS		= 3,
	ZUFS_OP_SYNC_FS		= 4,
	ZUFS_OP_LOOKUP		= 5,
	ZUFS_OP_FORGET		= 6,
	ZUFS_OP_GETATTR		= 7,
	ZUFS_OP_SETATTR		= 8,
	ZUFS_OP_MKNOD		= 9,
	ZUFS_OP_MKDIR		= 10,
	ZUFS_OP_SYMLINK		= 11,
	ZUFS_OP_READLINK	= 12,
	ZUFS_OP_LINK		= 13,
	ZUFS_OP_UNLINK		= 14,
	ZUFS_OP_RMDIR		= 15,
	ZUFS_OP_RENAME		= 16,
	ZUFS_OP_TMPFILE		= 17,
	ZUFS_OP_READDIR		= 18,
	ZUFS_OP_OPEN		= 19,
	ZUFS_OP_RELEASE		= 20,
	ZUFS_OP_READ		= 21,
	ZUFS_OP_WRITE		= 22,
	ZUFS_OP_FSYNC		= 23,
	ZUFS_OP_FALLOCATE	= 24,
	ZUFS_OP_LSEEK		= 25,
	ZUFS_OP_COPY_RANGE	= 26,
	ZUFS_OP_GETXATTR	= 27,
	ZUFS_OP_SETXATTR	= 28,
	ZUFS_OP_LISTXATTR	= 29,
	ZUFS_OP_REMOVEXATTR	= 30,
	ZUFS_OP_BATCH_FORGET	= 31,	/* 1.1 */
	ZUFS_OP_OPENDIR		= 32,	/* 1.2, ZUFS_CAP_OPEN */
	ZUFS_OP_RELEASEDIR	= 33,	/* 1.2, ZUFS_CAP_OPEN */
	ZUFS_OP_FLUSH		= 34,	/* 1.2, ZUFS_CAP_OPEN */
	ZUFS_OP_FSYNCDIR	= 35,	/* 1.2, ZUFS_CAP_OPEN */
	ZUFS_OP_CREATE		= 36,	/* 1.2, ZUFS_CAP_OPEN */

	ZUFS_OP_MAX		/* one past the last opcode */
};

/*
 * Common request header, at offset 0 of every inline request.
 * @opcode: enum zufs_opcode
 * @len:    total inline request bytes (header + in struct + names or entries)
 * @sb_id:  the superblock, as returned by INIT (0 in INIT itself)
 * @ino:    the inode the op is about (a directory for namespace ops);
 *          0 for INIT, DESTROY, STATFS, SYNC_FS, BATCH_FORGET
 * @uid, @gid: caller's fsuid/fsgid (in the init user namespace)
 * @pid:    caller's tgid, 0 for kernel work (writeback, evict)
 */
struct zufs_in_header {
	__u32 opcode;
	__u32 len;
	__u64 sb_id;
	__u64 ino;
	__u32 uid;
	__u32 gid;
	__u32 pid;
	__u32 flags;		/* must be 0 */
	__u64 reserved[3];
};

/*
 * Inode attributes. Times are seconds since the epoch (two's complement
 * in a __u64) plus nanoseconds (< 1000000000). mode holds the S_IFMT type
 * (S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK) and
 * the permission bits (07777). rdev of character and block devices is
 * carried as major/minor.
 */
struct zufs_attr {
	__u64 ino;
	__u64 generation;	/* changes when an inode number is reused */
	__u64 size;		/* bytes */
	__u64 blocks;		/* 512-byte units allocated */
	__u64 atime;
	__u64 mtime;
	__u64 ctime;
	__u32 atimensec;
	__u32 mtimensec;
	__u32 ctimensec;
	__u32 mode;
	__u32 nlink;
	__u32 uid;
	__u32 gid;
	__u32 rdev_major;
	__u32 rdev_minor;
	__u32 blksize;		/* preferred I/O size, 0 = default */
	__u64 reserved[2];
};

/*
 * What the kernel decided for a new inode (MKNOD, MKDIR, SYMLINK, TMPFILE):
 * type and permissions with the umask (or default ACL) applied, owner from
 * the caller's fsuid, group from fsgid or the setgid parent.
 */
struct zufs_new_inode {
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 rdev_major;	/* S_IFCHR / S_IFBLK only, else 0 */
	__u32 rdev_minor;
	__u32 pad;
};

/* Reply of every op that returns an inode. */
struct zufs_entry_out {
	struct zufs_attr attr;
};

/* ---- INIT: first call of every mount ---------------------------------
 * The kernel offers its version and caps, names the file system (plugin)
 * and passes the source and the options it does not handle itself
 * (everything but service= and fs=, comma separated). The server answers
 * -EPROTONOSUPPORT if it cannot speak major, -ENODEV for an unknown fs,
 * -EINVAL for options its fs refuses; else it creates a superblock and
 * replies with its own version, the agreed caps and the root inode.
 * Inline: header, zufs_init_in, source[source_len] NUL,
 * options[options_len] NUL.
 */
/* bytes of a file system identity (init_in/init_out.fs_id) */
#define ZUFS_FS_ID_LEN		16

struct zufs_init_in {
	__u32 major;		/* ZUFS_KERNEL_VERSION */
	__u32 minor;		/* ZUFS_KERNEL_MINOR_VERSION */
	__u64 caps;		/* the caps the kernel supports, within
				 * ZUFS_CAP_OFFER_MASK (later caps: minor)
				 */
	char fs_name[ZUFS_FS_NAME_MAX];	/* NUL terminated, NUL padded */
	__u32 source_len;	/* <= ZUFS_MOUNT_STR_MAX */
	__u32 options_len;	/* <= ZUFS_MOUNT_STR_MAX */
	__u32 flags;		/* ZUFS_INIT_* */
	__u32 pad;
	__u8 fs_id[ZUFS_FS_ID_LEN];	/* with ZUFS_INIT_REATTACH: the
					 * identity to serve; else zero
					 */
	__u64 reserved[2];
};

#define ZUFS_INIT_RDONLY	(1U << 0)	/* mounted read-only */
#define ZUFS_INIT_REATTACH	(1U << 1)	/* 1.3: re-attach a mount
						 * whose server died
						 */

struct zufs_init_out {
	__u32 major;		/* must equal ZUFS_KERNEL_VERSION */
	__u32 minor;		/* the server's minor; min() is used (the
				 * 1.2 ops and caps need min() >= 2)
				 */
	__u64 caps;		/* subset of zufs_init_in.caps, plus the
				 * caps init_in.minor offers (1.2:
				 * ZUFS_CAP_INIT_XATTRS)
				 */
	__u64 sb_id;		/* nonzero; names the superblock */
	__u32 max_io;		/* max bytes per READ/WRITE; 0 = no limit
				 * beyond the ucchan window
				 */
	__u32 time_gran;	/* timestamp granularity in ns (1..10^9);
				 * 0 = 1
				 */
	__u32 blksize;		/* block size for statfs/stat; 0 = 4096 */
	__u32 pad;
	__u64 max_file_size;	/* 0 = MAX_LFS_FILESIZE */
	__u8 fs_id[ZUFS_FS_ID_LEN];	/* 1.3: the file system's identity;
					 * all zero: none (no re-attach)
					 */
	__u64 reserved[2];
	struct zufs_attr root;	/* the root directory */
};

/* DESTROY: the superblock is unmounted; free it. No in/out struct. */

/* ---- STATFS ---------------------------------------------------------- */
struct zufs_statfs_out {
	__u64 blocks;		/* total, in bsize units */
	__u64 bfree;
	__u64 bavail;
	__u64 files;
	__u64 ffree;
	__u32 bsize;
	__u32 namelen;		/* <= ZUFS_NAME_MAX; 0 = ZUFS_NAME_MAX */
	__u32 frsize;		/* 0 = bsize */
	__u32 pad;
	__u64 reserved[2];
};

/* ---- SYNC_FS --------------------------------------------------------- */
struct zufs_sync_fs_in {
	__u32 wait;		/* 0 or 1 */
	__u32 pad;
};

/* ---- LOOKUP (header.ino = directory) ---------------------------------
 * Inline: header, zufs_name_in, name NUL. Reply: zufs_entry_out.
 */
struct zufs_name_in {
	__u32 namelen;
	__u32 pad;
};

/* ---- FORGET: drop nlookup references; reply ignored ------------------ */
struct zufs_forget_in {
	__u64 nlookup;
};

/* ---- BATCH_FORGET (1.1, optional): FORGET of many inodes -------------
 * Inline: header (ino 0), zufs_batch_forget_in, then count entries of
 * struct zufs_forget_one (as many as fit in the service's max_inline);
 * the request length is exactly that. Each entry is one FORGET: ino
 * nonzero, nlookup nonzero; an inode may appear more than once (the
 * counts add up). No reply body; the kernel ignores the status, except
 * -ENOSYS: then it sends single FORGETs for the rest of the mount.
 * A server validates every entry before it applies any (-EINVAL).
 */
struct zufs_batch_forget_in {
	__u32 count;		/* entries that follow, >= 1 */
	__u32 pad;
};

struct zufs_forget_one {
	__u64 ino;
	__u64 nlookup;
};

/* ---- GETATTR: no in struct; reply zufs_entry_out --------------------- */

/* ---- SETATTR: reply zufs_entry_out (the attributes after the change) - */
#define ZUFS_SET_MODE		(1U << 0)
#define ZUFS_SET_UID		(1U << 1)
#define ZUFS_SET_GID		(1U << 2)
#define ZUFS_SET_SIZE		(1U << 3)	/* truncate or extend */
#define ZUFS_SET_ATIME		(1U << 4)
#define ZUFS_SET_MTIME		(1U << 5)
#define ZUFS_SET_CTIME		(1U << 6)
#define ZUFS_SET_ALL		((1U << 7) - 1)

struct zufs_setattr_in {
	__u32 valid;		/* ZUFS_SET_* */
	__u32 mode;		/* permission bits (07777) */
	__u32 uid;
	__u32 gid;
	__u64 size;
	__u64 atime;
	__u64 mtime;
	__u64 ctime;
	__u32 atimensec;
	__u32 mtimensec;
	__u32 ctimensec;
	__u32 pad;
	__u64 reserved[2];
};

/* ---- MKNOD, MKDIR (header.ino = directory) ---------------------------
 * MKNOD creates S_IFREG (create), S_IFCHR, S_IFBLK, S_IFIFO or S_IFSOCK;
 * MKDIR S_IFDIR. Inline: header, zufs_create_in, name NUL.
 * With ZUFS_CAP_INIT_XATTRS, bufs[0] (UCCHAN_BUF_READ), if present, holds
 * the new inode's initial xattrs (see "Initial xattrs").
 * Reply: zufs_entry_out (a lookup).
 */
struct zufs_create_in {
	struct zufs_new_inode ni;
	__u32 namelen;
	__u32 pad;
};

/* ---- SYMLINK (header.ino = directory) --------------------------------
 * Inline: header, zufs_symlink_in, name NUL. bufs[0] (UCCHAN_BUF_READ):
 * the target, targetlen bytes, no NUL. With ZUFS_CAP_INIT_XATTRS, bufs[1]
 * (UCCHAN_BUF_READ), if present: the initial xattrs. Reply:
 * zufs_entry_out.
 */
struct zufs_symlink_in {
	struct zufs_new_inode ni;
	__u32 namelen;
	__u32 targetlen;	/* 1..ZUFS_SYMLINK_MAX */
};

/* ---- READLINK --------------------------------------------------------
 * bufs[0] (UCCHAN_BUF_WRITE, size bytes): the target, no NUL.
 */
struct zufs_readlink_in {
	__u32 size;		/* ZUFS_SYMLINK_MAX */
	__u32 pad;
};

struct zufs_readlink_out {
	__u32 len;		/* target bytes, 1..size */
	__u32 pad;
};

/* ---- LINK (header.ino = new parent directory) ------------------------
 * Inline: header, zufs_link_in, name NUL. Reply: zufs_entry_out of ino.
 */
struct zufs_link_in {
	__u64 ino;		/* existing non-directory inode */
	__u32 namelen;
	__u32 pad;
};

/* ---- UNLINK, RMDIR (header.ino = directory) --------------------------
 * Inline: header, zufs_name_in, name NUL. No reply body.
 */

/* ---- RENAME (header.ino = old directory) -----------------------------
 * Inline: header, zufs_rename_in, oldname NUL, newname NUL.
 * flags: 0, ZUFS_RENAME_NOREPLACE, ZUFS_RENAME_EXCHANGE (renameat2).
 */
#define ZUFS_RENAME_NOREPLACE	(1U << 0)
#define ZUFS_RENAME_EXCHANGE	(1U << 1)

struct zufs_rename_in {
	__u64 newdir;
	__u32 oldlen;
	__u32 newlen;
	__u32 flags;
	__u32 pad;
};

/* ---- TMPFILE (header.ino = directory): an unnamed inode, nlink 0 -----
 * With ZUFS_CAP_INIT_XATTRS, bufs[0], if present: the initial xattrs.
 * Reply: zufs_entry_out (a lookup).
 */
struct zufs_tmpfile_in {
	struct zufs_new_inode ni;
};

/* ---- CREATE (1.2, ZUFS_CAP_OPEN, optional; header.ino = directory) ---
 * open(2) with O_CREAT of a name the kernel knows not to exist: create
 * the regular file (as MKNOD with S_IFREG would) and open it (as OPEN
 * would), in one step. Inline: header, zufs_create_open_in, name NUL.
 * With ZUFS_CAP_INIT_XATTRS, bufs[0], if present: the initial xattrs.
 * - ni.mode is S_IFREG | permissions; flags are the open(2) flags with
 *   O_CREAT, O_EXCL, O_NOCTTY and O_TRUNC stripped (the file is new).
 * - The name must not exist: -EEXIST if it does (the kernel sends CREATE
 *   for O_CREAT|O_EXCL without a LOOKUP first; for O_CREAT alone after a
 *   LOOKUP that answered -ENOENT, or for a name it cached as absent).
 * - Reply zufs_create_open_out: the new inode's attributes (one lookup
 *   counted, as for MKNOD) and the handle (as OPEN's: it comes back in
 *   every op on the file and in one RELEASE); reserved zero.
 * - If the kernel cannot use a reply (bad attributes, not a regular file,
 *   reserved nonzero, an open that fails afterwards), it sends RELEASE of
 *   the fh and FORGETs the lookup (if the inode number was valid); the
 *   file stays created (as after a MKNOD whose OPEN failed).
 * - -ENOSYS: the kernel uses LOOKUP, MKNOD and OPEN for the rest of the
 *   mount (as in 1.1). Any other error fails the open(2), nothing created.
 */
struct zufs_create_open_in {
	struct zufs_new_inode ni;
	__u32 namelen;
	__u32 flags;		/* open(2) flags, as zufs_open_in.flags */
};

struct zufs_create_open_out {
	struct zufs_attr attr;	/* the new file */
	__u64 fh;		/* its handle, as zufs_open_out.fh */
	__u64 reserved;
};

/* ---- Initial xattrs (ZUFS_CAP_INIT_XATTRS, 1.2) ----------------------
 * The xattrs a new inode must be born with: the LSM's label (a
 * "security." name, e.g. "security.selinux") and the POSIX ACLs inherited
 * from the parent's default ACL ("system.posix_acl_access", and for a
 * directory "system.posix_acl_default", in the format of ZUFS_CAP_ACL).
 * They travel in one UCCHAN_BUF_READ buffer of the create request (bufs[0]
 * of MKNOD, MKDIR, TMPFILE and CREATE, bufs[1] of SYMLINK); no buffer
 * means none. The block: struct zufs_init_xattrs, then count records,
 * each a struct zufs_init_xattr, namelen bytes of name, one NUL, size
 * bytes of value, zero padding to a multiple of 8 (ZUFS_INIT_XATTR_SIZE).
 * The server checks, before it creates anything, that
 *   - len is the buffer's length, a multiple of 8, at most
 *     ZUFS_INIT_XATTRS_SIZE_MAX; count is 1..ZUFS_INIT_XATTRS_MAX and the
 *     records fill exactly len bytes; pad is 0;
 *   - each name is 1..ZUFS_XATTR_NAME_MAX bytes with no NUL inside and is
 *     followed by its NUL; no name appears twice; each size is at most
 *     ZUFS_XATTR_SIZE_MAX; padding bytes are zero
 * (else -EINVAL). Then it creates the inode with exactly these xattrs, as
 * if set by SETXATTR with ZUFS_XATTR_CREATE before anyone could see the
 * inode, or fails the create (-ENOSPC, -EOPNOTSUPP for a name it cannot
 * store, ...) leaving nothing created. The kernel does not send SETXATTR
 * for them afterwards, caches the ACLs it sent and, for the label, reads
 * the xattr back when the LSM asks. The mode in zufs_new_inode already
 * agrees with the access ACL (the kernel applied it). (A label that an
 * LSM can only compute for an existing inode is still set by SETXATTR
 * after the create.)
 * Without the cap (or with no buffer) the kernel sets them with SETXATTR
 * after the create reply, as in 1.1.
 */
#define ZUFS_INIT_XATTRS_MAX		8	/* records per create */
#define ZUFS_INIT_XATTRS_SIZE_MAX	(1U << 18)	/* bytes per block */

struct zufs_init_xattrs {
	__u32 count;		/* records that follow, 1..ZUFS_INIT_XATTRS_MAX */
	__u32 len;		/* bytes of the block, this header included */
	__u64 pad;		/* must be 0 */
};

struct zufs_init_xattr {
	__u32 namelen;		/* 1..ZUFS_XATTR_NAME_MAX, NUL not counted */
	__u32 size;		/* value bytes, 0..ZUFS_XATTR_SIZE_MAX */
	char name[];		/* name, NUL, value, zero padding */
};

#define ZUFS_INIT_XATTR_NAME_OFFSET	offsetof(struct zufs_init_xattr, name)
/* bytes of a record of a namelen-byte name and a size-byte value */
#define ZUFS_INIT_XATTR_SIZE(namelen, size) \
	ZUFS_DIRENT_ALIGN(ZUFS_INIT_XATTR_NAME_OFFSET + (namelen) + 1 + (size))

/* ---- READDIR ---------------------------------------------------------
 * Entries after position cookie (0 = from the start), as a stream of
 * struct zufs_dirent records in bufs[0] (UCCHAN_BUF_WRITE, size bytes),
 * each padded to 8 bytes. "." and ".." are not sent. Each record's off
 * is the cookie that resumes after it: >= ZUFS_DIR_COOKIE_FIRST, < 2^63,
 * chosen by the server so that it stays valid while the directory
 * changes. An empty reply (len 0) means end of directory.
 */
struct zufs_readdir_in {
	__u64 fh;
	__u64 cookie;
	__u32 size;
	__u32 pad;
};

struct zufs_readdir_out {
	__u32 len;		/* bytes of records in bufs[0], <= size */
	__u32 flags;		/* ZUFS_READDIR_EOF */
};

#define ZUFS_READDIR_EOF	(1U << 0)	/* no entries after these */

struct zufs_dirent {
	__u64 ino;
	__u64 off;		/* cookie of the next entry */
	__u32 namelen;
	__u32 type;		/* DT_* (S_IFMT >> 12) */
	char name[];
};

#define ZUFS_DIRENT_NAME_OFFSET	offsetof(struct zufs_dirent, name)
#define ZUFS_DIRENT_ALIGN(x) \
	(((x) + sizeof(__u64) - 1) & ~(sizeof(__u64) - 1))
#define ZUFS_DIRENT_SIZE(d) \
	ZUFS_DIRENT_ALIGN(ZUFS_DIRENT_NAME_OFFSET + (d)->namelen)

/* ---- OPEN, RELEASE (only with ZUFS_CAP_OPEN) -------------------------
 * OPEN (header.ino = a regular file): one open file (one struct file:
 * shared by dup(2) and fork(2)); reply zufs_open_out. fh is the server's
 * choice (any value, 0 included) and comes back in every op on this open
 * file, and in its RELEASE, which is sent once, when the last reference
 * is gone (the reply is ignored). If the kernel cannot use an OPEN reply
 * (reserved nonzero) it sends RELEASE of that fh at once and the open
 * fails with -EIO.
 * OPENDIR, RELEASEDIR (1.2, minor >= 2): the same for a directory
 * (header.ino = the directory; flags hold O_DIRECTORY and the access
 * mode); fh comes back in READDIR and FSYNCDIR. A server that answers
 * OPENDIR -ENOSYS gets fh 0 and no RELEASEDIR, as in 1.1.
 */
struct zufs_open_in {
	__u32 flags;		/* open(2) flags, O_CREAT/O_EXCL/O_NOCTTY/
				 * O_TRUNC stripped
				 */
	__u32 pad;
};

struct zufs_open_out {
	__u64 fh;		/* passed back in every op on this file */
	__u64 reserved;
};

struct zufs_release_in {
	__u64 fh;
	__u32 flags;		/* 0 */
	__u32 pad;
};

/* ---- FLUSH (1.2, ZUFS_CAP_OPEN, optional) ----------------------------
 * header.ino = a regular file. Sent at every close(2) of a descriptor of
 * an open file (so once per descriptor: dup(2) and fork(2) make more),
 * before its RELEASE; not for closes inside the kernel (no descriptor).
 * fh: the handle of OPEN or CREATE, 0 if the file has none. The status
 * is what close(2) returns (0, or e.g. -EIO, -ENOSPC, -EDQUOT for data
 * the server could not keep); the descriptor is closed either way. No
 * reply body. Dirty pages of shared mappings are not written back for
 * it (they are at the last close, before RELEASE, and by msync/fsync).
 * -ENOSYS: close(2) succeeds without asking again (as in 1.1).
 */
struct zufs_flush_in {
	__u64 fh;
	__u32 flags;		/* must be 0 */
	__u32 pad;
};

/* ---- READ, WRITE -----------------------------------------------------
 * bufs[0] is the data: READ fills a UCCHAN_BUF_WRITE buffer of len bytes,
 * WRITE reads a UCCHAN_BUF_READ buffer of len bytes.
 * READ returns the bytes read (<= len; 0 at end of file); holes read as
 * zeros. WRITE returns the bytes written (<= len; short only when it ran
 * out of space) and the attributes after the write; with
 * ZUFS_WRITE_APPEND it writes at the end of file and ignores offset.
 */
#define ZUFS_IO_DIRECT		(1U << 0)	/* O_DIRECT */
#define ZUFS_IO_SYNC		(1U << 1)	/* O_SYNC / O_DSYNC */
#define ZUFS_WRITE_APPEND	(1U << 2)	/* O_APPEND */
#define ZUFS_IO_PAGECACHE	(1U << 3)	/* page cache of a mmap */

struct zufs_io_in {
	__u64 fh;
	__u64 offset;
	__u64 len;
	__u32 flags;		/* ZUFS_IO_*, ZUFS_WRITE_APPEND */
	__u32 pad;
};

struct zufs_read_out {
	__u64 count;
};

struct zufs_write_out {
	__u64 count;
	__u64 offset;		/* where the data went (APPEND) */
	struct zufs_attr attr;
};

/* ---- FSYNC, FSYNCDIR ------------------------------------------------
 * FSYNC: fsync(2)/fdatasync(2) of a regular file (and, in 1.1 or when
 * FSYNCDIR is answered -ENOSYS, of a directory) after the kernel wrote
 * back its dirty pages; fh as for READ. FSYNCDIR (1.2, ZUFS_CAP_OPEN,
 * optional): fsync(2) of a directory, header.ino = the directory, fh its
 * OPENDIR handle (0 if none): make its entries durable. No reply body.
 * A server that answers -ENOSYS to FSYNC (FSYNCDIR) gets none again and
 * fsync(2) succeeds (directories then get FSYNC).
 */
struct zufs_fsync_in {
	__u64 fh;
	__u32 datasync;		/* 0 or 1 */
	__u32 pad;
};

/* ---- FALLOCATE: reply zufs_entry_out (attributes after) -------------- */
#define ZUFS_FALLOC_KEEP_SIZE	0x01
#define ZUFS_FALLOC_PUNCH_HOLE	0x02	/* always with KEEP_SIZE */
#define ZUFS_FALLOC_ZERO_RANGE	0x10

struct zufs_fallocate_in {
	__u64 fh;
	__u64 offset;
	__u64 len;
	__u32 mode;		/* ZUFS_FALLOC_* */
	__u32 pad;
};

/* ---- LSEEK (ZUFS_CAP_SEEK_DATA): -ENXIO when there is none ----------- */
#define ZUFS_SEEK_DATA		3
#define ZUFS_SEEK_HOLE		4

struct zufs_lseek_in {
	__u64 fh;
	__u64 offset;
	__u32 whence;		/* ZUFS_SEEK_DATA or ZUFS_SEEK_HOLE */
	__u32 pad;
};

struct zufs_lseek_out {
	__u64 offset;		/* >= zufs_lseek_in.offset */
};

/* ---- COPY_RANGE (header.ino = source file) --------------------------- */
struct zufs_copy_range_in {
	__u64 fh_in;
	__u64 off_in;
	__u64 ino_out;
	__u64 fh_out;
	__u64 off_out;
	__u64 len;
	__u32 flags;		/* must be 0 */
	__u32 pad;
};

struct zufs_copy_range_out {
	__u64 count;		/* bytes copied, <= len */
	struct zufs_attr attr;	/* of ino_out, after the copy */
};

/* ---- Extended attributes (ZUFS_CAP_XATTR) ----------------------------
 * Names are full names ("user.x", "trusted.x", "security.x",
 * "system.posix_acl_access", ...), 1..ZUFS_XATTR_NAME_MAX bytes.
 * GETXATTR: inline header, zufs_xattr_in, name NUL; bufs[0]
 * (UCCHAN_BUF_WRITE, size bytes) unless size is 0 (query the length).
 * Reply zufs_xattr_out.size = the value's length; -ENODATA, -ERANGE.
 * SETXATTR: bufs[0] (UCCHAN_BUF_READ) holds size bytes of value (none if
 * size is 0); flags ZUFS_XATTR_CREATE/REPLACE. No reply body.
 * LISTXATTR: NUL-terminated names back to back in bufs[0]
 * (UCCHAN_BUF_WRITE) unless size is 0; no name. Reply as GETXATTR.
 * REMOVEXATTR: name only. No reply body.
 */
#define ZUFS_XATTR_CREATE	1
#define ZUFS_XATTR_REPLACE	2

struct zufs_xattr_in {
	__u32 size;		/* <= ZUFS_XATTR_SIZE_MAX */
	__u32 flags;
	__u32 namelen;		/* 0 for LISTXATTR */
	__u32 pad;
};

struct zufs_xattr_out {
	__u32 size;
	__u32 pad;
};

/* ---- Notifications: server to kernel (ZUFS_CAP_NOTIFY) ---------------
 * A server whose file system changes behind the kernel (another writer,
 * a network peer) tells the kernel which cached state to drop. Each is
 * one ucchan notification (UCCHAN_IOC_NOTIFY, libucchan's
 * ucchan_server_notify()) to the mount's connection, the client_id of
 * its requests: a struct zufs_notify_hdr, then the type's struct (and
 * for INVAL_ENTRY the name and one NUL); hdr.len is the message's length.
 * Only with ZUFS_CAP_NOTIFY agreed in INIT (else -EOPNOTSUPP).
 *
 * The kernel checks the message, queues it and returns; it applies the
 * queue in order, per superblock, later (so a server may notify from a
 * handler of any request: the kernel never waits for its own locks in
 * the sender). Results: 0 (queued), -EINVAL (malformed: lengths, a
 * reserved field, flag or pad not zero, an unknown type, a bad name,
 * INVAL_INODE with off < 0 and len != 0 or a range beyond the largest
 * file), -ENOENT (sb_id is not this connection's mounted superblock, or
 * the inode, for INVAL_ENTRY the parent, is not in the kernel's cache:
 * nothing to drop), -ENOTDIR (INVAL_ENTRY's parent is not a directory),
 * -EAGAIN (this mount's queue is full: retry later), -ENOMEM.
 * A notification races with requests in flight: the server sends it
 * after the change, and a request that read the old state before it may
 * still refill a cache with that state; send it again when that matters.
 */
enum zufs_notify_type {
	/*
	 * The inode's attributes are stale (the next stat, or path walk
	 * through the name, asks GETATTR); with off >= 0 also the cached
	 * data of [off, off + len) (len 0: to the end of file) is dropped,
	 * mappings of it unmapped. off < 0 (len 0): attributes only.
	 */
	ZUFS_NOTIFY_INVAL_INODE	= 1,
	/*
	 * The name in the directory changed (created, removed, renamed,
	 * now another inode): the kernel drops its dentry for it (positive
	 * or negative; with everything below it) and the directory's
	 * attributes. The next lookup asks the server.
	 */
	ZUFS_NOTIFY_INVAL_ENTRY	= 2,

	ZUFS_NOTIFY_MAX		/* one past the last type */
};

struct zufs_notify_hdr {
	__u32 type;		/* enum zufs_notify_type */
	__u32 len;		/* bytes of the message, this header included */
	__u64 sb_id;		/* the superblock, as returned by INIT */
	__u32 flags;		/* must be 0 */
	__u32 pad;
	__u64 reserved[2];
};

struct zufs_notify_inval_inode {
	__u64 ino;
	__s64 off;		/* first byte, or < 0: attributes only */
	__u64 len;		/* bytes; 0 = to the end of file */
	__u64 reserved[2];
};

/* followed by namelen bytes of name and one NUL */
struct zufs_notify_inval_entry {
	__u64 parent;		/* the directory */
	__u32 namelen;		/* 1..ZUFS_NAME_MAX */
	__u32 flags;		/* must be 0 */
	__u64 reserved[2];
};

#endif /* _UAPI_LINUX_ZUFS_H */
