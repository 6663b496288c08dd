/**
 * @file esp_heap_caps.h
 * @brief ESP-IDF's capability-based heap API, over capheap.
 *
 * Same names, types, return codes and behaviour as ESP-IDF's
 * `esp_heap_caps.h`, so code written for it builds unchanged. The functions
 * work on one global capability heap, the system heap (capheap/system.h),
 * created by heap_caps_init() (esp_heap_caps_init.h) for the chip the
 * application named, or on the host lazily for the simulated chip. Before
 * start-up (on a target) allocations return NULL through the failure
 * callback touching nothing, frees of non-NULL pointers and size queries
 * report a foreign pointer, sums are 0, the integrity checks find nothing
 * corrupt (false for an address: it is in no heap), walks and prints show
 * no heap, and monitoring returns ESP_ERR_INVALID_STATE.
 *
 * Where capheap does better than ESP-IDF, and says so here:
 * - Picking the heap for a caps mask costs a cache lookup, not a walk of
 *   every heap; free finds the heap in O(1), not by a linear search.
 * - heap_caps_get_largest_free_block() is a size that is guaranteed to
 *   succeed right now (for every mask an allocation can be served by; see
 *   there for the masks none is).
 * - Bad pointers go to capheap's error hook (capheap_set_error_hook()) and
 *   change nothing, instead of an assertion deep in the allocator.
 * - heap_caps_calloc_prefer() reports n * size to the failure callback.
 *
 * Threads, cores and interrupts: every function here may run concurrently
 * with every other on any thread or core, except where its comment says
 * otherwise: the global heap has the port's default lock, its lazy
 * start-up runs once however many first calls race, and the failure
 * callback and the malloc() external-memory limit are atomics (a call
 * racing with their change sees the old or the new value). The exception:
 * the monitor_local_minimum_free_size start/stop pair belongs to one thread
 * at a time (a window is one thread's, as on ESP-IDF); heap_caps_walk*(),
 * heap_caps_dump*() and heap_caps_print_heap_info() hold the heap's lock
 * for the whole walk, so other threads wait, and a walker must not call
 * any heap function (the lock is not recursive: it would deadlock). None may
 * be called from an interrupt handler (ESP-IDF allows none either; its
 * _ISR-safe allocation needs MALLOC_CAP_ISR-style heaps capheap lacks),
 * except with the irq port on a single core (port_irq.h), whose lock masks
 * interrupts: then those that may run concurrently may, and the walks and
 * prints keep interrupts masked throughout.
 */
#ifndef CAPHEAP_COMPAT_ESP_HEAP_CAPS_H
#define CAPHEAP_COMPAT_ESP_HEAP_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capheap/caps.h"
#include "capheap/config.h" /* and with it the application's sdkconfig.h */
#include "esp_err.h"
#include "multi_heap.h"

/**
 * ESP-IDF's `esp_attr.h`, for IRAM_ATTR: included when the include path
 * has one (an ESP-IDF build), as ESP-IDF's header includes it. Undefined
 * (the default): found with `__has_include`; 1: include it; 0: never.
 */
#ifndef CAPHEAP_ESP_ATTR
#if defined(__has_include)
#if __has_include(<esp_attr.h>)
#define CAPHEAP_ESP_ATTR 1
#endif
#endif
#endif
#ifndef CAPHEAP_ESP_ATTR
#define CAPHEAP_ESP_ATTR 0
#endif
#if CAPHEAP_ESP_ATTR
#include <esp_attr.h>
#endif

/**
 * Where code that must run with the flash cache off goes, as ESP-IDF
 * decides it: nothing when CONFIG_HEAP_PLACE_FUNCTION_INTO_FLASH is set,
 * else IRAM_ATTR (from esp_attr.h). Where no IRAM_ATTR is defined here (a
 * host, a chip without such RAM) it is nothing. An application may define
 * it itself first. capheap's own functions carry no placement attribute:
 * on a target whose flash cache can be off, place them with the linker
 * script.
 */
#ifndef HEAP_IRAM_ATTR
#if defined(CONFIG_HEAP_PLACE_FUNCTION_INTO_FLASH) &&                          \
    CONFIG_HEAP_PLACE_FUNCTION_INTO_FLASH
#define HEAP_IRAM_ATTR
#elif defined(IRAM_ATTR)
#define HEAP_IRAM_ATTR IRAM_ATTR
#else
#define HEAP_IRAM_ATTR
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @name Capabilities (ESP-IDF's names and values)
 * Bit 16 is the ESP32-P4's scratchpad memory: MALLOC_CAP_SPM; MALLOC_CAP_SCP
 * in some ESP-IDF trees; MALLOC_CAP_TCM its older name, which ESP-IDF
 * deprecates with a warning pragma that capheap leaves out (under -Werror
 * it would fail the build of code that still uses it).
 * MALLOC_CAP_SPIRAM_NO_ENC is PSRAM that flash encryption leaves in plain
 * text. No chip capheap describes has either: requests with them fail
 * (NULL, the failure callback), as on ESP-IDF without such memory, until
 * the application adds a region with them (heap_caps_add_region_with_caps()).
 * @{ */
#define MALLOC_CAP_EXEC          CAPHEAP_CAP_EXEC
#define MALLOC_CAP_32BIT         CAPHEAP_CAP_32BIT
#define MALLOC_CAP_8BIT          CAPHEAP_CAP_8BIT
#define MALLOC_CAP_DMA           CAPHEAP_CAP_DMA
#define MALLOC_CAP_PID2          CAPHEAP_CAP_PID2
#define MALLOC_CAP_PID3          CAPHEAP_CAP_PID3
#define MALLOC_CAP_PID4          CAPHEAP_CAP_PID4
#define MALLOC_CAP_PID5          CAPHEAP_CAP_PID5
#define MALLOC_CAP_PID6          CAPHEAP_CAP_PID6
#define MALLOC_CAP_PID7          CAPHEAP_CAP_PID7
#define MALLOC_CAP_SPIRAM        CAPHEAP_CAP_SPIRAM
#define MALLOC_CAP_INTERNAL      CAPHEAP_CAP_INTERNAL
#define MALLOC_CAP_DEFAULT       CAPHEAP_CAP_DEFAULT
#define MALLOC_CAP_IRAM_8BIT     CAPHEAP_CAP_IRAM_8BIT
#define MALLOC_CAP_RETENTION     CAPHEAP_CAP_RETENTION
#define MALLOC_CAP_RTCRAM        CAPHEAP_CAP_RTCRAM
#define MALLOC_CAP_SPM           CAPHEAP_CAP_SPM
#define MALLOC_CAP_SCP           CAPHEAP_CAP_SPM
#define MALLOC_CAP_TCM           CAPHEAP_CAP_TCM
#define MALLOC_CAP_DMA_DESC_AHB  CAPHEAP_CAP_DMA_DESC_AHB
#define MALLOC_CAP_DMA_DESC_AXI  CAPHEAP_CAP_DMA_DESC_AXI
#define MALLOC_CAP_CACHE_ALIGNED CAPHEAP_CAP_CACHE_ALIGNED
#define MALLOC_CAP_SIMD          CAPHEAP_CAP_SIMD
#define MALLOC_CAP_SPIRAM_NO_ENC CAPHEAP_CAP_SPIRAM_NO_ENC
#define MALLOC_CAP_INVALID       CAPHEAP_CAP_INVALID
/** @} */

/** Called when an allocation fails: requested size, caps, function name. */
typedef void (*esp_alloc_failed_hook_t)(size_t size, uint32_t caps,
                                        const char *function_name);

/**
 * Register the one callback for failed allocations (replacing any). It runs
 * once per failed request with size > 0, after every fallback has failed.
 * @return ESP_OK, or ESP_ERR_INVALID_ARG for NULL.
 */
esp_err_t
heap_caps_register_failed_alloc_callback(esp_alloc_failed_hook_t callback);

#if CAPHEAP_HOOKS
/**
 * @name Allocation hooks (CAPHEAP_HOOKS=1, which CONFIG_HEAP_USE_HOOKS sets)
 * Weak and empty in capheap; define them to be called on every allocation
 * and free of the global capability heap, on the calling thread, outside
 * the heap's lock. They must be quick and must not allocate from the heap.
 * Declared here, as ESP-IDF declares them, so that a C++ definition gets
 * C linkage.
 * @{ */
/** After a successful allocation (a realloc too: with the new pointer),
 * with the size and capabilities as asked. */
HEAP_IRAM_ATTR void esp_heap_trace_alloc_hook(void *ptr, size_t size,
                                              uint32_t caps);
/** As a block is freed (free, realloc to 0, the old block of a realloc
 * that moved it). Called just before the memory is released, so that no
 * other thread can be given the address before the hook has seen it go. */
HEAP_IRAM_ATTR void esp_heap_trace_free_hook(void *ptr);
/** @} */
#endif

/** Allocate @p size bytes with all of @p caps; NULL for size 0 or failure. */
void *heap_caps_malloc(size_t size, uint32_t caps);

/** Free memory from any heap_caps_ or malloc function. NULL is ignored. */
void heap_caps_free(void *ptr);

/**
 * Resize a block, possibly to memory with other caps: in place when the
 * block's heap has all of @p caps, else move, keeping min(old, new) bytes.
 * NULL @p ptr allocates; size 0 frees and returns NULL; on failure NULL and
 * the old block is untouched.
 */
void *heap_caps_realloc(void *ptr, size_t size, uint32_t caps);

/**
 * Allocate @p size bytes aligned to @p alignment (a non-zero power of two)
 * with all of @p caps. NULL, without the failure callback, for a bad
 * alignment or size 0.
 */
void *heap_caps_aligned_alloc(size_t alignment, size_t size, uint32_t caps);

/** Deprecated alias of heap_caps_free(). */
void heap_caps_aligned_free(void *ptr);

/** Aligned, zeroed allocation of @p n * @p size bytes; NULL on overflow. */
void *heap_caps_aligned_calloc(size_t alignment, size_t n, size_t size,
                               uint32_t caps);

/** Zeroed allocation of @p n * @p size bytes; NULL on overflow. */
void *heap_caps_calloc(size_t n, size_t size, uint32_t caps);

/** Bytes of the heaps that have all of @p caps (metadata included); as
 * ESP-IDF, caps 0 selects every heap. Like the free and minimum-free sums,
 * this counts memory, not what an allocation by @p caps can get: a sum
 * spans heaps that cannot merge, and it counts the heaps of a mask that no
 * allocation is served by (0, EXEC with 8BIT or DMA) all the same. */
size_t heap_caps_get_total_size(uint32_t caps);

/** Free bytes in the heaps that have all of @p caps (caps 0: all heaps). */
size_t heap_caps_get_free_size(uint32_t caps);

/** Sum of the lowest free bytes seen in each heap that has all of @p caps
 * (caps 0: all heaps; not a simultaneous minimum). */
size_t heap_caps_get_minimum_free_size(uint32_t caps);

/**
 * Largest size heap_caps_malloc(size, @p caps) is guaranteed to get now
 * (alignment, the alias word of EXEC memory, reserves and the chip's size
 * limit counted; nothing allocated or freed in between).
 *
 * The exception, ESP-IDF's figure kept: for a mask that no allocation is
 * served by, at any size, the value is the largest free block of the heaps
 * that have all of @p caps, and no allocation with that mask succeeds.
 * Such masks are 0 (ESP-IDF's selection serves none; caps 0 reports the
 * largest block of every heap) and EXEC with 8BIT or DMA, which ESP-IDF
 * refuses; a mask whose bits no heap has reports 0.
 */
size_t heap_caps_get_largest_free_block(uint32_t caps);

/** Start a minimum-free monitoring window (restarting one is allowed).
 * @return ESP_OK, or ESP_ERR_INVALID_STATE before start-up (a target) */
esp_err_t heap_caps_monitor_local_minimum_free_size_start(void);

/** End the window: each heap's minimum becomes the lower of the window's
 * and the one before it. @return ESP_OK, or ESP_FAIL if none was open. */
esp_err_t heap_caps_monitor_local_minimum_free_size_stop(void);

/** Statistics over the heaps that have all of @p caps (caps 0: all heaps);
 * largest_free_block is heap_caps_get_largest_free_block(@p caps), with its
 * exception. */
void heap_caps_get_info(multi_heap_info_t *info, uint32_t caps);

/**
 * Print, per heap with all of @p caps, the range it was registered with
 * (start and length) and its free, allocated and minimum free bytes and
 * blocks, then the totals, in ESP-IDF's words and format, through
 * capheap_printf() (capheap/output.h: the port's output function, which is
 * called with the heap's lock held). A heap is a region of the system heap.
 * min_free differs from ESP-IDF's in one way: capheap keeps the low-water
 * mark per memory type, so a heap that is its type's only region shows its
 * own, and one of several regions of a type shows the lowest it can have
 * been (the type's mark less what the type's other regions hold when full,
 * at least 0); the totals' min_free is exact.
 */
void heap_caps_print_heap_info(uint32_t caps);

/** Check every heap. @return true if no corruption was found. */
bool heap_caps_check_integrity_all(bool print_errors);

/** Check the heaps that have all of @p caps. */
bool heap_caps_check_integrity(uint32_t caps, bool print_errors);

/** Check the heap containing @p addr; false if no heap contains it. */
bool heap_caps_check_integrity_addr(intptr_t addr, bool print_errors);

/**
 * Let malloc() use external RAM: requests of at most @p limit bytes stay in
 * internal RAM, larger ones go to SPIRAM first.
 */
void heap_caps_malloc_extmem_enable(size_t limit);

/** Try each of the @p num caps arguments in turn; the callback runs only if
 * all fail. */
void *heap_caps_malloc_prefer(size_t size, size_t num, ...);

/** realloc with a list of caps to try in turn. */
void *heap_caps_realloc_prefer(void *ptr, size_t size, size_t num, ...);

/** calloc with a list of caps to try in turn. */
void *heap_caps_calloc_prefer(size_t n, size_t size, size_t num, ...);

/** Print, as ESP-IDF does, each heap that has all of @p caps ("Showing data
 * for heap:" and the start it was registered with), then its blocks. */
void heap_caps_dump(uint32_t caps);

/** Print every block of every heap. */
void heap_caps_dump_all(void);

/** Usable size of a block (>= the request). Bad pointers go to the hook. */
size_t heap_caps_get_allocated_size(void *ptr);

/** Usable size of the live block containing @p ptr anywhere inside it.
 * Walks that heap's blocks. Bad pointers go to the error hook. */
size_t heap_caps_get_containing_block_size(void *ptr);

/** A heap's bounds, as the walker reports them ("into": ESP-IDF's name):
 * the range the region was registered with, [start, end). */
typedef struct walker_heap_info {
    intptr_t start;
    intptr_t end;
} walker_heap_into_t;

/** A block, as the walker reports it. */
typedef struct walker_block_info {
    void *ptr;
    size_t size;
    bool used;
} walker_block_info_t;

/** Walker callback; return false to stop walking the current heap. */
typedef bool (*heap_caps_walker_cb_t)(walker_heap_into_t heap_info,
                                      walker_block_info_t block_info,
                                      void *user_data);

/**
 * Visit every block of the heaps that have all of @p caps, heap by heap, in
 * address order within each. A callback's false ends the walk of that heap;
 * the next heap is walked. A block whose header is damaged is not handed to
 * the callback (ESP-IDF hands it over and relies on the callback to notice
 * a size past the heap's end): the walk of that heap stops there, the next
 * heap is walked, and the error hook hears CAPHEAP_ERR_CORRUPT from "walk"
 * with the block's header address (capheap_heap_walk()). The heap's lock is
 * held throughout: the callback must not call any heap function.
 */
void heap_caps_walk(uint32_t caps, heap_caps_walker_cb_t walker_func,
                    void *user_data);

/** Visit every block of every heap. */
void heap_caps_walk_all(heap_caps_walker_cb_t walker_func, void *user_data);

/**
 * The capability heap behind this API (after heap_caps_init()), for mixing
 * it with capheap's native API. Not in ESP-IDF.
 */
capheap_caps_t *heap_caps_capheap(void);

#ifdef __cplusplus
}
#endif

#endif
