/*
 * sim_internal.h - what the parts of the host simulation share.
 */
#ifndef CAPHEAP_SIM_INTERNAL_H
#define CAPHEAP_SIM_INTERNAL_H

#include "capheap/sim.h"

/** Most alias windows of one chip the simulation backs. */
#define SIM_MAX_WINDOWS 8

/** One inverted window as mapped: page-aligned, len a multiple of pages. */
typedef struct {
    uintptr_t d, i; /* data and instruction side */
    size_t len;
} sim_inverted_t;

/**
 * Start keeping the @p n windows coherent (the data sides own every page:
 * they must be mapped read-write, the instruction sides PROT_NONE).
 * @return 0, or -1 (message on stderr) when the ownership table cannot be
 *         allocated.
 */
int sim_fault_track(const sim_inverted_t *w, size_t n, size_t page);

/** Stop: forget the windows (before they are unmapped). */
void sim_fault_untrack(void);

/**
 * Make the SIGSEGV handler current, remembering the one it replaces.
 * @return 0, or -1 (message on stderr) if it could not be installed.
 */
int sim_fault_install(void);

/** Put the replaced handler back if ours is still current. */
void sim_fault_uninstall(void);

#endif
