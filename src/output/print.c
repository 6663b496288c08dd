/*
 * print.c - capheap_printf(): the formatter over a small stack buffer,
 * handed to capheap_port_write() whenever it fills. Kept apart from
 * format.c so that CAPHEAP_OUTPUT=0 links no formatter for capheap's own
 * prints.
 */
#include <stdarg.h>

#include "capheap/output.h"
#include "output_internal.h"

#if CAPHEAP_OUTPUT
/* Small: capheap prints from deep inside reports, on small stacks. */
#define PIECE 64

void capheap_vprintf(const char *fmt, va_list ap) {
    char piece[PIECE];
    capheap_out_t o = {piece, sizeof piece, 0, 0, capheap_port_write};
    capheap_vformat(&o, fmt, ap);
    if (o.used)
        capheap_port_write(piece, o.used);
}
#else
void capheap_vprintf(const char *fmt, va_list ap) {
    (void)fmt;
    (void)ap;
}
#endif

void capheap_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    capheap_vprintf(fmt, ap);
    va_end(ap);
}
