/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The tiny protocol of the ucchan ABI test's echo server, shared by the
 * user-space test (ucchan-abi.c) and the in-kernel client test module
 * (kapi/ucchan_kapi_test.c).
 */
#ifndef UCCHAN_ABI_PROTO_H
#define UCCHAN_ABI_PROTO_H

#include <linux/types.h>

enum {
	OP_ECHO = 1,	/* reply data = request data, status 42 */
	OP_SUM,		/* reply sum = FNV-1a of buffer 0 */
	OP_FILL,	/* buffer 0 byte i = i * 7 + 3 */
	OP_WRITE_RO,	/* try to write buffer 0, report the SIGBUS */
	OP_HOLD,	/* sleep hold_ms before replying */
	OP_BADREPLY,	/* reply_len > max_inline */
	OP_QUIT,	/* the worker closes its file without replying */
	OP_HOLD_FILL,	/* sleep hold_ms, read probe[0], then OP_FILL */
	OP_FILL_PREFIX,	/* OP_FILL of the first hold_ms bytes only */
	/*
	 * UCCHAN_IOC_NOTIFY to the caller's connection, from the worker in
	 * the middle of the call: hold_ms bytes of i * 7 + 3 when nonzero,
	 * else data up to its NUL (included); status = the ioctl's result
	 */
	OP_NOTIFY,
	/* read one byte of every page of buffer 0: sum = the worker's page
	 * faults meanwhile (getrusage(RUSAGE_THREAD))
	 */
	OP_FAULTS,
};

#define NPROBE 6

struct abi_req {
	__u32 op;
	__u32 nprobe;
	__u32 hold_ms;
	__u32 pad;
	__s64 probe[NPROBE];	/* offsets relative to bufs[0].offset */
	char data[64];
};

struct abi_rep {
	__u32 hdr_flags;
	__u32 hdr_cpu;
	__u32 nr_bufs;
	__u32 uid;
	__u64 sum;
	__u64 client_id;
	__s32 probe[NPROBE];	/* byte value, or -1 for SIGBUS */
	__s32 write_fault;
	__u32 len0;
	__u64 off[2];		/* hdr bufs[0].offset, bufs[1].offset */
	char data[64];
};

static inline __u64 abi_fnv(const unsigned char *p, unsigned long n, __u64 h)
{
	while (n--)
		h = (h ^ *p++) * 1099511628211ULL;
	return h;
}

#define ABI_FNV_INIT 1469598103934665603ULL

#endif /* UCCHAN_ABI_PROTO_H */
