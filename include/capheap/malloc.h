/**
 * @file malloc.h
 * @brief The C allocation functions over the capability heap.
 *
 * malloc() is ESP-IDF's default policy: DEFAULT|INTERNAL memory, or, once
 * heap_caps_malloc_extmem_enable(limit) was called, requests above the
 * limit from SPIRAM first and then any DEFAULT memory. Everything can be
 * freed with free(), heap_caps_free() or vPortFree().
 *
 * On a target built with CAPHEAP_REPLACE_LIBC_MALLOC the standard names
 * (malloc, free, calloc, realloc, memalign, aligned_alloc, posix_memalign,
 * malloc_usable_size, and newlib's _malloc_r family) are these functions. On
 * a host they exist only under the capheap_ names, so a program can use the
 * simulated chip and keep its own C library heap.
 *
 * Threads, cores and interrupts: every function here may run concurrently
 * with every other and with the heap_caps_* API, on any thread or core:
 * they use the global heap, which the first call builds exactly once even
 * when first calls race (esp_heap_caps_init.h) and which has the port's
 * default lock. None may be called from an interrupt handler, except with
 * the irq port, whose lock masks interrupts (port_irq.h).
 */
#ifndef CAPHEAP_MALLOC_H
#define CAPHEAP_MALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** malloc(): NULL for size 0 and on failure (errno ENOMEM). */
void *capheap_malloc(size_t size);
/** free(): any capheap block, by either of its addresses; NULL ignored. */
void capheap_free(void *ptr);
/** calloc(): zeroed; NULL when n * size overflows (errno ENOMEM). */
void *capheap_calloc(size_t n, size_t size);
/** realloc(): NULL ptr allocates; size 0 frees and returns NULL; on failure
 * NULL (errno ENOMEM) and the old block is kept. Copies only what the old
 * block holds. */
void *capheap_realloc(void *ptr, size_t size);
/** memalign(): @p alignment a power of two, else NULL with errno EINVAL
 * (whatever the size); size 0 gives NULL and leaves errno alone; on failure
 * NULL (errno ENOMEM). */
void *capheap_memalign(size_t alignment, size_t size);
/** aligned_alloc() (C11): as memalign, so an alignment that is not a power
 * of two is EINVAL (C17 DR 460, as glibc). */
void *capheap_aligned_alloc(size_t alignment, size_t size);
/** posix_memalign(): EINVAL unless alignment is a power of two multiple of
 * sizeof(void *); size 0 stores NULL and returns 0; ENOMEM on failure with
 * *out untouched. */
int capheap_posix_memalign(void **out, size_t alignment, size_t size);
/** malloc_usable_size(): the real usable size (0 for NULL). */
size_t capheap_malloc_usable_size(void *ptr);

#ifdef __cplusplus
}
#endif

#endif
