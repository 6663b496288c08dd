/**
 * @file heap_regions.h
 * @brief The 2016 tagged-region API of ESP-IDF's FreeRTOS heap
 *        (heap_regions.h), over capheap's core.
 *
 * Same names, types and semantics as the original: the program describes its
 * RAM once as an array of regions, each with a tag (a kind of memory), then
 * allocates by tag and frees by pointer. One static core heap object, inside
 * this library, holds up to CAPHEAP_HEAP_REGIONS_MAX_REGIONS regions and
 * HEAPREGIONS_MAX_TAGCOUNT tags.
 *
 * Where the original was defective, and what happens here instead:
 * - Allocation added the block header to the requested size without an
 *   overflow check, so a size near SIZE_MAX wrapped to a small block. Here
 *   such sizes return NULL.
 * - Bad input hit an assert (or went unchecked). Here it is reported through
 *   capheap's error hook (capheap_set_error_hook()), which receives the
 *   error code, the offending address and the function's name, and the call
 *   changes nothing. The default hook prints that as one line and aborts.
 * - Allocation walked one address-ordered free list shared by all tags,
 *   first fit, skipping other tags' blocks: O(free blocks of every tag).
 *   Here each tag has its own segregated bins: allocation and free are O(1).
 *
 * Other differences:
 * - Sizes: pointers are aligned to CAPHEAP_ALIGNMENT and blocks are
 *   multiples of it (the original aligned to 4), and the free sizes
 *   reported count usable bytes, not block sizes with their headers.
 * - Regions may be larger than the original's 16 MiB (up to the core's
 *   limit, see CAPHEAP_REGION_BITS) and tags go up to 31 (the original: 15).
 * - No vApplicationMallocFailedHook() call on failure.
 * - Locking: none by default (the original entered a global critical
 *   section). Give the heap a lock with
 *   capheap_heap_set_lock(capheap_heap_regions_heap(), lock); then
 *   allocation, free and the size queries may run concurrently on any
 *   threads or cores. vPortDefineHeapRegionsTagged() and
 *   capheap_heap_regions_reset_for_test() come before other threads use the
 *   heap; the region queries read the table it set up, without the lock.
 *   None may be called from an interrupt handler (capheap/heap.h).
 *
 * BaseType_t: FreeRTOS's type when its headers (FreeRTOS.h or portmacro.h)
 * were included before this one, otherwise `long`. The library and its
 * users must agree: in a FreeRTOS build, include FreeRTOS.h from the header
 * named by CAPHEAP_CONFIG_HEADER so capheap itself is built with it too.
 */
#ifndef CAPHEAP_COMPAT_HEAP_REGIONS_H
#define CAPHEAP_COMPAT_HEAP_REGIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capheap/heap.h"

#ifdef __cplusplus
extern "C" {
#endif

#if !defined(INC_FREERTOS_H) && !defined(PORTMACRO_H) &&                       \
    !defined(CAPHEAP_BASETYPE_T_DEFINED)
/** Set when capheap supplies BaseType_t (FreeRTOS is not included). */
#define CAPHEAP_BASETYPE_T_DEFINED 1
/** FreeRTOS's signed base type, for builds without FreeRTOS. */
typedef long BaseType_t;
#endif

/** Number of tags: valid tags are 0 .. HEAPREGIONS_MAX_TAGCOUNT - 1. */
#define HEAPREGIONS_MAX_TAGCOUNT 32

/**
 * Most regions the array may define (entries with tag -1 do not count).
 * Each costs three words in the static heap object and one entry in the
 * copy of the array kept for capheap_heap_regions_region().
 */
#ifndef CAPHEAP_HEAP_REGIONS_MAX_REGIONS
#define CAPHEAP_HEAP_REGIONS_MAX_REGIONS 32
#endif

/** One region of RAM, as given to vPortDefineHeapRegionsTagged(). */
typedef struct HeapRegionTagged {
    uint8_t *pucStartAddress; /**< first byte (need not be aligned) */
    size_t xSizeInBytes;      /**< length; 0 ends the array */
    BaseType_t xTag;          /**< 0 .. HEAPREGIONS_MAX_TAGCOUNT - 1, or -1:
                                   ignore this entry */
    uint32_t xExecAddr; /**< address of the same RAM on the instruction bus,
                             or 0; kept for the capability layer */
} HeapRegionTagged_t;

/**
 * Define the heap. Call once, before any allocation. O(regions + size
 * classes).
 *
 * @p pxHeapRegions is an array ended by an entry with xSizeInBytes 0. The
 * entries whose xTag is not -1 must be sorted by ascending address and must
 * not overlap (entries with tag -1 are skipped entirely, so a disabled entry
 * may overlap a live one). Starts and sizes need not be aligned: each region
 * is trimmed to block boundaries.
 *
 * Reported through the error hook, with nothing changed (the heap stays
 * undefined, so a corrected array may be given again):
 * - a second call after a successful one: CAPHEAP_ERR_INVALID_ARG, address
 *   = the array;
 * - a NULL array, or one with no region to use: CAPHEAP_ERR_INVALID_ARG;
 * - an entry with a tag other than -1 outside 0 .. 31, a NULL start, or a
 *   range that wraps around the address space: CAPHEAP_ERR_INVALID_ARG,
 *   address = the entry;
 * - an entry below the previous one: CAPHEAP_ERR_INVALID_ARG; overlapping
 *   it: CAPHEAP_ERR_OVERLAP;
 * - more than CAPHEAP_HEAP_REGIONS_MAX_REGIONS regions:
 *   CAPHEAP_ERR_NO_SLOT.
 * These are checked before any region is touched. A region the core then
 * refuses (too small for a block and its tag's control block, too large, or
 * overlapping this library's heap object) is reported with the core's code
 * and the entry's address, and the heap again stays undefined; block headers
 * may by then have been written into the regions before it.
 */
void vPortDefineHeapRegionsTagged(
    const HeapRegionTagged_t *const pxHeapRegions);

/**
 * Allocate @p xWantedSize bytes from regions tagged @p tag. O(1).
 * @return a pointer aligned to CAPHEAP_ALIGNMENT, or NULL when the size is 0
 *         or too large (no wrap-around), the tag is out of range or has no
 *         region, or nothing fits. Called before the heap is defined: error
 *         hook (CAPHEAP_ERR_INVALID_ARG), then NULL.
 */
void *pvPortMallocTagged(size_t xWantedSize, BaseType_t tag);

/**
 * Return a block. NULL is ignored. O(1). A pointer that is not a live block
 * of this heap (foreign, interior, already freed), or any pointer before the
 * heap is defined, goes to the error hook and nothing changes.
 */
void vPortFreeTagged(void *pv);

/**
 * Free bytes of tag @p tag now (usable sizes of its free blocks); 0 for a
 * tag out of range, without regions, or before the heap is defined. O(1).
 */
size_t xPortGetFreeHeapSizeTagged(BaseType_t tag);

/**
 * Lowest xPortGetFreeHeapSizeTagged(@p tag) since the heap was defined (or
 * since capheap_heap_reset_min_free() on the heap); 0 as for the free size.
 * O(1).
 */
size_t xPortGetMinimumEverFreeHeapSizeTagged(BaseType_t tag);

/* ---- capheap extensions --------------------------------------------- */

/**
 * The core heap behind this API, or NULL before it is defined: for the
 * capability layer, locking, statistics, capheap_heap_check().
 */
capheap_heap_t *capheap_heap_regions_heap(void);

/** Number of regions defined (entries with tag -1 excluded). */
size_t capheap_heap_regions_count(void);

/**
 * Region @p index of the definition (tag -1 entries skipped, array order
 * otherwise) exactly as it was given, xExecAddr included; NULL if out of
 * range or before the heap is defined.
 */
const HeapRegionTagged_t *capheap_heap_regions_region(size_t index);

/**
 * The defined region whose range [pucStartAddress, + xSizeInBytes) holds
 * @p ptr, or NULL. O(regions). Its xExecAddr gives the instruction-bus
 * address of the same RAM.
 */
const HeapRegionTagged_t *capheap_heap_regions_containing(const void *ptr);

/**
 * TESTS ONLY: forget the definition so vPortDefineHeapRegionsTagged() may be
 * called again. Blocks handed out are abandoned. Never call it in a program.
 */
void capheap_heap_regions_reset_for_test(void);

#ifdef __cplusplus
}
#endif

#endif /* CAPHEAP_COMPAT_HEAP_REGIONS_H */
