/*
 * test_caps_attacks.c - free-list poisoning through the capability layer on
 * the simulated ESP32: a freed DRAM block's `next` pointed at a free IRAM
 * block. Unchecked, a later byte request (MALLOC_CAP_8BIT) would get
 * word-only IRAM, where the first byte access faults on the chip. The
 * hardened lists must refuse and report it, and no request may get memory
 * of the wrong type.
 */
#include "test_support.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "capheap/caps.h"
#include "capheap/sim.h"
#include "core/free_list.h"

#if defined(CAPHEAP_HARDEN) && CAPHEAP_HARDEN
#define SEC_HARDENED 1
#else
#define SEC_HARDENED 0
#endif

#define IRAM_LO 0x40070000u
#define IRAM_HI 0x400A0000u
#define DRAM_LO 0x3FFAE000u
#define DRAM_HI 0x40000000u

static capheap_caps_t ch;
static int nreports;
static capheap_err_t first_err;
static const void *first_addr;

static void record(capheap_err_t err, const void *addr, const char *op,
                   void *user) {
    (void)op;
    (void)user;
    if (nreports++ == 0) {
        first_err = err;
        first_addr = addr;
    }
}

static bool in(const void *p, uintptr_t lo, uintptr_t hi) {
    return (uintptr_t)p >= lo && (uintptr_t)p < hi;
}

static bool find_iram_free(const capheap_block_info_t *b, void *user) {
    if (!b->used && in(b->ptr, IRAM_LO, IRAM_HI) && b->size >= 256) {
        *(void **)user = b->ptr;
        return false;
    }
    return true;
}

static void byte_request_never_gets_iram(void **state) {
    (void)state;
    capheap_chip_options_t o = {0, 0, 0, 0, 0};
    assert_int_equal(capheap_sim_map(&capheap_chip_esp32, &o), CAPHEAP_OK);
    assert_int_equal(capheap_caps_init(&ch, &capheap_chip_esp32, &o, NULL, 0),
                     CAPHEAP_OK);
    capheap_set_error_hook(record, NULL);
    unsigned char *p[3];
    for (int i = 0; i < 3; i++) {
        p[i] = capheap_caps_alloc(&ch, 64, CAPHEAP_CAP_8BIT);
        assert_true(in(p[i], DRAM_LO, DRAM_HI));
    }
    void *iram = NULL;
    capheap_heap_walk(ch.heap, find_iram_free, &iram);
    assert_non_null(iram);
    /* Use after free: the freed block's next now names the IRAM block. */
    capheap_caps_free(&ch, p[1]);
    uintptr_t forged = (uintptr_t)block_of(iram);
    memcpy(block_of(p[1]) + offsetof(node_t, next), &forged, sizeof forged);
    nreports = 0;
    for (int i = 0; i < 32; i++) {
        void *q = capheap_caps_alloc(&ch, 64, CAPHEAP_CAP_8BIT);
        if (q && !in(q, DRAM_LO, DRAM_HI))
            fail_msg("a byte request got %p, not byte-accessible DRAM", q);
    }
    assert_true(nreports > 0);
    assert_int_equal(first_err, CAPHEAP_ERR_CORRUPT);
    assert_ptr_equal(first_addr, p[1]);
    capheap_set_error_hook(NULL, NULL);
    capheap_sim_unmap();
}

static char taken_by[512];

static void skipped(void **state) {
    (void)state;
    print_message("[  SKIP    ] %s\n",
                  SEC_HARDENED ? taken_by : "no CAPHEAP_HARDEN in this build");
    skip();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(byte_request_never_gets_iram)};
    const struct CMUnitTest none[] = {cmocka_unit_test(skipped)};
    const char *force = getenv("CAPHEAP_SECURITY_UNHARDENED");
    bool run = SEC_HARDENED || (force && strcmp(force, "1") == 0);
    /* qemu-user keeps an i386 guest's stack on the ESP32's RAM. */
    if (capheap_sim_probe(&capheap_chip_esp32, NULL, taken_by,
                          sizeof taken_by) == CAPHEAP_ERR_OVERLAP)
        run = false;
    return run ? cmocka_run_group_tests(tests, NULL, NULL)
               : cmocka_run_group_tests(none, NULL, NULL);
}
