/*
 * walk.c - visiting blocks: the walker and the interior-pointer lookup.
 */
#include "block.h"
#include "poison.h"

bool capheap_heap_walk(capheap_heap_t *heap, capheap_walk_fn fn, void *user) {
    bool complete = true;
    heap_lock(heap);
    for (unsigned r = 0; r < heap->region_count && complete; r++) {
        const region_t *reg = &heap->regions[r];
        for (char *blk = reg->first; blk < reg->end && complete;) {
            word_t hdr = *hdr_at(blk);
            size_t size = hdr_size(hdr);
            if (size < MIN_BLOCK || size > (size_t)(reg->end - blk)) {
                complete = false; /* corrupt: capheap_heap_check() says where */
                break;
            }
            capheap_block_info_t info = {
                .ptr = payload_of(blk),
                /* A live block's size is what usable_size answers (with
                 * poisoning: the size asked for). */
                .size = (hdr & (F_FREE | F_CONTROL)) ? size - HDR_BYTES
                                                     : live_bytes(blk),
                .used = !(hdr & F_FREE),
                .control = (hdr & F_CONTROL) != 0,
                .tag = reg->ctl->id,
                .region = r,
            };
            complete = fn(&info, user);
            blk += size;
        }
    }
    heap_unlock(heap);
    return complete;
}

void *capheap_heap_containing_block(capheap_heap_t *heap, const void *ptr) {
    uintptr_t a = (uintptr_t)ptr;
    void *found = NULL;
    heap_lock(heap);
    const region_t *best = region_holding(heap, a);
    for (char *blk = best ? best->first : NULL; blk && blk < best->end;) {
        word_t hdr = *hdr_at(blk);
        size_t size = hdr_size(hdr);
        if (size < MIN_BLOCK || size > (size_t)(best->end - blk))
            break;
        if (a < (uintptr_t)blk + size) {
            if (!(hdr & (F_FREE | F_CONTROL)) &&
                a >= (uintptr_t)payload_of(blk))
                found = payload_of(blk);
            break;
        }
        blk += size;
    }
    heap_unlock(heap);
    return found;
}
