/*
 * utils_first.cpp - ESP-IDF's esp_memory_utils.h, then capheap's
 * esp_heap_alloc_caps.h, in one translation unit.
 */
#include <esp_memory_utils.h>

#include <esp_heap_alloc_caps.h>

#define CHECK_FN utils_first_cpp
#include "order_check.inc"
