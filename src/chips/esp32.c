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

/* start, size, type, iram alias, startup stack, when, unless */
#define DRAM8K(a)                                                              \
    { a, 0x2000, DRAM, 0, false, 0, 0 }
#define IRAM8K(a)                                                              \
    {a, 0x2000, IRAM, 0, false, 0, I8}, {                                      \
        a, 0x2000, IRAM_8BIT, 0, false, I8, 0                                  \
    }

static const capheap_region_desc_t regions[] = {
    {0x3F800000, 0x400000, SPIRAM, 0, false, PSRAM,
     0},                                            /* external, up to 4 MiB */
    {0x3FF80000, 0x2000, RTCRAM, 0, false, RTC, 0}, /* RTC fast memory */
    DRAM8K(0x3FFAE000),                             /* pool 16, ROM data */
    {0x3FFB0000, 0x8000, DRAM, 0, false, 0, 0},     /* pool 15, BT shared */
    {0x3FFB8000, 0x8000, DRAM, 0, false, 0, 0},     /* pool 14, BT data */
    DRAM8K(0x3FFC0000),
    DRAM8K(0x3FFC2000),
    DRAM8K(0x3FFC4000), /* pools 10-13 */
    DRAM8K(0x3FFC6000),
    DRAM8K(0x3FFC8000),
    DRAM8K(0x3FFCA000),
    DRAM8K(0x3FFCC000),
    DRAM8K(0x3FFCE000),
    DRAM8K(0x3FFD0000),
    DRAM8K(0x3FFD2000),
    DRAM8K(0x3FFD4000),
    DRAM8K(0x3FFD6000),
    DRAM8K(0x3FFD8000),
    DRAM8K(0x3FFDA000),
    DRAM8K(0x3FFDC000),
    DRAM8K(0x3FFDE000),
    /* D/IRAM: the same SRAM as 0x400A0000-0x400C0000, word order inverted;
     * the ROM's start-up stacks live here until the scheduler runs. */
    {0x3FFE0000, 0x4000, DIRAM, 0x400BC000, true, 0, 0}, /* pool 9 blk 1 */
    {0x3FFE4000, 0x4000, DIRAM, 0x400B8000, true, 0, 0}, /* pool 9 blk 0 */
    {0x3FFE8000, 0x8000, DIRAM, 0x400B0000, true, 0, 0}, /* pool 8 */
    {0x3FFF0000, 0x8000, DIRAM, 0x400A8000, true, 0, 0}, /* pool 7 */
    {0x3FFF8000, 0x4000, DIRAM, 0x400A4000, true, 0, 0}, /* pool 6 blk 1 */
    {0x3FFFC000, 0x4000, DIRAM, 0x400A0000, true, 0, 0}, /* pool 6 blk 0 */
    {0x40070000, 0x8000, IRAM, 0, false, 0, 0},          /* pool 0, PRO cache */
    {0x40078000, 0x8000, IRAM, 0, false, 0, 0},          /* pool 1, APP cache */
    IRAM8K(0x40080000),
    IRAM8K(0x40082000),
    IRAM8K(0x40084000), /* pools 2-5 */
    IRAM8K(0x40086000),
    IRAM8K(0x40088000),
    IRAM8K(0x4008A000),
    IRAM8K(0x4008C000),
    IRAM8K(0x4008E000),
    IRAM8K(0x40090000),
    IRAM8K(0x40092000),
    IRAM8K(0x40094000),
    IRAM8K(0x40096000),
    IRAM8K(0x40098000),
    IRAM8K(0x4009A000),
    IRAM8K(0x4009C000),
    IRAM8K(0x4009E000),
};

/* start, end, name, when, unless */
static const capheap_reserved_t reserved[] = {
    {0x3F800000, 0x3FC00000, "PSRAM window (no PSRAM fitted)", 0, PSRAM},
    {0x3FFAE000, 0x3FFAE6E0, "ROM data", 0, 0},
    {0x3FFAE6E0, 0x3FFAFF10, "Bluetooth controller data", BT, 0},
    {0x3FFB0000, 0x3FFB6388, "Bluetooth exchange memory", BT, 0},
    {0x3FFB8000, 0x3FFB9A20, "Bluetooth controller BSS", BT, 0},
    {0x3FFBDB28, 0x3FFBDB5C, "Bluetooth controller misc", BT, 0},
    {0x3FFE0000, 0x3FFE0440, "ROM PRO CPU data", 0, 0},
    {0x3FFE3F20, 0x3FFE4350, "ROM APP CPU data", 0, SINGLE},
    {0x3FFF8000, 0x40000000, "trace memory", TRACE, 0},
    {0x40070000, 0x40078000, "PRO CPU flash cache", 0, 0},
    {0x40078000, 0x40080000, "APP CPU flash cache", 0, SINGLE},
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
