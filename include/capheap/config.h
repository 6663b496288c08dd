/**
 * @file config.h
 * @brief Compile-time configuration of capheap, with defaults.
 *
 * Every option is a macro with an `#ifndef` default. Set them on the compiler
 * command line, or name a header in `CAPHEAP_CONFIG_HEADER` that defines them
 * (for build systems that cannot pass function-like macros).
 */
#ifndef CAPHEAP_CONFIG_H
#define CAPHEAP_CONFIG_H

#ifdef CAPHEAP_CONFIG_HEADER
#include CAPHEAP_CONFIG_HEADER
#endif

/**
 * ESP-IDF's `sdkconfig.h`: included when the include path has one, so that
 * the CONFIG_HEAP_* options an ESP-IDF application sets there (mapped
 * below, and in the compatible headers) reach capheap's build and the
 * application's view of the headers alike. Undefined (the default): found
 * with `__has_include`; a compiler without it includes none. 1: include it
 * (for such compilers; a missing file is then an error). 0: never.
 *
 * The library and every program using it must see the same sdkconfig.h,
 * or none: options that change what a structure holds (CONFIG_HEAP_USE_HOOKS
 * adds the observer to capheap_caps_t, CONFIG_HEAP_TRACING_STACK_DEPTH sizes
 * a trace record, poisoning and task tracking change the block layout)
 * would otherwise give the two different layouts of one object, and a
 * program would read and write the library's structures wrongly, with no
 * error at build or link time. Build capheap with the application's include
 * path (docs/esp-idf-headers.md).
 */
#ifndef CAPHEAP_SDKCONFIG
#if defined(__has_include)
#if __has_include(<sdkconfig.h>)
#define CAPHEAP_SDKCONFIG 1
#endif
#endif
#endif
#ifndef CAPHEAP_SDKCONFIG
#define CAPHEAP_SDKCONFIG 0
#endif
#if CAPHEAP_SDKCONFIG
#include <sdkconfig.h>
#endif

#include <stddef.h>
#include <stdint.h>

/**
 * Payload alignment in bytes: a power of two, at least 8 and at least
 * `2 * sizeof(void *)`, never below `alignof(max_align_t)`. Every pointer the
 * heap returns is a multiple of it, and block sizes are multiples of it.
 */
#ifndef CAPHEAP_ALIGNMENT
#define CAPHEAP_ALIGNMENT                                                      \
    (_Alignof(max_align_t) > 2 * sizeof(void *) ? _Alignof(max_align_t)        \
                                                : 2 * sizeof(void *))
#endif

/**
 * log2 of the number of size classes per power of two. 1 gives classes 50 %
 * wide; each step up doubles the bin array (one pointer per class). With the
 * bounded search of the request's own class (CAPHEAP_BIN_SEARCH) wider
 * classes cost little fragmentation: BENCHMARKS.md has the measurements.
 */
#ifndef CAPHEAP_SL_LOG2
#define CAPHEAP_SL_LOG2 1
#endif

/**
 * How many blocks of the request's own size class an allocation examines
 * before it takes the head of the next non-empty larger class. Bounds the
 * allocation time; larger values trade a few instructions for less
 * fragmentation.
 */
#ifndef CAPHEAP_BIN_SEARCH
#define CAPHEAP_BIN_SEARCH 4
#endif

/**
 * Bits of the block header that hold the index of the block's region. A
 * heap holds at most 2^CAPHEAP_REGION_BITS regions (and never more than 255),
 * and a region at most 2^(pointer bits - CAPHEAP_REGION_BITS) bytes: 32
 * regions of up to 128 MiB on 32-bit targets, 255 on 64-bit ones.
 */
#ifndef CAPHEAP_REGION_BITS
#if UINTPTR_MAX > 0xFFFFFFFFu
#define CAPHEAP_REGION_BITS 8
#else
#define CAPHEAP_REGION_BITS 5
#endif
#endif

/** Use compiler bit-scan builtins (1) or the portable fallback (0). */
#ifndef CAPHEAP_USE_BUILTINS
#if defined(__GNUC__) || defined(__clang__)
#define CAPHEAP_USE_BUILTINS 1
#else
#define CAPHEAP_USE_BUILTINS 0
#endif
#endif

/** Keeps a slow path out of its caller, so the fast path needs no frame. */
#ifndef CAPHEAP_NOINLINE
#if defined(__GNUC__) || defined(__clang__)
#define CAPHEAP_NOINLINE __attribute__((noinline))
#else
#define CAPHEAP_NOINLINE
#endif
#endif

/**
 * Where capheap's printed output goes (include/capheap/output.h).
 * 1 (the default): through capheap_port_write(), whose default writes to
 * stdout; an application replaces it by defining its own (the default is
 * a weak symbol on gcc and clang). 2: capheap defines no
 * capheap_port_write(): the application must. 0: nothing is printed and
 * capheap's reports do not link the formatter; the print functions exist
 * and do nothing.
 */
#ifndef CAPHEAP_OUTPUT
#define CAPHEAP_OUTPUT 1
#endif

/**
 * heap_caps_init()'s boot log: ESP-IDF's "heap_init" lines, one per heap
 * region ("I (263) heap_init: At 3FFAE6E0 len 00001920 (6 KiB): DRAM"),
 * printed without the formatter. docs/debugging.md, "The boot log", has the
 * details. 1: heap_caps_init() prints it (capheap_system_init() never
 * does); 0: no code. The default follows ESP-IDF, which prints it at its
 * default log level, Info (3), and not below: 0 when CONFIG_LOG_MAXIMUM_LEVEL
 * (what ESP-IDF compiles in) or CONFIG_LOG_DEFAULT_LEVEL (what it prints
 * at start-up) is defined and below 3, else 1 when printing is compiled in
 * (CAPHEAP_OUTPUT != 0). CONFIG_LOG_COLORS, when set, colours the lines as
 * ESP-IDF does.
 */
#ifndef CAPHEAP_BOOT_LOG
#if defined(CONFIG_LOG_MAXIMUM_LEVEL) && CONFIG_LOG_MAXIMUM_LEVEL < 3
#define CAPHEAP_BOOT_LOG 0
#elif defined(CONFIG_LOG_DEFAULT_LEVEL) && CONFIG_LOG_DEFAULT_LEVEL < 3
#define CAPHEAP_BOOT_LOG 0
#else
#define CAPHEAP_BOOT_LOG (CAPHEAP_OUTPUT != 0)
#endif
#endif

/**
 * The core's internal assertions (HEAP_ASSERT in src/core): invariants
 * stated where the code relies on them. 1: a false one reports
 * CAPHEAP_ERR_CORRUPT through the error hook, with the condition's text as
 * the operation and its line as the address, then traps; it means a capheap
 * bug, as bad input is refused before any state changes. The project's own
 * test builds set it. 0 (the default): no code.
 */
#ifndef CAPHEAP_ASSERT
#define CAPHEAP_ASSERT 0
#endif

/* ---- hardening: on by default ----------------------------------------- */

/**
 * Free-list hardening. 1 (the default): before a free block leaves a list,
 * and before a link is followed, the core checks that the block its back
 * link names points back at it, that its successor points back at it, and
 * that every block reached through a link lies inside a region of its own
 * tag with a consistent free header, footer and successor. On a mismatch
 * nothing is written: the operation fails and the error hook hears
 * CAPHEAP_ERR_CORRUPT (capheap_error_detail() names the block). This stops a
 * use-after-free write from turning an unlink into a write of its choosing.
 * 0: the links are trusted (a few instructions less per operation).
 */
#ifndef CAPHEAP_HARDEN
#define CAPHEAP_HARDEN 1
#endif

/**
 * Link mangling. 1: every free-list link is stored XORed with a per-heap
 * secret (capheap_heap_set_secret()), so that a write into freed memory
 * cannot forge a link that passes the hardening checks without knowing the
 * secret, not even a whole, self-consistent fake block. It stops blind
 * writes only: a program that can also read freed memory gives the secret
 * away (a stored NULL is the secret itself; docs/security.md). Costs one
 * XOR per link read or written and one word per heap and per tag. 0 (the
 * default): links are stored as they are.
 */
#ifndef CAPHEAP_MANGLE
#define CAPHEAP_MANGLE 0
#endif

/* ---- diagnostics: each 0 (off, no code, no bytes) unless set ---------- */

/* ESP-IDF's Kconfig names (from an sdkconfig.h, or -D) turn on the
 * matching options, unless those are set themselves. */
#if !defined(CAPHEAP_POISONING) && defined(CONFIG_HEAP_POISONING_COMPREHENSIVE)
#define CAPHEAP_POISONING 2
#elif !defined(CAPHEAP_POISONING) && defined(CONFIG_HEAP_POISONING_LIGHT)
#define CAPHEAP_POISONING 1
#endif
#if !defined(CAPHEAP_TRACE) && defined(CONFIG_HEAP_TRACING_STANDALONE)
#define CAPHEAP_TRACE 1
#endif
#if !defined(CAPHEAP_HOOKS) && (defined(CONFIG_HEAP_USE_HOOKS) ||              \
                                defined(CONFIG_HEAP_TRACING_STANDALONE))
#define CAPHEAP_HOOKS 1
#endif
#if !defined(CAPHEAP_OWNERS) && defined(CONFIG_HEAP_TASK_TRACKING)
#define CAPHEAP_OWNERS 1
#endif

/**
 * Heap poisoning. 0: structural checks and double-free detection only.
 * 1 (light): a head canary holding the requested size and a tail canary
 * after it, verified on free, realloc, size queries and by the integrity
 * check. 2 (comprehensive): light, plus 0xCE fill on allocation and 0xFE on
 * free, free memory verified on allocation and by the check, and realloc
 * that always moves.
 */
#ifndef CAPHEAP_POISONING
#define CAPHEAP_POISONING 0
#endif

/** Heap tracing with ESP-IDF's esp_heap_trace.h API (needs CAPHEAP_HOOKS). */
#ifndef CAPHEAP_TRACE
#define CAPHEAP_TRACE 0
#endif

/** Callbacks after every allocation and every free of the capability layer. */
#ifndef CAPHEAP_HOOKS
#define CAPHEAP_HOOKS 0
#endif

/** An owner word per block and per-owner usage accounting. */
#ifndef CAPHEAP_OWNERS
#define CAPHEAP_OWNERS 0
#endif

/** Tell Valgrind memcheck about every block (needs <valgrind/memcheck.h>). */
#ifndef CAPHEAP_VALGRIND
#define CAPHEAP_VALGRIND 0
#endif

/** Tell AddressSanitizer about every block (build with -fsanitize=address). */
#ifndef CAPHEAP_ASAN
#define CAPHEAP_ASAN 0
#endif

/**
 * Bytes between a block's header word and its payload for per-block debug
 * words: the owner (CAPHEAP_OWNERS) and the head canary with the requested
 * size (CAPHEAP_POISONING). A multiple of the pointer size; 0 when those
 * options are off.
 */
#ifndef CAPHEAP_BLOCK_PREFIX_BYTES
#define CAPHEAP_BLOCK_PREFIX_BYTES                                             \
    ((((CAPHEAP_POISONING) ? 2 : 0) + ((CAPHEAP_OWNERS) ? 1 : 0)) *            \
     sizeof(void *))
#endif

#endif /* CAPHEAP_CONFIG_H */
