// SPDX-License-Identifier: GPL-2.0
/*
 * ucchan channels: worker binding, the worker's WAIT loop and the call
 * path. A call runs on the caller's CPU: the caller takes a free channel
 * of its CPU (per-CPU bitmap, per-CPU lock), hands the request to that
 * channel's worker, and sleeps until the reply. See docs/ucchan.md.
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/uaccess.h>
#include <linux/file.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/clock.h>
#include <linux/cpumask.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/pid_namespace.h>
#include <linux/percpu.h>
#include <linux/pagemap.h>

#include "ucchan_i.h"
#include "ucchan_trace.h"

static void ucchan_chan_free(struct kref *ref)
{
	struct ucchan_chan *chan = container_of(ref, struct ucchan_chan, ref);

	vfree(chan->area);
	if (chan->scratch)
		__free_page(chan->scratch);
	ucchan_service_put(chan->svc);
	kfree(chan);
}

void ucchan_chan_put(struct ucchan_chan *chan)
{
	kref_put(&chan->ref, ucchan_chan_free);
}

static struct ucchan_service *ucchan_service_from_fd(int fd)
{
	struct ucchan_service *svc = ERR_PTR(-EINVAL);
	struct ucchan_file *uf;
	struct file *file;

	file = fget(fd);
	if (!file)
		return ERR_PTR(-EBADF);
	if (file->f_op == &ucchan_fops) {
		uf = file->private_data;
		/* pairs with smp_store_release() at service creation */
		if (smp_load_acquire(&uf->kind) == UCCHAN_F_SERVICE) {
			svc = uf->svc;
			kref_get(&svc->ref);
		}
	}
	fput(file);
	return svc;
}

static struct ucchan_chan *ucchan_chan_alloc(struct ucchan_service *svc,
					     u32 cpu, u32 slot)
{
	unsigned long inline_pages = svc->max_inline >> PAGE_SHIFT;
	struct ucchan_chan *chan;

	chan = kzalloc(sizeof(*chan), GFP_KERNEL);
	if (!chan)
		return NULL;
	chan->area_pages = 1 + 2 * inline_pages +
			   (svc->copy_size >> PAGE_SHIFT);
	chan->area = vzalloc(chan->area_pages << PAGE_SHIFT);
	chan->scratch = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!chan->area || !chan->scratch) {
		vfree(chan->area);
		if (chan->scratch)
			__free_page(chan->scratch);
		kfree(chan);
		return NULL;
	}
	kref_init(&chan->ref);
	chan->req = chan->area + PAGE_SIZE;
	chan->reply = chan->req + svc->max_inline;
	chan->copy = chan->reply + svc->max_inline;
	chan->win_pages = svc->window_size >> PAGE_SHIFT;
	chan->mmap_size = (chan->area_pages << PAGE_SHIFT) + svc->window_size;
	chan->svc = svc;
	chan->uc = &svc->cpus[cpu];
	chan->cpu = cpu;
	chan->slot = slot;
	spin_lock_init(&chan->lock);
	chan->state = UCCHAN_CH_IDLE;
	init_waitqueue_head(&chan->worker_wq);
	init_waitqueue_head(&chan->client_wq);
	mutex_init(&chan->map_mutex);
	return chan;
}

int ucchan_worker_bind(struct ucchan_file *uf,
		       struct ucchan_worker_bind __user *uarg)
{
	struct ucchan_worker_bind b;
	struct ucchan_service *svc;
	struct ucchan_chan *chan;
	struct ucchan_cpu *uc;
	int ret;

	if (copy_from_user(&b, uarg, sizeof(b)))
		return -EFAULT;
	if (b.flags || b.mmap_size || b.req_offset || b.reply_offset ||
	    b.window_offset || b.window_size || b.max_inline ||
	    b.copy_size || b.copy_offset ||
	    memchr_inv(b.reserved, 0, sizeof(b.reserved)))
		return -EINVAL;

	svc = ucchan_service_from_fd(b.service_fd);
	if (IS_ERR(svc))
		return PTR_ERR(svc);

	ret = -EINVAL;
	if (b.cpu >= nr_cpu_ids || !cpu_possible(b.cpu) ||
	    b.slot >= svc->slots_per_cpu)
		goto err_svc;
	ret = -ENODEV;
	if (!cpu_online(b.cpu))
		goto err_svc;
	ret = -EINVAL;
	if (current->nr_cpus_allowed != 1 ||
	    !cpumask_test_cpu(b.cpu, current->cpus_ptr))
		goto err_svc;
	ret = -ESHUTDOWN;
	if (READ_ONCE(svc->dead))
		goto err_svc;

	mutex_lock(&uf->lock);
	ret = -EBUSY;
	if (uf->kind != UCCHAN_F_NONE)
		goto err_unlock;
	ret = -ENOMEM;
	chan = ucchan_chan_alloc(svc, b.cpu, b.slot);
	if (!chan)
		goto err_unlock;
	/* from here on the channel owns the service reference */

	b.mmap_size = chan->mmap_size;
	b.req_offset = PAGE_SIZE;
	b.reply_offset = PAGE_SIZE + svc->max_inline;
	b.window_offset = chan->area_pages << PAGE_SHIFT;
	b.window_size = svc->window_size;
	b.max_inline = svc->max_inline;
	b.copy_size = svc->copy_size;
	b.copy_offset = b.copy_size ? b.reply_offset + svc->max_inline : 0;
	ret = -EFAULT;
	if (copy_to_user(uarg, &b, sizeof(b)))
		goto err_chan;

	uc = chan->uc;
	spin_lock(&uc->lock);
	if (uc->bound & BIT(b.slot)) {
		spin_unlock(&uc->lock);
		ret = -EBUSY;
		goto err_chan;
	}
	uc->chans[b.slot] = chan;
	uc->bound |= BIT(b.slot);
	uc->free |= BIT(b.slot);
	spin_unlock(&uc->lock);
	atomic_inc(&svc->nr_workers);

	uf->chan = chan;
	/* publish uf->chan before the kind (ucchan_kind()) */
	smp_store_release(&uf->kind, UCCHAN_F_WORKER);
	mutex_unlock(&uf->lock);
	wake_up_all(&uc->wq);
	wake_up_all(&svc->bind_wq);
	return 0;

err_chan:
	ucchan_chan_put(chan);
	mutex_unlock(&uf->lock);
	return ret;
err_unlock:
	mutex_unlock(&uf->lock);
err_svc:
	ucchan_service_put(svc);
	return ret;
}

/* The channel's call is over and cleaned up: offer the slot again. */
static void ucchan_chan_idle(struct ucchan_chan *chan)
{
	struct ucchan_cpu *uc = chan->uc;

	spin_lock(&uc->lock);
	if (uc->chans[chan->slot] == chan)
		uc->free |= BIT(chan->slot);
	spin_unlock(&uc->lock);
	if (wq_has_sleeper(&uc->wq))
		wake_up(&uc->wq);
}

void ucchan_worker_release(struct ucchan_chan *chan)
{
	struct ucchan_service *svc = chan->svc;
	struct ucchan_cpu *uc = chan->uc;
	bool cleanup = false;

	spin_lock(&uc->lock);
	uc->chans[chan->slot] = NULL;
	uc->bound &= ~BIT(chan->slot);
	uc->free &= ~BIT(chan->slot);
	spin_unlock(&uc->lock);
	atomic_dec(&svc->nr_workers);

	/*
	 * No VMA maps the worker file any more (a VMA holds a file
	 * reference), so an abandoned call can be freed here (unless its
	 * caller is still revoking it: then the caller does).
	 */
	spin_lock(&chan->lock);
	chan->worker_gone = true;
	if (chan->state == UCCHAN_CH_ABANDONED && !chan->revoking) {
		chan->state = UCCHAN_CH_IDLE;
		cleanup = true;
	}
	spin_unlock(&chan->lock);
	if (cleanup) {
		ucchan_callst_free(chan->cs);
		chan->cs = NULL;
	}
	wake_up_all(&chan->client_wq);
	wake_up_all(&uc->wq);
	ucchan_chan_put(chan);
}

void ucchan_service_wake_all(struct ucchan_service *svc)
{
	unsigned int cpu, slot;

	wake_up_all(&svc->bind_wq);
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		struct ucchan_cpu *uc = &svc->cpus[cpu];

		spin_lock(&uc->lock);
		for (slot = 0; slot < UCCHAN_MAX_SLOTS; slot++) {
			struct ucchan_chan *chan = uc->chans[slot];

			if (!chan)
				continue;
			wake_up_all(&chan->worker_wq);
			wake_up_all(&chan->client_wq);
		}
		spin_unlock(&uc->lock);
		wake_up_all(&uc->wq);
	}
}

/* Deliver the reply of the worker's current call. */
static int ucchan_worker_reply(struct ucchan_chan *chan, s32 status,
			       u32 reply_len)
{
	struct ucchan_service *svc = chan->svc;
	struct ucchan_callst *cs;
	bool abandoned = false, bad = reply_len > svc->max_inline;
	u64 call_id = 0, t_issue = 0;
	u32 client_cpu = 0;

	spin_lock(&chan->lock);
	if (chan->state != UCCHAN_CH_ACTIVE &&
	    chan->state != UCCHAN_CH_ABANDONED) {
		spin_unlock(&chan->lock);
		return -EINVAL;
	}
	spin_unlock(&chan->lock);
	cs = chan->cs;

	/* the window goes away before any page is released */
	ucchan_window_close(chan);

	spin_lock(&chan->lock);
	cs->status = status;
	cs->reply_len = bad ? 0 : reply_len;
	cs->error = bad ? -EPROTO : 0;
	if (chan->state == UCCHAN_CH_ABANDONED && !chan->revoking) {
		chan->state = UCCHAN_CH_IDLE;
		abandoned = true;
	} else {
		/*
		 * The caller (or the caller revoking it) ends the call, and
		 * may free cs as soon as it sees DONE (it need not sleep: it
		 * may be polling, or woken, on another CPU): what the
		 * tracepoint wants is read from cs before.
		 */
		call_id = cs->call_id;
		client_cpu = cs->client_cpu;
		t_issue = cs->t_issue;
		chan->state = UCCHAN_CH_DONE;
	}
	spin_unlock(&chan->lock);

	if (abandoned) {
		chan->cs = NULL;
		ucchan_callst_free(cs);
		ucchan_chan_idle(chan);
	} else {
		/* the clock is read only for the tracepoint (see t_issue) */
		if (trace_ucchan_call_reply_enabled())
			trace_ucchan_call_reply(svc, call_id, chan->cpu,
						client_cpu,
						bad ? -EPROTO : status,
						bad ? 0 : reply_len,
						t_issue ?
						ktime_get_ns() - t_issue : 0);
		wake_up(&chan->client_wq);
	}
	return bad ? -EINVAL : 0;
}

static bool ucchan_worker_woken(struct ucchan_chan *chan)
{
	return READ_ONCE(chan->state) == UCCHAN_CH_PENDING ||
	       READ_ONCE(chan->svc->dead);
}

/*
 * Spin for up to @ns for the next request (UCCHAN_FEAT_POLL), as long as
 * nothing else wants this CPU and no signal is pending. chan->polling
 * stays set after a request was found this way (the worker comes back to
 * spin after its reply, and a caller that saw it spins for that reply);
 * it is cleared, before the worker sleeps, when the spin ends empty.
 */
static void ucchan_worker_poll(struct ucchan_chan *chan, u64 ns)
{
	struct ucchan_service *svc = chan->svc;
	u64 start = local_clock(), now = start;

	WRITE_ONCE(chan->poll_ns, ns);
	WRITE_ONCE(chan->polling, true);
	smp_mb();	/* polling before the state check */
	while (!ucchan_worker_woken(chan)) {
		now = local_clock();
		if (now - start >= ns || need_resched() ||
		    signal_pending(current)) {
			WRITE_ONCE(chan->polling, false);
			/* cleared before the sleep's state check */
			smp_mb();
			break;
		}
		cpu_relax();
	}
	if (READ_ONCE(chan->polling))
		this_cpu_inc(svc->stats->poll_hits);
	this_cpu_add(svc->stats->poll_ns, now - start);
}

int ucchan_worker_wait(struct ucchan_chan *chan,
		       struct ucchan_wait __user *uarg)
{
	struct ucchan_service *svc = chan->svc;
	struct ucchan_wait w;
	int ret;

	if (copy_from_user(&w, uarg, sizeof(w)))
		return -EFAULT;
	if (w.flags & ~UCCHAN_WAIT_REPLY || w.pad ||
	    w.poll_ns > UCCHAN_MAX_POLL_NS ||
	    memchr_inv(w.reserved, 0, sizeof(w.reserved)))
		return -EINVAL;

	/* one WAIT at a time per worker file */
	if (test_and_set_bit_lock(0, &chan->wait_busy))
		return -EBUSY;

	if (w.flags & UCCHAN_WAIT_REPLY) {
		ret = ucchan_worker_reply(chan, w.status, w.reply_len);
		if (ret)
			goto out;
	} else {
		enum ucchan_chan_state st = READ_ONCE(chan->state);

		/* the current call must be answered first */
		ret = -EINVAL;
		if (st == UCCHAN_CH_ACTIVE || st == UCCHAN_CH_ABANDONED)
			goto out;
	}

	if (w.poll_ns)
		ucchan_worker_poll(chan, w.poll_ns);
	else
		WRITE_ONCE(chan->polling, false);
	for (;;) {
		ret = wait_event_interruptible(chan->worker_wq,
					       ucchan_worker_woken(chan));
		if (ret) {
			ret = -EINTR;
			goto out;
		}
		ret = -ESHUTDOWN;
		if (READ_ONCE(svc->dead))
			goto out;
		spin_lock(&chan->lock);
		if (chan->state == UCCHAN_CH_PENDING) {
			chan->state = UCCHAN_CH_ACTIVE;
			spin_unlock(&chan->lock);
			break;
		}
		/* the caller took its request back */
		spin_unlock(&chan->lock);
	}
	ucchan_window_open(chan);
	trace_ucchan_call_dispatch(svc, chan->call_id, chan->cpu, chan->slot);
	ret = 0;
out:
	clear_bit_unlock(0, &chan->wait_busy);
	return ret;
}

/* Jiffies left until @deadline; no deadline (0) is for ever. */
static long ucchan_left(unsigned long deadline)
{
	long left;

	if (!deadline)
		return MAX_SCHEDULE_TIMEOUT;
	left = (long)(deadline - jiffies);
	return max(left, 0L);
}

/*
 * The calling task: the CPU it called from (whose worker serves it) and
 * its deadline. It is not kept there: migrate_disable() would make the
 * scheduler narrow and restore its affinity around every sleep of the
 * call, under the runqueue lock (measured: no fewer cross-CPU wake-ups
 * with it, and slower; docs/benchmarks.md). The worker's wake-up normally
 * finds it on the same CPU; one that moved meanwhile is served all the
 * same, by a cross-CPU wake-up, and counted (stats "migrated").
 */
struct ucchan_caller {
	unsigned int cpu;
	unsigned long deadline;		/* jiffies, 0 = none */
	bool nointr;			/* UCCHAN_KCALL_NOINTR */
};

/*
 * Sleep on @wq until @cond(@arg), until the caller's deadline (jiffies,
 * 0 = none): killable, or for a UCCHAN_KCALL_NOINTR call (whose deadline
 * is never 0) uninterruptible. 0 when the condition became true, -EINTR
 * on a fatal signal, -ETIMEDOUT. The loop of wait_event_killable_timeout()
 * with the state chosen at run time (not wait_woken(): it never sleeps
 * in a kernel thread being stopped, a client's kthread would spin).
 * Inlined: @cond is a direct call.
 */
static __always_inline int ucchan_wait_until(struct wait_queue_head *wq,
					     bool (*cond)(void *arg),
					     void *arg,
					     const struct ucchan_caller *cl)
{
	unsigned int state = cl->nointr ? TASK_UNINTERRUPTIBLE : TASK_KILLABLE;
	long left = ucchan_left(cl->deadline);
	struct wait_queue_entry wait;
	int ret = 0;

	if (cond(arg))
		return 0;
	init_wait_entry(&wait, 0);
	for (;;) {
		/* -ERESTARTSYS only for a fatal signal, and not when NOINTR */
		long intr = prepare_to_wait_event(wq, &wait, state);

		if (cond(arg))
			break;
		if (intr) {
			ret = -EINTR;
			break;
		}
		if (!left) {
			ret = -ETIMEDOUT;
			break;
		}
		left = schedule_timeout(left);
	}
	finish_wait(wq, &wait);
	return ret;
}

/* Take a free channel of @uc; its call gets the next call id of @uc. */
static bool ucchan_try_take(struct ucchan_cpu *uc, struct ucchan_chan **chanp)
{
	struct ucchan_chan *chan;
	unsigned int slot;

	spin_lock(&uc->lock);
	if (uc->free) {
		slot = __ffs(uc->free);
		uc->free &= ~BIT(slot);
		chan = uc->chans[slot];
		kref_get(&chan->ref);
		/* (seq, cpu) <-> id is one-to-one since cpu < nr_cpu_ids */
		chan->call_id = ++uc->seq * nr_cpu_ids + chan->cpu;
		*chanp = chan;
	}
	spin_unlock(&uc->lock);
	return *chanp;
}

/* A CPU with a worker: @cpu itself, else one with a free slot, else any. */
static int ucchan_pick_cpu(struct ucchan_service *svc, unsigned int cpu)
{
	unsigned int i, c;
	int any = -1;

	if (READ_ONCE(svc->cpus[cpu].bound))
		return cpu;
	for (i = 1; i < nr_cpu_ids; i++) {
		c = (cpu + i) % nr_cpu_ids;
		if (!READ_ONCE(svc->cpus[c].bound))
			continue;
		if (READ_ONCE(svc->cpus[c].free))
			return c;
		if (any < 0)
			any = c;
	}
	return any;
}

static bool ucchan_have_workers(void *arg)
{
	struct ucchan_service *svc = arg;

	return atomic_read(&svc->nr_workers) || READ_ONCE(svc->dead);
}

/* What a caller waiting for a channel of a CPU waits for. */
struct ucchan_take {
	struct ucchan_service *svc;
	struct ucchan_cpu *uc;
	struct ucchan_chan **chanp;
};

/* Never take a second channel: test *chanp first. */
static bool ucchan_take_ready(void *arg)
{
	struct ucchan_take *t = arg;

	return *t->chanp || ucchan_try_take(t->uc, t->chanp) ||
	       READ_ONCE(t->svc->dead) || !READ_ONCE(t->uc->bound);
}

static int ucchan_get_chan(struct ucchan_service *svc, struct ucchan_caller *cl,
			   struct ucchan_chan **chanp, unsigned int *target)
{
	bool counted = false;
	struct ucchan_take take;
	struct ucchan_cpu *uc;
	int t, ret;

	*chanp = NULL;
	for (;;) {
		if (READ_ONCE(svc->dead))
			return -ESHUTDOWN;
		t = ucchan_pick_cpu(svc, cl->cpu);
		if (t < 0) {
			/* no worker at all (yet): wait for one to bind */
			ret = ucchan_wait_until(&svc->bind_wq,
						ucchan_have_workers, svc, cl);
			if (ret)
				return ret;
			continue;
		}
		uc = &svc->cpus[t];
		*target = t;
		if (ucchan_try_take(uc, chanp))
			return 0;
		if (!counted) {
			counted = true;
			this_cpu_inc(svc->stats->busy_waits);
			trace_ucchan_call_busy(svc, t);
		}
		/* never take a second channel: test *chanp first */
		take = (struct ucchan_take){ svc, uc, chanp };
		ret = ucchan_wait_until(&uc->wq, ucchan_take_ready, &take, cl);
		if (*chanp)
			return 0;
		if (ret)
			return ret;
	}
}

static bool ucchan_call_settled(void *arg)
{
	struct ucchan_chan *chan = arg;

	return READ_ONCE(chan->state) == UCCHAN_CH_DONE ||
	       READ_ONCE(chan->worker_gone) || READ_ONCE(chan->svc->dead);
}

static void ucchan_fill_hdr(struct ucchan_chan *chan, struct ucchan_conn *conn,
			    struct ucchan_callst *cs, bool fallback)
{
	struct ucchan_service *svc = chan->svc;
	struct ucchan_req_hdr *hdr = chan->area;

	hdr->call_id = cs->call_id;
	hdr->client_id = conn->client_id;
	hdr->req_len = cs->req_len;
	hdr->nr_bufs = cs->nr_bufs;
	hdr->flags = (conn->kernel ? UCCHAN_REQ_KERNEL : 0) |
		     (fallback ? UCCHAN_REQ_FALLBACK : 0);
	hdr->cpu = cs->client_cpu;
	hdr->pid = (current->flags & PF_KTHREAD) ? 0 :
		   task_tgid_nr_ns(current, svc->pid_ns);
	hdr->uid = from_kuid_munged(svc->user_ns, current_fsuid());
	hdr->gid = from_kgid_munged(svc->user_ns, current_fsgid());
	memcpy(hdr->bufs, cs->desc, cs->nr_bufs * sizeof(hdr->bufs[0]));
	/*
	 * Only the kernel writes the header page (zeroed at allocation; the
	 * worker maps it read-only): pad and reserved stay zero, and of
	 * bufs[] beyond nr_bufs only the entries of earlier calls need
	 * clearing.
	 */
	if (chan->hdr_bufs > hdr->nr_bufs)
		memset(&hdr->bufs[hdr->nr_bufs], 0,
		       (chan->hdr_bufs - hdr->nr_bufs) * sizeof(hdr->bufs[0]));
	chan->hdr_bufs = hdr->nr_bufs;
}

/*
 * Wait for the reply and end the call. Returns 0 with the reply in the
 * channel (state IDLE, the channel still ours: not yet offered again), or
 * an error after which the channel and @cs are no longer the caller's
 * (both were released, or the channel owns @cs until its worker replies).
 */
/*
 * The worker of another CPU took the request spinning (UCCHAN_FEAT_POLL):
 * spin for its reply for as long as it would spin for a request, unless
 * this CPU is wanted, a fatal signal is pending or the deadline passed;
 * then (or if the reply is not there yet) the caller sleeps as usual.
 */
static void ucchan_caller_poll(struct ucchan_chan *chan,
			       const struct ucchan_caller *cl)
{
	u64 start = local_clock(), ns = READ_ONCE(chan->poll_ns), now = start;

	while (!ucchan_call_settled(chan)) {
		now = local_clock();
		if (now - start >= ns || need_resched() ||
		    fatal_signal_pending(current) ||
		    (cl->deadline && time_after_eq(jiffies, cl->deadline)))
			break;
		cpu_relax();
	}
	this_cpu_add(chan->svc->stats->poll_ns, now - start);
}

static int ucchan_call_wait(struct ucchan_chan *chan, struct ucchan_callst *cs,
			    struct ucchan_caller *cl, bool poll)
{
	struct ucchan_service *svc = chan->svc;
	enum ucchan_chan_state st;
	bool mine = true;
	int ret;

	if (poll)
		ucchan_caller_poll(chan, cl);
	ret = ucchan_wait_until(&chan->client_wq, ucchan_call_settled, chan,
				cl);

	spin_lock(&chan->lock);
	st = chan->state;
	if (st == UCCHAN_CH_DONE) {
		ret = 0;
		chan->state = UCCHAN_CH_IDLE;
	} else if (st == UCCHAN_CH_PENDING || chan->worker_gone) {
		/* the worker never saw it, or is gone: nothing is mapped */
		chan->state = UCCHAN_CH_IDLE;
	} else {
		/* ACTIVE: take the caller's memory back out of the window */
		chan->state = UCCHAN_CH_ABANDONED;
		chan->revoking = true;
		mine = false;
	}
	spin_unlock(&chan->lock);
	if (st == UCCHAN_CH_DONE)
		return 0;
	if (!ret)
		ret = READ_ONCE(svc->dead) ? -ESHUTDOWN : -ECONNRESET;
	if (!mine) {
		ucchan_call_revoke(chan, cs);
		spin_lock(&chan->lock);
		chan->revoking = false;
		/* the worker replied or went away meanwhile: ours to end */
		mine = chan->state != UCCHAN_CH_ABANDONED || chan->worker_gone;
		if (mine)
			chan->state = UCCHAN_CH_IDLE;
		spin_unlock(&chan->lock);
	}
	if (mine) {
		chan->cs = NULL;
		ucchan_callst_free(cs);
		ucchan_chan_idle(chan);
	}
	return ret;
}

/*
 * Stage a user call's request in @cs before any channel is taken: the
 * copy may fault (and the fault make a nested call on this CPU).
 */
static int ucchan_stage_req(struct ucchan_callst *cs,
			    const struct ucchan_call_src *src)
{
	void *dst = cs->req_small;

	cs->req_len = src->req_len;
	if (!src->user) {
		cs->req = src->kreq;
		return 0;
	}
	if (src->req_len > sizeof(cs->req_small)) {
		cs->req_big = kvmalloc(src->req_len, GFP_KERNEL);
		if (!cs->req_big)
			return -ENOMEM;
		dst = cs->req_big;
	}
	if (copy_from_user(dst, src->ureq, src->req_len))
		return -EFAULT;
	cs->req = dst;
	return 0;
}

/*
 * Copy the reply out of the channel. Kernel callers get it at once; for
 * a user caller the copy must not fault while the channel is held: it is
 * tried with page faults disabled (the buffer was faulted in before the
 * call), else staged in *@stash for a copy after the channel is released.
 */
static int ucchan_copy_reply(struct ucchan_chan *chan, struct ucchan_callst *cs,
			     const struct ucchan_call_src *src, void **stash,
			     u32 *stash_len)
{
	u32 len = cs->reply_len, n;
	unsigned long left;

	if (!src->user) {
		if (len > src->reply_cap)
			return -EMSGSIZE;
		memcpy(src->kreply, chan->reply, len);
		return 0;
	}
	n = min(len, src->reply_cap);
	if (!n)
		return 0;
	pagefault_disable();
	left = __copy_to_user_inatomic(src->ureply, chan->reply, n);
	pagefault_enable();
	if (!left)
		return 0;
	*stash = ucchan_alloc_held(n);
	if (!*stash)
		return -ENOMEM;
	memcpy(*stash, chan->reply, n);
	*stash_len = n;
	return 0;
}

int ucchan_call_common(struct ucchan_conn *conn,
		       const struct ucchan_call_src *src,
		       s32 *status, u32 *reply_len)
{
	struct ucchan_service *svc = conn->svc;
	struct ucchan_caller cl = {};
	struct ucchan_callst *cs;
	struct ucchan_chan *chan;
	unsigned int target;
	void *stash = NULL;
	u32 stash_len = 0;
	u64 call_id;
	bool poll;
	int ret, err;

	if (src->req_len > svc->max_inline || src->nr_bufs > UCCHAN_MAX_BUFS)
		return -EINVAL;
	if (READ_ONCE(svc->dead))
		return -ESHUTDOWN;
	if (src->timeout_ns) {
		unsigned long j = nsecs_to_jiffies(src->timeout_ns);

		/* beyond what jiffies can express: no deadline (0) */
		if (j < MAX_JIFFY_OFFSET)
			cl.deadline = (jiffies + max(j, 1UL)) ?: 1;
	}
	/* an uninterruptible wait is a bounded one */
	if (src->nointr && !cl.deadline)
		return -EINVAL;
	cl.nointr = src->nointr;

	/*
	 * Everything that can fault happens before a channel is taken:
	 * staging the request, pinning (faulting in) the buffers, faulting
	 * in the reply buffer. A fault on a file of a file system served
	 * through this service calls it again on this CPU; holding a slot
	 * meanwhile could leave every slot of the CPU waiting for itself.
	 */
	cs = kmem_cache_zalloc(ucchan_callst_cache, GFP_KERNEL);
	if (!cs)
		return -ENOMEM;
	cs->svc = svc;
	cs->user = src->user;
	cs->client_id = conn->client_id;
	ret = ucchan_stage_req(cs, src);
	if (!ret)
		ret = ucchan_bufs_prepare(cs, conn, src);
	if (ret) {
		ucchan_callst_free(cs);
		return ret;
	}
	if (src->user && src->reply_cap)
		fault_in_writeable(src->ureply, min(src->reply_cap,
						    svc->max_inline));

	cl.cpu = raw_smp_processor_id();
	for (;;) {
		ret = ucchan_get_chan(svc, &cl, &chan, &target);
		if (ret)
			break;
		if (!cs->copy_used || ucchan_copy_in(chan, cs) != -EAGAIN)
			break;
		/*
		 * A copy into the copy area would fault: not with the slot
		 * held. Offer it again, read the bytes with faults allowed
		 * and take a channel again (the next copy in cannot fault).
		 */
		ucchan_chan_idle(chan);
		ucchan_chan_put(chan);
		ret = ucchan_copy_stage(cs);
		if (ret)
			break;
	}
	if (ret) {
		ucchan_callst_free(cs);
		goto out;
	}

	call_id = chan->call_id;
	cs->call_id = call_id;
	cs->client_cpu = cl.cpu;
	/*
	 * Timestamp only for the reply tracepoint's latency: reading the
	 * clock is not free (a device access when the clocksource is the
	 * HPET, as in QEMU guests), and the fast path does not need it.
	 */
	cs->t_issue = trace_ucchan_call_reply_enabled() ? ktime_get_ns() : 0;
	chan->cs = cs;
	memcpy(chan->req, cs->req, cs->req_len);
	ucchan_fill_hdr(chan, conn, cs, target != cl.cpu);
	if (cs->bounce_bytes)
		trace_ucchan_bounce(svc, cs->call_id, cs->bounce_bytes);
	if (cs->copy_bytes)
		trace_ucchan_copy(svc, cs->call_id, cs->copy_bytes);
	trace_ucchan_call_issue(svc, cs->call_id, conn->client_id, cl.cpu,
				target, cs->req_len, cs->nr_bufs,
				cs->map_bytes);
	this_cpu_inc(svc->stats->calls);
	if (target == cl.cpu) {
		this_cpu_inc(svc->stats->same_cpu);
	} else {
		this_cpu_inc(svc->stats->fallbacks);
		trace_ucchan_call_fallback(svc, cs->call_id, cl.cpu, target);
	}
	this_cpu_add(svc->stats->bytes_mapped, cs->map_bytes);
	this_cpu_add(svc->stats->bytes_bounced, cs->bounce_bytes);
	this_cpu_add(svc->stats->bytes_copied, cs->copy_bytes);

	spin_lock(&chan->lock);
	if (chan->worker_gone) {
		chan->state = UCCHAN_CH_IDLE;
		spin_unlock(&chan->lock);
		chan->cs = NULL;
		ucchan_callst_free(cs);
		ret = -ECONNRESET;
		goto out_abort;
	}
	chan->state = UCCHAN_CH_PENDING;
	spin_unlock(&chan->lock);
	/*
	 * A worker spinning for requests on another CPU takes it without a
	 * wake-up (the wake-up finds nobody waiting): spin for the reply too.
	 * No barrier on this path: a stale value only makes the caller sleep
	 * at once (the wake-up below is unconditional) or spin in vain for
	 * poll_ns before it sleeps; both end in the same reply.
	 */
	poll = READ_ONCE(chan->polling) && chan->cpu != raw_smp_processor_id();
	wake_up(&chan->worker_wq);

	ret = ucchan_call_wait(chan, cs, &cl, poll);
	if (ret)
		goto out_abort;

	/* the reply: the channel is IDLE but not yet offered again */
	ret = cs->error;
	if (!ret) {
		*status = cs->status;
		*reply_len = cs->reply_len;
		ret = ucchan_copy_reply(chan, cs, src, &stash, &stash_len);
		if (!ret && cs->copy_used)
			ret = ucchan_copy_out(chan, cs, src);
	}
	chan->cs = NULL;
	ucchan_chan_idle(chan);
	ucchan_chan_put(chan);
	if (raw_smp_processor_id() != cl.cpu)
		this_cpu_inc(svc->stats->migrated);

	/* no channel held from here: copies to the caller may fault */
	if (stash) {
		if (copy_to_user(src->ureply, stash, stash_len))
			ret = -EFAULT;
		kvfree(stash);
	}
	err = ucchan_bufs_finish(cs, src, !ret);
	if (!ret)
		ret = err;
	ucchan_callst_free(cs);
	return ret;

out_abort:
	this_cpu_inc(svc->stats->aborts);
	trace_ucchan_call_abort(svc, call_id, ret);
	ucchan_chan_put(chan);
out:
	return ret;
}

int ucchan_user_call(struct ucchan_conn *conn, struct ucchan_call __user *uarg)
{
	struct ucchan_iov iov[UCCHAN_MAX_BUFS];
	struct ucchan_call_src src = {};
	struct ucchan_call c;
	unsigned int i;
	s32 status = 0;
	u32 reply_len = 0;
	int ret;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.flags || memchr_inv(c.reserved, 0, sizeof(c.reserved)))
		return -EINVAL;
	if (c.iov_cnt > UCCHAN_MAX_BUFS ||
	    c.req_len > conn->svc->max_inline)
		return -EINVAL;
	if (c.iov_cnt && copy_from_user(iov, u64_to_user_ptr(c.iov_ptr),
					c.iov_cnt * sizeof(iov[0])))
		return -EFAULT;
	for (i = 0; i < c.iov_cnt; i++) {
		if (iov[i].flags & ~(UCCHAN_BUF_READ | UCCHAN_BUF_WRITE |
				     UCCHAN_BUF_REGISTERED) ||
		    !(iov[i].flags & (UCCHAN_BUF_READ | UCCHAN_BUF_WRITE)))
			return -EINVAL;
		if (!iov[i].len || iov[i].addr + iov[i].len < iov[i].addr)
			return -EINVAL;
		if (iov[i].flags & UCCHAN_BUF_REGISTERED) {
			if (!conn->svc->regbuf_size)
				return -EOPNOTSUPP;
			continue;
		}
		if (iov[i].buf_id)
			return -EINVAL;
		if (iov[i].len > conn->svc->window_size)
			return -E2BIG;
	}

	src.user = true;
	src.ureq = u64_to_user_ptr(c.req_ptr);
	src.req_len = c.req_len;
	src.ureply = u64_to_user_ptr(c.reply_ptr);
	src.reply_cap = c.reply_cap;
	src.timeout_ns = c.timeout_ns;
	src.uiov = iov;
	src.nr_bufs = c.iov_cnt;
	ret = ucchan_call_common(conn, &src, &status, &reply_len);
	if (ret && ret != -EFAULT)
		return ret;
	if (put_user(status, &uarg->status) ||
	    put_user(reply_len, &uarg->reply_len))
		return -EFAULT;
	return ret;
}
