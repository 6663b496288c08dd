/*
 * fault.c - coherence of inverted alias windows, one page pair at a time.
 *
 * Data page p of a window and instruction page N-1-p hold the same words in
 * reverse order. Exactly one of the two is accessible at a time; touching
 * the other faults, and the handler copies the page over with its words
 * reversed and swaps the protections, so the access retries and succeeds.
 *
 * One instruction that needs both views of a pair (a `rep movsb` copying
 * between them) would take the pair back and forth for ever. When the same
 * instruction of the same thread faults on a pair it has just moved, the
 * pair is opened on both sides and the instruction is single-stepped (x86
 * trap flag); after each step the two pages are reconciled against a
 * snapshot, and when the instruction is done the pair has one owner again.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "sim_internal.h"

/* Under Valgrind the deliberate faults are no errors of the program's. */
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define SIM_VALGRIND 1
#endif
#endif
#ifndef SIM_VALGRIND
#define VALGRIND_DISABLE_ADDR_ERROR_REPORTING_IN_RANGE(a, n) ((void)0)
#define VALGRIND_ENABLE_ADDR_ERROR_REPORTING_IN_RANGE(a, n)  ((void)0)
#define RUNNING_ON_VALGRIND                                  0
#endif

#if defined(__x86_64__) || defined(__i386__)
#define SIM_CAN_STEP 1
#ifdef __x86_64__
#define SIM_REG_PC REG_RIP
#else
#define SIM_REG_PC REG_EIP
#endif
#define SIM_TRAP_FLAG 0x100 /* EFLAGS.TF */
#endif

/* Threads stepping at once, and pairs one instruction can hold open. */
#define SIM_STEPPERS   8
#define SIM_STEP_PAIRS 4

enum { OWNER_DATA = 0, OWNER_INSTR = 1 };

typedef struct {
    unsigned char owner;
    unsigned char open; /* both views accessible while a step runs */
    pid_t tid;          /* the thread and instruction of the last move */
    uintptr_t pc;
} pair_t;

typedef struct {
    uintptr_t d, i;
    size_t len, pages;
    pair_t *pairs; /* per data page; zero-filled = owned by the data side */
} window_t;

/* A thread single-stepping one instruction that needs both views. */
typedef struct {
    pid_t tid; /* 0: free */
    uintptr_t pc;
    size_t count;
    struct {
        window_t *w;
        size_t p;
        unsigned char to; /* owner once the instruction is done */
    } open[SIM_STEP_PAIRS];
} stepper_t;

static window_t windows[SIM_MAX_WINDOWS];
/* Published after windows[] is filled, cleared before it is torn down:
 * the handlers read it on any thread at any time. */
static atomic_size_t window_count;
static size_t page_size;
/* Serialises page moves and steppers: threads may fault at once. */
static atomic_flag moving = ATOMIC_FLAG_INIT;

#ifdef SIM_CAN_STEP
static stepper_t steppers[SIM_STEPPERS];
#endif
/* The data page of each open pair as it was after the last step. */
static uint32_t *snapshots;

static struct sigaction previous, default_action;
#ifdef SIM_CAN_STEP
static struct sigaction previous_trap;
#endif

static pid_t thread_id(void) {
    return (pid_t)syscall(SYS_gettid);
}

static void say(const char *msg) {
    /* write(2): the only output that is safe inside a signal handler. */
    ssize_t r = write(STDERR_FILENO, msg, strlen(msg));
    (void)r;
}

static void lock(void) {
    while (atomic_flag_test_and_set_explicit(&moving, memory_order_acquire))
        ;
}

static void unlock(void) {
    atomic_flag_clear_explicit(&moving, memory_order_release);
}

static uint32_t *data_page(const window_t *w, size_t p) {
    return (uint32_t *)(w->d + p * page_size);
}

static uint32_t *instr_page(const window_t *w, size_t p) {
    return (uint32_t *)(w->i + (w->pages - 1 - p) * page_size);
}

static void copy_reversed(uint32_t *into, const uint32_t *from) {
    size_t words = page_size / 4;
    for (size_t k = 0; k < words; k++)
        into[k] = from[words - 1 - k];
}

/* Open the side @p to of pair @p p too, as a copy of the owner's. */
static bool open_side(const window_t *w, size_t p, unsigned char to) {
    uint32_t *dp = data_page(w, p), *ip = instr_page(w, p);
    uint32_t *into = to == OWNER_DATA ? dp : ip;
    if (mprotect(into, page_size, PROT_READ | PROT_WRITE) != 0) {
        say("capheap sim: mprotect failed while moving an alias page\n");
        return false;
    }
    copy_reversed(into, to == OWNER_DATA ? ip : dp);
    return true;
}

/* Close the side that is not @p to. */
static void close_other(const window_t *w, size_t p, unsigned char to) {
    void *from =
        to == OWNER_DATA ? (void *)instr_page(w, p) : (void *)data_page(w, p);
    /* Failing would leave both views writable: no longer coherent, but
     * every access still lands, so carry on after saying so. */
    if (mprotect(from, page_size, PROT_NONE) != 0)
        say("capheap sim: mprotect failed; alias window no longer coherent\n");
    w->pairs[p].owner = to;
}

/* ---- stepping an instruction that needs both views ---------------------- */
#ifdef SIM_CAN_STEP

static uint32_t *snapshot(const stepper_t *s, size_t slot) {
    size_t words = page_size / 4;
    return snapshots + ((size_t)(s - steppers) * SIM_STEP_PAIRS + slot) * words;
}

/* Carry what the last step wrote on either side over to the other. */
static void reconcile(const stepper_t *s, size_t slot) {
    const window_t *w = s->open[slot].w;
    uint32_t *dp = data_page(w, s->open[slot].p);
    uint32_t *ip = instr_page(w, s->open[slot].p);
    uint32_t *snap = snapshot(s, slot);
    size_t words = page_size / 4;
    for (size_t k = 0; k < words; k++) {
        uint32_t dv = dp[k], iv = ip[words - 1 - k];
        if (dv != snap[k])
            ip[words - 1 - k] = snap[k] = dv;
        else if (iv != snap[k])
            dp[k] = snap[k] = iv;
    }
}

static void close_slot(stepper_t *s, size_t slot) {
    reconcile(s, slot);
    s->open[slot].w->pairs[s->open[slot].p].open = 0;
    close_other(s->open[slot].w, s->open[slot].p, s->open[slot].to);
}

static void finish(stepper_t *s) {
    for (size_t k = 0; k < s->count; k++)
        close_slot(s, k);
    s->tid = 0;
    s->count = 0;
}

static stepper_t *stepper_of(pid_t tid) {
    for (size_t k = 0; k < SIM_STEPPERS; k++) {
        if (steppers[k].tid == tid)
            return &steppers[k];
    }
    return NULL;
}

static uintptr_t pc_of(const void *ctx) {
    return (uintptr_t)((const ucontext_t *)ctx)->uc_mcontext.gregs[SIM_REG_PC];
}

static void set_step(void *ctx, bool on) {
    greg_t *flags = &((ucontext_t *)ctx)->uc_mcontext.gregs[REG_EFL];
    *flags = on ? *flags | SIM_TRAP_FLAG : *flags & ~(greg_t)SIM_TRAP_FLAG;
}

/* Open pair @p p of @p w on both sides for the instruction at @p pc and
 * step it. False if no stepper or snapshot is free. */
static bool open_for_step(window_t *w, size_t p, unsigned char to, pid_t tid,
                          uintptr_t pc, void *ctx) {
    stepper_t *s = stepper_of(tid);
    if (s && s->pc != pc) {
        finish(s); /* left behind by a step that never trapped */
        s = NULL;
    }
    if (!s)
        s = stepper_of(0);
    if (!s || !snapshots)
        return false;
    if (s->count == SIM_STEP_PAIRS) { /* the oldest is done with */
        close_slot(s, 0);
        memmove(&s->open[0], &s->open[1],
                (SIM_STEP_PAIRS - 1) * sizeof s->open[0]);
        memmove(snapshot(s, 0), snapshot(s, 1),
                (SIM_STEP_PAIRS - 1) * page_size);
        s->count--;
    }
    if (!open_side(w, p, to))
        return false;
    s->tid = tid;
    s->pc = pc;
    s->open[s->count].w = w;
    s->open[s->count].p = p;
    s->open[s->count].to = to;
    memcpy(snapshot(s, s->count), data_page(w, p), page_size);
    s->count++;
    w->pairs[p].open = 1;
    set_step(ctx, true);
    return true;
}
#endif

/* ---- faults ------------------------------------------------------------ */

/* Settle a fault at @p a; @p ctx (the signal's ucontext, or NULL) lets an
 * instruction that needs both views be stepped. */
static bool resolve(uintptr_t a, void *ctx) {
    size_t n = atomic_load_explicit(&window_count, memory_order_acquire);
    for (size_t k = 0; k < n; k++) {
        window_t *w = &windows[k];
        size_t p;
        unsigned char side;
        if (a - w->d < w->len) {
            p = (a - w->d) / page_size;
            side = OWNER_DATA;
        } else if (a - w->i < w->len) {
            p = w->pages - 1 - (a - w->i) / page_size;
            side = OWNER_INSTR;
        } else {
            continue;
        }
        pair_t *pr = &w->pairs[p];
        bool ok = true;
        lock();
        /* Another thread may have moved the pair our way meanwhile. */
        if (pr->owner != side && !pr->open) {
            pid_t tid = ctx ? thread_id() : 0;
            uintptr_t pc = 0;
#ifdef SIM_CAN_STEP
            pc = ctx ? pc_of(ctx) : 0;
            if (ctx && pr->tid == tid && pr->pc == pc &&
                open_for_step(w, p, side, tid, pc, ctx)) {
                unlock();
                return true;
            }
#endif
            ok = open_side(w, p, side);
            if (ok)
                close_other(w, p, side);
            pr->tid = tid;
            pr->pc = pc;
        }
        unlock();
        return ok;
    }
    return false;
}

bool capheap_sim_resolve_fault(const void *addr) {
    return resolve((uintptr_t)addr, NULL);
}

/* Hand a signal that is not ours to the handler that was there before. */
static void pass_on(int sig, siginfo_t *si, void *ctx,
                    const struct sigaction *prev, bool repeats) {
    if (prev->sa_flags & SA_SIGINFO) {
        prev->sa_sigaction(sig, si, ctx);
    } else if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
        prev->sa_handler(sig);
    } else {
        /* Default action: a repeated fault, or the signal raised again,
         * kills the process as it would have without us. */
        sigaction(sig, &default_action, NULL);
        if (!repeats)
            raise(sig);
    }
}

static void on_segv(int sig, siginfo_t *si, void *ctx) {
    /* si_code > 0: a real fault with an address, not kill(2). */
    bool fault = si && si->si_code > 0;
    if (fault && resolve((uintptr_t)si->si_addr, ctx))
        return;
    pass_on(sig, si, ctx, &previous, fault);
}

#ifdef SIM_CAN_STEP
static void on_trap(int sig, siginfo_t *si, void *ctx) {
    lock();
    stepper_t *s = stepper_of(thread_id());
    if (!s) {
        unlock();
        pass_on(sig, si, ctx, &previous_trap, false);
        return;
    }
    for (size_t k = 0; k < s->count; k++)
        reconcile(s, k);
    /* A string instruction traps after each element with the same pc. */
    if (pc_of(ctx) != s->pc) {
        finish(s);
        set_step(ctx, false);
    }
    unlock();
}
#endif

static bool ours(int sig, void (*fn)(int, siginfo_t *, void *)) {
    struct sigaction cur;
    return sigaction(sig, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
           cur.sa_sigaction == fn;
}

static int install(int sig, void (*fn)(int, siginfo_t *, void *),
                   struct sigaction *prev) {
    struct sigaction sa;
    if (ours(sig, fn))
        return 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    /* SA_ONSTACK: run on the program's alternate stack if it set one. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    /* Neither handler may interrupt the other: both take the lock. */
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGSEGV);
    sigaddset(&sa.sa_mask, SIGTRAP);
    if (sigaction(sig, &sa, prev) != 0 || !ours(sig, fn)) {
        fprintf(stderr,
                "capheap sim: cannot install the %s handler that keeps "
                "inverted alias windows coherent (a sanitizer keeping it "
                "for itself? ASan: allow_user_segv_handler=1)\n",
                sig == SIGSEGV ? "SIGSEGV" : "SIGTRAP");
        return -1;
    }
    return 0;
}

int sim_fault_install(void) {
    memset(&default_action, 0, sizeof default_action);
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
#ifdef SIM_CAN_STEP
    if (install(SIGTRAP, on_trap, &previous_trap))
        return -1;
#endif
    return install(SIGSEGV, on_segv, &previous);
}

void sim_fault_uninstall(void) {
    if (ours(SIGSEGV, on_segv))
        sigaction(SIGSEGV, &previous, NULL);
#ifdef SIM_CAN_STEP
    if (ours(SIGTRAP, on_trap))
        sigaction(SIGTRAP, &previous_trap, NULL);
#endif
}

int sim_fault_track(const sim_inverted_t *w, size_t n, size_t page) {
    sim_fault_untrack();
    page_size = page;
    size_t snap_size = SIM_STEPPERS * SIM_STEP_PAIRS * page;
    void *snap = mmap(NULL, snap_size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (snap == MAP_FAILED) {
        perror("capheap sim: alias page snapshots");
        return -1;
    }
    snapshots = snap;
    for (size_t k = 0; k < n; k++) {
        size_t pages = w[k].len / page;
        void *pairs = mmap(NULL, pages * sizeof(pair_t), PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (pairs == MAP_FAILED) {
            perror("capheap sim: alias page table");
            for (size_t j = 0; j < k; j++)
                munmap(windows[j].pairs, windows[j].pages * sizeof(pair_t));
            munmap(snapshots, snap_size);
            snapshots = NULL;
            return -1;
        }
        windows[k] = (window_t){w[k].d, w[k].i, w[k].len, pages, pairs};
        VALGRIND_DISABLE_ADDR_ERROR_REPORTING_IN_RANGE(w[k].d, w[k].len);
        VALGRIND_DISABLE_ADDR_ERROR_REPORTING_IN_RANGE(w[k].i, w[k].len);
    }
    if (n && RUNNING_ON_VALGRIND)
        fprintf(stderr, "capheap sim: under Valgrind, inverted alias windows "
                        "need --vex-iropt-register-updates=allregs-at-mem-"
                        "access (a faulting access resumes with stale "
                        "registers otherwise)\n");
    atomic_store_explicit(&window_count, n, memory_order_release);
    return 0;
}

void sim_fault_untrack(void) {
    size_t n = atomic_exchange(&window_count, 0);
    for (size_t k = 0; k < n; k++) {
        VALGRIND_ENABLE_ADDR_ERROR_REPORTING_IN_RANGE(windows[k].d,
                                                      windows[k].len);
        VALGRIND_ENABLE_ADDR_ERROR_REPORTING_IN_RANGE(windows[k].i,
                                                      windows[k].len);
        munmap(windows[k].pairs, windows[k].pages * sizeof(pair_t));
    }
    if (snapshots)
        munmap(snapshots, SIM_STEPPERS * SIM_STEP_PAIRS * page_size);
    snapshots = NULL;
#ifdef SIM_CAN_STEP
    memset(steppers, 0, sizeof steppers);
#endif
}
