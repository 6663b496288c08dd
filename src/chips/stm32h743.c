/*
 * stm32h743.c - the STM32H743's RAM (ST RM0433, section 2 "Memory and bus
 * architecture": memory map and bus matrix; ST's FAQ "DMA is not working on
 * STM32H7 devices" for which DMA reaches which RAM).
 *
 * Priorities follow ESP-IDF's idea: plain requests take the plentiful
 * general RAM and leave scarce special RAM to the requests that need it.
 *   DEFAULT: AXI SRAM, then the D2 SRAMs and SRAM4, DTCM last.
 *   DMA:     the D2 SRAMs first (beside DMA1/DMA2, RM0433's advice), then
 *            AXI SRAM, SRAM4 last (the only RAM BDMA reaches besides
 *            backup SRAM). DMA1/DMA2 cannot reach the TCMs: no DMA there.
 *   TCM:     DTCM first (data, 0 wait states), then ITCM.
 *   EXEC:    ITCM first, then AXI SRAM. DTCM cannot feed instructions.
 * Ties at one level go by type order, hence D2 SRAM before AXI SRAM and
 * the TCMs after everything plain. No RAM is dual-mapped: no aliases.
 */
#include "capheap/chip_table.h"

enum { D2SRAM, AXISRAM, SRAM4, DTCM, ITCM, BKPSRAM };

#define C(x) CAPHEAP_CAP_##x

#define DATA (C(INTERNAL) | C(8BIT) | C(32BIT))

static const capheap_mem_type_t types[] = {
    [D2SRAM] = {"D2 SRAM", {C(DMA), C(DEFAULT), DATA}},
    [AXISRAM] = {"AXI SRAM", {C(DEFAULT), DATA | C(DMA), C(EXEC)}},
    [SRAM4] = {"SRAM4", {0, C(DEFAULT), DATA | C(DMA)}},
    [DTCM] = {"DTCM", {C(TCM), 0, C(DEFAULT) | DATA}},
    [ITCM] = {"ITCM", {C(EXEC), C(TCM), DATA}},
    /* Kept in standby and VBAT mode, like ESP RTC memory: RTCRAM requests
     * only, and heap only with CAPHEAP_OPT_RTC_HEAP (the backup regulator
     * and write access must be enabled first). */
    [BKPSRAM] = {"Backup SRAM", {C(RTCRAM), 0, DATA}},
};

#define RTC CAPHEAP_OPT_RTC_HEAP

/* start, size, type, startup stack, when, unless */
static const capheap_region_desc_t regions[] = {
    {0x00000000, 0x10000, ITCM, false, 0, 0},     /* ITCM-RAM, 64 KiB */
    {0x20000000, 0x20000, DTCM, false, 0, 0},     /* DTCM-RAM, 128 KiB */
    {0x24000000, 0x80000, AXISRAM, false, 0, 0},  /* D1 AXI SRAM, 512 KiB */
    {0x30000000, 0x48000, D2SRAM, false, 0, 0},   /* D2 SRAM1-3, 288 KiB */
    {0x38000000, 0x10000, SRAM4, false, 0, 0},    /* D3 SRAM4, 64 KiB */
    {0x38800000, 0x1000, BKPSRAM, false, RTC, 0}, /* backup SRAM, 4 KiB */
};

/* start, end, when, unless; why */
static const capheap_reserved_t reserved[] = {
    /* ITCM starts at address 0, the null pointer, which no heap block may
     * have; 1 KiB also holds a vector table relocated to ITCM (16 + 150
     * vectors, VTOR-aligned to 1 KiB). */
    {0x00000000, 0x00000400, 0, 0}, /* null pointer, vector table */
};

const capheap_chip_t capheap_chip_stm32h743 = {
    .name = "stm32h743",
    CHIP_ARRAY(types, type_count, types),
    CHIP_ARRAY(regions, region_count, regions),
    CHIP_ARRAY(reserved, reserved_count, reserved),
    /* What DMA1/DMA2 reach, from AXI SRAM to backup SRAM; the TCMs lie
     * below. */
    .dma_lo = 0x24000000,
    .dma_hi = 0x38801000,
    .cache_line = 32,     /* Cortex-M7 L1 data cache line */
    .simd_align = 4,      /* no SIMD memory: DSP instructions use registers */
    .max_alloc = 0x80000, /* AXI SRAM, the largest contiguous RAM */
    /* STM32CubeIDE's scripts put .data/.bss at the start of AXI SRAM
     * (RAM_D1); a small application's 8 KiB by default, set app_dram_end
     * from the map file (scripts that use DTCM instead: reserve it as an
     * extra range and set app_dram_end to 0x24000000). */
    .app_dram_start = 0x24000000,
    .app_dram_size = 0x2000,
    /* Code copied to ITCM goes after the reserved first 1 KiB; none by
     * default: set app_iram_end to the end of your .itcm section. */
    .app_iram_start = 0x00000400,
    .app_iram_size = 0,
};
