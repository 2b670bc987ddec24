/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * zus_i.h - libzus internals shared by the loader, the dispatcher and zusd.
 * Not installed.
 */
#ifndef ZUS_I_H
#define ZUS_I_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "zus.h"

#define ZUS_MAX_REQ_BUFS	16	/* == UCCHAN_MAX_BUFS */

/* ---- log.c ---------------------------------------------------------- */

extern int zus_log_level;		/* messages above it are dropped */
#define zus_err(...)	zus_log(ZUS_LOG_ERR, __VA_ARGS__)
#define zus_warn(...)	zus_log(ZUS_LOG_WARNING, __VA_ARGS__)
#define zus_info(...)	zus_log(ZUS_LOG_INFO, __VA_ARGS__)
#define zus_dbg(...)	do { if (zus_log_level >= ZUS_LOG_DEBUG) \
				zus_log(ZUS_LOG_DEBUG, __VA_ARGS__); } while (0)

/* ---- plugin.c: the loader ------------------------------------------- */

struct zus_loaded_plugin {
	struct zus_loaded_plugin *next;
	void *dl;			/* dlopen handle, NULL if built in */
	const struct zus_plugin *plugin;
	/* The plugin's ops, copied into a zero-filled table of the library's
	 * size: ops it did not know about (or left NULL) are NULL here and
	 * answer -ENOSYS. */
	struct zus_fs_ops ops;
	char path[];
};

/*
 * Validate what an entry point returned and wrap it: ABI version, sizes,
 * name, ops table (at least ZUS_FS_OPS_MIN_SIZE, .mount set).
 * -EPROTONOSUPPORT: other ABI version; -EINVAL: malformed; -ENOMEM.
 */
int zus_plugin_wrap(const struct zus_plugin *p, void *dl, const char *path,
		    struct zus_loaded_plugin **out);
/*
 * Load a plugin by path (contains '/') or by name (searched in
 * $ZUS_PLUGIN_PATH, then dirs[] in order). -ENOENT: not found;
 * -ENOEXEC: not a plugin (dlopen failed, no entry point); and the errors
 * of zus_plugin_wrap().
 */
int zus_plugin_load(const char *spec, const char *const *dirs,
		    struct zus_loaded_plugin **out);
void zus_plugin_unload(struct zus_loaded_plugin *lp);
bool zus_fs_name_valid(const char *name);

/* ---- evil.c: broken replies on purpose (zusd --evil) ----------------- */

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

extern bool zus_evil_allowed;		/* zusd --evil */
/* Parse a '+' list into ev (adds to it). -EINVAL on an unknown word. */
int zus_evil_parse(const char *list, struct zus_evil *ev);
/* Set ev from ZUSD_EVIL and an evil= option, removing the option from
 * options (in place). -EINVAL if evil= is given without --evil. */
int zus_evil_take_option(char *options, struct zus_evil *ev);
/* exit_OP / hang_OP: called before op runs. */
void zus_evil_trap(const struct zus_evil *ev, int op);
/* dispatch.c: opcode of an op name, or ZUS_EVIL_OP_NONE. */
int zus_op_by_name(const char *name);

/* ---- server.c: plugins and superblocks ------------------------------ */

struct zus_sb_inst {
	struct zus_sb sb;		/* what the plugin sees */
	struct zus_loaded_plugin *lp;
	const struct zus_fs_ops *ops;	/* == &lp->ops */
	uint64_t client_id;		/* connection that mounted it */
	zus_ino_t root;
	struct zus_evil evil;		/* test mode; all zero normally */
};

struct zus_server {
	struct zus_loaded_plugin *plugins;
	pthread_rwlock_t sb_lock;	/* readers: requests; writer: (u)mount */
	struct zus_sb_inst **sbs;
	size_t nr_sbs, cap_sbs;
	uint64_t next_sb_id;
};

int zus_server_init(struct zus_server *srv);
/* Unmounts whatever is still mounted, unloads the plugins. */
void zus_server_fini(struct zus_server *srv);
/* Takes ownership of lp. -EEXIST if a plugin of that fs name is there. */
int zus_server_add_plugin(struct zus_server *srv, struct zus_loaded_plugin *lp);
struct zus_loaded_plugin *zus_server_find_plugin(struct zus_server *srv,
						 const char *fsname);
/* Create a superblock: calls the plugin's mount. Returns its sb_id. */
int zus_server_mount(struct zus_server *srv, const char *fsname,
		     const char *source, const char *options,
		     uint64_t client_id, uint64_t *sb_id, zus_ino_t *root);
/* Remove and destroy a superblock (the plugin's umount). -ENOENT. */
int zus_server_umount(struct zus_server *srv, uint64_t sb_id);
/* Unmount every superblock of a connection that went away. */
void zus_server_client_gone(struct zus_server *srv, uint64_t client_id);
size_t zus_server_nr_mounts(struct zus_server *srv);
/* Under sb_lock (read): the superblock, or NULL. */
struct zus_sb_inst *zus_server_sb_locked(struct zus_server *srv,
					 uint64_t sb_id);

/* ---- dir.c: readdir reply building ---------------------------------- */

struct zus_dir_ctx {
	char *buf;			/* reply buffer the records go to */
	size_t cap, used;
	uint32_t count;
	uint64_t last_cookie;
	bool full;			/* an entry did not fit */
	uint32_t evil;			/* ZUS_EVIL_* of the superblock */
	/* Encode one (validated) entry at buf + used; return bytes used or
	 * 0 when it does not fit. Set by the dispatcher: protocol format. */
	size_t (*encode)(struct zus_dir_ctx *ctx, const char *name,
			 size_t namelen, zus_ino_t ino, unsigned int type,
			 uint64_t cookie);
};

/* ---- dispatch.c ----------------------------------------------------- */

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
/* Name of an opcode ("lookup"), "?" if unknown. */
const char *zus_op_name(unsigned int opcode);
/* Inline request/reply size the ucchan service must offer. */
size_t zus_proto_max_inline(void);

#endif /* ZUS_I_H */
