/**
 * @file system.h
 * @brief The system heap: the one global capability heap that malloc() and
 * ESP-IDF's heap_caps_* API share, its start-up and its malloc() policy.
 *
 * The C allocation functions (capheap/malloc.h) and the ESP-IDF layer
 * (esp_heap_caps.h, esp_heap_caps_init.h) are adapters over this module.
 *
 * Start-up. On a target (CAPHEAP_SYSTEM_SIM 0) nothing happens by itself:
 * the application names its chip, with capheap_system_set_chip() (or
 * ESP-IDF's capheap_esp_set_chip()) or at build time with
 * `-DCAPHEAP_SYSTEM_CHIP=<name of a capheap_chip_t object>`, and calls
 * capheap_system_init() (or heap_caps_init()) before the first allocation,
 * which for most C libraries is before main(): from the reset handler
 * before `__libc_init_array`, or from `__attribute__((constructor(101)))`.
 * Until then every allocation returns NULL and goes to the failure callback
 * without touching memory, free(NULL) does nothing and the free of any
 * other pointer is reported as CAPHEAP_ERR_FOREIGN_POINTER to the error
 * hook. On a Linux host (CAPHEAP_SYSTEM_SIM 1) the chip's memory is
 * simulated at the chip's own addresses (capheap/sim.h) and the first call
 * that needs the heap builds it when no one has: the chip named by
 * `CAPHEAP_CHIP` in the environment when it is set, else the named chip,
 * else the simulated ESP32.
 *
 * A chip none of whose memory types offers what malloc() asks
 * (CAPHEAP_CAP_DEFAULT with CAPHEAP_CAP_INTERNAL) is reported at start-up
 * (a message and CAPHEAP_ERR_NO_MALLOC); its heap is built and serves
 * capability requests, but malloc() gets NULL until external memory is
 * enabled for it (capheap_system_set_extmem_limit()).
 *
 * Threads, cores and interrupts: set-up (set_chip, reserve, init) comes
 * first, on one thread, before other threads allocate; the failure callback
 * and the external-memory limit may change at any time (atomics, read once
 * per call). After set-up every allocation function here may run
 * concurrently with every other, and with the ESP-IDF and C allocation
 * functions, on any thread or core: the heap has the port's default lock,
 * and a lazy start-up on a host runs once however many first calls race
 * (under that lock). None may be called from an interrupt handler, except
 * with the irq port, whose lock masks interrupts (port_irq.h).
 */
#ifndef CAPHEAP_SYSTEM_H
#define CAPHEAP_SYSTEM_H

#include <stddef.h>
#include <stdint.h>

#include "capheap/caps.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Whether the system heap simulates its chip on this host and builds
 * itself on first use: 1 on Linux, 0 elsewhere (a target). A build with 0
 * on Linux behaves as on a target (the tests use one).
 */
#ifndef CAPHEAP_SYSTEM_SIM
#if defined(__linux__)
#define CAPHEAP_SYSTEM_SIM 1
#else
#define CAPHEAP_SYSTEM_SIM 0
#endif
#endif

/**
 * Whether CAPHEAP_SYSTEM_RESERVE() (ESP-IDF's SOC_RESERVE_MEMORY_REGION)
 * works: 1 with GCC or clang making ELF objects (Linux, arm-none-eabi,
 * riscv*-elf), whose linkers give a section named like a C identifier the
 * symbols __start_<name> and __stop_<name>; 0 elsewhere (there
 * capheap_system_reserve() does the same at run time).
 */
#if defined(__ELF__) && (defined(__GNUC__) || defined(__clang__))
#define CAPHEAP_SYSTEM_LINKED_RESERVE 1
#else
#define CAPHEAP_SYSTEM_LINKED_RESERVE 0
#endif

/** What malloc() asks for while external memory is not enabled for it
 * (ESP-IDF's policy); the first try for small requests after. */
#define CAPHEAP_SYSTEM_MALLOC_CAPS (CAPHEAP_CAP_DEFAULT | CAPHEAP_CAP_INTERNAL)

/** Called when an allocation fails: requested size, caps, function name
 * (the type of ESP-IDF's esp_alloc_failed_hook_t). */
typedef void (*capheap_system_failed_hook_t)(size_t size, uint32_t caps,
                                             const char *function_name);

/**
 * Name the chip capheap_system_init(NULL, NULL) builds: @p chip with
 * @p opts (NULL: no options). NULL @p chip forgets the name, so the
 * build-time CAPHEAP_SYSTEM_CHIP (or, on a host, the default) applies
 * again. Copies @p opts; @p chip must outlive the heap. O(1). Set-up only.
 */
void capheap_system_set_chip(const capheap_chip_t *chip,
                             const capheap_chip_options_t *opts);

/**
 * Keep [@p start, @p end) out of the heaps built after this call, in
 * addition to the chip's own reservations and the program's records
 * (CAPHEAP_SYSTEM_RESERVE(), which does the same without a call). @p name
 * says why (kept, not copied). O(1), but the first call copies the
 * records. Set-up only.
 * @return CAPHEAP_OK; CAPHEAP_ERR_INVALID_ARG when @p end < @p start;
 *         CAPHEAP_ERR_NO_SLOT when CAPHEAP_CAPS_MAX_RESERVED are kept
 *         (records included).
 */
capheap_err_t capheap_system_reserve(uintptr_t start, uintptr_t end,
                                     const char *name);

/**
 * Keep [@p START, @p END) out of the system heap, from the first build on,
 * by a record in the program (ESP-IDF's SOC_RESERVE_MEMORY_REGION): for
 * memory a driver or the hardware owns at fixed addresses, or bounds the
 * linker defines (`(uintptr_t)&_my_buffer_start`). Write it at file scope
 * with a semicolon after it; @p NAME is a C identifier unique in the file,
 * kept as the reservation's name (capheap_system_reservations()).
 *
 * The record goes to the linker section `capheap_reserved_memory` (used and
 * retained, so --gc-sections keeps it); every build of the system heap
 * (capheap_system_init(), heap_caps_init(), a lazy start-up on a host) reads
 * them all between the linker's __start_ and __stop_ symbols and applies
 * them, after the chip's own reservations and before any region becomes a
 * heap, like capheap_system_reserve() (which a program may call as well:
 * its reservations follow the records). Nothing runs before that, so the
 * records also work on a target whose start-up code builds the heap before
 * constructors run. Costs nothing without records: the section is then
 * empty and the build reads an empty list. No linker script is needed; a
 * custom one must keep the section (or let the linker place it as an
 * orphan, which GNU ld and lld do).
 *
 * Rules, as in ESP-IDF: each range widens to whole words; END < START, or
 * two reservations (of any kind, the chip's included) that overlap once
 * widened, make every build fail (CAPHEAP_ERR_INVALID_ARG,
 * CAPHEAP_ERR_OVERLAP): the error is printed and the heap stays unusable
 * (ESP-IDF aborts at start-up instead). At most CAPHEAP_CAPS_MAX_RESERVED
 * reservations in all.
 *
 * Read-only data on a target (in flash); writable in position-independent
 * code, where the loader relocates addresses. Needs
 * CAPHEAP_SYSTEM_LINKED_RESERVE (elsewhere a use fails to compile, saying
 * so). In C++ compiled by clang, START and END must be integer constants:
 * clang++ would compute an address cast to an integer at run time, maybe
 * after the heap was built, so it is refused at compile time (g++ computes
 * it at link time, as C compilers do).
 */
#if CAPHEAP_SYSTEM_LINKED_RESERVE
#if defined(__PIC__) || defined(__PIE__)
#define CAPHEAP_RESERVED_RECORD_CONST_ /* relocated by the loader */
#else
#define CAPHEAP_RESERVED_RECORD_CONST_ const
#endif
/* A record, and one byte in a second section that counts the records (the
 * system heap reads the count as the distance between that section's
 * bounds: no division). "retain" is ignored, with a warning the pragmas
 * silence, where the assembler cannot mark a section retained: then GNU
 * ld's rule (keep what __start_ refers to) keeps it. The user alignment
 * stops compilers padding a record (x86-64 aligns 24-byte objects to 16),
 * which would leave gaps. The last declaration takes the semicolon after
 * the macro, outside the pragmas. */
#define CAPHEAP_RESERVED_IN_(name, align)                                      \
    __attribute__((section(name), used, retain, aligned(align)))
#define CAPHEAP_RESERVED_RECORD_                                               \
    CAPHEAP_RESERVED_IN_("capheap_reserved_memory",                            \
                         __alignof__(capheap_caps_reservation_t))
#define CAPHEAP_RESERVED_ONE_ CAPHEAP_RESERVED_IN_("capheap_reserved_count", 1)
#define CAPHEAP_RESERVED_BEGIN_                                                \
    _Pragma("GCC diagnostic push")                                             \
        _Pragma("GCC diagnostic ignored \"-Wattributes\"")
#define CAPHEAP_RESERVED_END_ _Pragma("GCC diagnostic pop")
/* clang++ initialises an address cast to an integer at run time, which
 * could come after the heap is built: refused at compile time instead. */
#if defined(__cplusplus) && defined(__clang__)
#define CAPHEAP_RESERVED_CONSTANT_                                             \
    __attribute__((require_constant_initialization))
#else
#define CAPHEAP_RESERVED_CONSTANT_
#endif
#define CAPHEAP_SYSTEM_RESERVE(START, END, NAME)                               \
    CAPHEAP_RESERVED_BEGIN_                                                    \
    static CAPHEAP_RESERVED_RECORD_CONST_ capheap_caps_reservation_t           \
        capheap_reserved_##NAME CAPHEAP_RESERVED_CONSTANT_                     \
            CAPHEAP_RESERVED_RECORD_ = {(uintptr_t)(START), (uintptr_t)(END),  \
                                        #NAME};                                \
    static const char capheap_reserved_one_##NAME CAPHEAP_RESERVED_ONE_ = 1;   \
    CAPHEAP_RESERVED_END_                                                      \
    extern CAPHEAP_RESERVED_RECORD_CONST_ capheap_caps_reservation_t           \
        capheap_reserved_##NAME
#else
#define CAPHEAP_SYSTEM_RESERVE(START, END, NAME)                               \
    CAPHEAP_STATIC_ASSERT(0, "CAPHEAP_SYSTEM_RESERVE needs GCC or clang and "  \
                             "ELF objects: call capheap_system_reserve()")
#endif

/**
 * Build the system heap from scratch, for @p chip with @p opts, or for
 * NULL @p chip the named one (capheap_system_set_chip(), else
 * CAPHEAP_SYSTEM_CHIP, else on a host the simulated ESP32). On a host the
 * chip's memory is mapped first (CAPHEAP_CHIP in the environment, when
 * set, replaces the chip and its options). Every block of an earlier build
 * is lost. The heap gets the port's default lock, and with CAPHEAP_HOOKS
 * the observer of tracing and ESP-IDF's allocation hooks. Linear in the
 * chip's regions and reservations; set-up only (not while other threads
 * use the heap). Prints a message for every error.
 * @return CAPHEAP_OK;
 *         CAPHEAP_ERR_NO_MALLOC: built, but no type offers
 *         CAPHEAP_SYSTEM_MALLOC_CAPS (see the file comment);
 *         CAPHEAP_ERR_NO_CHIP: none given or named (a target);
 *         an error of capheap_caps_init() or of the simulation
 *         (capheap_sim_options_from_env(), capheap_sim_map()).
 *         After an error other than CAPHEAP_ERR_NO_MALLOC the heap is
 *         unusable, as before any start-up, and stays so (no lazy start-up
 *         either) until a capheap_system_init() succeeds.
 */
capheap_err_t capheap_system_init(const capheap_chip_t *chip,
                                  const capheap_chip_options_t *opts);

/**
 * What a start-up that reports is told once the heap is built: the chip as
 * built (on a host the simulated description, capheap_sim_chip()), its
 * options (NULL: none; on a host with addresses as simulated) and the
 * application's reservations (capheap_system_reservations()), which with
 * the chip's own make the regions of the heap (their layout is
 * capheap_caps_init()'s, so a report can list it again).
 */
typedef void (*capheap_system_report_fn)(
    const capheap_chip_t *chip, const capheap_chip_options_t *opts,
    const capheap_caps_reservation_t *reserved, size_t reserved_count);

/**
 * capheap_system_init(), then, if the heap was built (CAPHEAP_OK or
 * CAPHEAP_ERR_NO_MALLOC), @p report (NULL: none) with what it was built
 * from, on the calling thread, after the port's default lock is released
 * (so that it may print through an output function that allocates).
 * heap_caps_init() prints ESP-IDF's boot log this way (CAPHEAP_BOOT_LOG in
 * config.h). Contract, complexity and errors: as capheap_system_init(),
 * plus whatever @p report costs.
 */
capheap_err_t capheap_system_init_report(const capheap_chip_t *chip,
                                         const capheap_chip_options_t *opts,
                                         capheap_system_report_fn report);

/**
 * capheap_system_init(NULL, NULL): build the named chip (what
 * heap_caps_init() does, CAPHEAP_BOOT_LOG aside). Same contract, without
 * linking the copy of explicit options that capheap_system_init() keeps.
 */
capheap_err_t capheap_system_start(void);

/**
 * The options the system heap was last built with, as the build used them
 * (on a host as the simulation moved them; the chip is
 * capheap_system()->chip): what ESP-IDF's layout tables
 * (heap_memory_layout.h) describe. They are those of the named chip
 * (capheap_system_set_chip()) when the build took that one, so naming it
 * again changes them before the next build does. O(1).
 * @return the options; NULL when the build had none, or before any build
 *         was tried.
 */
const capheap_chip_options_t *capheap_system_options(void);

/**
 * The application's reservations: the records of CAPHEAP_SYSTEM_RESERVE()
 * (SOC_RESERVE_MEMORY_REGION), then those of capheap_system_reserve(), in
 * that order. The next build applies them all; the last one applied those
 * made before it. O(1).
 * @param list receives the first (NULL when there are none)
 * @return how many
 */
size_t capheap_system_reservations(const capheap_caps_reservation_t **list);

/**
 * The system heap, for the native API (capheap/caps.h). On a host the first
 * call builds it if no one has (a failure prints why and aborts: there is
 * no caller to return it to). O(1).
 * @return the heap, or NULL when it is not built (a target before
 *         capheap_system_init(), or after a failed one).
 */
capheap_caps_t *capheap_system(void);

/**
 * Register the one failure callback (replacing any; NULL removes it). It
 * runs once per failed request of size > 0 of the system heap's
 * allocation functions (here and in the ESP-IDF layer), after every
 * fallback failed, and for every allocation before start-up. May be called
 * while other threads allocate: they call the old callback or the new one.
 */
void capheap_system_set_failed_hook(capheap_system_failed_hook_t hook);

/**
 * Report a failed allocation of @p size bytes with @p caps by @p fn: the
 * failure callback, then, with CONFIG_HEAP_ABORT_WHEN_ALLOCATION_FAILS,
 * a message and abort(). For the adapters (the ESP-IDF layer). O(1).
 */
void capheap_system_alloc_failed(size_t size, uint32_t caps, const char *fn);

/**
 * Let malloc() use external memory: requests of at most @p limit bytes
 * still ask CAPHEAP_SYSTEM_MALLOC_CAPS first, larger ones DEFAULT|SPIRAM
 * first; either then falls back to any DEFAULT memory. SIZE_MAX (the
 * initial value) keeps malloc() internal. Kept across capheap_system_init().
 * O(1); may change while other threads allocate.
 */
void capheap_system_set_extmem_limit(size_t limit);

/**
 * @name malloc()'s policy
 * ESP-IDF's heap_caps_malloc_default() and friends: the caps of
 * capheap_system_set_extmem_limit()'s policy, the failure callback for a
 * failed request of size > 0 (errno is the C layer's business, not set
 * here). Each _by variant names @p caller to tracing and the hooks instead
 * of its own caller (CAPHEAP_CALLER); without CAPHEAP_HOOKS it is ignored.
 * O(1) apart from the copy of a moving realloc. Before start-up (a target):
 * NULL and the callback, nothing touched.
 * @{ */
/** NULL for size 0 (without the callback) or failure. */
void *capheap_system_malloc(size_t size);
void *capheap_system_malloc_by(size_t size, const void *caller);
/** NULL @p ptr allocates; size 0 frees and returns NULL; on failure NULL
 * and the old block is kept. */
void *capheap_system_realloc(void *ptr, size_t size);
void *capheap_system_realloc_by(void *ptr, size_t size, const void *caller);
/** NULL without the callback for an alignment that is not a power of two
 * or for size 0. */
void *capheap_system_aligned_alloc(size_t alignment, size_t size);
void *capheap_system_aligned_alloc_by(size_t alignment, size_t size,
                                      const void *caller);
/** Any block of the system heap, by either address; NULL is ignored; a bad
 * pointer goes to the error hook and changes nothing. */
void capheap_system_free(void *ptr);
void capheap_system_free_by(void *ptr, const void *caller);
/** @} */

#ifdef __cplusplus
}
#endif

#endif
