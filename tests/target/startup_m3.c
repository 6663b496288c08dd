/*
 * startup_m3.c - the smallest start-up for the MPS2 AN385 under QEMU: a
 * vector table, a reset handler that clears .bss and calls main, and a
 * semihosting exit with main's verdict. A program that enables SysTick
 * defines systick_handler; elsewhere a SysTick is a fault.
 */
#include <stdint.h>
#include <stdlib.h>

extern uint32_t __bss_start__[], __bss_end__[], __stack_top[];
int main(void);
void reset_handler(void);
void initialise_monitor_handles(void); /* newlib's semihosting set-up */
void _init(void);
void _fini(void);

/* Called by newlib around main; nothing to construct or destroy here. */
void _init(void) {}
void _fini(void) {}

static void fault_handler(void) {
    exit(3); /* a fault is a failed run, reported through semihosting */
}

void systick_handler(void) __attribute__((weak, alias("fault_handler")));

__attribute__((section(".vectors"),
               used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(uintptr_t)__stack_top,
    reset_handler,
    fault_handler, /* NMI */
    fault_handler, /* HardFault */
    fault_handler, /* MemManage */
    fault_handler, /* BusFault */
    fault_handler, /* UsageFault */
    [15] = systick_handler,
};

void reset_handler(void) {
    for (uint32_t *p = __bss_start__; p < __bss_end__; p++)
        *p = 0;
    initialise_monitor_handles();
    exit(main());
}
