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

/**
 * @name Entry points that pass the application's call site down
 * An entry point called by another of capheap's (malloc() calls the
 * malloc_default one) must not name its own caller to tracing and the
 * hooks: that is capheap. With CAPHEAP_HOOKS these take the caller as
 * their last parameter (CAPHEAP_BY_PARAM in a definition, CAPHEAP_BY(x) in
 * a call); without, they are the public functions and take nothing more.
 * @{ */
#if CAPHEAP_HOOKS
#define CAPHEAP_BY_PARAM , const void *caller
#define CAPHEAP_BY(x)    , x
void *capheap_esp_malloc(size_t size, uint32_t caps, const void *caller);
void capheap_esp_free(void *ptr, const void *caller);
void *capheap_esp_malloc_default(size_t size, const void *caller);
void *capheap_esp_realloc_default(void *ptr, size_t size, const void *caller);
void *capheap_esp_aligned_alloc_default(size_t alignment, size_t size,
                                        const void *caller);

/** Observe @p ch for tracing and the weak hooks (esp_heap_hooks.c). Called
 * with the port's default lock held (heap_caps_init()). */
void capheap_esp_hooks_attach(capheap_caps_t *ch);
#else
#define CAPHEAP_BY_PARAM
#define CAPHEAP_BY(x)
#define capheap_esp_malloc                heap_caps_malloc
#define capheap_esp_free                  heap_caps_free
#define capheap_esp_malloc_default        heap_caps_malloc_default
#define capheap_esp_realloc_default       heap_caps_realloc_default
#define capheap_esp_aligned_alloc_default heap_caps_aligned_alloc_default
#endif
/** @} */

#endif
