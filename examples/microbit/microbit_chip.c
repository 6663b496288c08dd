/*
 * microbit_chip.c - the 16 KiB of RAM of the BBC micro:bit's nRF51822
 * (Nordic nRF51 Series Reference Manual: RAM at 0x20000000; QEMU's
 * hw/arm/nrf51_soc.c), divided the way a small firmware would:
 *   0x20000000 12 KiB  RAM: .data/.bss first, the rest heap (DEFAULT)
 *   0x20003000  1 KiB  code RAM: routines copied to RAM (EXEC)
 *   0x20003400  1 KiB  radio RAM: packet buffers (DMA: the RADIO reads and
 *                      writes packets in RAM by itself)
 *   0x20003800  2 KiB  the main stack (not heap)
 */
#include "capheap/caps.h"
#include "microbit_board.h"

#define C(x)     CAPHEAP_CAP_##x
#define DATA     (C(INTERNAL) | C(8BIT) | C(32BIT))
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const capheap_mem_type_t types[] = {
    [MB_CODE] = {"code RAM", {C(EXEC), C(32BIT), C(INTERNAL) | C(8BIT)}},
    [MB_RAM] = {"RAM", {C(DEFAULT), DATA, 0}},
    [MB_RADIO] = {"radio RAM", {C(DMA), 0, C(DEFAULT) | DATA}},
};

/* start, size, type, startup stack, when, unless */
static const capheap_region_desc_t regions[] = {
    {0x20000000, 0x3000, MB_RAM, false, 0, 0},
    {0x20003000, 0x400, MB_CODE, false, 0, 0},
    {0x20003400, 0x400, MB_RADIO, false, 0, 0},
};

const capheap_chip_t microbit_chip = {
    .name = "nrf51822",
    .types = types,
    .type_count = COUNT(types),
    .regions = regions,
    .region_count = COUNT(regions),
    .dma_lo = 0x20003400,
    .dma_hi = 0x20003800,
    .cache_line = 4, /* word-aligned packet buffers; no cache */
    .simd_align = 4,
    .max_alloc = 0x3000,
    .app_dram_start = 0x20000000,
    .app_dram_size = 0x1000,
    .app_iram_start = 0x20003000,
    .app_iram_size = 0,
};
