/*
 * irq_m3.c - irq_target's board on the MPS2 AN385 (Cortex-M3): SysTick on
 * the processor clock, PRIMASK, semihosting exit (startup_m3.c).
 */
#include <stdlib.h>

#include "irq_platform.h"

const char irq_platform_name[] = "Cortex-M3 (MPS2 AN385)";
/* The middle of the 4 MiB of RAM: above .data/.bss, far below the stack. */
const uintptr_t irq_platform_heap_base = 0x20200000u;

/* SysTick (ARMv7-M ARM B3.3): control/status, reload, current value. */
#define SYST_CSR                (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR                (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR                (*(volatile uint32_t *)0xE000E018u)
#define SYST_ENABLE_TICKINT_CPU 7u

void systick_handler(void);
void systick_frame(const uint32_t *frame);

/* The hardware stacked r0-r3, r12, lr, pc, xPSR at sp (one stack: MSP);
 * the tail call keeps lr, the EXC_RETURN value that ends the exception. */
__attribute__((naked)) void systick_handler(void) {
    __asm__ volatile("mov r0, sp\n\tb systick_frame");
}

void systick_frame(const uint32_t *frame) {
    irq_target_tick(frame[6]);
}

void timer_start(void) {
    SYST_RVR = 1000;
    SYST_CVR = 0;
    SYST_CSR = SYST_ENABLE_TICKINT_CPU;
}

/* 600 to 2647 cycles of 25 MHz; the reload is taken at the next wrap. */
void timer_next(uint32_t r) {
    SYST_RVR = 600 + (r & 2047);
}

void timer_stop(void) {
    SYST_CSR = 0;
}

int irq_masked(void) {
    uint32_t m;
    __asm__ volatile("mrs %0, primask" : "=r"(m));
    return m & 1;
}

void irq_mask(void) {
    __asm__ volatile("cpsid i" ::: "memory");
}

void irq_unmask(void) {
    __asm__ volatile("cpsie i" ::: "memory");
}

_Noreturn void irq_target_exit(int status) {
    exit(status);
}
