/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * workload.h - seeded, deterministic workloads on the pmemfs core: each
 * operation is chosen from the model (the oracle), run on the live file
 * system (between rec_mark() BEGIN/END), then applied to the model, whose
 * prediction of the result must match the live one.
 */
#ifndef PMCRASH_WORKLOAD_H
#define PMCRASH_WORKLOAD_H

#include <stdint.h>

#include "model.h"

struct pmfs;
struct pm_media;

enum opk {
	OP_CREATE, OP_MKDIR, OP_SYMLINK, OP_MKFIFO, OP_WRITE, OP_APPEND,
	OP_TRUNCATE, OP_FALLOC, OP_RENAME, OP_LINK, OP_UNLINK, OP_RMDIR,
	OP_SETXATTR, OP_RMXATTR, OP_COPY, OP_TMPFILE, OP_TMPLINK, OP_PUT,
	OP_FSYNC, OP_SYNC, OP_CHMOD,
	OP_NR
};

struct op {
	enum opk k;
	uint32_t a;		/* node: the file, or the (old) directory */
	uint32_t c;		/* node: the new directory / destination */
	uint64_t off, len, off2;
	uint32_t flags, gen;
	uint32_t newnode;	/* model node the op created */
	uint64_t ino;		/* live result: the new inode */
	int64_t ret;		/* live result */
	char name[M_NAME_MAX + 1];
	char name2[M_NAME_MAX + 1];
};

const char *op_name(enum opk k);
void op_describe(const struct op *o, char *buf, size_t size);

/* Byte @off of data generation @gen of inode @ino: never 0. */
uint8_t wl_pattern(uint64_t ino, uint64_t off, uint32_t gen);

/* Names of the workloads; NULL-terminated. */
extern const char *const wl_names[];
int wl_lookup(const char *name);

struct wl_rng {
	uint64_t s;
};

/* Choose op @i of workload @wl from the model (0, or -ENOENT: none). */
int wl_choose(int wl, uint32_t i, struct wl_rng *r, const struct model *m,
	      struct op *o);
/* Run @o on the live file system (the model is the state before it). */
int64_t wl_live(struct pmfs *fs, const struct model *m, struct op *o);
/* Apply @o to the model: the result it predicts (and the change, if 0). */
int64_t wl_apply(struct model *m, struct op *o);

/* Is @o an op whose data part may be torn (overwrite: per-byte old/new)? */
int wl_data_op(const struct op *o, uint32_t *node);

#endif /* PMCRASH_WORKLOAD_H */
