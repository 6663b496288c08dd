/**
 * @file debug.h
 * @brief Diagnostics over the core: printed reports of heap corruption.
 *
 * The options that turn diagnostics on (CAPHEAP_POISONING and the others) are
 * described in config.h; docs/debugging.md shows them at work.
 *
 * Threads: capheap_describe_fault() only formats the report it is given
 * (no heap state, no allocation, capheap's own formatter of output.h): any
 * thread, concurrently with anything, interrupt handlers included.
 */
#ifndef CAPHEAP_DEBUG_H
#define CAPHEAP_DEBUG_H

#include <stddef.h>

#include "capheap/heap.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Write one line describing @p rep into @p buf, as "bad tail canary at
 * 0x..., expected 0x7a11f00d, found 0x...": the fault, the address and,
 * for canaries and fills, the values. Formatted by capheap_snprintf()
 * (output.h), so no C library printf is needed. O(1).
 * @return what capheap_snprintf() returns: the whole line's length, even
 *         when @p size cut it.
 */
int capheap_describe_fault(char *buf, size_t size,
                           const capheap_check_report_t *rep);

#ifdef __cplusplus
}
#endif

#endif /* CAPHEAP_DEBUG_H */
