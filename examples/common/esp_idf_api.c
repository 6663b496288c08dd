/*
 * esp_idf_api.c - every function, type and macro of ESP-IDF's public heap
 * headers, used as ESP-IDF's documentation describes and checked against
 * it. Written in the common subset of C and C++ (tests build it as both):
 * explicit casts from void *, no designated initialisers.
 *
 * What is checked is what ESP-IDF documents for any chip; where a result
 * depends on the chip (which memory has which capabilities) the check asks
 * the heap first.
 */
#include "esp_idf_api.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "capheap/output.h"
#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"
#include "esp_heap_task_info.h"
#include "esp_heap_trace.h"
#include "heap_memory_layout.h"
#include "multi_heap.h"

#if CAPHEAP_OUTPUT
#include <stdio.h> /* the task-statistics printers write to a FILE */
#endif

/* ---- bookkeeping --------------------------------------------------------- */

static int checks, failures;

static void check(bool ok, const char *what) {
    checks++;
    if (!ok) {
        failures++;
        capheap_print_str("FAIL: ");
        capheap_print_str(what);
        capheap_print_str("\n");
    }
}

int esp_idf_api_checks_made(void) {
    return checks;
}

/* The capability values are ESP-IDF's: code and data built against
 * ESP-IDF's header must mean the same memory. */
#define SAME(a, b)                                                             \
    check((uint32_t)(a) == (uint32_t)(b), #a " has ESP-IDF's value")

static void caps_values(void) {
    SAME(MALLOC_CAP_EXEC, 1u << 0);
    SAME(MALLOC_CAP_32BIT, 1u << 1);
    SAME(MALLOC_CAP_8BIT, 1u << 2);
    SAME(MALLOC_CAP_DMA, 1u << 3);
    SAME(MALLOC_CAP_PID2, 1u << 4);
    SAME(MALLOC_CAP_PID3, 1u << 5);
    SAME(MALLOC_CAP_PID4, 1u << 6);
    SAME(MALLOC_CAP_PID5, 1u << 7);
    SAME(MALLOC_CAP_PID6, 1u << 8);
    SAME(MALLOC_CAP_PID7, 1u << 9);
    SAME(MALLOC_CAP_SPIRAM, 1u << 10);
    SAME(MALLOC_CAP_INTERNAL, 1u << 11);
    SAME(MALLOC_CAP_DEFAULT, 1u << 12);
    SAME(MALLOC_CAP_IRAM_8BIT, 1u << 13);
    SAME(MALLOC_CAP_RETENTION, 1u << 14);
    SAME(MALLOC_CAP_RTCRAM, 1u << 15);
    SAME(MALLOC_CAP_SPM, 1u << 16);
    SAME(MALLOC_CAP_DMA_DESC_AHB, 1u << 17);
    SAME(MALLOC_CAP_DMA_DESC_AXI, 1u << 18);
    SAME(MALLOC_CAP_CACHE_ALIGNED, 1u << 19);
    SAME(MALLOC_CAP_SIMD, 1u << 20);
    SAME(MALLOC_CAP_SPIRAM_NO_ENC, 1u << 21);
    SAME(MALLOC_CAP_INVALID, 1u << 31);
}

/* ---- esp_heap_caps.h: allocation ------------------------------------------
 */

/* HEAP_IRAM_ATTR places a function where the heap's own code goes (IRAM
 * unless CONFIG_HEAP_PLACE_FUNCTION_INTO_FLASH); it must still be callable. */
static HEAP_IRAM_ATTR int heap_placed(int x) {
    return x + 1;
}

static size_t failed_size;
static uint32_t failed_caps;
static const char *failed_in;
static int failed_calls;

static void on_failed_alloc(size_t size, uint32_t caps, const char *fn) {
    failed_size = size;
    failed_caps = caps;
    failed_in = fn;
    failed_calls++;
}

static bool all_bytes(const void *p, size_t n, unsigned char v) {
    const unsigned char *b = (const unsigned char *)p;
    for (size_t i = 0; i < n; i++) {
        if (b[i] != v)
            return false;
    }
    return true;
}

static void allocation(void) {
    esp_alloc_failed_hook_t hook = on_failed_alloc;
    check(heap_caps_register_failed_alloc_callback(hook) == ESP_OK,
          "heap_caps_register_failed_alloc_callback accepts a callback");
    check(heap_caps_register_failed_alloc_callback(NULL) == ESP_ERR_INVALID_ARG,
          "heap_caps_register_failed_alloc_callback refuses NULL");

    /* A request no heap can meet fails, and the callback hears of it. */
    size_t huge = SIZE_MAX / 2;
    failed_calls = 0;
    check(heap_caps_malloc(huge, MALLOC_CAP_8BIT) == NULL,
          "heap_caps_malloc of more than any heap holds returns NULL");
    check(failed_calls == 1 && failed_size == huge &&
              failed_caps == MALLOC_CAP_8BIT && failed_in != NULL,
          "the failed-allocation callback gets the size, caps and function");

    char *p = (char *)heap_caps_malloc(100, MALLOC_CAP_8BIT);
    check(p != NULL && (uintptr_t)p % 4 == 0,
          "heap_caps_malloc(100, 8BIT) gives a word-aligned block");
    if (!p)
        return;
    memset(p, 0xA5, 100);
    check(heap_caps_get_allocated_size(p) >= 100,
          "heap_caps_get_allocated_size is at least the request");
    check(heap_caps_get_containing_block_size(p + 50) >=
              heap_caps_get_allocated_size(p),
          "heap_caps_get_containing_block_size of an interior pointer");

    char *q = (char *)heap_caps_realloc(p, 300, MALLOC_CAP_8BIT);
    check(q != NULL && all_bytes(q, 100, 0xA5),
          "heap_caps_realloc keeps the contents");
    if (q)
        p = q;
    check(heap_caps_realloc(p, 0, MALLOC_CAP_8BIT) == NULL,
          "heap_caps_realloc to 0 frees and returns NULL");

    unsigned char *z = (unsigned char *)heap_caps_calloc(
        10, 30, MALLOC_CAP_8BIT | MALLOC_CAP_DEFAULT);
    check(z != NULL && all_bytes(z, 300, 0), "heap_caps_calloc zeroes");
    heap_caps_free(z);
    check(heap_caps_calloc(SIZE_MAX / 4, 8, MALLOC_CAP_8BIT) == NULL,
          "heap_caps_calloc refuses a product that overflows");

    for (size_t a = 4; a <= 256; a *= 2) {
        void *al = heap_caps_aligned_alloc(a, 70, MALLOC_CAP_8BIT);
        check(al != NULL && (uintptr_t)al % a == 0,
              "heap_caps_aligned_alloc aligns");
        heap_caps_free(al);
    }
    unsigned char *ac =
        (unsigned char *)heap_caps_aligned_calloc(64, 5, 20, MALLOC_CAP_8BIT);
    check(ac != NULL && (uintptr_t)ac % 64 == 0 && all_bytes(ac, 100, 0),
          "heap_caps_aligned_calloc aligns and zeroes");
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
    heap_caps_aligned_free(ac); /* deprecated by ESP-IDF, still there */
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic pop
#endif
    heap_caps_free(NULL); /* allowed, does nothing */
    check(heap_caps_malloc(16, MALLOC_CAP_INVALID) == NULL,
          "MALLOC_CAP_INVALID is never served");

    /* Preferences: the first caps that can serve wins. */
    void *pr = heap_caps_malloc_prefer(64, 2, MALLOC_CAP_INVALID,
                                       MALLOC_CAP_8BIT | MALLOC_CAP_DEFAULT);
    check(pr != NULL, "heap_caps_malloc_prefer falls back to the next caps");
    void *pr2 = heap_caps_realloc_prefer(pr, 200, 2, MALLOC_CAP_INVALID,
                                         MALLOC_CAP_8BIT);
    check(pr2 != NULL, "heap_caps_realloc_prefer");
    heap_caps_free(pr2 ? pr2 : pr);
    unsigned char *pc = (unsigned char *)heap_caps_calloc_prefer(
        4, 16, 2, MALLOC_CAP_8BIT, MALLOC_CAP_32BIT);
    check(pc != NULL && all_bytes(pc, 64, 0), "heap_caps_calloc_prefer");
    heap_caps_free(pc);

    /* A limit below which malloc() prefers internal memory; harmless
     * without external memory. */
    heap_caps_malloc_extmem_enable(4096);
    void *small = heap_caps_malloc(32, MALLOC_CAP_DEFAULT);
    check(small != NULL, "malloc below the external-memory limit");
    heap_caps_free(small);
}

/* ---- esp_heap_caps.h: figures ----------------------------------------------
 */

static void figures(void) {
    const uint32_t caps = MALLOC_CAP_8BIT;
    size_t total = heap_caps_get_total_size(caps);
    size_t free0 = heap_caps_get_free_size(caps);
    size_t largest = heap_caps_get_largest_free_block(caps);
    size_t minimum = heap_caps_get_minimum_free_size(caps);
    check(total > 0 && free0 <= total && largest <= free0 && minimum <= free0,
          "total >= free >= largest, minimum <= free");

    multi_heap_info_t info;
    heap_caps_get_info(&info, caps);
    check(info.total_free_bytes == free0 &&
              info.largest_free_block == largest &&
              info.minimum_free_bytes == minimum &&
              info.total_blocks == info.allocated_blocks + info.free_blocks,
          "heap_caps_get_info agrees with the single figures");

    void *p = heap_caps_malloc(256, caps);
    multi_heap_info_t after;
    heap_caps_get_info(&after, caps);
    check(p != NULL && after.allocated_blocks == info.allocated_blocks + 1 &&
              after.total_allocated_bytes >= info.total_allocated_bytes + 256 &&
              heap_caps_get_free_size(caps) + 256 <= free0,
          "an allocation shows in the figures");
    heap_caps_free(p);
    check(heap_caps_get_free_size(caps) == free0,
          "its free gives the bytes back");

    /* "Returns the largest value of s for which heap_caps_malloc(s, caps)
     * will succeed." */
    void *all = heap_caps_malloc(largest, caps);
    check(all != NULL, "the largest free block can be allocated");
    heap_caps_free(all);

    check(heap_caps_monitor_local_minimum_free_size_start() == ESP_OK,
          "minimum-free monitoring starts");
    size_t local = heap_caps_get_minimum_free_size(caps);
    void *dip = heap_caps_malloc(400, caps);
    check(heap_caps_get_minimum_free_size(caps) + 400 <= local,
          "the local minimum follows an allocation");
    heap_caps_free(dip);
    check(heap_caps_monitor_local_minimum_free_size_stop() == ESP_OK,
          "minimum-free monitoring stops");
    check(heap_caps_monitor_local_minimum_free_size_stop() != ESP_OK,
          "stopping twice is an error");
    check(heap_caps_get_minimum_free_size(caps) <= local,
          "the minimum since start-up is back");
}

/* ---- esp_heap_caps.h: checking, printing, walking --------------------------
 */

typedef struct {
    const void *want;
    size_t size;
    bool used, found, bounds_ok;
    int blocks;
} walk_seen_t;

static bool see_block(walker_heap_into_t heap, walker_block_info_t block,
                      void *user) {
    walk_seen_t *w = (walk_seen_t *)user;
    w->blocks++;
    if ((intptr_t)block.ptr < heap.start || (intptr_t)block.ptr >= heap.end)
        w->bounds_ok = false;
    if (block.ptr == w->want) {
        w->found = true;
        w->used = block.used;
        w->size = block.size;
    }
    return true;
}

static void inspection(void) {
    check(heap_caps_check_integrity_all(true), "heap_caps_check_integrity_all");
    check(heap_caps_check_integrity(MALLOC_CAP_8BIT, true),
          "heap_caps_check_integrity(8BIT)");
    void *p = heap_caps_malloc(48, MALLOC_CAP_8BIT);
    check(p != NULL && heap_caps_check_integrity_addr((intptr_t)p, true),
          "heap_caps_check_integrity_addr of a heap address");
    static int not_heap;
    check(!heap_caps_check_integrity_addr((intptr_t)&not_heap, false),
          "heap_caps_check_integrity_addr is false outside every heap");

    walk_seen_t w;
    memset(&w, 0, sizeof w);
    w.want = p;
    w.bounds_ok = true;
    heap_caps_walker_cb_t cb = see_block;
    heap_caps_walk(MALLOC_CAP_8BIT, cb, &w);
    check(w.found && w.used && w.size >= 48 && w.bounds_ok,
          "heap_caps_walk reports the live block inside its heap");
    int blocks = w.blocks;
    memset(&w, 0, sizeof w);
    w.want = p;
    w.bounds_ok = true;
    heap_caps_walk_all(cb, &w);
    check(w.found && w.blocks >= blocks && w.bounds_ok,
          "heap_caps_walk_all covers at least the 8BIT heaps");

    /* These print; the formats are tested elsewhere. */
    heap_caps_print_heap_info(MALLOC_CAP_8BIT);
    heap_caps_dump(MALLOC_CAP_EXEC);
    heap_caps_dump_all();
    heap_caps_free(p);
}

/* ---- esp_heap_caps_init.h --------------------------------------------------
 */

#define INVENTED_CAP (1u << 29) /* no chip offers it */

static void runtime_regions(char *mem, size_t size) {
    heap_caps_enable_nonos_stack_heaps(); /* idempotent after start-up */

    /* A region with caps of its own: only requests for them reach it. */
    uint32_t caps[3] = {INVENTED_CAP | MALLOC_CAP_8BIT | MALLOC_CAP_32BIT, 0,
                        0};
    intptr_t start = (intptr_t)mem, end = (intptr_t)(mem + size / 2);
    check(heap_caps_add_region_with_caps(caps, start, end) == ESP_OK,
          "heap_caps_add_region_with_caps");
    check(heap_caps_add_region_with_caps(caps, start + 64, end - 64) ==
              ESP_FAIL,
          "a region overlapping a heap is refused with ESP_FAIL");
    size_t total = heap_caps_get_total_size(INVENTED_CAP);
    check(total > 0 && total <= size / 2,
          "the new heap's total is at most its region");
    char *p = (char *)heap_caps_malloc(100, INVENTED_CAP);
    check(p != NULL && (intptr_t)p >= start && (intptr_t)p + 100 <= end,
          "its caps are served from it");
    check(heap_caps_get_minimum_free_size(INVENTED_CAP) == 0,
          "heaps added at run time do not count in the minimum free size");
    heap_caps_free(p);

    /* Without caps, the chip decides what memory this is: found, or not a
     * known memory region. */
    esp_err_t err = heap_caps_add_region((intptr_t)(mem + size / 2),
                                         (intptr_t)(mem + size));
    check(err == ESP_OK || err == ESP_ERR_NOT_FOUND,
          "heap_caps_add_region: added, or not a known memory");
    check(heap_caps_add_region(0, 0) != ESP_OK,
          "heap_caps_add_region refuses an empty range");
}

/* ---- multi_heap.h
 * ------------------------------------------------------------ */

typedef struct {
    void *want;
    bool found;
} mh_seen_t;

static bool see_mh_block(void *ptr, size_t size, int used, void *user) {
    mh_seen_t *s = (mh_seen_t *)user;
    if (ptr == s->want && used && size >= 60)
        s->found = true;
    return true;
}

static void multi_heap_api(char *mem, size_t size) {
    multi_heap_handle_t h = multi_heap_register(mem, size);
    check(h != NULL, "multi_heap_register");
    if (!h)
        return;
    multi_heap_set_lock(h, NULL);
    size_t free0 = multi_heap_free_size(h);
    char *p = (char *)multi_heap_malloc(h, 60);
    check(p != NULL && p >= mem && p + 60 <= mem + size,
          "multi_heap_malloc serves from the registered memory");
    check(multi_heap_get_allocated_size(h, p) >= 60,
          "multi_heap_get_allocated_size");
    check(multi_heap_get_full_block_size(h, p) >=
              multi_heap_get_allocated_size(h, p),
          "multi_heap_get_full_block_size");
    check(multi_heap_find_containing_block(h, p + 59) == p,
          "multi_heap_find_containing_block");
    memset(p, 0x3C, 60);
    char *q = (char *)multi_heap_realloc(h, p, 200);
    check(q != NULL && all_bytes(q, 60, 0x3C), "multi_heap_realloc");
    if (q)
        p = q;
    void *al = multi_heap_aligned_alloc(h, 40, 64);
    check(al != NULL && (uintptr_t)al % 64 == 0, "multi_heap_aligned_alloc");
    void *offs = multi_heap_aligned_alloc_offs(h, 80, 64, 16);
    check(offs != NULL && ((uintptr_t)offs + 16) % 64 == 0,
          "multi_heap_aligned_alloc_offs aligns the address offset bytes in");

    multi_heap_info_t info;
    multi_heap_get_info(h, &info);
    check(info.allocated_blocks == 3 &&
              info.total_free_bytes == multi_heap_free_size(h) &&
              info.minimum_free_bytes == multi_heap_minimum_free_size(h) &&
              info.largest_free_block <= info.total_free_bytes,
          "multi_heap_get_info");
    check(multi_heap_check(h, true), "multi_heap_check");
    mh_seen_t seen = {p, false};
    multi_heap_walker_cb_t cb = see_mh_block;
    multi_heap_walk(h, cb, &seen);
    check(seen.found, "multi_heap_walk reports the live block");
    multi_heap_dump(h);

    size_t before = multi_heap_reset_minimum_free_bytes(h);
    check(multi_heap_minimum_free_size(h) == multi_heap_free_size(h) &&
              before <= multi_heap_free_size(h),
          "multi_heap_reset_minimum_free_bytes returns the old minimum");
    multi_heap_restore_minimum_free_bytes(h, before);
    check(multi_heap_minimum_free_size(h) == before,
          "multi_heap_restore_minimum_free_bytes");

    multi_heap_free(h, offs);
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
    multi_heap_aligned_free(h, al);
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic pop
#endif
    multi_heap_free(h, p);
    check(multi_heap_free_size(h) == free0, "everything freed comes back");
}

/* ---- heap_memory_layout.h ----------------------------------------------- */

#ifdef ESP_IDF_API_RESERVE_START
/* A range of the chip's memory the build names, kept from every heap. */
SOC_RESERVE_MEMORY_REGION(ESP_IDF_API_RESERVE_START, ESP_IDF_API_RESERVE_END,
                          esp_idf_api_reserved);
#endif

#ifdef ESP_IDF_API_RESERVE_START
typedef struct {
    intptr_t lo, hi;
    bool touched;
} range_seen_t;

static bool see_range(walker_heap_into_t heap, walker_block_info_t block,
                      void *user) {
    range_seen_t *r = (range_seen_t *)user;
    (void)block;
    if (heap.start < r->hi && r->lo < heap.end)
        r->touched = true;
    return false; /* one look per heap is enough */
}
#endif

static void memory_layout(void) {
    check(SOC_MEMORY_TYPE_NO_PRIOS == 3, "three priority levels of caps");
    size_t types = soc_memory_type_count, regions = soc_memory_region_count;
    check(types > 0 && regions > 0, "the chip's types and regions are listed");
    bool ok = true;
    for (size_t i = 0; i < regions; i++) {
        const soc_memory_region_t *r = &soc_memory_regions[i];
        ok = ok && r->size > 0 && r->type < types &&
             soc_memory_types[r->type].name != NULL;
        if (i > 0)
            ok = ok && soc_memory_regions[i - 1].start < r->start;
    }
    check(ok, "each region has a size and a named type, sorted by address");

    static soc_memory_region_t avail[64];
    size_t max = soc_get_available_memory_region_max_count();
    size_t n = max <= 64 ? soc_get_available_memory_regions(avail) : 0;
    check(n > 0 && n <= max, "soc_get_available_memory_regions fills at most "
                             "soc_get_available_memory_region_max_count");
    for (size_t i = 0; i < n; i++) {
        bool inside = false;
        for (size_t j = 0; j < regions; j++) {
            const soc_memory_region_t *r = &soc_memory_regions[j];
            inside = inside || (avail[i].start >= r->start &&
                                avail[i].start + (intptr_t)avail[i].size <=
                                    r->start + (intptr_t)r->size);
        }
        ok = ok && inside && avail[i].type < types;
    }
    check(ok, "every available region lies in a region of the chip");
    soc_reserved_region_t none = {0, 0};
    check(none.end == none.start, "soc_reserved_region_t");
#ifdef ESP_IDF_API_RESERVE_START
    const intptr_t lo = ESP_IDF_API_RESERVE_START, hi = ESP_IDF_API_RESERVE_END;
    bool clear = true;
    for (size_t i = 0; i < n; i++)
        clear = clear && (avail[i].start + (intptr_t)avail[i].size <= lo ||
                          avail[i].start >= hi);
    check(clear, "SOC_RESERVE_MEMORY_REGION: no available region holds it");
    range_seen_t seen = {lo, hi, false};
    heap_caps_walk_all(see_range, &seen);
    check(!seen.touched, "SOC_RESERVE_MEMORY_REGION: no heap holds it");
#endif
}

/* ---- esp_heap_task_info.h (CONFIG_HEAP_TASK_TRACKING) ---------------------
 */

static void task_info(void) {
#if CAPHEAP_OWNERS
    void *a = heap_caps_malloc(300, MALLOC_CAP_8BIT);
    void *b = heap_caps_malloc(500, MALLOC_CAP_8BIT);
    static heap_stat_t heaps[CAPHEAP_CAPS_MAX_TYPES];
    static heap_task_block_t blocks[64];
    heap_single_task_stat_t one;
    memset(&one, 0, sizeof one);
    one.heap_count = CAPHEAP_CAPS_MAX_TYPES;
    one.heap_stat_start = heaps;
    one.alloc_count = 64;
    one.alloc_stat_start = blocks;
    bool found_a = false, found_b = false;
    check(heap_caps_get_single_task_stat(&one, NULL) == ESP_OK &&
              one.stat.is_alive && one.stat.overall_current_usage >= 800 &&
              one.stat.overall_peak_usage >= one.stat.overall_current_usage,
          "heap_caps_get_single_task_stat: the calling task's usage");
    for (size_t i = 0; i < one.alloc_count; i++) {
        found_a = found_a || blocks[i].address == a;
        found_b = found_b || blocks[i].address == b;
    }
    check(found_a && found_b, "the task's blocks are listed");

    heap_single_task_stat_t own;
    memset(&own, 0, sizeof own);
    check(heap_caps_alloc_single_task_stat_arrays(&own, NULL) == ESP_OK &&
              heap_caps_get_single_task_stat(&own, NULL) == ESP_OK &&
              /* the arrays are the task's blocks too */
              own.stat.overall_current_usage >= one.stat.overall_current_usage,
          "heap_caps_alloc_single_task_stat_arrays sizes the arrays");
    heap_caps_free_single_task_stat_arrays(&own);

    heap_all_tasks_stat_t all;
    memset(&all, 0, sizeof all);
    check(heap_caps_alloc_all_task_stat_arrays(&all) == ESP_OK &&
              heap_caps_get_all_task_stat(&all) == ESP_OK &&
              all.task_count >= 1,
          "heap_caps_get_all_task_stat");
    heap_caps_free_all_task_stat_arrays(&all);

    heap_task_totals_t totals[4];
    size_t num_totals = 0;
    heap_task_info_params_t params;
    memset(&params, 0, sizeof params);
    params.caps[0] = MALLOC_CAP_8BIT;
    params.mask[0] = MALLOC_CAP_8BIT;
    params.totals = totals;
    params.num_totals = &num_totals;
    params.max_totals = 4;
    params.blocks = blocks;
    params.max_blocks = 64;
    size_t listed = heap_caps_get_per_task_info(&params);
    check(num_totals >= 1 && listed >= 2,
          "heap_caps_get_per_task_info (the legacy partitioned totals)");

#if CAPHEAP_OUTPUT
    heap_caps_print_all_task_stat_overview(stdout);
    heap_caps_print_all_task_stat(stdout);
    heap_caps_print_single_task_stat_overview(stdout, NULL);
    heap_caps_print_single_task_stat(stdout, NULL);
#endif
    heap_caps_free(a);
    heap_caps_free(b);
#endif
}

/* ---- esp_heap_trace.h ------------------------------------------------------
 */

static void tracing(void) {
    static heap_trace_record_t records[8];
    esp_err_t err = heap_trace_init_standalone(records, 8);
    if (err == ESP_ERR_NOT_SUPPORTED) {
        /* Tracing compiled out (CONFIG_HEAP_TRACING_STANDALONE unset): every
         * call says so and records nothing. */
        check(heap_trace_start(HEAP_TRACE_LEAKS) == ESP_ERR_NOT_SUPPORTED &&
                  heap_trace_get_count() == 0,
              "heap tracing off: calls return ESP_ERR_NOT_SUPPORTED");
        return;
    }
    check(err == ESP_OK, "heap_trace_init_standalone");
    check(heap_trace_start(HEAP_TRACE_LEAKS) == ESP_OK, "heap_trace_start");
    void *p = heap_caps_malloc(40, MALLOC_CAP_8BIT);
    heap_trace_record_t rec;
    check(heap_trace_get_count() == 1 && heap_trace_get(0, &rec) == ESP_OK &&
              rec.address == p && rec.size == 40,
          "the allocation is recorded with its address and size");
    check(heap_trace_get(1, &rec) == ESP_ERR_INVALID_ARG,
          "heap_trace_get past the count");
    heap_caps_free(p);
    check(heap_trace_get_count() == 0, "leaks mode drops a freed record");

    check(heap_trace_alloc_pause() == ESP_OK, "heap_trace_alloc_pause");
    void *unseen = heap_caps_malloc(24, MALLOC_CAP_8BIT);
    check(heap_trace_get_count() == 0, "a paused trace records no allocation");
    check(heap_trace_resume() == ESP_OK, "heap_trace_resume");
    void *seen = heap_caps_malloc(24, MALLOC_CAP_8BIT);
    check(heap_trace_get_count() == 1, "a resumed trace records again");
    check(heap_trace_stop() == ESP_OK, "heap_trace_stop");
    heap_trace_dump();
    heap_trace_dump_caps(MALLOC_CAP_INTERNAL);
    heap_trace_summary_t sum;
    check(heap_trace_summary(&sum) == ESP_OK && sum.mode == HEAP_TRACE_LEAKS &&
              sum.capacity == 8 && sum.count == 1 &&
              sum.total_allocations >= 2 && sum.total_frees >= 1 &&
              !sum.has_overflowed,
          "heap_trace_summary");
    check(heap_trace_init_tohost() == ESP_ERR_NOT_SUPPORTED,
          "no host tracing without JTAG (ESP-IDF without TOHOST says so)");
    heap_caps_free(unseen);
    heap_caps_free(seen);
}

/* ---- the whole program
 * ------------------------------------------------------- */

int esp_idf_api_check(void *scratch, size_t scratch_size) {
    checks = failures = 0;
    char *mem = (char *)scratch;
    size_t half = scratch_size / 2 & ~(size_t)15;
    caps_values();
    check(heap_placed(41) == 42, "a HEAP_IRAM_ATTR function runs");
    allocation();
    figures();
    inspection();
    tracing();
    memory_layout();
    task_info();
    multi_heap_api(mem, half);
    runtime_regions(mem + half, scratch_size - half);
    return failures;
}
