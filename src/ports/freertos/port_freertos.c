/*
 * port_freertos.c - FreeRTOS: heap operations run in a critical section.
 *
 * Built only with CAPHEAP_PORT=freertos and the application's FreeRTOS
 * headers on the include path (CAPHEAP_FREERTOS_INCLUDE). On SMP ports
 * that take a spinlock argument (ESP-IDF's portMUX_TYPE), the lock set with
 * capheap_heap_set_lock() is that spinlock; elsewhere the lock pointer only
 * says "lock" and the critical section is the scheduler's own.
 *
 * Protects against tasks, and against other cores where the critical
 * section takes the spinlock (SMP). Not for interrupt handlers: this is
 * taskENTER_CRITICAL, not its _FROM_ISR variant, so no heap calls there.
 *
 * Owners (CAPHEAP_OWNERS): the running task's handle, NULL before the
 * scheduler starts; named from the task list where FreeRTOS keeps one.
 */
#include "FreeRTOS.h"
#include "task.h"

#include "capheap/port.h"

#ifdef portMUX_INITIALIZER_UNLOCKED
#define CAPHEAP_FREERTOS_MUX 1
#endif

void *capheap_port_default_lock(void) {
#ifdef CAPHEAP_FREERTOS_MUX
    static portMUX_TYPE mux = portMUX_INITIALIZER_UNLOCKED;
    return &mux;
#else
    static int token; /* any non-NULL pointer */
    return &token;
#endif
}

void capheap_port_lock(void *lock) {
#ifdef CAPHEAP_FREERTOS_MUX
    portENTER_CRITICAL((portMUX_TYPE *)lock);
#else
    (void)lock;
    taskENTER_CRITICAL();
#endif
}

void capheap_port_unlock(void *lock) {
#ifdef CAPHEAP_FREERTOS_MUX
    portEXIT_CRITICAL((portMUX_TYPE *)lock);
#else
    (void)lock;
    taskEXIT_CRITICAL();
#endif
}

void capheap_port_report_error(capheap_err_t err, const void *addr,
                               const char *op) {
    (void)err;
    (void)addr;
    (void)op;
    configASSERT(0); /* the application's assertion reports it */
    for (;;)
        ;
}

#if CAPHEAP_OWNERS
uintptr_t capheap_port_owner(void) {
    return (uintptr_t)xTaskGetCurrentTaskHandle();
}

/** Tasks capheap_port_owner_describe() looks for in the task list: a
 * TaskStatus_t each on the caller's stack. With more tasks than this it
 * cannot tell which have ended. */
#ifndef CAPHEAP_FREERTOS_MAX_TASKS
#define CAPHEAP_FREERTOS_MAX_TASKS 16
#endif

static void copy_name(char *name, size_t size, const char *from) {
    size_t i = 0;
    for (; i + 1 < size && from && from[i]; i++)
        name[i] = from[i];
    name[i] = '\0';
}

/* "0x" and the handle in hexadecimal, without a formatter. */
static void handle_name(char *name, size_t size, uintptr_t handle) {
    char text[2 + 2 * sizeof handle + 1] = "0x";
    size_t n = 2;
    for (int shift = (int)(8 * sizeof handle) - 4; shift >= 0; shift -= 4)
        text[n++] = "0123456789abcdef"[(handle >> shift) & 0xF];
    text[n] = '\0';
    copy_name(name, size, text);
}

/* A handle may be read only while its task exists (the TCB of a deleted
 * task is freed): the running task is named directly, others only when
 * the task list (uxTaskGetSystemState, configUSE_TRACE_FACILITY) holds
 * them. Without that list a task is named by its handle, running as far as
 * anyone knows. */
bool capheap_port_owner_describe(uintptr_t owner, char *name, size_t size) {
    TaskHandle_t task = (TaskHandle_t)owner;
    if (!task) { /* allocations before the scheduler started */
        copy_name(name, size, "Pre-scheduler");
        return true;
    }
    if (task == xTaskGetCurrentTaskHandle()) {
        copy_name(name, size, pcTaskGetName(NULL));
        return true;
    }
    handle_name(name, size, owner);
#if configUSE_TRACE_FACILITY == 1
    TaskStatus_t tasks[CAPHEAP_FREERTOS_MAX_TASKS];
    UBaseType_t n =
        uxTaskGetSystemState(tasks, CAPHEAP_FREERTOS_MAX_TASKS, NULL);
    for (UBaseType_t i = 0; i < n; i++) {
        if (tasks[i].xHandle == task) {
            copy_name(name, size, tasks[i].pcTaskName);
            return true;
        }
    }
    return n == 0; /* 0: more tasks than the array holds */
#else
    return true;
#endif
}
#endif
