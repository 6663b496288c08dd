/**
 * @file port_irq.h
 * @brief The `irq` port (CAPHEAP_PORT=irq): single-core bare metal, the
 * lock masks interrupts.
 *
 * Protects against interrupts, and so against threads of a scheduler that
 * switches on interrupts, on the one core that runs capheap: taking a lock
 * saves the interrupt mask and masks interrupts (PRIMASK with `cpsid i` on
 * Cortex-M, every profile including ARMv6-M; `mstatus.MIE` with `csrrci` on
 * RISC-V in machine mode), releasing the outermost lock restores the saved
 * mask. Not against other cores, DMA, or non-maskable interrupts and faults
 * (NMI, HardFault): heap calls from those are not allowed.
 *
 * With this port every capheap function that may run concurrently on other
 * ports may also be called from an interrupt handler, and from code that has
 * already masked interrupts (the mask it set is left as it was). The
 * longest time interrupts stay masked is one heap operation (bounded: see
 * heap.h), or one integrity check or walk, which is linear in the blocks.
 * The walks and prints that hold the lock throughout (heap_caps_dump(),
 * heap_caps_print_heap_info()) write their output with interrupts masked:
 * an output function that waits for an interrupt-driven UART would hang.
 *
 * Nesting: the port keeps one depth count and the mask saved by the
 * outermost lock, whatever lock object is passed, so locks taken one inside
 * another (the default lock around a heap's own lock, a caps call inside
 * another) restore the mask only when the last is released, in any order.
 * The lock object only names "a lock": all locks of this port are one, as
 * masking interrupts excludes every other context on the core. Errors trap
 * (as with `none`), the last one kept in capheap_port_last_error.
 *
 * The heap must be called from privileged code: on Cortex-M, unprivileged
 * Thread mode ignores `cpsid i` (the lock would mask nothing); on RISC-V,
 * machine mode (mstatus traps below it). Other architectures do not build:
 * use CAPHEAP_PORT=user.
 *
 * @code
 * static capheap_irq_lock_t isr_heap_lock = CAPHEAP_IRQ_LOCK_INIT;
 * capheap_heap_set_lock(heap, &isr_heap_lock); // or the default lock
 * @endcode
 */
#ifndef CAPHEAP_PORT_IRQ_H
#define CAPHEAP_PORT_IRQ_H

/** A lock of the irq port: any object serves, its address names the lock. */
typedef struct {
    unsigned char unused; /* ISO C: a struct has a member */
} capheap_irq_lock_t;

/** Initialiser of a capheap_irq_lock_t. */
#define CAPHEAP_IRQ_LOCK_INIT                                                  \
    { 0 }

#endif
