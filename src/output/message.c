/*
 * message.c - capheap_print_str(), capheap_print_hex() and
 * capheap_print_uint(): the messages on paths every program links
 * (start-up failures, error reports, failed allocations, heap_caps_init()'s
 * boot log) are written with these, so that a program which never calls a
 * print or dump function links no formatter (include/capheap/output.h).
 */
#include <limits.h>
#include <stddef.h>
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

void capheap_print_uint(unsigned long value, unsigned base, unsigned digits) {
    /* At most one digit per bit (base 2), filled from the end. */
    char buf[CHAR_BIT * sizeof value];
    char *p = buf + sizeof buf;
    if (base < 2 || base > 16)
        return;
    if (digits > sizeof buf)
        digits = sizeof buf;
    do {
        *--p = "0123456789ABCDEF"[value % base];
        value /= base;
    } while (value || buf + sizeof buf - p < (ptrdiff_t)digits);
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

void capheap_print_uint(unsigned long value, unsigned base, unsigned digits) {
    (void)value;
    (void)base;
    (void)digits;
}
#endif
