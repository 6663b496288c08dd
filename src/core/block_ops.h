/*
 * block_ops.h - the named block operations every path is built from, and
 * the only places where a tag's block counters change (I6):
 *
 *   free_block_insert  a range becomes a listed free block
 *   free_block_remove  a free block leaves its list
 *   free_block_resize  a free block gives up its tail or takes in the
 *                      block after it, staying listed if its class stays
 *   live_block_make    a range becomes a live block
 *   live_block_trim    a live block gives its tail back (split)
 *   note_min_free      the low-water mark follows the free bytes
 *
 * and the steps of the paths built from them (docs/architecture.md):
 *
 *   find_fit, take                   allocation (alloc.c, realloc.c)
 *   find_live, find_intact           a pointer proved a live block
 *   release_ok, release              free: merge with free neighbours
 *   free_block_ok, links_ok_at,      hardening: a block or link may be
 *   removable                        trusted (free_list.h)
 *
 * Each operation keeps I2 (PREV_FREE of the next block) and I4 (footers)
 * itself; the callers keep I3 by merging first (free) or splitting only what
 * the free block had (alloc). All run with the heap's lock held, on blocks
 * whose headers and links were checked before the first write.
 *
 * Builds for speed inline every operation into the public functions (so
 * each path is one function with no calls). Builds for size
 * (CAPHEAP_CORE_OUTLINE, the default under -Os) keep one copy of each
 * operation that several paths call, in block_ops.c, under capheap_core_*
 * names (every core file must then be built with the same setting); those
 * with one caller (block_in_tag, misplaced, alloc_fit,
 * find_intact) are inline in every build.
 */
#ifndef CAPHEAP_CORE_BLOCK_OPS_H
#define CAPHEAP_CORE_BLOCK_OPS_H

#include "free_list.h"
#include "poison.h"

#ifndef CAPHEAP_CORE_OUTLINE
#ifdef __OPTIMIZE_SIZE__
#define CAPHEAP_CORE_OUTLINE 1
#else
#define CAPHEAP_CORE_OUTLINE 0
#endif
#endif

/** Make [blk, blk + size) a live block; @p bits are its region bits and
 * PREV_FREE if the block before it is free. The block after it learns that
 * its predecessor is live. */
HOT_INLINE void live_block_make(tagctl_t *t, char *blk, size_t size,
                                word_t bits) {
    HEAP_ASSERT(size >= MIN_BLOCK && size % ALIGN == 0);
    *hdr_at(blk) = bits | size;
    *hdr_at(blk + size) &= ~F_PREV_FREE;
    t->used_count++;
}

/** The free bytes may have fallen: the low-water mark follows. */
HOT_INLINE void note_min_free(tagctl_t *t) {
    size_t f = tag_free_bytes(t);
    if (f < t->min_free)
        t->min_free = f;
}

#if CAPHEAP_CORE_OUTLINE
#define free_block_ok     capheap_core_free_block_ok
#define block_usable      capheap_core_block_usable
#define chosen            capheap_core_chosen
#define links_ok_at       capheap_core_links_ok_at
#define removable         capheap_core_removable
#define free_block_insert capheap_core_free_block_insert
#define free_block_remove capheap_core_free_block_remove
#define free_block_resize capheap_core_free_block_resize
#define live_block_trim   capheap_core_live_block_trim
#define find_fit          capheap_core_find_fit
#define take              capheap_core_take
#define find_live         capheap_core_find_live
#define release_ok        capheap_core_release_ok
#define release           capheap_core_release

bool free_block_ok(const tagctl_t *t, const node_t *m);
bool block_usable(const tagctl_t *t, const node_t *m);
char *chosen(const tagctl_t *t, node_t *n, capheap_check_report_t *bad);
bool links_ok_at(const tagctl_t *t, const node_t *n, node_t *const *head,
                 capheap_check_report_t *bad);
bool removable(const tagctl_t *t, const node_t *n, capheap_check_report_t *bad);
void free_block_insert(tagctl_t *t, char *blk, size_t size, word_t rbits);
void free_block_remove(tagctl_t *t, char *blk, size_t size);
void free_block_resize(tagctl_t *t, char *blk, size_t b, size_t nb,
                       size_t size);
bool live_block_trim(tagctl_t *t, char *blk, size_t s,
                     capheap_check_report_t *bad);
char *find_fit(const tagctl_t *t, size_t s, size_t *bin,
               capheap_check_report_t *bad);
void *take(tagctl_t *t, char *blk, size_t b, size_t s,
           capheap_check_report_t *bad);
capheap_err_t find_live(const capheap_heap_t *h, const void *ptr,
                        char **blk_out, tagctl_t **ctl_out);
bool release_ok(const tagctl_t *t, const char *blk,
                capheap_check_report_t *bad);
void release(tagctl_t *t, char *blk);
#else
#define CORE_OP HOT_INLINE
#include "block_ops_impl.h"
#endif

/** A live block of @p s bytes from tag @p t: its payload, or NULL (with
 * @p bad filled if a list was damaged). Inline in every build: it only
 * joins find_fit() and take(). */
HOT_INLINE void *alloc_fit(tagctl_t *t, size_t s, capheap_check_report_t *bad) {
    size_t b;
    char *blk = find_fit(t, s, &b, bad);
    return blk ? take(t, blk, b, s, bad) : NULL;
}

/** find_live(), then the canaries: a block that may be freed or resized.
 * Inline in every build: without poisoning it is find_live(). */
HOT_INLINE capheap_err_t find_intact(const capheap_heap_t *heap,
                                     const void *ptr, char **blk, tagctl_t **t,
                                     capheap_check_report_t *bad) {
    capheap_err_t err = find_live(heap, ptr, blk, t);
    if (err == CAPHEAP_OK && poison_check_live(*blk, bad))
        err = CAPHEAP_ERR_CORRUPT; /* keep the evidence: change nothing */
    return err;
}

#endif /* CAPHEAP_CORE_BLOCK_OPS_H */
