/**
 * @file caps.h
 * @brief The capability layer: allocate by what memory can do.
 *
 * A request names the capabilities it needs as an OR-mask of CAPHEAP_CAP_*
 * bits and gets memory from the best heap that has them all. Each memory
 * type of the chip (chip.h) becomes one tag of the tagged-region heap
 * (heap.h); its regions, after reservations, become that tag's regions.
 *
 * Selection (ESP-IDF's rule): for priority level 0, 1, 2 in turn, a type
 * qualifies if its capabilities at that level share a bit with the request
 * and all its capabilities together contain the whole request; the first
 * successful allocation wins. The qualifying types for a mask are computed
 * once and cached, so a request costs a cache lookup plus one O(1) core
 * allocation per type tried: it depends on the number of memory types,
 * never on the number of regions.
 *
 * Adjustments before selection: DMA, DMA_DESC_AHB/AXI, CACHE_ALIGNED raise
 * the alignment and round the size to the chip's cache line, SIMD to its SIMD
 * alignment; DMA_DESC_* mean DMA; DMA with SPIRAM drops DMA; CACHE_ALIGNED is
 * then stripped. EXEC with 8BIT or DMA gives NULL; EXEC implies 32BIT; 32BIT
 * rounds the size up to 4.
 *
 * Dual-mapped D/IRAM: an EXEC request served from a type that is also data
 * RAM returns the instruction-bus address. It costs 4 bytes (plus the
 * slack an alignment above 4 needs): the word before the returned pointer
 * holds the block's offset in the data-bus window, so free, realloc and the
 * size queries accept either address in O(1).
 *
 * Observer (CAPHEAP_HOOKS=1): one per heap, told of every allocation, free
 * and realloc with the application's call site (capheap_caps_set_observer,
 * the *_by functions); tracing and ESP-IDF's hooks hang on it. With
 * CAPHEAP_HOOKS 0 (the default) it does not exist and costs nothing.
 *
 * Threads, cores and interrupts: give the heap a lock with
 * capheap_heap_set_lock(ch->heap, lock) (heap_caps_init() gives the global
 * heap the port's default lock). Then alloc, aligned_alloc, free, realloc,
 * usable_size, block_type, total_size, stats, check, check_addr and
 * satisfiable (and the *_by variants) may run concurrently with each other
 * on any threads or cores. The choice cache they share is written only
 * under that lock and read without it through a sequence counter
 * (capheap_caps_slot_t); types are published by an atomic count.
 * capheap_caps_add_region(), capheap_caps_add_region_with_caps() and
 * capheap_caps_set_reserve() may run while other threads allocate and
 * free: the cache is emptied under the lock, and a request that overlaps
 * them gets the choice from before or after. They may not run concurrently
 * with each other or with capheap_caps_init() (one configuring thread).
 * capheap_caps_init(), capheap_caps_enable_nonos_stack_heaps() and
 * capheap_caps_set_observer() run before other threads use the heap.
 * The lock is required for any concurrency: without one the cache and the
 * core are for one thread. Interrupt handlers: with the irq port, the
 * functions above that may run concurrently may also be called from an
 * ISR; on every other port none may (see heap.h: their locks block or
 * spin). capheap_caps_dram_to_iram() and capheap_caps_iram_to_dram() are
 * pure and may on any port.
 */
#ifndef CAPHEAP_CAPS_H
#define CAPHEAP_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capheap/chip.h"
#include "capheap/heap.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @name Capability bits (ESP-IDF's values: they are ABI)
 * CAPHEAP_CAP_SPM is bit 16 by ESP-IDF's later name (the ESP32-P4's
 * scratchpad memory). CAPHEAP_CAP_SPIRAM_NO_ENC, external RAM that flash
 * encryption leaves in plain text, is matched like any other bit: only a
 * type that has it serves it (ESP-IDF adds such a region at run time when
 * the application exempts one).
 * @{ */
#define CAPHEAP_CAP_EXEC          (1u << 0) /**< can hold executable code */
#define CAPHEAP_CAP_32BIT         (1u << 1) /**< 32-bit aligned access only */
#define CAPHEAP_CAP_8BIT          (1u << 2) /**< byte and halfword access */
#define CAPHEAP_CAP_DMA           (1u << 3) /**< reachable by DMA */
#define CAPHEAP_CAP_PID2          (1u << 4) /**< process ids 2..7 (unused) */
#define CAPHEAP_CAP_PID3          (1u << 5)
#define CAPHEAP_CAP_PID4          (1u << 6)
#define CAPHEAP_CAP_PID5          (1u << 7)
#define CAPHEAP_CAP_PID6          (1u << 8)
#define CAPHEAP_CAP_PID7          (1u << 9)
#define CAPHEAP_CAP_SPIRAM        (1u << 10) /**< external RAM */
#define CAPHEAP_CAP_INTERNAL      (1u << 11) /**< internal RAM */
#define CAPHEAP_CAP_DEFAULT       (1u << 12) /**< eligible for plain malloc() */
#define CAPHEAP_CAP_IRAM_8BIT     (1u << 13) /**< IRAM with byte access */
#define CAPHEAP_CAP_RETENTION     (1u << 14) /**< reachable by retention DMA */
#define CAPHEAP_CAP_RTCRAM        (1u << 15) /**< RTC fast memory */
#define CAPHEAP_CAP_TCM           (1u << 16) /**< tightly coupled memory */
#define CAPHEAP_CAP_SPM           CAPHEAP_CAP_TCM /**< scratchpad memory */
#define CAPHEAP_CAP_DMA_DESC_AHB  (1u << 17) /**< holds AHB DMA descriptors */
#define CAPHEAP_CAP_DMA_DESC_AXI  (1u << 18) /**< holds AXI DMA descriptors */
#define CAPHEAP_CAP_CACHE_ALIGNED (1u << 19) /**< cache-line aligned */
#define CAPHEAP_CAP_SIMD          (1u << 20) /**< SIMD-accessible, aligned */
#define CAPHEAP_CAP_SPIRAM_NO_ENC (1u << 21) /**< PSRAM left unencrypted */
#define CAPHEAP_CAP_INVALID       (1u << 31) /**< never satisfiable */
/** @} */

/* Capacities of a capheap_caps_t, fixed at compile time (the structure is
 * declared statically). The defaults fit every chip described here with
 * room for regions and capability sets added at run time; each slot costs
 * a few words (BENCHMARKS.md, "The capability layer", has the bytes). */

/** Most memory types: the chip's plus capability sets added at run time. */
#ifndef CAPHEAP_CAPS_MAX_TYPES
#define CAPHEAP_CAPS_MAX_TYPES 8
#endif
/** Most regions a capability heap holds. */
#ifndef CAPHEAP_CAPS_MAX_REGIONS
#define CAPHEAP_CAPS_MAX_REGIONS 16
#endif
/** Most regions that wait for the start-up stacks to be released. */
#ifndef CAPHEAP_CAPS_MAX_PENDING
#define CAPHEAP_CAPS_MAX_PENDING 4
#endif
/** Cached selections (direct-mapped by caps mask; a power of two). */
#ifndef CAPHEAP_CAPS_CACHE
#define CAPHEAP_CAPS_CACHE 4
#endif
/** Most application reservations capheap_caps_init() takes (and the system
 * heap keeps: 3 words each of its bss). */
#ifndef CAPHEAP_CAPS_MAX_RESERVED
#define CAPHEAP_CAPS_MAX_RESERVED 24
#endif

/* C++11 spells C11's _Static_assert static_assert. */
#ifdef __cplusplus
#define CAPHEAP_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define CAPHEAP_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif
CAPHEAP_STATIC_ASSERT(CAPHEAP_CAPS_MAX_TYPES <= 32, "types are a 32-bit set");
CAPHEAP_STATIC_ASSERT((CAPHEAP_CAPS_CACHE & (CAPHEAP_CAPS_CACHE - 1)) == 0,
                      "the cache size is a power of two");

/** What a caps mask asks for, worked out once and cached (the cache is
 * emptied when types, regions or reserves change). */
typedef struct {
    uint32_t request; /**< the mask as asked: the cache key */
    uint32_t caps;    /**< after ESP-IDF's adjustments */
    uint16_t align;   /**< alignment the hardware needs (1: none; may be 0
                           when count is 0) */
    uint8_t count;    /**< candidate types (0: nothing can serve it) */
    uint8_t flags;    /**< what the request needs beyond a plain alloc
                           (0: the candidates' core allocation is all) */
    uint8_t tags[CAPHEAP_CAPS_MAX_TYPES]; /**< candidates, in order */
} capheap_caps_choice_t;

/* Members that threads read without the heap's lock are C11 atomics. C++
 * sees the same layout with plain types and must not touch them. */
#ifdef __cplusplus
#define CAPHEAP_SHARED(type) type
#else
#define CAPHEAP_SHARED(type) _Atomic type
#endif

/**
 * A slot of the selection cache. @p choice is written and read only under
 * the heap's lock (the core reads the candidate tags under it too); the
 * allocation fast path takes no lock of its own: it reads @p request and
 * @p meta, lets the core allocate from @p choice's tags, and keeps the
 * block only if @p seq did not move meanwhile (else it frees it and takes
 * the locked path). Writers make @p seq odd while at work; they hold the
 * lock, so no atomic read-modify-write is needed (Cortex-M0+ has none).
 */
typedef struct {
    CAPHEAP_SHARED(uint32_t) seq;     /**< odd while a writer is at work */
    CAPHEAP_SHARED(uint32_t) request; /**< choice.request */
    CAPHEAP_SHARED(uint32_t) meta;    /**< choice.count | choice.flags << 8 */
    capheap_caps_choice_t choice;     /**< under the heap's lock */
} capheap_caps_slot_t;

/** A memory type as the capability heap uses it. Name and caps never change
 * once the type is counted in capheap_caps_t::type_count. */
typedef struct {
    const char *name;
    uint32_t caps[CAPHEAP_PRIOS];
    uint32_t all; /**< OR of caps[] */
    CAPHEAP_SHARED(size_t)
    reserve; /**< bytes kept for requests only this
                  type serves */
} capheap_caps_type_t;

/** How many bytes type @p tag of @p heap may give to a request that a type
 * without a reserve could also serve, when it keeps @p keep bytes.
 * capheap_caps_set_reserve() installs it: a program that never keeps a
 * reserve does not link the code that honours one. */
typedef size_t (*capheap_caps_room_fn)(capheap_heap_t *heap, unsigned tag,
                                       size_t keep);

/** A region that start-up stacks still use, added later. */
typedef struct {
    uintptr_t start, end;
    uint8_t type;
} capheap_caps_pending_t;

#if CAPHEAP_HOOKS
/**
 * What a capability heap tells an observer (CAPHEAP_HOOKS=1 only; with 0
 * none of this exists and the allocation paths are unchanged). Each member
 * may be NULL. Calls are made on the allocating thread, outside the core
 * heap's lock, so an observer may take locks of its own but must not expect
 * the heap to be locked. @p caller is the return address the public entry
 * point saw (see capheap_caps_alloc_by()); @p user is the observer's own.
 */
typedef struct {
    /** A block came to life: alloc, aligned alloc, realloc of NULL. @p ptr
     * as returned, @p size and @p caps as asked (before any rounding). */
    void (*alloc)(void *user, void *ptr, size_t size, uint32_t caps,
                  const void *caller);
    /** The block @p ptr (as given to free) is about to be released. Told
     * first, so no other thread can be handed the same address before the
     * observer has seen this block go. Also for realloc to size 0. */
    void (*free)(void *user, void *ptr, const void *caller);
    /** A realloc of a live block to a non-zero size succeeded. @p new_ptr
     * == @p old_ptr: resized in place. Otherwise moved: @p old_ptr is about
     * to be released (or, when the core heap moved it within its type,
     * already was). */
    void (*realloc)(void *user, void *old_ptr, void *new_ptr, size_t size,
                    uint32_t caps, const void *caller);
    void *user; /**< passed back to every call */
} capheap_caps_observer_t;
#endif

/**
 * A capability heap: a tagged-region heap plus the chip's types. Declare it
 * static; it holds no pointers into the heap memory other than the core's.
 */
typedef struct {
    /** First: the fast path indexes it from the object's address alone. */
    capheap_caps_slot_t cache[CAPHEAP_CAPS_CACHE];
    const capheap_chip_t *chip;
    capheap_heap_t *heap;
    uintptr_t iram_lo;   /**< lowest instruction-bus alias address */
    uintptr_t iram_span; /**< bytes from there past every such window */
    size_t max_alloc;    /**< the chip's largest single allocation */
#if CAPHEAP_HOOKS
    capheap_caps_observer_t observer; /**< capheap_caps_set_observer() */
#endif
    /** Set by capheap_caps_set_reserve() (NULL: no type keeps a reserve);
     * written under the heap's lock before any reserve it honours. */
    CAPHEAP_SHARED(capheap_caps_room_fn) room;
    /** Types (bit per tag) with regions in dual-mapped D/IRAM, which serve
     * EXEC requests through the instruction-bus alias. */
    CAPHEAP_SHARED(uint32_t) alias_types;
    CAPHEAP_SHARED(uint8_t) type_count; /**< published after its type */
    uint8_t pending_count;
    bool started; /**< enable_nonos_stack_heaps() has run */
    capheap_caps_type_t types[CAPHEAP_CAPS_MAX_TYPES];
    capheap_caps_pending_t pending[CAPHEAP_CAPS_MAX_PENDING];
    void *heap_storage[CAPHEAP_HEAP_STORAGE_SIZE(CAPHEAP_CAPS_MAX_REGIONS,
                                                 CAPHEAP_CAPS_MAX_TYPES) /
                       sizeof(void *)];
} capheap_caps_t;

/** A range the application or a driver keeps for itself. */
typedef struct {
    uintptr_t start; /**< first byte */
    uintptr_t end;   /**< one past the last */
    const char *name;
} capheap_caps_reservation_t;

/**
 * Build the heaps of @p chip: every region selected by @p opts (NULL: no
 * options), minus the chip's default reservations and @p extra, trimmed and
 * split around them, fragments too small for a block dropped, neighbours of the
 * same type merged. Start-up-stack regions wait for
 * capheap_caps_enable_nonos_stack_heaps(). Touches the memory of every region
 * (block headers). Not concurrently with any other call on @p ch; set the
 * lock (capheap_heap_set_lock(ch->heap, ...)) after it, before threads
 * share the heap.
 * @return CAPHEAP_OK; CAPHEAP_ERR_INVALID_ARG (NULL, bad chip data, too many
 *         reservations); CAPHEAP_ERR_OVERLAP (two reservations overlap);
 *         CAPHEAP_ERR_NO_SLOT (more regions than CAPHEAP_CAPS_MAX_REGIONS).
 */
capheap_err_t capheap_caps_init(capheap_caps_t *ch, const capheap_chip_t *chip,
                                const capheap_chip_options_t *opts,
                                const capheap_caps_reservation_t *extra,
                                size_t extra_count);

/** Add the start-up-stack regions held back by init. Idempotent. Before
 * other threads use the heap (as ESP-IDF calls it, during start-up). */
void capheap_caps_enable_nonos_stack_heaps(capheap_caps_t *ch);

/**
 * Add [start, end) as a heap with the capabilities of the chip region that
 * contains @p start (ESP-IDF's heap_caps_add_region).
 * @return CAPHEAP_OK, CAPHEAP_ERR_INVALID_ARG, CAPHEAP_ERR_FOREIGN_POINTER
 *         (no chip region contains start), or as
 * capheap_caps_add_region_with_caps().
 */
capheap_err_t capheap_caps_add_region(capheap_caps_t *ch, uintptr_t start,
                                      uintptr_t end);

/**
 * Add [start, end) as a heap with explicit capabilities per priority level.
 * The range may not straddle the start or end of an existing heap nor equal
 * one; it may lie inside one (a buffer made into a heap) or beside it.
 * After start-up its minimum free starts at 0 so it never raises the
 * minimum-free figures. May run while other threads allocate and free, not
 * concurrently with another add_region, set_reserve or init of @p ch.
 * @return CAPHEAP_OK; CAPHEAP_ERR_INVALID_ARG (NULL caps, start 0,
 *         end <= start); CAPHEAP_ERR_OVERLAP; CAPHEAP_ERR_NO_SLOT (no type
 *         or region slot left); CAPHEAP_ERR_TOO_SMALL.
 */
capheap_err_t
capheap_caps_add_region_with_caps(capheap_caps_t *ch,
                                  const uint32_t caps[CAPHEAP_PRIOS],
                                  uintptr_t start, uintptr_t end);

/**
 * Whether a new heap [@p start, @p end) may be added beside an existing one,
 * [@p heap_start, @p heap_end): the rule capheap_caps_add_region_with_caps()
 * applies to every heap it holds (ESP-IDF's). Refused: a range that
 * straddles the heap's start or its end, and the heap's own range again.
 * Allowed: a range inside the heap (a buffer made into a heap; it may share
 * either end), one touching it from outside, and one apart from it. Addresses
 * compare as unsigned. Pure, O(1); callable from any thread or interrupt.
 */
bool capheap_caps_add_region_allowed(uintptr_t heap_start, uintptr_t heap_end,
                                     uintptr_t start, uintptr_t end);

/**
 * Keep @p bytes of the type named @p type_name for the requests that only
 * types with a reserve can serve. A request that some type without a
 * reserve could also serve (a DEFAULT request PSRAM can take) leaves the
 * last @p bytes of this type alone; a request only reserved types can serve
 * (a DMA buffer) may use them. Beyond ESP-IDF, which lets plain requests eat
 * internal DMA memory while PSRAM has room. 0 turns it off (the default).
 * May run while other threads allocate (as add_region).
 * @return CAPHEAP_OK or CAPHEAP_ERR_INVALID_ARG (unknown type).
 */
capheap_err_t capheap_caps_set_reserve(capheap_caps_t *ch,
                                       const char *type_name, size_t bytes);

/** Allocate @p size bytes with all of @p caps. NULL for size 0 or failure. */
void *capheap_caps_alloc(capheap_caps_t *ch, size_t size, uint32_t caps);

/**
 * Allocate aligned. NULL when alignment is 0 or not a power of two, size
 * is 0, or no qualifying heap has room.
 */
void *capheap_caps_aligned_alloc(capheap_caps_t *ch, size_t alignment,
                                 size_t size, uint32_t caps);

/** Free a block from any heap, by either of its addresses. NULL is ignored. */
void capheap_caps_free(capheap_caps_t *ch, void *ptr);

/**
 * Resize to @p size bytes with @p caps: in place when the block's type has
 * all of caps (and it is no instruction-bus alias), else move to a
 * qualifying heap keeping min(old, new) bytes. NULL ptr allocates; size 0
 * frees and returns NULL; on failure NULL and the old block is untouched.
 */
void *capheap_caps_realloc(capheap_caps_t *ch, void *ptr, size_t size,
                           uint32_t caps);

/** The return address of the function this appears in: where the
 * application called it from, for the *_by functions. NULL where the
 * compiler cannot tell, and without CAPHEAP_HOOKS, where nothing uses it:
 * then no entry point computes it. */
#if CAPHEAP_HOOKS && (defined(__GNUC__) || defined(__clang__))
#define CAPHEAP_CALLER __builtin_return_address(0)
#else
#define CAPHEAP_CALLER NULL
#endif

#if CAPHEAP_HOOKS
/**
 * Observe every allocation and free of @p ch (one observer per heap; NULL
 * removes it). capheap_caps_init() clears it. Not for use while other
 * threads allocate from @p ch.
 */
void capheap_caps_set_observer(capheap_caps_t *ch,
                               const capheap_caps_observer_t *observer);
#endif

/**
 * @name The allocation functions with the caller named
 * As capheap_caps_alloc(), capheap_caps_aligned_alloc(), capheap_caps_free()
 * and capheap_caps_realloc() (same contracts, complexity and concurrency),
 * but with CAPHEAP_HOOKS the observer is told that @p caller made the
 * request. A wrapper (ESP-IDF's heap_caps_malloc, the C library's malloc)
 * passes its own CAPHEAP_CALLER so that tracing names the application
 * rather than the wrapper. With CAPHEAP_HOOKS 0 @p caller is ignored (and
 * costs nothing: each is the same code as the function without _by).
 * @{ */
void *capheap_caps_alloc_by(capheap_caps_t *ch, size_t size, uint32_t caps,
                            const void *caller);
void *capheap_caps_aligned_alloc_by(capheap_caps_t *ch, size_t alignment,
                                    size_t size, uint32_t caps,
                                    const void *caller);
void capheap_caps_free_by(capheap_caps_t *ch, void *ptr, const void *caller);
void *capheap_caps_realloc_by(capheap_caps_t *ch, void *ptr, size_t size,
                              uint32_t caps, const void *caller);
/** @} */

/** Usable bytes of a block (0 after the error hook for a bad pointer). */
size_t capheap_caps_usable_size(capheap_caps_t *ch, const void *ptr);

/** Sum of the sizes of the heaps whose types have all of @p caps. */
size_t capheap_caps_total_size(capheap_caps_t *ch, uint32_t caps);

/**
 * Statistics summed over the types that have all of @p caps (mask 0: every
 * type), as ESP-IDF sums its heaps: memory, not what an allocation by
 * @p caps can get.
 *
 * largest_free_block is the largest size capheap_caps_alloc(@p ch, size,
 * @p caps) is guaranteed to get now: over the types the request tries,
 * less what it costs there (alignment, the alias word of EXEC memory),
 * within their reserves and the chip's max_alloc. The exception, ESP-IDF's
 * figure: for a mask no allocation is served by (0, EXEC with 8BIT or DMA)
 * it is the largest free block of the types that have all of @p caps.
 */
void capheap_caps_stats(capheap_caps_t *ch, uint32_t caps,
                        capheap_stats_t *out);

/**
 * The type (tag) of the live block at @p ptr (either of its addresses). O(1).
 * NULL gives -1 without calling the error hook; any other pointer that is
 * not a live block gives -1 after the error hook.
 */
int capheap_caps_block_type(capheap_caps_t *ch, const void *ptr);

/**
 * Integrity check of the types that offer every capability in @p caps (all
 * types for 0; none, and CAPHEAP_OK, for a mask no type offers), as
 * capheap_heap_check_tag() does for each: blocks (with poisoning, their
 * canaries and fills), lists and counters.
 * @return CAPHEAP_OK or CAPHEAP_ERR_CORRUPT with @p report (may be NULL)
 *         filled. O(those types' regions and blocks).
 */
capheap_err_t capheap_caps_check(capheap_caps_t *ch, uint32_t caps,
                                 capheap_check_report_t *report);

/**
 * Integrity check of the type whose region holds @p addr (an instruction-bus
 * alias counts as its data-bus address).
 * @return CAPHEAP_OK, CAPHEAP_ERR_CORRUPT with @p report filled, or
 *         CAPHEAP_ERR_FOREIGN_POINTER when no region holds @p addr.
 */
capheap_err_t capheap_caps_check_addr(capheap_caps_t *ch, uintptr_t addr,
                                      capheap_check_report_t *report);

/** The instruction-bus address of data-bus address @p d of dual-mapped
 * D/IRAM (@p d itself when the chip has no such RAM). */
uintptr_t capheap_caps_dram_to_iram(const capheap_chip_t *chip, uintptr_t d);

/** The data-bus address of instruction-bus address @p i. */
uintptr_t capheap_caps_iram_to_dram(const capheap_chip_t *chip, uintptr_t i);

/** Whether any type has all of @p caps. */
bool capheap_caps_satisfiable(const capheap_caps_t *ch, uint32_t caps);

#ifdef __cplusplus
}
#endif

#endif /* CAPHEAP_CAPS_H */
