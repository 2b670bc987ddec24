// SPDX-License-Identifier: GPL-2.0
/*
 * zuf - notifications from the server (ZUFS_CAP_NOTIFY): a file system
 * whose data change behind the kernel tells it which cached state to
 * drop (ZUFS_NOTIFY_INVAL_INODE, ZUFS_NOTIFY_INVAL_ENTRY in
 * include/uapi/linux/zufs.h). See docs/zuf.md, "Cache rules".
 *
 * A notification arrives through ucchan (UCCHAN_IOC_NOTIFY) in a thread
 * of the server, which may be a worker in the middle of one of our
 * requests: that request may hold a folio lock (page-cache READ), an
 * inode's i_rwsem (lookup, write) or the invalidate lock, which applying
 * the notification needs. So the callback only checks it (the server is
 * untrusted: every field, and that the superblock is this connection's
 * and the inode is cached), takes a copy and queues it; a work item
 * applies the queue in order, per superblock, on zuf_notify_wq, where
 * waiting for those locks is harmless (their holders wait for the
 * server, never for this work). The queue is bounded (ZUF_NOTIFY_QLEN
 * per mount): a full queue is -EAGAIN to the server, counted.
 *
 * Unmount (zuf_notify_stop(), before the VFS drops the inodes) turns the
 * queue off under its lock, so no callback touches the superblock after
 * it, waits for the work and frees what is queued; ucchan_disconnect()
 * later waits for callbacks still running (they answer -ENOENT).
 */
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/namei.h>
#include <linux/pagemap.h>
#include <linux/posix_acl.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "zuf_i.h"

#define ZUF_NOTIFY_QLEN		256	/* queued notifications per mount */

enum { ZUF_NOTIFY_OFF, ZUF_NOTIFY_ON, ZUF_NOTIFY_UNAGREED };

/* dentry->d_time: an INVAL_ENTRY dropped this dentry */
#define ZUF_D_INVALID		1UL

/* one queued notification, checked */
struct zuf_notify {
	struct list_head list;
	u32 type;
	u32 namelen;
	u64 sb_id;
	u64 ino;		/* INVAL_INODE: the inode; INVAL_ENTRY: parent */
	s64 off;
	u64 len;
	char name[ZUFS_NAME_MAX + 1];
};

static struct kmem_cache *zuf_notify_cachep;
/* unbound: a notification blocked on a lock ties up no CPU's pool */
static struct workqueue_struct *zuf_notify_wq;
/* notifications allocated, over all mounts: 0 at module unload */
static atomic_long_t zuf_notify_live = ATOMIC_LONG_INIT(0);

static int zuf_notify_test(struct inode *inode, void *data)
{
	return inode->i_ino == *(u64 *)data;
}

/* Check a message into @n. Return: 0 or -EINVAL. */
static int zuf_notify_parse(const void *msg, u32 len, struct zuf_notify *n)
{
	const struct zufs_notify_hdr *h = msg;
	const struct zufs_notify_inval_inode *ii;
	const struct zufs_notify_inval_entry *ie;
	const char *name;

	if (len < sizeof(*h) || h->len != len || h->flags || h->pad ||
	    h->reserved[0] || h->reserved[1])
		return -EINVAL;
	n->type = h->type;
	n->sb_id = h->sb_id;
	n->namelen = 0;
	n->name[0] = '\0';
	switch (h->type) {
	case ZUFS_NOTIFY_INVAL_INODE:
		ii = (const void *)(h + 1);
		if (len != sizeof(*h) + sizeof(*ii) || !ii->ino ||
		    ii->reserved[0] || ii->reserved[1])
			return -EINVAL;
		if (ii->off < 0 && ii->len)
			return -EINVAL;
		if (ii->off >= 0 && (ii->off > MAX_LFS_FILESIZE ||
				     ii->len > (u64)(MAX_LFS_FILESIZE - ii->off)))
			return -EINVAL;
		n->ino = ii->ino;
		n->off = ii->off;
		n->len = ii->len;
		break;
	case ZUFS_NOTIFY_INVAL_ENTRY:
		ie = (const void *)(h + 1);
		name = (const char *)(ie + 1);
		if (len < sizeof(*h) + sizeof(*ie) || !ie->parent ||
		    ie->flags || ie->reserved[0] || ie->reserved[1] ||
		    ie->namelen > ZUFS_NAME_MAX ||
		    len != sizeof(*h) + sizeof(*ie) + ie->namelen + 1 ||
		    name[ie->namelen] || !zuf_name_ok(name, ie->namelen))
			return -EINVAL;
		n->ino = ie->parent;
		n->namelen = ie->namelen;
		memcpy(n->name, name, ie->namelen);
		n->name[ie->namelen] = '\0';
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

/*
 * Is the inode of @n cached (and for INVAL_ENTRY a directory)? Under
 * the queue lock with the queue on, so the superblock is alive; the
 * inode is not pinned (an RCU lookup never waits for an inode being
 * freed), the work looks it up again.
 */
static int zuf_notify_cached(struct super_block *sb, struct zuf_notify *n)
{
	struct inode *inode;
	int err = 0;

	rcu_read_lock();
	inode = find_inode_rcu(sb, n->ino, zuf_notify_test, &n->ino);
	if (!inode)
		err = -ENOENT;
	else if (n->type == ZUFS_NOTIFY_INVAL_ENTRY &&
		 !S_ISDIR(READ_ONCE(inode->i_mode)))
		err = -ENOTDIR;
	rcu_read_unlock();
	return err;
}

/*
 * ucchan's notify callback, in a server thread: check, copy, queue,
 * return. Never waits for anything but memory.
 */
static int zuf_notify_recv(struct ucchan_conn *conn, void *priv,
			   const void *msg, u32 len)
{
	struct zuf_sb_info *sbi = priv;
	struct zuf_notify_queue *q = &sbi->notify;
	struct zuf_notify tmp, *n = NULL;
	int err;

	err = zuf_notify_parse(msg, len, &tmp);
	if (!err) {
		n = kmem_cache_alloc(zuf_notify_cachep, GFP_KERNEL);
		if (!n)
			return -ENOMEM;
		atomic_long_inc(&zuf_notify_live);
		memcpy(n, &tmp, offsetof(struct zuf_notify, name) +
		       tmp.namelen + 1);
	}

	spin_lock(&q->lock);
	if (q->state != ZUF_NOTIFY_ON) {
		err = q->state == ZUF_NOTIFY_UNAGREED ? -EOPNOTSUPP : -ENOENT;
	} else if (!err && n->sb_id != sbi->sb_id) {
		err = -ENOENT;		/* not this connection's superblock */
	} else if (!err) {
		err = zuf_notify_cached(q->sb, n);
		if (!err && q->count >= ZUF_NOTIFY_QLEN)
			err = -EAGAIN;
	}
	if (!err) {
		list_add_tail(&n->list, &q->list);
		q->count++;
		q->accepted++;
		queue_work(zuf_notify_wq, &q->work);
		n = NULL;
	} else if (err == -EAGAIN) {
		q->full++;
	} else {
		q->refused++;
	}
	spin_unlock(&q->lock);
	if (n) {
		kmem_cache_free(zuf_notify_cachep, n);
		atomic_long_dec(&zuf_notify_live);
	}
	return err;
}

const struct ucchan_conn_ops zuf_notify_conn_ops = {
	.notify = zuf_notify_recv,
};

static struct inode *zuf_notify_ilookup(struct super_block *sb, u64 ino)
{
	return ilookup5(sb, ino, zuf_notify_test, &ino);
}

/*
 * INVAL_INODE: attributes stale, ACLs the VFS cached forgotten (the next
 * permission check asks GETXATTR); pages of the range unmapped (shared
 * mappings and private ones not yet copied on write) and dropped. A
 * page dirtied through a mapping is kept and written back later:
 * invalidate_inode_pages2_range() skips it (the kernel's write is the
 * newer, as for FUSE).
 */
static void zuf_notify_inval_inode(struct super_block *sb,
				   const struct zuf_notify *n)
{
	struct inode *inode = zuf_notify_ilookup(sb, n->ino);
	struct address_space *mapping;
	loff_t start, end;

	if (!inode)
		return;		/* evicted meanwhile: nothing cached */
	zuf_attr_stale(inode);
	forget_all_cached_acls(inode);
	mapping = inode->i_mapping;
	if (n->off >= 0 && S_ISREG(inode->i_mode) && mapping->nrpages) {
		start = round_down(n->off, PAGE_SIZE);
		end = n->len ? n->off + n->len - 1 : LLONG_MAX;
		unmap_mapping_range(mapping, start,
				    n->len ? end - start + 1 : 0, 0);
		invalidate_inode_pages2_range(mapping, start >> PAGE_SHIFT,
					      end >> PAGE_SHIFT);
	}
	iput(inode);
}

/*
 * INVAL_ENTRY: like FUSE's fuse_reverse_inval_entry(). Under the
 * directory's i_rwsem, so that a lookup or create in flight (which holds
 * it) has hashed its dentry by now and is dropped too.
 */
static void zuf_notify_inval_entry(struct super_block *sb,
				   const struct zuf_notify *n)
{
	struct qstr name = QSTR_INIT(n->name, n->namelen);
	struct dentry *parent, *child;
	struct inode *dir;

	dir = zuf_notify_ilookup(sb, n->ino);
	if (!dir)
		return;
	if (!S_ISDIR(dir->i_mode))
		goto out;
	parent = d_find_alias(dir);
	if (!parent)
		goto out;
	inode_lock_nested(dir, I_MUTEX_PARENT);
	zuf_attr_stale(dir);
	child = d_hash_and_lookup(parent, &name);
	if (!IS_ERR_OR_NULL(child)) {
		/* a walker that found it before the drop revalidates: 0 */
		WRITE_ONCE(child->d_time, ZUF_D_INVALID);
		if (d_really_is_positive(child))
			zuf_attr_stale(d_inode(child));
		d_invalidate(child);
		dput(child);
	}
	inode_unlock(dir);
	dput(parent);
out:
	iput(dir);
}

static void zuf_notify_free(struct zuf_notify *n)
{
	kmem_cache_free(zuf_notify_cachep, n);
	atomic_long_dec(&zuf_notify_live);
}

static void zuf_notify_work(struct work_struct *work)
{
	struct zuf_notify_queue *q = container_of(work, struct zuf_notify_queue,
						  work);
	struct zuf_notify *n;

	for (;;) {
		spin_lock(&q->lock);
		if (q->state != ZUF_NOTIFY_ON || list_empty(&q->list)) {
			spin_unlock(&q->lock);
			return;
		}
		n = list_first_entry(&q->list, struct zuf_notify, list);
		list_del(&n->list);
		q->count--;
		spin_unlock(&q->lock);

		if (n->type == ZUFS_NOTIFY_INVAL_INODE)
			zuf_notify_inval_inode(q->sb, n);
		else
			zuf_notify_inval_entry(q->sb, n);
		zuf_notify_free(n);

		spin_lock(&q->lock);
		q->applied++;
		spin_unlock(&q->lock);
		cond_resched();
	}
}

/**
 * zuf_notify_sb_init() - an empty, closed queue (first thing of a mount)
 * @sbi: the new superblock's info
 * @sb:  the superblock
 */
void zuf_notify_sb_init(struct zuf_sb_info *sbi, struct super_block *sb)
{
	struct zuf_notify_queue *q = &sbi->notify;

	spin_lock_init(&q->lock);
	q->state = ZUF_NOTIFY_OFF;
	INIT_LIST_HEAD(&q->list);
	q->sb = sb;
	INIT_WORK(&q->work, zuf_notify_work);
}

/*
 * A dentry an INVAL_ENTRY dropped is invalid (a walker may have found
 * it just before); a positive one whose inode's attributes are stale
 * (INVAL_INODE, or any op that marks them) asks GETATTR first, so that
 * open and the path walk see the server's size and mode.
 */
static int zuf_d_revalidate(struct dentry *dentry, unsigned int flags)
{
	struct inode *inode;
	int err;

	if (READ_ONCE(dentry->d_time) & ZUF_D_INVALID)
		return 0;
	inode = d_inode_rcu(dentry);
	if (!inode || !test_bit(ZUF_I_ATTR_STALE, &ZUF_I(inode)->state))
		return 1;
	if (flags & LOOKUP_RCU)
		return -ECHILD;
	err = zuf_refresh_attr(inode);
	if (err == -ENOENT || err == -ESTALE)
		return 0;	/* gone on the server: look it up again */
	return err ? err : 1;
}

static int zuf_d_init(struct dentry *dentry)
{
	dentry->d_time = 0;
	return 0;
}

static const struct dentry_operations zuf_notify_dentry_ops = {
	.d_revalidate	= zuf_d_revalidate,
	.d_init		= zuf_d_init,
};

/**
 * zuf_notify_setup_sb() - dentry ops of a mount that takes notifications
 * @sb: the superblock, ZUFS_CAP_NOTIFY agreed or not, before its root
 *
 * Without the cap the server is the only writer: no revalidation.
 */
void zuf_notify_setup_sb(struct super_block *sb)
{
	if (zuf_has(ZUF_SB(sb), ZUFS_CAP_NOTIFY))
		sb->s_d_op = &zuf_notify_dentry_ops;
}

/**
 * zuf_notify_start() - take notifications (the mount is complete)
 * @sbi: the superblock's info
 */
void zuf_notify_start(struct zuf_sb_info *sbi)
{
	spin_lock(&sbi->notify.lock);
	sbi->notify.state = zuf_has(sbi, ZUFS_CAP_NOTIFY) ?
			    ZUF_NOTIFY_ON : ZUF_NOTIFY_UNAGREED;
	spin_unlock(&sbi->notify.lock);
}

/**
 * zuf_notify_stop() - unmount: no more notifications, none queued
 * @sbi: the superblock's info
 *
 * Before the VFS drops the superblock's inodes and dentries. Waits for
 * the work (which never waits for the unmount); frees what is queued.
 */
void zuf_notify_stop(struct zuf_sb_info *sbi)
{
	struct zuf_notify_queue *q = &sbi->notify;
	struct zuf_notify *n, *tmp;
	unsigned int count;
	LIST_HEAD(list);

	spin_lock(&q->lock);
	q->state = ZUF_NOTIFY_OFF;
	list_splice_init(&q->list, &list);
	count = q->count;
	q->count = 0;
	spin_unlock(&q->lock);
	cancel_work_sync(&q->work);
	list_for_each_entry_safe(n, tmp, &list, list) {
		list_del(&n->list);
		zuf_notify_free(n);
	}
	if (count)
		pr_info("zufs: sb %llu: %u queued notifications dropped at unmount\n",
			sbi->sb_id, count);
}

/**
 * zuf_notify_show_stats() - the mount's line in /proc/self/mountstats
 * @m:    the seq_file
 * @root: the mount's root
 *
 * Return: 0.
 */
int zuf_notify_show_stats(struct seq_file *m, struct dentry *root)
{
	struct zuf_notify_queue *q = &ZUF_SB(root->d_sb)->notify;

	spin_lock(&q->lock);
	seq_printf(m, "\n\tnotify: %s queued=%u max=%u accepted=%llu applied=%llu full=%llu refused=%llu\n",
		   q->state == ZUF_NOTIFY_ON ? "on" : "off", q->count,
		   ZUF_NOTIFY_QLEN, q->accepted, q->applied, q->full,
		   q->refused);
	spin_unlock(&q->lock);
	return 0;
}

/**
 * zuf_notify_init() - the notification cache and workqueue (module load)
 *
 * Return: 0 or -ENOMEM.
 */
int zuf_notify_init(void)
{
	/* accounted to the server's memory cgroup: it sends them */
	zuf_notify_cachep = kmem_cache_create("zuf_notify",
					      sizeof(struct zuf_notify), 0,
					      SLAB_ACCOUNT, NULL);
	if (!zuf_notify_cachep)
		return -ENOMEM;
	zuf_notify_wq = alloc_workqueue("zuf_notify", WQ_UNBOUND, 0);
	if (!zuf_notify_wq) {
		kmem_cache_destroy(zuf_notify_cachep);
		return -ENOMEM;
	}
	return 0;
}

/* Module unload: every mount is gone, so is every notification. */
void zuf_notify_exit(void)
{
	destroy_workqueue(zuf_notify_wq);
	WARN_ON(atomic_long_read(&zuf_notify_live));
	kmem_cache_destroy(zuf_notify_cachep);
}
