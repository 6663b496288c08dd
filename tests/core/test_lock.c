#define _POSIX_C_SOURCE 200809L
/*
 * test_lock.c - capheap_heap_set_lock() with a pthread mutex (port pthread):
 * every function that reads or writes blocks waits for the lock, the walker's
 * callback runs under it, no call leaves it held, NULL turns locking off, and
 * four threads sharing one heap leave it intact.
 */
#include "core_test.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#ifdef CAPHEAP_PORT_NONE
#define SKIP_WITHOUT_LOCKS() skip() /* port none: locking compiles away */
#else
#define SKIP_WITHOUT_LOCKS() (void)0
#endif

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Operations scale with CAPHEAP_TEST_SCALE, like the model test. */
static long scaled(long n) {
    long v = (long)(n * ts_scale());
    return v > 100 ? v : 100;
}

/* ---- every function waits for the lock -------------------------------- */

enum {
    OP_ALLOC,
    OP_ALIGNED,
    OP_FREE,
    OP_REALLOC,
    OP_USABLE,
    OP_TAG,
    OP_CONTAINING,
    OP_TAG_STATS,
    OP_STATS,
    OP_LARGEST,
    OP_RESET_MIN,
    OP_RESTORE_MIN,
    OP_CHECK,
    OP_WALK,
    OP_ADD_REGION,
    OP_LIVE_SIZE,
    OP_FREE_BYTES,
    OP_ALLOC_FROM,
    OP_LARGEST_ALIGNED,
    OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
    "alloc",
    "aligned_alloc",
    "free",
    "realloc",
    "usable_size",
    "block_tag",
    "containing_block",
    "tag_stats",
    "stats",
    "largest_free",
    "reset_min_free",
    "restore_min_free",
    "check",
    "walk",
    "add_region",
};

typedef struct {
    capheap_heap_t *h;
    int op;
    void *block;  /* a live block for free/realloc/queries */
    void *region; /* memory for add_region */
    atomic_int started, done;
} job_t;

static bool walk_nop(const capheap_block_info_t *b, void *user) {
    (void)b;
    (void)user;
    return true;
}

static void run_op(job_t *j) {
    capheap_heap_t *h = j->h;
    capheap_stats_t s;
    switch (j->op) {
    case OP_ALLOC:
        capheap_heap_free(h, capheap_heap_alloc(h, 0, 64));
        break;
    case OP_ALIGNED:
        capheap_heap_free(h, capheap_heap_aligned_alloc(h, 0, 256, 64));
        break;
    case OP_FREE:
        capheap_heap_free(h, j->block);
        break;
    case OP_REALLOC:
        j->block = capheap_heap_realloc(h, j->block, 3000);
        break;
    case OP_USABLE:
        (void)capheap_heap_usable_size(h, j->block);
        break;
    case OP_TAG:
        (void)capheap_heap_block_tag(h, j->block);
        break;
    case OP_CONTAINING:
        (void)capheap_heap_containing_block(h, j->block);
        break;
    case OP_TAG_STATS:
        (void)capheap_heap_tag_stats(h, 0, &s);
        break;
    case OP_STATS:
        capheap_heap_stats(h, &s);
        break;
    case OP_LARGEST:
        (void)capheap_heap_largest_free(h, 0);
        break;
    case OP_RESET_MIN:
        (void)capheap_heap_reset_min_free(h, 0);
        break;
    case OP_RESTORE_MIN:
        capheap_heap_restore_min_free(h, 0, 0);
        break;
    case OP_CHECK:
        (void)capheap_heap_check(h, NULL);
        break;
    case OP_WALK:
        (void)capheap_heap_walk(h, walk_nop, NULL);
        break;
    case OP_ADD_REGION:
        (void)capheap_heap_add_region(h, j->region, 4096, 1);
        break;
    case OP_LIVE_SIZE:
        (void)capheap_heap_live_size(h, j->block);
        break;
    case OP_FREE_BYTES:
        (void)capheap_heap_free_bytes(h, 0);
        break;
    case OP_ALLOC_FROM: {
        static const uint8_t tags[] = {1, 0};
        capheap_heap_free(h, capheap_heap_alloc_from(h, tags, 2, 64));
        break;
    }
    case OP_LARGEST_ALIGNED:
        (void)capheap_heap_largest_free_aligned(h, 0, 256);
        break;
    }
}

static void *job_thread(void *arg) {
    job_t *j = arg;
    atomic_store(&j->started, 1);
    run_op(j);
    atomic_store(&j->done, 1);
    return NULL;
}

static void every_function_takes_the_lock(void **state) {
    (void)state;
    SKIP_WITHOUT_LOCKS();
    ts_errors_install();
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    capheap_heap_t *h = ct_heap_new(OP_COUNT + 2, 2);
    unsigned char *arena = ct_arena(65536, 0);
    unsigned char *more = ct_arena(4096, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, 65536, 0), CAPHEAP_OK);
    capheap_heap_set_lock(h, &m);
    for (int op = 0; op < OP_COUNT; op++) {
        job_t j;
        memset(&j, 0, sizeof j);
        j.h = h;
        j.op = op;
        j.block = capheap_heap_alloc(h, 0, 100);
        j.region = more;
        assert_non_null(j.block);
        pthread_t th;
        assert_int_equal(pthread_mutex_lock(&m), 0);
        assert_int_equal(pthread_create(&th, NULL, job_thread, &j), 0);
        while (!atomic_load(&j.started))
            sleep_ms(1);
        sleep_ms(30); /* ample time to finish, were it not waiting */
        if (atomic_load(&j.done))
            fail_msg("%s did not wait for the heap's lock", op_names[op]);
        assert_int_equal(pthread_mutex_unlock(&m), 0);
        assert_int_equal(pthread_join(th, NULL), 0);
        assert_true(atomic_load(&j.done));
        if (op != OP_FREE && j.block)
            capheap_heap_free(h, j.block);
        ts_assert_heap_ok(h);
    }
    assert_int_equal(capheap_heap_region_count(h), 2); /* add_region ran */
    ct_assert_no_error();
    capheap_heap_set_lock(h, NULL);
    ct_heap_delete(h);
    ts_arena_free(arena);
    ts_arena_free(more);
}

/* A free waiting for the lock judges its pointer after the wait: here the
 * block's header is marked free (as another thread's free of it would)
 * while the lock is held, so the waiting free must report a double free
 * and change nothing. A free that judged it before taking the lock would
 * release it a second time. */
static void free_judges_its_pointer_under_the_lock(void **state) {
    (void)state;
    SKIP_WITHOUT_LOCKS();
    ts_errors_install();
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    capheap_heap_t *h = ct_heap_new(1, 1);
    unsigned char *arena = ct_arena(65536, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, 65536, 0), CAPHEAP_OK);
    void *keep = capheap_heap_alloc(h, 0, 100);
    job_t j;
    memset(&j, 0, sizeof j);
    j.h = h;
    j.op = OP_FREE;
    j.block = capheap_heap_alloc(h, 0, 100);
    assert_non_null(keep);
    assert_non_null(j.block);
    capheap_heap_set_lock(h, &m);
    word_t *hp = hdr_at(block_of(j.block));
    word_t saved = *hp;
    ts_errors_reset();
    pthread_t th;
    assert_int_equal(pthread_mutex_lock(&m), 0);
    assert_int_equal(pthread_create(&th, NULL, job_thread, &j), 0);
    while (!atomic_load(&j.started))
        sleep_ms(1);
    sleep_ms(30); /* the free is waiting now */
    *hp = saved | F_FREE;
    assert_int_equal(pthread_mutex_unlock(&m), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    ct_assert_one_error(CAPHEAP_ERR_DOUBLE_FREE, j.block, "free");
    assert_int_equal(*hp, saved | F_FREE); /* nothing changed */
    *hp = saved;
    capheap_heap_set_lock(h, NULL);
    ts_errors_reset();
    capheap_heap_free(h, j.block);
    capheap_heap_free(h, keep);
    ts_assert_heap_ok(h);
    ct_assert_no_error();
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/* ---- the walker's callback runs under the lock; nothing leaks it ------- */

static pthread_mutex_t walk_mutex = PTHREAD_MUTEX_INITIALIZER;

static bool walk_sees_lock(const capheap_block_info_t *b, void *user) {
    (void)b;
    int *held = user;
    if (pthread_mutex_trylock(&walk_mutex) == EBUSY) {
        ++*held;
    } else {
        pthread_mutex_unlock(&walk_mutex);
        *held = -1000; /* not held: fail below */
    }
    return true;
}

static void lock_held_in_walk_and_released_after_calls(void **state) {
    (void)state;
    SKIP_WITHOUT_LOCKS();
    ts_errors_install();
    capheap_heap_t *h = ct_heap_new(2, 2);
    unsigned char *arena = ct_arena(16384, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, 16384, 0), CAPHEAP_OK);
    capheap_heap_set_lock(h, &walk_mutex);
    void *p = capheap_heap_alloc(h, 0, 10);
    assert_non_null(p);
    int held = 0;
    assert_true(capheap_heap_walk(h, walk_sees_lock, &held));
    assert_true(held >= 3);

    /* After each call, good or bad, the lock is free again. */
    int local;
    void *q = capheap_heap_alloc(h, 0, 20);
    for (int k = 0; k < 12; k++) {
        switch (k) {
        case 0:
            capheap_heap_free(h, &local);
            break;
        case 1:
            (void)capheap_heap_realloc(h, &local, 5);
            break;
        case 2:
            (void)capheap_heap_usable_size(h, (char *)p + 1);
            break;
        case 3:
            (void)capheap_heap_block_tag(h, &local);
            break;
        case 4:
            (void)capheap_heap_alloc(h, 0, SIZE_MAX);
            break;
        case 5:
            (void)capheap_heap_aligned_alloc(h, 0, 64, 1 << 20);
            break;
        case 6:
            assert_null(capheap_heap_realloc(h, q, 1 << 20));
            break;
        case 7:
            (void)capheap_heap_add_region(h, arena, 100, 0);
            break;
        case 8:
            (void)capheap_heap_add_region(h, arena + 100, 16, 0);
            break;
        case 9:
            capheap_heap_free(h, q);
            break;
        case 10:
            capheap_heap_free(h, q);
            break; /* double free */
        case 11:
            (void)capheap_heap_containing_block(h, &local);
            break;
        }
        if (pthread_mutex_trylock(&walk_mutex) != 0)
            fail_msg("call %d left the lock held", k);
        pthread_mutex_unlock(&walk_mutex);
    }
    assert_int_equal(ts_errors()->count, 5); /* calls 0-3 and 10 */
    ts_errors_reset();
    capheap_heap_free(h, p);
    ts_assert_heap_ok(h);
    capheap_heap_set_lock(h, NULL);
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/* With the lock set to NULL again, the heap does not touch the mutex. */
static void null_lock_means_no_locking(void **state) {
    (void)state;
    SKIP_WITHOUT_LOCKS();
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    capheap_heap_t *h = ct_heap_new(1, 1);
    unsigned char *arena = ct_arena(16384, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, 16384, 0), CAPHEAP_OK);
    capheap_heap_set_lock(h, &m);
    capheap_heap_set_lock(h, NULL);
    job_t j;
    memset(&j, 0, sizeof j);
    j.h = h;
    j.op = OP_ALLOC;
    pthread_t th;
    assert_int_equal(pthread_mutex_lock(&m), 0);
    assert_int_equal(pthread_create(&th, NULL, job_thread, &j), 0);
    for (int i = 0; i < 30000 && !atomic_load(&j.done); i++)
        sleep_ms(1);
    int done = atomic_load(&j.done);
    assert_int_equal(pthread_mutex_unlock(&m), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(done);
    ts_assert_heap_ok(h);
    ct_heap_delete(h);
    ts_arena_free(arena);
}

/* ---- four threads, one heap -------------------------------------------- */

enum { THREADS = 4, SLOTS = 64 };

typedef struct {
    capheap_heap_t *h;
    unsigned id;
    long ops;
    unsigned char *p[SLOTS];
    size_t n[SLOTS];
    uint32_t seed[SLOTS];
    long bad; /* findings, checked by the main thread */
    long allocs, fails;
    char first_bad[128];
} worker_t;

static atomic_int workers_done;

static void note_bad(worker_t *w, const char *what) {
    if (!w->bad++)
        snprintf(w->first_bad, sizeof w->first_bad, "thread %u: %s", w->id,
                 what);
}

static void *worker(void *arg) {
    worker_t *w = arg;
    capheap_heap_t *h = w->h;
    ts_rng_t r;
    ts_rng_seed(&r, 1000 + w->id);
    for (long it = 0; it < w->ops; it++) {
        int i = (int)ts_rng_range(&r, 0, SLOTS - 1);
        unsigned tag = (unsigned)(i % 2);
        int op = (int)ts_rng_range(&r, 0, 9);
        if (w->p[i]) {
            if (!ts_verify(w->p[i], w->n[i], w->seed[i]))
                note_bad(w, "block contents changed");
            if (capheap_heap_block_tag(h, w->p[i]) != (int)tag)
                note_bad(w, "wrong tag");
            if (capheap_heap_usable_size(h, w->p[i]) < w->n[i])
                note_bad(w, "usable size below the request");
        }
        if (!w->p[i]) {
            size_t n = (size_t)ts_rng_range(&r, 1, 600);
            unsigned char *p = op < 2
                                   ? capheap_heap_aligned_alloc(h, tag, 128, n)
                                   : capheap_heap_alloc(h, tag, n);
            w->allocs++;
            if (!p) {
                w->fails++;
                continue;
            }
            if ((op < 2 && (uintptr_t)p % 128) || !ct_inside_tag(h, p, n, tag))
                note_bad(w, "misplaced block");
            w->p[i] = p;
            w->n[i] = n;
            w->seed[i] = (uint32_t)(it * THREADS + w->id);
            ts_fill(p, n, w->seed[i]);
        } else if (op < 3) {
            size_t n = (size_t)ts_rng_range(&r, 1, 900);
            unsigned char *q = capheap_heap_realloc(h, w->p[i], n);
            if (q) {
                size_t keep = n < w->n[i] ? n : w->n[i];
                if (!ts_verify(q, keep, w->seed[i]))
                    note_bad(w, "realloc lost contents");
                w->p[i] = q;
                w->n[i] = n;
                w->seed[i] = (uint32_t)(it * THREADS + w->id);
                ts_fill(q, n, w->seed[i]);
            }
        } else {
            capheap_heap_free(h, w->p[i]);
            w->p[i] = NULL;
        }
    }
    for (int i = 0; i < SLOTS; i++) {
        if (w->p[i] && !ts_verify(w->p[i], w->n[i], w->seed[i]))
            note_bad(w, "block contents changed at the end");
        capheap_heap_free(h, w->p[i]);
    }
    atomic_fetch_add(&workers_done, 1);
    return NULL;
}

static void four_threads_share_a_heap(void **state) {
    (void)state;
    SKIP_WITHOUT_LOCKS();
    ts_errors_install();
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    capheap_heap_t *h = ct_heap_new(4, 2);
    unsigned char *arena = ct_arena(4 * 32768, 0);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(
            capheap_heap_add_region(h, arena + i * 32768, 32768, i % 2),
            CAPHEAP_OK);
    }
    capheap_heap_set_lock(h, &m);
    capheap_stats_t s0[2] = {ct_tag_stats(h, 0), ct_tag_stats(h, 1)};
    static worker_t w[THREADS];
    pthread_t th[THREADS];
    memset(w, 0, sizeof w);
    atomic_store(&workers_done, 0);
    for (unsigned i = 0; i < THREADS; i++) {
        w[i].h = h;
        w[i].id = i;
        w[i].ops = scaled(60000);
        assert_int_equal(pthread_create(&th[i], NULL, worker, &w[i]), 0);
    }
    /* The check and the statistics hold while the threads run. */
    int checks = 0;
    for (;;) {
        int running = atomic_load(&workers_done) < THREADS;
        capheap_check_report_t rep;
        if (capheap_heap_check(h, &rep) != CAPHEAP_OK)
            fail_msg("check during the run: %s at %p",
                     capheap_fault_str(rep.fault), rep.addr);
        capheap_stats_t s = ct_heap_stats(h);
        assert_int_equal(s.total_blocks, s.allocated_blocks + s.free_blocks);
        assert_true(s.minimum_free_bytes <= s.free_bytes);
        checks++;
        if (!running || checks > 100000)
            break;
        sleep_ms(2);
    }
    for (unsigned i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    long allocs = 0, fails = 0;
    for (unsigned i = 0; i < THREADS; i++) {
        if (w[i].bad)
            fail_msg("%s (%ld findings)", w[i].first_bad, w[i].bad);
        allocs += w[i].allocs;
        fails += w[i].fails;
    }
    assert_true(allocs > 0);
    assert_true(fails < allocs / 2); /* the heap was mostly usable */
    ts_assert_heap_ok(h);
    for (unsigned t = 0; t < 2; t++) {
        capheap_stats_t s = ct_tag_stats(h, t);
        assert_int_equal(s.allocated_blocks, 0);
        assert_int_equal(s.free_bytes, s0[t].free_bytes);
        assert_int_equal(s.free_blocks, s0[t].free_blocks);
    }
    ct_assert_no_error();
    capheap_heap_set_lock(h, NULL);
    ct_heap_delete(h);
    ts_arena_free(arena);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_function_takes_the_lock),
        cmocka_unit_test(free_judges_its_pointer_under_the_lock),
        cmocka_unit_test(lock_held_in_walk_and_released_after_calls),
        cmocka_unit_test(null_lock_means_no_locking),
        cmocka_unit_test(four_threads_share_a_heap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
