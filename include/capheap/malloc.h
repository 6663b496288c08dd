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
 * They use the system heap (capheap/system.h): on a target it must be
 * initialised first (capheap_system_init() or heap_caps_init()); before
 * that every allocation returns NULL (errno ENOMEM) and calls the failure
 * callback, touching no memory, and the free of a non-NULL pointer is
 * reported as a foreign pointer. On a Linux host the first call builds the
 * simulated chip's heap.
 *
 * Threads, cores and interrupts: every function here may run concurrently
 * with every other and with the heap_caps_* API, on any thread or core:
 * the system heap has the port's default lock, and its lazy start-up on a
 * host runs once even when first calls race. None may be called from an
 * interrupt handler, except with the irq port, whose lock masks interrupts
 * (port_irq.h).
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
/** malloc_usable_size(): the real usable size (0 for NULL; 0 after the
 * error hook for a pointer that is no block, every pointer before
 * start-up). */
size_t capheap_malloc_usable_size(void *ptr);

/**
 * @name The same with the caller named
 * Each as the function without _by, but tracing and the hooks are told that
 * @p caller made the request (a wrapper such as C++'s operator new passes
 * its own return address). Without CAPHEAP_HOOKS @p caller is ignored.
 * @{ */
void *capheap_malloc_by(size_t size, const void *caller);
void capheap_free_by(void *ptr, const void *caller);
void *capheap_calloc_by(size_t n, size_t size, const void *caller);
void *capheap_realloc_by(void *ptr, size_t size, const void *caller);
void *capheap_memalign_by(size_t alignment, size_t size, const void *caller);
void *capheap_aligned_alloc_by(size_t alignment, size_t size,
                               const void *caller);
int capheap_posix_memalign_by(void **out, size_t alignment, size_t size,
                              const void *caller);
/** @} */

#ifdef __cplusplus
}
#endif

#endif
