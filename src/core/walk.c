/*
 * walk.c - visiting blocks: the walker and the interior-pointer lookup.
 */
#include "heap_internal.h"
#include "poison.h"

bool capheap_heap_walk(capheap_heap_t *heap, capheap_walk_fn fn, void *user) {
    bool go = true;       /* the callback wants more */
    char *damaged = NULL; /* the first block that fails block_fault() */
    capheap_fault_t fault = CAPHEAP_FAULT_NONE;
    word_t found = 0; /* its header */
    heap_lock(heap);
    for (unsigned r = 0; r < heap->region_count && go; r++) {
        const region_t *reg = &heap->regions[r];
        word_t prev_free = 0;
        for (char *blk = reg->first; blk < reg->end && go;
             blk += hdr_size(*hdr_at(blk))) {
            word_t hdr = *hdr_at(blk);
            capheap_fault_t f = block_fault(heap, r, blk, prev_free);
            if (f) {
                /* Its size cannot be trusted, so nothing after it in this
                 * region can be found: the region's walk ends here. Blocks
                 * never span regions, so the next region's walk is sound. */
                if (!damaged) {
                    damaged = blk;
                    fault = f;
                    found = hdr;
                }
                break;
            }
            capheap_block_info_t info = {
                .ptr = payload_of(blk),
                /* A live block's size is what usable_size answers (with
                 * poisoning: the size asked for). */
                .size = (hdr & (F_FREE | F_CONTROL)) ? hdr_size(hdr) - HDR_BYTES
                                                     : live_bytes(blk),
                .used = !(hdr & F_FREE),
                .control = (hdr & F_CONTROL) != 0,
                .tag = reg->ctl->id,
                .region = r,
            };
            prev_free = hdr & F_FREE;
            go = fn(&info, user);
        }
    }
    heap_unlock(heap);
    if (!damaged)
        return go;
    capheap_check_report_t bad = {CAPHEAP_ERR_CORRUPT, fault, damaged, 0,
                                  found};
    capheap_report_corruption(&bad, damaged, "walk");
    return false;
}

void *capheap_heap_containing_block(capheap_heap_t *heap, const void *ptr) {
    uintptr_t a = (uintptr_t)ptr;
    void *found = NULL;
    heap_lock(heap);
    const region_t *reg = region_holding(heap, a);
    char *blk = reg ? reg->first : NULL;
    while (blk && blk < reg->end && a >= (uintptr_t)block_next(reg, blk))
        blk = block_next(reg, blk);
    if (blk && blk < reg->end && !(*hdr_at(blk) & (F_FREE | F_CONTROL)) &&
        a >= (uintptr_t)payload_of(blk))
        found = payload_of(blk);
    heap_unlock(heap);
    return found;
}
