#define _POSIX_C_SOURCE 200809L
/*
 * test_target_chip_build.c - the chip named at build time: the library
 * (capheap_target_chip) is built as on a target with
 * -DCAPHEAP_SYSTEM_CHIP=capheap_test_board, the object this program
 * defines. heap_caps_init() builds it without capheap_esp_set_chip(); a
 * chip set at run time takes its place, and forgetting that brings it back.
 */
#include "test_support.h"

#include <stdint.h>
#include <stdlib.h>

#include "board.h"
#include "capheap/malloc.h"
#include "capheap/system.h"
#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"

/* Its region table is filled when the program runs (board.h). */
const capheap_chip_t capheap_test_board = {
    .name = "build-time board",
    .types = board_types,
    .type_count = 2,
    .regions = board_regions,
    .region_count = 2,
    .dma_lo = 0,
    .dma_hi = UINTPTR_MAX,
    .cache_line = 32,
    .simd_align = 16,
    .max_alloc = BOARD_SRAM,
};

static void build_time_chip(void **state) {
    (void)state;
    ts_errors_install();
    board_regions_setup(false);
    assert_null(capheap_system()); /* no lazy start-up */
    heap_caps_init();
    assert_non_null(capheap_system());
    assert_ptr_equal(capheap_system()->chip, &capheap_test_board);
    void *m = capheap_malloc(100);
    assert_true(board_within(m, board_sram, BOARD_SRAM));
    capheap_free(m);

    /* A chip named at run time wins; forgetting it restores the build's. */
    capheap_chip_t other;
    board_setup(&other, true);
    capheap_esp_set_chip(&other, NULL);
    assert_int_equal(capheap_system_init(NULL, NULL), CAPHEAP_ERR_NO_MALLOC);
    assert_ptr_equal(capheap_system()->chip, &other);
    capheap_esp_set_chip(NULL, NULL);
    board_regions_setup(false); /* the other chip rewrote the region table */
    assert_int_equal(capheap_system_init(NULL, NULL), CAPHEAP_OK);
    assert_ptr_equal(capheap_system()->chip, &capheap_test_board);
    assert_int_equal(ts_errors()->count, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(build_time_chip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
