#define _POSIX_C_SOURCE 200809L
/*
 * test_threads.c - thread stress of the ESP-IDF API on the simulated ESP32
 * and ESP32-S3 (issue #9): workers make random malloc, calloc, realloc,
 * aligned and free calls with random capability masks on the global heap
 * and on a shared multi_heap with a lock, while readers take statistics
 * and run the integrity checks. Every block must lie in memory whose chip
 * type has every capability asked for (DMA: inside the chip's DMA range),
 * be aligned as asked, and keep what its owner wrote (a fill pattern per
 * block, by whole words: IRAM takes no byte accesses). At the end all is
 * freed and the figures are back where they started.
 *
 * Workers cannot fail a cmocka test themselves (its longjmp belongs to the
 * main thread): they count what went wrong and the main thread asserts.
 * CAPHEAP_TEST_SCALE multiplies the operations (make test runs ~1 s).
 */
#include "test_support.h"

#include <pthread.h>
#include <stdatomic.h>

#include "esp_test_env.h"
#include "multi_heap.h"

#define C(x)     MALLOC_CAP_##x
#define WORKERS  4
#define READERS  2
#define SLOTS    48
#define MAX_SIZE 600

static const uint32_t masks[] = {
    C(8BIT),
    C(32BIT),
    C(DMA),
    C(DEFAULT),
    C(INTERNAL),
    C(8BIT) | C(INTERNAL),
    C(DMA) | C(8BIT),
    C(32BIT) | C(INTERNAL),
    C(INTERNAL) | C(DEFAULT),
};

typedef struct {
    void *p;
    size_t size;   /* bytes the pattern covers (whole words) */
    uint32_t caps; /* 0 for the multi_heap */
    uint32_t seed;
    bool multi; /* from the shared multi_heap */
} slot_t;

typedef struct {
    uint64_t seed;
    unsigned long ops;
    unsigned long wrong_type, wrong_dma, misaligned, damaged, nulls;
    unsigned long done;
    slot_t slots[SLOTS];
} worker_t;

static const capheap_chip_t *chip;
static multi_heap_handle_t shared;
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static _Alignas(16) unsigned char shared_mem[64 * 1024];
static atomic_int running;

typedef struct {
    unsigned long checks, bad_checks, bad_figures;
} reader_t;

static uint32_t caps_at(uintptr_t a) {
    return ts_chip_caps_at(chip, a);
}

static void fill_words(void *p, size_t n, uint32_t seed) {
    uint32_t *w = p;
    for (size_t i = 0; i < n / 4; i++)
        w[i] = seed ^ (uint32_t)(i * 0x9E3779B1u);
}

static bool words_ok(const void *p, size_t n, uint32_t seed) {
    const uint32_t *w = p;
    for (size_t i = 0; i < n / 4; i++) {
        if (w[i] != (seed ^ (uint32_t)(i * 0x9E3779B1u)))
            return false;
    }
    return true;
}

/* Where a block of the global heap landed, against what was asked. */
static void check_place(worker_t *w, const void *p, size_t size, uint32_t caps,
                        size_t align) {
    uintptr_t a = (uintptr_t)p;
    uint32_t want = caps & ~(uint32_t)C(DEFAULT);
    if ((caps_at(a) & want) != want || (caps_at(a + size - 1) & want) != want)
        w->wrong_type++;
    if ((caps & C(DMA)) && (a < chip->dma_lo || a + size > chip->dma_hi))
        w->wrong_dma++;
    if (align && a % align)
        w->misaligned++;
}

static void release(worker_t *w, slot_t *s) {
    if (!s->p)
        return;
    if (!words_ok(s->p, s->size, s->seed))
        w->damaged++;
    if (s->multi)
        multi_heap_free(shared, s->p);
    else
        heap_caps_free(s->p);
    s->p = NULL;
}

static void one_op(worker_t *w, ts_rng_t *r) {
    slot_t *s = &w->slots[ts_rng_range(r, 0, SLOTS - 1)];
    size_t size = (size_t)ts_rng_range(r, 1, MAX_SIZE / 4) * 4;
    uint32_t caps = masks[ts_rng_range(r, 0, sizeof masks / sizeof *masks - 1)];
    size_t align = 0;
    void *p = NULL;
    unsigned op = (unsigned)ts_rng_range(r, 0, 9);
    if (s->p && op < 4) {
        release(w, s);
        return;
    }
    if (s->p && op < 6) { /* realloc keeps min(old, new) bytes */
        if (s->multi) {
            p = multi_heap_realloc(shared, s->p, size);
        } else {
            p = heap_caps_realloc(s->p, size, caps);
            if (p)
                check_place(w, p, size, caps, 0);
        }
        if (!p) {
            w->nulls++;
            return;
        }
        size_t keep = s->size < size ? s->size : size;
        if (!words_ok(p, keep, s->seed))
            w->damaged++;
        s->p = p;
        s->size = size;
        s->caps = s->multi ? 0 : caps;
        s->seed = (uint32_t)ts_rng_next(r);
        fill_words(p, size, s->seed);
        return;
    }
    release(w, s);
    bool multi = op == 6;
    if (multi) {
        p = ts_rng_range(r, 0, 1) ? multi_heap_malloc(shared, size)
                                  : multi_heap_aligned_alloc(shared, size, 64);
        if (p && (uintptr_t)p < (uintptr_t)shared_mem)
            w->wrong_type++;
        if (p &&
            (uintptr_t)p + size > (uintptr_t)shared_mem + sizeof shared_mem)
            w->wrong_type++;
    } else if (op == 7) {
        p = heap_caps_calloc(1, size, caps);
        if (p) { /* zeroed */
            const uint32_t *z = p;
            for (size_t i = 0; i < size / 4; i++)
                if (z[i])
                    w->damaged++;
        }
    } else if (op == 8) {
        align = (size_t)1 << ts_rng_range(r, 2, 8);
        p = heap_caps_aligned_alloc(align, size, caps);
    } else {
        p = heap_caps_malloc(size, caps);
    }
    if (!p) {
        w->nulls++;
        return;
    }
    if (!multi)
        check_place(w, p, size, caps, align);
    *s = (slot_t){p, size, multi ? 0 : caps, (uint32_t)ts_rng_next(r), multi};
    fill_words(p, size, s->seed);
}

static void *worker(void *arg) {
    worker_t *w = arg;
    ts_rng_t r;
    ts_rng_seed(&r, w->seed);
    for (unsigned long i = 0; i < w->ops; i++)
        one_op(w, &r);
    for (unsigned i = 0; i < SLOTS; i++)
        release(w, &w->slots[i]);
    atomic_fetch_sub(&running, 1);
    return NULL;
}

static void *reader(void *arg) {
    reader_t *rd = arg;
    size_t total = heap_caps_get_total_size(C(8BIT));
    while (atomic_load(&running) > 0) {
        multi_heap_info_t info, mi;
        heap_caps_get_info(&info, C(8BIT));
        if (info.total_free_bytes > total ||
            info.largest_free_block > info.total_free_bytes ||
            heap_caps_get_free_size(C(DMA)) > heap_caps_get_total_size(C(DMA)))
            rd->bad_figures++;
        (void)heap_caps_get_largest_free_block(C(32BIT));
        (void)heap_caps_get_minimum_free_size(C(DEFAULT));
        multi_heap_get_info(shared, &mi);
        if (mi.total_free_bytes > sizeof shared_mem)
            rd->bad_figures++;
        if (!heap_caps_check_integrity_all(true) ||
            !heap_caps_check_integrity(C(DMA), true) ||
            !multi_heap_check(shared, true))
            rd->bad_checks++;
        rd->checks++;
    }
    return NULL;
}

static void stress(const char *name) {
    et_boot(name);
    chip = et_chip();
    shared = multi_heap_register(shared_mem, sizeof shared_mem);
    assert_non_null(shared);
    multi_heap_set_lock(shared, &shared_lock);
    capheap_stats_t before, after;
    capheap_heap_stats(heap_caps_capheap()->heap, &before);
    size_t shared_free = multi_heap_free_size(shared);

    static worker_t workers[WORKERS];
    reader_t readers[READERS] = {{0}};
    pthread_t th[WORKERS + READERS];
    unsigned long ops = (unsigned long)(100000 * ts_scale());
    atomic_store(&running, WORKERS);
    for (int i = 0; i < WORKERS; i++) {
        memset(&workers[i], 0, sizeof workers[i]);
        workers[i].seed = 0x5EED0000u + (uint64_t)i;
        workers[i].ops = ops ? ops : 1;
        assert_int_equal(pthread_create(&th[i], NULL, worker, &workers[i]), 0);
    }
    for (int i = 0; i < READERS; i++)
        assert_int_equal(
            pthread_create(&th[WORKERS + i], NULL, reader, &readers[i]), 0);
    for (int i = 0; i < WORKERS + READERS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);

    unsigned long nulls = 0;
    for (int i = 0; i < WORKERS; i++) {
        worker_t *w = &workers[i];
        if (w->wrong_type || w->wrong_dma || w->misaligned || w->damaged)
            print_message("worker %d: %lu wrong type, %lu beyond DMA, %lu "
                          "misaligned, %lu damaged\n",
                          i, w->wrong_type, w->wrong_dma, w->misaligned,
                          w->damaged);
        assert_int_equal(w->wrong_type, 0);
        assert_int_equal(w->wrong_dma, 0);
        assert_int_equal(w->misaligned, 0);
        assert_int_equal(w->damaged, 0);
        nulls += w->nulls;
    }
    /* Each worker holds at most SLOTS * MAX_SIZE bytes (~29 KiB): failures
     * may come only from the shared heap and single types (RTC, IRAM). */
    if (nulls >= (unsigned long)WORKERS * workers[0].ops / 20)
        print_message("%lu NULL of %lu operations\n", nulls,
                      (unsigned long)WORKERS * workers[0].ops);
    assert_true(nulls < (unsigned long)WORKERS * workers[0].ops / 20);
    for (int i = 0; i < READERS; i++) {
        assert_int_equal(readers[i].bad_checks, 0);
        assert_int_equal(readers[i].bad_figures, 0);
    }
    capheap_heap_stats(heap_caps_capheap()->heap, &after);
    assert_int_equal(after.free_bytes, before.free_bytes);
    assert_int_equal(after.allocated_blocks, before.allocated_blocks);
    assert_int_equal(multi_heap_free_size(shared), shared_free);
    assert_true(heap_caps_check_integrity_all(true));
    assert_true(multi_heap_check(shared, true));
    assert_int_equal(ts_errors()->count, 0);
}

static void esp32_threads(void **state) {
    (void)state;
    stress("esp32");
}

static void esp32s3_threads(void **state) {
    (void)state;
    stress("esp32s3");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(esp32_threads),
        cmocka_unit_test(esp32s3_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
