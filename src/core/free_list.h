/*
 * free_list.h - a tag's free lists: one doubly linked list per size class,
 * a bitmap of the non-empty ones, and the checks a link must pass before it
 * is followed or written through (CAPHEAP_HARDEN).
 *
 * Subtleties:
 * - `pprev` points at whatever points at the block: the class's head slot
 *   or the `next` field of the block before it on the list. Unlinking needs
 *   no size class; the class is computed, from the head slot's address, only
 *   when a list becomes empty and its bitmap bit must be cleared.
 * - With CAPHEAP_MANGLE every link word (heads, `next`, `pprev`) is stored
 *   XORed with the tag's copy of the heap's secret, so an empty head holds
 *   the key, not 0. Only link_get/link_set/back_get/back_set touch them.
 */
#ifndef CAPHEAP_CORE_FREE_LIST_H
#define CAPHEAP_CORE_FREE_LIST_H

#include "heap_internal.h"

/* ---- the bitmap of non-empty classes ---------------------------------- */

static inline void bin_mark(tagctl_t *t, size_t b) {
    t->bitmap[b / WORD_BITS] |= (word_t)1 << (b % WORD_BITS);
}

static inline void bin_unmark(tagctl_t *t, size_t b) {
    t->bitmap[b / WORD_BITS] &= ~((word_t)1 << (b % WORD_BITS));
}

/** First non-empty class >= @p b, or t->nbins if none. At most
 * bitmap_words(nbins) words are read: 2 for any 32-bit heap. */
HOT_INLINE size_t bin_search(const tagctl_t *t, size_t b) {
    size_t w = b / WORD_BITS, words = bitmap_words(t->nbins);
    word_t m = w < words ? t->bitmap[w] & (~(word_t)0 << (b % WORD_BITS)) : 0;
    while (!m) {
        if (++w >= words)
            return t->nbins;
        m = t->bitmap[w];
    }
    return w * WORD_BITS + bit_ctz(m);
}

/* ---- links -------------------------------------------------------------- */

static inline word_t link_key(const tagctl_t *t) {
#if CAPHEAP_MANGLE
    return t->key;
#else
    (void)t;
    return 0;
#endif
}
static inline node_t *link_get(const tagctl_t *t, node_t *const *slot) {
    return (node_t *)((word_t)*slot ^ link_key(t));
}
static inline void link_set(const tagctl_t *t, node_t **slot, node_t *v) {
    *slot = (node_t *)((word_t)v ^ link_key(t));
}
static inline node_t **back_get(const tagctl_t *t, const node_t *n) {
    return (node_t **)((word_t)n->pprev ^ link_key(t));
}
static inline void back_set(const tagctl_t *t, node_t *n, node_t **v) {
    n->pprev = (node_t **)((word_t)v ^ link_key(t));
}

/** Put @p n at the head of class @p b's list. */
HOT_INLINE void list_push(tagctl_t *t, node_t *n, size_t b) {
    HEAP_ASSERT(b < t->nbins);
    node_t *head = link_get(t, &t->heads[b]);
    link_set(t, &n->next, head);
    back_set(t, n, &t->heads[b]);
    if (head)
        back_set(t, head, &n->next);
    else
        bin_mark(t, b);
    link_set(t, &t->heads[b], n);
}

/** Take @p n off its list; its links must have passed links_ok(). */
HOT_INLINE void list_unlink(tagctl_t *t, node_t *n) {
    node_t *next = link_get(t, &n->next);
    node_t **pprev = back_get(t, n);
    link_set(t, pprev, next);
    if (next) {
        back_set(t, next, pprev);
    } else {
        size_t off = (size_t)((uintptr_t)pprev - (uintptr_t)t->heads);
        if (off < t->nbins * sizeof(node_t *))
            bin_unmark(t, off / sizeof(node_t *));
    }
}

/* ---- hardening (CAPHEAP_HARDEN) ----------------------------------------- */

/*
 * A link read from a free block is data a program may have written after
 * freeing the block. Before one is followed or written through, these
 * prove it names a free block of the tag: a block header inside the heap's
 * span (nothing outside [lo, hi] is read), in a region of the tag, free,
 * with its footer and its successor's PREV_FREE agreeing, and for unlinking,
 * with both neighbours pointing back at it. Mangling makes a forged link
 * that passes them need the secret.
 */

/** The heap's span [lo, lo + len), read once by a search that follows
 * several links. */
typedef struct {
    uintptr_t lo, len;
} span_t;

HOT_INLINE span_t heap_span(const tagctl_t *t) {
#if CAPHEAP_HARDEN
    const struct capheap_heap *h = t->heap;
    return (span_t){(uintptr_t)h->lo, (uintptr_t)h->hi - (uintptr_t)h->lo};
#else
    (void)t;
    return (span_t){0, 0};
#endif
}

/** Whether @p p may be read as a block header: inside the span and aligned
 * like one (always, without hardening). */
HOT_INLINE bool in_span(span_t sp, const void *p) {
#if CAPHEAP_HARDEN
    return (uintptr_t)p - sp.lo < sp.len && hdr_aligned(p);
#else
    (void)sp;
    (void)p;
    return true;
#endif
}

/** in_span() of the heap of tag @p t. */
HOT_INLINE bool link_in_span(const tagctl_t *t, const void *p) {
    return in_span(heap_span(t), p);
}

/** Fill @p bad with a link fault at free block @p n; returns false. */
static inline bool link_fault(capheap_check_report_t *bad, const node_t *n,
                              const void *expected, const void *found) {
    bad->error = CAPHEAP_ERR_CORRUPT;
    bad->fault = CAPHEAP_FAULT_LINK;
    bad->addr = payload_of((char *)(uintptr_t)n);
    bad->expected = (uintptr_t)expected;
    bad->found = (uintptr_t)found;
    return false;
}

#endif /* CAPHEAP_CORE_FREE_LIST_H */
