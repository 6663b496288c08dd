/*
 * malloc.c - the C allocation functions over the system heap
 * (capheap/system.h), with its malloc() policy.
 *
 * Each function is an implementation that takes the caller, the public
 * function and its _by variant: the public one and the standard names pass
 * their own CAPHEAP_CALLER (NULL without hooks, so nothing is computed),
 * so tracing records the application's call site; the standard names do
 * not go through the capheap_ ones, since at -O0 those are not tail calls.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "capheap/malloc.h"
#include "capheap/system.h"

static void *no_memory(void) {
    errno = ENOMEM;
    return NULL;
}

static inline void *malloc_impl(size_t size, const void *caller) {
    void *p = capheap_system_malloc_by(size, caller);
    return p || !size ? p : no_memory();
}

static inline void free_impl(void *ptr, const void *caller) {
    capheap_system_free_by(ptr, caller);
}

static inline void *calloc_impl(size_t n, size_t size, const void *caller) {
    size_t total;
    if (__builtin_mul_overflow(n, size, &total))
        return no_memory();
    void *p = malloc_impl(total, caller);
    if (p)
        memset(p, 0, total);
    return p;
}

static inline void *realloc_impl(void *ptr, size_t size, const void *caller) {
    void *p = capheap_system_realloc_by(ptr, size, caller);
    return p || !size ? p : no_memory();
}

static inline void *memalign_impl(size_t alignment, size_t size,
                                  const void *caller) {
    /* A bad alignment is a bad argument whatever the size (C17 DR 460,
     * glibc), checked first: size 0 must not hide it. */
    if (!alignment || (alignment & (alignment - 1))) {
        errno = EINVAL;
        return NULL;
    }
    void *p = capheap_system_aligned_alloc_by(alignment, size, caller);
    return p || !size ? p : no_memory();
}

static inline int posix_memalign_impl(void **out, size_t alignment, size_t size,
                                      const void *caller) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)))
        return EINVAL;
    if (size == 0) {
        *out = NULL;
        return 0;
    }
    void *p = capheap_system_aligned_alloc_by(alignment, size, caller);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

static inline size_t usable_size_impl(void *ptr) {
    if (!ptr)
        return 0;
    capheap_caps_t *ch = capheap_system();
    if (!ch) { /* nothing was allocated yet */
        capheap_report_error(CAPHEAP_ERR_FOREIGN_POINTER, ptr,
                             "malloc_usable_size");
        return 0;
    }
    return capheap_caps_usable_size(ch, ptr);
}

void *capheap_malloc(size_t size) {
    return malloc_impl(size, CAPHEAP_CALLER);
}
void *capheap_malloc_by(size_t size, const void *caller) {
    return malloc_impl(size, caller);
}

void capheap_free(void *ptr) {
    free_impl(ptr, CAPHEAP_CALLER);
}
void capheap_free_by(void *ptr, const void *caller) {
    free_impl(ptr, caller);
}

void *capheap_calloc(size_t n, size_t size) {
    return calloc_impl(n, size, CAPHEAP_CALLER);
}
void *capheap_calloc_by(size_t n, size_t size, const void *caller) {
    return calloc_impl(n, size, caller);
}

void *capheap_realloc(void *ptr, size_t size) {
    return realloc_impl(ptr, size, CAPHEAP_CALLER);
}
void *capheap_realloc_by(void *ptr, size_t size, const void *caller) {
    return realloc_impl(ptr, size, caller);
}

void *capheap_memalign(size_t alignment, size_t size) {
    return memalign_impl(alignment, size, CAPHEAP_CALLER);
}
void *capheap_memalign_by(size_t alignment, size_t size, const void *caller) {
    return memalign_impl(alignment, size, caller);
}

void *capheap_aligned_alloc(size_t alignment, size_t size) {
    return memalign_impl(alignment, size, CAPHEAP_CALLER);
}
void *capheap_aligned_alloc_by(size_t alignment, size_t size,
                               const void *caller) {
    return memalign_impl(alignment, size, caller);
}

int capheap_posix_memalign(void **out, size_t alignment, size_t size) {
    return posix_memalign_impl(out, alignment, size, CAPHEAP_CALLER);
}
int capheap_posix_memalign_by(void **out, size_t alignment, size_t size,
                              const void *caller) {
    return posix_memalign_impl(out, alignment, size, caller);
}

size_t capheap_malloc_usable_size(void *ptr) {
    return usable_size_impl(ptr);
}

#ifdef CAPHEAP_REPLACE_LIBC_MALLOC
/* The target's C library heap is replaced: these are the only malloc. */
struct _reent;

void *malloc(size_t size) {
    return malloc_impl(size, CAPHEAP_CALLER);
}
void free(void *ptr) {
    free_impl(ptr, CAPHEAP_CALLER);
}
void *calloc(size_t n, size_t size) {
    return calloc_impl(n, size, CAPHEAP_CALLER);
}
void *realloc(void *ptr, size_t size) {
    return realloc_impl(ptr, size, CAPHEAP_CALLER);
}
void *memalign(size_t alignment, size_t size) {
    return memalign_impl(alignment, size, CAPHEAP_CALLER);
}
void *aligned_alloc(size_t alignment, size_t size) {
    return memalign_impl(alignment, size, CAPHEAP_CALLER);
}
int posix_memalign(void **out, size_t alignment, size_t size) {
    return posix_memalign_impl(out, alignment, size, CAPHEAP_CALLER);
}
size_t malloc_usable_size(void *ptr) {
    return usable_size_impl(ptr);
}

/* newlib's reentrant entry points. */
void *_malloc_r(struct _reent *r, size_t size) {
    (void)r;
    return malloc_impl(size, CAPHEAP_CALLER);
}
void _free_r(struct _reent *r, void *ptr) {
    (void)r;
    free_impl(ptr, CAPHEAP_CALLER);
}
void *_calloc_r(struct _reent *r, size_t n, size_t size) {
    (void)r;
    return calloc_impl(n, size, CAPHEAP_CALLER);
}
void *_realloc_r(struct _reent *r, void *ptr, size_t size) {
    (void)r;
    return realloc_impl(ptr, size, CAPHEAP_CALLER);
}
void *_memalign_r(struct _reent *r, size_t alignment, size_t size) {
    (void)r;
    return memalign_impl(alignment, size, CAPHEAP_CALLER);
}
#endif
