/**
 * @file multi_heap.h
 * @brief ESP-IDF's per-region heap API (multi_heap) over capheap's core.
 *
 * Code written for ESP-IDF's `multi_heap.h` builds unchanged against this
 * header: same function names, argument order, types and results. Each
 * handle is a capheap core heap with one region and one tag (0); every call
 * maps to one core call, so the core's guarantees hold (O(1) malloc, free and
 * in-place realloc; see capheap/heap.h).
 *
 * Where behaviour differs from ESP-IDF:
 * - Every pointer returned is aligned to CAPHEAP_ALIGNMENT (at least 8 and
 *   two pointers; ESP-IDF's TLSF uses 4), and blocks are multiples of it
 *   with a one-word header, so a usable size is such a multiple less the
 *   header (24, 40, 56 ... bytes on a 64-bit host, with the smallest block
 *   of four words). multi_heap_get_allocated_size() therefore exceeds the
 *   request by more than on ESP-IDF.
 * - Bad pointers (not from this heap, double free, interior pointers) are
 *   reported through capheap's error hook (capheap_set_error_hook()) and the
 *   call then does nothing, instead of an assertion. The default hook prints
 *   one line and aborts, which matches ESP-IDF's outcome.
 * - The bookkeeping (the core heap object and the tag's control block) lives
 *   inside the registered memory, as on ESP-IDF, but is sized differently.
 * - A NULL handle is tolerated: allocation returns NULL, queries return 0 or
 *   false, free and set-up calls do nothing.
 * - The lock need not be recursive: no function here takes it twice.
 *
 * Threads, cores and interrupts: with a lock (multi_heap_set_lock()) every
 * function may run concurrently with every other on the same heap, except
 * multi_heap_register() and multi_heap_set_lock() themselves, which come
 * first, and the reset/restore of the minimum-free figure, which belong to
 * one thread at a time. Without a lock a heap is one thread's. None may be
 * called from an interrupt handler (see capheap/heap.h for each port).
 *
 */
#ifndef CAPHEAP_COMPAT_MULTI_HEAP_H
#define CAPHEAP_COMPAT_MULTI_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h> /* ESP-IDF's header brings it in; users may rely on it */

#ifdef __cplusplus
extern "C" {
#endif

/** Marks an ESP-IDF function that ESP-IDF itself declares deprecated. */
#if defined(__GNUC__) || defined(__clang__)
#define CAPHEAP_MULTI_HEAP_DEPRECATED __attribute__((deprecated))
#else
#define CAPHEAP_MULTI_HEAP_DEPRECATED
#endif

/**
 * Opaque handle to a registered heap. The struct is never defined: the
 * handle points at the capheap core heap object at the start of the memory.
 */
typedef struct multi_heap_info *multi_heap_handle_t;

/** Statistics of one heap, filled by multi_heap_get_info(). */
typedef struct {
    size_t total_free_bytes;      /**< sum of usable sizes of free blocks;
                                       equals multi_heap_free_size() */
    size_t total_allocated_bytes; /**< sum of usable sizes of live blocks */
    size_t largest_free_block;    /**< largest size a malloc is guaranteed to
                                       get now */
    size_t minimum_free_bytes;    /**< lowest total_free_bytes since register
                                       or the last reset */
    size_t allocated_blocks;      /**< live blocks (the heap's own control
                                       block is not counted) */
    size_t free_blocks;           /**< free blocks */
    size_t total_blocks;          /**< allocated_blocks + free_blocks */
} multi_heap_info_t;

/**
 * Walker callback for multi_heap_walk().
 * @param block_ptr  the block's payload address
 * @param block_size its usable size in bytes
 * @param block_used 1 for a live block, 0 for a free one
 * @param user_data  the pointer given to multi_heap_walk()
 * @return true to go on, false to stop the walk
 */
typedef bool (*multi_heap_walker_cb_t)(void *block_ptr, size_t block_size,
                                       int block_used, void *user_data);

/**
 * Turn [start, start + size) into a heap. The core heap object
 * (CAPHEAP_HEAP_STORAGE_SIZE(1, 1) bytes, then a pointer keeping @p start
 * for the heap's reports) is placed at @p start rounded up to pointer
 * alignment; the rest becomes the heap's one region (tag 0), which also
 * holds its control block. The handle is the core heap object: @p start
 * itself for any start ESP-IDF accepts (ESP-IDF needs it aligned). There is
 * no unregister: once every block is free the memory may simply be reused.
 * O(1).
 * @return the handle, or NULL if @p start is NULL, the range wraps around
 *         the address space, or it is too small (or too large) for the core.
 */
multi_heap_handle_t multi_heap_register(void *start, size_t size);

/**
 * Give the heap a lock, taken around every operation through capheap's port
 * (a pthread_mutex_t * with the pthread port; ignored by the bare-metal
 * port). NULL, the state after register, means no locking. Unlike ESP-IDF,
 * the lock does not have to be recursive.
 */
void multi_heap_set_lock(multi_heap_handle_t heap, void *lock);

/**
 * Allocate @p size bytes, aligned to CAPHEAP_ALIGNMENT. O(1).
 * @return the block, or NULL when size is 0 or nothing fits (no hook call).
 */
void *multi_heap_malloc(multi_heap_handle_t heap, size_t size);

/**
 * Allocate @p size bytes aligned to @p alignment (ESP-IDF's argument order:
 * size before alignment). Alignments up to CAPHEAP_ALIGNMENT cost nothing
 * extra. O(1). Free the block with multi_heap_free().
 * @return the block, or NULL when alignment is 0 or not a power of two, size
 *         is 0, or nothing fits.
 */
void *multi_heap_aligned_alloc(multi_heap_handle_t heap, size_t size,
                               size_t alignment);

/**
 * Allocate @p size bytes such that the address @p offset bytes into the
 * block is aligned to @p alignment: `((uintptr_t)p + offset) % alignment ==
 * 0`, for a caller that keeps a header of its own before the part that must
 * be aligned. O(1). Free the block with multi_heap_free().
 * @return the block, or NULL as multi_heap_aligned_alloc(), and when
 *         @p offset is not a multiple of CAPHEAP_ALIGNMENT (ESP-IDF's TLSF
 *         accepts multiples of 4: here every block starts at a multiple of
 *         CAPHEAP_ALIGNMENT, so no other offset can be met).
 */
void *multi_heap_aligned_alloc_offs(multi_heap_handle_t heap, size_t size,
                                    size_t alignment, size_t offset);

/**
 * Return a block from multi_heap_malloc(), multi_heap_aligned_alloc() or
 * multi_heap_realloc(). NULL is ignored. O(1). A pointer that is not a live
 * block of this heap goes to the error hook and nothing changes (ESP-IDF
 * asserts).
 */
void multi_heap_free(multi_heap_handle_t heap, void *p);

/**
 * Same as multi_heap_free(); kept because ESP-IDF still declares it
 * (deprecated there too).
 */
CAPHEAP_MULTI_HEAP_DEPRECATED void
multi_heap_aligned_free(multi_heap_handle_t heap, void *p);

/**
 * Resize a block, as standard realloc(): NULL @p p allocates; size 0 frees
 * @p p and returns NULL. Shrinks in place, grows in place into a free
 * successor, else moves (copying the old usable bytes). O(1) but the copy.
 * @return the block; NULL if nothing fits (the old block is then untouched
 *         and still the caller's) or @p p is bad (error hook, nothing
 *         changes). Alignment above CAPHEAP_ALIGNMENT is not kept on a move.
 */
void *multi_heap_realloc(multi_heap_handle_t heap, void *p, size_t size);

/**
 * Usable size of the live block @p p: at least what was asked, rounded up so
 * the block (payload and header) is a multiple of CAPHEAP_ALIGNMENT (ESP-IDF
 * rounds to 4) and no smaller than the smallest block. O(1).
 * @return the size; 0 for NULL, or for a bad pointer after the error hook.
 */
size_t multi_heap_get_allocated_size(multi_heap_handle_t heap, void *p);

/**
 * Size of the whole block behind the live block @p p, past its one-word
 * header: multi_heap_get_allocated_size() plus what capheap keeps inside
 * the block for poisoning and per-owner accounting (equal to it when both
 * are off). O(1).
 * @return the size; 0 for NULL or a pointer that is not a live block of the
 *         heap (no error hook call: ESP-IDF asserts instead).
 */
size_t multi_heap_get_full_block_size(multi_heap_handle_t heap, void *p);

/**
 * The live block of @p heap whose memory contains @p ptr (which may point
 * anywhere inside it): the pointer multi_heap_malloc() returned for it.
 * O(blocks of the heap).
 * @return the block, or NULL if @p ptr lies in no live block of the heap
 *         (no error hook call: ESP-IDF asserts instead).
 */
void *multi_heap_find_containing_block(multi_heap_handle_t heap, void *ptr);

/** Bytes free now: the usable sizes of all free blocks. O(1). */
size_t multi_heap_free_size(multi_heap_handle_t heap);

/**
 * Lowest multi_heap_free_size() since register or the last
 * multi_heap_reset_minimum_free_bytes(). O(1).
 */
size_t multi_heap_minimum_free_size(multi_heap_handle_t heap);

/**
 * Fill @p info with the heap's statistics. O(1): the core keeps its
 * counters current (ESP-IDF walks the heap). The heap's own control block
 * is counted in no field.
 */
void multi_heap_get_info(multi_heap_handle_t heap, multi_heap_info_t *info);

/**
 * Check every invariant of the heap. O(blocks + size classes).
 * @param print_errors print the first violation found (where and what)
 *        through capheap_printf() (capheap/output.h).
 * @return true if the heap is intact.
 */
bool multi_heap_check(multi_heap_handle_t heap, bool print_errors);

/**
 * Print the heap as ESP-IDF does, line for line: "Showing data for heap:"
 * and the start it was registered with, then for each block (in address
 * order; the control block, the heap's bookkeeping, is left out) its
 * address, usable size and whether it is free, through capheap_printf()
 * (capheap/output.h: the port's output function, stdout by default). A
 * damaged block ends the list and goes to the error hook, as for
 * multi_heap_walk(). For debugging. O(blocks).
 */
void multi_heap_dump(multi_heap_handle_t heap);

/**
 * Call @p walker_func for every block in address order until it returns
 * false. The heap's control block is skipped. The heap's lock is held
 * during the walk: the callback must not call into the heap. Each block is
 * checked before the callback sees it: at a damaged one (its header
 * overwritten) the walk stops without calling the callback for it, and the
 * error hook hears CAPHEAP_ERR_CORRUPT from "walk" with its header address
 * (capheap_heap_walk()); ESP-IDF hands such a block to the callback and
 * relies on the callback to notice. O(blocks).
 */
void multi_heap_walk(multi_heap_handle_t heap,
                     multi_heap_walker_cb_t walker_func, void *user_data);

/**
 * Start a monitoring window: set the minimum free to the current free bytes.
 * O(1).
 * @return the minimum before the reset (keep it for
 *         multi_heap_restore_minimum_free_bytes()).
 */
size_t multi_heap_reset_minimum_free_bytes(multi_heap_handle_t heap);

/**
 * End a monitoring window: the minimum free becomes the smaller of its
 * current value and @p new_minimum_free_bytes_value. O(1).
 */
void multi_heap_restore_minimum_free_bytes(
    multi_heap_handle_t heap, const size_t new_minimum_free_bytes_value);

#ifdef __cplusplus
}
#endif

#endif /* CAPHEAP_COMPAT_MULTI_HEAP_H */
