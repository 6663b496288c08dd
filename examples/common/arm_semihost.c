/*
 * arm_semihost.c - console and exit through ARM semihosting (QEMU with
 * -semihosting-config enable=on,target=native).
 */
#include <stdint.h>
#include <string.h>

#include "fw.h"

enum { SYS_WRITE0 = 0x04, SYS_EXIT_EXTENDED = 0x20 };
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

static uintptr_t semihost(uintptr_t op, const void *arg) {
    register uintptr_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void fw_write(const char *text, size_t len) {
    char chunk[65]; /* SYS_WRITE0 takes a NUL-terminated string */
    while (len) {
        size_t n = len < sizeof chunk - 1 ? len : sizeof chunk - 1;
        memcpy(chunk, text, n);
        chunk[n] = '\0';
        semihost(SYS_WRITE0, chunk);
        text += n;
        len -= n;
    }
}

_Noreturn void fw_exit(int status) {
    /* The extended call carries the status to QEMU's own exit status. */
    const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
    for (;;)
        semihost(SYS_EXIT_EXTENDED, block);
}
