/*
 * fuzz_util.h - shared by the libFuzzer harnesses: the input reader, block
 * patterns, the recording error hook and the failure report.
 *
 * A harness reads its input as a program: each byte picks an operation and
 * the next bytes its arguments; an exhausted input reads as zeros, so every
 * byte string is a valid program and a mutation changes one decision.
 */
#ifndef CAPHEAP_FUZZ_UTIL_H
#define CAPHEAP_FUZZ_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capheap/heap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The harness's own checking loops stay out of libFuzzer's coverage and
 * comparison tracing: instrumented, they took 3/4 of the time and steer
 * nothing (the library's code is what coverage should follow). */
#if defined(__clang__)
#define FZ_QUIET        __attribute__((no_sanitize("coverage"), noinline))
#define FZ_QUIET_INLINE __attribute__((no_sanitize("coverage")))
#else
#define FZ_QUIET
#define FZ_QUIET_INLINE
#endif

typedef struct {
    const uint8_t *p;
    size_t n, at;
} fz_in_t;

static inline unsigned fz_u8(fz_in_t *in) {
    return in->at < in->n ? in->p[in->at++] : 0u;
}
static inline unsigned fz_u16(fz_in_t *in) {
    unsigned lo = fz_u8(in);
    return lo | fz_u8(in) << 8;
}
static inline uint32_t fz_u32(fz_in_t *in) {
    uint32_t lo = fz_u16(in);
    return lo | (uint32_t)fz_u16(in) << 16;
}
static inline int fz_more(const fz_in_t *in) {
    return in->at < in->n;
}

/* A failed check: say what, then abort so libFuzzer keeps the input. */
static inline void fz_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "%s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}
#define FZ_FAIL(...) fz_fail(__FILE__, __LINE__, __VA_ARGS__)
#define FZ_CHECK(cond)                                                         \
    do {                                                                       \
        if (!(cond))                                                           \
            FZ_FAIL("check failed: %s", #cond);                                \
    } while (0)
#define FZ_EQ(a, b)                                                            \
    do {                                                                       \
        uintmax_t a_ = (uintmax_t)(a), b_ = (uintmax_t)(b);                    \
        if (a_ != b_)                                                          \
            FZ_FAIL("%s == %s: %ju != %ju", #a, #b, a_, b_);                   \
    } while (0)

/* Block contents: a per-block pattern in which the top byte of every
 * (little-endian) word counted from the block's start is 0xFF. Core blocks
 * start word-aligned, so that byte makes a header's region index larger
 * than any heap's region count: user data never forms a consistent header,
 * the one case heap.h documents as undetectable, and every interior pointer
 * the harnesses make must be refused. The pattern does not depend on the
 * address, so a block moved by realloc (or seen through another bus)
 * compares equal. */
FZ_QUIET_INLINE static inline uint8_t fz_pattern(size_t i, uint32_t seed) {
    if (i % sizeof(uintptr_t) == sizeof(uintptr_t) - 1)
        return 0xFF;
    uint32_t x = (uint32_t)i * 2654435761u ^ seed;
    return (uint8_t)(x ^ (x >> 13));
}
FZ_QUIET static void fz_fill(void *p, size_t n, uint32_t seed) {
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = fz_pattern(i, seed);
}
/* Index of the first byte that differs from the pattern, or n. */
FZ_QUIET static size_t fz_verify(const void *p, size_t n, uint32_t seed) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i] != fz_pattern(i, seed))
            return i;
    }
    return n;
}

/* FUZZ_TRACE=1 in the environment: each operation on stderr, to turn a
 * finding into a regression test. */
static int fz_tracing = -1;
#define FZ_TRACE(...)                                                          \
    do {                                                                       \
        if (fz_tracing < 0)                                                    \
            fz_tracing = getenv("FUZZ_TRACE") != NULL;                         \
        if (fz_tracing)                                                        \
            fprintf(stderr, __VA_ARGS__);                                      \
    } while (0)

/* The error hook's record. */
typedef struct {
    unsigned count;
    capheap_err_t last;
    const void *addr;
    const char *op;
} fz_errors_t;

static fz_errors_t fz_errors;

static void fz_record(capheap_err_t err, const void *addr, const char *op,
                      void *user) {
    (void)user;
    fz_errors.count++;
    fz_errors.last = err;
    fz_errors.addr = addr;
    fz_errors.op = op;
}

static inline void fz_errors_install(void) {
    memset(&fz_errors, 0, sizeof fz_errors);
    capheap_set_error_hook(fz_record, NULL);
}

/* Exactly one report since @p before, with @p op and @p addr; its code one
 * of @p a, @p b. */
#define FZ_ONE_ERROR(before, op_, addr_, a, b)                                 \
    do {                                                                       \
        if (fz_errors.count != (before) + 1)                                   \
            FZ_FAIL("%s(%p): %u reports, expected 1", (op_), (addr_),          \
                    fz_errors.count - (before));                               \
        if (strcmp(fz_errors.op, (op_)) != 0 ||                                \
            fz_errors.addr != (const void *)(addr_))                           \
            FZ_FAIL("%s(%p): report names %s(%p)", (op_), (addr_),             \
                    fz_errors.op, fz_errors.addr);                             \
        if (fz_errors.last != (a) && fz_errors.last != (b))                    \
            FZ_FAIL("%s(%p): reported '%s', expected '%s' or '%s'", (op_),     \
                    (addr_), capheap_err_str(fz_errors.last),                  \
                    capheap_err_str(a), capheap_err_str(b));                   \
    } while (0)

#endif
