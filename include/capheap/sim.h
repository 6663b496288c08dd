/**
 * @file sim.h
 * @brief Host simulation of a chip's memory (Linux).
 *
 * Backs every region of a chip with real memory at the chip's real
 * addresses, so firmware code and its allocations run unchanged on a host.
 * Dual-mapped D/IRAM is seen at both addresses (see docs/simulation.md for
 * what is faithful).
 */
#ifndef CAPHEAP_SIM_H
#define CAPHEAP_SIM_H

#include "capheap/caps.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Map the memory of @p chip (the regions @p opts selects, whole, reserved
 * parts included, and both sides of every alias window). Idempotent for
 * the same chip; mapping a second chip replaces the first.
 * @return CAPHEAP_OK, or CAPHEAP_ERR_OVERLAP when an address range is
 *         already taken in this process (the message names it on stderr),
 *         or CAPHEAP_ERR_INVALID_ARG.
 */
capheap_err_t capheap_sim_map(const capheap_chip_t *chip,
                              const capheap_chip_options_t *opts);

/** Unmap what capheap_sim_map() mapped. */
void capheap_sim_unmap(void);

#ifdef __cplusplus
}
#endif

#endif
