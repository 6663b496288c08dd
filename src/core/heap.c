/*
 * heap.c - the tagged-region heap: regions, allocation, free, realloc.
 *
 * The layout, size classes and invariants are described in block.h.
 */
#include "cstring.h"

#include "block.h"
#include "owners.h"
#include "poison.h"

_Static_assert(offsetof(struct capheap_heap, regions) <=
                   (5 + (CAPHEAP_MANGLE ? 1 : 0)) * sizeof(void *),
               "heap object matches CAPHEAP_HEAP_STORAGE_SIZE");
_Static_assert(sizeof(region_t) == 3 * sizeof(void *),
               "region slot matches CAPHEAP_HEAP_STORAGE_SIZE");
_Static_assert(CAPHEAP_BIN_SEARCH >= 1, "examine at least the class head");

/** Block size for a request of @p n bytes, or 0 if none can hold it. */
static inline size_t block_size_for(size_t n) {
    if (n - 1 >= MAX_BLOCK - HDR_BYTES - TAIL_BYTES) /* n == 0 wraps */
        return 0;
    size_t s = ROUND_UP(n + HDR_BYTES + TAIL_BYTES, ALIGN);
    return s < MIN_BLOCK ? MIN_BLOCK : s;
}

static inline void note_min_free(tagctl_t *t) {
    if (t->free_bytes < t->min_free)
        t->min_free = t->free_bytes;
}

/* ---- heap object ------------------------------------------------------ */

capheap_heap_t *capheap_heap_init(void *storage, size_t storage_size,
                                  unsigned max_regions, unsigned max_tags) {
    if (!storage || (uintptr_t)storage % sizeof(void *) != 0)
        return NULL;
    if (max_regions == 0 || max_regions > CAPHEAP_MAX_REGIONS ||
        max_tags == 0 || max_tags > CAPHEAP_MAX_TAGS)
        return NULL;
    if (storage_size < CAPHEAP_HEAP_STORAGE_SIZE(max_regions, max_tags))
        return NULL;
    capheap_heap_t *h = storage;
    h->lock = NULL;
    h->lo = NULL;
    h->hi = NULL;
    h->region_count = 0;
    h->nested = 0;
    h->region_cap = (uint8_t)max_regions;
    h->tag_cap = (uint16_t)max_tags;
    tagctl_t **tags = heap_tags(h);
    for (unsigned i = 0; i < max_tags; i++)
        tags[i] = NULL;
#if CAPHEAP_OWNERS
    owners_reset(h);
#endif
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

/* ---- carving and merging (lock held) ---------------------------------- */

/** @p n, the block find_fit() chose, if it may be carved: a free block of
 * this tag; else NULL with @p bad filled. */
HOT_INLINE char *chosen(const tagctl_t *t, node_t *n,
                        capheap_check_report_t *bad) {
    if (!block_usable(t, n) || !block_in_tag(t, n))
        return (void)link_fault(bad, n, n, NULL), NULL;
    return (char *)n;
}

/** A free block of the tag with room for @p s bytes, or NULL; its class
 * goes to @p bin. The search follows a link only inside the heap's span
 * and reads sizes only; the block it returns passed block_usable(), and
 * take() checks its links if it leaves its list. NULL with @p bad filled
 * if a link or the chosen block is damaged. */
HOT_INLINE char *find_fit(tagctl_t *t, size_t s, size_t *bin,
                          capheap_check_report_t *bad) {
    size_t b = bin_of(s);
    if (b >= t->nbins)
        return NULL;
    node_t *n = link_get(t, &t->heads[b]);
    *bin = b;
    if (n && hdr_size(n->hdr) >= s)
        return chosen(t, n, bad); /* the common case: the class head fits */
    for (unsigned i = 1; n && i < CAPHEAP_BIN_SEARCH; i++) {
        node_t *next = link_get(t, &n->next);
        if (next && !link_in_span(t, next))
            return (void)link_fault(bad, n, &n->next, next), NULL;
        n = next;
        if (n && hdr_size(n->hdr) >= s)
            return chosen(t, n, bad);
    }
    /* Every block of a larger class fits. */
    b = bin_search(t, b + 1);
    *bin = b;
    return b < t->nbins ? chosen(t, link_get(t, &t->heads[b]), bad) : NULL;
}

/* Make the tail of the free block @p blk (listed in class @p b, found by
 * find_fit()) a live block of @p s bytes. Carving the tail leaves the rest
 * where it is, so it stays on its list unless its class changes; a block
 * that leaves its list must pass links_ok() first (else NULL, @p bad). */
HOT_INLINE void *take(tagctl_t *t, char *blk, size_t b, size_t s,
                      capheap_check_report_t *bad) {
    word_t hdr = *hdr_at(blk);
    size_t size = hdr_size(hdr);
    size_t rest = size - s;
    char *live = blk;
    size_t rb = rest >= MIN_BLOCK ? bin_of(rest) : b + 1;
    if (rb != b && !links_ok_at(t, (node_t *)(void *)blk, &t->heads[b], bad))
        return NULL;
    if (rest >= MIN_BLOCK) {
        *hdr_at(blk) = hdr - s;
        set_footer(blk, rest);
        if (rb != b) {
            list_unlink(t, (node_t *)(void *)blk);
            list_push(t, (node_t *)(void *)blk, rb);
        }
        live = blk + rest;
        *hdr_at(live) = (hdr & REGION_MASK) | s | F_PREV_FREE;
        t->free_bytes -= s;
    } else {
        list_unlink(t, (node_t *)(void *)blk);
        *hdr_at(blk) = hdr & ~F_FREE; /* a free block's predecessor is live */
        t->free_bytes -= size - HDR_BYTES;
        t->free_count--;
    }
    *hdr_at(blk + size) &= ~F_PREV_FREE;
    t->used_count++;
    note_min_free(t);
    return payload_of(live);
}

/** Whether the free neighbours of the live block @p blk may leave their
 * lists (hardening), so that release() can merge them; else @p bad. */
HOT_INLINE bool release_ok(const tagctl_t *t, const char *blk,
                           capheap_check_report_t *bad) {
    word_t hdr = *hdr_at(blk);
    const char *next = blk + hdr_size(hdr);
    if ((*hdr_at(next) & F_FREE) &&
        !listed_ok(t, (const node_t *)(const void *)next, bad))
        return false;
    /* find_live() proved the header before the footer's size a free one. */
    return !(hdr & F_PREV_FREE) ||
           links_ok(t, (const node_t *)(const void *)(blk - prev_footer(blk)),
                    bad);
}

/** Return the live block @p blk to its tag, merging with free neighbours;
 * release_ok() has vouched for them. */
HOT_INLINE void release(tagctl_t *t, char *blk) {
    word_t hdr = *hdr_at(blk);
    size_t size = hdr_size(hdr);
    size_t gain = size - HDR_BYTES;
    size_t merged = 0;
    word_t nh = *hdr_at(blk + size);
    if (nh & F_FREE) {
        list_unlink(t, (node_t *)(void *)(blk + size));
        size += hdr_size(nh);
        merged++;
    }
    if (hdr & F_PREV_FREE) {
        size_t ps = prev_footer(blk);
        *hdr_at(blk) = hdr | F_FREE; /* a second free of it is a double free */
        blk -= ps;
        list_unlink(t, (node_t *)(void *)blk);
        size += ps;
        merged++;
    }
    *hdr_at(blk) = (hdr & REGION_MASK) | size | F_FREE;
    set_footer(blk, size);
    *hdr_at(blk + size) |= F_PREV_FREE;
    list_push(t, (node_t *)(void *)blk, bin_of(size));
    poison_free(blk, size);
    t->free_bytes += gain + merged * HDR_BYTES;
    t->free_count = t->free_count + 1 - merged;
    t->used_count--;
}

/* The cold paths below (aligned allocation, realloc, regions) share these
 * three; the hot ones, take() and release(), keep their fused copies. */

/** Make [blk, blk + size) a free block and list it; the block before it is
 * live. */
static void put_free(tagctl_t *t, char *blk, size_t size, word_t rbits) {
    *hdr_at(blk) = rbits | size | F_FREE;
    set_footer(blk, size);
    list_push(t, (node_t *)(void *)blk, bin_of(size));
    t->free_bytes += size - HDR_BYTES;
    t->free_count++;
    poison_free(blk, size);
}

/** Take the free block @p blk off its list; returns its size. */
static size_t unlist(tagctl_t *t, char *blk) {
    size_t size = hdr_size(*hdr_at(blk));
    list_unlink(t, (node_t *)(void *)blk);
    t->free_bytes -= size - HDR_BYTES;
    t->free_count--;
    return size;
}

/** Cut the live block @p blk down to @p s bytes: the tail joins a free
 * successor, or becomes a free block if it can stand alone. False, with
 * nothing changed and @p bad filled, if the successor's links are broken. */
static bool trim(tagctl_t *t, char *blk, size_t s,
                 capheap_check_report_t *bad) {
    word_t hdr = *hdr_at(blk);
    char *next = blk + hdr_size(hdr);
    size_t rest = hdr_size(hdr) - s;
    if (rest == 0)
        return true;
    if (*hdr_at(next) & F_FREE) {
        if (!listed_ok(t, (node_t *)(void *)next, bad))
            return false;
        rest += unlist(t, next);
    } else if (rest < MIN_BLOCK) {
        return true;
    } else {
        *hdr_at(next) |= F_PREV_FREE;
    }
    *hdr_at(blk) = (hdr & ~SIZE_MASK) | s;
    put_free(t, blk + s, rest, hdr & REGION_MASK);
    return true;
}

/* ---- pointer validation ----------------------------------------------- */

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
    uintptr_t a = (uintptr_t)ptr;
    for (unsigned i = 0; i < heap->region_count; i++) {
        const region_t *r = &heap->regions[i];
        if (a >= (uintptr_t)r->first && a < (uintptr_t)r->end + WORD_BYTES)
            return true;
    }
    return false;
}

/* Slow path for a pointer that is no block: inside a region or not? */
static capheap_err_t misplaced(const capheap_heap_t *h, const void *ptr) {
    return capheap_heap_contains(h, ptr) ? CAPHEAP_ERR_NOT_BLOCK
                                         : CAPHEAP_ERR_FOREIGN_POINTER;
}

/* Checks I1 and I2 on the block at @p ptr, reading nothing outside regions
 * other than the word before a pointer between h->lo and h->hi. */
HOT_INLINE capheap_err_t find_live(const capheap_heap_t *h, const void *ptr,
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
    if ((nh & (REGION_MASK | F_PREV_FREE)) != (hdr & REGION_MASK))
        return CAPHEAP_ERR_NOT_BLOCK;
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

/* ---- debug words around the public API ------------------------------- */

/*
 * With poisoning or owners, a block handed out gets its canaries (and,
 * comprehensive, is first checked for writes made while it was free) and is
 * counted for its requested size and its owner; a block taken back has its
 * canaries checked and is uncounted. A fault lands in *bad, reported once
 * the lock is released. With both options 0 all of it folds away.
 */
static inline void *hand_out(capheap_heap_t *heap, void *p, size_t n,
                             capheap_check_report_t *bad) {
    if (p) {
        char *blk = block_of(p);
        tagctl_t *t = heap->regions[hdr_region(*hdr_at(blk))].ctl;
#if CAPHEAP_POISONING >= 2
        poison_check_fill(p, blk + hdr_size(*hdr_at(blk)) - WORD_BYTES,
                          FREE_FILL, bad);
#else
        (void)bad;
#endif
        poison_live(blk, n);
        poison_count(t, blk, 1);
        owner_claim(heap, t, blk);
    }
    (void)heap;
    (void)n;
    return p;
}

/** Uncount the live block @p blk of tag @p t: it is freed or resized. */
static inline void take_back(capheap_heap_t *heap, tagctl_t *t, char *blk) {
    owner_drop(heap, t, blk);
    poison_count(t, blk, 0);
}

/** find_live(), then the canaries: a block that may be freed or resized. */
HOT_INLINE capheap_err_t find_intact(const capheap_heap_t *heap,
                                     const void *ptr, char **blk, tagctl_t **t,
                                     capheap_check_report_t *bad) {
    capheap_err_t err = find_live(heap, ptr, blk, t);
    if (err == CAPHEAP_OK && poison_check_live(*blk, bad))
        err = CAPHEAP_ERR_CORRUPT; /* keep the evidence: change nothing */
    return err;
}

/** Report what went wrong, once the lock is released: a corruption found
 * by poisoning with its details, else bad input. */
static inline void report(capheap_err_t err, const capheap_check_report_t *bad,
                          const void *ptr, const char *op) {
    if (bad->error) {
        /* A broken link is named by the free block that holds it. */
        capheap_report_corruption(
            bad, bad->fault == CAPHEAP_FAULT_LINK ? bad->addr : ptr, op);
        return;
    }
    if (err != CAPHEAP_OK)
        capheap_report_error(err, ptr, op);
}

/* ---- public allocation API -------------------------------------------- */

/** Allocate a block of @p s bytes from @p tag (lock held). */
HOT_INLINE void *alloc_tag(capheap_heap_t *heap, unsigned tag, size_t s,
                           capheap_check_report_t *bad) {
    tagctl_t *t = tag < heap->tag_cap ? heap_tags(heap)[tag] : NULL;
    size_t b;
    char *blk = t ? find_fit(t, s, &b, bad) : NULL;
    return blk ? take(t, blk, b, s, bad) : NULL;
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

void *capheap_heap_alloc(capheap_heap_t *heap, unsigned tag, size_t size) {
    size_t s = block_size_for(size);
    if (!s)
        return NULL;
    capheap_check_report_t bad = {0};
    heap_lock(heap);
    void *p = hand_out(heap, alloc_tag(heap, tag, s, &bad), size, &bad);
    heap_unlock(heap);
    report(CAPHEAP_OK, &bad, p, "alloc");
    SAN_ALLOCED(p, size);
    return p;
}

void *capheap_heap_alloc_from(capheap_heap_t *heap, const uint8_t *tags,
                              unsigned count, size_t size) {
    size_t s = block_size_for(size);
    if (!s || count == 0)
        return NULL;
    capheap_check_report_t bad = {0};
    heap_lock(heap);
    void *p = alloc_tag(heap, tags[0], s, &bad);
    if (!p && count > 1 && !bad.error)
        p = alloc_rest(heap, tags, count, s, &bad);
    p = hand_out(heap, p, size, &bad);
    heap_unlock(heap);
    report(CAPHEAP_OK, &bad, p, "alloc");
    SAN_ALLOCED(p, size);
    return p;
}

/* Carve @p s bytes at an @p alignment boundary out of a free block of at
 * least s + MIN_BLOCK + alignment - ALIGN bytes; the head gap (0 or at least
 * MIN_BLOCK) and the tail go back to the lists. */
static void *take_aligned(tagctl_t *t, char *blk, size_t s, size_t alignment) {
    word_t rbits = *hdr_at(blk) & REGION_MASK;
    size_t size = unlist(t, blk);
    uintptr_t p = (uintptr_t)payload_of(blk);
    uintptr_t q = (p + alignment - 1) & ~(uintptr_t)(alignment - 1);
    if (q != p && q - p < MIN_BLOCK)
        q = (p + MIN_BLOCK + alignment - 1) & ~(uintptr_t)(alignment - 1);
    size_t gap = (size_t)(q - p);
    word_t prev_flag = 0;
    if (gap) {
        put_free(t, blk, gap, rbits);
        blk += gap;
        size -= gap;
        prev_flag = F_PREV_FREE;
    }
    *hdr_at(blk) = rbits | size | prev_flag;
    *hdr_at(blk + size) &= ~F_PREV_FREE;
    t->used_count++;
    /* The successor of what was a free block is live, so nothing is
     * unlisted; were it not, trim() would check it and leave the block. */
    capheap_check_report_t ignored = {0};
    (void)trim(t, blk, s, &ignored);
    note_min_free(t);
    return payload_of(blk);
}

void *capheap_heap_aligned_alloc(capheap_heap_t *heap, unsigned tag,
                                 size_t alignment, size_t size) {
    if (alignment == 0 || (alignment & (alignment - 1)) != 0)
        return NULL;
    if (alignment <= ALIGN)
        return capheap_heap_alloc(heap, tag, size);
    size_t s = block_size_for(size);
    if (!s || tag >= heap->tag_cap || alignment > MAX_BLOCK ||
        s > MAX_BLOCK - alignment - MIN_BLOCK)
        return NULL;
    void *p = NULL;
    capheap_check_report_t bad = {0};
    heap_lock(heap);
    tagctl_t *t = heap_tags(heap)[tag];
    if (t) {
        size_t b;
        char *blk = find_fit(t, s + MIN_BLOCK + alignment - ALIGN, &b, &bad);
        if (blk && links_ok(t, (node_t *)(void *)blk, &bad))
            p = hand_out(heap, take_aligned(t, blk, s, alignment), size, &bad);
    }
    heap_unlock(heap);
    report(CAPHEAP_OK, &bad, p, "aligned_alloc");
    SAN_ALLOCED(p, size);
    return p;
}

/* Free @p ptr, naming @p op in a report. */
static void free_as(capheap_heap_t *heap, void *ptr, const char *op) {
    char *blk;
    tagctl_t *t;
    capheap_check_report_t bad = {0};
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
    report(err, &bad, ptr, op);
}

void capheap_heap_free(capheap_heap_t *heap, void *ptr) {
    if (ptr)
        free_as(heap, ptr, "free");
}

/** Grow the live block @p blk to @p s bytes into a free successor; false
 * if it has none large enough, or (with @p bad) its links are broken. */
static bool grow(tagctl_t *t, char *blk, size_t s,
                 capheap_check_report_t *bad) {
    word_t hdr = *hdr_at(blk);
    char *next = blk + hdr_size(hdr);
    word_t nh = *hdr_at(next);
    if (!(nh & F_FREE) || hdr_size(hdr) + hdr_size(nh) < s ||
        !listed_ok(t, (node_t *)(void *)next, bad))
        return false;
    size_t total = hdr_size(hdr) + unlist(t, next);
    *hdr_at(blk) = (hdr & ~SIZE_MASK) | total;
    *hdr_at(blk + total) &= ~F_PREV_FREE;
    /* The successor of what was a free block is live, so nothing is
     * unlisted; were it not, trim() would check it and leave the block. */
    capheap_check_report_t ignored = {0};
    (void)trim(t, blk, s, &ignored);
    note_min_free(t);
    return true;
}

void *capheap_heap_realloc(capheap_heap_t *heap, void *ptr, size_t size) {
    if (!ptr)
        return NULL;
    if (size == 0) {
        free_as(heap, ptr, "realloc");
        return NULL;
    }
    size_t s = block_size_for(size);
    char *blk;
    tagctl_t *t;
    void *res = NULL;
    capheap_check_report_t bad = {0};
    heap_lock(heap);
    capheap_err_t err = find_intact(heap, ptr, &blk, &t, &bad);
    if (err == CAPHEAP_OK && s) {
        size_t old = hdr_size(*hdr_at(blk));
        size_t keep = live_bytes(blk);
        res = ptr;
        take_back(heap, t, blk);
        /* Comprehensive poisoning always moves, so a stale pointer to the
         * old block reads the free fill. */
        bool in_place = false;
        if (CAPHEAP_POISONING < 2)
            in_place = s <= old ? trim(t, blk, s, &bad) : grow(t, blk, s, &bad);
        if (in_place) {
            hand_out(heap, res, size, &bad);
        } else {
            /* The old block's neighbours are checked before anything moves:
             * what the move itself changes keeps them consistent. */
            size_t b;
            char *nb = bad.error || !release_ok(t, blk, &bad)
                           ? NULL
                           : find_fit(t, s, &b, &bad);
            res =
                hand_out(heap, nb ? take(t, nb, b, s, &bad) : NULL, size, &bad);
            if (res) {
                keep = keep < size ? keep : size;
                SAN_REALLOC_COPY(res, size, ptr, old - HDR_BYTES);
                memcpy(res, ptr, keep);
                release(t, blk);
            } else {
                owner_restore(heap, t, blk);
                poison_count(t, blk, 1);
            }
        }
        SAN_REALLOCED(ptr, res, old - HDR_BYTES, size);
    }
    heap_unlock(heap);
    report(err, &bad, ptr, "realloc");
    return res;
}

size_t capheap_heap_usable_size(capheap_heap_t *heap, const void *ptr) {
    if (!ptr)
        return 0;
    char *blk;
    tagctl_t *t;
    size_t n = 0;
    capheap_check_report_t bad = {0};
    heap_lock(heap);
    capheap_err_t err = find_intact(heap, ptr, &blk, &t, &bad);
    if (err == CAPHEAP_OK)
        n = SAN_USABLE(ptr, live_bytes(blk));
    heap_unlock(heap);
    report(err, &bad, ptr, "usable_size");
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
    capheap_check_report_t bad = {0};
    heap_lock(heap);
    capheap_err_t err = find_intact(heap, ptr, &blk, &t, &bad);
    uintptr_t owner = err == CAPHEAP_OK ? *owner_word(blk) : 0;
    heap_unlock(heap);
    report(err, &bad, ptr, "block_owner");
    return owner;
}
#endif

/* ---- regions ---------------------------------------------------------- */

static size_t ctl_bytes(size_t nbins) {
    return sizeof(tagctl_t) + bitmap_words(nbins) * sizeof(word_t) +
           nbins * sizeof(node_t *);
}

static void ctl_init(tagctl_t *t, const capheap_heap_t *h, unsigned tag,
                     size_t nbins) {
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
    for (size_t b = 0; b < nbins; b++)
        link_set(t, &t->heads[b], NULL);
#endif
}

/** Move the counters and lists of @p old into the larger @p t. */
static void ctl_migrate(const tagctl_t *old, tagctl_t *t) {
    memcpy(&t->total, &old->total,
           offsetof(tagctl_t, heads) - offsetof(tagctl_t, total));
    for (size_t b = 0; b < old->nbins; b++) {
        node_t *n = link_get(old, &old->heads[b]);
        if (n) {
            link_set(t, &t->heads[b], n);
            back_set(t, n, &t->heads[b]);
            bin_mark(t, b);
        }
    }
}

/* Whether the control block of @p old may be freed into its tag: unlike a
 * block given to free(), nothing has checked the block before it yet. */
static bool ctl_release_ok(const tagctl_t *old, capheap_check_report_t *bad) {
    const char *blk = block_of(old);
    if (*hdr_at(blk) & F_PREV_FREE) {
        const node_t *prev =
            (const node_t *)(const void *)(blk - prev_footer(blk));
        if (!block_usable(old, prev) || hdr_size(prev->hdr) != prev_footer(blk))
            return link_fault(bad, prev, prev, NULL);
    }
    return release_ok(old, blk, bad);
}

/* Whether [a, limit) overlaps the heap object or a region, other than by
 * lying inside the payload of one of its live blocks (a nested region). */
static bool overlaps(const capheap_heap_t *h, uintptr_t a, uintptr_t limit) {
    uintptr_t hs = (uintptr_t)h;
    if (a < hs + CAPHEAP_HEAP_STORAGE_SIZE(h->region_cap, h->tag_cap) &&
        limit > hs)
        return true;
    for (unsigned i = 0; i < h->region_count; i++) {
        const region_t *r = &h->regions[i];
        if (a >= (uintptr_t)r->end + WORD_BYTES || limit <= (uintptr_t)r->first)
            continue;
        char *blk = r->first;
        while (blk < r->end && a >= (uintptr_t)blk + hdr_size(*hdr_at(blk)))
            blk += hdr_size(*hdr_at(blk));
        if (blk >= r->end || (*hdr_at(blk) & (F_FREE | F_CONTROL)) ||
            a < (uintptr_t)payload_of(blk) ||
            limit > (uintptr_t)payload_of(blk) + live_bytes(blk))
            return true;
    }
    return false;
}

capheap_err_t capheap_heap_add_region(capheap_heap_t *heap, void *start,
                                      size_t size, unsigned tag) {
    uintptr_t a = (uintptr_t)start;
    if (!heap || !start || size == 0 || tag >= heap->tag_cap ||
        size > UINTPTR_MAX - a)
        return CAPHEAP_ERR_INVALID_ARG;
    if (size < MIN_BLOCK + 2 * ALIGN + WORD_BYTES)
        return CAPHEAP_ERR_TOO_SMALL;
    /* Block headers sit at -HDR_BYTES mod ALIGN; the end marker needs a
     * word. */
    char *first = (char *)(ROUND_UP(a + HDR_BYTES, ALIGN) - HDR_BYTES);
    char *endm = (char *)(((a + size - WORD_BYTES + HDR_BYTES) &
                           ~(uintptr_t)(ALIGN - 1)) -
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
    capheap_err_t err = CAPHEAP_OK;
    capheap_check_report_t bad = {0};
    if (overlaps(heap, a, a + size))
        err = CAPHEAP_ERR_OVERLAP;
    else if (heap->region_count == heap->region_cap)
        err = CAPHEAP_ERR_NO_SLOT;
    else if (span < ctl_block + MIN_BLOCK)
        err = CAPHEAP_ERR_TOO_SMALL;
    else if (old && ctl_block && !ctl_release_ok(old, &bad))
        err = CAPHEAP_ERR_CORRUPT; /* the old control block cannot merge */
    if (err) {
        heap_unlock(heap);
        return err;
    }

    if (capheap_heap_contains(heap, start))
        heap->nested = 1; /* find_live() must look for the innermost */
    unsigned r = heap->region_count++;
    word_t rbits = (word_t)r << REGION_SHIFT;
    size_t free_before = old ? old->free_bytes : 0;
    if (ctl_block) {
        *hdr_at(first) = rbits | ctl_block | F_CONTROL;
        t = (tagctl_t *)(void *)payload_of(first);
        ctl_init(t, heap, tag, nbins);
        if (old)
            ctl_migrate(old, t);
    }
    put_free(t, first + ctl_block, span - ctl_block, rbits);
    *hdr_at(endm) = rbits | F_PREV_FREE;
    t->block_bytes += span - ctl_block;
    t->total += size;
    heap->regions[r] = (region_t){first, endm, t};
    if (!heap->lo || first < heap->lo)
        heap->lo = first;
    if (endm > heap->hi)
        heap->hi = endm;
    if (t != old && old) {
        for (unsigned i = 0; i < r; i++) {
            if (heap->regions[i].ctl == old)
                heap->regions[i].ctl = t;
        }
        /* The old control block becomes an ordinary free block. Its
         * counters are wiped first: left in free memory, one could read as
         * a block header to a stale pointer's free or realloc. */
        char *oblk = block_of(old);
        memset(old, 0, ctl_bytes(old->nbins));
        *hdr_at(oblk) &= ~F_CONTROL;
        t->block_bytes += hdr_size(*hdr_at(oblk));
        t->used_count++;
        release(t, oblk);
    }
    tags[tag] = t;
    t->min_free += t->free_bytes - free_before;
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
    out->start = r->first;
    out->end = r->end + WORD_BYTES;
    SAN_CORE_ENTER(); /* the control block is not the program's */
    out->tag = r->ctl->id;
    SAN_CORE_LEAVE();
    return CAPHEAP_OK;
}
