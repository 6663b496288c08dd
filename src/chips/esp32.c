/*
 * esp32.c - the ESP32's memory map (ESP-IDF port/esp32/memory_layout.c and
 * the ESP32 Technical Reference Manual, chapter "System and Memory").
 */
#include "capheap/chip_table.h"

/* Type order breaks ties within a priority level, as list order does in
 * ESP-IDF: PSRAM first (it registers at the head of the list, so plain
 * DEFAULT requests go there), RTC memory last (used only when all else is
 * full). */
enum { SPIRAM, DRAM, DIRAM, IRAM, IRAM_8BIT, RTCRAM };

#define C(x) CAPHEAP_CAP_##x

static const capheap_mem_type_t types[] = {
    [DRAM] = {"DRAM",
              {C(8BIT) | C(DEFAULT), C(INTERNAL) | C(DMA) | C(32BIT), 0}},
    [DIRAM] = {"D/IRAM",
               {0, C(DMA) | C(8BIT) | C(INTERNAL) | C(DEFAULT),
                C(32BIT) | C(EXEC)}},
    [IRAM] = {"IRAM", {C(INTERNAL) | C(EXEC) | C(32BIT), 0, 0}},
    [SPIRAM] = {"SPIRAM", {C(SPIRAM) | C(DEFAULT), 0, C(8BIT) | C(32BIT)}},
    [RTCRAM] = {"RTCRAM",
                {C(RTCRAM), C(8BIT) | C(DEFAULT),
                 C(INTERNAL) | C(32BIT) | C(EXEC)}},
    /* IRAM when the single-core option lets it take (emulated) byte access. */
    [IRAM_8BIT] = {"IRAM",
                   {C(INTERNAL) | C(EXEC) | C(32BIT) | C(IRAM_8BIT), 0, 0}},
};

#define PSRAM  CAPHEAP_OPT_PSRAM
#define RTC    CAPHEAP_OPT_RTC_HEAP
#define BT     CAPHEAP_OPT_BT
#define TRACE  CAPHEAP_OPT_TRACE_MEM
#define SINGLE CAPHEAP_OPT_SINGLE_CORE
#define I8     CAPHEAP_OPT_IRAM_8BIT

/* start, size, type, startup stack, when, unless. One record per run of
 * one type: ESP-IDF's table lists the same RAM in its 8 KiB pools (16-0 on
 * the data bus, 0-5 on the instruction bus), whose pieces it merges again. */
static const capheap_region_desc_t regions[] = {
    {0x3F800000, 0x400000, SPIRAM, false, PSRAM, 0}, /* external, to 4 MiB */
    {0x3FF80000, 0x2000, RTCRAM, false, RTC, 0},     /* RTC fast memory */
    {0x3FFAE000, 0x32000, DRAM, false, 0, 0},        /* pools 16-10 */
    /* D/IRAM, pools 9-6: the same SRAM as 0x400A0000-0x400C0000, word order
     * inverted; the ROM's start-up stacks live here until the scheduler. */
    {0x3FFE0000, 0x20000, DIRAM, true, 0, 0},
    {0x40070000, 0x10000, IRAM, false, 0, 0}, /* pools 0-1, flash caches */
    /* Pools 2-5: byte access emulated with the single-core option. */
    {0x40080000, 0x20000, IRAM, false, 0, I8},
    {0x40080000, 0x20000, IRAM_8BIT, false, I8, 0},
};

/* start, end, when, unless; why, as ESP-IDF names it */
static const capheap_reserved_t reserved[] = {
    {0x3F800000, 0x3FC00000, 0, PSRAM},  /* PSRAM window, no PSRAM fitted */
    {0x3FFAE000, 0x3FFAE6E0, 0, 0},      /* ROM data */
    {0x3FFAE6E0, 0x3FFAFF10, BT, 0},     /* Bluetooth controller data */
    {0x3FFB0000, 0x3FFB6388, BT, 0},     /* Bluetooth exchange memory */
    {0x3FFB8000, 0x3FFB9A20, BT, 0},     /* Bluetooth controller BSS */
    {0x3FFBDB28, 0x3FFBDB5C, BT, 0},     /* Bluetooth controller misc */
    {0x3FFE0000, 0x3FFE0440, 0, 0},      /* ROM PRO CPU data */
    {0x3FFE3F20, 0x3FFE4350, 0, SINGLE}, /* ROM APP CPU data */
    {0x3FFF8000, 0x40000000, TRACE, 0},  /* trace memory */
    {0x40070000, 0x40078000, 0, 0},      /* PRO CPU flash cache */
    {0x40078000, 0x40080000, 0, SINGLE}, /* APP CPU flash cache */
};

static const capheap_alias_t aliases[] = {
    /* D/IRAM: the lowest data word is the highest instruction word. */
    {CAPHEAP_ALIAS_INVERTED, 0x3FFE0000, 0x40000000, 0x400A0000},
    /* RTC fast memory, seen by the PRO CPU on both buses. */
    {CAPHEAP_ALIAS_LINEAR, 0x3FF80000, 0x3FF82000, 0x400C0000},
};

const capheap_chip_t capheap_chip_esp32 = {
    .name = "esp32",
    CHIP_ARRAY(types, type_count, types),
    CHIP_ARRAY(regions, region_count, regions),
    CHIP_ARRAY(reserved, reserved_count, reserved),
    CHIP_ARRAY(aliases, alias_count, aliases),
    .dma_lo = 0x3FFAE000,
    .dma_hi = 0x40000000,
    .cache_line = 4, /* internal DMA needs words; no data cache in front */
    .simd_align = 4,
    .max_alloc = 0x400000,
    /* .dram0 starts after the Bluetooth controller's share when it runs. A
     * small application's footprint by default; set the ends from your map
     * file (_heap_start, _iram_end) through capheap_chip_options_t. */
    .app_dram_start = 0x3FFB0000,
    .app_dram_start_bt = 0x3FFBDB5C,
    .app_dram_size = 0x3000,
    .app_iram_start = 0x40080000,
    .app_iram_size = 0xA600,
};
