/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench-clock.h - the per-operation clock of the benchmark programs.
 *
 * In a QEMU guest the clocksource is the HPET: clock_gettime() is then a
 * system call plus a device read, several µs that would be added to every
 * operation measured (and counted among its system calls). The TSC is
 * read without either; each run converts ticks to ns by its own wall time
 * (bench_now_ns() around the whole loop). Elsewhere: CLOCK_MONOTONIC.
 *
 * Header-only, for the benchmark programs of tests/bench and
 * lib/libucchan/tools.
 */
#ifndef ZUFS_BENCH_CLOCK_H
#define ZUFS_BENCH_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline uint64_t bench_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	return bench_now_ns();
#endif
}

#endif /* ZUFS_BENCH_CLOCK_H */
