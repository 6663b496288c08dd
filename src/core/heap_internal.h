/*
 * heap_internal.h - the heap object, a tag's control block, the lock, the
 * core's assertion and its error reports. docs/architecture.md has the
 * glossary and walks the alloc and free paths.
 *
 * Invariants (capheap_heap_check() verifies all of them; free checks the ones
 * marked * on the block it is given):
 *   I1* a block's size is a multiple of A, at least MIN_BLOCK, and the block
 *       lies inside the region named by its header.
 *   I2* PREV_FREE of a block equals FREE of its physical predecessor; the
 *       first block of a region has it clear.
 *   I3  no two physically adjacent blocks are both free.
 *   I4  a free block's footer equals its size.
 *   I5  every free block is on exactly one list, that of bin_of(size) of its
 *       region's tag; a bin's bitmap bit is set iff its list is non-empty.
 *   I6  a tag's counters equal the sums over its blocks.
 *   I7  each region ends with an end marker.
 *   I8* a listed block's back link names the slot that points at it, and
 *       its successor's back link names its `next` (checked, with the link
 *       reads kept inside the heap's span, before any unlink: hardening).
 */
#ifndef CAPHEAP_CORE_HEAP_INTERNAL_H
#define CAPHEAP_CORE_HEAP_INTERNAL_H

#include "capheap/port.h"

#include "block.h"
#include "sanitize.h"
#include "size_class.h"

/* The hot paths are inlined into the public functions when optimising for
 * speed; at -Os the compiler keeps one copy of each. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(__OPTIMIZE_SIZE__)
#define HOT_INLINE static inline __attribute__((always_inline))
#else
#define HOT_INLINE static inline
#endif

/*
 * HEAP_ASSERT states an invariant where the code relies on it. With
 * CAPHEAP_ASSERT set (the test builds set it) a false one reports
 * CAPHEAP_ERR_CORRUPT naming the line and stops: it means a capheap bug,
 * as bad input is caught before any state changes. Otherwise it costs
 * nothing.
 */
#if CAPHEAP_ASSERT
void capheap_assert_failed(const char *what, unsigned line);
#define HEAP_ASSERT(c) ((c) ? (void)0 : capheap_assert_failed(#c, __LINE__))
#else
#define HEAP_ASSERT(c) ((void)0)
#endif

/** A free block, seen from its header. */
typedef struct node {
    word_t hdr;
    struct node *next;
    struct node **pprev;
} node_t;

/** A tag's control block payload: counters, bitmap, list heads. */
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
    size_t free_bytes;  /* sum of the usable sizes of free blocks */
    size_t free_count;  /* free blocks */
    size_t used_count;  /* live blocks, control blocks excluded */
    size_t min_free;    /* lowest usable free bytes since reset */
#if CAPHEAP_POISONING
    size_t requested; /* sum of the requested sizes of live blocks */
#endif
    node_t **heads;  /* nbins list heads, after bitmap[] */
    word_t bitmap[]; /* bit b: heads[b] != NULL */
} tagctl_t;

/** What the caller may use of the tag's free blocks: the statistics' free
 * bytes. */
static inline size_t tag_free_bytes(const tagctl_t *t) {
    return t->free_bytes;
}

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
    uint8_t nested;   /* a region lies inside a live block of another */
    uint8_t tag_last; /* the highest tag: tags[0 .. tag_last] */
    tagctl_t **tags;  /* after regions[]: kept to spare allocation a multiply */
#if CAPHEAP_MANGLE
    word_t secret;
#endif
    /* region_cap slots, then two edge bytes per slot (region_edges()), then
     * the tags' control pointers */
    region_t regions[];
};

/** The tags' control pointers (NULL: the tag has no region yet). */
static inline tagctl_t **heap_tags(const capheap_heap_t *h) {
    return h->tags;
}

/** Where the heap keeps region @p r's edges, given its tags' pointers
 * (heap_tags()): [0] the low byte of the start given to add_region, [1] that
 * of the end given. Each lies less than ALIGN (at most 256) bytes from the
 * region's used range, so the byte tells the address. They sit just below
 * the tags' pointers, region 0's last, where add_region reaches them from
 * the pointer it holds anyway. */
static inline uint8_t *region_edges(tagctl_t *const *tags, unsigned r) {
    return (uint8_t *)(uintptr_t)tags - 2 * (r + 1);
}

/** How many tags the heap was made for. */
static inline unsigned heap_tag_cap(const capheap_heap_t *h) {
    return h->tag_last + 1u;
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

/** The block after @p blk in @p reg, or NULL where @p blk's size breaks I1
 * (below MIN_BLOCK, or past the region's end): every walk over a region's
 * blocks steps with it, so none loops or leaves the region on a damaged
 * header. */
static inline char *block_next(const region_t *reg, const char *blk) {
    size_t size = hdr_size(*hdr_at(blk));
    return size >= MIN_BLOCK && size <= (size_t)(reg->end - blk)
               ? (char *)(uintptr_t)blk + size
               : NULL;
}

/** The first of I1-I4 that block @p blk of region @p r breaks, given
 * whether the block before it is free (@p prev_free), or
 * CAPHEAP_FAULT_NONE: the per-block check of the walker and of the full and
 * incremental checks (check.c). Reads only inside the region. */
capheap_fault_t block_fault(const capheap_heap_t *h, unsigned r,
                            const char *blk, word_t prev_free);

/** Report a corruption through the error hook, keeping @p rep for
 * capheap_error_detail() (error.c). */
void capheap_report_corruption(const capheap_check_report_t *rep,
                               const void *ptr, const char *op);

#endif /* CAPHEAP_CORE_HEAP_INTERNAL_H */
