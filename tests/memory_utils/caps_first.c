/*
 * caps_first.c - capheap's esp_heap_alloc_caps.h, then ESP-IDF's
 * esp_memory_utils.h, in one translation unit: capheap's header declares
 * no esp_ptr_dma_capable() of its own that ESP-IDF's static inline one
 * could follow.
 */
#include <esp_heap_alloc_caps.h>

#include <esp_memory_utils.h>

#define CHECK_FN caps_first_c
#include "order_check.inc"
