/*
 * layout.h - from a chip description to the regions that become heaps.
 */
#ifndef CAPHEAP_CAPS_LAYOUT_H
#define CAPHEAP_CAPS_LAYOUT_H

#include "capheap/caps.h"

/** A stretch of RAM that becomes (part of) a heap. */
typedef struct {
    uintptr_t start, end;
    uint8_t type;
    bool startup_stack;
} capheap_avail_t;

/** Smallest piece of a region kept after reservations are cut out. */
#define CAPHEAP_LAYOUT_MIN_PIECE 64u

/**
 * The regions of @p chip selected by @p opts, minus every reservation (the
 * chip's, the application's .data/.bss and IRAM code, @p extra), cut around
 * them (holes split a region), pieces under CAPHEAP_LAYOUT_MIN_PIECE bytes
 * dropped, touching pieces of one type and start-up flag merged; sorted by
 * address. Pure: reads only the descriptions, copies none of them (any
 * number of reservations). O(R * (P + N) + N^2) for R regions, P pieces
 * and N reservations: tables are small.
 * @return CAPHEAP_OK; CAPHEAP_ERR_INVALID_ARG (a reservation with
 *         end < start, bad type index); CAPHEAP_ERR_OVERLAP (two
 *         reservations overlap; *bad_out names the later one in the order
 *         chip, application .data/.bss, application IRAM code, @p extra,
 *         "chip reservation" for the chip's own, which have no names);
 *         CAPHEAP_ERR_NO_SLOT (more than @p cap pieces).
 */
capheap_err_t capheap_layout_build(const capheap_chip_t *chip,
                                   const capheap_chip_options_t *opts,
                                   const capheap_caps_reservation_t *extra,
                                   size_t extra_count, capheap_avail_t *out,
                                   size_t cap, size_t *count,
                                   const char **bad_out);

/** Whether the option flags select an entry with @p when / @p unless. */
static inline bool capheap_layout_selected(uint32_t flags, uint32_t when,
                                           uint32_t unless) {
    return (flags & when) == when && (flags & unless) == 0;
}

#endif
