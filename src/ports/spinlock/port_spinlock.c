/*
 * port_spinlock.c - bare-metal multicore: the lock is a capheap_spinlock_t
 * (C11 atomics, busy-waits); errors trap.
 *
 * Freestanding. The holder must not be interrupted by code that allocates
 * on the same core (mask interrupts around heap calls from ISRs, or give
 * ISRs a heap of their own): a spinlock cannot tell re-entry from contention.
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
    while (atomic_flag_test_and_set_explicit(&l->flag, memory_order_acquire))
        ; /* spin: the holder finishes a bounded operation */
}

void capheap_port_unlock(void *lock) {
    capheap_spinlock_t *l = lock;
    atomic_flag_clear_explicit(&l->flag, memory_order_release);
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
