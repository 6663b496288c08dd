/*
 * demo.c - `make run`: a short tour of the tagged-region heap.
 */
#include <stdio.h>
#include <string.h>

#include "capheap/heap.h"

enum { TAG_FAST = 0, TAG_BULK = 1 };

static _Alignas(16) unsigned char fast_ram[16 * 1024];
static _Alignas(16) unsigned char bulk_ram[64 * 1024];
static void *storage[CAPHEAP_HEAP_STORAGE_SIZE(4, 2) / sizeof(void *)];

static void show(capheap_heap_t *h, unsigned tag, const char *name) {
    capheap_stats_t s;
    capheap_heap_tag_stats(h, tag, &s);
    printf("  %-5s total %6zu  free %6zu  allocated %6zu  largest %6zu  "
           "min free %6zu  blocks %zu/%zu\n",
           name, s.total_bytes, s.free_bytes, s.allocated_bytes,
           s.largest_free_block, s.minimum_free_bytes, s.allocated_blocks,
           s.free_blocks);
}

int main(void) {
    capheap_heap_t *h = capheap_heap_init(storage, sizeof storage, 4, 2);
    capheap_heap_add_region(h, fast_ram, sizeof fast_ram, TAG_FAST);
    capheap_heap_add_region(h, bulk_ram, sizeof bulk_ram, TAG_BULK);
    printf("capheap tagged-region heap: two regions, two tags\n");
    show(h, TAG_FAST, "fast");
    show(h, TAG_BULK, "bulk");

    void *small = capheap_heap_alloc(h, TAG_FAST, 100);
    void *big = capheap_heap_alloc(h, TAG_BULK, 20000);
    void *aligned = capheap_heap_aligned_alloc(h, TAG_BULK, 4096, 1000);
    printf("\nalloc 100 B from fast   -> %p (usable %zu)\n", small,
           capheap_heap_usable_size(h, small));
    printf("alloc 20000 B from bulk -> %p\n", big);
    printf("4096-aligned 1000 B     -> %p\n", aligned);
    printf("fast has no 20 KiB      -> %p\n",
           capheap_heap_alloc(h, TAG_FAST, 20000));
    big = capheap_heap_realloc(h, big, 30000);
    printf("realloc bulk to 30000   -> %p\n", big);
    show(h, TAG_FAST, "fast");
    show(h, TAG_BULK, "bulk");

    capheap_heap_free(h, small);
    capheap_heap_free(h, big);
    capheap_heap_free(h, aligned);
    capheap_check_report_t rep;
    printf("\nafter freeing everything: check %s\n",
           capheap_heap_check(h, &rep) == CAPHEAP_OK ? "ok" : rep.what);
    show(h, TAG_FAST, "fast");
    show(h, TAG_BULK, "bulk");
    return 0;
}
