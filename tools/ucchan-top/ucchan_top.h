/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ucchan-top: what the BPF program and the loader share.
 *
 * The tracepoint records below are written by hand from the ucchan
 * tracepoints (kernel/ucchan/ucchan_trace.h, fields in exactly that order)
 * so that the BPF object builds without vmlinux.h or module BTF. The loader
 * checks every field offset and size against
 * /sys/kernel/tracing/events/ucchan/<event>/format before it attaches
 * (tp_format.c) and refuses to run on a mismatch.
 */
#ifndef UCCHAN_TOP_H
#define UCCHAN_TOP_H

#define __SANE_USERSPACE_TYPES__	/* __u64 is unsigned long long */
#include <linux/types.h>

#define UT_NAME_MAX	64	/* UCCHAN_NAME_MAX */
#define UT_HIST_SLOTS	64	/* log2(latency_ns) buckets; a power of 2 */

/* The common header of every trace record (common_type .. common_pid). */
struct ut_tp_common {
	__u16 common_type;
	__u8 common_flags;
	__u8 common_preempt_count;
	__s32 common_pid;
};

struct ut_tp_issue {
	struct ut_tp_common common;
	__u32 service_id;
	char service[UT_NAME_MAX];
	__u64 call_id;
	__u64 client_id;
	__u32 cpu;		/* the client's */
	__u32 target_cpu;	/* the worker's */
	__u32 req_len;
	__u32 nr_bufs;
	__u64 map_bytes;
};

struct ut_tp_reply {
	struct ut_tp_common common;
	__u32 service_id;
	char service[UT_NAME_MAX];
	__u64 call_id;
	__u32 cpu;		/* the worker's */
	__u32 client_cpu;
	__s32 status;
	__u32 reply_len;
	__u64 latency_ns;	/* issue -> reply */
};

struct ut_tp_fallback {
	struct ut_tp_common common;
	__u32 service_id;
	char service[UT_NAME_MAX];
	__u64 call_id;
	__u32 from_cpu;
	__u32 to_cpu;
};

struct ut_tp_busy {
	struct ut_tp_common common;
	__u32 service_id;
	char service[UT_NAME_MAX];
	__u32 cpu;
};

struct ut_tp_bounce {
	struct ut_tp_common common;
	__u32 service_id;
	char service[UT_NAME_MAX];
	__u64 call_id;
	__u32 bytes;
};

struct ut_tp_abort {
	struct ut_tp_common common;
	__u32 service_id;
	char service[UT_NAME_MAX];
	__u64 call_id;
	__s32 error;
};

/*
 * Statistics are kept per (service id, CPU). The CPU is the client's: the
 * CPU a call was issued on (issue.cpu, reply.client_cpu, fallback.from_cpu;
 * bounce and abort run in the client on that CPU). Busy waits are counted
 * on the CPU whose channels were all busy (busy.cpu).
 */
struct ut_key {
	__u32 service_id;
	__u32 cpu;
};

struct ut_stats {
	__u64 calls;		/* issued */
	__u64 replies;
	__u64 errors;		/* replies with status < 0 */
	__u64 aborts;
	__u64 same_cpu;		/* calls served by a worker on the client's CPU */
	__u64 fallbacks;
	__u64 busy_waits;
	__u64 bounces;		/* calls with bounced bytes */
	__u64 bounced_bytes;
	__u64 map_bytes;
	__u64 req_bytes;
	__u64 reply_bytes;
	__u64 latency_sum_ns;
	__u64 latency_max_ns;
	__u64 hist[UT_HIST_SLOTS];	/* slot i: latency in [2^i, 2^(i+1)) ns */
};

/* What the BPF side learnt about a service id (the first event decides). */
struct ut_name {
	char name[UT_NAME_MAX];
	__u32 wanted;		/* passes the service filter */
	__u32 pad;
};

#define UT_MAX_ENTRIES	4096	/* (service, CPU) pairs */
#define UT_MAX_SERVICES	1024

#endif /* UCCHAN_TOP_H */
