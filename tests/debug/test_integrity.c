/*
 * test_integrity.c - integrity checks that find overflows of live blocks:
 * per tag, and incremental with a bounded number of blocks per step (built
 * with comprehensive poisoning, so a step checks canaries and fills).
 */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "core/free_list.h"
#include "core/poison.h"

#define ARENA 32768

typedef ts_heap_t fx_t;

/* Three regions: tags 0, 1, and 0 again. */
static int setup(void **state) {
    static const unsigned tags[3] = {0, 1, 0};
    *state = ts_heap_new(4, 2, ARENA, tags, 3, 0);
    return 0;
}

static int teardown(void **state) {
    ts_heap_delete(*state);
    return 0;
}

static bool count_cb(const capheap_block_info_t *b, void *user) {
    (void)b;
    ++*(size_t *)user;
    return true;
}

/* Every block, control blocks included, as the walker sees them. */
static size_t walk_count(capheap_heap_t *h) {
    size_t n = 0;
    capheap_heap_walk(h, count_cb, &n);
    return n;
}

/* A check of one tag sees damage in that tag only. */
static void check_tag_sees_its_own_blocks(void **state) {
    fx_t *f = *state;
    unsigned char *a = capheap_heap_alloc(f->h, 0, 50);
    unsigned char *b = capheap_heap_alloc(f->h, 1, 50);
    assert_non_null(a);
    assert_non_null(b);
    capheap_check_report_t rep;
    assert_int_equal(capheap_heap_check_tag(f->h, 0, &rep), CAPHEAP_OK);
    assert_int_equal(capheap_heap_check_tag(f->h, 1, &rep), CAPHEAP_OK);
    b[50] ^= 0x5A; /* overflow in tag 1 */
    assert_int_equal(capheap_heap_check_tag(f->h, 0, &rep), CAPHEAP_OK);
    assert_int_equal(capheap_heap_check_tag(f->h, 1, &rep),
                     CAPHEAP_ERR_CORRUPT);
    assert_int_equal(rep.fault, CAPHEAP_FAULT_TAIL_CANARY);
    assert_ptr_equal(rep.addr, b + 50);
    assert_int_equal(capheap_heap_check(f->h, &rep), CAPHEAP_ERR_CORRUPT);
    /* By address: the region holding it decides the tag. */
    assert_int_equal(capheap_heap_check_addr(f->h, a, &rep), CAPHEAP_OK);
    assert_int_equal(capheap_heap_check_addr(f->h, b + 10, &rep),
                     CAPHEAP_ERR_CORRUPT);
    assert_ptr_equal(rep.addr, b + 50);
    b[50] ^= 0x5A;
    assert_int_equal(capheap_heap_check_addr(f->h, b + 10, &rep), CAPHEAP_OK);
    static int elsewhere;
    assert_int_equal(capheap_heap_check_addr(f->h, &elsewhere, &rep),
                     CAPHEAP_ERR_FOREIGN_POINTER);
    /* An unknown tag has nothing to check. */
    assert_int_equal(capheap_heap_check_tag(f->h, 7, &rep), CAPHEAP_OK);
    capheap_heap_free(f->h, a);
    capheap_heap_free(f->h, b);
    assert_int_equal(capheap_heap_check(f->h, &rep), CAPHEAP_OK);
    assert_int_equal(ts_errors()->count, 0);
}

/* Steps of k blocks cover every block exactly once per pass and end with
 * complete set; a new pass follows. */
static void steps_cover_every_block(void **state) {
    fx_t *f = *state;
    void *p[40];
    for (int i = 0; i < 40; i++)
        p[i] = capheap_heap_alloc(f->h, (unsigned)(i % 2), 16 + 8 * i);
    for (int i = 0; i < 40; i += 3)
        capheap_heap_free(f->h, p[i]);
    size_t total = walk_count(f->h);
    for (unsigned k = 1; k <= 9; k += 4) {
        capheap_check_cursor_t cur = {0};
        capheap_check_report_t rep;
        size_t steps = 0;
        do {
            size_t before = cur.blocks;
            assert_int_equal(capheap_heap_check_step(f->h, &cur, k, &rep),
                             CAPHEAP_OK);
            assert_true(cur.blocks - before <= k);
            steps++;
            assert_true(steps <= total + 3);
        } while (!cur.complete);
        assert_int_equal(cur.blocks, total);
        assert_true(steps >= (total + k - 1) / k);
        /* The next step starts a new pass. */
        assert_int_equal(capheap_heap_check_step(f->h, &cur, k, &rep),
                         CAPHEAP_OK);
        assert_true(cur.blocks >= 1 && cur.blocks <= k);
    }
    for (int i = 0; i < 40; i++) {
        if (i % 3)
            capheap_heap_free(f->h, p[i]);
    }
    assert_int_equal(ts_errors()->count, 0);
}

/* An overflow of a live block is found by the step that reaches it, with no
 * free involved; freed-memory writes too (comprehensive). */
static void step_finds_overflow_and_use_after_free(void **state) {
    fx_t *f = *state;
    unsigned char *p[20];
    for (int i = 0; i < 20; i++)
        p[i] = capheap_heap_alloc(f->h, 0, 100);
    unsigned char *victim = p[13];
    victim[100 + 2] = 0; /* two bytes past the end */
    capheap_check_cursor_t cur = {0};
    capheap_check_report_t rep;
    capheap_err_t err;
    while ((err = capheap_heap_check_step(f->h, &cur, 2, &rep)) == CAPHEAP_OK)
        assert_false(cur.complete);
    assert_int_equal(err, CAPHEAP_ERR_CORRUPT);
    assert_int_equal(rep.fault, CAPHEAP_FAULT_TAIL_CANARY);
    assert_ptr_equal(rep.addr, victim + 100);
    put_tail((char *)victim + 100);

    capheap_heap_free(f->h, p[5]);
    p[5][60] = 1; /* write after free */
    cur = (capheap_check_cursor_t){0};
    while ((err = capheap_heap_check_step(f->h, &cur, 3, &rep)) == CAPHEAP_OK)
        assert_false(cur.complete);
    assert_int_equal(rep.fault, CAPHEAP_FAULT_FREE_FILL);
    assert_ptr_equal(rep.addr, p[5] + 60);
    p[5][60] = FREE_FILL;
    p[5] = NULL;
    for (int i = 0; i < 20; i++)
        capheap_heap_free(f->h, p[i]);
    assert_int_equal(capheap_heap_check(f->h, &rep), CAPHEAP_OK);
    assert_int_equal(ts_errors()->count, 0);
}

/* Blocks split and merge between steps: the cursor finds its place again
 * and never reports a false fault. */
static void steps_between_changes_stay_correct(void **state) {
    fx_t *f = *state;
    enum { SLOTS = 48 };
    void *p[SLOTS] = {0};
    ts_rng_t rng;
    ts_rng_seed(&rng, 77);
    capheap_check_cursor_t cur = {0};
    size_t passes = 0;
    size_t steps = (size_t)(20000 * ts_scale());
    for (size_t i = 0; i < steps; i++) {
        size_t k = (size_t)ts_rng_range(&rng, 0, SLOTS - 1);
        if (p[k]) {
            capheap_heap_free(f->h, p[k]);
            p[k] = NULL;
        } else {
            p[k] = capheap_heap_alloc(f->h, (unsigned)(k % 2),
                                      (size_t)ts_rng_range(&rng, 1, 900));
        }
        capheap_check_report_t rep;
        assert_int_equal(capheap_heap_check_step(f->h, &cur, 3, &rep),
                         CAPHEAP_OK);
        passes += cur.complete;
    }
    assert_true(passes > 10);
    for (size_t k = 0; k < SLOTS; k++)
        capheap_heap_free(f->h, p[k]);
    assert_int_equal(ts_errors()->count, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(check_tag_sees_its_own_blocks, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(steps_cover_every_block, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(step_finds_overflow_and_use_after_free,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(steps_between_changes_stay_correct,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
