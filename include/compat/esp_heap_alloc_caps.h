/**
 * @file esp_heap_alloc_caps.h
 * @brief The seed's original capability API (ESP-IDF, 2016), over capheap.
 *
 * Same names and meaning as the 2016 header, plus the FreeRTOS port
 * functions it defined. All of them use the global capability heap of
 * esp_heap_caps.h, so memory from pvPortMallocCaps() can be given to free(),
 * heap_caps_free() or vPortFree().
 *
 * Where the original was defective, capheap does better:
 * - xPortGetFreeHeapSizeCaps() counted a heap once for every priority level
 *   at which it matched; here each heap counts once.
 * - esp_ptr_dma_capable() knew only the ESP32's range; here it asks the chip
 *   in use, unless ESP-IDF's esp_memory_utils.h provides it (below).
 *
 * Threads: as esp_heap_caps.h (any thread or core, concurrently; lazy
 * start-up once); heap_alloc_caps_init() and
 * heap_alloc_enable_nonos_stack_tag() belong to start-up. None from an
 * interrupt handler, except with the irq port (as esp_heap_caps.h).
 */
#ifndef CAPHEAP_COMPAT_ESP_HEAP_ALLOC_CAPS_H
#define CAPHEAP_COMPAT_ESP_HEAP_ALLOC_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_heap_caps.h"

/**
 * ESP-IDF's `esp_memory_utils.h` defines esp_ptr_dma_capable() as a static
 * inline function over the SoC's DMA range, where this header's 2016
 * ancestor declared it too. A declaration with external linkage before that
 * definition would conflict with it, so where that header exists this one
 * includes it and takes esp_ptr_dma_capable() from it (the SoC's range is
 * the truth on the chip), declaring none of its own; either header may then
 * come first. capheap ships no esp_memory_utils.h: it belongs to ESP-IDF's
 * esp_hw_support, and describes the SoC's whole address map (ROM, caches,
 * stacks), of which a chip description knows only the RAM.
 *
 * CAPHEAP_ESP_MEMORY_UTILS undefined (the default): `__has_include` finds
 * it; 1: include it; 0: never, and declare capheap's own
 * esp_ptr_dma_capable() (which asks the chip in use); with 0, ESP-IDF's
 * header may still be included, but only before this one.
 */
#ifndef CAPHEAP_ESP_MEMORY_UTILS
#if defined(__has_include)
#if __has_include(<esp_memory_utils.h>)
#define CAPHEAP_ESP_MEMORY_UTILS 1
#endif
#endif
#endif
#ifndef CAPHEAP_ESP_MEMORY_UTILS
#define CAPHEAP_ESP_MEMORY_UTILS 0
#endif
#if CAPHEAP_ESP_MEMORY_UTILS
#include <esp_memory_utils.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** Build the heaps (same as heap_caps_init()). */
void heap_alloc_caps_init(void);

/** Let the regions holding the ROM's start-up stacks be used (same as
 * heap_caps_enable_nonos_stack_heaps()). */
void heap_alloc_enable_nonos_stack_tag(void);

/** Allocate memory that has all of @p caps; NULL on failure. */
void *pvPortMallocCaps(size_t xWantedSize, uint32_t caps);

/** Free bytes in the heaps that offer any of @p caps at some priority. */
size_t xPortGetFreeHeapSizeCaps(uint32_t caps);

/** The lowest free bytes ever seen in those heaps (summed per heap). */
size_t xPortGetMinimumEverFreeHeapSizeCaps(uint32_t caps);

#if !CAPHEAP_ESP_MEMORY_UTILS
/** Whether DMA can reach @p ptr on the chip in use (false before the heap
 * is built). O(1). */
bool esp_ptr_dma_capable(const void *ptr);
#endif

/** @name FreeRTOS port functions, as the original defined them
 * @{ */
/** pvPortMallocCaps(size, MALLOC_CAP_8BIT). */
void *pvPortMalloc(size_t xWantedSize);
/** Free memory from any of these allocators. */
void vPortFree(void *pv);
/** xPortGetFreeHeapSizeCaps(MALLOC_CAP_8BIT). */
size_t xPortGetFreeHeapSize(void);
/** xPortGetMinimumEverFreeHeapSizeCaps(MALLOC_CAP_8BIT). */
size_t xPortGetMinimumEverFreeHeapSize(void);
/** @} */

#ifdef __cplusplus
}
#endif

#endif
