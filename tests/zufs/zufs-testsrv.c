// SPDX-License-Identifier: BSD-2-Clause
/*
 * zufs-testsrv - a small zufs protocol server for testing zuf.ko on its
 * own: one in-memory file system, every request checked against
 * <linux/zufs.h>, and "evil" modes in which it lies to the kernel the
 * way a broken or hostile server could.
 *
 *   zufs-testsrv SERVICE [MODE]
 *
 * The file system offers every capability but RENAME_EXCHANGE: xattrs
 * and POSIX ACLs (kept as xattrs), mmap, fallocate (with holes tracked
 * per 4 KiB block, for SEEK_DATA/SEEK_HOLE), O_TMPFILE, copy_file_range
 * and OPEN/RELEASE (file handles checked on every data op).
 *
 * BATCH_FORGET is served (and counted like every op); modes "enosys"
 * and "no-batch-forget" (only that op) answer it -ENOSYS, so the kernel
 * falls back to single FORGETs.
 *
 * Protocol 1.2: OPENDIR/RELEASEDIR (directory handles, checked in READDIR
 * and FSYNCDIR), FLUSH (answers -N if the file has the xattr
 * "user.flusherr" = "N", else 0), FSYNCDIR, CREATE, and
 * ZUFS_CAP_INIT_XATTRS (the initial xattrs of MKNOD, MKDIR, SYMLINK,
 * TMPFILE and CREATE are checked and stored with the new inode). Mode
 * "v11" is a 1.1 server: minor 1, no INIT_XATTRS, the 1.2 opcodes
 * answered -ENOSYS (and counted: the kernel must never send them).
 * Every mode refuses INIT with caps outside ZUFS_CAP_OFFER_MASK, as a
 * 1.1 server does. Handles that do not match (a wrong or missing fh, a
 * RELEASE of a directory handle, ...) are answered -EBADF and counted
 * ("badfh=").
 *
 * ZUFS_TESTSRV_LOG=FILE: one line per request, "OP ino=N" and, where the
 * op has them, "fh=F" (the request's handle), "newfh=F" (the handle
 * given), "name=NAME", "xattrs=NAME,NAME" (initial xattrs; "-" if none),
 * "status=S".
 *
 * MODE (optional): "enosys" answers -ENOSYS to every optional op; "v11"
 * (above); create-reserved: CREATE replies with its reserved field set;
 * else
 * an evil mode: readdir-slash, readdir-dot, readdir-nul, readdir-type,
 * readdir-ino0, readdir-overrun, read-overcount, lookup-ino0,
 * lookup-self, lookup-root, lookup-dirtwice, attr-mode, attr-size,
 * getattr-stall, write-overcount, write-offset, status-positive,
 * status-internal, reply-short, acl-garbage, tmpfile-old, seek-beyond,
 * xattr-overcount, list-nonul, readlink-nul, statfs-bad, copy-overcount,
 * open-reserved;
 *   no-mmap: no lie: the server does not agree to ZUFS_CAP_MMAP (and
 *     refuses page-cache WRITEs);
 *   mkdir-same: the first MKDIR of a name starting with "same" creates a
 *     directory, every later one answers that directory again (and the
 *     first SETXATTR of its ACLs waits, up to 5 s, for the SETXATTR of
 *     another mkdir answered with it: two creates race for one inode);
 *   readdir-loop: READDIR ignores the cookie and never says EOF (the
 *     same entries for ever); readdir-samecookie: the same, and every
 *     record has one cookie;
 *   privs: the root holds a set-uid root file "suid" (04755, a shell
 *     script), a set-gid file "sgid" (02755) and a block device "blk"
 *     (0666, rdev 7:0), root-owned, as if they had always been there;
 *   fuzz[:SEED[:PERCENT]]: computes every reply as usual, then mutates
 *     PERCENT (default 10) of them (see fuzz_reply()); SEED (default: the
 *     time) is printed on stderr. SIGUSR2 prints "fuzz seed=S replies=N
 *     fuzzed=M".
 *
 *   fsid:C: no lie: the file system's identity (init_out.fs_id, 1.3) is
 *     16 bytes of the character C, and a re-attach INIT (ZUFS_INIT_REATTACH)
 *     for that identity is served (an empty file system: only the root,
 *     number 1, generation 1, as after every INIT); any other identity,
 *     or a re-attach without "fsid:", is answered -ESTALE. Mode "v11"
 *     refuses the re-attach flag (-EINVAL), as a pre-1.3 server does.
 *
 *   notify: the file system changes behind the kernel on commands read
 *     from stdin, and the server sends ZUFS_NOTIFY_* messages (see
 *     notify_control()).
 *
 * Prints "ready" on stdout once the service exists; runs until killed.
 * Mount options: only "t_*" ones are accepted (and ignored).
 * On SIGUSR1 it prints one line: "counts" and the number of requests of
 * each opcode 1..ZUFS_OP_MAX-1, "badfh=" the requests with a bad handle,
 * "dirs=" the directory handles open, "inodes=" the inodes in use (the
 * root too), then "open=" the file handles open.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libucchan.h>
#include <linux/zufs.h>

#define NR_INODES	4096
#define MAX_ENTRIES	512
#define MAX_XATTRS	64
#define MAX_FH		1024
#define FH_BASE		1000		/* fh = FH_BASE + slot: never 0 */
#define BLK		4096		/* allocation unit of file data */
#define MAX_FILE	(64ULL << 20)
#define CAPS		(ZUFS_CAP_XATTR | ZUFS_CAP_ACL | ZUFS_CAP_MMAP | \
			 ZUFS_CAP_FALLOCATE | ZUFS_CAP_TMPFILE | \
			 ZUFS_CAP_COPY_RANGE | ZUFS_CAP_SEEK_DATA | \
			 ZUFS_CAP_OPEN | ZUFS_CAP_INIT_XATTRS)

struct xattr {
	char name[ZUFS_XATTR_NAME_MAX + 1];
	void *val;
	uint32_t size;
};

struct dent {
	char name[ZUFS_NAME_MAX + 1];
	uint64_t ino;
	uint64_t cookie;
};

struct node {
	bool used;
	struct zufs_attr a;
	char *data;		/* regular file data / symlink target */
	size_t cap;
	unsigned char *alloc;	/* regular file: one byte per BLK of cap */
	struct xattr *xattrs;
	unsigned int nxattrs;
	struct dent *ents;	/* directory */
	unsigned int nents;
	uint64_t next_cookie;
	uint64_t nlookup;
};

static struct node nodes[NR_INODES];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *evil = "";
static uint64_t gen_counter = 1;
static uint64_t counts[ZUFS_OP_MAX];
static struct {
	bool used;
	bool dir;		/* from OPENDIR */
	uint64_t ino;
} fhs[MAX_FH];
static unsigned int nopen, nopendir;
static uint64_t badfh;
/* what INIT agreed: minor and caps (the kernel's view of this server) */
static uint32_t agreed_minor;
static uint64_t agreed_caps;
static FILE *reqlog;

static bool is_evil(const char *m)
{
	return !strcmp(evil, m);
}

static bool fuzzing;

/* fsid:C mode: the identity INIT answers (all zero: none) */
static __u8 fs_id[ZUFS_FS_ID_LEN];

/* mkdir-same: the directory every "same*" MKDIR answers; its SETXATTRs */
static uint64_t same_ino;
static unsigned int same_setx;
static pthread_cond_t same_cond = PTHREAD_COND_INITIALIZER;

static void now(__u64 *sec, __u32 *nsec)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	*sec = ts.tv_sec;
	*nsec = ts.tv_nsec;
}

static void touch_mc(struct node *n)
{
	now(&n->a.mtime, &n->a.mtimensec);
	n->a.ctime = n->a.mtime;
	n->a.ctimensec = n->a.mtimensec;
}

static struct node *get(uint64_t ino)
{
	if (!ino || ino >= NR_INODES || !nodes[ino].used)
		return NULL;
	return &nodes[ino];
}

static uint64_t new_node(const struct zufs_new_inode *ni)
{
	uint64_t i;

	for (i = 2; i < NR_INODES; i++) {
		struct node *n = &nodes[i];

		if (n->used)
			continue;
		memset(n, 0, sizeof(*n));
		n->used = true;
		n->a.ino = i;
		n->a.generation = gen_counter++;
		n->a.mode = ni->mode;
		n->a.uid = ni->uid;
		n->a.gid = ni->gid;
		n->a.rdev_major = ni->rdev_major;
		n->a.rdev_minor = ni->rdev_minor;
		n->a.nlink = S_ISDIR(ni->mode) ? 2 : 1;
		n->a.blksize = 4096;
		n->next_cookie = ZUFS_DIR_COOKIE_FIRST;
		now(&n->a.atime, &n->a.atimensec);
		touch_mc(n);
		return i;
	}
	return 0;
}

static void free_node(struct node *n)
{
	unsigned int i;

	for (i = 0; i < n->nxattrs; i++)
		free(n->xattrs[i].val);
	free(n->xattrs);
	free(n->data);
	free(n->alloc);
	free(n->ents);
	n->used = false;
}

static void maybe_free(struct node *n)
{
	if (n->a.nlink || n->nlookup)
		return;
	free_node(n);
}

static struct dent *find(struct node *d, const char *name)
{
	unsigned int i;

	for (i = 0; i < d->nents; i++)
		if (!strcmp(d->ents[i].name, name))
			return &d->ents[i];
	return NULL;
}

static int add(struct node *d, const char *name, uint64_t ino)
{
	struct dent *e;

	if (d->nents == MAX_ENTRIES)
		return -ENOSPC;
	if (!d->ents) {
		d->ents = calloc(MAX_ENTRIES, sizeof(*d->ents));
		if (!d->ents)
			return -ENOMEM;
	}
	e = &d->ents[d->nents++];
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->ino = ino;
	e->cookie = d->next_cookie++;
	touch_mc(d);
	return 0;
}

static void del(struct node *d, struct dent *e)
{
	/* keep cookie order: shift */
	memmove(e, e + 1, (d->ents + d->nents - e - 1) * sizeof(*e));
	d->nents--;
	touch_mc(d);
}

/* the attributes of ino, without counting a lookup */
static int attr_reply(uint64_t ino, void *reply, size_t *rlen)
{
	struct zufs_entry_out *out = reply;

	memset(out, 0, sizeof(*out));
	out->attr = nodes[ino].a;
	*rlen = sizeof(*out);
	return 0;
}

static int entry_reply(uint64_t ino, void *reply, size_t *rlen)
{
	nodes[ino].nlookup++;
	return attr_reply(ino, reply, rlen);
}

static size_t nblocks(size_t bytes)
{
	return (bytes + BLK - 1) / BLK;
}

static int ensure(struct node *n, size_t size)
{
	unsigned char *a;
	char *p;

	if (size <= n->cap)
		return 0;
	if (size > MAX_FILE)
		return -EFBIG;
	p = realloc(n->data, size);
	if (!p)
		return -ENOSPC;
	memset(p + n->cap, 0, size - n->cap);
	n->data = p;
	a = realloc(n->alloc, nblocks(size));
	if (!a)
		return -ENOSPC;
	memset(a + nblocks(n->cap), 0, nblocks(size) - nblocks(n->cap));
	n->alloc = a;
	n->cap = size;
	return 0;
}

static void count_blocks(struct node *n)
{
	size_t i, nb = 0;

	for (i = 0; i < nblocks(n->cap); i++)
		nb += n->alloc[i];
	n->a.blocks = nb * (BLK / 512);
}

/* mark [off, off + len) allocated (the caller has ensure()d it) */
static void alloc_range(struct node *n, uint64_t off, uint64_t len)
{
	uint64_t b;

	for (b = off / BLK; len && b < nblocks(off + len); b++)
		n->alloc[b] = 1;
	count_blocks(n);
}

/* zero [off, off + len) within cap; blocks wholly inside become holes */
static void punch_range(struct node *n, uint64_t off, uint64_t len)
{
	uint64_t end = off + len, b;

	if (end > n->cap)
		end = n->cap;
	if (off >= end)
		return;
	memset(n->data + off, 0, end - off);
	for (b = nblocks(off); b < nblocks(end); b++)
		if ((b + 1) * BLK <= end || end == n->cap)
			n->alloc[b] = 0;
	count_blocks(n);
}

static bool fh_ok(uint64_t fh, uint64_t ino, uint32_t flags)
{
	if (!fh)	/* page cache I/O, or OPEN answered -ENOSYS */
		return (flags & ZUFS_IO_PAGECACHE) || is_evil("enosys");
	fh -= FH_BASE;
	return fh < MAX_FH && fhs[fh].used && !fhs[fh].dir &&
	       fhs[fh].ino == ino;
}

/* does the kernel open directories (OPENDIR)? */
static bool dir_handles(void)
{
	return agreed_minor >= 2 && (agreed_caps & ZUFS_CAP_OPEN) &&
	       !is_evil("enosys") && !is_evil("v11");
}

/* a directory's handle: 0 exactly when the kernel does not send OPENDIR */
static bool dirfh_ok(uint64_t fh, uint64_t ino)
{
	if (!fh)
		return !dir_handles();
	fh -= FH_BASE;
	return fh < MAX_FH && fhs[fh].used && fhs[fh].dir &&
	       fhs[fh].ino == ino;
}

/* a new handle of ino, or -EMFILE */
static int64_t fh_new(uint64_t ino, bool dir)
{
	unsigned int i;

	for (i = 0; i < MAX_FH && fhs[i].used; i++)
		;
	if (i == MAX_FH)
		return -EMFILE;
	fhs[i].used = true;
	fhs[i].dir = dir;
	fhs[i].ino = ino;
	if (dir)
		nopendir++;
	else
		nopen++;
	return FH_BASE + i;
}

static struct xattr *xfind(struct node *n, const char *name)
{
	unsigned int i;

	for (i = 0; i < n->nxattrs; i++)
		if (!strcmp(n->xattrs[i].name, name))
			return &n->xattrs[i];
	return NULL;
}

/* set name to a copy of val (size bytes), replacing an old value */
static int xset(struct node *n, const char *name, const void *val,
		uint32_t size)
{
	struct xattr *x = xfind(n, name);
	void *v = malloc(size ? size : 1);

	if (!v)
		return -ENOSPC;
	memcpy(v, size ? val : "", size);
	if (!x) {
		struct xattr *xs;

		if (n->nxattrs == MAX_XATTRS) {
			free(v);
			return -ENOSPC;
		}
		xs = realloc(n->xattrs, (n->nxattrs + 1) * sizeof(*xs));
		if (!xs) {
			free(v);
			return -ENOSPC;
		}
		n->xattrs = xs;
		x = &xs[n->nxattrs++];
		memset(x, 0, sizeof(*x));
		snprintf(x->name, sizeof(x->name), "%s", name);
	}
	free(x->val);
	x->val = v;
	x->size = size;
	return 0;
}

/* the initial xattrs of a create request (ZUFS_CAP_INIT_XATTRS) */
struct initx {
	unsigned int count;
	const struct zufs_init_xattr *rec[ZUFS_INIT_XATTRS_MAX];
	char names[512];	/* for the log */
};

/*
 * Check the block in bufs[idx] (if any) as the header says, before
 * anything is created. Return: 0 or -EINVAL.
 */
static int initx_parse(const struct ucchan_req *req, unsigned int idx,
		       struct initx *ix)
{
	const struct zufs_init_xattrs *h;
	const char *p, *end;
	unsigned int i, j;

	memset(ix, 0, sizeof(*ix));
	snprintf(ix->names, sizeof(ix->names), "-");
	if (req->nr_bufs <= idx)
		return 0;
	if (req->nr_bufs != idx + 1 || !(agreed_caps & ZUFS_CAP_INIT_XATTRS))
		return -EINVAL;
	h = req->bufs[idx].addr;
	if (req->bufs[idx].len < sizeof(*h) || h->len != req->bufs[idx].len ||
	    h->len % 8 || h->len > ZUFS_INIT_XATTRS_SIZE_MAX || h->pad ||
	    !h->count || h->count > ZUFS_INIT_XATTRS_MAX)
		return -EINVAL;
	p = (const char *)(h + 1);
	end = (const char *)h + h->len;
	ix->names[0] = '\0';
	for (i = 0; i < h->count; i++) {
		const struct zufs_init_xattr *x = (const void *)p;
		size_t rl, k;

		if ((size_t)(end - p) < ZUFS_INIT_XATTR_NAME_OFFSET)
			return -EINVAL;
		if (!x->namelen || x->namelen > ZUFS_XATTR_NAME_MAX ||
		    x->size > ZUFS_XATTR_SIZE_MAX)
			return -EINVAL;
		rl = ZUFS_INIT_XATTR_SIZE(x->namelen, x->size);
		if (rl > (size_t)(end - p) ||
		    memchr(x->name, '\0', x->namelen) || x->name[x->namelen])
			return -EINVAL;
		for (k = ZUFS_INIT_XATTR_NAME_OFFSET + x->namelen + 1 + x->size;
		     k < rl; k++)
			if (p[k])
				return -EINVAL;
		for (j = 0; j < i; j++)
			if (!strcmp(ix->rec[j]->name, x->name))
				return -EINVAL;
		ix->rec[i] = x;
		snprintf(ix->names + strlen(ix->names),
			 sizeof(ix->names) - strlen(ix->names), "%s%s",
			 i ? "," : "", x->name);
		p += rl;
	}
	if (p != end)
		return -EINVAL;
	ix->count = h->count;
	return 0;
}

static int initx_apply(struct node *n, const struct initx *ix)
{
	unsigned int i;
	int err;

	for (i = 0; i < ix->count; i++) {
		const struct zufs_init_xattr *x = ix->rec[i];

		err = xset(n, x->name, x->name + x->namelen + 1, x->size);
		if (err)
			return err;
	}
	return 0;
}

/* the log line's details of this request (filled by serve()) */
static char logbuf[1024];

static void reqlog_add(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void reqlog_add(const char *fmt, ...)
{
	size_t len = strlen(logbuf);
	va_list ap;

	if (!reqlog || len >= sizeof(logbuf) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(logbuf + len, sizeof(logbuf) - len, fmt, ap);
	va_end(ap);
}

/* GETXATTR, SETXATTR, LISTXATTR, REMOVEXATTR */
static int32_t serve_xattr(struct ucchan_req *req, struct node *n,
			   size_t *rlen)
{
	const struct zufs_in_header *h = req->data;
	const struct zufs_xattr_in *in = (const void *)(h + 1);
	const char *name = (const char *)(in + 1);
	struct zufs_xattr_out *out = req->reply;
	void *buf = req->nr_bufs ? req->bufs[0].addr : NULL;
	struct xattr *x = NULL;
	uint32_t len = 0;
	unsigned int i;

	if (!n)
		return -ENOENT;
	if (in->pad || (in->size && (req->nr_bufs != 1 ||
				     req->bufs[0].len != in->size)))
		return -EINVAL;
	if (h->opcode != ZUFS_OP_LISTXATTR) {
		if (!in->namelen || strlen(name) != in->namelen)
			return -EINVAL;
		x = xfind(n, name);
	}
	memset(out, 0, sizeof(*out));
	switch (h->opcode) {
	case ZUFS_OP_GETXATTR:
		/* every ACL but the root's is junk, even one never set */
		if (is_evil("acl-garbage") && h->ino != 1 &&
		    !strncmp(name, "system.posix_acl_", 17)) {
			static const char junk[] = "not an ACL at all";

			if (in->size && in->size < sizeof(junk))
				return -ERANGE;
			if (in->size)
				memcpy(buf, junk, sizeof(junk));
			out->size = sizeof(junk);
			*rlen = sizeof(*out);
			return 0;
		}
		if (!x)
			return -ENODATA;
		if (in->size && in->size < x->size)
			return -ERANGE;
		if (in->size)
			memcpy(buf, x->val, x->size);
		out->size = x->size;
		if (in->size && is_evil("xattr-overcount"))
			out->size = in->size + 1;
		*rlen = sizeof(*out);
		return 0;
	case ZUFS_OP_SETXATTR:
		if (in->flags & ~(ZUFS_XATTR_CREATE | ZUFS_XATTR_REPLACE))
			return -EINVAL;
		if (x && (in->flags & ZUFS_XATTR_CREATE))
			return -EEXIST;
		if (!x && (in->flags & ZUFS_XATTR_REPLACE))
			return -ENODATA;
		if (!x) {
			struct xattr *xs;

			if (n->nxattrs == MAX_XATTRS)
				return -ENOSPC;
			xs = realloc(n->xattrs, (n->nxattrs + 1) * sizeof(*xs));
			if (!xs)
				return -ENOSPC;
			n->xattrs = xs;
			x = &xs[n->nxattrs++];
			memset(x, 0, sizeof(*x));
			snprintf(x->name, sizeof(x->name), "%s", name);
		}
		free(x->val);
		x->val = malloc(in->size ? in->size : 1);
		if (!x->val) {
			*x = n->xattrs[--n->nxattrs];
			return -ENOSPC;
		}
		memcpy(x->val, buf ? buf : "", in->size);
		x->size = in->size;
		now(&n->a.ctime, &n->a.ctimensec);
		return 0;
	case ZUFS_OP_REMOVEXATTR:
		if (!x)
			return -ENODATA;
		free(x->val);
		*x = n->xattrs[--n->nxattrs];
		now(&n->a.ctime, &n->a.ctimensec);
		return 0;
	default:	/* LISTXATTR */
		for (i = 0; i < n->nxattrs; i++) {
			size_t l = strlen(n->xattrs[i].name) + 1;

			if (in->size) {
				if (len + l > in->size)
					return -ERANGE;
				memcpy((char *)buf + len, n->xattrs[i].name, l);
				if (is_evil("list-nonul"))
					((char *)buf)[len + l - 1] = 'x';
			}
			len += l;
		}
		out->size = len;
		*rlen = sizeof(*out);
		return 0;
	}
}

/* privs: files no one created through this mount, owned by root */
static void add_priv(const char *name, uint32_t mode, const char *data,
		     uint32_t major, uint32_t minor)
{
	struct zufs_new_inode ni = {
		.mode = mode,
		.rdev_major = major,
		.rdev_minor = minor,
	};
	uint64_t ino = new_node(&ni);
	struct node *n = &nodes[ino];

	if (!ino)
		return;
	if (data && !ensure(n, strlen(data))) {
		memcpy(n->data, data, strlen(data));
		n->a.size = strlen(data);
		alloc_range(n, 0, n->a.size);
	}
	add(&nodes[1], name, ino);
}

static void add_privs(void)
{
	static const char script[] = "#!/bin/sh\nid -u\n";

	add_priv("suid", S_IFREG | 04755, script, 0, 0);
	add_priv("sgid", S_IFREG | 02755, script, 0, 0);
	add_priv("blk", S_IFBLK | 0666, NULL, 7, 0);
}

/* the ops a server may answer -ENOSYS (zuf remembers it) */
static bool optional_op(uint32_t opcode)
{
	switch (opcode) {
	case ZUFS_OP_SYNC_FS: case ZUFS_OP_FORGET: case ZUFS_OP_SYMLINK:
	case ZUFS_OP_READLINK: case ZUFS_OP_LINK: case ZUFS_OP_RENAME:
	case ZUFS_OP_TMPFILE: case ZUFS_OP_OPEN: case ZUFS_OP_RELEASE:
	case ZUFS_OP_FSYNC: case ZUFS_OP_FALLOCATE: case ZUFS_OP_LSEEK:
	case ZUFS_OP_COPY_RANGE: case ZUFS_OP_GETXATTR:
	case ZUFS_OP_SETXATTR: case ZUFS_OP_LISTXATTR:
	case ZUFS_OP_REMOVEXATTR: case ZUFS_OP_BATCH_FORGET:
	case ZUFS_OP_OPENDIR: case ZUFS_OP_RELEASEDIR: case ZUFS_OP_FLUSH:
	case ZUFS_OP_FSYNCDIR: case ZUFS_OP_CREATE:
		return true;
	}
	return false;
}

/* BATCH_FORGET: every entry checked first, then each one a FORGET */
static int32_t batch_forget(const struct zufs_in_header *h, size_t len)
{
	const struct zufs_batch_forget_in *in = (const void *)(h + 1);
	const struct zufs_forget_one *e = (const void *)(in + 1);
	size_t room;
	uint32_t i;

	if (len < sizeof(*h) + sizeof(*in) || h->ino)
		return -EINVAL;
	room = len - sizeof(*h) - sizeof(*in);
	if (in->pad || !in->count || room % sizeof(*e) ||
	    room / sizeof(*e) != in->count)
		return -EINVAL;
	for (i = 0; i < in->count; i++)
		if (!e[i].nlookup || !get(e[i].ino) ||
		    e[i].nlookup > get(e[i].ino)->nlookup)
			return -EINVAL;
	for (i = 0; i < in->count; i++) {
		struct node *n = get(e[i].ino);

		if (!n || e[i].nlookup > n->nlookup)	/* a repeated inode */
			return -EINVAL;
		n->nlookup -= e[i].nlookup;
		maybe_free(n);
	}
	return 0;
}

static int32_t serve(struct ucchan_req *req, size_t *rlen)
{
	const struct zufs_in_header *h = req->data;
	const char *body = (const char *)(h + 1);
	struct node *n, *d;
	struct dent *e;
	uint64_t ino;
	int err;

	*rlen = 0;
	if (req->len < sizeof(*h) || h->len != req->len)
		return -EPROTO;
	if (h->opcode == ZUFS_OP_INIT) {
		const struct zufs_init_in *in = (const void *)body;
		struct zufs_init_out *out = req->reply;
		struct zufs_new_inode ni = { .mode = S_IFDIR | 0755 };

		if (in->major != ZUFS_KERNEL_VERSION)
			return -EPROTONOSUPPORT;
		/* a 1.1 server refuses caps it does not know */
		if (in->caps & ~ZUFS_CAP_OFFER_MASK)
			return -EINVAL;
		if (strcmp(in->fs_name, "testfs"))
			return -ENODEV;
		memset(fs_id, 0, sizeof(fs_id));
		if (!strncmp(evil, "fsid:", 5) && evil[5])
			memset(fs_id, evil[5], sizeof(fs_id));
		if (in->flags & ~(__u32)(ZUFS_INIT_RDONLY | ZUFS_INIT_REATTACH) ||
		    ((in->flags & ZUFS_INIT_REATTACH) && is_evil("v11")))
			return -EINVAL;
		if ((in->flags & ZUFS_INIT_REATTACH) &&
		    (!fs_id[0] || memcmp(in->fs_id, fs_id, sizeof(fs_id))))
			return -ESTALE;
		/* options: only "t_*" (shown by the kernel, else ignored) */
		if (in->options_len) {
			const char *o = body + sizeof(*in) + in->source_len + 1;

			while (*o) {
				if (strncmp(o, "t_", 2))
					return -EINVAL;
				o += strcspn(o, ",");
				if (*o)
					o++;
			}
		}
		for (ino = 1; ino < NR_INODES; ino++)
			if (nodes[ino].used)
				free_node(&nodes[ino]);
		memset(nodes, 0, sizeof(nodes));
		memset(fhs, 0, sizeof(fhs));
		nopen = 0;
		nopendir = 0;
		nodes[1].used = true;
		nodes[1].a.ino = 1;
		nodes[1].a.mode = ni.mode;
		nodes[1].a.nlink = 2;
		nodes[1].a.generation = 1;
		nodes[1].next_cookie = ZUFS_DIR_COOKIE_FIRST;
		same_ino = 0;
		same_setx = 0;
		if (is_evil("privs"))
			add_privs();
		memset(out, 0, sizeof(*out));
		out->major = ZUFS_KERNEL_VERSION;
		out->minor = is_evil("v11") ? 1 : ZUFS_KERNEL_MINOR_VERSION;
		out->caps = CAPS & in->caps;
		/* 1.2 caps are offered by the kernel's minor */
		if (in->minor >= 2 && out->minor >= 2)
			out->caps |= CAPS & ZUFS_CAP_INIT_XATTRS;
		if (is_evil("no-mmap"))
			out->caps &= ~(__u64)ZUFS_CAP_MMAP;
		/* mkdir-same races on the ACL SETXATTRs */
		if (is_evil("mkdir-same"))
			out->caps &= ~(__u64)ZUFS_CAP_INIT_XATTRS;
		agreed_minor = in->minor < out->minor ? in->minor : out->minor;
		agreed_caps = out->caps;
		out->sb_id = 42;
		memcpy(out->fs_id, fs_id, sizeof(out->fs_id));
		out->root = nodes[1].a;
		*rlen = sizeof(*out);
		return 0;
	}
	if (h->sb_id != 42)
		return -EINVAL;
	if (is_evil("status-positive"))
		return 5;
	if (is_evil("enosys") && optional_op(h->opcode))
		return -ENOSYS;
	if (is_evil("v11") && h->opcode >= ZUFS_OP_OPENDIR)
		return -ENOSYS;
	if (is_evil("no-batch-forget") && h->opcode == ZUFS_OP_BATCH_FORGET)
		return -ENOSYS;
	n = get(h->ino);
	switch (h->opcode) {
	case ZUFS_OP_DESTROY:
	case ZUFS_OP_SYNC_FS:
		return 0;
	case ZUFS_OP_FSYNC:
	case ZUFS_OP_FSYNCDIR: {
		const struct zufs_fsync_in *in = (const void *)body;
		bool ok;

		if (!n)
			return -ENOENT;
		reqlog_add(" fh=%llu", (unsigned long long)in->fh);
		if (in->pad || in->datasync > 1)
			return -EINVAL;
		if (h->opcode == ZUFS_OP_FSYNCDIR)
			ok = S_ISDIR(n->a.mode) && dirfh_ok(in->fh, h->ino);
		else if (S_ISDIR(n->a.mode))	/* 1.1, or FSYNCDIR -ENOSYS */
			ok = !in->fh || dirfh_ok(in->fh, h->ino);
		else
			ok = !S_ISREG(n->a.mode) || fh_ok(in->fh, h->ino, 0);
		if (!ok) {
			badfh++;
			return -EBADF;
		}
		return 0;
	}
	case ZUFS_OP_STATFS: {
		struct zufs_statfs_out *out = req->reply;

		memset(out, 0, sizeof(*out));
		out->blocks = is_evil("statfs-bad") ? 400 : 1000;
		out->bfree = out->bavail = 500;
		out->files = NR_INODES;
		out->ffree = 100;
		out->bsize = 4096;
		*rlen = sizeof(*out);
		return 0;
	}
	case ZUFS_OP_FORGET: {
		const struct zufs_forget_in *in = (const void *)body;

		if (!n || in->nlookup > n->nlookup)
			return -EINVAL;
		n->nlookup -= in->nlookup;
		maybe_free(n);
		return 0;
	}
	case ZUFS_OP_BATCH_FORGET:
		return batch_forget(h, req->len);
	case ZUFS_OP_GETATTR:
		if (!n)
			return -ENOENT;
		if (is_evil("getattr-stall"))
			pause();
		if (is_evil("status-internal"))
			return -512;	/* ERESTARTSYS */
		if (is_evil("attr-size")) {
			attr_reply(h->ino, req->reply, rlen);
			((struct zufs_entry_out *)req->reply)->attr.size =
				1ULL << 63;
			return 0;
		}
		if (is_evil("attr-mode")) {
			struct zufs_entry_out *out = req->reply;

			memset(out, 0, sizeof(*out));
			out->attr = n->a;
			out->attr.mode = 0170777;
			*rlen = sizeof(*out);
			return 0;
		}
		memset(req->reply, 0, sizeof(struct zufs_entry_out));
		((struct zufs_entry_out *)req->reply)->attr = n->a;
		*rlen = is_evil("reply-short") ? 8 : sizeof(struct zufs_entry_out);
		return 0;
	case ZUFS_OP_SETATTR: {
		const struct zufs_setattr_in *in = (const void *)body;

		if (!n)
			return -ENOENT;
		if (in->valid & ZUFS_SET_MODE)
			n->a.mode = (n->a.mode & S_IFMT) | (in->mode & 07777);
		if (in->valid & ZUFS_SET_UID)
			n->a.uid = in->uid;
		if (in->valid & ZUFS_SET_GID)
			n->a.gid = in->gid;
		if (in->valid & ZUFS_SET_SIZE) {
			if (!S_ISREG(n->a.mode))
				return -EISDIR;
			err = ensure(n, in->size);
			if (err)
				return err;
			if (in->size < n->a.size)
				punch_range(n, in->size, n->cap - in->size);
			n->a.size = in->size;
			touch_mc(n);
		}
		if (in->valid & ZUFS_SET_ATIME) {
			n->a.atime = in->atime;
			n->a.atimensec = in->atimensec;
		}
		if (in->valid & ZUFS_SET_MTIME) {
			n->a.mtime = in->mtime;
			n->a.mtimensec = in->mtimensec;
		}
		if (in->valid & ZUFS_SET_CTIME) {
			n->a.ctime = in->ctime;
			n->a.ctimensec = in->ctimensec;
		}
		memset(req->reply, 0, sizeof(struct zufs_entry_out));
		((struct zufs_entry_out *)req->reply)->attr = n->a;
		*rlen = sizeof(struct zufs_entry_out);
		return 0;
	}
	case ZUFS_OP_LOOKUP: {
		const struct zufs_name_in *in = (const void *)body;
		const char *name = (const char *)(in + 1);

		if (!n || !S_ISDIR(n->a.mode))
			return -ENOTDIR;
		if (strlen(name) != in->namelen)
			return -EINVAL;
		reqlog_add(" name=%s", name);
		e = find(n, name);
		if (!e)
			return -ENOENT;
		err = entry_reply(e->ino, req->reply, rlen);
		if (is_evil("lookup-ino0"))
			((struct zufs_entry_out *)req->reply)->attr.ino = 0;
		if (is_evil("lookup-self"))
			((struct zufs_entry_out *)req->reply)->attr = n->a;
		if (is_evil("lookup-root") && !strcmp(name, "x"))
			((struct zufs_entry_out *)req->reply)->attr =
				nodes[1].a;
		if (is_evil("lookup-dirtwice") && strcmp(name, "a")) {
			e = find(n, "a");
			if (e)
				((struct zufs_entry_out *)req->reply)->attr =
					nodes[e->ino].a;
		}
		return err;
	}
	case ZUFS_OP_MKNOD:
	case ZUFS_OP_MKDIR: {
		const struct zufs_create_in *in = (const void *)body;
		const char *name = (const char *)(in + 1);
		struct initx ix;

		if (!n || !S_ISDIR(n->a.mode))
			return -ENOTDIR;
		err = initx_parse(req, 0, &ix);
		reqlog_add(" name=%s xattrs=%s", name, ix.names);
		if (err)
			return err;
		if (find(n, name))
			return -EEXIST;
		if (is_evil("mkdir-same") && h->opcode == ZUFS_OP_MKDIR &&
		    !strncmp(name, "same", 4) && same_ino) {
			return entry_reply(same_ino, req->reply, rlen);
		}
		ino = new_node(&in->ni);
		if (!ino)
			return -ENOSPC;
		err = initx_apply(&nodes[ino], &ix);
		if (!err)
			err = add(n, name, ino);
		if (err) {
			free_node(&nodes[ino]);
			return err;
		}
		if (S_ISDIR(in->ni.mode))
			n->a.nlink++;
		if (is_evil("mkdir-same") && h->opcode == ZUFS_OP_MKDIR &&
		    !strncmp(name, "same", 4))
			same_ino = ino;
		return entry_reply(ino, req->reply, rlen);
	}
	case ZUFS_OP_SYMLINK: {
		const struct zufs_symlink_in *in = (const void *)body;
		const char *name = (const char *)(in + 1);

		struct initx ix;

		if (!n || !S_ISDIR(n->a.mode))
			return -ENOTDIR;
		if (req->nr_bufs < 1 || req->bufs[0].len != in->targetlen)
			return -EINVAL;
		err = initx_parse(req, 1, &ix);
		reqlog_add(" name=%s xattrs=%s", name, ix.names);
		if (err)
			return err;
		if (find(n, name))
			return -EEXIST;
		ino = new_node(&in->ni);
		if (!ino)
			return -ENOSPC;
		d = &nodes[ino];
		d->data = malloc(in->targetlen);
		memcpy(d->data, req->bufs[0].addr, in->targetlen);
		d->a.size = in->targetlen;
		err = initx_apply(d, &ix);
		if (!err)
			err = add(n, name, ino);
		if (err) {
			free_node(d);
			return err;
		}
		return entry_reply(ino, req->reply, rlen);
	}
	case ZUFS_OP_READLINK: {
		struct zufs_readlink_out *out = req->reply;

		if (!n || !S_ISLNK(n->a.mode))
			return -EINVAL;
		if (req->nr_bufs != 1 || req->bufs[0].len < n->a.size)
			return -ERANGE;
		memcpy(req->bufs[0].addr, n->data, n->a.size);
		if (is_evil("readlink-nul"))
			((char *)req->bufs[0].addr)[0] = '\0';
		memset(out, 0, sizeof(*out));
		out->len = n->a.size;
		*rlen = sizeof(*out);
		return 0;
	}
	case ZUFS_OP_LINK: {
		const struct zufs_link_in *in = (const void *)body;
		const char *name = (const char *)(in + 1);
		struct node *t = get(in->ino);

		if (!n || !t)
			return -ENOENT;
		if (S_ISDIR(t->a.mode))
			return -EPERM;
		if (find(n, name))
			return -EEXIST;
		err = add(n, name, in->ino);
		if (err)
			return err;
		t->a.nlink++;
		touch_mc(t);
		t->a.mtime = t->a.mtime;
		return entry_reply(in->ino, req->reply, rlen);
	}
	case ZUFS_OP_UNLINK:
	case ZUFS_OP_RMDIR: {
		const struct zufs_name_in *in = (const void *)body;
		const char *name = (const char *)(in + 1);
		struct node *t;

		if (!n)
			return -ENOENT;
		e = find(n, name);
		if (!e)
			return -ENOENT;
		t = &nodes[e->ino];
		if (h->opcode == ZUFS_OP_RMDIR) {
			if (!S_ISDIR(t->a.mode))
				return -ENOTDIR;
			if (t->nents)
				return -ENOTEMPTY;
			t->a.nlink = 0;
			n->a.nlink--;
		} else {
			if (S_ISDIR(t->a.mode))
				return -EISDIR;
			t->a.nlink--;
		}
		touch_mc(t);
		del(n, e);
		maybe_free(t);
		return 0;
	}
	case ZUFS_OP_RENAME: {
		const struct zufs_rename_in *in = (const void *)body;
		const char *oldname = (const char *)(in + 1);
		const char *newname = oldname + in->oldlen + 1;
		struct node *nd = get(in->newdir);
		struct dent *ne;
		uint64_t moved;

		if (!n || !nd)
			return -ENOENT;
		if (in->flags & ~ZUFS_RENAME_NOREPLACE)
			return -EINVAL;
		e = find(n, oldname);
		if (!e)
			return -ENOENT;
		moved = e->ino;
		ne = find(nd, newname);
		if (ne) {
			struct node *t = &nodes[ne->ino];

			if (in->flags & ZUFS_RENAME_NOREPLACE)
				return -EEXIST;
			if (S_ISDIR(t->a.mode) != S_ISDIR(nodes[moved].a.mode))
				return S_ISDIR(t->a.mode) ? -EISDIR : -ENOTDIR;
			if (S_ISDIR(t->a.mode) && t->nents)
				return -ENOTEMPTY;
			if (S_ISDIR(t->a.mode)) {
				t->a.nlink = 0;
				nd->a.nlink--;
			} else {
				t->a.nlink--;
			}
			del(nd, ne);
			maybe_free(t);
			e = find(n, oldname);
		}
		del(n, e);
		err = add(nd, newname, moved);
		if (err)
			return err;
		if (S_ISDIR(nodes[moved].a.mode) && n != nd) {
			n->a.nlink--;
			nd->a.nlink++;
		}
		touch_mc(&nodes[moved]);
		return 0;
	}
	case ZUFS_OP_READDIR: {
		const struct zufs_readdir_in *in = (const void *)body;
		struct zufs_readdir_out *out = req->reply;
		char *buf = req->nr_bufs ? req->bufs[0].addr : NULL;
		size_t cap = req->nr_bufs ? req->bufs[0].len : 0, pos = 0;
		unsigned int i;

		if (!n || !S_ISDIR(n->a.mode))
			return -ENOTDIR;
		reqlog_add(" fh=%llu", (unsigned long long)in->fh);
		if (!dirfh_ok(in->fh, h->ino)) {
			badfh++;
			return -EBADF;
		}
		memset(out, 0, sizeof(*out));
		for (i = 0; i < n->nents; i++) {
			struct zufs_dirent *de = (void *)(buf + pos);
			const char *name = n->ents[i].name;
			size_t nl = strlen(name), rl;

			if (n->ents[i].cookie <= in->cookie &&
			    !is_evil("readdir-loop") &&
			    !is_evil("readdir-samecookie"))
				continue;
			if (is_evil("readdir-slash"))
				name = "a/b", nl = 3;
			if (is_evil("readdir-dot"))
				name = "..", nl = 2;
			if (is_evil("readdir-nul"))
				name = "a\0b", nl = 3;
			rl = ZUFS_DIRENT_ALIGN(ZUFS_DIRENT_NAME_OFFSET + nl);
			if (pos + rl > cap)
				break;
			de->ino = n->ents[i].ino;
			de->off = n->ents[i].cookie;
			de->namelen = nl;
			de->type = (nodes[de->ino].a.mode & S_IFMT) >> 12;
			memcpy(de->name, name, nl);
			memset(de->name + nl, 0, rl - ZUFS_DIRENT_NAME_OFFSET - nl);
			if (is_evil("readdir-overrun"))
				de->namelen = 250;
			if (is_evil("readdir-type"))
				de->type = 3;
			if (is_evil("readdir-ino0"))
				de->ino = 0;
			if (is_evil("readdir-samecookie"))
				de->off = ZUFS_DIR_COOKIE_FIRST + 100;
			pos += rl;
		}
		out->len = pos;
		if (i == n->nents && !is_evil("readdir-loop") &&
		    !is_evil("readdir-samecookie"))
			out->flags = ZUFS_READDIR_EOF;
		*rlen = sizeof(*out);
		return 0;
	}
	case ZUFS_OP_READ: {
		const struct zufs_io_in *in = (const void *)body;
		struct zufs_read_out *out = req->reply;
		uint64_t cnt = 0;

		if (!n || !S_ISREG(n->a.mode))
			return -EISDIR;
		if (req->nr_bufs != 1 || req->bufs[0].len != in->len)
			return -EINVAL;
		if (!fh_ok(in->fh, h->ino, in->flags))
			return -EBADF;
		if (in->offset < n->a.size) {
			cnt = n->a.size - in->offset;
			if (cnt > in->len)
				cnt = in->len;
			memcpy(req->bufs[0].addr, n->data + in->offset, cnt);
		}
		memset(out, 0, sizeof(*out));
		out->count = is_evil("read-overcount") ? in->len + 1 : cnt;
		*rlen = sizeof(*out);
		return 0;
	}
	case ZUFS_OP_WRITE: {
		const struct zufs_io_in *in = (const void *)body;
		struct zufs_write_out *out = req->reply;
		uint64_t off = in->offset;

		if (!n || !S_ISREG(n->a.mode))
			return -EISDIR;
		if (req->nr_bufs != 1 || req->bufs[0].len != in->len)
			return -EINVAL;
		if (!fh_ok(in->fh, h->ino, in->flags))
			return -EBADF;
		/* no-mmap: page-cache writeback was not agreed */
		if ((in->flags & ZUFS_IO_PAGECACHE) && is_evil("no-mmap"))
			return -EPROTO;
		if (in->flags & ZUFS_WRITE_APPEND)
			off = n->a.size;
		if (off + in->len > MAX_FILE)
			return -EFBIG;
		err = ensure(n, off + in->len);
		if (err)
			return err;
		memcpy(n->data + off, req->bufs[0].addr, in->len);
		if (off + in->len > n->a.size)
			n->a.size = off + in->len;
		alloc_range(n, off, in->len);
		touch_mc(n);
		memset(out, 0, sizeof(*out));
		out->count = is_evil("write-overcount") ? in->len + 1 : in->len;
		out->offset = is_evil("write-offset") ? off + 1 : off;
		out->attr = n->a;
		*rlen = sizeof(*out);
		return 0;
	}
	case ZUFS_OP_TMPFILE: {
		const struct zufs_tmpfile_in *in = (const void *)body;
		struct initx ix;

		if (!n || !S_ISDIR(n->a.mode))
			return -ENOTDIR;
		if (!S_ISREG(in->ni.mode))
			return -EINVAL;
		err = initx_parse(req, 0, &ix);
		reqlog_add(" xattrs=%s", ix.names);
		if (err)
			return err;
		if (is_evil("tmpfile-old")) {
			e = find(n, "x");
			if (e) {
				entry_reply(e->ino, req->reply, rlen);
				((struct zufs_entry_out *)req->reply)->attr.nlink = 0;
				return 0;
			}
		}
		ino = new_node(&in->ni);
		if (!ino)
			return -ENOSPC;
		nodes[ino].a.nlink = 0;
		err = initx_apply(&nodes[ino], &ix);
		if (err) {
			free_node(&nodes[ino]);
			return err;
		}
		return entry_reply(ino, req->reply, rlen);
	}
	case ZUFS_OP_OPEN:
	case ZUFS_OP_OPENDIR: {
		const struct zufs_open_in *in = (const void *)body;
		struct zufs_open_out *out = req->reply;
		bool dir = h->opcode == ZUFS_OP_OPENDIR;
		int64_t fh;

		if (!n)
			return -ENOENT;
		if (in->pad || (in->flags & (O_CREAT | O_EXCL | O_NOCTTY |
					     O_TRUNC)))
			return -EINVAL;
		if (dir != !!S_ISDIR(n->a.mode))
			return dir ? -ENOTDIR : -EISDIR;
		fh = fh_new(h->ino, dir);
		if (fh < 0)
			return fh;
		reqlog_add(" newfh=%lld", (long long)fh);
		memset(out, 0, sizeof(*out));
		out->fh = fh;
		out->reserved = !dir && is_evil("open-reserved");
		*rlen = sizeof(*out);
		return 0;
	}
	case ZUFS_OP_RELEASE:
	case ZUFS_OP_RELEASEDIR: {
		const struct zufs_release_in *in = (const void *)body;
		bool dir = h->opcode == ZUFS_OP_RELEASEDIR;

		reqlog_add(" fh=%llu", (unsigned long long)in->fh);
		if (in->flags || in->pad ||
		    !(dir ? dirfh_ok(in->fh, h->ino) : fh_ok(in->fh, h->ino, 0)) ||
		    !in->fh) {
			badfh++;
			return -EBADF;
		}
		fhs[in->fh - FH_BASE].used = false;
		if (dir)
			nopendir--;
		else
			nopen--;
		return 0;
	}
	case ZUFS_OP_FLUSH: {
		const struct zufs_flush_in *in = (const void *)body;
		struct xattr *x;

		if (!n)
			return -ENOENT;
		reqlog_add(" fh=%llu", (unsigned long long)in->fh);
		if (in->flags || in->pad || !S_ISREG(n->a.mode))
			return -EINVAL;
		if (!fh_ok(in->fh, h->ino, 0)) {
			badfh++;
			return -EBADF;
		}
		x = xfind(n, "user.flusherr");
		if (x && x->size && x->size < 8) {
			char num[8] = "";

			memcpy(num, x->val, x->size);
			return -atoi(num);
		}
		return 0;
	}
	case ZUFS_OP_CREATE: {
		const struct zufs_create_open_in *in = (const void *)body;
		const char *name = (const char *)(in + 1);
		struct zufs_create_open_out *out = req->reply;
		struct initx ix;
		int64_t fh;

		if (!n || !S_ISDIR(n->a.mode))
			return -ENOTDIR;
		err = initx_parse(req, 0, &ix);
		reqlog_add(" name=%s xattrs=%s", name, ix.names);
		if (err)
			return err;
		if (!S_ISREG(in->ni.mode) || in->ni.pad || in->ni.rdev_major ||
		    in->ni.rdev_minor || strlen(name) != in->namelen ||
		    (in->flags & (O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC)))
			return -EINVAL;
		if (find(n, name))
			return -EEXIST;
		ino = new_node(&in->ni);
		if (!ino)
			return -ENOSPC;
		err = initx_apply(&nodes[ino], &ix);
		if (!err)
			err = add(n, name, ino);
		if (err) {
			free_node(&nodes[ino]);
			return err;
		}
		fh = fh_new(ino, false);
		if (fh < 0) {	/* undo: nothing created */
			del(n, find(n, name));
			free_node(&nodes[ino]);
			return fh;
		}
		reqlog_add(" newfh=%lld", (long long)fh);
		memset(out, 0, sizeof(*out));
		nodes[ino].nlookup++;
		out->attr = nodes[ino].a;
		out->fh = fh;
		out->reserved = is_evil("create-reserved");
		*rlen = sizeof(*out);
		return 0;
	}
	case ZUFS_OP_FALLOCATE: {
		const struct zufs_fallocate_in *in = (const void *)body;
		uint64_t end = in->offset + in->len;
		bool keep = in->mode & ZUFS_FALLOC_KEEP_SIZE;

		if (!n || !S_ISREG(n->a.mode))
			return -ENODEV;
		if (!fh_ok(in->fh, h->ino, 0))
			return -EBADF;
		if (in->mode & ~(ZUFS_FALLOC_KEEP_SIZE |
				 ZUFS_FALLOC_PUNCH_HOLE |
				 ZUFS_FALLOC_ZERO_RANGE) || !in->len ||
		    end < in->offset)
			return -EINVAL;
		if (in->mode & ZUFS_FALLOC_PUNCH_HOLE) {
			if (!keep)
				return -EINVAL;
			punch_range(n, in->offset, in->len);
		} else {
			if (end > MAX_FILE)
				return -ENOSPC;
			err = ensure(n, end);
			if (err)
				return err;
			if (in->mode & ZUFS_FALLOC_ZERO_RANGE)
				memset(n->data + in->offset, 0, in->len);
			alloc_range(n, in->offset, in->len);
			if (!keep && end > n->a.size)
				n->a.size = end;
		}
		touch_mc(n);
		return attr_reply(h->ino, req->reply, rlen);
	}
	case ZUFS_OP_LSEEK: {
		const struct zufs_lseek_in *in = (const void *)body;
		struct zufs_lseek_out *out = req->reply;
		uint64_t b, pos = in->offset;

		if (!n || !S_ISREG(n->a.mode))
			return -EINVAL;
		if (!fh_ok(in->fh, h->ino, 0))
			return -EBADF;
		if (pos >= n->a.size)
			return -ENXIO;
		for (b = pos / BLK; b * BLK < n->a.size; b++) {
			bool data = b < nblocks(n->cap) && n->alloc[b];

			if (data == (in->whence == ZUFS_SEEK_DATA))
				break;
		}
		if (b * BLK > pos)
			pos = b * BLK;
		if (pos >= n->a.size) {
			if (in->whence == ZUFS_SEEK_DATA)
				return -ENXIO;
			pos = n->a.size;
		}
		memset(out, 0, sizeof(*out));
		out->offset = is_evil("seek-beyond") ? n->a.size + 1 : pos;
		*rlen = sizeof(*out);
		return 0;
	}
	case ZUFS_OP_COPY_RANGE: {
		const struct zufs_copy_range_in *in = (const void *)body;
		struct zufs_copy_range_out *out = req->reply;
		struct node *dst = get(in->ino_out);
		uint64_t cnt = 0;

		if (!n || !dst || !S_ISREG(n->a.mode) || !S_ISREG(dst->a.mode))
			return -EINVAL;
		if (in->flags || in->pad || !fh_ok(in->fh_in, h->ino, 0) ||
		    !fh_ok(in->fh_out, in->ino_out, 0))
			return -EBADF;
		if (in->off_in < n->a.size)
			cnt = n->a.size - in->off_in;
		if (cnt > in->len)
			cnt = in->len;
		if (in->off_out + cnt > MAX_FILE)
			return -EFBIG;
		if (cnt) {
			err = ensure(dst, in->off_out + cnt);
			if (err)
				return err;
			memmove(dst->data + in->off_out, n->data + in->off_in,
				cnt);
			alloc_range(dst, in->off_out, cnt);
			if (in->off_out + cnt > dst->a.size)
				dst->a.size = in->off_out + cnt;
			touch_mc(dst);
		}
		memset(out, 0, sizeof(*out));
		out->count = is_evil("copy-overcount") ? in->len + 1 : cnt;
		out->attr = dst->a;
		*rlen = sizeof(*out);
		return 0;
	}
	case ZUFS_OP_GETXATTR:
	case ZUFS_OP_SETXATTR:
	case ZUFS_OP_LISTXATTR:
	case ZUFS_OP_REMOVEXATTR:
		return serve_xattr(req, n, rlen);
	default:
		return -ENOSYS;
	}
}

/*
 * fuzz: after serve() computed a valid reply, mutate some of them (under
 * the lock, from one seeded generator: the same request sequence gets the
 * same lies). The file system's own state is never touched, only what
 * the kernel is told.
 */
static uint64_t fuzz_seed, fuzz_state, fuzz_replies, fuzz_count;
static unsigned int fuzz_percent = 10;
static uint64_t fuzz_kinds[10];

static uint64_t rnd(void)
{
	/* xorshift64* */
	fuzz_state ^= fuzz_state >> 12;
	fuzz_state ^= fuzz_state << 25;
	fuzz_state ^= fuzz_state >> 27;
	return fuzz_state * 0x2545f4914f6cdd1dULL;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static uint64_t boundary(void)
{
	static const uint64_t v[] = {
		0, 1, 2, 3, 4, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000,
		0x1001, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
		0x100000000ULL, 0x7fffffffffffffffULL, 0x8000000000000000ULL,
		0xfffffffffffffffeULL, 0xffffffffffffffffULL, 1000000000,
		999999999, NR_INODES, NR_INODES - 1, 1ULL << 20, 1ULL << 12,
		ZUFS_NAME_MAX, ZUFS_NAME_MAX + 1, ZUFS_SYMLINK_MAX,
		ZUFS_SYMLINK_MAX + 1, ZUFS_XATTR_SIZE_MAX,
		ZUFS_XATTR_SIZE_MAX + 1, MAX_FILE, MAX_FILE + 1,
	};

	if (rnd_below(4) == 0)
		return rnd();
	return v[rnd_below(sizeof(v) / sizeof(v[0]))];
}

/* an inode number the kernel may know: used ones, the request's, root */
static uint64_t some_ino(const struct zufs_in_header *h)
{
	unsigned int i;

	switch (rnd_below(4)) {
	case 0:
		return 1;
	case 1:
		return h->ino;
	case 2:
		for (i = 0; i < 32; i++) {
			uint64_t ino = 1 + rnd_below(NR_INODES - 1);

			if (nodes[ino].used)
				return ino;
		}
		return 2;
	}
	return boundary();
}

static void put_field(unsigned char *p, size_t len, size_t off, size_t sz,
		      uint64_t v)
{
	if (off + sz > len)
		return;
	if (sz == 8)
		memcpy(p + off, &v, 8);
	else {
		uint32_t w = (uint32_t)v;

		memcpy(p + off, &w, 4);
	}
}

static void flip_bits(unsigned char *p, size_t len)
{
	unsigned int i, n = 1 + rnd_below(4);

	for (i = 0; len && i < n; i++)
		p[rnd_below(len)] ^= 1U << rnd_below(8);
}

/* offset of the zufs_attr in the reply of opcode, or -1 */
static long attr_offset(uint32_t opcode)
{
	switch (opcode) {
	case ZUFS_OP_GETATTR: case ZUFS_OP_LOOKUP: case ZUFS_OP_SETATTR:
	case ZUFS_OP_MKNOD: case ZUFS_OP_MKDIR: case ZUFS_OP_SYMLINK:
	case ZUFS_OP_LINK: case ZUFS_OP_TMPFILE: case ZUFS_OP_FALLOCATE:
		return 0;
	case ZUFS_OP_WRITE:
		return offsetof(struct zufs_write_out, attr);
	case ZUFS_OP_COPY_RANGE:
		return offsetof(struct zufs_copy_range_out, attr);
	}
	return -1;
}

/* one field of an attr: plausible lies (other inodes, types, set-id) */
static void fuzz_attr(const struct zufs_in_header *h, struct zufs_attr *a)
{
	static const uint32_t types[] = {
		S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK,
		0, 0170000, 0110000,
	};

	switch (rnd_below(10)) {
	case 0:
		a->ino = some_ino(h);
		break;
	case 1:
		a->mode = types[rnd_below(10)] | (a->mode & 07777);
		break;
	case 2:
		a->mode ^= 1U << rnd_below(16);
		break;
	case 3:
		a->nlink = rnd_below(2) ? 0 : boundary();
		break;
	case 4:
		a->size = boundary();
		break;
	case 5:
		a->generation = rnd_below(2) ? a->generation + 1 : boundary();
		break;
	case 6:
		a->uid = boundary();
		a->gid = boundary();
		break;
	case 7:
		a->rdev_major = boundary();
		a->rdev_minor = boundary();
		break;
	case 8:
		a->mtimensec = boundary();
		a->mtime = boundary();
		break;
	default:
		a->blocks = boundary();
		a->blksize = boundary();
		break;
	}
}

/* the bulk buffer the server filled, and how much of it */
static unsigned char *written_buf(struct ucchan_req *req, size_t *len)
{
	const struct zufs_in_header *h = req->data;

	if (!req->nr_bufs)
		return NULL;
	switch (h->opcode) {
	case ZUFS_OP_READ: case ZUFS_OP_READDIR: case ZUFS_OP_GETXATTR:
	case ZUFS_OP_LISTXATTR: case ZUFS_OP_READLINK:
		*len = req->bufs[0].len;
		return req->bufs[0].addr;
	}
	return NULL;
}

static void fuzz_dirents(unsigned char *buf, size_t len,
			 const struct zufs_in_header *h)
{
	const struct zufs_readdir_in *in = (const void *)(h + 1);
	size_t recs = len / 8, off;

	if (!len)
		return;
	/* a random 8-byte boundary is often a record start */
	off = rnd_below(recs) * 8;
	switch (rnd_below(5)) {
	case 0:
		put_field(buf, len, off + offsetof(struct zufs_dirent, off), 8,
			  rnd_below(2) ? in->cookie : boundary());
		break;
	case 1:
		put_field(buf, len, off + offsetof(struct zufs_dirent, namelen),
			  4, boundary());
		break;
	case 2:
		put_field(buf, len, off, 8, some_ino(h));
		break;
	case 3:
		put_field(buf, len, off + offsetof(struct zufs_dirent, type), 4,
			  rnd_below(16));
		break;
	default:
		flip_bits(buf, len);
		break;
	}
}

static int32_t fuzz_reply(struct ucchan_req *req, int32_t st, size_t *rlen)
{
	const struct zufs_in_header *h = req->data;
	unsigned char *r = req->reply, *buf;
	size_t cap = req->reply_cap, blen = 0, sz;
	unsigned int kind;
	long aoff;

	if (req->len < sizeof(*h) || h->opcode == ZUFS_OP_INIT)
		return st;
	fuzz_replies++;
	if (rnd_below(100) >= fuzz_percent)
		return st;
	fuzz_count++;
	kind = rnd_below(10);
	aoff = attr_offset(h->opcode);
	buf = written_buf(req, &blen);
	if ((kind == 2 && (aoff < 0 || st)) || (kind >= 5 && kind <= 6 && !buf))
		kind = 0;
	if ((kind == 0 || kind == 1 || kind == 7) && !*rlen)
		kind = 4;
	fuzz_kinds[kind]++;
	switch (kind) {
	case 0:		/* random bits of the reply */
		flip_bits(r, *rlen);
		break;
	case 1:		/* a boundary value in a 4- or 8-byte field */
	case 7:
		sz = rnd_below(2) ? 8 : 4;
		put_field(r, *rlen, rnd_below(*rlen / sz) * sz, sz, boundary());
		break;
	case 2:
		fuzz_attr(h, (struct zufs_attr *)(r + aoff));
		break;
	case 3:		/* truncated or extended reply */
		if (rnd_below(2) && *rlen) {
			*rlen = rnd_below(*rlen);
		} else {
			size_t more = rnd_below(4) ? 1 + rnd_below(64) :
				cap - *rlen;

			if (*rlen + more > cap)
				more = cap - *rlen;
			for (sz = 0; sz < more; sz++)
				r[*rlen + sz] = rnd();
			*rlen += more;
		}
		break;
	case 4: {	/* another status */
		static const int32_t sts[] = {
			0, 1, 5, -1, -2, -5, -12, -13, -17, -22, -28, -34, -38,
			-39, -61, -95, -133, -511, -512, -513, -516, -529,
			INT32_MIN, INT32_MAX,
		};

		st = sts[rnd_below(sizeof(sts) / sizeof(sts[0]))];
		if (!st && rnd_below(2))
			*rlen = 0;
		break;
	}
	case 5:		/* the bulk buffer's contents */
		if (h->opcode == ZUFS_OP_READDIR)
			fuzz_dirents(buf, blen, h);
		else
			flip_bits(buf, blen);
		break;
	case 6:		/* the bulk buffer's length in the reply */
		put_field(r, *rlen, 0, h->opcode == ZUFS_OP_READ ? 8 : 4,
			  rnd_below(2) ? blen + rnd_below(3) - 1 : boundary());
		if (h->opcode == ZUFS_OP_READDIR && rnd_below(2))
			put_field(r, *rlen, 4, 4, rnd_below(2) ? 0 : boundary());
		break;
	default:	/* 8, 9: counts/offsets near the request's */
		put_field(r, *rlen, 0, 8, rnd_below(2) ? boundary() :
			  (rnd_below(2) ? blen + 1 : blen - 1));
		break;
	}
	return st;
}

static const char *op_name(uint32_t opcode)
{
	static const char *const names[ZUFS_OP_MAX] = {
		[ZUFS_OP_INIT] = "INIT", [ZUFS_OP_DESTROY] = "DESTROY",
		[ZUFS_OP_STATFS] = "STATFS", [ZUFS_OP_SYNC_FS] = "SYNC_FS",
		[ZUFS_OP_LOOKUP] = "LOOKUP", [ZUFS_OP_FORGET] = "FORGET",
		[ZUFS_OP_GETATTR] = "GETATTR", [ZUFS_OP_SETATTR] = "SETATTR",
		[ZUFS_OP_MKNOD] = "MKNOD", [ZUFS_OP_MKDIR] = "MKDIR",
		[ZUFS_OP_SYMLINK] = "SYMLINK", [ZUFS_OP_READLINK] = "READLINK",
		[ZUFS_OP_LINK] = "LINK", [ZUFS_OP_UNLINK] = "UNLINK",
		[ZUFS_OP_RMDIR] = "RMDIR", [ZUFS_OP_RENAME] = "RENAME",
		[ZUFS_OP_TMPFILE] = "TMPFILE", [ZUFS_OP_READDIR] = "READDIR",
		[ZUFS_OP_OPEN] = "OPEN", [ZUFS_OP_RELEASE] = "RELEASE",
		[ZUFS_OP_READ] = "READ", [ZUFS_OP_WRITE] = "WRITE",
		[ZUFS_OP_FSYNC] = "FSYNC", [ZUFS_OP_FALLOCATE] = "FALLOCATE",
		[ZUFS_OP_LSEEK] = "LSEEK", [ZUFS_OP_COPY_RANGE] = "COPY_RANGE",
		[ZUFS_OP_GETXATTR] = "GETXATTR",
		[ZUFS_OP_SETXATTR] = "SETXATTR",
		[ZUFS_OP_LISTXATTR] = "LISTXATTR",
		[ZUFS_OP_REMOVEXATTR] = "REMOVEXATTR",
		[ZUFS_OP_BATCH_FORGET] = "BATCH_FORGET",
		[ZUFS_OP_OPENDIR] = "OPENDIR",
		[ZUFS_OP_RELEASEDIR] = "RELEASEDIR",
		[ZUFS_OP_FLUSH] = "FLUSH", [ZUFS_OP_FSYNCDIR] = "FSYNCDIR",
		[ZUFS_OP_CREATE] = "CREATE",
	};

	return opcode < ZUFS_OP_MAX && names[opcode] ? names[opcode] : "?";
}

/*
 * ---- mode "notify": the file system changes behind the kernel ----------
 * The server agrees ZUFS_CAP_NOTIFY and reads commands on stdin, one per
 * line, answering each with one line on stdout (names are entries of the
 * root directory):
 *   write NAME OFF TEXT    put TEXT at OFF (the file may grow)  -> "ok ERR"
 *   truncate NAME SIZE     set the size                         -> "ok ERR"
 *   rename OLD NEW         rename (NEW must not exist)          -> "ok ERR"
 *   create NAME            a new empty file                     -> "ok ERR"
 *   ino NAME               -> "ino N" (0: no such entry)
 *   inval-inode NAME OFF LEN     INVAL_INODE           -> "notify RESULT"
 *   inval-entry NAME             INVAL_ENTRY in the root -> "notify RESULT"
 *   raw-inode SBID INO OFF LEN   INVAL_INODE as given  -> "notify RESULT"
 *   raw-entry SBID PARENT NAME   INVAL_ENTRY as given  -> "notify RESULT"
 *   bad KIND               a malformed message (see notify_bad())
 *                                                      -> "notify RESULT"
 *   flood NAME COUNT       COUNT INVAL_ENTRYs of NAME, back to back
 *                          -> "flood ok=A eagain=B other=C"
 *   inread NAME            from now on every page-cache READ of NAME
 *                          sends INVAL_INODE of its page from inside the
 *                          handler (the kernel holds the page locked)
 *   inread-result          -> "inread count=N last=RESULT"
 *   stalled                -> "stalled N": LOOKUPs of "stall*" waiting
 *   release                stalled LOOKUPs go on                -> "ok 0"
 * RESULT is the ioctl's: 0 or -errno. A LOOKUP of a name starting with
 * "stall" waits (up to 60 s) for "release", holding the directory's
 * i_rwsem in the kernel, so that queued notifications pile up.
 */
static bool notify_mode;
static struct ucchan_server *notify_srv;
static uint64_t notify_client;		/* the mount's connection */
static uint64_t notify_inread_ino;
static unsigned int notify_inread_count;
static int notify_inread_last = 1;
static pthread_mutex_t stall_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stall_cond = PTHREAD_COND_INITIALIZER;
static unsigned int stall_waiting, stall_gen;

static int notify_send(const void *msg, size_t len)
{
	return ucchan_server_notify(notify_srv, notify_client, msg, len);
}

static int notify_inode(uint64_t sb_id, uint64_t ino, int64_t off,
			uint64_t len)
{
	struct {
		struct zufs_notify_hdr h;
		struct zufs_notify_inval_inode i;
	} m = {
		.h = { .type = ZUFS_NOTIFY_INVAL_INODE, .len = sizeof(m),
		       .sb_id = sb_id },
		.i = { .ino = ino, .off = off, .len = len },
	};

	return notify_send(&m, sizeof(m));
}

struct notify_entry_msg {
	struct zufs_notify_hdr h;
	struct zufs_notify_inval_entry e;
	char name[ZUFS_NAME_MAX + 1];
};

static size_t notify_entry_fill(struct notify_entry_msg *m, uint64_t sb_id,
				uint64_t parent, const char *name)
{
	size_t nl = strlen(name);

	memset(m, 0, sizeof(*m));
	if (nl > ZUFS_NAME_MAX)
		nl = ZUFS_NAME_MAX;
	m->h.type = ZUFS_NOTIFY_INVAL_ENTRY;
	m->h.sb_id = sb_id;
	m->e.parent = parent;
	m->e.namelen = nl;
	memcpy(m->name, name, nl);
	m->h.len = offsetof(struct notify_entry_msg, name) + nl + 1;
	return m->h.len;
}

static int notify_entry(uint64_t sb_id, uint64_t parent, const char *name)
{
	struct notify_entry_msg m;
	size_t len = notify_entry_fill(&m, sb_id, parent, name);

	return notify_send(&m, len);
}

/* malformed messages: each must be -EINVAL */
static int notify_bad(const char *kind)
{
	struct notify_entry_msg m;
	struct {
		struct zufs_notify_hdr h;
		struct zufs_notify_inval_inode i;
	} ii = {
		.h = { .type = ZUFS_NOTIFY_INVAL_INODE, .len = sizeof(ii),
		       .sb_id = 42 },
		.i = { .ino = 1, .off = -1 },
	};
	size_t len = notify_entry_fill(&m, 42, 1, "x");

	if (!strcmp(kind, "short"))
		return notify_send(&ii, sizeof(ii.h) - 1);
	if (!strcmp(kind, "hdrlen")) {
		ii.h.len++;
		return notify_send(&ii, sizeof(ii));
	}
	if (!strcmp(kind, "trailing")) {	/* len covers one byte more */
		m.h.len = len + 1;
		return notify_send(&m, len + 1);
	}
	if (!strcmp(kind, "type")) {
		ii.h.type = 99;
		return notify_send(&ii, sizeof(ii));
	}
	if (!strcmp(kind, "flags")) {
		ii.h.flags = 1;
		return notify_send(&ii, sizeof(ii));
	}
	if (!strcmp(kind, "reserved")) {
		ii.i.reserved[1] = 1;
		return notify_send(&ii, sizeof(ii));
	}
	if (!strcmp(kind, "ino0")) {
		ii.i.ino = 0;
		return notify_send(&ii, sizeof(ii));
	}
	if (!strcmp(kind, "attr-len")) {	/* off < 0 needs len 0 */
		ii.i.len = 4096;
		return notify_send(&ii, sizeof(ii));
	}
	if (!strcmp(kind, "range")) {
		ii.i.off = 4096;
		ii.i.len = ~0ULL;
		return notify_send(&ii, sizeof(ii));
	}
	if (!strcmp(kind, "namelen")) {
		m.e.namelen = 2;	/* "x" NUL: one byte */
		return notify_send(&m, len);
	}
	if (!strcmp(kind, "nonul")) {
		m.name[1] = 'y';
		return notify_send(&m, len);
	}
	if (!strcmp(kind, "slash") || !strcmp(kind, "dotdot")) {
		len = notify_entry_fill(&m, 42, 1,
					kind[0] == 's' ? "a/b" : "..");
		return notify_send(&m, len);
	}
	if (!strcmp(kind, "entry-flags")) {
		m.e.flags = 1;
		return notify_send(&m, len);
	}
	return -ENOSYS;
}

static uint64_t notify_lookup(const char *name)
{
	struct dent *e = nodes[1].used ? find(&nodes[1], name) : NULL;

	return e ? e->ino : 0;
}

/* a change behind the kernel, under the server's lock */
static int notify_change(const char *cmd, const char *a, const char *b)
{
	struct zufs_new_inode ni = { .mode = S_IFREG | 0644 };
	uint64_t ino = notify_lookup(a);
	struct node *n = ino ? &nodes[ino] : NULL;
	int err;

	if (!strcmp(cmd, "create")) {
		if (n)
			return -EEXIST;
		ino = new_node(&ni);
		if (!ino)
			return -ENOSPC;
		err = add(&nodes[1], a, ino);
		if (err)
			free_node(&nodes[ino]);
		return err;
	}
	if (!n || !b)
		return -ENOENT;
	if (!strcmp(cmd, "rename")) {
		if (notify_lookup(b))
			return -EEXIST;
		del(&nodes[1], find(&nodes[1], a));
		return add(&nodes[1], b, ino);
	}
	if (!S_ISREG(n->a.mode))
		return -EISDIR;
	if (!strcmp(cmd, "truncate")) {
		uint64_t size = strtoull(b, NULL, 0);

		err = ensure(n, size);
		if (err)
			return err;
		if (size < n->a.size)
			punch_range(n, size, n->cap - size);
		n->a.size = size;
		touch_mc(n);
		return 0;
	}
	if (!strcmp(cmd, "write")) {
		char *text = strchr(b, ' ');
		uint64_t off = strtoull(b, NULL, 0);
		size_t tl;

		if (!text++)
			return -EINVAL;
		tl = strlen(text);
		err = ensure(n, off + tl);
		if (err)
			return err;
		memcpy(n->data + off, text, tl);
		if (off + tl > n->a.size)
			n->a.size = off + tl;
		alloc_range(n, off, tl);
		touch_mc(n);
		return 0;
	}
	return -ENOSYS;
}

static void notify_reply(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&lock);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	pthread_mutex_unlock(&lock);
}

static void notify_flood(const char *name, unsigned long count)
{
	struct notify_entry_msg m;
	unsigned long i, ok = 0, again = 0, other = 0;
	size_t len = notify_entry_fill(&m, 42, 1, name);
	int r;

	for (i = 0; i < count; i++) {
		r = notify_send(&m, len);
		if (!r)
			ok++;
		else if (r == -EAGAIN)
			again++;
		else
			other++;
	}
	notify_reply("flood ok=%lu eagain=%lu other=%lu\n", ok, again, other);
}

static void *notify_control(void *arg)
{
	char line[1024], cmd[32], a[300], b[600];
	long long x, y, z;
	int r, n;

	(void)arg;
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		a[0] = b[0] = '\0';
		n = sscanf(line, "%31s %299s %599[^\n]", cmd, a, b);
		if (n < 1)
			continue;
		if (!strcmp(cmd, "write") || !strcmp(cmd, "truncate") ||
		    !strcmp(cmd, "rename") || !strcmp(cmd, "create")) {
			pthread_mutex_lock(&lock);
			r = notify_change(cmd, a, n > 2 ? b : NULL);
			pthread_mutex_unlock(&lock);
			notify_reply("ok %d\n", r);
		} else if (!strcmp(cmd, "ino")) {
			pthread_mutex_lock(&lock);
			x = (long long)notify_lookup(a);
			pthread_mutex_unlock(&lock);
			notify_reply("ino %lld\n", x);
		} else if (!strcmp(cmd, "inval-inode")) {
			pthread_mutex_lock(&lock);
			x = (long long)notify_lookup(a);
			pthread_mutex_unlock(&lock);
			y = z = 0;
			sscanf(b, "%lld %lld", &y, &z);
			notify_reply("notify %d\n",
				     notify_inode(42, x, y, (uint64_t)z));
		} else if (!strcmp(cmd, "inval-entry")) {
			notify_reply("notify %d\n", notify_entry(42, 1, a));
		} else if (!strcmp(cmd, "raw-inode")) {
			y = z = 0;
			x = strtoll(a, NULL, 0);
			{
				long long ino = 0;

				sscanf(b, "%lld %lld %lld", &ino, &y, &z);
				notify_reply("notify %d\n",
					     notify_inode(x, ino, y,
							  (uint64_t)z));
			}
		} else if (!strcmp(cmd, "raw-entry")) {
			char name[300] = "";

			x = strtoll(a, NULL, 0);
			y = 0;
			sscanf(b, "%lld %299s", &y, name);
			notify_reply("notify %d\n", notify_entry(x, y, name));
		} else if (!strcmp(cmd, "bad")) {
			notify_reply("notify %d\n", notify_bad(a));
		} else if (!strcmp(cmd, "flood")) {
			notify_flood(a, strtoul(b, NULL, 0));
		} else if (!strcmp(cmd, "inread")) {
			pthread_mutex_lock(&lock);
			notify_inread_ino = notify_lookup(a);
			pthread_mutex_unlock(&lock);
			notify_reply("ok 0\n");
		} else if (!strcmp(cmd, "inread-result")) {
			notify_reply("inread count=%u last=%d\n",
				     notify_inread_count, notify_inread_last);
		} else if (!strcmp(cmd, "stalled")) {
			pthread_mutex_lock(&stall_lock);
			r = stall_waiting;
			pthread_mutex_unlock(&stall_lock);
			notify_reply("stalled %d\n", r);
		} else if (!strcmp(cmd, "release")) {
			pthread_mutex_lock(&stall_lock);
			stall_gen++;
			pthread_cond_broadcast(&stall_cond);
			pthread_mutex_unlock(&stall_lock);
			notify_reply("ok 0\n");
		} else {
			notify_reply("unknown %s\n", cmd);
		}
	}
	return NULL;
}

/* before the request is served (no lock held): stall LOOKUPs */
static void notify_pre(struct ucchan_req *req)
{
	const struct zufs_in_header *h = req->data;
	struct timespec ts;
	unsigned int gen;

	if (req->len < sizeof(*h) + sizeof(struct zufs_name_in) + 1 ||
	    h->opcode != ZUFS_OP_LOOKUP ||
	    strncmp((const char *)(h + 1) + sizeof(struct zufs_name_in),
		    "stall", 5))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 60;
	pthread_mutex_lock(&stall_lock);
	gen = stall_gen;
	stall_waiting++;
	while (gen == stall_gen &&
	       !pthread_cond_timedwait(&stall_cond, &stall_lock, &ts))
		;
	stall_waiting--;
	pthread_mutex_unlock(&stall_lock);
}

/*
 * After it was served (no lock held): the mount's connection, the cap;
 * a page-cache READ of the "inread" file notifies from the handler.
 */
static void notify_post(struct ucchan_req *req, int32_t st)
{
	const struct zufs_in_header *h = req->data;
	const struct zufs_io_in *in = (const void *)(h + 1);

	if (req->len < sizeof(*h))
		return;
	if (h->opcode == ZUFS_OP_INIT && !st) {
		const struct zufs_init_in *ii = (const void *)(h + 1);
		struct zufs_init_out *out = req->reply;

		notify_client = req->hdr->client_id;
		/* 1.2: NOTIFY is offered by the minor, not in caps */
		if (ii->minor >= 2 && out->minor >= 2)
			out->caps |= ZUFS_CAP_NOTIFY;
	}
	if (h->opcode == ZUFS_OP_READ && !st && notify_inread_ino &&
	    h->ino == notify_inread_ino && (in->flags & ZUFS_IO_PAGECACHE)) {
		notify_inread_last = notify_inode(42, h->ino,
						  (int64_t)in->offset,
						  in->len);
		notify_inread_count++;
	}
}

static int32_t handle(struct ucchan_req *req, size_t *reply_len, void *arg)
{
	int32_t st;

	(void)arg;
	if (notify_mode)
		notify_pre(req);
	pthread_mutex_lock(&lock);
	if (req->len >= sizeof(struct zufs_in_header)) {
		const struct zufs_in_header *h = req->data;

		if (h->opcode < ZUFS_OP_MAX)
			counts[h->opcode]++;
	}
	logbuf[0] = '\0';
	st = serve(req, reply_len);
	if (fuzzing)
		st = fuzz_reply(req, st, reply_len);
	if (reqlog && req->len >= sizeof(struct zufs_in_header)) {
		const struct zufs_in_header *lh = req->data;

		fprintf(reqlog, "%s ino=%llu%s status=%d\n", op_name(lh->opcode),
			(unsigned long long)lh->ino, logbuf, st);
		fflush(reqlog);
	}
	if (is_evil("mkdir-same") && same_ino &&
	    ((const struct zufs_in_header *)req->data)->opcode ==
	    ZUFS_OP_SETXATTR &&
	    ((const struct zufs_in_header *)req->data)->ino == same_ino &&
	    ++same_setx == 1) {
		/*
		 * The creator's first ACL SETXATTR waits (before it can
		 * instantiate) until another mkdir got the same directory
		 * and came as far as its own SETXATTR.
		 */
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 5;
		while (same_setx < 2 &&
		       !pthread_cond_timedwait(&same_cond, &lock, &ts))
			;
	} else if (is_evil("mkdir-same") && same_setx > 1) {
		pthread_cond_broadcast(&same_cond);
	}
	pthread_mutex_unlock(&lock);
	if (notify_mode)
		notify_post(req, st);
	return st;
}

int main(int argc, char **argv)
{
	struct ucchan_server_ops ops = {
		.size = sizeof(ops),
		.handle = handle,
	};
	struct ucchan_server_opts opts = {
		.size = sizeof(opts),
		.mode = 0666,
		.max_inline = 8192,
	};
	struct ucchan_server *srv;
	sigset_t usr1;
	int err, sig;

	if (argc < 2) {
		fprintf(stderr, "usage: zufs-testsrv SERVICE [EVIL]\n");
		return 2;
	}
	opts.name = argv[1];
	/* a small window: zuf must split I/O to what it carries */
	if (getenv("ZUFS_TESTSRV_WINDOW"))
		opts.window_size = strtoull(getenv("ZUFS_TESTSRV_WINDOW"),
					    NULL, 0);
	if (argc > 2)
		evil = argv[2];
	if (getenv("ZUFS_TESTSRV_LOG")) {
		reqlog = fopen(getenv("ZUFS_TESTSRV_LOG"), "a");
		if (!reqlog) {
			perror("zufs-testsrv: ZUFS_TESTSRV_LOG");
			return 1;
		}
	}
	if (!strncmp(evil, "fuzz", 4) && (!evil[4] || evil[4] == ':')) {
		const char *p = evil + 4;
		char *end;

		fuzzing = true;
		fuzz_seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
		if (*p == ':' && p[1] && p[1] != ':') {
			fuzz_seed = strtoull(p + 1, &end, 0);
			p = end;
		} else if (*p == ':') {
			p++;
		}
		if (*p == ':')
			fuzz_percent = atoi(p + 1);
		if (fuzz_percent > 100)
			fuzz_percent = 100;
		fuzz_state = fuzz_seed ? fuzz_seed : 1;
		fprintf(stderr, "zufs-testsrv: fuzz seed=%llu percent=%u\n",
			(unsigned long long)fuzz_seed, fuzz_percent);
	}
	/* only main() takes SIGUSR1/2: the workers inherit the mask */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigaddset(&usr1, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	err = ucchan_server_create(&srv, &opts, &ops, NULL);
	if (!err)
		err = ucchan_server_start(srv);
	if (err) {
		fprintf(stderr, "zufs-testsrv: %s\n", strerror(-err));
		return 1;
	}
	if (!strcmp(evil, "notify")) {
		pthread_t th;

		notify_mode = true;
		notify_srv = srv;
		if (pthread_create(&th, NULL, notify_control, NULL)) {
			fprintf(stderr, "zufs-testsrv: no control thread\n");
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		unsigned int i, used;

		if (sigwait(&usr1, &sig))
			continue;
		pthread_mutex_lock(&lock);
		if (sig == SIGUSR2) {
			printf("fuzz seed=%llu replies=%llu fuzzed=%llu kinds",
			       (unsigned long long)fuzz_seed,
			       (unsigned long long)fuzz_replies,
			       (unsigned long long)fuzz_count);
			for (i = 0; i < 10; i++)
				printf("%c%llu", i ? ',' : '=',
				       (unsigned long long)fuzz_kinds[i]);
			printf("\n");
			pthread_mutex_unlock(&lock);
			fflush(stdout);
			continue;
		}
		printf("counts");
		for (i = 1; i < ZUFS_OP_MAX; i++)
			printf(" %llu", (unsigned long long)counts[i]);
		for (i = 1, used = 0; i < NR_INODES; i++)
			used += nodes[i].used;
		printf(" badfh=%llu dirs=%u inodes=%u open=%u\n",
		       (unsigned long long)badfh, nopendir, used, nopen);
		pthread_mutex_unlock(&lock);
		fflush(stdout);
	}
}
