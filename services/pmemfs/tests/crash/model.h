/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * model.h - the oracle: an in-memory model of the file tree, updated per
 * completed operation (workload.c), compared against a mounted image
 * (check.c). Node 0 is the root directory.
 */
#ifndef PMCRASH_MODEL_H
#define PMCRASH_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define M_NAME_MAX	255

enum mtype { M_FREE = 0, M_FILE, M_DIR, M_SYMLINK, M_FIFO };

struct mxattr {
	char *name;
	uint8_t *val;
	size_t len;
};

struct mdent {
	char *name;
	uint32_t node;
};

struct mnode {
	enum mtype type;
	uint64_t ino;
	uint32_t mode;		/* S_IFMT | permission bits */
	uint32_t nlink;
	uint64_t size;
	uint8_t *data;		/* file: size bytes */
	char *target;		/* symlink */
	struct mxattr *xa;
	unsigned int nxa;
	struct mdent *ent;	/* directory */
	unsigned int nent;
	uint32_t parent;	/* directory */
};

struct model {
	struct mnode *n;
	unsigned int nn;
};

struct model *model_new(void);
struct model *model_clone(const struct model *m);
void model_free(struct model *m);

/* A new node (returns its index; the caller fills type, ino, mode). */
uint32_t model_node(struct model *m);
struct mdent *model_find(struct model *m, uint32_t dir, const char *name);
void model_add(struct model *m, uint32_t dir, const char *name,
	       uint32_t node);
void model_del(struct model *m, uint32_t dir, const char *name);
/* Drop a link to @node (frees it at nlink 0 unless @keep). */
void model_unref(struct model *m, uint32_t node, int keep);
int model_resize(struct mnode *n, uint64_t size);
struct mxattr *model_xattr(struct mnode *n, const char *name);
int model_set_xattr(struct mnode *n, const char *name, const void *v,
		    size_t len);
void model_del_xattr(struct mnode *n, const char *name);
/* Is @a inside the subtree of directory @b (or b itself)? */
int model_under(const struct model *m, uint32_t a, uint32_t b);

#endif /* PMCRASH_MODEL_H */
