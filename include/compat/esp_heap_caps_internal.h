/**
 * @file esp_heap_caps_internal.h
 * @brief ESP-IDF's internal heap functions that its own tests call.
 *
 * ESP-IDF defines these without declaring them in any header: its tests
 * (components/heap/test_apps) declare them themselves, and
 * test_runtime_heap_reg.c declares heap_caps_check_add_region_allowed()
 * as returning esp_err_t while ESP-IDF defines it returning bool. A
 * declaration in esp_heap_caps_init.h would make that test's own
 * declaration a conflicting one, so capheap declares them here, in a header
 * such a test does not include. The definitions are ESP-IDF's (bool).
 *
 * Threads: every function here is pure and may run anywhere, interrupt
 * handlers included.
 */
#ifndef CAPHEAP_COMPAT_ESP_HEAP_CAPS_INTERNAL_H
#define CAPHEAP_COMPAT_ESP_HEAP_CAPS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Whether heap_caps_add_region_with_caps() accepts [@p start, @p end) beside
 * an existing heap [@p heap_start, @p heap_end): false when the range
 * straddles the heap's start (begins before it and ends after it) or its
 * end, or is the heap's own range again; true for a range inside the heap
 * (sharing either end or neither), one that ends where the heap starts or
 * starts where it ends, and one apart from it. The add functions apply it
 * to every heap they hold (capheap_caps_add_region_allowed()); beyond
 * ESP-IDF they also refuse a range inside a heap unless it lies within the
 * payload of one live block, since the heap's free memory would otherwise
 * belong to two heaps at once. Addresses
 * compare as unsigned numbers, as capheap's add functions compare them;
 * ESP-IDF compares them as signed, which can answer otherwise only when
 * the four addresses do not all lie on one side of the middle of the
 * address space. O(1).
 */
bool heap_caps_check_add_region_allowed(intptr_t heap_start, intptr_t heap_end,
                                        intptr_t start, intptr_t end);

#ifdef __cplusplus
}
#endif

#endif
