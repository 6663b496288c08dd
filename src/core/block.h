/*
 * block.h - block layout, size classes and the heap's private structures.
 *
 * Layout (W = word = sizeof(uintptr_t), A = CAPHEAP_ALIGNMENT, P = prefix):
 *
 *   live block:  | hdr | prefix (P) | payload ........................ |
 *   free block:  | hdr | next | pprev | ...                     | size |
 *   region:      | pad | block | block | ... | block | end marker hdr |
 *                        ^ ^ block starts are = -(W+P) mod A, so payloads
 *                            are A-aligned and block sizes multiples of A.
 *
 *   hdr = region index << REGION_SHIFT | size | CONTROL | PREV_FREE | FREE
 *
 * Subtleties:
 * - The size of a free block is repeated in its last word, so the block after
 *   it can find its start; that word belongs to the payload of a live block.
 * - `pprev` points at whatever points at the block: the bin's head slot or
 *   the `next` field of the previous block. Unlinking needs no size class;
 *   the class is only computed, from the head slot's address, when a list
 *   becomes empty and its bitmap bit must be cleared.
 * - Freeing a block always sets FREE in its own header, even when it merges
 *   into the block before it, so freeing the same pointer again is seen as a
 *   double free while that memory is not reused.
 * - The end marker is a header of size 0 marked live: the last block's
 *   successor always exists and carries its PREV_FREE bit.
 * - A tag's bins live in a CONTROL block: a live block the caller never got.
 *
 * Invariants (capheap_heap_check() verifies all of them; free checks the ones
 * marked * on the block it is given):
 *   I1* a block's size is a multiple of A, at least MIN_BLOCK, and the block
 *       lies inside the region named by its header.
 *   I2* PREV_FREE of a block equals FREE of its physical predecessor; the
 *       first block of a region has it clear.
 *   I3  no two physically adjacent blocks are both free.
 *   I4  a free block's last word equals its size.
 *   I5  every free block is on exactly one list, that of bin_of(size) of its
 *       region's tag; a bin's bitmap bit is set iff its list is non-empty; a
 *       summary bit is set iff its bitmap word is non-zero.
 *   I6  a tag's counters equal the sums over its blocks.
 *   I7  each region ends with an end marker.
 *   I8* a listed block's back link names the slot that points at it, and
 *       its successor's back link names its `next` (checked, with the link
 *       reads kept inside the heap's span, before any unlink: hardening).
 */
#ifndef CAPHEAP_CORE_BLOCK_H
#define CAPHEAP_CORE_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capheap/heap.h"
#include "capheap/port.h"
#include "sanitize.h"

typedef uintptr_t word_t;

/* The hot paths are inlined into the public functions when optimising for
 * speed; at -Os the compiler keeps one copy. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(__OPTIMIZE_SIZE__)
#define HOT_INLINE static inline __attribute__((always_inline))
#else
#define HOT_INLINE static inline
#endif

#define WORD_BYTES     sizeof(word_t)
#define WORD_BITS      (8u * sizeof(word_t))
#define ALIGN          ((size_t)CAPHEAP_ALIGNMENT)
#define HDR_BYTES      (WORD_BYTES + (size_t)CAPHEAP_BLOCK_PREFIX_BYTES)
#define ROUND_UP(x, a) (((x) + ((a)-1)) & ~(size_t)((a)-1))
#define MIN_BLOCK                                                              \
    ROUND_UP((4 * WORD_BYTES > HDR_BYTES + WORD_BYTES                          \
                  ? 4 * WORD_BYTES                                             \
                  : HDR_BYTES + WORD_BYTES),                                   \
             ALIGN)

#define F_FREE       ((word_t)1)
#define F_PREV_FREE  ((word_t)2)
#define F_CONTROL    ((word_t)4)
#define REGION_SHIFT (WORD_BITS - CAPHEAP_REGION_BITS)
#define REGION_MASK  (~(word_t)0 << REGION_SHIFT)
#define SIZE_MASK    (~REGION_MASK & ~(word_t)(ALIGN - 1))
/** Largest block a header can describe. */
#define MAX_BLOCK ((size_t)SIZE_MASK)
#define SL_COUNT  ((size_t)1 << CAPHEAP_SL_LOG2)

_Static_assert((ALIGN & (ALIGN - 1)) == 0, "alignment is a power of two");
_Static_assert(ALIGN >= 8 && ALIGN >= 2 * sizeof(void *),
               "alignment at least 8 and two pointers");
_Static_assert(ALIGN >= _Alignof(max_align_t), "alignment >= max_align_t");
_Static_assert(CAPHEAP_BLOCK_PREFIX_BYTES % sizeof(word_t) == 0,
               "prefix is whole words");
_Static_assert(CAPHEAP_REGION_BITS >= 1 && CAPHEAP_REGION_BITS <= 16,
               "region bits");
_Static_assert(sizeof(void *) == sizeof(word_t), "flat address space");

/** A free block, seen from its header. */
typedef struct node {
    word_t hdr;
    struct node *next;
    struct node **pprev;
} node_t;

/** A tag's control block payload: counters, bitmaps, list heads. */
typedef struct tagctl {
    uint16_t id;    /* the tag */
    uint16_t nbins; /* size classes 0 .. nbins-1 */
#if CAPHEAP_HARDEN
    const struct capheap_heap *heap; /* whose regions links must stay in */
#endif
#if CAPHEAP_MANGLE
    word_t key; /* the heap's secret: links are stored XORed with it */
#endif
    size_t total;       /* sum of region sizes as given */
    size_t block_bytes; /* sum of block sizes, control blocks excluded */
    size_t free_bytes;  /* sum of usable sizes of free blocks */
    size_t free_count;  /* free blocks */
    size_t used_count;  /* live blocks, control blocks excluded */
    size_t min_free;    /* lowest free bytes since reset */
#if CAPHEAP_POISONING
    size_t requested; /* sum of the requested sizes of live blocks */
#endif
    node_t **heads;  /* nbins list heads, after bitmap[] */
    word_t summary;  /* bit w: bitmap[w] != 0 */
    word_t bitmap[]; /* bit b: heads[b] != NULL */
} tagctl_t;

/** A region slot of the heap object. */
typedef struct region {
    char *first;   /* header of the first block */
    char *end;     /* the end marker's header */
    tagctl_t *ctl; /* the tag's control */
} region_t;

/** The heap object (storage given by the caller). */
struct capheap_heap {
    void *lock;
    char *lo; /* lowest first block of any region */
    char *hi; /* highest end marker of any region */
    uint8_t region_count;
    uint8_t region_cap;
    uint8_t nested; /* a region lies inside a live block of another */
    uint16_t tag_cap;
#if CAPHEAP_MANGLE
    word_t secret;
#endif
    region_t regions[]; /* region_cap slots, then tag_cap tagctl_t pointers */
};

static inline tagctl_t **heap_tags(const capheap_heap_t *h) {
    return (tagctl_t **)(void *)((char *)(uintptr_t)h->regions +
                                 h->region_cap * sizeof(region_t));
}

/* The lock brackets every access to blocks, so it also hides the core's own
 * accesses to its metadata from Valgrind (sanitize.h). */
static inline void heap_lock(const capheap_heap_t *h) {
    SAN_CORE_ENTER();
    if (h->lock)
        capheap_port_lock(h->lock);
}

static inline void heap_unlock(const capheap_heap_t *h) {
    if (h->lock)
        capheap_port_unlock(h->lock);
    SAN_CORE_LEAVE();
}

/** The region whose blocks hold address @p a, or NULL. Regions nest only
 * inside live blocks, so the innermost is the one that starts last.
 * O(regions): the hot paths ask only in a heap with nested regions. */
const region_t *region_holding(const capheap_heap_t *h, uintptr_t a);

/** Report a corruption found by poisoning through the error hook, keeping
 * @p rep for capheap_error_detail() (error.c). */
void capheap_report_corruption(const capheap_check_report_t *rep,
                               const void *ptr, const char *op);

/* ---- headers ---------------------------------------------------------- */

static inline word_t *hdr_at(const char *blk) {
    return (word_t *)(void *)(uintptr_t)blk;
}
static inline size_t hdr_size(word_t hdr) {
    return (size_t)(hdr & SIZE_MASK);
}
static inline unsigned hdr_region(word_t hdr) {
    return (unsigned)(hdr >> REGION_SHIFT);
}
/** Size stored in the last word of the free block that ends at @p blk. */
static inline size_t prev_footer(const char *blk) {
    return (size_t)((const word_t *)(const void *)blk)[-1];
}
static inline void set_footer(char *blk, size_t size) {
    ((word_t *)(void *)(blk + size))[-1] = (word_t)size;
}
static inline char *payload_of(char *blk) {
    return blk + HDR_BYTES;
}
static inline char *block_of(const void *payload) {
    return (char *)(uintptr_t)payload - HDR_BYTES;
}

/* ---- bit scans -------------------------------------------------------- */

static inline unsigned bit_ctz(word_t x) { /* x != 0 */
#if CAPHEAP_USE_BUILTINS
#if UINTPTR_MAX > 0xFFFFFFFFu
    return (unsigned)__builtin_ctzll((unsigned long long)x);
#else
    return (unsigned)__builtin_ctzl((unsigned long)x);
#endif
#else
    unsigned n = 0;
    while (!(x & 1u)) {
        x >>= 1;
        n++;
    }
    return n;
#endif
}

static inline unsigned bit_log2(word_t x) { /* x != 0 */
#if CAPHEAP_USE_BUILTINS
#if UINTPTR_MAX > 0xFFFFFFFFu
    return 63u - (unsigned)__builtin_clzll((unsigned long long)x);
#else
    return 31u - (unsigned)__builtin_clzl((unsigned long)x);
#endif
#else
    unsigned n = 0;
    for (unsigned step = WORD_BITS / 2; step; step /= 2) {
        if (x >> step) {
            x >>= step;
            n += step;
        }
    }
    return n;
#endif
}

/* ---- size classes ----------------------------------------------------- */

/*
 * Class of a block size: sizes below 2*SL_COUNT units of A have one class
 * per unit; above, each power of two is cut into SL_COUNT equal classes.
 */
static inline size_t bin_of(size_t size) {
    size_t u = size / ALIGN;
    if (u < 2 * SL_COUNT)
        return u;
    unsigned shift = bit_log2(u) - CAPHEAP_SL_LOG2;
    return ((size_t)shift << CAPHEAP_SL_LOG2) + (u >> shift);
}

/** Smallest block size in class @p b. */
static inline size_t bin_floor(size_t b) {
    if (b < 2 * SL_COUNT)
        return b * ALIGN;
    size_t shift = (b >> CAPHEAP_SL_LOG2) - 1;
    return ((SL_COUNT + (b & (SL_COUNT - 1))) << shift) * ALIGN;
}

/* ---- bins ------------------------------------------------------------- */

static inline void bin_mark(tagctl_t *t, size_t b) {
    t->bitmap[b / WORD_BITS] |= (word_t)1 << (b % WORD_BITS);
    t->summary |= (word_t)1 << (b / WORD_BITS);
}

static inline void bin_unmark(tagctl_t *t, size_t b) {
    size_t w = b / WORD_BITS;
    t->bitmap[w] &= ~((word_t)1 << (b % WORD_BITS));
    if (!t->bitmap[w])
        t->summary &= ~((word_t)1 << w);
}

/** First non-empty class >= @p b, or t->nbins if none. */
static inline size_t bin_search(const tagctl_t *t, size_t b) {
    if (b >= t->nbins)
        return t->nbins;
    size_t w = b / WORD_BITS;
    word_t m = t->bitmap[w] & (~(word_t)0 << (b % WORD_BITS));
    if (m)
        return w * WORD_BITS + bit_ctz(m);
    word_t s = t->summary & (~(word_t)1 << w);
    if (!s)
        return t->nbins;
    w = bit_ctz(s);
    return w * WORD_BITS + bit_ctz(t->bitmap[w]);
}

/* ---- links ------------------------------------------------------------ */

/*
 * Every link word (list heads, `next`, `pprev`) goes through these: with
 * CAPHEAP_MANGLE it is stored XORed with the tag's copy of the heap's
 * secret, so an empty head holds the key, not 0.
 */
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

static inline void list_push(tagctl_t *t, node_t *n, size_t b) {
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
static inline void list_unlink(tagctl_t *t, node_t *n) {
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

/** Whether @p m is a free block of tag @p t: the whole check. */
static inline bool free_block_ok(const tagctl_t *t, const node_t *m) {
#if CAPHEAP_HARDEN
    const struct capheap_heap *h = t->heap;
    const char *blk = (const char *)m;
    if (blk < h->lo || blk >= h->hi || (uintptr_t)payload_of((char *)m) % ALIGN)
        return false;
    word_t hdr = m->hdr;
    unsigned r = hdr_region(hdr);
    if (r >= h->region_count || !(hdr & F_FREE))
        return false;
    const region_t *reg = &h->regions[r];
    size_t size = hdr_size(hdr);
    if (reg->ctl != t || blk < reg->first || size < MIN_BLOCK ||
        size > (size_t)(reg->end - blk) || prev_footer(blk + size) != size ||
        (*hdr_at(blk + size) & (REGION_MASK | F_PREV_FREE | F_FREE)) !=
            ((hdr & REGION_MASK) | F_PREV_FREE))
        return false;
    return !h->nested || region_holding(h, (uintptr_t)blk) == reg;
#else
    (void)t;
    (void)m;
    return true;
#endif
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

/** Whether @p p may be read as a block header: inside the heap's span and
 * aligned like one. */
static inline bool link_in_span(const tagctl_t *t, const node_t *p) {
#if CAPHEAP_HARDEN
    const struct capheap_heap *h = t->heap;
    return (uintptr_t)p - (uintptr_t)h->lo <
               (uintptr_t)h->hi - (uintptr_t)h->lo &&
           (uintptr_t)payload_of((char *)(uintptr_t)p) % ALIGN == 0;
#else
    (void)t;
    (void)p;
    return true;
#endif
}

/** Whether @p m, a header inside the heap's span, may be carved or merged
 * as a free block: free, its size inside the span and repeated in its
 * footer, the block after it live and flagged PREV_FREE (level 1); the
 * whole free_block_ok() (level 2). */
static inline bool block_usable(const tagctl_t *t, const node_t *m) {
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
 * writes could hand one memory type's block to another's request. */
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
HOT_INLINE bool links_ok_at(const tagctl_t *t, const node_t *n,
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
    if (next && ((uintptr_t)next - lo >= span ||
                 (uintptr_t)payload_of((char *)next) % ALIGN ||
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

/** links_ok_at() for a block that may be anywhere on its list. */
HOT_INLINE bool links_ok(const tagctl_t *t, const node_t *n,
                         capheap_check_report_t *bad) {
    return links_ok_at(t, n, NULL, bad);
}

/** block_usable() and links_ok() for a block about to leave its list. */
static inline bool listed_ok(const tagctl_t *t, const node_t *n,
                             capheap_check_report_t *bad) {
    if (!block_usable(t, n))
        return link_fault(bad, n, n, NULL);
    return links_ok(t, n, bad);
}

/** Bitmap words for @p nbins classes. */
static inline size_t bitmap_words(size_t nbins) {
    return (nbins + WORD_BITS - 1) / WORD_BITS;
}

#endif /* CAPHEAP_CORE_BLOCK_H */
