/*
 * task.h - the stand-in's critical sections: counters the test checks.
 */
#ifndef TEST_FREERTOS_STANDIN_TASK_H
#define TEST_FREERTOS_STANDIN_TASK_H

#define taskENTER_CRITICAL() (test_critical_depth++, test_critical_entries++)
#define taskEXIT_CRITICAL()  (test_critical_depth--)

/* The running task, for per-owner accounting (CAPHEAP_OWNERS): the
 * stand-in has one, the address of a variable. */
typedef void *TaskHandle_t;
extern int test_current_task;
#define xTaskGetCurrentTaskHandle() ((TaskHandle_t)&test_current_task)

#endif
