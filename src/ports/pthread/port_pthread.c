/*
 * port_pthread.c - POSIX hosts: the lock is a pthread_mutex_t; errors print
 * one line through capheap_port_write() (stdout by default) and abort.
 *
 * Protects against threads, on any core. Not against signal handlers: one
 * that calls the heap while the thread it interrupted holds the lock
 * deadlocks on the mutex.
 */
#include <pthread.h>
#include <stdint.h>
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

/* A pointer as glibc's %p prints it. */
static void print_ptr(const void *p) {
    if (p)
        capheap_print_hex((uintptr_t)p, 1);
    else
        capheap_print_str("(nil)");
}

/* Written piece by piece, without the formatter: a program that prints
 * nothing else links none (capheap/output.h). */
void capheap_port_report_error(capheap_err_t err, const void *addr,
                               const char *op) {
    /* A corruption found by poisoning comes with what was found where:
     * "CORRUPT HEAP: <fault> at <where>, expected 0x.., found 0x..
     * (<op> of <addr>)", else "capheap: <op>: <error> at <addr>". */
    const capheap_check_report_t *d =
        err == CAPHEAP_ERR_CORRUPT ? capheap_error_detail() : NULL;
    if (d) {
        capheap_print_str("CORRUPT HEAP: ");
        capheap_print_str(capheap_fault_str(d->fault));
        capheap_print_str(" at ");
        print_ptr(d->addr);
        capheap_print_str(", expected ");
        capheap_print_hex(d->expected, 1);
        capheap_print_str(", found ");
        capheap_print_hex(d->found, 1);
        capheap_print_str(" (");
        capheap_print_str(op);
        capheap_print_str(" of ");
    } else {
        capheap_print_str("capheap: ");
        capheap_print_str(op);
        capheap_print_str(": ");
        capheap_print_str(capheap_err_str(err));
        capheap_print_str(" at ");
    }
    print_ptr(addr);
    capheap_print_str(d ? ")\n" : "\n");
    abort();
}

#if CAPHEAP_OWNERS
/* pthread_t is an integer type on the hosts this port serves (glibc, musl). */
uintptr_t capheap_port_owner(void) {
    return (uintptr_t)pthread_self();
}
#endif
