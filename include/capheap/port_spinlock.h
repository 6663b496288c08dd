/**
 * @file port_spinlock.h
 * @brief The lock of the `spinlock` port (CAPHEAP_PORT=spinlock).
 *
 * Protects against other cores and against threads on any core: the lock
 * is a word taken with an atomic exchange (ldrex/strex on ARMv7-M and
 * ARMv8-M, amoswap on RISC-V with the A extension) and waited for by
 * spinning. Not against interrupts: an interrupt handler that calls the
 * heap while the code it interrupted holds the lock spins forever, so
 * heap calls from interrupt handlers are not allowed with this port.
 *
 * Refuses to build where the compiler cannot exchange a word atomically
 * without a library call (ARMv6-M such as Cortex-M0/M0+, RV32 without A):
 * there C11 atomics quietly become plain loads and stores or calls to an
 * `__atomic_*` helper that bare metal does not have. Use CAPHEAP_PORT=irq on
 * a single core, or CAPHEAP_PORT=user with the SoC's hardware semaphore or
 * mutex on a multicore chip (RP2040's SIO spinlocks, for example).
 *
 * @code
 * static capheap_spinlock_t heap_lock = CAPHEAP_SPINLOCK_INIT;
 * capheap_heap_set_lock(heap, &heap_lock);
 * @endcode
 */
#ifndef CAPHEAP_PORT_SPINLOCK_H
#define CAPHEAP_PORT_SPINLOCK_H

#ifdef __cplusplus
/* C++ has no <stdatomic.h> before C++23; std::atomic<unsigned> is the same
 * word (tests/cxx compares the layouts), and only the port's C code
 * touches it. */
#include <atomic>
typedef struct {
    std::atomic<unsigned> held;
} capheap_spinlock_t;
/* Braced: C++11 may not copy-initialise an atomic from 0u. */
#define CAPHEAP_SPINLOCK_INIT                                                  \
    {                                                                          \
        { 0u }                                                                 \
    }
#else
#include <stdatomic.h>

/* 2 is C11's "always lock-free"; 1 (sometimes) is what gcc and clang say
 * where they have no atomic instruction and fall back as described above. */
#if ATOMIC_INT_LOCK_FREE != 2
#error                                                                         \
    "capheap: CAPHEAP_PORT=spinlock needs lock-free atomics, which this target lacks (ARMv6-M, RV32 without A); use CAPHEAP_PORT=irq on a single core, or CAPHEAP_PORT=user with the SoC's hardware semaphore/mutex on multicore"
#endif

/** A test-and-set spinlock on a C11 atomic word: 0 free, 1 held. */
typedef struct {
    atomic_uint held;
} capheap_spinlock_t;

/** Initialiser of an unlocked capheap_spinlock_t. */
#define CAPHEAP_SPINLOCK_INIT                                                  \
    { 0u }
#endif

#endif
