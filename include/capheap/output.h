/**
 * @file output.h
 * @brief capheap's one output function and its own small formatter.
 *
 * Everything capheap prints goes through capheap_port_write(), so that it
 * prints the same on glibc, newlib, newlib-nano and picolibc (newlib's
 * printf lacks `%zu`), goes wherever the application sends it, or is
 * compiled out. Reports a program asks for (integrity reports, heap info,
 * dumps, trace dumps) are formatted by capheap_printf(); the messages on
 * paths every program links (the system heap's start-up failures, failed
 * allocations with CONFIG_HEAP_ABORT_WHEN_ALLOCATION_FAILS, the ports'
 * error reports, heap_caps_init()'s boot log) are written with
 * capheap_print_str(), capheap_print_hex() and capheap_print_uint(), which
 * use no formatter: a program that calls no print or dump function links
 * none (about 1.8 KB on Cortex-M4F).
 *
 * The formatter uses no C library function, no floating point and no
 * allocation; capheap_printf() formats into a 64-byte buffer on the stack
 * and hands it to capheap_port_write() whenever it fills, so a long line
 * may arrive in several pieces.
 *
 * **Supported conversions** (C99's meaning, checked by the compiler through
 * a format attribute on gcc and clang):
 * - `%d` `%i` `%u` `%x` `%X` `%o` with the length modifiers `hh` `h` `l`
 *   `ll` `j` `z` `t`;
 * - `%c`, `%s` (a NULL string prints as `(null)`, or as nothing when a
 *   precision below 6 is given, as glibc does), `%p` (`0x` and lowercase
 *   hexadecimal digits; NULL prints as `(nil)`, as glibc does), `%%`;
 * - flags `-` `0` `+` space `#`, a field width and a precision, each a
 *   number or `*` (a negative `*` width means `-`, a negative `*` precision
 *   none).
 *
 * Not supported: floating point (`%f` `%e` `%g` `%a` and `L`), `%n`, wide
 * characters (`%lc` `%ls`), positional arguments (`%1$d`). Such a
 * conversion is printed as it stands (from the `%` to the conversion
 * letter) and takes no argument, so the conversions after it in the same
 * call print the wrong arguments: do not use them.
 *
 * **Configuration** (`CAPHEAP_OUTPUT` in config.h):
 * - 1 (default): capheap defines a default capheap_port_write() that writes
 *   to stdout with `fwrite` (and flushes, so a report survives an abort
 *   that follows). On gcc and clang it is a weak symbol in a file of its
 *   own (`src/output/write_stdio.c`): an application replaces it by
 *   defining its own capheap_port_write(); linked from libcapheap.a the
 *   default and its stdio are then not linked at all.
 * - 2: capheap defines no capheap_port_write(); the application must (for
 *   toolchains without weak symbols, or firmware without stdio).
 * - 0: nothing is printed: capheap_printf() and capheap_vprintf() do
 *   nothing, capheap's own reports do not format anything, the formatter
 *   is not linked unless the application calls capheap_snprintf() itself,
 *   and capheap_port_write() is not called (an application may still
 *   define it).
 *
 * **Threads**: the formatting functions keep no state and may run
 * concurrently on any threads, and from interrupt handlers if
 * capheap_port_write() may. capheap_printf() calls capheap_port_write() once
 * per 64-byte piece without a lock, so lines printed concurrently by two
 * threads may interleave.
 */
#ifndef CAPHEAP_OUTPUT_H
#define CAPHEAP_OUTPUT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "capheap/config.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Lets gcc and clang check a format string against its arguments. */
#if defined(__GNUC__) || defined(__clang__)
#define CAPHEAP_PRINTF_LIKE(fmt, args)                                         \
    __attribute__((format(printf, fmt, args)))
#else
#define CAPHEAP_PRINTF_LIKE(fmt, args)
#endif

/**
 * THE output function: write @p len bytes of @p text (not NUL-terminated)
 * wherever the application's console is. The default (CAPHEAP_OUTPUT=1)
 * writes to stdout and flushes it; an application replaces it by defining
 * this function (see the file comment). It must not allocate from a
 * capheap heap whose lock the caller may hold: capheap prints from inside
 * reports of corruption and failed allocations. Called with @p len > 0.
 */
void capheap_port_write(const char *text, size_t len);

/**
 * Format @p fmt (the conversions of the file comment) and write the result
 * through capheap_port_write(), in pieces of at most 64 bytes. O(length of
 * the output). Never fails; with CAPHEAP_OUTPUT=0 it does nothing.
 */
void capheap_printf(const char *fmt, ...) CAPHEAP_PRINTF_LIKE(1, 2);

/** capheap_printf() with a `va_list`. */
void capheap_vprintf(const char *fmt, va_list ap) CAPHEAP_PRINTF_LIKE(1, 0);

/**
 * Write the NUL-terminated @p text through capheap_port_write() as it
 * stands (one call, none for ""), without the formatter. O(length). Never
 * fails; with CAPHEAP_OUTPUT=0 it does nothing. Threads: as capheap_printf().
 */
void capheap_print_str(const char *text);

/**
 * Write @p value in hexadecimal through capheap_port_write(), without the
 * formatter: `0x`, then the lowercase digits, with zeros in front up to
 * @p digits of them (at most 2 * sizeof(uintmax_t) are used): `0x%08x` is
 * capheap_print_hex(v, 8), `%p` of a non-NULL pointer capheap_print_hex(
 * (uintptr_t)p, 1) (NULL prints `0x0`). One call of capheap_port_write().
 * O(1). Never fails; with CAPHEAP_OUTPUT=0 it does nothing.
 */
void capheap_print_hex(uintmax_t value, unsigned digits);

/**
 * Write @p value in base @p base (2 to 16; the digits above 9 in upper
 * case, as `%X` prints them) through capheap_port_write(), without the
 * formatter and without a prefix, with zeros in front up to @p digits of
 * them (at most as many as an unsigned long has bits are used): `%lu` is
 * capheap_print_uint(v, 10, 1), `%08lX` capheap_print_uint(v, 16, 8). One
 * call of capheap_port_write(). O(digits). Never fails; a @p base outside
 * 2..16 prints nothing; with CAPHEAP_OUTPUT=0 it does nothing.
 */
void capheap_print_uint(unsigned long value, unsigned base, unsigned digits);

/**
 * Milliseconds since start-up, for the time stamp of capheap's log lines in
 * ESP-IDF's format (heap_caps_init()'s boot log, CAPHEAP_BOOT_LOG: the 263
 * of "I (263) heap_init: ..."), as ESP-IDF's esp_log_timestamp(). The
 * default returns 0; it is a weak symbol on gcc and clang, in a file of
 * its own, so an application replaces it by defining this function (on an
 * ESP32: return esp_log_timestamp(); elsewhere a tick or cycle counter).
 * Called without capheap's locks held, before the line is written. Defined
 * whatever CAPHEAP_OUTPUT is.
 */
uint32_t capheap_port_log_timestamp(void);

/**
 * C99's snprintf() with capheap's conversions: write at most @p size bytes
 * into @p buf, the last of them a NUL (nothing at all when @p size is 0;
 * @p buf may then be NULL). O(length of the output). Available whatever
 * CAPHEAP_OUTPUT is.
 * @return the length the whole output has (without the NUL), also when it
 *         was truncated; never negative.
 */
int capheap_snprintf(char *buf, size_t size, const char *fmt, ...)
    CAPHEAP_PRINTF_LIKE(3, 4);

/** capheap_snprintf() with a `va_list`. */
int capheap_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
    CAPHEAP_PRINTF_LIKE(3, 0);

#ifdef __cplusplus
}
#endif

#endif /* CAPHEAP_OUTPUT_H */
