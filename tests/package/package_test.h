/*
 * package_test.h - what the programs of tools/package-test.sh share: the
 * application's own chip (own_chip.c) and the check of where capability
 * requests land on it (check_chip.c).
 */
#ifndef CAPHEAP_PACKAGE_TEST_H
#define CAPHEAP_PACKAGE_TEST_H

#include "capheap/caps.h"

#define PT_RAM_SIZE (32 * 1024)

extern unsigned char pt_tcm[PT_RAM_SIZE];
extern unsigned char pt_sram[PT_RAM_SIZE];
extern capheap_chip_t pt_chip;

/** Fill in the addresses of pt_chip's regions (the arrays' order). */
void pt_chip_setup(void);

/** Build a capability heap on pt_chip and check where EXEC, DMA and plain
 * requests land; prints what is wrong and returns the number of faults. */
int pt_check_chip(void);

#endif
