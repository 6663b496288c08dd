/*
 * error.c - the error hook, and the report an entry makes through it.
 */
#include "capheap/port.h"
#include "heap_internal.h"

static capheap_error_hook_t error_hook;
static void *error_hook_user;

void capheap_set_error_hook(capheap_error_hook_t hook, void *user) {
    error_hook = hook;
    error_hook_user = user;
}

void capheap_report_error(capheap_err_t err, const void *addr, const char *op) {
    if (error_hook)
        error_hook(err, addr, op, error_hook_user);
    else
        capheap_port_report_error(err, addr, op);
}

/* Per thread where the platform has threads the compiler knows of; a
 * bare-metal build keeps one record (heap.h says so). */
#if defined(__linux__) || defined(__APPLE__)
#define REPORT_STORAGE static _Thread_local
#else
#define REPORT_STORAGE static
#endif
REPORT_STORAGE capheap_check_report_t last_corruption;

void capheap_report_corruption(const capheap_check_report_t *rep,
                               const void *ptr, const char *op) {
    last_corruption = *rep;
    capheap_report_error(CAPHEAP_ERR_CORRUPT, ptr, op);
}

void capheap_core_report(capheap_err_t err, const capheap_check_report_t *bad,
                         const void *ptr, const char *op) {
    if (bad->error) {
        /* A broken link is named by the free block that holds it. */
        capheap_report_corruption(
            bad, bad->fault == CAPHEAP_FAULT_LINK ? bad->addr : ptr, op);
        return;
    }
    if (err != CAPHEAP_OK)
        capheap_report_error(err, ptr, op);
}

const capheap_check_report_t *capheap_error_detail(void) {
    return last_corruption.error ? &last_corruption : NULL;
}

#if CAPHEAP_ASSERT
void capheap_assert_failed(const char *what, unsigned line) {
    capheap_report_error(CAPHEAP_ERR_CORRUPT, (const void *)(uintptr_t)line,
                         what);
#if defined(__GNUC__) || defined(__clang__)
    __builtin_trap();
#else
    for (;;) {
    }
#endif
}
#endif
