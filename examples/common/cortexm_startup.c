/*
 * cortexm_startup.c - vector table and reset handler for the Cortex-M
 * examples (ARMv6-M and ARMv7-M). The order in the reset handler is what
 * firmware using capheap needs: RAM set up, then the heap, then the C
 * library's initialisation, which may already allocate.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw.h"

/* From the linker script. */
extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[], __stack_top[];

int main(void);
void __libc_init_array(void);
void _init(void);
void _fini(void);
void reset_handler(void);

/* __libc_init_array calls _init from crti.o, a start file the examples
 * do not link: the constructors are all in .init_array. */
void _init(void) {}
void _fini(void) {}

static void fault_handler(void) {
    static const char msg[] = "FAULT: hard fault before the verdict\n";
    fw_write(msg, sizeof msg - 1);
    fw_exit(3);
}

__attribute__((section(".vectors"),
               used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(uintptr_t)__stack_top,
    reset_handler,
    fault_handler, /* NMI */
    fault_handler, /* HardFault */
    fault_handler, /* MemManage */
    fault_handler, /* BusFault */
    fault_handler, /* UsageFault */
};

void reset_handler(void) {
    /* Plain loops, not memcpy/memset: the C library is not set up. */
    for (uint32_t *s = __data_load, *d = __data_start; d < __data_end;)
        *d++ = *s++;
    for (uint32_t *p = __bss_start; p < __bss_end; p++)
        *p = 0;
#if defined(__ARM_FP)
    /* CPACR: full access to CP10/CP11, or the first FP instruction in
     * the C library faults. */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb");
#endif
    fw_heap_init();
    __libc_init_array();
    exit(main());
}
