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

/* The names and the task list the port's owner descriptions read: the
 * running task is named test_current_name; test_task_list (test_task_count
 * entries) is what uxTaskGetSystemState() reports. */
typedef unsigned long UBaseType_t;
typedef struct {
    TaskHandle_t xHandle;
    const char *pcTaskName;
} TaskStatus_t;
extern const char *test_current_name;
extern TaskStatus_t test_task_list[];
extern UBaseType_t test_task_count;
#define pcTaskGetName(task)                                                    \
    ((task) ? "(not the running task)" : test_current_name)
UBaseType_t uxTaskGetSystemState(TaskStatus_t *tasks, UBaseType_t max,
                                 unsigned long *total_run_time);

#endif
