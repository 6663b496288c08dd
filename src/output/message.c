/*
 * message.c - capheap_print_str() and capheap_print_hex(): the messages on
 * paths every program links (start-up failures, error reports, failed
 * allocations) are written with these, so that a program which never calls
 * a print or dump function links no formatter (include/capheap/output.h).
 */
#include <stdint.h>

#include "capheap/output.h"

#if CAPHEAP_OUTPUT
void capheap_print_str(const char *text) {
    size_t n = 0;
    while (text[n])
        n++;
    if (n)
        capheap_port_write(text, n);
}

void capheap_print_hex(uintmax_t value, unsigned digits) {
    /* "0x" and at most one digit per four bits, filled from the end. */
    char buf[2 + 2 * sizeof(uintmax_t)];
    char *p = buf + sizeof buf;
    if (digits > 2 * sizeof(uintmax_t))
        digits = 2 * sizeof(uintmax_t);
    do {
        *--p = "0123456789abcdef"[value & 15];
        value >>= 4;
        if (digits)
            digits--;
    } while (value || digits);
    *--p = 'x';
    *--p = '0';
    capheap_port_write(p, (size_t)(buf + sizeof buf - p));
}
#else
void capheap_print_str(const char *text) {
    (void)text;
}

void capheap_print_hex(uintmax_t value, unsigned digits) {
    (void)value;
    (void)digits;
}
#endif
