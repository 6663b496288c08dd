/*
 * block.h - the block layout: what a header word holds and where a block's
 * parts lie. Nothing here knows about lists, tags or the heap object.
 *
 * Layout (W = word = sizeof(uintptr_t), A = CAPHEAP_ALIGNMENT, P = prefix):
 *
 *   live block:  | hdr | prefix (P) | payload ........................ |
 *   free block:  | hdr | next | pprev | ...                     | size |
 *   region:      | pad | block | block | ... | block | end marker hdr |
 *                        ^ block starts are = -(W+P) mod A, so payloads
 *                          are A-aligned and block sizes multiples of A.
 *
 *   hdr = region index << REGION_SHIFT | size | CONTROL | PREV_FREE | FREE
 *
 * Subtleties:
 * - The size of a free block is repeated in its last word (its footer), so
 *   the block after it can find its start; in a live block that word is
 *   payload.
 * - A block's size includes its header and prefix: a block of size s gives
 *   the caller s - HDR_BYTES bytes (its usable size).
 * - The end marker is a header of size 0 marked live: the last block's
 *   successor always exists and carries its PREV_FREE bit.
 * - A tag's bins live in a CONTROL block: a live block the caller never got.
 * - Freeing a block always sets FREE in its own header, even when it merges
 *   into the block before it, so freeing the same pointer again is seen as a
 *   double free while that memory is not reused.
 */
#ifndef CAPHEAP_CORE_BLOCK_H
#define CAPHEAP_CORE_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capheap/heap.h"

typedef uintptr_t word_t;

#define WORD_BYTES     sizeof(word_t)
#define WORD_BITS      (8u * sizeof(word_t))
#define ALIGN          ((size_t)CAPHEAP_ALIGNMENT)
#define HDR_BYTES      (WORD_BYTES + (size_t)CAPHEAP_BLOCK_PREFIX_BYTES)
#define ROUND_UP(x, a) (((x) + ((a)-1)) & ~(size_t)((a)-1))
/* Room for a free block's header, two links and footer. */
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

_Static_assert((ALIGN & (ALIGN - 1)) == 0, "alignment is a power of two");
_Static_assert(ALIGN >= 8 && ALIGN >= 2 * sizeof(void *),
               "alignment at least 8 and two pointers");
_Static_assert(ALIGN >= _Alignof(max_align_t), "alignment >= max_align_t");
_Static_assert(CAPHEAP_BLOCK_PREFIX_BYTES % sizeof(word_t) == 0,
               "prefix is whole words");
_Static_assert(CAPHEAP_REGION_BITS >= 1 && CAPHEAP_REGION_BITS <= 16,
               "region bits");
_Static_assert(sizeof(void *) == sizeof(word_t), "flat address space");

static inline word_t *hdr_at(const char *blk) {
    return (word_t *)(void *)(uintptr_t)blk;
}
static inline size_t hdr_size(word_t hdr) {
    return (size_t)(hdr & SIZE_MASK);
}
static inline unsigned hdr_region(word_t hdr) {
    return (unsigned)(hdr >> REGION_SHIFT);
}
/** Size stored in the footer of the free block that ends at @p blk. */
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
/** Whether @p p is where a block header may start: payloads are aligned. */
static inline bool hdr_aligned(const void *p) {
    return ((uintptr_t)p + HDR_BYTES) % ALIGN == 0;
}

#endif /* CAPHEAP_CORE_BLOCK_H */
