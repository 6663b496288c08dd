/* start.S - every hart enters here from QEMU's reset vector, with its hart
 * id in a0: global pointer, a 16 KiB stack per hart, then C. */
    .section .text.start, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    li t0, 2                    /* the stacks are for two harts */
    bgeu a0, t0, park
    la sp, __stack_top
    slli t0, a0, 14
    sub sp, sp, t0
    .option push
    .option arch, +zicsr
    la t0, trap_entry
    csrw mtvec, t0
    /* Interrupts globally enabled, as firmware runs (no source is enabled
     * in mie, so none is taken): the irq port's masking shows. */
    csrsi mstatus, 8
    .option pop
    j fw_hart_start
park:
    wfi
    j park

/* A trap (capheap's error report is __builtin_trap(), an illegal
 * instruction) ends the run with a message instead of a hang. */
    .balign 4
trap_entry:
    .option push
    .option arch, +zicsr
    csrr a0, mcause
    csrr a1, mepc
    .option pop
    j fw_trap
