/*
 * caps.c - the capability layer: memory types as tags, selection by caps.
 *
 * One tag of the core heap per memory type. A request's mask is adjusted
 * (alignment, EXEC rules), mapped to the ordered list of qualifying types
 * (cached per mask), and each type is tried in turn. Dual-mapped D/IRAM
 * serves EXEC requests through the instruction-bus alias (alias.c).
 */
#include <stdatomic.h>

#include "core/cstring.h"

#include "alias.h"
#include "capheap/caps.h"
#include "layout.h"

/* Shared members (caps.h's CAPHEAP_SHARED): what they order is said where
 * they are used; plain loads and stores on every target. */
#define LOAD(p)     atomic_load_explicit((p), memory_order_relaxed)
#define STORE(p, v) atomic_store_explicit((p), (v), memory_order_relaxed)
#ifdef CAPHEAP_PORT_NONE /* one thread: there is no order to keep */
#define ACQUIRE memory_order_relaxed
#define RELEASE memory_order_relaxed
#else
#define ACQUIRE memory_order_acquire
#define RELEASE memory_order_release
#endif

/* Types counted here are complete (add_region publishes the count last). */
static inline unsigned type_count(const capheap_caps_t *ch) {
    return atomic_load_explicit(&ch->type_count, ACQUIRE);
}

/* ---- the selection cache ----------------------------------------------- */

static inline capheap_caps_slot_t *slot_of(capheap_caps_t *ch,
                                           uint32_t request) {
    return &ch->cache[(request * 0x9E3779B1u) >> 28 & (CAPHEAP_CAPS_CACHE - 1)];
}

/* Lock held. The counter is odd while the slot changes, and moves by two,
 * so a fast path that saw it before and after knows whether it changed. */
CAPHEAP_NOINLINE static void publish(capheap_caps_slot_t *s,
                                     const capheap_caps_choice_t *c) {
    uint32_t seq = LOAD(&s->seq);
    STORE(&s->seq, seq + 1);
    atomic_thread_fence(RELEASE);
    STORE(&s->request, c->request);
    STORE(&s->meta, (uint32_t)c->count | (uint32_t)c->flags << 8);
    s->choice = *c;
    atomic_store_explicit(&s->seq, seq + 2, RELEASE);
}

/* Types, regions or reserves changed: forget every worked-out request. An
 * all-zero slot is the true answer for mask 0 (nothing qualifies). Takes the
 * lock, so that no choice worked out before the change is published after
 * it (fill runs under the lock too). */
static void invalidate(capheap_caps_t *ch) {
    capheap_caps_choice_t none; /* the answer for mask 0 */
    memset(&none, 0, sizeof none);
    capheap_heap_lock(ch->heap);
    for (unsigned i = 0; i < CAPHEAP_CAPS_CACHE; i++)
        publish(&ch->cache[i], &none);
    capheap_heap_unlock(ch->heap);
}

/* ---- set-up ------------------------------------------------------------ */

static capheap_err_t add_piece(capheap_caps_t *ch, const capheap_avail_t *a) {
    capheap_err_t err = capheap_heap_add_region(
        ch->heap, (void *)a->start, (size_t)(a->end - a->start), a->type);
    /* A sliver too small for a block is not worth a heap. */
    return err == CAPHEAP_ERR_TOO_SMALL ? CAPHEAP_OK : err;
}

/* A fresh slot: the structure was zeroed by init, so no reserve. */
static void set_type(capheap_caps_type_t *t, const char *name,
                     const uint32_t caps[CAPHEAP_PRIOS]) {
    t->name = name;
    memcpy(t->caps, caps, sizeof t->caps);
    t->all = caps[0] | caps[1] | caps[2];
}

/* Type @p t has a region at data-bus address @p start: if it is dual-mapped
 * D/IRAM, EXEC requests to the type go through the alias. One configuring
 * thread (caps.h), so no read-modify-write is needed. */
static void note_alias(capheap_caps_t *ch, unsigned t, uintptr_t start) {
    if (capheap_alias_window(ch->chip, start, false))
        STORE(&ch->alias_types, LOAD(&ch->alias_types) | 1u << t);
}

static inline bool is_alias(capheap_caps_t *ch, unsigned t) {
    return LOAD(&ch->alias_types) >> t & 1;
}

capheap_err_t capheap_caps_init(capheap_caps_t *ch, const capheap_chip_t *chip,
                                const capheap_chip_options_t *opts,
                                const capheap_caps_reservation_t *extra,
                                size_t extra_count) {
    capheap_chip_options_t no_opts = {0, 0, 0, 0, 0};
    /* Hardware alignments are powers of two (the alias path masks). */
    if (!ch || !chip || chip->type_count > CAPHEAP_CAPS_MAX_TYPES ||
        (extra_count && !extra) || extra_count > CAPHEAP_CAPS_MAX_RESERVED ||
        (chip->cache_line & (chip->cache_line - 1)) ||
        (chip->simd_align & (chip->simd_align - 1)))
        return CAPHEAP_ERR_INVALID_ARG;
    if (!opts)
        opts = &no_opts;
    memset(ch, 0, sizeof *ch);
    ch->chip = chip;
    ch->heap =
        capheap_heap_init(ch->heap_storage, sizeof ch->heap_storage,
                          CAPHEAP_CAPS_MAX_REGIONS, CAPHEAP_CAPS_MAX_TYPES);
    if (!ch->heap)
        return CAPHEAP_ERR_INVALID_ARG;
    uintptr_t lo = 0, hi = 0; /* no window: an empty span */
    for (unsigned i = 0; i < chip->alias_count; i++) {
        const capheap_alias_t *w = &chip->aliases[i];
        uintptr_t end = w->iram_lo + (w->dram_hi - w->dram_lo);
        lo = !i || w->iram_lo < lo ? w->iram_lo : lo;
        hi = end > hi ? end : hi;
    }
    ch->iram_lo = lo;
    ch->iram_span = hi - lo;
    ch->max_alloc = chip->max_alloc;
    for (unsigned i = 0; i < chip->type_count; i++)
        set_type(&ch->types[i], chip->types[i].name, chip->types[i].caps);
    STORE(&ch->type_count, chip->type_count);

    capheap_avail_t av[CAPHEAP_CAPS_MAX_REGIONS];
    size_t n = 0;
    capheap_err_t err = capheap_layout_build(
        chip, opts, extra, extra_count, av, CAPHEAP_CAPS_MAX_REGIONS, &n, NULL);
    if (err)
        return err;
    /* Largest first (the first of equals: address order): each type's
     * control block lands in its largest region at once instead of moving
     * there later. Picked in place, no piece moved; a piece taken is
     * emptied (the layout keeps none under CAPHEAP_LAYOUT_MIN_PIECE). */
    for (size_t k = 0; k < n && !err; k++) {
        size_t b = 0, most = 0;
        for (size_t i = 0; i < n; i++) {
            if (av[i].end - av[i].start > most) {
                most = av[i].end - av[i].start;
                b = i;
            }
        }
        capheap_avail_t *a = &av[b];
        note_alias(ch, a->type, a->start);
        if (!a->startup_stack) {
            err = add_piece(ch, a);
        } else if (ch->pending_count <
                   sizeof ch->pending / sizeof ch->pending[0]) {
            ch->pending[ch->pending_count++] =
                (capheap_caps_pending_t){a->start, a->end, a->type};
        } else {
            err = CAPHEAP_ERR_NO_SLOT;
        }
        a->end = a->start;
    }
    /* The cache needs no invalidate(): memset left every slot all-zero,
     * invalidate()'s answer for mask 0, and nothing chose meanwhile. */
    return err;
}

void capheap_caps_enable_nonos_stack_heaps(capheap_caps_t *ch) {
    for (unsigned i = 0; i < ch->pending_count; i++) {
        capheap_avail_t a = {ch->pending[i].start, ch->pending[i].end,
                             ch->pending[i].type, true};
        (void)add_piece(ch, &a);
    }
    ch->pending_count = 0;
    ch->started = true;
    invalidate(ch);
}

/* ESP-IDF's rule: a new heap may lie beside or inside an existing one, but
 * may not straddle its start or end, nor equal it (a region added twice);
 * a heap is the range it was registered with. */
bool capheap_caps_add_region_allowed(uintptr_t heap_start, uintptr_t heap_end,
                                     uintptr_t start, uintptr_t end) {
    bool straddles_start = start < heap_start && heap_start < end;
    bool straddles_end = start < heap_end && heap_end < end;
    bool same = start == heap_start && end == heap_end;
    return !(straddles_start || straddles_end || same);
}

static capheap_err_t check_heap_overlap(capheap_caps_t *ch, uintptr_t start,
                                        uintptr_t end) {
    for (unsigned i = 0; i < capheap_heap_region_count(ch->heap); i++) {
        capheap_region_info_t r;
        capheap_heap_region_info(ch->heap, i, &r);
        if (!capheap_caps_add_region_allowed((uintptr_t)r.registered_start,
                                             (uintptr_t)r.registered_end, start,
                                             end))
            return CAPHEAP_ERR_OVERLAP;
    }
    return CAPHEAP_OK;
}

static int find_type(const capheap_caps_t *ch,
                     const uint32_t caps[CAPHEAP_PRIOS]) {
    for (unsigned t = 0, n = type_count(ch); t < n; t++) {
        if (ch->types[t].caps[0] == caps[0] &&
            ch->types[t].caps[1] == caps[1] && ch->types[t].caps[2] == caps[2])
            return (int)t;
    }
    return -1;
}

capheap_err_t
capheap_caps_add_region_with_caps(capheap_caps_t *ch,
                                  const uint32_t caps[CAPHEAP_PRIOS],
                                  uintptr_t start, uintptr_t end) {
    if (!ch || !caps || start == 0 || end <= start)
        return CAPHEAP_ERR_INVALID_ARG;
    capheap_err_t err = check_heap_overlap(ch, start, end);
    if (err)
        return err;
    int t = find_type(ch, caps);
    bool fresh = t < 0;
    if (fresh) {
        if (LOAD(&ch->type_count) == CAPHEAP_CAPS_MAX_TYPES)
            return CAPHEAP_ERR_NO_SLOT;
        t = LOAD(&ch->type_count);
        set_type(&ch->types[t], "added", caps);
    }
    capheap_stats_t before;
    capheap_heap_tag_stats(ch->heap, (unsigned)t, &before);
    err = capheap_heap_add_region(ch->heap, (void *)start, end - start,
                                  (unsigned)t);
    if (err)
        return err;
    /* Counted only now that the type is complete: readers load the count
     * with acquire and then read the type without a lock. */
    if (fresh)
        atomic_store_explicit(&ch->type_count, (uint8_t)(t + 1), RELEASE);
    note_alias(ch, (unsigned)t, start);
    /* After start-up a new heap must not raise the minimum-free figures. */
    if (ch->started)
        capheap_heap_restore_min_free(ch->heap, (unsigned)t,
                                      fresh ? 0 : before.minimum_free_bytes);
    invalidate(ch);
    return CAPHEAP_OK;
}

capheap_err_t capheap_caps_add_region(capheap_caps_t *ch, uintptr_t start,
                                      uintptr_t end) {
    if (!ch || start == 0)
        return CAPHEAP_ERR_INVALID_ARG;
    const capheap_chip_t *chip = ch->chip;
    for (unsigned i = 0; i < chip->region_count; i++) {
        const capheap_region_desc_t *d = &chip->regions[i];
        if (start >= d->start && start < d->start + d->size)
            return capheap_caps_add_region_with_caps(
                ch, chip->types[d->type].caps, start, end);
    }
    return CAPHEAP_ERR_FOREIGN_POINTER;
}

static bool same_name(const char *a, const char *b) {
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

/* What a type keeping @p keep bytes may give: its free bytes beyond them. */
static size_t room(capheap_heap_t *heap, unsigned t, size_t keep) {
    size_t free_bytes = capheap_heap_free_bytes(heap, t);
    return free_bytes >= keep ? free_bytes - keep : 0;
}

capheap_err_t capheap_caps_set_reserve(capheap_caps_t *ch,
                                       const char *type_name, size_t bytes) {
    for (unsigned t = 0, n = ch ? type_count(ch) : 0; type_name && t < n; t++) {
        if (same_name(ch->types[t].name, type_name)) {
            /* Under the lock, with the policy first: a choice that sees the
             * reserve (worked out under the lock) sees the policy too. */
            capheap_heap_lock(ch->heap);
            STORE(&ch->room, room);
            STORE(&ch->types[t].reserve, bytes);
            capheap_heap_unlock(ch->heap);
            invalidate(ch);
            return CAPHEAP_OK;
        }
    }
    return CAPHEAP_ERR_INVALID_ARG;
}

#if CAPHEAP_HOOKS
void capheap_caps_set_observer(capheap_caps_t *ch,
                               const capheap_caps_observer_t *observer) {
    static const capheap_caps_observer_t none = {NULL, NULL, NULL, NULL};
    ch->observer = observer ? *observer : none;
}

/* A block came to life; @p p is NULL when the request failed. */
static inline void *observe_alloc(capheap_caps_t *ch, void *p, size_t size,
                                  uint32_t caps, const void *caller) {
    if (p && ch->observer.alloc)
        ch->observer.alloc(ch->observer.user, p, size, caps, caller);
    return p;
}

static inline void observe_realloc(capheap_caps_t *ch, void *old, void *p,
                                   size_t size, uint32_t caps,
                                   const void *caller) {
    if (ch->observer.realloc)
        ch->observer.realloc(ch->observer.user, old, p, size, caps, caller);
}
#else
/* No observers: the caller is dropped here, so it compiles away. */
static inline void *observe_alloc(capheap_caps_t *ch, void *p, size_t size,
                                  uint32_t caps, const void *caller) {
    (void)ch;
    (void)size;
    (void)caps;
    (void)caller;
    return p;
}

static inline void observe_realloc(capheap_caps_t *ch, void *old, void *p,
                                   size_t size, uint32_t caps,
                                   const void *caller) {
    (void)ch;
    (void)old;
    (void)p;
    (void)size;
    (void)caps;
    (void)caller;
}
#endif

/* ---- selection --------------------------------------------------------- */

/* 32BIT's rounding of the size to words needs no flag: a block's usable
 * size is a multiple of the word already. Nor does a hardware alignment of
 * at most a word, for the same reason. Poisoning changes that: the usable
 * size is then the size asked for. */
#define ROUNDED_BY_CORE (CAPHEAP_POISONING ? 1 : sizeof(void *))
enum {
    NEEDS_EXEC = 2,    /* EXEC: D/IRAM serves it through its alias */
    NEEDS_RESERVE = 4, /* a candidate keeps a reserve from this request */
    NEEDS_ALIGN = 8,   /* DMA, SIMD: aligned and rounded to the hardware */
};

bool capheap_caps_satisfiable(const capheap_caps_t *ch, uint32_t caps) {
    for (unsigned t = 0, n = type_count(ch); t < n; t++) {
        if ((ch->types[t].all & caps) == caps)
            return true;
    }
    return false;
}

/* ESP-IDF's adjustments of a request: alignment for DMA and SIMD, DMA
 * descriptors, EXEC rules. Returns the hardware alignment, or 0 if no
 * memory can satisfy the request. */
static size_t adjust(const capheap_chip_t *chip, uint32_t *caps) {
    uint32_t c = *caps;
    size_t hw = 1;
    if (c & (CAPHEAP_CAP_DMA | CAPHEAP_CAP_DMA_DESC_AHB |
             CAPHEAP_CAP_DMA_DESC_AXI | CAPHEAP_CAP_CACHE_ALIGNED))
        hw = chip->cache_line;
    if ((c & CAPHEAP_CAP_SIMD) && chip->simd_align > hw)
        hw = chip->simd_align;
    if (c & (CAPHEAP_CAP_DMA_DESC_AHB | CAPHEAP_CAP_DMA_DESC_AXI))
        c = (c & ~(CAPHEAP_CAP_DMA_DESC_AHB | CAPHEAP_CAP_DMA_DESC_AXI)) |
            CAPHEAP_CAP_DMA;
    if ((c & CAPHEAP_CAP_DMA) && (c & CAPHEAP_CAP_SPIRAM))
        c &= ~CAPHEAP_CAP_DMA;
    c &= ~CAPHEAP_CAP_CACHE_ALIGNED;
    if (c & CAPHEAP_CAP_EXEC) {
        if (c & (CAPHEAP_CAP_8BIT | CAPHEAP_CAP_DMA))
            return 0;
        c |= CAPHEAP_CAP_32BIT;
    }
    *caps = c;
    return hw ? hw : 1;
}

/* Work out a request once: its adjusted mask, and the types that qualify in
 * ESP-IDF's order (priority level first, then type order; each type once,
 * since a later level adds nothing). */
static void fill(capheap_caps_t *ch, capheap_caps_choice_t *c,
                 uint32_t request) {
    uint32_t caps = request, seen = 0;
    size_t hw = adjust(ch->chip, &caps);
    unsigned kinds = 0; /* bit 0: a candidate without a reserve, 1: with */
    unsigned n = type_count(ch);
    c->count = 0;
    for (int p = 0; hw && p < CAPHEAP_PRIOS; p++) {
        for (unsigned t = 0; t < n; t++) {
            const capheap_caps_type_t *ty = &ch->types[t];
            if ((ty->caps[p] & caps) && (ty->all & caps) == caps &&
                !(seen & (1u << t))) {
                seen |= 1u << t;
                c->tags[c->count++] = (uint8_t)t;
                kinds |= 1u << (LOAD(&ty->reserve) != 0);
            }
        }
    }
    c->request = request;
    c->caps = caps;
    c->align = (uint16_t)hw; /* 0: unsatisfiable, no candidate to align */
    /* With poisoning a block holds exactly the bytes asked for, its tail
     * canary right after them: word-only memory and DMA must ask for whole
     * words (or lines) themselves, as ESP-IDF does. */
    if (CAPHEAP_POISONING && (caps & CAPHEAP_CAP_32BIT) && c->align < 4)
        c->align = 4;
    c->flags = (uint8_t)(((caps & CAPHEAP_CAP_EXEC) ? NEEDS_EXEC : 0) |
                         (kinds == 3 ? NEEDS_RESERVE : 0) |
                         (c->align > ROUNDED_BY_CORE ? NEEDS_ALIGN : 0));
}

/* The choice for @p request, in @p c: from the cache, else worked out and
 * published, all under the lock (so that no choice made before a change of
 * types or reserves is published after invalidate()). The caller's copy
 * stays right whatever other threads do: types are never removed, and a
 * choice made before add_region or set_reserve is one the call could have
 * got before them. */
static void choose(capheap_caps_t *ch, uint32_t request,
                   capheap_caps_choice_t *c) {
    capheap_caps_slot_t *s = slot_of(ch, request);
    capheap_heap_lock(ch->heap);
    if (s->choice.request == request) {
        *c = s->choice;
    } else {
        fill(ch, c, request);
        publish(s, c);
    }
    capheap_heap_unlock(ch->heap);
}

/* What type @p t may give a request with NEEDS_RESERVE: its reserve is
 * kept from requests that a type without a reserve could also serve. Such
 * a choice was made under the lock after set_reserve() installed room. */
static size_t reserve_room(capheap_caps_t *ch, unsigned t) {
    /* The policy first: stored before any reserve, so a reserve seen
     * without it is one set after this request's choice; the request may
     * take the answer from before it. */
    capheap_caps_room_fn fn = LOAD(&ch->room);
    size_t keep = LOAD(&ch->types[t].reserve);
    return fn && keep ? fn(ch->heap, t, keep) : SIZE_MAX;
}

/* Everything but the plain case: alignment, rounding, EXEC, reserves. */
static void *alloc_full(capheap_caps_t *ch, const capheap_caps_choice_t *c,
                        size_t alignment, size_t size) {
    if (c->align > 1) { /* the buffer must not share a cache line */
        if (c->align > alignment)
            alignment = c->align;
        if (size > SIZE_MAX - c->align)
            return NULL;
        size = (size + c->align - 1) & ~(size_t)(c->align - 1);
    }
    if (size > ch->max_alloc)
        return NULL;
    for (unsigned i = 0; i < c->count; i++) {
        unsigned t = c->tags[i];
        void *p;
        if ((c->flags & NEEDS_RESERVE) && size > reserve_room(ch, t))
            continue;
        if ((c->flags & NEEDS_EXEC) && is_alias(ch, t))
            p = capheap_alias_alloc_exec(ch, t, alignment, size);
        else if (alignment > CAPHEAP_ALIGNMENT)
            p = capheap_heap_aligned_alloc(ch->heap, t, alignment, size);
        else
            p = capheap_heap_alloc(ch->heap, t, size);
        if (p)
            return p;
    }
    return NULL;
}

/* Everything capheap_caps_alloc() does not do inline. */
CAPHEAP_NOINLINE static void *alloc_slow(capheap_caps_t *ch, size_t size,
                                         uint32_t caps) {
    capheap_caps_choice_t c;
    if (size - 1 >= ch->max_alloc) /* 0 wraps */
        return NULL;
    choose(ch, caps, &c);
    return alloc_full(ch, &c, 1, size);
}

#ifndef CAPHEAP_PORT_NONE
/* The slot changed while the fast path allocated: its block may be of
 * another request's types. Done again on the locked path. */
CAPHEAP_NOINLINE static void *alloc_raced(capheap_caps_t *ch, void *p,
                                          size_t size, uint32_t caps) {
    if (p)
        capheap_heap_free(ch->heap, p);
    return alloc_slow(ch, size, caps);
}
#endif

/* Hot path: a cached plain request is one core call. */
static inline void *alloc_fast(capheap_caps_t *ch, size_t size, uint32_t caps) {
    capheap_caps_slot_t *s = slot_of(ch, caps);
#ifndef CAPHEAP_PORT_NONE
    uint32_t seq = atomic_load_explicit(&s->seq, ACQUIRE);
#endif
    uint32_t meta = LOAD(&s->meta);
    if (LOAD(&s->request) != caps || (meta & 0xff00) ||
        size - 1 >= ch->max_alloc)
        return alloc_slow(ch, size, caps);
    /* The core reads the tags under the lock, where they cannot change;
     * whether they still belong to this request shows in the counter. */
    void *p =
        capheap_heap_alloc_from(ch->heap, s->choice.tags, meta & 0xff, size);
#ifndef CAPHEAP_PORT_NONE /* one thread: nothing changed the slot */
    atomic_thread_fence(ACQUIRE);
    if (LOAD(&s->seq) != seq)
        return alloc_raced(ch, p, size, caps);
#endif
    return p;
}

/* Each entry point below is an implementation that takes the caller, the
 * public function (its own return address as the caller) and the _by
 * variant (the caller given). Without hooks the caller is never used, and
 * the two are the same code. */

static inline void *alloc_impl(capheap_caps_t *ch, size_t size, uint32_t caps,
                               const void *caller) {
    return observe_alloc(ch, alloc_fast(ch, size, caps), size, caps, caller);
}

void *capheap_caps_alloc(capheap_caps_t *ch, size_t size, uint32_t caps) {
    return alloc_impl(ch, size, caps, CAPHEAP_CALLER);
}

void *capheap_caps_alloc_by(capheap_caps_t *ch, size_t size, uint32_t caps,
                            const void *caller) {
    return alloc_impl(ch, size, caps, caller);
}

static void *aligned_alloc_impl(capheap_caps_t *ch, size_t alignment,
                                size_t size, uint32_t caps,
                                const void *caller) {
    capheap_caps_choice_t c;
    if (alignment == 0 || (alignment & (alignment - 1)) != 0 ||
        size - 1 >= ch->max_alloc)
        return NULL;
    choose(ch, caps, &c);
    return observe_alloc(ch, alloc_full(ch, &c, alignment, size), size, caps,
                         caller);
}

void *capheap_caps_aligned_alloc(capheap_caps_t *ch, size_t alignment,
                                 size_t size, uint32_t caps) {
    return aligned_alloc_impl(ch, alignment, size, caps, CAPHEAP_CALLER);
}

void *capheap_caps_aligned_alloc_by(capheap_caps_t *ch, size_t alignment,
                                    size_t size, uint32_t caps,
                                    const void *caller) {
    return aligned_alloc_impl(ch, alignment, size, caps, caller);
}

/* Whether @p p may be an instruction-bus alias pointer. */
static inline bool maybe_alias(const capheap_caps_t *ch, const void *p) {
    return (uintptr_t)p - ch->iram_lo < ch->iram_span &&
           capheap_alias_window(ch->chip, (uintptr_t)p, true);
}

/* ---- free, realloc, sizes ---------------------------------------------- */

/* Out of line: the hot free is the range test and the core call. */
CAPHEAP_NOINLINE static void free_alias(capheap_caps_t *ch, void *ptr) {
    if (capheap_alias_window(ch->chip, (uintptr_t)ptr, true))
        ptr = capheap_alias_block(ch, ptr, "free");
    if (ptr)
        capheap_heap_free(ch->heap, ptr);
}

/* The free that tells no observer, which realloc uses. A pointer in an
 * instruction-bus window is an EXEC block's (or no block, said by the
 * lookup); the core validates every other. */
static inline void release(capheap_caps_t *ch, void *ptr) {
    if ((uintptr_t)ptr - ch->iram_lo < ch->iram_span)
        free_alias(ch, ptr);
    else
        capheap_heap_free(ch->heap, ptr);
}

#if CAPHEAP_HOOKS
/* Whether @p ptr is a live block, so that its free can happen. Reports
 * nothing; the free itself will. (Poisoning may still refuse the free of a
 * live block whose canaries are damaged: it reports that loudly.) */
static bool will_free(capheap_caps_t *ch, void *ptr) {
    if (maybe_alias(ch, ptr))
        return capheap_alias_live(ch, ptr);
    return capheap_heap_live_size(ch->heap, ptr) != 0;
}

/* Told before the release, so that no other thread can be handed the same
 * address first, and only of a free that will happen: a double free or a
 * bad pointer is refused, and is no free to a trace. */
static inline void observe_free(capheap_caps_t *ch, void *ptr,
                                const void *caller) {
    if (ptr && ch->observer.free && will_free(ch, ptr))
        ch->observer.free(ch->observer.user, ptr, caller);
}
#else
static inline void observe_free(capheap_caps_t *ch, void *ptr,
                                const void *caller) {
    (void)ch;
    (void)ptr;
    (void)caller;
}
#endif

static inline void free_impl(capheap_caps_t *ch, void *ptr,
                             const void *caller) {
    observe_free(ch, ptr, caller);
    release(ch, ptr);
}

void capheap_caps_free(capheap_caps_t *ch, void *ptr) {
    free_impl(ch, ptr, CAPHEAP_CALLER);
}

void capheap_caps_free_by(capheap_caps_t *ch, void *ptr, const void *caller) {
    free_impl(ch, ptr, caller);
}

size_t capheap_caps_usable_size(capheap_caps_t *ch, const void *ptr) {
    if (maybe_alias(ch, ptr))
        return capheap_alias_usable(ch, ptr);
    return capheap_heap_usable_size(ch->heap, ptr);
}

int capheap_caps_block_type(capheap_caps_t *ch, const void *ptr) {
    if (!ptr) /* no block, not a bad pointer: no report (see caps.h) */
        return -1;
    if (maybe_alias(ch, ptr)) {
        ptr = capheap_alias_block(ch, ptr, "block_type");
        if (!ptr)
            return -1;
    }
    return capheap_heap_block_tag(ch->heap, ptr);
}

static void *realloc_impl(capheap_caps_t *ch, void *ptr, size_t size,
                          uint32_t caps, const void *caller) {
    /* Calls, not the inline bodies: realloc is not the hot path. */
    if (!ptr)
        return capheap_caps_alloc_by(ch, size, caps, caller);
    if (size == 0) {
        capheap_caps_free_by(ch, ptr, caller);
        return NULL;
    }
    bool alias = maybe_alias(ch, ptr);
    int t = capheap_caps_block_type(ch, ptr);
    capheap_caps_choice_t choice;
    const capheap_caps_choice_t *c = &choice;
    choose(ch, caps, &choice);
    if (t < 0 || c->count == 0 || size > ch->max_alloc)
        return NULL;
    /* In place when the block's own type has every capability asked for
     * and the request needs nothing special. */
    if (!alias && !(c->flags & NEEDS_ALIGN) &&
        (ch->types[t].all & c->caps) == c->caps &&
        !((c->flags & NEEDS_EXEC) && is_alias(ch, (unsigned)t))) {
        void *p = capheap_heap_realloc(ch->heap, ptr, size);
        if (p) {
            observe_realloc(ch, ptr, p, size, caps, caller);
            return p;
        }
    }
    void *q = alloc_full(ch, c, 1, size);
    if (!q)
        return NULL;
    size_t old = capheap_caps_usable_size(ch, ptr);
    capheap_alias_copy(ch, q, ptr, old < size ? old : size);
    /* Told before the old block goes, as a free is. */
    observe_realloc(ch, ptr, q, size, caps, caller);
    release(ch, ptr);
    return q;
}

void *capheap_caps_realloc(capheap_caps_t *ch, void *ptr, size_t size,
                           uint32_t caps) {
    return realloc_impl(ch, ptr, size, caps, CAPHEAP_CALLER);
}

void *capheap_caps_realloc_by(capheap_caps_t *ch, void *ptr, size_t size,
                              uint32_t caps, const void *caller) {
    return realloc_impl(ch, ptr, size, caps, caller);
}

/* ---- statistics -------------------------------------------------------- */

size_t capheap_caps_total_size(capheap_caps_t *ch, uint32_t caps) {
    capheap_stats_t s;
    capheap_caps_stats(ch, caps, &s);
    return s.total_bytes;
}

/* What an allocation with @p c is guaranteed to get from type @p t: the
 * type's largest free block less what the request costs on top of its size
 * (the alias word, the alignment's slack), within the reserve the type
 * keeps from this request and the chip's size limit. */
static size_t largest_for(capheap_caps_t *ch, const capheap_caps_choice_t *c,
                          unsigned t) {
    bool exec = (c->flags & NEEDS_EXEC) && is_alias(ch, t);
    /* EXEC through the alias: a plain block, the offset word, then room to
     * align; else the core aligns (up to its own alignment for nothing). */
    size_t cost = exec ? (c->align > 4 ? c->align : 4) : 0;
    size_t n = capheap_heap_largest_free_aligned(
        ch->heap, t, !exec && (c->flags & NEEDS_ALIGN) ? c->align : 1);
    size_t limit = ch->max_alloc;
    if (c->flags & NEEDS_RESERVE) { /* as alloc_full() */
        size_t r = reserve_room(ch, t);
        limit = r < limit ? r : limit;
    }
    n = n > cost ? n - cost : 0;
    n = n < limit ? n : limit;
    /* Rounded down last: a request is rounded up to the hardware's
     * alignment (EXEC: to words) before it is measured against any of the
     * limits above. */
    return n & ~((exec ? cost : c->align) - 1);
}

void capheap_caps_stats(capheap_caps_t *ch, uint32_t caps,
                        capheap_stats_t *out) {
    /* Every figure is a size_t: summed word by word. */
    enum { WORDS = sizeof(capheap_stats_t) / sizeof(size_t) };
    CAPHEAP_STATIC_ASSERT(WORDS == 8, "capheap_stats_t: eight size_t");
    union {
        capheap_stats_t s;
        size_t w[WORDS];
    } sum, one;
    capheap_caps_choice_t c;
    size_t largest = 0;
    choose(ch, caps, &c);
    memset(&sum, 0, sizeof sum);
    /* The figures are ESP-IDF's: every type that has all of @p caps (mask
     * 0: all memory), whether or not a request by @p caps may use it. */
    for (unsigned t = 0, n = type_count(ch); t < n; t++) {
        if ((ch->types[t].all & caps) != caps)
            continue;
        capheap_heap_tag_stats(ch->heap, t, &one.s);
        for (unsigned k = 0; k < WORDS; k++)
            sum.w[k] += one.w[k];
        /* A mask no allocation is served by (0, EXEC with 8BIT or DMA)
         * promises nothing: its largest block is ESP-IDF's figure. */
        if (!c.count && one.s.largest_free_block > largest)
            largest = one.s.largest_free_block;
    }
    /* Otherwise it is a promise: over the types an allocation by @p caps
     * tries, what the request is sure to get there. */
    for (unsigned i = 0; i < c.count; i++) {
        size_t n = largest_for(ch, &c, c.tags[i]);
        if (n > largest)
            largest = n;
    }
    sum.s.largest_free_block = largest;
    *out = sum.s;
}
