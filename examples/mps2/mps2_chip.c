/*
 * mps2_chip.c - the RAM of Arm's MPS2 FPGA boards with the AN385 (Cortex-M3)
 * and AN386 (Cortex-M4) images, as QEMU models them (hw/arm/mps2.c; Arm
 * AN385/AN386 "Memory map"), described as a chip for capheap:
 *   0x01000000  16 KiB block RAM on the code bus: TCM-like, for code (EXEC)
 *   0x20000000   4 MiB ZBT SSRAM 2&3: .data, .bss, the stack, the heap
 *   0x21000000  16 MiB PSRAM: the first 256 KiB as DMA-capable SRAM
 * The code itself runs from ZBT SSRAM1 at 0, which is not heap.
 */
#include "capheap/caps.h"
#include "mps2_board.h"

#define C(x)     CAPHEAP_CAP_##x
#define DATA     (C(INTERNAL) | C(8BIT) | C(32BIT))
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* EXEC and TCM requests only: plain data never takes the code RAM. DMA
 * buffers go to the DMA SRAM first, plain data there only when SRAM is
 * full (DEFAULT at the lowest level). */
static const capheap_mem_type_t types[] = {
    [MPS2_TCM] = {"TCM", {C(EXEC) | C(TCM), C(32BIT), DATA}},
    [MPS2_SRAM] = {"SRAM", {C(DEFAULT), DATA, 0}},
    [MPS2_DMA] = {"DMA SRAM", {C(DMA), 0, C(DEFAULT) | DATA}},
};

/* start, size, type, startup stack, when, unless */
static const capheap_region_desc_t regions[] = {
    {0x01000000, 0x4000, MPS2_TCM, false, 0, 0},
    {0x20000000, 0x400000, MPS2_SRAM, false, 0, 0},
    {0x21000000, 0x40000, MPS2_DMA, false, 0, 0},
};

/* The main stack: the top 64 KiB of SSRAM 2&3 (mps2.ld). */
static const capheap_reserved_t reserved[] = {
    {MPS2_STACK_BOTTOM, 0x20400000, 0, 0}, /* main stack */
};

const capheap_chip_t mps2_chip = {
    .name = "mps2",
    .types = types,
    .type_count = COUNT(types),
    .regions = regions,
    .region_count = COUNT(regions),
    .reserved = reserved,
    .reserved_count = COUNT(reserved),
    .dma_lo = 0x21000000,
    .dma_hi = 0x21040000,
    .cache_line = 32, /* a DMA burst; the M3/M4 have no data cache */
    .simd_align = 4,
    .max_alloc = 0x400000,
    /* .data/.bss start SSRAM 2&3; the reset code passes their real end. */
    .app_dram_start = 0x20000000,
    .app_dram_size = 0x10000,
    .app_iram_start = 0x01000000,
    .app_iram_size = 0,
};
