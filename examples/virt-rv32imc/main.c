/*
 * main.c - example (d): RV32IMC with picolibc on QEMU's virt board;
 * capheap replaces picolibc's malloc and runs the ESP-IDF API on the
 * board's chip description (virt_chip.c).
 */
#include <stdlib.h>

#include "esp_heap_caps_init.h"
#include "fw.h"
#include "virt_board.h"

static capheap_chip_options_t opts;

static const fw_board_t board = {
    .name = "virt-rv32imc",
    .chip = &virt_chip,
    .opts = &opts,
    .exec_type = VIRT_IRAM,
    .default_type = VIRT_DRAM,
    .dma_type = VIRT_DMA,
};

/* From hart 0's start, before picolibc's initialisation. */
void fw_heap_init(void) {
    fw_before_init(&virt_chip);
    heap_caps_init(); /* the build-time chip: CAPHEAP_SYSTEM_CHIP=virt_chip */
}

__attribute__((constructor(101))) static void early(void) {
    fw_early_block = malloc(24);
}

int main(void) {
    fw_print("capheap example on %s\n", board.name);
    fw_check_heap(&board);
    fw_verdict(&board);
}
