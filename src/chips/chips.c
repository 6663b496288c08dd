/*
 * chips.c - the list of described chips, by name.
 */
#include <string.h>

#include "capheap/chip.h"

static const capheap_chip_t *const chips[] = {
    &capheap_chip_esp32,     &capheap_chip_esp32s3, &capheap_chip_esp32c3,
    &capheap_chip_stm32h743, &capheap_chip_host,
};

const capheap_chip_t *capheap_chip_find(const char *name) {
    for (size_t i = 0; name && i < sizeof chips / sizeof chips[0]; i++) {
        if (strcmp(chips[i]->name, name) == 0)
            return chips[i];
    }
    return NULL;
}
