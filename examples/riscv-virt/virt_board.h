/*
 * virt_board.h - the chip description of QEMU's RISC-V virt board as the
 * examples divide its RAM, and the start-up shared by the harts.
 */
#ifndef VIRT_BOARD_H
#define VIRT_BOARD_H

#include "capheap/chip.h"

enum { VIRT_IRAM, VIRT_DRAM, VIRT_DMA };

extern const capheap_chip_t virt_chip;

/** Where the harts other than 0 go once hart 0 has built the heap and
 *  initialised the C library (virt_start.c waits for fw_release_harts()).
 *  The default parks them. */
void fw_secondary_main(unsigned hart);

/** Let the other harts run fw_secondary_main(). */
void fw_release_harts(void);

#endif
