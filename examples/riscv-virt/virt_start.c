/*
 * virt_start.c - hart 0 sets up RAM, the heap and picolibc, then runs
 * main; the other harts wait for fw_release_harts(). The console is the
 * 16550 UART at 0x10000000, the exit status goes to QEMU through the
 * SiFive test device at 0x100000.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fw.h"
#include "fw_libc.h"
#include "virt_board.h"

extern uint32_t __bss_start[], __bss_end[];
extern char __tdata_start[], __tdata_size[], __tbss_size[];
int main(void);
void __libc_init_array(void);
void fw_hart_start(unsigned hart);
void _exit(int status);

#define UART          ((volatile uint8_t *)0x10000000u)
#define UART_LSR_THRE 0x20u /* transmit holding register empty */
#define TEST_DEVICE   ((volatile uint32_t *)0x100000u)

void fw_write(const char *text, size_t len) {
    for (size_t i = 0; i < len; i++) {
        while (!(UART[5] & UART_LSR_THRE))
            ;
        UART[0] = (uint8_t)text[i];
    }
}

_Noreturn void fw_exit(int status) {
    /* 0x5555 ends QEMU with status 0, (code << 16) | 0x3333 with code. */
    for (;;)
        *TEST_DEVICE =
            status == 0 ? 0x5555u : ((uint32_t)status << 16) | 0x3333u;
}

void _exit(int status) {
    fw_exit(status);
}

/* abort() raises SIGABRT: the run ends with 128 + the signal. */
int getpid(void);
int kill(int pid, int sig);

int getpid(void) {
    return 1;
}

int kill(int pid, int sig) {
    (void)pid;
    fw_exit(128 + sig);
}

/* picolibc's stdio calls this per character; it buffers nothing. */
static int console_putc(char c, FILE *f) {
    (void)f;
    fw_write(&c, 1);
    return (unsigned char)c;
}

static FILE console =
    FDEV_SETUP_STREAM(console_putc, NULL, NULL, _FDEV_SETUP_WRITE);
FILE *const stdout = &console;
FILE *const stderr = &console;

const void *fw_libc_stdout_buffer(void) {
    return NULL; /* tinystdio has no buffer to allocate */
}

void fw_trap(uintptr_t cause, uintptr_t pc);

void fw_trap(uintptr_t cause, uintptr_t pc) {
    char msg[64];
    int n = snprintf(msg, sizeof msg, "FAULT: trap, mcause %lu at %#lx\n",
                     (unsigned long)cause, (unsigned long)pc);
    fw_write(msg, (size_t)n);
    fw_exit(3);
}

static atomic_bool released;

void fw_release_harts(void) {
    atomic_store_explicit(&released, true, memory_order_release);
}

__attribute__((weak)) void fw_secondary_main(unsigned hart) {
    (void)hart;
    for (;;)
        __asm__ volatile("wfi");
}

/* Each hart's thread-local block (picolibc keeps errno there): the .tdata
 * template, then .tbss zeroed; tp points at it (RISC-V TLS variant I). */
#define TLS_BYTES 256
static _Alignas(16) char tls[2][TLS_BYTES];

static void tls_init(unsigned hart) {
    size_t data = (size_t)__tdata_size, zero = (size_t)__tbss_size;
    if (data + zero > TLS_BYTES) {
        static const char msg[] = "FAULT: thread-local data too large\n";
        fw_write(msg, sizeof msg - 1);
        fw_exit(4);
    }
    for (size_t i = 0; i < data; i++)
        tls[hart][i] = __tdata_start[i];
    for (size_t i = data; i < data + zero; i++)
        tls[hart][i] = 0;
    __asm__ volatile("mv tp, %0" ::"r"(tls[hart]) : "memory");
}

void fw_hart_start(unsigned hart) {
    if (hart != 0) {
        /* .bss is zero when QEMU starts, before and after hart 0 clears it. */
        while (!atomic_load_explicit(&released, memory_order_acquire))
            ;
        tls_init(hart);
        fw_secondary_main(hart);
        for (;;)
            __asm__ volatile("wfi");
    }
    for (uint32_t *p = __bss_start; p < __bss_end; p++)
        *p = 0;
    tls_init(0);
    fw_heap_init();
    __libc_init_array();
    exit(main());
}
