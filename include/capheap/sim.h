/**
 * @file sim.h
 * @brief Host simulation of a chip's memory (Linux).
 *
 * Backs every region of a chip with real memory at the chip's real
 * addresses, so firmware code and its allocations run unchanged on a host:
 *
 * @code
 * const capheap_chip_t *chip;
 * capheap_chip_options_t opts;
 * if (capheap_sim_options_from_env(&chip, &opts) != CAPHEAP_OK ||
 *     capheap_sim_map(chip, &opts) != CAPHEAP_OK)
 *     exit(2);
 * capheap_caps_init(&heap, chip, &opts, NULL, 0);
 * @endcode
 *
 * Dual-mapped RAM (the chip's alias windows) is seen at both addresses:
 * - a linear window maps the same host pages twice, so every access is
 *   coherent at once;
 * - an inverted window (the ESP32's D/IRAM, word order reversed) keeps one
 *   copy of each page per view; a page pair has one owner at a time, and a
 *   SIGSEGV handler moves ownership, copying the page with its words
 *   reversed, when the other view is touched (an instruction that needs
 *   both views at once is single-stepped with the pair open, on x86).
 *
 * Addresses the host can never map (below CAPHEAP_SIM_LOW_LIMIT) move up by
 * CAPHEAP_SIM_LOW_OFFSET; capheap_sim_chip() gives the description that says
 * where. docs/simulation.md lists what is faithful and what is not.
 *
 * Apart from capheap_sim_resolve_fault() these functions are not
 * thread-safe: map, unmap and describe before other threads touch the
 * simulated memory.
 */
#ifndef CAPHEAP_SIM_H
#define CAPHEAP_SIM_H

#include <stdbool.h>

#include "capheap/caps.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Regions, reservations and alias windows that start below this address
 * are moved for the host (64 KiB: the highest usual Linux vm.mmap_min_addr,
 * so where a chip lands does not depend on the host's setting).
 */
#define CAPHEAP_SIM_LOW_LIMIT 0x10000u

/**
 * What is added to a moved address. 0x70000000 holds no region of any
 * described chip (0x50000000 would hit the ESP32-C3's RTC memory), lies
 * below AddressSanitizer's shadow (0x7FFF8000 on x86-64) and is free under
 * qemu-user's i386 layout.
 */
#define CAPHEAP_SIM_LOW_OFFSET 0x70000000u

/**
 * The description of @p chip as the simulation places it: the chip itself
 * when nothing lies below CAPHEAP_SIM_LOW_LIMIT, else a copy in static
 * storage (one per chip, made once) in which
 * - every region starting below the limit moves up by
 *   CAPHEAP_SIM_LOW_OFFSET, and the regions are sorted again;
 * - every address inside a moved region or below the limit moves with it:
 *   reservations and alias windows (by their start),
 *   app_dram_start, app_dram_start_bt, app_iram_start; dma_lo/dma_hi when
 *   both lie in one moved region. 0 ("none") stays 0.
 *
 * Pass the result, not the chip, to capheap_caps_init(), and translate
 * addresses of your own with capheap_sim_addr().
 * @return the description, or NULL (message on stderr) for NULL, a chip
 *         larger than the copy's tables, a moved range that would collide
 *         with one that stays, or when the copies are used up.
 */
const capheap_chip_t *capheap_sim_chip(const capheap_chip_t *chip);

/**
 * Where chip address @p addr of @p chip lies in the simulation: moved by
 * CAPHEAP_SIM_LOW_OFFSET if capheap_sim_chip() moves it, else itself. For
 * the end of a range ask for its last byte and add one.
 */
uintptr_t capheap_sim_addr(const capheap_chip_t *chip, uintptr_t addr);

/**
 * Map the memory of capheap_sim_chip(@p chip): the regions @p opts selects
 * (PSRAM only as large as opts->psram_size), whole and page-rounded,
 * reserved parts included, and both sides of every alias window whether or
 * not a region covers them. Anonymous, zero-filled memory; nothing already
 * mapped is ever replaced (MAP_FIXED_NOREPLACE).
 *
 * Idempotent: when the same ranges are already mapped it returns at once
 * and keeps their contents; otherwise what was mapped is unmapped first.
 * With an inverted window it installs (or re-installs, if someone replaced
 * it since) a SIGSEGV handler, and on x86 a SIGTRAP handler, which pass
 * signals that are not theirs on to the handlers they replaced. Test frameworks
 * that swap SIGSEGV handlers per test need a call per test, or a handler of
 * theirs that calls capheap_sim_resolve_fault() first.
 * @return CAPHEAP_OK; CAPHEAP_ERR_OVERLAP when an address range is already
 *         taken in this process; CAPHEAP_ERR_INVALID_ARG for NULL, a
 *         description the host cannot back (an alias window whose sides are
 *         not congruent to the page size, an inverted window not
 *         page-aligned, more ranges than the tables hold) or an address the
 *         host refuses (below vm.mmap_min_addr, out of memory). Every
 *         failure names the range on stderr and leaves nothing mapped.
 */
capheap_err_t capheap_sim_map(const capheap_chip_t *chip,
                              const capheap_chip_options_t *opts);

/**
 * Whether capheap_sim_map(@p chip, @p opts) would find its address ranges
 * free, without mapping anything (what this simulation itself has mapped
 * counts as free: map would replace it). For tests that must skip, with a
 * reason, where the host holds the chip's addresses (qemu-user puts an i386
 * guest's stack and libraries just below 0x40000000, on the ESP32's RAM).
 * @param who receives, for CAPHEAP_ERR_OVERLAP, the range and the line of
 *        /proc/self/maps holding it (may be NULL)
 * @return CAPHEAP_OK; CAPHEAP_ERR_OVERLAP; or CAPHEAP_ERR_INVALID_ARG as
 *         capheap_sim_map() would return it for the description.
 */
capheap_err_t capheap_sim_probe(const capheap_chip_t *chip,
                                const capheap_chip_options_t *opts, char *who,
                                size_t who_size);

/**
 * Unmap what capheap_sim_map() mapped and put back the signal handlers it
 * replaced (unless others have been installed since).
 */
void capheap_sim_unmap(void);

/**
 * Settle a fault at @p addr for a SIGSEGV handler of the program's own:
 * if @p addr lies in an inverted window, the page pair it falls in moves to
 * the view holding @p addr and the handler should return so that the access
 * is retried. It cannot step an instruction that needs both views (that
 * takes capheap's own handlers). Async-signal-safe.
 * @return true if @p addr lies in an inverted window (and the move worked).
 */
bool capheap_sim_resolve_fault(const void *addr);

/**
 * The chip and options named by the environment, for capheap_sim_map() and
 * capheap_caps_init():
 * - CAPHEAP_CHIP: a name capheap_chip_find() knows (default "esp32");
 * - CAPHEAP_PSRAM: bytes of PSRAM fitted, decimal or 0x-hex, optionally
 *   with a K or M suffix (KiB, MiB); sets CAPHEAP_OPT_PSRAM; 0 or unset:
 *   none. At most the chip's PSRAM region, which must exist;
 * - CAPHEAP_BT, CAPHEAP_RTC_HEAP, CAPHEAP_SINGLE_CORE, CAPHEAP_TRACE_MEM,
 *   CAPHEAP_IRAM_8BIT: 1 sets the option, 0 or unset does not;
 * - CAPHEAP_APP_DRAM_START, CAPHEAP_APP_DRAM_END, CAPHEAP_APP_IRAM_END:
 *   the start and end of .data/.bss and the end of IRAM code, as the
 *   options take them (chip addresses, decimal or 0x-hex; 0 or unset: the
 *   chip's default); an end not below its start.
 *
 * An empty variable counts as unset. @p chip receives capheap_sim_chip()
 * of the named chip and the addresses are translated to match
 * (capheap_sim_addr(); an end by its last byte).
 * @return CAPHEAP_OK, or CAPHEAP_ERR_INVALID_ARG (NULL, unknown chip, a bad
 *         value; a message on stderr names the variable, and for a chip
 *         the valid names). On failure the outputs are untouched.
 */
capheap_err_t capheap_sim_options_from_env(const capheap_chip_t **chip,
                                           capheap_chip_options_t *opts);

#ifdef __cplusplus
}
#endif

#endif /* CAPHEAP_SIM_H */
