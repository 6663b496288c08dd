/*
 * block_ops_impl.h - the bodies of the block operations (block_ops.h).
 * Included with CORE_OP set: by block_ops.h as always-inline functions
 * (builds for speed), or once by block_ops.c as ordinary functions (builds
 * for size, CAPHEAP_CORE_OUTLINE).
 */

CORE_OP char *chosen(const tagctl_t *t, node_t *n, capheap_check_report_t *bad);

/** Whether @p m is a free block of tag @p t: inside the span, free, in a
 * region of @p t (the innermost, where regions nest: two use-after-free
 * writes must not hand one memory type's block to another's request), its
 * size inside the region and repeated in its footer, its successor live and
 * flagged PREV_FREE. */
CORE_OP bool free_block_ok(const tagctl_t *t, const node_t *m) {
#if CAPHEAP_HARDEN == 1
    /* chosen()'s checks (level 1: its successor live, a region of the tag),
     * then the two it leaves to the span: the block ends inside its region,
     * and its successor is that region's. */
    capheap_check_report_t ignored; /* written only by a failure */
    if (!link_in_span(t, m) || !chosen(t, (node_t *)(uintptr_t)m, &ignored))
        return false;
    const char *blk = (const char *)m;
    size_t size = hdr_size(m->hdr);
    const region_t *reg = &t->heap->regions[hdr_region(m->hdr)];
    return size <= (size_t)(reg->end - blk) &&
           !((*hdr_at(blk + size) ^ m->hdr) >> REGION_SHIFT);
#elif CAPHEAP_HARDEN
    const struct capheap_heap *h = t->heap;
    const char *blk = (const char *)m;
    if (!link_in_span(t, m))
        return false;
    word_t hdr = m->hdr;
    unsigned r = hdr_region(hdr);
    if (r >= h->region_count || !(hdr & F_FREE))
        return false;
    const region_t *reg = &h->regions[r];
    size_t size = hdr_size(hdr);
    if (reg->ctl != t || blk < reg->first || blk >= reg->end ||
        size < MIN_BLOCK || size > (size_t)(reg->end - blk) ||
        prev_footer(blk + size) != size)
        return false;
    word_t nh = *hdr_at(blk + size); /* this region's, live, PREV_FREE */
    if (((nh ^ hdr) >> REGION_SHIFT) |
        ((nh & (F_PREV_FREE | F_FREE)) ^ F_PREV_FREE))
        return false;
    return !h->nested || region_holding(h, (uintptr_t)blk) == reg;
#else
    (void)t;
    (void)m;
    return true;
#endif
}

/** Whether @p m, a header inside the heap's span, may be carved or merged
 * as a free block: free, its size inside the span and repeated in its
 * footer, the block after it live and flagged PREV_FREE (level 1); the
 * whole free_block_ok() (level 2). */
CORE_OP bool block_usable(const tagctl_t *t, const node_t *m) {
#if CAPHEAP_HARDEN >= 2
    return free_block_ok(t, m);
#elif CAPHEAP_HARDEN
    const char *blk = (const char *)m;
    word_t hdr = m->hdr;
    size_t size = hdr_size(hdr);
    return (hdr & F_FREE) && size >= MIN_BLOCK &&
           size <= (size_t)(t->heap->hi - blk) &&
           prev_footer(blk + size) == size &&
           (*hdr_at(blk + size) & (F_PREV_FREE | F_FREE)) == F_PREV_FREE;
#else
    (void)t;
    (void)m;
    return true;
#endif
}

/** Whether @p m, a header inside the heap's span, lies in a region of tag
 * @p t (the innermost one, where regions nest): a block an allocation
 * reached through a link must be its own tag's, or two use-after-free
 * writes could hand one memory type's block to another's request. Inline in
 * every build: chosen() is its one caller. */
HOT_INLINE bool block_in_tag(const tagctl_t *t, const node_t *m) {
#if CAPHEAP_HARDEN
    const struct capheap_heap *h = t->heap;
    unsigned r = hdr_region(m->hdr);
    if (r >= h->region_count)
        return false;
    const region_t *reg = &h->regions[r];
    return reg->ctl == t && (const char *)m >= reg->first &&
           (const char *)m < reg->end &&
           (!h->nested || region_holding(h, (uintptr_t)m) == reg);
#else
    (void)t;
    (void)m;
    return true;
#endif
}

/**
 * Whether the listed free block @p n (itself a free block of @p t) may leave
 * its list: the slot its back link names holds @p n, and its successor, if
 * any, names @p n's `next` in its back link, so an unlink writes only into
 * slots that pointed at @p n. Level 1 reads through a link only inside the
 * heap's span, at word-aligned addresses (list heads live in a control
 * block, inside it too); level 2 also proves both neighbours free blocks
 * of @p t. A back link equal to @p head (the list head the caller read the
 * block from) needs no range check. If not, @p bad says why.
 */
CORE_OP bool links_ok_at(const tagctl_t *t, const node_t *n,
                         node_t *const *head, capheap_check_report_t *bad) {
#if CAPHEAP_HARDEN
    const struct capheap_heap *h = t->heap;
    uintptr_t lo = (uintptr_t)h->lo, span = (uintptr_t)h->hi - lo;
    node_t **pprev = back_get(t, n);
    if ((!head || pprev != head) && /* a NULL back link is checked too */
        ((uintptr_t)pprev - lo >= span || (uintptr_t)pprev % sizeof(void *)))
        return link_fault(bad, n, NULL, pprev);
#if CAPHEAP_HARDEN >= 2
    size_t off = (size_t)((uintptr_t)pprev - (uintptr_t)t->heads);
    if (off >= t->nbins * sizeof(node_t *) &&
        !free_block_ok(t,
                       (const node_t *)(const void *)((const char *)pprev -
                                                      offsetof(node_t, next))))
        return link_fault(bad, n, NULL, pprev);
#endif
    if (link_get(t, pprev) != n)
        return link_fault(bad, n, n, link_get(t, pprev));
    node_t *next = link_get(t, &n->next);
    if (next && ((uintptr_t)next - lo >= span || !hdr_aligned(next) ||
#if CAPHEAP_HARDEN >= 2
                 !free_block_ok(t, next) ||
#endif
                 back_get(t, next) != &n->next))
        return link_fault(bad, n, &n->next, next);
#else
    (void)t;
    (void)n;
    (void)head;
    (void)bad;
#endif
    return true;
}

/** Whether @p n, a block reached through a header or a link, is a free
 * block of @p t that may leave its list; else @p bad says why. */
CORE_OP bool removable(const tagctl_t *t, const node_t *n,
                       capheap_check_report_t *bad) {
    if (!block_usable(t, n))
        return link_fault(bad, n, n, NULL);
    return links_ok_at(t, n, NULL, bad);
}

/** Make [blk, blk + size) a free block of @p t in the region of @p rbits
 * and list it; the block before it is live, the one after it learns that
 * its predecessor is free. */
CORE_OP void free_block_insert(tagctl_t *t, char *blk, size_t size,
                               word_t rbits) {
    HEAP_ASSERT(size >= MIN_BLOCK && size % ALIGN == 0);
    *hdr_at(blk) = rbits | size | F_FREE;
    set_footer(blk, size);
    *hdr_at(blk + size) |= F_PREV_FREE;
    list_push(t, (node_t *)(void *)blk, bin_of(size));
    t->free_bytes += size - HDR_BYTES;
    t->free_count++;
    poison_free(blk, size);
}

/** Take the free block @p blk, of @p size bytes, off its list (removable()
 * vouched for its links). Its header and footer stay as they were: the
 * caller overwrites what it reuses. */
CORE_OP void free_block_remove(tagctl_t *t, char *blk, size_t size) {
    HEAP_ASSERT((*hdr_at(blk) & F_FREE) && hdr_size(*hdr_at(blk)) == size);
    list_unlink(t, (node_t *)(void *)blk);
    t->free_bytes -= size - HDR_BYTES;
    t->free_count--;
}

/** The free block @p blk, listed in class @p b, becomes
 * @p size bytes of class @p nb where it lies: it gives up its tail to an
 * allocation, or takes in the block being freed after it. It changes lists
 * only if its class changes (then its links must have passed links_ok_at()).
 * The caller tells the block after it that its predecessor is free or live. */
CORE_OP void free_block_resize(tagctl_t *t, char *blk, size_t b, size_t nb,
                               size_t size) {
    word_t hdr = *hdr_at(blk);
    HEAP_ASSERT((hdr & F_FREE) && size >= MIN_BLOCK && size % ALIGN == 0);
    *hdr_at(blk) = hdr - hdr_size(hdr) + size;
    set_footer(blk, size);
    t->free_bytes += size - hdr_size(hdr);
    if (nb != b) {
        list_unlink(t, (node_t *)(void *)blk);
        list_push(t, (node_t *)(void *)blk, nb);
    }
}

/** Cut the live block @p blk down to @p s bytes: the tail joins a free
 * successor, or becomes a free block if it can stand alone. False, with
 * nothing changed and @p bad filled, if the successor's links are broken. */
CORE_OP bool live_block_trim(tagctl_t *t, char *blk, size_t s,
                             capheap_check_report_t *bad) {
    word_t hdr = *hdr_at(blk);
    char *next = blk + hdr_size(hdr);
    size_t rest = hdr_size(hdr) - s;
    if (rest == 0)
        return true;
    word_t nh = *hdr_at(next);
    if (nh & F_FREE) {
        if (!removable(t, (node_t *)(void *)next, bad))
            return false;
        free_block_remove(t, next, hdr_size(nh));
        rest += hdr_size(nh);
    } else if (rest < MIN_BLOCK) {
        return true;
    }
    *hdr_at(blk) = hdr - hdr_size(hdr) + s;
    free_block_insert(t, blk + s, rest, hdr & REGION_MASK);
    return true;
}

/** @p n, the block find_fit() chose, if it may be carved: a free block of
 * this tag; else NULL with @p bad filled. */
CORE_OP char *chosen(const tagctl_t *t, node_t *n,
                     capheap_check_report_t *bad) {
    if (!block_usable(t, n) || !block_in_tag(t, n))
        return (void)link_fault(bad, n, n, NULL), NULL;
    return (char *)n;
}

/** A free block of @p t with room for @p s bytes, or NULL; its class goes
 * to @p bin. The search follows a link only inside the heap's span and
 * reads sizes only; the block it returns passed free_block_ok(), and take()
 * checks its links if it leaves its list. NULL with @p bad filled if a link
 * or the chosen block is damaged. */
CORE_OP char *find_fit(const tagctl_t *t, size_t s, size_t *bin,
                       capheap_check_report_t *bad) {
    size_t b = bin_of(s);
    if (b >= t->nbins)
        return NULL;
    node_t *n = link_get(t, &t->heads[b]); /* heads are the core's own */
    *bin = b;
    if (n && hdr_size(n->hdr) >= s)
        return chosen(t, n, bad); /* the common case: the class head fits */
    span_t sp = heap_span(t);
    for (unsigned i = 1; n && i < CAPHEAP_BIN_SEARCH; i++) {
        node_t *next = link_get(t, &n->next);
        if (next && !in_span(sp, next))
            return (void)link_fault(bad, n, &n->next, next), NULL;
        n = next;
        if (n && hdr_size(n->hdr) >= s)
            return chosen(t, n, bad);
    }
    /* Every block of a larger class fits. */
    b = bin_search(t, b + 1);
    HEAP_ASSERT(b >= t->nbins || bin_floor(b) >= s);
    *bin = b;
    return b < t->nbins ? chosen(t, link_get(t, &t->heads[b]), bad) : NULL;
}

/** Make the tail of the free block @p blk (listed in class @p b) a live
 * block of @p s bytes, or all of it if the rest could not stand alone; a
 * block that leaves its list must pass links_ok_at() first (else NULL,
 * @p bad). Returns the payload. */
CORE_OP void *take(tagctl_t *t, char *blk, size_t b, size_t s,
                   capheap_check_report_t *bad) {
    word_t hdr = *hdr_at(blk);
    size_t size = hdr_size(hdr);
    size_t rest = size - s;
    HEAP_ASSERT((hdr & F_FREE) && size >= s);
    size_t rb = rest >= MIN_BLOCK ? bin_of(rest) : b + 1;
    if (rb != b && !links_ok_at(t, (node_t *)(void *)blk, &t->heads[b], bad))
        return NULL;
    word_t bits = hdr & REGION_MASK;
    if (rest >= MIN_BLOCK) {
        free_block_resize(t, blk, b, rb, rest);
        blk += rest;
        bits |= F_PREV_FREE;
    } else {
        free_block_remove(t, blk, size);
        s = size;
    }
    note_min_free(t); /* the free bytes are final: keep them in a register */
    live_block_make(t, blk, s, bits);
    return payload_of(blk);
}

/* Slow path for a pointer that is no block: inside a region or not? Inline
 * in every build: find_live() is its one caller. */
HOT_INLINE capheap_err_t misplaced(const capheap_heap_t *h, const void *ptr) {
    return capheap_heap_contains(h, ptr) ? CAPHEAP_ERR_NOT_BLOCK
                                         : CAPHEAP_ERR_FOREIGN_POINTER;
}

/* Checks I1 and I2 on the block at @p ptr, reading nothing outside regions
 * other than the word before a pointer between h->lo and h->hi. */
CORE_OP capheap_err_t find_live(const capheap_heap_t *h, const void *ptr,
                                char **blk_out, tagctl_t **ctl_out) {
    uintptr_t a = (uintptr_t)ptr;
    if (a <= (uintptr_t)h->lo || a >= (uintptr_t)h->hi || a % ALIGN != 0)
        return misplaced(h, ptr);
    char *blk = block_of(ptr);
    word_t hdr = *hdr_at(blk);
    unsigned r = hdr_region(hdr);
    if (r >= h->region_count)
        return misplaced(h, ptr);
    const region_t *reg = &h->regions[r];
    if (blk < reg->first || blk >= reg->end)
        return misplaced(h, ptr);
    size_t size = hdr_size(hdr);
    if (size < MIN_BLOCK || size > (size_t)(reg->end - blk))
        return CAPHEAP_ERR_NOT_BLOCK;
    if (hdr & (F_FREE | F_CONTROL))
        return (hdr & F_FREE) ? CAPHEAP_ERR_DOUBLE_FREE : CAPHEAP_ERR_NOT_BLOCK;
    /* The tag's counters could read as a header: nothing inside its control
     * block is a block. */
    const char *cb = block_of(reg->ctl);
    if ((size_t)(blk - cb) < hdr_size(*hdr_at(cb)))
        return CAPHEAP_ERR_NOT_BLOCK;
    /* Inside a region nested in this one, the words are that region's: its
     * blocks and bookkeeping, never a block of this one. */
    if (h->nested && region_holding(h, (uintptr_t)blk) != reg)
        return CAPHEAP_ERR_NOT_BLOCK;
    word_t nh = *hdr_at(blk + size);
    if (((nh ^ hdr) >> REGION_SHIFT) | (nh & F_PREV_FREE))
        return CAPHEAP_ERR_NOT_BLOCK; /* another region's, or PREV_FREE */
    if (hdr & F_PREV_FREE) {
        size_t ps = prev_footer(blk);
        if (ps < MIN_BLOCK || ps > (size_t)(blk - reg->first) ||
            *hdr_at(blk - ps) != ((hdr & REGION_MASK) | ps | F_FREE))
            return CAPHEAP_ERR_NOT_BLOCK;
    }
    *blk_out = blk;
    *ctl_out = reg->ctl;
    return CAPHEAP_OK;
}

CORE_OP bool release_ok(const tagctl_t *t, const char *blk,
                        capheap_check_report_t *bad) {
    word_t hdr = *hdr_at(blk);
    const char *next = blk + hdr_size(hdr);
    if ((*hdr_at(next) & F_FREE) &&
        !removable(t, (const node_t *)(const void *)next, bad))
        return false;
    /* find_live() proved the header before the footer's size a free one. */
    return !(hdr & F_PREV_FREE) ||
           links_ok_at(t,
                       (const node_t *)(const void *)(blk - prev_footer(blk)),
                       NULL, bad);
}

/* Merge with the next block if it is free, then into the previous one if
 * that is free (which stays listed unless its class changes), else list
 * the result: I3 holds again. */
CORE_OP void release(tagctl_t *t, char *blk) {
    word_t hdr = *hdr_at(blk);
    size_t size = hdr_size(hdr);
    HEAP_ASSERT(!(hdr & (F_FREE | F_CONTROL)) && t->used_count > 0);
    t->used_count--;
    word_t nh = *hdr_at(blk + size);
    if (nh & F_FREE) { /* merge with the next block */
        free_block_remove(t, blk + size, hdr_size(nh));
        size += hdr_size(nh);
    }
    HEAP_ASSERT(!(*hdr_at(blk + size) & F_FREE)); /* I3 after the merge */
    if (hdr & F_PREV_FREE) { /* merge into the previous block */
        size_t ps = prev_footer(blk);
        *hdr_at(blk) = hdr | F_FREE; /* a second free of it is a double free */
        *hdr_at(blk + size) |= F_PREV_FREE;
        blk -= ps;
        free_block_resize(t, blk, bin_of(ps), bin_of(ps + size), ps + size);
        poison_free(blk, ps + size);
    } else {
        free_block_insert(t, blk, size, hdr & REGION_MASK);
    }
}
