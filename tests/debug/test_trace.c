#define _POSIX_C_SOURCE 200809L
/*
 * test_trace.c - heap tracing (esp_heap_trace.h) over the global capability
 * heap: the behaviours of ESP-IDF's test_heap_trace.c (leak check, calloc,
 * wrapped buffer, pausing allocations, the summary, dumps by capability),
 * the API's error codes, HEAP_TRACE_ALL's freed records, realloc, the
 * callers recorded (the application's call site, not capheap's), the
 * timestamps, and the address table under many records.
 *
 * Most tests boot the STM32H743, whose memory qemu-user's i386 layout
 * leaves free; the ESP32 ones (PSRAM) skip there, saying so. The trace is
 * global: every test starts its own with heap_trace_init_standalone() and
 * stops it before it ends.
 */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "../compat/esp_test_env.h"
#include "capheap/malloc.h"
#include "debug/trace.h"
#include "esp_heap_alloc_caps.h"
#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"
#include "esp_heap_trace.h"

#if !CAPHEAP_TRACE || !CAPHEAP_HOOKS
#error "tests/debug/ builds with CAPHEAP_TRACE=1 and CAPHEAP_HOOKS=1"
#endif

#define NOINLINE __attribute__((noinline))

/* ---- helpers ------------------------------------------------------------ */

static volatile uintptr_t last_here;

/* Where it was called from: a point in the calling function. A volatile
 * store keeps calls to it in program order with the calls around them. */
NOINLINE static const void *here(void) {
    const void *r = __builtin_return_address(0);
    last_here = (uintptr_t)r;
    return r;
}

static void boot(void) {
    (void)heap_trace_stop(); /* a failed test may have left one running */
    capheap_trace_set_clock(NULL);
    capheap_trace_set_output(NULL);
    et_boot("stm32h743");
}

static heap_trace_record_t rec_of(size_t i) {
    heap_trace_record_t r;
    assert_int_equal(heap_trace_get(i, &r), ESP_OK);
    return r;
}

static heap_trace_summary_t summary(void) {
    heap_trace_summary_t s;
    memset(&s, 0xA5, sizeof s);
    assert_int_equal(heap_trace_summary(&s), ESP_OK);
    return s;
}

/* Whether @p addr lies strictly between two here() points. */
static bool between(const void *addr, const void *lo, const void *hi) {
    return (uintptr_t)addr > (uintptr_t)lo && (uintptr_t)addr < (uintptr_t)hi;
}

/* ---- the API before any buffer (the first test of the process) -------- */

static void no_buffer_yet(void **state) {
    (void)state;
    et_boot("stm32h743");
    assert_int_equal(heap_trace_start(HEAP_TRACE_LEAKS), ESP_ERR_INVALID_STATE);
    assert_int_equal(heap_trace_resume(), ESP_ERR_INVALID_STATE);
    assert_int_equal(heap_trace_stop(), ESP_ERR_INVALID_STATE);
    assert_int_equal(heap_trace_alloc_pause(), ESP_ERR_INVALID_STATE);
    assert_int_equal(heap_trace_get_count(), 0);
    heap_trace_record_t r;
    assert_int_equal(heap_trace_get(0, &r), ESP_ERR_INVALID_ARG);
    /* Allocations without a trace are not recorded anywhere. */
    void *p = heap_caps_malloc(10, MALLOC_CAP_8BIT);
    assert_non_null(p);
    heap_caps_free(p);
    assert_int_equal(heap_trace_get_count(), 0);
}

static void api_errors(void **state) {
    (void)state;
    boot();
    static heap_trace_record_t recs[4];
    assert_int_equal(heap_trace_init_tohost(), ESP_ERR_NOT_SUPPORTED);
    assert_int_equal(heap_trace_init_standalone(NULL, 4), ESP_ERR_INVALID_ARG);
    assert_int_equal(heap_trace_init_standalone(recs, 0), ESP_ERR_INVALID_ARG);
    assert_int_equal(heap_trace_init_standalone(recs, 4), ESP_OK);
    assert_int_equal(heap_trace_start((heap_trace_mode_t)7),
                     ESP_ERR_INVALID_ARG);
    assert_int_equal(heap_trace_start(HEAP_TRACE_LEAKS), ESP_OK);
    /* No new buffer while tracing, paused or not. */
    assert_int_equal(heap_trace_init_standalone(recs, 4),
                     ESP_ERR_INVALID_STATE);
    assert_int_equal(heap_trace_alloc_pause(), ESP_OK);
    assert_int_equal(heap_trace_init_standalone(recs, 4),
                     ESP_ERR_INVALID_STATE);
    assert_int_equal(heap_trace_resume(), ESP_OK);
    void *p = heap_caps_malloc(32, MALLOC_CAP_8BIT);
    assert_int_equal(heap_trace_get_count(), 1);
    heap_trace_record_t r;
    assert_int_equal(heap_trace_get(0, NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(heap_trace_get(1, &r), ESP_ERR_INVALID_ARG);
    assert_int_equal(heap_trace_get(SIZE_MAX, &r), ESP_ERR_INVALID_ARG);
    assert_int_equal(heap_trace_summary(NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(heap_trace_stop(), ESP_OK);
    assert_int_equal(heap_trace_stop(), ESP_ERR_INVALID_STATE);
    assert_int_equal(heap_trace_alloc_pause(), ESP_ERR_INVALID_STATE);
    /* Records outlive the trace; starting again empties them. */
    assert_int_equal(heap_trace_get_count(), 1);
    assert_int_equal(heap_trace_start(HEAP_TRACE_ALL), ESP_OK);
    assert_int_equal(heap_trace_get_count(), 0);
    assert_int_equal(summary().mode, HEAP_TRACE_ALL);
    heap_caps_free(p);
    assert_int_equal(summary().total_frees, 1);
    /* Restarting while tracing resets the counts too. */
    assert_int_equal(heap_trace_start(HEAP_TRACE_LEAKS), ESP_OK);
    assert_int_equal(summary().total_frees, 0);
    assert_int_equal(summary().mode, HEAP_TRACE_LEAKS);
    assert_int_equal(heap_trace_stop(), ESP_OK);
    /* Stopped, a buffer may be given again. */
    assert_int_equal(heap_trace_init_standalone(recs, 2), ESP_OK);
    assert_int_equal(summary().capacity, 2);
}

/* ---- ESP-IDF's test_heap_trace.c ---------------------------------------- */

/* "heap trace leak check" */
static void leak_check(void **state) {
    (void)state;
    boot();
    static heap_trace_record_t recs[8];
    assert_int_equal(heap_trace_init_standalone(recs, 8), ESP_OK);
    assert_int_equal(heap_trace_start(HEAP_TRACE_LEAKS), ESP_OK);
    void *a = capheap_malloc(64);
    void *b = capheap_malloc(96);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(heap_trace_get_count(), 2);
    assert_ptr_equal(rec_of(0).address, a);
    assert_int_equal(rec_of(0).size, 64);
    assert_ptr_equal(rec_of(1).address, b);
    assert_int_equal(rec_of(1).size, 96);
    /* malloc() asks for DEFAULT memory, internal while extmem is off. */
    assert_int_equal(rec_of(0).caps, MALLOC_CAP_DEFAULT | MALLOC_CAP_INTERNAL);
    assert_false(rec_of(0).freed);

    capheap_free(a);
    assert_int_equal(heap_trace_get_count(), 1);
    assert_ptr_equal(rec_of(0).address, b);
    assert_null(recs[0].address); /* a's slot of the buffer is cleared */
    capheap_free(b);
    assert_int_equal(heap_trace_get_count(), 0);
    assert_int_equal(heap_trace_stop(), ESP_OK);
}

/* "heap trace records heap_caps_calloc" */
static void calloc_is_one_record(void **state) {
    (void)state;
    boot();
    static heap_trace_record_t recs[8];
    assert_int_equal(heap_trace_init_standalone(recs, 8), ESP_OK);
    assert_int_equal(heap_trace_start(HEAP_TRACE_LEAKS), ESP_OK);
    void *p = heap_caps_calloc(4, 16, MALLOC_CAP_INTERNAL);
    assert_non_null(p);
    assert_int_equal(heap_trace_get_count(), 1);
    assert_ptr_equal(rec_of(0).address, p);
    assert_int_equal(rec_of(0).size, 64);
    assert_int_equal(rec_of(0).caps, MALLOC_CAP_INTERNAL);
    heap_caps_free(p);
    assert_int_equal(heap_trace_get_count(), 0);
    assert_int_equal(heap_trace_stop(), ESP_OK);
}

/* "heap trace wrapped buffer check" */
static void wrapped_buffer(void **state) {
    (void)state;
    boot();
    static heap_trace_record_t recs[8];
    void *p[9];
    assert_int_equal(heap_trace_init_standalone(recs, 8), ESP_OK);
    assert_int_equal(heap_trace_start(HEAP_TRACE_LEAKS), ESP_OK);
    for (int i = 0; i < 9; i++) {
        p[i] = heap_caps_malloc(24 + (size_t)i, MALLOC_CAP_8BIT);
        assert_non_null(p[i]);
    }
    heap_trace_summary_t s = summary();
    assert_int_equal(s.count, 8);
    assert_true(s.has_overflowed);
    assert_int_equal(s.total_allocations, 9);
    assert_int_equal(s.high_water_mark, 8);
    /* The oldest went; the rest are in order, the newest last. */
    for (size_t i = 0; i < 8; i++) {
        assert_ptr_equal(rec_of(i).address, p[i + 1]);
        assert_int_equal(rec_of(i).size, 25 + i);
    }
    for (int i = 0; i < 9; i++)
        heap_caps_free(p[i]);
    assert_int_equal(heap_trace_get_count(), 0);
    s = summary();
    assert_int_equal(s.total_frees, 9);
    assert_int_equal(s.total_hashmap_hits, 8);
    assert_int_equal(s.total_hashmap_miss, 1); /* the evicted p[0] */
    void *later = heap_caps_malloc(100, MALLOC_CAP_8BIT);
    assert_int_equal(heap_trace_get_count(), 1);
    assert_ptr_equal(rec_of(0).address, later);
    heap_caps_free(later);
    assert_int_equal(heap_trace_stop(), ESP_OK);
}

/* "can stop recording allocs but continue recording frees" */
static void pause_allocs_keeps_frees(void **state) {
    (void)state;
    boot();
    static heap_trace_record_t recs[8];
    assert_int_equal(heap_trace_init_standalone(recs, 8), ESP_OK);
    assert_int_equal(heap_trace_start(HEAP_TRACE_LEAKS), ESP_OK);
    void *a = heap_caps_malloc(40, MALLOC_CAP_8BIT);
    void *b = heap_caps_malloc(40, MALLOC_CAP_8BIT);
    assert_int_equal(heap_trace_get_count(), 2);
    assert_int_equal(heap_trace_alloc_pause(), ESP_OK);
    void *c = heap_caps_malloc(40, MALLOC_CAP_8BIT);
    void *d = heap_caps_malloc(40, MALLOC_CAP_8BIT);
    assert_int_equal(heap_trace_get_count(), 2); /* not recorded */
    heap_caps_free(c);
    assert_int_equal(heap_trace_get_count(), 2); /* nothing to drop */
    heap_caps_free(a);
    assert_int_equal(heap_trace_get_count(), 1); /* recorded: dropped */
    assert_ptr_equal(rec_of(0).address, b);
    assert_int_equal(summary().total_frees, 2);
    assert_int_equal(summary().total_allocations, 2);
    assert_int_equal(heap_trace_resume(), ESP_OK);
    void *e = heap_caps_malloc(40, MALLOC_CAP_8BIT);
    assert_int_equal(heap_trace_get_count(), 2);
    assert_ptr_equal(rec_of(1).address, e);
    heap_caps_free(b);
    heap_caps_free(d);
    heap_caps_free(e);
    assert_int_equal(heap_trace_get_count(), 0);
    /* Stopped: neither allocations nor frees are recorded. */
    void *f = heap_caps_malloc(40, MALLOC_CAP_8BIT);
    assert_int_equal(heap_trace_get_count(), 1);
    assert_int_equal(heap_trace_stop(), ESP_OK);
    size_t frees = summary().total_frees;
    heap_caps_free(f);
    void *g = heap_caps_malloc(40, MALLOC_CAP_8BIT);
    assert_int_equal(heap_trace_get_count(), 1);
    assert_int_equal(summary().total_frees, frees);
    heap_caps_free(g);
}

/* "check for summary value validity" */
static void summary_counts(void **state) {
    (void)state;
    boot();
    static heap_trace_record_t recs[2];
    void *p[3];
    assert_int_equal(heap_trace_init_standalone(recs, 2), ESP_OK);
    assert_int_equal(heap_trace_start(HEAP_TRACE_ALL), ESP_OK);
    for (int i = 0; i < 3; i++)
        p[i] = heap_caps_malloc(48, MALLOC_CAP_8BIT);
    heap_trace_summary_t s = summary();
    assert_int_equal(s.mode, HEAP_TRACE_ALL);
    assert_int_equal(s.count, 2);
    assert_int_equal(s.capacity, 2);
    assert_int_equal(s.total_allocations, 3);
    assert_int_equal(s.total_frees, 0);
    assert_int_equal(s.high_water_mark, 2);
    assert_true(s.has_overflowed);
    for (int i = 0; i < 3; i++)
        heap_caps_free(p[i]);
    s = summary();
    assert_int_equal(s.total_frees, 3);
    assert_int_equal(s.count, 2); /* ALL: freed records stay */
    assert_int_equal(s.total_hashmap_hits, 2);
    assert_int_equal(s.total_hashmap_miss, 1);
    assert_true(rec_of(0).freed && rec_of(1).freed);
    assert_int_equal(heap_trace_stop(), ESP_OK);
}

/* ---- HEAP_TRACE_ALL ------------------------------------------------------ */

static void all_mode_marks_frees(void **state) {
    (void)state;
    boot();
    static heap_trace_record_t recs[8];
    assert_int_equal(heap_trace_init_standalone(recs, 8), ESP_OK);
    assert_int_equal(heap_trace_start(HEAP_TRACE_ALL), ESP_OK);
    void *a = heap_caps_malloc(72, MALLOC_CAP_8BIT);
    const void *lo = here();
    heap_caps_free(a);
    const void *hi = here();
    assert_int_equal(heap_trace_get_count(), 1);
    heap_trace_record_t r = rec_of(0);
    assert_ptr_equal(r.address, a);
    assert_true(r.freed);
    assert_true(between(r.freed_by[0], lo, hi));
    /* The same address again is a new record; its free finds that one. */
    void *b = NULL;
    for (int i = 0; i < 4 && b != a; i++) {
        if (b)
            heap_caps_free(b);
        b = heap_caps_malloc(72, MALLOC_CAP_8BIT);
    }
    size_t n = heap_trace_get_count();
    heap_trace_record_t nb = rec_of(n - 1);
    assert_ptr_equal(nb.address, b);
    assert_false(nb.freed);
    heap_caps_free(b);
    assert_true(rec_of(n - 1).freed);
    assert_true(rec_of(0).freed);
    assert_int_equal(summary().total_hashmap_miss, 0);
    assert_int_equal(heap_trace_stop(), ESP_OK);
}

/* ---- realloc ---------------------------------------------------------------
 */

static void realloc_records(void **state) {
    (void)state;
    boot();
    static heap_trace_record_t recs[8];
    assert_int_equal(heap_trace_init_standalone(recs, 8), ESP_OK);
    assert_int_equal(heap_trace_start(HEAP_TRACE_LEAKS), ESP_OK);
    /* NULL: an allocation. */
    void *p = heap_caps_realloc(NULL, 100, MALLOC_CAP_8BIT);
    assert_int_equal(heap_trace_get_count(), 1);
    assert_int_equal(rec_of(0).size, 100);
    /* Moved (to memory with other capabilities): a free and an allocation. */
    void *q = heap_caps_realloc(p, 120, MALLOC_CAP_TCM);
    assert_non_null(q);
    assert_ptr_not_equal(q, p);
    assert_int_equal(heap_trace_get_count(), 1);
    assert_ptr_equal(rec_of(0).address, q);
    assert_int_equal(rec_of(0).size, 120);
    assert_int_equal(rec_of(0).caps, MALLOC_CAP_TCM);
    assert_int_equal(summary().total_allocations, 2);
    assert_int_equal(summary().total_frees, 1);
    /* Shrunk: in place where the heap can (not with comprehensive
     * poisoning, whose realloc always moves): the record is kept. */
    uint32_t t0 = rec_of(0).ccount;
    void *r = heap_caps_realloc(q, 60, MALLOC_CAP_TCM);
    assert_int_equal(heap_trace_get_count(), 1);
    assert_ptr_equal(rec_of(0).address, r);
    assert_int_equal(rec_of(0).size, 60);
    if (r == q) {
        assert_int_equal(rec_of(0).ccount, t0);
        assert_int_equal(summary().total_allocations, 2);
    } else {
        assert_int_equal(summary().total_allocations, 3);
    }
    /* Size 0: a free. */
    assert_null(heap_caps_realloc(r, 0, MALLOC_CAP_TCM));
    assert_int_equal(heap_trace_get_count(), 0);
    /* A failed realloc records nothing. */
    void *s = capheap_malloc(64);
    size_t allocs = summary().total_allocations;
    assert_null(heap_caps_realloc(s, 64, MALLOC_CAP_INVALID));
    assert_null(capheap_realloc(s, (size_t)64 << 20));
    assert_int_equal(summary().total_allocations, allocs);
    assert_int_equal(heap_trace_get_count(), 1);
    assert_ptr_equal(rec_of(0).address, s);
    capheap_free(s);
    assert_int_equal(heap_trace_stop(), ESP_OK);
}

/* The trace's handling of the events themselves, with made-up addresses
 * (never dereferenced): in-place realloc whatever the heap does, a block
 * the trace did not see resized in place, an address handed out again
 * after a free the trace missed. */
static void realloc_and_missed_frees_logic(void **state) {
    (void)state;
    boot();
    static heap_trace_record_t recs[8];
    void *x = (void *)(uintptr_t)0x1000, *y = (void *)(uintptr_t)0x2000;
    assert_int_equal(heap_trace_init_standalone(recs, 8), ESP_OK);
    assert_int_equal(heap_trace_start(HEAP_TRACE_ALL), ESP_OK);
    capheap_trace_alloc(x, 10, MALLOC_CAP_8BIT, here());
    capheap_trace_realloc(x, x, 20, MALLOC_CAP_32BIT, here());
    assert_int_equal(heap_trace_get_count(), 1);
    assert_int_equal(rec_of(0).size, 20);
    assert_int_equal(rec_of(0).caps, MALLOC_CAP_32BIT);
    assert_false(rec_of(0).freed);
    /* Unseen, resized in place: recorded as an allocation. */
    capheap_trace_realloc(y, y, 30, MALLOC_CAP_8BIT, here());
    assert_int_equal(heap_trace_get_count(), 2);
    assert_int_equal(rec_of(1).size, 30);
    /* Paused, an in-place resize still updates (it is no allocation) and a
     * move still records the free. */
    assert_int_equal(heap_trace_alloc_pause(), ESP_OK);
    capheap_trace_realloc(y, y, 31, MALLOC_CAP_8BIT, here());
    assert_int_equal(rec_of(1).size, 31);
    capheap_trace_realloc(x, y, 40, MALLOC_CAP_8BIT, here());
    assert_true(rec_of(0).freed);
    assert_int_equal(heap_trace_get_count(), 2);
    assert_int_equal(heap_trace_resume(), ESP_OK);
    /* Stopped, y is freed unseen; handed out again, its old record is
     * marked freed (ALL) and a new one made. */
    assert_int_equal(heap_trace_stop(), ESP_OK);
    capheap_trace_free(y, here());
    assert_int_equal(heap_trace_resume(), ESP_OK);
    capheap_trace_alloc(y, 50, MALLOC_CAP_8BIT, here());
    assert_int_equal(heap_trace_get_count(), 3);
    assert_true(rec_of(1).freed);
    assert_null(rec_of(1).freed_by[0]); /* nobody seen */
    assert_false(rec_of(2).freed);
    capheap_trace_free(y, here());
    assert_true(rec_of(2).freed);
    /* The same in a LEAKS trace: the stale record goes. */
    assert_int_equal(heap_trace_start(HEAP_TRACE_LEAKS), ESP_OK);
    capheap_trace_alloc(x, 10, MALLOC_CAP_8BIT, here());
    assert_int_equal(heap_trace_stop(), ESP_OK);
    assert_int_equal(heap_trace_resume(), ESP_OK);
    capheap_trace_alloc(x, 11, MALLOC_CAP_8BIT, here());
    assert_int_equal(heap_trace_get_count(), 1);
    assert_int_equal(rec_of(0).size, 11);
    capheap_trace_free(x, here());
    assert_int_equal(heap_trace_get_count(), 0);
    assert_int_equal(heap_trace_stop(), ESP_OK);
}

/* ---- callers ---------------------------------------------------------------
 */

typedef struct {
    const void *lo, *hi; /* here() before and after the call */
    void *p;
} site_t;

/* Each allocates once through one entry point, between two here() marks:
 * the record's first caller must lie between them. */
#define SITE(name, expr)                                                       \
    NOINLINE static site_t name(void) {                                        \
        site_t s;                                                              \
        s.lo = here();                                                         \
        s.p = (expr);                                                          \
        s.hi = here();                                                         \
        return s;                                                              \
    }

SITE(by_heap_caps_malloc, heap_caps_malloc(33, MALLOC_CAP_8BIT))
SITE(by_heap_caps_calloc, heap_caps_calloc(3, 11, MALLOC_CAP_8BIT))
SITE(by_heap_caps_realloc, heap_caps_realloc(NULL, 33, MALLOC_CAP_8BIT))
SITE(by_heap_caps_aligned_alloc,
     heap_caps_aligned_alloc(64, 33, MALLOC_CAP_8BIT))
SITE(by_heap_caps_aligned_calloc,
     heap_caps_aligned_calloc(64, 3, 11, MALLOC_CAP_8BIT))
SITE(by_heap_caps_malloc_prefer,
     heap_caps_malloc_prefer(33, 2, MALLOC_CAP_INVALID, MALLOC_CAP_8BIT))
SITE(by_heap_caps_calloc_prefer,
     heap_caps_calloc_prefer(3, 11, 2, MALLOC_CAP_INVALID, MALLOC_CAP_8BIT))
SITE(by_heap_caps_realloc_prefer,
     heap_caps_realloc_prefer(NULL, 33, 1, MALLOC_CAP_8BIT))
SITE(by_malloc, capheap_malloc(33))
SITE(by_calloc, capheap_calloc(3, 11))
SITE(by_realloc, capheap_realloc(NULL, 33))
SITE(by_memalign, capheap_memalign(64, 33))
SITE(by_aligned_alloc, capheap_aligned_alloc(64, 33))
SITE(by_pvPortMalloc, pvPortMalloc(33))
SITE(by_pvPortMallocCaps, pvPortMallocCaps(33, MALLOC_CAP_8BIT))
SITE(by_native, capheap_caps_alloc(heap_caps_capheap(), 33, MALLOC_CAP_8BIT))

NOINLINE static site_t by_posix_memalign(void) {
    site_t s;
    s.p = NULL;
    s.lo = here();
    int err = capheap_posix_memalign(&s.p, 64, 33);
    s.hi = here();
    assert_int_equal(err, 0);
    return s;
}

static void check_site(site_t (*fn)(void), const char *name) {
    const void *outer_lo = here();
    site_t s = fn();
    const void *outer_hi = here();
    assert_non_null(s.p);
    size_t n = heap_trace_get_count();
    heap_trace_record_t r = rec_of(n - 1);
    assert_ptr_equal(r.address, s.p);
    if (!between(r.alloced_by[0], s.lo, s.hi))
        fail_msg("%s: first caller %p is not between %p and %p", name,
                 r.alloced_by[0], s.lo, s.hi);
#if defined(__GLIBC__) && CAPHEAP_TRACE_DEPTH > 1
    /* The next frame is the function that called fn. */
    if (!between(r.alloced_by[1], outer_lo, outer_hi))
        fail_msg("%s: second caller %p is not between %p and %p", name,
                 r.alloced_by[1], outer_lo, outer_hi);
#else
    (void)outer_lo;
    (void)outer_hi;
#endif
}

static void callers_are_the_application(void **state) {
    (void)state;
    boot();
    static heap_trace_record_t recs[32];
    assert_int_equal(heap_trace_init_standalone(recs, 32), ESP_OK);
    assert_int_equal(heap_trace_start(HEAP_TRACE_ALL), ESP_OK);
    static const struct {
        site_t (*fn)(void);
        const char *name;
    } sites[] = {
#define S(f) {f, #f}
        S(by_heap_caps_malloc),
        S(by_heap_caps_calloc),
        S(by_heap_caps_realloc),
        S(by_heap_caps_aligned_alloc),
        S(by_heap_caps_aligned_calloc),
        S(by_heap_caps_malloc_prefer),
        S(by_heap_caps_calloc_prefer),
        S(by_heap_caps_realloc_prefer),
        S(by_malloc),
        S(by_calloc),
        S(by_realloc),
        S(by_memalign),
        S(by_aligned_alloc),
        S(by_posix_memalign),
        S(by_pvPortMalloc),
        S(by_pvPortMallocCaps),
        S(by_native),
#undef S
    };
    void *blocks[sizeof sites / sizeof sites[0]];
    for (size_t i = 0; i < sizeof sites / sizeof sites[0]; i++) {
        check_site(sites[i].fn, sites[i].name);
        blocks[i] = rec_of(heap_trace_get_count() - 1).address;
    }
    /* Frees name their callers too, through every entry point. */
    const void *lo = here();
    heap_caps_free(blocks[0]);
    capheap_free(blocks[1]);
    vPortFree(blocks[2]);
    heap_caps_aligned_free(blocks[3]);
    capheap_caps_free(heap_caps_capheap(), blocks[4]);
    assert_null(capheap_realloc(blocks[5], 0));
    assert_null(heap_caps_realloc(blocks[6], 0, MALLOC_CAP_8BIT));
    const void *hi = here();
    for (size_t i = 0; i < 7; i++) {
        heap_trace_record_t r = rec_of(i);
        assert_true(r.freed);
        if (!between(r.freed_by[0], lo, hi))
            fail_msg("free %zu: caller %p is not between %p and %p", i,
                     r.freed_by[0], lo, hi);
    }
    for (size_t i = 7; i < sizeof blocks / sizeof blocks[0]; i++)
        heap_caps_free(blocks[i]);
    assert_int_equal(heap_trace_stop(), ESP_OK);
}

/* ---- timestamps ------------------------------------------------------------
 */

static uint32_t fake_time;

static uint32_t fake_clock(void) {
    return fake_time += 1000;
}

static void timestamps(void **state) {
    (void)state;
    boot();
    static heap_trace_record_t recs[8];
    assert_int_equal(heap_trace_init_standalone(recs, 8), ESP_OK);
    assert_int_equal(heap_trace_start(HEAP_TRACE_ALL), ESP_OK);
    /* The default clock counts events: it grows, frees included. */
    void *a = heap_caps_malloc(16, MALLOC_CAP_8BIT);
    void *b = heap_caps_malloc(16, MALLOC_CAP_8BIT);
    heap_caps_free(a);
    void *c = heap_caps_malloc(16, MALLOC_CAP_8BIT);
    assert_int_equal(rec_of(0).ccount, 1);
    assert_int_equal(rec_of(1).ccount, 2);
    assert_int_equal(rec_of(2).ccount, 4);
    capheap_trace_set_clock(fake_clock);
    fake_time = 5000;
    void *d = heap_caps_malloc(16, MALLOC_CAP_8BIT);
    assert_int_equal(rec_of(3).ccount, 6000);
    capheap_trace_set_clock(NULL);
    void *e = heap_caps_malloc(16, MALLOC_CAP_8BIT);
    assert_int_equal(rec_of(4).ccount, 6); /* the counter went on */
    heap_caps_free(b);
    heap_caps_free(c);
    heap_caps_free(d);
    heap_caps_free(e);
    assert_int_equal(heap_trace_stop(), ESP_OK);
}

/* ---- many records: the address table ----------------------------------- */

static void many_records_against_a_model(void **state) {
    (void)state;
    boot();
    enum { N = 3000, LIVE = 1200 }; /* several records per bucket */
    static heap_trace_record_t recs[2048];
    static void *live[LIVE];
    static size_t size_of[LIVE];
    memset(live, 0, sizeof live);
    ts_rng_t rng;
    ts_rng_seed(&rng, 0x7ACE);
    assert_int_equal(heap_trace_init_standalone(recs, 2048), ESP_OK);
    assert_int_equal(heap_trace_start(HEAP_TRACE_LEAKS), ESP_OK);
    size_t n_live = 0, allocs = 0, frees = 0;
    for (int step = 0; step < N; step++) {
        size_t i = (size_t)ts_rng_range(&rng, 0, LIVE - 1);
        if (live[i]) {
            heap_caps_free(live[i]);
            live[i] = NULL;
            n_live--;
            frees++;
        } else {
            size_of[i] = (size_t)ts_rng_range(&rng, 1, 200);
            live[i] = heap_caps_malloc(size_of[i], MALLOC_CAP_8BIT);
            assert_non_null(live[i]);
            n_live++;
            allocs++;
        }
        assert_int_equal(heap_trace_get_count(), n_live);
    }
    heap_trace_summary_t s = summary();
    assert_int_equal(s.total_allocations, allocs);
    assert_int_equal(s.total_frees, frees);
    assert_int_equal(s.total_hashmap_miss, 0);
    assert_false(s.has_overflowed);
    /* Every live block has its record, with its size, in allocation
     * order (timestamps grow). */
    uint32_t last = 0;
    for (size_t k = 0; k < n_live; k++) {
        heap_trace_record_t r = rec_of(k);
        assert_true(r.ccount > last);
        last = r.ccount;
        size_t i = 0;
        while (i < LIVE && live[i] != r.address)
            i++;
        assert_true(i < LIVE);
        assert_int_equal(r.size, size_of[i]);
    }
    for (size_t i = 0; i < LIVE; i++)
        heap_caps_free(live[i]);
    assert_int_equal(heap_trace_get_count(), 0);
    assert_int_equal(heap_trace_stop(), ESP_OK);
}

/* ---- dumps -------------------------------------------------------------- */

static char *dump_text(uint32_t caps, bool all) {
    FILE *f = tmpfile();
    assert_non_null(f);
    capheap_trace_set_output(f);
    if (all)
        heap_trace_dump();
    else
        heap_trace_dump_caps(caps);
    capheap_trace_set_output(NULL);
    long n = ftell(f);
    assert_true(n > 0);
    char *text = malloc((size_t)n + 1);
    assert_non_null(text);
    rewind(f);
    text[fread(text, 1, (size_t)n, f)] = '\0';
    fclose(f);
    return text;
}

static bool mentions(const char *text, const void *p) {
    char addr[32];
    snprintf(addr, sizeof addr, "%p ", p);
    return strstr(text, addr) != NULL;
}

/* "can dump only internal / only external / both" */
static void dump_by_caps_esp32(void **state) {
    (void)state;
    (void)heap_trace_stop();
    et_opts_t o = {"4M", false, true};
    et_boot_opts("esp32", o);
    static heap_trace_record_t recs[8];
    assert_int_equal(heap_trace_init_standalone(recs, 8), ESP_OK);
    assert_int_equal(heap_trace_start(HEAP_TRACE_LEAKS), ESP_OK);
    void *in = heap_caps_malloc(100, MALLOC_CAP_INTERNAL);
    void *ex = heap_caps_malloc(200, MALLOC_CAP_SPIRAM);
    void *code = heap_caps_malloc(64, MALLOC_CAP_EXEC); /* instruction bus */
    assert_non_null(in);
    assert_non_null(ex);
    assert_non_null(code);
    char *t = dump_text(MALLOC_CAP_INTERNAL, false);
    assert_true(mentions(t, in));
    assert_false(mentions(t, ex));
    assert_true(mentions(t, code));
    assert_non_null(strstr(t, "2 records shown, 164 bytes in 2 blocks"));
    free(t);
    t = dump_text(MALLOC_CAP_SPIRAM, false);
    assert_false(mentions(t, in));
    assert_true(mentions(t, ex));
    assert_false(mentions(t, code));
    assert_non_null(strstr(t, "1 records shown, 200 bytes in 1 blocks"));
    free(t);
    t = dump_text(MALLOC_CAP_INTERNAL | MALLOC_CAP_SPIRAM, false);
    assert_true(mentions(t, in) && mentions(t, ex) && mentions(t, code));
    free(t);
    heap_caps_free(in);
    heap_caps_free(ex);
    heap_caps_free(code);
    assert_int_equal(heap_trace_stop(), ESP_OK);
}

/* Any capability selects, not only INTERNAL and SPIRAM; freed records
 * (ALL) are shown as freed; the totals and the overflow are printed. */
static void dump_by_caps_stm32(void **state) {
    (void)state;
    boot();
    static heap_trace_record_t recs[3];
    assert_int_equal(heap_trace_init_standalone(recs, 3), ESP_OK);
    assert_int_equal(heap_trace_start(HEAP_TRACE_ALL), ESP_OK);
    void *tcm = heap_caps_malloc(100, MALLOC_CAP_TCM);
    void *dma = heap_caps_malloc(200, MALLOC_CAP_DMA);
    void *gone = heap_caps_malloc(300, MALLOC_CAP_DMA);
    heap_caps_free(gone);
    char *t = dump_text(MALLOC_CAP_TCM, false);
    assert_true(mentions(t, tcm));
    assert_false(mentions(t, dma));
    assert_non_null(strstr(t, "heap trace (all): 3 of 3 records"));
    free(t);
    t = dump_text(MALLOC_CAP_DMA, false);
    assert_false(mentions(t, tcm));
    assert_true(mentions(t, dma) && mentions(t, gone));
    assert_int_equal(et_count(t, "freed by"), 1);
    assert_non_null(strstr(t, "2 records shown, 200 bytes in 1 blocks"));
    assert_null(strstr(t, "overflowed"));
    free(t);
    void *more = heap_caps_malloc(8, MALLOC_CAP_8BIT); /* evicts tcm's */
    t = dump_text(0, true);
    assert_false(mentions(t, tcm));
    assert_true(mentions(t, dma) && mentions(t, gone) && mentions(t, more));
    assert_non_null(strstr(t, "4 allocations, 1 frees"));
    assert_non_null(strstr(t, "overflowed"));
    free(t);
    /* Where nothing is traced, the dump says so. */
    assert_int_equal(heap_trace_start(HEAP_TRACE_LEAKS), ESP_OK);
    t = dump_text(0, true);
    assert_non_null(strstr(t, "heap trace (leaks): 0 of 3 records"));
    assert_non_null(strstr(t, "0 records shown"));
    free(t);
    heap_caps_free(tcm);
    heap_caps_free(dma);
    heap_caps_free(more);
    assert_int_equal(heap_trace_stop(), ESP_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_buffer_yet), /* first: no buffer given yet */
        cmocka_unit_test(api_errors),
        cmocka_unit_test(leak_check),
        cmocka_unit_test(calloc_is_one_record),
        cmocka_unit_test(wrapped_buffer),
        cmocka_unit_test(pause_allocs_keeps_frees),
        cmocka_unit_test(summary_counts),
        cmocka_unit_test(all_mode_marks_frees),
        cmocka_unit_test(realloc_records),
        cmocka_unit_test(realloc_and_missed_frees_logic),
        cmocka_unit_test(callers_are_the_application),
        cmocka_unit_test(timestamps),
        cmocka_unit_test(many_records_against_a_model),
        cmocka_unit_test(dump_by_caps_esp32),
        cmocka_unit_test(dump_by_caps_stm32),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
