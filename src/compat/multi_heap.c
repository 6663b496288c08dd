/*
 * multi_heap.c - ESP-IDF's multi_heap API as a mapping onto the core: one
 * core heap object with one region and one tag per handle.
 */
#include "multi_heap.h"
#include "capheap/debug.h"
#include "multi_heap_info.h"

#include "capheap/heap.h"
#include "capheap/output.h"

/* The only tag a multi_heap uses. */
#define MH_TAG 0u

/* The core heap object, then the start the heap was registered with (the
 * object's own start is rounded up to a pointer): its report as ESP-IDF
 * gives it. */
#define MH_CORE    CAPHEAP_HEAP_STORAGE_SIZE(1, 1)
#define MH_STORAGE (MH_CORE + sizeof(void *))

/* The handle is the core heap object itself; the struct behind the handle
 * type is never defined, so the conversion is the whole mapping. */
static capheap_heap_t *core(multi_heap_handle_t heap) {
    return (capheap_heap_t *)(void *)heap;
}

static void **registered_start(multi_heap_handle_t heap) {
    return (void **)(void *)((char *)heap + MH_CORE);
}

multi_heap_handle_t multi_heap_register(void *start, size_t size) {
    if (!start)
        return NULL;
    uintptr_t a = (uintptr_t)start;
    /* Reject a wrapping range before writing the heap object into it. */
    if (size > UINTPTR_MAX - a)
        return NULL;
    size_t pad = (sizeof(void *) - a % sizeof(void *)) % sizeof(void *);
    if (size < pad + MH_STORAGE)
        return NULL;
    char *storage = (char *)start + pad;
    capheap_heap_t *h = capheap_heap_init(storage, MH_CORE, 1, 1);
    if (!h)
        return NULL;
    if (capheap_heap_add_region(h, storage + MH_STORAGE,
                                size - pad - MH_STORAGE, MH_TAG) != CAPHEAP_OK)
        return NULL;
    multi_heap_handle_t heap = (multi_heap_handle_t)(void *)h;
    *registered_start(heap) = start;
    return heap;
}

void multi_heap_set_lock(multi_heap_handle_t heap, void *lock) {
    if (heap)
        capheap_heap_set_lock(core(heap), lock);
}

void *multi_heap_malloc(multi_heap_handle_t heap, size_t size) {
    return heap ? capheap_heap_alloc(core(heap), MH_TAG, size) : NULL;
}

void *multi_heap_aligned_alloc(multi_heap_handle_t heap, size_t size,
                               size_t alignment) {
    if (!heap)
        return NULL;
    return capheap_heap_aligned_alloc(core(heap), MH_TAG, alignment, size);
}

void *multi_heap_aligned_alloc_offs(multi_heap_handle_t heap, size_t size,
                                    size_t alignment, size_t offset) {
    if (!heap)
        return NULL;
    return capheap_heap_aligned_alloc_offset(core(heap), MH_TAG, alignment,
                                             offset, size);
}

void multi_heap_free(multi_heap_handle_t heap, void *p) {
    if (heap)
        capheap_heap_free(core(heap), p);
}

void multi_heap_aligned_free(multi_heap_handle_t heap, void *p) {
    multi_heap_free(heap, p);
}

void *multi_heap_realloc(multi_heap_handle_t heap, void *p, size_t size) {
    if (!heap)
        return NULL;
    /* The core leaves realloc(NULL) to the caller; realloc() allocates. */
    if (!p)
        return capheap_heap_alloc(core(heap), MH_TAG, size);
    return capheap_heap_realloc(core(heap), p, size);
}

size_t multi_heap_get_allocated_size(multi_heap_handle_t heap, void *p) {
    return heap ? capheap_heap_usable_size(core(heap), p) : 0;
}

size_t multi_heap_get_full_block_size(multi_heap_handle_t heap, void *p) {
    return heap ? capheap_heap_full_size(core(heap), p) : 0;
}

void *multi_heap_find_containing_block(multi_heap_handle_t heap, void *ptr) {
    return heap ? capheap_heap_containing_block(core(heap), ptr) : NULL;
}

static void stats(multi_heap_handle_t heap, capheap_stats_t *s) {
    if (!heap || capheap_heap_tag_stats(core(heap), MH_TAG, s) != CAPHEAP_OK)
        *s = (capheap_stats_t){0};
}

size_t multi_heap_free_size(multi_heap_handle_t heap) {
    capheap_stats_t s;
    stats(heap, &s);
    return s.free_bytes;
}

size_t multi_heap_minimum_free_size(multi_heap_handle_t heap) {
    capheap_stats_t s;
    stats(heap, &s);
    return s.minimum_free_bytes;
}

void multi_heap_get_info(multi_heap_handle_t heap, multi_heap_info_t *info) {
    if (!info)
        return;
    capheap_stats_t s;
    stats(heap, &s);
    capheap_fill_multi_heap_info(info, &s);
}

bool multi_heap_check(multi_heap_handle_t heap, bool print_errors) {
    if (!heap)
        return false;
    capheap_check_report_t rep;
    if (capheap_heap_check(core(heap), &rep) == CAPHEAP_OK)
        return true;
    if (CAPHEAP_OUTPUT && print_errors) {
        char what[160];
        capheap_describe_fault(what, sizeof what, &rep);
        capheap_printf("CORRUPT HEAP: multi_heap %p: %s\n", (void *)heap, what);
    }
    return false;
}

static bool dump_block(const capheap_block_info_t *b, void *user) {
    (void)user;
    if (!b->control) /* the heap's bookkeeping, not one of its blocks */
        capheap_printf("Block %p data, size: %zu bytes, Free: %s \n", b->ptr,
                       b->size, b->used ? "No" : "Yes");
    return true;
}

/* ESP-IDF's dump, word for word: the heap by the start it was registered
 * with, then its blocks. */
void multi_heap_dump(multi_heap_handle_t heap) {
    if (!CAPHEAP_OUTPUT || !heap)
        return;
    capheap_printf("Showing data for heap: %p \n", *registered_start(heap));
    capheap_heap_walk(core(heap), dump_block, NULL);
}

typedef struct {
    multi_heap_walker_cb_t fn;
    void *user;
} walk_ctx_t;

static bool walk_block(const capheap_block_info_t *b, void *user) {
    const walk_ctx_t *w = user;
    if (b->control)
        return true; /* the heap's bookkeeping, not the caller's block */
    return w->fn(b->ptr, b->size, b->used ? 1 : 0, w->user);
}

void multi_heap_walk(multi_heap_handle_t heap,
                     multi_heap_walker_cb_t walker_func, void *user_data) {
    if (!heap || !walker_func)
        return;
    walk_ctx_t w = {walker_func, user_data};
    capheap_heap_walk(core(heap), walk_block, &w);
}

size_t multi_heap_reset_minimum_free_bytes(multi_heap_handle_t heap) {
    return heap ? capheap_heap_reset_min_free(core(heap), MH_TAG) : 0;
}

void multi_heap_restore_minimum_free_bytes(
    multi_heap_handle_t heap, const size_t new_minimum_free_bytes_value) {
    if (heap)
        capheap_heap_restore_min_free(core(heap), MH_TAG,
                                      new_minimum_free_bytes_value);
}
