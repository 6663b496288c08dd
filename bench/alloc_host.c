/*
 * alloc_host.c - glibc and a null allocator behind the driver's interface.
 *
 * glibc is called through volatile function pointers holding the real
 * entry points (resolved by the dynamic linker), so no PLT stub runs
 * between the adapter and malloc: counts start at malloc itself.
 */
#include <stdlib.h>

#include "host.h"

static void *(*volatile libc_malloc)(size_t) = malloc;
static void (*volatile libc_free)(void *) = free;
static void *(*volatile libc_realloc)(void *, size_t) = realloc;

BENCH_DRV static void *bench_drv_glibc_alloc(void *ctx, size_t size) {
    (void)ctx;
    return libc_malloc(size);
}

BENCH_DRV static void bench_drv_glibc_free(void *ctx, void *ptr) {
    (void)ctx;
    libc_free(ptr);
}

BENCH_DRV static void *bench_drv_glibc_realloc(void *ctx, void *ptr,
                                               size_t size) {
    (void)ctx;
    return libc_realloc(ptr, size);
}

void bench_glibc_open(bench_alloc_t *a) {
    /* The first call sets up glibc's arena and tcache; keep that out of
     * the first measured operation, as capheap's init is. */
    libc_free(libc_malloc(1));
    a->name = "glibc";
    a->alloc = bench_drv_glibc_alloc;
    a->free = bench_drv_glibc_free;
    a->realloc = bench_drv_glibc_realloc;
    a->ctx = NULL;
}

/* Big enough for the largest request of any trace. */
static _Alignas(16) unsigned char null_block[1 << 15];

BENCH_DRV static void *bench_drv_null_alloc(void *ctx, size_t size) {
    (void)ctx;
    (void)size;
    return null_block;
}

BENCH_DRV static void bench_drv_null_free(void *ctx, void *ptr) {
    (void)ctx;
    (void)ptr;
}

BENCH_DRV static void *bench_drv_null_realloc(void *ctx, void *ptr,
                                              size_t size) {
    (void)ctx;
    (void)size;
    return ptr;
}

void bench_null_open(bench_alloc_t *a) {
    a->name = "null";
    a->alloc = bench_drv_null_alloc;
    a->free = bench_drv_null_free;
    a->realloc = bench_drv_null_realloc;
    a->ctx = NULL;
}
