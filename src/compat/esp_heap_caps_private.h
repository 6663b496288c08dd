/*
 * esp_heap_caps_private.h - what the ESP-IDF compatible files share. The
 * heap itself is the system heap (capheap/system.h).
 */
#ifndef CAPHEAP_COMPAT_ESP_HEAP_CAPS_PRIVATE_H
#define CAPHEAP_COMPAT_ESP_HEAP_CAPS_PRIVATE_H

#include "capheap/caps.h"

/** @name ESP-IDF's private entry points that its libc uses
 * @{ */
void *heap_caps_malloc_default(size_t size);
void *heap_caps_realloc_default(void *ptr, size_t size);
void *heap_caps_aligned_alloc_default(size_t alignment, size_t size);
/** @} */

/**
 * @name heap_caps_malloc() and heap_caps_free() with the caller named
 * For the 2016 API's entry points, which name their own callers to
 * tracing and the hooks (without CAPHEAP_HOOKS the caller is ignored).
 * @{ */
void *capheap_esp_malloc_by(size_t size, uint32_t caps, const void *caller);
void capheap_esp_free_by(void *ptr, const void *caller);
/** @} */

#if CAPHEAP_BOOT_LOG
/**
 * heap_caps_init()'s report (capheap_system_report_fn): ESP-IDF's boot log
 * of the heap just built (esp_boot_log.c). O(regions * reservations).
 */
void capheap_esp_boot_log(const capheap_chip_t *chip,
                          const capheap_chip_options_t *opts,
                          const capheap_caps_reservation_t *reserved,
                          size_t reserved_count);
#endif

#endif
