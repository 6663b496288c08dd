/*
 * test_smoke.c - the shortest path through the core: init, add, alloc, free.
 */
#include "test_support.h"

#include <string.h>

static void smoke(void **state) {
    (void)state;
    static void *storage[CAPHEAP_HEAP_STORAGE_SIZE(2, 2) / sizeof(void *)];
    capheap_heap_t *h = capheap_heap_init(storage, sizeof storage, 2, 2);
    assert_non_null(h);
    char *arena = ts_arena(65536);
    assert_int_equal(capheap_heap_add_region(h, arena, 65536, 1), CAPHEAP_OK);
    capheap_stats_t before;
    capheap_heap_tag_stats(h, 1, &before);
    void *p = capheap_heap_alloc(h, 1, 100);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % CAPHEAP_ALIGNMENT, 0);
    memset(p, 0xAB, 100);
    assert_null(capheap_heap_alloc(h, 0, 100));
    ts_assert_heap_ok(h);
    capheap_heap_free(h, p);
    ts_assert_heap_ok(h);
    capheap_stats_t after;
    capheap_heap_tag_stats(h, 1, &after);
    assert_int_equal(before.free_bytes, after.free_bytes);
    ts_arena_free(arena);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(smoke)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
