/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * record.h - the recording backend of the crash-state tests.
 *
 * rec_media_wrap() returns a media (kind PM_KIND_RECORD) over the same
 * mapping as @inner: every op is applied to @inner and appended to a trace
 * of events {STORE off,len | FLUSH off,len | FENCE | MARK op,phase}; store
 * data goes to a side buffer, in event order. The workload driver calls
 * rec_mark() before (REC_BEGIN) and after (REC_END) each API call, so the
 * image generator knows which operations had returned at each point.
 * The image at wrap time is copied: the trace replays from it.
 */
#ifndef PMCRASH_RECORD_H
#define PMCRASH_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "pm.h"

enum rec_type {
	REC_STORE = 1,
	REC_FLUSH,
	REC_FENCE,
	REC_MARK,
};

enum rec_phase {
	REC_BEGIN = 0,
	REC_END = 1,
};

/* 16 bytes. MARK: off = op id, len = phase. */
struct rec_ev {
	uint64_t off;
	uint32_t len;
	uint32_t type;
};

struct rec_trace {
	const uint8_t *init;	/* the image when recording started */
	uint64_t size;
	const struct rec_ev *ev;
	size_t nev;
	const uint8_t *data;	/* STORE payloads, in event order */
	size_t ndata;
	uint64_t nstores, nflushes, nfences;
	uint64_t out_of_range;	/* ops outside [base, base + size) */
};

/* NULL: no memory. Closing the recorder does not close @inner. */
struct pm_media *rec_media_wrap(struct pm_media *inner);
void rec_mark(struct pm_media *rec, uint32_t op, enum rec_phase phase);
/* Stop/restart recording (events are dropped while off). */
void rec_enable(struct pm_media *rec, int on);
/* The trace so far (valid until the next op on @rec or its close). */
void rec_trace(struct pm_media *rec, struct rec_trace *t);
int rec_is_recorder(const struct pm_media *m);

#endif /* PMCRASH_RECORD_H */
