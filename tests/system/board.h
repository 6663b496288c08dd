/*
 * board.h - a chip whose memory is this test program's own static arrays,
 * for the system heap built as on a target (CAPHEAP_SYSTEM_SIM 0: nothing
 * is mapped, the chip's memory must exist). The region addresses are known
 * only when the program runs, so the descriptions are filled in by
 * board_setup().
 */
#ifndef CAPHEAP_TEST_BOARD_H
#define CAPHEAP_TEST_BOARD_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "capheap/caps.h"

#define BOARD_SRAM 0x10000
#define BOARD_DMA  0x8000
#define BOARD_FILL 0xEE

static _Alignas(64) uint8_t board_sram[BOARD_SRAM];
static _Alignas(64) uint8_t board_dma[BOARD_DMA];

enum { BOARD_T_SRAM, BOARD_T_DMA };

static const capheap_mem_type_t board_types[] = {
    [BOARD_T_SRAM] = {"SRAM",
                      {CAPHEAP_CAP_DEFAULT | CAPHEAP_CAP_INTERNAL |
                           CAPHEAP_CAP_8BIT | CAPHEAP_CAP_32BIT,
                       0, 0}},
    [BOARD_T_DMA] = {"DMA SRAM",
                     {CAPHEAP_CAP_DMA | CAPHEAP_CAP_8BIT | CAPHEAP_CAP_32BIT, 0,
                      0}},
};

/* Sorted by address, as a chip's regions must be: filled in at run time. */
static capheap_region_desc_t board_regions[2];

/** Fill board_regions (both regions, or with @p dma_only only the DMA one,
 * whose type malloc() cannot use) and the board's memory with BOARD_FILL,
 * so that a test can tell whether anything wrote there.
 * @return the number of regions */
static inline uint16_t board_regions_setup(bool dma_only) {
    capheap_region_desc_t sram = {
        (uintptr_t)board_sram, BOARD_SRAM, BOARD_T_SRAM, false, 0, 0};
    capheap_region_desc_t dma = {
        (uintptr_t)board_dma, BOARD_DMA, BOARD_T_DMA, false, 0, 0};
    uint16_t n = 0;
    if (dma_only) {
        board_regions[n++] = dma;
    } else if (sram.start < dma.start) {
        board_regions[n++] = sram;
        board_regions[n++] = dma;
    } else {
        board_regions[n++] = dma;
        board_regions[n++] = sram;
    }
    memset(board_sram, BOARD_FILL, sizeof board_sram);
    memset(board_dma, BOARD_FILL, sizeof board_dma);
    return n;
}

/** Describe @p chip as the board (see board_regions_setup()). */
static inline void board_setup(capheap_chip_t *chip, bool dma_only) {
    memset(chip, 0, sizeof *chip);
    chip->name = dma_only ? "board-dma-only" : "board";
    chip->types = board_types;
    chip->type_count = 2;
    chip->regions = board_regions;
    chip->region_count = board_regions_setup(dma_only);
    chip->dma_lo = (uintptr_t)board_dma;
    chip->dma_hi = (uintptr_t)board_dma + BOARD_DMA;
    chip->cache_line = 32;
    chip->simd_align = 16;
    chip->max_alloc = BOARD_SRAM;
}

/** Whether every byte of the board's memory still holds BOARD_FILL. */
static inline bool board_untouched(void) {
    for (size_t i = 0; i < sizeof board_sram; i++)
        if (board_sram[i] != BOARD_FILL)
            return false;
    for (size_t i = 0; i < sizeof board_dma; i++)
        if (board_dma[i] != BOARD_FILL)
            return false;
    return true;
}

static inline bool board_within(const void *p, const uint8_t *mem,
                                size_t size) {
    return (uintptr_t)p >= (uintptr_t)mem &&
           (uintptr_t)p - (uintptr_t)mem < size;
}

#endif
