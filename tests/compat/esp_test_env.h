/*
 * esp_test_env.h - what the tests of the ESP-IDF compatible API share:
 * booting a simulated chip through heap_caps_init() (or skipping, with the
 * reason printed, where the host holds the chip's addresses); the recording
 * failure callback and the capture of output come from capture.h.
 *
 * Include after test_support.h, from a file that defines _POSIX_C_SOURCE.
 * Every test calls et_boot() first, in its body rather than in a cmocka
 * setup: cmocka installs its own SIGSEGV handler around each test body, and
 * heap_caps_init() puts the simulation's handler (which keeps the ESP32's
 * inverted D/IRAM window coherent) back in front of it.
 */
#ifndef CAPHEAP_TEST_ESP_TEST_ENV_H
#define CAPHEAP_TEST_ESP_TEST_ENV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capheap/caps.h"
#include "capheap/sim.h"
#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"

#include "capture.h"

/** Options of et_boot(). */
typedef struct {
    const char *psram; /**< CAPHEAP_PSRAM, or NULL for none */
    bool rtc_heap;     /**< CAPHEAP_RTC_HEAP=1 */
    bool stacks;       /**< call heap_caps_enable_nonos_stack_heaps() */
} et_opts_t;

/**
 * Boot @p chip through the environment and heap_caps_init(), from a fresh
 * heap: no options but @p o's, malloc() internal only, the recording
 * failure callback, the recording error hook. Skips the test, saying why,
 * when the host holds the chip's addresses (qemu-user's i386 stack lies on
 * the ESP32's RAM).
 */
static inline void et_boot_opts(const char *chip, et_opts_t o) {
    static const char *const vars[] = {
        "CAPHEAP_PSRAM",          "CAPHEAP_BT",
        "CAPHEAP_RTC_HEAP",       "CAPHEAP_SINGLE_CORE",
        "CAPHEAP_TRACE_MEM",      "CAPHEAP_IRAM_8BIT",
        "CAPHEAP_APP_DRAM_START", "CAPHEAP_APP_DRAM_END",
        "CAPHEAP_APP_IRAM_END"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    setenv("CAPHEAP_CHIP", chip, 1);
    if (o.psram)
        setenv("CAPHEAP_PSRAM", o.psram, 1);
    if (o.rtc_heap)
        setenv("CAPHEAP_RTC_HEAP", "1", 1);
    const capheap_chip_t *c = NULL;
    capheap_chip_options_t opts;
    assert_int_equal(capheap_sim_options_from_env(&c, &opts), CAPHEAP_OK);
    char who[700] = "";
    capheap_err_t err = capheap_sim_probe(c, &opts, who, sizeof who);
    if (err == CAPHEAP_ERR_OVERLAP) {
        print_message("[  SKIP    ] %s's memory cannot be placed at its own "
                      "addresses: the host or an emulator holds them in this "
                      "process: %s\n",
                      chip, who);
        skip();
    }
    assert_int_equal(err, CAPHEAP_OK);
    ts_errors_install();
    heap_caps_init();
    /* ESP-IDF's "external RAM not for malloc()" limit (its initial value):
     * the setting outlives heap_caps_init(). */
    heap_caps_malloc_extmem_enable(SIZE_MAX);
    assert_int_equal(heap_caps_register_failed_alloc_callback(ts_failed_hook),
                     ESP_OK);
    ts_failed_reset();
    if (o.stacks)
        heap_caps_enable_nonos_stack_heaps();
    assert_true(heap_caps_check_integrity_all(true));
}

/** Boot @p chip without options, start-up stack regions enabled. */
static inline void et_boot(const char *chip) {
    et_opts_t o = {NULL, false, true};
    et_boot_opts(chip, o);
}

/** The chip description heap_caps_init() used (addresses as simulated). */
static inline const capheap_chip_t *et_chip(void) {
    return heap_caps_capheap()->chip;
}

/** Whether @p p lies in a region of @p chip whose type is named @p type. */
static inline bool et_in_type(const void *p, const char *type) {
    const capheap_chip_t *c = et_chip();
    uintptr_t a = (uintptr_t)p;
    for (unsigned i = 0; i < c->region_count; i++) {
        const capheap_region_desc_t *r = &c->regions[i];
        if (a >= r->start && a - r->start < r->size &&
            strcmp(c->types[r->type].name, type) == 0)
            return true;
    }
    return false;
}

/** Whether @p p is an instruction-bus address of a dual-mapped window. */
static inline bool et_on_ibus(const void *p) {
    return capheap_caps_iram_to_dram(et_chip(), (uintptr_t)p) != (uintptr_t)p;
}

/** The name of the memory type of the live block @p p (by either address). */
static inline const char *et_type_of(const void *p) {
    capheap_caps_t *ch = heap_caps_capheap();
    int t = capheap_caps_block_type(ch, p);
    return t < 0 ? "(none)" : ch->types[t].name;
}

/** Number of occurrences of @p needle in @p text. */
static inline int et_count(const char *text, const char *needle) {
    int n = 0;
    size_t len = strlen(needle);
    for (const char *p = strstr(text, needle); p; p = strstr(p + len, needle))
        n++;
    return n;
}

#endif
