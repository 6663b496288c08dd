/*
 * esp_heap_alloc_caps.c - the seed's 2016 capability API over the global
 * capability heap.
 */
/* This file defines capheap's esp_ptr_dma_capable(), which an ESP-IDF
 * esp_memory_utils.h on the include path would define as well. */
#define CAPHEAP_ESP_MEMORY_UTILS 0
#include "esp_heap_alloc_caps.h"
#include "capheap/system.h"
#include "esp_heap_caps_init.h"
#include "esp_heap_caps_private.h"

void heap_alloc_caps_init(void) {
    heap_caps_init();
}

void heap_alloc_enable_nonos_stack_tag(void) {
    heap_caps_enable_nonos_stack_heaps();
}

/* Each names its own caller to tracing and the hooks. */
void *pvPortMallocCaps(size_t xWantedSize, uint32_t caps) {
    return capheap_esp_malloc_by(xWantedSize, caps, CAPHEAP_CALLER);
}

/* The original matched a heap whose caps at any priority share a bit with
 * the mask; each heap counts once here. */
static size_t sum_any(uint32_t caps, bool minimum) {
    capheap_caps_t *ch = capheap_system();
    size_t sum = 0;
    for (unsigned t = 0; ch && t < ch->type_count; t++) {
        capheap_stats_t s;
        if (!(ch->types[t].all & caps))
            continue;
        capheap_heap_tag_stats(ch->heap, t, &s);
        sum += minimum ? s.minimum_free_bytes : s.free_bytes;
    }
    return sum;
}

size_t xPortGetFreeHeapSizeCaps(uint32_t caps) {
    return sum_any(caps, false);
}

size_t xPortGetMinimumEverFreeHeapSizeCaps(uint32_t caps) {
    return sum_any(caps, true);
}

bool esp_ptr_dma_capable(const void *ptr) {
    capheap_caps_t *ch = capheap_system();
    uintptr_t a = (uintptr_t)ptr;
    return ch && a >= ch->chip->dma_lo && a < ch->chip->dma_hi;
}

void *pvPortMalloc(size_t xWantedSize) {
    return capheap_esp_malloc_by(xWantedSize, MALLOC_CAP_8BIT, CAPHEAP_CALLER);
}

void vPortFree(void *pv) {
    capheap_esp_free_by(pv, CAPHEAP_CALLER);
}

size_t xPortGetFreeHeapSize(void) {
    return xPortGetFreeHeapSizeCaps(MALLOC_CAP_8BIT);
}

size_t xPortGetMinimumEverFreeHeapSize(void) {
    return xPortGetMinimumEverFreeHeapSizeCaps(MALLOC_CAP_8BIT);
}
