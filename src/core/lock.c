/*
 * lock.c - the heap's lock for the layers above the core. Unlike the
 * core's own heap_lock() it leaves Valgrind's reports on: what the caller
 * does under it is not the core's metadata.
 */
#include "heap_internal.h"

#ifndef CAPHEAP_PORT_NONE /* heap.h has them inline, doing nothing */
void capheap_heap_lock(capheap_heap_t *heap) {
    if (heap->lock)
        capheap_port_lock(heap->lock);
}

void capheap_heap_unlock(capheap_heap_t *heap) {
    if (heap->lock)
        capheap_port_unlock(heap->lock);
}
#else
typedef int capheap_lock_unused; /* ISO C: no empty file */
#endif
