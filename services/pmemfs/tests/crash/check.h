/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check.h - compare a mounted file system with the oracle's model.
 */
#ifndef PMCRASH_CHECK_H
#define PMCRASH_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct pmfs;

/* A torn data op in flight: file @node may have size before or after and
 * each byte of the old range before's or after's (extension: after's). */
struct check_relax {
	const struct model *before;
	uint32_t node;
};

enum {
	CHK_OK = 0,
	CHK_WRONG = 1,		/* a wrong answer */
	CHK_ERROR = 2,		/* an error return (detected corruption) */
};

/* Walk the tree of @m in @fs: names, inode numbers, types, modes, link
 * counts, sizes, bytes, symlink targets, xattrs. CHK_*; @why says what. */
int check_tree(struct pmfs *fs, const struct model *m,
	       const struct check_relax *rx, char *why, size_t whylen);

#endif /* PMCRASH_CHECK_H */
