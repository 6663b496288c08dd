/**
 * @file port_spinlock.h
 * @brief The lock of the `spinlock` port (CAPHEAP_PORT=spinlock).
 *
 * @code
 * static capheap_spinlock_t heap_lock = CAPHEAP_SPINLOCK_INIT;
 * capheap_heap_set_lock(heap, &heap_lock);
 * @endcode
 */
#ifndef CAPHEAP_PORT_SPINLOCK_H
#define CAPHEAP_PORT_SPINLOCK_H

#ifdef __cplusplus
/* C++ has no <stdatomic.h> before C++23; std::atomic_flag is the same
 * one-byte flag (tests/cxx compares the layouts), and only the port's C
 * code touches it. */
#include <atomic>
typedef struct {
    std::atomic_flag flag;
} capheap_spinlock_t;
#else
#include <stdatomic.h>

/** A test-and-set spinlock on a C11 atomic flag. */
typedef struct {
    atomic_flag flag;
} capheap_spinlock_t;
#endif

/** Initialiser of an unlocked capheap_spinlock_t. */
#define CAPHEAP_SPINLOCK_INIT                                                  \
    { ATOMIC_FLAG_INIT }

#endif
