/*
 * free.c - taking blocks back: prove a pointer names a live block, then
 * return the block, merged with its free neighbours.
 *
 *   capheap_heap_free -> find_live -> (canaries) -> release_ok -> release
 *
 * find_live checks I1 and I2 on the block the pointer names, in O(1), so a
 * foreign, interior or double-freed pointer is refused before anything is
 * written; release_ok checks the links of the neighbours release will take
 * off their lists, so a damaged list refuses the free instead of writing
 * where a stale pointer's data says.
 */
#include "entry.h"

/* Free @p ptr, naming @p op in a report. */
static void free_as(capheap_heap_t *heap, void *ptr, const char *op) {
    char *blk;
    tagctl_t *t;
    capheap_check_report_t bad;
    bad.error = CAPHEAP_OK; /* a fault writes all of it */
    heap_lock(heap);
    capheap_err_t err = find_intact(heap, ptr, &blk, &t, &bad);
    if (err == CAPHEAP_OK && !release_ok(t, blk, &bad))
        err = CAPHEAP_ERR_CORRUPT; /* a neighbour's links: keep the block */
    if (err == CAPHEAP_OK) {
        SAN_FREED(ptr, hdr_size(*hdr_at(blk)) - HDR_BYTES);
        take_back(heap, t, blk);
        release(t, blk);
    }
    heap_unlock(heap);
    if (err != CAPHEAP_OK) /* every fault found here also fails the free */
        capheap_core_report(err, &bad, ptr, op);
}

void capheap_heap_free(capheap_heap_t *heap, void *ptr) {
    if (ptr)
        free_as(heap, ptr, "free");
}

void capheap_core_free_as(capheap_heap_t *heap, void *ptr, const char *op) {
    free_as(heap, ptr, op);
}

size_t capheap_heap_usable_size(capheap_heap_t *heap, const void *ptr) {
    if (!ptr)
        return 0;
    char *blk;
    tagctl_t *t;
    size_t n = 0;
    capheap_check_report_t bad;
    bad.error = CAPHEAP_OK; /* a fault writes all of it */
    heap_lock(heap);
    capheap_err_t err = find_intact(heap, ptr, &blk, &t, &bad);
    if (err == CAPHEAP_OK)
        n = SAN_USABLE(ptr, live_bytes(blk));
    heap_unlock(heap);
    capheap_core_report(err, &bad, ptr, "usable_size");
    return n;
}

size_t capheap_heap_live_size(capheap_heap_t *heap, const void *ptr) {
    char *blk;
    tagctl_t *t;
    size_t n = 0;
    heap_lock(heap);
    if (ptr && find_live(heap, ptr, &blk, &t) == CAPHEAP_OK)
        n = SAN_USABLE(ptr, live_bytes(blk));
    heap_unlock(heap);
    return n;
}

size_t capheap_heap_full_size(capheap_heap_t *heap, const void *ptr) {
    char *blk;
    tagctl_t *t;
    size_t n = 0;
    heap_lock(heap);
    if (ptr && find_live(heap, ptr, &blk, &t) == CAPHEAP_OK)
        n = hdr_size(*hdr_at(blk)) - WORD_BYTES;
    heap_unlock(heap);
    return n;
}

int capheap_heap_block_tag(capheap_heap_t *heap, const void *ptr) {
    char *blk;
    tagctl_t *t;
    heap_lock(heap);
    capheap_err_t err =
        ptr ? find_live(heap, ptr, &blk, &t) : CAPHEAP_ERR_FOREIGN_POINTER;
    int tag = err == CAPHEAP_OK ? (int)t->id : -1;
    heap_unlock(heap);
    if (err != CAPHEAP_OK)
        capheap_report_error(err, ptr, "block_tag");
    return tag;
}

#if CAPHEAP_OWNERS
uintptr_t capheap_heap_block_owner(capheap_heap_t *heap, const void *ptr) {
    if (!ptr)
        return 0;
    char *blk;
    tagctl_t *t;
    capheap_check_report_t bad;
    bad.error = CAPHEAP_OK; /* a fault writes all of it */
    heap_lock(heap);
    capheap_err_t err = find_intact(heap, ptr, &blk, &t, &bad);
    uintptr_t owner = err == CAPHEAP_OK ? *owner_word(blk) : 0;
    heap_unlock(heap);
    capheap_core_report(err, &bad, ptr, "block_owner");
    return owner;
}
#endif
