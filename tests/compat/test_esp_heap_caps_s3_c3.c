#define _POSIX_C_SOURCE 200809L
/*
 * test_esp_heap_caps_s3_c3.c - the heap_caps_* API on the simulated
 * ESP32-S3 and ESP32-C3 (CAPHEAP_CHIP=esp32s3 / esp32c3): D/IRAM seen on
 * both buses through a linear window, EXEC memory handed out by its
 * instruction-bus address, DMA alignment to the chip's cache line. Every
 * test runs once per chip (the chip's name is the test's initial state).
 */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "capheap/malloc.h"
#include "esp_heap_alloc_caps.h"
#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"
#include "esp_test_env.h"

static const char *chip_of(void **state) {
    return (const char *)*state;
}

static size_t round_up(size_t n, size_t a) {
    return (n + a - 1) / a * a;
}

/* The chip's one dual-mapped window. */
static const capheap_alias_t *window(void) {
    const capheap_chip_t *c = et_chip();
    assert_int_equal(c->alias_count, 1);
    assert_int_equal(c->aliases[0].kind, CAPHEAP_ALIAS_LINEAR);
    return &c->aliases[0];
}

static bool in_ibus(const void *p, size_t n) {
    const capheap_alias_t *w = window();
    uintptr_t a = (uintptr_t)p, len = w->dram_hi - w->dram_lo;
    return a >= w->iram_lo && a + n <= w->iram_lo + len;
}

static bool in_dbus(const void *p, size_t n) {
    const capheap_alias_t *w = window();
    uintptr_t a = (uintptr_t)p;
    return a >= w->dram_lo && a + n <= w->dram_hi;
}

static void free32_at_least_free8(void **state) {
    et_boot(chip_of(state));
    size_t f8 = heap_caps_get_free_size(MALLOC_CAP_8BIT);
    size_t f32 = heap_caps_get_free_size(MALLOC_CAP_32BIT);
    assert_true(f8 > 200 * 1024);
    assert_true(f32 >= f8);
    /* D/IRAM holds code too: EXEC memory is that RAM, counted once. */
    assert_true(heap_caps_get_free_size(MALLOC_CAP_EXEC) > 200 * 1024);
    assert_true(heap_caps_get_free_size(MALLOC_CAP_EXEC) <= f32);
    assert_true(heap_caps_get_total_size(MALLOC_CAP_32BIT) >= f32);
}

static void exec_memory_on_instruction_bus(void **state) {
    et_boot(chip_of(state));
    const capheap_chip_t *chip = et_chip();
    size_t f8 = heap_caps_get_free_size(MALLOC_CAP_8BIT);
    uint32_t *x = heap_caps_malloc(256, MALLOC_CAP_EXEC);
    assert_non_null(x);
    assert_true(et_on_ibus(x));
    assert_true(in_ibus(x, 256));
    assert_int_equal((uintptr_t)x % 4, 0);
    assert_true(heap_caps_get_allocated_size(x) >= 256);
    /* It is data RAM, taken from the byte-accessible free. */
    assert_true(f8 - heap_caps_get_free_size(MALLOC_CAP_8BIT) >= 256 + 4);
    uint32_t *d = (uint32_t *)capheap_caps_iram_to_dram(chip, (uintptr_t)x);
    assert_true(in_dbus(d, 256));
    assert_int_equal(capheap_caps_dram_to_iram(chip, (uintptr_t)d),
                     (uintptr_t)x);
    /* Written on one bus, read on the other, both ways. */
    for (uint32_t i = 0; i < 64; i++)
        x[i] = 0xA5000000u + i;
    for (uint32_t i = 0; i < 64; i++)
        assert_int_equal(d[i], 0xA5000000u + i);
    for (uint32_t i = 0; i < 64; i++)
        d[i] = ~i;
    for (uint32_t i = 0; i < 64; i++)
        assert_int_equal(x[i], ~i);
    assert_true(heap_caps_check_integrity_all(true));
    heap_caps_free(x);
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_8BIT), f8);
    /* Shrinking an EXEC block keeps it on the instruction bus. */
    uint32_t *y = heap_caps_malloc(64, MALLOC_CAP_EXEC);
    assert_non_null(y);
    y[0] = 0x12345678u;
    uint32_t *z = heap_caps_realloc(y, 48, MALLOC_CAP_EXEC);
    assert_non_null(z);
    assert_true(et_on_ibus(z));
    assert_int_equal(z[0], 0x12345678u);
    capheap_free(z); /* free() takes the instruction-bus address too */
    /* Aligned EXEC from D/IRAM: the instruction-bus address is aligned. */
    for (size_t a = 4; a <= 256; a *= 4) {
        uint32_t *w = heap_caps_aligned_alloc(a, 100, MALLOC_CAP_EXEC);
        assert_non_null(w);
        assert_true(et_on_ibus(w));
        assert_int_equal((uintptr_t)w % a, 0);
        assert_true(heap_caps_get_allocated_size(w) >= 100);
        uint32_t *wd =
            (uint32_t *)capheap_caps_iram_to_dram(chip, (uintptr_t)w);
        w[0] = 0x600DC0DEu;
        w[24] = (uint32_t)a;
        assert_int_equal(wd[0], 0x600DC0DEu);
        assert_int_equal(wd[24], (uint32_t)a);
        heap_caps_free(w);
    }
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_8BIT), f8);
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_8BIT), f8);
    assert_int_equal(ts_errors()->count, 0);
    assert_true(heap_caps_check_integrity_all(true));
}

/* "Allocate D/IRAM as DRAM": data allocations seen through the alias. */
static void data_memory_seen_on_instruction_bus(void **state) {
    et_boot(chip_of(state));
    const capheap_chip_t *chip = et_chip();
    uint32_t *d = heap_caps_malloc(1024, MALLOC_CAP_8BIT | MALLOC_CAP_INTERNAL);
    assert_non_null(d);
    assert_true(in_dbus(d, 1024));
    assert_false(et_on_ibus(d));
    uint32_t *i = (uint32_t *)capheap_caps_dram_to_iram(chip, (uintptr_t)d);
    assert_true(in_ibus(i, 1024));
    for (uint32_t k = 0; k < 256; k++)
        d[k] = k * 2654435761u;
    for (uint32_t k = 0; k < 256; k++)
        assert_int_equal(i[k], k * 2654435761u);
    heap_caps_free(d);
}

static void realloc_moves_between_caps(void **state) {
    et_boot(chip_of(state));
    size_t f8 = heap_caps_get_free_size(MALLOC_CAP_8BIT);
    unsigned char *p = heap_caps_malloc(64, MALLOC_CAP_8BIT);
    assert_non_null(p);
    assert_false(et_on_ibus(p));
    ts_fill(p, 64, 7);
    unsigned char *q = heap_caps_realloc(p, 64, MALLOC_CAP_EXEC);
    assert_non_null(q);
    assert_true(et_on_ibus(q));
    assert_true(ts_verify(q, 64, 7));
    assert_true(heap_caps_check_integrity_all(true));
    unsigned char *r = heap_caps_realloc(q, 200, MALLOC_CAP_DMA);
    assert_non_null(r);
    assert_false(et_on_ibus(r));
    assert_true(esp_ptr_dma_capable(r));
    assert_true(ts_verify(r, 64, 7));
    ts_fill(r, 200, 8);
    unsigned char *s = heap_caps_realloc(r, 100, MALLOC_CAP_EXEC);
    assert_non_null(s);
    assert_true(et_on_ibus(s));
    assert_true(ts_verify(s, 100, 8));
    unsigned char *t = heap_caps_realloc(s, 40, MALLOC_CAP_8BIT);
    assert_non_null(t);
    assert_false(et_on_ibus(t));
    assert_true(ts_verify(t, 40, 8));
    heap_caps_free(t);
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_8BIT), f8);
    assert_int_equal(ts_errors()->count, 0);
    assert_true(heap_caps_check_integrity_all(true));
}

static int count_1k_until_full(void) {
    static void *blocks[2048];
    int n = 0;
    while (n < 2048 && (blocks[n] = heap_caps_malloc(
                            1024, MALLOC_CAP_8BIT | MALLOC_CAP_INTERNAL))) {
        ts_fill(blocks[n], 1024, (uint32_t)n);
        n++;
    }
    assert_true(n < 2048);
    for (int i = 0; i < n; i++) {
        assert_true(ts_verify(blocks[i], 1024, (uint32_t)i));
        heap_caps_free(blocks[i]);
    }
    return n;
}

/* "Malloc/overwrite, then free all available DRAM" */
static void exhaust_1k_blocks_twice(void **state) {
    et_boot(chip_of(state));
    size_t before = heap_caps_get_free_size(MALLOC_CAP_8BIT);
    int first = count_1k_until_full();
    int second = count_1k_until_full();
    assert_true((size_t)first * 1024 > before * 9 / 10);
    assert_int_equal(first, second);
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_8BIT), before);
    assert_true(heap_caps_check_integrity_all(true));
}

/* heap_caps_get_largest_free_block() is a size that succeeds now, also
 * for requests that cost more than their size: EXEC (the alias word), DMA
 * and SIMD (the S3's 32- and 16-byte alignment). */
static void largest_free_block_can_be_allocated(void **state) {
    et_boot(chip_of(state));
    const uint32_t masks[] = {MALLOC_CAP_8BIT,
                              MALLOC_CAP_32BIT,
                              MALLOC_CAP_DEFAULT,
                              MALLOC_CAP_INTERNAL,
                              MALLOC_CAP_8BIT | MALLOC_CAP_INTERNAL,
                              MALLOC_CAP_EXEC,
                              MALLOC_CAP_DMA,
                              MALLOC_CAP_SIMD};
    for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++) {
        size_t total = heap_caps_get_free_size(masks[i]);
        size_t big = heap_caps_get_largest_free_block(masks[i]);
        if (masks[i] == MALLOC_CAP_SIMD && et_chip()->simd_align <= 4) {
            assert_int_equal(big, 0); /* the C3 has no SIMD memory */
            continue;
        }
        assert_true(big > 32 * 1024);
        void *p = heap_caps_malloc(big, masks[i]);
        assert_non_null(p);
        assert_true(heap_caps_get_free_size(masks[i]) <= total - big);
        heap_caps_free(p);
        assert_int_equal(heap_caps_get_free_size(masks[i]), total);
        assert_int_equal(heap_caps_get_largest_free_block(masks[i]), big);
    }
    assert_int_equal(ts_failed.calls, 0);
    assert_true(heap_caps_check_integrity_all(true));
}

/* "test alignment for dma": DMA, DMA_DESC_*, CACHE_ALIGNED and SIMD
 * requests are aligned to, and rounded up to, the chip's figure. */
static void dma_requests_honour_cache_line(void **state) {
    et_boot(chip_of(state));
    const capheap_chip_t *chip = et_chip();
    const size_t line = chip->cache_line;
    assert_int_equal(line, strcmp(chip_of(state), "esp32s3") ? 4 : 32);
    const uint32_t masks[] = {MALLOC_CAP_DMA, MALLOC_CAP_DMA_DESC_AHB,
                              MALLOC_CAP_DMA_DESC_AXI,
                              MALLOC_CAP_CACHE_ALIGNED | MALLOC_CAP_8BIT,
                              MALLOC_CAP_CACHE_ALIGNED | MALLOC_CAP_INTERNAL};
    ts_rng_t rng;
    ts_rng_seed(&rng, 2024);
    size_t before = heap_caps_get_free_size(0);
    for (size_t m = 0; m < sizeof masks / sizeof masks[0]; m++) {
        for (int i = 0; i < 100; i++) {
            size_t n = (size_t)ts_rng_range(&rng, 0, 128);
            unsigned char *p = heap_caps_malloc(n, masks[m]);
            if (n == 0) {
                assert_null(p);
                continue;
            }
            assert_non_null(p);
            assert_int_equal((uintptr_t)p % line, 0);
            size_t rounded = round_up(n, line);
            assert_true(heap_caps_get_allocated_size(p) >= rounded);
            if (masks[m] != (MALLOC_CAP_CACHE_ALIGNED | MALLOC_CAP_8BIT) &&
                masks[m] != (MALLOC_CAP_CACHE_ALIGNED | MALLOC_CAP_INTERNAL))
                assert_true(esp_ptr_dma_capable(p));
            memset(p, 0xD4, rounded);
            assert_true(heap_caps_check_integrity_addr((intptr_t)p, true));
            heap_caps_free(p);
        }
    }
    /* realloc keeps a DMA buffer aligned, and its contents. */
    unsigned char *g = heap_caps_malloc(40, MALLOC_CAP_DMA);
    assert_non_null(g);
    ts_fill(g, 40, 40);
    for (size_t n = 100; n <= 3000; n = n * 3 + 1) {
        g = heap_caps_realloc(g, n, MALLOC_CAP_DMA);
        assert_non_null(g);
        assert_int_equal((uintptr_t)g % line, 0);
        assert_true(esp_ptr_dma_capable(g));
        assert_true(ts_verify(g, 40, 40));
    }
    heap_caps_free(g);
    /* An aligned request keeps the larger of the two alignments. */
    void *a = heap_caps_aligned_alloc(256, 10, MALLOC_CAP_DMA);
    assert_non_null(a);
    assert_int_equal((uintptr_t)a % 256, 0);
    heap_caps_free(a);
    /* SIMD buffers: the chip's SIMD alignment (the C3 has no SIMD RAM). */
    void *s = heap_caps_malloc(10, MALLOC_CAP_SIMD);
    if (chip->simd_align > 4) {
        assert_non_null(s);
        assert_int_equal((uintptr_t)s % chip->simd_align, 0);
        heap_caps_free(s);
    } else {
        assert_null(s);
        ts_failed_reset();
    }
    assert_int_equal(heap_caps_get_free_size(0), before);
    assert_int_equal(ts_failed.calls, 0);
}

/* free() of EXEC memory handed out on the instruction bus. */
static void malloc_free_takes_exec_alias(void **state) {
    et_boot(chip_of(state));
    size_t before = heap_caps_get_free_size(MALLOC_CAP_8BIT);
    void *x[8];
    for (int i = 0; i < 8; i++) {
        x[i] = heap_caps_malloc(100 + 40 * (size_t)i, MALLOC_CAP_EXEC);
        assert_non_null(x[i]);
        assert_true(et_on_ibus(x[i]));
        assert_true(capheap_malloc_usable_size(x[i]) >= 100 + 40 * (size_t)i);
    }
    for (int i = 0; i < 8; i += 2)
        capheap_free(x[i]);
    for (int i = 1; i < 8; i += 2)
        vPortFree(x[i]);
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_8BIT), before);
    assert_int_equal(ts_errors()->count, 0);
}

/* The ESP32-S3 with PSRAM: DMA with SPIRAM drops DMA and keeps the cache
 * line; realloc moves a buffer out to PSRAM and back. */
static void s3_psram(void **state) {
    (void)state;
    et_opts_t o = {"2M", false, true};
    et_boot_opts("esp32s3", o);
    size_t ext = heap_caps_get_free_size(MALLOC_CAP_SPIRAM);
    assert_true(ext > 2000000);
    for (size_t n = 1; n < 200; n += 37) {
        void *p = heap_caps_malloc(n, MALLOC_CAP_DMA | MALLOC_CAP_SPIRAM);
        assert_non_null(p);
        assert_true(et_in_type(p, "SPIRAM"));
        assert_int_equal((uintptr_t)p % 32, 0);
        heap_caps_free(p);
    }
    unsigned char *p = heap_caps_malloc(300, MALLOC_CAP_INTERNAL);
    assert_non_null(p);
    ts_fill(p, 300, 5);
    unsigned char *q = heap_caps_realloc(p, 600, MALLOC_CAP_SPIRAM);
    assert_non_null(q);
    assert_true(et_in_type(q, "SPIRAM"));
    assert_true(ts_verify(q, 300, 5));
    unsigned char *r = heap_caps_realloc(q, 200, MALLOC_CAP_EXEC);
    assert_non_null(r);
    assert_true(et_on_ibus(r));
    assert_true(ts_verify(r, 200, 5));
    heap_caps_free(r);
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_SPIRAM), ext);
    /* DMA alone never lands in PSRAM. */
    void *d = heap_caps_malloc(256, MALLOC_CAP_DMA);
    assert_false(et_in_type(d, "SPIRAM"));
    assert_true(esp_ptr_dma_capable(d));
    heap_caps_free(d);
}

#define BOTH(f)                                                                \
    {#f " (esp32s3)", f, NULL, NULL, (void *)"esp32s3"}, {                     \
#f " (esp32c3)", f, NULL, NULL, (void *)"esp32c3"                      \
    }

int main(void) {
    const struct CMUnitTest tests[] = {
        BOTH(free32_at_least_free8),
        BOTH(exec_memory_on_instruction_bus),
        BOTH(data_memory_seen_on_instruction_bus),
        BOTH(realloc_moves_between_caps),
        BOTH(exhaust_1k_blocks_twice),
        BOTH(largest_free_block_can_be_allocated),
        BOTH(dma_requests_honour_cache_line),
        BOTH(malloc_free_takes_exec_alias),
        cmocka_unit_test(s3_psram),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
