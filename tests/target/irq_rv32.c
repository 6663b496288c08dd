/*
 * irq_rv32.c - irq_target's board on QEMU's RISC-V virt machine, hart 0 in
 * machine mode: the CLINT's machine timer, mstatus.MIE, a trap entry that
 * saves the caller-saved registers, and the exit through the SiFive test
 * device (QEMU returns its status). picolibc's crt0 starts it; printf goes
 * out by semihosting.
 */
#include <stdio.h>

#include "irq_platform.h"

const char irq_platform_name[] = "RV32 (QEMU virt)";
/* Past the 2 MiB that target-test.sh gives picolibc's RAM (virt has
 * 128 MiB from 0x80000000). */
const uintptr_t irq_platform_heap_base = 0x80400000u;

/* QEMU virt: CLINT (mtime at 10 MHz, hart 0's mtimecmp), test device. */
#define CLINT_MTIMECMP_LO (*(volatile uint32_t *)0x02004000u)
#define CLINT_MTIMECMP_HI (*(volatile uint32_t *)0x02004004u)
#define CLINT_MTIME_LO    (*(volatile uint32_t *)0x0200BFF8u)
#define CLINT_MTIME_HI    (*(volatile uint32_t *)0x0200BFFCu)
#define TEST_DEVICE       (*(volatile uint32_t *)0x00100000u)
#define TEST_PASS         0x5555u
#define TEST_FAIL         0x3333u

#define MSTATUS_MIE 0x8u
#define MIE_MTIE    0x80u
#define MCAUSE_MTI  0x80000007u

void trap_entry(void);
void trap_handler(void);

/* The handler may run between any two instructions of main: save what a C
 * call may clobber, call trap_handler, return with mret. */
__asm__(".section .text.trap_entry,\"ax\",@progbits\n"
        ".balign 4\n"
        ".globl trap_entry\n"
        "trap_entry:\n"
        "  addi sp, sp, -64\n"
        "  sw ra, 0(sp)\n  sw t0, 4(sp)\n  sw t1, 8(sp)\n  sw t2, 12(sp)\n"
        "  sw a0, 16(sp)\n  sw a1, 20(sp)\n  sw a2, 24(sp)\n  sw a3, 28(sp)\n"
        "  sw a4, 32(sp)\n  sw a5, 36(sp)\n  sw a6, 40(sp)\n  sw a7, 44(sp)\n"
        "  sw t3, 48(sp)\n  sw t4, 52(sp)\n  sw t5, 56(sp)\n  sw t6, 60(sp)\n"
        "  call trap_handler\n"
        "  lw ra, 0(sp)\n  lw t0, 4(sp)\n  lw t1, 8(sp)\n  lw t2, 12(sp)\n"
        "  lw a0, 16(sp)\n  lw a1, 20(sp)\n  lw a2, 24(sp)\n  lw a3, 28(sp)\n"
        "  lw a4, 32(sp)\n  lw a5, 36(sp)\n  lw a6, 40(sp)\n  lw a7, 44(sp)\n"
        "  lw t3, 48(sp)\n  lw t4, 52(sp)\n  lw t5, 56(sp)\n  lw t6, 60(sp)\n"
        "  addi sp, sp, 64\n"
        "  mret\n"
        ".text\n");

/* CSR access through .insn (csrr / csrw / csrs / csrc): gcc 12's
 * assembler takes the mnemonics only with zicsr in -march. */
#define CSR_MSTATUS 0x300
#define CSR_MIE     0x304
#define CSR_MTVEC   0x305
#define CSR_MEPC    0x341
#define CSR_MCAUSE  0x342
#define STR_(x)     #x
#define STR(x)      STR_(x)
#define CSR_READ(csr, v)                                                       \
    __asm__ volatile(".insn i 0x73, 2, %0, x0, " STR(csr) : "=r"(v)::"memory")
#define CSR_WRITE(csr, v)                                                      \
    __asm__ volatile(".insn i 0x73, 1, x0, %0, " STR(csr)::"r"(v) : "memory")
#define CSR_SET(csr, v)                                                        \
    __asm__ volatile(".insn i 0x73, 2, x0, %0, " STR(csr)::"r"(v) : "memory")
#define CSR_CLEAR(csr, v)                                                      \
    __asm__ volatile(".insn i 0x73, 3, x0, %0, " STR(csr)::"r"(v) : "memory")

/* mtimecmp is 64 bits written in two halves: the high half first set to
 * the maximum so that no half-written value fires early. */
static void set_mtimecmp(uint64_t t) {
    CLINT_MTIMECMP_HI = 0xFFFFFFFFu;
    CLINT_MTIMECMP_LO = (uint32_t)t;
    CLINT_MTIMECMP_HI = (uint32_t)(t >> 32);
}

static uint64_t mtime(void) {
    uint32_t hi, lo;
    do {
        hi = CLINT_MTIME_HI;
        lo = CLINT_MTIME_LO;
    } while (CLINT_MTIME_HI != hi);
    return (uint64_t)hi << 32 | lo;
}

void trap_handler(void) {
    uint32_t cause, epc;
    CSR_READ(CSR_MCAUSE, cause);
    CSR_READ(CSR_MEPC, epc);
    if (cause == MCAUSE_MTI) {
        irq_target_tick(epc);
        return;
    }
    /* An exception: a trapped heap error (ebreak) or a wild access. */
    printf("FAIL: exception, mcause %lu at mepc 0x%08lx\n",
           (unsigned long)cause, (unsigned long)epc);
    irq_target_exit(3);
}

void timer_start(void) {
    uint32_t v = (uint32_t)(uintptr_t)trap_entry;
    CSR_WRITE(CSR_MTVEC, v); /* direct mode: every trap to trap_entry */
    set_mtimecmp(mtime() + 200);
    v = MIE_MTIE;
    CSR_SET(CSR_MIE, v);
    v = MSTATUS_MIE;
    CSR_SET(CSR_MSTATUS, v);
}

/* 240 to 1263 ticks of 10 MHz from now: about as many instructions apart
 * as on the Cortex-M3 under the same -icount. */
void timer_next(uint32_t r) {
    set_mtimecmp(mtime() + 240 + (r & 1023));
}

void timer_stop(void) {
    uint32_t v = MIE_MTIE;
    CSR_CLEAR(CSR_MIE, v);
}

int irq_masked(void) {
    uint32_t m;
    CSR_READ(CSR_MSTATUS, m);
    return !(m & MSTATUS_MIE);
}

void irq_mask(void) {
    uint32_t v = MSTATUS_MIE;
    CSR_CLEAR(CSR_MSTATUS, v);
}

void irq_unmask(void) {
    uint32_t v = MSTATUS_MIE;
    CSR_SET(CSR_MSTATUS, v);
}

_Noreturn void irq_target_exit(int status) {
    fflush(stdout);
    TEST_DEVICE = status ? ((uint32_t)status << 16 | TEST_FAIL) : TEST_PASS;
    for (;;)
        ;
}
