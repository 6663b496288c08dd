/*
 * output_internal.h - the formatter's sink, shared by capheap_snprintf()
 * (a caller's buffer, excess dropped) and capheap_printf() (a stack buffer
 * handed to capheap_port_write() whenever it fills).
 */
#ifndef CAPHEAP_OUTPUT_INTERNAL_H
#define CAPHEAP_OUTPUT_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

typedef struct {
    char *buf;
    size_t cap;   /* bytes buf takes before it is flushed (or full) */
    size_t used;  /* bytes in buf */
    size_t total; /* bytes the whole output has, written or not */
    /* NULL: what does not fit is dropped (counted in total only). */
    void (*flush)(const char *text, size_t len);
} capheap_out_t;

/* Format @p fmt into @p o; flushes only when buf is full (the caller
 * flushes the rest). */
void capheap_vformat(capheap_out_t *o, const char *fmt, va_list ap);

#endif /* CAPHEAP_OUTPUT_INTERNAL_H */
