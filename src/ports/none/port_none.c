/*
 * port_none.c - bare metal, single thread: no locking, errors trap.
 *
 * Protects against nothing: one thread, no heap calls from interrupt
 * handlers, one core (CAPHEAP_PORT=irq allows handlers on one core).
 *
 * Freestanding: the last error is kept where a debugger can read it. The
 * lock functions are inline no-ops in port.h.
 */
#include "capheap/port.h"

/** The last error the default report saw (for a debugger). */
volatile struct {
    capheap_err_t err;
    const void *addr;
    const char *op;
} capheap_port_last_error;

void capheap_port_report_error(capheap_err_t err, const void *addr,
                               const char *op) {
    capheap_port_last_error.err = err;
    capheap_port_last_error.addr = addr;
    capheap_port_last_error.op = op;
    __builtin_trap();
}
