#define _POSIX_C_SOURCE 200809L
/*
 * test_log_warn_boot.c - the boot log's switch: built with ESP-IDF's
 * CONFIG_LOG_DEFAULT_LEVEL=2 (Warning), as an sdkconfig.h gives it,
 * CAPHEAP_BOOT_LOG defaults to 0, and heap_caps_init() builds the same
 * heap and prints nothing, as ESP-IDF's prints no info lines at that
 * level. (Printing itself still works: the heap info below.)
 */
#include "test_support.h"

#include <string.h>

#include "boot_log_env.h"
#include "capheap/output.h"
#include "esp_heap_caps.h"

#if CAPHEAP_BOOT_LOG || CONFIG_LOG_DEFAULT_LEVEL != 2 || !CAPHEAP_OUTPUT
#error "built against capheap_log_warn (CONFIG_LOG_DEFAULT_LEVEL=2)"
#endif

/* The footprint of the no-Bluetooth log of test_boot_log.c
 * (esphome/firmware#242). */
static const bl_footprint_t footprint = {{NULL}, NULL, 0x3FFB86F8, 0x40095BB0};

static void heap_caps_init_prints_nothing(void **state) {
    (void)state;
    if (!bl_mappable(&footprint))
        skip();
    char *text = bl_boot(&footprint);
    assert_string_equal(text, "");
    free(text);
    /* The heap is built all the same: the regions the log would list. */
    assert_non_null(heap_caps_capheap());
    assert_int_equal(heap_caps_get_total_size(MALLOC_CAP_8BIT),
                     0x1920 + 0x27908);
    ts_capture_t cap;
    ts_capture_begin(&cap, false);
    heap_caps_print_heap_info(MALLOC_CAP_8BIT);
    text = ts_capture_end(&cap);
    assert_non_null(strstr(text, "At 0x3ffb86f8 len 162056"));
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heap_caps_init_prints_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
