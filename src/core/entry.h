/*
 * entry.h - what every public allocation entry does around its block
 * operations: the request's block size, the debug words of a block handed
 * out or taken back, and the report made once the lock is released.
 */
#ifndef CAPHEAP_CORE_ENTRY_H
#define CAPHEAP_CORE_ENTRY_H

#include "block_ops.h"
#include "owners.h"

/** Block size for a request of @p n bytes, or 0 if none can hold it. */
static inline size_t block_size_for(size_t n) {
    if (n - 1 >= MAX_BLOCK - HDR_BYTES - TAIL_BYTES) /* n == 0 wraps */
        return 0;
    size_t s = ROUND_UP(n + HDR_BYTES + TAIL_BYTES, ALIGN);
    return s < MIN_BLOCK ? MIN_BLOCK : s;
}

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
        (void)t;
    }
    (void)heap;
    (void)n;
    return p;
}

/** Uncount the live block @p blk of tag @p t: it is freed or resized. */
static inline void take_back(capheap_heap_t *heap, tagctl_t *t, char *blk) {
    owner_drop(heap, t, blk);
    poison_count(t, blk, 0);
    (void)heap;
    (void)t;
    (void)blk;
}

/** Report what went wrong, once the lock is released: a corruption with
 * its details, else bad input (error.c: one copy for every entry). */
void capheap_core_report(capheap_err_t err, const capheap_check_report_t *bad,
                         const void *ptr, const char *op);

/** An allocation's report: a fault comes with a block handed out only
 * where hand_out() checks the free fill, so a successful allocation
 * otherwise skips the look. */
static inline void report_alloc(const capheap_check_report_t *bad,
                                const void *p, const char *op) {
    if (!p || CAPHEAP_POISONING >= 2)
        capheap_core_report(CAPHEAP_OK, bad, p, op);
}

/** Free @p ptr (not NULL), naming @p op in a report (free.c). */
void capheap_core_free_as(capheap_heap_t *heap, void *ptr, const char *op);

#endif /* CAPHEAP_CORE_ENTRY_H */
