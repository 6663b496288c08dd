/*
 * space.h - space figures and the smallest-arena search (shared by every
 * build, including the freestanding Cortex-M one).
 */
#ifndef BENCH_SPACE_H
#define BENCH_SPACE_H

#include <stddef.h>

#include "driver.h"

/** Print "space.<key> <value>" lines: per-allocation bytes, header, heap
 * object and region overhead of a 64 KiB heap. 0 on success. */
int bench_space_report(void);

/**
 * Smallest arena (multiple of 8 bytes) on which capheap replays trace @p t
 * without a failed allocation, found by bisection between the trace's peak
 * live bytes and the first power-of-two multiple of its nominal arena that
 * works. @p ptrs has t->nids slots. 0 if none up to BENCH_ARENA_MAX.
 */
size_t bench_fit(const bench_trace_t *t, void **ptrs);

/** Print "fit.<trace> <smallest arena> <peak live> <ratio> <fails at the
 * nominal arena>" for trace @p t. */
void bench_fit_report(const bench_trace_t *t, void **ptrs);

#endif /* BENCH_SPACE_H */
