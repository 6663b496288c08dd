/*
 * port_none.c - bare metal, single thread: no locking, errors trap.
 *
 * Protects against nothing: one thread, no heap calls from interrupt
 * handlers, one core (CAPHEAP_PORT=irq allows handlers on one core).
 *
 * Freestanding: the last error is kept where a debugger can read it. The
 * lock functions are inline no-ops in port.h.
 */
#include "../bare_metal_trap.h"
#include "capheap/port.h"
