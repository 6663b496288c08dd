/*
 * caps_layer.c - the capability layer behind the driver's interface, and
 * the control structures of a chip's boot heaps (see caps_layer.h).
 *
 * The adapters are driver code (BENCH_DRV), as in alloc_capheap.c: counts
 * start at the measured entry points. Freestanding.
 */
#include "caps_layer.h"

#include "out.h"

#define C(x) CAPHEAP_CAP_##x

const bench_caps_mask_t bench_caps_masks[] = {
    {"default", C(DEFAULT)}, {"default_internal", C(DEFAULT) | C(INTERNAL)},
    {"dma", C(DMA)},         {"32bit", C(32BIT)},
    {"exec", C(EXEC)},       {"spiram", C(SPIRAM)},
};
const unsigned bench_caps_mask_count =
    sizeof bench_caps_masks / sizeof bench_caps_masks[0];

capheap_caps_t bench_caps;

static bool streq(const char *a, const char *b) {
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

const bench_caps_mask_t *bench_caps_mask(const char *key) {
    for (unsigned i = 0; i < bench_caps_mask_count; i++)
        if (streq(key, bench_caps_masks[i].key))
            return &bench_caps_masks[i];
    return 0;
}

/* ---- a chip at other addresses ------------------------------------------ */

static capheap_region_desc_t mv_regions[64];
static capheap_reserved_t mv_reserved[32];
static capheap_alias_t mv_aliases[4];
static capheap_chip_t mv_chip;

static uintptr_t mv(uintptr_t a, uintptr_t by) {
    return a ? a + by : 0;
}

const capheap_chip_t *bench_caps_moved(const capheap_chip_t *c, uintptr_t by,
                                       const char *name) {
    if (c->region_count > sizeof mv_regions / sizeof mv_regions[0] ||
        c->reserved_count > sizeof mv_reserved / sizeof mv_reserved[0] ||
        c->alias_count > sizeof mv_aliases / sizeof mv_aliases[0])
        return 0;
    mv_chip = *c;
    mv_chip.name = name;
    for (unsigned i = 0; i < c->region_count; i++) {
        mv_regions[i] = c->regions[i];
        mv_regions[i].start = mv(c->regions[i].start, by);
    }
    for (unsigned i = 0; i < c->reserved_count; i++) {
        mv_reserved[i] = c->reserved[i];
        mv_reserved[i].start = mv(c->reserved[i].start, by);
        mv_reserved[i].end = mv(c->reserved[i].end, by);
    }
    for (unsigned i = 0; i < c->alias_count; i++) {
        mv_aliases[i] = c->aliases[i];
        mv_aliases[i].dram_lo = mv(c->aliases[i].dram_lo, by);
        mv_aliases[i].dram_hi = mv(c->aliases[i].dram_hi, by);
        mv_aliases[i].iram_lo = mv(c->aliases[i].iram_lo, by);
    }
    mv_chip.regions = mv_regions;
    mv_chip.reserved = mv_reserved;
    mv_chip.aliases = mv_aliases;
    mv_chip.dma_lo = mv(c->dma_lo, by);
    mv_chip.dma_hi = mv(c->dma_hi, by);
    mv_chip.app_dram_start = mv(c->app_dram_start, by);
    mv_chip.app_dram_start_bt = mv(c->app_dram_start_bt, by);
    mv_chip.app_iram_start = mv(c->app_iram_start, by);
    return &mv_chip;
}

/* ---- the two layers behind the driver's interface ----------------------- */

static uint32_t cur_caps;
static unsigned cur_tag;

BENCH_DRV static void *bench_drv_caps_alloc(void *ctx, size_t size) {
    return capheap_caps_alloc(ctx, size, cur_caps);
}

BENCH_DRV static void bench_drv_caps_free(void *ctx, void *ptr) {
    capheap_caps_free(ctx, ptr);
}

BENCH_DRV static void *bench_drv_caps_realloc(void *ctx, void *ptr,
                                              size_t size) {
    return capheap_caps_realloc(ctx, ptr, size, cur_caps);
}

BENCH_DRV static void *bench_drv_core_alloc(void *ctx, size_t size) {
    return capheap_heap_alloc(ctx, cur_tag, size);
}

BENCH_DRV static void bench_drv_core_free(void *ctx, void *ptr) {
    capheap_heap_free(ctx, ptr);
}

BENCH_DRV static void *bench_drv_core_realloc(void *ctx, void *ptr,
                                              size_t size) {
    return capheap_heap_realloc(ctx, ptr, size);
}

int bench_caps_open(const char *layer, const bench_caps_mask_t *m,
                    bench_alloc_t *a) {
    capheap_caps_t *ch = &bench_caps;
    if (!capheap_caps_satisfiable(ch, m->caps))
        return -1;
    void *p = capheap_caps_alloc(ch, 64, m->caps);
    if (!p)
        return -1;
    int tag = capheap_caps_block_type(ch, p);
    capheap_caps_free(ch, p);
    if (tag < 0)
        return -1;
    cur_caps = m->caps;
    cur_tag = (unsigned)tag;
    if (streq(layer, "caps")) {
        a->name = "caps";
        a->alloc = bench_drv_caps_alloc;
        a->free = bench_drv_caps_free;
        a->realloc = bench_drv_caps_realloc;
        a->ctx = ch;
    } else {
        a->name = "core";
        a->alloc = bench_drv_core_alloc;
        a->free = bench_drv_core_free;
        a->realloc = bench_drv_core_realloc;
        a->ctx = ch->heap;
        p = capheap_heap_alloc(ch->heap, cur_tag, 64); /* the same warm-up */
        capheap_heap_free(ch->heap, p);
    }
    return 0;
}

unsigned bench_caps_tag(void) {
    return cur_tag;
}

const char *bench_caps_type_name(unsigned tag) {
    return tag < bench_caps.type_count ? bench_caps.types[tag].name : "?";
}

static void kv(const char *key, uint64_t v) {
    out_s(" ");
    out_s(key);
    out_s("=");
    out_u(v);
}

void bench_caps_print_run(const char *cmd, const char *chip, const char *layer,
                          const bench_caps_mask_t *m, unsigned dump,
                          const bench_result_t *r) {
    out_s(cmd);
    out_s(".");
    out_s(chip);
    out_s(".");
    out_s(layer);
    out_s(".");
    out_s(m->key);
    kv("dump", dump);
    kv("tag", cur_tag);
    out_s(" type=");
    out_s(bench_caps_type_name(cur_tag));
    kv("alloc", r->calls[OP_ALLOC]);
    kv("free", r->calls[OP_FREE]);
    kv("realloc", r->calls[OP_REALLOC]);
    kv("fails", r->fails);
    out_s("\n");
    out_flush();
}

/* ---- control structures ------------------------------------------------- */

typedef struct {
    const void *prev_ptr;
    size_t prev_size;
    unsigned prev_region;
    bool have_prev;
    size_t header; /* payload distance - usable size of neighbours */
    bool bad;      /* the header did not come out the same everywhere */
    size_t span[CAPHEAP_CAPS_MAX_REGIONS];  /* block bytes per region */
    size_t control[CAPHEAP_CAPS_MAX_TYPES]; /* control block per type */
    unsigned ctl_count[CAPHEAP_CAPS_MAX_TYPES];
} walk_t;

/* First pass: the header, from consecutive blocks of a region. */
static bool visit(const capheap_block_info_t *b, void *user) {
    walk_t *w = user;
    if (w->have_prev && w->prev_region == b->region) {
        size_t h = (size_t)((const char *)b->ptr - (const char *)w->prev_ptr) -
                   w->prev_size;
        if (w->header && h != w->header)
            w->bad = true;
        w->header = h;
    }
    w->prev_ptr = b->ptr;
    w->prev_size = b->size;
    w->prev_region = b->region;
    w->have_prev = true;
    return true;
}

/* Second pass: block bytes per region, control blocks per type. */
static bool tally(const capheap_block_info_t *b, void *user) {
    walk_t *w = user;
    if (b->region < CAPHEAP_CAPS_MAX_REGIONS)
        w->span[b->region] += b->size + w->header;
    if (b->control && b->tag < CAPHEAP_CAPS_MAX_TYPES) {
        w->control[b->tag] += b->size + w->header;
        w->ctl_count[b->tag]++;
    }
    return true;
}

static void hex(const char *key, uintptr_t v) {
    char s[2 + 2 * sizeof v + 1];
    int n = 0;
    s[n++] = '0';
    s[n++] = 'x';
    int sh = (int)(8 * sizeof v) - 4;
    while (sh > 28 && !((v >> sh) & 15)) /* at least 8 digits */
        sh -= 4;
    for (; sh >= 0; sh -= 4)
        s[n++] = "0123456789abcdef"[(v >> sh) & 15];
    s[n] = 0;
    out_s(" ");
    out_s(key);
    out_s("=");
    out_s(s);
}

static void head(const char *chip, const char *what, unsigned i) {
    out_s("capsmeta.");
    out_s(chip);
    if (what) {
        out_s(".");
        out_s(what);
        out_s(".");
        out_u(i);
    }
}

/*
 * Control bytes of the booted heap: the capability heap object (which
 * embeds the core's heap object), each type's control block (usable size +
 * header, from the walk), and what each region loses besides its blocks:
 * the end marker (region_info's end - the end of its last block) and the
 * alignment padding at both ends (the bytes given to add_region, which the
 * tag's total_bytes sums, - the region as region_info reports it).
 */
int bench_caps_meta(const char *chip) {
    static walk_t w;
    capheap_caps_t *ch = &bench_caps;
    capheap_heap_t *h = ch->heap;
    size_t t_len[CAPHEAP_CAPS_MAX_TYPES] = {0};
    size_t t_mark[CAPHEAP_CAPS_MAX_TYPES] = {0};
    unsigned t_n[CAPHEAP_CAPS_MAX_TYPES] = {0};
    size_t given = 0, len_all = 0, markers = 0, control = 0;
    unsigned types = 0, ctl_blocks = 0;
    capheap_heap_walk(h, visit, &w);
    if (w.bad || !w.header)
        return -1;
    capheap_heap_walk(h, tally, &w);
    unsigned nreg = capheap_heap_region_count(h);
    for (unsigned i = 0; i < nreg && i < CAPHEAP_CAPS_MAX_REGIONS; i++) {
        capheap_region_info_t ri;
        if (capheap_heap_region_info(h, i, &ri) != CAPHEAP_OK ||
            ri.tag >= CAPHEAP_CAPS_MAX_TYPES)
            return -1;
        size_t len = (size_t)((char *)ri.end - (char *)ri.start);
        size_t mark = len - w.span[i];
        head(chip, "region", i);
        out_s(" type=");
        out_s(bench_caps_type_name(ri.tag));
        hex("start", (uintptr_t)ri.start);
        hex("end", (uintptr_t)ri.end);
        kv("bytes", len);
        kv("blocks", w.span[i]);
        kv("end_marker", mark);
        out_s("\n");
        len_all += len;
        markers += mark;
        t_len[ri.tag] += len;
        t_mark[ri.tag] += mark;
        t_n[ri.tag]++;
    }
    for (unsigned t = 0; t < ch->type_count && t < CAPHEAP_CAPS_MAX_TYPES;
         t++) {
        capheap_stats_t s;
        if (!t_n[t] || capheap_heap_tag_stats(h, t, &s) != CAPHEAP_OK)
            continue;
        types++;
        given += s.total_bytes;
        control += w.control[t];
        ctl_blocks += w.ctl_count[t];
        head(chip, "type", t);
        out_s(" name=");
        out_s(ch->types[t].name);
        kv("regions", t_n[t]);
        kv("given", s.total_bytes);
        kv("control", w.control[t]);
        kv("end_markers", t_mark[t]);
        kv("padding", s.total_bytes - t_len[t]);
        kv("free", s.free_bytes);
        out_s("\n");
    }
    capheap_stats_t all;
    capheap_heap_stats(h, &all);
    size_t object = sizeof *ch, padding = given - len_all;
    head(chip, 0, 0);
    kv("word", sizeof(void *));
    kv("align", CAPHEAP_ALIGNMENT);
    kv("header", w.header);
    kv("caps_object", object);
    kv("heap_object", sizeof ch->heap_storage);
    kv("types_table", sizeof ch->types);
    kv("cache", sizeof ch->cache);
    kv("pending", sizeof ch->pending);
    kv("types", types);
    kv("control_blocks", ctl_blocks);
    kv("regions", nreg);
    kv("control", control);
    kv("end_markers", markers);
    kv("padding", padding);
    kv("total", object + control + markers + padding);
    kv("given", given);
    kv("free", all.free_bytes);
    out_s("\n");
    out_flush();
    return 0;
}
