/*
 * owners.c - the per-owner accounting table and its queries
 * (CAPHEAP_OWNERS; empty otherwise).
 */
#include "cstring.h"

#include "heap_internal.h"
#include "owners.h"

#if CAPHEAP_OWNERS
_Static_assert(CAPHEAP_OWNER_SLOTS >= 2, "one slot and the others' slot");

/*
 * A slot is in use while its peak is non-zero. A new (owner, tag) takes the
 * first unused slot, else the first whose owner has no live blocks left
 * (its figures are dropped: nothing of it can be freed later), else the
 * last slot, which sums everything else: such a block records
 * CAPHEAP_OWNER_OTHERS as its owner, so its free finds the same slot.
 */
static capheap_owner_stats_t *find(capheap_heap_t *h, uintptr_t owner,
                                   unsigned tag, bool create) {
    capheap_owner_stats_t *tab = heap_owners(h);
    capheap_owner_stats_t *last = &tab[CAPHEAP_OWNER_SLOTS - 1];
    capheap_owner_stats_t *spare = NULL;
    if (owner == CAPHEAP_OWNER_OTHERS)
        return last;
    for (size_t i = 0; i + 1 < CAPHEAP_OWNER_SLOTS; i++) {
        capheap_owner_stats_t *s = &tab[i];
        if (s->peak && s->owner == owner && s->tag == tag)
            return s;
        if (!spare && (!s->peak || !s->blocks))
            spare = s;
    }
    if (create && spare) {
        *spare = (capheap_owner_stats_t){owner, tag, 0, 0, 0};
        return spare;
    }
    last->owner = CAPHEAP_OWNER_OTHERS;
    last->tag = (size_t)-1;
    return last;
}

uintptr_t owners_add(capheap_heap_t *h, uintptr_t owner, unsigned tag,
                     size_t bytes) {
    capheap_owner_stats_t *s = find(h, owner, tag, true);
    s->current += bytes;
    s->blocks++;
    if (s->current > s->peak)
        s->peak = s->current;
    return s->owner;
}

void owners_sub(capheap_heap_t *h, uintptr_t owner, unsigned tag,
                size_t bytes) {
    capheap_owner_stats_t *s = find(h, owner, tag, false);
    s->current -= bytes;
    s->blocks--;
}

void owners_reset(capheap_heap_t *h) {
    memset(heap_owners(h), 0, CAPHEAP_OWNER_TABLE_BYTES);
}

size_t capheap_heap_owners(capheap_heap_t *heap, capheap_owner_stats_t *out,
                           size_t max) {
    size_t n = 0;
    heap_lock(heap);
    const capheap_owner_stats_t *tab = heap_owners(heap);
    for (size_t i = 0; i < CAPHEAP_OWNER_SLOTS; i++) {
        if (tab[i].peak && n++ < max)
            out[n - 1] = tab[i];
    }
    heap_unlock(heap);
    return n;
}

typedef struct {
    uintptr_t owner;
    void **out;
    size_t max, n;
} collect_t;

static bool collect(const capheap_block_info_t *b, void *user) {
    collect_t *c = user;
    if (b->used && !b->control && *owner_word(block_of(b->ptr)) == c->owner &&
        c->n++ < c->max)
        c->out[c->n - 1] = b->ptr;
    return true;
}

size_t capheap_heap_owner_blocks(capheap_heap_t *heap, uintptr_t owner,
                                 void **out, size_t max) {
    collect_t c = {owner, out, max, 0};
    capheap_heap_walk(heap, collect, &c);
    return c.n;
}

typedef struct {
    capheap_heap_t *heap;
    capheap_owner_stats_t *out;
    size_t max, slots;
    bool copied;
    capheap_owned_fn fn;
    void *user;
} owner_walk_t;

/* The table is copied inside the walk, whose lock is already held, so the
 * copy and the blocks are one moment's. */
static void copy_table(owner_walk_t *w) {
    const capheap_owner_stats_t *tab = heap_owners(w->heap);
    for (size_t i = 0; i < CAPHEAP_OWNER_SLOTS; i++) {
        if (tab[i].peak && w->slots++ < w->max)
            w->out[w->slots - 1] = tab[i];
    }
    w->copied = true;
}

static bool visit_owned(const capheap_block_info_t *b, void *user) {
    owner_walk_t *w = user;
    if (!w->copied)
        copy_table(w);
    if (!w->fn || !b->used || b->control)
        return w->fn != NULL;
    const char *blk = block_of(b->ptr);
    capheap_owned_block_t o = {b->ptr, *owner_word(blk),
                               hdr_size(*hdr_at(blk)) - HDR_BYTES, b->tag};
    return w->fn(&o, w->user);
}

size_t capheap_heap_owner_walk(capheap_heap_t *heap, capheap_owner_stats_t *out,
                               size_t max, capheap_owned_fn fn, void *user) {
    owner_walk_t w = {heap, out, max, 0, false, fn, user};
    capheap_heap_walk(heap, visit_owned, &w);
    if (!w.copied) /* no region: no block to visit, the table as it is */
        return capheap_heap_owners(heap, out, max);
    return w.slots;
}
#endif
