/*
 * realloc.c - resizing a live block: in place when it shrinks or its free
 * successor has room, else by moving it (allocate, copy, release).
 */
#include "cstring.h"

#include "entry.h"

/** Grow the live block @p blk to @p s bytes into a free successor; false
 * if it has none large enough, or (with @p bad) its links are broken. */
static bool grow(tagctl_t *t, char *blk, size_t s,
                 capheap_check_report_t *bad) {
    word_t hdr = *hdr_at(blk);
    char *next = blk + hdr_size(hdr);
    word_t nh = *hdr_at(next);
    if (!(nh & F_FREE) || hdr_size(hdr) + hdr_size(nh) < s ||
        !removable(t, (node_t *)(void *)next, bad))
        return false;
    free_block_remove(t, next, hdr_size(nh));
    size_t total = hdr_size(hdr) + hdr_size(nh);
    *hdr_at(blk) = (hdr & ~SIZE_MASK) | total;
    *hdr_at(blk + total) &= ~F_PREV_FREE;
    /* The successor of what was a free block is live, so nothing is
     * unlisted; were it not, the trim would check it and leave the block. */
    capheap_check_report_t ignored; /* written only by a failure */
    (void)live_block_trim(t, blk, s, &ignored);
    note_min_free(t);
    return true;
}

/* Move the live block @p blk (payload @p ptr, @p keep bytes worth keeping)
 * to a new block of @p s bytes; NULL if there is none. The old block's
 * neighbours are checked before anything moves: what the move itself
 * changes keeps them consistent. */
static void *move(capheap_heap_t *heap, tagctl_t *t, char *blk, void *ptr,
                  size_t s, size_t size, size_t keep,
                  capheap_check_report_t *bad) {
    size_t old = hdr_size(*hdr_at(blk));
    void *res = NULL;
    if (!bad->error && release_ok(t, blk, bad))
        res = hand_out(heap, alloc_fit(t, s, bad), size, bad);
    if (res) {
        keep = keep < size ? keep : size;
        SAN_REALLOC_COPY(res, size, ptr, old - HDR_BYTES);
        memcpy(res, ptr, keep);
        release(t, blk);
    } else {
        owner_restore(heap, t, blk);
        poison_count(t, blk, 1);
    }
    (void)old;
    return res;
}

void *capheap_heap_realloc(capheap_heap_t *heap, void *ptr, size_t size) {
    if (!ptr)
        return NULL;
    if (size == 0) {
        capheap_core_free_as(heap, ptr, "realloc");
        return NULL;
    }
    size_t s = block_size_for(size);
    char *blk;
    tagctl_t *t;
    void *res = NULL;
    capheap_check_report_t bad;
    bad.error = CAPHEAP_OK; /* a fault writes all of it */
    heap_lock(heap);
    capheap_err_t err = find_intact(heap, ptr, &blk, &t, &bad);
    if (err == CAPHEAP_OK && s) {
        size_t old = hdr_size(*hdr_at(blk));
        size_t keep = live_bytes(blk);
        take_back(heap, t, blk);
        /* Comprehensive poisoning always moves, so a stale pointer to the
         * old block reads the free fill. */
        bool in_place = false;
        if (CAPHEAP_POISONING < 2)
            in_place = s <= old ? live_block_trim(t, blk, s, &bad)
                                : grow(t, blk, s, &bad);
        if (in_place)
            res = hand_out(heap, ptr, size, &bad);
        else
            res = move(heap, t, blk, ptr, s, size, keep, &bad);
        SAN_REALLOCED(ptr, res, old - HDR_BYTES, size);
    }
    heap_unlock(heap);
    capheap_core_report(err, &bad, ptr, "realloc");
    return res;
}
