/*
 * test_caps_esp32.c - ESP-IDF's documented heap_caps behaviour on the
 * simulated ESP32, through the native capability API.
 */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "capheap/caps.h"
#include "capheap/sim.h"

#define C(x) CAPHEAP_CAP_##x

static capheap_caps_t ch;

static bool in_range(const void *p, uintptr_t lo, uintptr_t hi) {
    return (uintptr_t)p >= lo && (uintptr_t)p < hi;
}
#define IN_DRAM(p)    in_range((p), 0x3FFAE000, 0x40000000)
#define IN_IRAM(p)    in_range((p), 0x40070000, 0x400A0000)
#define IN_DIRAM_I(p) in_range((p), 0x400A0000, 0x400C0000)
#define IN_RTC(p)     in_range((p), 0x3FF80000, 0x3FF82000)

static size_t free_of(uint32_t caps) {
    capheap_stats_t s;
    capheap_caps_stats(&ch, caps, &s);
    return s.free_bytes;
}

static size_t largest_of(uint32_t caps) {
    capheap_stats_t s;
    capheap_caps_stats(&ch, caps, &s);
    return s.largest_free_block;
}

static void boot(uint32_t flags) {
    static uint32_t mapped = ~0u;
    capheap_chip_options_t o = {flags, 0, 0, 0, 0};
    if (mapped != flags) /* fresh memory for another set of regions */
        capheap_sim_unmap();
    mapped = flags;
    assert_int_equal(capheap_sim_map(&capheap_chip_esp32, &o), CAPHEAP_OK);
    assert_int_equal(capheap_caps_init(&ch, &capheap_chip_esp32, &o, NULL, 0),
                     CAPHEAP_OK);
    capheap_caps_enable_nonos_stack_heaps(&ch);
    ts_assert_heap_ok(ch.heap);
}

static int setup(void **state) {
    (void)state;
    ts_errors_install();
    boot(0);
    return 0;
}

static char taken_by[512];

static void esp32_addresses_taken(void **state) {
    (void)state;
    print_message("[  SKIP    ] the ESP32's addresses are taken in this "
                  "process: %s\n",
                  taken_by);
    skip();
}

static void free32_at_least_free8(void **state) {
    (void)state;
    assert_true(free_of(C(32BIT)) >= free_of(C(8BIT)));
    /* IRAM is 32-bit only: it is counted by 32BIT but not by 8BIT. */
    assert_true(free_of(C(32BIT)) - free_of(C(8BIT)) > 64 * 1024);
}

static void byte_request_lands_in_dram(void **state) {
    (void)state;
    size_t f8 = free_of(C(8BIT)), f32 = free_of(C(32BIT));
    void *p = capheap_caps_alloc(&ch, 10 * 1024, C(8BIT));
    assert_non_null(p);
    assert_true(IN_DRAM(p));
    assert_true(f8 - free_of(C(8BIT)) >= 10 * 1024);
    assert_true(f32 - free_of(C(32BIT)) >= 10 * 1024);
    capheap_caps_free(&ch, p);
    assert_int_equal(free_of(C(8BIT)), f8);
}

static void word_request_lands_in_iram(void **state) {
    (void)state;
    size_t f8 = free_of(C(8BIT)), f32 = free_of(C(32BIT));
    size_t iram_only = free_of(C(INTERNAL)) - free_of(C(8BIT) | C(INTERNAL));
    assert_true(iram_only > 0);
    size_t n = (iram_only / 2 < 10 * 1024 ? iram_only / 2 : 10 * 1024) & ~3u;
    void *p = capheap_caps_alloc(&ch, n, C(32BIT));
    assert_non_null(p);
    assert_true(IN_IRAM(p));
    assert_true(f32 - free_of(C(32BIT)) >= n);
    assert_int_equal(free_of(C(8BIT)), f8);
    capheap_caps_free(&ch, p);
}

static void exec_with_byte_or_dma_is_null(void **state) {
    (void)state;
    assert_null(capheap_caps_alloc(&ch, 100, C(8BIT) | C(EXEC)));
    assert_null(capheap_caps_alloc(&ch, 100, C(DMA) | C(EXEC)));
    assert_null(capheap_caps_alloc(&ch, 100, C(INVALID)));
    assert_null(capheap_caps_alloc(&ch, 0, C(8BIT)));
}

static void word_requests_move_from_iram_to_dram(void **state) {
    (void)state;
    size_t iram_only = free_of(C(32BIT)) - free_of(C(8BIT));
    size_t n = (iram_only / 9) & ~3u;
    void *p[10];
    for (int i = 0; i < 10; i++) {
        p[i] = capheap_caps_alloc(&ch, n, C(32BIT));
        assert_non_null(p[i]);
    }
    assert_true(IN_IRAM(p[0]));
    assert_true(IN_DRAM(p[9]));
    for (int i = 0; i < 10; i++)
        capheap_caps_free(&ch, p[i]);
    ts_assert_heap_ok(ch.heap);
}

/* With IRAM full, EXEC memory comes from D/IRAM through its instruction-bus
 * address; free and the size query take that address. */
static void exec_from_diram_alias(void **state) {
    (void)state;
    void *first = capheap_caps_alloc(&ch, 1000, C(EXEC));
    assert_non_null(first);
    assert_true(IN_IRAM(first)); /* IRAM serves EXEC first */
    /* Fill IRAM so the next EXEC request must use D/IRAM. */
    static void *fill[512];
    int nfill = 0;
    for (size_t n = 1024; n >= 64; n /= 4) {
        while (nfill < 512) {
            void *p = capheap_caps_alloc(&ch, n, C(32BIT));
            assert_non_null(p);
            if (!IN_IRAM(p)) {
                capheap_caps_free(&ch, p);
                break;
            }
            fill[nfill++] = p;
        }
    }
    size_t f8 = free_of(C(8BIT));
    uint32_t *x = capheap_caps_alloc(&ch, 256, C(EXEC));
    assert_non_null(x);
    assert_true(IN_DIRAM_I(x));
    assert_int_equal((uintptr_t)x % 4, 0);
    assert_true(capheap_caps_usable_size(&ch, x) >= 256);
    /* Its data-bus side is D/IRAM taken from the byte-accessible free. */
    uintptr_t d = capheap_caps_iram_to_dram(&capheap_chip_esp32, (uintptr_t)x);
    assert_true(d >= 0x3FFE0000 && d < 0x40000000);
    assert_true(f8 - free_of(C(8BIT)) >= 256);
    assert_int_equal(capheap_caps_block_type(&ch, x),
                     capheap_caps_block_type(&ch, (void *)(d - 252)));
    capheap_caps_free(&ch, x);
    assert_int_equal(free_of(C(8BIT)), f8);
    for (int i = 0; i < nfill; i++)
        capheap_caps_free(&ch, fill[i]);
    capheap_caps_free(&ch, first);
    ts_assert_heap_ok(ch.heap);
    assert_int_equal(ts_errors()->count, 0);
}

static void bad_alias_pointer_is_reported(void **state) {
    (void)state;
    ts_errors_reset();
    size_t f = free_of(C(32BIT));
    capheap_caps_free(&ch, (void *)0x400B0000);
    assert_int_equal(ts_errors()->count, 1);
    assert_int_equal(ts_errors()->last, CAPHEAP_ERR_NOT_BLOCK);
    assert_int_equal(free_of(C(32BIT)), f);
    ts_assert_heap_ok(ch.heap);
    ts_errors_reset();
}

static void realloc_moves_between_types(void **state) {
    (void)state;
    unsigned char *p = capheap_caps_alloc(&ch, 64, C(8BIT));
    assert_non_null(p);
    assert_true(IN_DRAM(p));
    ts_fill(p, 64, 7);
    unsigned char *q = capheap_caps_realloc(&ch, p, 64, C(EXEC));
    assert_non_null(q);
    assert_true(IN_IRAM(q) || IN_DIRAM_I(q));
    assert_true(ts_verify(q, 64, 7));
    ts_assert_heap_ok(ch.heap);
    unsigned char *r = capheap_caps_realloc(&ch, q, 48, C(8BIT));
    assert_non_null(r);
    assert_true(IN_DRAM(r));
    assert_true(ts_verify(r, 48, 7));
    ts_assert_heap_ok(ch.heap);
    capheap_caps_free(&ch, r);
}

static void realloc_shrink_in_place(void **state) {
    (void)state;
    void *p = capheap_caps_alloc(&ch, 64, C(8BIT));
    assert_ptr_equal(capheap_caps_realloc(&ch, p, 48, C(8BIT)), p);
    void *x = capheap_caps_alloc(&ch, 64, C(EXEC));
    void *y = capheap_caps_realloc(&ch, x, 48, C(EXEC));
    assert_non_null(y);
    assert_true(IN_IRAM(y) || IN_DIRAM_I(y));
    capheap_caps_free(&ch, p);
    capheap_caps_free(&ch, y);
}

static void largest_free_block_can_be_allocated(void **state) {
    (void)state;
    const uint32_t masks[] = {C(8BIT), C(32BIT), C(DMA), C(EXEC),
                              C(DEFAULT) | C(INTERNAL)};
    for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++) {
        size_t total = free_of(masks[i]);
        size_t big = largest_of(masks[i]);
        if (masks[i] & C(EXEC))
            big -= 4; /* the alias word, if D/IRAM serves it */
        void *p = capheap_caps_alloc(&ch, big & ~(size_t)3, masks[i]);
        assert_non_null(p);
        assert_true(largest_of(masks[i]) <= big);
        assert_true(free_of(masks[i]) <= total);
        capheap_caps_free(&ch, p);
        assert_int_equal(free_of(masks[i]), total);
    }
}

static void new_capability_after_its_region(void **state) {
    (void)state;
    const uint32_t invented = 1u << 30;
    assert_null(capheap_caps_alloc(&ch, 64, invented));
    size_t min_default_before = 0;
    capheap_stats_t s;
    capheap_caps_stats(&ch, C(DEFAULT), &s);
    min_default_before = s.minimum_free_bytes;
    char *buf = malloc(3500);
    const uint32_t caps[3] = {invented, 0, 0};
    assert_int_equal(capheap_caps_add_region_with_caps(
                         &ch, caps, (uintptr_t)buf, (uintptr_t)buf + 3500),
                     CAPHEAP_OK);
    void *p = capheap_caps_alloc(&ch, 64, invented);
    assert_non_null(p);
    assert_true((char *)p >= buf && (char *)p < buf + 3500);
    /* Added after start-up: its minimum starts at 0. */
    capheap_caps_stats(&ch, invented, &s);
    assert_int_equal(s.minimum_free_bytes, 0);
    assert_true(s.free_bytes > 3500 - 400);
    capheap_caps_stats(&ch, C(DEFAULT), &s);
    assert_true(s.minimum_free_bytes <= min_default_before);
    capheap_caps_free(&ch, p);
    ts_assert_heap_ok(ch.heap);
    boot(0); /* forget the heap inside buf before freeing it */
    free(buf);
}

/* ESP-IDF's examples against an existing heap [0x1000, 0x3000), here offset
 * into host memory. Where ESP-IDF accepts a range inside a heap's free
 * memory (and would corrupt it), capheap accepts it only inside a live
 * block. */
static void add_region_overlap_rules(void **state) {
    (void)state;
    static const struct {
        uintptr_t s, e;
        bool ok;
    } cases[] = {
        {0x0000, 0x1000, true},  {0x3000, 0x4000, true},
        {0x0000, 0x2000, false}, {0x0000, 0x4000, false},
        {0x1000, 0x4000, false}, {0x2000, 0x4000, false},
        {0x1000, 0x3000, false},
    };
    const uint32_t caps[3] = {1u << 29, 0, 0};
    unsigned char *base = ts_arena(0x5000);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        boot(0);
        uintptr_t b = (uintptr_t)base;
        assert_int_equal(capheap_caps_add_region_with_caps(
                             &ch, caps, b + 0x1000, b + 0x3000),
                         CAPHEAP_OK);
        capheap_err_t err = capheap_caps_add_region_with_caps(
            &ch, caps, b + cases[i].s, b + cases[i].e);
        assert_int_equal(err, cases[i].ok ? CAPHEAP_OK : CAPHEAP_ERR_OVERLAP);
        ts_assert_heap_ok(ch.heap);
    }
    /* Inside: accepted only within a live block of the existing heap. */
    boot(0);
    uintptr_t b = (uintptr_t)base;
    assert_int_equal(
        capheap_caps_add_region_with_caps(&ch, caps, b + 0x1000, b + 0x3000),
        CAPHEAP_OK);
    assert_int_equal(
        capheap_caps_add_region_with_caps(&ch, caps, b + 0x1100, b + 0x2999),
        CAPHEAP_ERR_OVERLAP);
    size_t big = largest_of(1u << 29);
    char *live = capheap_caps_alloc(&ch, big, 1u << 29);
    assert_non_null(live);
    const uint32_t other[3] = {1u << 28, 0, 0};
    assert_int_equal(
        capheap_caps_add_region_with_caps(&ch, other, (uintptr_t)live + 16,
                                          (uintptr_t)live + big - 16),
        CAPHEAP_OK);
    assert_non_null(capheap_caps_alloc(&ch, 100, 1u << 28));
    ts_assert_heap_ok(ch.heap);
    boot(0);
    ts_arena_free(base);
}

static void huge_and_overflowing_sizes_fail(void **state) {
    (void)state;
    assert_null(capheap_caps_alloc(&ch, SIZE_MAX - 1, C(32BIT)));
    assert_null(capheap_caps_alloc(&ch, SIZE_MAX - 1, C(EXEC)));
    assert_null(capheap_caps_alloc(&ch, SIZE_MAX, C(8BIT)));
    assert_null(capheap_caps_alloc(&ch, 16u << 20, C(8BIT)));
    assert_null(capheap_caps_alloc(&ch, SIZE_MAX / 2, C(8BIT)));
    assert_null(capheap_caps_alloc(&ch, free_of(C(8BIT)) - 1, C(8BIT)));
}

static void aligned_alloc_alignments(void **state) {
    (void)state;
    for (size_t a = 0; a <= 1024; a++) {
        unsigned char *p = capheap_caps_aligned_alloc(&ch, a, a + 137, C(8BIT));
        bool pow2 = a && !(a & (a - 1));
        if (!pow2) {
            assert_null(p);
            continue;
        }
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % a, 0);
        memset(p, 0xA5, a + 137);
        capheap_caps_free(&ch, p);
    }
    ts_assert_heap_ok(ch.heap);
}

static int count_1k_until_full(void) {
    static void *blocks[1024];
    int n = 0;
    while (n < 1024 &&
           (blocks[n] = capheap_caps_alloc(&ch, 1024, C(8BIT) | C(INTERNAL))))
        memset(blocks[n++], 0x5C, 1024);
    for (int i = 0; i < n; i++)
        capheap_caps_free(&ch, blocks[i]);
    return n;
}

static void exhaust_dram_twice(void **state) {
    (void)state;
    size_t before = free_of(C(8BIT));
    int first = count_1k_until_full();
    int second = count_1k_until_full();
    assert_true(first > 200);
    assert_int_equal(first, second);
    assert_int_equal(free_of(C(8BIT)), before);
    ts_assert_heap_ok(ch.heap);
}

static void rtc_heap_used_last(void **state) {
    (void)state;
    boot(CAPHEAP_OPT_RTC_HEAP);
    size_t rtc_free = free_of(C(RTCRAM));
    assert_true(rtc_free > 0x2000 * 8 / 10);
    void *p = capheap_caps_alloc(&ch, 4096, C(DEFAULT));
    assert_non_null(p);
    assert_false(IN_RTC(p));
    capheap_stats_t s;
    capheap_caps_stats(&ch, C(RTCRAM), &s);
    assert_int_equal(s.minimum_free_bytes, s.free_bytes);
    void *r = capheap_caps_alloc(&ch, 1000, C(RTCRAM));
    assert_true(IN_RTC(r));
    capheap_caps_free(&ch, r);
    capheap_caps_free(&ch, p);
    boot(0);
}

static void startup_stack_regions_wait(void **state) {
    (void)state;
    capheap_chip_options_t o = {0, 0, 0, 0, 0};
    assert_int_equal(capheap_caps_init(&ch, &capheap_chip_esp32, &o, NULL, 0),
                     CAPHEAP_OK);
    size_t before = free_of(C(DMA));
    capheap_caps_enable_nonos_stack_heaps(&ch);
    size_t after = free_of(C(DMA));
    /* D/IRAM (128 KiB less ROM data) only joins now. */
    assert_true(after - before > 120 * 1024);
    capheap_caps_enable_nonos_stack_heaps(&ch); /* idempotent */
    assert_int_equal(free_of(C(DMA)), after);
}

static void psram_takes_default_requests(void **state) {
    (void)state;
    boot(CAPHEAP_OPT_PSRAM);
    size_t internal = free_of(C(INTERNAL));
    size_t ext = free_of(C(SPIRAM));
    assert_true(ext > 4000000);
    void *p = capheap_caps_alloc(&ch, 256, C(DEFAULT));
    assert_true(in_range(p, 0x3F800000, 0x3FC00000));
    assert_int_equal(free_of(C(INTERNAL)), internal);
    assert_true(ext - free_of(C(SPIRAM)) >= 256);
    /* DMA never lands in PSRAM. */
    void *d = capheap_caps_alloc(&ch, 256, C(DMA));
    assert_true(IN_DRAM(d));
    capheap_caps_free(&ch, p);
    capheap_caps_free(&ch, d);
    boot(0);
}

/* Fill memory with DEFAULT requests (PSRAM first, then internal RAM), then
 * ask for DMA memory, which only internal RAM has. */
static void *fill_default_then_dma(void) {
    static void *blocks[4096];
    int n = 0;
    while (n < 4096 &&
           (blocks[n] = capheap_caps_alloc(&ch, 8 * 1024, C(DEFAULT))))
        n++;
    while (n < 4096 && (blocks[n] = capheap_caps_alloc(&ch, 512, C(DEFAULT))))
        n++;
    void *dma = capheap_caps_alloc(&ch, 10 * 1024, C(DMA));
    for (int i = 0; i < n; i++)
        capheap_caps_free(&ch, blocks[i]);
    return dma;
}

static void reserve_keeps_dma_memory(void **state) {
    (void)state;
    boot(CAPHEAP_OPT_PSRAM);
    assert_null(fill_default_then_dma()); /* ESP-IDF's behaviour */
    boot(CAPHEAP_OPT_PSRAM);
    assert_int_equal(capheap_caps_set_reserve(&ch, "DRAM", 16 * 1024),
                     CAPHEAP_OK);
    assert_int_equal(capheap_caps_set_reserve(&ch, "D/IRAM", 16 * 1024),
                     CAPHEAP_OK);
    assert_int_equal(capheap_caps_set_reserve(&ch, "nonesuch", 1),
                     CAPHEAP_ERR_INVALID_ARG);
    void *dma = fill_default_then_dma();
    assert_non_null(dma);
    assert_true(IN_DRAM(dma));
    capheap_caps_free(&ch, dma);
    ts_assert_heap_ok(ch.heap);
    boot(0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(free32_at_least_free8, setup),
        cmocka_unit_test_setup(byte_request_lands_in_dram, setup),
        cmocka_unit_test_setup(word_request_lands_in_iram, setup),
        cmocka_unit_test_setup(exec_with_byte_or_dma_is_null, setup),
        cmocka_unit_test_setup(word_requests_move_from_iram_to_dram, setup),
        cmocka_unit_test_setup(exec_from_diram_alias, setup),
        cmocka_unit_test_setup(bad_alias_pointer_is_reported, setup),
        cmocka_unit_test_setup(realloc_moves_between_types, setup),
        cmocka_unit_test_setup(realloc_shrink_in_place, setup),
        cmocka_unit_test_setup(largest_free_block_can_be_allocated, setup),
        cmocka_unit_test_setup(new_capability_after_its_region, setup),
        cmocka_unit_test_setup(add_region_overlap_rules, setup),
        cmocka_unit_test_setup(huge_and_overflowing_sizes_fail, setup),
        cmocka_unit_test_setup(aligned_alloc_alignments, setup),
        cmocka_unit_test_setup(exhaust_dram_twice, setup),
        cmocka_unit_test_setup(rtc_heap_used_last, setup),
        cmocka_unit_test_setup(startup_stack_regions_wait, setup),
        cmocka_unit_test_setup(psram_takes_default_requests, setup),
        cmocka_unit_test_setup(reserve_keeps_dma_memory, setup),
    };
    /* qemu-user keeps an i386 guest's stack on the ESP32's RAM. */
    if (capheap_sim_probe(&capheap_chip_esp32, NULL, taken_by,
                          sizeof taken_by) == CAPHEAP_ERR_OVERLAP) {
        const struct CMUnitTest none[] = {
            cmocka_unit_test(esp32_addresses_taken)};
        return cmocka_run_group_tests(none, NULL, NULL);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
