/*
 * mps2_board.h - the MPS2 chip description's memory types and layout.
 */
#ifndef MPS2_BOARD_H
#define MPS2_BOARD_H

#include "capheap/chip.h"

enum { MPS2_TCM, MPS2_SRAM, MPS2_DMA };

/** The main stack's lowest address (mps2.ld puts it at the top of SRAM). */
#define MPS2_STACK_BOTTOM 0x203F0000u

extern const capheap_chip_t mps2_chip;

#endif
