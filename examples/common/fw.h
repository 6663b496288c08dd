/*
 * fw.h - what the example firmwares share: output, exit, the start-up hook
 * and the checks. Each board provides fw_write(), fw_exit() and
 * fw_heap_init(); the checks (fw_checks.c) are the same on every board.
 */
#ifndef FW_H
#define FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capheap/chip.h"

/** Write text to the board's console (semihosting or UART). */
void fw_write(const char *text, size_t len);

/** End the run with an exit status the test script sees. */
_Noreturn void fw_exit(int status);

/** Build the heap: called by the reset handler before the C library's
 *  initialisation (constructors, stdio), which may allocate. */
void fw_heap_init(void);

/** Register the failure callback and try a malloc before the heap is
 *  built (the reset handler's first step): capheap must refuse it without
 *  touching memory; fw_check_heap() checks the outcome. Also fills the
 *  application's reservations in @p chip's RAM, which fw_check_heap()
 *  finds unchanged. */
void fw_before_init(const capheap_chip_t *chip);

/** Formatted output through capheap's output path. */
void fw_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Count a check; print it when it fails. @return ok */
bool fw_check(bool ok, const char *what);

/** The board as the checks see it: its chip and which of its memory types
 *  serve EXEC, DEFAULT and DMA requests first. */
typedef struct {
    const char *name;
    const capheap_chip_t *chip;
    const capheap_chip_options_t *opts;
    uint8_t exec_type, default_type, dma_type;
} fw_board_t;

/** Whether [p, p + len) lies in a region of memory type @p type. */
bool fw_in_type(const fw_board_t *b, const void *p, size_t len, int type);

/** The ESP-IDF API on the board's chip: placement by caps (checked by
 *  address), the size figures against the chip description, code run from
 *  EXEC memory, the C library's own buffers, integrity. */
void fw_check_heap(const fw_board_t *b);

/** Print the verdict line the test script looks for and exit with it. */
_Noreturn void fw_verdict(const fw_board_t *b);

/** Set by the examples' first constructor: a block allocated before main. */
extern void *fw_early_block;

#endif
