/*
 * write_stdio.c - the default capheap_port_write() (CAPHEAP_OUTPUT=1):
 * stdout. Weak, and alone in its file, so that an application's own
 * definition replaces it and, linked from libcapheap.a, keeps stdio out.
 */
#include "capheap/output.h"

#if CAPHEAP_OUTPUT == 1
#include <stdio.h>

#if defined(__GNUC__) || defined(__clang__)
__attribute__((weak))
#endif
void capheap_port_write(const char *text, size_t len) {
    fwrite(text, 1, len, stdout);
    /* Reports often precede an abort, which would lose buffered text. */
    fflush(stdout);
}
#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int capheap_write_stdio_unused;
#endif
