/*
 * irq_target.c - the irq port on emulated hardware: a timer fires at a
 * high, varying rate and its handler allocates, checks and frees blocks of
 * the same heap the main loop works on (allocate, aligned allocate,
 * realloc, free, some under a lock the caller already holds or with
 * interrupts already masked), and of a capability heap over a chip of
 * three RAM types (requests by ten masks through a four-slot cache, so
 * the handler republishes slots under the main loop's fast path). Then the
 * heaps' integrity checks, every block's contents and type, the statistics
 * once all is freed, and the interrupt mask after each nested lock. The timer
 * and the mask are the platform's (irq_platform.h: SysTick and PRIMASK on the
 * Cortex-M3, the CLINT timer and mstatus.MIE on RISC-V). Built with
 * -DIRQ_TARGET_NO_LOCK the heap gets no lock: that build must fail (it shows
 * the test sees what the lock prevents).
 */
#include <stdint.h>
#include <stdio.h>

#include "capheap/caps.h"
#include "capheap/heap.h"
#include "capheap/port.h"
#include "irq_platform.h"
#include "target_pattern.h"

#ifndef IRQ_TARGET_INTERRUPTS
#define IRQ_TARGET_INTERRUPTS 30000u
#endif
#define MAIN_SLOTS 64u
#define ISR_SLOTS  32u

static _Alignas(16) unsigned char ram_a[20 * 1024 + 5];
static _Alignas(16) unsigned char ram_b[12 * 1024];
static void *storage[CAPHEAP_HEAP_STORAGE_SIZE(2, 2) / sizeof(void *)];
static capheap_heap_t *heap;

/* The capability heap's chip: its regions lie where the board has spare
 * RAM (irq_platform_heap_base), so they are filled in at start-up. */
#define C(x) CAPHEAP_CAP_##x
#define DATA (C(INTERNAL) | C(8BIT) | C(32BIT))
static const capheap_mem_type_t chip_types[] = {
    {"SRAM", {C(DEFAULT), DATA, 0}},
    {"DMA SRAM", {C(DMA), C(DEFAULT), DATA}},
    {"TCM", {C(TCM), 0, C(DEFAULT) | DATA}},
};
#define TYPES (sizeof chip_types / sizeof chip_types[0])
static capheap_region_desc_t chip_regions[TYPES];
static capheap_chip_t chip = {
    .name = "irq-test",
    .types = chip_types,
    .type_count = TYPES,
    .regions = chip_regions,
    .region_count = TYPES,
    .cache_line = 16, /* DMA requests take the aligned path */
    .simd_align = 4,
    .max_alloc = 0x8000,
};
static const uint32_t masks[] = {
    C(DEFAULT),        C(DMA), C(8BIT),          C(32BIT),
    C(INTERNAL),       C(TCM), C(DMA) | C(8BIT), C(DEFAULT) | C(INTERNAL),
    C(TCM) | C(32BIT), DATA,
};
static capheap_caps_t caps;

typedef struct {
    unsigned char *p;
    size_t size;
    uint32_t seed;
    uint32_t mask; /* capability blocks: what was asked for */
} slot_t;

static slot_t main_slots[MAIN_SLOTS], main_caps[MAIN_SLOTS];
static slot_t isr_slots[ISR_SLOTS], isr_caps[ISR_SLOTS];
static volatile uint32_t interrupts, isr_ops, isr_failures, held_back;
static unsigned failures;

static uint32_t xorshift(uint32_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void fill(const slot_t *s) {
    tp_fill(s->p, s->size, s->seed);
}

static int intact(const slot_t *s) {
    return tp_intact(s->p, s->size, s->seed);
}

/* Bad input or damage the heap reported (from main or a handler): kept,
 * not trapped on, so that the verdict can say what it was. */
static volatile uint32_t heap_errors;
static volatile capheap_err_t first_error;
static void on_heap_error(capheap_err_t err, const void *addr, const char *op,
                          void *user) {
    (void)addr;
    (void)op;
    (void)user;
    if (heap_errors++ == 0)
        first_error = err;
}

static void fail(const char *what, uint32_t n) {
    if (failures++ < 5)
        printf("FAIL at %lu: %s\n", (unsigned long)n, what);
}

/* One allocate-or-free on @p s, by the interrupted code or the handler. */
static int step(slot_t *s, uint32_t r) {
    if (s->p) {
        int ok = intact(s);
        capheap_heap_free(heap, s->p);
        s->p = NULL;
        return ok;
    }
    s->size = 1 + (r >> 8) % 300;
    s->seed = r;
    s->p = capheap_heap_alloc(heap, r & 1, s->size);
    if (s->p)
        fill(s);
    return 1;
}

/* A capability block lies in a type that offers what was asked. */
static int placed(const slot_t *s) {
    int t = capheap_caps_block_type(&caps, s->p);
    if (t < 0 || (unsigned)t >= TYPES)
        return 0;
    const uint32_t *c = chip_types[t].caps;
    return ((c[0] | c[1] | c[2]) & s->mask) == s->mask;
}

/* The capability heap's allocate-or-free. */
static int caps_step(slot_t *s, uint32_t r) {
    if (s->p) {
        int ok = intact(s) && placed(s);
        capheap_caps_free(&caps, s->p);
        s->p = NULL;
        return ok;
    }
    s->mask = masks[(r >> 4) % (sizeof masks / sizeof masks[0])];
    s->size = 1 + (r >> 12) % 200;
    s->seed = r;
    s->p = capheap_caps_alloc(&caps, s->size, s->mask);
    if (s->p)
        fill(s);
    return !s->p || placed(s);
}

void irq_target_tick(uintptr_t interrupted_pc) {
    static uint32_t rng = 0x9E3779B9u;
    uint32_t r = xorshift(&rng);
    /* Taken as the lock's release unmasked it: it came while the main loop
     * held the lock, and waited (the release is a few instructions; the
     * low bit of a Thumb function's address is not part of it). */
    uintptr_t unlock = (uintptr_t)capheap_port_unlock & ~(uintptr_t)1;
    if (interrupted_pc - unlock < 64)
        held_back++;
    int masked = irq_masked(); /* no on Cortex-M, yes on RISC-V */
    /* A new period every time, so that the interrupt lands anywhere in
     * the main loop's heap calls. */
    timer_next(r);
    interrupts++;
    if (!step(&isr_slots[(r >> 20) % ISR_SLOTS], xorshift(&rng)))
        isr_failures++;
    if (!caps_step(&isr_caps[(r >> 24) % ISR_SLOTS], xorshift(&rng)))
        isr_failures++;
    isr_ops += 2;
    if (irq_masked() != masked) /* the lock restored what it found */
        isr_failures++;
}

/* Main's work on one slot: the step above, or an aligned allocation, or a
 * realloc that must keep the contents. */
static void main_op(uint32_t n, uint32_t r) {
    slot_t *s = &main_slots[r % MAIN_SLOTS];
    r = (r >> 6) | (r << 26);
    if (s->p && (r & 3) == 0) {
        size_t n2 = 1 + (r >> 4) % 400;
        if (!intact(s))
            fail("a main block changed", n);
        unsigned char *q = capheap_heap_realloc(heap, s->p, n2);
        if (!q)
            return; /* the old block stays */
        s->p = q;
        if (n2 < s->size)
            s->size = n2;
        if (!intact(s))
            fail("realloc lost the contents", n);
        s->size = n2;
        fill(s);
    } else if (!s->p && (r & 3) == 1) {
        s->size = 1 + (r >> 4) % 200;
        s->seed = r;
        s->p = capheap_heap_aligned_alloc(heap, r >> 30 & 1,
                                          (size_t)32 << (r >> 8 & 3), s->size);
        if (s->p && ((uintptr_t)s->p & ((32u << (r >> 8 & 3)) - 1)))
            fail("misaligned block", n);
        if (s->p)
            fill(s);
    } else if (!step(s, r)) {
        fail("a main block changed", n);
    }
}

/* Locks nest: a heap call under the heap's lock, which the caller holds
 * (as the capability layer does), and under interrupts the caller masked,
 * both leave PRIMASK as they found it. */
static void nested(uint32_t n) {
    capheap_heap_lock(heap);
    void *p = capheap_heap_alloc(heap, 0, 48);
    capheap_heap_free(heap, p);
    if (!irq_masked())
        fail("an inner unlock unmasked interrupts", n);
    capheap_heap_unlock(heap);
    if (irq_masked())
        fail("the outer unlock left interrupts masked", n);
    irq_mask();
    p = capheap_heap_alloc(heap, 1, 24);
    capheap_heap_free(heap, p);
    if (!irq_masked())
        fail("a heap call unmasked the caller's masked interrupts", n);
    irq_unmask();
}

static int all_intact(const slot_t *slots, unsigned count) {
    for (unsigned i = 0; i < count; i++) {
        if (slots[i].p && !intact(&slots[i]))
            return 0;
    }
    return 1;
}

int main(void) {
    heap = capheap_heap_init(storage, sizeof storage, 2, 2);
    if (!heap ||
        capheap_heap_add_region(heap, ram_a + 5, sizeof ram_a - 5, 0) ||
        capheap_heap_add_region(heap, ram_b, sizeof ram_b, 1)) {
        printf("FAIL: set-up\n");
        return 1;
    }
#ifdef IRQ_TARGET_NO_LOCK
    /* Nothing masks interrupts then: the nesting checks would only say so. */
    const int with_lock = 0;
#else
    const int with_lock = 1;
    capheap_heap_set_lock(heap, capheap_port_default_lock());
#endif
    /* SRAM, DMA SRAM and TCM side by side in the board's spare RAM. */
    static const size_t sizes[TYPES] = {0x8000, 0x4000, 0x2000};
    uintptr_t at = irq_platform_heap_base;
    for (unsigned t = 0; t < TYPES; t++) {
        chip_regions[t] =
            (capheap_region_desc_t){at, sizes[t], (uint8_t)t, false, 0, 0};
        if (t == 1) {
            chip.dma_lo = at;
            chip.dma_hi = at + sizes[t];
        }
        at += sizes[t];
    }
    capheap_chip_options_t opts = {0};
    if (capheap_caps_init(&caps, &chip, &opts, NULL, 0) != CAPHEAP_OK) {
        printf("FAIL: capability heap set-up\n");
        return 1;
    }
    if (with_lock)
        capheap_heap_set_lock(caps.heap, capheap_port_default_lock());
    capheap_set_error_hook(on_heap_error, NULL);
    capheap_stats_t fresh[2], caps_fresh[TYPES];
    capheap_heap_tag_stats(heap, 0, &fresh[0]);
    capheap_heap_tag_stats(heap, 1, &fresh[1]);
    for (unsigned t = 0; t < TYPES; t++)
        capheap_heap_tag_stats(caps.heap, t, &caps_fresh[t]);

    timer_start();
    uint32_t rng = 0x2545F491u, n = 0;
    while (interrupts < IRQ_TARGET_INTERRUPTS && !failures && !heap_errors) {
        main_op(n, xorshift(&rng));
        if (!caps_step(&main_caps[xorshift(&rng) % MAIN_SLOTS], xorshift(&rng)))
            fail("a capability block changed or is misplaced", n);
        if (++n % 64 == 0 && with_lock)
            nested(n);
    }
    timer_stop();

    capheap_check_report_t rep;
    if (capheap_heap_check(heap, &rep) != CAPHEAP_OK)
        fail(capheap_fault_str(rep.fault), n);
    if (capheap_caps_check(&caps, 0, &rep) != CAPHEAP_OK)
        fail(capheap_fault_str(rep.fault), n);
    if (heap_errors) {
        fail("the heap reported an error", n);
        printf("  %lu errors, the first: %s\n", (unsigned long)heap_errors,
               capheap_err_str(first_error));
    }
    if (with_lock && held_back == 0)
        fail("no interrupt came while the lock was held: nothing was tested",
             n);
    if (isr_failures)
        fail("a handler's block changed, or the mask was left changed", n);
    if (!all_intact(main_slots, MAIN_SLOTS) ||
        !all_intact(isr_slots, ISR_SLOTS) ||
        !all_intact(main_caps, MAIN_SLOTS) || !all_intact(isr_caps, ISR_SLOTS))
        fail("a block's contents changed", n);
    for (unsigned i = 0; i < MAIN_SLOTS; i++) {
        if (main_caps[i].p && !placed(&main_caps[i]))
            fail("a capability block is misplaced", n);
        capheap_caps_free(&caps, main_caps[i].p);
    }
    for (unsigned i = 0; i < ISR_SLOTS; i++) {
        if (isr_caps[i].p && !placed(&isr_caps[i]))
            fail("a capability block is misplaced", n);
        capheap_caps_free(&caps, isr_caps[i].p);
    }
    for (unsigned t = 0; t < TYPES; t++) {
        capheap_stats_t s;
        capheap_heap_tag_stats(caps.heap, t, &s);
        if (s.allocated_blocks != caps_fresh[t].allocated_blocks ||
            s.free_bytes != caps_fresh[t].free_bytes)
            fail("capability memory lost once everything was freed", n);
    }
    if (capheap_caps_check(&caps, 0, NULL) != CAPHEAP_OK)
        fail("the capability heap is damaged after the final frees", n);
    for (unsigned i = 0; i < MAIN_SLOTS; i++)
        capheap_heap_free(heap, main_slots[i].p);
    for (unsigned i = 0; i < ISR_SLOTS; i++)
        capheap_heap_free(heap, isr_slots[i].p);
    for (unsigned t = 0; t < 2; t++) {
        capheap_stats_t s;
        capheap_heap_tag_stats(heap, t, &s);
        if (s.allocated_blocks != 0 || s.free_bytes != fresh[t].free_bytes)
            fail("memory lost once everything was freed", n);
    }
    if (capheap_heap_check(heap, NULL) != CAPHEAP_OK)
        fail("damaged after the final frees", n);
    printf("irq port on %s: %lu interrupts (%lu held back by the lock), "
           "%lu handler and %lu main operations, %s\n",
           irq_platform_name, (unsigned long)interrupts,
           (unsigned long)held_back, (unsigned long)isr_ops, (unsigned long)n,
           failures ? "FAILED" : "ok");
    printf("%u passed, %u failed\n", failures ? 0u : 1u, failures ? 1u : 0u);
    irq_target_exit(failures ? 1 : 0);
}
