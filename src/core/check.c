/*
 * check.c - the integrity check: every invariant of block.h, with the first
 * violation reported by address and fault code.
 */
#include "free_list.h"
#include "owners.h"
#include "poison.h"

/* Free blocks carry the (otherwise unused) CONTROL bit while the check
 * walks the lists, to prove that each is listed exactly once. */
#define F_LISTED F_CONTROL

typedef struct {
    capheap_check_report_t *rep;
    size_t free_size, free_count, used_count, block_bytes, controls;
    size_t requested; /* with poisoning: sum of live blocks' requests */
} checker_t;

static size_t tag_requested(const tagctl_t *t) {
#if CAPHEAP_POISONING
    return t->requested;
#else
    (void)t;
    return 0;
#endif
}

static capheap_err_t fail(checker_t *c, const void *addr, capheap_fault_t f) {
    c->rep->error = CAPHEAP_ERR_CORRUPT;
    c->rep->fault = f;
    c->rep->addr = addr;
    return CAPHEAP_ERR_CORRUPT;
}

/* I5 on the lists of @p t: marks each listed block; *marked counts them,
 * in list order, so unmark() can undo exactly that even after a failure. */
static capheap_err_t mark_lists(checker_t *c, const capheap_heap_t *h,
                                const tagctl_t *t, size_t *marked) {
    for (size_t b = 0; b < t->nbins; b++) {
        node_t **expect = &t->heads[b];
        word_t bit = (t->bitmap[b / WORD_BITS] >> (b % WORD_BITS)) & 1u;
        if (bit != (link_get(t, expect) != NULL))
            return fail(c, expect, CAPHEAP_FAULT_BITMAP);
        for (node_t *n = link_get(t, expect); n;
             expect = &n->next, n = link_get(t, &n->next)) {
            /* Nothing outside the heap's span is read through a link. */
            if ((char *)n < h->lo || (char *)n >= h->hi || !hdr_aligned(n))
                return fail(c, expect, CAPHEAP_FAULT_LIST);
            unsigned r = hdr_region(n->hdr);
            if (*marked == t->free_count || r >= h->region_count ||
                h->regions[r].ctl != t || (char *)n < h->regions[r].first ||
                (char *)n >= h->regions[r].end ||
                (n->hdr & (F_FREE | F_LISTED)) != F_FREE ||
                bin_of(hdr_size(n->hdr)) != b || back_get(t, n) != expect)
                return fail(c, n, CAPHEAP_FAULT_LIST);
            n->hdr |= F_LISTED;
            ++*marked;
        }
    }
    /* No bit past the last class. */
    size_t w = bitmap_words(t->nbins) - 1, used = t->nbins - w * WORD_BITS;
    if (used < WORD_BITS && t->bitmap[w] >> used)
        return fail(c, &t->bitmap[w], CAPHEAP_FAULT_BITMAP);
    return CAPHEAP_OK;
}

static void unmark(const tagctl_t *t, size_t marked) {
    for (size_t b = 0; b < t->nbins; b++) {
        for (node_t *n = link_get(t, &t->heads[b]); n && marked;
             n = link_get(t, &n->next), marked--)
            n->hdr &= ~F_LISTED;
    }
}

capheap_fault_t block_fault(const capheap_heap_t *h, unsigned r,
                            const char *blk, word_t prev_free) {
    word_t hdr = *hdr_at(blk);
    size_t size = hdr_size(hdr);
    if (hdr_region(hdr) != r || !block_next(&h->regions[r], blk))
        return CAPHEAP_FAULT_BLOCK;
    if (!(hdr & F_PREV_FREE) != !prev_free)
        return CAPHEAP_FAULT_PREV_FREE;
    if ((hdr & F_FREE) && prev_free)
        return CAPHEAP_FAULT_ADJACENT_FREE;
    if ((hdr & F_FREE) && prev_footer(blk + size) != size)
        return CAPHEAP_FAULT_FOOTER;
    return CAPHEAP_FAULT_NONE;
}

/* The canaries of a live block or the fill of a free one (poisoning). */
static bool poison_bad(const char *blk, capheap_check_report_t *rep) {
    word_t hdr = *hdr_at(blk);
    if (hdr & F_FREE)
        return poison_check_free((char *)(uintptr_t)blk, hdr_size(hdr), rep);
    return !(hdr & F_CONTROL) && poison_check_live(blk, rep);
}

/* I1-I4 and I7 for region @p r, adding its blocks to the sums; every free
 * block must carry the list walk's mark. */
static capheap_err_t check_region(checker_t *c, const capheap_heap_t *h,
                                  unsigned r) {
    const region_t *reg = &h->regions[r];
    word_t prev_free = 0;
    char *blk = reg->first;
    if (!hdr_aligned(blk) || reg->end <= blk || !hdr_aligned(reg->end))
        return fail(c, blk, CAPHEAP_FAULT_REGION);
    for (; blk < reg->end; blk += hdr_size(*hdr_at(blk))) {
        word_t hdr = *hdr_at(blk);
        word_t is_free = hdr & F_FREE;
        capheap_fault_t f = block_fault(h, r, blk, prev_free);
        if (f)
            return fail(c, blk, f);
        if (is_free && !(hdr & F_LISTED))
            return fail(c, blk, CAPHEAP_FAULT_LIST);
        if (poison_bad(blk, c->rep))
            return CAPHEAP_ERR_CORRUPT;
        if (!is_free && (hdr & F_CONTROL)) {
            if ((void *)payload_of(blk) != (void *)reg->ctl)
                return fail(c, blk, CAPHEAP_FAULT_CONTROL);
            c->controls++;
        } else {
            c->requested += is_free ? 0 : live_bytes(blk);
            c->free_size += is_free ? hdr_size(hdr) : 0;
            c->free_count += is_free ? 1 : 0;
            c->used_count += is_free ? 0 : 1;
            c->block_bytes += hdr_size(hdr);
        }
        prev_free = is_free;
    }
    word_t em = *hdr_at(reg->end);
    if (blk != reg->end ||
        em != (((word_t)r << REGION_SHIFT) | (prev_free ? F_PREV_FREE : 0)))
        return fail(c, reg->end, CAPHEAP_FAULT_END_MARKER);
    return CAPHEAP_OK;
}

/* Every invariant of one tag: its lists first, marking what they hold, then
 * its regions' blocks, then its counters. */
static capheap_err_t check_tag(checker_t *c, const capheap_heap_t *h,
                               const tagctl_t *t) {
    size_t marked = 0;
    c->free_size = c->free_count = c->used_count = c->block_bytes = 0;
    c->controls = c->requested = 0;
    capheap_err_t err = mark_lists(c, h, t, &marked);
    for (unsigned r = 0; r < h->region_count && !err; r++) {
        if (h->regions[r].ctl == t)
            err = check_region(c, h, r);
    }
    unmark(t, marked);
    if (!err && c->controls != 1)
        err = fail(c, t, CAPHEAP_FAULT_CONTROL);
    if (!err &&
        (c->free_size - c->free_count * HDR_BYTES != t->free_bytes ||
         c->free_count != t->free_count || marked != c->free_count ||
         c->used_count != t->used_count || c->block_bytes != t->block_bytes ||
         t->min_free > tag_free_bytes(t) ||
         (CAPHEAP_POISONING && c->requested != tag_requested(t))))
        err = fail(c, t, CAPHEAP_FAULT_COUNTERS);
    return err;
}

#if CAPHEAP_OWNERS
/* The owner table against the blocks: its slots sum to the live blocks and
 * their room, and no slot's current exceeds its peak. */
static capheap_err_t check_owners(checker_t *c, const capheap_heap_t *h,
                                  size_t blocks, size_t room) {
    const capheap_owner_stats_t *tab = heap_owners(h);
    for (size_t i = 0; i < CAPHEAP_OWNER_SLOTS; i++) {
        if (tab[i].current > tab[i].peak)
            return fail(c, &tab[i], CAPHEAP_FAULT_COUNTERS);
        blocks -= tab[i].blocks;
        room -= tab[i].current;
    }
    return blocks || room ? fail(c, tab, CAPHEAP_FAULT_COUNTERS) : CAPHEAP_OK;
}
#endif

/* Check every tag (@p only < 0) or tag @p only, with the region records
 * first: everything else trusts them. */
static capheap_err_t check_tags(capheap_heap_t *heap,
                                capheap_check_report_t *report, int only) {
    capheap_check_report_t local;
    checker_t c = {report ? report : &local, 0, 0, 0, 0, 0, 0};
    *c.rep =
        (capheap_check_report_t){CAPHEAP_OK, CAPHEAP_FAULT_NONE, NULL, 0, 0};
    capheap_err_t err = CAPHEAP_OK;
    heap_lock(heap);
    tagctl_t **tags = heap_tags(heap);
    for (unsigned r = 0; r < heap->region_count && !err; r++) {
        const tagctl_t *t = heap->regions[r].ctl;
        if (!t || t->id >= heap_tag_cap(heap) || tags[t->id] != t)
            err = fail(&c, heap->regions[r].first, CAPHEAP_FAULT_REGION);
    }
    size_t live_blocks = 0, live_room = 0;
    for (unsigned id = 0; id < heap_tag_cap(heap) && !err; id++) {
        if (!tags[id] || (only >= 0 && (unsigned)only != id))
            continue;
        err = check_tag(&c, heap, tags[id]);
        live_blocks += c.used_count;
        live_room += c.block_bytes - c.free_size - c.used_count * HDR_BYTES;
    }
#if CAPHEAP_OWNERS
    if (!err && only == -1)
        err = check_owners(&c, heap, live_blocks, live_room);
#else
    (void)live_blocks;
    (void)live_room;
#endif
    heap_unlock(heap);
    return err;
}

capheap_err_t capheap_heap_check(capheap_heap_t *heap,
                                 capheap_check_report_t *report) {
    return check_tags(heap, report, -1);
}

capheap_err_t capheap_heap_check_tag(capheap_heap_t *heap, unsigned tag,
                                     capheap_check_report_t *report) {
    /* An unknown tag still gets the region records checked. */
    return check_tags(heap, report, tag < heap_tag_cap(heap) ? (int)tag : -2);
}

capheap_err_t capheap_heap_check_addr(capheap_heap_t *heap, const void *addr,
                                      capheap_check_report_t *report) {
    heap_lock(heap);
    const region_t *reg = region_holding(heap, (uintptr_t)addr);
    unsigned tag = reg ? reg->ctl->id : 0;
    heap_unlock(heap);
    if (!reg)
        return CAPHEAP_ERR_FOREIGN_POINTER;
    return capheap_heap_check_tag(heap, tag, report);
}

/* ---- incremental check ----------------------------------------------------
 */

/*
 * A step finds its place again by walking the region's headers from the
 * start to the cursor's offset (blocks come and go between steps, so a
 * remembered block address may no longer be a block), then checks up to the
 * step's budget of blocks: I1-I4 and, with poisoning, canaries and fills,
 * which is what finds overflows. Lists and counters are left to the full
 * check.
 */
capheap_err_t capheap_heap_check_step(capheap_heap_t *heap,
                                      capheap_check_cursor_t *cursor,
                                      unsigned max_blocks,
                                      capheap_check_report_t *report) {
    capheap_check_report_t local;
    checker_t c = {report ? report : &local, 0, 0, 0, 0, 0, 0};
    *c.rep =
        (capheap_check_report_t){CAPHEAP_OK, CAPHEAP_FAULT_NONE, NULL, 0, 0};
    if (cursor->complete)
        *cursor = (capheap_check_cursor_t){0, 0, 0, false};
    capheap_err_t err = CAPHEAP_OK;
    heap_lock(heap);
    while (max_blocks && !err && cursor->region < heap->region_count) {
        const region_t *reg = &heap->regions[cursor->region];
        char *blk = reg->first;
        word_t prev_free = 0;
        unsigned checked = 0;
        for (; blk < reg->end; blk += hdr_size(*hdr_at(blk))) {
            bool in_step = (size_t)(blk - reg->first) >= cursor->offset;
            if (in_step && checked == max_blocks)
                break;
            capheap_fault_t f =
                block_fault(heap, cursor->region, blk, prev_free);
            /* Before the cursor only I1 matters: the walk must not stray. */
            if (f == CAPHEAP_FAULT_BLOCK || (f && in_step)) {
                err = fail(&c, blk, f);
                break;
            }
            if (in_step) {
                checked++;
                if (poison_bad(blk, c.rep)) {
                    err = CAPHEAP_ERR_CORRUPT;
                    break;
                }
            }
            prev_free = *hdr_at(blk) & F_FREE;
        }
        cursor->blocks += checked;
        max_blocks -= checked;
        if (!err && blk < reg->end) {
            cursor->offset = (size_t)(blk - reg->first);
        } else if (!err) {
            cursor->region++;
            cursor->offset = 0;
        }
    }
    cursor->complete = !err && cursor->region >= heap->region_count;
    heap_unlock(heap);
    return err;
}
