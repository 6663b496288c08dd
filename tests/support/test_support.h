/*
 * test_support.h - shared helpers for capheap's cmocka tests.
 */
#ifndef CAPHEAP_TEST_SUPPORT_H
#define CAPHEAP_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "capheap/chip.h"
#include "capheap/heap.h"

/** What the recording error hook saw. */
typedef struct {
    int count;             /**< errors since the last ts_errors_reset() */
    capheap_err_t last;    /**< the last error code */
    const void *last_addr; /**< its address */
    const char *last_op;   /**< the function that reported it */
} ts_errors_t;

/** Install a hook that records errors instead of aborting. */
void ts_errors_install(void);
/** Forget what was recorded. */
void ts_errors_reset(void);
/** The record. */
const ts_errors_t *ts_errors(void);

/** Fail the test with the report if the heap's integrity check fails. */
#define ts_assert_heap_ok(heap) ts_assert_heap_ok_at((heap), __FILE__, __LINE__)
void ts_assert_heap_ok_at(capheap_heap_t *heap, const char *file, int line);

/** malloc'd memory aligned to 4096, for arenas; free with ts_arena_free. */
void *ts_arena(size_t size);
void ts_arena_free(void *arena);

/** A heap over arenas of its own, for tests that need a plain one. */
#define TS_HEAP_ARENAS 4
typedef struct {
    capheap_heap_t *h;
    void *storage;
    unsigned char *arena[TS_HEAP_ARENAS];
    unsigned arenas;
} ts_heap_t;

/**
 * A heap with room for @p max_regions regions and @p max_tags tags and one
 * region per entry of @p tags (at most TS_HEAP_ARENAS), each an arena of
 * @p arena_size bytes filled with @p fill; the recording error hook is
 * installed. Fails the test on any error.
 */
ts_heap_t *ts_heap_new(unsigned max_regions, unsigned max_tags,
                       size_t arena_size, const unsigned *tags, unsigned arenas,
                       int fill);
void ts_heap_delete(ts_heap_t *t);

/** Fill @p n bytes with a pattern derived from @p seed / check it. */
void ts_fill(void *p, size_t n, uint32_t seed);
int ts_verify(const void *p, size_t n, uint32_t seed);

/**
 * How much of a randomized workload to run, from CAPHEAP_TEST_SCALE: unset
 * or empty 1, "valgrind" 1/20 (make valgrind sets it), or a positive number.
 */
double ts_scale(void);

/** xorshift64* generator: deterministic across platforms. */
typedef struct {
    uint64_t s;
} ts_rng_t;
void ts_rng_seed(ts_rng_t *r, uint64_t seed);
uint64_t ts_rng_next(ts_rng_t *r);
/** Uniform in [lo, hi]. */
uint64_t ts_rng_range(ts_rng_t *r, uint64_t lo, uint64_t hi);

/** The capabilities @p chip's data gives the memory at @p a (all priority
 * levels together), or 0 where no region of the chip lies. */
uint32_t ts_chip_caps_at(const capheap_chip_t *chip, uintptr_t a);

#endif
