#define _POSIX_C_SOURCE 200809L
/*
 * test_target_boot_log.c - heap_caps_init()'s boot log as on a target
 * (CAPHEAP_SYSTEM_SIM 0): the named chip's own options (here the
 * application's .data/.bss in the board's SRAM) shape its lines, and
 * capheap_system_init_report() hands on the options it was given.
 */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"
#include "capheap/system.h"
#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"
#include "system_test_env.h"

#if CAPHEAP_SYSTEM_SIM || !CAPHEAP_BOOT_LOG
#error "built against capheap_target (no simulation), boot log on"
#endif

static capheap_chip_t board;

/* The application's .data/.bss: the first 4 KiB of the board's SRAM. */
static capheap_chip_options_t app(void) {
    capheap_chip_options_t o = {0, 0, 0, 0, 0};
    o.app_dram_start = (uintptr_t)board_sram;
    o.app_dram_end = (uintptr_t)board_sram + 0x1000;
    return o;
}

static void named_chip_and_options(void **state) {
    (void)state;
    board_setup(&board, false);
    capheap_chip_options_t o = app();
    capheap_esp_set_chip(&board, &o);
    ts_capture_t cap;
    ts_capture_begin(&cap, true);
    heap_caps_init();
    char *text = ts_capture_end(&cap);

    char want[512], sram[128], dma[128];
    snprintf(sram, sizeof sram,
             "I (0) heap_init: At %08lX len 0000F000 (60 KiB): SRAM\n",
             (unsigned long)((uintptr_t)board_sram + 0x1000));
    snprintf(dma, sizeof dma,
             "I (0) heap_init: At %08lX len 00008000 (32 KiB): DMA SRAM\n",
             (unsigned long)(uintptr_t)board_dma);
    snprintf(want, sizeof want,
             "I (0) heap_init: Initializing. RAM available for dynamic "
             "allocation:\n%s%s",
             (uintptr_t)board_sram < (uintptr_t)board_dma ? sram : dma,
             (uintptr_t)board_sram < (uintptr_t)board_dma ? dma : sram);
    assert_string_equal(text, want);
    free(text);
    assert_int_equal(heap_caps_get_total_size(MALLOC_CAP_DEFAULT), 0xF000);
}

static const capheap_chip_options_t *told_opts;
static const capheap_chip_t *told_chip;

static void tell(const capheap_chip_t *chip, const capheap_chip_options_t *opts,
                 const capheap_caps_reservation_t *reserved,
                 size_t reserved_count) {
    (void)reserved;
    (void)reserved_count;
    told_chip = chip;
    told_opts = opts;
}

/* Given a chip, the report is told that chip and the caller's options (as
 * the system heap copied them: the layout tables read them after the call);
 * given none, the named chip's options (a copy the system heap keeps). */
static void report_tells_the_options(void **state) {
    (void)state;
    board_setup(&board, false);
    capheap_chip_options_t mine = app();
    assert_int_equal(capheap_system_init_report(&board, &mine, tell),
                     CAPHEAP_OK);
    assert_ptr_equal(told_chip, &board);
    assert_non_null(told_opts);
    assert_int_equal(told_opts->flags, mine.flags);
    assert_int_equal(told_opts->psram_size, mine.psram_size);
    assert_int_equal(told_opts->app_dram_end, mine.app_dram_end);
    assert_int_equal(told_opts->app_iram_end, mine.app_iram_end);
    assert_int_equal(told_opts->app_dram_start, mine.app_dram_start);
    capheap_esp_set_chip(&board, &mine);
    assert_int_equal(capheap_system_init_report(NULL, NULL, tell), CAPHEAP_OK);
    assert_ptr_equal(told_chip, &board);
    assert_non_null(told_opts);
    assert_true(told_opts != &mine);
    assert_int_equal(told_opts->app_dram_end, mine.app_dram_end);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(named_chip_and_options),
        cmocka_unit_test(report_tells_the_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
