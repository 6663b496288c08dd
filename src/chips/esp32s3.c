/*
 * esp32s3.c - the ESP32-S3's memory map (ESP-IDF port/esp32s3/memory_layout.c,
 * soc/esp32s3/include/soc/soc.h, esp_system/ld/esp32s3/memory.ld.in) with
 * memory protection off, so D/IRAM and RTC fast memory may hold code.
 */
#include "capheap/chip_table.h"

enum { RAM, DRAM, IRAM, SPIRAM, RTCRAM };

#define C(x) CAPHEAP_CAP_##x

/* memory_layout.c: what all RAM but the cache memory offers, and the D/IRAM
 * and RTC bases without memory protection (EXEC kept). */
#define COMMON      (C(DEFAULT) | C(32BIT) | C(8BIT))
#define DIRAM_BASE  (COMMON | C(INTERNAL) | C(DMA) | C(RETENTION) | C(EXEC))
#define RTCRAM_BASE (COMMON | C(INTERNAL) | C(EXEC))

static const capheap_mem_type_t types[] = {
    /* D/IRAM: one type for everything, as ESP-IDF has it. */
    [RAM] = {"RAM", {DIRAM_BASE | C(SIMD), 0, 0}},
    /* Data-cache memory left over: DMA yes, retention DMA and code no. */
    [DRAM] = {"DRAM", {0, COMMON | C(INTERNAL) | C(DMA) | C(SIMD), 0}},
    [IRAM] = {"IRAM", {C(EXEC), C(32BIT) | C(INTERNAL), 0}},
    /* The caps esp_psram.c gives the PSRAM heap it adds (the layout table's
     * own entry is never used: the window is reserved there). */
    [SPIRAM] = {"SPIRAM",
                {C(SPIRAM) | C(DEFAULT), 0, C(8BIT) | C(32BIT) | C(SIMD)}},
    [RTCRAM] = {"RTCRAM", {C(RTCRAM), 0, RTCRAM_BASE}},
};

#define PSRAM CAPHEAP_OPT_PSRAM
#define RTC   CAPHEAP_OPT_RTC_HEAP
#define TRACE CAPHEAP_OPT_TRACE_MEM

/* start, size, type, startup stack, when, unless */
static const capheap_region_desc_t regions[] = {
    /* SOC_EXTRAM_DATA_LOW..HIGH, shared with flash .rodata: reserve what
     * that mapping takes below the PSRAM through the extra reservations. */
    {0x3C000000, 0x2000000, SPIRAM, false, PSRAM, 0},
    /* Levels 2-8 of D/IRAM (ESP-IDF lists them one by one). */
    {0x3FC88000, 0x61710, RAM, false, 0, 0},
    /* From SOC_ROM_STACK_START - SOC_ROM_STACK_SIZE (0x3FCEB710 - 0x2000):
     * the ROM's start-up stacks, PRO then APP CPU (..0x3FCED710). */
    {0x3FCE9710, 0x68F0, RAM, true, 0, 0},
    /* SRAM2 beside the default 32 KiB data cache (level 9). */
    {0x3FCF0000, 0x8000, DRAM, false, 0, 0},
    /* SRAM0 beside the default 16 KiB instruction cache (level 1). */
    {0x40374000, 0x4000, IRAM, false, 0, 0},
    {0x600FE000, 0x2000, RTCRAM, false, RTC, 0}, /* RTC fast memory */
};

/* start, end, when, unless; why */
static const capheap_reserved_t reserved[] = {
    /* CONFIG_ESP32S3_TRACEMEM_RESERVE_DRAM (0x8000, both banks) split over
     * TRACEMEM_BLK0_ADDR and TRACEMEM_BLK1_ADDR (soc/tracemem_config.h). */
    {0x3FCD0000, 0x3FCD4000, TRACE, 0}, /* trace memory block 0 */
    {0x3FCE0000, 0x3FCE4000, TRACE, 0}, /* trace memory block 1 */
    /* memory_layout_utils.c: the ROM layout table's dram0_rtos_reserved_start
     * (0x3FCEEE34 in the ESP32-S3 ROM) to SOC_DIRAM_DRAM_HIGH. */
    {0x3FCEEE34, 0x3FCF0000, 0, 0}, /* ROM .bss/.data */
    /* iram_code_2: _iram_start is 0x40374000 with the 16 KiB I-cache and the
     * linker fills these 16 KiB before it spills into D/IRAM. */
    {0x40374000, 0x40378000, 0, 0}, /* application IRAM code (I-bus) */
    /* memory.ld.in rtc_reserved_seg: RTC timer data (24 bytes) at the top. */
    {0x600FFFE8, 0x60100000, RTC, 0}, /* RTC reserved data */
};

static const capheap_alias_t aliases[] = {
    /* SOC_DIRAM_DRAM_LOW..HIGH seen at SOC_DIRAM_IRAM_LOW: I - D = 0x6F0000. */
    {CAPHEAP_ALIAS_LINEAR, 0x3FC88000, 0x3FCF0000, 0x40378000},
};

const capheap_chip_t capheap_chip_esp32s3 = {
    .name = "esp32s3",
    CHIP_ARRAY(types, type_count, types),
    CHIP_ARRAY(regions, region_count, regions),
    CHIP_ARRAY(reserved, reserved_count, reserved),
    CHIP_ARRAY(aliases, alias_count, aliases),
    .dma_lo = 0x3FC88000, /* SOC_DMA_LOW */
    .dma_hi = 0x3FD00000, /* SOC_DMA_HIGH */
    /* Internal RAM has no data cache in front (ESP-IDF aligns its DMA buffers
     * to 4); PSRAM DMA needs the data cache line, 32 bytes by default. One
     * figure serves both, so the larger: a misaligned PSRAM buffer corrupts,
     * a rounded-up internal one only costs a few bytes. */
    .cache_line = 32,
    .simd_align = 16,       /* PIE loads and stores 128 bits */
    .max_alloc = 0x2000000, /* SOC_MAX_CONTIGUOUS_RAM_SIZE */
    /* A small application's footprint by default: 64 KiB of IRAM code from
     * _iram_start (0x40374000), .data/.bss right behind its data-bus alias
     * (sections.ld.in's .dram0.dummy). IRAM code is reserved on the data
     * bus, as ESP-IDF does: set app_iram_end to _iram_end - 0x6F0000 and
     * app_dram_end to _heap_start from your map file. */
    .app_dram_start = 0x3FC94000,
    .app_dram_size = 0x3000,
    .app_iram_start = 0x3FC84000, /* 0x40374000 - 0x6F0000 */
    .app_iram_size = 0x10000,
};
