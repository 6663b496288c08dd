/*
 * bare_metal_trap.h - the error report of the bare-metal ports (none, irq,
 * spinlock): keep the last error where a debugger can read it, then trap.
 * Bare metal has no tasks, so with per-owner accounting every block belongs
 * to owner 0, whose reports call it "main".
 *
 * Definitions, not declarations: included by exactly one port file of a
 * build. Freestanding.
 */
#ifndef CAPHEAP_PORTS_BARE_METAL_TRAP_H
#define CAPHEAP_PORTS_BARE_METAL_TRAP_H

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

#if CAPHEAP_OWNERS && !defined(CAPHEAP_PORT_NONE)
uintptr_t capheap_port_owner(void) {
    return 0;
}
#endif

#if CAPHEAP_OWNERS
/* The one owner is the program itself, which runs as long as anyone asks. */
bool capheap_port_owner_describe(uintptr_t owner, char *name, size_t size) {
    static const char program[] = "main";
    size_t i = 0;
    (void)owner;
    for (; i + 1 < size && program[i]; i++)
        name[i] = program[i];
    name[i] = '\0';
    return true;
}
#endif

#endif
