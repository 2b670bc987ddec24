// SPDX-License-Identifier: BSD-2-Clause
/*
 * fsck.c - check (and repair) an unmounted file system.
 *
 * fs_open() in fsck mode checks the superblocks, the journal, every inode
 * (checksum, fields), extent map (bounds, order, checksums, blocks used
 * twice without a shared extent) and xattr area, and the orphans. Here:
 * the directories (entry checksums, targets, types, directory hard links,
 * parents) and the link counts. Repairs go through the journal, so a
 * crash during a repair leaves a file system fsck can still repair. An
 * inode that cannot be trusted is cleared and the entries naming it are
 * dropped; there is no lost+found: unreachable inodes are freed.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "core_i.h"

static void noop_report(void *arg, const char *msg, int fixed)
{
}

static bool usable(struct pmfs *fs, uint64_t ino)
{
	return ino >= PMFS_ROOT_INO && ino < fs->sb.inodes && fs->iused[ino] &&
	       fs->itab[ino] && !fs->itab[ino]->bad;
}

static void commit_inode(struct pmfs *fs, struct pinode *pi,
			 struct pmfs_dinode *nd)
{
	struct tx tx;

	if (tx_init(fs, &tx))
		return;
	tx_add_inode(fs, &tx, nd);
	tx_commit(fs, &tx);
	tx_fini(&tx);
	pi->d = *nd;
}

static void check_dir(struct pmfs *fs, struct pinode *dir, uint32_t *links,
		      uint32_t *subdirs)
{
	bool fix = fs->rep->repair;
	struct dindex *di;

	if (dir_load(fs, dir)) {
		problem(fs, 0, "directory %llu: unreadable",
			(unsigned long long)dir->ino);
		return;
	}
	di = dir->dir;
	for (uint32_t b = 0; b < di->nblk; b++) {
		uint64_t hm = di->head[b];

		while (hm) {
			uint32_t s = (uint32_t)__builtin_ctzll(hm);
			uint32_t slot = b * PMFS_DSLOTS + s;
			const struct pmfs_dent *de = dir_dent(fs, dir, slot);
			uint64_t t = de->ino;
			const char *why = NULL;
			uint32_t fslot = slot;
			struct tx tx;

			hm &= hm - 1;
			if (!dir_find(fs, dir, de->name, de->namelen, &fslot, NULL) &&
			    fslot != slot)
				why = "duplicates another entry's name";
			else if (!usable(fs, t))
				why = "names a free or cleared inode";
			else if (de->type != mode_dtype(fs->itab[t]->d.mode))
				why = "has the wrong type";
			else if (S_ISDIR(fs->itab[t]->d.mode) && links[t])
				why = "is a second link to a directory";
			else if (t == PMFS_ROOT_INO)
				why = "names the root";
			if (why) {
				problem(fs, fix, "directory %llu: entry '%.*s' %s%s",
					(unsigned long long)dir->ino,
					(int)de->namelen, de->name, why,
					fix ? ": fixed" : "");
				if (fix && !tx_init(fs, &tx)) {
					if (usable(fs, t) && fslot == slot &&
					    de->type !=
					    mode_dtype(fs->itab[t]->d.mode) &&
					    !(S_ISDIR(fs->itab[t]->d.mode) &&
					      links[t])) {
						dir_set(fs, dir, &tx, slot, t,
							mode_dtype(fs->itab[t]->d.mode));
						why = NULL;
					} else {
						dir_remove(fs, dir, &tx, slot);
					}
					tx_commit(fs, &tx);
					tx_fini(&tx);
				}
				if (why)
					continue;
			}
			links[t]++;
			if (S_ISDIR(fs->itab[t]->d.mode)) {
				struct pinode *c = fs->itab[t];

				subdirs[dir->ino]++;
				if (c->d.parent != dir->ino) {
					problem(fs, fix, "directory %llu: parent %llu, should be %llu%s",
						(unsigned long long)t,
						(unsigned long long)c->d.parent,
						(unsigned long long)dir->ino,
						fix ? ": fixed" : "");
					if (fix) {
						struct pmfs_dinode nd = c->d;

						nd.parent = dir->ino;
						commit_inode(fs, c, &nd);
					}
				}
			}
		}
	}
}

/* one pass over directories and link counts; 1 if nothing was repaired */
static int pass_links(struct pmfs *fs, uint32_t *links, uint32_t *subdirs)
{
	bool fix = fs->rep->repair;
	uint64_t before = fs->repairs;

	for (uint64_t i = PMFS_ROOT_INO; i < fs->sb.inodes; i++)
		if (usable(fs, i) && S_ISDIR(fs->itab[i]->d.mode) &&
		    fs->itab[i]->d.nlink)
			check_dir(fs, fs->itab[i], links, subdirs);
	for (uint64_t i = PMFS_ROOT_INO; i < fs->sb.inodes; i++) {
		struct pinode *pi = fs->itab[i];
		uint32_t want;

		if (!usable(fs, i) || !pi->d.nlink)
			continue;
		if (S_ISDIR(pi->d.mode))
			want = (links[i] || i == PMFS_ROOT_INO) ? 2 + subdirs[i] : 0;
		else
			want = links[i];
		if (pi->d.nlink == want)
			continue;
		if (!want) {
			problem(fs, fix, "inode %llu: unreachable (nlink %u)%s",
				(unsigned long long)i, pi->d.nlink,
				fix ? ": freed" : "");
		} else {
			problem(fs, fix, "inode %llu: nlink %u, should be %u%s",
				(unsigned long long)i, pi->d.nlink, want,
				fix ? ": fixed" : "");
		}
		if (fix) {
			struct pmfs_dinode nd = pi->d;

			nd.nlink = want;
			commit_inode(fs, pi, &nd);
			if (!want)
				inode_evict(fs, pi);
		}
	}
	return fs->repairs == before;
}

/* the root was cleared: an empty one, so the rest can be reconnected */
static void new_root(struct pmfs *fs)
{
	struct pinode *pi = fs->itab[PMFS_ROOT_INO];
	struct pmfs_dinode nd = { 0 };

	if (!pi && !(pi = pinode_new(fs, PMFS_ROOT_INO)))
		return;
	nd.ino = PMFS_ROOT_INO;
	nd.generation = pi->d.generation + 1;
	nd.mode = S_IFDIR | 0755;
	nd.nlink = 2;
	nd.parent = PMFS_ROOT_INO;
	now_ts(&nd.ctime_s, &nd.ctime_ns);
	nd.mtime_s = nd.atime_s = nd.ctime_s;
	emap_clear(&pi->em);
	dir_free(pi->dir);
	pi->dir = NULL;
	pi->bad = false;
	pi->nblk = 0;
	commit_inode(fs, pi, &nd);
	if (!fs->iused[PMFS_ROOT_INO]) {
		fs->iused[PMFS_ROOT_INO] = 1;
		fs->ifree--;
	}
	problem(fs, 1, "root directory recreated (empty)");
}

int pmfs_fsck(struct pm_media *m, unsigned int flags, pmfs_report_fn report,
	      void *arg)
{
	struct scanrep rep = {
		.fn = report ? report : noop_report,
		.arg = arg,
		.repair = flags & PMFS_FSCK_REPAIR,
	};
	uint32_t *links = NULL, *subdirs = NULL;
	struct pmfs *fs;
	char err[200];
	int ret;

	if (flags & ~PMFS_FSCK_REPAIR)
		return -EINVAL;
	ret = fs_open(m, rep.repair ? 0 : PMFS_MOUNT_RDONLY, &rep, &fs, err,
		      sizeof(err));
	if (ret)
		return ret;
	links = calloc(fs->sb.inodes, sizeof(*links));
	subdirs = calloc(fs->sb.inodes, sizeof(*subdirs));
	if (!links || !subdirs) {
		ret = -ENOMEM;
		goto out;
	}
	if (!usable(fs, PMFS_ROOT_INO) && rep.repair)
		new_root(fs);
	/* a repair can make more (freeing a directory drops its entries'
	 * links): repeat until a pass changes nothing */
	for (int pass = 0; pass < 8; pass++) {
		uint64_t before = fs->repairs;

		memset(links, 0, fs->sb.inodes * sizeof(*links));
		memset(subdirs, 0, fs->sb.inodes * sizeof(*subdirs));
		if (pass_links(fs, links, subdirs) || fs->repairs == before)
			break;
	}
	ret = (int)(rep.unfixed > INT32_MAX ? INT32_MAX : rep.unfixed);
out:
	free(links);
	free(subdirs);
	fs_close(fs);
	return ret;
}
