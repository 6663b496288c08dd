/*
 * layout.c - the sizes and member offsets of the public structures as the
 * C compiler lays them out, for test_cxx.cpp to compare with C++'s view of
 * the same headers (esp_heap_task_info.h's only with CAPHEAP_OWNERS) (caps.h
 * gives C++ plain types where C has _Atomic ones, port_spinlock.h
 * std::atomic<unsigned> for atomic_uint).
 */
#include <stddef.h>

#include "capheap/caps.h"
#include "capheap/port_spinlock.h"
#include "esp_heap_task_info.h"
#include "heap_memory_layout.h"
#include "layout.h"
#include "multi_heap.h"

size_t cxx_c_layout(int what) {
    switch (what) {
    case CXX_SIZEOF_CAPS:
        return sizeof(capheap_caps_t);
    case CXX_OFFSETOF_CAPS_TYPE_COUNT:
        return offsetof(capheap_caps_t, type_count);
    case CXX_OFFSETOF_CAPS_TYPES:
        return offsetof(capheap_caps_t, types);
    case CXX_OFFSETOF_CAPS_CACHE:
        return offsetof(capheap_caps_t, cache);
    case CXX_OFFSETOF_CAPS_HEAP_STORAGE:
        return offsetof(capheap_caps_t, heap_storage);
    case CXX_SIZEOF_CAPS_TYPE:
        return sizeof(capheap_caps_type_t);
    case CXX_OFFSETOF_CAPS_TYPE_RESERVE:
        return offsetof(capheap_caps_type_t, reserve);
    case CXX_SIZEOF_CAPS_SLOT:
        return sizeof(capheap_caps_slot_t);
    case CXX_OFFSETOF_CAPS_SLOT_CHOICE:
        return offsetof(capheap_caps_slot_t, choice);
    case CXX_SIZEOF_CHIP:
        return sizeof(capheap_chip_t);
    case CXX_SIZEOF_REGION_DESC:
        return sizeof(capheap_region_desc_t);
    case CXX_SIZEOF_CHIP_OPTIONS:
        return sizeof(capheap_chip_options_t);
    case CXX_SIZEOF_STATS:
        return sizeof(capheap_stats_t);
    case CXX_SIZEOF_MULTI_HEAP_INFO:
        return sizeof(multi_heap_info_t);
    case CXX_SIZEOF_SPINLOCK:
        return sizeof(capheap_spinlock_t);
    case CXX_ALIGNOF_SPINLOCK:
        return _Alignof(capheap_spinlock_t);
    case CXX_ALIGNOF_CAPS:
        return _Alignof(capheap_caps_t);
    case CXX_SIZEOF_RESERVATION:
        return sizeof(capheap_caps_reservation_t);
    case CXX_ALIGNOF_RESERVATION:
        return _Alignof(capheap_caps_reservation_t);
    case CXX_SIZEOF_SOC_REGION:
        return sizeof(soc_memory_region_t);
    case CXX_OFFSETOF_SOC_REGION_STARTUP:
        return offsetof(soc_memory_region_t, startup_stack);
#if CAPHEAP_OWNERS
    case CXX_SIZEOF_TASK_STAT:
        return sizeof(task_stat_t);
    case CXX_OFFSETOF_TASK_STAT_HEAP_STAT:
        return offsetof(task_stat_t, heap_stat);
    case CXX_SIZEOF_HEAP_STAT:
        return sizeof(heap_stat_t);
    case CXX_SIZEOF_TASK_BLOCK:
        return sizeof(heap_task_block_t);
    case CXX_SIZEOF_TASK_INFO_PARAMS:
        return sizeof(heap_task_info_params_t);
    case CXX_SIZEOF_ALL_TASKS_STAT:
        return sizeof(heap_all_tasks_stat_t);
    case CXX_SIZEOF_SINGLE_TASK_STAT:
        return sizeof(heap_single_task_stat_t);
#endif
    default:
        return 0;
    }
}
