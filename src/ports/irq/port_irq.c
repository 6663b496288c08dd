/*
 * port_irq.c - single-core bare metal: the lock masks interrupts
 * (Cortex-M PRIMASK, RISC-V machine-mode mstatus.MIE); errors trap.
 *
 * Protects against interrupts on this core, so heap calls from interrupt
 * handlers are allowed; not against other cores or NMIs (port_irq.h).
 * Freestanding.
 */
#include "capheap/port_irq.h"
#include "../bare_metal_trap.h"
#include "capheap/port.h"

#if defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
typedef unsigned long irq_state_t;

/* PRIMASK before masking: 1 if interrupts were already masked. */
static inline irq_state_t irq_save(void) {
    irq_state_t primask;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask)::"memory");
    return primask;
}

static inline void irq_restore(irq_state_t primask) {
    __asm__ volatile("msr primask, %0" ::"r"(primask) : "memory");
}
#elif defined(__riscv)
typedef unsigned long irq_state_t;
#define MSTATUS_MIE 8u

/* Spelled with .insn: gcc 12's assembler takes csrrci and csrs only when
 * -march names zicsr, which rv32imc (the ESP32-C3's usual flag) does not. */
/* csrrci rd, mstatus, 8: mstatus.MIE before clearing it, nothing else of
 * mstatus touched. */
static inline irq_state_t irq_save(void) {
    irq_state_t mstatus;
    __asm__ volatile(".insn i 0x73, 7, %0, x8, 0x300"
                     : "=r"(mstatus)::"memory");
    return mstatus & MSTATUS_MIE;
}

/* csrs mstatus, rs: sets MIE again only if it was set (0 changes
 * nothing). */
static inline void irq_restore(irq_state_t mie) {
    __asm__ volatile(".insn i 0x73, 2, x0, %0, 0x300" ::"r"(mie) : "memory");
}
#else
#error                                                                         \
    "capheap: CAPHEAP_PORT=irq masks interrupts on Cortex-M and RISC-V machine mode only; use CAPHEAP_PORT=user"
#endif

/* Touched only with interrupts masked: a handler can only run while depth
 * is 0, and leaves it 0. Volatile for a debugger, as the last error is. */
static volatile unsigned depth;
static volatile irq_state_t saved;

void *capheap_port_default_lock(void) {
    static capheap_irq_lock_t lock = CAPHEAP_IRQ_LOCK_INIT;
    return &lock;
}

void capheap_port_lock(void *lock) {
    (void)lock; /* one core, one mask: every lock is the same */
    irq_state_t s = irq_save();
    if (depth++ == 0)
        saved = s;
}

void capheap_port_unlock(void *lock) {
    (void)lock;
    if (--depth == 0)
        irq_restore(saved);
}
