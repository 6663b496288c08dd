/*
 * port_pthread.c - POSIX hosts: the lock is a pthread_mutex_t; errors print
 * one line through capheap_port_write() (stdout by default) and abort.
 *
 * Protects against threads, on any core. Not against signal handlers: one
 * that calls the heap while the thread it interrupted holds the lock
 * deadlocks on the mutex.
 */
#include <pthread.h>
#include <stdlib.h>

#include "capheap/output.h"
#include "capheap/port.h"

void *capheap_port_default_lock(void) {
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    return &lock;
}

void capheap_port_lock(void *lock) {
    if (pthread_mutex_lock((pthread_mutex_t *)lock) != 0)
        abort();
}

void capheap_port_unlock(void *lock) {
    pthread_mutex_unlock((pthread_mutex_t *)lock);
}

void capheap_port_report_error(capheap_err_t err, const void *addr,
                               const char *op) {
    /* A corruption found by poisoning comes with what was found where. */
    const capheap_check_report_t *d = capheap_error_detail();
    if (err == CAPHEAP_ERR_CORRUPT && d) {
        capheap_printf("CORRUPT HEAP: %s at %p, expected 0x%llx, found 0x%llx "
                       "(%s of %p)\n",
                       capheap_fault_str(d->fault), d->addr,
                       (unsigned long long)d->expected,
                       (unsigned long long)d->found, op, addr);
    } else {
        capheap_printf("capheap: %s: %s at %p\n", op, capheap_err_str(err),
                       addr);
    }
    abort();
}

#if CAPHEAP_OWNERS
/* pthread_t is an integer type on the hosts this port serves (glibc, musl). */
uintptr_t capheap_port_owner(void) {
    return (uintptr_t)pthread_self();
}
#endif
