/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ucchan tracepoints. The field layouts are an interface (tools/ucchan-top
 * reads them from BPF): fixed-size fields only (__field/__array), in this
 * order; change them only together with their readers. Every issued call
 * ends in exactly one ucchan_call_reply or ucchan_call_abort.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ucchan

#if !defined(_UCCHAN_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _UCCHAN_TRACE_H

#include <linux/tracepoint.h>
#include "ucchan_i.h"

TRACE_EVENT(ucchan_call_issue,
	    TP_PROTO(struct ucchan_service *svc, u64 call_id, u64 client_id,
		     u32 cpu, u32 target_cpu, u32 req_len, u32 nr_bufs,
		     u64 map_bytes),
	    TP_ARGS(svc, call_id, client_id, cpu, target_cpu, req_len, nr_bufs,
		    map_bytes),
	    TP_STRUCT__entry(__field(u32, service_id)
			     __array(char, service, UCCHAN_NAME_MAX)
			     __field(u64, call_id)
			     __field(u64, client_id)
			     __field(u32, cpu)
			     __field(u32, target_cpu)
			     __field(u32, req_len)
			     __field(u32, nr_bufs)
			     __field(u64, map_bytes)
	    ),
	    TP_fast_assign(__entry->service_id = svc->id;
			   memcpy(__entry->service, svc->name, UCCHAN_NAME_MAX);
			   __entry->call_id = call_id;
			   __entry->client_id = client_id;
			   __entry->cpu = cpu;
			   __entry->target_cpu = target_cpu;
			   __entry->req_len = req_len;
			   __entry->nr_bufs = nr_bufs;
			   __entry->map_bytes = map_bytes;
	    ),
	    TP_printk("service=%s id=%u call=%llu client=%llu cpu=%u target=%u req_len=%u nr_bufs=%u map_bytes=%llu",
		      __entry->service, __entry->service_id, __entry->call_id,
		      __entry->client_id, __entry->cpu, __entry->target_cpu,
		      __entry->req_len, __entry->nr_bufs, __entry->map_bytes)
);

TRACE_EVENT(ucchan_call_dispatch,
	    TP_PROTO(struct ucchan_service *svc, u64 call_id, u32 cpu,
		     u32 slot),
	    TP_ARGS(svc, call_id, cpu, slot),
	    TP_STRUCT__entry(__field(u32, service_id)
			     __field(u64, call_id)
			     __field(u32, cpu)
			     __field(u32, slot)
	    ),
	    TP_fast_assign(__entry->service_id = svc->id;
			   __entry->call_id = call_id;
			   __entry->cpu = cpu;
			   __entry->slot = slot;
	    ),
	    TP_printk("id=%u call=%llu cpu=%u slot=%u",
		      __entry->service_id, __entry->call_id, __entry->cpu,
		      __entry->slot)
);

TRACE_EVENT(ucchan_call_reply,
	    TP_PROTO(struct ucchan_service *svc, u64 call_id, u32 cpu,
		     u32 client_cpu, s32 status, u32 reply_len, u64 latency_ns),
	    TP_ARGS(svc, call_id, cpu, client_cpu, status, reply_len,
		    latency_ns),
	    TP_STRUCT__entry(__field(u32, service_id)
			     __array(char, service, UCCHAN_NAME_MAX)
			     __field(u64, call_id)
			     __field(u32, cpu)
			     __field(u32, client_cpu)
			     __field(s32, status)
			     __field(u32, reply_len)
			     __field(u64, latency_ns)
	    ),
	    TP_fast_assign(__entry->service_id = svc->id;
			   memcpy(__entry->service, svc->name, UCCHAN_NAME_MAX);
			   __entry->call_id = call_id;
			   __entry->cpu = cpu;
			   __entry->client_cpu = client_cpu;
			   __entry->status = status;
			   __entry->reply_len = reply_len;
			   __entry->latency_ns = latency_ns;
	    ),
	    TP_printk("service=%s id=%u call=%llu cpu=%u client_cpu=%u status=%d reply_len=%u latency_ns=%llu",
		      __entry->service, __entry->service_id, __entry->call_id,
		      __entry->cpu, __entry->client_cpu, __entry->status,
		      __entry->reply_len, __entry->latency_ns)
);

TRACE_EVENT(ucchan_call_fallback,
	    TP_PROTO(struct ucchan_service *svc, u64 call_id, u32 from_cpu,
		     u32 to_cpu),
	    TP_ARGS(svc, call_id, from_cpu, to_cpu),
	    TP_STRUCT__entry(__field(u32, service_id)
			     __array(char, service, UCCHAN_NAME_MAX)
			     __field(u64, call_id)
			     __field(u32, from_cpu)
			     __field(u32, to_cpu)
	    ),
	    TP_fast_assign(__entry->service_id = svc->id;
			   memcpy(__entry->service, svc->name, UCCHAN_NAME_MAX);
			   __entry->call_id = call_id;
			   __entry->from_cpu = from_cpu;
			   __entry->to_cpu = to_cpu;
	    ),
	    TP_printk("service=%s id=%u call=%llu from_cpu=%u to_cpu=%u",
		      __entry->service, __entry->service_id, __entry->call_id,
		      __entry->from_cpu, __entry->to_cpu)
);

TRACE_EVENT(ucchan_call_busy,
	    TP_PROTO(struct ucchan_service *svc, u32 cpu),
	    TP_ARGS(svc, cpu),
	    TP_STRUCT__entry(__field(u32, service_id)
			     __array(char, service, UCCHAN_NAME_MAX)
			     __field(u32, cpu)
	    ),
	    TP_fast_assign(__entry->service_id = svc->id;
			   memcpy(__entry->service, svc->name, UCCHAN_NAME_MAX);
			   __entry->cpu = cpu;
	    ),
	    TP_printk("service=%s id=%u cpu=%u",
		      __entry->service, __entry->service_id, __entry->cpu)
);

/* bytes of a call's buffers bounced (ucchan_bounce), copied (ucchan_copy) */
DECLARE_EVENT_CLASS(ucchan_bytes,
		    TP_PROTO(struct ucchan_service *svc, u64 call_id, u32 bytes),
		    TP_ARGS(svc, call_id, bytes),
		    TP_STRUCT__entry(__field(u32, service_id)
				     __array(char, service, UCCHAN_NAME_MAX)
				     __field(u64, call_id)
				     __field(u32, bytes)
		    ),
		    TP_fast_assign(__entry->service_id = svc->id;
				   memcpy(__entry->service, svc->name, UCCHAN_NAME_MAX);
				   __entry->call_id = call_id;
				   __entry->bytes = bytes;
		    ),
		    TP_printk("service=%s id=%u call=%llu bytes=%u",
			      __entry->service, __entry->service_id, __entry->call_id,
			      __entry->bytes)
);

DEFINE_EVENT(ucchan_bytes, ucchan_bounce,
	     TP_PROTO(struct ucchan_service *svc, u64 call_id, u32 bytes),
	     TP_ARGS(svc, call_id, bytes));

DEFINE_EVENT(ucchan_bytes, ucchan_copy,
	     TP_PROTO(struct ucchan_service *svc, u64 call_id, u32 bytes),
	     TP_ARGS(svc, call_id, bytes));

TRACE_EVENT(ucchan_call_abort,
	    TP_PROTO(struct ucchan_service *svc, u64 call_id, s32 error),
	    TP_ARGS(svc, call_id, error),
	    TP_STRUCT__entry(__field(u32, service_id)
			     __array(char, service, UCCHAN_NAME_MAX)
			     __field(u64, call_id)
			     __field(s32, error)
	    ),
	    TP_fast_assign(__entry->service_id = svc->id;
			   memcpy(__entry->service, svc->name, UCCHAN_NAME_MAX);
			   __entry->call_id = call_id;
			   __entry->error = error;
	    ),
	    TP_printk("service=%s id=%u call=%llu error=%d",
		      __entry->service, __entry->service_id, __entry->call_id,
		      __entry->error)
);

#endif /* _UCCHAN_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE ucchan_trace
#include <trace/define_trace.h>
