/*
 * boot_log_env.h - what the tests of heap_caps_init()'s boot log share:
 * booting the simulated ESP32 with an application's footprint, through the
 * environment (capheap/sim.h), and capturing what heap_caps_init() prints.
 *
 * Include after test_support.h, from a file that defines _POSIX_C_SOURCE.
 */
#ifndef CAPHEAP_TEST_BOOT_LOG_ENV_H
#define CAPHEAP_TEST_BOOT_LOG_ENV_H

#include <stdio.h>
#include <stdlib.h>

#include "capheap/sim.h"
#include "capture.h"
#include "esp_heap_caps_init.h"

/** An ESP32 application's footprint, as the environment gives it. */
typedef struct {
    const char *options[3]; /**< CAPHEAP_BT etc. set to 1; NULL ends */
    const char *psram;      /**< CAPHEAP_PSRAM, or NULL for none */
    unsigned long dram_end; /**< end of .data/.bss (_heap_start) */
    unsigned long iram_end; /**< end of the IRAM code (_iram_end) */
} bl_footprint_t;

/** Put @p f in the environment (and nothing else of the simulation's). */
static inline void bl_environment(const bl_footprint_t *f) {
    static const char *const vars[] = {
        "CAPHEAP_PSRAM",          "CAPHEAP_BT",
        "CAPHEAP_RTC_HEAP",       "CAPHEAP_SINGLE_CORE",
        "CAPHEAP_TRACE_MEM",      "CAPHEAP_IRAM_8BIT",
        "CAPHEAP_APP_DRAM_START", "CAPHEAP_APP_DRAM_END",
        "CAPHEAP_APP_IRAM_END"};
    char hex[24];
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    setenv("CAPHEAP_CHIP", "esp32", 1);
    for (size_t i = 0; i < 3 && f->options[i]; i++)
        setenv(f->options[i], "1", 1);
    if (f->psram)
        setenv("CAPHEAP_PSRAM", f->psram, 1);
    snprintf(hex, sizeof hex, "0x%lx", f->dram_end);
    setenv("CAPHEAP_APP_DRAM_END", hex, 1);
    snprintf(hex, sizeof hex, "0x%lx", f->iram_end);
    setenv("CAPHEAP_APP_IRAM_END", hex, 1);
}

/**
 * Whether the simulated ESP32 of @p f can be placed at its own addresses;
 * if not, says why (qemu-user's i386 stack lies on the ESP32's RAM).
 */
static inline bool bl_mappable(const bl_footprint_t *f) {
    const capheap_chip_t *chip = NULL;
    capheap_chip_options_t opts;
    bl_environment(f);
    assert_int_equal(capheap_sim_options_from_env(&chip, &opts), CAPHEAP_OK);
    char who[700] = "";
    capheap_err_t err = capheap_sim_probe(chip, &opts, who, sizeof who);
    if (err == CAPHEAP_ERR_OVERLAP) {
        print_message("[  SKIP    ] the ESP32's memory cannot be placed at "
                      "its own addresses here: %s\n",
                      who);
        return false;
    }
    assert_int_equal(err, CAPHEAP_OK);
    return true;
}

/** heap_caps_init() for @p f; what it printed (free() it). */
static inline char *bl_boot(const bl_footprint_t *f) {
    ts_capture_t cap;
    bl_environment(f);
    capheap_esp_set_chip(NULL, NULL);
    ts_capture_begin(&cap, true);
    heap_caps_init();
    return ts_capture_end(&cap);
}

#endif
