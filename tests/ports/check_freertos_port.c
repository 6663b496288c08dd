/*
 * check_freertos_port.c - the FreeRTOS port, built against a stand-in of
 * FreeRTOS's headers: every heap operation runs inside one balanced
 * critical section.
 */
#include "test_support.h"

#include "capheap/port.h"

int test_critical_depth;
int test_critical_entries;
int test_assertions;
int test_current_task; /* the stand-in's running task (task.h) */

static void balanced_critical_sections(void **state) {
    (void)state;
    static void *storage[CAPHEAP_HEAP_STORAGE_SIZE(1, 1) / sizeof(void *)];
    static _Alignas(16) unsigned char arena[16384];
    capheap_heap_t *h = capheap_heap_init(storage, sizeof storage, 1, 1);
    assert_int_equal(capheap_heap_add_region(h, arena, sizeof arena, 0),
                     CAPHEAP_OK);
    capheap_heap_set_lock(h, capheap_port_default_lock());
    int before = test_critical_entries;
    void *p = capheap_heap_alloc(h, 0, 100);
    assert_non_null(p);
    assert_int_equal(test_critical_entries, before + 1);
    assert_int_equal(test_critical_depth, 0);
    p = capheap_heap_realloc(h, p, 3000);
    capheap_heap_free(h, p);
    assert_int_equal(test_critical_entries, before + 3);
    assert_int_equal(test_critical_depth, 0);
    assert_int_equal(capheap_heap_check(h, NULL), CAPHEAP_OK);
    assert_int_equal(test_critical_depth, 0);
    assert_int_equal(test_assertions, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(balanced_critical_sections)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
