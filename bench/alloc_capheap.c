/*
 * alloc_capheap.c - capheap's core behind the driver's interface.
 *
 * The adapters are driver code (BENCH_DRV): instruction counts start at
 * capheap's own entry points. Freestanding.
 */
#include "capheap/heap.h"
#include "driver.h"

static _Alignas(64) unsigned char arena[BENCH_ARENA_MAX];
static void *heap_storage[CAPHEAP_HEAP_STORAGE_SIZE(1, 1) / sizeof(void *)];
static capheap_heap_t *heap;

unsigned char *bench_arena(void) {
    return arena;
}

capheap_heap_t *bench_capheap_heap(void) {
    return heap;
}

BENCH_DRV static void *bench_drv_cap_alloc(void *ctx, size_t size) {
    return capheap_heap_alloc(ctx, 0, size);
}

BENCH_DRV static void bench_drv_cap_free(void *ctx, void *ptr) {
    capheap_heap_free(ctx, ptr);
}

BENCH_DRV static void *bench_drv_cap_realloc(void *ctx, void *ptr,
                                             size_t size) {
    return capheap_heap_realloc(ctx, ptr, size);
}

bool bench_capheap_open(bench_alloc_t *a, size_t arena_size) {
    heap = capheap_heap_init(heap_storage, sizeof heap_storage, 1, 1);
    if (!heap || arena_size > sizeof arena ||
        capheap_heap_add_region(heap, arena, arena_size, 0) != CAPHEAP_OK)
        return false;
    a->name = "capheap";
    a->alloc = bench_drv_cap_alloc;
    a->free = bench_drv_cap_free;
    a->realloc = bench_drv_cap_realloc;
    a->ctx = heap;
    return true;
}
