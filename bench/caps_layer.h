/*
 * caps_layer.h - the capability layer behind the driver's interface, and
 * the control structures of a chip's boot heaps. Freestanding (out.h), so
 * that the Cortex-M build shares it with the host's capheap-bench-caps.
 */
#ifndef BENCH_CAPS_LAYER_H
#define BENCH_CAPS_LAYER_H

#include <stdint.h>

#include "capheap/caps.h"
#include "driver.h"

/** A caps mask the section measures. */
typedef struct {
    const char *key; /**< on the command line and in output records */
    uint32_t caps;
} bench_caps_mask_t;

extern const bench_caps_mask_t bench_caps_masks[];
extern const unsigned bench_caps_mask_count;

/** The mask named @p key, or NULL. */
const bench_caps_mask_t *bench_caps_mask(const char *key);

/** The capability heap every command boots. */
extern capheap_caps_t bench_caps;

/**
 * A copy of @p chip with every address moved up by @p by (modulo the
 * pointer width; 0, "none", stays 0): regions, their instruction-bus
 * addresses, reservations, alias windows, the DMA range and the
 * application's default .data/.bss and IRAM code. Same sizes, types and
 * order, so capheap_caps_init() builds the same heaps at other addresses.
 * Static storage, one copy; NULL if the chip is larger than its tables.
 */
const capheap_chip_t *bench_caps_moved(const capheap_chip_t *chip, uintptr_t by,
                                       const char *name);

/**
 * Point @p a at @p layer ("caps": capheap_caps_alloc/free with @p m's mask;
 * "core": capheap_heap_alloc/free on the tag the mask's first allocation
 * comes from, in the same heap) after one warm-up allocation and free
 * through that layer (which fills the caps layer's selection cache).
 * -1 if the booted chip cannot serve the mask.
 */
int bench_caps_open(const char *layer, const bench_caps_mask_t *m,
                    bench_alloc_t *a);

/** The tag the last bench_caps_open() chose, and its type's name. */
unsigned bench_caps_tag(void);
const char *bench_caps_type_name(unsigned tag);

/** Print "<cmd>.<chip>.<layer>.<mask> dump=.. tag=.. type=.. alloc=.. free=..
 * realloc=.. fails=..". */
void bench_caps_print_run(const char *cmd, const char *chip, const char *layer,
                          const bench_caps_mask_t *m, unsigned dump,
                          const bench_result_t *r);

/**
 * Print the control structures of the booted heap as "capsmeta.<chip>..."
 * lines (see caps_layer.c). 0, or -1 if the walk is inconsistent.
 */
int bench_caps_meta(const char *chip);

#endif /* BENCH_CAPS_LAYER_H */
