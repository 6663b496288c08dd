/*
 * main.c - example (c): the BBC micro:bit's Cortex-M0 (ARMv6-M: no CLZ)
 * with newlib-nano and 16 KiB of RAM; capheap replaces newlib's malloc and
 * runs the ESP-IDF API on the board's chip description.
 */
#include <stdlib.h>

#include "capheap/system.h"
#include "fw.h"
#include "microbit_board.h"

extern char __app_end[]; /* end of .data/.bss (microbit.ld) */

static capheap_chip_options_t opts;

static const fw_board_t board = {
    .name = "microbit",
    .chip = &microbit_chip,
    .opts = &opts,
    .exec_type = MB_CODE,
    .default_type = MB_RAM,
    .dma_type = MB_RADIO,
};

void fw_heap_init(void) {
    fw_before_init(&microbit_chip);
    opts.app_dram_end = (uintptr_t)__app_end;
    capheap_system_init(&microbit_chip, &opts); /* checked in main */
}

__attribute__((constructor(101))) static void early(void) {
    fw_early_block = malloc(24);
}

int main(void) {
    fw_print("capheap example on %s\n", board.name);
    fw_check_heap(&board);
    fw_verdict(&board);
}
