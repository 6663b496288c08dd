/*
 * virt_chip.c - QEMU's RISC-V virt board (hw/riscv/virt.c: DRAM from
 * 0x80000000) described as a chip with three kinds of RAM. The board's
 * DRAM is all alike; the description gives parts of it the roles a
 * microcontroller's RAMs have, so placement by caps is visible by address:
 *   0x80000000  1 MiB  the image, .data/.bss, the harts' stacks (no heap)
 *   0x80100000 64 KiB  IRAM: code (EXEC)
 *   0x80200000  1 MiB  DRAM: plain data (DEFAULT)
 *   0x80400000 256 KiB DMA RAM: buffers for DMA
 */
#include "capheap/caps.h"
#include "virt_board.h"

#define C(x)     CAPHEAP_CAP_##x
#define DATA     (C(INTERNAL) | C(8BIT) | C(32BIT))
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const capheap_mem_type_t types[] = {
    [VIRT_IRAM] = {"IRAM", {C(EXEC), C(32BIT), C(INTERNAL) | C(8BIT)}},
    [VIRT_DRAM] = {"DRAM", {C(DEFAULT), DATA, 0}},
    [VIRT_DMA] = {"DMA RAM", {C(DMA), 0, C(DEFAULT) | DATA}},
};

/* start, size, type, startup stack, when, unless */
static const capheap_region_desc_t regions[] = {
    {0x80100000, 0x10000, VIRT_IRAM, false, 0, 0},
    {0x80200000, 0x100000, VIRT_DRAM, false, 0, 0},
    {0x80400000, 0x40000, VIRT_DMA, false, 0, 0},
};

const capheap_chip_t virt_chip = {
    .name = "riscv-virt",
    .types = types,
    .type_count = COUNT(types),
    .regions = regions,
    .region_count = COUNT(regions),
    .dma_lo = 0x80400000,
    .dma_hi = 0x80440000,
    .cache_line = 64,
    .simd_align = 4,
    .max_alloc = 0x100000,
    /* .data/.bss lie below the heap regions (virt.ld). */
    .app_dram_start = 0x80000000,
    .app_dram_size = 0x100000,
    .app_iram_start = 0x80100000,
    .app_iram_size = 0,
};
