#define _GNU_SOURCE /* pthread_setname_np */
/*
 * test_owners.c - per-owner accounting (CAPHEAP_OWNERS) with the pthread
 * port: the owner is the allocating thread; the owner walk gives the table
 * and its blocks as one picture; the port describes threads.
 */
#include "test_support.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

typedef struct {
    capheap_owner_stats_t *table;
    size_t visits, stop_after;
    size_t bytes[2], blocks[2]; /* per tag, of the test's owner */
    uintptr_t owner;
    bool table_ready; /* the copy was there at the first visit */
    void *seen[8];
} owned_t;

static bool visit(const capheap_owned_block_t *b, void *user) {
    owned_t *o = user;
    if (o->visits == 0)
        o->table_ready = o->table[0].peak != 0;
    if (o->visits < 8)
        o->seen[o->visits] = b->ptr;
    o->visits++;
    if (b->owner == o->owner && b->tag < 2) {
        o->bytes[b->tag] += b->bytes;
        o->blocks[b->tag]++;
    }
    return o->visits != o->stop_after;
}

/* The owner walk: the table copied before the first block, every live
 * block (no control block) with the owner, tag and bytes the table counts,
 * in walk order; a callback may stop it; without one only the table. */
static void owner_walk_matches_the_table(void **state) {
    fx_t *f = *state;
    uintptr_t me = capheap_port_owner();
    void *p[5] = {
        capheap_heap_alloc(f->h, 0, 100), capheap_heap_alloc(f->h, 1, 40),
        capheap_heap_alloc(f->h, 0, 1000), capheap_heap_alloc(f->h, 1, 3),
        capheap_heap_alloc(f->h, 0, 7)};
    for (int i = 0; i < 5; i++)
        assert_non_null(p[i]);
    capheap_heap_free(f->h, p[2]);
    capheap_owner_stats_t table[CAPHEAP_OWNER_SLOTS];
    memset(table, 0, sizeof table);
    owned_t o = {table, 0, 0, {0, 0}, {0, 0}, me, false, {0}};
    size_t n =
        capheap_heap_owner_walk(f->h, table, CAPHEAP_OWNER_SLOTS, visit, &o);
    assert_int_equal(n, 2); /* (me, 0) and (me, 1) */
    assert_true(o.table_ready);
    assert_int_equal(o.visits, 4);
    for (unsigned tag = 0; tag < 2; tag++) {
        capheap_owner_stats_t s = slot_of(f, me, tag);
        assert_int_equal(o.bytes[tag], s.current);
        assert_int_equal(o.blocks[tag], s.blocks);
    }
    assert_int_equal(o.bytes[0], usable(f, p[0]) + usable(f, p[4]));
    assert_int_equal(o.bytes[1], usable(f, p[1]) + usable(f, p[3]));
    /* The order is the walk's: the same as capheap_heap_owner_blocks(). */
    void *list[8];
    assert_int_equal(capheap_heap_owner_blocks(f->h, me, list, 8), 4);
    assert_memory_equal(list, o.seen, 4 * sizeof list[0]);

    /* Stopped after two blocks. */
    memset(&o, 0, sizeof o);
    o.table = table;
    o.owner = me;
    o.stop_after = 2;
    capheap_heap_owner_walk(f->h, table, CAPHEAP_OWNER_SLOTS, visit, &o);
    assert_int_equal(o.visits, 2);
    /* No callback: the table alone, cut to the room given. */
    memset(table, 0, sizeof table);
    assert_int_equal(capheap_heap_owner_walk(f->h, table, 1, NULL, NULL), 2);
    assert_int_equal(table[0].owner, me);
    assert_int_equal(table[1].peak, 0); /* not written */
    for (int i = 0; i < 5; i++)
        if (i != 2)
            capheap_heap_free(f->h, p[i]);
    assert_int_equal(ts_errors()->count, 0);
}

/* A heap without regions has no blocks: the table alone. */
static void owner_walk_of_an_empty_heap(void **state) {
    (void)state;
    static void *storage[CAPHEAP_HEAP_STORAGE_SIZE(1, 1) / sizeof(void *)];
    capheap_heap_t *h = capheap_heap_init(storage, sizeof storage, 1, 1);
    capheap_owner_stats_t table[2];
    owned_t o;
    memset(&o, 0, sizeof o);
    assert_int_equal(capheap_heap_owner_walk(h, table, 2, visit, &o), 0);
    assert_int_equal(o.visits, 0);
}

static void *named(void *arg) {
    uintptr_t *owner = arg;
    pthread_setname_np(pthread_self(), "named-worker");
    *owner = capheap_port_owner();
    return NULL;
}

/* pthread_join returns when the kernel has cleared the thread's id, a
 * moment before it removes the thread from /proc (under qemu-user the
 * host thread may outlive the guest's join by longer): wait, bounded,
 * for the kernel's word before asking the port. */
static void wait_until_reaped(uintptr_t tid) {
    char path[48];
    snprintf(path, sizeof path, "/proc/self/task/%lu", (unsigned long)tid);
    for (int i = 0; i < 10000 && access(path, F_OK) == 0; i++)
        usleep(1000);
    assert_int_not_equal(access(path, F_OK), 0);
}

typedef struct {
    uintptr_t owner;
    pthread_barrier_t *step;
} waiting_t;

static void *wait_named(void *arg) {
    waiting_t *w = arg;
    pthread_setname_np(pthread_self(), "a-long-name-cut");
    w->owner = capheap_port_owner();
    pthread_barrier_wait(w->step);
    pthread_barrier_wait(w->step);
    return NULL;
}

/* The pthread port on Linux: owners are kernel thread ids (the main
 * thread's is the process id); a running thread is named as it named
 * itself, one that ended is "thread <id>" and described as ended; two
 * threads one after the other are two owners (their pthread_t may be one). */
static void port_describes_threads(void **state) {
    (void)state;
    char name[16];
    assert_int_equal(capheap_port_owner(), (uintptr_t)getpid());
    assert_true(
        capheap_port_owner_describe(capheap_port_owner(), name, sizeof name));
    char comm[64] = "";
    FILE *f = fopen("/proc/self/comm", "r");
    assert_non_null(f);
    assert_non_null(fgets(comm, sizeof comm, f));
    fclose(f);
    comm[strcspn(comm, "\n")] = '\0';
    assert_string_equal(name, comm);

    pthread_barrier_t step;
    pthread_barrier_init(&step, NULL, 2);
    waiting_t w = {0, &step};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, wait_named, &w), 0);
    pthread_barrier_wait(&step);
    assert_true(capheap_port_owner_describe(w.owner, name, sizeof name));
    assert_string_equal(name, "a-long-name-cut");
    assert_true(capheap_port_owner_describe(w.owner, name, 5));
    assert_string_equal(name, "a-lo"); /* cut to the room, NUL included */
    pthread_barrier_wait(&step);
    assert_int_equal(pthread_join(th, NULL), 0);
    pthread_barrier_destroy(&step);
    wait_until_reaped(w.owner);
    char want[32];
    snprintf(want, sizeof want, "thread %lu", (unsigned long)w.owner);
    assert_false(capheap_port_owner_describe(w.owner, name, sizeof name));
    assert_string_equal(name, want);

    uintptr_t first = 0, second = 0;
    assert_int_equal(pthread_create(&th, NULL, named, &first), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(pthread_create(&th, NULL, named, &second), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(first != second);
    wait_until_reaped(second);
    assert_false(capheap_port_owner_describe(second, name, sizeof name));
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
        cmocka_unit_test_setup_teardown(owner_walk_matches_the_table, setup,
                                        teardown),
        cmocka_unit_test(owner_walk_of_an_empty_heap),
        cmocka_unit_test(port_describes_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
