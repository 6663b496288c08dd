/*
 * irq_target.c - the irq port on emulated hardware: a timer fires at a
 * high, varying rate and its handler allocates, checks and frees blocks of
 * the same heap the main loop works on (allocate, aligned allocate,
 * realloc, free, some under a lock the caller already holds or with
 * interrupts already masked). Then the heap's integrity check, every
 * block's contents, the statistics once all is freed, and the interrupt
 * mask after each nested lock. The timer and the mask are the platform's
 * (irq_platform.h: SysTick and PRIMASK on the Cortex-M3, the CLINT timer
 * and mstatus.MIE on RISC-V). Built with -DIRQ_TARGET_NO_LOCK the heap gets
 * no lock: that build must fail (it shows the test sees what the lock
 * prevents).
 */
#include <stdint.h>
#include <stdio.h>

#include "capheap/heap.h"
#include "capheap/port.h"
#include "irq_platform.h"

#ifndef IRQ_TARGET_INTERRUPTS
#define IRQ_TARGET_INTERRUPTS 30000u
#endif
#define MAIN_SLOTS 64u
#define ISR_SLOTS  32u

static _Alignas(16) unsigned char ram_a[20 * 1024 + 5];
static _Alignas(16) unsigned char ram_b[12 * 1024];
static void *storage[CAPHEAP_HEAP_STORAGE_SIZE(2, 2) / sizeof(void *)];
static capheap_heap_t *heap;

typedef struct {
    unsigned char *p;
    size_t size;
    uint32_t seed;
} slot_t;

static slot_t main_slots[MAIN_SLOTS];
static slot_t isr_slots[ISR_SLOTS];
static volatile uint32_t interrupts, isr_ops, isr_failures;
static unsigned failures;

static uint32_t xorshift(uint32_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static unsigned char pattern(size_t i, uint32_t seed) {
    return (unsigned char)((i * 131u) ^ seed ^ (seed >> 8));
}

static void fill(const slot_t *s) {
    for (size_t i = 0; i < s->size; i++)
        s->p[i] = pattern(i, s->seed);
}

static int intact(const slot_t *s) {
    for (size_t i = 0; i < s->size; i++) {
        if (s->p[i] != pattern(i, s->seed))
            return 0;
    }
    return 1;
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

void irq_target_tick(void) {
    static uint32_t rng = 0x9E3779B9u;
    uint32_t r = xorshift(&rng);
    int masked = irq_masked(); /* no on Cortex-M, yes on RISC-V */
    /* A new period every time, so that the interrupt lands anywhere in
     * the main loop's heap calls. */
    timer_next(r);
    interrupts++;
    if (!step(&isr_slots[(r >> 20) % ISR_SLOTS], xorshift(&rng)))
        isr_failures++;
    isr_ops++;
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
    capheap_set_error_hook(on_heap_error, NULL);
    capheap_stats_t fresh[2];
    capheap_heap_tag_stats(heap, 0, &fresh[0]);
    capheap_heap_tag_stats(heap, 1, &fresh[1]);

    timer_start();
    uint32_t rng = 0x2545F491u, n = 0;
    while (interrupts < IRQ_TARGET_INTERRUPTS && !failures && !heap_errors) {
        main_op(n, xorshift(&rng));
        if (++n % 64 == 0 && with_lock)
            nested(n);
    }
    timer_stop();

    capheap_check_report_t rep;
    if (capheap_heap_check(heap, &rep) != CAPHEAP_OK)
        fail(capheap_fault_str(rep.fault), n);
    if (heap_errors) {
        fail("the heap reported an error", n);
        printf("  %lu errors, the first: %s\n", (unsigned long)heap_errors,
               capheap_err_str(first_error));
    }
    if (isr_failures)
        fail("a handler's block changed or PRIMASK was left set", n);
    if (!all_intact(main_slots, MAIN_SLOTS) ||
        !all_intact(isr_slots, ISR_SLOTS))
        fail("a block's contents changed", n);
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
    printf("irq port on %s: %lu interrupts, %lu handler and %lu main "
           "operations, %s\n",
           irq_platform_name, (unsigned long)interrupts, (unsigned long)isr_ops,
           (unsigned long)n, failures ? "FAILED" : "ok");
    printf("%u passed, %u failed\n", failures ? 0u : 1u, failures ? 1u : 0u);
    irq_target_exit(failures ? 1 : 0);
}
