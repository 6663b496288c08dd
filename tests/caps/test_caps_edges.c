/*
 * test_caps_edges.c - the capability layer's limits, exactly, on a chip of
 * one type over an arena whose max_alloc is far below its free memory and
 * not a multiple of its cache line: no request, plain, aligned, rounded to
 * the line or grown by realloc, gets a block above max_alloc, and one of
 * exactly max_alloc does. (Each case killed a mutant of
 * tools/mutation/mutants.txt that the other tests let live.)
 */
#include "test_support.h"

#include <string.h>

#include "capheap/caps.h"
#include "caps/layout.h"
#include "core/free_list.h"
#include "core/poison.h"

enum { ARENA = 262144, MAX_ALLOC = 65536 + 8, LINE = 32 };

static capheap_caps_t ch;
static void *arena;

static int setup(void **state) {
    (void)state;
    static const capheap_mem_type_t types[] = {
        {"RAM",
         {CAPHEAP_CAP_DEFAULT | CAPHEAP_CAP_INTERNAL | CAPHEAP_CAP_8BIT |
              CAPHEAP_CAP_32BIT | CAPHEAP_CAP_DMA,
          0, 0}},
    };
    static capheap_region_desc_t region;
    static capheap_chip_t chip;
    arena = ts_arena(ARENA);
    memset(arena, 0, ARENA);
    region = (capheap_region_desc_t){(uintptr_t)arena, ARENA, 0, false, 0, 0};
    chip = (capheap_chip_t){.name = "arena",
                            .types = types,
                            .type_count = 1,
                            .regions = &region,
                            .region_count = 1,
                            .dma_lo = (uintptr_t)arena,
                            .dma_hi = (uintptr_t)arena + ARENA,
                            .cache_line = LINE,
                            .simd_align = 16,
                            .max_alloc = MAX_ALLOC};
    assert_int_equal(capheap_caps_init(&ch, &chip, NULL, NULL, 0), CAPHEAP_OK);
    ts_errors_install();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    assert_int_equal(capheap_caps_check(&ch, 0, NULL), CAPHEAP_OK);
    ts_arena_free(arena);
    return 0;
}

static void plain_requests_stop_at_max_alloc(void **state) {
    (void)state;
    capheap_stats_t s;
    capheap_caps_stats(&ch, CAPHEAP_CAP_8BIT, &s);
    /* Memory for more than the limit, but no promise beyond it. */
    assert_true(capheap_heap_largest_free(ch.heap, 0) > MAX_ALLOC + 1024);
    assert_int_equal(s.largest_free_block, MAX_ALLOC);
    /* Twice each: the first works the mask out, the second takes the
     * cached fast path. */
    for (int i = 0; i < 2; i++) {
        assert_null(capheap_caps_alloc(&ch, MAX_ALLOC + 1, CAPHEAP_CAP_8BIT));
        assert_null(capheap_caps_aligned_alloc(&ch, 64, MAX_ALLOC + 1,
                                               CAPHEAP_CAP_8BIT));
        void *p = capheap_caps_alloc(&ch, MAX_ALLOC, CAPHEAP_CAP_8BIT);
        assert_non_null(p);
        capheap_caps_free(&ch, p);
    }
    assert_null(capheap_caps_alloc(&ch, 0, CAPHEAP_CAP_8BIT));
}

static void line_rounding_past_max_alloc_fails(void **state) {
    (void)state;
    /* DMA rounds the size up to whole lines: MAX_ALLOC - 4 becomes
     * MAX_ALLOC + 24, above the limit; the largest multiple of the line
     * below the limit is fine. */
    assert_null(capheap_caps_alloc(&ch, MAX_ALLOC - 4, CAPHEAP_CAP_DMA));
    size_t ok = MAX_ALLOC / LINE * LINE;
    void *p = capheap_caps_alloc(&ch, ok, CAPHEAP_CAP_DMA);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % LINE, 0);
    capheap_caps_free(&ch, p);
}

static void realloc_stops_at_max_alloc(void **state) {
    (void)state;
    unsigned char *p = capheap_caps_alloc(&ch, 100, CAPHEAP_CAP_8BIT);
    assert_non_null(p);
    ts_fill(p, 100, 3);
    assert_null(capheap_caps_realloc(&ch, p, MAX_ALLOC + 1, CAPHEAP_CAP_8BIT));
    assert_true(ts_verify(p, 100, 3)); /* a failed realloc keeps the block */
    unsigned char *q =
        capheap_caps_realloc(&ch, p, MAX_ALLOC, CAPHEAP_CAP_8BIT);
    assert_non_null(q);
    assert_true(ts_verify(q, 100, 3));
    capheap_caps_free(&ch, q);
}

/* ---- reserves --------------------------------------------------------- */

/* Two types over two halves of an arena: DMA-capable RAM first, then plain
 * RAM; 8BIT requests try them in that order. */
static capheap_caps_t ch2;

static void *boot_two_types(void) {
    static const capheap_mem_type_t types[] = {
        {"DMARAM", {CAPHEAP_CAP_8BIT | CAPHEAP_CAP_DMA, 0, 0}},
        {"RAM", {CAPHEAP_CAP_8BIT, 0, 0}},
    };
    static capheap_region_desc_t regions[2];
    static capheap_chip_t chip;
    void *a = ts_arena(ARENA);
    memset(a, 0, ARENA);
    regions[0] =
        (capheap_region_desc_t){(uintptr_t)a, ARENA / 2, 0, false, 0, 0};
    regions[1] = (capheap_region_desc_t){
        (uintptr_t)a + ARENA / 2, ARENA / 2, 1, false, 0, 0};
    chip = (capheap_chip_t){.name = "two",
                            .types = types,
                            .type_count = 2,
                            .regions = regions,
                            .region_count = 2,
                            .dma_lo = (uintptr_t)a,
                            .dma_hi = (uintptr_t)a + ARENA,
                            .cache_line = 4,
                            .simd_align = 16,
                            .max_alloc = ARENA};
    assert_int_equal(capheap_caps_init(&ch2, &chip, NULL, NULL, 0), CAPHEAP_OK);
    ts_errors_install();
    return a;
}

static int in_type(const void *p) {
    return capheap_caps_block_type(&ch2, p);
}

/* A reserve set after requests were served (and their choices cached)
 * applies to the next request at once. */
static void reserve_applies_after_cached_requests(void **state) {
    (void)state;
    void *a = boot_two_types();
    void *p = capheap_caps_alloc(&ch2, 100, CAPHEAP_CAP_8BIT);
    assert_int_equal(in_type(p), 0);
    assert_int_equal(capheap_caps_set_reserve(&ch2, "DMARAM", ARENA / 2),
                     CAPHEAP_OK);
    void *q = capheap_caps_alloc(&ch2, 100, CAPHEAP_CAP_8BIT);
    assert_int_equal(in_type(q), 1);
    /* Only DMARAM can serve DMA: its reserve does not apply. */
    void *d = capheap_caps_alloc(&ch2, 100, CAPHEAP_CAP_DMA);
    assert_int_equal(in_type(d), 0);
    capheap_caps_free(&ch2, p);
    capheap_caps_free(&ch2, q);
    capheap_caps_free(&ch2, d);
    assert_int_equal(capheap_caps_check(&ch2, 0, NULL), CAPHEAP_OK);
    ts_arena_free(a);
}

/* NULL is no block: -1 and no report (the default hook would abort); a
 * pointer that is not a block is -1 after a report. */
static void block_type_of_null_is_minus_one(void **state) {
    (void)state;
    void *a = boot_two_types();
    ts_errors_reset();
    assert_int_equal(capheap_caps_block_type(&ch2, NULL), -1);
    assert_int_equal(ts_errors()->count, 0);
    char *p = capheap_caps_alloc(&ch2, 100, CAPHEAP_CAP_8BIT);
    assert_non_null(p);
    assert_int_equal(capheap_caps_block_type(&ch2, p + 8), -1);
    assert_int_equal(ts_errors()->count, 1);
    capheap_caps_free(&ch2, p);
    ts_arena_free(a);
}

/* A reserve above the type's free bytes keeps all of them (no wrap). */
static void reserve_above_free_bytes_keeps_everything(void **state) {
    (void)state;
    void *a = boot_two_types();
    assert_int_equal(capheap_caps_set_reserve(&ch2, "DMARAM", ARENA),
                     CAPHEAP_OK);
    void *q = capheap_caps_alloc(&ch2, 100, CAPHEAP_CAP_8BIT);
    assert_int_equal(in_type(q), 1);
    capheap_caps_free(&ch2, q);
    ts_arena_free(a);
}

/* A check by capabilities covers the types that offer all of them, and
 * only those: damage in a type offering part of the mask goes unseen. */
static void check_by_caps_covers_only_full_matches(void **state) {
    (void)state;
    void *a = boot_two_types();
    /* RAM (type 1) offers 8BIT but not DMA: damage its end marker. */
    uintptr_t *em = NULL;
    for (unsigned i = 0; i < capheap_heap_region_count(ch2.heap); i++) {
        capheap_region_info_t r;
        assert_int_equal(capheap_heap_region_info(ch2.heap, i, &r), CAPHEAP_OK);
        if (r.tag == 1)
            em = (uintptr_t *)r.end - 1;
    }
    assert_non_null(em);
    *em ^= 1; /* FREE on an end marker */
    capheap_check_report_t rep;
    assert_int_equal(capheap_caps_check(&ch2, CAPHEAP_CAP_8BIT, &rep),
                     CAPHEAP_ERR_CORRUPT);
    assert_ptr_equal(rep.addr, em);
    assert_int_equal(
        capheap_caps_check(&ch2, CAPHEAP_CAP_8BIT | CAPHEAP_CAP_DMA, &rep),
        CAPHEAP_OK);
    assert_int_equal(capheap_caps_check(&ch2, CAPHEAP_CAP_DMA, &rep),
                     CAPHEAP_OK);
    *em ^= 1;
    assert_int_equal(capheap_caps_check(&ch2, 0, NULL), CAPHEAP_OK);
    ts_arena_free(a);
}

/* ---- layout ------------------------------------------------------------ */

/* A reservation is widened to whole words: its start rounded down, its end
 * up, so the heap next to it starts on the next word. */
static void reservation_widened_to_words(void **state) {
    (void)state;
    const capheap_chip_t *chip = &capheap_chip_host;
    uintptr_t base = chip->regions[0].start;
    const capheap_caps_reservation_t extra[] = {
        {base + 4097, base + 8197, "odd"}};
    static const capheap_chip_options_t opts = {0, 0, 0, 0, 0};
    capheap_avail_t out[8];
    size_t n = 0;
    assert_int_equal(
        capheap_layout_build(chip, &opts, extra, 1, out, 8, &n, NULL),
        CAPHEAP_OK);
    assert_true(n >= 2);
    assert_int_equal(out[0].start, base);
    assert_int_equal(out[0].end, base + 4096);
    assert_int_equal(out[1].start, base + 8200);
}

/* ---- EXEC through an alias window ------------------------------------- */

/* An EXEC block must lie inside the dual-mapped window: a block of the
 * type that runs past the window's end has no instruction-bus view for its
 * last bytes. The type's region covers the window and 32 KiB more; the
 * free memory is arranged to end 64 bytes past the window, so the next
 * block is carved across its end. */
static void exec_block_stays_inside_the_window(void **state) {
    (void)state;
    enum { HALF = ARENA / 8 };
    static const capheap_mem_type_t types[] = {
        {"DIRAM",
         {CAPHEAP_CAP_EXEC | CAPHEAP_CAP_32BIT | CAPHEAP_CAP_8BIT, 0, 0}},
    };
    static capheap_region_desc_t region;
    static capheap_alias_t alias;
    static capheap_chip_t chip;
    static capheap_caps_t c;
    unsigned char *a = ts_arena(2 * HALF);
    unsigned char *ibus = ts_arena(HALF); /* addresses only: never touched */
    memset(a, 0, 2 * HALF);
    region = (capheap_region_desc_t){(uintptr_t)a, 2 * HALF, 0, false, 0, 0};
    alias = (capheap_alias_t){CAPHEAP_ALIAS_LINEAR, (uintptr_t)a,
                              (uintptr_t)a + HALF, (uintptr_t)ibus};
    chip = (capheap_chip_t){.name = "window",
                            .types = types,
                            .type_count = 1,
                            .regions = &region,
                            .region_count = 1,
                            .aliases = &alias,
                            .alias_count = 1,
                            .cache_line = 4,
                            .simd_align = 16,
                            .max_alloc = 2 * HALF};
    assert_int_equal(capheap_caps_init(&c, &chip, NULL, NULL, 0), CAPHEAP_OK);
    ts_errors_install();
    capheap_region_info_t r;
    assert_int_equal(capheap_heap_region_info(c.heap, 0, &r), CAPHEAP_OK);
    /* Take everything from the first block position 32 bytes or more past
     * the window: the next block is carved just below it, across the
     * window's end. */
    unsigned char *x =
        (unsigned char *)ROUND_UP((uintptr_t)a + HALF + 32 + HDR_BYTES, ALIGN) -
        HDR_BYTES;
    unsigned char *endm = (unsigned char *)r.end - WORD_BYTES;
    void *top = capheap_heap_alloc(c.heap, 0,
                                   (size_t)(endm - x) - HDR_BYTES - TAIL_BYTES);
    assert_ptr_equal(top, x + HDR_BYTES);
    void *p = capheap_caps_alloc(&c, 64, CAPHEAP_CAP_EXEC);
    if (p) {
        uint32_t off;
        memcpy(&off, (void *)capheap_caps_iram_to_dram(&chip, (uintptr_t)p - 4),
               4);
        unsigned char *d = a + off;
        size_t len = capheap_heap_live_size(c.heap, d);
        assert_true(len >= 68);
        assert_true(d + len <= a + HALF);
        capheap_caps_free(&c, p);
    }
    assert_int_equal(ts_errors()->count, 0);
    capheap_heap_free(c.heap, top);
    assert_int_equal(capheap_caps_check(&c, 0, NULL), CAPHEAP_OK);
    ts_arena_free(ibus);
    ts_arena_free(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(plain_requests_stop_at_max_alloc, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(line_rounding_past_max_alloc_fails,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(realloc_stops_at_max_alloc, setup,
                                        teardown),
        cmocka_unit_test(reserve_applies_after_cached_requests),
        cmocka_unit_test(reserve_above_free_bytes_keeps_everything),
        cmocka_unit_test(block_type_of_null_is_minus_one),
        cmocka_unit_test(check_by_caps_covers_only_full_matches),
        cmocka_unit_test(reservation_widened_to_words),
        cmocka_unit_test(exec_block_stays_inside_the_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
