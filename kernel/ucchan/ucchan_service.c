// SPDX-License-Identifier: GPL-2.0
/*
 * ucchan services: names, ownership and connect permission, life and
 * death, connections and the event queue read from the service file.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/percpu.h>
#include <linux/poll.h>
#include <linux/pid_namespace.h>
#include <linux/user_namespace.h>
#include <linux/idr.h>
#include <linux/ctype.h>
#include <linux/sched/signal.h>

#include "ucchan_i.h"

/* ucchan_svc_mutex protects ucchan_svc_list, svc->dead and svc->dbg */
DEFINE_MUTEX(ucchan_svc_mutex);
LIST_HEAD(ucchan_svc_list);
static DEFINE_IDA(ucchan_svc_ida);
static atomic64_t ucchan_next_client_id = ATOMIC64_INIT(0);

/* 1..63 bytes of [A-Za-z0-9._-], not starting with '.'; NUL terminated */
int ucchan_check_name(const char *name)
{
	size_t i, len = strnlen(name, UCCHAN_NAME_MAX);

	if (len == 0 || len == UCCHAN_NAME_MAX || name[0] == '.')
		return -EINVAL;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!isalnum(c) && c != '.' && c != '_' && c != '-')
			return -EINVAL;
	}
	return 0;
}

/*
 * Caller holds ucchan_svc_mutex. The live service named @name; a dead
 * one still referenced (a tombstone, see ucchan_service_kill()) only when
 * @dead_too.
 */
static struct ucchan_service *ucchan_find_locked(const char *name,
						 bool dead_too)
{
	struct ucchan_service *svc;

	lockdep_assert_held(&ucchan_svc_mutex);
	list_for_each_entry(svc, &ucchan_svc_list, node)
		if (!strcmp(svc->name, name) && (dead_too || !svc->dead))
			return svc;
	return NULL;
}

/* Called with ucchan_svc_mutex held (kref_put_mutex()); drops it. */
static void ucchan_service_free(struct kref *ref)
{
	struct ucchan_service *svc = container_of(ref, struct ucchan_service, ref);

	list_del_init(&svc->node);
	mutex_unlock(&ucchan_svc_mutex);
	WARN_ON_ONCE(atomic_long_read(&svc->kpinned));
	ida_free(&ucchan_svc_ida, svc->id);
	put_user_ns(svc->user_ns);
	put_pid_ns(svc->pid_ns);
	ucchan_area_free(svc);
	free_percpu(svc->stats);
	kfree(svc->cpus);
	kfree(svc);
}

/* Never with ucchan_svc_mutex held: the last put takes it. */
void ucchan_service_put(struct ucchan_service *svc)
{
	kref_put_mutex(&svc->ref, ucchan_service_free, &ucchan_svc_mutex);
}

static int ucchan_create_args(struct ucchan_service_create *c)
{
	if (c->flags & ~UCCHAN_SVC_NOCOPY || c->service_id || c->pad ||
	    c->pad2 || memchr_inv(c->reserved, 0, sizeof(c->reserved)))
		return -EINVAL;
	if (c->mode & ~0777)
		return -EINVAL;
	if (!c->slots_per_cpu)
		c->slots_per_cpu = UCCHAN_DEF_SLOTS;
	if (c->slots_per_cpu > UCCHAN_MAX_SLOTS)
		return -EINVAL;
	if (!c->max_inline)
		c->max_inline = UCCHAN_DEF_INLINE;
	if (c->max_inline > UCCHAN_MAX_INLINE)
		return -EINVAL;
	c->max_inline = PAGE_ALIGN(c->max_inline);
	if (!c->window_size)
		c->window_size = UCCHAN_DEF_WINDOW;
	if (c->window_size > UCCHAN_MAX_WINDOW ||
	    !PAGE_ALIGNED(c->window_size))
		return -EINVAL;
	if (c->regbuf_size > UCCHAN_MAX_WINDOW ||
	    !PAGE_ALIGNED(c->regbuf_size))
		return -EINVAL;
	if (c->flags & UCCHAN_SVC_NOCOPY) {
		if (c->copy_size)
			return -EINVAL;
	} else if (!c->copy_size) {
		c->copy_size = UCCHAN_DEF_COPY;
	}
	if (c->copy_size > UCCHAN_MAX_COPY || !PAGE_ALIGNED(c->copy_size))
		return -EINVAL;
	if (strnlen(c->name, UCCHAN_NAME_MAX) == UCCHAN_NAME_MAX)
		return -EINVAL;
	return ucchan_check_name(c->name);
}

static struct ucchan_service *ucchan_service_alloc(struct ucchan_service_create *c)
{
	struct ucchan_service *svc;
	unsigned int cpu;
	int id;

	svc = kzalloc(sizeof(*svc), GFP_KERNEL);
	if (!svc)
		return NULL;
	svc->cpus = kcalloc(nr_cpu_ids, sizeof(*svc->cpus), GFP_KERNEL);
	svc->stats = alloc_percpu(struct ucchan_stats);
	id = ida_alloc_min(&ucchan_svc_ida, 1, GFP_KERNEL);
	if (!svc->cpus || !svc->stats || id < 0) {
		if (id >= 0)
			ida_free(&ucchan_svc_ida, id);
		free_percpu(svc->stats);
		kfree(svc->cpus);
		kfree(svc);
		return NULL;
	}
	kref_init(&svc->ref);
	INIT_LIST_HEAD(&svc->node);
	svc->id = id;
	strscpy_pad(svc->name, c->name, sizeof(svc->name));
	spin_lock_init(&svc->lock);
	svc->uid = current_fsuid();
	svc->gid = current_fsgid();
	svc->creator_uid = current_fsuid();
	svc->creator_gid = current_fsgid();
	if (ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN))
		svc->creator_flags |= UCCHAN_CREATOR_ADMIN;
	atomic_long_set(&svc->kpinned, 0);
	svc->mode = c->mode;
	svc->user_ns = get_user_ns(current_user_ns());
	svc->pid_ns = get_pid_ns(task_active_pid_ns(current));
	svc->slots_per_cpu = c->slots_per_cpu;
	svc->max_inline = c->max_inline;
	svc->window_size = c->window_size;
	svc->copy_size = c->copy_size;
	atomic_set(&svc->nr_workers, 0);
	init_waitqueue_head(&svc->bind_wq);
	init_waitqueue_head(&svc->ev_wq);
	INIT_LIST_HEAD(&svc->conns);
	init_waitqueue_head(&svc->notify_wq);
	mutex_init(&svc->zap_mutex);
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		spin_lock_init(&svc->cpus[cpu].lock);
		init_waitqueue_head(&svc->cpus[cpu].wq);
	}
	if (ucchan_area_init(svc, c->regbuf_size)) {
		ucchan_service_put(svc);
		return NULL;
	}
	return svc;
}

/*
 * May @svc (not yet listed) take its name? Not from a live service
 * (-EEXIST); nor from a dead one that a connection still refers to
 * (-EADDRINUSE), unless the new creator is the dead one's creator or has
 * CAP_SYS_ADMIN: a client of the old server (zuf's mount, for one) must
 * not find a stranger behind the name when it looks again. A tombstone
 * taken over leaves the list (it is freed with its last reference).
 */
static int ucchan_name_free_locked(struct ucchan_service *svc)
{
	struct ucchan_service *old;

	lockdep_assert_held(&ucchan_svc_mutex);
	old = ucchan_find_locked(svc->name, true);
	if (!old)
		return 0;
	if (!old->dead)
		return -EEXIST;
	if (!uid_eq(old->creator_uid, svc->creator_uid) &&
	    !(svc->creator_flags & UCCHAN_CREATOR_ADMIN))
		return -EADDRINUSE;
	list_del_init(&old->node);
	return 0;
}

int ucchan_service_create(struct ucchan_file *uf,
			  struct ucchan_service_create __user *uarg)
{
	struct ucchan_service_create c;
	struct ucchan_service *svc;
	int ret;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	ret = ucchan_create_args(&c);
	if (ret)
		return ret;

	mutex_lock(&uf->lock);
	if (uf->kind != UCCHAN_F_NONE) {
		ret = -EBUSY;
		goto out;
	}
	svc = ucchan_service_alloc(&c);
	if (!svc) {
		ret = -ENOMEM;
		goto out;
	}
	c.service_id = svc->id;
	if (copy_to_user(uarg, &c, sizeof(c))) {
		ucchan_service_put(svc);
		ret = -EFAULT;
		goto out;
	}

	mutex_lock(&ucchan_svc_mutex);
	ret = ucchan_name_free_locked(svc);
	if (ret) {
		mutex_unlock(&ucchan_svc_mutex);
		ucchan_service_put(svc);
		goto out;
	}
	list_add_tail(&svc->node, &ucchan_svc_list);
	ucchan_debugfs_add(svc);
	mutex_unlock(&ucchan_svc_mutex);

	uf->svc = svc;
	/* publish uf->svc before the kind (ucchan_kind()) */
	smp_store_release(&uf->kind, UCCHAN_F_SERVICE);
	ret = 0;
out:
	mutex_unlock(&uf->lock);
	return ret;
}

/*
 * The service file is going away: the service dies; every waiting and
 * future call fails with -ESHUTDOWN. Its name stays reserved for its
 * creator (or CAP_SYS_ADMIN) while anything still refers to the service:
 * it is on the list, dead, until the last reference goes (see
 * ucchan_name_free_locked()).
 */
void ucchan_service_kill(struct ucchan_service *svc)
{
	mutex_lock(&ucchan_svc_mutex);
	WRITE_ONCE(svc->dead, true);
	ucchan_debugfs_remove(svc);
	mutex_unlock(&ucchan_svc_mutex);

	ucchan_service_wake_all(svc);
	wake_up_all(&svc->ev_wq);
	ucchan_area_kill(svc);
}

int ucchan_service_set_perm(struct ucchan_service *svc,
			    struct ucchan_service_perm __user *uarg)
{
	struct ucchan_service_perm p;
	kuid_t uid = INVALID_UID;
	kgid_t gid = INVALID_GID;
	bool owner;

	if (copy_from_user(&p, uarg, sizeof(p)))
		return -EFAULT;
	if (p.flags || memchr_inv(p.reserved, 0, sizeof(p.reserved)) ||
	    p.mode & ~0777)
		return -EINVAL;
	if (p.uid != (u32)-1) {
		uid = make_kuid(current_user_ns(), p.uid);
		if (!uid_valid(uid))
			return -EINVAL;
	}
	if (p.gid != (u32)-1) {
		gid = make_kgid(current_user_ns(), p.gid);
		if (!gid_valid(gid))
			return -EINVAL;
	}
	if ((uid_valid(uid) || gid_valid(gid)) && !capable(CAP_CHOWN))
		return -EPERM;

	spin_lock(&svc->lock);
	owner = uid_eq(current_fsuid(), svc->uid);
	spin_unlock(&svc->lock);
	if (!owner && !capable(CAP_FOWNER))
		return -EPERM;

	spin_lock(&svc->lock);
	if (uid_valid(uid))
		svc->uid = uid;
	if (gid_valid(gid))
		svc->gid = gid;
	svc->mode = p.mode;
	spin_unlock(&svc->lock);
	return 0;
}

/* Like generic_permission() for MAY_WRITE on a file with the service's
 * owner, group and mode; CAP_SYS_ADMIN overrides.
 */
static int ucchan_may_connect(struct ucchan_service *svc)
{
	umode_t mode;
	kuid_t uid;
	kgid_t gid;

	spin_lock(&svc->lock);
	mode = svc->mode;
	uid = svc->uid;
	gid = svc->gid;
	spin_unlock(&svc->lock);

	if (uid_eq(current_fsuid(), uid))
		mode >>= 6;
	else if (in_group_p(gid))
		mode >>= 3;
	if (mode & 02)
		return 0;
	if (capable(CAP_SYS_ADMIN))
		return 0;
	return -EACCES;
}

struct ucchan_conn *ucchan_conn_open(const char *name, bool kernel,
				     const struct ucchan_conn_ops *ops,
				     void *priv)
{
	struct ucchan_service *svc;
	struct ucchan_conn *conn;
	int ret;

	conn = kzalloc(sizeof(*conn), GFP_KERNEL);
	if (!conn)
		return ERR_PTR(-ENOMEM);

	mutex_lock(&ucchan_svc_mutex);
	svc = ucchan_find_locked(name, false);
	if (svc)
		kref_get(&svc->ref);
	mutex_unlock(&ucchan_svc_mutex);
	if (!svc) {
		ret = -ENOENT;
		goto err;
	}
	ret = ucchan_may_connect(svc);
	if (ret) {
		ucchan_service_put(svc);
		goto err;
	}
	conn->svc = svc;
	conn->kernel = kernel;
	conn->ops = ops;
	conn->priv = priv;
	atomic_set(&conn->notify_busy, 0);
	INIT_LIST_HEAD(&conn->regbufs);
	conn->client_id = atomic64_inc_return(&ucchan_next_client_id);
	spin_lock(&svc->lock);
	list_add_tail(&conn->node, &svc->conns);
	spin_unlock(&svc->lock);
	return conn;
err:
	kfree(conn);
	return ERR_PTR(ret);
}

static void ucchan_event_push(struct ucchan_service *svc, u32 type,
			      u64 client_id)
{
	struct ucchan_event *ev;

	spin_lock(&svc->lock);
	if (svc->ev_count == UCCHAN_EV_QLEN) {
		svc->ev_overflow = true;
	} else {
		ev = &svc->ev[(svc->ev_head + svc->ev_count) % UCCHAN_EV_QLEN];
		memset(ev, 0, sizeof(*ev));
		ev->type = type;
		ev->client_id = client_id;
		svc->ev_count++;
	}
	spin_unlock(&svc->lock);
	wake_up_interruptible(&svc->ev_wq);
}

void ucchan_conn_close(struct ucchan_conn *conn)
{
	struct ucchan_service *svc = conn->svc;

	/* no new notify callback can find it; wait for running ones */
	spin_lock(&svc->lock);
	list_del(&conn->node);
	spin_unlock(&svc->lock);
	wait_event(svc->notify_wq, !atomic_read(&conn->notify_busy));

	ucchan_conn_unregister_all(conn);
	if (!READ_ONCE(svc->dead))
		ucchan_event_push(svc, UCCHAN_EV_DISCONNECT, conn->client_id);
	ucchan_service_put(svc);
	kfree(conn);
}

static bool ucchan_event_ready(struct ucchan_service *svc)
{
	return READ_ONCE(svc->ev_count) || READ_ONCE(svc->ev_overflow);
}

/* Take one record off the queue; the overflow marker comes first. */
static bool ucchan_event_pop(struct ucchan_service *svc,
			     struct ucchan_event *ev)
{
	bool ret = true;

	memset(ev, 0, sizeof(*ev));
	spin_lock(&svc->lock);
	if (svc->ev_overflow) {
		svc->ev_overflow = false;
		ev->type = UCCHAN_EV_OVERFLOW;
	} else if (svc->ev_count) {
		*ev = svc->ev[svc->ev_head];
		svc->ev_head = (svc->ev_head + 1) % UCCHAN_EV_QLEN;
		svc->ev_count--;
	} else {
		ret = false;
	}
	spin_unlock(&svc->lock);
	return ret;
}

ssize_t ucchan_event_read(struct ucchan_service *svc, char __user *buf,
			  size_t count, bool nonblock)
{
	struct ucchan_event ev;
	size_t done = 0;
	int ret;

	if (count < sizeof(ev))
		return -EINVAL;
	if (!ucchan_event_ready(svc)) {
		if (nonblock)
			return -EAGAIN;
		ret = wait_event_interruptible(svc->ev_wq,
					       ucchan_event_ready(svc));
		if (ret)
			return ret;
	}
	while (done + sizeof(ev) <= count && ucchan_event_pop(svc, &ev)) {
		if (copy_to_user(buf + done, &ev, sizeof(ev)))
			return done ? done : -EFAULT;
		done += sizeof(ev);
	}
	return done;
}

__poll_t ucchan_event_poll(struct ucchan_service *svc, struct file *file,
			   poll_table *pt)
{
	poll_wait(file, &svc->ev_wq, pt);
	return ucchan_event_ready(svc) ? EPOLLIN | EPOLLRDNORM : 0;
}
