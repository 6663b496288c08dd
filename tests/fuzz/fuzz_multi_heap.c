/*
 * fuzz_multi_heap.c - libFuzzer harness for ESP-IDF's multi_heap API
 * (compat/multi_heap.h).
 *
 * Two heaps registered over neighbouring ranges of one buffer (sizes and
 * the gap from the input, odd starts included), then operations on either:
 * malloc, aligned_alloc, realloc (of NULL, to 0, shrink, grow, impossible
 * sizes), free, aligned_free, get_allocated_size, the statistics, check,
 * walk, the minimum-free window, and bad pointers (the other heap's blocks,
 * interior, misaligned, stale, the heap object at the start of the range,
 * outside both) given to free, realloc and get_allocated_size.
 *
 * A reference model of every live block checks after every operation that
 * blocks are aligned, inside their heap's range, disjoint and keep their
 * contents (realloc: min(old, new) bytes; a failed one leaves the block);
 * that get_info's blocks and allocated bytes equal the model's, free +
 * allocated + header * blocks stays constant, free_size and
 * minimum_free_size agree with it, malloc(largest_free_block) succeeds, the
 * walk lists exactly the model's blocks and multi_heap_check passes; and
 * that a refused call makes one error report of the right kind and changes
 * no byte of the buffer.
 */
#include "fuzz_util.h"
#include "multi_heap.h"

enum { MEM = 64 * 1024, MAXLIVE = 64, MAXSTALE = 8, GUARD = 0x5A };

#define ALIGN ((size_t)CAPHEAP_ALIGNMENT)
#define HDR   (sizeof(uintptr_t) + (size_t)CAPHEAP_BLOCK_PREFIX_BYTES)

typedef struct {
    unsigned char *p;
    size_t usable;
    uint32_t seed;
} blk_t;

typedef struct {
    multi_heap_handle_t h;
    unsigned char *lo, *hi; /* the range given to register */
    blk_t live[MAXLIVE];
    unsigned nlive;
    unsigned char *stale[MAXSTALE];
    unsigned nstale;
    size_t count, bytes, C, minf;
} mh_t;

static _Alignas(64) unsigned char mem[MEM];
static _Alignas(64) unsigned char shadow[MEM];
static mh_t H[2];
static unsigned step;

FZ_QUIET static void unchanged(const char *what, const void *arg) {
    if (memcmp(mem, shadow, MEM) != 0)
        FZ_FAIL("refused %s(%p) changed the buffer", what, arg);
}

FZ_QUIET static int live_at(const mh_t *m, const void *p) {
    for (unsigned i = 0; i < m->nlive; i++) {
        if (m->live[i].p == p)
            return (int)i;
    }
    return -1;
}

static unsigned walk_seen;
static mh_t *walk_heap;

FZ_QUIET static bool walker(void *ptr, size_t size, int used, void *user) {
    (void)user;
    if (!used)
        return true;
    int i = live_at(walk_heap, ptr);
    if (i < 0)
        FZ_FAIL("walk lists a live block %p the model does not have", ptr);
    FZ_EQ(size, walk_heap->live[i].usable);
    walk_seen++;
    return true;
}

FZ_QUIET static void check_heap(mh_t *m, int full) {
    FZ_CHECK(multi_heap_check(m->h, true));
    multi_heap_info_t info;
    multi_heap_get_info(m->h, &info);
    FZ_EQ(info.allocated_blocks, m->count);
    FZ_EQ(info.total_allocated_bytes, m->bytes);
    FZ_EQ(info.total_blocks, info.allocated_blocks + info.free_blocks);
    FZ_EQ(info.total_free_bytes + info.total_allocated_bytes +
              HDR * info.total_blocks,
          m->C);
    FZ_EQ(multi_heap_free_size(m->h), info.total_free_bytes);
    FZ_EQ(multi_heap_minimum_free_size(m->h), info.minimum_free_bytes);
    FZ_CHECK(info.minimum_free_bytes <= info.total_free_bytes);
    FZ_CHECK(info.minimum_free_bytes <= m->minf);
    FZ_CHECK(info.largest_free_block <= info.total_free_bytes);
    m->minf = info.minimum_free_bytes;
    walk_seen = 0;
    walk_heap = m;
    multi_heap_walk(m->h, walker, NULL);
    FZ_EQ(walk_seen, m->nlive);
    if (full) {
        for (unsigned i = 0; i < m->nlive; i++) {
            const blk_t *b = &m->live[i];
            FZ_EQ(fz_verify(b->p, b->usable, b->seed), b->usable);
        }
    }
}

FZ_QUIET static void place(mh_t *m, unsigned char *p, size_t req,
                           size_t align) {
    FZ_EQ((uintptr_t)p % ALIGN, 0);
    if (align)
        FZ_EQ((uintptr_t)p % align, 0);
    size_t u = multi_heap_get_allocated_size(m->h, p);
    FZ_CHECK(u >= req);
    FZ_CHECK(p >= m->lo && p + u <= m->hi);
    for (unsigned k = 0; k < 2; k++) {
        for (unsigned i = 0; i < H[k].nlive; i++) {
            const blk_t *b = &H[k].live[i];
            if (p < b->p + b->usable && b->p < p + u)
                FZ_FAIL("block %p+%zu overlaps live block %p+%zu", (void *)p, u,
                        (void *)b->p, b->usable);
        }
    }
    FZ_CHECK(m->nlive < MAXLIVE);
    blk_t *b = &m->live[m->nlive++];
    *b = (blk_t){p, u, step * 2654435761u ^ (uint32_t)u};
    fz_fill(p, u, b->seed);
    m->count++;
    m->bytes += u;
    for (unsigned i = 0; i < m->nstale; i++) {
        if (m->stale[i] == p)
            m->stale[i] = m->stale[--m->nstale];
    }
}

static void forget(mh_t *m, unsigned i, int stale) {
    m->count--;
    m->bytes -= m->live[i].usable;
    if (stale)
        m->stale[m->nstale < MAXSTALE ? m->nstale++ : step % MAXSTALE] =
            m->live[i].p;
    m->live[i] = m->live[--m->nlive];
}

static size_t pick_size(fz_in_t *in) {
    unsigned k = fz_u8(in);
    if (k < 170)
        return 1 + k % 128;
    return 1 + fz_u16(in) % 16384;
}

static int pick_live(fz_in_t *in, const mh_t *m) {
    return m->nlive ? (int)(fz_u8(in) % m->nlive) : -1;
}

static void op_malloc(fz_in_t *in, mh_t *m, int aligned) {
    size_t n = pick_size(in);
    size_t align = aligned ? (size_t)1 << fz_u8(in) % 12 : 0;
    multi_heap_info_t info;
    multi_heap_get_info(m->h, &info);
    unsigned char *p = aligned ? multi_heap_aligned_alloc(m->h, n, align)
                               : multi_heap_malloc(m->h, n);
    if (!p) {
        if (!aligned && n <= info.largest_free_block)
            FZ_FAIL("malloc(%zu) failed; largest free block %zu", n,
                    info.largest_free_block);
        return;
    }
    place(m, p, n, align);
}

static void op_free(fz_in_t *in, mh_t *m) {
    int i = pick_live(in, m);
    if (i < 0)
        return;
    const blk_t *b = &m->live[i];
    FZ_EQ(fz_verify(b->p, b->usable, b->seed), b->usable);
    unsigned before = fz_errors.count;
    if (fz_u8(in) & 1)
        multi_heap_free(m->h, b->p);
    else {
/* ESP-IDF deprecates it too, but programs still call it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        multi_heap_aligned_free(m->h, b->p);
#pragma GCC diagnostic pop
    }
    FZ_EQ(fz_errors.count, before);
    forget(m, (unsigned)i, 1);
}

static void op_realloc(fz_in_t *in, mh_t *m) {
    unsigned k = fz_u8(in) % 6;
    if (k == 0) { /* of NULL: an allocation */
        size_t n = pick_size(in);
        unsigned char *p = multi_heap_realloc(m->h, NULL, n);
        if (p)
            place(m, p, n, 0);
        return;
    }
    int i = pick_live(in, m);
    if (i < 0)
        return;
    blk_t old = m->live[i];
    FZ_EQ(fz_verify(old.p, old.usable, old.seed), old.usable);
    size_t n = k == 1   ? 0
               : k == 2 ? SIZE_MAX - fz_u8(in)
               : k == 3 ? 1 + fz_u8(in) % old.usable
                        : pick_size(in);
    unsigned before = fz_errors.count;
    if (k == 2)
        memcpy(shadow, mem, MEM);
    unsigned char *p = multi_heap_realloc(m->h, old.p, n);
    FZ_EQ(fz_errors.count, before);
    if (n == 0) {
        FZ_CHECK(p == NULL);
        forget(m, (unsigned)i, 1);
        return;
    }
    if (!p) {
        if (k == 2)
            unchanged("realloc", old.p);
        FZ_EQ(fz_verify(old.p, old.usable, old.seed), old.usable);
        return;
    }
    FZ_CHECK(k != 2);
    size_t keep = old.usable < n ? old.usable : n;
    FZ_EQ(fz_verify(p, keep, old.seed), keep);
    forget(m, (unsigned)i, p != old.p);
    place(m, p, n, 0);
}

/* A pointer that is no live block of @p m; NULL if none now. */
static unsigned char *bad_pointer(fz_in_t *in, mh_t *m, unsigned *cls) {
    mh_t *o = &H[m == &H[0]];
    unsigned v = fz_u16(in);
    *cls = fz_u8(in) % 8;
    switch (*cls) {
    case 0: { /* the other heap's block */
        int i = pick_live(in, o);
        return i < 0 ? NULL : o->live[i].p;
    }
    case 1: { /* interior */
        int i = pick_live(in, m);
        if (i < 0 || m->live[i].usable <= ALIGN)
            return NULL;
        return m->live[i].p +
               ALIGN * (1 + v % ((m->live[i].usable - 1) / ALIGN));
    }
    case 2: { /* misaligned */
        int i = pick_live(in, m);
        return i < 0 ? NULL : m->live[i].p + 1 + v % (ALIGN - 1);
    }
    case 3: /* stale */
        return m->nstale ? m->stale[v % m->nstale] : NULL;
    case 4: /* the heap object and the control block */
        return (unsigned char *)(((uintptr_t)m->lo + ALIGN - 1) &
                                 ~(uintptr_t)(ALIGN - 1)) +
               ALIGN * (v % 24);
    case 5: /* anywhere in the buffer */
        return mem + (ALIGN * v) % MEM;
    case 6: /* just past the range */
        return (unsigned char *)(((uintptr_t)m->hi + ALIGN - 1) &
                                 ~(uintptr_t)(ALIGN - 1)) -
               ALIGN * (v % 3);
    default:
        return shadow + ALIGN * (v % 64);
    }
}

static void op_bad(fz_in_t *in, mh_t *m) {
    unsigned cls;
    unsigned char *q = bad_pointer(in, m, &cls);
    unsigned how = fz_u8(in) % 3;
    if (!q || live_at(m, q) >= 0)
        return;
    FZ_TRACE("  bad pointer %p class %u op %u\n", (void *)q, cls, how);
    memcpy(shadow, mem, MEM);
    unsigned before = fz_errors.count;
    const char *op = "free";
    if (how == 0) {
        multi_heap_free(m->h, q);
    } else if (how == 1) {
        op = "realloc";
        FZ_CHECK(multi_heap_realloc(m->h, q, 1 + fz_u8(in)) == NULL);
    } else {
        op = "usable_size";
        FZ_EQ(multi_heap_get_allocated_size(m->h, q), 0);
    }
    /* Outside the heap's one region a foreign pointer; inside, no block or
     * a double free (free memory, stale blocks). */
    capheap_err_t a = CAPHEAP_ERR_FOREIGN_POINTER, b = a;
    capheap_heap_t *core = (capheap_heap_t *)(void *)m->h;
    if (capheap_heap_contains(core, q)) {
        a = CAPHEAP_ERR_NOT_BLOCK;
        b = CAPHEAP_ERR_DOUBLE_FREE;
    }
    FZ_ONE_ERROR(before, op, q, a, b);
    unchanged(op, q);
}

static void op_stats(fz_in_t *in, mh_t *m) {
    unsigned k = fz_u8(in) % 3;
    if (k == 0) { /* a malloc of the largest free block succeeds */
        multi_heap_info_t info;
        multi_heap_get_info(m->h, &info);
        if (info.largest_free_block && m->nlive < MAXLIVE - 1) {
            unsigned char *p = multi_heap_malloc(m->h, info.largest_free_block);
            if (!p)
                FZ_FAIL("malloc(largest free block %zu) failed",
                        info.largest_free_block);
            place(m, p, info.largest_free_block, 0);
        }
    } else {
        size_t free_now = multi_heap_free_size(m->h);
        size_t old = multi_heap_reset_minimum_free_bytes(m->h);
        FZ_EQ(multi_heap_minimum_free_size(m->h), free_now);
        m->minf = free_now;
        if (k == 2) {
            multi_heap_restore_minimum_free_bytes(m->h, old);
            FZ_EQ(multi_heap_minimum_free_size(m->h),
                  old < free_now ? old : free_now);
            m->minf = old < free_now ? old : free_now;
        }
    }
}

/* Nothing outside the two ranges was written. */
FZ_QUIET static void guards_intact(void) {
    for (size_t i = 0; i < MEM; i++) {
        unsigned char *p = mem + i;
        if ((p < H[0].lo || p >= H[0].hi) && (p < H[1].lo || p >= H[1].hi) &&
            *p != GUARD)
            FZ_FAIL("byte %zu outside both heaps was written", i);
    }
}

static void setup(fz_in_t *in) {
    memset(H, 0, sizeof H);
    memset(mem, GUARD, MEM);
    fz_errors_install();
    step = 0;
    /* register's own refusals */
    FZ_CHECK(multi_heap_register(NULL, 4096) == NULL);
    FZ_CHECK(multi_heap_register(mem, 1 + fz_u8(in) % 32) == NULL);
    FZ_EQ(mem[0], GUARD);
    size_t off = fz_u8(in) % 64;
    for (unsigned k = 0; k < 2; k++) {
        size_t size = 1024 + fz_u16(in) % (MEM / 2 - 1200);
        unsigned gap = fz_u8(in);
        off += gap < 128 ? 0 : gap % 64;
        H[k].lo = mem + off;
        H[k].hi = mem + off + size;
        H[k].h = multi_heap_register(H[k].lo, size);
        FZ_CHECK(H[k].h != NULL);
        multi_heap_info_t info;
        multi_heap_get_info(H[k].h, &info);
        FZ_EQ(info.allocated_blocks, 0);
        H[k].C = info.total_free_bytes + HDR * info.total_blocks;
        H[k].minf = (size_t)-1;
        off += size;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_in_t in = {data, size, 0};
    setup(&in);
    while (fz_more(&in) && step < 4000) {
        step++;
        unsigned op = fz_u8(&in);
        mh_t *m = &H[op >> 7];
        op %= 12;
        /* Every operation that may add a block (3 and 11: realloc of NULL)
         * turns into a free when the model's table is nearly full. */
        if (m->nlive >= MAXLIVE - 1 && (op <= 3 || op == 11))
            op = 4;
        FZ_TRACE("step %u: heap %d op %u\n", step, (int)(m - H), op);
        switch (op) {
        case 0:
        case 1:
            op_malloc(&in, m, 0);
            break;
        case 2:
            op_malloc(&in, m, 1);
            break;
        case 3:
            op_realloc(&in, m);
            break;
        case 4:
        case 5:
        case 6:
            op_free(&in, m);
            break;
        case 7:
        case 8:
            op_bad(&in, m);
            break;
        case 9: {
            int i = pick_live(&in, m);
            if (i >= 0)
                FZ_EQ(multi_heap_get_allocated_size(m->h, m->live[i].p),
                      m->live[i].usable);
            multi_heap_free(m->h, NULL); /* ignored, no report */
            break;
        }
        case 10:
            op_stats(&in, m);
            break;
        default:
            op_realloc(&in, m);
            break;
        }
        check_heap(&H[0], step % 16 == 0);
        check_heap(&H[1], step % 16 == 0);
    }
    for (unsigned k = 0; k < 2; k++) {
        while (H[k].nlive) {
            const blk_t *b = &H[k].live[0];
            FZ_EQ(fz_verify(b->p, b->usable, b->seed), b->usable);
            multi_heap_free(H[k].h, b->p);
            forget(&H[k], 0, 0);
        }
        check_heap(&H[k], 1);
    }
    guards_intact();
    capheap_set_error_hook(NULL, NULL);
    return 0;
}
