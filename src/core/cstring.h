/*
 * cstring.h - the C library functions the core and the capability layer
 * use: memcpy and memset, nothing else.
 *
 * Toolchains with no C library headers (riscv64-unknown-elf is built
 * -nostdlib here) get the prototypes; the functions come from the
 * firmware's C library or the compiler's runtime.
 */
#ifndef CAPHEAP_CORE_CSTRING_H
#define CAPHEAP_CORE_CSTRING_H

#include <stddef.h>

#if defined(__has_include)
#if __has_include(<string.h>)
#define CAPHEAP_HAVE_STRING_H 1
#endif
#else
#define CAPHEAP_HAVE_STRING_H 1
#endif

#ifdef CAPHEAP_HAVE_STRING_H
#include <string.h>
#else
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memset(void *dst, int c, size_t n);
#endif

#endif
