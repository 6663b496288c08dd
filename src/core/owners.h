/*
 * owners.h - per-owner accounting (CAPHEAP_OWNERS), inline in the core's
 * paths: the first prefix word of a live block holds its owner, and the
 * heap's owner table (after the tag slots in the heap object) keeps current
 * and peak usage per (owner, tag). With the option 0 all of it is empty.
 */
#ifndef CAPHEAP_CORE_OWNERS_H
#define CAPHEAP_CORE_OWNERS_H

#include "heap_internal.h"

#if CAPHEAP_OWNERS
_Static_assert(CAPHEAP_BLOCK_PREFIX_BYTES >= sizeof(word_t),
               "owners need a prefix word");

static inline uintptr_t *owner_word(const char *blk) {
    return (uintptr_t *)(void *)(uintptr_t)(blk + WORD_BYTES);
}

static inline capheap_owner_stats_t *heap_owners(const capheap_heap_t *h) {
    return (capheap_owner_stats_t *)(void *)(heap_tags(h) + heap_tag_cap(h));
}

/** Count a block of @p bytes for (@p owner, @p tag); returns the owner the
 * block must record (CAPHEAP_OWNER_OTHERS when the table is full). Lock
 * held; owners.c. */
uintptr_t owners_add(capheap_heap_t *h, uintptr_t owner, unsigned tag,
                     size_t bytes);
/** Uncount a block that recorded @p owner. */
void owners_sub(capheap_heap_t *h, uintptr_t owner, unsigned tag, size_t bytes);
/** Empty the table (capheap_heap_init). */
void owners_reset(capheap_heap_t *h);

#endif

/* Each takes the block's tag control @p t, which the caller has at hand. */

/** Count the live block @p blk of tag @p t for @p owner (lock held). */
static inline void owner_add(capheap_heap_t *h, const tagctl_t *t, char *blk,
                             uintptr_t owner) {
#if CAPHEAP_OWNERS
    *owner_word(blk) =
        owners_add(h, owner, t->id, hdr_size(*hdr_at(blk)) - HDR_BYTES);
#else
    (void)h;
    (void)t;
    (void)blk;
    (void)owner;
#endif
}

/** The live block @p blk now belongs to the caller (lock held). */
static inline void owner_claim(capheap_heap_t *h, const tagctl_t *t,
                               char *blk) {
#if CAPHEAP_OWNERS
    owner_add(h, t, blk, capheap_port_owner());
#else
    (void)h;
    (void)t;
    (void)blk;
#endif
}

/** Count @p blk again for the owner it records (a realloc that failed). */
static inline void owner_restore(capheap_heap_t *h, const tagctl_t *t,
                                 char *blk) {
#if CAPHEAP_OWNERS
    owner_add(h, t, blk, *owner_word(blk));
#else
    (void)h;
    (void)t;
    (void)blk;
#endif
}

/** Uncount the live block @p blk (lock held): before it is freed or
 * resized. */
static inline void owner_drop(capheap_heap_t *h, const tagctl_t *t,
                              const char *blk) {
#if CAPHEAP_OWNERS
    owners_sub(h, *owner_word(blk), t->id, hdr_size(*hdr_at(blk)) - HDR_BYTES);
#else
    (void)h;
    (void)t;
    (void)blk;
#endif
}

#endif /* CAPHEAP_CORE_OWNERS_H */
