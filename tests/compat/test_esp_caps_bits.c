#define _POSIX_C_SOURCE 200809L
/*
 * test_esp_caps_bits.c - every MALLOC_CAP_* of ESP-IDF's esp_heap_caps.h
 * with ESP-IDF's value, and what a request for a capability that no memory
 * type of the chip offers does: it fails as on ESP-IDF (NULL, the failure
 * callback, sums of 0) until a region with it is added at run time, as
 * ESP-IDF's esp_psram adds its encryption-exempt PSRAM.
 */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"
#include "esp_test_env.h"

/* ---- names and values ---------------------------------------------------- */

typedef struct {
    const char *name;
    uint32_t value;    /* capheap's macro */
    uint32_t expected; /* ESP-IDF's value */
} cap_value_t;

#define CAP(name, bit)                                                         \
    { #name, name, (uint32_t)1 << (bit) }

static const cap_value_t caps_table[] = {
    CAP(MALLOC_CAP_EXEC, 0),          CAP(MALLOC_CAP_32BIT, 1),
    CAP(MALLOC_CAP_8BIT, 2),          CAP(MALLOC_CAP_DMA, 3),
    CAP(MALLOC_CAP_PID2, 4),          CAP(MALLOC_CAP_PID3, 5),
    CAP(MALLOC_CAP_PID4, 6),          CAP(MALLOC_CAP_PID5, 7),
    CAP(MALLOC_CAP_PID6, 8),          CAP(MALLOC_CAP_PID7, 9),
    CAP(MALLOC_CAP_SPIRAM, 10),       CAP(MALLOC_CAP_INTERNAL, 11),
    CAP(MALLOC_CAP_DEFAULT, 12),      CAP(MALLOC_CAP_IRAM_8BIT, 13),
    CAP(MALLOC_CAP_RETENTION, 14),    CAP(MALLOC_CAP_RTCRAM, 15),
    CAP(MALLOC_CAP_SPM, 16),          CAP(MALLOC_CAP_SCP, 16),
    CAP(MALLOC_CAP_TCM, 16),          CAP(MALLOC_CAP_DMA_DESC_AHB, 17),
    CAP(MALLOC_CAP_DMA_DESC_AXI, 18), CAP(MALLOC_CAP_CACHE_ALIGNED, 19),
    CAP(MALLOC_CAP_SIMD, 20),         CAP(MALLOC_CAP_SPIRAM_NO_ENC, 21),
    CAP(MALLOC_CAP_INVALID, 31),
};

static void every_cap_has_esp_idf_value(void **state) {
    (void)state;
    uint32_t seen = 0;
    for (size_t i = 0; i < sizeof caps_table / sizeof caps_table[0]; i++) {
        const cap_value_t *c = &caps_table[i];
        if (c->value != c->expected)
            fail_msg("%s is %#x, ESP-IDF's is %#x", c->name, c->value,
                     c->expected);
        seen |= c->value;
    }
    /* Bits 0..21 and 31, no other. */
    assert_int_equal(seen, 0x003FFFFFu | 0x80000000u);
}

/* ---- a capability no type offers ---------------------------------------- */

/* What every query and allocation says about @p caps on a chip without it. */
static void nothing_offers(uint32_t caps) {
    ts_failed_reset();
    assert_null(heap_caps_malloc(64, caps));
    assert_int_equal(ts_failed.calls, 1);
    assert_int_equal(ts_failed.size, 64);
    assert_int_equal(ts_failed.caps, caps);
    assert_null(heap_caps_calloc(4, 16, caps));
    assert_null(heap_caps_aligned_alloc(64, 128, caps));
    assert_null(heap_caps_realloc(NULL, 32, caps));
    assert_int_equal(ts_failed.calls, 4);
    assert_int_equal(heap_caps_get_total_size(caps), 0);
    assert_int_equal(heap_caps_get_free_size(caps), 0);
    assert_int_equal(heap_caps_get_largest_free_block(caps), 0);
    multi_heap_info_t info;
    heap_caps_get_info(&info, caps);
    assert_int_equal(info.total_free_bytes, 0);
    assert_int_equal(info.total_blocks, 0);
    /* A block with other caps cannot move into memory that has it. */
    void *p = heap_caps_malloc(48, MALLOC_CAP_8BIT);
    assert_non_null(p);
    memset(p, 0x5A, 48);
    ts_failed_reset();
    assert_null(heap_caps_realloc(p, 96, caps));
    assert_int_equal(ts_failed.calls, 1);
    assert_int_equal(((unsigned char *)p)[47], 0x5A); /* left untouched */
    heap_caps_free(p);
}

/* Neither the ESP32, nor the ESP32-S3, nor the ESP32-C3 has scratchpad
 * memory or encryption-exempt PSRAM (the ESP32 and the S3 here with PSRAM). */
static void spm_and_no_enc_fail_on_esp_chips(void **state) {
    (void)state;
    static const struct {
        const char *chip, *psram;
    } chips[] = {{"esp32", "2M"}, {"esp32s3", "2M"}, {"esp32c3", NULL}};
    for (size_t i = 0; i < sizeof chips / sizeof chips[0]; i++) {
        et_opts_t o = {chips[i].psram, false, true};
        et_boot_opts(chips[i].chip, o);
        nothing_offers(MALLOC_CAP_SPM);
        nothing_offers(MALLOC_CAP_SPIRAM_NO_ENC);
        nothing_offers(MALLOC_CAP_SPIRAM_NO_ENC | MALLOC_CAP_SPIRAM);
        nothing_offers(MALLOC_CAP_SPM | MALLOC_CAP_8BIT);
        /* Where PSRAM exists, a driver's preference list falls back to it
         * (what esp_psram's documentation suggests for NO_ENC). */
        if (chips[i].psram) {
            ts_failed_reset();
            void *p = heap_caps_malloc_prefer(4096, 2, MALLOC_CAP_SPIRAM_NO_ENC,
                                              MALLOC_CAP_SPIRAM);
            assert_non_null(p);
            assert_int_equal(ts_failed.calls, 0);
            assert_true(et_in_type(p, "SPIRAM"));
            heap_caps_free(p);
        }
        assert_true(heap_caps_check_integrity_all(true));
    }
}

/* An encryption-exempt region added at run time (here a PSRAM buffer) then
 * serves NO_ENC requests, and only it does. */
static void no_enc_after_its_region(void **state) {
    (void)state;
    et_opts_t o = {"2M", false, true};
    et_boot_opts("esp32", o);
    const size_t len = 64 * 1024;
    unsigned char *carve = heap_caps_malloc(len, MALLOC_CAP_SPIRAM);
    assert_non_null(carve);
    const uint32_t caps[3] = {MALLOC_CAP_SPIRAM_NO_ENC, 0,
                              MALLOC_CAP_SPIRAM | MALLOC_CAP_8BIT |
                                  MALLOC_CAP_32BIT};
    assert_int_equal(heap_caps_add_region_with_caps(caps, (intptr_t)carve,
                                                    (intptr_t)carve + len),
                     ESP_OK);
    ts_failed_reset();
    size_t largest = heap_caps_get_largest_free_block(MALLOC_CAP_SPIRAM_NO_ENC);
    assert_true(largest > len - 1024 && largest < len);
    unsigned char *a = heap_caps_malloc(1000, MALLOC_CAP_SPIRAM_NO_ENC);
    unsigned char *b = heap_caps_malloc(
        2000, MALLOC_CAP_SPIRAM_NO_ENC | MALLOC_CAP_SPIRAM | MALLOC_CAP_8BIT);
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a >= carve && a + 1000 <= carve + len);
    assert_true(b >= carve && b + 2000 <= carve + len);
    assert_int_equal(ts_failed.calls, 0);
    assert_true(heap_caps_get_total_size(MALLOC_CAP_SPIRAM_NO_ENC) <= len);
    assert_true(heap_caps_get_total_size(MALLOC_CAP_SPIRAM_NO_ENC) >
                len - 1024);
    /* More than the region holds still fails through the callback. */
    assert_null(heap_caps_malloc(len, MALLOC_CAP_SPIRAM_NO_ENC));
    assert_int_equal(ts_failed.calls, 1);
    heap_caps_free(a);
    heap_caps_free(b);
    assert_true(heap_caps_check_integrity_all(true));
    heap_caps_init(); /* forget the heap inside the block before it goes */
}

/* SPM (and its other names) on the STM32H743: its TCMs. */
static void spm_is_tcm_on_stm32h743(void **state) {
    (void)state;
    et_boot("stm32h743");
    assert_true(heap_caps_get_free_size(MALLOC_CAP_SPM) > 180 * 1024);
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_SPM),
                     heap_caps_get_free_size(MALLOC_CAP_TCM));
    void *d = heap_caps_malloc(4096, MALLOC_CAP_SPM | MALLOC_CAP_8BIT);
    assert_non_null(d);
    assert_true(et_in_type(d, "DTCM"));
    heap_caps_free(d);
    nothing_offers(MALLOC_CAP_SPIRAM_NO_ENC);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_cap_has_esp_idf_value),
        cmocka_unit_test(spm_and_no_enc_fail_on_esp_chips),
        cmocka_unit_test(no_enc_after_its_region),
        cmocka_unit_test(spm_is_tcm_on_stm32h743),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
