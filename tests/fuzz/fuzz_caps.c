/*
 * fuzz_caps.c - libFuzzer harness for the capability layer
 * (capheap/caps.h) on the simulated ESP32-S3, ESP32 and ESP32-C3
 * (capheap/sim.h maps their memory at the chips' own addresses).
 *
 * The input picks the chip and options, then operations: alloc, aligned
 * alloc and realloc with caps masks from a list of meaningful ones (and
 * their documented adjustments), unsatisfiable ones, and any 32-bit mask
 * the input spells; free by the address returned or, for an EXEC block of
 * dual-mapped RAM, by its data-bus block; bad pointers.
 *
 * Checks, from the CHIP DATA rather than the allocator's answers:
 *   - every block lies in a chip region whose memory type has every
 *     capability of the adjusted request (the harness adjusts it as caps.h
 *     documents), and capheap_caps_block_type() names that type; a request
 *     no type can serve (or EXEC with 8BIT or DMA, or above max_alloc)
 *     returns NULL;
 *   - DMA requests lie in the chip's DMA range and are aligned to the cache
 *     line, SIMD ones to the SIMD alignment, aligned ones to theirs;
 *   - an EXEC block of dual-mapped RAM is an instruction-bus address whose
 *     word before names its data-bus block; no other request gets one;
 *   - live blocks do not overlap (compared on the data bus), keep their
 *     contents (through either bus), realloc keeps min(old, new) bytes and
 *     a failed realloc leaves the block;
 *   - per type, the core's allocated block count equals the model's;
 *     capheap_caps_stats() for a mask sums over exactly the types that have
 *     it; capheap_heap_check() is clean after every operation;
 *   - a bad pointer is reported once and changes no live block.
 */
#define _POSIX_C_SOURCE 200809L
#include "fuzz_util.h"

#include "capheap/caps.h"
#include "capheap/sim.h"

#define C(x) CAPHEAP_CAP_##x

enum { MAXLIVE = 48, MAXT = CAPHEAP_CAPS_MAX_TYPES };

typedef struct {
    unsigned char *p;   /* as returned */
    uintptr_t dlo, dhi; /* its core block's payload on the data bus */
    size_t req;
    int type;
    uint32_t seed;
    int ibus;
} blk_t;

static const uint32_t masks[] = {
    C(8BIT),
    C(32BIT),
    C(DMA),
    C(EXEC),
    C(DEFAULT),
    C(INTERNAL),
    C(SPIRAM),
    C(DMA) | C(INTERNAL),
    C(8BIT) | C(INTERNAL),
    C(8BIT) | C(32BIT),
    C(TCM),
    C(RTCRAM),
    C(RETENTION),
    C(CACHE_ALIGNED) | C(DMA),
    C(SIMD),
    C(DMA_DESC_AHB),
    C(DMA_DESC_AXI) | C(INTERNAL),
    C(DMA) | C(SPIRAM),
    C(CACHE_ALIGNED),
    C(EXEC) | C(INTERNAL),
    C(EXEC) | C(32BIT),
    C(IRAM_8BIT),
    C(RTCRAM) | C(EXEC),
    C(EXEC) | C(8BIT),
    C(EXEC) | C(DMA),
    C(INVALID),
    C(PID2),
    1u << 30,
    0,
};
#define NMASKS (sizeof masks / sizeof masks[0])

static capheap_caps_t ch;
static struct {
    const capheap_chip_t *chip;
    capheap_chip_options_t opts;
    uint32_t all[MAXT];
    blk_t live[MAXLIVE];
    unsigned nlive;
    size_t count[MAXT];
    unsigned step;
} M;

/* ---- chip data ---------------------------------------------------------- */

static int selected(uint32_t flags, uint32_t when, uint32_t unless) {
    return (flags & when) == when && !(flags & unless);
}

FZ_QUIET static const capheap_region_desc_t *region_of(uintptr_t a) {
    for (unsigned i = 0; i < M.chip->region_count; i++) {
        const capheap_region_desc_t *d = &M.chip->regions[i];
        if (selected(M.opts.flags, d->when, d->unless) && a >= d->start &&
            a - d->start < d->size)
            return d;
    }
    return NULL;
}

FZ_QUIET static const capheap_alias_t *window_d(uintptr_t a) {
    for (unsigned i = 0; i < M.chip->alias_count; i++) {
        const capheap_alias_t *w = &M.chip->aliases[i];
        if (a >= w->dram_lo && a < w->dram_hi)
            return w;
    }
    return NULL;
}

FZ_QUIET static const capheap_alias_t *window_i(uintptr_t a) {
    for (unsigned i = 0; i < M.chip->alias_count; i++) {
        const capheap_alias_t *w = &M.chip->aliases[i];
        if (a >= w->iram_lo && a - w->iram_lo < w->dram_hi - w->dram_lo)
            return w;
    }
    return NULL;
}

/* caps.h's adjustments of a request, done here independently. */
typedef struct {
    int valid;
    uint32_t adj;
    size_t hw; /* the alignment the hardware needs */
} adjusted_t;

static adjusted_t adjust(uint32_t raw, size_t size) {
    adjusted_t a = {1, raw, 1};
    const uint32_t desc = C(DMA_DESC_AHB) | C(DMA_DESC_AXI);
    if (raw & (C(DMA) | desc | C(CACHE_ALIGNED)))
        a.hw = M.chip->cache_line;
    if ((raw & C(SIMD)) && M.chip->simd_align > a.hw)
        a.hw = M.chip->simd_align;
    if (a.adj & desc)
        a.adj = (a.adj & ~desc) | C(DMA);
    if ((a.adj & C(DMA)) && (a.adj & C(SPIRAM)))
        a.adj &= ~C(DMA);
    a.adj &= ~C(CACHE_ALIGNED);
    if (a.adj & C(EXEC)) {
        if (a.adj & (C(8BIT) | C(DMA)))
            a.valid = 0;
        a.adj |= C(32BIT);
    }
    if (size == 0 || size > M.chip->max_alloc)
        a.valid = 0;
    return a;
}

static int satisfiable(uint32_t adj) {
    for (unsigned t = 0; t < M.chip->type_count; t++) {
        if ((M.all[t] & adj) == adj)
            return 1;
    }
    return 0;
}

/* ---- the model ---------------------------------------------------------- */

/* Where the block @p b really is, on the data bus. */
FZ_QUIET static void locate(blk_t *b) {
    uintptr_t p = (uintptr_t)b->p;
    const capheap_alias_t *w = window_i(p);
    if (!w) {
        b->ibus = 0;
        b->dlo = p;
        b->dhi = p + capheap_heap_live_size(ch.heap, b->p);
        FZ_CHECK(b->dhi > b->dlo);
        return;
    }
    b->ibus = 1;
    FZ_EQ(p % 4, 0);
    uintptr_t first = capheap_caps_iram_to_dram(M.chip, p - 4);
    FZ_CHECK(window_d(first) == w);
    uint32_t off;
    memcpy(&off, (const void *)first, sizeof off);
    FZ_CHECK(off < w->dram_hi - w->dram_lo);
    uintptr_t d = w->dram_lo + off;
    size_t live = capheap_heap_live_size(ch.heap, (void *)d);
    FZ_CHECK(live >= 4);
    b->dlo = d;
    b->dhi = d + live;
    /* The stored word and the bytes after it lie inside that block. */
    uintptr_t last = capheap_caps_iram_to_dram(M.chip, p + b->req - 1);
    uintptr_t lo = first < last ? first : last,
              hi = first > last ? first : last;
    FZ_CHECK(lo >= d && hi < d + live);
}

FZ_QUIET static void place(unsigned char *p, size_t req, uint32_t raw,
                           const adjusted_t *a, size_t align) {
    FZ_CHECK(M.nlive < MAXLIVE);
    blk_t *b = &M.live[M.nlive];
    *b = (blk_t){p, 0, 0, req, -1, M.step * 2654435761u ^ (uint32_t)req, 0};
    locate(b);
    const capheap_region_desc_t *r0 = region_of(b->dlo),
                                *r1 = region_of(b->dhi - 1);
    if (!r0 || !r1 || r0->type != r1->type)
        FZ_FAIL("block %p [0x%zx, 0x%zx) not inside one chip memory type",
                (void *)p, (size_t)b->dlo, (size_t)b->dhi);
    b->type = r0->type;
    if ((M.all[b->type] & a->adj) != a->adj)
        FZ_FAIL("block %p in %s (caps 0x%x) for request 0x%x (adjusted 0x%x)",
                (void *)p, M.chip->types[b->type].name,
                (unsigned)M.all[b->type], (unsigned)raw, (unsigned)a->adj);
    FZ_EQ(capheap_caps_block_type(&ch, p), b->type);
    if (a->adj & C(DMA))
        FZ_CHECK(b->dlo >= M.chip->dma_lo && b->dhi <= M.chip->dma_hi);
    size_t al = align > a->hw ? align : a->hw;
    FZ_EQ((uintptr_t)p % al, 0);
    if (b->ibus)
        FZ_CHECK(a->adj & C(EXEC));
    else
        FZ_EQ((uintptr_t)p % CAPHEAP_ALIGNMENT, 0);
    if ((a->adj & C(EXEC)) && window_d(b->dlo))
        FZ_CHECK(b->ibus);
    FZ_CHECK(capheap_caps_usable_size(&ch, p) >= req);
    for (unsigned i = 0; i < M.nlive; i++) {
        const blk_t *o = &M.live[i];
        if (b->dlo < o->dhi && o->dlo < b->dhi)
            FZ_FAIL("block %p [0x%zx, 0x%zx) overlaps %p [0x%zx, 0x%zx)",
                    (void *)p, (size_t)b->dlo, (size_t)b->dhi, (void *)o->p,
                    (size_t)o->dlo, (size_t)o->dhi);
    }
    fz_fill(p, req, b->seed);
    M.count[b->type]++;
    M.nlive++;
}

static void drop(unsigned i) {
    M.count[M.live[i].type]--;
    M.live[i] = M.live[--M.nlive];
}

FZ_QUIET static void verify(const blk_t *b) {
    size_t at = fz_verify(b->p, b->req, b->seed);
    if (at != b->req)
        FZ_FAIL("block %p (%zu bytes): byte %zu changed", (void *)b->p, b->req,
                at);
}

FZ_QUIET static void check_all(int full) {
    capheap_check_report_t rep;
    if (capheap_heap_check(ch.heap, &rep) != CAPHEAP_OK)
        FZ_FAIL("step %u: heap check: %s at %p", M.step,
                capheap_fault_str(rep.fault), rep.addr);
    size_t used[MAXT];
    for (unsigned t = 0; t < M.chip->type_count; t++) {
        capheap_stats_t s;
        FZ_EQ(capheap_heap_tag_stats(ch.heap, t, &s), CAPHEAP_OK);
        FZ_EQ(s.allocated_blocks, M.count[t]);
        used[t] = s.allocated_blocks;
    }
    if (full) {
        for (unsigned i = 0; i < M.nlive; i++)
            verify(&M.live[i]);
        /* A mask's statistics cover exactly the types that have it. */
        for (unsigned k = 0; k < NMASKS; k++) {
            capheap_stats_t s;
            capheap_caps_stats(&ch, masks[k], &s);
            size_t want = 0;
            for (unsigned t = 0; t < M.chip->type_count; t++) {
                if ((M.all[t] & masks[k]) == masks[k])
                    want += used[t];
            }
            if (s.allocated_blocks != want)
                FZ_FAIL("caps_stats(0x%x): %zu blocks, model %zu",
                        (unsigned)masks[k], s.allocated_blocks, want);
        }
    }
}

/* ---- operations --------------------------------------------------------- */

static uint32_t pick_mask(fz_in_t *in) {
    unsigned k = fz_u8(in);
    if (k < 240)
        return masks[k % NMASKS];
    return fz_u32(in); /* anything */
}

static size_t pick_size(fz_in_t *in) {
    unsigned k = fz_u8(in);
    if (k < 200)
        return 1 + k % 160;
    if (k < 250)
        return 1 + fz_u16(in) % 8192;
    return k == 250 ? 0 : (size_t)fz_u32(in) << (k % 4 * 8);
}

static void after_alloc(unsigned char *p, size_t n, uint32_t mask,
                        size_t align) {
    adjusted_t a = adjust(mask, n);
    if (!a.valid || !satisfiable(a.adj)) {
        if (p)
            FZ_FAIL("request 0x%x for %zu bytes cannot be served, yet got %p",
                    (unsigned)mask, n, (void *)p);
        return;
    }
    if (p)
        place(p, n, mask, &a, align);
}

static void op_alloc(fz_in_t *in, int aligned) {
    uint32_t mask = pick_mask(in);
    size_t n = pick_size(in);
    size_t align = aligned ? (size_t)1 << fz_u8(in) % 10 : 0;
    FZ_TRACE("  alloc %zu caps 0x%x align %zu\n", n, (unsigned)mask, align);
    unsigned before = fz_errors.count;
    unsigned char *p = aligned ? capheap_caps_aligned_alloc(&ch, align, n, mask)
                               : capheap_caps_alloc(&ch, n, mask);
    FZ_EQ(fz_errors.count, before);
    after_alloc(p, n, mask, align);
}

static void op_free(fz_in_t *in) {
    if (!M.nlive)
        return;
    unsigned i = fz_u8(in) % M.nlive;
    const blk_t *b = &M.live[i];
    verify(b);
    /* An EXEC block of dual-mapped RAM may be freed by its data-bus block
     * too. */
    void *q = b->ibus && (fz_u8(in) & 1) ? (void *)b->dlo : (void *)b->p;
    FZ_TRACE("  free %p (%p)\n", q, (void *)b->p);
    unsigned before = fz_errors.count;
    capheap_caps_free(&ch, q);
    FZ_EQ(fz_errors.count, before);
    drop(i);
}

static void op_realloc(fz_in_t *in) {
    if (!M.nlive)
        return;
    unsigned i = fz_u8(in) % M.nlive;
    blk_t old = M.live[i];
    verify(&old);
    uint32_t mask = pick_mask(in);
    size_t n = pick_size(in);
    FZ_TRACE("  realloc %p (%zu) to %zu caps 0x%x\n", (void *)old.p, old.req, n,
             (unsigned)mask);
    unsigned before = fz_errors.count;
    unsigned char *p = capheap_caps_realloc(&ch, old.p, n, mask);
    FZ_EQ(fz_errors.count, before);
    if (n == 0) {
        FZ_CHECK(p == NULL);
        drop(i);
        return;
    }
    if (!p) {
        verify(&old); /* untouched, still ours */
        FZ_CHECK(capheap_caps_usable_size(&ch, old.p) >= old.req);
        return;
    }
    size_t keep = old.req < n ? old.req : n;
    FZ_EQ(fz_verify(p, keep, old.seed), keep);
    drop(i);
    adjusted_t a = adjust(mask, n);
    if (!a.valid || !satisfiable(a.adj))
        FZ_FAIL("realloc to caps 0x%x (%zu bytes) cannot be served, yet got %p",
                (unsigned)mask, n, (void *)p);
    place(p, n, mask, &a, 0);
}

static unsigned char other[64];

static void op_bad(fz_in_t *in) {
    unsigned k = fz_u8(in) % 3;
    unsigned char *q = NULL;
    if (k == 0) {
        q = other + 16;
    } else if (M.nlive) {
        const blk_t *b = &M.live[fz_u8(in) % M.nlive];
        if (b->req <= 64)
            return;
        q = b->p + (k == 1 ? 32 : 1);
    } else {
        return;
    }
    unsigned before = fz_errors.count;
    if (fz_u8(in) & 1)
        capheap_caps_free(&ch, q);
    else
        FZ_CHECK(capheap_caps_realloc(&ch, q, 8, C(8BIT)) == NULL);
    if (fz_errors.count != before + 1)
        FZ_FAIL("bad pointer %p: %u reports", (void *)q,
                fz_errors.count - before);
    FZ_CHECK(fz_errors.last == CAPHEAP_ERR_NOT_BLOCK ||
             fz_errors.last == CAPHEAP_ERR_FOREIGN_POINTER);
}

/* ---- the program ------------------------------------------------------- */

static const capheap_chip_t *const chips[] = {
    &capheap_chip_esp32s3, &capheap_chip_esp32s3, &capheap_chip_esp32,
    &capheap_chip_esp32c3};

static void setup(fz_in_t *in) {
    unsigned k = fz_u8(in);
    const capheap_chip_t *orig = chips[k % 4];
    capheap_chip_options_t opts = {0};
    if (k & 0x10)
        opts.flags |= CAPHEAP_OPT_RTC_HEAP;
    capheap_err_t e = capheap_sim_map(orig, &opts);
    if (e != CAPHEAP_OK) {
        /* qemu-user (i386) holds the chip's addresses: nothing to test. */
        fprintf(stderr, "cannot map the simulated chip's memory: %s\n",
                capheap_err_str(e));
        exit(77);
    }
    memset(&M, 0, sizeof M);
    M.chip = capheap_sim_chip(orig);
    M.opts = opts;
    FZ_EQ(capheap_caps_init(&ch, M.chip, &M.opts, NULL, 0), CAPHEAP_OK);
    capheap_caps_enable_nonos_stack_heaps(&ch);
    for (unsigned t = 0; t < M.chip->type_count; t++)
        M.all[t] = M.chip->types[t].caps[0] | M.chip->types[t].caps[1] |
                   M.chip->types[t].caps[2];
    fz_errors_install();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_in_t in = {data, size, 0};
    setup(&in);
    check_all(1);
    while (fz_more(&in) && M.step < 2000) {
        M.step++;
        unsigned op = fz_u8(&in) % 10;
        if (M.nlive >= MAXLIVE - 1 && op <= 3)
            op = 4;
        switch (op) {
        case 0:
        case 1:
        case 2:
            op_alloc(&in, 0);
            break;
        case 3:
            op_alloc(&in, 1);
            break;
        case 4:
        case 5:
            op_free(&in);
            break;
        case 6:
        case 7:
            op_realloc(&in);
            break;
        case 8:
            op_bad(&in);
            break;
        default:
            check_all(1);
            break;
        }
        check_all(M.step % 32 == 0);
    }
    while (M.nlive) {
        verify(&M.live[0]);
        capheap_caps_free(&ch, M.live[0].p);
        drop(0);
    }
    check_all(1);
    capheap_set_error_hook(NULL, NULL);
    return 0;
}
