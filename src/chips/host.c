/*
 * host.c - a chip for plain Linux processes: two 4 MiB regions of one type
 * that can do everything ordinary requests ask for, nothing reserved.
 *
 * 0x60000000.. lies between where x86-64 and i386 kernels put a program
 * (0x400000, 0x8048000, PIE near 0x555555554000 or 0x56555000) and its
 * libraries and mmap area (near 0x7F0000000000, or downward from 0xF7000000
 * on i386); AddressSanitizer's x86-64 shadow starts at 0x7FFF8000. Two
 * regions with a gap exercise more than one heap of a type.
 */
#include "capheap/chip_table.h"

enum { RAM };

#define C(x) CAPHEAP_CAP_##x

static const capheap_mem_type_t types[] = {
    /* SIMD as well: x86 has SSE, and SIMD requests should not fail here. */
    [RAM] = {"RAM",
             {C(DEFAULT) | C(INTERNAL) | C(8BIT) | C(32BIT) | C(DMA) | C(EXEC) |
                  C(SIMD),
              0, 0}},
};

/* start, size, type, startup stack, when, unless */
static const capheap_region_desc_t regions[] = {
    {0x60000000, 0x400000, RAM, false, 0, 0},
    {0x60800000, 0x400000, RAM, false, 0, 0},
};

const capheap_chip_t capheap_chip_host = {
    .name = "host",
    CHIP_ARRAY(types, type_count, types),
    CHIP_ARRAY(regions, region_count, regions),
    .dma_lo = 0x60000000,
    .dma_hi = 0x60C00000,
    .cache_line = 64, /* x86 cache line: DMA buffers get whole lines */
    .simd_align = 16, /* SSE's aligned loads and stores */
    .max_alloc = 0x400000,
    /* The process's own data lies elsewhere: no application reservations. */
    .app_dram_start = 0,
    .app_dram_start_bt = 0,
    .app_dram_size = 0,
    .app_iram_start = 0,
    .app_iram_size = 0,
};
