/*
 * multi_heap_info.h - capheap's statistics as ESP-IDF's multi_heap_info_t,
 * shared by the multi_heap and heap_caps APIs.
 */
#ifndef CAPHEAP_COMPAT_MULTI_HEAP_INFO_H
#define CAPHEAP_COMPAT_MULTI_HEAP_INFO_H

#include "capheap/heap.h"
#include "multi_heap.h"

static inline void capheap_fill_multi_heap_info(multi_heap_info_t *info,
                                                const capheap_stats_t *s) {
    info->total_free_bytes = s->free_bytes;
    info->total_allocated_bytes = s->allocated_bytes;
    info->largest_free_block = s->largest_free_block;
    info->minimum_free_bytes = s->minimum_free_bytes;
    info->allocated_blocks = s->allocated_blocks;
    info->free_blocks = s->free_blocks;
    info->total_blocks = s->total_blocks;
}

#endif
