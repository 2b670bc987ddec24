/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ucchan - synchronous, single-CPU, zero-copy request/response channel.
 *
 * User-space ABI of /dev/ucchan. See docs/ucchan.md for the model.
 *
 * Changelog
 *   1: initial ABI.
 *   1 + UCCHAN_FEAT_CREATOR: ucchan_connect reports who created the
 *       service (creator_uid, creator_flags, formerly reserved[0]);
 *       mapped buffers of user calls are charged to RLIMIT_MEMLOCK.
 *   1 + UCCHAN_FEAT_NOTIFY: UCCHAN_IOC_NOTIFY, a server's message to one
 *       of its in-kernel clients.
 *
 * Rules of this ABI: every struct is made of fixed-size fields with
 * explicit padding; every "reserved" or "pad" field and every unknown flag
 * bit must be zero on input, or the ioctl fails with -EINVAL. A struct is
 * never changed in place: growth happens in reserved fields, announced by a
 * feature bit. Unknown ioctl commands fail with -ENOTTY.
 *
 * Objects. Every open() of /dev/ucchan gives an unbound file that becomes
 * exactly one of:
 *   - a service (UCCHAN_IOC_SERVICE_CREATE): owned by a server; the service
 *     lives as long as this file. Its mmap() shows the registered-buffer
 *     area; read() returns struct ucchan_event records.
 *   - a worker (UCCHAN_IOC_WORKER_BIND): one server thread pinned to one CPU,
 *     serving one channel slot of that CPU. Its mmap() (offset 0, size
 *     ucchan_worker_bind.mmap_size, MAP_SHARED) shows the request header,
 *     the inline request and reply areas, the copy area where small
 *     client buffers are copied, and the window where larger ones are
 *     mapped during a call.
 *   - a client connection (UCCHAN_IOC_CONNECT), which calls the service
 *     with UCCHAN_IOC_CALL.
 */
#ifndef _UAPI_LINUX_UCCHAN_H
#define _UAPI_LINUX_UCCHAN_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define UCCHAN_ABI_VERSION	1

/* Service names: 1..63 bytes of [A-Za-z0-9._-], not starting with '.'. */
#define UCCHAN_NAME_MAX		64	/* including the terminating NUL */
#define UCCHAN_MAX_BUFS		16	/* client buffers per call */
#define UCCHAN_MAX_SLOTS	16	/* channel slots per CPU */
#define UCCHAN_MAX_INLINE	65536	/* upper bound of max_inline */
#define UCCHAN_MAX_COPY		(1U << 20)	/* upper bound of copy_size */
#define UCCHAN_MAX_POLL_NS	10000000ULL	/* upper bound of poll_ns: 10 ms */

/* Feature bits of ucchan_version.features */
#define UCCHAN_FEAT_MAPPED_BUFS	(1ULL << 0)	/* per-call mapped buffers */
#define UCCHAN_FEAT_REG_BUFS	(1ULL << 1)	/* registered buffers */
#define UCCHAN_FEAT_TIMEOUT	(1ULL << 2)	/* ucchan_call.timeout_ns */
#define UCCHAN_FEAT_EVENTS	(1ULL << 3)	/* read() on a service file */
#define UCCHAN_FEAT_CREATOR	(1ULL << 4)	/* ucchan_connect.creator_* */
#define UCCHAN_FEAT_NOTIFY	(1ULL << 5)	/* UCCHAN_IOC_NOTIFY */
#define UCCHAN_FEAT_COPY_BUFS	(1ULL << 6)	/* per-worker copy area */
#define UCCHAN_FEAT_POLL	(1ULL << 7)	/* ucchan_wait.poll_ns */

/* Largest message of UCCHAN_IOC_NOTIFY, in bytes */
#define UCCHAN_NOTIFY_MAX	4096

/* ucchan_connect.creator_flags */
/* the creator had CAP_SYS_ADMIN in the initial user namespace */
#define UCCHAN_CREATOR_ADMIN	(1U << 0)

/* Buffer flags (ucchan_iov.flags, ucchan_buf_desc.flags, ucchan_buf_reg) */
#define UCCHAN_BUF_READ		(1U << 0)	/* the server may read it */
#define UCCHAN_BUF_WRITE	(1U << 1)	/* the server may write it */
#define UCCHAN_BUF_REGISTERED	(1U << 2)	/* lives in a registered buffer */

/* UCCHAN_IOC_VERSION: what this kernel offers. Input must be all zero. */
struct ucchan_version {
	__u32 abi_version;	/* out: UCCHAN_ABI_VERSION */
	__u32 max_bufs;		/* out: UCCHAN_MAX_BUFS */
	__u64 features;		/* out: UCCHAN_FEAT_* */
	__u32 max_slots;	/* out: UCCHAN_MAX_SLOTS */
	__u32 max_inline;	/* out: UCCHAN_MAX_INLINE */
	__u32 nr_cpu_ids;	/* out: highest possible CPU number + 1 */
	__u32 max_copy;		/* out: UCCHAN_MAX_COPY (0 before COPY_BUFS) */
	__u64 max_window;	/* out: upper bound of window_size */
	__u64 reserved[3];
};

/* ucchan_service_create.flags */
/* no copy area: every client buffer of a call is mapped */
#define UCCHAN_SVC_NOCOPY	(1U << 0)

/*
 * UCCHAN_IOC_SERVICE_CREATE: turn this file into a named service.
 * The owner is the caller's fsuid/fsgid. Zero-valued sizes take defaults
 * (written back: the sizes the service got).
 * Errors: -EEXIST (name in use), -EINVAL (bad name, flags, sizes),
 * -EBUSY (file already bound).
 *
 * The copy area (UCCHAN_FEAT_COPY_BUFS): each worker has copy_size bytes
 * of its own, mapped for as long as it is bound. A call's client buffers
 * that fit in it, in order (each taking the pages it would take in the
 * window: its offset in the first page is the caller's), are copied in by
 * the caller before the worker wakes and out (the server-writable ones)
 * after its reply, instead of being pinned and mapped: no fault, no page
 * table change and no TLB flush in the server for a small buffer.
 * The server sees them as any other buffer (ucchan_buf_desc offsets
 * inside the worker mapping); it may write a READ-only one, which changes
 * only its own copy. Larger buffers, and those that no longer fit, are
 * mapped.
 */
struct ucchan_service_create {
	char name[UCCHAN_NAME_MAX];
	__u32 mode;		/* connect permission: 0777 bits like a file */
	__u32 flags;		/* UCCHAN_SVC_* */
	__u32 slots_per_cpu;	/* 1..UCCHAN_MAX_SLOTS; 0 = 2 */
	/* bytes of request and of reply; 0 = 4096; rounded up to a page;
	 * <= UCCHAN_MAX_INLINE
	 */
	__u32 max_inline;
	/* per-worker window bytes; 0 = 64 MiB + 2 pages; page multiple;
	 * <= ucchan_version.max_window
	 */
	__u64 window_size;
	/* registered-buffer area bytes, 0 = none; page multiple;
	 * <= ucchan_version.max_window
	 */
	__u64 regbuf_size;
	__u32 service_id;	/* out: id shown in tracepoints and debugfs */
	__u32 pad;
	/* per-worker copy area bytes; 0 = 16 KiB (none with
	 * UCCHAN_SVC_NOCOPY: then it must be 0); page multiple;
	 * <= UCCHAN_MAX_COPY
	 */
	__u32 copy_size;
	__u32 pad2;
	__u64 reserved[2];
};

/*
 * UCCHAN_IOC_SERVICE_SET_PERM (on a service file): change owner, group and
 * mode. (__u32)-1 leaves uid or gid unchanged. Changing uid or gid needs
 * CAP_CHOWN; changing mode needs to be the owner or CAP_FOWNER.
 */
struct ucchan_service_perm {
	__u32 uid;
	__u32 gid;
	__u32 mode;
	__u32 flags;		/* must be 0 */
	__u64 reserved[2];
};

/*
 * UCCHAN_IOC_WORKER_BIND: turn this file into the worker of channel
 * (cpu, slot) of the service behind service_fd (a service file). The
 * calling thread must be pinned to exactly that CPU (-EINVAL otherwise,
 * -ENODEV if the CPU is offline); a taken slot is -EBUSY.
 */
struct ucchan_worker_bind {
	__s32 service_fd;
	__u32 cpu;
	__u32 slot;
	__u32 flags;		/* must be 0 */
	__u64 mmap_size;	/* out: mmap this many bytes at offset 0 */
	__u64 req_offset;	/* out: inline request area (read-only) */
	__u64 reply_offset;	/* out: inline reply area (read-write) */
	__u64 window_offset;	/* out: window for mapped client buffers */
	__u64 window_size;	/* out */
	__u32 max_inline;	/* out: size of each inline area */
	__u32 copy_size;	/* out: copy area bytes, 0 = none */
	__u64 copy_offset;	/* out: the copy area (read-write) */
	__u64 reserved[2];
};

/*
 * A client buffer as the server sees it, in struct ucchan_req_hdr.
 * Without UCCHAN_BUF_REGISTERED, offset is from the start of the worker
 * mapping (inside the window, or inside the copy area for a copied
 * buffer); with it, offset is from the start of the service file's
 * mapping (the registered-buffer area).
 */
struct ucchan_buf_desc {
	__u64 offset;
	__u64 len;
	__u32 flags;		/* UCCHAN_BUF_* */
	__u32 pad;
};

/* ucchan_req_hdr.flags */
#define UCCHAN_REQ_KERNEL	(1U << 0)	/* caller is an in-kernel client */
#define UCCHAN_REQ_FALLBACK	(1U << 1)	/* caller's CPU had no worker */

/*
 * At offset 0 of the worker mapping; written by the kernel before the
 * worker's UCCHAN_IOC_WORKER_WAIT returns; read-only for the server.
 * The kernel never reads it back.
 */
struct ucchan_req_hdr {
	__u64 call_id;		/* unique per service */
	/* the calling connection; stable until it closes (then a
	 * UCCHAN_EV_DISCONNECT)
	 */
	__u64 client_id;
	__u32 req_len;		/* inline request bytes at req_offset */
	__u32 nr_bufs;		/* valid entries of bufs[] */
	__u32 flags;		/* UCCHAN_REQ_* */
	__u32 cpu;		/* CPU the client called from */
	/* caller's tgid in the server's pid ns; 0 if none (a kernel thread;
	 * an in-kernel client running in a process reports that process)
	 */
	__u32 pid;
	__u32 uid;		/* caller's fsuid in the server's user ns */
	__u32 gid;		/* caller's fsgid in the server's user ns */
	__u32 pad;
	__u64 reserved[4];
	struct ucchan_buf_desc bufs[UCCHAN_MAX_BUFS];
};

/* ucchan_wait.flags */
/* deliver the reply of the current request first */
#define UCCHAN_WAIT_REPLY	(1U << 0)

/*
 * UCCHAN_IOC_WORKER_WAIT: the worker loop's only syscall. With
 * UCCHAN_WAIT_REPLY it first completes the current call with status and
 * reply_len bytes of the reply area; then it sleeps until the next request
 * (header at offset 0) or an error: -ESHUTDOWN when the service is gone,
 * -EINTR on a signal (the reply, if any, was delivered already).
 * A reply without a current call is -EINVAL; reply_len > max_inline is
 * -EINVAL and fails the call with -EPROTO.
 *
 * Polling (UCCHAN_FEAT_POLL): with poll_ns, the worker first spins in the
 * kernel for up to poll_ns for the next request, and sleeps only then (or
 * when its CPU is wanted by another task, or on a signal). While it spins
 * a caller on another CPU hands it the request without waking it, and
 * itself spins for up to the same time for the reply instead of sleeping:
 * a cross-CPU call without a context switch or an IPI, at the price of
 * the CPU time spun (counted in the service's stats). Off (0) by default.
 */
struct ucchan_wait {
	__s32 status;		/* in: the server's answer (any value) */
	__u32 reply_len;	/* in */
	__u32 flags;		/* in: UCCHAN_WAIT_* */
	__u32 pad;
	__u64 poll_ns;		/* in: <= UCCHAN_MAX_POLL_NS; 0 = sleep at once */
	__u64 reserved[1];
};

/*
 * UCCHAN_IOC_CONNECT: turn this file into a connection to a service.
 * Needs write permission (the w bits of the service's mode, checked
 * like a file's for the caller's fsuid/fsgid/groups), or CAP_SYS_ADMIN.
 * The creator fields say who serves the name, so that a client can
 * refuse a server it does not trust (anyone may create a service).
 * Errors: -ENOENT (no such service), -EACCES, -EBUSY (already bound).
 */
struct ucchan_connect {
	char name[UCCHAN_NAME_MAX];
	__u32 flags;		/* must be 0 */
	__u32 max_inline;	/* out: service's inline size */
	__u64 client_id;	/* out */
	__u64 window_size;	/* out: max mapped bytes per call */
	__u32 service_id;	/* out */
	__u32 pad;
	/* out: the creator's fsuid in the caller's user namespace */
	__u32 creator_uid;
	__u32 creator_flags;	/* out: UCCHAN_CREATOR_* */
	__u64 reserved[1];
};

/* A client buffer handed to the server for one call. */
struct ucchan_iov {
	/* user address, or with UCCHAN_BUF_REGISTERED the byte offset
	 * inside buffer buf_id
	 */
	__u64 addr;
	__u64 len;
	/* UCCHAN_BUF_READ and/or _WRITE (at least one), optionally
	 * _REGISTERED
	 */
	__u32 flags;
	__u32 buf_id;		/* with UCCHAN_BUF_REGISTERED, else 0 */
};

/*
 * UCCHAN_IOC_CALL: one synchronous call. Returns 0 once the server
 * replied, with status and reply_len filled in; reply_len is the server's
 * length and may exceed reply_cap, in which case only reply_cap bytes were
 * copied. Errors: -ESHUTDOWN (service gone, before or during the call),
 * -ECONNRESET (the worker serving the call closed its file), -EINTR
 * (fatal signal; the call is abandoned), -ETIMEDOUT, -EPROTO (the server
 * sent an invalid reply), -E2BIG (buffers exceed the window), -EFAULT,
 * -EINVAL, -ENOMEM (the mapped buffers would take the caller's user past
 * RLIMIT_MEMLOCK: they are charged to it for the call's duration, as the
 * server decides how long that is; CAP_IPC_LOCK is not limited); with
 * UCCHAN_BUF_REGISTERED also -ENOENT (no such buf_id on this connection),
 * -EACCES (more rights than registered), -EOPNOTSUPP (the service has no
 * registered-buffer area).
 */
struct ucchan_call {
	__u64 req_ptr;		/* inline request */
	__u64 reply_ptr;	/* inline reply destination */
	__u64 iov_ptr;		/* array of struct ucchan_iov */
	__u32 req_len;		/* <= max_inline */
	__u32 reply_cap;
	__u32 iov_cnt;		/* <= UCCHAN_MAX_BUFS */
	__u32 flags;		/* must be 0 */
	__u64 timeout_ns;	/* 0 = wait for ever (still killable) */
	__s32 status;		/* out: the server's status */
	__u32 reply_len;	/* out */
	__u64 reserved[2];
};

/*
 * UCCHAN_IOC_BUF_REGISTER (on a connection): pin a long-lived buffer and
 * make it visible in the service's registered-buffer area for as long as
 * it stays registered. addr and len must be page-aligned.
 * Errors: -EOPNOTSUPP (service has no area), -ENOSPC (area full),
 * -EMFILE (too many buffers on this connection), -ENOMEM (beyond the
 * caller's RLIMIT_MEMLOCK, which registered buffers are charged to),
 * -EOPNOTSUPP (not anonymous, shmem or hugetlbfs memory: file pages
 * would be written back behind the pin).
 */
struct ucchan_buf_reg {
	__u64 addr;
	__u64 len;
	__u32 flags;		/* UCCHAN_BUF_READ and/or UCCHAN_BUF_WRITE */
	__u32 buf_id;		/* out */
	__u64 area_offset;	/* out: where the server sees it */
	__u64 reserved[2];
};

/* UCCHAN_IOC_BUF_UNREGISTER */
struct ucchan_buf_unreg {
	__u32 buf_id;
	__u32 flags;		/* must be 0 */
	__u64 reserved;
};

/* read() on a service file returns whole records of this struct. */
#define UCCHAN_EV_DISCONNECT	1	/* client_id closed its connection */
#define UCCHAN_EV_OVERFLOW	2	/* events were lost */

struct ucchan_event {
	__u32 type;
	__u32 pad;
	__u64 client_id;
	__u64 reserved[2];
};

/*
 * UCCHAN_IOC_NOTIFY (on a service file): hand msg_len bytes at msg_ptr
 * (1..UCCHAN_NOTIFY_MAX; copied) to the in-kernel client client_id, a
 * connection of this service (the client_id of its requests). The
 * client's notify callback runs in the calling thread before the ioctl
 * returns; its result (0 or -errno, the client's own meaning) is the
 * ioctl's. ucchan's own errors: -EINVAL (flags, pad, reserved nonzero;
 * msg_len 0; not a service file), -EMSGSIZE (msg_len too large),
 * -EFAULT, -ENOMEM, -ENOTCONN (no connection client_id on this
 * service), -EOPNOTSUPP (a user-space connection, or an in-kernel one
 * that takes no notifications). Nothing is queued by ucchan.
 */
struct ucchan_notify {
	__u64 client_id;
	__u64 msg_ptr;		/* user address of the message */
	__u32 msg_len;		/* 1..UCCHAN_NOTIFY_MAX */
	__u32 flags;		/* must be 0 */
	__u64 reserved[2];
};

#define UCCHAN_IOC_MAGIC	0xCA

#define UCCHAN_IOC_VERSION	  _IOWR(UCCHAN_IOC_MAGIC, 0x00, struct ucchan_version)
#define UCCHAN_IOC_SERVICE_CREATE _IOWR(UCCHAN_IOC_MAGIC, 0x01, struct ucchan_service_create)
#define UCCHAN_IOC_SERVICE_SET_PERM _IOW(UCCHAN_IOC_MAGIC, 0x02, struct ucchan_service_perm)
#define UCCHAN_IOC_WORKER_BIND	  _IOWR(UCCHAN_IOC_MAGIC, 0x03, struct ucchan_worker_bind)
#define UCCHAN_IOC_WORKER_WAIT	  _IOW(UCCHAN_IOC_MAGIC, 0x04, struct ucchan_wait)
#define UCCHAN_IOC_CONNECT	  _IOWR(UCCHAN_IOC_MAGIC, 0x05, struct ucchan_connect)
#define UCCHAN_IOC_CALL		  _IOWR(UCCHAN_IOC_MAGIC, 0x06, struct ucchan_call)
#define UCCHAN_IOC_BUF_REGISTER	  _IOWR(UCCHAN_IOC_MAGIC, 0x07, struct ucchan_buf_reg)
#define UCCHAN_IOC_BUF_UNREGISTER _IOW(UCCHAN_IOC_MAGIC, 0x08, struct ucchan_buf_unreg)
#define UCCHAN_IOC_NOTIFY	  _IOW(UCCHAN_IOC_MAGIC, 0x09, struct ucchan_notify)

#endif /* _UAPI_LINUX_UCCHAN_H */
