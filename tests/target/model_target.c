/*
 * model_target.c - the core's model-based randomized test as a freestanding
 * program for a Cortex-M: no cmocka, no host. It drives allocate, aligned
 * allocate, realloc and free over three regions of two tags against a
 * shadow model, checks every block's placement, alignment and contents and
 * the statistics, runs the integrity check, and prints its verdict.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "capheap/heap.h"
#include "target_pattern.h"

#define OPS         1000000u
#define SLOTS       96u
#define CHECK_EVERY 256u

static _Alignas(16) unsigned char ram_a[24 * 1024 + 5];
static _Alignas(16) unsigned char ram_b[16 * 1024 + 3];
static _Alignas(16) unsigned char ram_c[8 * 1024];
static void *storage[CAPHEAP_HEAP_STORAGE_SIZE(4, 2) / sizeof(void *)];

typedef struct {
    unsigned char *p;
    size_t size;
    unsigned tag;
    uint32_t seed;
} slot_t;

static slot_t slots[SLOTS];
static uint32_t rng = 0x2545F491u;
static unsigned failures;

static uint32_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static void fill(const slot_t *s) {
    tp_fill(s->p, s->size, s->seed);
}

static int intact(const slot_t *s) {
    return tp_intact(s->p, s->size, s->seed);
}

static void fail(const char *what, unsigned op) {
    if (failures++ < 5)
        printf("FAIL at op %u: %s\n", op, what);
}

/* The block lies inside a region of its tag (from the heap's region table). */
static int placed(capheap_heap_t *h, const slot_t *s) {
    for (unsigned i = 0; i < capheap_heap_region_count(h); i++) {
        capheap_region_info_t r;
        capheap_heap_region_info(h, i, &r);
        if (r.tag == s->tag && s->p >= (unsigned char *)r.start &&
            s->p + s->size <= (unsigned char *)r.end)
            return 1;
    }
    return 0;
}

int main(void) {
    capheap_heap_t *h = capheap_heap_init(storage, sizeof storage, 4, 2);
    if (!h || capheap_heap_add_region(h, ram_a + 5, sizeof ram_a - 5, 0) ||
        capheap_heap_add_region(h, ram_b + 3, sizeof ram_b - 3, 1) ||
        capheap_heap_add_region(h, ram_c, sizeof ram_c, 0)) {
        printf("FAIL: set-up\n");
        return 1;
    }
    capheap_stats_t fresh[2];
    capheap_heap_tag_stats(h, 0, &fresh[0]);
    capheap_heap_tag_stats(h, 1, &fresh[1]);
    unsigned live = 0;
    for (unsigned op = 0; op < OPS; op++) {
        slot_t *s = &slots[next() % SLOTS];
        uint32_t kind = next() % 8;
        if (!s->p) {
            s->size = 1 + next() % (kind == 0 ? 3000u : 200u);
            s->tag = next() % 2;
            s->seed = next();
            size_t align = (size_t)1 << (next() % 9);
            s->p = kind == 1
                       ? capheap_heap_aligned_alloc(h, s->tag, align, s->size)
                       : capheap_heap_alloc(h, s->tag, s->size);
            if (!s->p)
                continue;
            if (kind == 1 && (uintptr_t)s->p % align)
                fail("misaligned block", op);
            if ((uintptr_t)s->p % CAPHEAP_ALIGNMENT)
                fail("payload below the heap's alignment", op);
            if (capheap_heap_usable_size(h, s->p) < s->size)
                fail("usable size below the request", op);
            fill(s);
            live++;
        } else if (kind < 3) {
            size_t n = 1 + next() % 400u;
            unsigned char *q = capheap_heap_realloc(h, s->p, n);
            if (!q) {
                if (!intact(s))
                    fail("failed realloc changed the block", op);
                continue;
            }
            size_t keep = n < s->size ? n : s->size;
            for (size_t i = 0; i < keep; i++) {
                if (q[i] != tp_byte(i, s->seed)) {
                    fail("realloc lost contents", op);
                    break;
                }
            }
            s->p = q;
            s->size = n;
            fill(s);
        } else {
            if (!intact(s))
                fail("contents changed while live", op);
            capheap_heap_free(h, s->p);
            s->p = NULL;
            live--;
            continue;
        }
        if (!placed(h, s))
            fail("block outside its tag's regions", op);
        if (op % CHECK_EVERY == 0) {
            capheap_stats_t a, b;
            capheap_heap_tag_stats(h, 0, &a);
            capheap_heap_tag_stats(h, 1, &b);
            if (a.allocated_blocks + b.allocated_blocks != live)
                fail("allocated blocks differ from the model", op);
            capheap_check_report_t rep;
            if (capheap_heap_check(h, &rep) != CAPHEAP_OK)
                fail(capheap_fault_str(rep.fault), op);
            for (unsigned i = 0; i < SLOTS; i++) {
                if (slots[i].p && !intact(&slots[i]))
                    fail("a live block was overwritten", op);
            }
        }
    }
    for (unsigned i = 0; i < SLOTS; i++)
        capheap_heap_free(h, slots[i].p);
    for (unsigned t = 0; t < 2; t++) {
        capheap_stats_t s;
        capheap_heap_tag_stats(h, t, &s);
        if (s.free_bytes != fresh[t].free_bytes || s.allocated_blocks)
            fail("not every byte came back", OPS);
    }
    if (capheap_heap_check(h, NULL) != CAPHEAP_OK)
        fail("integrity after draining", OPS);
    printf("model on target: %u operations, %s\n", OPS,
           failures ? "FAILED" : "passed");
    printf("%u passed, %u failed\n", failures ? 0u : 1u, failures ? 1u : 0u);
    return failures ? 1 : 0;
}
