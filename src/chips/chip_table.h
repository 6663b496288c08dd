/*
 * chip_table.h - what every chip file writes the same way.
 */
#ifndef CAPHEAP_CHIPS_CHIP_TABLE_H
#define CAPHEAP_CHIPS_CHIP_TABLE_H

#include "capheap/caps.h"

/** An array and its length, for the pointer/count pairs of capheap_chip_t. */
#define CHIP_ARRAY(ptr, count, array)                                          \
    .ptr = array, .count = sizeof(array) / sizeof((array)[0])

#endif
