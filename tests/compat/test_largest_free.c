#define _POSIX_C_SOURCE 200809L
/*
 * test_largest_free.c - what the heap_caps_get_* figures promise, for every
 * mask of up to three capability bits (0 and the invalid bit included), on
 * each simulated chip, fresh, fragmented and with a reserve:
 * - heap_caps_get_largest_free_block(caps) (and get_info's copy of it) is a
 *   size heap_caps_malloc(size, caps) gets now, for every mask that some
 *   allocation is served by;
 * - the documented exception: a mask no allocation is served by (0, which
 *   ESP-IDF's selection never serves, EXEC with 8BIT or DMA, bits no memory
 *   has) reports ESP-IDF's figure, the largest block of the types that have
 *   all of caps, and heap_caps_malloc() with it returns NULL;
 * - the sums (total, free, minimum free) are ESP-IDF's: the memory of every
 *   type that has all of caps, all memory for mask 0.
 */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"
#include "esp_test_env.h"

/* Every capability bit ESP-IDF names, and the invalid bit. */
static const uint32_t bits[] = {
    MALLOC_CAP_EXEC,         MALLOC_CAP_32BIT,         MALLOC_CAP_8BIT,
    MALLOC_CAP_DMA,          MALLOC_CAP_PID2,          MALLOC_CAP_PID3,
    MALLOC_CAP_PID4,         MALLOC_CAP_PID5,          MALLOC_CAP_PID6,
    MALLOC_CAP_PID7,         MALLOC_CAP_SPIRAM,        MALLOC_CAP_INTERNAL,
    MALLOC_CAP_DEFAULT,      MALLOC_CAP_IRAM_8BIT,     MALLOC_CAP_RETENTION,
    MALLOC_CAP_RTCRAM,       MALLOC_CAP_TCM,           MALLOC_CAP_DMA_DESC_AHB,
    MALLOC_CAP_DMA_DESC_AXI, MALLOC_CAP_CACHE_ALIGNED, MALLOC_CAP_SIMD,
    MALLOC_CAP_INVALID};
#define NBITS (sizeof bits / sizeof bits[0])

typedef struct {
    unsigned masks, served, unservable;
} tally_t;

/* Which masks no allocation is served by, found on the fresh heap, in the
 * order check_all_masks() visits them. */
static bool unservable[1 + NBITS * NBITS * NBITS];

/* ESP-IDF's figure: the largest free block of the types having @p caps. */
static size_t esp_idf_largest(uint32_t caps) {
    capheap_caps_t *ch = heap_caps_capheap();
    size_t most = 0;
    for (unsigned t = 0; t < ch->type_count; t++) {
        size_t n = capheap_heap_largest_free(ch->heap, t);
        if ((ch->types[t].all & caps) == caps && n > most)
            most = n;
    }
    return most;
}

/* The promise for the @p i-th mask. @p fresh: nothing allocated but the
 * boot's blocks, so an allocation fails only for a mask never served. */
static void check_mask(unsigned i, uint32_t caps, bool fresh, tally_t *t) {
    size_t big = heap_caps_get_largest_free_block(caps);
    multi_heap_info_t info;
    heap_caps_get_info(&info, caps);
    assert_int_equal(info.largest_free_block, big);
    t->masks++;
    if (fresh) {
        void *p = heap_caps_malloc(CAPHEAP_ALIGNMENT, caps);
        unservable[i] = p == NULL;
        heap_caps_free(p);
    }
    if (unservable[i]) {
        /* The documented exception: ESP-IDF's figure, and no allocation
         * of that size (nor of any). */
        if (big != esp_idf_largest(caps))
            fail_msg("caps 0x%08x, never served: largest %zu, ESP-IDF's "
                     "figure %zu",
                     (unsigned)caps, big, esp_idf_largest(caps));
        assert_null(heap_caps_malloc(big ? big : 1, caps));
        t->unservable++;
        return;
    }
    if (fresh && big == 0)
        fail_msg("caps 0x%08x: served, but its largest free block is 0",
                 (unsigned)caps);
    if (big == 0)
        return;
    void *p = heap_caps_malloc(big, caps);
    if (!p)
        fail_msg("caps 0x%08x: largest free block %zu, but its allocation "
                 "failed",
                 (unsigned)caps, big);
    assert_true(heap_caps_get_allocated_size(p) >= big);
    heap_caps_free(p);
    assert_int_equal(heap_caps_get_largest_free_block(caps), big);
    t->served++;
}

/* Mask 0 and every mask of one, two or three bits. */
static tally_t check_all_masks(bool fresh) {
    tally_t t = {0, 0, 0};
    unsigned n = 0;
    check_mask(n++, 0, fresh, &t);
    for (size_t i = 0; i < NBITS; i++) {
        check_mask(n++, bits[i], fresh, &t);
        for (size_t j = i + 1; j < NBITS; j++) {
            check_mask(n++, bits[i] | bits[j], fresh, &t);
            for (size_t k = j + 1; k < NBITS; k++)
                check_mask(n++, bits[i] | bits[j] | bits[k], fresh, &t);
        }
    }
    ts_failed_reset(); /* the unservable masks' probes called it */
    assert_true(heap_caps_check_integrity_all(true));
    return t;
}

/* Mask 0, which no allocation is served by (as in ESP-IDF): ESP-IDF's
 * figures over all memory, the largest block of any type included. */
static void mask_zero(void) {
    capheap_caps_t *ch = heap_caps_capheap();
    size_t free_all = 0, total_all = 0, min_all = 0, largest = 0;
    for (unsigned t = 0; t < ch->type_count; t++) {
        capheap_stats_t s;
        capheap_heap_tag_stats(ch->heap, t, &s);
        free_all += s.free_bytes;
        total_all += s.total_bytes;
        min_all += s.minimum_free_bytes;
        largest =
            s.largest_free_block > largest ? s.largest_free_block : largest;
    }
    assert_true(largest > 0);
    assert_int_equal(heap_caps_get_free_size(0), free_all);
    assert_int_equal(heap_caps_get_total_size(0), total_all);
    assert_int_equal(heap_caps_get_minimum_free_size(0), min_all);
    assert_int_equal(heap_caps_get_largest_free_block(0), largest);
    for (size_t n = 1; n <= 4096; n *= 8)
        assert_null(heap_caps_malloc(n, 0));
    ts_failed_reset();
}

/* Live blocks of random sizes and masks, every other one freed. */
static void fragment(uint64_t seed) {
    static const uint32_t masks[] = {
        MALLOC_CAP_8BIT,   MALLOC_CAP_32BIT,
        MALLOC_CAP_DMA,    MALLOC_CAP_EXEC,
        MALLOC_CAP_SIMD,   MALLOC_CAP_SPIRAM,
        MALLOC_CAP_RTCRAM, MALLOC_CAP_DEFAULT | MALLOC_CAP_INTERNAL};
    static void *live[600];
    ts_rng_t r;
    ts_rng_seed(&r, seed);
    size_t n = 0;
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++) {
        uint32_t caps = masks[ts_rng_range(&r, 0, 7)];
        void *p = heap_caps_malloc((size_t)ts_rng_range(&r, 1, 3000), caps);
        if (p)
            live[n++] = p;
    }
    assert_true(n > 100);
    for (size_t i = 0; i < n; i += 2)
        heap_caps_free(live[i]);
    ts_failed_reset();
}

static void run_chip(const char *chip, et_opts_t o) {
    et_boot_opts(chip, o);
    mask_zero();
    tally_t t = check_all_masks(true);
    /* Every chip serves some masks and refuses others (0 among them). */
    assert_true(t.served > 0);
    assert_true(t.unservable > 0);
    fragment(0x1a96e5u);
    check_all_masks(false);
    mask_zero();
}

static void esp32(void **state) {
    (void)state;
    et_opts_t o = {"4M", true, true};
    run_chip("esp32", o);
}

static void esp32s3(void **state) {
    (void)state;
    et_opts_t o = {"8M", true, true};
    run_chip("esp32s3", o);
}

static void esp32c3(void **state) {
    (void)state;
    et_opts_t o = {NULL, true, true};
    run_chip("esp32c3", o);
}

static void stm32h743(void **state) {
    (void)state;
    et_opts_t o = {NULL, false, true};
    run_chip("stm32h743", o);
}

/* A type with a reserve keeps it from requests that a type without one can
 * also serve (capheap_caps_set_reserve): the largest figure of such a
 * request must not count the reserved bytes. */
static void reserve_is_not_offered(void **state) {
    (void)state;
    et_boot("esp32");
    capheap_caps_t *ch = heap_caps_capheap();
    int dram = -1;
    for (unsigned t = 0; t < ch->type_count; t++) {
        if (strcmp(ch->types[t].name, "DRAM") == 0)
            dram = (int)t;
    }
    assert_true(dram >= 0);
    capheap_stats_t s;
    capheap_heap_tag_stats(ch->heap, (unsigned)dram, &s);
    /* All of DRAM kept but 4 KiB: its largest block, larger than any of
     * D/IRAM, is no longer what an 8BIT request gets from it. */
    assert_true(s.largest_free_block > 8192);
    assert_int_equal(capheap_caps_set_reserve(ch, "DRAM", s.free_bytes - 4096),
                     CAPHEAP_OK);
    check_all_masks(true);
    fragment(0x5eed);
    check_all_masks(false);
}

/* No figure passes the chip's largest single allocation (the ESP32's is
 * 4 MiB, beyond any of its regions: lowered here, as a chip with a smaller
 * limit than its largest region has it). */
static void size_limit_is_kept(void **state) {
    (void)state;
    et_boot("esp32");
    capheap_caps_t *ch = heap_caps_capheap();
    assert_true(heap_caps_get_largest_free_block(MALLOC_CAP_8BIT) > 65536);
    ch->max_alloc = 65536 + 3;
    assert_int_equal(heap_caps_get_largest_free_block(MALLOC_CAP_8BIT),
                     65536 + 3);
    check_all_masks(true);
    fragment(0x11417);
    check_all_masks(false);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(esp32),
        cmocka_unit_test(esp32s3),
        cmocka_unit_test(esp32c3),
        cmocka_unit_test(stm32h743),
        cmocka_unit_test(reserve_is_not_offered),
        cmocka_unit_test(size_limit_is_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
