/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ucchan private definitions.
 *
 * Objects and references
 *   struct ucchan_service is refcounted (kref). The service file holds the
 *   first reference; every bound worker (through its channel) and every
 *   connection (user or in-kernel) holds one more; a call runs on its
 *   connection's reference.
 *   Closing the service file kills the service (->dead) but the object
 *   lives on until the last reference goes.
 *   struct ucchan_chan (one per bound worker) is refcounted too: the worker
 *   file holds one reference, a caller that took the channel another.
 *
 * Call ids: calls taken on the target CPU * nr_cpu_ids + that CPU,
 * counted under the CPU's uc->lock when the channel is taken: unique per
 * service with no service-wide atomic on the fast path.
 *
 * Lock order (outer first)
 *   ucchan_svc_mutex (global
 *   service list, svc->dead, debugfs) -> uc->lock (waking channels)
 *   mmap_lock of a server mm -> chan->map_mutex (window, worker VMA)
 *   mmap_lock of a server mm -> svc->reg_mutex (area, registered buffers)
 *   uc->lock, chan->lock, svc->lock: leaves, never nested in one another
 *   (wait queue locks nest inside uc->lock when waking).
 *   No ucchan lock is held across a sleep except the mutexes.
 *
 * Channel states (chan->state, under chan->lock)
 *   IDLE      no call; the slot's free bit may be set
 *   PENDING   a caller filled in a request; the worker has not taken it
 *   ACTIVE    the worker took the request (window mappable)
 *   DONE      the worker replied; the caller copies the reply and cleans up
 *   ABANDONED the caller left (signal, timeout, dead service); whoever
 *             ends the call on the worker side (reply or worker release)
 *             cleans up and frees the slot
 */
#ifndef _UCCHAN_I_H
#define _UCCHAN_I_H

#include <linux/types.h>
#include <linux/sizes.h>
#include <linux/kref.h>
#include <linux/refcount.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/cred.h>
#include <linux/poll.h>
#include <linux/ucchan.h>

#define UCCHAN_MAX_WINDOW	((u64)SZ_1G)
#define UCCHAN_DEF_SLOTS	2
#define UCCHAN_DEF_INLINE	4096
#define UCCHAN_DEF_WINDOW	((u64)SZ_64M + 2 * PAGE_SIZE)
/*
 * The default copy area. bench-ucchan (TCG) finds copying 4 KiB in and
 * out cheaper than mapping it and 16 KiB 1.5x dearer; with bare-metal
 * costs (a fault ~1 us plus a TLB shootdown per busy CPU, against ~0.1 us
 * per 4 KiB copied) the break-even is 16-48 KiB. 16 KiB covers 4 and
 * 8 KiB I/O at any offset.
 */
#define UCCHAN_DEF_COPY		SZ_16K
#define UCCHAN_EV_QLEN		64
#define UCCHAN_MAX_REGBUFS	64	/* per connection */

struct ucchan_chan;
struct ucchan_stats;
struct dentry;
struct pid_namespace;

/* Per service, per CPU: the channel slots of that CPU. */
struct ucchan_cpu {
	spinlock_t lock;		/* free, bound, chans[] */
	unsigned long free;		/* slot idle and bound */
	unsigned long bound;		/* slot has a worker */
	u64 seq;			/* calls taken here (call ids) */
	wait_queue_head_t wq;		/* callers waiting for a free slot */
	struct ucchan_chan *chans[UCCHAN_MAX_SLOTS];
} ____cacheline_aligned_in_smp;

struct ucchan_service {
	struct kref ref;
	struct list_head node;		/* ucchan_svc_list, ucchan_svc_mutex */
	u32 id;
	char name[UCCHAN_NAME_MAX];	/* NUL padded */
	bool dead;			/* set once, under ucchan_svc_mutex */
	/*
	 * The creator, fixed at creation (the connect owner in uid/gid can
	 * change): what a kernel client checks before it trusts the server.
	 * A dead service keeps its name (on ucchan_svc_list) until its last
	 * reference goes, so only its creator's uid (or CAP_SYS_ADMIN) can
	 * take the name over while a connection still refers to it.
	 */
	kuid_t creator_uid;
	kgid_t creator_gid;
	u32 creator_flags;		/* UCCHAN_CREATOR_* */

	spinlock_t lock;		/* uid, gid, mode, event queue, conns */
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
	struct user_namespace *user_ns;	/* the creator's: ids in headers */
	struct pid_namespace *pid_ns;

	u32 slots_per_cpu;
	u32 max_inline;
	u32 copy_size;			/* per-worker copy area bytes */
	u64 window_size;

	atomic_t nr_workers;
	wait_queue_head_t bind_wq;	/* callers waiting for any worker */
	struct ucchan_cpu *cpus;	/* [nr_cpu_ids] */
	struct ucchan_stats __percpu *stats;

	/*
	 * Every open connection (user and in-kernel), by ->node, for
	 * UCCHAN_IOC_NOTIFY; notify_wq wakes a closing connection waiting for
	 * its notify callbacks (conn->notify_busy) to return.
	 */
	struct list_head conns;
	wait_queue_head_t notify_wq;

	wait_queue_head_t ev_wq;
	struct ucchan_event ev[UCCHAN_EV_QLEN];
	unsigned int ev_head;
	unsigned int ev_count;
	bool ev_overflow;

	struct dentry *dbg;
	/*
	 * Zaps of this service's mappings, one at a time (the innermost
	 * lock): two overlapping on one mm make the second's TLB flush a
	 * full one, sent to every CPU of the mm (mm_tlb_flush_nested()).
	 */
	struct mutex zap_mutex;
	atomic_long_t kpinned;		/* pages pinned for kernel clients' calls */

	/* registered-buffer area (regbuf_size bytes; none when 0) */
	struct mutex reg_mutex;		/* all below, and conn->regbufs */
	u64 regbuf_size;
	unsigned long reg_pages;
	unsigned long *regmap;		/* area pages in use (or being zapped) */
	struct list_head regbufs;	/* live ucchan_regbuf, by ->node */
	bool reg_dead;			/* service file released */
	struct vm_area_struct *area_vma;
	struct mm_struct *area_mm;
};

/*
 * A registered buffer: pinned for as long as it is registered, and for as
 * long as a call that named it runs (so that a client unregistering or
 * dying mid-call never pulls pages from under a server's handler).
 * @users: one reference from the lists while registered, one per call.
 */
struct ucchan_regbuf {
	struct list_head node;		/* svc->regbufs */
	struct list_head cnode;		/* conn->regbufs */
	refcount_t users;
	struct ucchan_service *svc;
	u32 id;
	unsigned int flags;		/* UCCHAN_BUF_READ/WRITE */
	unsigned long first;		/* first page in the area */
	unsigned long nr_pages;
	struct page **pages;
	struct mm_struct *mm;		/* charged for RLIMIT_MEMLOCK */
};

/* One client buffer of the current call, as laid out in the window. */
enum ucchan_mbuf_kind {
	UCCHAN_MBUF_PINNED,		/* user pages, pin_user_pages */
	UCCHAN_MBUF_REFD,		/* bvec pages, get_page */
	UCCHAN_MBUF_BOUNCED,		/* private pages, copied in/out */
	UCCHAN_MBUF_REG,		/* in a registered buffer: no pages */
	UCCHAN_MBUF_SCRATCH,		/* revoked: every page is chan->scratch */
	UCCHAN_MBUF_COPY,		/* copied through the copy area */
};

struct ucchan_mbuf {
	enum ucchan_mbuf_kind kind;
	unsigned int flags;		/* UCCHAN_BUF_READ/WRITE */
	unsigned long win_first;	/* first window page */
	unsigned int nr_pages;
	unsigned int first_off;		/* offset of byte 0 in page 0 */
	size_t len;
	struct page **pages;
	struct page *bounce[2];		/* stand-ins of partial first/last */
	struct iov_iter *iter;		/* BOUNCED, COPY: the caller's memory */
	struct ucchan_regbuf *reg;	/* REG: the buffer, referenced */
	/*
	 * COPY: where in the copy area (bytes); the user call's memory as an
	 * iterator (->iter points to it); the caller's bytes (or, after the
	 * reply, the server's) when a copy with page faults disabled missed.
	 */
	size_t copy_off;
	struct iov_iter uiter;
	void *staged;
	size_t out_len;			/* bytes staged to go back, or 0 */
	bool copy_in;			/* the server gets the caller's bytes */
};

/* user requests up to this size are staged inside struct ucchan_callst */
#define UCCHAN_SMALL_REQ	256

/*
 * One call, owned by the caller: the request is staged and every buffer
 * pinned (or bounced) here before a channel is taken, so that nothing
 * that can fault (and so re-enter a file system that calls ucchan on the
 * same CPU) runs while a slot is held. The channel points to it (->cs)
 * from the time it is taken until the call ends; an abandoned call
 * (caller killed, timed out, service dying) is revoked by its caller
 * (ucchan_call_revoke()) and then owned by the channel, which frees it
 * when the worker is done with it.
 */
struct ucchan_callst {
	u64 call_id;
	u64 client_id;
	u64 t_issue;
	u32 client_cpu;
	u32 nr_bufs;
	u64 map_bytes;
	u64 bounce_bytes;
	u64 copy_bytes;
	s32 status;
	u32 reply_len;
	int error;			/* set by the worker side: -EPROTO */
	bool user;			/* a user call (UCCHAN_IOC_CALL) */
	unsigned long win_used;		/* window pages of the call */
	unsigned long copy_used;	/* copy area pages of the call */
	unsigned long charged;		/* pages charged to ->user_charged */
	struct user_struct *user_charged; /* RLIMIT_MEMLOCK account */
	struct ucchan_service *svc;
	const void *req;		/* request bytes (staged or the kernel's) */
	u32 req_len;
	void *req_big;			/* kvmalloc'ed staging, or NULL */
	struct ucchan_buf_desc desc[UCCHAN_MAX_BUFS];
	struct ucchan_mbuf bufs[UCCHAN_MAX_BUFS];
	u8 req_small[UCCHAN_SMALL_REQ];
};

enum ucchan_chan_state {
	UCCHAN_CH_IDLE,
	UCCHAN_CH_PENDING,
	UCCHAN_CH_ACTIVE,
	UCCHAN_CH_DONE,
	UCCHAN_CH_ABANDONED,
};

struct ucchan_chan {
	struct kref ref;
	struct ucchan_service *svc;
	struct ucchan_cpu *uc;
	u32 cpu;
	u32 slot;

	/* [hdr page][request area][reply area][copy area], vmalloc'ed, zeroed */
	void *area;
	void *req;
	void *reply;
	void *copy;
	unsigned long area_pages;
	unsigned long win_pages;
	u64 mmap_size;

	spinlock_t lock;		/* state, worker_gone, revoking */
	enum ucchan_chan_state state;
	bool worker_gone;
	/*
	 * An abandoning caller is revoking the call (ABANDONED, but the call
	 * still holds the caller's pages): the worker side leaves the clean-up
	 * to that caller.
	 */
	bool revoking;
	unsigned int hdr_bufs;		/* hdr->bufs[] entries written */
	unsigned long wait_busy;	/* bit 0: a WAIT is running */
	/*
	 * The worker spins in WAIT for a request (set and cleared by it; a
	 * caller that saw it spins for the reply for up to poll_ns too).
	 */
	bool polling;
	u64 poll_ns;
	wait_queue_head_t worker_wq;
	wait_queue_head_t client_wq;
	u64 call_id;			/* of the call taking the channel */
	struct ucchan_callst *cs;	/* the call, from take to end */

	struct mutex map_mutex;		/* vma, mm, map_ok vs the fault path */
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	bool map_ok;			/* window pages of cs->bufs mappable */
	bool faulted;			/* some window page was mapped */
	struct page *scratch;		/* stands in for revoked pages */
};

struct ucchan_conn {
	struct ucchan_service *svc;
	u64 client_id;
	bool kernel;
	struct list_head node;		/* svc->conns, under svc->lock */
	const struct ucchan_conn_ops *ops;	/* in-kernel clients, or NULL */
	void *priv;			/* for ops */
	atomic_t notify_busy;		/* notify callbacks running */
	struct list_head regbufs;	/* under svc->reg_mutex */
	unsigned long reg_ids;		/* buf_ids in use */
};

enum ucchan_kind {
	UCCHAN_F_NONE,
	UCCHAN_F_SERVICE,
	UCCHAN_F_WORKER,
	UCCHAN_F_CONN,
};

/* private_data of every /dev/ucchan file */
struct ucchan_file {
	struct mutex lock;		/* binding */
	enum ucchan_kind kind;		/* written once, under lock */
	union {
		struct ucchan_service *svc;
		struct ucchan_chan *chan;
		struct ucchan_conn *conn;
	};
};

/* What a caller hands to ucchan_call_common() */
struct ucchan_call_src {
	bool user;			/* user call: ureq, ureply, uiov */
	const void __user *ureq;
	const void *kreq;
	u32 req_len;
	void __user *ureply;
	void *kreply;
	u32 reply_cap;
	u64 timeout_ns;
	bool nointr;			/* kernel calls: UCCHAN_KCALL_NOINTR */
	const struct ucchan_iov *uiov;	/* user calls: validated copies */
	struct ucchan_kbuf *kbufs;	/* kernel calls */
	unsigned int nr_bufs;
	const struct ucchan_kcall *kcall; /* kernel calls: ->written() */
};

extern const struct file_operations ucchan_fops;
extern struct mutex ucchan_svc_mutex;
extern struct list_head ucchan_svc_list;

/* ucchan_service.c */
int ucchan_service_create(struct ucchan_file *uf,
			  struct ucchan_service_create __user *uarg);
int ucchan_service_set_perm(struct ucchan_service *svc,
			    struct ucchan_service_perm __user *uarg);
void ucchan_service_kill(struct ucchan_service *svc);
void ucchan_service_put(struct ucchan_service *svc);
struct ucchan_conn *ucchan_conn_open(const char *name, bool kernel,
				     const struct ucchan_conn_ops *ops,
				     void *priv);
int ucchan_notify(struct ucchan_service *svc,
		  struct ucchan_notify __user *uarg);
void ucchan_conn_close(struct ucchan_conn *conn);
int ucchan_check_name(const char *name);
ssize_t ucchan_event_read(struct ucchan_service *svc, char __user *buf,
			  size_t count, bool nonblock);
__poll_t ucchan_event_poll(struct ucchan_service *svc, struct file *file,
			   poll_table *pt);

/* ucchan_chan.c */
int ucchan_worker_bind(struct ucchan_file *uf,
		       struct ucchan_worker_bind __user *uarg);
int ucchan_worker_wait(struct ucchan_chan *chan,
		       struct ucchan_wait __user *uarg);
void ucchan_worker_release(struct ucchan_chan *chan);
void ucchan_chan_put(struct ucchan_chan *chan);
int ucchan_call_common(struct ucchan_conn *conn,
		       const struct ucchan_call_src *src,
		       s32 *status, u32 *reply_len);
int ucchan_user_call(struct ucchan_conn *conn, struct ucchan_call __user *uarg);
void ucchan_service_wake_all(struct ucchan_service *svc);

/* ucchan_map.c */
int ucchan_worker_mmap(struct ucchan_chan *chan, struct vm_area_struct *vma);
int ucchan_bufs_prepare(struct ucchan_callst *cs, struct ucchan_conn *conn,
			const struct ucchan_call_src *src);
int ucchan_bufs_finish(struct ucchan_callst *cs, const struct ucchan_call_src *src,
		       bool copy_back);
void ucchan_call_revoke(struct ucchan_chan *chan, struct ucchan_callst *cs);
void ucchan_callst_free(struct ucchan_callst *cs);
void *ucchan_alloc_held(size_t len);
int ucchan_copy_in(struct ucchan_chan *chan, struct ucchan_callst *cs);
int ucchan_copy_stage(struct ucchan_callst *cs);
int ucchan_copy_out(struct ucchan_chan *chan, struct ucchan_callst *cs,
		    const struct ucchan_call_src *src);
extern struct kmem_cache *ucchan_callst_cache;
void ucchan_zap_tracked(struct ucchan_service *svc, struct mutex *lock,
			struct vm_area_struct **vmap, struct mm_struct **mmp,
			unsigned long off, unsigned long len);
void ucchan_vm_flags_pfnmap(struct vm_area_struct *vma);

/* ucchan_regbuf.c */
int ucchan_area_init(struct ucchan_service *svc, u64 size);
void ucchan_area_free(struct ucchan_service *svc);
int ucchan_area_mmap(struct ucchan_service *svc, struct vm_area_struct *vma);
void ucchan_area_kill(struct ucchan_service *svc);
int ucchan_buf_register(struct ucchan_conn *conn,
			struct ucchan_buf_reg __user *uarg);
int ucchan_buf_unregister(struct ucchan_conn *conn,
			  struct ucchan_buf_unreg __user *uarg);
void ucchan_conn_unregister_all(struct ucchan_conn *conn);
int ucchan_regbuf_resolve(struct ucchan_conn *conn, const struct ucchan_iov *iov,
			  struct ucchan_buf_desc *desc,
			  struct ucchan_regbuf **rbp);
void ucchan_regbuf_put(struct ucchan_regbuf *rb);
void ucchan_window_close(struct ucchan_chan *chan);
void ucchan_window_open(struct ucchan_chan *chan);

/* ucchan_stats.c */
struct ucchan_stats {
	u64 calls;
	u64 same_cpu;
	u64 fallbacks;
	u64 busy_waits;
	u64 bytes_mapped;
	u64 bytes_bounced;
	u64 aborts;
	u64 bytes_copied;
	u64 migrated;			/* the caller woke on another CPU */
	u64 poll_hits;			/* requests a spinning worker took */
	u64 poll_ns;			/* time workers and callers spun */
};

int ucchan_debugfs_init(void);
void ucchan_debugfs_exit(void);
void ucchan_debugfs_add(struct ucchan_service *svc);
void ucchan_debugfs_remove(struct ucchan_service *svc);

#endif /* _UCCHAN_I_H */
