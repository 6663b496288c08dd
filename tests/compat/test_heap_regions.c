/*
 * test_heap_regions.c - the 2016 tagged-region API over the core: define,
 * allocate by tag, free, per-tag sizes, and every way to get it wrong.
 */
#include "test_support.h"

#include <string.h>

#include "heap_regions.h"
#include "multi_heap.h"

_Static_assert(HEAPREGIONS_MAX_TAGCOUNT == 32, "32 tags");
/* Without FreeRTOS, capheap supplies BaseType_t as long. */
#ifndef CAPHEAP_BASETYPE_T_DEFINED
#error "heap_regions.h did not supply BaseType_t"
#endif
_Static_assert(_Generic((BaseType_t)0, long : 1, default : 0),
               "fallback BaseType_t is long");

#define A      ((size_t)CAPHEAP_ALIGNMENT)
#define OP     "vPortDefineHeapRegionsTagged"
#define ARENA  (96 * 1024)
#define FILLER 0xA5

static unsigned char *arena;

/* Three regions of two tags, in address order, with odd starts and sizes. */
static HeapRegionTagged_t layout[4];

static void make_layout(void) {
    layout[0] = (HeapRegionTagged_t){arena + 64, 16384, 0, 0};
    layout[1] = (HeapRegionTagged_t){arena + 20000 + 3, 12001, 1, 0x400A0000u};
    layout[2] = (HeapRegionTagged_t){arena + 40000 + 5, 9999, 0, 0x400B0000u};
    layout[3] = (HeapRegionTagged_t){NULL, 0, 0, 0};
}

static int setup(void **state) {
    (void)state;
    ts_errors_install();
    capheap_heap_regions_reset_for_test();
    arena = ts_arena(ARENA);
    memset(arena, FILLER, ARENA);
    make_layout();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    capheap_heap_regions_reset_for_test();
    ts_arena_free(arena);
    return 0;
}

static capheap_heap_t *core(void) {
    capheap_heap_t *h = capheap_heap_regions_heap();
    assert_non_null(h);
    return h;
}

static int in_region(const HeapRegionTagged_t *r, const void *p, size_t n) {
    uintptr_t a = (uintptr_t)p, s = (uintptr_t)r->pucStartAddress;
    return a >= s && a + n <= s + r->xSizeInBytes;
}

static int untouched(size_t from, size_t to) {
    for (size_t i = from; i < to; i++) {
        if (arena[i] != FILLER)
            return 0;
    }
    return 1;
}

/* The define call must have been refused with @p err at @p addr, leaving
 * the heap undefined and the arena as it was. */
static void assert_refused(capheap_err_t err, const void *addr) {
    assert_int_equal(ts_errors()->count, 1);
    assert_int_equal(ts_errors()->last, err);
    assert_ptr_equal(ts_errors()->last_addr, addr);
    assert_string_equal(ts_errors()->last_op, OP);
    assert_null(capheap_heap_regions_heap());
    assert_int_equal(capheap_heap_regions_count(), 0);
    assert_null(capheap_heap_regions_region(0));
    assert_int_equal(xPortGetFreeHeapSizeTagged(0), 0);
    ts_errors_reset();
}

/* ---- define and allocate -------------------------------------------- */

static void define_and_allocate(void **state) {
    (void)state;
    vPortDefineHeapRegionsTagged(layout);
    assert_int_equal(ts_errors()->count, 0);
    ts_assert_heap_ok(core());
    assert_int_equal(capheap_heap_regions_count(), 3);
    for (size_t i = 0; i < 3; i++) {
        const HeapRegionTagged_t *r = capheap_heap_regions_region(i);
        assert_non_null(r);
        assert_ptr_equal(r->pucStartAddress, layout[i].pucStartAddress);
        assert_int_equal(r->xSizeInBytes, layout[i].xSizeInBytes);
        assert_int_equal(r->xTag, layout[i].xTag);
        assert_int_equal(r->xExecAddr, layout[i].xExecAddr);
    }
    assert_null(capheap_heap_regions_region(3));

    size_t f0 = xPortGetFreeHeapSizeTagged(0);
    size_t f1 = xPortGetFreeHeapSizeTagged(1);
    /* Both tag-0 regions count; bookkeeping costs a bounded amount. */
    assert_true(f0 < 16384 + 9999);
    assert_true(f0 > 16384 + 9999 - 1024);
    assert_true(f1 < 12001);
    assert_true(f1 > 12001 - 1024);
    assert_int_equal(xPortGetMinimumEverFreeHeapSizeTagged(0), f0);
    assert_int_equal(xPortGetMinimumEverFreeHeapSizeTagged(1), f1);

    unsigned char *p = pvPortMallocTagged(100, 0);
    unsigned char *q = pvPortMallocTagged(100, 1);
    assert_non_null(p);
    assert_non_null(q);
    assert_int_equal((uintptr_t)p % A, 0);
    assert_int_equal((uintptr_t)q % A, 0);
    assert_true(in_region(&layout[0], p, 100) || in_region(&layout[2], p, 100));
    assert_true(in_region(&layout[1], q, 100));
    ts_fill(p, 100, 1);
    ts_fill(q, 100, 2);
    assert_true(xPortGetFreeHeapSizeTagged(0) <= f0 - 100);
    assert_true(xPortGetFreeHeapSizeTagged(1) <= f1 - 100);
    assert_int_equal(capheap_heap_block_tag(core(), p), 0);
    assert_int_equal(capheap_heap_block_tag(core(), q), 1);
    ts_assert_heap_ok(core());
    assert_true(ts_verify(p, 100, 1));
    assert_true(ts_verify(q, 100, 2));
    vPortFreeTagged(p);
    vPortFreeTagged(q);
    vPortFreeTagged(NULL);
    assert_int_equal(xPortGetFreeHeapSizeTagged(0), f0);
    assert_int_equal(xPortGetFreeHeapSizeTagged(1), f1);
    assert_true(xPortGetMinimumEverFreeHeapSizeTagged(0) < f0);
    assert_true(xPortGetMinimumEverFreeHeapSizeTagged(1) < f1);
    ts_assert_heap_ok(core());
    assert_int_equal(ts_errors()->count, 0);
    /* Nothing outside the regions was written. */
    assert_true(untouched(0, 64));
    assert_true(untouched(64 + 16384, 20003));
    assert_true(untouched(20003 + 12001, 40005));
    assert_true(untouched(40005 + 9999, ARENA));
}

static void tags_without_regions(void **state) {
    (void)state;
    vPortDefineHeapRegionsTagged(layout);
    static const BaseType_t tags[] = {2, 31, 32, 1000, -1, -2, -1000};
    for (size_t k = 0; k < sizeof tags / sizeof tags[0]; k++) {
        assert_null(pvPortMallocTagged(16, tags[k]));
        assert_int_equal(xPortGetFreeHeapSizeTagged(tags[k]), 0);
        assert_int_equal(xPortGetMinimumEverFreeHeapSizeTagged(tags[k]), 0);
    }
    assert_int_equal(ts_errors()->count, 0);
    ts_assert_heap_ok(core());
}

static void tags_kept_apart(void **state) {
    (void)state;
    vPortDefineHeapRegionsTagged(layout);
    size_t f0 = xPortGetFreeHeapSizeTagged(0);
    size_t f1 = xPortGetFreeHeapSizeTagged(1);
    /* Exhaust tag 1: every block from its region, tag 0 unaffected. */
    void *head = NULL, *p;
    size_t n = 0;
    while ((p = pvPortMallocTagged(200, 1)) != NULL) {
        assert_true(in_region(&layout[1], p, 200));
        *(void **)p = head;
        head = p;
        n++;
    }
    assert_true(n >= 12001 / 256);
    assert_int_equal(xPortGetFreeHeapSizeTagged(0), f0);
    /* Tag 0 still serves, from its own regions. */
    p = pvPortMallocTagged(200, 0);
    assert_non_null(p);
    assert_false(in_region(&layout[1], p, 1));
    vPortFreeTagged(p);
    ts_assert_heap_ok(core());
    while (head) {
        void *next = *(void **)head;
        vPortFreeTagged(head);
        head = next;
    }
    assert_int_equal(xPortGetFreeHeapSizeTagged(1), f1);
    assert_int_equal(xPortGetFreeHeapSizeTagged(0), f0);
    ts_assert_heap_ok(core());
}

static void random_tagged_ops(void **state) {
    (void)state;
    vPortDefineHeapRegionsTagged(layout);
    size_t f0 = xPortGetFreeHeapSizeTagged(0);
    size_t f1 = xPortGetFreeHeapSizeTagged(1);
    enum { SLOTS = 64 };
    void *p[SLOTS] = {0};
    size_t len[SLOTS] = {0};
    BaseType_t tag[SLOTS] = {0};
    ts_rng_t r;
    ts_rng_seed(&r, 77);
    for (uint32_t op = 0; op < 3000; op++) {
        size_t i = (size_t)ts_rng_range(&r, 0, SLOTS - 1);
        if (p[i]) {
            assert_true(ts_verify(p[i], len[i], (uint32_t)i));
            vPortFreeTagged(p[i]);
        }
        tag[i] = (BaseType_t)ts_rng_range(&r, 0, 1);
        len[i] = (size_t)ts_rng_range(&r, 1, 2000);
        p[i] = pvPortMallocTagged(len[i], tag[i]);
        if (p[i]) {
            const HeapRegionTagged_t *reg =
                capheap_heap_regions_containing(p[i]);
            assert_non_null(reg);
            assert_int_equal(reg->xTag, tag[i]);
            assert_true(in_region(reg, p[i], len[i]));
            ts_fill(p[i], len[i], (uint32_t)i);
        }
        ts_assert_heap_ok(core());
    }
    for (size_t i = 0; i < SLOTS; i++)
        vPortFreeTagged(p[i]);
    assert_int_equal(xPortGetFreeHeapSizeTagged(0), f0);
    assert_int_equal(xPortGetFreeHeapSizeTagged(1), f1);
    assert_int_equal(ts_errors()->count, 0);
}

/* ---- ignored entries ------------------------------------------------ */

static void ignored_regions(void **state) {
    (void)state;
    HeapRegionTagged_t r[] = {
        /* Ignored entries are skipped entirely: out of order, overlapping
         * live ones, even with a tag that would be invalid. */
        {arena + 70000, 8000, -1, 0},
        {arena + 64, 16384, 0, 0},
        {arena + 16000, 4000, -1, 0}, /* overlaps the region before */
        {arena + 30000, 8000, 1, 0},
        {arena + 50000, 8000, -1, 0},
        {NULL, 0, 0, 0},
    };
    vPortDefineHeapRegionsTagged(r);
    assert_int_equal(ts_errors()->count, 0);
    assert_int_equal(capheap_heap_regions_count(), 2);
    assert_ptr_equal(capheap_heap_regions_region(0)->pucStartAddress,
                     arena + 64);
    assert_ptr_equal(capheap_heap_regions_region(1)->pucStartAddress,
                     arena + 30000);
    assert_null(capheap_heap_regions_containing(arena + 50000));
    assert_null(capheap_heap_regions_containing(arena + 70000));
    /* The ignored memory is never used, even when every tag is full. */
    size_t total = 0;
    for (BaseType_t t = 0; t < 2; t++) {
        void *p;
        while ((p = pvPortMallocTagged(64, t)) != NULL) {
            memset(p, 0, 64);
            total++;
        }
    }
    assert_true(total > 250);
    assert_true(untouched(64 + 16384, 30000));
    assert_true(untouched(38000, ARENA));
    ts_assert_heap_ok(core());
}

/* ---- refusals ------------------------------------------------------- */

static void second_define_rejected(void **state) {
    (void)state;
    vPortDefineHeapRegionsTagged(layout);
    void *p = pvPortMallocTagged(128, 0);
    assert_non_null(p);
    ts_fill(p, 128, 9);
    size_t f0 = xPortGetFreeHeapSizeTagged(0);
    size_t f1 = xPortGetFreeHeapSizeTagged(1);
    HeapRegionTagged_t other[] = {{arena + 60000, 8000, 2, 0}, {NULL, 0, 0, 0}};
    vPortDefineHeapRegionsTagged(other);
    assert_int_equal(ts_errors()->count, 1);
    assert_int_equal(ts_errors()->last, CAPHEAP_ERR_INVALID_ARG);
    assert_ptr_equal(ts_errors()->last_addr, other);
    assert_string_equal(ts_errors()->last_op, OP);
    vPortDefineHeapRegionsTagged(layout); /* the same array again */
    assert_int_equal(ts_errors()->count, 2);
    assert_ptr_equal(ts_errors()->last_addr, layout);
    /* Nothing changed. */
    assert_true(untouched(60000, 68000));
    assert_int_equal(capheap_heap_regions_count(), 3);
    assert_int_equal(xPortGetFreeHeapSizeTagged(0), f0);
    assert_int_equal(xPortGetFreeHeapSizeTagged(1), f1);
    assert_int_equal(xPortGetFreeHeapSizeTagged(2), 0);
    assert_null(pvPortMallocTagged(16, 2));
    assert_true(ts_verify(p, 128, 9));
    vPortFreeTagged(p);
    ts_assert_heap_ok(core());
}

static void bad_arrays(void **state) {
    (void)state;
    vPortDefineHeapRegionsTagged(NULL);
    assert_refused(CAPHEAP_ERR_INVALID_ARG, NULL);

    HeapRegionTagged_t empty[] = {{arena, 0, 0, 0}};
    vPortDefineHeapRegionsTagged(empty);
    assert_refused(CAPHEAP_ERR_INVALID_ARG, empty);

    HeapRegionTagged_t all_ignored[] = {{arena, 4096, -1, 0}, {NULL, 0, 0, 0}};
    vPortDefineHeapRegionsTagged(all_ignored);
    assert_refused(CAPHEAP_ERR_INVALID_ARG, all_ignored);

    HeapRegionTagged_t r[4];
    static const BaseType_t bad_tags[] = {32, 33, 1000, -2, -1000};
    for (size_t k = 0; k < sizeof bad_tags / sizeof bad_tags[0]; k++) {
        r[0] = (HeapRegionTagged_t){arena, 4096, 0, 0};
        r[1] = (HeapRegionTagged_t){arena + 8192, 4096, bad_tags[k], 0};
        r[2] = (HeapRegionTagged_t){NULL, 0, 0, 0};
        vPortDefineHeapRegionsTagged(r);
        assert_refused(CAPHEAP_ERR_INVALID_ARG, &r[1]);
    }

    r[0] = (HeapRegionTagged_t){NULL, 4096, 0, 0};
    r[1] = (HeapRegionTagged_t){NULL, 0, 0, 0};
    vPortDefineHeapRegionsTagged(r);
    assert_refused(CAPHEAP_ERR_INVALID_ARG, &r[0]);

    /* A range that wraps around the address space (never touched). */
    r[0] = (HeapRegionTagged_t){(uint8_t *)(UINTPTR_MAX - 100), 4096, 0, 0};
    vPortDefineHeapRegionsTagged(r);
    assert_refused(CAPHEAP_ERR_INVALID_ARG, &r[0]);

    /* Not sorted. */
    r[0] = (HeapRegionTagged_t){arena + 8192, 4096, 0, 0};
    r[1] = (HeapRegionTagged_t){arena, 4096, 1, 0};
    r[2] = (HeapRegionTagged_t){NULL, 0, 0, 0};
    vPortDefineHeapRegionsTagged(r);
    assert_refused(CAPHEAP_ERR_INVALID_ARG, &r[1]);

    /* Overlapping, by one byte. */
    r[0] = (HeapRegionTagged_t){arena, 4097, 0, 0};
    r[1] = (HeapRegionTagged_t){arena + 4096, 4096, 1, 0};
    vPortDefineHeapRegionsTagged(r);
    assert_refused(CAPHEAP_ERR_OVERLAP, &r[1]);

    /* Duplicate entry. */
    r[0] = (HeapRegionTagged_t){arena, 4096, 0, 0};
    r[1] = r[0];
    vPortDefineHeapRegionsTagged(r);
    assert_refused(CAPHEAP_ERR_OVERLAP, &r[1]);

    /* One region more than the heap object holds. */
    enum { N = CAPHEAP_HEAP_REGIONS_MAX_REGIONS + 1 };
    static HeapRegionTagged_t many[N + 1];
    for (size_t i = 0; i < N; i++)
        many[i] = (HeapRegionTagged_t){arena + i * 1024, 1024, 0, 0};
    many[N] = (HeapRegionTagged_t){NULL, 0, 0, 0};
    vPortDefineHeapRegionsTagged(many);
    assert_refused(CAPHEAP_ERR_NO_SLOT, &many[N - 1]);

    /* Too small for the core, as the only region. */
    r[0] = (HeapRegionTagged_t){arena, 40, 0, 0};
    r[1] = (HeapRegionTagged_t){NULL, 0, 0, 0};
    vPortDefineHeapRegionsTagged(r);
    assert_refused(CAPHEAP_ERR_TOO_SMALL, &r[0]);

    assert_true(untouched(0, ARENA));

    /* Too small after a good region: refused the same way (the good region
     * may carry headers by then, as documented). */
    r[0] = (HeapRegionTagged_t){arena, 4096, 0, 0};
    r[1] = (HeapRegionTagged_t){arena + 8192, 40, 1, 0};
    r[2] = (HeapRegionTagged_t){NULL, 0, 0, 0};
    vPortDefineHeapRegionsTagged(r);
    assert_refused(CAPHEAP_ERR_TOO_SMALL, &r[1]);
    assert_true(untouched(4096, ARENA));

    /* The maximum number of regions is fine, and after all the refusals
     * one good definition is still accepted. */
    many[N - 1] = (HeapRegionTagged_t){NULL, 0, 0, 0};
    vPortDefineHeapRegionsTagged(many);
    assert_int_equal(ts_errors()->count, 0);
    assert_int_equal(capheap_heap_regions_count(),
                     CAPHEAP_HEAP_REGIONS_MAX_REGIONS);
    void *p = pvPortMallocTagged(100, 0);
    assert_non_null(p);
    vPortFreeTagged(p);
    ts_assert_heap_ok(core());
}

static void use_before_define(void **state) {
    (void)state;
    int x;
    assert_null(pvPortMallocTagged(16, 0));
    assert_int_equal(ts_errors()->count, 1);
    assert_int_equal(ts_errors()->last, CAPHEAP_ERR_INVALID_ARG);
    assert_string_equal(ts_errors()->last_op, "pvPortMallocTagged");
    vPortFreeTagged(&x);
    assert_int_equal(ts_errors()->count, 2);
    assert_int_equal(ts_errors()->last, CAPHEAP_ERR_FOREIGN_POINTER);
    assert_ptr_equal(ts_errors()->last_addr, &x);
    assert_string_equal(ts_errors()->last_op, "vPortFreeTagged");
    vPortFreeTagged(NULL);
    assert_int_equal(ts_errors()->count, 2);
    assert_int_equal(xPortGetFreeHeapSizeTagged(0), 0);
    assert_int_equal(xPortGetMinimumEverFreeHeapSizeTagged(0), 0);
    assert_null(capheap_heap_regions_heap());
    assert_int_equal(capheap_heap_regions_count(), 0);
    assert_null(capheap_heap_regions_region(0));
    assert_null(capheap_heap_regions_containing(arena));
}

/* ---- sizes and pointers at the edges -------------------------------- */

static void edge_sizes(void **state) {
    (void)state;
    vPortDefineHeapRegionsTagged(layout);
    size_t f0 = xPortGetFreeHeapSizeTagged(0);
    /* The original added its header to SIZE_MAX - 7 and wrapped around. */
    static const size_t sizes[] = {0,
                                   SIZE_MAX,
                                   SIZE_MAX - 1,
                                   SIZE_MAX - 7,
                                   SIZE_MAX - A,
                                   SIZE_MAX / 2 + 1,
                                   16384 + 9999,
                                   16384};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        assert_null(pvPortMallocTagged(sizes[k], 0));
    assert_int_equal(xPortGetFreeHeapSizeTagged(0), f0);
    assert_int_equal(xPortGetMinimumEverFreeHeapSizeTagged(0), f0);
    assert_int_equal(ts_errors()->count, 0);
    void *p = pvPortMallocTagged(1, 0);
    assert_non_null(p);
    assert_true(capheap_heap_usable_size(core(), p) >= 1);
    vPortFreeTagged(p);
    ts_assert_heap_ok(core());
}

static void bad_pointers(void **state) {
    (void)state;
    vPortDefineHeapRegionsTagged(layout);
    unsigned char *p = pvPortMallocTagged(64, 1);
    assert_non_null(p);
    ts_fill(p, 64, 3);
    size_t f0 = xPortGetFreeHeapSizeTagged(0);
    size_t f1 = xPortGetFreeHeapSizeTagged(1);

    /* A block of another heap (a multi_heap) is foreign here. */
    unsigned char *other = ts_arena(4096);
    multi_heap_handle_t mh = multi_heap_register(other, 4096);
    assert_non_null(mh);
    void *m = multi_heap_malloc(mh, 32);
    assert_non_null(m);
    int local;
    struct {
        void *ptr;
        capheap_err_t err;
    } cases[] = {
        {&local, CAPHEAP_ERR_FOREIGN_POINTER},
        {m, CAPHEAP_ERR_FOREIGN_POINTER},
        {arena + 1, CAPHEAP_ERR_FOREIGN_POINTER}, /* below every region */
        {p + A, CAPHEAP_ERR_NOT_BLOCK},           /* interior */
        {p + 1, CAPHEAP_ERR_NOT_BLOCK},           /* misaligned */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ts_errors_reset();
        vPortFreeTagged(cases[k].ptr);
        assert_int_equal(ts_errors()->count, 1);
        assert_int_equal(ts_errors()->last, cases[k].err);
        assert_ptr_equal(ts_errors()->last_addr, cases[k].ptr);
        assert_int_equal(xPortGetFreeHeapSizeTagged(0), f0);
        assert_int_equal(xPortGetFreeHeapSizeTagged(1), f1);
        ts_assert_heap_ok(core());
    }
    assert_true(ts_verify(p, 64, 3));
    assert_true(multi_heap_check(mh, true));

    vPortFreeTagged(p);
    size_t f1b = xPortGetFreeHeapSizeTagged(1);
    assert_true(f1b > f1);
    ts_errors_reset();
    vPortFreeTagged(p);
    assert_int_equal(ts_errors()->count, 1);
    assert_int_equal(ts_errors()->last, CAPHEAP_ERR_DOUBLE_FREE);
    assert_int_equal(xPortGetFreeHeapSizeTagged(1), f1b);
    ts_assert_heap_ok(core());
    multi_heap_free(mh, m);
    ts_arena_free(other);
}

/* Unaligned starts and odd sizes; nothing written outside the regions. */
static void unaligned_regions(void **state) {
    (void)state;
    HeapRegionTagged_t r[] = {
        {arena + 1, 4097, 0, 0},
        {arena + 5000 + 3, 3001, 1, 0},
        {arena + 9000 + 7, 777, 2, 0},
        {arena + 10000 + 13, 5555, 0, 0},
        {NULL, 0, 0, 0},
    };
    vPortDefineHeapRegionsTagged(r);
    assert_int_equal(ts_errors()->count, 0);
    ts_assert_heap_ok(core());
    size_t f[3];
    for (BaseType_t t = 0; t < 3; t++) {
        f[t] = xPortGetFreeHeapSizeTagged(t);
        assert_true(f[t] > 0);
    }
    void *head = NULL, *p;
    for (BaseType_t t = 0; t < 3; t++) {
        for (size_t n = 48; n >= 1; n /= 2) {
            while ((p = pvPortMallocTagged(n, t)) != NULL) {
                const HeapRegionTagged_t *reg =
                    capheap_heap_regions_containing(p);
                assert_non_null(reg);
                assert_int_equal(reg->xTag, t);
                assert_true(in_region(reg, p, n));
                assert_int_equal((uintptr_t)p % A, 0);
                memset(p, 0, capheap_heap_usable_size(core(), p));
                *(void **)p = head;
                head = p;
            }
        }
        /* Every free block could hold one byte: none is left. */
        assert_int_equal(xPortGetFreeHeapSizeTagged(t), 0);
    }
    ts_assert_heap_ok(core());
    while (head) {
        void *next = *(void **)head;
        vPortFreeTagged(head);
        head = next;
    }
    for (BaseType_t t = 0; t < 3; t++)
        assert_int_equal(xPortGetFreeHeapSizeTagged(t), f[t]);
    ts_assert_heap_ok(core());
    assert_true(untouched(0, 1));
    assert_true(untouched(1 + 4097, 5003));
    assert_true(untouched(5003 + 3001, 9007));
    assert_true(untouched(9007 + 777, 10013));
    assert_true(untouched(10013 + 5555, ARENA));
}

/* ---- extensions: regions, exec addresses, reset --------------------- */

static void region_lookup(void **state) {
    (void)state;
    vPortDefineHeapRegionsTagged(layout);
    for (size_t i = 0; i < 3; i++) {
        const HeapRegionTagged_t *r = capheap_heap_regions_region(i);
        assert_ptr_equal(capheap_heap_regions_containing(r->pucStartAddress),
                         r);
        assert_ptr_equal(capheap_heap_regions_containing(r->pucStartAddress +
                                                         r->xSizeInBytes - 1),
                         r);
        assert_null(capheap_heap_regions_containing(r->pucStartAddress +
                                                    r->xSizeInBytes));
        assert_null(capheap_heap_regions_containing(r->pucStartAddress - 1));
    }
    void *q = pvPortMallocTagged(64, 1);
    assert_non_null(q);
    const HeapRegionTagged_t *r = capheap_heap_regions_containing(q);
    assert_non_null(r);
    assert_int_equal(r->xExecAddr, 0x400A0000u);
    vPortFreeTagged(q);
    assert_null(capheap_heap_regions_containing(NULL));
    assert_null(capheap_heap_regions_containing(arena + ARENA - 1));
}

static void minimum_ever_free(void **state) {
    (void)state;
    vPortDefineHeapRegionsTagged(layout);
    size_t f0 = xPortGetFreeHeapSizeTagged(0);
    size_t f1 = xPortGetFreeHeapSizeTagged(1);
    void *p = pvPortMallocTagged(5000, 1);
    assert_non_null(p);
    size_t low = xPortGetFreeHeapSizeTagged(1);
    assert_true(low <= f1 - 5000);
    vPortFreeTagged(p);
    assert_int_equal(xPortGetFreeHeapSizeTagged(1), f1);
    assert_int_equal(xPortGetMinimumEverFreeHeapSizeTagged(1), low);
    assert_int_equal(xPortGetMinimumEverFreeHeapSizeTagged(0), f0);
    /* Smaller dips later do not raise it. */
    p = pvPortMallocTagged(100, 1);
    vPortFreeTagged(p);
    assert_int_equal(xPortGetMinimumEverFreeHeapSizeTagged(1), low);
}

static void reset_for_test(void **state) {
    (void)state;
    vPortDefineHeapRegionsTagged(layout);
    assert_non_null(capheap_heap_regions_heap());
    capheap_heap_regions_reset_for_test();
    assert_null(capheap_heap_regions_heap());
    assert_int_equal(capheap_heap_regions_count(), 0);
    memset(arena, FILLER, ARENA);
    HeapRegionTagged_t r[] = {{arena + 1000, 6000, 5, 0}, {NULL, 0, 0, 0}};
    vPortDefineHeapRegionsTagged(r);
    assert_int_equal(ts_errors()->count, 0);
    assert_int_equal(xPortGetFreeHeapSizeTagged(0), 0);
    assert_true(xPortGetFreeHeapSizeTagged(5) > 0);
    assert_true(untouched(0, 1000));
    ts_assert_heap_ok(core());
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(define_and_allocate), T(tags_without_regions),
        T(tags_kept_apart),     T(random_tagged_ops),
        T(ignored_regions),     T(second_define_rejected),
        T(bad_arrays),          T(use_before_define),
        T(edge_sizes),          T(bad_pointers),
        T(unaligned_regions),   T(region_lookup),
        T(minimum_ever_free),   T(reset_for_test),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
