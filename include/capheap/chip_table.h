/**
 * @file chip_table.h
 * @brief What a chip description (a `capheap_chip_t` in a source file of its
 * own, like src/chips/esp32.c) writes the same way every time.
 *
 * Public and installed, so that an application's own chip file builds
 * against an installed capheap. Only a macro: nothing to link.
 */
#ifndef CAPHEAP_CHIP_TABLE_H
#define CAPHEAP_CHIP_TABLE_H

#include "capheap/caps.h"

/**
 * An array and its length, for the pointer/count pairs of capheap_chip_t in
 * a C designated initialiser: `CHIP_ARRAY(types, type_count, my_types)`.
 * C only (C++ before C++20 has no designated initialisers: assign the
 * members instead).
 */
#define CHIP_ARRAY(ptr, count, array)                                          \
    .ptr = array, .count = sizeof(array) / sizeof((array)[0])

#endif
