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
#include "../bare_metal_trap.h"
#include "capheap/port.h"

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
