/*
 * fault.c - coherence of inverted alias windows, one page pair at a time.
 *
 * Data page p of a window and instruction page N-1-p hold the same words in
 * reverse order. Exactly one of the two is accessible at a time; touching
 * the other faults, and the handler copies the page over with its words
 * reversed and swaps the protections, so the access retries and succeeds.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
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

enum { OWNER_DATA = 0, OWNER_INSTR = 1 };

typedef struct {
    uintptr_t d, i;
    size_t len, pages;
    unsigned char *owner; /* per data page; zero-filled = OWNER_DATA */
} window_t;

static window_t windows[SIM_MAX_WINDOWS];
/* Published after windows[] is filled, cleared before it is torn down:
 * the handler reads it on any thread at any time. */
static atomic_size_t window_count;
static size_t page_size;
/* Serialises page moves: two threads may fault on one pair at once. */
static atomic_flag moving = ATOMIC_FLAG_INIT;

static struct sigaction previous;
static struct sigaction default_action;

static void say(const char *msg) {
    /* write(2): the only output that is safe inside a signal handler. */
    ssize_t r = write(STDERR_FILENO, msg, strlen(msg));
    (void)r;
}

/* Give page pair @p p to side @p to. Called with `moving` held. */
static bool move_pair(const window_t *w, size_t p, unsigned char to) {
    uint32_t *dp = (uint32_t *)(w->d + p * page_size);
    uint32_t *ip = (uint32_t *)(w->i + (w->pages - 1 - p) * page_size);
    uint32_t *from = to == OWNER_DATA ? ip : dp;
    uint32_t *into = to == OWNER_DATA ? dp : ip;
    size_t words = page_size / 4;
    if (mprotect(into, page_size, PROT_READ | PROT_WRITE) != 0) {
        say("capheap sim: mprotect failed while moving an alias page\n");
        return false;
    }
    for (size_t k = 0; k < words; k++)
        into[k] = from[words - 1 - k];
    /* Failing here would leave both views writable: no longer coherent, but
     * every access still lands, so carry on after saying so. */
    if (mprotect(from, page_size, PROT_NONE) != 0)
        say("capheap sim: mprotect failed; alias window no longer coherent\n");
    w->owner[p] = to;
    return true;
}

bool capheap_sim_resolve_fault(const void *addr) {
    size_t n = atomic_load_explicit(&window_count, memory_order_acquire);
    uintptr_t a = (uintptr_t)addr;
    for (size_t k = 0; k < n; k++) {
        const window_t *w = &windows[k];
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
        while (atomic_flag_test_and_set_explicit(&moving, memory_order_acquire))
            ;
        /* Another thread may have moved the pair our way meanwhile. */
        bool ok = w->owner[p] == side || move_pair(w, p, side);
        atomic_flag_clear_explicit(&moving, memory_order_release);
        return ok;
    }
    return false;
}

static void on_segv(int sig, siginfo_t *si, void *ctx) {
    /* si_code > 0: a real fault with an address, not kill(2). */
    if (si && si->si_code > 0 && capheap_sim_resolve_fault(si->si_addr))
        return;
    if (previous.sa_flags & SA_SIGINFO) {
        previous.sa_sigaction(sig, si, ctx);
    } else if (previous.sa_handler != SIG_DFL &&
               previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig);
    } else {
        /* Default action: returning repeats the fault, which now kills the
         * process as it would have without us (core dump included). */
        sigaction(SIGSEGV, &default_action, NULL);
        if (!si || si->si_code <= 0)
            raise(sig);
    }
}

static bool ours(const struct sigaction *sa) {
    return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == on_segv;
}

int sim_fault_install(void) {
    struct sigaction cur, sa;
    if (sigaction(SIGSEGV, NULL, &cur) != 0)
        return -1;
    if (ours(&cur))
        return 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    /* SA_ONSTACK: run on the program's alternate stack if it set one. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    memset(&default_action, 0, sizeof default_action);
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    previous = cur;
    if (sigaction(SIGSEGV, &sa, NULL) != 0 ||
        sigaction(SIGSEGV, NULL, &cur) != 0 || !ours(&cur)) {
        fprintf(stderr,
                "capheap sim: cannot install the SIGSEGV handler that keeps "
                "inverted alias windows coherent (a sanitizer keeping "
                "SIGSEGV for itself? ASan: allow_user_segv_handler=1)\n");
        return -1;
    }
    return 0;
}

void sim_fault_uninstall(void) {
    struct sigaction cur;
    if (sigaction(SIGSEGV, NULL, &cur) == 0 && ours(&cur))
        sigaction(SIGSEGV, &previous, NULL);
}

int sim_fault_track(const sim_inverted_t *w, size_t n, size_t page) {
    sim_fault_untrack();
    page_size = page;
    for (size_t k = 0; k < n; k++) {
        size_t pages = w[k].len / page;
        void *owner = mmap(NULL, pages, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (owner == MAP_FAILED) {
            perror("capheap sim: alias page table");
            for (size_t j = 0; j < k; j++)
                munmap(windows[j].owner, windows[j].pages);
            return -1;
        }
        windows[k] = (window_t){w[k].d, w[k].i, w[k].len, pages, owner};
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
        munmap(windows[k].owner, windows[k].pages);
    }
}
