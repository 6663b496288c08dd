#define _POSIX_C_SOURCE 200809L
/*
 * test_malloc_family.c - the C allocation functions over the capability
 * heap (capheap/malloc.h: capheap_malloc, free, calloc, realloc, memalign,
 * aligned_alloc, posix_memalign, malloc_usable_size) on the simulated
 * ESP32 and STM32H743, with the ESP32-C3 for EXEC memory handed out on the
 * instruction bus.
 */
#include "test_support.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capheap/malloc.h"
#include "esp_heap_alloc_caps.h"
#include "esp_heap_caps.h"
#include "esp_heap_caps_init.h"
#include "esp_test_env.h"

#define MiB ((size_t)1024 * 1024)

/* The generic tests run on the ESP32 and on the STM32H743, whose memory
 * qemu-user's i386 layout leaves free: the 32-bit build runs them there. */
static const char *chip_of(void **state) {
    return (const char *)*state;
}

#define BOTH(f)                                                                \
    {#f " (esp32)", f, NULL, NULL, (void *)"esp32"}, {                         \
#f " (stm32h743)", f, NULL, NULL, (void *)"stm32h743"                  \
    }

static bool internal_default(const void *p) {
    capheap_caps_t *ch = heap_caps_capheap();
    int t = capheap_caps_block_type(ch, p);
    const uint32_t want = MALLOC_CAP_DEFAULT | MALLOC_CAP_INTERNAL;
    return t >= 0 && (ch->types[t].all & want) == want;
}

static void malloc_basics(void **state) {
    et_boot(chip_of(state));
    size_t before = heap_caps_get_free_size(MALLOC_CAP_INTERNAL);
    assert_null(capheap_malloc(0));
    assert_int_equal(ts_failed.calls, 0);
    for (size_t n = 1; n <= 4096; n = n * 3 + 1) {
        unsigned char *p = capheap_malloc(n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % CAPHEAP_ALIGNMENT, 0);
        assert_true(internal_default(p));
        ts_fill(p, n, (uint32_t)n);
        assert_true(ts_verify(p, n, (uint32_t)n));
        capheap_free(p);
    }
    capheap_free(NULL);
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_INTERNAL), before);
    /* Too large: NULL, errno ENOMEM, the failure callback with DEFAULT. */
    errno = 0;
    assert_null(capheap_malloc(16 * MiB));
    assert_int_equal(errno, ENOMEM);
    assert_int_equal(ts_failed.calls, 1);
    assert_int_equal(ts_failed.size, 16 * MiB);
    assert_int_equal(ts_failed.caps, MALLOC_CAP_DEFAULT);
    assert_int_equal(ts_errors()->count, 0);
}

static void calloc_zeroes_and_checks_overflow(void **state) {
    et_boot(chip_of(state));
    /* Leave non-zero bytes where calloc will find memory. */
    void *dirty[32];
    for (int i = 0; i < 32; i++) {
        dirty[i] = capheap_malloc(2048);
        assert_non_null(dirty[i]);
        memset(dirty[i], 0xCD, 2048);
    }
    for (int i = 0; i < 32; i++)
        capheap_free(dirty[i]);
    unsigned char *p = capheap_calloc(100, 20);
    assert_non_null(p);
    for (int i = 0; i < 2000; i++)
        assert_int_equal(p[i], 0);
    assert_true(capheap_malloc_usable_size(p) >= 2000);
    capheap_free(p);
    errno = 0;
    assert_null(capheap_calloc(SIZE_MAX / 2 + 4, 2));
    assert_int_equal(errno, ENOMEM);
    errno = 0;
    assert_null(capheap_calloc(2, SIZE_MAX / 2 + 4));
    assert_int_equal(errno, ENOMEM);
    errno = 0;
    assert_null(capheap_calloc((size_t)1 << (sizeof(size_t) * 4),
                               (size_t)1 << (sizeof(size_t) * 4)));
    assert_int_equal(errno, ENOMEM);
    assert_null(capheap_calloc(0, 100));
    assert_null(capheap_calloc(100, 0));
    assert_int_equal(ts_failed.calls, 0); /* overflow and 0: no callback */
}

static void realloc_semantics(void **state) {
    et_boot(chip_of(state));
    size_t before = heap_caps_get_free_size(MALLOC_CAP_INTERNAL);
    /* NULL: allocates. */
    unsigned char *p = capheap_realloc(NULL, 1000);
    assert_non_null(p);
    assert_true(capheap_malloc_usable_size(p) >= 1000);
    ts_fill(p, 1000, 1);
    /* Grow past a neighbour: moves, keeps the contents. */
    void *fence = capheap_malloc(64);
    assert_non_null(fence);
    unsigned char *q = capheap_realloc(p, 20000);
    assert_non_null(q);
    assert_true(capheap_malloc_usable_size(q) >= 20000);
    assert_true(ts_verify(q, 1000, 1));
    ts_fill(q, 20000, 2);
    /* Shrink keeps the head. */
    unsigned char *r = capheap_realloc(q, 500);
    assert_non_null(r);
    assert_true(ts_verify(r, 500, 2));
    /* Failure: NULL, ENOMEM, the old block untouched and still owned. */
    errno = 0;
    assert_null(capheap_realloc(r, 16 * MiB));
    assert_int_equal(errno, ENOMEM);
    assert_true(ts_verify(r, 500, 2));
    assert_true(capheap_malloc_usable_size(r) >= 500);
    assert_int_equal(ts_failed.calls, 1);
    assert_int_equal(ts_failed.size, 16 * MiB);
    /* Size 0: frees and returns NULL. */
    size_t live = heap_caps_get_free_size(MALLOC_CAP_INTERNAL);
    size_t usable = capheap_malloc_usable_size(r);
    assert_null(capheap_realloc(r, 0));
    assert_true(heap_caps_get_free_size(MALLOC_CAP_INTERNAL) >= live + usable);
    assert_int_equal(ts_failed.calls, 1);
    capheap_free(fence);
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_INTERNAL), before);
    assert_int_equal(ts_errors()->count, 0);
    assert_true(heap_caps_check_integrity_all(true));
}

/* "Alloc APIs" of ESP-IDF's host test. */
static void realloc_keeps_first_bytes(void **state) {
    et_boot(chip_of(state));
    unsigned char *p = capheap_malloc(1000);
    assert_non_null(p);
    ts_fill(p, 1000, 77);
    unsigned char *q = capheap_realloc(p, 2000);
    assert_non_null(q);
    assert_true(ts_verify(q, 1000, 77));
    assert_null(capheap_realloc(q, 0));
    assert_true(heap_caps_check_integrity_all(true));
}

static void memalign_and_aligned_alloc(void **state) {
    et_boot(chip_of(state));
    for (size_t a = 1; a <= 4096; a *= 2) {
        unsigned char *p = capheap_memalign(a, a + 137);
        unsigned char *q = capheap_aligned_alloc(a, 3 * a);
        assert_non_null(p);
        assert_non_null(q);
        assert_int_equal((uintptr_t)p % a, 0);
        assert_int_equal((uintptr_t)q % a, 0);
        assert_true(capheap_malloc_usable_size(p) >= a + 137);
        assert_true(internal_default(p));
        memset(p, 0x61, a + 137);
        memset(q, 0x62, 3 * a);
        capheap_free(p);
        capheap_free(q);
    }
    assert_null(capheap_aligned_alloc(32, 0));
    assert_null(capheap_memalign(32, 0));
    assert_int_equal(ts_failed.calls, 0);
    assert_true(heap_caps_check_integrity_all(true));
}

/* An alignment that is not a power of two is an invalid argument, not a
 * lack of memory: EINVAL (C17 DR 460, glibc), whatever the size, with no
 * failure callback and nothing allocated. */
static void bad_alignment_is_einval(void **state) {
    et_boot(chip_of(state));
    const size_t before = heap_caps_get_free_size(MALLOC_CAP_DEFAULT);
    const size_t bad[] = {0, 3, 6, 48, 1000, SIZE_MAX};
    const size_t sizes[] = {0, 1, 64, 16 * MiB};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++) {
            errno = 0;
            assert_null(capheap_aligned_alloc(bad[i], sizes[j]));
            assert_int_equal(errno, EINVAL);
            errno = 0;
            assert_null(capheap_memalign(bad[i], sizes[j]));
            assert_int_equal(errno, EINVAL);
        }
    }
    assert_int_equal(ts_failed.calls, 0);
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_DEFAULT), before);
    /* A valid alignment that cannot be met is a lack of memory. */
    const size_t big[] = {(size_t)1 << (sizeof(size_t) * 8 - 1), 64};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        errno = 0;
        assert_null(capheap_aligned_alloc(big[i], 16 * MiB));
        assert_int_equal(errno, ENOMEM);
        errno = 0;
        assert_null(capheap_memalign(big[i], 16 * MiB));
        assert_int_equal(errno, ENOMEM);
    }
    /* Size 0 with a valid alignment: NULL, and no error to report. */
    errno = 0;
    assert_null(capheap_aligned_alloc(16, 0));
    assert_null(capheap_memalign(16, 0));
    assert_int_equal(errno, 0);
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_DEFAULT), before);
    assert_true(heap_caps_check_integrity_all(true));
}

static void posix_memalign_contract(void **state) {
    et_boot(chip_of(state));
    void *const sentinel = (void *)&sentinel;
    void *out = sentinel;
    /* Not a power of two, or below sizeof(void *): EINVAL, out untouched. */
    const size_t bad[] = {0,
                          1,
                          sizeof(void *) / 2,
                          sizeof(void *) + 1,
                          3 * sizeof(void *),
                          5 * sizeof(void *),
                          1000};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(capheap_posix_memalign(&out, bad[i], 64), EINVAL);
        assert_ptr_equal(out, sentinel);
    }
    /* Good alignments: 0 and an aligned block. */
    for (size_t a = sizeof(void *); a <= 8192; a *= 2) {
        out = sentinel;
        assert_int_equal(capheap_posix_memalign(&out, a, 100), 0);
        assert_ptr_not_equal(out, sentinel);
        assert_non_null(out);
        assert_int_equal((uintptr_t)out % a, 0);
        assert_true(capheap_malloc_usable_size(out) >= 100);
        memset(out, 0x3E, 100);
        capheap_free(out);
    }
    /* Size 0: success and NULL. */
    out = sentinel;
    assert_int_equal(capheap_posix_memalign(&out, 64, 0), 0);
    assert_null(out);
    /* No memory: ENOMEM, out untouched. */
    out = sentinel;
    assert_int_equal(capheap_posix_memalign(&out, 64, 16 * MiB), ENOMEM);
    assert_ptr_equal(out, sentinel);
    assert_true(heap_caps_check_integrity_all(true));
}

static void usable_size_is_real(void **state) {
    et_boot(chip_of(state));
    assert_int_equal(capheap_malloc_usable_size(NULL), 0);
    for (size_t n = 1; n < 5000; n += 333) {
        unsigned char *p = capheap_malloc(n);
        assert_non_null(p);
        size_t u = capheap_malloc_usable_size(p);
        assert_true(u >= n);
        assert_true(u < n + 64); /* the block's, not a region's */
        assert_int_equal(u, heap_caps_get_allocated_size(p));
        memset(p, 0x55, u); /* all of it is the caller's */
        assert_true(heap_caps_check_integrity_addr((intptr_t)p, true));
        capheap_free(p);
    }
    assert_int_equal(ts_errors()->count, 0);
}

/* What malloc gives, the other free functions take back, and the other way
 * round. */
static void free_functions_are_interchangeable(void **state) {
    et_boot(chip_of(state));
    size_t before = heap_caps_get_free_size(0);
    heap_caps_free(capheap_malloc(100));
    vPortFree(capheap_calloc(10, 10));
    capheap_free(heap_caps_malloc(100, MALLOC_CAP_DMA));
    capheap_free(pvPortMallocCaps(100, MALLOC_CAP_32BIT));
    capheap_free(heap_caps_aligned_alloc(256, 100, MALLOC_CAP_8BIT));
    capheap_free(capheap_memalign(512, 100));
    void *x = heap_caps_malloc(100, MALLOC_CAP_EXEC); /* IRAM, ITCM */
    assert_non_null(x);
    assert_false(et_on_ibus(x));
    capheap_free(x);
    assert_int_equal(heap_caps_get_free_size(0), before);
    assert_int_equal(ts_errors()->count, 0);
}

/* free() of EXEC memory served from D/IRAM through its instruction-bus
 * address: the ESP32's inverted window once IRAM is full (never touched
 * through that address here), and the ESP32-C3, where all EXEC memory is
 * D/IRAM on the instruction bus. */
static void free_takes_exec_alias_esp32(void **state) {
    (void)state;
    et_boot("esp32");
    static void *iram[512];
    int n = 0;
    void *x = NULL;
    while (n < 512 && (x = heap_caps_malloc(1024, MALLOC_CAP_EXEC)) &&
           !et_on_ibus(x))
        iram[n++] = x;
    assert_true(n < 512);
    assert_non_null(x);
    assert_true(et_on_ibus(x));
    assert_true(et_in_type(
        (void *)capheap_caps_iram_to_dram(et_chip(), (uintptr_t)x), "D/IRAM"));
    size_t before = heap_caps_get_free_size(MALLOC_CAP_8BIT);
    void *y = heap_caps_malloc(2000, MALLOC_CAP_EXEC);
    assert_true(et_on_ibus(y));
    assert_true(capheap_malloc_usable_size(y) >= 2000);
    assert_true(before - heap_caps_get_free_size(MALLOC_CAP_8BIT) >= 2000);
    capheap_free(y);
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_8BIT), before);
    capheap_free(x);
    while (n--)
        capheap_free(iram[n]);
    assert_int_equal(ts_errors()->count, 0);
    assert_true(heap_caps_check_integrity_all(true));
}

static void free_takes_exec_alias_esp32c3(void **state) {
    (void)state;
    et_boot("esp32c3");
    size_t before = heap_caps_get_free_size(MALLOC_CAP_8BIT);
    uint32_t *x = heap_caps_malloc(256, MALLOC_CAP_EXEC);
    assert_non_null(x);
    assert_true(et_on_ibus(x));
    x[0] = 0xDEADBEEFu; /* usable through that address */
    x[63] = 0xFEEDFACEu;
    assert_true(capheap_malloc_usable_size(x) >= 256);
    assert_true(heap_caps_get_free_size(MALLOC_CAP_8BIT) < before);
    capheap_free(x);
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_8BIT), before);
    /* realloc() of such a block (to DEFAULT|INTERNAL memory) keeps it. */
    uint32_t *y = heap_caps_malloc(64, MALLOC_CAP_EXEC);
    assert_non_null(y);
    for (uint32_t i = 0; i < 16; i++)
        y[i] = i * 7;
    uint32_t *z = capheap_realloc(y, 128);
    assert_non_null(z);
    assert_false(et_on_ibus(z));
    for (uint32_t i = 0; i < 16; i++)
        assert_int_equal(z[i], i * 7);
    capheap_free(z);
    assert_int_equal(heap_caps_get_free_size(MALLOC_CAP_8BIT), before);
    assert_int_equal(ts_errors()->count, 0);
}

/* With extmem enabled malloc falls back to any DEFAULT memory when PSRAM
 * is full, and realloc follows the same policy. */
static void extmem_fallback(void **state) {
    (void)state;
    et_opts_t o = {"4M", false, true};
    et_boot_opts("esp32", o);
    heap_caps_malloc_extmem_enable(0);
    /* Fill PSRAM. */
    static void *fill[2048];
    int n = 0;
    for (size_t size = 64 * 1024; size >= 64; size /= 4) {
        while (n < 2048 &&
               (fill[n] = heap_caps_malloc(size, MALLOC_CAP_SPIRAM)))
            n++;
    }
    assert_true(n < 2048);
    assert_true(heap_caps_get_free_size(MALLOC_CAP_SPIRAM) < 256);
    ts_failed_reset(); /* the filling's last requests failed */
    void *p = capheap_malloc(256);
    assert_non_null(p);
    assert_true(internal_default(p));
    assert_int_equal(ts_failed.calls, 0);
    /* PSRAM has room again: a realloc above the limit moves there. */
    heap_caps_free(fill[0]); /* 64 KiB */
    unsigned char *q = capheap_realloc(p, 300);
    assert_non_null(q);
    assert_true(et_in_type(q, "SPIRAM"));
    capheap_free(q);
    while (n-- > 1)
        heap_caps_free(fill[n]);
    heap_caps_malloc_extmem_enable(SIZE_MAX);
    assert_true(heap_caps_check_integrity_all(true));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        BOTH(malloc_basics),
        BOTH(calloc_zeroes_and_checks_overflow),
        BOTH(realloc_semantics),
        BOTH(realloc_keeps_first_bytes),
        BOTH(memalign_and_aligned_alloc),
        BOTH(bad_alignment_is_einval),
        BOTH(posix_memalign_contract),
        BOTH(usable_size_is_real),
        BOTH(free_functions_are_interchangeable),
        cmocka_unit_test(free_takes_exec_alias_esp32),
        cmocka_unit_test(free_takes_exec_alias_esp32c3),
        cmocka_unit_test(extmem_fallback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
