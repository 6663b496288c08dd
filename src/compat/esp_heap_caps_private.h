/*
 * esp_heap_caps_private.h - what the ESP-IDF compatible files share.
 */
#ifndef CAPHEAP_COMPAT_ESP_HEAP_CAPS_PRIVATE_H
#define CAPHEAP_COMPAT_ESP_HEAP_CAPS_PRIVATE_H

#include "capheap/caps.h"

/** The global capability heap, set up by heap_caps_init() on first use. */
capheap_caps_t *capheap_esp(void);

/** ESP-IDF's reaction to a failed allocation: the callback, and abort when
 * CONFIG_HEAP_ABORT_WHEN_ALLOCATION_FAILS is defined. */
void capheap_esp_alloc_failed(size_t size, uint32_t caps, const char *fn);

/** @name ESP-IDF's private entry points that its libc uses (and ours)
 * @{ */
void *heap_caps_malloc_default(size_t size);
void *heap_caps_realloc_default(void *ptr, size_t size);
void *heap_caps_aligned_alloc_default(size_t alignment, size_t size);
/** @} */

#endif
