/*
 * test_init.c - capheap_heap_init(): argument checks, the storage it uses,
 * and what an empty heap answers to every query.
 */
#include "core_test.h"

static void init_rejects_bad_arguments(void **state) {
    (void)state;
    enum { R = 4, T = 3 };
    size_t need = CAPHEAP_HEAP_STORAGE_SIZE(R, T);
    size_t big = CAPHEAP_HEAP_STORAGE_SIZE(CAPHEAP_MAX_REGIONS + 1,
                                           CAPHEAP_MAX_TAGS + 1);
    unsigned char *st = malloc(big + 16);
    assert_non_null(st);
    memset(st, 0x33, big + 16);

    assert_null(capheap_heap_init(NULL, need, R, T));
    for (size_t off = 1; off < sizeof(void *); off++)
        assert_null(capheap_heap_init(st + off, need + 16, R, T));
    assert_null(capheap_heap_init(st, 0, R, T));
    assert_null(capheap_heap_init(st, need - 1, R, T));
    assert_null(capheap_heap_init(st, big, 0, T));
    assert_null(capheap_heap_init(st, big, CAPHEAP_MAX_REGIONS + 1, T));
    assert_null(capheap_heap_init(st, big, 1000, T));
    assert_null(capheap_heap_init(st, big, R, 0));
    assert_null(capheap_heap_init(st, big, R, CAPHEAP_MAX_TAGS + 1));
    assert_null(capheap_heap_init(st, big, R, 100000));
    /* The size needed for the largest heap is checked against its own
     * counts, not against a smaller heap's. */
    assert_null(capheap_heap_init(
        st,
        CAPHEAP_HEAP_STORAGE_SIZE(CAPHEAP_MAX_REGIONS, CAPHEAP_MAX_TAGS) - 1,
        CAPHEAP_MAX_REGIONS, CAPHEAP_MAX_TAGS));
    free(st);
}

static void init_accepts_limits_and_stays_in_storage(void **state) {
    (void)state;
    static const unsigned shapes[][2] = {
        {1, 1},
        {1, CAPHEAP_MAX_TAGS},
        {CAPHEAP_MAX_REGIONS, 1},
        {CAPHEAP_MAX_REGIONS, CAPHEAP_MAX_TAGS},
        {3, 7},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        unsigned r = shapes[i][0], t = shapes[i][1];
        capheap_heap_t *h = ct_heap_new(r, t); /* exact size; asserts */
        assert_true(ct_heap_guard_ok(h, r, t));
        assert_int_equal(capheap_heap_region_count(h), 0);
        /* Every tag exists and is empty; one past the last does not. */
        capheap_stats_t z;
        memset(&z, 0, sizeof z);
        capheap_stats_t s = ct_tag_stats(h, t - 1);
        ct_assert_stats_equal(s, z);
        assert_int_equal(capheap_heap_tag_stats(h, t, &s),
                         CAPHEAP_ERR_INVALID_ARG);
        assert_true(ct_heap_guard_ok(h, r, t));
        ct_heap_delete(h);
    }
}

/* Storage that was used before must not leak into the new heap. */
static void init_resets_reused_storage(void **state) {
    (void)state;
    capheap_heap_t *h = ct_heap_new(2, 2);
    unsigned char *arena = ct_arena(8192, 0);
    assert_int_equal(capheap_heap_add_region(h, arena, 8192, 1), CAPHEAP_OK);
    assert_non_null(capheap_heap_alloc(h, 1, 100));
    assert_ptr_equal(
        capheap_heap_init(h, CAPHEAP_HEAP_STORAGE_SIZE(2, 2), 2, 2), h);
    assert_int_equal(capheap_heap_region_count(h), 0);
    capheap_stats_t s = ct_heap_stats(h), z;
    memset(&z, 0, sizeof z);
    ct_assert_stats_equal(s, z);
    assert_null(capheap_heap_alloc(h, 1, 16));
    /* The old region is no longer part of the heap: it may be added again. */
    assert_int_equal(capheap_heap_add_region(h, arena, 8192, 0), CAPHEAP_OK);
    ts_assert_heap_ok(h);
    ct_heap_delete(h);
    ts_arena_free(arena);
}

static bool count_fn(const capheap_block_info_t *b, void *user) {
    (void)b;
    ++*(int *)user;
    return true;
}

static void empty_heap_answers(void **state) {
    (void)state;
    ts_errors_install();
    capheap_heap_t *h = ct_heap_new(4, 3);
    int local = 0;
    static int global;

    for (unsigned tag = 0; tag < 4; tag++) {
        assert_null(capheap_heap_alloc(h, tag, 1));
        assert_null(capheap_heap_aligned_alloc(h, tag, 64, 1));
        assert_int_equal(capheap_heap_largest_free(h, tag), 0);
        assert_int_equal(capheap_heap_reset_min_free(h, tag), 0);
        capheap_heap_restore_min_free(h, tag, 0);
    }
    capheap_stats_t s = ct_heap_stats(h), z;
    memset(&z, 0, sizeof z);
    ct_assert_stats_equal(s, z);
    capheap_region_info_t ri;
    assert_int_equal(capheap_heap_region_info(h, 0, &ri),
                     CAPHEAP_ERR_INVALID_ARG);
    assert_int_equal(capheap_heap_check(h, NULL), CAPHEAP_OK);
    capheap_check_report_t rep;
    assert_int_equal(capheap_heap_check(h, &rep), CAPHEAP_OK);
    assert_int_equal(rep.error, CAPHEAP_OK);
    int calls = 0;
    assert_true(capheap_heap_walk(h, count_fn, &calls));
    assert_int_equal(calls, 0);
    assert_false(capheap_heap_contains(h, &local));
    assert_false(capheap_heap_contains(h, h));
    assert_null(capheap_heap_containing_block(h, &global));
    ct_assert_no_error();

    /* Bad pointers on an empty heap are foreign, and nothing is read. */
    capheap_heap_free(h, NULL);
    ct_assert_no_error();
    capheap_heap_free(h, &global);
    ct_assert_one_error(CAPHEAP_ERR_FOREIGN_POINTER, &global, "free");
    ts_errors_reset();
    assert_int_equal(capheap_heap_usable_size(h, &local), 0);
    ct_assert_one_error(CAPHEAP_ERR_FOREIGN_POINTER, &local, "usable_size");
    ts_errors_reset();
    assert_int_equal(capheap_heap_block_tag(h, &local), -1);
    ct_assert_one_error(CAPHEAP_ERR_FOREIGN_POINTER, &local, "block_tag");
    ts_errors_reset();
    assert_null(capheap_heap_realloc(h, &local, 10));
    ct_assert_one_error(CAPHEAP_ERR_FOREIGN_POINTER, &local, "realloc");
    ts_errors_reset();
    assert_true(ct_heap_guard_ok(h, 4, 3));
    ct_heap_delete(h);
}

static void err_str_names_every_code(void **state) {
    (void)state;
    static const capheap_err_t codes[] = {
        CAPHEAP_OK,
        CAPHEAP_ERR_INVALID_ARG,
        CAPHEAP_ERR_TOO_SMALL,
        CAPHEAP_ERR_TOO_LARGE,
        CAPHEAP_ERR_OVERLAP,
        CAPHEAP_ERR_NO_SLOT,
        CAPHEAP_ERR_FOREIGN_POINTER,
        CAPHEAP_ERR_NOT_BLOCK,
        CAPHEAP_ERR_DOUBLE_FREE,
        CAPHEAP_ERR_CORRUPT,
        CAPHEAP_ERR_NO_CHIP,
        CAPHEAP_ERR_NO_MALLOC,
    };
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++) {
        const char *a = capheap_err_str(codes[i]);
        assert_non_null(a);
        assert_true(strlen(a) > 0);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(a, capheap_err_str(codes[j]));
    }
    assert_string_equal(capheap_err_str(CAPHEAP_ERR_DOUBLE_FREE),
                        "double free");
    assert_non_null(capheap_err_str((capheap_err_t)99));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(init_rejects_bad_arguments),
        cmocka_unit_test(init_accepts_limits_and_stays_in_storage),
        cmocka_unit_test(init_resets_reused_storage),
        cmocka_unit_test(empty_heap_answers),
        cmocka_unit_test(err_str_names_every_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
