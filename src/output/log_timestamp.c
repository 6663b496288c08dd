/*
 * log_timestamp.c - the default capheap_port_log_timestamp(): 0, for a
 * platform that has no clock to give capheap's log lines. Weak, and alone
 * in its file, so that an application's own definition replaces it.
 */
#include "capheap/output.h"

#if defined(__GNUC__) || defined(__clang__)
#define REPLACEABLE __attribute__((weak))
#else
#define REPLACEABLE
#endif

REPLACEABLE uint32_t capheap_port_log_timestamp(void) {
    return 0;
}
