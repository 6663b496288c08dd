/*
 * region.c - the heap object and its regions: set-up, adding a region (its
 * first free block, and the tag's control block where the tag needs one),
 * and the region queries.
 *
 * A tag's control block sits in the first region given to the tag, sized
 * for the size classes of that region. A later, larger region of the tag
 * gets a larger control block of its own; the lists move into it and the
 * old control block is freed into the tag like any block.
 */
#include "cstring.h"

#include "entry.h"

_Static_assert(offsetof(struct capheap_heap, regions) <=
                   (5 + (CAPHEAP_MANGLE ? 1 : 0)) * sizeof(void *),
               "heap object matches CAPHEAP_HEAP_STORAGE_SIZE");
_Static_assert(sizeof(region_t) == 3 * sizeof(void *),
               "region slot matches CAPHEAP_HEAP_STORAGE_SIZE");
/* A region's edges are each below ALIGN bytes (add_region rounds to it). */
_Static_assert(CAPHEAP_ALIGNMENT <= 256, "a region's edges fit a byte each");

/* ---- the heap object ---------------------------------------------------- */

capheap_heap_t *capheap_heap_init(void *storage, size_t storage_size,
                                  unsigned max_regions, unsigned max_tags) {
    if (!storage || (uintptr_t)storage % sizeof(void *) != 0 ||
        max_regions - 1 >= CAPHEAP_MAX_REGIONS ||
        max_tags - 1 >= CAPHEAP_MAX_TAGS ||
        storage_size < CAPHEAP_HEAP_STORAGE_SIZE(max_regions, max_tags))
        return NULL; /* a count of 0 wraps */
    capheap_heap_t *h = storage;
    memset(h, 0, CAPHEAP_HEAP_STORAGE_SIZE(max_regions, max_tags));
    h->region_cap = (uint8_t)max_regions;
    h->tag_last = (uint8_t)(max_tags - 1);
    h->tags = (tagctl_t **)(void *)((char *)h->regions +
                                    CAPHEAP_REGION_SLOT_BYTES(max_regions));
#if CAPHEAP_MANGLE
    capheap_heap_set_secret(h, 0);
#endif
    return h;
}

capheap_err_t capheap_heap_set_secret(capheap_heap_t *heap, uintptr_t secret) {
    if (!heap || heap->region_count)
        return CAPHEAP_ERR_INVALID_ARG;
#if CAPHEAP_MANGLE
    /* 0 would store links in the clear: derive one from the address. */
    if (!secret)
        secret = ((word_t)(uintptr_t)heap ^ (word_t)0x6A09E667u) *
                 (word_t)0x9E3779B1u;
    heap->secret = (word_t)secret | 1u; /* a mangled NULL is never NULL */
#else
    (void)secret;
#endif
    return CAPHEAP_OK;
}

void capheap_heap_set_lock(capheap_heap_t *heap, void *lock) {
    heap->lock = lock;
}

/* ---- where an address lies ------------------------------------------------
 */

const region_t *region_holding(const capheap_heap_t *h, uintptr_t a) {
    const region_t *best = NULL;
    for (unsigned r = 0; r < h->region_count; r++) {
        const region_t *reg = &h->regions[r];
        if (a >= (uintptr_t)reg->first && a < (uintptr_t)reg->end &&
            (!best || reg->first > best->first))
            best = reg;
    }
    return best;
}

bool capheap_heap_contains(const capheap_heap_t *heap, const void *ptr) {
    /* A region's blocks span [first, end), its memory [first, end + W): an
     * address is in the latter if it or the word before it is in the former
     * (a region spans more than a word; below W, a - W wraps past them all). */
    uintptr_t a = (uintptr_t)ptr;
    return region_holding(heap, a) || region_holding(heap, a - WORD_BYTES);
}

/* Whether [a, limit) overlaps the heap object or a region, other than by
 * lying inside the payload of one of its live blocks (a nested region). */
static bool overlaps(const capheap_heap_t *h, uintptr_t a, uintptr_t limit) {
    /* The heap object ends with the tags' pointers and the owner table. */
    uintptr_t hs = (uintptr_t)h,
              he = (uintptr_t)(heap_tags(h) + heap_tag_cap(h)) +
                   CAPHEAP_OWNER_TABLE_BYTES;
    if (a < he && limit > hs)
        return true;
    for (unsigned i = 0; i < h->region_count; i++) {
        const region_t *r = &h->regions[i];
        if (a >= (uintptr_t)r->end + WORD_BYTES || limit <= (uintptr_t)r->first)
            continue;
        char *blk = r->first;
        while (blk && blk < r->end && a >= (uintptr_t)block_next(r, blk))
            blk = block_next(r, blk);
        if (!blk || blk >= r->end || (*hdr_at(blk) & (F_FREE | F_CONTROL)) ||
            a < (uintptr_t)payload_of(blk) ||
            limit > (uintptr_t)payload_of(blk) + live_bytes(blk))
            return true;
    }
    return false;
}

/* ---- a tag's control block ------------------------------------------------
 */

static size_t ctl_bytes(size_t nbins) {
    return sizeof(tagctl_t) + bitmap_words(nbins) * sizeof(word_t) +
           nbins * sizeof(node_t *);
}

/** Set up the control of @p tag in the payload @p t, taking over the
 * counters and lists of @p old if the tag had one. */
static void ctl_open(tagctl_t *t, const capheap_heap_t *h, unsigned tag,
                     size_t nbins, const tagctl_t *old) {
    memset(t, 0, ctl_bytes(nbins));
    t->id = (uint16_t)tag;
    t->nbins = (uint16_t)nbins;
    t->heads = (node_t **)(void *)&t->bitmap[bitmap_words(nbins)];
#if CAPHEAP_HARDEN
    t->heap = h;
#else
    (void)h;
#endif
#if CAPHEAP_MANGLE
    t->key = h->secret;
#endif
#if CAPHEAP_MANGLE
    for (size_t b = 0; b < nbins; b++) /* an empty head holds the key */
        link_set(t, &t->heads[b], NULL);
#endif
    if (!old)
        return;
    memcpy(&t->total, &old->total,
           offsetof(tagctl_t, heads) - offsetof(tagctl_t, total));
    memcpy(t->bitmap, old->bitmap, bitmap_words(old->nbins) * sizeof(word_t));
    for (size_t b = 0; b < old->nbins; b++) {
        node_t *n = link_get(old, &old->heads[b]);
        if (n) {
            link_set(t, &t->heads[b], n);
            back_set(t, n, &t->heads[b]);
        }
    }
}

/** The tag's old control block becomes an ordinary free block of @p t. Its
 * counters are wiped first: left in free memory, one could read as a block
 * header to a stale pointer's free or realloc. */
static void ctl_retire(capheap_heap_t *h, tagctl_t *old, tagctl_t *t) {
    for (unsigned i = 0; i < h->region_count; i++) {
        if (h->regions[i].ctl == old)
            h->regions[i].ctl = t;
    }
    char *oblk = block_of(old);
    memset(old, 0, ctl_bytes(old->nbins));
    *hdr_at(oblk) &= ~F_CONTROL;
    t->block_bytes += hdr_size(*hdr_at(oblk));
    t->used_count++;
    release(t, oblk);
}

/* Whether the control block of @p old may be freed into its tag: unlike a
 * block given to free(), nothing has checked the block before it yet. */
static bool ctl_release_ok(const tagctl_t *old, capheap_check_report_t *bad) {
    const char *blk = block_of(old);
    if ((*hdr_at(blk) & F_PREV_FREE) &&
        !removable(old, (const node_t *)(const void *)(blk - prev_footer(blk)),
                   bad))
        return false;
    return release_ok(old, blk, bad);
}

/* ---- adding a region ------------------------------------------------------
 */

/* Why [a, limit) with blocks over @p span bytes, of which @p ctl_block
 * for a new control block of the tag (0: it keeps @p old), cannot be added;
 * CAPHEAP_OK if it can. Changes nothing. */
static capheap_err_t region_refused(const capheap_heap_t *heap, uintptr_t a,
                                    uintptr_t limit, size_t span,
                                    size_t ctl_block, const tagctl_t *old) {
    capheap_check_report_t bad; /* written on a failure, not reported */
    if (overlaps(heap, a, limit))
        return CAPHEAP_ERR_OVERLAP;
    if (heap->region_count == heap->region_cap)
        return CAPHEAP_ERR_NO_SLOT;
    if (span < ctl_block + MIN_BLOCK)
        return CAPHEAP_ERR_TOO_SMALL;
    if (old && ctl_block && !ctl_release_ok(old, &bad))
        return CAPHEAP_ERR_CORRUPT; /* the old control block cannot merge */
    return CAPHEAP_OK;
}

capheap_err_t capheap_heap_add_region(capheap_heap_t *heap, void *start,
                                      size_t size, unsigned tag) {
    uintptr_t a = (uintptr_t)start, limit = a + size;
    if (!heap || !start || size == 0 || tag >= heap_tag_cap(heap) || limit < a)
        return CAPHEAP_ERR_INVALID_ARG; /* NULL, no tag, or wraps */
    if (size < MIN_BLOCK + 2 * ALIGN + WORD_BYTES)
        return CAPHEAP_ERR_TOO_SMALL;
    /* Block headers sit at -HDR_BYTES mod ALIGN; the end marker needs a
     * word. */
    char *first = (char *)(ROUND_UP(a + HDR_BYTES, ALIGN) - HDR_BYTES);
    char *endm =
        (char *)(((limit - WORD_BYTES + HDR_BYTES) & ~(uintptr_t)(ALIGN - 1)) -
                 HDR_BYTES);
    size_t span = (size_t)(endm - first);
    if (span > MAX_BLOCK)
        return CAPHEAP_ERR_TOO_LARGE;
    size_t nbins = bin_of(span) + 1;

    heap_lock(heap);
    tagctl_t **tags = heap_tags(heap);
    tagctl_t *old = tags[tag], *t = old;
    size_t ctl_block = 0;
    if (!old || old->nbins < nbins) {
        ctl_block = ROUND_UP(HDR_BYTES + ctl_bytes(nbins), ALIGN);
        ctl_block = ctl_block < MIN_BLOCK ? MIN_BLOCK : ctl_block;
    }
    capheap_err_t err = region_refused(heap, a, limit, span, ctl_block, old);
    if (err) {
        heap_unlock(heap);
        return err;
    }

    if (capheap_heap_contains(heap, start))
        heap->nested = 1; /* find_live() must look for the innermost */
    unsigned r = heap->region_count++;
    word_t rbits = (word_t)r << REGION_SHIFT;
    size_t free_before = old ? tag_free_bytes(old) : 0;
    if (ctl_block) {
        t = (tagctl_t *)(void *)payload_of(first);
        *hdr_at(first) = rbits | ctl_block | F_CONTROL;
        ctl_open(t, heap, tag, nbins, old);
    }
    heap->regions[r] = (region_t){first, endm, t};
    *hdr_at(endm) = rbits; /* the end marker */
    free_block_insert(t, first + ctl_block, span - ctl_block, rbits);
    t->block_bytes += span - ctl_block;
    t->total += size;
    if (!heap->lo || first < heap->lo)
        heap->lo = first;
    if (endm > heap->hi)
        heap->hi = endm;
    if (t != old && old)
        ctl_retire(heap, old, t);
    tags[tag] = t;
    uint8_t *edge = region_edges(tags, r);
    edge[0] = (uint8_t)a;
    edge[1] = (uint8_t)limit;
    t->min_free += tag_free_bytes(t) - free_before;
    SAN_REGION(start, size);
    heap_unlock(heap);
    return CAPHEAP_OK;
}

unsigned capheap_heap_region_count(const capheap_heap_t *heap) {
    return heap->region_count;
}

capheap_err_t capheap_heap_region_info(const capheap_heap_t *heap,
                                       unsigned index,
                                       capheap_region_info_t *out) {
    if (!heap || !out || index >= heap->region_count)
        return CAPHEAP_ERR_INVALID_ARG;
    const region_t *r = &heap->regions[index];
    const uint8_t *edge = region_edges(heap_tags(heap), index);
    char *used_end = r->end + WORD_BYTES;
    out->start = r->first;
    out->end = used_end;
    /* Less than ALIGN (at most 256) bytes apart: the low bytes' difference
     * is the distance. */
    out->registered_start = r->first - (uint8_t)((uintptr_t)r->first - edge[0]);
    out->registered_end = used_end + (uint8_t)(edge[1] - (uintptr_t)used_end);
    SAN_CORE_ENTER(); /* the control block is not the program's */
    out->tag = r->ctl->id;
    SAN_CORE_LEAVE();
    return CAPHEAP_OK;
}
