/*
 * FreeRTOS.h - a stand-in with the few names capheap's FreeRTOS port uses,
 * so that the port compiles and runs on the host. Not FreeRTOS.
 */
#ifndef TEST_FREERTOS_STANDIN_H
#define TEST_FREERTOS_STANDIN_H

extern int test_critical_depth;   /* critical sections currently open */
extern int test_critical_entries; /* critical sections entered in all */
extern int test_assertions;       /* configASSERT failures */

#define configASSERT(x) ((x) ? (void)0 : (void)test_assertions++)

#define configUSE_TRACE_FACILITY 1
#define configMAX_TASK_NAME_LEN  16

#endif
