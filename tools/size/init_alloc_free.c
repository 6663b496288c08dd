/*
 * init_alloc_free.c - the smallest useful program: one heap, one region, one
 * allocation and its free. tools/cross.sh budget links it for Cortex-M4 and
 * counts the capheap code that the linker keeps.
 */
#include "capheap/heap.h"

static void *storage[CAPHEAP_HEAP_STORAGE_SIZE(1, 1) / sizeof(void *) + 1];
static _Alignas(16) unsigned char arena[4096];

int main(void) {
    capheap_heap_t *h = capheap_heap_init(storage, sizeof storage, 1, 1);
    if (capheap_heap_add_region(h, arena, sizeof arena, 0) != CAPHEAP_OK)
        return 1;
    void *p = capheap_heap_alloc(h, 0, 100);
    capheap_heap_free(h, p);
    return p == 0;
}
