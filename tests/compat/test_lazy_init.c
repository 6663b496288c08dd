#define _POSIX_C_SOURCE 200809L
/*
 * test_lazy_init.c - the global heap's lazy start-up under racing first
 * allocations (issue #9, defect 4): threads released by a barrier all call
 * heap_caps_malloc() before anyone has called heap_caps_init(), so each
 * finds the heap unbuilt. Exactly one may build it: a second build wipes
 * the blocks the first already handed out. Each trial runs in a child
 * process of its own, since only a process's first allocation is lazy.
 */
#include "test_support.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capheap/caps.h"
#include "capheap/sim.h"
#include "esp_heap_caps.h"

#define THREADS 4
#define BLOCKS  8 /* per thread */
#define SIZE    48

static pthread_barrier_t go, done;
static void *blocks[THREADS][BLOCKS];

static void *first_use(void *arg) {
    void **mine = arg;
    unsigned seed = (unsigned)((uintptr_t)arg >> 4);
    pthread_barrier_wait(&go);
    for (int i = 0; i < BLOCKS; i++) {
        mine[i] = heap_caps_malloc(SIZE, MALLOC_CAP_8BIT);
        if (mine[i])
            ts_fill(mine[i], SIZE, seed + (unsigned)i);
    }
    pthread_barrier_wait(&done);
    return NULL;
}

/* One trial in this (child) process: 0 if every block is there, intact and
 * counted once, else the number of the failed check. */
static int trial(void) {
    pthread_t th[THREADS];
    pthread_barrier_init(&go, NULL, THREADS);
    pthread_barrier_init(&done, NULL, THREADS + 1);
    for (int t = 0; t < THREADS; t++)
        if (pthread_create(&th[t], NULL, first_use, blocks[t]))
            return 10;
    pthread_barrier_wait(&done);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    for (int t = 0; t < THREADS; t++) {
        for (int i = 0; i < BLOCKS; i++) {
            if (!blocks[t][i])
                return 11;
            unsigned seed = (unsigned)((uintptr_t)blocks[t] >> 4);
            if (!ts_verify(blocks[t][i], SIZE, seed + (unsigned)i))
                return 12;
        }
    }
    capheap_stats_t s;
    capheap_heap_stats(heap_caps_capheap()->heap, &s);
    if (s.allocated_blocks != THREADS * BLOCKS)
        return 13;
    if (!heap_caps_check_integrity_all(false))
        return 14;
    return 0;
}

static void racing_first_allocations_build_once(void **state) {
    (void)state;
    int trials = (int)(40 * ts_scale());
    int bad = 0, first = 0;
    for (int i = 0; i < (trials ? trials : 1); i++) {
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            _exit(trial());
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        int code =
            WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
        if (code && !bad++)
            first = code;
    }
    if (bad)
        print_message("%d of %d trials failed (first: check %d)\n", bad, trials,
                      first);
    assert_int_equal(bad, 0);
}

static void esp32_addresses_taken(void **state) {
    (void)state;
    print_message("[  SKIP    ] the ESP32's addresses are taken in this "
                  "process\n");
    skip();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(racing_first_allocations_build_once),
    };
    static const char *const vars[] = {
        "CAPHEAP_PSRAM",          "CAPHEAP_BT",
        "CAPHEAP_RTC_HEAP",       "CAPHEAP_SINGLE_CORE",
        "CAPHEAP_TRACE_MEM",      "CAPHEAP_IRAM_8BIT",
        "CAPHEAP_APP_DRAM_START", "CAPHEAP_APP_DRAM_END",
        "CAPHEAP_APP_IRAM_END"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    setenv("CAPHEAP_CHIP", "esp32", 1);
    /* qemu-user keeps an i386 guest's stack on the ESP32's RAM. */
    if (capheap_sim_probe(&capheap_chip_esp32, NULL, NULL, 0) ==
        CAPHEAP_ERR_OVERLAP) {
        const struct CMUnitTest none[] = {
            cmocka_unit_test(esp32_addresses_taken)};
        return cmocka_run_group_tests(none, NULL, NULL);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
