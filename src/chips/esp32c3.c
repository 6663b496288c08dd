/*
 * esp32c3.c - the ESP32-C3's memory map (ESP-IDF port/esp32c3/memory_layout.c,
 * soc/esp32c3/include/soc/soc.h, esp_system/ld/esp32c3/memory.ld.in) with
 * memory protection off, so all RAM may hold code.
 */
#include "capheap/chip_table.h"

enum { RAM, RETENTION_RAM, RTCRAM };

#define C(x) CAPHEAP_CAP_##x

/* memory_layout.c ESP32C3_MEM_COMMON_CAPS without memory protection. */
#define COMMON (C(DEFAULT) | C(INTERNAL) | C(32BIT) | C(8BIT) | C(EXEC))

static const capheap_mem_type_t types[] = {
    [RAM] = {"RAM", {COMMON | C(DMA), 0, 0}},
    /* The top 128 KiB, which retention DMA reaches: plain requests take it
     * only at the second level, so it stays free longest. */
    [RETENTION_RAM] = {"Retention RAM", {C(RETENTION), COMMON | C(DMA), 0}},
    [RTCRAM] = {"RTCRAM", {C(RTCRAM), 0, COMMON}},
};

#define RTC CAPHEAP_OPT_RTC_HEAP

/* start, size, type, startup stack, when, unless */
static const capheap_region_desc_t regions[] = {
    {0x3FC80000, 0x40000, RAM, false, 0, 0},           /* levels 1-2 */
    {0x3FCC0000, 0x1C710, RETENTION_RAM, false, 0, 0}, /* lvl 3 */
    /* From SOC_ROM_STACK_START - SOC_ROM_STACK_SIZE (0x3FCDE710 - 0x2000):
     * the ROM's start-up stack. */
    {0x3FCDC710, 0x38F0, RETENTION_RAM, true, 0, 0},
    {0x50000000, 0x2000, RTCRAM, false, RTC, 0}, /* RTC memory */
};

/* start, end, when, unless; why */
static const capheap_reserved_t reserved[] = {
    /* memory_layout_utils.c: the ROM layout table's dram0_rtos_reserved_start
     * (0x3FCDF060 in the ESP32-C3 ROM) to SOC_DIRAM_DRAM_HIGH. */
    {0x3FCDF060, 0x3FCE0000, 0, 0}, /* ROM .bss/.data */
    /* memory.ld.in rtc_reserved_seg: RTC timer data (24 bytes) at the top. */
    {0x50001FE8, 0x50002000, RTC, 0}, /* RTC reserved data */
};

static const capheap_alias_t aliases[] = {
    /* SOC_DIRAM_DRAM_LOW..HIGH seen at SOC_DIRAM_IRAM_LOW: I - D = 0x700000. */
    {CAPHEAP_ALIAS_LINEAR, 0x3FC80000, 0x3FCE0000, 0x40380000},
};

const capheap_chip_t capheap_chip_esp32c3 = {
    .name = "esp32c3",
    CHIP_ARRAY(types, type_count, types),
    CHIP_ARRAY(regions, region_count, regions),
    CHIP_ARRAY(reserved, reserved_count, reserved),
    CHIP_ARRAY(aliases, alias_count, aliases),
    /* GDMA reaches all of SRAM1, which the RAM types mark DMA (soc.h's
     * SOC_DMA_LOW/HIGH, 0x3FC88000..0x3FD00000, is the S3's copied). */
    .dma_lo = 0x3FC80000,
    .dma_hi = 0x3FCE0000,
    .cache_line = 4,      /* no data cache in front of internal RAM */
    .simd_align = 4,      /* no SIMD unit */
    .max_alloc = 0x64000, /* SOC_MAX_CONTIGUOUS_RAM_SIZE: IRAM_HIGH - LOW */
    /* A small application's footprint by default: 40 KiB of IRAM code from
     * _iram_start (0x40380000, behind the 16 KiB I-cache), .data/.bss right
     * behind its data-bus alias (sections.ld.in's .dram0.dummy). IRAM code
     * is reserved on the data bus, as ESP-IDF does: set app_iram_end to
     * _iram_end - 0x700000 and app_dram_end to _heap_start. */
    .app_dram_start = 0x3FC8A000,
    .app_dram_size = 0x3000,
    .app_iram_start = 0x3FC80000, /* 0x40380000 - 0x700000 */
    .app_iram_size = 0xA000,
};
