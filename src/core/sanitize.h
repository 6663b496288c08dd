/*
 * sanitize.h - telling Valgrind memcheck and AddressSanitizer about blocks.
 *
 * With CAPHEAP_VALGRIND=1 or CAPHEAP_ASAN=1 (config.h) the core tells the
 * tool about every block it hands out or takes back, so that an overflow, a
 * use after free or (Valgrind only) a leak on a capheap heap is reported as
 * it would be on glibc's heap. With both 0 every macro below expands to
 * nothing (or to its size argument), so the default build is unchanged.
 *
 * What the tool sees:
 *   - A region, from capheap_heap_add_region() on: all of it inaccessible
 *     (headers, footers, free-list links, control blocks, end markers, the
 *     alignment padding). Metadata never becomes accessible again.
 *   - A live block: exactly the bytes asked for, [p, p + size). The slack
 *     that rounding adds after them stays inaccessible, so reading or
 *     writing one byte past the request is reported even when the block
 *     has room, and so is a write into the next block's header.
 *   - A freed block: inaccessible again. Valgrind keeps it in its list of
 *     freed blocks and says "inside a block of size N free'd"; ASan can only
 *     say "use-after-poison" (manual poisoning has one kind), for overflows
 *     as well.
 *   - The size queries (usable_size, live_size) answer the size asked for,
 *     as both tools' malloc_usable_size() do, so that layers above (the caps
 *     layer's realloc copies usable_size() bytes) never touch the slack.
 *
 * How the core's own accesses stay silent:
 *   - Valgrind: heap_lock()/heap_unlock() (block.h), which bracket every
 *     public function that reads blocks, disable error reporting for the
 *     calling thread (a counter, so nesting is fine); region_info, which
 *     reads the control block without the lock, brackets itself. Memcheck
 *     treats a load from an inaccessible byte as defined and drops the
 *     shadow of a store to one, so the core works on its metadata unseen and
 *     the metadata stays inaccessible. Two client requests per call cost a
 *     few instructions natively.
 *   - ASan: the core must not be instrumented. Compile src/core/ with
 *     -fsanitize=address (so that this header can check it) and with
 *     load/store instrumentation off: gcc --param=asan-instrument-reads=0
 *     --param=asan-instrument-writes=0, clang -mllvm -asan-instrument-reads=0
 *     -mllvm -asan-instrument-writes=0 -mllvm -asan-instrument-atomics=0. The
 *     rest of the program is instrumented as usual. ASan's interceptors
 *     still check the ranges of memcpy/memset whoever calls them, and the
 *     core copies and clears metadata with them (a control block's bins,
 *     realloc's copy of a block's usable bytes, slack included), so in the
 *     core they become plain loops below, which no interceptor sees.
 *
 * Every hook that changes what the tool sees runs under the heap's lock,
 * before another thread could be given the same bytes; SAN_ALLOCED may run
 * after the unlock, as the block is then the caller's alone.
 */
#ifndef CAPHEAP_DEBUG_SANITIZE_H
#define CAPHEAP_DEBUG_SANITIZE_H

#include <stddef.h>

#include "capheap/config.h"

#if CAPHEAP_VALGRIND && CAPHEAP_ASAN
#error                                                                         \
    "CAPHEAP_VALGRIND and CAPHEAP_ASAN exclude each other: Valgrind cannot run an ASan program"
#endif

#if CAPHEAP_ASAN
#if defined(__SANITIZE_ADDRESS__)
#define CAPHEAP_SAN_ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CAPHEAP_SAN_ASAN_BUILD 1
#endif
#endif
#ifndef CAPHEAP_SAN_ASAN_BUILD
#error                                                                         \
    "CAPHEAP_ASAN=1 needs -fsanitize=address (for src/core: with load/store instrumentation off, see src/core/sanitize.h)"
#endif
#include <sanitizer/asan_interface.h>

/* Declared before the macros below rename the core's calls. */
#include <string.h>

/* Volatile, so that the compiler cannot turn them back into library calls
 * (which the interceptors would check); ASan builds are debug builds. */
static inline void *capheap_san_memcpy(void *dst, const void *src, size_t n) {
    volatile unsigned char *d = (volatile unsigned char *)dst;
    const volatile unsigned char *s = (const volatile unsigned char *)src;
    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
    return dst;
}

static inline void *capheap_san_memset(void *dst, int c, size_t n) {
    volatile unsigned char *d = (volatile unsigned char *)dst;
    for (size_t i = 0; i < n; i++)
        d[i] = (unsigned char)c;
    return dst;
}

#define memcpy(dst, src, n) capheap_san_memcpy(dst, src, n)
#define memset(dst, c, n)   capheap_san_memset(dst, c, n)
#endif

#if CAPHEAP_VALGRIND
#include <valgrind/memcheck.h>
#endif

#if CAPHEAP_VALGRIND || CAPHEAP_ASAN

/* Whether the byte at @p c is inaccessible to the program. Valgrind's check
 * would report the byte it finds, so callers hold reporting off. */
static inline int capheap_san_hidden(const char *c) {
#if CAPHEAP_VALGRIND
    return VALGRIND_CHECK_MEM_IS_ADDRESSABLE(c, 1) != 0;
#else
    return __asan_address_is_poisoned(c);
#endif
}

/*
 * How many bytes of the live block @p p (@p n usable) the program was given:
 * the size it asked for, read back from the tool's shadow instead of being
 * stored in every block. From the end, since the slack is at most a few
 * alignment units whatever the block's size; natively (a Valgrind build run
 * without Valgrind) every byte reads as accessible, so the answer is n.
 */
static inline size_t capheap_san_kept(const void *p, size_t n) {
    const char *c = (const char *)p;
#if CAPHEAP_VALGRIND
    VALGRIND_DISABLE_ERROR_REPORTING;
#endif
    while (n > 0 && capheap_san_hidden(c + n - 1))
        n--;
#if CAPHEAP_VALGRIND
    VALGRIND_ENABLE_ERROR_REPORTING;
#endif
    return n;
}

/* The block @p p was handed out for @p size bytes (p may be NULL). */
static inline void capheap_san_alloced(void *p, size_t size) {
    if (!p)
        return;
#if CAPHEAP_VALGRIND
    /* No red zones: the header and the slack around are inaccessible
     * already. Not zeroed: memcheck tracks reads of unwritten bytes. */
    VALGRIND_MALLOCLIKE_BLOCK(p, size, 0, 0);
#else
    ASAN_UNPOISON_MEMORY_REGION(p, size);
#endif
}

/* The live block @p p (@p n usable bytes) is about to be freed. */
static inline void capheap_san_freed(void *p, size_t n) {
#if CAPHEAP_VALGRIND
    (void)n;
    VALGRIND_FREELIKE_BLOCK(p, 0);
#else
    ASAN_POISON_MEMORY_REGION(p, n);
#endif
}

/* realloc moves: @p n usable bytes of @p src are about to be copied to the
 * new block @p dst, which the caller asked @p size bytes of. Before the
 * copy, so that memcheck copies the definedness of the bytes along. */
static inline void capheap_san_realloc_copy(void *dst, size_t size,
                                            const void *src, size_t n) {
    (void)src;
    (void)n;
    capheap_san_alloced(dst, size);
}

/*
 * End of a realloc of @p old (@p n usable bytes before it) to @p size bytes,
 * whose result is @p res: nothing when it failed, a resize in place, or the
 * rest of a move (the old block freed).
 */
static inline void capheap_san_realloced(void *old, void *res, size_t n,
                                         size_t size) {
    if (!res)
        return;
#if CAPHEAP_VALGRIND
    /* The size memcheck has for the block, which RESIZEINPLACE must name. */
    size_t had = capheap_san_kept(old, n);
    if (res == old) {
        /* Shrinking makes [size, had) inaccessible; growing makes
         * [had, size) accessible and undefined, the data kept defined. */
        VALGRIND_RESIZEINPLACE_BLOCK(old, had, size, 0);
        return;
    }
    /* The copy took the old slack as defined bytes (memcheck reads an
     * inaccessible byte as defined): they were never written, say so. */
    size_t m = size < n ? size : n;
    if (had < m)
        VALGRIND_MAKE_MEM_UNDEFINED((char *)res + had, m - had);
    VALGRIND_FREELIKE_BLOCK(old, 0);
#else
    if (res == old) {
        ASAN_UNPOISON_MEMORY_REGION(old, size);
        if (size < n)
            ASAN_POISON_MEMORY_REGION((char *)old + size, n - size);
        return;
    }
    ASAN_POISON_MEMORY_REGION(old, n);
#endif
}

/* [start, start + size) became a region: nothing in it is the program's. */
static inline void capheap_san_region(void *start, size_t size) {
#if CAPHEAP_VALGRIND
    VALGRIND_MAKE_MEM_NOACCESS(start, size);
#else
    ASAN_POISON_MEMORY_REGION(start, size);
#endif
}

#if CAPHEAP_VALGRIND
#define SAN_CORE_ENTER() VALGRIND_DISABLE_ERROR_REPORTING
#define SAN_CORE_LEAVE() VALGRIND_ENABLE_ERROR_REPORTING
#else
#define SAN_CORE_ENTER() ((void)0)
#define SAN_CORE_LEAVE() ((void)0)
#endif
#define SAN_ALLOCED(p, size)    capheap_san_alloced(p, size)
#define SAN_FREED(p, n)         capheap_san_freed(p, n)
#define SAN_USABLE(p, n)        capheap_san_kept(p, n)
#define SAN_REGION(start, size) capheap_san_region(start, size)
#define SAN_REALLOC_COPY(dst, size, src, n)                                    \
    capheap_san_realloc_copy(dst, size, src, n)
#define SAN_REALLOCED(old, res, n, size)                                       \
    capheap_san_realloced(old, res, n, size)

#else /* neither tool: no code, arguments not evaluated */

#define SAN_CORE_ENTER()                    ((void)0)
#define SAN_CORE_LEAVE()                    ((void)0)
#define SAN_ALLOCED(p, size)                ((void)0)
#define SAN_FREED(p, n)                     ((void)0)
#define SAN_USABLE(p, n)                    (n)
#define SAN_REGION(start, size)             ((void)0)
#define SAN_REALLOC_COPY(dst, size, src, n) ((void)0)
#define SAN_REALLOCED(old, res, n, size)    ((void)0)

#endif

#endif /* CAPHEAP_DEBUG_SANITIZE_H */
