/*
 * irq_platform.h - what irq_target.c needs from the board: a timer
 * interrupt that calls irq_target_tick(), the interrupt mask the irq port
 * saves and restores, and a way out with a status QEMU returns.
 * irq_m3.c (Cortex-M3 on the MPS2 AN385) and irq_rv32.c (RV32 on virt).
 */
#ifndef IRQ_PLATFORM_H
#define IRQ_PLATFORM_H

#include <stdint.h>

/* The board's name, for the verdict. */
extern const char irq_platform_name[];

/* Where the board has 56 KiB of RAM no program section uses (the
 * capability heap's chip regions are there). */
extern const uintptr_t irq_platform_heap_base;

/* Start the timer: its first interrupt comes soon. */
void timer_start(void);
/* From the handler: the next interrupt after a period drawn from @p r. */
void timer_next(uint32_t r);
void timer_stop(void);

/* Whether interrupts are masked now (what the irq port masks). */
int irq_masked(void);
void irq_mask(void);
void irq_unmask(void);

/* The test's interrupt work, called by the platform's timer interrupt
 * with the address the interrupted code resumes at. */
void irq_target_tick(uintptr_t interrupted_pc);

/* End the run with @p status (0 passed) as QEMU's exit status. */
_Noreturn void irq_target_exit(int status);

#endif
