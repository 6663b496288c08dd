/*
 * trace.c - heap tracing with ESP-IDF's esp_heap_trace.h API (standalone:
 * into a buffer of records the application gives).
 *
 * Fed by the capability heap's observer through the ESP-IDF layer
 * (src/system/system_hooks.c), never called by the layers below.
 *
 * The buffer's records form two lists threaded through their links: the
 * records in use, oldest first (doubly linked, so a free in a LEAKS trace
 * drops its record in O(1) and the oldest can be evicted), and the unused
 * ones. Live records are also in the address table (trace_map.h), which is
 * how a free finds its record. Records are named by index + 1 (0: none).
 *
 * Memory: the state below (about 2.1 KiB with the default 512 buckets)
 * plus the application's buffer; a record is 48 bytes on 32-bit targets
 * and 72 on 64-bit ones with the default depth of 2.
 */
#include "capheap/config.h"

#if CAPHEAP_TRACE

#include "capheap/port.h"
#include "core/cstring.h"
#include "debug/trace.h"
#include "debug/trace_map.h"

#include <stdarg.h>

#include "capheap/output.h"

#if __STDC_HOSTED__
#include <stdio.h>
#endif

/* Deeper callers come from glibc's unwinder, which may allocate with the C
 * library's malloc on first use: not where capheap is that malloc. */
#ifndef CAPHEAP_TRACE_BACKTRACE
#if defined(__GLIBC__) && !defined(CAPHEAP_REPLACE_LIBC_MALLOC) &&             \
    CAPHEAP_TRACE_DEPTH > 1
#define CAPHEAP_TRACE_BACKTRACE 1
#else
#define CAPHEAP_TRACE_BACKTRACE 0
#endif
#endif
#if CAPHEAP_TRACE_BACKTRACE
#include <execinfo.h>
#endif

/* Frames of capheap's own above the application's call site, at most: the
 * tracer, the observer, the capability layer, and a few compatible entry
 * points calling each other (more at -O0, where nothing is inlined). */
enum { OWN_FRAMES = 16 };

_Static_assert(CAPHEAP_TRACE_HASH_BUCKETS <= UINT32_MAX, "32-bit buckets");

static struct {
    heap_trace_record_t *buf;
    uint32_t capacity;
    uint32_t oldest, newest; /* the records in use, in allocation order */
    uint32_t unused;         /* the others, chained by links.next */
    size_t count, high_water, allocations, frees, hits, misses;
    heap_trace_mode_t mode;
    bool tracing, allocs_paused, overflowed;
    uint32_t events; /* the default clock */
    uint32_t (*clock)(void);
    capheap_caps_t *heap;
    /* The last record heap_trace_get() found, so that reading every record
     * in order is linear; 0 after anything but an append. */
    uint32_t cursor_ref;
    size_t cursor_index;
#if __STDC_HOSTED__
    FILE *out;
#endif
    trace_map_t map;
} T;

static void lock(void) {
    void *l = capheap_port_default_lock();
    if (l)
        capheap_port_lock(l);
}

static void unlock(void) {
    void *l = capheap_port_default_lock();
    if (l)
        capheap_port_unlock(l);
}

/* ---- the buffer -------------------------------------------------------- */

/* Every record unused and zero, the table and the counts empty. */
static void reset(void) {
    memset(T.buf, 0, (size_t)T.capacity * sizeof *T.buf);
    for (uint32_t i = 0; i + 1 < T.capacity; i++)
        T.buf[i].links.next = i + 2;
    T.unused = T.capacity ? 1 : 0;
    T.oldest = T.newest = 0;
    T.count = T.high_water = 0;
    T.allocations = T.frees = T.hits = T.misses = 0;
    T.overflowed = false;
    T.events = 0;
    T.cursor_ref = 0;
    memset(&T.map, 0, sizeof T.map);
}

static void unlink_order(uint32_t ref) {
    heap_trace_record_t *r = TRACE_REC(T.buf, ref);
    if (r->links.prev)
        TRACE_REC(T.buf, r->links.prev)->links.next = r->links.next;
    else
        T.oldest = r->links.next;
    if (r->links.next)
        TRACE_REC(T.buf, r->links.next)->links.prev = r->links.prev;
    else
        T.newest = r->links.prev;
    T.cursor_ref = 0;
}

/* The record leaves the buffer (it is out of the table already). */
static void drop(uint32_t ref) {
    unlink_order(ref);
    heap_trace_record_t *r = TRACE_REC(T.buf, ref);
    memset(r, 0, sizeof *r);
    r->links.next = T.unused;
    T.unused = ref;
    T.count--;
}

/* A record for a new allocation: an unused one, else the oldest. */
static uint32_t take_record(void) {
    uint32_t ref = T.unused;
    if (ref) {
        T.unused = TRACE_REC(T.buf, ref)->links.next;
        return ref;
    }
    ref = T.oldest;
    if (!TRACE_REC(T.buf, ref)->freed)
        trace_map_remove(&T.map, T.buf, ref);
    unlink_order(ref);
    T.count--;
    T.overflowed = true;
    return ref;
}

/* Record @p i of the buffer, oldest first (i < count). */
static heap_trace_record_t *seek(size_t i) {
    uint32_t ref = T.oldest;
    size_t at = 0;
    if (T.cursor_ref && T.cursor_index <= i) {
        ref = T.cursor_ref;
        at = T.cursor_index;
    }
    for (; at < i; at++)
        ref = TRACE_REC(T.buf, ref)->links.next;
    T.cursor_ref = ref;
    T.cursor_index = i;
    return TRACE_REC(T.buf, ref);
}

/* ---- events (lock held) ------------------------------------------------ */

/* Every event ticks the default clock, so it orders frees too. */
static void tick(void) {
    T.events++;
}

/* The block of record @p ref is gone: dropped from a LEAKS trace, marked
 * in an ALL trace (with who freed it, when known). */
static void retire(uint32_t ref, void *const *callers) {
    if (T.mode == HEAP_TRACE_LEAKS) {
        drop(ref);
        return;
    }
    heap_trace_record_t *r = TRACE_REC(T.buf, ref);
    r->freed = true;
    if (callers)
        memcpy(r->freed_by, callers, sizeof r->freed_by);
}

static void record_alloc(void *ptr, size_t size, uint32_t caps,
                         void *const *callers) {
    if (!T.tracing || T.allocs_paused)
        return;
    /* The heap hands out only free memory: a live record of this address
     * is a block freed while the trace was stopped. */
    uint32_t stale = trace_map_take(&T.map, T.buf, ptr);
    if (stale)
        retire(stale, NULL);
    T.allocations++;
    uint32_t ref = take_record();
    heap_trace_record_t *r = TRACE_REC(T.buf, ref);
    memset(r, 0, sizeof *r);
    r->address = ptr;
    r->size = size;
    r->caps = caps;
    tick();
    r->ccount = T.clock ? T.clock() : T.events;
    memcpy(r->alloced_by, callers, sizeof r->alloced_by);
    r->links.prev = T.newest;
    if (T.newest)
        TRACE_REC(T.buf, T.newest)->links.next = ref;
    else
        T.oldest = ref;
    T.newest = ref;
    trace_map_insert(&T.map, T.buf, ref);
    if (++T.count > T.high_water)
        T.high_water = T.count;
}

static void record_free(void *ptr, void *const *callers) {
    if (!T.tracing)
        return;
    T.frees++;
    tick();
    uint32_t ref = trace_map_take(&T.map, T.buf, ptr);
    if (!ref) {
        T.misses++;
        return;
    }
    T.hits++;
    retire(ref, callers);
}

/* ESP-IDF records every realloc as a free and an allocation. Here a block
 * resized in place keeps its record (the size and caps change; the
 * allocation's callers and time stay): a HEAP_TRACE_ALL trace then never
 * shows memory as freed that was not. A moved block is a free and an
 * allocation, as in ESP-IDF; so is a block resized in place that the
 * trace had not seen. */
static void record_realloc(void *old_ptr, void *new_ptr, size_t size,
                           uint32_t caps, void *const *callers) {
    if (!T.tracing)
        return;
    if (old_ptr == new_ptr) {
        uint32_t ref = trace_map_find(&T.map, T.buf, old_ptr);
        if (ref) {
            tick();
            TRACE_REC(T.buf, ref)->size = size;
            TRACE_REC(T.buf, ref)->caps = caps;
            return;
        }
    } else {
        record_free(old_ptr, callers);
    }
    record_alloc(new_ptr, size, caps, callers);
}

/* ---- events (from the observer) ---------------------------------------- */

/* The call stack of an event: the application's call site first, then
 * (from the unwinder, where there is one) the frames above it. */
static void stack_of(void *out[CAPHEAP_TRACE_DEPTH], const void *caller) {
    memset(out, 0, CAPHEAP_TRACE_DEPTH * sizeof out[0]);
    out[0] = (void *)(uintptr_t)caller;
#if CAPHEAP_TRACE_BACKTRACE
    /* Whatever capheap's frames are, the caller's return address is among
     * them exactly once: the frames beyond it are the application's. */
    void *frames[OWN_FRAMES + CAPHEAP_TRACE_DEPTH];
    int n = backtrace(frames, (int)(sizeof frames / sizeof frames[0]));
    for (int i = 0; caller && i < n; i++) {
        if (frames[i] != caller)
            continue;
        for (int d = 1; d < CAPHEAP_TRACE_DEPTH && i + d < n; d++)
            out[d] = frames[i + d];
        break;
    }
#endif
}

/* Whether an event would be recorded, asked before the unwinding that
 * costs more than the recording. */
static bool recording(bool alloc) {
#if CAPHEAP_TRACE_BACKTRACE
    lock();
    bool yes = T.tracing && !(alloc && T.allocs_paused);
    unlock();
    return yes;
#else
    (void)alloc;
    return true; /* the record functions check under the lock */
#endif
}

void capheap_trace_alloc(void *ptr, size_t size, uint32_t caps,
                         const void *caller) {
    void *callers[CAPHEAP_TRACE_DEPTH];
    if (!recording(true))
        return;
    stack_of(callers, caller);
    lock();
    record_alloc(ptr, size, caps, callers);
    unlock();
}

void capheap_trace_free(void *ptr, const void *caller) {
    void *callers[CAPHEAP_TRACE_DEPTH];
    if (!recording(false))
        return;
    stack_of(callers, caller);
    lock();
    record_free(ptr, callers);
    unlock();
}

void capheap_trace_realloc(void *old_ptr, void *new_ptr, size_t size,
                           uint32_t caps, const void *caller) {
    void *callers[CAPHEAP_TRACE_DEPTH];
    if (!recording(false))
        return;
    stack_of(callers, caller);
    lock();
    record_realloc(old_ptr, new_ptr, size, caps, callers);
    unlock();
}

void capheap_trace_attach(capheap_caps_t *ch) {
    T.heap = ch; /* the caller holds the lock (heap_caps_init() does) */
}

/* ---- the API ------------------------------------------------------------ */

esp_err_t heap_trace_init_standalone(heap_trace_record_t *record_buffer,
                                     size_t num_records) {
    esp_err_t err = ESP_OK;
    lock();
    if (T.tracing) {
        err = ESP_ERR_INVALID_STATE;
    } else if (!record_buffer || num_records == 0 ||
               num_records >= UINT32_MAX) {
        err = ESP_ERR_INVALID_ARG;
    } else {
        T.buf = record_buffer;
        T.capacity = (uint32_t)num_records;
        reset();
    }
    unlock();
#if CAPHEAP_TRACE_BACKTRACE
    /* The unwinder loads its library on first use: now, not inside the
     * first traced allocation. */
    void *frame[1];
    (void)backtrace(frame, 1);
#endif
    return err;
}

esp_err_t heap_trace_init_tohost(void) {
    return ESP_ERR_NOT_SUPPORTED;
}

esp_err_t heap_trace_start(heap_trace_mode_t mode) {
    esp_err_t err = ESP_OK;
    lock();
    if (!T.buf) {
        err = ESP_ERR_INVALID_STATE;
    } else if (mode != HEAP_TRACE_ALL && mode != HEAP_TRACE_LEAKS) {
        err = ESP_ERR_INVALID_ARG;
    } else {
        reset();
        T.mode = mode;
        T.tracing = true;
        T.allocs_paused = false;
    }
    unlock();
    return err;
}

esp_err_t heap_trace_stop(void) {
    esp_err_t err = ESP_OK;
    lock();
    if (T.tracing)
        T.tracing = false;
    else
        err = ESP_ERR_INVALID_STATE;
    unlock();
    return err;
}

esp_err_t heap_trace_alloc_pause(void) {
    esp_err_t err = ESP_OK;
    lock();
    if (T.tracing)
        T.allocs_paused = true;
    else
        err = ESP_ERR_INVALID_STATE;
    unlock();
    return err;
}

esp_err_t heap_trace_resume(void) {
    esp_err_t err = ESP_OK;
    lock();
    if (T.buf) {
        T.tracing = true;
        T.allocs_paused = false;
    } else {
        err = ESP_ERR_INVALID_STATE;
    }
    unlock();
    return err;
}

size_t heap_trace_get_count(void) {
    lock();
    size_t n = T.count;
    unlock();
    return n;
}

esp_err_t heap_trace_get(size_t index, heap_trace_record_t *record) {
    esp_err_t err = ESP_OK;
    lock();
    if (!record || index >= T.count)
        err = ESP_ERR_INVALID_ARG;
    else
        *record = *seek(index);
    unlock();
    return err;
}

esp_err_t heap_trace_summary(heap_trace_summary_t *summary) {
    if (!summary)
        return ESP_ERR_INVALID_ARG;
    lock();
    summary->mode = T.mode;
    summary->total_allocations = T.allocations;
    summary->total_frees = T.frees;
    summary->count = T.count;
    summary->capacity = T.capacity;
    summary->high_water_mark = T.high_water;
    summary->has_overflowed = T.overflowed;
    summary->total_hashmap_hits = T.hits;
    summary->total_hashmap_miss = T.misses;
    unlock();
    return ESP_OK;
}

void capheap_trace_set_clock(uint32_t (*clock)(void)) {
    lock();
    T.clock = clock;
    unlock();
}

/* ---- printing ----------------------------------------------------------- */

#if __STDC_HOSTED__
void capheap_trace_set_output(FILE *out) {
    lock();
    T.out = out;
    unlock();
}
#endif

/* The dumps print through capheap_printf(), or into the stream of
 * capheap_trace_set_output(). Each call prints well under a line's 192
 * bytes. */
static void say(void *out, const char *fmt, ...) CAPHEAP_PRINTF_LIKE(2, 3);
static void say(void *out, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
#if __STDC_HOSTED__
    if (out) {
        char line[192];
        int n = capheap_vsnprintf(line, sizeof line, fmt, ap);
        fwrite(line, 1, n < (int)sizeof line ? (size_t)n : sizeof line - 1,
               (FILE *)out);
        va_end(ap);
        return;
    }
#endif
    (void)out;
    capheap_vprintf(fmt, ap);
    va_end(ap);
}

/* The capabilities of the memory @p p lies in (0: unknown). Asked without
 * the trace's lock: the heap may take the same lock. */
static uint32_t memory_caps(capheap_caps_t *ch, const void *p) {
    if (!ch)
        return 0;
    uintptr_t a = capheap_caps_iram_to_dram(ch->chip, (uintptr_t)p);
    for (unsigned i = 0; i < capheap_heap_region_count(ch->heap); i++) {
        capheap_region_info_t r;
        capheap_heap_region_info(ch->heap, i, &r);
        if (a >= (uintptr_t)r.start && a < (uintptr_t)r.end)
            return ch->types[r.tag].all;
    }
    return 0;
}

static void print_callers(void *f, const char *what, void *const *callers) {
    say(f, "%s", what);
    for (int d = 0; d < CAPHEAP_TRACE_DEPTH && callers[d]; d++)
        say(f, " %p", callers[d]);
}

/* Each record is copied out under the lock and printed without it: the
 * output function may allocate, and the allocation would want the lock. */
static void dump(bool all, uint32_t caps) {
    if (!CAPHEAP_OUTPUT)
        return;
    heap_trace_summary_t s;
    heap_trace_summary(&s);
    lock();
#if __STDC_HOSTED__
    void *f = T.out;
#else
    void *f = NULL;
#endif
    capheap_caps_t *ch = T.heap;
    unlock();
    say(f, "heap trace (%s): %zu of %zu records",
        s.mode == HEAP_TRACE_LEAKS ? "leaks" : "all", s.count, s.capacity);
    if (!all)
        say(f, ", memory with caps 0x%08x", (unsigned)caps);
    say(f, "\n");
    size_t shown = 0, live = 0, live_bytes = 0;
    for (size_t i = 0;; i++) {
        heap_trace_record_t r;
        if (heap_trace_get(i, &r) != ESP_OK)
            break;
        if (!all && !(memory_caps(ch, r.address) & caps))
            continue;
        shown++;
        if (!r.freed) {
            live++;
            live_bytes += r.size;
        }
        say(f, "  %p %zu bytes, caps 0x%08x, time %lu,", r.address, r.size,
            (unsigned)r.caps, (unsigned long)r.ccount);
        print_callers(f, " allocated by", r.alloced_by);
        if (r.freed)
            print_callers(f, "; freed by", r.freed_by);
        say(f, "\n");
    }
    say(f, "%zu records shown, %zu bytes in %zu blocks not freed\n", shown,
        live_bytes, live);
    say(f,
        "since start: %zu allocations, %zu frees, at most %zu records "
        "held\n",
        s.total_allocations, s.total_frees, s.high_water_mark);
    if (s.has_overflowed)
        say(f, "the buffer overflowed: the oldest records were dropped\n");
#if __STDC_HOSTED__
    if (f)
        fflush((FILE *)f);
#endif
}

void heap_trace_dump(void) {
    dump(true, 0);
}

void heap_trace_dump_caps(const uint32_t caps) {
    dump(false, caps);
}

#else
/* Tracing is compiled out: nothing here (ISO C wants a declaration). */
typedef int capheap_trace_unused_t;
#endif /* CAPHEAP_TRACE */
