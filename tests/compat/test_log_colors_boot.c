#define _POSIX_C_SOURCE 200809L
/*
 * test_log_colors_boot.c - ESP-IDF's CONFIG_LOG_COLORS: each line of the
 * boot log is green, as ESP-IDF colours its info lines ("\033[0;32m" before
 * the letter, "\033[0m" before the line end), and otherwise the same.
 */
#include "test_support.h"

#include <string.h>

#include "boot_log_env.h"

#if !CAPHEAP_BOOT_LOG || !CONFIG_LOG_COLORS
#error "built against capheap_log_colors (CONFIG_LOG_COLORS=1)"
#endif

/* The footprint of the no-Bluetooth log of test_boot_log.c
 * (esphome/firmware#242), and that log's lines. */
static const bl_footprint_t footprint = {{NULL}, NULL, 0x3FFB86F8, 0x40095BB0};

static const char *const lines[] = {
    "Initializing. RAM available for dynamic allocation:",
    "At 3FFAE6E0 len 00001920 (6 KiB): DRAM",
    "At 3FFB86F8 len 00027908 (158 KiB): DRAM",
    "At 3FFE0440 len 00003AE0 (14 KiB): D/IRAM",
    "At 3FFE4350 len 0001BCB0 (111 KiB): D/IRAM",
    "At 40095BB0 len 0000A450 (41 KiB): IRAM",
};

static void lines_are_green(void **state) {
    (void)state;
    if (!bl_mappable(&footprint))
        skip();
    char expected[1024] = "", line[128];
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        /* ESP-IDF's green, around a line of the default hook's time 0. */
        snprintf(line, sizeof line, "\033[0;32mI (0) heap_init: %s\033[0m\n",
                 lines[i]);
        strcat(expected, line);
    }
    char *text = bl_boot(&footprint);
    assert_string_equal(text, expected);
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lines_are_green),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
