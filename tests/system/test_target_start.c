#define _POSIX_C_SOURCE 200809L
/*
 * test_target_start.c - the system heap built as on a target
 * (CAPHEAP_SYSTEM_SIM 0, library capheap_target): no simulation, no lazy
 * start-up, no default chip. Before start-up every allocation returns NULL
 * and calls the failure callback without touching memory; start-up without
 * a named chip is refused; a named chip whose memory is this program's own
 * arrays serves the ESP-IDF API and malloc().
 *
 * The tests run in order and share the process's one system heap: the
 * first two need it never built.
 */
#include "test_support.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"
#include "capheap/malloc.h"
#include "capheap/system.h"
#include "esp_heap_alloc_caps.h"
#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"
#include "system_test_env.h"

static capheap_chip_t board;

static void hooks(void) {
    ts_errors_install();
    ts_errors_reset();
    assert_int_equal(heap_caps_register_failed_alloc_callback(ts_failed_hook),
                     ESP_OK);
    ts_failed_reset();
}

/* Every allocation function fails through the callback, touching nothing;
 * free(NULL) is fine, any other free is a foreign pointer. The chip is
 * named, but not started: its memory must stay as it is. */
static void allocation_before_start_up(void **state) {
    (void)state;
    hooks();
    board_setup(&board, false);
    capheap_esp_set_chip(&board, NULL);
    assert_null(capheap_system());
    assert_null(heap_caps_capheap());

    struct {
        const char *what;
        void *p;
        size_t size;
        uint32_t caps;
        const char *fn;
    } calls[] = {
        {"capheap_malloc", capheap_malloc(32), 32, CAPHEAP_CAP_DEFAULT,
         "heap_caps_malloc_default"},
        {"capheap_calloc", capheap_calloc(4, 8), 32, CAPHEAP_CAP_DEFAULT,
         "heap_caps_malloc_default"},
        {"capheap_realloc", capheap_realloc(NULL, 24), 24, CAPHEAP_CAP_DEFAULT,
         "heap_caps_malloc_default"},
        {"capheap_memalign", capheap_memalign(64, 40), 40, CAPHEAP_CAP_DEFAULT,
         "heap_caps_aligned_alloc_default"},
        {"heap_caps_malloc", heap_caps_malloc(48, MALLOC_CAP_DMA), 48,
         MALLOC_CAP_DMA, "heap_caps_malloc"},
        {"heap_caps_calloc", heap_caps_calloc(2, 8, MALLOC_CAP_8BIT), 16,
         MALLOC_CAP_8BIT, "heap_caps_calloc"},
        {"heap_caps_realloc", heap_caps_realloc(NULL, 8, MALLOC_CAP_8BIT), 8,
         MALLOC_CAP_8BIT, "heap_caps_realloc"},
        {"heap_caps_aligned_alloc",
         heap_caps_aligned_alloc(32, 64, MALLOC_CAP_8BIT), 64, MALLOC_CAP_8BIT,
         "heap_caps_aligned_alloc"},
        {"heap_caps_malloc_prefer",
         heap_caps_malloc_prefer(16, 2, MALLOC_CAP_DMA, MALLOC_CAP_8BIT), 16,
         MALLOC_CAP_8BIT, "heap_caps_malloc_prefer"},
        {"pvPortMalloc", pvPortMalloc(12), 12, MALLOC_CAP_8BIT,
         "heap_caps_malloc"},
    };
    /* Each call above ran once, in order; the callback kept only the last.
     * Each again, one at a time, to check what it reported. */
    size_t n = sizeof calls / sizeof calls[0];
    assert_int_equal(ts_failed.calls, (int)n);
    for (size_t i = 0; i < n; i++) {
        if (calls[i].p)
            fail_msg("%s allocated before start-up", calls[i].what);
    }
    ts_failed_reset();
    errno = 0;
    assert_null(capheap_malloc(32));
    assert_int_equal(errno, ENOMEM);
    assert_int_equal(ts_failed.calls, 1);
    assert_int_equal(ts_failed.size, 32);
    assert_int_equal(ts_failed.caps, calls[0].caps);
    assert_string_equal(ts_failed.fn, calls[0].fn);
    assert_null(heap_caps_malloc(48, MALLOC_CAP_DMA));
    assert_int_equal(ts_failed.calls, 2);
    assert_int_equal(ts_failed.caps, MALLOC_CAP_DMA);
    assert_string_equal(ts_failed.fn, "heap_caps_malloc");
    assert_null(capheap_memalign(64, 40));
    assert_string_equal(ts_failed.fn, "heap_caps_aligned_alloc_default");
    /* Size 0 is no failure. */
    ts_failed_reset();
    assert_null(capheap_malloc(0));
    assert_null(heap_caps_malloc(0, MALLOC_CAP_8BIT));
    assert_int_equal(ts_failed.calls, 0);

    /* Frees: NULL is nothing, anything else a foreign pointer. */
    capheap_free(NULL);
    heap_caps_free(NULL);
    assert_int_equal(ts_errors()->count, 0);
    uint64_t x = 0;
    capheap_free(&x);
    assert_int_equal(ts_errors()->count, 1);
    assert_int_equal(ts_errors()->last, CAPHEAP_ERR_FOREIGN_POINTER);
    assert_ptr_equal(ts_errors()->last_addr, &x);
    heap_caps_free(board_sram + 64);
    vPortFree(board_dma + 64);
    assert_int_equal(ts_errors()->count, 3);
    assert_ptr_equal(ts_errors()->last_addr, board_dma + 64);
    assert_null(capheap_realloc(&x, 16));
    assert_int_equal(ts_errors()->count, 4);
    assert_int_equal(capheap_malloc_usable_size(&x), 0);
    assert_int_equal(ts_errors()->count, 5);

    /* Queries answer for no heap. */
    assert_int_equal(heap_caps_get_free_size(0), 0);
    assert_int_equal(heap_caps_get_total_size(MALLOC_CAP_8BIT), 0);
    assert_int_equal(heap_caps_get_largest_free_block(MALLOC_CAP_8BIT), 0);
    assert_true(heap_caps_check_integrity_all(true));
    assert_false(heap_caps_check_integrity_addr((intptr_t)board_sram, true));
    assert_int_equal(
        heap_caps_add_region((intptr_t)board_sram, (intptr_t)board_sram + 1024),
        ESP_ERR_INVALID_STATE);
    assert_int_equal(heap_caps_monitor_local_minimum_free_size_start(),
                     ESP_ERR_INVALID_STATE);
    heap_caps_enable_nonos_stack_heaps();
    assert_true(x == 0);
    assert_true(board_untouched());
    assert_null(capheap_system());
}

/* No chip named: start-up says so and returns CAPHEAP_ERR_NO_CHIP; the heap
 * stays unusable, and nothing falls back to some default chip. */
static void start_up_without_a_chip(void **state) {
    (void)state;
    hooks();
    capheap_esp_set_chip(NULL, NULL);
    ts_capture_t cap;
    ts_capture_begin(&cap, true);
    capheap_err_t err = capheap_system_init(NULL, NULL);
    char *text = ts_capture_end(&cap);
    assert_int_equal(err, CAPHEAP_ERR_NO_CHIP);
    assert_non_null(strstr(text, "no chip named"));
    assert_non_null(strstr(text, "CAPHEAP_SYSTEM_CHIP"));
    free(text);
    ts_capture_begin(&cap, true);
    heap_caps_init();
    text = ts_capture_end(&cap);
    assert_non_null(strstr(text, "no chip named"));
    free(text);
    assert_null(capheap_system());
    assert_null(capheap_malloc(8));
    assert_int_equal(ts_failed.calls, 1);
    assert_true(board_untouched());
}

/* capheap_esp_set_chip() then heap_caps_init(): the board's arrays are the
 * heap; the ESP-IDF API and malloc() place blocks by type. */
static void start_up_on_the_named_chip(void **state) {
    (void)state;
    hooks();
    board_setup(&board, false);
    capheap_esp_set_chip(&board, NULL);
    heap_caps_init();
    capheap_caps_t *ch = capheap_system();
    assert_non_null(ch);
    assert_ptr_equal(ch->chip, &board);
    void *m = capheap_malloc(1000);
    void *d = heap_caps_malloc(200, MALLOC_CAP_DMA);
    assert_true(board_within(m, board_sram, BOARD_SRAM));
    assert_true(board_within(d, board_dma, BOARD_DMA));
    assert_true(esp_ptr_dma_capable(d));
    assert_false(esp_ptr_dma_capable(m));
    memset(m, 1, 1000);
    memset(d, 2, 200);
    assert_true(heap_caps_get_free_size(MALLOC_CAP_INTERNAL) <
                BOARD_SRAM - 1000);
    assert_true(heap_caps_check_integrity_all(true));
    capheap_free(m);
    heap_caps_free(d);
    assert_int_equal(ts_failed.calls, 0);
    assert_int_equal(ts_errors()->count, 0);
    /* The native API on the same heap, the named chip by NULL. */
    assert_int_equal(capheap_system_init(NULL, NULL), CAPHEAP_OK);
    void *p = capheap_caps_alloc(capheap_system(), 64, CAPHEAP_CAP_DMA);
    assert_true(board_within(p, board_dma, BOARD_DMA));
    capheap_system_free(p);
}

/* A chip no type of which offers DEFAULT|INTERNAL: reported with
 * CAPHEAP_ERR_NO_MALLOC, the heap serves DMA requests, malloc() fails
 * through the callback. */
static void chip_that_cannot_serve_malloc(void **state) {
    (void)state;
    hooks();
    board_setup(&board, true);
    ts_capture_t cap;
    ts_capture_begin(&cap, true);
    capheap_err_t err = capheap_system_init(&board, NULL);
    char *text = ts_capture_end(&cap);
    assert_int_equal(err, CAPHEAP_ERR_NO_MALLOC);
    assert_non_null(strstr(text, "board-dma-only"));
    assert_non_null(strstr(text, "DEFAULT|INTERNAL"));
    free(text);
    void *d = heap_caps_malloc(64, MALLOC_CAP_DMA);
    assert_true(board_within(d, board_dma, BOARD_DMA));
    assert_null(capheap_malloc(64));
    assert_int_equal(ts_failed.calls, 1);
    assert_string_equal(ts_failed.fn, "heap_caps_malloc_default");
    heap_caps_free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allocation_before_start_up),
        cmocka_unit_test(start_up_without_a_chip),
        cmocka_unit_test(start_up_on_the_named_chip),
        cmocka_unit_test(chip_that_cannot_serve_malloc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
