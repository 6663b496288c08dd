/*
 * malloc.c - the C allocation functions over the capability heap.
 *
 * With hooks (CAPHEAP_HOOKS), every function names its own caller to the
 * layers below (CAPHEAP_BY), so tracing records the application's call
 * site; the standard names forward theirs too, since at -O0 they are not
 * tail calls. Without hooks CAPHEAP_BY() is empty.
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

/* With hooks each body below takes the caller and a public function names
 * its own; without, the body is the public function (the *_by names are
 * then macros for it), as it always was. */
#if CAPHEAP_HOOKS
#define BODY static
#else
#define BODY
#define malloc_by         capheap_malloc
#define calloc_by         capheap_calloc
#define realloc_by        capheap_realloc
#define memalign_by       capheap_memalign
#define posix_memalign_by capheap_posix_memalign
#endif

BODY void *malloc_by(size_t size CAPHEAP_BY_PARAM) {
    void *p = capheap_esp_malloc_default(size CAPHEAP_BY(caller));
    return p || !size ? p : no_memory();
}

BODY void *calloc_by(size_t n, size_t size CAPHEAP_BY_PARAM) {
    size_t total;
    if (__builtin_mul_overflow(n, size, &total))
        return no_memory();
    void *p = malloc_by(total CAPHEAP_BY(caller));
    if (p)
        memset(p, 0, total);
    return p;
}

BODY void *realloc_by(void *ptr, size_t size CAPHEAP_BY_PARAM) {
    void *p = capheap_esp_realloc_default(ptr, size CAPHEAP_BY(caller));
    return p || !size ? p : no_memory();
}

BODY void *memalign_by(size_t alignment, size_t size CAPHEAP_BY_PARAM) {
    /* A bad alignment is a bad argument whatever the size (C17 DR 460,
     * glibc), checked first: size 0 must not hide it. */
    if (!alignment || (alignment & (alignment - 1))) {
        errno = EINVAL;
        return NULL;
    }
    void *p =
        capheap_esp_aligned_alloc_default(alignment, size CAPHEAP_BY(caller));
    return p || !size ? p : no_memory();
}

BODY int posix_memalign_by(void **out, size_t alignment,
                           size_t size CAPHEAP_BY_PARAM) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)))
        return EINVAL;
    if (size == 0) {
        *out = NULL;
        return 0;
    }
    void *p =
        capheap_esp_aligned_alloc_default(alignment, size CAPHEAP_BY(caller));
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

#if CAPHEAP_HOOKS
void *capheap_malloc(size_t size) {
    return malloc_by(size, CAPHEAP_CALLER);
}

void *capheap_calloc(size_t n, size_t size) {
    return calloc_by(n, size, CAPHEAP_CALLER);
}

void *capheap_realloc(void *ptr, size_t size) {
    return realloc_by(ptr, size, CAPHEAP_CALLER);
}

void *capheap_memalign(size_t alignment, size_t size) {
    return memalign_by(alignment, size, CAPHEAP_CALLER);
}

int capheap_posix_memalign(void **out, size_t alignment, size_t size) {
    return posix_memalign_by(out, alignment, size, CAPHEAP_CALLER);
}
#endif

void capheap_free(void *ptr) {
    capheap_esp_free(ptr CAPHEAP_BY(CAPHEAP_CALLER));
}

void *capheap_aligned_alloc(size_t alignment, size_t size) {
    return memalign_by(alignment, size CAPHEAP_BY(CAPHEAP_CALLER));
}

size_t capheap_malloc_usable_size(void *ptr) {
    return ptr ? heap_caps_get_allocated_size(ptr) : 0;
}

#ifdef CAPHEAP_REPLACE_LIBC_MALLOC
/* The target's C library heap is replaced: these are the only malloc. */
struct _reent;

void *malloc(size_t size) {
    return malloc_by(size CAPHEAP_BY(CAPHEAP_CALLER));
}
void free(void *ptr) {
    capheap_esp_free(ptr CAPHEAP_BY(CAPHEAP_CALLER));
}
void *calloc(size_t n, size_t size) {
    return calloc_by(n, size CAPHEAP_BY(CAPHEAP_CALLER));
}
void *realloc(void *ptr, size_t size) {
    return realloc_by(ptr, size CAPHEAP_BY(CAPHEAP_CALLER));
}
void *memalign(size_t alignment, size_t size) {
    return memalign_by(alignment, size CAPHEAP_BY(CAPHEAP_CALLER));
}
void *aligned_alloc(size_t alignment, size_t size) {
    return memalign_by(alignment, size CAPHEAP_BY(CAPHEAP_CALLER));
}
int posix_memalign(void **out, size_t alignment, size_t size) {
    return posix_memalign_by(out, alignment, size CAPHEAP_BY(CAPHEAP_CALLER));
}
size_t malloc_usable_size(void *ptr) {
    return capheap_malloc_usable_size(ptr);
}

/* newlib's reentrant entry points. */
void *_malloc_r(struct _reent *r, size_t size) {
    (void)r;
    return malloc_by(size CAPHEAP_BY(CAPHEAP_CALLER));
}
void _free_r(struct _reent *r, void *ptr) {
    (void)r;
    capheap_esp_free(ptr CAPHEAP_BY(CAPHEAP_CALLER));
}
void *_calloc_r(struct _reent *r, size_t n, size_t size) {
    (void)r;
    return calloc_by(n, size CAPHEAP_BY(CAPHEAP_CALLER));
}
void *_realloc_r(struct _reent *r, void *ptr, size_t size) {
    (void)r;
    return realloc_by(ptr, size CAPHEAP_BY(CAPHEAP_CALLER));
}
void *_memalign_r(struct _reent *r, size_t alignment, size_t size) {
    (void)r;
    return memalign_by(alignment, size CAPHEAP_BY(CAPHEAP_CALLER));
}
#endif
