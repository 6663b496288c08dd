/**
 * @file heap_memory_layout.h
 * @brief ESP-IDF's description of the chip's memory (memory types, regions,
 * reservations), over capheap's chip description.
 *
 * ESP-IDF keeps constant tables per chip (port/<chip>/memory_layout.c);
 * here they are the chip the system heap (capheap/system.h) was built for,
 * with the options it was built with, so code that reads them sees the chip
 * capheap allocates on: on a host the simulated chip, at the addresses it is
 * simulated at. What differs from ESP-IDF:
 *
 * - soc_memory_types, soc_memory_type_count, soc_memory_regions and
 *   soc_memory_region_count are macros over functions, not arrays: index
 *   them and read their fields as in ESP-IDF, take `&soc_memory_regions[i]`,
 *   but `sizeof soc_memory_regions` is a pointer's size, they are no
 *   constant expressions (no static initialiser may use them), and code that
 *   declares them itself (`extern const soc_memory_region_t
 *   soc_memory_regions[];`) does not compile: include this header instead.
 *   The names are macros: do not use them for anything else.
 * - Before the system heap is built the tables are empty (counts 0) on a
 *   target; on a host the first use builds it (as the first allocation
 *   would). After a rebuild they describe the new build.
 * - soc_memory_types is the chip's own type table: types no region of the
 *   present options uses are listed too (the ESP32's SPIRAM without PSRAM;
 *   its IRAM twice, without and with MALLOC_CAP_IRAM_8BIT, of which the
 *   IRAM_8BIT option selects one). Caps at SOC_MEMORY_TYPE_NO_PRIOS
 *   priority levels, as in ESP-IDF.
 * - soc_memory_regions lists one record per run of RAM of one type, as the
 *   chip description has it, where ESP-IDF lists its pools (the ESP32's
 *   DRAM as 8 KiB pieces): the same addresses and types, fewer entries.
 *   Optional regions appear when the build's options select them (PSRAM,
 *   RTC memory as heap), whole (the PSRAM window at its full size, as in
 *   ESP-IDF). iram_address is the lowest instruction-bus address of the
 *   region's alias (0: none), also for memory ESP-IDF lists with 0 although
 *   the chip maps it on both buses (the ESP32's RTC fast memory).
 * - The reservations are capheap's: the chip's own (ESP-IDF's
 *   SOC_RESERVE_MEMORY_REGION lines in memory_layout.c), the application's
 *   .data/.bss and IRAM code (the chip options), and the application's
 *   (SOC_RESERVE_MEMORY_REGION() below, capheap_system_reserve()).
 * - soc_get_available_memory_regions() gives exactly the pieces capheap's
 *   start-up made heaps of (capheap_caps_init()'s layout): touching pieces
 *   of one type merged, pieces under 64 bytes dropped (ESP-IDF drops 16 or
 *   less), PSRAM included at its fitted size (ESP-IDF reserves the window
 *   and adds PSRAM later). Regions added at run time are not listed.
 *
 * Threads: the functions read the system heap's set-up; call them after
 * start-up, like allocations, from any thread (each call compares the
 * region table with the chip under the port's default lock and rewrites
 * only the entries a rebuild changed, so readers of the table race with a
 * write only across a rebuild, which is set-up).
 */
#ifndef CAPHEAP_COMPAT_HEAP_MEMORY_LAYOUT_H
#define CAPHEAP_COMPAT_HEAP_MEMORY_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capheap/caps.h"
#include "capheap/system.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Priority levels of a memory type's caps: the length of the caps array of
 * soc_memory_type_desc_t and of heap_caps_add_region_with_caps(). */
#define SOC_MEMORY_TYPE_NO_PRIOS CAPHEAP_PRIOS
CAPHEAP_STATIC_ASSERT(SOC_MEMORY_TYPE_NO_PRIOS == 3,
                      "ESP-IDF's three priority levels");

/** A memory type: name and caps per priority level (ESP-IDF's fields
 * `name` and `caps`); capheap's own type, so the chip's table is read in
 * place. */
typedef capheap_mem_type_t soc_memory_type_desc_t;

/** A region of memory of one type (ESP-IDF's fields). */
typedef struct {
    intptr_t start;        /**< first byte (data bus) */
    size_t size;           /**< bytes */
    size_t type;           /**< index into soc_memory_types */
    intptr_t iram_address; /**< lowest instruction-bus address of its
                                alias, 0 for none */
    bool startup_stack;    /**< holds start-up stacks: a heap only after
                                heap_caps_enable_nonos_stack_heaps() */
} soc_memory_region_t;

/** A reserved range (ESP-IDF's type; capheap's records are
 * capheap_caps_reservation_t, which adds a name). */
typedef struct {
    intptr_t start; /**< first byte */
    intptr_t end;   /**< one past the last */
} soc_reserved_region_t;

/**
 * @name The tables
 * The chip's memory types and the regions its options select, for the
 * system heap's last build (see the file comment). The types are the
 * chip's table (O(1)); the regions a table of CAPHEAP_SOC_MAX_REGIONS
 * entries kept up to date by every call (O(the chip's regions), a few): a
 * chip with more selected regions says so once (capheap_print_str()) and
 * lists the first ones.
 * @{ */
#ifndef CAPHEAP_SOC_MAX_REGIONS
#define CAPHEAP_SOC_MAX_REGIONS 16
#endif
const soc_memory_type_desc_t *capheap_soc_memory_types(void);
size_t capheap_soc_memory_type_count(void);
const soc_memory_region_t *capheap_soc_memory_regions(void);
size_t capheap_soc_memory_region_count(void);
#define soc_memory_types        (capheap_soc_memory_types())
#define soc_memory_type_count   (capheap_soc_memory_type_count())
#define soc_memory_regions      (capheap_soc_memory_regions())
#define soc_memory_region_count (capheap_soc_memory_region_count())
/** @} */

/**
 * Reserve [START, END) for a component's own use: no heap is built there
 * (capheap's CAPHEAP_SYSTEM_RESERVE(), which says how and when). At file
 * scope, with a semicolon after it; NAME a C identifier unique in the file.
 * Like ESP-IDF's, meant for fixed addresses (hardware, ROM, buffers the
 * linker places); ordinary data is better a static array.
 */
#define SOC_RESERVE_MEMORY_REGION(START, END, NAME)                            \
    CAPHEAP_SYSTEM_RESERVE(START, END, NAME)

/**
 * The pieces of memory the system heap's start-up made heaps of (see the
 * file comment), ordered by address: the selected regions minus every
 * reservation. None on a target before start-up, and none when
 * reservations made since the build (capheap_system_reserve()) could not
 * be applied (they overlap).
 * @param regions room for soc_get_available_memory_region_max_count()
 * @return how many were written. O(R * (P + N) + N^2) for R regions, P
 *         pieces, N reservations (a few dozen each).
 */
size_t soc_get_available_memory_regions(soc_memory_region_t *regions);

/** The size soc_get_available_memory_regions() needs: here exactly the
 * number it writes (ESP-IDF gives an upper bound). Same cost. */
size_t soc_get_available_memory_region_max_count(void);

#ifdef __cplusplus
}
#endif

#endif
