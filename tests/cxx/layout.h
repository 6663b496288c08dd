/*
 * layout.h - what layout.c reports: the C compiler's view of the public
 * structures, compared by test_cxx.cpp with the C++ compiler's.
 */
#ifndef CAPHEAP_TEST_CXX_LAYOUT_H
#define CAPHEAP_TEST_CXX_LAYOUT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    CXX_SIZEOF_CAPS,
    CXX_OFFSETOF_CAPS_TYPE_COUNT,
    CXX_OFFSETOF_CAPS_TYPES,
    CXX_OFFSETOF_CAPS_CACHE,
    CXX_OFFSETOF_CAPS_HEAP_STORAGE,
    CXX_SIZEOF_CAPS_TYPE,
    CXX_OFFSETOF_CAPS_TYPE_RESERVE,
    CXX_SIZEOF_CAPS_SLOT,
    CXX_OFFSETOF_CAPS_SLOT_CHOICE,
    CXX_SIZEOF_CHIP,
    CXX_SIZEOF_REGION_DESC,
    CXX_SIZEOF_CHIP_OPTIONS,
    CXX_SIZEOF_STATS,
    CXX_SIZEOF_MULTI_HEAP_INFO,
    CXX_SIZEOF_SPINLOCK,
    CXX_ALIGNOF_SPINLOCK,
    CXX_ALIGNOF_CAPS,
    CXX_SIZEOF_RESERVATION,
    CXX_ALIGNOF_RESERVATION,
    CXX_SIZEOF_SOC_REGION,
    CXX_OFFSETOF_SOC_REGION_STARTUP,
    /* esp_heap_task_info.h (CAPHEAP_OWNERS; else 0) */
    CXX_SIZEOF_TASK_STAT,
    CXX_OFFSETOF_TASK_STAT_HEAP_STAT,
    CXX_SIZEOF_HEAP_STAT,
    CXX_SIZEOF_TASK_BLOCK,
    CXX_SIZEOF_TASK_INFO_PARAMS,
    CXX_SIZEOF_ALL_TASKS_STAT,
    CXX_SIZEOF_SINGLE_TASK_STAT,
    CXX_LAYOUT_COUNT
};

/** The C compiler's figure @p what (CXX_*). */
size_t cxx_c_layout(int what);

#ifdef __cplusplus
}
#endif

#endif
