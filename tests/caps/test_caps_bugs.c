#define _POSIX_C_SOURCE 200809L
/*
 * test_caps_bugs.c - defects of src/ found by the capability layer's model
 * test (test_caps_model.c), each as a minimal reproduction that failed
 * against src/ as it was found (commit 9920350's tree) and passes once
 * fixed; kept as regression tests. Fixed by c84be2f (EXEC alignment) and
 * 92a2499 / c84be2f (copies between the views of an inverted window).
 */
#include "test_support.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capheap/caps.h"
#include "capheap/sim.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define HAVE_VALGRIND_H 1
#endif
#endif

#define C(x) CAPHEAP_CAP_##x

static capheap_caps_t ch;

/* Map @p name and boot its capability heap, or skip saying why when the
 * host holds the chip's addresses (qemu-user's i386 stack). */
static const capheap_chip_t *boot_or_skip(const char *name) {
    const capheap_chip_t *orig = capheap_chip_find(name);
    assert_non_null(orig);
    const capheap_chip_t *chip = capheap_sim_chip(orig);
    assert_non_null(chip);
    char who[700];
    capheap_sim_unmap();
    if (capheap_sim_probe(orig, NULL, who, sizeof who) == CAPHEAP_ERR_OVERLAP) {
        print_message("[  SKIP    ] %s's memory cannot be placed at its own "
                      "addresses: the host or an emulator holds them in "
                      "this process: %s\n",
                      name, who);
        skip();
    }
    assert_int_equal(capheap_sim_map(orig, NULL), CAPHEAP_OK);
    assert_int_equal(capheap_caps_init(&ch, chip, NULL, NULL, 0), CAPHEAP_OK);
    capheap_caps_enable_nonos_stack_heaps(&ch);
    return chip;
}

/*
 * src/caps/alias.c, capheap_alias_alloc_exec() (called by src/caps/caps.c's
 * allocation loop for EXEC requests to dual-mapped types): it returns NULL
 * for any alignment above 4, so an EXEC request aligned beyond a word is
 * never served from D/IRAM. caps.h documents capheap_caps_aligned_alloc()
 * as "NULL when alignment is 0 or not a power of two, size is 0, or no
 * qualifying heap has room", and SIMD / CACHE_ALIGNED as alignment
 * adjustments, not as exclusions.
 * Input:    a fresh ESP32-C3 (all RAM dual-mapped, about 330 KiB free for
 *           EXEC), capheap_caps_aligned_alloc(&ch, 8, 64, CAPHEAP_CAP_EXEC).
 * Expected: an 8-aligned instruction-bus block.  Actual (before
 *           c84be2f): NULL; alignment 4 succeeded.
 */
static void exec_alias_aligned(void **state) {
    (void)state;
    boot_or_skip("esp32c3");
    void *p = capheap_caps_aligned_alloc(&ch, 8, 64, C(EXEC));
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 8, 0);
    capheap_caps_free(&ch, p);
}

/*
 * As above, through the alignment SIMD implies.
 * Input:    a fresh ESP32-S3 (its RAM type has EXEC and SIMD; its IRAM
 *           type has no heap), capheap_caps_alloc(&ch, 64,
 *           CAPHEAP_CAP_EXEC | CAPHEAP_CAP_SIMD);
 *           capheap_caps_satisfiable() says yes.
 * Expected: a 16-aligned instruction-bus block.  Actual (before
 *           c84be2f): NULL. Same for CAPHEAP_CAP_EXEC |
 *           CAPHEAP_CAP_CACHE_ALIGNED (cache line 32).
 */
static void exec_simd_alias(void **state) {
    (void)state;
    boot_or_skip("esp32s3");
    assert_true(capheap_caps_satisfiable(&ch, C(EXEC) | C(32BIT) | C(SIMD)));
    void *p = capheap_caps_alloc(&ch, 64, C(EXEC) | C(SIMD));
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 16, 0);
    capheap_caps_free(&ch, p);
}

static bool under_valgrind(void) {
#ifdef HAVE_VALGRIND_H
    return RUNNING_ON_VALGRIND;
#else
    const char *p = getenv("LD_PRELOAD");
    return p && strstr(p, "vgpreload");
#endif
}

/*
 * src/sim/fault.c, on_segv() / capheap_sim_resolve_fault(): one instruction
 * that reads one view of an inverted window's page pair and writes the
 * other never completed. Each fault moved the pair to the faulting side,
 * which took the other side away from the same instruction, so it faulted
 * again, forever. glibc's memcpy does this with `rep movsb` from about
 * 2.5 KiB (2 KiB copies completed). capheap itself made such copies:
 * capheap_caps_realloc() of a D/IRAM data-bus block to EXEC (or of an EXEC
 * block to data caps) memcpy()'d between the views; the model test hung in
 * capheap_caps_realloc(&ch, (void *)0x3FFF8CD0, 31308, CAPHEAP_CAP_EXEC).
 * sim.h and the README promise that "an access to the other side faults,
 * copies the page ... and retries".
 * Input:    the ESP32 mapped; memcpy(I, D + 1000, 3000) with D = 0x3FFF0000
 *           and I the instruction-bus address of D's page (both in page
 *           pair 0x3FFF0000 / 0x400AF000).
 * Expected: the copy completes (the child exits 0).  Actual (before
 *           92a2499): it spun in the fault handler until the 10 s alarm
 *           killed it. 92a2499 single-steps such an instruction on x86, and
 *           c84be2f makes capheap_caps_realloc() copy through the data bus.
 */
static void inverted_window_copy_between_views(void **state) {
    (void)state;
    if (under_valgrind()) {
        print_message("[  SKIP    ] under Valgrind an access resumed after a "
                      "fault may see stale registers (see test_sim.c)\n");
        skip();
    }
    const capheap_chip_t *chip = boot_or_skip("esp32");
    unsigned char *d = (unsigned char *)(uintptr_t)0x3FFF0000;
    unsigned char *i =
        (unsigned char *)capheap_caps_dram_to_iram(chip, 0x3FFF0FFC);
    memset(d, 0x5A, 4096);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(10);
        memcpy(i, d + 1000, 3000);
        _exit(i[0] == 0x5A && i[2999] == 0x5A ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fail_msg("the copy did not complete: killed by signal %d%s",
                 WTERMSIG(status),
                 WTERMSIG(status) == SIGALRM ? " (10 s alarm)" : "");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/*
 * src/caps/alias.c, lookup(): an instruction-bus pointer is accepted only
 * when the word before it lies inside the block that word names. Found by
 * mutation testing (tools/mutation/mutants.txt, A02): no test forged that.
 * Input:    a fresh ESP32-C3; two EXEC blocks X and Y; Y's bytes copy X's
 *           offset word; free of the pointer just after that copy.
 * Expected: CAPHEAP_ERR_NOT_BLOCK, X still live.
 */
static void exec_pointer_naming_another_block(void **state) {
    (void)state;
    const capheap_chip_t *chip = boot_or_skip("esp32c3");
    unsigned char *x = capheap_caps_alloc(&ch, 64, C(EXEC));
    unsigned char *y = capheap_caps_alloc(&ch, 64, C(EXEC));
    assert_non_null(x);
    assert_non_null(y);
    uint32_t off;
    memcpy(&off, (void *)capheap_caps_iram_to_dram(chip, (uintptr_t)(x - 4)),
           4);
    memcpy((void *)capheap_caps_iram_to_dram(chip, (uintptr_t)(y + 8)), &off,
           4);
    ts_errors_reset();
    capheap_caps_free(&ch, y + 12);
    assert_int_equal(ts_errors()->count, 1);
    assert_int_equal(ts_errors()->last, CAPHEAP_ERR_NOT_BLOCK);
    assert_true(capheap_caps_usable_size(&ch, x) >= 64);
    capheap_caps_free(&ch, x);
    capheap_caps_free(&ch, y);
    assert_int_equal(ts_errors()->count, 1);
}

int main(void) {
    ts_errors_install();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exec_alias_aligned),
        cmocka_unit_test(exec_simd_alias),
        cmocka_unit_test(inverted_window_copy_between_views),
        cmocka_unit_test(exec_pointer_naming_another_block),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    capheap_sim_unmap();
    return failed;
}
