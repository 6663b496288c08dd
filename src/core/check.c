/*
 * check.c - the integrity check: every invariant of block.h, with the first
 * violation reported by address.
 */
#include "block.h"

/* Free blocks carry the (otherwise unused) CONTROL bit while the check
 * walks the lists, to prove that each is listed exactly once. */
#define F_LISTED F_CONTROL

typedef struct {
    capheap_check_report_t *rep;
} checker_t;

static capheap_err_t fail(checker_t *c, const void *addr, const char *what) {
    c->rep->error = CAPHEAP_ERR_CORRUPT;
    c->rep->addr = addr;
    c->rep->what = what;
    return CAPHEAP_ERR_CORRUPT;
}

typedef struct {
    size_t free_bytes, free_count, used_count, block_bytes, controls;
} sums_t;

/* I1-I4 and I7 for region @p r, adding its blocks to @p s. */
static capheap_err_t check_region(checker_t *c, const capheap_heap_t *h,
                                  unsigned r, sums_t *s) {
    const region_t *reg = &h->regions[r];
    const tagctl_t *t = reg->ctl;
    if ((uintptr_t)payload_of(reg->first) % ALIGN != 0 ||
        (uintptr_t)payload_of(reg->end) % ALIGN != 0 || reg->end <= reg->first)
        return fail(c, reg->first, "region bounds are not block boundaries");
    bool prev_free = false;
    char *blk = reg->first;
    while (blk < reg->end) {
        word_t hdr = *hdr_at(blk);
        size_t size = hdr_size(hdr);
        if (hdr_region(hdr) != r)
            return fail(c, blk, "header names another region");
        if (size < MIN_BLOCK || size > (size_t)(reg->end - blk))
            return fail(c, blk, "block size out of range");
        if (!!(hdr & F_PREV_FREE) != prev_free)
            return fail(c, blk, "PREV_FREE disagrees with the previous block");
        if (hdr & F_FREE) {
            if (prev_free)
                return fail(c, blk, "two adjacent free blocks");
            if (hdr & F_LISTED)
                return fail(c, blk, "free block marked as control block");
            if (((word_t *)(void *)(blk + size))[-1] != size)
                return fail(c, blk, "free block footer differs from its size");
            s->free_bytes += size - HDR_BYTES;
            s->free_count++;
            s->block_bytes += size;
        } else if (hdr & F_CONTROL) {
            if ((const void *)payload_of(blk) != (const void *)t)
                return fail(c, blk, "control block of another tag");
            s->controls++;
        } else {
            s->used_count++;
            s->block_bytes += size;
        }
        prev_free = (hdr & F_FREE) != 0;
        blk += size;
    }
    if (blk != reg->end)
        return fail(c, blk, "blocks overrun the end marker");
    word_t em = *hdr_at(reg->end);
    if (hdr_region(em) != r || hdr_size(em) != 0 ||
        (em & (F_FREE | F_CONTROL)) || !!(em & F_PREV_FREE) != prev_free)
        return fail(c, reg->end, "end marker damaged");
    return CAPHEAP_OK;
}

/* I5: lists against sizes, regions and bitmaps; marks listed blocks. */
static capheap_err_t check_lists(checker_t *c, const capheap_heap_t *h,
                                 const tagctl_t *t, size_t free_count) {
    size_t listed = 0;
    word_t summary = 0;
    for (size_t w = 0; w < bitmap_words(t->nbins); w++) {
        if (t->bitmap[w])
            summary |= (word_t)1 << w;
    }
    if (summary != t->summary)
        return fail(c, t, "summary bitmap disagrees with bitmap words");
    for (size_t b = 0; b < t->nbins; b++) {
        node_t *const *expect = &t->heads[b];
        bool marked = (t->bitmap[b / WORD_BITS] >> (b % WORD_BITS)) & 1u;
        if (marked != (t->heads[b] != NULL))
            return fail(c, &t->heads[b], "bitmap bit disagrees with its list");
        for (node_t *n = t->heads[b]; n; n = n->next) {
            unsigned r = hdr_region(n->hdr);
            if (++listed > free_count)
                return fail(c, n, "more listed blocks than free blocks");
            if (r >= h->region_count || h->regions[r].ctl != t ||
                (char *)n < h->regions[r].first ||
                (char *)n >= h->regions[r].end)
                return fail(c, n, "listed block outside the tag's regions");
            if (!(n->hdr & F_FREE))
                return fail(c, n, "listed block is not free");
            if (n->hdr & F_LISTED)
                return fail(c, n, "block listed twice");
            if (bin_of(hdr_size(n->hdr)) != b)
                return fail(c, n, "listed block in the wrong size class");
            if (n->pprev != expect)
                return fail(c, n, "broken back link in a free list");
            n->hdr |= F_LISTED;
            expect = &n->next;
        }
    }
    if (listed != free_count)
        return fail(c, t, "free block missing from the lists");
    return CAPHEAP_OK;
}

/* Remove the marks; report a free block that was not listed. */
static capheap_err_t unmark(checker_t *c, const capheap_heap_t *h,
                            const tagctl_t *t, capheap_err_t err) {
    for (unsigned r = 0; r < h->region_count; r++) {
        const region_t *reg = &h->regions[r];
        if (reg->ctl != t)
            continue;
        for (char *blk = reg->first; blk < reg->end;
             blk += hdr_size(*hdr_at(blk))) {
            word_t *hdr = hdr_at(blk);
            if (!(*hdr & F_FREE))
                continue;
            if (!(*hdr & F_LISTED) && err == CAPHEAP_OK)
                err = fail(c, blk, "free block not on any list");
            *hdr &= ~F_LISTED;
        }
    }
    return err;
}

static capheap_err_t check_tag(checker_t *c, const capheap_heap_t *h,
                               const tagctl_t *t, sums_t *s) {
    if (s->controls != 1)
        return fail(c, t, "tag does not have exactly one control block");
    if (s->free_bytes != t->free_bytes || s->free_count != t->free_count)
        return fail(c, t, "free counters disagree with the blocks");
    if (s->used_count != t->used_count || s->block_bytes != t->block_bytes)
        return fail(c, t, "live counters disagree with the blocks");
    if (t->min_free > t->free_bytes)
        return fail(c, t, "minimum free above free bytes");
    (void)h;
    return CAPHEAP_OK;
}

capheap_err_t capheap_heap_check(capheap_heap_t *heap,
                                 capheap_check_report_t *report) {
    capheap_check_report_t local;
    checker_t c = {report ? report : &local};
    c.rep->error = CAPHEAP_OK;
    c.rep->addr = NULL;
    c.rep->what = NULL;
    heap_lock(heap);
    capheap_err_t err = CAPHEAP_OK;
    tagctl_t **tags = heap_tags(heap);
    for (unsigned r = 0; r < heap->region_count && !err; r++) {
        const tagctl_t *t = heap->regions[r].ctl;
        if (!t || t->id >= heap->tag_cap || tags[t->id] != t)
            err = fail(&c, heap->regions[r].first, "region has a stale tag");
    }
    for (unsigned id = 0; id < heap->tag_cap && !err; id++) {
        const tagctl_t *t = tags[id];
        sums_t s = {0, 0, 0, 0, 0};
        if (!t)
            continue;
        if (t->id != id)
            err = fail(&c, t, "control block names another tag");
        for (unsigned r = 0; r < heap->region_count && !err; r++) {
            if (heap->regions[r].ctl == t)
                err = check_region(&c, heap, r, &s);
        }
        if (!err)
            err = check_tag(&c, heap, t, &s);
        if (!err)
            err = unmark(&c, heap, t, check_lists(&c, heap, t, s.free_count));
    }
    heap_unlock(heap);
    return err;
}
