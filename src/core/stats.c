/*
 * stats.c - per-tag and whole-heap statistics, minimum-free monitoring.
 *
 * Every operation keeps the tag's counters current (block.h, I6), so these
 * queries read them instead of walking blocks.
 */
#include "cstring.h"

#include "block_ops.h"
#include "poison.h"

static size_t tag_largest(const tagctl_t *t) {
    if (!t)
        return 0;
    size_t w = bitmap_words(t->nbins);
    while (w && !t->bitmap[w - 1])
        w--;
    if (!w)
        return 0;
    /* An allocation examines the first CAPHEAP_BIN_SEARCH blocks of its
     * class, so the largest of those in the highest non-empty class is a
     * size it is guaranteed to get. */
    size_t b = (w - 1) * WORD_BITS + bit_log2(t->bitmap[w - 1]);
    size_t best = 0;
    /* A damaged link ends the look (the allocation would fail there). */
    const node_t *n = link_get(t, &t->heads[b]);
    for (unsigned i = 0; n && i < CAPHEAP_BIN_SEARCH && free_block_ok(t, n);
         i++, n = link_get(t, &n->next)) {
        if (hdr_size(n->hdr) > best)
            best = hdr_size(n->hdr);
    }
    return best ? best - HDR_BYTES - TAIL_BYTES : 0;
}

static void tag_fill(const tagctl_t *t, capheap_stats_t *out) {
    memset(out, 0, sizeof *out);
    if (!t)
        return;
    out->total_bytes = t->total;
    out->free_bytes = tag_free_bytes(t);
    out->allocated_bytes = t->block_bytes - t->free_bytes -
                           (t->free_count + t->used_count) * HDR_BYTES;
#if CAPHEAP_POISONING
    out->allocated_bytes = t->requested; /* what usable_size answers */
#endif
    out->largest_free_block = tag_largest(t);
    out->minimum_free_bytes = t->min_free;
    out->allocated_blocks = t->used_count;
    out->free_blocks = t->free_count;
    out->total_blocks = t->used_count + t->free_count;
}

capheap_err_t capheap_heap_tag_stats(capheap_heap_t *heap, unsigned tag,
                                     capheap_stats_t *out) {
    if (!heap || !out || tag >= heap_tag_cap(heap))
        return CAPHEAP_ERR_INVALID_ARG;
    heap_lock(heap);
    tag_fill(heap_tags(heap)[tag], out);
    heap_unlock(heap);
    return CAPHEAP_OK;
}

void capheap_heap_stats(capheap_heap_t *heap, capheap_stats_t *out) {
    memset(out, 0, sizeof *out);
    heap_lock(heap);
    tagctl_t **tags = heap_tags(heap);
    for (unsigned i = 0; i < heap_tag_cap(heap); i++) {
        capheap_stats_t s;
        if (!tags[i])
            continue;
        tag_fill(tags[i], &s);
        out->total_bytes += s.total_bytes;
        out->free_bytes += s.free_bytes;
        out->allocated_bytes += s.allocated_bytes;
        if (s.largest_free_block > out->largest_free_block)
            out->largest_free_block = s.largest_free_block;
        out->minimum_free_bytes += s.minimum_free_bytes;
        out->allocated_blocks += s.allocated_blocks;
        out->free_blocks += s.free_blocks;
        out->total_blocks += s.total_blocks;
    }
    heap_unlock(heap);
}

size_t capheap_heap_free_bytes(capheap_heap_t *heap, unsigned tag) {
    if (!heap || tag >= heap_tag_cap(heap))
        return 0;
    heap_lock(heap);
    const tagctl_t *t = heap_tags(heap)[tag];
    size_t n = t ? tag_free_bytes(t) : 0;
    heap_unlock(heap);
    return n;
}

size_t capheap_heap_largest_free(capheap_heap_t *heap, unsigned tag) {
    if (!heap || tag >= heap_tag_cap(heap))
        return 0;
    heap_lock(heap);
    size_t n = tag_largest(heap_tags(heap)[tag]);
    heap_unlock(heap);
    return n;
}

size_t capheap_heap_largest_free_aligned(capheap_heap_t *heap, unsigned tag,
                                         size_t alignment) {
    size_t n = capheap_heap_largest_free(heap, tag);
    if (alignment <= ALIGN)
        return n;
    /* An aligned request looks for room for the size, a gap of at least a
     * smallest block before it and the alignment's slack. */
    size_t extra = MIN_BLOCK + alignment - ALIGN;
    /* n + header is a block size; no request gets less than a block. */
    return n > extra && n - extra + HDR_BYTES + TAIL_BYTES >= MIN_BLOCK
               ? n - extra
               : 0;
}

size_t capheap_heap_reset_min_free(capheap_heap_t *heap, unsigned tag) {
    if (!heap || tag >= heap_tag_cap(heap))
        return 0;
    heap_lock(heap);
    tagctl_t *t = heap_tags(heap)[tag];
    size_t old = 0;
    if (t) {
        old = t->min_free;
        t->min_free = tag_free_bytes(t);
    }
    heap_unlock(heap);
    return old;
}

void capheap_heap_restore_min_free(capheap_heap_t *heap, unsigned tag,
                                   size_t min) {
    if (!heap || tag >= heap_tag_cap(heap))
        return;
    heap_lock(heap);
    tagctl_t *t = heap_tags(heap)[tag];
    if (t && min < t->min_free)
        t->min_free = min;
    heap_unlock(heap);
}
