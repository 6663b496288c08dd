/*
 * chips.c - the list of described chips, by name.
 */
#include "capheap/chip.h"

/* A build that selects chip tables (CMake's and capheap.mk's CAPHEAP_CHIPS)
 * defines CAPHEAP_CHIPS_SELECTED and CAPHEAP_CHIP_<NAME> for each one it
 * compiles, so the list names only what is linked; without it, all. */
#ifndef CAPHEAP_CHIPS_SELECTED
#define CAPHEAP_CHIP_ESP32     1
#define CAPHEAP_CHIP_ESP32S3   1
#define CAPHEAP_CHIP_ESP32C3   1
#define CAPHEAP_CHIP_STM32H743 1
#define CAPHEAP_CHIP_HOST      1
#endif

static const capheap_chip_t *const chips[] = {
#ifdef CAPHEAP_CHIP_ESP32
    &capheap_chip_esp32,
#endif
#ifdef CAPHEAP_CHIP_ESP32S3
    &capheap_chip_esp32s3,
#endif
#ifdef CAPHEAP_CHIP_ESP32C3
    &capheap_chip_esp32c3,
#endif
#ifdef CAPHEAP_CHIP_STM32H743
    &capheap_chip_stm32h743,
#endif
#ifdef CAPHEAP_CHIP_HOST
    &capheap_chip_host,
#endif
    NULL, /* never empty, which C forbids */
};

/* Freestanding: no strcmp on toolchains without a C library. */
static bool same_name(const char *a, const char *b) {
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

const capheap_chip_t *capheap_chip_find(const char *name) {
    for (size_t i = 0; name && chips[i]; i++) {
        if (same_name(chips[i]->name, name))
            return chips[i];
    }
    return NULL;
}
