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
#endif
