/**
 * @file port.h
 * @brief What capheap needs from its platform: a lock and an error report.
 *
 * The core calls only these functions; one port under src/ports/ provides
 * them, chosen at build time with CAPHEAP_PORT. What each lock protects
 * against (threads, interrupts, other cores), and whether heap functions
 * may be called from interrupt handlers:
 *   - `none`     bare metal, one thread, no heap calls from interrupt
 *                handlers: protects against nothing (CAPHEAP_PORT_NONE is
 *                defined, and the lock calls compile to nothing); errors
 *                trap, the last one kept for a debugger.
 *   - `irq`      single-core bare metal (Cortex-M, RISC-V machine mode):
 *                the lock masks interrupts (port_irq.h), nesting included,
 *                so it protects against interrupts and interrupt-driven
 *                thread switches, not other cores; heap calls from
 *                interrupt handlers are allowed. Errors trap.
 *   - `pthread`  Linux and POSIX hosts: the lock is a pthread_mutex_t,
 *                which protects against threads (on any core), not signal
 *                handlers; errors print one line through
 *                capheap_port_write() (output.h) and abort.
 *   - `spinlock` bare-metal multicore: the lock is a capheap_spinlock_t
 *                (port_spinlock.h, an atomic exchange), which protects
 *                against other cores and threads, not interrupts (no heap
 *                calls from handlers); does not build without lock-free
 *                atomics (ARMv6-M, RV32 without A). Errors trap.
 *   - `freertos` a critical section per operation (on SMP ports with a
 *                portMUX_TYPE, the lock is that spinlock): protects against
 *                tasks, and against other cores where the port's critical
 *                section takes the spinlock; heap calls from interrupt
 *                handlers are not allowed (it is not the _ISR variant).
 *                Needs the application's FreeRTOS headers
 *                (CAPHEAP_FREERTOS_INCLUDE); errors go to configASSERT.
 *   - `user`     the application defines the four functions below, and
 *                with them what is protected (with CAPHEAP_OWNERS also
 *                capheap_port_owner(), and capheap_port_owner_describe()
 *                if it uses esp_heap_task_info.h).
 * A lock is whatever the port says it is; the core only passes the pointer
 * given to capheap_heap_set_lock() back to the port.
 */
#ifndef CAPHEAP_PORT_H
#define CAPHEAP_PORT_H

#include "capheap/heap.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef CAPHEAP_PORT_NONE
/* Single thread: locking compiles away, and so does the test for a lock. */
static inline void capheap_port_lock(void *lock) {
    (void)lock;
}
static inline void capheap_port_unlock(void *lock) {
    (void)lock;
}
static inline void *capheap_port_default_lock(void) {
    return NULL;
}
#else
/**
 * A lock for the heaps the library sets up itself (the global heap of
 * heap_caps_init()), or NULL where the port has none. The same object on
 * every call.
 */
void *capheap_port_default_lock(void);

/** Take @p lock (never NULL). Must not fail. */
void capheap_port_lock(void *lock);

/** Release @p lock (never NULL). */
void capheap_port_unlock(void *lock);
#endif

#if CAPHEAP_OWNERS
/**
 * Who is allocating, for per-owner accounting (CAPHEAP_OWNERS): the
 * FreeRTOS task handle, the POSIX thread, 0 on bare metal. Cheap and
 * callable with the heap's lock held.
 */
#ifdef CAPHEAP_PORT_NONE
static inline uintptr_t capheap_port_owner(void) {
    return 0;
}
#else
uintptr_t capheap_port_owner(void);
#endif

/**
 * Name @p owner (a value capheap_port_owner() returned) for reports, and
 * say whether it still runs: ESP-IDF's task statistics
 * (esp_heap_task_info.h) call it, nothing else does. Writes a
 * NUL-terminated name of at most @p size bytes into @p name (@p size > 0):
 * the task's or thread's own name where the platform keeps one it can read
 * safely, else a placeholder the port documents. Not called with the heap's
 * lock held; may take time (a system call, a scan of the task list).
 * pthread (Linux): the owner is the kernel's thread id; the name is the
 * thread's (its /proc comm), false once the kernel has reaped the thread
 * (a thread just joined may still read as running for a moment: the
 * kernel wakes the joiner before it removes the thread). freertos:
 * "Pre-scheduler" for 0, else the task's name (pcTaskGetName), false for a
 * task the task list no longer holds (configUSE_TRACE_FACILITY). Bare
 * metal: "main", always true.
 * @return false only when the owner is known to have ended.
 */
bool capheap_port_owner_describe(uintptr_t owner, char *name, size_t size);
#endif

/**
 * Default reaction to bad input when no error hook is set: report
 * "capheap: <op>: <error> at <addr>" where the platform can, then stop.
 */
void capheap_port_report_error(capheap_err_t err, const void *addr,
                               const char *op);

#ifdef __cplusplus
}
#endif

#endif /* CAPHEAP_PORT_H */
