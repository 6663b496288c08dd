#define _POSIX_C_SOURCE 200809L
/*
 * test_hooks.c - ESP-IDF's allocation hooks (esp_heap_trace_alloc_hook,
 * esp_heap_trace_free_hook, defined here over capheap's weak ones) and the
 * capability layer's observer under them.
 *
 * ESP-IDF's "test allocation and free function hooks": the alloc hook sees
 * size 1234 for malloc, calloc, aligned_alloc and realloc, the free hook
 * the realloc'd pointer. Beyond it: what the hooks see for realloc in place
 * and moved, to 0 and from NULL; nothing for failed requests and NULL; a
 * block is still live in the free hook; the 2016 API; and an observer on a
 * capability heap of the test's own (per instance, with its user pointer
 * and the callers, removable), which the global heap's hooks do not see.
 */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "../compat/esp_test_env.h"
#include "capheap/malloc.h"
#include "capheap/system.h"
#include "esp_heap_alloc_caps.h"
#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"
#include "esp_heap_trace.h"

#if !CAPHEAP_HOOKS
#error "tests/debug/ builds with CAPHEAP_HOOKS=1"
#endif

#define NOINLINE __attribute__((noinline))

/* ---- the hooks ----------------------------------------------------------- */

enum { LOG = 16 };

typedef struct {
    char kind; /* 'a' alloc, 'f' free */
    void *ptr;
    size_t size;
    uint32_t caps;
    size_t live_size; /* 'f' with probe on: the block's size in the hook */
} event_t;

static struct {
    bool on;    /* record at all (cmocka and et_boot allocate too) */
    bool probe; /* ask the heap about a block in the free hook */
    int n;
    event_t ev[LOG];
} H;

void esp_heap_trace_alloc_hook(void *ptr, size_t size, uint32_t caps) {
    if (H.on && H.n < LOG)
        H.ev[H.n++] = (event_t){'a', ptr, size, caps, 0};
}

void esp_heap_trace_free_hook(void *ptr) {
    if (H.on && H.n < LOG)
        H.ev[H.n++] = (event_t){
            'f', ptr, 0, 0, H.probe ? heap_caps_get_allocated_size(ptr) : 0};
}

static void boot(void) {
    et_boot("stm32h743");
    memset(&H, 0, sizeof H);
    H.on = true;
}

static void reset(void) {
    H.n = 0;
}

static void expect_alloc(int i, void *ptr, size_t size, uint32_t caps) {
    assert_true(i < H.n);
    assert_int_equal(H.ev[i].kind, 'a');
    assert_ptr_equal(H.ev[i].ptr, ptr);
    assert_int_equal(H.ev[i].size, size);
    assert_int_equal(H.ev[i].caps, caps);
}

static void expect_free(int i, void *ptr) {
    assert_true(i < H.n);
    assert_int_equal(H.ev[i].kind, 'f');
    assert_ptr_equal(H.ev[i].ptr, ptr);
}

/* ---- ESP-IDF's test -------------------------------------------------------
 */

static void alloc_and_free_hooks(void **state) {
    (void)state;
    boot();
    const uint32_t dflt = MALLOC_CAP_DEFAULT | MALLOC_CAP_INTERNAL;
    struct {
        void *p;
        uint32_t caps;
    } made[6];
    reset();
    made[0].p = capheap_malloc(1234);
    made[0].caps = dflt;
    made[1].p = heap_caps_malloc(1234, MALLOC_CAP_8BIT);
    made[1].caps = MALLOC_CAP_8BIT;
    made[2].p = capheap_calloc(1, 1234);
    made[2].caps = dflt;
    made[3].p = heap_caps_calloc(2, 617, MALLOC_CAP_8BIT);
    made[3].caps = MALLOC_CAP_8BIT;
    made[4].p = heap_caps_aligned_alloc(16, 1234, MALLOC_CAP_8BIT);
    made[4].caps = MALLOC_CAP_8BIT;
    made[5].p = capheap_aligned_alloc(64, 1234);
    made[5].caps = dflt;
    assert_int_equal(H.n, 6);
    for (int i = 0; i < 6; i++) {
        assert_non_null(made[i].p);
        expect_alloc(i, made[i].p, 1234, made[i].caps);
    }
    reset();
    for (int i = 0; i < 6; i++)
        heap_caps_free(made[i].p);
    assert_int_equal(H.n, 6);
    for (int i = 0; i < 6; i++)
        expect_free(i, made[i].p);

    /* realloc to 32BIT: the alloc hook with 1234, and the realloc'd
     * pointer is what the free hook gets at last. */
    void *a = capheap_malloc(64);
    reset();
    void *b = heap_caps_realloc(a, 1234, MALLOC_CAP_32BIT);
    assert_non_null(b);
    expect_alloc(0, b, 1234, MALLOC_CAP_32BIT);
    if (b != a) {
        assert_int_equal(H.n, 2);
        expect_free(1, a); /* the old block, after the new one's hook */
    } else {
        assert_int_equal(H.n, 1);
    }
    reset();
    capheap_free(b);
    assert_int_equal(H.n, 1);
    expect_free(0, b);
}

/* ---- realloc's cases
 * --------------------------------------------------------- */

static void realloc_hooks(void **state) {
    (void)state;
    boot();
    /* From NULL: an allocation only. */
    reset();
    void *p = heap_caps_realloc(NULL, 300, MALLOC_CAP_8BIT);
    assert_int_equal(H.n, 1);
    expect_alloc(0, p, 300, MALLOC_CAP_8BIT);
    /* Moved to memory with other capabilities: the new block, then the old
     * one freed. */
    reset();
    void *q = heap_caps_realloc(p, 400, MALLOC_CAP_TCM);
    assert_non_null(q);
    assert_ptr_not_equal(q, p);
    assert_int_equal(H.n, 2);
    expect_alloc(0, q, 400, MALLOC_CAP_TCM);
    expect_free(1, p);
    /* Shrunk: in place where the heap can (comprehensive poisoning always
     * moves), then the alloc hook alone. */
    reset();
    void *r = heap_caps_realloc(q, 100, MALLOC_CAP_TCM);
    expect_alloc(0, r, 100, MALLOC_CAP_TCM);
    if (r == q) {
        assert_int_equal(H.n, 1);
    } else {
        assert_int_equal(H.n, 2);
        expect_free(1, q);
    }
    /* To 0: a free only. */
    reset();
    assert_null(capheap_realloc(r, 0));
    assert_int_equal(H.n, 1);
    expect_free(0, r);
    /* A failed realloc: nothing, and the block stays. */
    void *s = capheap_malloc(50);
    reset();
    assert_null(heap_caps_realloc(s, 50, MALLOC_CAP_INVALID));
    assert_null(capheap_realloc(s, (size_t)64 << 20));
    assert_int_equal(H.n, 0);
    capheap_free(s);
}

/* ---- what calls no hook
 * ------------------------------------------------------ */

static void nothing_for_failures_and_null(void **state) {
    (void)state;
    boot();
    reset();
    assert_null(capheap_malloc(0));
    assert_null(heap_caps_malloc(0, MALLOC_CAP_8BIT));
    assert_null(heap_caps_malloc(64, MALLOC_CAP_INVALID));
    assert_null(heap_caps_malloc((size_t)64 << 20, MALLOC_CAP_8BIT));
    assert_null(heap_caps_calloc(SIZE_MAX / 2, 4, MALLOC_CAP_8BIT));
    assert_null(heap_caps_aligned_alloc(3, 64, MALLOC_CAP_8BIT));
    assert_null(heap_caps_malloc_prefer(64, 1, MALLOC_CAP_INVALID));
    capheap_free(NULL);
    heap_caps_free(NULL);
    vPortFree(NULL);
    capheap_caps_free(heap_caps_capheap(), NULL);
    assert_int_equal(H.n, 0);
    assert_true(ts_failed.calls > 0); /* the failures did happen */
}

/* A refused free is no free: a double free, a foreign or an interior
 * pointer reach the error hook but not the free hook (nor the trace). */
static void no_free_hook_for_refused_frees(void **state) {
    (void)state;
    boot();
    char *p = heap_caps_malloc(100, MALLOC_CAP_8BIT);
    void *x = heap_caps_malloc(64, MALLOC_CAP_EXEC);
    assert_non_null(p);
    assert_non_null(x);
    heap_caps_free(p);
    heap_caps_free(x);
    reset();
    ts_errors_reset();
    static int not_heap;
    heap_caps_free(p);         /* double free */
    heap_caps_free(x);         /* double free of an alias pointer */
    heap_caps_free(&not_heap); /* foreign */
    char *q = heap_caps_malloc(100, MALLOC_CAP_8BIT);
    reset();
    heap_caps_free(q + 16); /* interior */
    assert_int_equal(H.n, 0);
    assert_int_equal(ts_errors()->count, 4);
    heap_caps_free(q);
    assert_int_equal(H.n, 1);
    expect_free(0, q);
}

/* The free hook runs while the block is still the application's: no other
 * thread can have been given its memory yet. */
static void free_hook_sees_a_live_block(void **state) {
    (void)state;
    boot();
    void *p = heap_caps_malloc(500, MALLOC_CAP_8BIT);
    void *x = heap_caps_malloc(64, MALLOC_CAP_EXEC); /* an alias on some */
    assert_non_null(p);
    assert_non_null(x);
    reset();
    H.probe = true;
    heap_caps_free(p);
    heap_caps_free(x);
    H.probe = false;
    assert_int_equal(H.n, 2);
    expect_free(0, p);
    assert_true(H.ev[0].live_size >= 500);
    expect_free(1, x);
    assert_true(H.ev[1].live_size >= 64);
    assert_int_equal(ts_errors()->count, 0);
}

static void the_2016_api_too(void **state) {
    (void)state;
    boot();
    reset();
    void *p = pvPortMalloc(77);
    void *q = pvPortMallocCaps(88, MALLOC_CAP_32BIT);
    vPortFree(p);
    vPortFree(q);
    assert_int_equal(H.n, 4);
    expect_alloc(0, p, 77, MALLOC_CAP_8BIT);
    expect_alloc(1, q, 88, MALLOC_CAP_32BIT);
    expect_free(2, p);
    expect_free(3, q);
}

/* ---- an observer of the test's own heap ------------------------------------
 */

enum { ARENA = 64 * 1024 };

typedef struct {
    int allocs, frees, reallocs;
    void *ptr, *old;
    size_t size, live_size;
    uint32_t caps;
    const void *caller;
    capheap_caps_t *ch;
} seen_t;

static void seen_alloc(void *user, void *ptr, size_t size, uint32_t caps,
                       const void *caller) {
    seen_t *s = user;
    s->allocs++;
    s->ptr = ptr;
    s->size = size;
    s->caps = caps;
    s->caller = caller;
}

static void seen_free(void *user, void *ptr, const void *caller) {
    seen_t *s = user;
    s->frees++;
    s->ptr = ptr;
    s->caller = caller;
    s->live_size = capheap_caps_usable_size(s->ch, ptr);
}

static void seen_realloc(void *user, void *old_ptr, void *new_ptr, size_t size,
                         uint32_t caps, const void *caller) {
    seen_t *s = user;
    s->reallocs++;
    s->old = old_ptr;
    s->ptr = new_ptr;
    s->size = size;
    s->caps = caps;
    s->caller = caller;
}

static volatile uintptr_t last_here;

NOINLINE static const void *here(void) {
    const void *r = __builtin_return_address(0);
    last_here = (uintptr_t)r;
    return r;
}

static bool between(const void *addr, const void *lo, const void *hi) {
    return (uintptr_t)addr > (uintptr_t)lo && (uintptr_t)addr < (uintptr_t)hi;
}

static void observer_of_a_heap(void **state) {
    (void)state;
    boot(); /* the global heap, whose hooks must see nothing of this one */
    void *arena = ts_arena(ARENA);
    static const capheap_mem_type_t types[] = {
        {"RAM",
         {CAPHEAP_CAP_8BIT | CAPHEAP_CAP_32BIT,
          CAPHEAP_CAP_DEFAULT | CAPHEAP_CAP_INTERNAL, 0}},
    };
    capheap_region_desc_t region = {(uintptr_t)arena, ARENA, 0, false, 0, 0};
    capheap_chip_t chip = {.name = "arena",
                           .types = types,
                           .type_count = 1,
                           .regions = &region,
                           .region_count = 1,
                           .dma_lo = (uintptr_t)arena,
                           .dma_hi = (uintptr_t)arena + ARENA,
                           .cache_line = 32,
                           .simd_align = 16,
                           .max_alloc = ARENA};
    static capheap_caps_t ch;
    assert_int_equal(capheap_caps_init(&ch, &chip, NULL, NULL, 0), CAPHEAP_OK);
    seen_t s;
    memset(&s, 0, sizeof s);
    s.ch = &ch;
    const capheap_caps_observer_t obs = {seen_alloc, seen_free, seen_realloc,
                                         &s};
    capheap_caps_set_observer(&ch, &obs);
    reset();

    const void *lo = here();
    void *p = capheap_caps_alloc(&ch, 100, CAPHEAP_CAP_8BIT);
    const void *hi = here();
    assert_non_null(p);
    assert_int_equal(s.allocs, 1);
    assert_ptr_equal(s.ptr, p);
    assert_int_equal(s.size, 100);
    assert_int_equal(s.caps, CAPHEAP_CAP_8BIT);
    assert_true(between(s.caller, lo, hi));

    /* The caller named explicitly, as a wrapper names its own. */
    int token;
    void *a =
        capheap_caps_aligned_alloc_by(&ch, 256, 10, CAPHEAP_CAP_32BIT, &token);
    assert_non_null(a);
    assert_int_equal((uintptr_t)a % 256, 0);
    assert_int_equal(s.allocs, 2);
    assert_ptr_equal(s.caller, &token);
    assert_int_equal(s.size, 10);

    /* Failures tell nothing. */
    assert_null(capheap_caps_alloc(&ch, ARENA * 2, CAPHEAP_CAP_8BIT));
    assert_null(capheap_caps_alloc(&ch, 10, CAPHEAP_CAP_SPIRAM));
    assert_null(capheap_caps_aligned_alloc(&ch, 3, 10, CAPHEAP_CAP_8BIT));
    assert_int_equal(s.allocs, 2);

    /* realloc: in place or moved, one event either way. */
    void *q = capheap_caps_realloc_by(&ch, p, 2000, CAPHEAP_CAP_8BIT, &token);
    assert_non_null(q);
    assert_int_equal(s.reallocs, 1);
    assert_ptr_equal(s.old, p);
    assert_ptr_equal(s.ptr, q);
    assert_int_equal(s.size, 2000);
    assert_ptr_equal(s.caller, &token);
    assert_int_equal(s.allocs, 2);
    assert_int_equal(s.frees, 0);
    /* From NULL it is an allocation, to 0 a free. */
    void *n = capheap_caps_realloc(&ch, NULL, 30, CAPHEAP_CAP_8BIT);
    assert_int_equal(s.allocs, 3);
    assert_ptr_equal(s.ptr, n);
    lo = here();
    assert_null(capheap_caps_realloc(&ch, n, 0, CAPHEAP_CAP_8BIT));
    hi = here();
    assert_int_equal(s.frees, 1);
    assert_ptr_equal(s.ptr, n);
    assert_true(between(s.caller, lo, hi));
    assert_int_equal(s.reallocs, 1);

    /* Free: told while the block is still live. */
    capheap_caps_free(&ch, q);
    assert_int_equal(s.frees, 2);
    assert_ptr_equal(s.ptr, q);
    assert_true(s.live_size >= 2000);
    capheap_caps_free(&ch, NULL);
    assert_int_equal(s.frees, 2);

    /* The global heap's hooks saw none of it. */
    assert_int_equal(H.n, 0);

    /* Removed, or the heap rebuilt: no more events. */
    capheap_caps_set_observer(&ch, NULL);
    capheap_caps_free(&ch, a);
    void *z = capheap_caps_alloc(&ch, 10, CAPHEAP_CAP_8BIT);
    assert_int_equal(s.frees, 2);
    assert_int_equal(s.allocs, 3);
    capheap_caps_free(&ch, z);
    capheap_caps_set_observer(&ch, &obs);
    assert_int_equal(capheap_caps_init(&ch, &chip, NULL, NULL, 0), CAPHEAP_OK);
    z = capheap_caps_alloc(&ch, 10, CAPHEAP_CAP_8BIT);
    assert_int_equal(s.allocs, 3);
    capheap_caps_free(&ch, z);
    assert_int_equal(ts_errors()->count, 0);
    ts_arena_free(arena);
}

/* Every entry point over the system heap names its own caller (this test
 * function) to the observer, through each layer it passes (malloc's policy,
 * the capability layer), and each _by variant the caller it is given. */
#define EXPECT_CALL(s, call, what)                                             \
    do {                                                                       \
        const void *lo_ = here();                                              \
        call;                                                                  \
        const void *hi_ = here();                                              \
        if (!between((s).caller, lo_, hi_))                                    \
            fail_msg("%s named %p, not its caller", what, (s).caller);         \
    } while (0)

static void system_heap_names_callers(void **state) {
    (void)state;
    boot();
    capheap_caps_t *ch = capheap_system();
    seen_t s;
    memset(&s, 0, sizeof s);
    s.ch = ch;
    const capheap_caps_observer_t obs = {seen_alloc, seen_free, seen_realloc,
                                         &s};
    capheap_caps_set_observer(ch, &obs); /* instead of the hooks' */
    void *p = NULL, *q = NULL;
    int token, rc = 0;

    EXPECT_CALL(s, p = capheap_malloc(40), "capheap_malloc");
    EXPECT_CALL(s, q = capheap_realloc(p, 4000), "capheap_realloc");
    EXPECT_CALL(s, capheap_free(q), "capheap_free");
    EXPECT_CALL(s, p = capheap_calloc(3, 7), "capheap_calloc");
    EXPECT_CALL(s, capheap_free(p), "capheap_free");
    EXPECT_CALL(s, p = capheap_memalign(64, 10), "capheap_memalign");
    EXPECT_CALL(s, heap_caps_free(p), "heap_caps_free");
    EXPECT_CALL(s, p = capheap_aligned_alloc(64, 10), "capheap_aligned_alloc");
    EXPECT_CALL(s, heap_caps_aligned_free(p), "heap_caps_aligned_free");
    EXPECT_CALL(s, rc = capheap_posix_memalign(&p, 64, 10),
                "capheap_posix_memalign");
    assert_int_equal(rc, 0);
    EXPECT_CALL(s, capheap_system_free(p), "capheap_system_free");
    EXPECT_CALL(s, p = heap_caps_malloc(10, MALLOC_CAP_8BIT),
                "heap_caps_malloc");
    EXPECT_CALL(s, vPortFree(p), "vPortFree");
    EXPECT_CALL(s, p = pvPortMallocCaps(10, MALLOC_CAP_8BIT),
                "pvPortMallocCaps");
    EXPECT_CALL(s, p = heap_caps_realloc(p, 300, MALLOC_CAP_8BIT),
                "heap_caps_realloc");
    EXPECT_CALL(s, heap_caps_free(p), "heap_caps_free");
    EXPECT_CALL(s, p = capheap_system_malloc(12), "capheap_system_malloc");
    EXPECT_CALL(s, p = capheap_system_realloc(p, 900),
                "capheap_system_realloc");
    EXPECT_CALL(s, capheap_system_free(p), "capheap_system_free");
    EXPECT_CALL(s, p = capheap_system_aligned_alloc(32, 12),
                "capheap_system_aligned_alloc");
    EXPECT_CALL(s, capheap_system_free(p), "capheap_system_free");
    int allocs = s.allocs, frees = s.frees, reallocs = s.reallocs;
    assert_int_equal(allocs, 9);
    assert_int_equal(frees, 9);
    assert_int_equal(reallocs, 3);

    /* The _by variants name the caller given. */
    p = capheap_malloc_by(40, &token);
    assert_ptr_equal(s.caller, &token);
    s.caller = NULL;
    p = capheap_realloc_by(p, 3000, &token);
    assert_ptr_equal(s.caller, &token);
    s.caller = NULL;
    capheap_free_by(p, &token);
    assert_ptr_equal(s.caller, &token);
    s.caller = NULL;
    p = capheap_calloc_by(2, 9, &token);
    assert_ptr_equal(s.caller, &token);
    capheap_system_free_by(p, &token);
    s.caller = NULL;
    p = capheap_memalign_by(32, 9, &token);
    assert_ptr_equal(s.caller, &token);
    s.caller = NULL;
    capheap_free_by(p, &token);
    assert_ptr_equal(s.caller, &token);
    s.caller = NULL;
    p = capheap_aligned_alloc_by(32, 9, &token);
    assert_ptr_equal(s.caller, &token);
    capheap_free(p);
    s.caller = NULL;
    assert_int_equal(capheap_posix_memalign_by(&p, 32, 9, &token), 0);
    assert_ptr_equal(s.caller, &token);
    capheap_free(p);
    s.caller = NULL;
    p = capheap_system_malloc_by(5, &token);
    assert_ptr_equal(s.caller, &token);
    s.caller = NULL;
    p = capheap_system_realloc_by(p, 500, &token);
    assert_ptr_equal(s.caller, &token);
    capheap_free(p);
    s.caller = NULL;
    p = capheap_system_aligned_alloc_by(16, 5, &token);
    assert_ptr_equal(s.caller, &token);
    capheap_free(p);
    assert_int_equal(s.allocs, allocs + 7);
    assert_int_equal(ts_errors()->count, 0);
    capheap_caps_set_observer(ch, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(alloc_and_free_hooks),
        cmocka_unit_test(realloc_hooks),
        cmocka_unit_test(nothing_for_failures_and_null),
        cmocka_unit_test(no_free_hook_for_refused_frees),
        cmocka_unit_test(free_hook_sees_a_live_block),
        cmocka_unit_test(the_2016_api_too),
        cmocka_unit_test(observer_of_a_heap),
        cmocka_unit_test(system_heap_names_callers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
