/*
 * malloc.c - the C allocation functions over the capability heap.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "capheap/malloc.h"
#include "compat/esp_heap_caps_private.h"
#include "esp_heap_caps.h"

static void *no_memory(void) {
    errno = ENOMEM;
    return NULL;
}

void *capheap_malloc(size_t size) {
    void *p = heap_caps_malloc_default(size);
    return p || !size ? p : no_memory();
}

void capheap_free(void *ptr) {
    heap_caps_free(ptr);
}

void *capheap_calloc(size_t n, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(n, size, &total))
        return no_memory();
    void *p = capheap_malloc(total);
    if (p)
        memset(p, 0, total);
    return p;
}

void *capheap_realloc(void *ptr, size_t size) {
    void *p = heap_caps_realloc_default(ptr, size);
    return p || !size ? p : no_memory();
}

void *capheap_memalign(size_t alignment, size_t size) {
    void *p = heap_caps_aligned_alloc_default(alignment, size);
    return p || !size ? p : no_memory();
}

void *capheap_aligned_alloc(size_t alignment, size_t size) {
    return capheap_memalign(alignment, size);
}

int capheap_posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)))
        return EINVAL;
    if (size == 0) {
        *out = NULL;
        return 0;
    }
    void *p = heap_caps_aligned_alloc_default(alignment, size);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

size_t capheap_malloc_usable_size(void *ptr) {
    return ptr ? heap_caps_get_allocated_size(ptr) : 0;
}

#ifdef CAPHEAP_REPLACE_LIBC_MALLOC
/* The target's C library heap is replaced: these are the only malloc. */
struct _reent;

void *malloc(size_t size) {
    return capheap_malloc(size);
}
void free(void *ptr) {
    capheap_free(ptr);
}
void *calloc(size_t n, size_t size) {
    return capheap_calloc(n, size);
}
void *realloc(void *ptr, size_t size) {
    return capheap_realloc(ptr, size);
}
void *memalign(size_t alignment, size_t size) {
    return capheap_memalign(alignment, size);
}
void *aligned_alloc(size_t alignment, size_t size) {
    return capheap_aligned_alloc(alignment, size);
}
int posix_memalign(void **out, size_t alignment, size_t size) {
    return capheap_posix_memalign(out, alignment, size);
}
size_t malloc_usable_size(void *ptr) {
    return capheap_malloc_usable_size(ptr);
}

/* newlib's reentrant entry points. */
void *_malloc_r(struct _reent *r, size_t size) {
    (void)r;
    return capheap_malloc(size);
}
void _free_r(struct _reent *r, void *ptr) {
    (void)r;
    capheap_free(ptr);
}
void *_calloc_r(struct _reent *r, size_t n, size_t size) {
    (void)r;
    return capheap_calloc(n, size);
}
void *_realloc_r(struct _reent *r, void *ptr, size_t size) {
    (void)r;
    return capheap_realloc(ptr, size);
}
void *_memalign_r(struct _reent *r, size_t alignment, size_t size) {
    (void)r;
    return capheap_memalign(alignment, size);
}
#endif
