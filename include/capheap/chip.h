/**
 * @file chip.h
 * @brief A chip's memory, described as constant data.
 *
 * A chip has memory types (a name and the capabilities each offers at three
 * priority levels), regions of RAM of those types, and ranges that are
 * reserved by default (ROM data, caches, radio memory). Options select
 * optional regions and reservations (PSRAM, RTC memory as heap, Bluetooth),
 * and the application adds its own reservations (.data/.bss, IRAM code).
 * The capability layer (caps.h) turns the description into heaps.
 */
#ifndef CAPHEAP_CHIP_H
#define CAPHEAP_CHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Priority levels of a memory type's capabilities (high, medium, low). */
#define CAPHEAP_PRIOS 3

/** A kind of memory and what it can do at each priority level. */
typedef struct {
    const char *name;             /**< "DRAM", "D/IRAM", "IRAM", ... */
    uint32_t caps[CAPHEAP_PRIOS]; /**< CAPHEAP_CAP_* bits per level */
} capheap_mem_type_t;

/** Chip options that select optional regions and reservations (8 bits:
 * capheap_region_desc_t's when/unless hold them). */
enum {
    CAPHEAP_OPT_PSRAM = 1u << 0,       /**< external PSRAM is fitted */
    CAPHEAP_OPT_RTC_HEAP = 1u << 1,    /**< RTC fast memory is heap */
    CAPHEAP_OPT_BT = 1u << 2,          /**< the Bluetooth controller runs */
    CAPHEAP_OPT_TRACE_MEM = 1u << 3,   /**< trace memory is reserved */
    CAPHEAP_OPT_SINGLE_CORE = 1u << 4, /**< the second core's memory is free */
    CAPHEAP_OPT_IRAM_8BIT = 1u << 5, /**< IRAM takes byte accesses (emulated) */
};

/**
 * A region of RAM as the chip has it: one contiguous range of one memory
 * type, as long as the RAM runs (not the vendor's pool or bank split:
 * capheap_caps_init() merges touching pieces of one type anyway, as
 * ESP-IDF does). Where an option changes a range's type, two records
 * cover it, one with @c when and one with @c unless that option.
 *
 * Format changed in issue #11 (API change): the per-region
 * @c iram_address is gone (the chip's capheap_alias_t windows give every
 * instruction-bus address), and @c when / @c unless are 8 bits wide. On a
 * 32-bit target a record is 12 bytes.
 */
typedef struct {
    uintptr_t start;    /**< data-bus address */
    size_t size;        /**< bytes; for PSRAM the largest fitted */
    uint8_t type;       /**< index into the chip's types */
    bool startup_stack; /**< holds ROM start-up stacks: heap only after
                             capheap_caps_enable_nonos_stack_heaps() */
    uint8_t when;       /**< CAPHEAP_OPT_* bits that must all be set for
                             the region to exist (0: always) */
    uint8_t unless;     /**< CAPHEAP_OPT_* bits any of which removes it */
} capheap_region_desc_t;

/**
 * A range of addresses that is not heap. Say why in a comment beside the
 * entry: since issue #11 (API change) the record has no name, which no
 * program printed (an overlap with one is reported as "chip reservation").
 */
typedef struct {
    uintptr_t start; /**< first byte */
    uintptr_t end;   /**< one past the last byte */
    uint8_t when;    /**< as in capheap_region_desc_t */
    uint8_t unless;  /**< as in capheap_region_desc_t */
} capheap_reserved_t;

/** How a chip's data RAM is also seen on the instruction bus. */
typedef enum {
    CAPHEAP_ALIAS_LINEAR,   /**< I = D + (iram_lo - dram_lo) */
    CAPHEAP_ALIAS_INVERTED, /**< word order reversed: the lowest data word is
                                 the highest instruction word (ESP32) */
} capheap_alias_kind_t;

/** A window of RAM seen at two addresses: data bus and instruction bus. */
typedef struct {
    capheap_alias_kind_t kind;
    uintptr_t dram_lo, dram_hi; /**< the data-bus window */
    uintptr_t iram_lo;          /**< the instruction-bus window starts here
                                     and is as long as the data window */
} capheap_alias_t;

/** A chip's memory map. All of it is constant data. */
typedef struct {
    const char *name;                /**< "esp32", ... */
    const capheap_mem_type_t *types; /**< memory types */
    uint8_t type_count;
    const capheap_region_desc_t *regions; /**< sorted by address; no two
                                               selected at once overlap */
    uint16_t region_count;
    const capheap_reserved_t *reserved; /**< default reservations */
    uint16_t reserved_count;
    const capheap_alias_t *aliases; /**< dual-mapped windows */
    uint8_t alias_count;
    uintptr_t dma_lo, dma_hi;    /**< internal RAM DMA can reach */
    uint16_t cache_line;         /**< alignment for DMA buffers */
    uint16_t simd_align;         /**< alignment for SIMD buffers */
    size_t max_alloc;            /**< largest single allocation */
    uintptr_t app_dram_start;    /**< where .data/.bss start */
    uintptr_t app_dram_start_bt; /**< ... with Bluetooth (0: same) */
    size_t app_dram_size;        /**< their default size */
    uintptr_t app_iram_start;    /**< where IRAM code starts */
    size_t app_iram_size;        /**< its default size */
} capheap_chip_t;

/** How a particular board and application use the chip. */
typedef struct {
    uint32_t flags;           /**< CAPHEAP_OPT_* */
    size_t psram_size;        /**< bytes of PSRAM fitted (with OPT_PSRAM;
                                   0: the region's full size) */
    uintptr_t app_dram_end;   /**< end of .data/.bss (0: chip default) */
    uintptr_t app_iram_end;   /**< end of IRAM code (0: chip default); an
                                   instruction-bus address of dual-mapped
                                   RAM is taken as its data-bus twin */
    uintptr_t app_dram_start; /**< start of .data/.bss (0: chip default;
                                   on the ESP32-S3/C3 it follows the IRAM
                                   code's data-bus twin) */
} capheap_chip_options_t;

/** The chips capheap describes. */
extern const capheap_chip_t capheap_chip_esp32;
extern const capheap_chip_t capheap_chip_esp32s3;
extern const capheap_chip_t capheap_chip_esp32c3;
extern const capheap_chip_t capheap_chip_stm32h743;
extern const capheap_chip_t capheap_chip_host;

/** Look a chip up by name ("esp32", ...); NULL if unknown. */
const capheap_chip_t *capheap_chip_find(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* CAPHEAP_CHIP_H */
