/**
 * @file esp_heap_caps_init.h
 * @brief ESP-IDF's heap start-up and runtime region API, over capheap.
 *
 * These are adapters over the system heap (capheap/system.h), which says
 * what happens before start-up (on a target: every allocation fails
 * through the failure callback, touching nothing).
 *
 * Threads: the global heap is built by heap_caps_init() or, on a Linux host
 * only, lazily by the first call of any allocation function; lazy first
 * calls may race (one builds under the port's default lock, the others
 * wait). An explicit
 * heap_caps_init() rebuilds from scratch: call it once at start-up, before
 * other threads allocate. capheap_esp_set_chip() and capheap_esp_reserve()
 * come before that build. heap_caps_add_region*() may run while other
 * threads allocate, but not concurrently with each other. No function here
 * may be called from an interrupt handler.
 */
#ifndef CAPHEAP_COMPAT_ESP_HEAP_CAPS_INIT_H
#define CAPHEAP_COMPAT_ESP_HEAP_CAPS_INIT_H

#include <stdint.h>

#include "capheap/caps.h"
#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Build the heaps once at start-up: capheap_system_init(NULL, NULL). The
 * chip is the one given to capheap_esp_set_chip(), else the build's
 * CAPHEAP_SYSTEM_CHIP, minus the program's SOC_RESERVE_MEMORY_REGION
 * records (heap_memory_layout.h) and the reservations given with
 * capheap_esp_reserve(); on a target with neither chip it prints that no chip
 * was named and leaves the heap unusable. On a Linux host the chip (by
 * default the ESP32) is simulated at its own addresses first, and
 * CAPHEAP_CHIP in the environment, when set, replaces it (README, "Host
 * simulation"). Every error is printed (capheap_port_write()), never
 * aborts; a chip that malloc() cannot use is reported and its heap still
 * serves capability requests. Calling it again rebuilds every heap (all
 * blocks are lost): tests use this. Linear in the chip's regions.
 *
 * Boot log (CAPHEAP_BOOT_LOG in config.h; by default on where printing is
 * compiled in, off where ESP-IDF's CONFIG_LOG_DEFAULT_LEVEL or
 * CONFIG_LOG_MAXIMUM_LEVEL is below Info): once the heap is built it prints
 * ESP-IDF's heap_init lines, "I (<ms>) heap_init: Initializing. RAM
 * available for dynamic allocation:" then "I (<ms>) heap_init: At %08X len
 * %08X (%d KiB): <type>" per region (RTC memory last), and for external RAM
 * esp_psram's "Adding pool of %dK of PSRAM memory to heap allocator",
 * outside the heap's lock, with capheap_port_log_timestamp()'s time
 * (docs/debugging.md, "The boot log").
 */
void heap_caps_init(void);

/** Make the regions that held start-up stacks available. */
void heap_caps_enable_nonos_stack_heaps(void);

/**
 * Add [start, end) as a heap with the caps of the chip region holding start.
 * @return ESP_OK; ESP_ERR_INVALID_STATE (before start-up, on a target);
 *         ESP_ERR_INVALID_ARG (start 0); ESP_ERR_NOT_FOUND (no chip
 *         region holds start); ESP_FAIL (overlaps a heap); ESP_ERR_NO_MEM (no
 *         slot left); ESP_ERR_INVALID_SIZE (too small).
 */
esp_err_t heap_caps_add_region(intptr_t start, intptr_t end);

/**
 * Add [start, end) as a heap with the given caps at three priority levels:
 * @p caps holds SOC_MEMORY_TYPE_NO_PRIOS (heap_memory_layout.h, capheap's
 * CAPHEAP_PRIOS) masks, highest priority first, as a memory type's do.
 * @return ESP_OK; ESP_ERR_INVALID_STATE (before start-up, on a target);
 *         ESP_ERR_INVALID_ARG (NULL caps, start or end 0,
 *         end <= start); ESP_FAIL (straddles or equals a heap); ESP_ERR_NO_MEM;
 *         ESP_ERR_INVALID_SIZE.
 */
esp_err_t heap_caps_add_region_with_caps(const uint32_t caps[], intptr_t start,
                                         intptr_t end);

/** @name Not in ESP-IDF: what its linker script and Kconfig provide there
 * @{ */
/** Name the chip and options heap_caps_init() builds, on a target and in
 * the host simulation alike (capheap_system_set_chip()); NULL forgets the
 * name. Before heap_caps_init(); O(1). */
void capheap_esp_set_chip(const capheap_chip_t *chip,
                          const capheap_chip_options_t *opts);
/** Keep [start, end) out of the heaps, at run time (what
 * SOC_RESERVE_MEMORY_REGION does from a record in the program); before
 * heap_caps_init(). O(1). @return ESP_OK, ESP_ERR_INVALID_ARG (end <
 * start) or ESP_ERR_NO_MEM (table full). */
esp_err_t capheap_esp_reserve(intptr_t start, intptr_t end, const char *name);
/** @} */

#ifdef __cplusplus
}
#endif

#endif
