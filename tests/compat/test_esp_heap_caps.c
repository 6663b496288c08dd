#define _POSIX_C_SOURCE 200809L
/*
 * test_esp_heap_caps.c - ESP-IDF's heap_caps_* API on the simulated ESP32:
 * the behaviours of ESP-IDF's own heap tests (components/heap/test_apps),
 * through the compatible API rather than the native one (which
 * tests/caps/test_caps_esp32.c covers). Each test boots a fresh heap with
 * heap_caps_init(); where the host holds the ESP32's addresses (qemu-user's
 * i386 stack) every test skips, saying so.
 */
#include "test_support.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capheap/malloc.h"
#include "esp_heap_alloc_caps.h"
#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"
#include "esp_test_env.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define HAVE_VALGRIND_H 1
#endif
#endif

#define MiB ((size_t)1024 * 1024)

/* Valgrind resumes an access that faulted with stale registers unless run
 * with --vex-iropt-register-updates=allregs-at-mem-access, which a test
 * cannot see: accesses through the ESP32's inverted window (which move its
 * pages between the views by fault) are left out under it, as in
 * tests/sim/test_sim.c. */
static void inverted_access_or_skip(void) {
#ifdef HAVE_VALGRIND_H
    bool valgrind = RUNNING_ON_VALGRIND;
#else
    const char *pre = getenv("LD_PRELOAD");
    bool valgrind = pre && strstr(pre, "vgpreload");
#endif
    if (valgrind) {
        print_message("[  SKIP    ] under Valgrind an access resumed after a "
                      "fault may see stale registers; the ESP32's inverted "
                      "window is tested natively, under ASan and qemu\n");
        skip();
    }
}

static size_t round4(size_t n) {
    return (n + 3) & ~(size_t)3;
}

static void info_of(multi_heap_info_t *info, uint32_t caps) {
    memset(info, 0xA5, sizeof *info); /* every field must be written */
    heap_caps_get_info(info, caps);
}

/* ---- "heap_caps metadata test" ------------------------------------------ */

static void metadata(void **state) {
    (void)state;
    et_boot("esp32");
    multi_heap_info_t original, after;
    info_of(&original, MALLOC_CAP_8BIT);
    assert_true(original.largest_free_block > 64 * 1024);
    void *b = heap_caps_malloc(original.largest_free_block, MALLOC_CAP_8BIT);
    assert_non_null(b);
    memset(b, 0x3C, original.largest_free_block);
    info_of(&after, MALLOC_CAP_8BIT);
    assert_true(after.largest_free_block <= original.largest_free_block);
    assert_true(after.total_free_bytes <=
                original.total_free_bytes - original.largest_free_block);
    assert_int_equal(after.allocated_blocks, original.allocated_blocks + 1);
    heap_caps_free(b);
    info_of(&after, MALLOC_CAP_8BIT);
    assert_int_equal(after.largest_free_block, original.largest_free_block);
    assert_int_equal(after.total_free_bytes, original.total_free_bytes);
    assert_true(after.minimum_free_bytes < original.total_free_bytes);
    assert_true(after.minimum_free_bytes <=
                original.total_free_bytes - original.largest_free_block);
    assert_true(heap_caps_check_integrity_all(true));
}

/* heap_caps_get_largest_free_block() is a size that succeeds now, also
 * where the request costs more than its size: EXEC from D/IRAM (larger
 * than what IRAM has) pays the alias word. */
static void largest_free_block_can_be_allocated(void **state) {
    (void)state;
    et_boot("esp32");
    const uint32_t masks[] = {
        MALLOC_CAP_8BIT,     MALLOC_CAP_32BIT,
        MALLOC_CAP_DMA,      MALLOC_CAP_EXEC,
        MALLOC_CAP_INTERNAL, MALLOC_CAP_DEFAULT | MALLOC_CAP_INTERNAL};
    for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++) {
        size_t total = heap_caps_get_free_size(masks[i]);
        size_t big = heap_caps_get_largest_free_block(masks[i]);
        assert_true(big > 64 * 1024);
        void *p = heap_caps_malloc(big, masks[i]);
        assert_non_null(p);
        assert_true(heap_caps_get_free_size(masks[i]) <= total - big);
        heap_caps_free(p);
        assert_int_equal(heap_caps_get_free_size(masks[i]), total);
    }
    /* EXEC's largest is served from D/IRAM, through the instruction bus. */
    void *x = heap_caps_malloc(
        heap_caps_get_largest_free_block(MALLOC_CAP_EXEC), MALLOC_CAP_EXEC);
    assert_true(et_on_ibus(x));
    heap_caps_free(x);
    assert_int_equal(ts_failed.calls, 0);
}

/* ---- minimum-free monitoring --------------------------------------------- */

static void min_free_monitoring(void **state) {
    (void)state;
    et_boot("esp32");
    /* Lower the global minimum first, so the window has something to keep. */
    void *big = heap_caps_malloc(32 * 1024, MALLOC_CAP_DEFAULT);
    assert_non_null(big);
    heap_caps_free(big);
    size_t global_min = heap_caps_get_minimum_free_size(MALLOC_CAP_DEFAULT);
    size_t free_now = heap_caps_get_free_size(MALLOC_CAP_DEFAULT);
    assert_true(global_min <= free_now - 32 * 1024);

    assert_int_equal(heap_caps_monitor_local_minimum_free_size_start(), ESP_OK);
    size_t local_min = heap_caps_get_minimum_free_size(MALLOC_CAP_DEFAULT);
    assert_true(local_min >= global_min);
    assert_int_equal(local_min, free_now); /* the window starts afresh */
    void *p = heap_caps_malloc(400, MALLOC_CAP_DEFAULT);
    assert_non_null(p);
    heap_caps_free(p);
    size_t window_min = heap_caps_get_minimum_free_size(MALLOC_CAP_DEFAULT);
    assert_true(window_min <= local_min - 400);
    assert_true(window_min > global_min);

    assert_int_equal(heap_caps_monitor_local_minimum_free_size_stop(), ESP_OK);
    size_t after = heap_caps_get_minimum_free_size(MALLOC_CAP_DEFAULT);
    assert_true(after <= local_min);
    /* The lower of the window's and the one before it, heap by heap: both
     * allocations came from the same heap, so the earlier one. */
    assert_int_equal(after, global_min);
}

static void min_free_monitoring_fault_cases(void **state) {
    (void)state;
    et_boot("esp32");
    assert_int_not_equal(heap_caps_monitor_local_minimum_free_size_stop(),
                         ESP_OK); /* no window open */
    void *big = heap_caps_malloc(16 * 1024, MALLOC_CAP_DEFAULT);
    assert_non_null(big);
    heap_caps_free(big);
    size_t global_min = heap_caps_get_minimum_free_size(MALLOC_CAP_DEFAULT);
    size_t free_now = heap_caps_get_free_size(MALLOC_CAP_DEFAULT);
    assert_true(global_min < free_now);
    assert_int_equal(heap_caps_monitor_local_minimum_free_size_start(), ESP_OK);
    assert_int_equal(heap_caps_get_minimum_free_size(MALLOC_CAP_DEFAULT),
                     free_now);
    /* Starting again restarts the window ... */
    void *p = heap_caps_malloc(4 * 1024, MALLOC_CAP_DEFAULT);
    assert_non_null(p);
    heap_caps_free(p);
    assert_true(heap_caps_get_minimum_free_size(MALLOC_CAP_DEFAULT) <
                free_now - 4 * 1024);
    assert_int_equal(heap_caps_monitor_local_minimum_free_size_start(), ESP_OK);
    assert_int_equal(heap_caps_get_minimum_free_size(MALLOC_CAP_DEFAULT),
                     free_now);
    /* ... and keeps the lowest minimum seen before it: the one from before
     * the first window, not the first window's. */
    assert_int_equal(heap_caps_monitor_local_minimum_free_size_stop(), ESP_OK);
    assert_int_equal(heap_caps_get_minimum_free_size(MALLOC_CAP_DEFAULT),
                     global_min);
    assert_int_not_equal(heap_caps_monitor_local_minimum_free_size_stop(),
                         ESP_OK);
    assert_int_equal(heap_caps_get_minimum_free_size(MALLOC_CAP_DEFAULT),
                     global_min);
    /* A window again after that. */
    assert_int_equal(heap_caps_monitor_local_minimum_free_size_start(), ESP_OK);
    assert_int_equal(heap_caps_monitor_local_minimum_free_size_stop(), ESP_OK);
}

/* ---- regions added at run time ------------------------------------------- */

/* "heap registered after startup should not affect minimum free size" */
static void region_after_startup_keeps_minimum(void **state) {
    (void)state;
    et_boot("esp32"); /* enables the start-up stack heaps: start-up is over */
    const uint32_t invented = 1u << 29;
    size_t min_default = heap_caps_get_minimum_free_size(MALLOC_CAP_DEFAULT);
    size_t free_default = heap_caps_get_free_size(MALLOC_CAP_DEFAULT);
    char *buf = malloc(3500);
    assert_non_null(buf);
    const uint32_t caps[3] = {invented, 0, 0};
    assert_int_equal(heap_caps_add_region_with_caps(caps, (intptr_t)buf,
                                                    (intptr_t)buf + 3500),
                     ESP_OK);
    assert_int_equal(heap_caps_get_minimum_free_size(invented), 0);
    assert_true(heap_caps_get_free_size(invented) > 3500 - 400);
    assert_true(heap_caps_get_minimum_free_size(MALLOC_CAP_DEFAULT) <=
                min_default);
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_DEFAULT), free_default);
    assert_true(heap_caps_check_integrity_all(true));
    heap_caps_init(); /* forget the heap inside buf before freeing it */
    free(buf);
}

/* "Allocate new heap with new capability" */
static void new_capability_after_its_region(void **state) {
    (void)state;
    et_boot("esp32");
    const uint32_t invented = 1u << 30;
    assert_null(heap_caps_malloc(64, invented));
    assert_int_equal(ts_failed.calls, 1);
    assert_int_equal(ts_failed.caps, invented);
    char *buf = malloc(3500);
    assert_non_null(buf);
    const uint32_t caps[3] = {invented, 0, 0};
    assert_int_equal(heap_caps_add_region_with_caps(caps, (intptr_t)buf,
                                                    (intptr_t)buf + 3500),
                     ESP_OK);
    char *p = heap_caps_malloc(64, invented);
    assert_non_null(p);
    assert_true(p >= buf && p + 64 <= buf + 3500);
    assert_int_equal(ts_failed.calls, 1);
    memset(p, 0x11, 64);
    assert_true(heap_caps_check_integrity_addr((intptr_t)p, true));
    heap_caps_free(p);
    assert_true(heap_caps_check_integrity_all(true));
    heap_caps_init();
    free(buf);
}

static void add_region_errors(void **state) {
    (void)state;
    et_boot("esp32");
    const uint32_t caps[3] = {1u << 29, 0, 0};
    unsigned char *base = ts_arena(0x5000);
    intptr_t b = (intptr_t)base;
    /* Host memory lies in no region of the chip: no caps to take. */
    assert_int_equal(heap_caps_add_region(b + 0x1000, b + 0x3000),
                     ESP_ERR_NOT_FOUND);
    assert_int_equal(heap_caps_add_region(0, 0x1000), ESP_ERR_INVALID_ARG);
    assert_int_equal(heap_caps_add_region_with_caps(NULL, b, b + 0x1000),
                     ESP_ERR_INVALID_ARG);
    assert_int_equal(heap_caps_add_region_with_caps(caps, 0, 0x1000),
                     ESP_ERR_INVALID_ARG);
    assert_int_equal(heap_caps_add_region_with_caps(caps, b, 0),
                     ESP_ERR_INVALID_ARG);
    assert_int_equal(heap_caps_add_region_with_caps(caps, b, b),
                     ESP_ERR_INVALID_ARG);
    assert_int_equal(heap_caps_add_region_with_caps(caps, b + 0x100, b),
                     ESP_ERR_INVALID_ARG);
    assert_int_equal(heap_caps_add_region_with_caps(caps, b, b + 8),
                     ESP_ERR_INVALID_SIZE);
    assert_int_equal(heap_caps_get_total_size(1u << 29), 0);
    /* ESP-IDF's overlap rule against [0x1000, 0x3000). */
    assert_int_equal(
        heap_caps_add_region_with_caps(caps, b + 0x1000, b + 0x3000), ESP_OK);
    assert_int_equal(heap_caps_add_region_with_caps(caps, b, b + 0x2000),
                     ESP_FAIL);
    assert_int_equal(heap_caps_add_region_with_caps(caps, b, b + 0x4000),
                     ESP_FAIL);
    assert_int_equal(
        heap_caps_add_region_with_caps(caps, b + 0x1000, b + 0x4000), ESP_FAIL);
    assert_int_equal(
        heap_caps_add_region_with_caps(caps, b + 0x2000, b + 0x4000), ESP_FAIL);
    assert_int_equal(
        heap_caps_add_region_with_caps(caps, b + 0x1000, b + 0x3000), ESP_FAIL);
    assert_int_equal(heap_caps_add_region_with_caps(caps, b, b + 0x1000),
                     ESP_OK);
    assert_int_equal(
        heap_caps_add_region_with_caps(caps, b + 0x3000, b + 0x4000), ESP_OK);
    assert_true(heap_caps_get_total_size(1u << 29) >= 0x3000 - 64);
    assert_true(heap_caps_check_integrity_all(true));
    heap_caps_init();
    ts_arena_free(base);
}

/* heap_caps_add_region() on chip memory: a live DRAM buffer made a heap
 * gets DRAM's caps ("Add .bss memory to heap region runtime"). */
static void add_region_takes_chip_caps(void **state) {
    (void)state;
    et_boot("esp32");
    char *buf = heap_caps_malloc(4000, MALLOC_CAP_8BIT);
    assert_non_null(buf);
    assert_true(et_in_type(buf, "DRAM"));
    size_t before = heap_caps_get_free_size(MALLOC_CAP_8BIT);
    size_t dma_before = heap_caps_get_free_size(MALLOC_CAP_DMA);
    assert_int_equal(
        heap_caps_add_region((intptr_t)buf + 16, (intptr_t)buf + 16 + 3500),
        ESP_OK);
    assert_true(heap_caps_get_free_size(MALLOC_CAP_8BIT) >=
                before + 3500 - 400);
    assert_true(heap_caps_get_free_size(MALLOC_CAP_DMA) >=
                dma_before + 3500 - 400);
    /* The same range again is rejected. */
    assert_int_equal(
        heap_caps_add_region((intptr_t)buf + 16, (intptr_t)buf + 16 + 3500),
        ESP_FAIL);
    assert_true(heap_caps_check_integrity_all(true));
}

/* ---- the allocation-failure callback ---------------------------------------
 */

static void failed_callback_registration(void **state) {
    (void)state;
    et_boot("esp32");
    assert_int_equal(heap_caps_register_failed_alloc_callback(NULL),
                     ESP_ERR_INVALID_ARG);
    /* The recording callback is still the one called. */
    assert_null(heap_caps_malloc(128 * MiB, MALLOC_CAP_DEFAULT));
    assert_int_equal(ts_failed.calls, 1);
    assert_int_equal(heap_caps_register_failed_alloc_callback(ts_failed_hook),
                     ESP_OK);
}

static void failed_callback_on_huge_requests(void **state) {
    (void)state;
    et_boot("esp32");
    assert_null(heap_caps_malloc(128 * MiB, MALLOC_CAP_DEFAULT));
    assert_int_equal(ts_failed.calls, 1);
    assert_int_equal(ts_failed.size, 128 * MiB);
    assert_int_equal(ts_failed.caps, MALLOC_CAP_DEFAULT);
    assert_string_equal(ts_failed.fn, "heap_caps_malloc");

    ts_failed_reset();
    unsigned char *p = heap_caps_malloc(100, MALLOC_CAP_DEFAULT);
    assert_non_null(p);
    ts_fill(p, 100, 42);
    assert_null(heap_caps_realloc(p, 128 * MiB, MALLOC_CAP_8BIT));
    assert_int_equal(ts_failed.calls, 1);
    assert_int_equal(ts_failed.size, 128 * MiB);
    assert_int_equal(ts_failed.caps, MALLOC_CAP_8BIT);
    assert_string_equal(ts_failed.fn, "heap_caps_realloc");
    assert_true(ts_verify(p, 100, 42)); /* the old block is untouched */
    assert_true(heap_caps_get_allocated_size(p) >= 100);

    ts_failed_reset();
    assert_null(heap_caps_aligned_alloc(0x200, 128 * MiB, MALLOC_CAP_DEFAULT));
    assert_int_equal(ts_failed.calls, 1);
    assert_int_equal(ts_failed.size, 128 * MiB);
    assert_int_equal(ts_failed.caps, MALLOC_CAP_DEFAULT);
    assert_string_equal(ts_failed.fn, "heap_caps_aligned_alloc");

    /* calloc reports its own name and the product (ESP-IDF's
     * heap_caps_calloc() reports n * size under its own __func__). */
    ts_failed_reset();
    assert_null(heap_caps_calloc(16, 8 * MiB, MALLOC_CAP_DEFAULT));
    assert_int_equal(ts_failed.calls, 1);
    assert_int_equal(ts_failed.size, 128 * MiB);
    assert_int_equal(ts_failed.caps, MALLOC_CAP_DEFAULT);
    assert_string_equal(ts_failed.fn, "heap_caps_calloc");
    ts_failed_reset();
    assert_null(heap_caps_aligned_calloc(64, 16, 8 * MiB, MALLOC_CAP_8BIT));
    assert_int_equal(ts_failed.calls, 1);
    assert_int_equal(ts_failed.size, 128 * MiB);
    assert_int_equal(ts_failed.caps, MALLOC_CAP_8BIT);
    heap_caps_free(p);
    assert_int_equal(ts_errors()->count, 0);
}

static void failed_callback_on_invalid_caps(void **state) {
    (void)state;
    et_boot("esp32");
    assert_null(heap_caps_malloc(64, MALLOC_CAP_INVALID));
    assert_int_equal(ts_failed.calls, 1);
    assert_int_equal(ts_failed.size, 64);
    assert_int_equal(ts_failed.caps, MALLOC_CAP_INVALID);
    assert_string_equal(ts_failed.fn, "heap_caps_malloc");

    ts_failed_reset();
    assert_null(heap_caps_realloc(NULL, 64, MALLOC_CAP_INVALID));
    assert_int_equal(ts_failed.calls, 1);
    assert_int_equal(ts_failed.size, 64);
    assert_int_equal(ts_failed.caps, MALLOC_CAP_INVALID);
    assert_string_equal(ts_failed.fn, "heap_caps_realloc");

    /* A live block asked to move to impossible memory stays where it is. */
    ts_failed_reset();
    unsigned char *p = heap_caps_malloc(48, MALLOC_CAP_8BIT);
    assert_non_null(p);
    ts_fill(p, 48, 9);
    assert_null(heap_caps_realloc(p, 64, MALLOC_CAP_INVALID));
    assert_int_equal(ts_failed.calls, 1);
    assert_string_equal(ts_failed.fn, "heap_caps_realloc");
    assert_true(ts_verify(p, 48, 9));

    ts_failed_reset();
    assert_null(heap_caps_aligned_alloc(0x200, 64, MALLOC_CAP_INVALID));
    assert_int_equal(ts_failed.calls, 1);
    assert_int_equal(ts_failed.size, 64);
    assert_int_equal(ts_failed.caps, MALLOC_CAP_INVALID);
    assert_string_equal(ts_failed.fn, "heap_caps_aligned_alloc");
    heap_caps_free(p);
    assert_int_equal(ts_errors()->count, 0);
}

/* "malloc/calloc(0) should not call failure callback"; nor do requests
 * refused for a bad alignment. */
static void failed_callback_not_for_size_zero(void **state) {
    (void)state;
    et_boot("esp32");
    assert_null(heap_caps_malloc(0, MALLOC_CAP_DEFAULT));
    assert_null(heap_caps_calloc(0, 16, MALLOC_CAP_DEFAULT));
    assert_null(heap_caps_calloc(16, 0, MALLOC_CAP_DEFAULT));
    assert_null(heap_caps_realloc(NULL, 0, MALLOC_CAP_DEFAULT));
    assert_null(heap_caps_aligned_alloc(32, 0, MALLOC_CAP_DEFAULT));
    assert_null(heap_caps_aligned_calloc(32, 0, 8, MALLOC_CAP_DEFAULT));
    assert_null(heap_caps_malloc(0, MALLOC_CAP_INVALID));
    assert_null(
        heap_caps_malloc_prefer(0, 2, MALLOC_CAP_DEFAULT, MALLOC_CAP_INVALID));
    assert_null(capheap_malloc(0));
    assert_null(capheap_calloc(0, 0));
    assert_null(capheap_calloc(0, 8));
    assert_null(heap_caps_aligned_alloc(0, 64, MALLOC_CAP_DEFAULT));
    assert_null(heap_caps_aligned_alloc(48, 64, MALLOC_CAP_DEFAULT));
    assert_int_equal(ts_failed.calls, 0);
    /* ... while a request of 1 byte that fails does call it. */
    assert_null(heap_caps_malloc(1, MALLOC_CAP_INVALID));
    assert_int_equal(ts_failed.calls, 1);
}

static void prefer_calls_callback_once_with_last_caps(void **state) {
    (void)state;
    et_boot("esp32"); /* no PSRAM: SPIRAM cannot be served */
    assert_null(heap_caps_malloc_prefer(64, 3, MALLOC_CAP_INVALID,
                                        MALLOC_CAP_EXEC | MALLOC_CAP_8BIT,
                                        MALLOC_CAP_SPIRAM));
    assert_int_equal(ts_failed.calls, 1);
    assert_int_equal(ts_failed.size, 64);
    assert_int_equal(ts_failed.caps, MALLOC_CAP_SPIRAM);
    assert_string_equal(ts_failed.fn, "heap_caps_malloc_prefer");

    ts_failed_reset();
    unsigned char *p = heap_caps_malloc(64, MALLOC_CAP_8BIT);
    assert_non_null(p);
    ts_fill(p, 64, 3);
    assert_null(heap_caps_realloc_prefer(p, 128, 2, MALLOC_CAP_INVALID,
                                         MALLOC_CAP_SPIRAM));
    assert_int_equal(ts_failed.calls, 1);
    assert_int_equal(ts_failed.size, 128);
    assert_int_equal(ts_failed.caps, MALLOC_CAP_SPIRAM);
    assert_string_equal(ts_failed.fn, "heap_caps_realloc_prefer");
    assert_true(ts_verify(p, 64, 3));

    ts_failed_reset();
    assert_null(heap_caps_calloc_prefer(4, 16, 2, MALLOC_CAP_SPIRAM,
                                        MALLOC_CAP_INVALID));
    assert_int_equal(ts_failed.calls, 1);
    assert_int_equal(ts_failed.size, 64); /* n * size (documented) */
    assert_int_equal(ts_failed.caps, MALLOC_CAP_INVALID);
    assert_string_equal(ts_failed.fn, "heap_caps_calloc_prefer");

    /* A later caps argument that succeeds: no callback at all. */
    ts_failed_reset();
    void *q = heap_caps_malloc_prefer(64, 3, MALLOC_CAP_SPIRAM,
                                      MALLOC_CAP_INVALID, MALLOC_CAP_DEFAULT);
    assert_non_null(q);
    assert_true(et_in_type(q, "DRAM") || et_in_type(q, "D/IRAM"));
    unsigned char *r =
        heap_caps_realloc_prefer(p, 200, 2, MALLOC_CAP_SPIRAM, MALLOC_CAP_8BIT);
    assert_non_null(r);
    assert_true(ts_verify(r, 64, 3));
    unsigned char *z =
        heap_caps_calloc_prefer(8, 8, 2, MALLOC_CAP_SPIRAM, MALLOC_CAP_8BIT);
    assert_non_null(z);
    for (int i = 0; i < 64; i++)
        assert_int_equal(z[i], 0);
    assert_int_equal(ts_failed.calls, 0);
    heap_caps_free(q);
    heap_caps_free(r);
    heap_caps_free(z);
    assert_int_equal(ts_errors()->count, 0);
}

/* "test heap_caps_malloc_prefer / calloc_prefer for dma memory" */
static void prefer_dma(void **state) {
    (void)state;
    et_boot("esp32");
    void *p = heap_caps_malloc_prefer(40, 1, MALLOC_CAP_DMA);
    assert_non_null(p);
    assert_true(esp_ptr_dma_capable(p));
    unsigned char *z = heap_caps_calloc_prefer(1, 40, 1, MALLOC_CAP_DMA);
    assert_non_null(z);
    assert_true(esp_ptr_dma_capable(z));
    for (int i = 0; i < 40; i++)
        assert_int_equal(z[i], 0);
    heap_caps_free(p);
    heap_caps_free(z);
}

/* ---- sizes that must fail ------------------------------------------------ */

static void alloc_overflows_fail(void **state) {
    (void)state;
    et_boot("esp32");
    size_t before = heap_caps_get_free_size(0);
    errno = 0;
    assert_null(capheap_calloc(SIZE_MAX / 2 + 4, 2));
    assert_int_equal(errno, ENOMEM);
    assert_null(capheap_malloc(SIZE_MAX - 1));
    assert_null(capheap_calloc(SIZE_MAX - 1, 1));
    assert_null(heap_caps_calloc(SIZE_MAX / 2 + 4, 2, MALLOC_CAP_DEFAULT));
    assert_null(
        heap_caps_aligned_calloc(16, SIZE_MAX / 2 + 4, 2, MALLOC_CAP_DEFAULT));
    assert_null(heap_caps_malloc(SIZE_MAX - 1, MALLOC_CAP_32BIT));
    assert_null(heap_caps_malloc(SIZE_MAX - 1, MALLOC_CAP_EXEC));
    assert_null(heap_caps_malloc(SIZE_MAX - 1, MALLOC_CAP_DMA));
    assert_null(heap_caps_malloc(SIZE_MAX, MALLOC_CAP_8BIT));
    assert_null(heap_caps_aligned_alloc(1024, SIZE_MAX - 8, MALLOC_CAP_8BIT));
    assert_int_equal(heap_caps_get_free_size(0), before);
    assert_true(heap_caps_check_integrity_all(true));
}

static void unreasonable_allocs_fail(void **state) {
    (void)state;
    et_boot("esp32");
    assert_null(capheap_calloc(16, MiB));
    assert_null(capheap_malloc(16 * MiB));
    assert_null(capheap_malloc(SIZE_MAX / 2));
    assert_null(capheap_malloc(SIZE_MAX - 256));
    assert_null(
        capheap_malloc(heap_caps_get_free_size(MALLOC_CAP_DEFAULT) - 1));
    assert_null(heap_caps_malloc(heap_caps_get_free_size(MALLOC_CAP_8BIT) - 1,
                                 MALLOC_CAP_8BIT));
    assert_null(heap_caps_calloc(16, MiB, MALLOC_CAP_DEFAULT));
    assert_true(heap_caps_check_integrity_all(true));
}

/* ---- aligned allocation -------------------------------------------------- */

static bool pow2(size_t a) {
    return a && !(a & (a - 1));
}

/* "Capabilities aligned allocator test" */
static void aligned_alloc_alignments(void **state) {
    (void)state;
    et_boot("esp32");
    size_t before = heap_caps_get_free_size(MALLOC_CAP_DEFAULT);
    for (size_t a = 0; a <= 1024; a++) {
        unsigned char *p =
            heap_caps_aligned_alloc(a, a + 137, MALLOC_CAP_DEFAULT);
        if (!pow2(a)) {
            assert_null(p);
            continue;
        }
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % a, 0);
        assert_true(heap_caps_get_allocated_size(p) >= a + 137);
        ts_fill(p, a + 137, (uint32_t)a);
        assert_true(heap_caps_check_integrity_addr((intptr_t)p, true));
        assert_true(ts_verify(p, a + 137, (uint32_t)a));
        heap_caps_aligned_free(p);
    }
    assert_int_equal(ts_failed.calls, 0);
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_DEFAULT), before);
    assert_true(heap_caps_check_integrity_all(true));
}

static bool all_zero(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (p[i])
            return false;
    }
    return true;
}

/* Leave non-zero bytes in free memory, so that calloc must clear them. */
static void dirty_free_memory(void) {
    void *blocks[64];
    int n = 0;
    while (n < 64 && (blocks[n] = heap_caps_malloc(4096, MALLOC_CAP_DEFAULT)))
        memset(blocks[n++], 0xEE, 4096);
    while (n--)
        heap_caps_free(blocks[n]);
}

/* "Capabilities aligned calloc test" */
static void aligned_calloc(void **state) {
    (void)state;
    et_boot("esp32");
    dirty_free_memory();
    for (size_t a = 0; a <= 1024; a++) {
        unsigned char *p =
            heap_caps_aligned_calloc(a, 1, a + 137, MALLOC_CAP_DEFAULT);
        if (!pow2(a)) {
            assert_null(p);
            continue;
        }
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % a, 0);
        assert_true(all_zero(p, a + 137));
        memset(p, 0xEE, a + 137);
        heap_caps_free(p);
    }
    unsigned char *x = heap_caps_aligned_calloc(1024, 1, 1024, MALLOC_CAP_8BIT);
    unsigned char *y = heap_caps_aligned_calloc(1024, 1024, 1, MALLOC_CAP_8BIT);
    assert_non_null(x);
    assert_non_null(y);
    assert_int_equal((uintptr_t)x % 1024, 0);
    assert_int_equal((uintptr_t)y % 1024, 0);
    assert_true(all_zero(x, 1024));
    assert_true(all_zero(y, 1024));
    heap_caps_free(x);
    heap_caps_free(y);
    assert_null(heap_caps_aligned_calloc(1025, 1, 1025, MALLOC_CAP_32BIT));
    assert_true(heap_caps_check_integrity_all(true));
}

/* "aligned_alloc(0) should return a NULL pointer" */
static void aligned_alloc_size_zero(void **state) {
    (void)state;
    et_boot("esp32");
    assert_null(capheap_aligned_alloc(32, 0));
    assert_null(capheap_memalign(32, 0));
    assert_null(heap_caps_aligned_alloc(32, 0, MALLOC_CAP_DEFAULT));
    assert_int_equal(ts_failed.calls, 0);
}

/* ---- block sizes ----------------------------------------------------------
 */

/* "test get allocated size" */
static void allocated_and_containing_size(void **state) {
    (void)state;
    et_boot("esp32");
    const size_t sizes[] = {1035, 1064, 1541};
    for (size_t i = 0; i < 3; i++) {
        size_t n = sizes[i];
        char *p = heap_caps_malloc(n, MALLOC_CAP_INTERNAL);
        assert_non_null(p);
        size_t usable = heap_caps_get_allocated_size(p);
        assert_true(usable >= round4(n));
        assert_true(usable < round4(n) + 64); /* a real size, not a region */
        assert_int_equal(heap_caps_get_containing_block_size(p), usable);
        assert_int_equal(heap_caps_get_containing_block_size(p + n - 1),
                         usable);
        assert_int_equal(heap_caps_get_containing_block_size(p + n / 2),
                         usable);
        assert_true(heap_caps_get_containing_block_size(p + n - 1) >=
                    round4(n));
        heap_caps_free(p);
    }
    assert_int_equal(ts_errors()->count, 0);
    /* A pointer into no live block is reported, not answered. */
    int local;
    assert_int_equal(heap_caps_get_containing_block_size(&local), 0);
    assert_int_equal(ts_errors()->count, 1);
}

/* ---- walking
 * ------------------------------------------------------------------ */

#define MAGIC 0xC0FFEE42u

typedef struct {
    const void *want;
    int found;
    bool used;
    size_t size;
    int calls;
    void *self;
} find_ctx_t;

static bool find_block(walker_heap_into_t heap, walker_block_info_t block,
                       void *user) {
    find_ctx_t *f = user;
    assert_ptr_equal(f->self, f); /* user_data passed through */
    assert_true(heap.start < heap.end);
    assert_true((intptr_t)block.ptr >= heap.start &&
                (intptr_t)block.ptr < heap.end);
    f->calls++;
    if (block.ptr == f->want) {
        uint32_t w;
        memcpy(&w, block.ptr, sizeof w);
        if (w == MAGIC) {
            f->found++;
            f->used = block.used;
            f->size = block.size;
        }
    }
    return true;
}

static bool find_used_at(walker_heap_into_t heap, walker_block_info_t block,
                         void *user) {
    find_ctx_t *f = user;
    (void)heap;
    f->calls++;
    if (block.ptr == f->want && block.used)
        f->found++;
    return true;
}

/* "heap walker" */
static void walker_finds_tagged_block(void **state) {
    (void)state;
    et_boot("esp32");
    uint32_t *p = heap_caps_malloc(16, MALLOC_CAP_DEFAULT);
    assert_non_null(p);
    *p = MAGIC;
    find_ctx_t f = {p, 0, false, 0, 0, NULL};
    f.self = &f;
    heap_caps_walk_all(find_block, &f);
    assert_int_equal(f.found, 1);
    assert_true(f.used);
    assert_true(f.size >= 16);
    assert_int_equal(f.size, heap_caps_get_allocated_size(p));
    /* Heaps with the caps only; PSRAM has none here. */
    find_ctx_t g = {p, 0, false, 0, 0, NULL};
    g.self = &g;
    heap_caps_walk(MALLOC_CAP_8BIT | MALLOC_CAP_DEFAULT, find_block, &g);
    assert_int_equal(g.found, 1);
    assert_true(g.calls < f.calls);
    find_ctx_t h = {p, 0, false, 0, 0, NULL};
    h.self = &h;
    heap_caps_walk(MALLOC_CAP_SPIRAM, find_block, &h);
    assert_int_equal(h.calls, 0);
    heap_caps_walk(MALLOC_CAP_EXEC, find_block, &h);
    assert_int_equal(h.found, 0); /* a DRAM block is no EXEC heap's */
    assert_true(h.calls > 0);
    heap_caps_free(p);
    /* Freed: the walk reports no live block there any more. */
    find_ctx_t k = {p, 0, false, 0, 0, NULL};
    k.self = &k;
    heap_caps_walk_all(find_used_at, &k);
    assert_int_equal(k.found, 0);
    assert_true(k.calls > 0);
}

#define MAX_HEAPS 64

typedef struct {
    intptr_t start[MAX_HEAPS];
    int calls[MAX_HEAPS];
    int heaps;
    int total;
    bool stop;
    size_t used_bytes, free_bytes, used_blocks, free_blocks;
} heaps_ctx_t;

static bool count_heaps(walker_heap_into_t heap, walker_block_info_t block,
                        void *user) {
    heaps_ctx_t *c = user;
    int i = 0;
    while (i < c->heaps && c->start[i] != heap.start)
        i++;
    if (i == c->heaps) {
        assert_true(c->heaps < MAX_HEAPS);
        c->start[c->heaps++] = heap.start;
    }
    c->calls[i]++;
    c->total++;
    if (block.used) {
        c->used_bytes += block.size;
        c->used_blocks++;
    } else {
        c->free_bytes += block.size;
        c->free_blocks++;
    }
    return !c->stop;
}

/* Returning false ends the walk of that heap only. */
static void walker_false_stops_one_heap(void **state) {
    (void)state;
    et_boot("esp32");
    void *p[8];
    for (int i = 0; i < 8; i++) {
        p[i] = heap_caps_malloc(100 + 50 * (size_t)i, MALLOC_CAP_DEFAULT);
        assert_non_null(p[i]);
    }
    static heaps_ctx_t all, first;
    memset(&all, 0, sizeof all);
    memset(&first, 0, sizeof first);
    heap_caps_walk_all(count_heaps, &all);
    first.stop = true;
    heap_caps_walk_all(count_heaps, &first);
    /* Every heap (region) is walked, each with at least one block. */
    assert_int_equal(all.heaps,
                     capheap_heap_region_count(heap_caps_capheap()->heap));
    assert_true(all.heaps >= 3);
    assert_true(all.total > all.heaps); /* some heap has several blocks */
    assert_int_equal(first.heaps, all.heaps);
    assert_int_equal(first.total, first.heaps);
    for (int i = 0; i < first.heaps; i++) {
        assert_int_equal(first.calls[i], 1);
        assert_int_equal(first.start[i], all.start[i]);
    }
    for (int i = 0; i < 8; i++)
        heap_caps_free(p[i]);
}

/* The walk and the statistics describe the same blocks. */
static void walker_agrees_with_info(void **state) {
    (void)state;
    et_boot("esp32");
    void *p[5];
    for (int i = 0; i < 5; i++) {
        p[i] = heap_caps_malloc(300 * (size_t)(i + 1), MALLOC_CAP_DEFAULT);
        assert_non_null(p[i]);
    }
    heap_caps_free(p[1]);
    heap_caps_free(p[3]);
    static heaps_ctx_t c;
    memset(&c, 0, sizeof c);
    heap_caps_walk_all(count_heaps, &c);
    multi_heap_info_t info;
    info_of(&info, 0);
    assert_int_equal(c.used_blocks, info.allocated_blocks);
    assert_int_equal(c.free_blocks, info.free_blocks);
    assert_int_equal(c.used_bytes, info.total_allocated_bytes);
    assert_int_equal(c.free_bytes, info.total_free_bytes);
    assert_int_equal(info.allocated_blocks, 3);
    heap_caps_free(p[0]);
    heap_caps_free(p[2]);
    heap_caps_free(p[4]);
}

/* ---- integrity
 * ------------------------------------------------------------------ */

static void integrity_checks(void **state) {
    (void)state;
    et_boot("esp32");
    char *p = heap_caps_malloc(64, MALLOC_CAP_8BIT);
    char *q = heap_caps_malloc(64, MALLOC_CAP_8BIT);
    assert_non_null(p);
    assert_non_null(q);
    assert_true(heap_caps_check_integrity_all(true));
    assert_true(heap_caps_check_integrity(MALLOC_CAP_8BIT, true));
    assert_true(heap_caps_check_integrity(MALLOC_CAP_INVALID, true));
    assert_true(heap_caps_check_integrity_addr((intptr_t)p, true));
    assert_true(heap_caps_check_integrity_addr((intptr_t)q + 63, true));
    /* Addresses in no heap: the host stack, the ESP32's ROM data (mapped,
     * reserved, never heap). */
    int local = 0;
    assert_false(heap_caps_check_integrity_addr((intptr_t)&local, true));
    assert_false(heap_caps_check_integrity_addr(0x3FFAE100, true));
    assert_false(heap_caps_check_integrity_addr(0, true));
    /* Corrupt p's header word (before any debug prefix): every check sees
     * it. */
    uintptr_t *hdr =
        (uintptr_t *)(void *)((char *)p - CAPHEAP_BLOCK_PREFIX_BYTES) - 1;
    uintptr_t saved = *hdr;
    *hdr ^= (uintptr_t)CAPHEAP_ALIGNMENT << 3;
    assert_false(heap_caps_check_integrity_all(false));
    assert_false(heap_caps_check_integrity(MALLOC_CAP_8BIT, false));
    assert_false(heap_caps_check_integrity_addr((intptr_t)q, false));
    ts_capture_t cap;
    ts_capture_begin(&cap, false);
    bool ok = heap_caps_check_integrity_all(true);
    char *text = ts_capture_end(&cap);
    assert_false(ok);
    assert_non_null(strstr(text, "CORRUPT HEAP"));
    free(text);
    *hdr = saved;
    assert_true(heap_caps_check_integrity_all(true));
    heap_caps_free(p);
    heap_caps_free(q);
    assert_true(heap_caps_check_integrity_all(true));
}

/* ---- printed reports
 * ---------------------------------------------------------- */

static void print_heap_info_reports(void **state) {
    (void)state;
    et_boot("esp32");
    void *p = heap_caps_malloc(1000, MALLOC_CAP_DEFAULT);
    assert_non_null(p);
    static heaps_ctx_t heaps;
    memset(&heaps, 0, sizeof heaps);
    heap_caps_walk(MALLOC_CAP_DEFAULT, count_heaps, &heaps);

    ts_capture_t cap;
    ts_capture_begin(&cap, false);
    heap_caps_print_heap_info(MALLOC_CAP_DEFAULT);
    char *text = ts_capture_end(&cap);
    assert_non_null(strstr(text, "0x00001000"));
    assert_int_equal(et_count(text, "At 0x"), heaps.heaps);
    for (int i = 0; i < heaps.heaps; i++) {
        char at[40];
        snprintf(at, sizeof at, "At 0x%08lx ",
                 (unsigned long)(uintptr_t)heaps.start[i]);
        assert_non_null(strstr(text, at));
    }
    /* The per-heap lines add up to the totals, which are get_info's; a
     * heap's minimum is at most its free bytes, and the heaps' minima at
     * most the total's. */
    size_t sum_free = 0, sum_alloc = 0, sum_min = 0;
    for (const char *l = strstr(text, "At 0x"); l; l = strstr(l + 1, "At 0x")) {
        unsigned long addr;
        size_t len, fr, al, mn;
        assert_int_equal(sscanf(l,
                                "At 0x%lx len %zu free %zu allocated %zu "
                                "min_free %zu\n",
                                &addr, &len, &fr, &al, &mn),
                         5);
        assert_true(fr + al <= len);
        assert_true(mn <= fr);
        sum_free += fr;
        sum_alloc += al;
        sum_min += mn;
    }
    const char *tot = strstr(text, "Totals");
    assert_non_null(tot);
    size_t t_free, t_alloc, t_min, t_largest;
    assert_int_equal(sscanf(strchr(tot, '\n'),
                            " free %zu allocated %zu min_free %zu "
                            "largest_free_block %zu",
                            &t_free, &t_alloc, &t_min, &t_largest),
                     4);
    multi_heap_info_t info;
    info_of(&info, MALLOC_CAP_DEFAULT);
    assert_int_equal(t_free, info.total_free_bytes);
    assert_int_equal(t_alloc, info.total_allocated_bytes);
    assert_int_equal(t_min, info.minimum_free_bytes);
    assert_int_equal(t_largest, info.largest_free_block);
    assert_int_equal(sum_free, t_free);
    assert_int_equal(sum_alloc, t_alloc);
    assert_true(sum_min <= t_min);
    assert_true(t_alloc >= 1000);
    free(text);

    /* All heaps: every heap listed, the largest block in the totals. */
    ts_capture_begin(&cap, false);
    heap_caps_print_heap_info(MALLOC_CAP_INVALID);
    text = ts_capture_end(&cap);
    assert_int_equal(et_count(text, "At 0x"),
                     (int)capheap_heap_region_count(heap_caps_capheap()->heap));
    tot = strstr(text, "Totals");
    assert_non_null(tot);
    assert_int_equal(sscanf(strchr(tot, '\n'),
                            " free %zu allocated %zu min_free %zu "
                            "largest_free_block %zu",
                            &t_free, &t_alloc, &t_min, &t_largest),
                     4);
    assert_int_equal(t_free, heap_caps_get_free_size(0));
    assert_int_equal(t_largest, heap_caps_get_largest_free_block(0));
    assert_true(t_largest > 0);
    free(text);

    /* Caps no heap has: a header and zero totals, no heap. */
    ts_capture_begin(&cap, false);
    heap_caps_print_heap_info(MALLOC_CAP_SPIRAM);
    text = ts_capture_end(&cap);
    assert_int_equal(et_count(text, "At 0x"), 0);
    assert_non_null(strstr(text, "Totals"));
    assert_non_null(strstr(text, "free 0 allocated 0"));
    free(text);
    heap_caps_free(p);
}

static void dump_reports_blocks(void **state) {
    (void)state;
    et_boot("esp32");
    void *p = heap_caps_malloc(200, MALLOC_CAP_DEFAULT);
    assert_non_null(p);
    char line[96];
    snprintf(line, sizeof line, "Block %p data, size: %zu bytes, Free: No", p,
             heap_caps_get_allocated_size(p));
    static heaps_ctx_t c;
    memset(&c, 0, sizeof c);
    heap_caps_walk(MALLOC_CAP_DEFAULT, count_heaps, &c);

    ts_capture_t cap;
    ts_capture_begin(&cap, false);
    heap_caps_dump(MALLOC_CAP_DEFAULT);
    char *text = ts_capture_end(&cap);
    assert_non_null(strstr(text, "Showing data for heap"));
    assert_non_null(strstr(text, line));
    assert_int_equal(et_count(text, "Block 0x"), c.total);
    assert_int_equal(et_count(text, "Free: No"), (int)c.used_blocks);
    assert_int_equal(et_count(text, "Free: Yes"), (int)c.free_blocks);
    free(text);

    memset(&c, 0, sizeof c);
    heap_caps_walk_all(count_heaps, &c);
    ts_capture_begin(&cap, false);
    heap_caps_dump_all();
    text = ts_capture_end(&cap);
    assert_non_null(strstr(text, line));
    assert_int_equal(et_count(text, "Block 0x"), c.total);
    free(text);
    heap_caps_free(p);
}

/* ---- sizes and statistics
 * --------------------------------------------------------- */

static void total_size_and_info_fields(void **state) {
    (void)state;
    et_boot("esp32");
    const uint32_t masks[] = {0,
                              MALLOC_CAP_8BIT,
                              MALLOC_CAP_32BIT,
                              MALLOC_CAP_DMA,
                              MALLOC_CAP_EXEC,
                              MALLOC_CAP_DEFAULT,
                              MALLOC_CAP_INTERNAL,
                              MALLOC_CAP_INTERNAL | MALLOC_CAP_8BIT};
    void *p = heap_caps_malloc(5000, MALLOC_CAP_DEFAULT);
    assert_non_null(p);
    for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++) {
        uint32_t caps = masks[i];
        multi_heap_info_t info;
        info_of(&info, caps);
        size_t total = heap_caps_get_total_size(caps);
        assert_true(total > 0);
        assert_true(total >= heap_caps_get_free_size(caps));
        assert_true(total >=
                    info.total_free_bytes + info.total_allocated_bytes);
        assert_int_equal(info.total_free_bytes, heap_caps_get_free_size(caps));
        assert_int_equal(info.largest_free_block,
                         heap_caps_get_largest_free_block(caps));
        assert_int_equal(info.minimum_free_bytes,
                         heap_caps_get_minimum_free_size(caps));
        assert_true(info.largest_free_block <= info.total_free_bytes);
        assert_true(info.minimum_free_bytes <= info.total_free_bytes);
        assert_int_equal(info.total_blocks,
                         info.allocated_blocks + info.free_blocks);
        assert_true(info.free_blocks > 0);
    }
    /* Wider masks select no more memory. */
    assert_true(
        heap_caps_get_total_size(MALLOC_CAP_INTERNAL | MALLOC_CAP_8BIT) <=
        heap_caps_get_total_size(MALLOC_CAP_INTERNAL));
    assert_true(heap_caps_get_total_size(MALLOC_CAP_8BIT) <=
                heap_caps_get_total_size(0));
    assert_int_equal(heap_caps_get_total_size(MALLOC_CAP_SPIRAM), 0);
    /* Caps 0 selects every heap, the largest block included (as ESP-IDF;
     * the figure was 0 after f9a87b9, fixed in cda6409). */
    multi_heap_info_t all;
    info_of(&all, 0);
    assert_true(all.largest_free_block >=
                heap_caps_get_largest_free_block(MALLOC_CAP_8BIT));
    assert_true(heap_caps_get_largest_free_block(0) >=
                heap_caps_get_largest_free_block(MALLOC_CAP_EXEC));
    /* One more block of 1000 bytes is seen by every field. */
    multi_heap_info_t a, b;
    info_of(&a, MALLOC_CAP_DEFAULT);
    void *q = heap_caps_malloc(1000, MALLOC_CAP_DEFAULT);
    assert_non_null(q);
    info_of(&b, MALLOC_CAP_DEFAULT);
    assert_int_equal(b.allocated_blocks, a.allocated_blocks + 1);
    assert_int_equal(b.total_allocated_bytes,
                     a.total_allocated_bytes + heap_caps_get_allocated_size(q));
    assert_true(b.total_free_bytes <= a.total_free_bytes - 1000);
    assert_true(b.minimum_free_bytes <= b.total_free_bytes);
    heap_caps_free(q);
    info_of(&b, MALLOC_CAP_DEFAULT);
    assert_int_equal(b.total_free_bytes, a.total_free_bytes);
    assert_int_equal(b.allocated_blocks, a.allocated_blocks);
    heap_caps_free(p);
}

/* ---- where requests land
 * ------------------------------------------------------ */

/* "test memory protection features": a small EXEC request is IRAM. */
static void exec_lands_in_iram(void **state) {
    (void)state;
    et_boot("esp32");
    void *p = heap_caps_malloc(4, MALLOC_CAP_EXEC);
    assert_non_null(p);
    assert_true(et_in_type(p, "IRAM"));
    assert_int_equal((uintptr_t)p % 4, 0);
    assert_null(heap_caps_malloc(4, MALLOC_CAP_EXEC | MALLOC_CAP_8BIT));
    assert_null(heap_caps_malloc(4, MALLOC_CAP_EXEC | MALLOC_CAP_DMA));
    heap_caps_free(p);
}

/* "Allocate D/IRAM as IRAM" on the ESP32: once IRAM is full, EXEC memory
 * is D/IRAM on the instruction bus, whose words the data bus sees in
 * reverse order; each word written on one bus reads back on the other, and
 * realloc to data memory keeps the contents. */
static void exec_from_diram_on_esp32(void **state) {
    (void)state;
    et_boot("esp32");
    inverted_access_or_skip();
    const capheap_chip_t *chip = et_chip();
    static void *iram[512];
    int n = 0;
    uint32_t *x = NULL;
    while (n < 512 && (x = heap_caps_malloc(1024, MALLOC_CAP_EXEC)) &&
           !et_on_ibus(x)) {
        assert_true(et_in_type(x, "IRAM"));
        iram[n++] = x;
    }
    assert_non_null(x);
    assert_true(et_on_ibus(x));
    assert_true(heap_caps_get_allocated_size(x) >= 1024);
    for (uint32_t k = 0; k < 256; k++)
        x[k] = 0x5EED0000u ^ (k * 2654435761u);
    for (uint32_t k = 0; k < 256; k++) {
        volatile uint32_t *d = (volatile uint32_t *)capheap_caps_iram_to_dram(
            chip, (uintptr_t)&x[k]);
        assert_true(et_in_type((const void *)d, "D/IRAM"));
        assert_int_equal(*d, 0x5EED0000u ^ (k * 2654435761u));
        *d = ~*d;
    }
    for (uint32_t k = 0; k < 256; k++)
        assert_int_equal(x[k], ~(0x5EED0000u ^ (k * 2654435761u)));
    assert_true(heap_caps_check_integrity_all(true));
    uint32_t *q = heap_caps_realloc(x, 2048, MALLOC_CAP_8BIT);
    assert_non_null(q);
    assert_false(et_on_ibus(q));
    for (uint32_t k = 0; k < 256; k++)
        assert_int_equal(q[k], ~(0x5EED0000u ^ (k * 2654435761u)));
    heap_caps_free(q);
    while (n--)
        heap_caps_free(iram[n]);
    assert_int_equal(ts_errors()->count, 0);
    assert_true(heap_caps_check_integrity_all(true));
}

static void dma_on_esp32(void **state) {
    (void)state;
    et_boot("esp32");
    for (size_t n = 1; n <= 129; n += 16) {
        void *p = heap_caps_malloc(n, MALLOC_CAP_DMA);
        assert_non_null(p);
        assert_true(esp_ptr_dma_capable(p));
        assert_int_equal((uintptr_t)p % 4, 0); /* the ESP32's cache line */
        assert_true(heap_caps_get_allocated_size(p) >= round4(n));
        heap_caps_free(p);
    }
}

/* ---- external RAM and malloc()
 * ------------------------------------------------ */

static void extmem_enable_sends_malloc_to_psram(void **state) {
    (void)state;
    et_opts_t o = {"4M", false, true};
    et_boot_opts("esp32", o);
    size_t internal = heap_caps_get_free_size(MALLOC_CAP_INTERNAL);
    size_t ext = heap_caps_get_free_size(MALLOC_CAP_SPIRAM);
    assert_true(ext > 4000000);
    heap_caps_malloc_extmem_enable(0);
    void *p = capheap_malloc(256);
    assert_non_null(p);
    assert_true(et_in_type(p, "SPIRAM"));
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_INTERNAL), internal);
    assert_true(ext - heap_caps_get_free_size(MALLOC_CAP_SPIRAM) >= 256);
    size_t ext2 = heap_caps_get_free_size(MALLOC_CAP_SPIRAM);
    void *q = heap_caps_malloc(256, MALLOC_CAP_DEFAULT);
    assert_non_null(q);
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_INTERNAL), internal);
    assert_true(ext2 - heap_caps_get_free_size(MALLOC_CAP_SPIRAM) >= 256);
    /* With a limit, requests up to it stay internal. */
    heap_caps_malloc_extmem_enable(4096);
    void *small = capheap_malloc(4096);
    void *large = capheap_malloc(4097);
    assert_true(et_in_type(small, "DRAM") || et_in_type(small, "D/IRAM"));
    assert_true(et_in_type(large, "SPIRAM"));
    capheap_free(small);
    capheap_free(large);
    capheap_free(p);
    heap_caps_free(q);
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_SPIRAM), ext);
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_INTERNAL), internal);
    heap_caps_malloc_extmem_enable(SIZE_MAX);
}

static void malloc_stays_internal_without_extmem(void **state) {
    (void)state;
    et_opts_t o = {"4M", false, true};
    et_boot_opts("esp32", o);
    size_t ext = heap_caps_get_free_size(MALLOC_CAP_SPIRAM);
    size_t internal = heap_caps_get_free_size(MALLOC_CAP_INTERNAL);
    void *p = capheap_malloc(256);
    assert_non_null(p);
    assert_false(et_in_type(p, "SPIRAM"));
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_SPIRAM), ext);
    assert_true(internal - heap_caps_get_free_size(MALLOC_CAP_INTERNAL) >= 256);
    /* ... also when it is large, while internal RAM has room. */
    void *big = capheap_malloc(64 * 1024);
    assert_non_null(big);
    assert_false(et_in_type(big, "SPIRAM"));
    /* ... and it fails rather than spill into PSRAM. */
    errno = 0;
    assert_null(capheap_malloc(
        heap_caps_get_largest_free_block(MALLOC_CAP_INTERNAL) + 4096));
    assert_int_equal(errno, ENOMEM);
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_SPIRAM), ext);
    /* heap_caps_malloc(DEFAULT) prefers PSRAM, as ESP-IDF's does. */
    void *d = heap_caps_malloc(256, MALLOC_CAP_DEFAULT);
    assert_true(et_in_type(d, "SPIRAM"));
    capheap_free(p);
    capheap_free(big);
    heap_caps_free(d);
}

/* "RTC memory should be lowest priority and its free size should be big
 * enough" */
static void rtc_heap_lowest_priority(void **state) {
    (void)state;
    et_opts_t o = {NULL, true, true};
    et_boot_opts("esp32", o);
    size_t rtc_free = heap_caps_get_free_size(MALLOC_CAP_RTCRAM);
    assert_true(rtc_free >= 0x2000 * 8 / 10);
    void *p = heap_caps_malloc(4096, MALLOC_CAP_DEFAULT);
    assert_non_null(p);
    assert_false(et_in_type(p, "RTCRAM"));
    assert_int_equal(heap_caps_get_minimum_free_size(MALLOC_CAP_RTCRAM),
                     heap_caps_get_free_size(MALLOC_CAP_RTCRAM));
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_RTCRAM), rtc_free);
    void *r = heap_caps_malloc(1000, MALLOC_CAP_RTCRAM);
    assert_non_null(r);
    assert_true(et_in_type(r, "RTCRAM"));
    heap_caps_free(r);
    heap_caps_free(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(metadata),
        cmocka_unit_test(largest_free_block_can_be_allocated),
        cmocka_unit_test(min_free_monitoring),
        cmocka_unit_test(min_free_monitoring_fault_cases),
        cmocka_unit_test(region_after_startup_keeps_minimum),
        cmocka_unit_test(new_capability_after_its_region),
        cmocka_unit_test(add_region_errors),
        cmocka_unit_test(add_region_takes_chip_caps),
        cmocka_unit_test(failed_callback_registration),
        cmocka_unit_test(failed_callback_on_huge_requests),
        cmocka_unit_test(failed_callback_on_invalid_caps),
        cmocka_unit_test(failed_callback_not_for_size_zero),
        cmocka_unit_test(prefer_calls_callback_once_with_last_caps),
        cmocka_unit_test(prefer_dma),
        cmocka_unit_test(alloc_overflows_fail),
        cmocka_unit_test(unreasonable_allocs_fail),
        cmocka_unit_test(aligned_alloc_alignments),
        cmocka_unit_test(aligned_calloc),
        cmocka_unit_test(aligned_alloc_size_zero),
        cmocka_unit_test(allocated_and_containing_size),
        cmocka_unit_test(walker_finds_tagged_block),
        cmocka_unit_test(walker_false_stops_one_heap),
        cmocka_unit_test(walker_agrees_with_info),
        cmocka_unit_test(integrity_checks),
        cmocka_unit_test(print_heap_info_reports),
        cmocka_unit_test(dump_reports_blocks),
        cmocka_unit_test(total_size_and_info_fields),
        cmocka_unit_test(exec_lands_in_iram),
        cmocka_unit_test(exec_from_diram_on_esp32),
        cmocka_unit_test(dma_on_esp32),
        cmocka_unit_test(extmem_enable_sends_malloc_to_psram),
        cmocka_unit_test(malloc_stays_internal_without_extmem),
        cmocka_unit_test(rtc_heap_lowest_priority),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
