/*
 * flash_hooks.cpp - ESP-IDF's allocation hooks defined in C++ with nothing
 * but esp_heap_caps.h in view, as ESP-IDF code does: the header's
 * declarations (there with CONFIG_HEAP_USE_HOOKS, from the sdkconfig.h of
 * tests/sdkconfig/flash) give the definitions C linkage, so that they
 * replace capheap's weak ones. Without those declarations they would be
 * C++ functions of other names and never be called (check_flash.c would
 * see no call).
 */
#include <esp_heap_caps.h>

#include "hook_record.h"

hook_record_t hook_record;

void esp_heap_trace_alloc_hook(void *ptr, size_t size, uint32_t caps) {
    hook_record.allocs++;
    hook_record.alloc_ptr = ptr;
    hook_record.alloc_size = size;
    hook_record.alloc_caps = caps;
}

void esp_heap_trace_free_hook(void *ptr) {
    hook_record.frees++;
    hook_record.free_ptr = ptr;
}
