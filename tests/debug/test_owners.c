#define _POSIX_C_SOURCE 200809L
/*
 * test_owners.c - per-owner accounting (CAPHEAP_OWNERS) with the pthread
 * port: the owner is the allocating thread.
 */
#include "test_support.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "capheap/port.h"
#include "core/free_list.h"
#include "core/owners.h"

#define ARENA 65536

typedef ts_heap_t fx_t;

/* Regions of tags 0 and 1, locked: threads share the heap. */
static int setup(void **state) {
    static const unsigned tags[2] = {0, 1};
    ts_heap_t *f = ts_heap_new(2, 2, ARENA, tags, 2, 0);
    capheap_heap_set_lock(f->h, capheap_port_default_lock());
    *state = f;
    return 0;
}

static int teardown(void **state) {
    ts_heap_delete(*state);
    return 0;
}

static size_t usable(fx_t *f, void *p) {
    (void)f;
    return hdr_size(*hdr_at(block_of(p))) - HDR_BYTES;
}

/* The slot of (owner, tag), or a zeroed record. */
static capheap_owner_stats_t slot_of(fx_t *f, uintptr_t owner, size_t tag) {
    capheap_owner_stats_t all[CAPHEAP_OWNER_SLOTS];
    size_t n = capheap_heap_owners(f->h, all, CAPHEAP_OWNER_SLOTS);
    for (size_t i = 0; i < n; i++) {
        if (all[i].owner == owner && all[i].tag == tag)
            return all[i];
    }
    return (capheap_owner_stats_t){0, 0, 0, 0, 0};
}

typedef struct {
    fx_t *f;
    void *p[3];
    uintptr_t self;
    pthread_barrier_t *alive; /* keeps thread identities distinct */
} worker_t;

static void *worker(void *arg) {
    worker_t *w = arg;
    w->self = capheap_port_owner();
    w->p[0] = capheap_heap_alloc(w->f->h, 0, 100);
    w->p[1] = capheap_heap_alloc(w->f->h, 0, 300);
    w->p[2] = capheap_heap_alloc(w->f->h, 1, 50);
    if (w->alive)
        pthread_barrier_wait(w->alive);
    return NULL;
}

static void current_peak_and_blocks_per_thread(void **state) {
    fx_t *f = *state;
    uintptr_t me = capheap_port_owner();
    void *mine = capheap_heap_alloc(f->h, 0, 1000);
    assert_non_null(mine);
    worker_t w = {f, {0}, 0, NULL};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, worker, &w), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(w.self != me);

    capheap_owner_stats_t s = slot_of(f, me, 0);
    assert_int_equal(s.blocks, 1);
    assert_int_equal(s.current, usable(f, mine));
    assert_int_equal(s.peak, s.current);
    s = slot_of(f, w.self, 0);
    assert_int_equal(s.blocks, 2);
    assert_int_equal(s.current, usable(f, w.p[0]) + usable(f, w.p[1]));
    s = slot_of(f, w.self, 1);
    assert_int_equal(s.blocks, 1);
    assert_int_equal(s.current, usable(f, w.p[2]));
    assert_int_equal(capheap_heap_block_owner(f->h, w.p[1]), w.self);
    assert_int_equal(capheap_heap_block_owner(f->h, mine), me);

    /* The list of an owner's blocks, in address order. */
    void *list[4];
    assert_int_equal(capheap_heap_owner_blocks(f->h, w.self, list, 4), 3);
    for (int i = 0; i < 3; i++)
        assert_true(list[i] == w.p[0] || list[i] == w.p[1] ||
                    list[i] == w.p[2]);
    assert_int_equal(capheap_heap_owner_blocks(f->h, me, list, 4), 1);
    assert_ptr_equal(list[0], mine);

    /* Freeing from another thread takes it off the allocator's account;
     * the peak stays. */
    size_t peak = slot_of(f, w.self, 0).current;
    capheap_heap_free(f->h, w.p[1]);
    s = slot_of(f, w.self, 0);
    assert_int_equal(s.blocks, 1);
    assert_int_equal(s.current, usable(f, w.p[0]));
    assert_int_equal(s.peak, peak);

    /* realloc makes the caller the owner, in place or moved. */
    void *q = capheap_heap_realloc(f->h, w.p[0], 5000);
    assert_non_null(q);
    assert_int_equal(capheap_heap_block_owner(f->h, q), me);
    assert_int_equal(slot_of(f, w.self, 0).blocks, 0);
    assert_int_equal(slot_of(f, w.self, 0).current, 0);
    assert_int_equal(slot_of(f, me, 0).blocks, 2);
    assert_int_equal(slot_of(f, me, 0).current, usable(f, mine) + usable(f, q));
    /* A realloc that fails leaves the account as it was. */
    assert_null(capheap_heap_realloc(f->h, q, 2 * ARENA));
    assert_int_equal(slot_of(f, me, 0).current, usable(f, mine) + usable(f, q));

    capheap_heap_free(f->h, q);
    capheap_heap_free(f->h, mine);
    capheap_heap_free(f->h, w.p[2]);
    assert_int_equal(slot_of(f, me, 0).current, 0);
    assert_int_equal(slot_of(f, w.self, 1).current, 0);
    assert_int_equal(ts_errors()->count, 0);
}

/* More owners than slots: the last slot sums the rest, exactly, and an
 * owner with no blocks left gives its slot up. */
static void table_overflow_is_exact(void **state) {
    fx_t *f = *state;
    enum { N = CAPHEAP_OWNER_SLOTS + 6 };
    /* N owners: N threads, three blocks each. */
    static worker_t w[N];
    pthread_t th[N];
    pthread_barrier_t alive;
    pthread_barrier_init(&alive, NULL, N + 1);
    for (int i = 0; i < N; i++) {
        w[i] = (worker_t){f, {0}, 0, &alive};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &w[i]), 0);
    }
    pthread_barrier_wait(&alive);
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    pthread_barrier_destroy(&alive);
    capheap_owner_stats_t all[CAPHEAP_OWNER_SLOTS + 1];
    size_t n = capheap_heap_owners(f->h, all, CAPHEAP_OWNER_SLOTS + 1);
    assert_true(n <= CAPHEAP_OWNER_SLOTS);
    size_t blocks = 0, bytes = 0, want = 0;
    for (size_t i = 0; i < n; i++) {
        blocks += all[i].blocks;
        bytes += all[i].current;
    }
    for (int i = 0; i < N; i++)
        for (int k = 0; k < 3; k++)
            want += w[i].p[k] ? usable(f, w[i].p[k]) : 0;
    assert_int_equal(blocks, 3 * N);
    assert_int_equal(bytes, want);
    assert_int_equal(all[n - 1].owner, CAPHEAP_OWNER_OTHERS);
    assert_true(all[n - 1].blocks > 0);
    /* Free everything: every slot returns to zero, the others' too. */
    for (int i = 0; i < N; i++)
        for (int k = 0; k < 3; k++)
            capheap_heap_free(f->h, w[i].p[k]);
    n = capheap_heap_owners(f->h, all, CAPHEAP_OWNER_SLOTS + 1);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(all[i].blocks, 0);
        assert_int_equal(all[i].current, 0);
        assert_true(all[i].peak > 0);
    }
    /* A new owner now finds a slot of its own (an old one is given up). */
    void *p = capheap_heap_alloc(f->h, 0, 64);
    assert_int_equal(capheap_heap_block_owner(f->h, p), capheap_port_owner());
    assert_int_equal(slot_of(f, capheap_port_owner(), 0).blocks, 1);
    capheap_heap_free(f->h, p);
    assert_int_equal(ts_errors()->count, 0);
}

/* The integrity check holds the owner table to the blocks. */
static void check_verifies_the_table(void **state) {
    fx_t *f = *state;
    void *p = capheap_heap_alloc(f->h, 0, 200);
    assert_non_null(p);
    ts_assert_heap_ok(f->h);
    capheap_owner_stats_t *tab = heap_owners(f->h);
    capheap_check_report_t rep;
    tab[0].current += 8; /* more than the blocks hold */
    assert_int_equal(capheap_heap_check(f->h, &rep), CAPHEAP_ERR_CORRUPT);
    assert_int_equal(rep.fault, CAPHEAP_FAULT_COUNTERS);
    tab[0].current -= 8;
    tab[0].blocks++; /* a block too many */
    assert_int_equal(capheap_heap_check(f->h, &rep), CAPHEAP_ERR_CORRUPT);
    tab[0].blocks--;
    size_t peak = tab[0].peak;
    tab[0].peak = tab[0].current - 1; /* current above its peak */
    assert_int_equal(capheap_heap_check(f->h, &rep), CAPHEAP_ERR_CORRUPT);
    tab[0].peak = peak;
    ts_assert_heap_ok(f->h);
    capheap_heap_free(f->h, p);
    ts_assert_heap_ok(f->h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(current_peak_and_blocks_per_thread,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(table_overflow_is_exact, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(check_verifies_the_table, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
