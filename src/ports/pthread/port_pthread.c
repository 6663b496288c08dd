/*
 * port_pthread.c - POSIX hosts: the lock is a pthread_mutex_t; errors print
 * one line through capheap_port_write() (stdout by default) and abort.
 *
 * Protects against threads, on any core. Not against signal handlers: one
 * that calls the heap while the thread it interrupted holds the lock
 * deadlocks on the mutex.
 *
 * Owners (CAPHEAP_OWNERS): on Linux the kernel's thread id, described from
 * /proc; elsewhere the pthread_t, described by a placeholder.
 */
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* syscall() */
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#if CAPHEAP_OWNERS && defined(__linux__)
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

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

#if CAPHEAP_OWNERS && defined(__linux__)
/* The kernel's thread id, not pthread_self(): whether it still runs and its
 * name can be read for any thread, live or ended (/proc), where a pthread_t
 * may only be used while its thread exists, and glibc hands the pthread_t of
 * a joined thread to the next one it creates. */
uintptr_t capheap_port_owner(void) {
    return (uintptr_t)syscall(SYS_gettid);
}

/* Whether /proc lists this process's threads (it may not be mounted). */
static bool proc_lists_threads(void) {
    int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

/* The name is the thread's comm, as pthread_getname_np() reads it (without
 * stdio, which may allocate). An id /proc does not list is a thread that
 * ended: named "thread <id>". Should the kernel give the id to a new thread
 * of this process (after the ids wrap around), it is that thread's. */
bool capheap_port_owner_describe(uintptr_t owner, char *name, size_t size) {
    char path[48];
    capheap_snprintf(path, sizeof path, "/proc/self/task/%lu/comm",
                     (unsigned long)owner);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t got = -1;
    bool ended = fd < 0 && errno == ENOENT && proc_lists_threads();
    if (fd >= 0) {
        got = read(fd, name, size - 1);
        ended = got < 0 && errno == ESRCH;
        close(fd);
    }
    if (got <= 0) {
        capheap_snprintf(name, size, "thread %lu", (unsigned long)owner);
        return !ended;
    }
    name[got] = '\0';
    if (name[got - 1] == '\n')
        name[got - 1] = '\0';
    return true;
}
#elif CAPHEAP_OWNERS
/* pthread_t is an integer type on the hosts this port serves (glibc, musl). */
uintptr_t capheap_port_owner(void) {
    return (uintptr_t)pthread_self();
}

/* Elsewhere no thread's name or fate can be read safely from its pthread_t
 * (using it after the thread ended is undefined): a placeholder, and
 * unknown, so running. */
bool capheap_port_owner_describe(uintptr_t owner, char *name, size_t size) {
    capheap_snprintf(name, size, "thread %#jx", (uintmax_t)owner);
    return true;
}
#endif
