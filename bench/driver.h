/*
 * driver.h - the allocator interface and the trace replays.
 *
 * Instruction counters (opcount.c, qcount.c) must tell the driver's code
 * from the allocator's: every function that runs between two markers and
 * is not the allocator lives in the section "bench_drv" and has a name
 * starting with "bench_drv_" (BENCH_DRV). Counters use the section bounds
 * (ptrace) or the symbol names (qemu logs).
 */
#ifndef BENCH_DRIVER_H
#define BENCH_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

#define BENCH_DRV __attribute__((section("bench_drv"), noinline))

/** An allocator as the driver sees it. */
typedef struct {
    const char *name;
    void *(*alloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *ptr);
    void *(*realloc)(void *ctx, void *ptr, size_t size);
    void *ctx;
} bench_alloc_t;

/** What a replay did. */
typedef struct {
    size_t calls[OP_KINDS]; /* allocator calls made, by kind */
    size_t fails;           /* allocations and reallocations that failed */
} bench_result_t;

/* Largest arena any measurement uses (the fit search may go above the
 * nominal sizes of trace.c). */
#define BENCH_ARENA_MAX ((size_t)4 << 20)

/** The arena buffer capheap's region is carved from (64-byte aligned). */
unsigned char *bench_arena(void);

/**
 * capheap's core on [bench_arena(), + arena_size): one region, tag 0, no
 * lock. Re-initialises the heap on every call. False if add_region failed.
 */
bool bench_capheap_open(bench_alloc_t *a, size_t arena_size);

/** The capheap heap of the last bench_capheap_open(). */
struct capheap_heap *bench_capheap_heap(void);

/**
 * Replay the first @p nops operations (0: all) with no instrumentation;
 * stop at the first failure if @p stop_on_fail. @p ptrs has trace->nids
 * slots. Callgrind wraps this function (--zero-before / --dump-after).
 */
void bench_drv_replay(const bench_trace_t *t, const bench_alloc_t *a,
                      size_t nops, void **ptrs, bool stop_on_fail,
                      bench_result_t *res);

/**
 * The same with a marker call before and after each allocator call: the
 * "begin" marker names the kind of call (alloc, free, realloc).
 */
void bench_drv_replay_marked(const bench_trace_t *t, const bench_alloc_t *a,
                             size_t nops, void **ptrs, bench_result_t *res);

/**
 * Replay @p t on capheap at its nominal arena, filling every block with a
 * pattern and verifying it on free and realloc, checking alignment, usable
 * size, the statistics and capheap_heap_check() as it goes, and that the
 * drained heap is as it started. Prints "check.<trace> ok|FAILED ..." (out.h).
 * 0 if everything held.
 */
int bench_check(const bench_trace_t *t, void **ptrs);

/* The markers: empty, never inlined, each distinct. */
void bench_drv_mark_alloc(void);
void bench_drv_mark_free(void);
void bench_drv_mark_realloc(void);
void bench_drv_mark_end(void);

#endif /* BENCH_DRIVER_H */
