/*
 * esp_heap_caps.c - ESP-IDF's heap_caps_* API over one global capability
 * heap, the system heap (capheap/system.h). Each function maps to the native
 * capheap_caps_* API; what is here is only ESP-IDF's contract around it: the
 * failure callback, the prefer lists, calloc's zeroing, monitoring windows and
 * the printed reports.
 */
#include <stdarg.h>
#include <string.h>

#include "capheap/debug.h"
#include "capheap/output.h"
#include "capheap/system.h"
#include "esp_heap_caps.h"
#include "esp_heap_caps_private.h"
#include "multi_heap_info.h"

esp_err_t
heap_caps_register_failed_alloc_callback(esp_alloc_failed_hook_t callback) {
    if (!callback)
        return ESP_ERR_INVALID_ARG;
    capheap_system_set_failed_hook(callback);
    return ESP_OK;
}

/* Each entry point that others share is an implementation taking the
 * caller, the public function (CAPHEAP_CALLER: NULL without hooks, so
 * nothing is computed) and a _by variant (esp_heap_caps_private.h). The
 * others pass their own CAPHEAP_CALLER straight down. Before the system
 * heap is built (a target before heap_caps_init()) an allocation fails
 * through the callback without touching memory. */

static inline void *malloc_impl(size_t size, uint32_t caps,
                                const void *caller) {
    capheap_caps_t *ch = capheap_system();
    void *p = ch ? capheap_caps_alloc_by(ch, size, caps, caller) : NULL;
    if (!p && size)
        capheap_system_alloc_failed(size, caps, "heap_caps_malloc");
    return p;
}

void *heap_caps_malloc(size_t size, uint32_t caps) {
    return malloc_impl(size, caps, CAPHEAP_CALLER);
}

void *capheap_esp_malloc_by(size_t size, uint32_t caps, const void *caller) {
    return malloc_impl(size, caps, caller);
}

void heap_caps_free(void *ptr) {
    capheap_system_free_by(ptr, CAPHEAP_CALLER);
}

void capheap_esp_free_by(void *ptr, const void *caller) {
    capheap_system_free_by(ptr, caller);
}

void heap_caps_aligned_free(void *ptr) {
    capheap_system_free_by(ptr, CAPHEAP_CALLER);
}

void *heap_caps_realloc(void *ptr, size_t size, uint32_t caps) {
    capheap_caps_t *ch = capheap_system();
    void *p = NULL;
    if (ch)
        p = capheap_caps_realloc_by(ch, ptr, size, caps, CAPHEAP_CALLER);
    else if (ptr) /* nothing was allocated yet: no block of the heap */
        capheap_report_error(CAPHEAP_ERR_FOREIGN_POINTER, ptr, __func__);
    if (!p && size)
        capheap_system_alloc_failed(size, caps, __func__);
    return p;
}

static bool valid_alignment(size_t a) {
    return a && !(a & (a - 1));
}

void *heap_caps_aligned_alloc(size_t alignment, size_t size, uint32_t caps) {
    if (!valid_alignment(alignment) || size == 0)
        return NULL;
    capheap_caps_t *ch = capheap_system();
    void *p = ch ? capheap_caps_aligned_alloc_by(ch, alignment, size, caps,
                                                 CAPHEAP_CALLER)
                 : NULL;
    if (!p)
        capheap_system_alloc_failed(size, caps, __func__);
    return p;
}

void *heap_caps_aligned_calloc(size_t alignment, size_t n, size_t size,
                               uint32_t caps) {
    size_t total;
    if (__builtin_mul_overflow(n, size, &total))
        return NULL;
    if (!valid_alignment(alignment) || total == 0)
        return NULL;
    capheap_caps_t *ch = capheap_system();
    void *p = ch ? capheap_caps_aligned_alloc_by(ch, alignment, total, caps,
                                                 CAPHEAP_CALLER)
                 : NULL;
    if (p)
        memset(p, 0, total);
    else
        capheap_system_alloc_failed(total, caps, __func__);
    return p;
}

void *heap_caps_calloc(size_t n, size_t size, uint32_t caps) {
    size_t total;
    if (__builtin_mul_overflow(n, size, &total))
        return NULL;
    capheap_caps_t *ch = capheap_system();
    void *p =
        ch ? capheap_caps_alloc_by(ch, total, caps, CAPHEAP_CALLER) : NULL;
    if (p)
        memset(p, 0, total);
    else if (total)
        capheap_system_alloc_failed(total, caps, __func__);
    return p;
}

/* ---- the malloc() policy: the system heap's ---------------------------- */

void heap_caps_malloc_extmem_enable(size_t limit) {
    capheap_system_set_extmem_limit(limit);
}

void *heap_caps_malloc_default(size_t size) {
    return capheap_system_malloc_by(size, CAPHEAP_CALLER);
}

void *heap_caps_realloc_default(void *ptr, size_t size) {
    return capheap_system_realloc_by(ptr, size, CAPHEAP_CALLER);
}

void *heap_caps_aligned_alloc_default(size_t alignment, size_t size) {
    return capheap_system_aligned_alloc_by(alignment, size, CAPHEAP_CALLER);
}

/* ---- prefer lists ------------------------------------------------------ */

void *heap_caps_malloc_prefer(size_t size, size_t num, ...) {
    va_list ap;
    uint32_t caps = 0;
    void *p = NULL;
    capheap_caps_t *ch = capheap_system();
    va_start(ap, num);
    while (!p && num--) {
        caps = va_arg(ap, uint32_t);
        if (ch)
            p = capheap_caps_alloc_by(ch, size, caps, CAPHEAP_CALLER);
    }
    va_end(ap);
    if (!p && size)
        capheap_system_alloc_failed(size, caps, __func__);
    return p;
}

void *heap_caps_realloc_prefer(void *ptr, size_t size, size_t num, ...) {
    va_list ap;
    uint32_t caps = 0;
    void *p = NULL;
    capheap_caps_t *ch = capheap_system();
    if (!ch && ptr) /* nothing was allocated yet: no block of the heap */
        capheap_report_error(CAPHEAP_ERR_FOREIGN_POINTER, ptr, __func__);
    va_start(ap, num);
    while (!p && num--) {
        caps = va_arg(ap, uint32_t);
        if (!ch)
            continue;
        p = capheap_caps_realloc_by(ch, ptr, size, caps, CAPHEAP_CALLER);
        if (!p && size == 0)
            break; /* size 0 freed the block */
    }
    va_end(ap);
    if (!p && size)
        capheap_system_alloc_failed(size, caps, __func__);
    return p;
}

void *heap_caps_calloc_prefer(size_t n, size_t size, size_t num, ...) {
    va_list ap;
    uint32_t caps = 0;
    void *p = NULL;
    size_t total;
    if (__builtin_mul_overflow(n, size, &total))
        return NULL;
    capheap_caps_t *ch = capheap_system();
    va_start(ap, num);
    while (!p && num--) {
        caps = va_arg(ap, uint32_t);
        if (ch)
            p = capheap_caps_alloc_by(ch, total, caps, CAPHEAP_CALLER);
    }
    va_end(ap);
    if (p)
        memset(p, 0, total);
    else if (total)
        capheap_system_alloc_failed(total, caps, __func__);
    return p;
}

/* ---- sizes and statistics --------------------------------------------- */

/* Before start-up (a target) there is no heap: every sum is 0. Filled in
 * place: each caller keeps one figure or copies them all. */
static void stats(uint32_t caps, capheap_stats_t *s) {
    capheap_caps_t *ch = capheap_system();
    if (ch)
        capheap_caps_stats(ch, caps, s);
    else
        memset(s, 0, sizeof *s);
}

size_t heap_caps_get_total_size(uint32_t caps) {
    capheap_stats_t s;
    stats(caps, &s);
    return s.total_bytes;
}

size_t heap_caps_get_free_size(uint32_t caps) {
    capheap_stats_t s;
    stats(caps, &s);
    return s.free_bytes;
}

size_t heap_caps_get_minimum_free_size(uint32_t caps) {
    capheap_stats_t s;
    stats(caps, &s);
    return s.minimum_free_bytes;
}

size_t heap_caps_get_largest_free_block(uint32_t caps) {
    capheap_stats_t s;
    stats(caps, &s);
    return s.largest_free_block;
}

void heap_caps_get_info(multi_heap_info_t *info, uint32_t caps) {
    capheap_stats_t s;
    stats(caps, &s);
    capheap_fill_multi_heap_info(info, &s);
}

/* Before start-up every pointer is foreign to the heap. */
static capheap_caps_t *heap_for(const void *ptr, const char *fn) {
    capheap_caps_t *ch = capheap_system();
    if (!ch)
        capheap_report_error(CAPHEAP_ERR_FOREIGN_POINTER, ptr, fn);
    return ch;
}

size_t heap_caps_get_allocated_size(void *ptr) {
    capheap_caps_t *ch = heap_for(ptr, __func__);
    return ch ? capheap_caps_usable_size(ch, ptr) : 0;
}

size_t heap_caps_get_containing_block_size(void *ptr) {
    capheap_caps_t *ch = heap_for(ptr, __func__);
    if (!ch)
        return 0;
    void *blk = capheap_heap_containing_block(ch->heap, ptr);
    if (!blk) {
        capheap_report_error(CAPHEAP_ERR_NOT_BLOCK, ptr,
                             "heap_caps_get_containing_block_size");
        return 0;
    }
    return capheap_heap_usable_size(ch->heap, blk);
}

/* ---- minimum-free monitoring ------------------------------------------- */

/* The window of the system heap (one, as ESP-IDF has): here, not in the
 * heap object, so that a program that never monitors does not keep it. */
static size_t saved_min[CAPHEAP_CAPS_MAX_TYPES]; /* minima before it */
static bool monitoring;

esp_err_t heap_caps_monitor_local_minimum_free_size_start(void) {
    capheap_caps_t *ch = capheap_system();
    if (!ch)
        return ESP_ERR_INVALID_STATE;
    for (unsigned t = 0; t < ch->type_count; t++) {
        size_t before = capheap_heap_reset_min_free(ch->heap, t);
        /* Restarting keeps the lowest minimum seen before any window. */
        if (!monitoring || before < saved_min[t])
            saved_min[t] = before;
    }
    monitoring = true;
    return ESP_OK;
}

esp_err_t heap_caps_monitor_local_minimum_free_size_stop(void) {
    capheap_caps_t *ch = capheap_system();
    if (!ch || !monitoring)
        return ESP_FAIL;
    for (unsigned t = 0; t < ch->type_count; t++)
        capheap_heap_restore_min_free(ch->heap, t, saved_min[t]);
    monitoring = false;
    return ESP_OK;
}

/* ---- integrity ---------------------------------------------------------- */

/* A check's verdict, printed as ESP-IDF does when asked. */
static bool verdict(capheap_err_t err, const capheap_check_report_t *rep,
                    bool print_errors) {
    if (err == CAPHEAP_OK)
        return true;
    if (CAPHEAP_OUTPUT && print_errors && err == CAPHEAP_ERR_CORRUPT) {
        char what[160];
        capheap_describe_fault(what, sizeof what, rep);
        capheap_printf("CORRUPT HEAP: %s\n", what);
    }
    return false;
}

/* Before start-up there is no heap, so none is corrupt. */
bool heap_caps_check_integrity_all(bool print_errors) {
    capheap_check_report_t rep;
    capheap_caps_t *ch = capheap_system();
    return !ch ||
           verdict(capheap_heap_check(ch->heap, &rep), &rep, print_errors);
}

bool heap_caps_check_integrity(uint32_t caps, bool print_errors) {
    capheap_check_report_t rep;
    capheap_caps_t *ch = capheap_system();
    return !ch ||
           verdict(capheap_caps_check(ch, caps, &rep), &rep, print_errors);
}

/* ESP-IDF answers false for an address in no heap. */
bool heap_caps_check_integrity_addr(intptr_t addr, bool print_errors) {
    capheap_check_report_t rep;
    capheap_caps_t *ch = capheap_system();
    return ch && verdict(capheap_caps_check_addr(ch, (uintptr_t)addr, &rep),
                         &rep, print_errors);
}

/* ---- walking and printing ---------------------------------------------- */

typedef struct {
    capheap_caps_t *ch;
    uint32_t caps;
    heap_caps_walker_cb_t fn;
    void *user;
    int stopped_region; /* region whose walk the callback ended, or -1 */
} walk_ctx_t;

static bool region_selected(capheap_caps_t *ch, unsigned tag, uint32_t caps) {
    return caps == CAPHEAP_CAP_INVALID || (ch->types[tag].all & caps) == caps;
}

/* A heap, as ESP-IDF reports it: the range it was registered with. */
static capheap_region_info_t heap_of(capheap_caps_t *ch, unsigned region) {
    capheap_region_info_t r;
    capheap_heap_region_info(ch->heap, region, &r);
    return r;
}

static bool walk_one(const capheap_block_info_t *b, void *user) {
    walk_ctx_t *w = user;
    if (b->control || (int)b->region == w->stopped_region ||
        !region_selected(w->ch, b->tag, w->caps))
        return true;
    capheap_region_info_t r = heap_of(w->ch, b->region);
    walker_heap_into_t hi = {(intptr_t)r.registered_start,
                             (intptr_t)r.registered_end};
    walker_block_info_t bi = {b->ptr, b->size, b->used};
    /* false stops this heap only; the next heap is walked. */
    if (!w->fn(hi, bi, w->user))
        w->stopped_region = (int)b->region;
    return true;
}

void heap_caps_walk(uint32_t caps, heap_caps_walker_cb_t walker_func,
                    void *user_data) {
    walk_ctx_t w = {capheap_system(), caps, walker_func, user_data, -1};
    if (walker_func && w.ch)
        capheap_heap_walk(w.ch->heap, walk_one, &w);
}

void heap_caps_walk_all(heap_caps_walker_cb_t walker_func, void *user_data) {
    heap_caps_walk(CAPHEAP_CAP_INVALID, walker_func, user_data);
}

typedef struct {
    size_t free, allocated, largest, used_blocks, free_blocks;
} region_sums_t;

static bool sum_block(const capheap_block_info_t *b, void *user) {
    region_sums_t *s = user;
    if (b->control)
        return true;
    if (b->used) {
        s[b->region].allocated += b->size;
        s[b->region].used_blocks++;
    } else {
        s[b->region].free += b->size;
        s[b->region].free_blocks++;
        if (b->size > s[b->region].largest)
            s[b->region].largest = b->size;
    }
    return true;
}

/* A heap's lowest free bytes since start-up (or the last monitoring
 * window). capheap keeps that mark per memory type, not per region: for a
 * type with one region it is the region's own; for a type with several it
 * is the lowest the region can have had, the type's mark less all that the
 * type's other regions could have held then (at least 0). */
static size_t region_min_free(capheap_caps_t *ch, unsigned region) {
    capheap_region_info_t r = heap_of(ch, region);
    capheap_stats_t t;
    capheap_heap_tag_stats(ch->heap, r.tag, &t);
    size_t others = 0;
    for (unsigned i = 0; i < capheap_heap_region_count(ch->heap); i++) {
        capheap_region_info_t o = heap_of(ch, i);
        if (i != region && o.tag == r.tag)
            others +=
                (size_t)((char *)o.registered_end - (char *)o.registered_start);
    }
    return t.minimum_free_bytes > others ? t.minimum_free_bytes - others : 0;
}

/* ESP-IDF's lines, word for word: a heap is a region as it was registered
 * (its start and length), its figures from one walk. */
void heap_caps_print_heap_info(uint32_t caps) {
    if (!CAPHEAP_OUTPUT)
        return; /* no walk for nothing to print */
    capheap_caps_t *ch = capheap_system();
    region_sums_t sums[CAPHEAP_CAPS_MAX_REGIONS];
    memset(sums, 0, sizeof sums);
    if (ch)
        capheap_heap_walk(ch->heap, sum_block, sums);
    capheap_printf("Heap summary for capabilities 0x%08X:\n", (unsigned)caps);
    for (unsigned i = 0; ch && i < capheap_heap_region_count(ch->heap); i++) {
        capheap_region_info_t r = heap_of(ch, i);
        if (!region_selected(ch, r.tag, caps))
            continue;
        region_sums_t *s = &sums[i];
        capheap_printf(
            "  At 0x%08lx len %zu free %zu allocated %zu "
            "min_free %zu\n",
            (unsigned long)(uintptr_t)r.registered_start,
            (size_t)((char *)r.registered_end - (char *)r.registered_start),
            s->free, s->allocated, region_min_free(ch, i));
        capheap_printf("    largest_free_block %zu alloc_blocks %zu "
                       "free_blocks %zu total_blocks %zu\n",
                       s->largest, s->used_blocks, s->free_blocks,
                       s->used_blocks + s->free_blocks);
    }
    capheap_stats_t t;
    stats(caps == CAPHEAP_CAP_INVALID ? 0 : caps, &t);
    capheap_printf("  Totals:\n    free %zu allocated %zu min_free %zu "
                   "largest_free_block %zu\n",
                   t.free_bytes, t.allocated_bytes, t.minimum_free_bytes,
                   t.largest_free_block);
}

typedef struct {
    capheap_caps_t *ch;
    uint32_t caps;
    int shown; /* the region whose heading is printed, or -1 */
} dump_ctx_t;

/* ESP-IDF's dump: each heap's registered start, then its blocks (the
 * region's control block is capheap's bookkeeping, not a block of it). */
static bool dump_block(const capheap_block_info_t *b, void *user) {
    dump_ctx_t *d = user;
    if (!region_selected(d->ch, b->tag, d->caps))
        return true;
    if ((int)b->region != d->shown) { /* a heap's first block */
        d->shown = (int)b->region;
        capheap_printf("Showing data for heap: %p \n",
                       heap_of(d->ch, b->region).registered_start);
    }
    if (!b->control)
        capheap_printf("Block %p data, size: %zu bytes, Free: %s \n", b->ptr,
                       b->size, b->used ? "No" : "Yes");
    return true;
}

void heap_caps_dump(uint32_t caps) {
    if (!CAPHEAP_OUTPUT)
        return;
    dump_ctx_t d = {capheap_system(), caps, -1};
    if (d.ch)
        capheap_heap_walk(d.ch->heap, dump_block, &d);
}

void heap_caps_dump_all(void) {
    heap_caps_dump(CAPHEAP_CAP_INVALID);
}
