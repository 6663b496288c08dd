/*
 * check_freertos_port.c - the FreeRTOS port, built against a stand-in of
 * FreeRTOS's headers: every heap operation runs inside one balanced
 * critical section; with owners, tasks are described from the task list.
 */
#include <stdio.h>

#include "test_support.h"

#include "FreeRTOS.h"
#include "capheap/port.h"
#include "task.h"

int test_critical_depth;
int test_critical_entries;
int test_assertions;
int test_current_task; /* the stand-in's running task (task.h) */

#if CAPHEAP_OWNERS
const char *test_current_name = "main";
static int other_task, gone_task;
TaskStatus_t test_task_list[20];
UBaseType_t test_task_count;

/* As FreeRTOS does: 0 when the array cannot hold every task. */
UBaseType_t uxTaskGetSystemState(TaskStatus_t *tasks, UBaseType_t max,
                                 unsigned long *total_run_time) {
    (void)total_run_time;
    if (max < test_task_count)
        return 0;
    for (UBaseType_t i = 0; i < test_task_count; i++)
        tasks[i] = test_task_list[i];
    return test_task_count;
}
#endif

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

#if CAPHEAP_OWNERS
/* Owners are task handles, named from the running task and the task list;
 * a handle the list no longer holds is a deleted task, named by its
 * address, and its TCB is never read. */
static void owners_are_tasks_named_from_the_task_list(void **state) {
    (void)state;
    char name[16];
    assert_int_equal(capheap_port_owner(), (uintptr_t)&test_current_task);
    test_task_list[0] = (TaskStatus_t){&test_current_task, "main"};
    test_task_list[1] = (TaskStatus_t){&other_task, "wifi"};
    test_task_count = 2;

    assert_true(capheap_port_owner_describe(0, name, sizeof name));
    assert_string_equal(name, "Pre-scheduler");
    assert_true(
        capheap_port_owner_describe(capheap_port_owner(), name, sizeof name));
    assert_string_equal(name, "main");
    assert_true(
        capheap_port_owner_describe((uintptr_t)&other_task, name, sizeof name));
    assert_string_equal(name, "wifi");

    char want[24];
    snprintf(want, sizeof want, "0x%0*jx", (int)(2 * sizeof(uintptr_t)),
             (uintmax_t)(uintptr_t)&gone_task);
    want[sizeof name - 1] = '\0'; /* cut as the name's array cuts it */
    assert_false(
        capheap_port_owner_describe((uintptr_t)&gone_task, name, sizeof name));
    assert_string_equal(name, want);
    /* A name is cut to the room given, NUL included. */
    assert_true(capheap_port_owner_describe((uintptr_t)&other_task, name, 3));
    assert_string_equal(name, "wi");

    /* More tasks than the port's array (16): it cannot tell whether one
     * it does not see ended, so it says running, named by its address. */
    for (int i = 2; i < 17; i++)
        test_task_list[i] = (TaskStatus_t){&other_task, "wifi"};
    test_task_count = 17;
    assert_true(
        capheap_port_owner_describe((uintptr_t)&gone_task, name, sizeof name));
    assert_string_equal(name, want);
    test_task_count = 0;
}
#endif

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(balanced_critical_sections),
#if CAPHEAP_OWNERS
        cmocka_unit_test(owners_are_tasks_named_from_the_task_list),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
