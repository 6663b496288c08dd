/**
 * @file heap.h
 * @brief The tagged-region heap: capheap's core allocator.
 *
 * A heap is a set of regions of free memory. Each region carries an integer
 * tag; an allocation names a tag and is served only from regions with that
 * tag. Free, realloc and the size queries need only the pointer.
 *
 * Algorithm: segregated fits over two-level bitmaps (TLSF class). Each tag
 * has its own bins, 2^CAPHEAP_SL_LOG2 size classes per power of two; a
 * request examines at most CAPHEAP_BIN_SEARCH blocks of its own class, then
 * takes the head of the smallest non-empty larger class, which always fits.
 * Free blocks merge with both physical neighbours at once.
 *
 * Time. alloc, aligned_alloc, free, in-place realloc, usable_size and the
 * per-tag statistics take a bounded number of steps that does not grow with
 * the number of blocks, free fragments or regions: at most
 * CAPHEAP_BIN_SEARCH list steps, two bitmap scans, and O(1) work to split
 * and merge. free finds the block's region from the index stored in its
 * header. realloc that must move copies the payload (linear in its size).
 * add_region, check, walk and containing_block are O(regions + blocks).
 *
 * Space. One machine word of header per block (plus CAPHEAP_BLOCK_PREFIX_BYTES
 * when debug words are on). Payloads are aligned to CAPHEAP_ALIGNMENT (at
 * least 8, 2 pointers and alignof(max_align_t)). The smallest block is four
 * words rounded up to the alignment (16 bytes on 32-bit, 32 on 64-bit). Each
 * tag's bins live in a control block inside its largest region, sized from
 * that region (one pointer per size class that can occur there); the heap
 * object holds three words and two bytes per region slot and one word per
 * tag slot.
 *
 * Threads, cores and interrupts. When a lock was set with
 * capheap_heap_set_lock(), every function that reads or writes blocks,
 * statistics, the owner table or the check cursor takes it through the port
 * (port.h), so alloc, aligned_alloc, free, realloc, the size and block
 * queries, the statistics, check, check_tag, check_addr, check_step, walk
 * and the owner queries may run concurrently with each other on any threads
 * or cores. Without a lock the heap is for one thread. Set-up functions are
 * not: capheap_heap_init(), capheap_heap_set_lock() and
 * capheap_heap_set_secret() run before other threads use the heap;
 * capheap_heap_add_region() may run while others allocate (it takes the lock)
 * but not concurrently with another add_region or
 * reset_min_free/restore_min_free pair on the same tag;
 * region_count/region_info read the region table without the lock (call them
 * when no add_region can run). capheap_heap_walk() holds the lock while it
 * calls the callback, which must not call into the heap.
 * capheap_set_error_hook() is process-wide and belongs to start-up (error.c
 * stores it plainly); the hook itself is called outside the lock, on the thread
 * that erred. Interrupt handlers: with the irq port (port_irq.h), whose lock
 * masks interrupts, the functions above that may run concurrently may also
 * be called from an ISR, on a heap that has the lock. On every other port
 * none may. pthread: a mutex may block. spinlock: an ISR that interrupts the
 * holder on its own core spins forever. freertos: the lock is
 * portENTER_CRITICAL, not the _ISR variant. none: no lock at all, so an ISR
 * would run inside the interrupted call. Pure functions that touch no heap
 * (capheap_err_str(), capheap_fault_str()) are the exception.
 *
 * Bad input is reported through the error hook (capheap_set_error_hook())
 * before anything is modified, then the call returns as a no-op (free) or
 * NULL (realloc) or 0 (usable_size). The default hook, from the port, prints
 * one line naming the address and aborts. Detected: a pointer outside every
 * region, a misaligned pointer, a pointer to a free block (double free), and
 * an interior pointer whose preceding word is not a consistent block header
 * (region index, size inside the region, successor's back-flag). Limit: an
 * interior pointer whose preceding user data happens to form a fully
 * consistent header cannot be told from a block in O(1); capheap_heap_check()
 * finds the damage such a free would do. free reads the word before any
 * pointer that lies between the lowest and highest region address. Inside a
 * region nested in a live block, a header that claims the enclosing region,
 * and anything inside a control block, is no block (O(regions) in a heap
 * that has nested regions, O(1) otherwise).
 *
 * Hardened metadata (CAPHEAP_HARDEN, on by default; docs/security.md). The
 * free lists' links live in freed memory, where a use-after-free write lands.
 * Before a link is followed or a block leaves its list, the core checks it
 * (back links agree, reads stay inside the heap, the block carved or merged
 * has a consistent free header and footer, and one an allocation chose lies
 * in a region of its tag). A mismatch writes nothing: the
 * allocation returns NULL, the free or realloc leaves its block as it was
 * (the block stays allocated), and the error hook hears CAPHEAP_ERR_CORRUPT
 * with the damaged free block's address; capheap_error_detail() has
 * CAPHEAP_FAULT_LINK and the link expected and found. CAPHEAP_MANGLE adds
 * per-heap link mangling, so that even a whole forged block needs the
 * secret (capheap_heap_set_secret()).
 *
 * Invariants (stated once, checked by capheap_heap_check(); the cheap ones on
 * every free): see src/core/block.h.
 */
#ifndef CAPHEAP_HEAP_H
#define CAPHEAP_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capheap/config.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque heap object; it lives in storage the caller provides. */
typedef struct capheap_heap capheap_heap_t;

/** Result and error codes. */
typedef enum {
    CAPHEAP_OK = 0,
    CAPHEAP_ERR_INVALID_ARG, /**< NULL, zero size, tag out of range */
    CAPHEAP_ERR_TOO_SMALL,   /**< storage or region cannot hold a block */
    CAPHEAP_ERR_TOO_LARGE,   /**< region larger than a header can describe */
    CAPHEAP_ERR_OVERLAP,     /**< region overlaps a region or heap storage */
    CAPHEAP_ERR_NO_SLOT,     /**< every region slot is in use */
    CAPHEAP_ERR_FOREIGN_POINTER, /**< pointer outside every region */
    CAPHEAP_ERR_NOT_BLOCK,       /**< inside a region but not a live block */
    CAPHEAP_ERR_DOUBLE_FREE,     /**< the block is already free */
    CAPHEAP_ERR_CORRUPT,         /**< an invariant of the heap does not hold */
    CAPHEAP_ERR_NO_CHIP,         /**< system heap: no chip named (system.h) */
    CAPHEAP_ERR_NO_MALLOC,       /**< system heap: no memory malloc() may use */
} capheap_err_t;

/** Short English name of an error code ("double free", ...). */
const char *capheap_err_str(capheap_err_t err);

/**
 * Called on bad input, before the call returns without touching the heap.
 * @param err  what was wrong
 * @param addr the offending address (the pointer passed in)
 * @param op   the public function that detected it ("free", "realloc", ...)
 * @param user the pointer given to capheap_set_error_hook()
 */
typedef void (*capheap_error_hook_t)(capheap_err_t err, const void *addr,
                                     const char *op, void *user);

/**
 * Replace the process-wide error hook; NULL restores the port's default
 * (one line on the console, then abort). Not synchronised: set it at start-up.
 */
void capheap_set_error_hook(capheap_error_hook_t hook, void *user);

/**
 * Report bad input through the error hook (or the port's default). For the
 * layers above the core, so that every layer reports the same way.
 */
void capheap_report_error(capheap_err_t err, const void *addr, const char *op);

/**
 * What the last CAPHEAP_ERR_CORRUPT report found (a broken free-list link
 * under CAPHEAP_HARDEN, a damaged canary or fill under CAPHEAP_POISONING):
 * the fault, the damaged address, the value expected and the value found.
 * Valid inside the error hook and until the next corruption report; NULL
 * when no corruption was reported. On hosted builds (Linux, macOS) the
 * record is per thread; on bare-metal builds it is one record, which a
 * corruption report on another core may overwrite while the hook runs.
 */
const struct capheap_check_report *capheap_error_detail(void);

/** Largest number of tags a heap can have (tags are 0 .. max_tags - 1). */
#define CAPHEAP_MAX_TAGS 256u
/** Largest number of regions a heap can hold. */
#define CAPHEAP_MAX_REGIONS                                                    \
    ((1u << CAPHEAP_REGION_BITS) < 255u ? (1u << CAPHEAP_REGION_BITS) : 255u)

/**
 * Bytes of storage a heap object with room for @p max_regions regions and
 * @p max_tags tags needs; a constant expression. The storage must be aligned
 * like a pointer.
 */
#define CAPHEAP_HEAP_STORAGE_SIZE(max_regions, max_tags)                       \
    ((5 + (CAPHEAP_MANGLE ? 1 : 0)) * sizeof(void *) +                         \
     CAPHEAP_REGION_SLOT_BYTES(max_regions) +                                  \
     sizeof(void *) * (size_t)(max_tags) + CAPHEAP_OWNER_TABLE_BYTES)

/**
 * The region slots' part of CAPHEAP_HEAP_STORAGE_SIZE(): three words a slot
 * (where its blocks lie, its tag), then two bytes a slot, which keep the
 * ends of the range given to capheap_heap_add_region() (the blocks start
 * and end up to CAPHEAP_ALIGNMENT bytes inside it), rounded up to a pointer.
 */
#define CAPHEAP_REGION_SLOT_BYTES(max_regions)                                 \
    (((3 * sizeof(void *) + 2) * (size_t)(max_regions) + sizeof(void *) - 1) / \
     sizeof(void *) * sizeof(void *))

/**
 * Per-owner accounting slots of a heap (CAPHEAP_OWNERS): distinct (owner,
 * tag) pairs it keeps figures for. The last slot collects whatever finds no
 * other (owner CAPHEAP_OWNER_OTHERS).
 */
#ifndef CAPHEAP_OWNER_SLOTS
#define CAPHEAP_OWNER_SLOTS 16
#endif

/** Current and peak usage of one owner in one tag (CAPHEAP_OWNERS). */
typedef struct {
    uintptr_t owner; /**< from capheap_port_owner(); see CAPHEAP_OWNER_OTHERS */
    size_t tag;      /**< the tag its blocks are in */
    size_t current;  /**< usable bytes of its live blocks */
    size_t peak;     /**< the most `current` has been */
    size_t blocks;   /**< its live blocks */
} capheap_owner_stats_t;

/** The owner of the accounting slot that takes what the others cannot. */
#define CAPHEAP_OWNER_OTHERS UINTPTR_MAX

#if CAPHEAP_OWNERS
#define CAPHEAP_OWNER_TABLE_BYTES                                              \
    ((size_t)CAPHEAP_OWNER_SLOTS * sizeof(capheap_owner_stats_t))
#else
#define CAPHEAP_OWNER_TABLE_BYTES ((size_t)0)
#endif

/**
 * Create an empty heap in @p storage. O(max_tags).
 * @return the heap (== storage), or NULL if storage is NULL or misaligned,
 *         storage_size < CAPHEAP_HEAP_STORAGE_SIZE(max_regions, max_tags),
 *         max_regions is 0 or above CAPHEAP_MAX_REGIONS, or max_tags is 0 or
 *         above CAPHEAP_MAX_TAGS.
 */
capheap_heap_t *capheap_heap_init(void *storage, size_t storage_size,
                                  unsigned max_regions, unsigned max_tags);

/**
 * Give the heap the memory [start, start + size) as a region with @p tag.
 * The start is rounded up and the end down to block boundaries. The first
 * region of a tag, and a region larger than every earlier one of its tag,
 * also holds the tag's control block when it needs more size classes than
 * the tag has (bins sized from the region); the old control block is then
 * freed into the tag. O(regions + size classes).
 *
 * The range must not overlap another region or the heap object, except that
 * it may lie wholly inside the payload of a live block of this heap (a
 * buffer turned into a region; free the buffer only after the heap is gone).
 *
 * @return CAPHEAP_OK; CAPHEAP_ERR_INVALID_ARG (NULL, tag >= max_tags, range
 *         wraps), CAPHEAP_ERR_OVERLAP, CAPHEAP_ERR_NO_SLOT,
 *         CAPHEAP_ERR_TOO_LARGE (its block span, after rounding,
 *         exceeds 2^(pointer bits - CAPHEAP_REGION_BITS) bytes),
 * CAPHEAP_ERR_TOO_SMALL (no room for the control block, one smallest block and
 * the end marker), CAPHEAP_ERR_CORRUPT (the tag's control block would move
 * but a free neighbour of it has damaged links: nothing changed).
 */
capheap_err_t capheap_heap_add_region(capheap_heap_t *heap, void *start,
                                      size_t size, unsigned tag);

/**
 * Allocate @p size bytes from regions tagged @p tag. O(1).
 * @return a pointer aligned to CAPHEAP_ALIGNMENT, or NULL when size is 0,
 *         size is too large to describe, the tag has no region, or no free
 *         block of the tag fits; and NULL when a free list it reads is
 *         damaged (hardening), the one case that calls the error hook
 *         (CAPHEAP_ERR_CORRUPT).
 */
void *capheap_heap_alloc(capheap_heap_t *heap, unsigned tag, size_t size);

/**
 * Allocate @p size bytes from the first of @p count tags, in the order
 * given, that has room: what a caller with a preference list would do with
 * capheap_heap_alloc(), with the request worked out once. O(count).
 * @p tags is read only while the heap's lock is held: the capability layer
 * passes its cache slot's list, which other threads rewrite under the lock.
 * @return as for capheap_heap_alloc(); NULL when count is 0.
 */
void *capheap_heap_alloc_from(capheap_heap_t *heap, const uint8_t *tags,
                              unsigned count, size_t size);

/**
 * Allocate @p size bytes aligned to @p alignment from regions tagged @p tag.
 * O(1). Alignments up to CAPHEAP_ALIGNMENT cost nothing extra; larger ones
 * search for size + alignment bytes and return the unused head and tail to
 * the free lists.
 * @return the pointer, or NULL when alignment is 0 or not a power of two, or
 *         as for capheap_heap_alloc().
 */
void *capheap_heap_aligned_alloc(capheap_heap_t *heap, unsigned tag,
                                 size_t alignment, size_t size);

/**
 * As capheap_heap_aligned_alloc(), but the payload @p offset bytes in is
 * the aligned address: `((uintptr_t)p + offset) % alignment == 0`, for a
 * caller that puts a header of its own before the part it aligns. O(1).
 * @return the pointer, or NULL as for capheap_heap_aligned_alloc() and when
 *         @p offset is not a multiple of CAPHEAP_ALIGNMENT (no payload could
 *         satisfy it: every payload is CAPHEAP_ALIGNMENT-aligned).
 */
void *capheap_heap_aligned_alloc_offset(capheap_heap_t *heap, unsigned tag,
                                        size_t alignment, size_t offset,
                                        size_t size);

/**
 * Return a block. NULL is ignored. O(1). Bad pointers go to the error hook
 * (see the file comment) and change nothing; so does a free whose merge
 * would unlink a free neighbour with damaged links (CAPHEAP_ERR_CORRUPT:
 * the block stays allocated).
 */
void capheap_heap_free(capheap_heap_t *heap, void *ptr);

/**
 * Resize a block, keeping its tag. Shrinks in place; grows in place when the
 * next block is free and large enough; otherwise allocates a new block of the
 * same tag, copies the old payload and frees the old block. O(1) except for
 * the copy.
 * @return the (possibly moved) block; NULL when @p size is 0 (the block is
 *         freed), when @p ptr is NULL or bad (error hook), or when no block
 *         fits (the old block is then untouched and still owned by the
 *         caller). Alignment above CAPHEAP_ALIGNMENT is not kept on a move.
 */
void *capheap_heap_realloc(capheap_heap_t *heap, void *ptr, size_t size);

/**
 * Usable bytes of a live block (>= the size requested). O(1).
 * @return the size, or 0 for NULL or a bad pointer (error hook).
 */
size_t capheap_heap_usable_size(capheap_heap_t *heap, const void *ptr);

/**
 * Usable bytes of the live block at @p ptr, or 0 if @p ptr is not the start
 * of one. O(1). Never calls the error hook: for layers that validate
 * pointers they derived themselves.
 */
size_t capheap_heap_live_size(capheap_heap_t *heap, const void *ptr);

/**
 * Bytes of the live block at @p ptr past its header word: the usable bytes
 * plus what capheap keeps inside the block (the owner and canary words of
 * CAPHEAP_OWNERS and CAPHEAP_POISONING, the tail canary) and the rounding
 * to CAPHEAP_ALIGNMENT. Equal to capheap_heap_usable_size() plus those words.
 * O(1). 0 if @p ptr is not the start of a live block; never calls the error
 * hook.
 */
size_t capheap_heap_full_size(capheap_heap_t *heap, const void *ptr);

/**
 * The start of the live block whose payload contains @p ptr (which may point
 * anywhere inside it), or NULL if none does. O(blocks of the region). Never
 * calls the error hook.
 */
void *capheap_heap_containing_block(capheap_heap_t *heap, const void *ptr);

/**
 * Tag of the live block at @p ptr, or -1 (after the error hook) if @p ptr is
 * not a live block. O(1).
 */
int capheap_heap_block_tag(capheap_heap_t *heap, const void *ptr);

/** Whether @p ptr lies inside one of the heap's regions. O(regions). */
bool capheap_heap_contains(const capheap_heap_t *heap, const void *ptr);

/** Statistics of one tag or of the whole heap; sizes in bytes. */
typedef struct {
    size_t total_bytes;        /**< sum of the region sizes as given */
    size_t free_bytes;         /**< sum of the usable sizes of free blocks */
    size_t allocated_bytes;    /**< sum of the usable sizes of live blocks
                                    (with poisoning: of the sizes asked
                                    for, as usable_size answers) */
    size_t largest_free_block; /**< largest size an allocation is guaranteed
                                    to get right now */
    size_t minimum_free_bytes; /**< lowest free_bytes since init or reset */
    size_t allocated_blocks;   /**< live blocks */
    size_t free_blocks;        /**< free blocks */
    size_t total_blocks;       /**< allocated_blocks + free_blocks */
} capheap_stats_t;

/**
 * Statistics of one tag. O(1): the counters are kept up to date by every
 * operation. A tag with no region reports all zeros.
 * @return CAPHEAP_OK, or CAPHEAP_ERR_INVALID_ARG for NULL or a tag >= max_tags.
 */
capheap_err_t capheap_heap_tag_stats(capheap_heap_t *heap, unsigned tag,
                                     capheap_stats_t *out);

/**
 * Statistics of the whole heap: the sums over its tags (largest free block:
 * the maximum; minimum free: the sum of the tags' minima). O(tags).
 */
void capheap_heap_stats(capheap_heap_t *heap, capheap_stats_t *out);

/** Free bytes of @p tag (0 for an unknown tag). O(1). */
size_t capheap_heap_free_bytes(capheap_heap_t *heap, unsigned tag);

/** Largest size an allocation from @p tag is guaranteed to get now. O(1). */
size_t capheap_heap_largest_free(capheap_heap_t *heap, unsigned tag);

/**
 * Largest size an allocation from @p tag aligned to @p alignment (a power of
 * two) is guaranteed to get now; as capheap_heap_largest_free() for
 * alignments the heap gives anyway. O(1).
 */
size_t capheap_heap_largest_free_aligned(capheap_heap_t *heap, unsigned tag,
                                         size_t alignment);

/**
 * Start a monitoring window: set the tag's minimum free to its current free
 * bytes and return the old minimum. O(1).
 */
size_t capheap_heap_reset_min_free(capheap_heap_t *heap, unsigned tag);

/**
 * End a monitoring window: lower the tag's minimum free to @p min if that is
 * smaller (what reset returned). O(1).
 */
void capheap_heap_restore_min_free(capheap_heap_t *heap, unsigned tag,
                                   size_t min);

/**
 * Set the secret that free-list links are mangled with (CAPHEAP_MANGLE 1;
 * with 0 the call is accepted and changes nothing). Give it a random word
 * from the hardware (esp_random(), a TRNG) before the first region is
 * added: links already stored were mangled with the old one. Until then
 * the heap uses a secret derived from its own address, which an attacker
 * who knows the memory map can work out. O(1). Not concurrently with any
 * other call on the heap.
 * @return CAPHEAP_OK, or CAPHEAP_ERR_INVALID_ARG when the heap already has
 *         a region.
 */
capheap_err_t capheap_heap_set_secret(capheap_heap_t *heap, uintptr_t secret);

/**
 * Set the lock the heap takes around every operation (see port.h for what
 * it points to); NULL means no locking.
 */
void capheap_heap_set_lock(capheap_heap_t *heap, void *lock);

/**
 * Take / release the heap's lock (nothing when it has none), for a layer
 * built on the heap that keeps shared state of its own (the capability
 * layer's selection cache). No heap function may be called while it is
 * held: the port's locks are not recursive (but for irq's, which nests).
 * Not from an interrupt handler unless the port's lock is an
 * interrupt-masking one (irq).
 */
#ifdef CAPHEAP_PORT_NONE
static inline void capheap_heap_lock(capheap_heap_t *heap) {
    (void)heap;
}
static inline void capheap_heap_unlock(capheap_heap_t *heap) {
    (void)heap;
}
#else
void capheap_heap_lock(capheap_heap_t *heap);
void capheap_heap_unlock(capheap_heap_t *heap);
#endif

/**
 * Which invariant capheap_heap_check() found broken (block.h states them).
 * A code rather than a sentence keeps the words out of firmware that never
 * prints them; capheap_fault_str() has the words.
 */
typedef enum {
    CAPHEAP_FAULT_NONE = 0,
    CAPHEAP_FAULT_REGION,        /**< region record: bounds or tag link */
    CAPHEAP_FAULT_BLOCK,         /**< size or region index out of range (I1) */
    CAPHEAP_FAULT_PREV_FREE,     /**< PREV_FREE flag disagrees (I2) */
    CAPHEAP_FAULT_ADJACENT_FREE, /**< two adjacent free blocks (I3) */
    CAPHEAP_FAULT_FOOTER,        /**< free block's last word != size (I4) */
    CAPHEAP_FAULT_LIST,          /**< free list membership, class, links (I5) */
    CAPHEAP_FAULT_BITMAP,        /**< bitmaps disagree with the lists (I5) */
    CAPHEAP_FAULT_COUNTERS,      /**< counters disagree with the blocks (I6) */
    CAPHEAP_FAULT_END_MARKER,    /**< end marker damaged or overrun (I7) */
    CAPHEAP_FAULT_CONTROL,       /**< control block missing, doubled, foreign */
    CAPHEAP_FAULT_HEAD_CANARY,   /**< head canary overwritten (poisoning) */
    CAPHEAP_FAULT_TAIL_CANARY,   /**< tail canary overwritten (poisoning) */
    CAPHEAP_FAULT_FREE_FILL,     /**< free memory written (poisoning) */
    CAPHEAP_FAULT_LINK, /**< free-list link forged or broken (hardening) */
} capheap_fault_t;

/** The words for a fault code ("bad tail canary", ...). */
const char *capheap_fault_str(capheap_fault_t fault);

/** First violation found by capheap_heap_check(). */
typedef struct capheap_check_report {
    capheap_err_t error;   /**< CAPHEAP_OK or CAPHEAP_ERR_CORRUPT */
    capheap_fault_t fault; /**< which invariant */
    const void *addr;      /**< block, word or structure where it was found */
    uintptr_t expected;    /**< for canaries and fills: the value expected */
    uintptr_t found;       /**< and the value found */
} capheap_check_report_t;

/**
 * Verify every invariant: every block of every region (size, alignment,
 * region index, neighbour flags, footers, no two adjacent free blocks, end
 * markers), every free list (membership, size class, back links, bitmaps
 * against lists) and every counter. O(regions + blocks + size classes).
 * @param report where to store the first violation (may be NULL)
 * @return CAPHEAP_OK or CAPHEAP_ERR_CORRUPT. Never calls the error hook.
 */
capheap_err_t capheap_heap_check(capheap_heap_t *heap,
                                 capheap_check_report_t *report);

/**
 * capheap_heap_check() for one tag: its regions' blocks, its lists, bitmaps
 * and counters (and the region records every check relies on).
 * O(regions + the tag's blocks + size classes).
 * @return CAPHEAP_OK (also for a tag that has no regions) or
 *         CAPHEAP_ERR_CORRUPT. Never calls the error hook.
 */
capheap_err_t capheap_heap_check_tag(capheap_heap_t *heap, unsigned tag,
                                     capheap_check_report_t *report);

/**
 * capheap_heap_check_tag() for the tag of the region that holds @p addr
 * (the innermost, where regions nest).
 * @return CAPHEAP_OK, CAPHEAP_ERR_CORRUPT with @p report filled, or
 *         CAPHEAP_ERR_FOREIGN_POINTER when no region holds @p addr.
 */
capheap_err_t capheap_heap_check_addr(capheap_heap_t *heap, const void *addr,
                                      capheap_check_report_t *report);

/** Where an incremental check stands; zero it (or leave it complete) to
 * start a pass. */
typedef struct {
    unsigned region; /**< region being checked */
    size_t offset;   /**< next block, as an offset into the region */
    size_t blocks;   /**< blocks checked in this pass so far */
    bool complete;   /**< the last step finished a pass over every region */
} capheap_check_cursor_t;

/**
 * Incremental check: verify at most @p max_blocks blocks from where
 * @p cursor stands, holding the lock for that step only. Each block gets
 * the per-block invariants (I1-I4) and, with poisoning, its canaries or its
 * free fill, so overflows of live blocks are found without a free. The lists
 * and counters are verified by the full check only.
 *
 * Cost per step: O(max_blocks) checks (each a block's canaries, or its bytes
 * in comprehensive mode for a free block) plus one header read per block
 * before the cursor in its region, to find its place again: blocks merge and
 * split between steps.
 * @return CAPHEAP_OK (cursor->complete says when a pass has ended; the next
 *         step starts another) or CAPHEAP_ERR_CORRUPT with @p report filled.
 */
capheap_err_t capheap_heap_check_step(capheap_heap_t *heap,
                                      capheap_check_cursor_t *cursor,
                                      unsigned max_blocks,
                                      capheap_check_report_t *report);

/**
 * Per-owner accounting (CAPHEAP_OWNERS): copy up to @p max of the heap's
 * slots in use into @p out. A slot stays after its owner's last block is
 * freed, keeping the peak, until the table is full and a new owner takes
 * it. O(CAPHEAP_OWNER_SLOTS).
 * @return the number of slots in use (may exceed @p max).
 */
size_t capheap_heap_owners(capheap_heap_t *heap, capheap_owner_stats_t *out,
                           size_t max);

/**
 * The owner recorded in the live block @p ptr (CAPHEAP_OWNERS): who
 * allocated it, or last reallocated it. 0 with an error report if @p ptr is
 * not a live block.
 */
uintptr_t capheap_heap_block_owner(capheap_heap_t *heap, const void *ptr);

/**
 * The live blocks of @p owner, in address order (CAPHEAP_OWNERS): up to
 * @p max payload pointers into @p out. O(blocks).
 * @return how many blocks @p owner has (may exceed @p max).
 */
size_t capheap_heap_owner_blocks(capheap_heap_t *heap, uintptr_t owner,
                                 void **out, size_t max);

/** A live block as the per-owner accounting counts it (CAPHEAP_OWNERS). */
typedef struct {
    void *ptr;       /**< payload address */
    uintptr_t owner; /**< the owner it records (CAPHEAP_OWNER_OTHERS for a
                          block of the others' slot) */
    size_t bytes;    /**< what its owner's `current` counts for it: the
                          block after its header and debug prefix (usable
                          size, tail canary and rounding) */
    unsigned tag;    /**< the tag of its region */
} capheap_owned_block_t;

/** Callback of capheap_heap_owner_walk(): return false to stop. */
typedef bool (*capheap_owned_fn)(const capheap_owned_block_t *block,
                                 void *user);

/**
 * The owner table and the blocks it counts, as one consistent picture
 * (CAPHEAP_OWNERS): under one hold of the heap's lock, copy up to @p max
 * slots in use into @p out, as capheap_heap_owners() does, then call @p fn
 * (may be NULL) for every live block the caller was given (no control
 * blocks), in the order of capheap_heap_walk(). @p out is filled before the
 * first call of @p fn, so @p fn may read it: the blocks are exactly those
 * the copied figures count; entries of @p out past the copied ones are
 * left as they were (zero it first to tell them: a slot in use has a
 * non-zero peak). @p fn runs with the lock held and must not call into the
 * heap. O(slots + blocks).
 * @return the number of slots in use (may exceed @p max).
 */
size_t capheap_heap_owner_walk(capheap_heap_t *heap, capheap_owner_stats_t *out,
                               size_t max, capheap_owned_fn fn, void *user);

/** What capheap_heap_walk() tells about each block. */
typedef struct {
    void *ptr;       /**< payload address */
    size_t size;     /**< usable bytes (a live block's: as
                          capheap_heap_usable_size() answers) */
    bool used;       /**< live (true) or free (false) */
    bool control;    /**< the tag's control block (used, not the caller's) */
    unsigned tag;    /**< the region's tag */
    unsigned region; /**< the region's index, in the order regions came */
} capheap_block_info_t;

/** Walker callback: return false to stop the walk. */
typedef bool (*capheap_walk_fn)(const capheap_block_info_t *block, void *user);

/**
 * Visit every block of every region in address order within each region,
 * regions in the order they were added. The heap's lock is held: the
 * callback must not call into the heap. O(regions + blocks).
 *
 * Each block is checked before it is visited (I1-I4 of block.h: a size that
 * fits its region, its region index, the neighbour flags, a free block's
 * footer). A damaged one is not visited, nor is the rest of its region (the
 * size that leads past it cannot be trusted); the walk goes on with the
 * next region. Once the lock is released the error hook hears
 * CAPHEAP_ERR_CORRUPT with op "walk" and the first damaged block's header
 * address; capheap_error_detail() has the fault, that address and the
 * header word found (`found`).
 * @return true if every block was visited; false if the callback stopped
 *         the walk or a damaged block cut a region's walk short.
 */
bool capheap_heap_walk(capheap_heap_t *heap, capheap_walk_fn fn, void *user);

/**
 * One region: the range given to capheap_heap_add_region() and the part of
 * it the heap uses. The two differ by less than CAPHEAP_ALIGNMENT bytes at
 * each end: the start is rounded up so that payloads are aligned, the end
 * down so that the end marker fits.
 */
typedef struct {
    void *start; /**< the first block's header: the first byte used */
    void *end;   /**< one past the end marker: one past the last byte used */
    unsigned tag;
    void *registered_start; /**< the start given to add_region */
    void *registered_end;   /**< the start plus the size given to add_region */
} capheap_region_info_t;

/** Number of regions added so far. */
unsigned capheap_heap_region_count(const capheap_heap_t *heap);

/**
 * Describe region @p index (regions are numbered in the order they were
 * added). O(1). Reads the region table without the lock (see the file
 * comment).
 * @return CAPHEAP_OK, or CAPHEAP_ERR_INVALID_ARG for a NULL argument or an
 *         index out of range (@p out untouched).
 */
capheap_err_t capheap_heap_region_info(const capheap_heap_t *heap,
                                       unsigned index,
                                       capheap_region_info_t *out);

#ifdef __cplusplus
}
#endif

#endif /* CAPHEAP_HEAP_H */
