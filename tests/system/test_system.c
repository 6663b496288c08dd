#define _POSIX_C_SOURCE 200809L
/*
 * test_system.c - the system heap on a Linux host (capheap/system.h): an
 * application's own chip through the ESP-IDF and the native API, simulated
 * at its own addresses; CAPHEAP_CHIP overriding it only when set; a chip
 * that cannot serve malloc() reported at start-up; the failure callback
 * and the external-memory policy of malloc().
 */
#include "test_support.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capheap/malloc.h"
#include "capheap/sim.h"
#include "capheap/system.h"
#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"
#include "system_test_env.h"

#define C(x) CAPHEAP_CAP_##x

/* An application's chip: tightly coupled memory that executes, plain SRAM
 * and DMA-capable SRAM. 0x62000000..0x62300000 can be mapped by x86-64 and
 * i386 processes (the host chip's comment says why 0x6xxxxxxx), apart from
 * the host chip's 0x60000000..0x60C00000, and lies above the simulation's
 * low limit, so it is simulated where it is. */
enum { TCM, SRAM, DMARAM };
#define TCM_AT  0x62000000u
#define SRAM_AT 0x62100000u
#define DMA_AT  0x62200000u
static const capheap_mem_type_t my_types[] = {
    [TCM] = {"TCM", {C(EXEC) | C(32BIT) | C(TCM), 0, 0}},
    [SRAM] = {"SRAM", {C(DEFAULT) | C(INTERNAL) | C(8BIT) | C(32BIT), 0, 0}},
    [DMARAM] = {"DMA SRAM",
                {C(DMA), C(DEFAULT) | C(INTERNAL) | C(8BIT) | C(32BIT), 0}},
};
static const capheap_region_desc_t my_regions[] = {
    {TCM_AT, 0x10000, TCM, false, 0, 0},
    {SRAM_AT, 0x40000, SRAM, false, 0, 0},
    {DMA_AT, 0x20000, DMARAM, false, 0, 0},
};
static const capheap_chip_t my_chip = {
    .name = "my-board",
    .types = my_types,
    .type_count = 3,
    .regions = my_regions,
    .region_count = 3,
    .dma_lo = DMA_AT,
    .dma_hi = DMA_AT + 0x20000,
    .cache_line = 32,
    .simd_align = 16,
    .max_alloc = 0x40000,
};

/* A chip whose only memory is DMA buffers: nothing offers DEFAULT with
 * INTERNAL, so malloc() can get nothing. */
static const capheap_mem_type_t dma_only_types[] = {
    {"DMA", {C(DMA) | C(8BIT) | C(32BIT), 0, 0}},
};
static const capheap_region_desc_t dma_only_regions[] = {
    {DMA_AT, 0x20000, 0, false, 0, 0},
};
static const capheap_chip_t dma_only_chip = {
    .name = "dma-only",
    .types = dma_only_types,
    .type_count = 1,
    .regions = dma_only_regions,
    .region_count = 1,
    .dma_lo = DMA_AT,
    .dma_hi = DMA_AT + 0x20000,
    .cache_line = 32,
    .simd_align = 16,
    .max_alloc = 0x20000,
};

static bool within(const void *p, uintptr_t start, size_t size) {
    return (uintptr_t)p >= start && (uintptr_t)p - start < size;
}

/* A clean start for each test: no CAPHEAP_CHIP, no named chip, the
 * recording hooks. */
static void fresh(void) {
    unsetenv("CAPHEAP_CHIP");
    unsetenv("CAPHEAP_PSRAM");
    capheap_esp_set_chip(NULL, NULL);
    capheap_system_set_extmem_limit(SIZE_MAX);
    ts_errors_install();
    ts_errors_reset();
    capheap_system_set_failed_hook(ts_failed_hook);
    ts_failed_reset();
}

/* The case: capheap_esp_set_chip() then heap_caps_init() simulates
 * the application's chip, at its own addresses, and the ESP-IDF API and
 * malloc() place blocks by its types. */
static void esp_api_on_own_chip(void **state) {
    (void)state;
    fresh();
    capheap_chip_options_t opts = {0, 0, 0, 0, 0};
    capheap_esp_set_chip(&my_chip, &opts);
    heap_caps_init();
    capheap_caps_t *ch = heap_caps_capheap();
    assert_non_null(ch);
    assert_ptr_equal(ch->chip, &my_chip);
    assert_ptr_equal(capheap_system(), ch);

    void *code = heap_caps_malloc(256, MALLOC_CAP_EXEC);
    void *dma = heap_caps_malloc(512, MALLOC_CAP_DMA);
    void *m = capheap_malloc(1000);
    assert_true(within(code, TCM_AT, 0x10000));
    assert_true(within(dma, DMA_AT, 0x20000));
    assert_true(within(m, SRAM_AT, 0x40000));
    /* The memory is really there, at those addresses. */
    memset(code, 0x5a, 256);
    memset(dma, 0xa5, 512);
    memset(m, 0x11, 1000);
    assert_int_equal(heap_caps_get_total_size(MALLOC_CAP_DMA),
                     capheap_caps_total_size(ch, MALLOC_CAP_DMA));
    assert_true(heap_caps_get_total_size(MALLOC_CAP_EXEC) <= 0x10000);
    assert_true(heap_caps_get_total_size(MALLOC_CAP_EXEC) > 0x10000 - 512);
    assert_true(heap_caps_check_integrity_all(true));
    heap_caps_free(code);
    heap_caps_free(dma);
    capheap_free(m);
    assert_int_equal(ts_failed.calls, 0);
    assert_int_equal(ts_errors()->count, 0);
}

/* The native API names the chip itself: same result. */
static void native_api_on_own_chip(void **state) {
    (void)state;
    fresh();
    assert_int_equal(capheap_system_init(&my_chip, NULL), CAPHEAP_OK);
    capheap_caps_t *ch = capheap_system();
    assert_ptr_equal(ch->chip, &my_chip);
    void *p = capheap_caps_alloc(ch, 64, C(TCM));
    assert_true(within(p, TCM_AT, 0x10000));
    capheap_caps_free(ch, p);
    /* Named, then built by capheap_system_init(NULL, NULL). */
    capheap_system_set_chip(&my_chip, NULL);
    assert_int_equal(capheap_system_init(NULL, NULL), CAPHEAP_OK);
    assert_ptr_equal(capheap_system()->chip, &my_chip);
}

/* CAPHEAP_CHIP replaces the named chip when it is set, and only then. */
static void environment_overrides_only_when_set(void **state) {
    (void)state;
    fresh();
    capheap_esp_set_chip(&my_chip, NULL);
    setenv("CAPHEAP_CHIP", "host", 1);
    heap_caps_init();
    assert_string_equal(heap_caps_capheap()->chip->name, "host");
    void *p = capheap_malloc(100);
    assert_true(within(p, 0x60000000, 0xC00000));
    capheap_free(p);
    unsetenv("CAPHEAP_CHIP");
    heap_caps_init();
    assert_ptr_equal(heap_caps_capheap()->chip, &my_chip);
    /* Nothing named and nothing in the environment: the ESP32. */
    capheap_esp_set_chip(NULL, NULL);
    char who[700] = "";
    const capheap_chip_t *esp32 = capheap_sim_chip(&capheap_chip_esp32);
    capheap_chip_options_t none = {0, 0, 0, 0, 0};
    if (capheap_sim_probe(esp32, &none, who, sizeof who) == CAPHEAP_OK) {
        heap_caps_init();
        assert_string_equal(heap_caps_capheap()->chip->name, "esp32");
    } else {
        print_message("[  NOTE    ] the ESP32 default is not mapped here: "
                      "%s\n",
                      who);
    }
}

/* A chip that cannot serve malloc(): start-up says so and returns
 * CAPHEAP_ERR_NO_MALLOC; the heap serves what the chip offers, and
 * malloc() fails through the callback with errno ENOMEM. */
static void chip_without_malloc_memory(void **state) {
    (void)state;
    fresh();
    ts_capture_t cap;
    ts_capture_begin(&cap, true);
    capheap_err_t err = capheap_system_init(&dma_only_chip, NULL);
    char *text = ts_capture_end(&cap);
    assert_int_equal(err, CAPHEAP_ERR_NO_MALLOC);
    assert_non_null(strstr(text, "dma-only"));
    assert_non_null(strstr(text, "DEFAULT|INTERNAL"));
    assert_non_null(strstr(text, "malloc() will return NULL"));
    free(text);

    void *dma = heap_caps_malloc(128, MALLOC_CAP_DMA);
    assert_true(within(dma, DMA_AT, 0x20000));
    errno = 0;
    assert_null(capheap_malloc(128));
    assert_int_equal(errno, ENOMEM);
    assert_int_equal(ts_failed.calls, 1);
    assert_int_equal(ts_failed.size, 128);
    assert_int_equal(ts_failed.caps, MALLOC_CAP_DEFAULT);
    assert_string_equal(ts_failed.fn, "heap_caps_malloc_default");
    heap_caps_free(dma);

    /* The ESP-IDF entry point prints the same and returns nothing. */
    capheap_esp_set_chip(&dma_only_chip, NULL);
    ts_capture_begin(&cap, true);
    heap_caps_init();
    text = ts_capture_end(&cap);
    assert_non_null(strstr(text, "dma-only"));
    free(text);
    /* A chip that can serve malloc() prints nothing. */
    ts_capture_begin(&cap, true);
    err = capheap_system_init(&my_chip, NULL);
    text = ts_capture_end(&cap);
    assert_int_equal(err, CAPHEAP_OK);
    assert_string_equal(text, "");
    free(text);
}

/* A start-up that fails leaves the heap unusable, without a lazy start-up
 * behind the application's back, until one succeeds. */
static void failed_start_up_stays_failed(void **state) {
    (void)state;
    fresh();
    /* More types than a capability heap takes: capheap_caps_init()
     * refuses the chip. */
    capheap_chip_t broken = my_chip;
    broken.name = "broken-board";
    broken.type_count = CAPHEAP_CAPS_MAX_TYPES + 1;
    ts_capture_t cap;
    ts_capture_begin(&cap, true);
    capheap_err_t err = capheap_system_init(&broken, NULL);
    char *text = ts_capture_end(&cap);
    assert_int_equal(err, CAPHEAP_ERR_INVALID_ARG);
    assert_non_null(strstr(text, "broken-board"));
    free(text);
    assert_null(capheap_system());
    assert_null(heap_caps_capheap());
    assert_null(capheap_malloc(16));
    assert_int_equal(ts_failed.calls, 1);
    assert_null(heap_caps_malloc(16, MALLOC_CAP_8BIT));
    assert_int_equal(ts_failed.calls, 2);
    assert_int_equal(heap_caps_get_free_size(0), 0);
    assert_int_equal(ts_errors()->count, 0);
    int x;
    capheap_free(&x);
    assert_int_equal(ts_errors()->count, 1);
    assert_int_equal(ts_errors()->last, CAPHEAP_ERR_FOREIGN_POINTER);
    assert_ptr_equal(ts_errors()->last_addr, &x);
}

/* The failure callback hears every failed request of size > 0, after the
 * fallbacks; extmem: large requests fall back to any DEFAULT memory. */
static void failure_callback_and_extmem(void **state) {
    (void)state;
    fresh();
    assert_int_equal(capheap_system_init(&my_chip, NULL), CAPHEAP_OK);
    assert_null(capheap_system_malloc(0x100000));
    assert_int_equal(ts_failed.calls, 1);
    assert_int_equal(ts_failed.size, 0x100000);
    assert_null(capheap_system_aligned_alloc(64, 0x100000));
    assert_int_equal(ts_failed.calls, 2);
    assert_string_equal(ts_failed.fn, "heap_caps_aligned_alloc_default");
    assert_null(capheap_system_malloc(0));
    assert_null(capheap_system_aligned_alloc(3, 16));
    assert_int_equal(ts_failed.calls, 2);
    /* Fill SRAM: malloc() is internal (DEFAULT|INTERNAL: SRAM and the DMA
     * SRAM at level 1), so it then takes DMA SRAM. */
    void *big = capheap_system_malloc(0x3f000);
    assert_true(within(big, SRAM_AT, 0x40000));
    void *next = capheap_system_malloc(0x2000);
    assert_true(within(next, DMA_AT, 0x20000));
    void *r = capheap_system_realloc(next, 0x2100);
    assert_non_null(r);
    capheap_system_free(r);
    capheap_system_free(big);
    /* Removing the callback: failures are silent again. */
    capheap_system_set_failed_hook(NULL);
    assert_null(capheap_system_malloc(0x100000));
    assert_int_equal(ts_failed.calls, 2);
}

/* Reservations stay out of every heap built after them (last: they are
 * kept for the rest of the process). */
static void reservations_stay_out(void **state) {
    (void)state;
    fresh();
    assert_int_equal(capheap_system_init(&my_chip, NULL), CAPHEAP_OK);
    size_t before = heap_caps_get_total_size(MALLOC_CAP_INTERNAL);
    assert_int_equal(capheap_system_reserve(SRAM_AT + 0x100, SRAM_AT, "bad"),
                     CAPHEAP_ERR_INVALID_ARG);
    assert_int_equal(capheap_esp_reserve(SRAM_AT, SRAM_AT + 0x1000, "mine"),
                     ESP_OK);
    assert_int_equal(capheap_system_init(&my_chip, NULL), CAPHEAP_OK);
    assert_int_equal(heap_caps_get_total_size(MALLOC_CAP_INTERNAL),
                     before - 0x1000);
    void *p = heap_caps_malloc(0x3e000, MALLOC_CAP_INTERNAL);
    assert_true(within(p, SRAM_AT + 0x1000, 0x3f000));
    heap_caps_free(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(esp_api_on_own_chip),
        cmocka_unit_test(native_api_on_own_chip),
        cmocka_unit_test(environment_overrides_only_when_set),
        cmocka_unit_test(chip_without_malloc_memory),
        cmocka_unit_test(failed_start_up_stays_failed),
        cmocka_unit_test(failure_callback_and_extmem),
        cmocka_unit_test(reservations_stay_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
