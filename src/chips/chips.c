/*
 * chips.c - the list of described chips, by name.
 */
#include "capheap/chip.h"

static const capheap_chip_t *const chips[] = {
    &capheap_chip_esp32,     &capheap_chip_esp32s3, &capheap_chip_esp32c3,
    &capheap_chip_stm32h743, &capheap_chip_host,
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
    for (size_t i = 0; name && i < sizeof chips / sizeof chips[0]; i++) {
        if (same_name(chips[i]->name, name))
            return chips[i];
    }
    return NULL;
}
