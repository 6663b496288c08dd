/*
 * own_decl.cpp - with CAPHEAP_ESP_MEMORY_UTILS=0 capheap's header
 * declares its own esp_ptr_dma_capable(); after ESP-IDF's static inline
 * definition that declaration names the same function (internal linkage),
 * so this order still compiles and calls ESP-IDF's.
 */
#define CAPHEAP_ESP_MEMORY_UTILS 0
#include <esp_memory_utils.h>

#include <esp_heap_alloc_caps.h>

#define CHECK_FN own_decl_cpp
#include "order_check.inc"
