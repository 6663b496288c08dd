/*
 * check_spinlock_port.c - the C11-atomics spinlock port: four threads on
 * one heap, whose integrity holds and whose every block comes back.
 */
#include "test_support.h"

#include <pthread.h>

#include "capheap/port.h"
#include "capheap/port_spinlock.h"

static capheap_heap_t *heap;

static void *worker(void *arg) {
    ts_rng_t r;
    void *live[32] = {0};
    ts_rng_seed(&r, (uint64_t)(uintptr_t)arg + 1);
    for (int i = 0; i < 20000; i++) {
        unsigned k = (unsigned)ts_rng_range(&r, 0, 31);
        if (live[k]) {
            capheap_heap_free(heap, live[k]);
            live[k] = NULL;
        } else {
            live[k] = capheap_heap_alloc(heap, 0, ts_rng_range(&r, 1, 300));
        }
    }
    for (int k = 0; k < 32; k++)
        capheap_heap_free(heap, live[k]);
    return NULL;
}

static void four_threads_one_heap(void **state) {
    (void)state;
    static void *storage[CAPHEAP_HEAP_STORAGE_SIZE(1, 1) / sizeof(void *)];
    static capheap_spinlock_t lock = CAPHEAP_SPINLOCK_INIT;
    unsigned char *arena = ts_arena(256 * 1024);
    heap = capheap_heap_init(storage, sizeof storage, 1, 1);
    assert_int_equal(capheap_heap_add_region(heap, arena, 256 * 1024, 0),
                     CAPHEAP_OK);
    capheap_heap_set_lock(heap, &lock);
    capheap_stats_t s0, s1;
    capheap_heap_tag_stats(heap, 0, &s0);
    pthread_t t[4];
    for (uintptr_t i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, (void *)i), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    ts_assert_heap_ok(heap);
    capheap_heap_tag_stats(heap, 0, &s1);
    assert_int_equal(s1.free_bytes, s0.free_bytes);
    assert_int_equal(s1.allocated_blocks, 0);
    assert_non_null(capheap_port_default_lock());
    ts_arena_free(arena);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(four_threads_one_heap)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
