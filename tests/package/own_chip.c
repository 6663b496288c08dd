/*
 * own_chip.c - an application's own chip, as the README tells users to
 * describe one: a source file of its own, built against capheap's public
 * headers only (chip_table.h included). Two RAM blocks of this program
 * stand for the chip's memories: fast RAM with EXEC, and DMA-capable SRAM.
 */
#include "capheap/chip_table.h"
#include "package_test.h"

_Alignas(64) unsigned char pt_tcm[PT_RAM_SIZE];
_Alignas(64) unsigned char pt_sram[PT_RAM_SIZE];

static const capheap_mem_type_t types[] = {
    {"TCM", {CAPHEAP_CAP_EXEC | CAPHEAP_CAP_32BIT, CAPHEAP_CAP_8BIT, 0}},
    {"SRAM",
     {CAPHEAP_CAP_DMA | CAPHEAP_CAP_INTERNAL,
      CAPHEAP_CAP_8BIT | CAPHEAP_CAP_32BIT | CAPHEAP_CAP_DEFAULT, 0}},
};

static capheap_region_desc_t regions[2];

capheap_chip_t pt_chip = {.name = "package-test",
                          CHIP_ARRAY(types, type_count, types),
                          CHIP_ARRAY(regions, region_count, regions),
                          .cache_line = 4,
                          .simd_align = 16,
                          .max_alloc = PT_RAM_SIZE};

/* Regions sorted by address, as chip.h asks; the arrays' order is the
 * linker's. */
void pt_chip_setup(void) {
    capheap_region_desc_t tcm = {
        (uintptr_t)pt_tcm, PT_RAM_SIZE, 0, false, 0, 0};
    capheap_region_desc_t sram = {
        (uintptr_t)pt_sram, PT_RAM_SIZE, 1, false, 0, 0};
    bool tcm_first = (uintptr_t)pt_tcm < (uintptr_t)pt_sram;
    regions[0] = tcm_first ? tcm : sram;
    regions[1] = tcm_first ? sram : tcm;
    pt_chip.dma_lo = (uintptr_t)pt_sram;
    pt_chip.dma_hi = (uintptr_t)pt_sram + PT_RAM_SIZE;
}
