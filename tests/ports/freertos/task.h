/*
 * task.h - the stand-in's critical sections: counters the test checks.
 */
#ifndef TEST_FREERTOS_STANDIN_TASK_H
#define TEST_FREERTOS_STANDIN_TASK_H

#define taskENTER_CRITICAL() (test_critical_depth++, test_critical_entries++)
#define taskEXIT_CRITICAL()  (test_critical_depth--)

#endif
