/*
 * port_pthread.c - POSIX hosts: the lock is a pthread_mutex_t; errors print
 * one line on stderr and abort.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

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
    fprintf(stderr, "capheap: %s: %s at %p\n", op, capheap_err_str(err), addr);
    fflush(stderr);
    abort();
}
