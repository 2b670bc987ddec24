// SPDX-License-Identifier: BSD-2-Clause
/*
 * ucchan-top BPF side: classic tracepoint programs on the ucchan events,
 * aggregating into a per-CPU hash keyed by (service id, client CPU).
 * Per-CPU map values: no atomics, exact counts; user space sums them.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "ucchan_top.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the loader before load (-s NAME). */
const volatile char filter_name[UT_NAME_MAX] = {};
const volatile __u32 filter_on = 0;

/* Updates that failed because the map was full. */
__u64 dropped = 0;

/* The initial value of a new map entry (the stack is too small for it). */
struct ut_stats zero_stats = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, UT_MAX_ENTRIES);
	__type(key, struct ut_key);
	__type(value, struct ut_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UT_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct ut_name);
} names SEC(".maps");

/*
 * Whether events of service @id are counted, learning its name on first
 * sight. The verifier refuses loads through a ctx pointer plus an offset,
 * so the name is copied out with bpf_probe_read_kernel() (once per service).
 */
static __always_inline int ut_wanted(__u32 id, const char *service)
{
	struct ut_name n = {};
	struct ut_name *known;
	int i;

	known = bpf_map_lookup_elem(&names, &id);
	if (known)
		return known->wanted;
	if (bpf_probe_read_kernel(n.name, sizeof(n.name), service))
		return 0;
	n.name[UT_NAME_MAX - 1] = 0;
	n.wanted = 1;
	if (filter_on) {
#pragma unroll
		for (i = 0; i < UT_NAME_MAX; i++) {
			if (n.name[i] != filter_name[i]) {
				n.wanted = 0;
				break;
			}
			if (!n.name[i])
				break;
		}
	}
	bpf_map_update_elem(&names, &id, &n, BPF_NOEXIST);
	return n.wanted;
}

static __always_inline struct ut_stats *ut_get(__u32 id, __u32 cpu)
{
	struct ut_key k = { .service_id = id, .cpu = cpu };
	struct ut_stats *s;

	s = bpf_map_lookup_elem(&stats, &k);
	if (s)
		return s;
	bpf_map_update_elem(&stats, &k, &zero_stats, BPF_NOEXIST);
	s = bpf_map_lookup_elem(&stats, &k);
	if (!s)
		__sync_fetch_and_add(&dropped, 1);
	return s;
}

static __always_inline __u32 ut_log2(__u64 v)
{
	__u32 r = 0, shift;

	/* binary search for the highest set bit, without branches */
	shift = (v > 0xffffffffULL) << 5;
	v >>= shift;
	r |= shift;
	shift = (v > 0xffff) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	return r | (__u32)(v >> 1);
}

SEC("tracepoint/ucchan/ucchan_call_issue")
int ut_issue(struct ut_tp_issue *ctx)
{
	struct ut_stats *s;

	if (!ut_wanted(ctx->service_id, ctx->service))
		return 0;
	s = ut_get(ctx->service_id, ctx->cpu);
	if (!s)
		return 0;
	s->calls++;
	if (ctx->cpu == ctx->target_cpu)
		s->same_cpu++;
	s->req_bytes += ctx->req_len;
	s->map_bytes += ctx->map_bytes;
	return 0;
}

SEC("tracepoint/ucchan/ucchan_call_reply")
int ut_reply(struct ut_tp_reply *ctx)
{
	struct ut_stats *s;
	__u64 lat = ctx->latency_ns;
	__u64 slot;

	if (!ut_wanted(ctx->service_id, ctx->service))
		return 0;
	s = ut_get(ctx->service_id, ctx->client_cpu);
	if (!s)
		return 0;
	s->replies++;
	if (ctx->status < 0)
		s->errors++;
	s->reply_bytes += ctx->reply_len;
	s->latency_sum_ns += lat;
	if (lat > s->latency_max_ns)
		s->latency_max_ns = lat;
	/*
	 * ut_log2() is < 64 already, but clang folds a plain mask into the
	 * bit arithmetic; the verifier needs to see the bound on the index.
	 */
	_Static_assert(UT_HIST_SLOTS == 64, "the mask below");
	slot = ut_log2(lat);
	asm volatile("%0 &= 63" : "+r"(slot));
	s->hist[slot]++;
	return 0;
}

SEC("tracepoint/ucchan/ucchan_call_fallback")
int ut_fallback(struct ut_tp_fallback *ctx)
{
	struct ut_stats *s;

	if (!ut_wanted(ctx->service_id, ctx->service))
		return 0;
	s = ut_get(ctx->service_id, ctx->from_cpu);
	if (s)
		s->fallbacks++;
	return 0;
}

SEC("tracepoint/ucchan/ucchan_call_busy")
int ut_busy(struct ut_tp_busy *ctx)
{
	struct ut_stats *s;

	if (!ut_wanted(ctx->service_id, ctx->service))
		return 0;
	s = ut_get(ctx->service_id, ctx->cpu);
	if (s)
		s->busy_waits++;
	return 0;
}

SEC("tracepoint/ucchan/ucchan_bounce")
int ut_bounce(struct ut_tp_bounce *ctx)
{
	struct ut_stats *s;

	if (!ut_wanted(ctx->service_id, ctx->service))
		return 0;
	s = ut_get(ctx->service_id, bpf_get_smp_processor_id());
	if (!s)
		return 0;
	s->bounces++;
	s->bounced_bytes += ctx->bytes;
	return 0;
}

SEC("tracepoint/ucchan/ucchan_call_abort")
int ut_abort(struct ut_tp_abort *ctx)
{
	struct ut_stats *s;

	if (!ut_wanted(ctx->service_id, ctx->service))
		return 0;
	s = ut_get(ctx->service_id, bpf_get_smp_processor_id());
	if (s)
		s->aborts++;
	return 0;
}
