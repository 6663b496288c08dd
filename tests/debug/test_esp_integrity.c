#define _POSIX_C_SOURCE 200809L
/*
 * test_esp_integrity.c - ESP-IDF's integrity checks on the simulated ESP32
 * with comprehensive poisoning: by caps, by address and for everything, each
 * finding an overflow of a live block (not only at free) in the heaps it
 * covers and only there, with the message ESP-IDF users look for.
 */
#include "test_support.h"

#include "../compat/esp_test_env.h"
#include "capheap/debug.h"
#include "core/poison.h"

static void overflow_found_where_the_check_looks(void **state) {
    (void)state;
    et_boot("esp32");
    unsigned char *d = heap_caps_malloc(40, MALLOC_CAP_DMA);
    unsigned char *i = heap_caps_malloc(40, MALLOC_CAP_EXEC);
    assert_non_null(d);
    assert_non_null(i);
    assert_true(et_in_type(d, "DRAM"));
    assert_true(heap_caps_check_integrity_all(true));
    assert_true(heap_caps_check_integrity(MALLOC_CAP_DMA, true));

    d[40] ^= 0x10; /* one byte past the DMA block */
    assert_false(heap_caps_check_integrity_all(false));
    assert_false(heap_caps_check_integrity(MALLOC_CAP_DMA, false));
    assert_false(heap_caps_check_integrity_addr((intptr_t)d, false));
    /* Heaps without DMA are not looked at, nor is the EXEC block's. */
    assert_true(heap_caps_check_integrity(MALLOC_CAP_EXEC, false));
    assert_true(heap_caps_check_integrity_addr((intptr_t)i, false));

    ts_capture_t cap;
    ts_capture_begin(&cap, false);
    assert_false(heap_caps_check_integrity(MALLOC_CAP_8BIT, true));
    char *text = ts_capture_end(&cap);
    char want[120];
    snprintf(want, sizeof want,
             "CORRUPT HEAP: bad tail canary at %p, expected 0x%x, found 0x",
             (void *)(d + 40), TAIL_MAGIC);
    assert_non_null(strstr(text, want));
    free(text);

    d[40] ^= 0x10; /* repaired: every check passes again */
    assert_true(heap_caps_check_integrity_all(true));
    assert_true(heap_caps_check_integrity(MALLOC_CAP_DMA, true));
    heap_caps_free(d);
    heap_caps_free(i);
    assert_true(heap_caps_check_integrity_all(true));
}

/* An address on the instruction bus is checked where its data-bus view is;
 * an address in no heap is answered false, as ESP-IDF does. */
static void addresses_in_and_out_of_heaps(void **state) {
    (void)state;
    et_boot("esp32");
    unsigned char *x = heap_caps_malloc(64, MALLOC_CAP_EXEC);
    assert_non_null(x);
    assert_true(heap_caps_check_integrity_addr((intptr_t)x, false));
    int local = 0;
    assert_false(heap_caps_check_integrity_addr((intptr_t)&local, false));
    x[64] = 0;
    assert_false(heap_caps_check_integrity_addr((intptr_t)x, false));
    put_tail((char *)x + 64);
    assert_true(heap_caps_check_integrity_addr((intptr_t)x, false));
    heap_caps_free(x);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(overflow_found_where_the_check_looks),
        cmocka_unit_test(addresses_in_and_out_of_heaps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
