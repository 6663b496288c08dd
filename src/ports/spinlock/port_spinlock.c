/*
 * port_spinlock.c - bare-metal multicore: the lock is a capheap_spinlock_t
 * (an atomic exchange, busy-waits); errors trap.
 *
 * Protects against other cores and threads, not against interrupts: the
 * holder must not be interrupted by code that allocates on the same core
 * (no heap calls from ISRs, or an ISR heap of its own): a spinlock cannot
 * tell re-entry from contention. Freestanding. port_spinlock.h refuses
 * targets without lock-free atomics.
 */
#include "capheap/port_spinlock.h"
#include "capheap/port.h"

/** The last error the default report saw (for a debugger). */
volatile struct {
    capheap_err_t err;
    const void *addr;
    const char *op;
} capheap_port_last_error;

void *capheap_port_default_lock(void) {
    static capheap_spinlock_t lock = CAPHEAP_SPINLOCK_INIT;
    return &lock;
}

void capheap_port_lock(void *lock) {
    capheap_spinlock_t *l = lock;
    /* Spin on a plain load, exchanging only when it looks free: waiting
     * cores then read a shared cache line instead of writing it. */
    while (atomic_exchange_explicit(&l->held, 1u, memory_order_acquire))
        while (atomic_load_explicit(&l->held, memory_order_relaxed))
            ; /* the holder finishes a bounded operation */
}

void capheap_port_unlock(void *lock) {
    capheap_spinlock_t *l = lock;
    atomic_store_explicit(&l->held, 0u, memory_order_release);
}

void capheap_port_report_error(capheap_err_t err, const void *addr,
                               const char *op) {
    capheap_port_last_error.err = err;
    capheap_port_last_error.addr = addr;
    capheap_port_last_error.op = op;
    __builtin_trap();
}

#if CAPHEAP_OWNERS
/* Bare metal has no tasks: every block belongs to owner 0. */
uintptr_t capheap_port_owner(void) {
    return 0;
}
#endif
