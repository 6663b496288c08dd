#define _POSIX_C_SOURCE 200809L
/*
 * test_quiet_output.c - CAPHEAP_OUTPUT=0: every report that prints (heap
 * info, dumps, integrity reports, the trace dump, capheap_printf,
 * capheap_print_str, capheap_print_hex and capheap_print_uint themselves,
 * heap_caps_init()'s boot log) prints nothing, neither through
 * capheap_port_write() nor on stdout, while the checks still give their
 * verdicts and capheap_snprintf still formats.
 */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "../compat/boot_log_env.h"
#include "../compat/esp_test_env.h"
#include "capheap/output.h"
#include "esp_heap_caps.h"
#include "esp_heap_trace.h"
#include "multi_heap.h"

#if CAPHEAP_OUTPUT != 0 || !CAPHEAP_TRACE || CAPHEAP_POISONING < 1
#error "built against capheap_quiet (CAPHEAP_OUTPUT=0, tracing, poisoning)"
#endif

static size_t writes;

/* With CAPHEAP_OUTPUT=0 capheap defines none; nothing may call this. */
void capheap_port_write(const char *text, size_t len) {
    (void)text;
    (void)len;
    writes++;
}

static void nothing_printed(void **state) {
    (void)state;
    (void)heap_trace_stop();
    et_boot("esp32");
    static heap_trace_record_t recs[4];
    assert_int_equal(heap_trace_init_standalone(recs, 4), ESP_OK);
    assert_int_equal(heap_trace_start(HEAP_TRACE_LEAKS), ESP_OK);
    unsigned char *d = heap_caps_malloc(40, MALLOC_CAP_DMA);
    assert_non_null(d);
    char *arena = ts_arena(2048);
    multi_heap_handle_t h = multi_heap_register(arena, 2048);
    assert_non_null(h);
    char *m = multi_heap_malloc(h, 64);
    assert_non_null(m);
    d[40] ^= 0x10; /* the tail canaries: a corruption to report */
    m[64] ^= 0x10;

    ts_capture_t cap;
    writes = 0;
    ts_capture_begin(&cap, false);
    heap_caps_print_heap_info(MALLOC_CAP_DEFAULT);
    heap_caps_dump_all();
    assert_false(heap_caps_check_integrity_all(true));
    assert_false(heap_caps_check_integrity(MALLOC_CAP_DMA, true));
    multi_heap_dump(h);
    assert_false(multi_heap_check(h, true));
    heap_trace_dump();
    capheap_printf("%s %d\n", "still nothing", 1);
    capheap_print_str("nor this\n");
    capheap_print_hex(0x7a11f00d, 8);
    capheap_print_uint(263, 10, 1);
    char *text = ts_capture_end(&cap);
    assert_string_equal(text, "");
    free(text);
    assert_int_equal(writes, 0);

    /* The formatter itself stays available to the application. */
    char buf[32];
    assert_int_equal(capheap_snprintf(buf, sizeof buf, "%zu|%-4s|%p", (size_t)7,
                                      "ab", (void *)NULL),
                     12);
    assert_string_equal(buf, "7|ab  |(nil)");

    d[40] ^= 0x10;
    m[64] ^= 0x10;
    assert_true(heap_caps_check_integrity_all(true));
    assert_true(multi_heap_check(h, true));
    heap_caps_free(d);
    multi_heap_free(h, m);
    ts_arena_free(arena);
    assert_int_equal(heap_trace_stop(), ESP_OK);
}

/* Nor heap_caps_init()'s boot log, which is off by default here. */
static void no_boot_log(void **state) {
    (void)state;
#if CAPHEAP_BOOT_LOG
    fail_msg("CAPHEAP_BOOT_LOG defaults to 1 without printing");
#endif
    static const bl_footprint_t footprint = {
        {NULL}, NULL, 0x3FFB86F8, 0x40095BB0};
    if (!bl_mappable(&footprint))
        skip();
    writes = 0;
    char *text = bl_boot(&footprint);
    assert_string_equal(text, "");
    free(text);
    assert_int_equal(writes, 0);
    assert_non_null(heap_caps_capheap());
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nothing_printed),
        cmocka_unit_test(no_boot_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
