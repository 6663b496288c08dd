/**
 * @file esp_heap_trace.h
 * @brief ESP-IDF's heap tracing API and allocation hooks, over capheap.
 *
 * Same names, types and return codes as ESP-IDF's `esp_heap_trace.h`
 * (standalone tracing). Two build options of `capheap/config.h` select it:
 *
 * - `CAPHEAP_HOOKS=1`: the application may define
 *   esp_heap_trace_alloc_hook() and esp_heap_trace_free_hook()
 *   (esp_heap_caps.h declares them); capheap's own definitions are weak
 *   and empty.
 * - `CAPHEAP_TRACE=1` (needs `CAPHEAP_HOOKS=1`): the heap_trace_* functions
 *   record into a buffer the application supplies. With 0 they are inline
 *   functions that return ESP_ERR_NOT_SUPPORTED (and count nothing), so
 *   code that calls them still builds and costs nothing.
 *
 * What is traced: every allocation and free of the global capability heap
 * (heap_caps_init()), whichever API made it: heap_caps_*, the C allocation
 * functions (capheap_malloc(), or malloc() where capheap replaces it), the
 * 2016 API. multi_heap_* works on heaps of its own and is not traced.
 *
 * A record keeps the address, the requested size and capabilities, a
 * timestamp and the call stack of the allocation (and of the free, in
 * HEAP_TRACE_ALL mode). The first caller is always the application's code
 * that called capheap (each entry point passes its own return address
 * down). Deeper callers come from glibc's backtrace() on glibc hosts, with
 * capheap's own frames skipped; elsewhere they are 0.
 *
 * Records are kept in allocation order; when the buffer is full the oldest
 * is dropped and the summary says so (has_overflowed). A free finds its
 * record through a fixed hash table of CAPHEAP_TRACE_HASH_BUCKETS buckets,
 * not by a scan.
 *
 * Thread safety: the trace state is guarded by the port's default lock
 * (the one heap_caps_init() gives the heap), taken outside the heap's own
 * critical sections, so every heap_trace_* function may run concurrently
 * with every other and with allocations on any thread or core.
 * capheap_trace_set_clock() and capheap_trace_set_output() belong to
 * start-up. Printing takes the lock per record, so a dump may interleave
 * with allocations of other threads. The hooks are called on the
 * allocating thread, outside every capheap lock. Nothing here may be
 * called from an interrupt handler.
 *
 * Differences from ESP-IDF, each for a reason:
 * - heap_trace_init_tohost() returns ESP_ERR_NOT_SUPPORTED: there is no
 *   JTAG application-trace transport to stream to.
 * - A realloc that resizes a block in place updates its record (size and
 *   capabilities) instead of recording a free and a new allocation at the
 *   same address, so HEAP_TRACE_ALL never shows a "freed" record for memory
 *   that was never released. A realloc that moves the block records the
 *   free of the old block and the allocation of the new one, as ESP-IDF
 *   does; realloc to size 0 is a free.
 * - The timestamp (`ccount`) comes from a clock the application may set
 *   (capheap_trace_set_clock()); by default it is a counter of traced
 *   events, which orders records but says nothing about time.
 * - A record also keeps the capabilities asked for (`caps`), and
 *   heap_trace_dump_caps() selects by the capabilities of the memory a
 *   block lies in, for any capability bits, not only INTERNAL and SPIRAM.
 */
#ifndef CAPHEAP_COMPAT_ESP_HEAP_TRACE_H
#define CAPHEAP_COMPAT_ESP_HEAP_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capheap/config.h"
#include "esp_err.h"
#include "esp_heap_caps.h" /* the allocation hooks */

#if __STDC_HOSTED__
#include <stdio.h>
#endif

#if CAPHEAP_TRACE && !CAPHEAP_HOOKS
/* The capability layer's hooks are what feed the trace. */
#error "CAPHEAP_TRACE=1 needs CAPHEAP_HOOKS=1"
#endif

#ifdef __cplusplus
extern "C" {
#endif

#ifndef ESP_ERR_NOT_SUPPORTED
#define ESP_ERR_NOT_SUPPORTED 0x106 /**< ESP-IDF's value */
#endif

/**
 * Callers kept per allocation and per free: ESP-IDF's
 * `CONFIG_HEAP_TRACING_STACK_DEPTH` when it is defined, else
 * `CAPHEAP_TRACE_DEPTH` (default 2). 1 to 32; each level costs two
 * pointers per record. ESP-IDF allows 0, which ISO C's arrays do not.
 */
#ifndef CAPHEAP_TRACE_DEPTH
#ifdef CONFIG_HEAP_TRACING_STACK_DEPTH
#define CAPHEAP_TRACE_DEPTH CONFIG_HEAP_TRACING_STACK_DEPTH
#else
#define CAPHEAP_TRACE_DEPTH 2
#endif
#endif
#ifndef CONFIG_HEAP_TRACING_STACK_DEPTH
#define CONFIG_HEAP_TRACING_STACK_DEPTH CAPHEAP_TRACE_DEPTH
#endif
#if CAPHEAP_TRACE_DEPTH < 1 || CAPHEAP_TRACE_DEPTH > 32
#error "CAPHEAP_TRACE_DEPTH (CONFIG_HEAP_TRACING_STACK_DEPTH) must be 1 to 32"
#endif

/**
 * Buckets of the table that finds a record by address on free: a power of
 * two, 4 bytes each (ESP-IDF's default count, 512: 2 KiB). A free costs one
 * bucket's chain, about records / buckets steps.
 */
#ifndef CAPHEAP_TRACE_HASH_BUCKETS
#define CAPHEAP_TRACE_HASH_BUCKETS 512
#endif
#if CAPHEAP_TRACE_HASH_BUCKETS < 1 ||                                          \
    (CAPHEAP_TRACE_HASH_BUCKETS & (CAPHEAP_TRACE_HASH_BUCKETS - 1)) != 0
#error "CAPHEAP_TRACE_HASH_BUCKETS must be a power of two"
#endif

/** What a trace keeps. */
typedef enum {
    HEAP_TRACE_ALL,   /**< every allocation; a free marks its record freed */
    HEAP_TRACE_LEAKS, /**< allocations not freed yet; a free drops the record */
} heap_trace_mode_t;

/** capheap's bookkeeping inside a record: indices (from 1; 0 is none) of
 * the neighbours in allocation order and in the record's hash chain. */
typedef struct {
    uint32_t prev, next, hash_next;
} capheap_trace_links_t;

/** One traced allocation. */
typedef struct heap_trace_record_t {
    void *address; /**< the block as returned (NULL: an unused record) */
    size_t size;   /**< bytes asked for */
    void *alloced_by[CAPHEAP_TRACE_DEPTH]; /**< callers, innermost first */
    void *freed_by[CAPHEAP_TRACE_DEPTH];   /**< HEAP_TRACE_ALL: who freed it */
    uint32_t ccount; /**< when it was allocated (the trace clock) */
    uint32_t caps;   /**< capabilities asked for (capheap's addition) */
    bool freed;      /**< HEAP_TRACE_ALL: freed since */
    capheap_trace_links_t links; /**< not for the application */
} heap_trace_record_t;

/** What heap_trace_summary() reports. */
typedef struct {
    heap_trace_mode_t mode;    /**< of the current or last trace */
    size_t total_allocations;  /**< allocations recorded since start */
    size_t total_frees;        /**< frees seen since start (traced or not) */
    size_t count;              /**< records in the buffer now */
    size_t capacity;           /**< records the buffer holds */
    size_t high_water_mark;    /**< most records held at once */
    bool has_overflowed;       /**< a record was dropped for lack of room */
    size_t total_hashmap_hits; /**< frees that found their record */
    size_t total_hashmap_miss; /**< frees of blocks not in the buffer */
} heap_trace_summary_t;

#if CAPHEAP_TRACE
/**
 * Give the trace its buffer of @p num_records records. Not while a trace
 * runs. The buffer must outlive every trace that uses it.
 * @return ESP_OK; ESP_ERR_INVALID_STATE while tracing (even with
 *         allocations paused); ESP_ERR_INVALID_ARG for NULL, 0 or more
 *         records than 32-bit indices reach.
 */
esp_err_t heap_trace_init_standalone(heap_trace_record_t *record_buffer,
                                     size_t num_records);

/** Streaming to a host debugger: not available in capheap.
 * @return ESP_ERR_NOT_SUPPORTED */
esp_err_t heap_trace_init_tohost(void);

/**
 * Empty the buffer and the counts, and trace in @p mode. Starting again
 * while tracing restarts.
 * @return ESP_OK; ESP_ERR_INVALID_STATE without a buffer;
 *         ESP_ERR_INVALID_ARG for an unknown mode.
 */
esp_err_t heap_trace_start(heap_trace_mode_t mode);

/** Stop recording; the records stay.
 * @return ESP_OK, or ESP_ERR_INVALID_STATE if no trace runs. */
esp_err_t heap_trace_stop(void);

/** Stop recording allocations but go on recording frees (so blocks freed
 * meanwhile leave a LEAKS trace).
 * @return ESP_OK, or ESP_ERR_INVALID_STATE if no trace runs. */
esp_err_t heap_trace_alloc_pause(void);

/** Record allocations and frees again after heap_trace_stop() or
 * heap_trace_alloc_pause(), keeping the records and counts.
 * @return ESP_OK, or ESP_ERR_INVALID_STATE without a buffer. */
esp_err_t heap_trace_resume(void);

/** Records in the buffer (0 without one). */
size_t heap_trace_get_count(void);

/**
 * Copy record @p index (0: the oldest) into @p record.
 * @return ESP_OK, or ESP_ERR_INVALID_ARG for a NULL @p record or an index
 *         at or past heap_trace_get_count().
 */
esp_err_t heap_trace_get(size_t index, heap_trace_record_t *record);

/** Fill @p summary. @return ESP_OK, or ESP_ERR_INVALID_ARG for NULL. */
esp_err_t heap_trace_summary(heap_trace_summary_t *summary);

/**
 * Set the clock that timestamps records (`ccount`); NULL restores the
 * default, a counter of traced events. Called with the trace's lock held:
 * it must not allocate. capheap's addition.
 */
void capheap_trace_set_clock(uint32_t (*clock)(void));

/** Print every record, then the totals, through capheap_printf()
 * (capheap/output.h: the port's output function; nothing with
 * CAPHEAP_OUTPUT=0). O(records). */
void heap_trace_dump(void);

/** Print the records of blocks in memory that has any of @p caps
 * (MALLOC_CAP_INTERNAL, MALLOC_CAP_SPIRAM, or both, or any other bits),
 * then the totals of those. O(records x regions). */
void heap_trace_dump_caps(const uint32_t caps);

#if __STDC_HOSTED__
/** Where the dumps print: a stdio stream, or NULL (the default) for
 * capheap_port_write(). Hosted builds only. capheap's addition. */
void capheap_trace_set_output(FILE *out);
#endif

#else /* !CAPHEAP_TRACE: tracing compiled out */

static inline esp_err_t heap_trace_init_standalone(heap_trace_record_t *buf,
                                                   size_t n) {
    (void)buf;
    (void)n;
    return ESP_ERR_NOT_SUPPORTED;
}
static inline esp_err_t heap_trace_init_tohost(void) {
    return ESP_ERR_NOT_SUPPORTED;
}
static inline esp_err_t heap_trace_start(heap_trace_mode_t mode) {
    (void)mode;
    return ESP_ERR_NOT_SUPPORTED;
}
static inline esp_err_t heap_trace_stop(void) {
    return ESP_ERR_NOT_SUPPORTED;
}
static inline esp_err_t heap_trace_alloc_pause(void) {
    return ESP_ERR_NOT_SUPPORTED;
}
static inline esp_err_t heap_trace_resume(void) {
    return ESP_ERR_NOT_SUPPORTED;
}
static inline size_t heap_trace_get_count(void) {
    return 0;
}
static inline esp_err_t heap_trace_get(size_t index,
                                       heap_trace_record_t *record) {
    (void)index;
    (void)record;
    return ESP_ERR_NOT_SUPPORTED;
}
static inline esp_err_t heap_trace_summary(heap_trace_summary_t *summary) {
    (void)summary;
    return ESP_ERR_NOT_SUPPORTED;
}
static inline void heap_trace_dump(void) {}
static inline void heap_trace_dump_caps(const uint32_t caps) {
    (void)caps;
}
#endif

#ifdef __cplusplus
}
#endif

#endif /* CAPHEAP_COMPAT_ESP_HEAP_TRACE_H */
