/*
 * opcount.c - count the instructions of each allocator call by single-
 * stepping a child with ptrace (perf counters are not available on the VMs
 * this runs on).
 *
 * The child is a fork of this process, so every address is the same in
 * both. The parent puts an int3 on each begin marker, continues to it, then
 * single-steps until the child reaches the end marker. It counts the
 * instructions executed outside the "bench_drv" section: the allocator's
 * entry through its return, callees included. The marker bodies, the
 * adapter, the argument set-up and the call instruction are driver code and
 * are not counted, which matches callgrind's inclusive cost of the entry
 * function.
 */
#define _GNU_SOURCE
#include "host.h"
#include "opstats.h"

#if defined(__linux__) && (defined(__x86_64__) || defined(__i386__))

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

/* Bounds of the driver's code, from the linker. */
extern const char __start_bench_drv[];
extern const char __stop_bench_drv[];

#if defined(__x86_64__)
#define PC_OFFSET offsetof(struct user, regs.rip)
#else
#define PC_OFFSET offsetof(struct user, regs.eip)
#endif

typedef struct {
    pid_t pid;
    uintptr_t addr[OP_KINDS]; /* begin markers, by kind */
    unsigned char orig[OP_KINDS];
} tracer_t;

static uintptr_t get_pc(pid_t pid) {
    return (uintptr_t)ptrace(PTRACE_PEEKUSER, pid, (void *)PC_OFFSET, NULL);
}

static void set_pc(pid_t pid, uintptr_t pc) {
    ptrace(PTRACE_POKEUSER, pid, (void *)PC_OFFSET, (void *)pc);
}

/* Set the first byte at @p addr to @p byte, returning the old one. Reads
 * the word fresh each time, so breakpoints sharing a word stay intact. */
static unsigned char poke_byte(pid_t pid, uintptr_t addr, unsigned char byte) {
    unsigned long w =
        (unsigned long)ptrace(PTRACE_PEEKTEXT, pid, (void *)addr, NULL);
    unsigned char old = (unsigned char)(w & 0xFF);
    w = (w & ~0xFFul) | byte;
    ptrace(PTRACE_POKETEXT, pid, (void *)addr, (void *)w);
    return old;
}

/* Wait for the child to stop with SIGTRAP. 1 if it did, 0 if it exited
 * normally, -1 on anything else. */
static int wait_trap(pid_t pid, int *status) {
    for (;;) {
        if (waitpid(pid, status, 0) < 0)
            return -1;
        if (WIFEXITED(*status))
            return 0;
        if (!WIFSTOPPED(*status))
            return -1;
        int sig = WSTOPSIG(*status);
        if (sig == SIGTRAP)
            return 1;
        /* Pass other signals on; none is expected. */
        ptrace(PTRACE_CONT, pid, NULL, (void *)(uintptr_t)sig);
    }
}

/* Single-step one allocator call from its begin marker (kind @p k, the
 * child stopped just after the int3) to the end marker. */
static int step_call(tracer_t *tr, unsigned k, uint32_t *count) {
    const uintptr_t lo = (uintptr_t)__start_bench_drv;
    const uintptr_t hi = (uintptr_t)__stop_bench_drv;
    const uintptr_t end = (uintptr_t)bench_drv_mark_end;
    int status;
    uint32_t n = 0;
    set_pc(tr->pid, tr->addr[k]);
    poke_byte(tr->pid, tr->addr[k], tr->orig[k]);
    for (int first = 1;; first = 0) {
        if (ptrace(PTRACE_SINGLESTEP, tr->pid, NULL, NULL) != 0 ||
            wait_trap(tr->pid, &status) != 1)
            return -1;
        if (first)
            poke_byte(tr->pid, tr->addr[k], 0xCC);
        uintptr_t pc = get_pc(tr->pid);
        if (pc == end)
            break;
        if (pc < lo || pc >= hi)
            n++;
    }
    *count = n;
    return 0;
}

int bench_opcount(const bench_trace_t *t, const bench_alloc_t *a, size_t nops,
                  void **ptrs, FILE *out) {
    opstats_t s = {{0}, {0}, {0}};
    tracer_t tr;
    int status, rc = -1;
    tr.addr[OP_ALLOC] = (uintptr_t)bench_drv_mark_alloc;
    tr.addr[OP_FREE] = (uintptr_t)bench_drv_mark_free;
    tr.addr[OP_REALLOC] = (uintptr_t)bench_drv_mark_realloc;

    fflush(NULL);
    tr.pid = fork();
    if (tr.pid < 0)
        return -1;
    if (tr.pid == 0) {
        bench_result_t r;
        if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0)
            _exit(100);
        raise(SIGSTOP);
        bench_drv_replay_marked(t, a, nops, ptrs, &r);
        _exit(r.fails ? 2 : 0);
    }
    if (waitpid(tr.pid, &status, 0) < 0 || !WIFSTOPPED(status))
        goto out;
    ptrace(PTRACE_SETOPTIONS, tr.pid, NULL, (void *)PTRACE_O_EXITKILL);
    for (unsigned k = 0; k < OP_KINDS; k++)
        tr.orig[k] = poke_byte(tr.pid, tr.addr[k], 0xCC);
    for (;;) {
        ptrace(PTRACE_CONT, tr.pid, NULL, NULL);
        int w = wait_trap(tr.pid, &status);
        if (w == 0)
            break;
        if (w < 0)
            goto out;
        uintptr_t pc = get_pc(tr.pid) - 1;
        unsigned k = 0;
        while (k < OP_KINDS && tr.addr[k] != pc)
            k++;
        uint32_t n;
        if (k == OP_KINDS || step_call(&tr, k, &n) != 0 ||
            opstats_add(&s, k, n) != 0)
            goto out;
    }
    if (WEXITSTATUS(status) != 0) {
        fprintf(stderr, "opcount: replay exited with %d (2: a call failed)\n",
                WEXITSTATUS(status));
        goto out;
    }
    opstats_print(&s, "steps", out);
    rc = 0;
out:
    if (rc != 0 && tr.pid > 0) {
        kill(tr.pid, SIGKILL);
        waitpid(tr.pid, &status, 0);
    }
    opstats_free(&s);
    return rc;
}

#else

int bench_opcount(const bench_trace_t *t, const bench_alloc_t *a, size_t nops,
                  void **ptrs, FILE *out) {
    (void)t;
    (void)a;
    (void)nops;
    (void)ptrs;
    (void)out;
    fprintf(stderr, "opcount: needs Linux on x86-64 or i386\n");
    return -1;
}

#endif
