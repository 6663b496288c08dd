#define _POSIX_C_SOURCE 200809L
/*
 * test_multi_heap.c - ESP-IDF's multi_heap API over the core: the behaviours
 * of ESP-IDF's host tests (adapted to capheap's sizes), then every function
 * and edge case.
 */
#include "test_support.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "multi_heap.h"

#define STORAGE CAPHEAP_HEAP_STORAGE_SIZE(1, 1)
#define A       ((size_t)CAPHEAP_ALIGNMENT)
#define HDR     (sizeof(uintptr_t) + (size_t)CAPHEAP_BLOCK_PREFIX_BYTES)

/* ---- helpers -------------------------------------------------------- */

typedef struct {
    char *arena;
    size_t size;
    multi_heap_handle_t h;
} heap_t;

static heap_t make(size_t size) {
    heap_t t;
    t.arena = ts_arena(size);
    memset(t.arena, 0xEE, size); /* defined bytes for the pointer checks */
    t.size = size;
    t.h = multi_heap_register(t.arena, size);
    assert_non_null(t.h);
    return t;
}

static void drop(heap_t *t) {
    ts_arena_free(t->arena);
}

/* The handle is the core heap object, so the core's check can name the
 * violation; multi_heap_check() must agree with it. */
#define HEAP_OK(h)                                                             \
    do {                                                                       \
        ts_assert_heap_ok((capheap_heap_t *)(void *)(h));                      \
        assert_true(multi_heap_check((h), true));                              \
    } while (0)

static multi_heap_info_t info_of(multi_heap_handle_t h) {
    multi_heap_info_t i;
    memset(&i, 0x5A, sizeof i); /* every field must be written */
    multi_heap_get_info(h, &i);
    return i;
}

static void assert_info_equal(const multi_heap_info_t *a,
                              const multi_heap_info_t *b) {
    assert_int_equal(a->total_free_bytes, b->total_free_bytes);
    assert_int_equal(a->total_allocated_bytes, b->total_allocated_bytes);
    assert_int_equal(a->largest_free_block, b->largest_free_block);
    assert_int_equal(a->minimum_free_bytes, b->minimum_free_bytes);
    assert_int_equal(a->allocated_blocks, b->allocated_blocks);
    assert_int_equal(a->free_blocks, b->free_blocks);
    assert_int_equal(a->total_blocks, b->total_blocks);
}

static int inside(const heap_t *t, const void *p, size_t n) {
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)t->arena;
    return a >= lo && a + n <= lo + t->size;
}

/* Whether [p, p + n) lies within the payload of the live block at @p blk. */
static int within(multi_heap_handle_t h, const void *blk, const void *p,
                  size_t n) {
    uintptr_t b = (uintptr_t)blk, a = (uintptr_t)p;
    return a >= b && a + n <= b + multi_heap_get_allocated_size(h, (void *)blk);
}

static int is_pow2(size_t x) {
    return x && !(x & (x - 1));
}

/* Run fn(arg) with file descriptor fd (1 or 2) sent to a temporary file;
 * return what was written (malloc'd, NUL-terminated). */
static char *capture(int fd, void (*fn)(void *), void *arg) {
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    fflush(stdout);
    fflush(stderr);
    int saved = dup(fd);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), fd) >= 0);
    fn(arg);
    fflush(stdout);
    fflush(stderr);
    assert_true(dup2(saved, fd) >= 0);
    close(saved);
    long n = ftell(tmp);
    assert_true(n >= 0);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    rewind(tmp);
    size_t got = fread(buf, 1, (size_t)n, tmp);
    assert_int_equal(got, (size_t)n);
    buf[n] = '\0';
    fclose(tmp);
    return buf;
}

/* Lines of @p s that contain @p needle (suffix: that end with it). */
static size_t count_lines(const char *s, const char *needle, int suffix) {
    size_t n = 0, nl = strlen(needle);
    while (*s) {
        const char *eol = strchr(s, '\n');
        size_t len = eol ? (size_t)(eol - s) : strlen(s);
        char line[256];
        size_t k = len < sizeof line - 1 ? len : sizeof line - 1;
        memcpy(line, s, k);
        line[k] = '\0';
        if (suffix ? k >= nl && strcmp(line + k - nl, needle) == 0
                   : strstr(line, needle) != NULL)
            n++;
        s += len + (eol ? 1 : 0);
    }
    return n;
}

static int setup(void **state) {
    (void)state;
    ts_errors_install();
    return 0;
}

/* ---- ESP-IDF host test behaviours ------------------------------------ */

static void simple_allocations(void **state) {
    (void)state;
    heap_t t = make(4096);
    size_t free0 = multi_heap_free_size(t.h);
    /* Over half of the free bytes: one fits, a second cannot. */
    size_t x = free0 / 2 + 1;
    void *p = multi_heap_malloc(t.h, x);
    assert_non_null(p);
    assert_true(inside(&t, p, x));
    assert_true(multi_heap_get_allocated_size(t.h, p) >= x);
    ts_fill(p, x, 1);
    assert_null(multi_heap_malloc(t.h, x));
    HEAP_OK(t.h);
    multi_heap_free(t.h, p);
    void *q = multi_heap_malloc(t.h, x);
    assert_non_null(q);
    assert_true(inside(&t, q, x));
    multi_heap_free(t.h, q);
    HEAP_OK(t.h);
    assert_true(multi_heap_free_size(t.h) > multi_heap_minimum_free_size(t.h));
    assert_int_equal(multi_heap_free_size(t.h), free0);
    drop(&t);
}

static void fragmentation(void **state) {
    (void)state;
    heap_t t = make(4096);
    void *p[4];
    for (int i = 0; i < 4; i++) {
        p[i] = multi_heap_malloc(t.h, 500);
        assert_non_null(p[i]);
        ts_fill(p[i], 500, (uint32_t)i);
    }
    assert_null(multi_heap_malloc(t.h, 2500));
    HEAP_OK(t.h);
    /* Holes that do not touch cannot serve the large request... */
    multi_heap_free(t.h, p[0]);
    multi_heap_free(t.h, p[2]);
    HEAP_OK(t.h);
    assert_null(multi_heap_malloc(t.h, 2500));
    /* Fragmented: the largest block is less than the free total, and a
     * malloc of it succeeds. */
    multi_heap_info_t fi = info_of(t.h);
    assert_int_equal(fi.free_blocks, 3);
    assert_true(fi.largest_free_block > 500);
    assert_true(fi.largest_free_block < fi.total_free_bytes - 1000);
    void *lf = multi_heap_malloc(t.h, fi.largest_free_block);
    assert_non_null(lf);
    multi_heap_free(t.h, lf);
    multi_heap_free(t.h, p[1]);
    HEAP_OK(t.h);
    assert_true(ts_verify(p[3], 500, 3));
    assert_null(multi_heap_malloc(t.h, 2500));
    /* ...but once everything merges it fits. */
    multi_heap_free(t.h, p[3]);
    HEAP_OK(t.h);
    void *big = multi_heap_malloc(t.h, 2500);
    assert_non_null(big);
    multi_heap_free(t.h, big);
    drop(&t);
}

static void defrag(void **state) {
    (void)state;
    heap_t t = make(4096);
    multi_heap_info_t i0 = info_of(t.h);
    assert_int_equal(i0.free_blocks, 1);
    void *p0 = multi_heap_malloc(t.h, 128);
    void *p1 = multi_heap_malloc(t.h, 32);
    assert_non_null(p0);
    assert_non_null(p1);
    size_t u0 = multi_heap_get_allocated_size(t.h, p0);
    char *old0 = p0;
    multi_heap_free(t.h, p0);
    /* The freed block is the best fit: smaller requests land inside it
     * (ESP-IDF's TLSF reuses its start; capheap carves from its end). */
    void *p2 = multi_heap_malloc(t.h, 64);
    assert_non_null(p2);
    assert_true((char *)p2 >= old0 && (char *)p2 + 64 <= old0 + u0);
    multi_heap_free(t.h, p2);
    void *p3 = multi_heap_malloc(t.h, 32);
    assert_non_null(p3);
    assert_true((char *)p3 >= old0 && (char *)p3 + 32 <= old0 + u0);
    HEAP_OK(t.h);
    multi_heap_info_t i1 = info_of(t.h);
    assert_int_equal(i1.allocated_blocks, 2);
    assert_int_equal(i1.free_blocks, 2);
    assert_int_equal(i1.total_blocks, 4);
    multi_heap_free(t.h, p3);
    multi_heap_free(t.h, p1);
    HEAP_OK(t.h);
    multi_heap_info_t i2 = info_of(t.h);
    assert_int_equal(i2.allocated_blocks, 0);
    assert_int_equal(i2.free_blocks, 1);
    assert_int_equal(i2.total_free_bytes, i0.total_free_bytes);
    assert_int_equal(i2.largest_free_block, i0.largest_free_block);
    drop(&t);
}

static void defrag_realloc(void **state) {
    (void)state;
    heap_t t = make(4096);
    multi_heap_info_t i0 = info_of(t.h);
    char *x = multi_heap_malloc(t.h, 512);
    char *y = multi_heap_malloc(t.h, 512);
    assert_non_null(x);
    assert_non_null(y);
    assert_int_equal(info_of(t.h).free_blocks, 1);
    /* Consecutive blocks: name them by address. */
    char *lo = x < y ? x : y, *hi = x < y ? y : x;
    size_t ulo = multi_heap_get_allocated_size(t.h, lo);
    ts_fill(lo, 16, 7);
    /* Shrinking stays in place and frees the tail as its own block (its
     * successor is live). */
    assert_ptr_equal(multi_heap_realloc(t.h, lo, 16), lo);
    assert_true(ts_verify(lo, 16, 7));
    HEAP_OK(t.h);
    multi_heap_info_t i1 = info_of(t.h);
    assert_int_equal(i1.allocated_blocks, 2);
    assert_int_equal(i1.free_blocks, 2);
    /* Growing back takes that free tail, still in place. */
    assert_ptr_equal(multi_heap_realloc(t.h, lo, ulo), lo);
    assert_true(ts_verify(lo, 16, 7));
    HEAP_OK(t.h);
    assert_int_equal(info_of(t.h).free_blocks, 1);
    /* Once the higher block is free, the lower one grows over it. */
    multi_heap_free(t.h, hi);
    assert_ptr_equal(multi_heap_realloc(t.h, lo, 512 + 256), lo);
    assert_true(ts_verify(lo, 16, 7));
    HEAP_OK(t.h);
    multi_heap_free(t.h, lo);
    multi_heap_info_t i2 = info_of(t.h);
    assert_int_equal(i2.allocated_blocks, 0);
    assert_int_equal(i2.free_blocks, 1);
    assert_int_equal(i2.total_free_bytes, i0.total_free_bytes);
    drop(&t);
}

static size_t scaled(size_t n) {
    const char *s = getenv("CAPHEAP_TEST_SCALE");
    return s && strcmp(s, "valgrind") == 0 ? n / 10 : n;
}

static void random_ops(size_t heap_size, uint64_t seed) {
    enum { SLOTS = 128 };
    heap_t t = make(heap_size);
    size_t free0 = multi_heap_free_size(t.h);
    void *p[SLOTS] = {0};
    size_t len[SLOTS] = {0};
    uint32_t tagv[SLOTS] = {0};
    ts_rng_t r;
    ts_rng_seed(&r, seed);
    size_t ops = scaled(5000);
    for (size_t op = 0; op < ops; op++) {
        size_t i = (size_t)ts_rng_range(&r, 0, SLOTS - 1);
        size_t n = ts_rng_range(&r, 0, 7) ? (size_t)ts_rng_range(&r, 0, 1023)
                                          : (size_t)ts_rng_range(&r, 0, 16384);
        if (ts_rng_range(&r, 0, 3) == 0) {
            void *q = multi_heap_realloc(t.h, p[i], n);
            size_t keep = len[i] < n ? len[i] : n;
            if (n == 0) {
                assert_null(q);
                p[i] = NULL;
                len[i] = 0;
            } else if (q) {
                assert_true(inside(&t, q, n));
                assert_true(ts_verify(q, keep, tagv[i]));
                tagv[i] = (uint32_t)op;
                ts_fill(q, n, tagv[i]);
                p[i] = q;
                len[i] = n;
            } else if (p[i]) {
                /* Failure leaves the old block as it was. */
                assert_true(ts_verify(p[i], len[i], tagv[i]));
            }
        } else {
            if (p[i]) {
                assert_true(ts_verify(p[i], len[i], tagv[i]));
                multi_heap_free(t.h, p[i]);
            }
            p[i] = multi_heap_malloc(t.h, n);
            len[i] = p[i] ? n : 0;
            if (n == 0)
                assert_null(p[i]);
            if (p[i]) {
                assert_true(inside(&t, p[i], n));
                assert_true(multi_heap_get_allocated_size(t.h, p[i]) >= n);
                tagv[i] = (uint32_t)op;
                ts_fill(p[i], n, tagv[i]);
            }
        }
        assert_true(multi_heap_check(t.h, true));
    }
    for (size_t i = 0; i < SLOTS; i++) {
        if (p[i])
            assert_true(ts_verify(p[i], len[i], tagv[i]));
        multi_heap_free(t.h, p[i]);
    }
    HEAP_OK(t.h);
    assert_int_equal(multi_heap_free_size(t.h), free0);
    assert_int_equal(info_of(t.h).free_blocks, 1);
    assert_int_equal(ts_errors()->count, 0);
    drop(&t);
}

static void many_random_allocations(void **state) {
    (void)state;
    static const size_t sizes[] = {15 * 1024, 255 * 1024, 4095 * 1024,
                                   8191 * 1024};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        random_ops(sizes[k], 0xC0FFEE + k);
}

static void get_info(void **state) {
    (void)state;
    heap_t t = make(8192);
    multi_heap_info_t i0 = info_of(t.h);
    assert_int_equal(i0.allocated_blocks, 0);
    assert_int_equal(i0.total_allocated_bytes, 0);
    assert_int_equal(i0.free_blocks, 1);
    assert_int_equal(i0.total_blocks, 1);
    assert_int_equal(i0.total_free_bytes, i0.minimum_free_bytes);
    assert_int_equal(i0.largest_free_block, i0.total_free_bytes);
    assert_int_equal(multi_heap_free_size(t.h), i0.total_free_bytes);
    assert_int_equal(multi_heap_minimum_free_size(t.h), i0.minimum_free_bytes);
    assert_true(i0.total_free_bytes < 8192 - STORAGE);
    assert_true(i0.total_free_bytes > 8192 - 1024);

    void *p = multi_heap_malloc(t.h, 32);
    assert_non_null(p);
    size_t got = multi_heap_get_allocated_size(t.h, p);
    assert_true(got >= 32);
    /* Blocks are multiples of the alignment, less one header. */
    assert_int_equal((got + HDR) % A, 0);
    multi_heap_info_t i1 = info_of(t.h);
    assert_int_equal(i1.allocated_blocks, 1);
    assert_int_equal(i1.total_allocated_bytes, got);
    assert_int_equal(i1.free_blocks, 1);
    assert_int_equal(i1.total_blocks, 2);
    assert_true(i1.minimum_free_bytes < i0.minimum_free_bytes);
    assert_true(i1.minimum_free_bytes > 0);
    assert_int_equal(i1.minimum_free_bytes, i1.total_free_bytes);
    assert_true(i1.total_free_bytes + got <= i0.total_free_bytes);
    assert_int_equal(multi_heap_free_size(t.h), i1.total_free_bytes);
    assert_int_equal(multi_heap_minimum_free_size(t.h), i1.minimum_free_bytes);

    multi_heap_free(t.h, p);
    multi_heap_info_t i2 = info_of(t.h);
    assert_int_equal(i2.allocated_blocks, 0);
    assert_int_equal(i2.total_allocated_bytes, 0);
    assert_int_equal(i2.total_free_bytes, i0.total_free_bytes);
    assert_int_equal(i2.minimum_free_bytes, i1.minimum_free_bytes);
    assert_int_equal(i2.free_blocks, 1);

    /* largest_free_block is a size malloc is sure to get. */
    void *big = multi_heap_malloc(t.h, i2.largest_free_block);
    assert_non_null(big);
    assert_null(multi_heap_malloc(t.h, 1));
    assert_int_equal(info_of(t.h).largest_free_block, 0);
    multi_heap_free(t.h, big);
    assert_int_equal(multi_heap_free_size(t.h), i0.total_free_bytes);
    drop(&t);
}

static void minimum_size_allocations(void **state) {
    (void)state;
    enum { MAXP = 1024 };
    heap_t t = make(4096);
    size_t free0 = multi_heap_free_size(t.h);
    static void *p[MAXP];
    static unsigned char id[MAXP];
    size_t n = 0;
    for (;;) {
        assert_true(n < MAXP); /* must run out first */
        p[n] = multi_heap_malloc(t.h, 1);
        if (!p[n])
            break;
        assert_true(inside(&t, p[n], 1));
        assert_int_equal((uintptr_t)p[n] % A, 0);
        id[n] = (unsigned char)(n * 7 + 3);
        *(unsigned char *)p[n] = id[n];
        n++;
    }
    assert_true(n > 16);
    assert_int_equal(info_of(t.h).allocated_blocks, n);
    HEAP_OK(t.h);
    ts_rng_t r;
    ts_rng_seed(&r, 42);
    for (size_t left = n; left > 0; left--) {
        size_t k = (size_t)ts_rng_range(&r, 0, left - 1);
        assert_int_equal(*(unsigned char *)p[k], id[k]);
        multi_heap_free(t.h, p[k]);
        p[k] = p[left - 1];
        id[k] = id[left - 1];
        assert_true(multi_heap_check(t.h, true));
    }
    assert_int_equal(multi_heap_free_size(t.h), free0);
    assert_int_equal(info_of(t.h).free_blocks, 1);
    drop(&t);
}

static void realloc_cases(void **state) {
    (void)state;
    heap_t t = make(4096);
    size_t free0 = multi_heap_free_size(t.h);

    /* NULL allocates; size 0 frees. */
    void *a = multi_heap_realloc(t.h, NULL, 64);
    assert_non_null(a);
    assert_true(multi_heap_get_allocated_size(t.h, a) >= 64);
    assert_null(multi_heap_realloc(t.h, a, 0));
    assert_int_equal(info_of(t.h).allocated_blocks, 0);
    assert_int_equal(multi_heap_free_size(t.h), free0);
    assert_null(multi_heap_realloc(t.h, NULL, 0));
    assert_int_equal(info_of(t.h).allocated_blocks, 0);

    /* Grow that must move: the block above is live. */
    void *x = multi_heap_malloc(t.h, 64);
    void *y = multi_heap_malloc(t.h, 64);
    assert_non_null(x);
    assert_non_null(y);
    a = x < y ? x : y;
    void *b = x < y ? y : x;
    size_t ua = multi_heap_get_allocated_size(t.h, a);
    ts_fill(a, ua, 11);
    ts_fill(b, 64, 14);
    void *c = multi_heap_realloc(t.h, a, ua + 1);
    assert_non_null(c);
    assert_ptr_not_equal(c, a);
    assert_false(within(t.h, b, c, 1));
    assert_true(ts_verify(c, ua, 11));
    assert_true(ts_verify(b, 64, 14));
    assert_true(multi_heap_get_allocated_size(t.h, c) > ua);
    HEAP_OK(t.h);
    /* a's old block is free again and is reused by a fitting request. */
    void *d = multi_heap_malloc(t.h, ua);
    assert_ptr_equal(d, a);
    multi_heap_free(t.h, d);

    /* Grow in place into a free successor: three consecutive blocks, the
     * middle one freed, the lowest grows. */
    void *q[3];
    for (int k = 0; k < 3; k++) {
        q[k] = multi_heap_malloc(t.h, 64);
        assert_non_null(q[k]);
    }
    for (int k = 0; k < 2; k++) { /* sort by address */
        for (int j = 0; j < 2 - k; j++) {
            if ((char *)q[j] > (char *)q[j + 1]) {
                void *tmp = q[j];
                q[j] = q[j + 1];
                q[j + 1] = tmp;
            }
        }
    }
    void *e = q[0], *f = q[1], *g = q[2];
    ts_fill(e, 64, 12);
    multi_heap_free(t.h, f);
    assert_ptr_equal(multi_heap_realloc(t.h, e, 100), e);
    assert_true(ts_verify(e, 64, 12));
    assert_true(multi_heap_get_allocated_size(t.h, e) >= 100);
    HEAP_OK(t.h);

    /* Shrink in place gives the tail back. */
    size_t before = multi_heap_free_size(t.h);
    size_t uc = multi_heap_get_allocated_size(t.h, c);
    assert_ptr_equal(multi_heap_realloc(t.h, c, 1), c);
    assert_true(ts_verify(c, 1, 11));
    assert_true(multi_heap_get_allocated_size(t.h, c) < uc);
    assert_true(multi_heap_free_size(t.h) > before);
    HEAP_OK(t.h);

    /* Requests that cannot fit leave the block untouched. */
    ts_fill(c, multi_heap_get_allocated_size(t.h, c), 13);
    multi_heap_info_t i1 = info_of(t.h);
    static const size_t huge[] = {4096 + 1, SIZE_MAX, SIZE_MAX - 1,
                                  SIZE_MAX / 2};
    for (size_t k = 0; k < sizeof huge / sizeof huge[0]; k++) {
        assert_null(multi_heap_realloc(t.h, c, huge[k]));
        assert_true(ts_verify(c, multi_heap_get_allocated_size(t.h, c), 13));
        multi_heap_info_t now = info_of(t.h);
        assert_info_equal(&now, &i1);
    }
    assert_int_equal(ts_errors()->count, 0);

    /* A bad pointer goes to the hook and changes nothing. */
    assert_null(multi_heap_realloc(t.h, (char *)c + A, 8));
    assert_int_equal(ts_errors()->count, 1);
    assert_ptr_equal(ts_errors()->last_addr, (char *)c + A);
    multi_heap_info_t i2 = info_of(t.h);
    assert_info_equal(&i2, &i1);

    multi_heap_free(t.h, b);
    multi_heap_free(t.h, c);
    multi_heap_free(t.h, e);
    multi_heap_free(t.h, g);
    /* ...and so does a freed one. */
    ts_errors_reset();
    assert_null(multi_heap_realloc(t.h, g, 8));
    assert_int_equal(ts_errors()->count, 1);
    assert_int_equal(ts_errors()->last, CAPHEAP_ERR_DOUBLE_FREE);
    HEAP_OK(t.h);
    assert_int_equal(multi_heap_free_size(t.h), free0);
    drop(&t);
}

static void aligned_allocations(void **state) {
    (void)state;
    heap_t t = make(4096);
    size_t free0 = multi_heap_free_size(t.h);
    for (size_t a = 0; a <= 256; a++) {
        size_t n = a + 137;
        void *p = multi_heap_aligned_alloc(t.h, n, a);
        if (!is_pow2(a)) {
            assert_null(p);
            continue;
        }
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % a, 0);
        assert_int_equal((uintptr_t)p % A, 0);
        assert_true(inside(&t, p, n));
        assert_true(multi_heap_get_allocated_size(t.h, p) >= n);
        ts_fill(p, n, (uint32_t)a);
        assert_true(multi_heap_check(t.h, true));
        assert_true(ts_verify(p, n, (uint32_t)a));
        multi_heap_free(t.h, p);
    }
    /* No leak at all: every head and tail gap merged back. */
    assert_int_equal(multi_heap_free_size(t.h), free0);
    assert_int_equal(info_of(t.h).free_blocks, 1);

    assert_null(multi_heap_aligned_alloc(t.h, 0, 64));
    assert_null(multi_heap_aligned_alloc(t.h, SIZE_MAX, 64));
    assert_null(multi_heap_aligned_alloc(t.h, SIZE_MAX - 1, 64));
    assert_null(multi_heap_aligned_alloc(t.h, 16, (size_t)1 << 20));
    assert_null(multi_heap_aligned_alloc(t.h, 16, SIZE_MAX));
    assert_int_equal(multi_heap_free_size(t.h), free0);
    assert_int_equal(ts_errors()->count, 0);
    drop(&t);
}

/* The address offset bytes into the block is the aligned one, for every
 * alignment and every offset a block start can meet; other offsets are
 * refused without changing anything. */
static void aligned_offset_allocations(void **state) {
    (void)state;
    heap_t t = make(8192);
    size_t free0 = multi_heap_free_size(t.h);
    for (size_t a = 1; a <= 512; a *= 2) {
        for (size_t off = 0; off <= 3 * a + A; off += A) {
            size_t n = off + 64;
            char *p = multi_heap_aligned_alloc_offs(t.h, n, a, off);
            assert_non_null(p);
            assert_int_equal(((uintptr_t)p + off) % a, 0);
            assert_int_equal((uintptr_t)p % A, 0);
            assert_true(inside(&t, p, n));
            assert_true(multi_heap_get_allocated_size(t.h, p) >= n);
            ts_fill(p, n, (uint32_t)(a + off));
            HEAP_OK(t.h);
            assert_true(ts_verify(p, n, (uint32_t)(a + off)));
            multi_heap_free(t.h, p);
        }
    }
    /* Offset 0 is multi_heap_aligned_alloc(). */
    char *p = multi_heap_aligned_alloc_offs(t.h, 100, 256, 0);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 256, 0);
    multi_heap_free(t.h, p);
    assert_int_equal(multi_heap_free_size(t.h), free0);
    assert_int_equal(info_of(t.h).free_blocks, 1);

    /* No block start can make p + A / 2 aligned to A or more. */
    assert_null(multi_heap_aligned_alloc_offs(t.h, 100, 64, A / 2));
    assert_null(multi_heap_aligned_alloc_offs(t.h, 100, 2 * A, A + 4));
    assert_null(multi_heap_aligned_alloc_offs(t.h, 100, 48, 0));
    assert_null(multi_heap_aligned_alloc_offs(t.h, 0, 64, A));
    assert_null(multi_heap_aligned_alloc_offs(NULL, 100, 64, A));
    assert_int_equal(multi_heap_free_size(t.h), free0);
    assert_int_equal(ts_errors()->count, 0);
    drop(&t);
}

/* The full block is the allocated size plus the words capheap keeps in the
 * block; find_containing_block maps any byte of a live block to its start. */
static void full_size_and_containing_block(void **state) {
    (void)state;
    heap_t t = make(4096);
    char *p = multi_heap_malloc(t.h, 100);
    char *q = multi_heap_malloc(t.h, 37);
    assert_non_null(p);
    assert_non_null(q);
    size_t used = multi_heap_get_allocated_size(t.h, p);
    size_t full = multi_heap_get_full_block_size(t.h, p);
    /* Header word, owner and canary words (prefix), tail canary: the block
     * is a multiple of A, and holds the usable bytes. */
    assert_int_equal((full + sizeof(uintptr_t)) % A, 0);
    assert_true(full >= used + CAPHEAP_BLOCK_PREFIX_BYTES);
    if (CAPHEAP_BLOCK_PREFIX_BYTES == 0 && !CAPHEAP_POISONING)
        assert_int_equal(full, used);
    assert_true(full < used + CAPHEAP_BLOCK_PREFIX_BYTES + 4 + A);
    assert_int_equal(multi_heap_get_full_block_size(t.h, NULL), 0);
    assert_int_equal(multi_heap_get_full_block_size(t.h, p + A), 0);
    assert_int_equal(multi_heap_get_full_block_size(NULL, p), 0);

    for (size_t i = 0; i < 100; i++)
        assert_ptr_equal(multi_heap_find_containing_block(t.h, p + i), p);
    for (size_t i = 0; i < 37; i++)
        assert_ptr_equal(multi_heap_find_containing_block(t.h, q + i), q);
    char outside;
    assert_null(multi_heap_find_containing_block(t.h, &outside));
    assert_null(multi_heap_find_containing_block(NULL, p));
    multi_heap_free(t.h, q);
    /* A freed block contains nothing any more. */
    assert_null(multi_heap_find_containing_block(t.h, q));
    assert_int_equal(multi_heap_get_full_block_size(t.h, q), 0);
    multi_heap_free(t.h, p);
    assert_int_equal(ts_errors()->count, 0);
    HEAP_OK(t.h);
    drop(&t);
}

static void aligned_free_alias(void **state) {
    (void)state;
    heap_t t = make(4096);
    size_t free0 = multi_heap_free_size(t.h);
    void *p = multi_heap_aligned_alloc(t.h, 100, 128);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 128, 0);
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
    multi_heap_aligned_free(t.h, p);
    multi_heap_aligned_free(t.h, NULL);
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic pop
#endif
    assert_int_equal(info_of(t.h).allocated_blocks, 0);
    assert_int_equal(multi_heap_free_size(t.h), free0);
    assert_int_equal(ts_errors()->count, 0);
    HEAP_OK(t.h);
    drop(&t);
}

static void allocation_overhead(void **state) {
    (void)state;
    heap_t t = make(4096);
    size_t free0 = multi_heap_free_size(t.h);
    void *p = multi_heap_malloc(t.h, 256);
    assert_non_null(p);
    size_t drop_by = free0 - multi_heap_free_size(t.h);
    assert_true(drop_by > 256);
    assert_true(drop_by > multi_heap_get_allocated_size(t.h, p));
    multi_heap_free(t.h, p);
    assert_int_equal(multi_heap_free_size(t.h), free0);
    drop(&t);
}

/* ---- register ------------------------------------------------------- */

static void register_layout(void **state) {
    (void)state;
    char *arena = ts_arena(4096 + 64);
    for (size_t off = 0; off < 2 * sizeof(void *); off++) {
        multi_heap_handle_t h = multi_heap_register(arena + off, 4096);
        assert_non_null(h);
        /* The heap object sits at the start, rounded to a pointer. */
        uintptr_t want = ((uintptr_t)(arena + off) + sizeof(void *) - 1) &
                         ~(uintptr_t)(sizeof(void *) - 1);
        assert_int_equal((uintptr_t)h, want);
        multi_heap_info_t i = info_of(h);
        assert_int_equal(i.allocated_blocks, 0);
        assert_int_equal(i.free_blocks, 1);
        assert_true(i.total_free_bytes < 4096 - STORAGE);
        HEAP_OK(h);
    }
    ts_arena_free(arena);
}

static void register_rejects(void **state) {
    (void)state;
    char *arena = ts_arena(4096);
    assert_null(multi_heap_register(NULL, 4096));
    assert_null(multi_heap_register(arena, 0));
    assert_null(multi_heap_register(arena, 1));
    assert_null(multi_heap_register(arena, STORAGE));
    assert_null(multi_heap_register(arena + 1, STORAGE));
    /* Wrapping ranges are refused before anything is written there. */
    assert_null(multi_heap_register((void *)(UINTPTR_MAX - 63), 4096));
    assert_null(multi_heap_register(arena, SIZE_MAX));
    assert_int_equal(ts_errors()->count, 0);
    ts_arena_free(arena);
}

/* Below some size register fails, from it on it always works; nothing is
 * written outside the memory given. */
static void register_minimum_size(void **state) {
    (void)state;
    enum { GUARD = 64, MAXS = 2048 };
    unsigned char *arena = ts_arena(MAXS + 2 * GUARD + 16);
    for (size_t off = 0; off < 16; off += 5) {
        size_t min_ok = 0;
        for (size_t s = 0; s <= MAXS; s++) {
            memset(arena, 0xA5, MAXS + 2 * GUARD + 16);
            unsigned char *start = arena + GUARD + off;
            multi_heap_handle_t h = multi_heap_register(start, s);
            if (!h) {
                assert_int_equal(min_ok, 0); /* no failure above the min */
            } else {
                if (!min_ok)
                    min_ok = s;
                void *p = multi_heap_malloc(h, 1);
                assert_non_null(p);
                assert_true((unsigned char *)p >= start &&
                            (unsigned char *)p < start + s);
                memset(p, 0, multi_heap_get_allocated_size(h, p));
                assert_true(multi_heap_check(h, true));
                multi_heap_free(h, p);
            }
            for (size_t k = 0; k < GUARD + off; k++)
                assert_int_equal(arena[k], 0xA5);
            for (size_t k = 0; k < GUARD; k++)
                assert_int_equal(start[s + k], 0xA5);
        }
        assert_true(min_ok > STORAGE);
        assert_true(min_ok < 1024);
    }
    ts_arena_free(arena);
}

/* Unaligned starts and odd sizes: usable, nothing touched outside. */
static void unaligned_heaps(void **state) {
    (void)state;
    enum { GUARD = 64, LEN = 4096 };
    unsigned char *arena = ts_arena(LEN + 2 * GUARD + 32);
    for (size_t off = 0; off < 16; off++) {
        size_t len = LEN - 2 * off - 1; /* odd */
        memset(arena, 0xA5, LEN + 2 * GUARD + 32);
        unsigned char *start = arena + GUARD + off;
        multi_heap_handle_t h = multi_heap_register(start, len);
        assert_non_null(h);
        HEAP_OK(h);
        multi_heap_info_t i = info_of(h);
        /* Bookkeeping and trimming cost a bounded part of the memory (the
         * heap object, placed in it, grows by the owner table if on). */
        assert_true(i.largest_free_block >
                    len - 512 - CAPHEAP_OWNER_TABLE_BYTES);
        void *big = multi_heap_malloc(h, i.largest_free_block);
        assert_non_null(big);
        assert_true(big >= (void *)start &&
                    (unsigned char *)big + i.largest_free_block <= start + len);
        memset(big, 0x3C, i.largest_free_block);
        HEAP_OK(h);
        multi_heap_free(h, big);
        /* Fill with small blocks to the end too. */
        void *last = NULL, *p;
        size_t n = 0;
        while ((p = multi_heap_malloc(h, 40)) != NULL) {
            assert_true((unsigned char *)p + 40 <= start + len);
            memset(p, 0x3C, multi_heap_get_allocated_size(h, p));
            *(void **)p = last;
            last = p;
            n++;
        }
        assert_true(n > 0);
        HEAP_OK(h);
        while (last) {
            void *prev = *(void **)last;
            multi_heap_free(h, last);
            last = prev;
        }
        HEAP_OK(h);
        assert_int_equal(multi_heap_free_size(h), i.total_free_bytes);
        for (size_t k = 0; k < GUARD + off; k++)
            assert_int_equal(arena[k], 0xA5);
        for (size_t k = 0; k < GUARD; k++)
            assert_int_equal(start[len + k], 0xA5);
    }
    ts_arena_free(arena);
}

/* ---- sizes and pointers at the edges -------------------------------- */

static void edge_sizes(void **state) {
    (void)state;
    heap_t t = make(4096);
    multi_heap_info_t i0 = info_of(t.h);
    assert_null(multi_heap_malloc(t.h, 0));
    assert_null(multi_heap_malloc(t.h, SIZE_MAX));
    assert_null(multi_heap_malloc(t.h, SIZE_MAX - 1));
    assert_null(multi_heap_malloc(t.h, SIZE_MAX / 2 + 1));
    assert_null(multi_heap_malloc(t.h, 4096));
    assert_null(multi_heap_malloc(t.h, i0.largest_free_block + 1));
    multi_heap_info_t i1 = info_of(t.h);
    assert_info_equal(&i1, &i0);
    assert_int_equal(ts_errors()->count, 0);
    void *p = multi_heap_malloc(t.h, 1);
    assert_non_null(p);
    assert_true(multi_heap_get_allocated_size(t.h, p) >= 1);
    assert_int_equal(multi_heap_get_allocated_size(t.h, NULL), 0);
    multi_heap_free(t.h, NULL);
    multi_heap_free(t.h, p);
    assert_int_equal(ts_errors()->count, 0);
    drop(&t);
}

static void bad_pointers(void **state) {
    (void)state;
    heap_t t = make(4096);
    heap_t u = make(4096);
    char *p = multi_heap_malloc(t.h, 64);
    char *q = multi_heap_malloc(u.h, 64);
    assert_non_null(p);
    assert_non_null(q);
    ts_fill(p, 64, 5);
    size_t up = multi_heap_get_allocated_size(t.h, p);
    multi_heap_info_t i0 = info_of(t.h);
    multi_heap_info_t u0 = info_of(u.h);
    int local;
    struct {
        void *ptr;
        capheap_err_t err;
    } cases[] = {
        {&local, CAPHEAP_ERR_FOREIGN_POINTER},
        {q, CAPHEAP_ERR_FOREIGN_POINTER},           /* another heap's block */
        {p + A, CAPHEAP_ERR_NOT_BLOCK},             /* interior */
        {p + 1, CAPHEAP_ERR_NOT_BLOCK},             /* misaligned */
        {(void *)t.h, CAPHEAP_ERR_FOREIGN_POINTER}, /* the heap object */
        {t.arena + t.size - A, CAPHEAP_ERR_NOT_BLOCK}, /* free space */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ts_errors_reset();
        multi_heap_free(t.h, cases[k].ptr);
        assert_int_equal(ts_errors()->count, 1);
        assert_ptr_equal(ts_errors()->last_addr, cases[k].ptr);
        if (k < 3)
            assert_int_equal(ts_errors()->last, cases[k].err);
        else
            assert_int_not_equal(ts_errors()->last, CAPHEAP_OK);
        assert_int_equal(multi_heap_get_allocated_size(t.h, cases[k].ptr), 0);
        assert_int_equal(ts_errors()->count, 2);
        multi_heap_info_t now = info_of(t.h);
        assert_info_equal(&now, &i0);
        HEAP_OK(t.h);
    }
    multi_heap_info_t unow = info_of(u.h);
    assert_info_equal(&unow, &u0);
    assert_int_equal(multi_heap_get_allocated_size(t.h, p), up);
    assert_true(ts_verify(p, 64, 5));

    /* Double free. */
    multi_heap_free(t.h, p);
    multi_heap_info_t i1 = info_of(t.h);
    ts_errors_reset();
    multi_heap_free(t.h, p);
    assert_int_equal(ts_errors()->count, 1);
    assert_int_equal(ts_errors()->last, CAPHEAP_ERR_DOUBLE_FREE);
    assert_ptr_equal(ts_errors()->last_addr, p);
    multi_heap_info_t i2 = info_of(t.h);
    assert_info_equal(&i2, &i1);
    HEAP_OK(t.h);
    multi_heap_free(u.h, q);
    drop(&t);
    drop(&u);
}

/* ---- walk, dump, check ---------------------------------------------- */

typedef struct {
    size_t calls, used, free_n, used_bytes, free_bytes, stop_after;
    uintptr_t last;
    int ordered;
    void *seen[8];
    size_t seen_size[8];
    int seen_used[8];
} walk_t;

static bool walker(void *ptr, size_t size, int used, void *user) {
    walk_t *w = user;
    if ((uintptr_t)ptr <= w->last)
        w->ordered = 0;
    w->last = (uintptr_t)ptr;
    if (w->calls < 8) {
        w->seen[w->calls] = ptr;
        w->seen_size[w->calls] = size;
        w->seen_used[w->calls] = used;
    }
    w->calls++;
    if (used) {
        w->used++;
        w->used_bytes += size;
    } else {
        w->free_n++;
        w->free_bytes += size;
    }
    assert_true(used == 0 || used == 1);
    return w->stop_after == 0 || w->calls < w->stop_after;
}

static int walk_saw(const walk_t *w, const void *p, size_t size, int used) {
    for (size_t k = 0; k < w->calls && k < 8; k++) {
        if (w->seen[k] == p)
            return w->seen_size[k] == size && w->seen_used[k] == used;
    }
    return 0;
}

static void walk(void **state) {
    (void)state;
    heap_t t = make(8192);
    void *a = multi_heap_malloc(t.h, 10);
    void *b = multi_heap_malloc(t.h, 100);
    void *c = multi_heap_malloc(t.h, 1000);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    size_t ub = multi_heap_get_allocated_size(t.h, b);
    multi_heap_free(t.h, b);
    multi_heap_info_t i = info_of(t.h);

    walk_t w = {0};
    w.ordered = 1;
    multi_heap_walk(t.h, walker, &w);
    /* Exactly the caller's blocks: the control block is not reported. */
    assert_int_equal(w.calls, i.total_blocks);
    assert_int_equal(w.calls, 4);
    assert_int_equal(w.used, i.allocated_blocks);
    assert_int_equal(w.free_n, i.free_blocks);
    assert_int_equal(w.used_bytes, i.total_allocated_bytes);
    assert_int_equal(w.free_bytes, i.total_free_bytes);
    assert_true(w.ordered);
    assert_true(walk_saw(&w, a, multi_heap_get_allocated_size(t.h, a), 1));
    assert_true(walk_saw(&w, b, ub, 0));
    assert_true(walk_saw(&w, c, multi_heap_get_allocated_size(t.h, c), 1));

    /* false stops the walk at once. */
    walk_t s = {0};
    s.stop_after = 2;
    multi_heap_walk(t.h, walker, &s);
    assert_int_equal(s.calls, 2);
    s.calls = 0;
    s.stop_after = 1;
    multi_heap_walk(t.h, walker, &s);
    assert_int_equal(s.calls, 1);
    multi_heap_walk(t.h, NULL, &s); /* tolerated */
    multi_heap_free(t.h, a);
    multi_heap_free(t.h, c);
    drop(&t);
}

/* A block whose header is overwritten (all of it, or the 32-bit word
 * before the payload, as ESP-IDF's walker test does) ends the walk there:
 * the callback sees the blocks before it, never it, and the error hook
 * hears CAPHEAP_ERR_CORRUPT from "walk" with its header. */
static void walk_stops_at_a_damaged_block(void **state) {
    (void)state;
    heap_t t = make(8192);
    void *p[4];
    for (int i = 0; i < 4; i++) {
        p[i] = multi_heap_malloc(t.h, 48);
        assert_non_null(p[i]);
    }
    walk_t clean = {0};
    multi_heap_walk(t.h, walker, &clean);
    size_t before = 0; /* blocks below p[2] */
    for (size_t k = 0; k < clean.calls && k < 8; k++)
        before += (char *)clean.seen[k] < (char *)p[2];
    char *hdr = (char *)p[2] - CAPHEAP_BLOCK_PREFIX_BYTES - sizeof(uintptr_t);
    uintptr_t saved;
    memcpy(&saved, hdr, sizeof saved);
    for (int how = 0; how < 2; how++) {
        if (how) {
            uint32_t w = 0xFF000000u;
            memcpy(hdr + sizeof(uintptr_t) - sizeof w, &w, sizeof w);
        } else {
            memset(hdr, 0xFF, sizeof(uintptr_t));
        }
        ts_errors_reset();
        walk_t w = {0};
        multi_heap_walk(t.h, walker, &w);
        assert_int_equal(w.calls, before);
        assert_false(walk_saw(&w, p[2], 48, 1));
        assert_int_equal(ts_errors()->count, 1);
        assert_int_equal(ts_errors()->last, CAPHEAP_ERR_CORRUPT);
        assert_string_equal(ts_errors()->last_op, "walk");
        assert_ptr_equal(ts_errors()->last_addr, hdr);
        assert_false(multi_heap_check(t.h, false));
        memcpy(hdr, &saved, sizeof saved);
    }
    ts_errors_reset();
    assert_true(multi_heap_check(t.h, true));
    for (int i = 0; i < 4; i++)
        multi_heap_free(t.h, p[i]);
    assert_int_equal(ts_errors()->count, 0);
    drop(&t);
}

static void call_dump(void *h) {
    multi_heap_dump(h);
}

/* What ESP-IDF's dump prints for @p h, whose blocks multi_heap_walk()
 * reports, registered at @p start. */
static void expected_dump(char *buf, size_t size, multi_heap_handle_t h,
                          const void *start) {
    walk_t w = {0};
    multi_heap_walk(h, walker, &w);
    assert_true(w.calls <= 8);
    size_t n =
        (size_t)snprintf(buf, size, "Showing data for heap: %p \n", start);
    for (size_t k = 0; k < w.calls; k++) {
        n += (size_t)snprintf(
            buf + n, size - n, "Block %p data, size: %zu bytes, Free: %s \n",
            w.seen[k], w.seen_size[k], w.seen_used[k] ? "No" : "Yes");
        assert_true(n < size);
    }
}

/* ESP-IDF's text, line for line: the heap by the start it was registered
 * with (also when that start is not aligned and the handle is not it),
 * then every block in address order, the control block left out. */
static void dump(void **state) {
    (void)state;
    heap_t t = make(8192);
    void *a = multi_heap_malloc(t.h, 10);
    void *b = multi_heap_malloc(t.h, 100);
    void *c = multi_heap_malloc(t.h, 1000);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    multi_heap_free(t.h, b);
    multi_heap_info_t i = info_of(t.h);
    char *out = capture(1, call_dump, t.h);
    char want[1024];
    expected_dump(want, sizeof want, t.h, t.arena);
    assert_string_equal(out, want);
    assert_int_equal(count_lines(out, "Block ", 0), i.total_blocks);
    assert_int_equal(count_lines(out, "Free: No ", 1), i.allocated_blocks);
    assert_int_equal(count_lines(out, "Free: Yes ", 1), i.free_blocks);
    free(out);
    multi_heap_free(t.h, a);
    multi_heap_free(t.h, c);
    drop(&t);

    char *raw = ts_arena(4096);
    multi_heap_handle_t odd = multi_heap_register(raw + 3, 4000);
    assert_non_null(odd);
    assert_ptr_not_equal((void *)odd, raw + 3);
    void *p = multi_heap_malloc(odd, 33);
    assert_non_null(p);
    out = capture(1, call_dump, odd);
    expected_dump(want, sizeof want, odd, raw + 3);
    assert_string_equal(out, want);
    free(out);
    multi_heap_free(odd, p);
    ts_arena_free(raw);
}

typedef struct {
    multi_heap_handle_t h;
    bool print;
    bool result;
} check_call_t;

static void call_check(void *arg) {
    check_call_t *c = arg;
    c->result = multi_heap_check(c->h, c->print);
}

static void check_reports(void **state) {
    (void)state;
    heap_t t = make(4096);
    char *a = multi_heap_malloc(t.h, 64);
    char *b = multi_heap_malloc(t.h, 64);
    assert_non_null(a);
    assert_non_null(b);
    check_call_t cc = {t.h, true, false};
    char *out = capture(1, call_check, &cc);
    assert_true(cc.result);
    assert_string_equal(out, "");
    free(out);

    /* Overrun a by one word: that is b's header. */
    size_t ua = multi_heap_get_allocated_size(t.h, a);
    uintptr_t saved;
    memcpy(&saved, a + ua, sizeof saved);
    uintptr_t junk = saved ^ (uintptr_t)0x5A5A5A50;
    memcpy(a + ua, &junk, sizeof junk);

    cc.print = false;
    out = capture(1, call_check, &cc);
    assert_false(cc.result);
    assert_string_equal(out, "");
    free(out);

    cc.print = true;
    out = capture(1, call_check, &cc);
    assert_false(cc.result);
    assert_non_null(strstr(out, "CORRUPT HEAP"));
    char buf[64];
    snprintf(buf, sizeof buf, "%p", (void *)t.h);
    assert_non_null(strstr(out, buf));
    free(out);

    memcpy(a + ua, &saved, sizeof saved);
    assert_true(multi_heap_check(t.h, true));
    multi_heap_free(t.h, a);
    multi_heap_free(t.h, b);
    HEAP_OK(t.h);
    drop(&t);
}

/* ---- minimum free monitoring ---------------------------------------- */

static void minimum_free_monitoring(void **state) {
    (void)state;
    heap_t t = make(8192);
    size_t free0 = multi_heap_free_size(t.h);
    void *big = multi_heap_malloc(t.h, 4000);
    assert_non_null(big);
    size_t low = multi_heap_free_size(t.h);
    multi_heap_free(t.h, big);
    assert_int_equal(multi_heap_minimum_free_size(t.h), low);

    /* reset returns the old minimum and starts from the current free. */
    size_t old = multi_heap_reset_minimum_free_bytes(t.h);
    assert_int_equal(old, low);
    assert_int_equal(multi_heap_minimum_free_size(t.h), free0);
    void *small = multi_heap_malloc(t.h, 400);
    assert_non_null(small);
    size_t local = multi_heap_minimum_free_size(t.h);
    assert_true(local < free0);
    assert_true(local > low);
    multi_heap_free(t.h, small);
    assert_int_equal(multi_heap_minimum_free_size(t.h), local);

    /* restore keeps the smaller value. */
    multi_heap_restore_minimum_free_bytes(t.h, old);
    assert_int_equal(multi_heap_minimum_free_size(t.h), low);
    multi_heap_restore_minimum_free_bytes(t.h, free0);
    assert_int_equal(multi_heap_minimum_free_size(t.h), low);
    assert_int_equal(multi_heap_reset_minimum_free_bytes(t.h), low);
    assert_int_equal(multi_heap_minimum_free_size(t.h), free0);
    drop(&t);
}

/* ---- locking -------------------------------------------------------- */

#ifndef CAPHEAP_PORT_NONE
typedef struct {
    multi_heap_handle_t h;
    atomic_int done;
    void *p;
} blocked_t;

static void *blocked_malloc(void *arg) {
    blocked_t *b = arg;
    b->p = multi_heap_malloc(b->h, 32);
    atomic_store(&b->done, 1);
    return NULL;
}

typedef struct {
    multi_heap_handle_t h;
    uint64_t seed;
    int bad;
} hammer_t;

static void *hammer(void *arg) {
    hammer_t *m = arg;
    ts_rng_t r;
    ts_rng_seed(&r, m->seed);
    void *p[16] = {0};
    for (int op = 0; op < 4000; op++) {
        size_t i = (size_t)ts_rng_range(&r, 0, 15);
        if (p[i]) {
            if (*(uint64_t *)p[i] != m->seed)
                m->bad = 1;
            multi_heap_free(m->h, p[i]);
        }
        p[i] = multi_heap_malloc(m->h, (size_t)ts_rng_range(&r, 8, 300));
        if (p[i])
            *(uint64_t *)p[i] = m->seed;
    }
    for (int i = 0; i < 16; i++)
        multi_heap_free(m->h, p[i]);
    return NULL;
}
#endif

static void set_lock(void **state) {
    (void)state;
#ifdef CAPHEAP_PORT_NONE
    skip();
#else
    heap_t t = make(65536);
    size_t free0 = multi_heap_free_size(t.h);
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    multi_heap_set_lock(t.h, &mu);

    /* A heap call waits while someone else holds the lock. */
    blocked_t b = {t.h, 0, NULL};
    pthread_mutex_lock(&mu);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, blocked_malloc, &b), 0);
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    assert_int_equal(atomic_load(&b.done), 0);
    pthread_mutex_unlock(&mu);
    pthread_join(th, NULL);
    assert_int_equal(atomic_load(&b.done), 1);
    assert_non_null(b.p);
    multi_heap_free(t.h, b.p);
    /* Released after every call. */
    assert_int_equal(pthread_mutex_trylock(&mu), 0);
    pthread_mutex_unlock(&mu);

    /* Threads sharing the heap through the lock leave it intact. */
    hammer_t m[4];
    pthread_t ths[4];
    for (int k = 0; k < 4; k++) {
        m[k] = (hammer_t){t.h, 1000u + (uint64_t)k, 0};
        assert_int_equal(pthread_create(&ths[k], NULL, hammer, &m[k]), 0);
    }
    for (int k = 0; k < 4; k++) {
        pthread_join(ths[k], NULL);
        assert_int_equal(m[k].bad, 0);
    }
    HEAP_OK(t.h);
    assert_int_equal(multi_heap_free_size(t.h), free0);

    /* NULL removes the lock: calls no longer wait for it. */
    multi_heap_set_lock(t.h, NULL);
    pthread_mutex_lock(&mu);
    void *p = multi_heap_malloc(t.h, 16);
    assert_non_null(p);
    multi_heap_free(t.h, p);
    pthread_mutex_unlock(&mu);
    pthread_mutex_destroy(&mu);
    drop(&t);
#endif
}

/* ---- handles -------------------------------------------------------- */

static void null_handle(void **state) {
    (void)state;
    int x;
    assert_null(multi_heap_malloc(NULL, 16));
    assert_null(multi_heap_aligned_alloc(NULL, 16, 16));
    assert_null(multi_heap_realloc(NULL, NULL, 16));
    assert_null(multi_heap_realloc(NULL, &x, 16));
    multi_heap_free(NULL, &x);
    assert_int_equal(multi_heap_get_allocated_size(NULL, &x), 0);
    assert_int_equal(multi_heap_free_size(NULL), 0);
    assert_int_equal(multi_heap_minimum_free_size(NULL), 0);
    multi_heap_info_t i;
    memset(&i, 0x5A, sizeof i);
    multi_heap_get_info(NULL, &i);
    multi_heap_info_t zero = {0};
    assert_info_equal(&i, &zero);
    assert_false(multi_heap_check(NULL, false));
    multi_heap_dump(NULL);
    multi_heap_walk(NULL, walker, NULL);
    multi_heap_set_lock(NULL, &x);
    assert_int_equal(multi_heap_reset_minimum_free_bytes(NULL), 0);
    multi_heap_restore_minimum_free_bytes(NULL, 5);
    heap_t t = make(4096);
    multi_heap_get_info(t.h, NULL);
    assert_int_equal(ts_errors()->count, 0);
    drop(&t);
}

static void heaps_are_independent(void **state) {
    (void)state;
    heap_t t = make(4096);
    heap_t u = make(16384);
    multi_heap_info_t u0 = info_of(u.h);
    void *p[8];
    for (int k = 0; k < 8; k++) {
        p[k] = multi_heap_malloc(t.h, 100);
        assert_non_null(p[k]);
        assert_true(inside(&t, p[k], 100));
    }
    multi_heap_info_t u1 = info_of(u.h);
    assert_info_equal(&u1, &u0);
    void *q = multi_heap_malloc(u.h, 8000);
    assert_non_null(q);
    assert_true(inside(&u, q, 8000));
    assert_int_equal(info_of(t.h).allocated_blocks, 8);
    for (int k = 0; k < 8; k++)
        multi_heap_free(t.h, p[k]);
    multi_heap_free(u.h, q);
    HEAP_OK(t.h);
    HEAP_OK(u.h);
    drop(&t);
    drop(&u);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(simple_allocations, setup),
        cmocka_unit_test_setup(fragmentation, setup),
        cmocka_unit_test_setup(defrag, setup),
        cmocka_unit_test_setup(defrag_realloc, setup),
        cmocka_unit_test_setup(many_random_allocations, setup),
        cmocka_unit_test_setup(get_info, setup),
        cmocka_unit_test_setup(minimum_size_allocations, setup),
        cmocka_unit_test_setup(realloc_cases, setup),
        cmocka_unit_test_setup(aligned_allocations, setup),
        cmocka_unit_test_setup(aligned_offset_allocations, setup),
        cmocka_unit_test_setup(full_size_and_containing_block, setup),
        cmocka_unit_test_setup(aligned_free_alias, setup),
        cmocka_unit_test_setup(allocation_overhead, setup),
        cmocka_unit_test_setup(register_layout, setup),
        cmocka_unit_test_setup(register_rejects, setup),
        cmocka_unit_test_setup(register_minimum_size, setup),
        cmocka_unit_test_setup(unaligned_heaps, setup),
        cmocka_unit_test_setup(edge_sizes, setup),
        cmocka_unit_test_setup(bad_pointers, setup),
        cmocka_unit_test_setup(walk, setup),
        cmocka_unit_test_setup(walk_stops_at_a_damaged_block, setup),
        cmocka_unit_test_setup(dump, setup),
        cmocka_unit_test_setup(check_reports, setup),
        cmocka_unit_test_setup(minimum_free_monitoring, setup),
        cmocka_unit_test_setup(set_lock, setup),
        cmocka_unit_test_setup(null_handle, setup),
        cmocka_unit_test_setup(heaps_are_independent, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
