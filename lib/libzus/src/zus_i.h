/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * zus_i.h - libzus internals shared by the loader, the dispatcher and zusd.
 * Not installed.
 */
#ifndef ZUS_I_H
#define ZUS_I_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "zus.h"

#define ZUS_MAX_REQ_BUFS	16	/* == UCCHAN_MAX_BUFS */

/* ---- log.c ---------------------------------------------------------- */

extern int zus_log_level;		/* messages above it are dropped */
void zus_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void zus_vlog(int level, const char *fmt, va_list ap);
#define zus_err(...)	zus_log(ZUS_LOG_ERR, __VA_ARGS__)
#define zus_warn(...)	zus_log(ZUS_LOG_WARNING, __VA_ARGS__)
#define zus_info(...)	zus_log(ZUS_LOG_INFO, __VA_ARGS__)
#define zus_dbg(...)	do { if (zus_log_level >= ZUS_LOG_DEBUG) \
				zus_log(ZUS_LOG_DEBUG, __VA_ARGS__); } while (0)

/* ---- host.c: struct zus_host, what plugins get ------------------------ */

/* The table handed to every plugin's init() and kept in every zus_sb. */
extern const struct zus_host zus_host;
/*
 * host->opt_parse's splitter, for the host's own option strings too: fn
 * also gets the item as written (raw, rawlen: escapes kept), to pass it
 * on unchanged. Errors as opt_parse's.
 */
typedef int (*zus_opt_raw_fn)(void *arg, const char *raw, size_t rawlen,
			      const char *key, const char *value);
int zus_opt_split(const char *options, zus_opt_raw_fn fn, void *arg);

/* ---- check.c: plugin replies, checked the same way on every transport - */

#define ZUS_MAX_ERRNO		511	/* statuses a plugin may return */
#define ZUS_MAX_FILE_SIZE	((uint64_t)INT64_MAX)	/* MAX_LFS_FILESIZE */
#define ZUS_NSEC_PER_SEC	1000000000L

/*
 * Bits a kernel keeps in a file's f_flags that are no open(2) flag of
 * user space, and that zuf.ko and fuse.ko both pass in their OPEN and
 * CREATE flags: O_LARGEFILE (set in every open on a 64-bit kernel; 0 in
 * glibc's <fcntl.h> there), __FMODE_EXEC (an exec) and __FMODE_NONOTIFY
 * (a fanotify open; 6.1's values). The transports take them off: a plugin
 * sees the flags user space knows.
 */
#if defined(__aarch64__) || defined(__arm__)
#define ZUS_KERNEL_O_LARGEFILE	0400000
#elif defined(__powerpc__)
#define ZUS_KERNEL_O_LARGEFILE	0200000
#else
#define ZUS_KERNEL_O_LARGEFILE	0100000
#endif
#define ZUS_OPEN_KERNEL_BITS	(ZUS_KERNEL_O_LARGEFILE | 040 | 0x4000000)

/* An int/ssize_t result of a plugin: >= 0, or -1..-ZUS_MAX_ERRNO. */
bool zus_errno_ok(int64_t ret);
/* S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK */
bool zus_type_valid(uint32_t type);
/* ZUS_DT_* */
bool zus_dt_valid(unsigned int type);
/* A file name: 1..ZUS_NAME_MAX bytes, no '/', no NUL, not "." or "..". */
bool zus_name_valid(const char *name, size_t namelen);
/*
 * Attributes a plugin returned. want_ino: the inode they must be of (0:
 * any); want_type: the S_IFMT they must have (0: any). NULL when they are
 * fine, else why not (for the log).
 */
const char *zus_attr_invalid(const struct zus_attr *a, zus_ino_t want_ino,
			     uint32_t want_type);

/* ---- plugin.c: the loader ------------------------------------------- */

struct zus_loaded_plugin {
	struct zus_loaded_plugin *next;
	void *dl;			/* dlopen handle, NULL if built in */
	const struct zus_plugin *plugin;
	/* The plugin's ops, copied into a zero-filled table of the library's
	 * size: ops it did not know about (or left NULL) are NULL here and
	 * answer -ENOSYS. */
	struct zus_fs_ops ops;
	/* After zus_plugin_init(): what the plugin asked for, with want
	 * reduced to what the transport can do (the agreed ZUS_CAP_*). */
	struct zus_conn conn;
	void *fs_priv;			/* what init() stored */
	bool inited;			/* init() ran: destroy() at unload */
	char path[];
};

/*
 * Validate what an entry point returned and wrap it: ABI version (an ABI 1
 * plugin is refused with a message that says so), sizes, name, ops table
 * (at least ZUS_FS_OPS_MIN_SIZE, .mount set).
 * -EPROTONOSUPPORT: other ABI version; -EINVAL: malformed; -ENOMEM.
 */
int zus_plugin_wrap(const struct zus_plugin *p, void *dl, const char *path,
		    struct zus_loaded_plugin **out);
int zus_plugin_load(const char *spec, const char *const *dirs,
		    struct zus_loaded_plugin **out);
/*
 * Start a loaded plugin for a transport: fill lp->conn with the defaults
 * and capable (ZUS_CAP_* the transport supports), call the plugin's init,
 * check its answer (limits in range; every wanted capability has its ops:
 * else -EINVAL and a message) and mask want with capable (a dropped
 * capability is logged). Once per plugin. -errno of init is returned.
 */
int zus_plugin_init(struct zus_loaded_plugin *lp, unsigned int transport,
		    uint64_t capable);
/* destroy() if init ran, then dlclose(). */
void zus_plugin_unload(struct zus_loaded_plugin *lp);
/* Is op (a member of struct zus_fs_ops) there? */
#define ZUS_HAS_OP(ops, op) \
	((ops)->size >= offsetof(struct zus_fs_ops, op) + sizeof(void *) && \
	 (ops)->op)
bool zus_fs_name_valid(const char *name);

/* ---- evil.c: broken replies on purpose (zusd-test --evil) -------------
 * Compiled only into the test build of the core (ZUS_WITH_EVIL=1: the
 * unit tests and zusd-test, which is never installed); the production
 * zusd has no evil mode at all. */
#ifndef ZUS_WITH_EVIL
#define ZUS_WITH_EVIL 0
#endif

#define ZUS_EVIL_INO0		(1U << 0)
#define ZUS_EVIL_BAD_MODE	(1U << 1)
#define ZUS_EVIL_TYPE_FLIP	(1U << 2)
#define ZUS_EVIL_SLASH_NAME	(1U << 3)
#define ZUS_EVIL_DOT_NAME	(1U << 4)
#define ZUS_EVIL_BAD_DIRENT	(1U << 5)
#define ZUS_EVIL_BIG_LEN	(1U << 6)
#define ZUS_EVIL_BIG_READ	(1U << 7)
#define ZUS_EVIL_SHORT_REPLY	(1U << 8)
#define ZUS_EVIL_OP_NONE	(-1)
#define ZUS_EVIL_OP_ANY		(-2)

struct zus_evil {
	uint32_t flags;			/* ZUS_EVIL_* */
	int exit_op, hang_op;		/* opcode, _ANY or _NONE */
	bool active;			/* any of the above */
};

#if ZUS_WITH_EVIL
extern bool zus_evil_allowed;		/* zusd-test --evil */
/* Parse a '+' list into ev (adds to it). -EINVAL on an unknown word. */
int zus_evil_parse(const char *list, struct zus_evil *ev);
/* Set ev from ZUSD_EVIL and an evil= option, removing the option from
 * options (in place). -EINVAL if evil= is given without --evil. */
int zus_evil_take_option(char *options, struct zus_evil *ev);
/* exit_OP / hang_OP: called before op runs. */
void zus_evil_trap(const struct zus_evil *ev, int op);
#endif
/* dispatch.c: opcode of an op name, or ZUS_EVIL_OP_NONE. */
int zus_op_by_name(const char *name);

/* ---- server.c: plugins and superblocks ------------------------------ */

struct zus_sb_inst;

/*
 * What a transport does for the host on behalf of one superblock: the
 * notifications (host->notify_*) go here. NULL members: -ENOSYS.
 */
struct zus_transport {
	unsigned int id;		/* ZUS_TRANSPORT_* */
	int (*inval_inode)(struct zus_sb_inst *si, zus_ino_t ino,
			   int64_t off, int64_t len);
	int (*inval_entry)(struct zus_sb_inst *si, zus_ino_t dir,
			   const char *name, size_t namelen);
};

struct zus_sb_inst {
	struct zus_sb sb;		/* what the plugin sees */
	struct zus_loaded_plugin *lp;
	const struct zus_fs_ops *ops;	/* == &lp->ops */
	uint64_t client_id;		/* connection that mounted it */
	uint64_t agreed;		/* the transport's agreed caps (zufs:
					 * ZUFS_CAP_* of INIT's reply) */
	zus_ino_t root;
	const struct zus_transport *transport;
	void *tpriv;			/* the transport's, per superblock */
	bool live;			/* the transport has attached the
					 * mount: notifications go out */
	bool dying;			/* being unmounted: the plugin's umount
					 * runs or ran */
	struct zus_evil evil;		/* test mode; all zero normally */
};

struct zus_server {
	struct zus_loaded_plugin *plugins;
	pthread_rwlock_t sb_lock;	/* readers: requests; writer: (u)mount */
	struct zus_sb_inst **sbs;
	size_t nr_sbs, cap_sbs;
	uint64_t next_sb_id;
};

/* A request context for an op on si (fh 0 and no ZUS_CTX_FH: no open). */
void zus_ctx_init(struct zus_ctx *ctx, struct zus_sb_inst *si, uint32_t uid,
		  uint32_t gid, uint32_t pid);

int zus_server_init(struct zus_server *srv);
/* Unmounts whatever is still mounted, unloads the plugins. */
void zus_server_fini(struct zus_server *srv);
/* Takes ownership of lp. -EEXIST if a plugin of that fs name is there. */
int zus_server_add_plugin(struct zus_server *srv, struct zus_loaded_plugin *lp);
struct zus_loaded_plugin *zus_server_find_plugin(struct zus_server *srv,
						 const char *fsname);
/*
 * Create a superblock: calls the plugin's mount with mount_flags
 * (ZUS_MOUNT_*) and a context of the mounter (uid/gid/pid). The plugin
 * must have been started (zus_plugin_init) for transport t->id. Returns
 * its sb_id and root; *sip (if not NULL) is the superblock, valid until
 * it is unmounted.
 */
int zus_server_mount(struct zus_server *srv, const char *fsname,
		     const char *source, const char *options,
		     unsigned int mount_flags, uint32_t uid, uint32_t gid,
		     uint32_t pid, uint64_t client_id,
		     const struct zus_transport *t, uint64_t *sb_id,
		     zus_ino_t *root, struct zus_sb_inst **sip);
/* Remove and destroy a superblock (the plugin's umount). -ENOENT. */
int zus_server_umount(struct zus_server *srv, uint64_t sb_id);
/* Unmount every superblock of a connection that went away. */
void zus_server_client_gone(struct zus_server *srv, uint64_t client_id);
size_t zus_server_nr_mounts(struct zus_server *srv);
/* Under sb_lock (read): the superblock, or NULL. */
struct zus_sb_inst *zus_server_sb_locked(struct zus_server *srv,
					 uint64_t sb_id);

/* ---- dir.c: readdir reply building (host->dir_emit) ------------------ */

struct zus_dir_ctx {
	char *buf;			/* reply buffer the records go to */
	size_t cap, used;
	uint32_t count;
	uint64_t last_cookie;
	bool full;			/* an entry did not fit */
	void *tpriv;			/* the transport's (fuse: the req) */
	uint32_t evil;			/* ZUS_EVIL_* of the superblock */
	/* Encode one (validated) entry at buf + used; return bytes used or
	 * 0 when it does not fit. Set by the dispatcher: protocol format. */
	size_t (*encode)(struct zus_dir_ctx *ctx, const char *name,
			 size_t namelen, zus_ino_t ino, unsigned int type,
			 uint64_t cookie);
};

/* dir_emit of struct zus_host. */
int zus_dir_emit(struct zus_dir_ctx *ctx, const char *name, size_t namelen,
		 zus_ino_t ino, unsigned int type, uint64_t cookie);
/*
 * What a plugin's readdir returned, checked: ZUS_DIR_EOF, 0 after a full
 * reply, or -errno. Sets *eof. Returns 0 or the -errno to answer (-EIO
 * for a broken reply, logged).
 */
int zus_readdir_result(const struct zus_dir_ctx *ctx, int ret, bool *eof);

/* ---- dispatch.c: the zufs transport (zuf.ko's requests) -------------- */

struct zus_buf {
	void *addr;
	size_t len;
	unsigned int flags;		/* ZUS_BUF_READ / ZUS_BUF_WRITE */
};
#define ZUS_BUF_READ	(1U << 0)	/* == UCCHAN_BUF_READ: server reads */
#define ZUS_BUF_WRITE	(1U << 1)	/* == UCCHAN_BUF_WRITE: server writes */

/* One request as the transport delivered it. */
struct zus_call {
	const void *req;		/* inline request */
	size_t req_len;
	void *reply;			/* inline reply area */
	size_t reply_cap;
	size_t reply_len;		/* out */
	unsigned int nr_bufs;
	struct zus_buf bufs[ZUS_MAX_REQ_BUFS];
	uint64_t client_id;
};

/*
 * Decode, validate, run and encode one zufs request. Returns the status
 * the kernel receives (0 or -errno); c->reply_len is set.
 */
int32_t zus_dispatch(struct zus_server *srv, struct zus_call *c);
/* ZUS_CAP_* the zufs dispatcher serves (zus_plugin_init's capable). */
uint64_t zus_zufs_capable(void);
/*
 * How the dispatcher's notifications (host->notify_*) reach the kernel:
 * send msg (a zufs notification) to the in-kernel client client_id;
 * returns 0 or -errno. Set before the plugins are started (no fn: no
 * ZUS_CAP_NOTIFY).
 */
typedef int (*zus_zufs_send_fn)(void *arg, uint64_t client_id,
				const void *msg, size_t len);
void zus_zufs_set_notify(zus_zufs_send_fn fn, void *arg);
/* Name of an opcode ("lookup"), "?" if unknown. */
const char *zus_op_name(unsigned int opcode);
/* Inline request/reply size the ucchan service must offer. */
size_t zus_proto_max_inline(void);

#endif /* ZUS_I_H */
