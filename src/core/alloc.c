/*
 * alloc.c - allocation: find a free block of the tag that fits, then take
 * what the request needs from it.
 *
 *   capheap_heap_alloc -> block_size_for -> find_fit -> take -> hand_out
 *
 * find_fit looks at the first CAPHEAP_BIN_SEARCH blocks of the request's own
 * class, then at the head of the next non-empty larger class, which always
 * fits. take carves the live block from the tail of the free one, so what
 * remains keeps its place, and its list unless its class changes.
 */
#include "entry.h"

_Static_assert(CAPHEAP_BIN_SEARCH >= 1, "examine at least the class head");

/** Allocate a block of @p s bytes from @p tag (lock held). */
HOT_INLINE void *alloc_tag(capheap_heap_t *heap, unsigned tag, size_t s,
                           capheap_check_report_t *bad) {
    tagctl_t *t = tag < heap_tag_cap(heap) ? heap_tags(heap)[tag] : NULL;
    return t ? alloc_fit(t, s, bad) : NULL;
}

void *capheap_heap_alloc(capheap_heap_t *heap, unsigned tag, size_t size) {
    size_t s = block_size_for(size);
    if (!s)
        return NULL;
    capheap_check_report_t bad;
    bad.error = CAPHEAP_OK; /* a fault writes all of it */
    heap_lock(heap);
    void *p = hand_out(heap, alloc_tag(heap, tag, s, &bad), size, &bad);
    heap_unlock(heap);
    report_alloc(&bad, p, "alloc");
    SAN_ALLOCED(p, size);
    return p;
}

/* The fall-back tags of capheap_heap_alloc_from(), out of the hot path; a
 * damaged list ends the request. */
CAPHEAP_NOINLINE static void *alloc_rest(capheap_heap_t *heap,
                                         const uint8_t *tags, unsigned count,
                                         size_t s,
                                         capheap_check_report_t *bad) {
    void *p = NULL;
    for (unsigned i = 1; i < count && !p && !bad->error; i++)
        p = alloc_tag(heap, tags[i], s, bad);
    return p;
}

void *capheap_heap_alloc_from(capheap_heap_t *heap, const uint8_t *tags,
                              unsigned count, size_t size) {
    size_t s = block_size_for(size);
    if (!s || count == 0)
        return NULL;
    capheap_check_report_t bad;
    bad.error = CAPHEAP_OK; /* a fault writes all of it */
    heap_lock(heap);
    void *p = alloc_tag(heap, tags[0], s, &bad);
    if (!p && count > 1 && !bad.error)
        p = alloc_rest(heap, tags, count, s, &bad);
    p = hand_out(heap, p, size, &bad);
    heap_unlock(heap);
    report_alloc(&bad, p, "alloc");
    SAN_ALLOCED(p, size);
    return p;
}

/* Carve @p s bytes whose payload plus @p offset lies at an @p alignment
 * boundary out of the free block @p blk of at least s + MIN_BLOCK +
 * alignment - ALIGN bytes: the head gap (0 or at least MIN_BLOCK) and the
 * tail go back to the lists. */
static void *take_aligned(tagctl_t *t, char *blk, size_t s, size_t alignment,
                          size_t offset) {
    word_t rbits = *hdr_at(blk) & REGION_MASK;
    size_t size = hdr_size(*hdr_at(blk));
    free_block_remove(t, blk, size);
    uintptr_t p = (uintptr_t)payload_of(blk), mask = alignment - 1;
    uintptr_t q = p + ((0 - (p + offset)) & mask);
    if (q != p && q - p < MIN_BLOCK)
        q = p + MIN_BLOCK + ((0 - (p + MIN_BLOCK + offset)) & mask);
    size_t gap = (size_t)(q - p);
    word_t prev_flag = 0;
    if (gap) {
        free_block_insert(t, blk, gap, rbits);
        blk += gap;
        size -= gap;
        prev_flag = F_PREV_FREE;
    }
    live_block_make(t, blk, size, rbits | prev_flag);
    /* The successor of what was a free block is live, so nothing is
     * unlisted; were it not, the trim would check it and leave the block. */
    capheap_check_report_t ignored; /* written only by a failure */
    (void)live_block_trim(t, blk, s, &ignored);
    note_min_free(t);
    return payload_of(blk);
}

void *capheap_heap_aligned_alloc_offset(capheap_heap_t *heap, unsigned tag,
                                        size_t alignment, size_t offset,
                                        size_t size) {
    if (alignment == 0 || (alignment & (alignment - 1)) != 0 ||
        offset % ALIGN != 0)
        return NULL;
    if (alignment <= ALIGN)
        return capheap_heap_alloc(heap, tag, size);
    size_t s = block_size_for(size);
    if (!s || tag >= heap_tag_cap(heap) || alignment > MAX_BLOCK ||
        s > MAX_BLOCK - alignment - MIN_BLOCK)
        return NULL;
    void *p = NULL;
    capheap_check_report_t bad;
    bad.error = CAPHEAP_OK; /* a fault writes all of it */
    heap_lock(heap);
    tagctl_t *t = heap_tags(heap)[tag];
    if (t) {
        size_t b;
        char *blk = find_fit(t, s + MIN_BLOCK + alignment - ALIGN, &b, &bad);
        if (blk && links_ok_at(t, (node_t *)(void *)blk, NULL, &bad))
            p = hand_out(heap, take_aligned(t, blk, s, alignment, offset), size,
                         &bad);
    }
    heap_unlock(heap);
    report_alloc(&bad, p, "aligned_alloc");
    SAN_ALLOCED(p, size);
    return p;
}

void *capheap_heap_aligned_alloc(capheap_heap_t *heap, unsigned tag,
                                 size_t alignment, size_t size) {
    return capheap_heap_aligned_alloc_offset(heap, tag, alignment, 0, size);
}
