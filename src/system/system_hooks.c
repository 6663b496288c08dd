/*
 * system_hooks.c - what the system heap's events feed, with CAPHEAP_HOOKS:
 * heap tracing (with CAPHEAP_TRACE) and ESP-IDF's weak allocation hooks
 * (esp_heap_trace.h: firmware written for ESP-IDF defines them, whichever
 * API it allocates with). Every build of the system heap attaches the
 * observer.
 *
 * The hooks are called as ESP-IDF calls them: the alloc hook after every
 * allocation, a realloc included (with the new pointer, also when the block
 * stayed in place), and the free hook for every block freed, the old block
 * of a realloc that moved it included.
 */
#include "capheap/config.h"

#if CAPHEAP_HOOKS

#include "esp_heap_trace.h"
#include "system/system_private.h"
#if CAPHEAP_TRACE
#include "debug/trace.h"
#endif

/* Weak, so that an application's definitions take their place (a compiler
 * without weak symbols makes them clash at link time instead). */
#if defined(__GNUC__) || defined(__clang__)
#define WEAK __attribute__((weak))
#else
#define WEAK
#endif

WEAK void esp_heap_trace_alloc_hook(void *ptr, size_t size, uint32_t caps) {
    (void)ptr;
    (void)size;
    (void)caps;
}

WEAK void esp_heap_trace_free_hook(void *ptr) {
    (void)ptr;
}

static void on_alloc(void *user, void *ptr, size_t size, uint32_t caps,
                     const void *caller) {
    (void)user;
    (void)caller;
#if CAPHEAP_TRACE
    capheap_trace_alloc(ptr, size, caps, caller);
#endif
    esp_heap_trace_alloc_hook(ptr, size, caps);
}

static void on_free(void *user, void *ptr, const void *caller) {
    (void)user;
    (void)caller;
#if CAPHEAP_TRACE
    capheap_trace_free(ptr, caller);
#endif
    esp_heap_trace_free_hook(ptr);
}

static void on_realloc(void *user, void *old_ptr, void *new_ptr, size_t size,
                       uint32_t caps, const void *caller) {
    (void)user;
    (void)caller;
#if CAPHEAP_TRACE
    capheap_trace_realloc(old_ptr, new_ptr, size, caps, caller);
#endif
    esp_heap_trace_alloc_hook(new_ptr, size, caps);
    if (new_ptr != old_ptr)
        esp_heap_trace_free_hook(old_ptr);
}

void capheap_system_hooks_attach(capheap_caps_t *ch) {
    static const capheap_caps_observer_t observer = {on_alloc, on_free,
                                                     on_realloc, NULL};
    capheap_caps_set_observer(ch, &observer);
#if CAPHEAP_TRACE
    capheap_trace_attach(ch);
#endif
}

#else
/* Hooks are compiled out: nothing here (ISO C wants a declaration). */
typedef int capheap_system_hooks_unused_t;
#endif
