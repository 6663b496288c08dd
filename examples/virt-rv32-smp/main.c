/*
 * main.c - example (e): two RV32IMAC harts on QEMU's virt board allocate
 * and free at the same time through the spinlock port, random sizes and
 * caps, each block filled with its own pattern. Then an integrity check
 * and a check of every live block's contents.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "capheap/system.h"
#include "esp_heap_caps.h"
#include "fw.h"
#include "virt_board.h"

#define HARTS        2
#define SLOTS        256      /* live blocks per hart, at most */
#define OPS_PER_HART 500000ul /* 10^6 in all */
#define MAX_WORDS    64       /* blocks up to 256 bytes */

typedef struct {
    uint32_t *p;
    uint32_t words, seed;
    uint8_t type; /* the memory type the caps asked for */
} slot_t;

static slot_t slots[HARTS][SLOTS];
static unsigned long ops[HARTS], allocs[HARTS], bad[HARTS];
static atomic_bool finished[HARTS];

static capheap_chip_options_t opts;
static const fw_board_t board = {
    .name = "virt-rv32-smp",
    .chip = &virt_chip,
    .opts = &opts,
    .exec_type = VIRT_IRAM,
    .default_type = VIRT_DRAM,
    .dma_type = VIRT_DMA,
};

void fw_heap_init(void) {
    fw_before_init(&virt_chip);
    /* The build-time chip (CAPHEAP_SYSTEM_CHIP=virt_chip); the heap gets
     * the spinlock port's lock. */
    capheap_system_init(NULL, NULL);
}

__attribute__((constructor(101))) static void early(void) {
    fw_early_block = malloc(24);
}

static uint32_t next(uint32_t *state) { /* xorshift32 */
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

static uint32_t pattern(uint32_t seed, uint32_t k) {
    return seed + k * 0x9e3779b1u;
}

static bool intact(const slot_t *s) {
    for (uint32_t k = 0; k < s->words; k++)
        if (s->p[k] != pattern(s->seed, k))
            return false;
    return true;
}

/* What each request asks for, and the type it must land in. */
static const struct {
    uint32_t caps; /* 0: plain malloc() */
    uint8_t type;
} kinds[] = {
    {0, VIRT_DRAM},
    {MALLOC_CAP_DEFAULT, VIRT_DRAM},
    {MALLOC_CAP_8BIT, VIRT_DRAM},
    {MALLOC_CAP_DMA, VIRT_DMA},
    {MALLOC_CAP_EXEC, VIRT_IRAM},
    /* IRAM offers 32BIT at a higher level than DRAM (word-only RAM first,
     * ESP-IDF's order): word requests use it. */
    {MALLOC_CAP_32BIT | MALLOC_CAP_INTERNAL, VIRT_IRAM},
};

static void work(unsigned hart) {
    uint32_t rng = 0x9e3779b9u * (hart + 1);
    for (unsigned long i = 0; i < OPS_PER_HART; i++) {
        uint32_t r = next(&rng);
        slot_t *s = &slots[hart][r % SLOTS];
        if (s->p) {
            if (!intact(s))
                bad[hart]++;
            free(s->p); /* free() takes every kind */
            s->p = NULL;
            continue;
        }
        unsigned kind = (r >> 8) % (sizeof kinds / sizeof kinds[0]);
        s->words = 1 + (r >> 16) % MAX_WORDS;
        s->seed = next(&rng) ^ hart;
        s->type = kinds[kind].type;
        size_t size = s->words * sizeof(uint32_t);
        s->p = kinds[kind].caps ? heap_caps_malloc(size, kinds[kind].caps)
                                : malloc(size);
        allocs[hart]++;
        if (!s->p || !fw_in_type(&board, s->p, size, s->type)) {
            bad[hart]++; /* no request may fail or land elsewhere */
            free(s->p);
            s->p = NULL;
            continue;
        }
        for (uint32_t k = 0; k < s->words; k++)
            s->p[k] = pattern(s->seed, k);
    }
    ops[hart] = OPS_PER_HART;
}

void fw_secondary_main(unsigned hart) {
    work(hart);
    atomic_store_explicit(&finished[hart], true, memory_order_release);
}

int main(void) {
    fw_print("capheap example on %s\n", board.name);
    fw_check_heap(&board);
    size_t free0 = heap_caps_get_free_size(MALLOC_CAP_8BIT);

    fw_release_harts();
    work(0);
    while (!atomic_load_explicit(&finished[1], memory_order_acquire))
        ;
    unsigned long live = 0, damaged = 0;
    for (unsigned h = 0; h < HARTS; h++) {
        fw_print("hart %u: %lu operations, %lu allocations, %lu failed\n", h,
                 ops[h], allocs[h], bad[h]);
        fw_check(bad[h] == 0, "every request of a hart was served in the "
                              "right memory and kept its contents");
    }
    fw_check(ops[0] + ops[1] >= 1000000ul, "at least 10^6 operations");
    fw_check(heap_caps_check_integrity_all(true),
             "heap integrity after the race");
    for (unsigned h = 0; h < HARTS; h++)
        for (unsigned i = 0; i < SLOTS; i++)
            if (slots[h][i].p) {
                live++;
                damaged += !intact(&slots[h][i]);
                free(slots[h][i].p);
            }
    if (fw_check(damaged == 0, "every live block holds its pattern"))
        fw_print("every live block holds its pattern (%lu blocks)\n", live);
    fw_check(heap_caps_get_free_size(MALLOC_CAP_8BIT) == free0,
             "every byte comes back after the frees");
    fw_verdict(&board);
}
