/*
 * microbit_board.h - the micro:bit chip description's memory types.
 */
#ifndef MICROBIT_BOARD_H
#define MICROBIT_BOARD_H

#include "capheap/chip.h"

enum { MB_CODE, MB_RAM, MB_RADIO };

extern const capheap_chip_t microbit_chip;

#endif
