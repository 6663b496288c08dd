/*
 * main.c - the MPS2 examples (AN386: Cortex-M4F with newlib-nano; AN385:
 * Cortex-M3 with full newlib): capheap replaces newlib's malloc and runs
 * the ESP-IDF API on the board's own chip description (mps2_chip.c), then
 * every function of ESP-IDF's heap headers (esp_idf_api.c).
 */
#include <stdlib.h>

#include "capheap/system.h"
#include "esp_heap_caps_init.h"
#include "esp_idf_api.h"
#include "fw.h"
#include "heap_memory_layout.h"
#include "mps2_board.h"

extern char __app_end[]; /* end of .data/.bss (mps2.ld) */

/* 4 KiB in the middle of the SRAM that the firmware keeps for itself, as
 * an ESP-IDF driver keeps memory a peripheral uses at a fixed address: a
 * record in the program, which the heap's start-up reads (both ways of
 * starting it below). The checks find no block there and the bytes
 * fw_before_init() wrote still there. */
SOC_RESERVE_MEMORY_REGION(0x20200000, 0x20201000, fw_fixed_buffer);

static capheap_chip_options_t opts;

/* Memory for esp_idf_api_check()'s multi_heap and runtime region: in .bss,
 * below __app_end, so no heap holds it yet. */
static _Alignas(16) unsigned char api_scratch[8192];

static const fw_board_t board = {
    .name = FW_BOARD_NAME,
    .chip = &mps2_chip,
    .opts = &opts,
    .exec_type = MPS2_TCM,
    .default_type = MPS2_SRAM,
    .dma_type = MPS2_DMA,
};

/* From the reset handler, before newlib's initialisation. */
void fw_heap_init(void) {
    fw_before_init(&mps2_chip);
    opts.app_dram_end = (uintptr_t)__app_end;
#ifdef FW_ESP_IDF_START
    capheap_esp_set_chip(&mps2_chip, &opts); /* ESP-IDF's way */
    heap_caps_init();
#else
    capheap_system_init(&mps2_chip, &opts); /* checked in main */
#endif
}

/* The first constructor: newlib's set-up and C++ globals allocate at this
 * point too. */
__attribute__((constructor(101))) static void early(void) {
    fw_early_block = malloc(24);
}

int main(void) {
    fw_print("capheap example on %s\n", board.name);
    fw_check_heap(&board);
    /* Last: it registers its own failure callback and adds a region. */
    int api_failed = esp_idf_api_check(api_scratch, sizeof api_scratch);
    fw_print("ESP-IDF heap API: %d checks, %d failed\n",
             esp_idf_api_checks_made(), api_failed);
    fw_check(api_failed == 0, "every ESP-IDF heap API call as documented");
    fw_verdict(&board);
}
