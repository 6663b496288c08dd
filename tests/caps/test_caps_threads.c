#define _POSIX_C_SOURCE 200809L
/*
 * test_caps_threads.c - the capability layer under concurrent requests for
 * different masks on the simulated ESP32 (issue #9, defect 1): a request's
 * cached selection must never be another mask's, so every block lies in
 * memory whose chip type has every capability asked for, and no request
 * fails while memory of its kind is free.
 *
 * Each thread keeps at most WINDOW small blocks, so the heaps stay nearly
 * empty and a NULL is a wrong answer. 8BIT, 32BIT and DMA share a slot of
 * the selection cache, which makes every other request refill it.
 * CAPHEAP_TEST_SCALE=20 gives the 10^7 allocations in the first
 * test (make caps-race).
 */
#include "test_support.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "capheap/caps.h"
#include "capheap/sim.h"

#define C(x)   CAPHEAP_CAP_##x
#define WINDOW 16
#define SIZE   32

static capheap_caps_t ch;
static const capheap_chip_t *chip;
static pthread_mutex_t heap_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start;

/* The capabilities the chip data gives the memory at @p a (0: no region). */
static uint32_t caps_at(uintptr_t a) {
    return ts_chip_caps_at(chip, a);
}

typedef struct {
    uint32_t caps;
    unsigned long count;   /* allocations to make */
    unsigned long wrong;   /* blocks in memory without caps */
    unsigned long nulls;   /* failures with memory free */
    unsigned long outside; /* DMA blocks DMA cannot reach */
    uintptr_t first_wrong;
} job_t;

static void *worker(void *arg) {
    job_t *j = arg;
    void *live[WINDOW] = {0};
    pthread_barrier_wait(&start);
    for (unsigned long i = 0; i < j->count; i++) {
        unsigned k = (unsigned)(i % WINDOW);
        capheap_caps_free(&ch, live[k]);
        void *p = capheap_caps_alloc(&ch, SIZE, j->caps);
        live[k] = p;
        if (!p) {
            j->nulls++;
            continue;
        }
        uintptr_t a = (uintptr_t)p;
        if ((caps_at(a) & j->caps) != j->caps ||
            (caps_at(a + SIZE - 1) & j->caps) != j->caps) {
            if (!j->wrong++)
                j->first_wrong = a;
        }
        if ((j->caps & C(DMA)) && (a < chip->dma_lo || a + SIZE > chip->dma_hi))
            j->outside++;
        /* Whole words only: the block may be word-only IRAM when wrong. */
        uint32_t w = (uint32_t)i;
        memcpy(p, &w, sizeof w);
    }
    for (unsigned k = 0; k < WINDOW; k++)
        capheap_caps_free(&ch, live[k]);
    return NULL;
}

/* Two threads, one per mask, @p per allocations each. */
static void race(uint32_t a, uint32_t b, unsigned long per) {
    job_t jobs[2] = {{.caps = a, .count = per}, {.caps = b, .count = per}};
    pthread_t th[2];
    capheap_stats_t before, after;
    capheap_heap_stats(ch.heap, &before);
    assert_int_equal(pthread_barrier_init(&start, NULL, 2), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, worker, &jobs[i]), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < 2; i++) {
        if (jobs[i].wrong || jobs[i].nulls || jobs[i].outside)
            print_message("caps 0x%x: %lu of %lu blocks in the wrong memory "
                          "(first %#lx), %lu beyond DMA, %lu NULL\n",
                          (unsigned)jobs[i].caps, jobs[i].wrong, jobs[i].count,
                          (unsigned long)jobs[i].first_wrong, jobs[i].outside,
                          jobs[i].nulls);
        assert_int_equal(jobs[i].wrong, 0);
        assert_int_equal(jobs[i].outside, 0);
        assert_int_equal(jobs[i].nulls, 0);
    }
    capheap_heap_stats(ch.heap, &after);
    assert_int_equal(after.free_bytes, before.free_bytes);
    assert_int_equal(after.allocated_blocks, before.allocated_blocks);
    ts_assert_heap_ok(ch.heap);
    assert_int_equal(ts_errors()->count, 0);
}

static unsigned long per_thread(void) {
    unsigned long n = (unsigned long)(250000 * ts_scale());
    return n ? n : 1;
}

static void byte_and_word_requests_race(void **state) {
    (void)state;
    race(C(8BIT), C(32BIT), per_thread());
}

static void byte_and_dma_requests_race(void **state) {
    (void)state;
    race(C(8BIT), C(DMA), per_thread() / 4 + 1);
}

static void dma_and_word_requests_race(void **state) {
    (void)state;
    race(C(DMA) | C(8BIT), C(32BIT), per_thread() / 4 + 1);
}

static int setup(void **state) {
    (void)state;
    static bool mapped;
    capheap_chip_options_t o = {0, 0, 0, 0, 0};
    chip = capheap_sim_chip(&capheap_chip_esp32);
    assert_non_null(chip);
    if (!mapped)
        assert_int_equal(capheap_sim_map(chip, &o), CAPHEAP_OK);
    mapped = true;
    assert_int_equal(capheap_caps_init(&ch, chip, &o, NULL, 0), CAPHEAP_OK);
    capheap_caps_enable_nonos_stack_heaps(&ch);
    capheap_heap_set_lock(ch.heap, &heap_mutex);
    ts_errors_install();
    ts_errors_reset();
    return 0;
}

static char taken_by[512];

static void esp32_addresses_taken(void **state) {
    (void)state;
    print_message("[  SKIP    ] the ESP32's addresses are taken in this "
                  "process: %s\n",
                  taken_by);
    skip();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(byte_and_word_requests_race, setup),
        cmocka_unit_test_setup(byte_and_dma_requests_race, setup),
        cmocka_unit_test_setup(dma_and_word_requests_race, setup),
    };
    /* qemu-user keeps an i386 guest's stack on the ESP32's RAM. */
    if (capheap_sim_probe(&capheap_chip_esp32, NULL, taken_by,
                          sizeof taken_by) == CAPHEAP_ERR_OVERLAP) {
        const struct CMUnitTest none[] = {
            cmocka_unit_test(esp32_addresses_taken)};
        return cmocka_run_group_tests(none, NULL, NULL);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
