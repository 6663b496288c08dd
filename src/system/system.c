/*
 * system.c - the system heap (capheap/system.h): the global capability
 * heap, its start-up (explicit on a target; on a Linux host the simulated
 * chip, built lazily when no one did), and malloc()'s policy.
 */
#include "capheap/system.h"

#include <stdatomic.h>

#include "capheap/output.h"
#include "capheap/port.h"
#include "system/system_private.h"

#if CAPHEAP_SYSTEM_SIM
#include <stdlib.h>

#include "capheap/sim.h"
#endif

#ifdef CONFIG_HEAP_ABORT_WHEN_ALLOCATION_FAILS
#include <stdlib.h>
#endif

/* The chip named when the library was built, if any. */
#ifdef CAPHEAP_SYSTEM_CHIP
extern const capheap_chip_t CAPHEAP_SYSTEM_CHIP;
#define BUILD_CHIP (&CAPHEAP_SYSTEM_CHIP)
#else
#define BUILD_CHIP NULL
#endif

enum { UNBUILT, READY, FAILED };

static capheap_caps_t global;
/* READY is stored (release) once the heap is built; capheap_system() loads
 * it with acquire, so a thread that sees it sees the whole heap. Building
 * happens under the port's default lock, the state re-checked there: of
 * threads racing to a lazy start-up exactly one builds. Plain loads and
 * stores: no read-modify-write, which the ESP32-C3 and Cortex-M0+ lack. */
static atomic_int state;
/* What capheap_system_set_chip() and capheap_system_reserve() keep lives in
 * those functions: a program that calls neither (a build-time chip, no
 * extra reservations) links the pointers below, not their storage. */
typedef struct {
    const capheap_chip_t *chip;
    capheap_chip_options_t opts;
} named_t;
/* The linker gives every section named like a C identifier the symbols
 * __start_<name> and __stop_<name> (weak: NULL when no object has one). */
#if CAPHEAP_SYSTEM_LINKED_RESERVE
#define LINKED(name) __attribute__((weak)) __start_##name[], __stop_##name[]
extern const capheap_caps_reservation_t LINKED(capheap_reserved_memory);
extern const char LINKED(capheap_reserved_count);
#define LINKED_RECORDS __start_capheap_reserved_memory
#define LINKED_COUNT                                                           \
    __start_capheap_reserved_count, __stop_capheap_reserved_count
#else
#define LINKED_RECORDS NULL
#define LINKED_COUNT   NULL, NULL
#endif
/* What a build reads, in one structure: the code loads one address.
 * - named: capheap_system_set_chip()'s chip and options (NULL: none).
 * - reserved: the application's reservations, count_to - count_from of
 *   them. First the records CAPHEAP_SYSTEM_RESERVE() places in a linker
 *   section, where they lie, with one byte each in a second section that
 *   counts them: the linker fills in both, so a build reads them without
 *   code of its own, not even a division by the record's size (none at all
 *   in a program without records: NULL, NULL, NULL). From the first
 *   capheap_system_reserve() on, its slots, which begin with a copy of the
 *   records (the count then spans bytes of the slots).
 * - built: the options of the last build (NULL: none), for the layout
 *   tables (capheap_system_options()): static storage, the named chip's, or
 *   what capheap_system_init() or the simulation copied. */
static struct {
    const named_t *named;
    const capheap_caps_reservation_t *reserved;
    const char *count_from, *count_to;
    const capheap_chip_options_t *built;
} setup = {NULL, LINKED_RECORDS, LINKED_COUNT, NULL};
/* Changed while other threads may fail an allocation or call malloc():
 * atomics, each read once per call. */
static _Atomic capheap_system_failed_hook_t failed_hook;
static _Atomic size_t extmem_limit = SIZE_MAX;

void capheap_system_set_chip(const capheap_chip_t *chip,
                             const capheap_chip_options_t *opts) {
    static named_t name;
    name.chip = chip;
    name.opts = opts ? *opts : (capheap_chip_options_t){0, 0, 0, 0, 0};
    setup.named = chip ? &name : NULL;
}

capheap_err_t capheap_system_reserve(uintptr_t start, uintptr_t end,
                                     const char *name) {
    static capheap_caps_reservation_t slots[CAPHEAP_CAPS_MAX_RESERVED];
    size_t n = (size_t)(setup.count_to - setup.count_from);
    if (end < start)
        return CAPHEAP_ERR_INVALID_ARG;
    if (n >= CAPHEAP_CAPS_MAX_RESERVED)
        return CAPHEAP_ERR_NO_SLOT;
    if (setup.reserved != slots) { /* the first: the records go first */
        for (size_t i = 0; i < n; i++)
            slots[i] = setup.reserved[i];
        setup.reserved = slots;
        setup.count_from = (const char *)slots;
    }
    slots[n] = (capheap_caps_reservation_t){start, end, name};
    setup.count_to = setup.count_from + n + 1;
    return CAPHEAP_OK;
}

const capheap_chip_options_t *capheap_system_options(void) {
    return setup.built;
}

size_t capheap_system_reservations(const capheap_caps_reservation_t **list) {
    *list = setup.reserved;
    return (size_t)(setup.count_to - setup.count_from);
}

static void default_lock(bool take) {
    void *l = capheap_port_default_lock();
    if (l && take)
        capheap_port_lock(l);
    else if (l)
        capheap_port_unlock(l);
}

static const char *name_of(const capheap_chip_t *chip) {
    return chip->name ? chip->name : "(unnamed)";
}

/* "capheap: system heap: " and the pieces that are not NULL, then a line
 * end: the start-up's messages, without the formatter (capheap/output.h),
 * which a program that prints nothing else does not link. */
CAPHEAP_NOINLINE static void say(const char *a, const char *b, const char *c,
                                 const char *d) {
    capheap_print_str("capheap: system heap: ");
    capheap_print_str(a);
    if (b)
        capheap_print_str(b);
    if (c)
        capheap_print_str(c);
    if (d)
        capheap_print_str(d);
    capheap_print_str("\n");
}

#if CAPHEAP_SYSTEM_SIM
/* The chip the simulation maps: the environment's when CAPHEAP_CHIP is set
 * (or when nothing is named), else the named chip with its options, moved
 * where the host cannot map it. */
static capheap_err_t simulated(const capheap_chip_t **chip,
                               capheap_chip_options_t *opts) {
    capheap_err_t err;
    const char *env = getenv("CAPHEAP_CHIP");
    if ((env && *env) || !*chip) {
        err = capheap_sim_options_from_env(chip, opts);
        if (err) {
            say("CAPHEAP_CHIP or an option in the environment: ",
                capheap_err_str(err), NULL, NULL);
            return err;
        }
    } else {
        const capheap_chip_t *c = *chip;
        /* The ends of ranges: their last byte moves with them. */
        if (opts->app_dram_start)
            opts->app_dram_start = capheap_sim_addr(c, opts->app_dram_start);
        if (opts->app_dram_end)
            opts->app_dram_end =
                capheap_sim_addr(c, opts->app_dram_end - 1) + 1;
        if (opts->app_iram_end)
            opts->app_iram_end =
                capheap_sim_addr(c, opts->app_iram_end - 1) + 1;
    }
    const capheap_chip_t *mapped = capheap_sim_chip(*chip);
    if (!mapped)
        return CAPHEAP_ERR_INVALID_ARG; /* capheap_sim_chip() said why */
    err = capheap_sim_map(mapped, opts);
    if (err) {
        say("cannot map the simulated chip's memory: ", capheap_err_str(err),
            NULL, NULL);
        return err;
    }
    *chip = mapped;
    return CAPHEAP_OK;
}
#endif

/* Build the heap (default lock held: it is also the trace's lock, and the
 * heap gets it only at the end). *@p chipp and *@p optsp name what to
 * build (a NULL chip: the named one) and are left naming what was built
 * (on a host, the simulation's options, kept in static storage). */
static capheap_err_t build(const capheap_chip_t **chipp,
                           const capheap_chip_options_t **optsp) {
    capheap_err_t err;
    const capheap_chip_t *chip = *chipp;
    const capheap_chip_options_t *opts = *optsp;
    atomic_store_explicit(&state, FAILED, memory_order_relaxed);
    if (!chip) { /* the options go with the chip: none without it */
        opts = setup.named ? &setup.named->opts : NULL;
        chip = setup.named ? setup.named->chip : BUILD_CHIP;
    }
#if CAPHEAP_SYSTEM_SIM
    static capheap_chip_options_t o;
    o = opts ? *opts : (capheap_chip_options_t){0, 0, 0, 0, 0};
    opts = &o;
    err = simulated(&chip, &o);
    if (err)
        return err;
#endif
    setup.built = opts;
    *chipp = chip;
    *optsp = opts;
#ifndef CAPHEAP_SYSTEM_CHIP
    /* With a build-time chip there always is one (a named chip is never
     * NULL): no message to keep. */
    if (!chip) {
        say("no chip named: call capheap_esp_set_chip() or "
            "capheap_system_set_chip(), or build with "
            "-DCAPHEAP_SYSTEM_CHIP=<chip>, before heap_caps_init() or "
            "capheap_system_init()",
            NULL, NULL, NULL);
        return CAPHEAP_ERR_NO_CHIP;
    }
#endif
    err = capheap_caps_init(&global, chip, opts, setup.reserved,
                            (size_t)(setup.count_to - setup.count_from));
    if (err) {
        say("cannot build the heaps of chip ", name_of(chip), ": ",
            capheap_err_str(err));
        return err;
    }
    /* Asked before the heap gets the lock this thread holds. */
    bool no_malloc =
        !capheap_caps_total_size(&global, CAPHEAP_SYSTEM_MALLOC_CAPS);
    capheap_heap_set_lock(global.heap, capheap_port_default_lock());
#if CAPHEAP_HOOKS
    capheap_system_hooks_attach(&global); /* tracing and the weak hooks */
#endif
    atomic_store_explicit(&state, READY, memory_order_release);
    if (no_malloc) {
        say("chip ", name_of(chip),
            " has no memory type offering DEFAULT|INTERNAL, which malloc() "
            "asks: malloc() will return NULL (heap_caps_malloc() with the "
            "caps the chip offers still works)",
            NULL);
        return CAPHEAP_ERR_NO_MALLOC;
    }
    return CAPHEAP_OK;
}

static capheap_err_t build_locked(const capheap_chip_t *chip,
                                  const capheap_chip_options_t *opts,
                                  capheap_system_report_fn report) {
    default_lock(true);
    capheap_err_t err = build(&chip, &opts);
    default_lock(false);
    /* Outside the lock: a report prints, and an output function may
     * allocate from this very heap. */
    if (report && (err == CAPHEAP_OK || err == CAPHEAP_ERR_NO_MALLOC))
        report(chip, opts, setup.reserved,
               (size_t)(setup.count_to - setup.count_from));
    return err;
}

capheap_err_t capheap_system_init_report(const capheap_chip_t *chip,
                                         const capheap_chip_options_t *opts,
                                         capheap_system_report_fn report) {
    /* Copied: the layout tables read them after this returns. */
    static capheap_chip_options_t given;
    if (chip) {
        given = opts ? *opts : (capheap_chip_options_t){0, 0, 0, 0, 0};
        opts = &given;
    }
    return build_locked(chip, opts, report);
}

capheap_err_t capheap_system_init(const capheap_chip_t *chip,
                                  const capheap_chip_options_t *opts) {
    return capheap_system_init_report(chip, opts, NULL);
}

capheap_err_t capheap_system_start(void) {
    return build_locked(NULL, NULL, NULL);
}

/* Out of line: the test of the state is all capheap_system() costs once
 * the heap is built. */
CAPHEAP_NOINLINE static capheap_caps_t *heap_slow(void) {
#if CAPHEAP_SYSTEM_SIM
    capheap_err_t err = CAPHEAP_OK;
    default_lock(true);
    if (atomic_load_explicit(&state, memory_order_relaxed) == UNBUILT) {
        const capheap_chip_t *chip = NULL;
        const capheap_chip_options_t *opts = NULL;
        err = build(&chip, &opts);
        /* A chip without malloc() memory was reported; its heap works. */
        if (err == CAPHEAP_ERR_NO_MALLOC)
            err = CAPHEAP_OK;
    }
    default_lock(false);
    if (err) {
        /* No caller to return the error to: say why, and stop. */
        say("the first allocation found no heap and could not build one: ",
            capheap_err_str(err), NULL, NULL);
        abort();
    }
    if (atomic_load_explicit(&state, memory_order_acquire) == READY)
        return &global;
#endif
    return NULL;
}

static inline capheap_caps_t *heap(void) {
    if (atomic_load_explicit(&state, memory_order_acquire) == READY)
        return &global;
    return heap_slow();
}

capheap_caps_t *capheap_system(void) {
    return heap();
}

/* ---- the failure callback and the external-memory limit ----------------- */

void capheap_system_set_failed_hook(capheap_system_failed_hook_t hook) {
    atomic_store_explicit(&failed_hook, hook, memory_order_release);
}

void capheap_system_alloc_failed(size_t size, uint32_t caps, const char *fn) {
    capheap_system_failed_hook_t hook =
        atomic_load_explicit(&failed_hook, memory_order_acquire);
    if (hook)
        hook(size, caps, fn);
#ifdef CONFIG_HEAP_ABORT_WHEN_ALLOCATION_FAILS
    /* ESP-IDF's words ("Mem alloc fail. size 0x%08x caps 0x%08x"), without
     * the formatter. */
    capheap_print_str("Mem alloc fail. size ");
    capheap_print_hex(size, 8);
    capheap_print_str(" caps ");
    capheap_print_hex(caps, 8);
    capheap_print_str("\n");
    abort();
#endif
}

void capheap_system_set_extmem_limit(size_t limit) {
    atomic_store_explicit(&extmem_limit, limit, memory_order_relaxed);
}

static size_t extmem(void) {
    return atomic_load_explicit(&extmem_limit, memory_order_relaxed);
}

/* The caps malloc() tries first for @p size bytes. */
static uint32_t first_caps(size_t size, size_t limit) {
    if (limit == SIZE_MAX || size <= limit)
        return CAPHEAP_SYSTEM_MALLOC_CAPS;
    return CAPHEAP_CAP_DEFAULT | CAPHEAP_CAP_SPIRAM;
}

/* ---- malloc()'s policy -------------------------------------------------- */

/* Each entry point is an implementation that takes the caller, the public
 * function (CAPHEAP_CALLER: NULL without hooks, so nothing is computed)
 * and the _by variant. */

static inline void *malloc_impl(size_t size, const void *caller) {
    capheap_caps_t *ch = heap();
    size_t limit = extmem();
    void *p = NULL;
    if (ch) {
        p = capheap_caps_alloc_by(ch, size, first_caps(size, limit), caller);
        if (!p && limit != SIZE_MAX)
            p = capheap_caps_alloc_by(ch, size, CAPHEAP_CAP_DEFAULT, caller);
    }
    if (!p && size)
        capheap_system_alloc_failed(size, CAPHEAP_CAP_DEFAULT,
                                    "heap_caps_malloc_default");
    return p;
}

void *capheap_system_malloc(size_t size) {
    return malloc_impl(size, CAPHEAP_CALLER);
}

void *capheap_system_malloc_by(size_t size, const void *caller) {
    return malloc_impl(size, caller);
}

static inline void *realloc_impl(void *ptr, size_t size, const void *caller) {
    if (!ptr)
        return capheap_system_malloc_by(size, caller);
    capheap_caps_t *ch = heap();
    if (!ch) {
        /* Nothing was allocated yet: @p ptr is none of the heap's. */
        capheap_report_error(CAPHEAP_ERR_FOREIGN_POINTER, ptr, "realloc");
        return NULL;
    }
    size_t limit = extmem();
    void *p =
        capheap_caps_realloc_by(ch, ptr, size, first_caps(size, limit), caller);
    if (!p && size && limit != SIZE_MAX)
        p = capheap_caps_realloc_by(ch, ptr, size, CAPHEAP_CAP_DEFAULT, caller);
    if (!p && size)
        capheap_system_alloc_failed(size, CAPHEAP_CAP_DEFAULT,
                                    "heap_caps_realloc_default");
    return p;
}

void *capheap_system_realloc(void *ptr, size_t size) {
    return realloc_impl(ptr, size, CAPHEAP_CALLER);
}

void *capheap_system_realloc_by(void *ptr, size_t size, const void *caller) {
    return realloc_impl(ptr, size, caller);
}

static inline void *aligned_alloc_impl(size_t alignment, size_t size,
                                       const void *caller) {
    if (!alignment || (alignment & (alignment - 1)) || size == 0)
        return NULL;
    capheap_caps_t *ch = heap();
    size_t limit = extmem();
    void *p = NULL;
    if (ch) {
        p = capheap_caps_aligned_alloc_by(ch, alignment, size,
                                          first_caps(size, limit), caller);
        if (!p && limit != SIZE_MAX)
            p = capheap_caps_aligned_alloc_by(ch, alignment, size,
                                              CAPHEAP_CAP_DEFAULT, caller);
    }
    if (!p)
        capheap_system_alloc_failed(size, CAPHEAP_CAP_DEFAULT,
                                    "heap_caps_aligned_alloc_default");
    return p;
}

void *capheap_system_aligned_alloc(size_t alignment, size_t size) {
    return aligned_alloc_impl(alignment, size, CAPHEAP_CALLER);
}

void *capheap_system_aligned_alloc_by(size_t alignment, size_t size,
                                      const void *caller) {
    return aligned_alloc_impl(alignment, size, caller);
}

static inline void free_impl(void *ptr, const void *caller) {
    if (!ptr)
        return;
    capheap_caps_t *ch = heap();
    if (ch)
        capheap_caps_free_by(ch, ptr, caller);
    else /* nothing was allocated yet */
        capheap_report_error(CAPHEAP_ERR_FOREIGN_POINTER, ptr, "free");
}

void capheap_system_free(void *ptr) {
    free_impl(ptr, CAPHEAP_CALLER);
}

void capheap_system_free_by(void *ptr, const void *caller) {
    free_impl(ptr, caller);
}
