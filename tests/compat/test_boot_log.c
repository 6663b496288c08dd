#define _POSIX_C_SOURCE 200809L
/*
 * test_boot_log.c - heap_caps_init()'s boot log (CAPHEAP_BOOT_LOG, on by
 * default): the simulated ESP32, given the footprint of a real
 * application, prints what that application's ESP32 printed, line for line
 * after the "I (<ms>) " prefix; the lines are the heap's regions; only
 * heap_caps_init() prints them; capheap_system_init_report() tells what the
 * heap was built from.
 *
 * The real boot logs (facts: the lines as the devices printed them). The
 * footprint comes from each log: the end of .data/.bss is where the DRAM
 * line after the application's data starts, the end of the IRAM code where
 * the IRAM line after it starts; Bluetooth, single-core mode, RTC memory
 * as heap and PSRAM as the lines show them.
 *   - https://github.com/esphome/firmware/pull/242 (an M5Stack Atom Echo)
 *   - https://github.com/nodemcu/nodemcu-firmware/issues/3571
 *   - https://github.com/wolfSSL/wolfssl, commit 07ceb86ca0d3,
 *     IDE/Espressif/ESP-IDF/examples/wolfssl_test/README.md (ESP-IDF
 *     v4.4.1)
 *   - https://github.com/espressif/esp-idf/issues/15146 (ESP-IDF v5.3.2,
 *     Bluetooth on: its controller's reservations split the DRAM)
 *   - https://github.com/lvgl/lvgl_esp32_drivers/issues/77 (4 MiB PSRAM)
 *   - wolfSSL's ESP-IDF benchmark example README (wolfSSL/wolfssl,
 *     IDE/Espressif/ESP-IDF/examples/wolfssl_benchmark/README.md, its
 *     ESP-IDF 5.2.1 version): single core, RTC fast memory as heap, which
 *     ESP-IDF 5 lists last (ESP-IDF 4.3 and 4.4 listed it first).
 * PSRAM is not heap_init's: ESP-IDF 5's esp_psram component adds it next,
 * with "Adding pool of %dK of PSRAM memory to heap allocator" (its tag
 * esp_psram; ESP-IDF 4 printed "spiram: Adding pool of %dK of external SPI
 * memory to heap allocator", as the lvgl log shows).
 */
#include "test_support.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot_log_env.h"
#include "capheap/output.h"
#include "capheap/system.h"
#include "esp_heap_caps.h"

#if !CAPHEAP_BOOT_LOG
#error "the boot log is on by default where printing is"
#endif

/* The time stamps: this program's own hook replaces the default (0), and
 * each line asks for its own, as ESP-IDF's do. */
static uint32_t stamps;

uint32_t capheap_port_log_timestamp(void) {
    return 263 + 6 * stamps++;
}

/* This program, for the child of only_heap_caps_init_prints_it(). */
static const char *program;

static const char header[] =
    "I (263) heap_init: Initializing. RAM available for dynamic allocation:";

typedef struct {
    const char *source;
    bl_footprint_t footprint;
    const char *lines[9]; /* after the header; NULL ends */
} boot_case_t;

static const boot_case_t cases[] = {
    {"esphome/firmware#242",
     {{NULL}, NULL, 0x3FFB86F8, 0x40095BB0},
     {"I (737) heap_init: At 3FFAE6E0 len 00001920 (6 KiB): DRAM",
      "I (743) heap_init: At 3FFB86F8 len 00027908 (158 KiB): DRAM",
      "I (749) heap_init: At 3FFE0440 len 00003AE0 (14 KiB): D/IRAM",
      "I (756) heap_init: At 3FFE4350 len 0001BCB0 (111 KiB): D/IRAM",
      "I (762) heap_init: At 40095BB0 len 0000A450 (41 KiB): IRAM", NULL}},
    {"nodemcu/nodemcu-firmware#3571",
     {{NULL}, NULL, 0x3FFB7B00, 0x400971DC},
     {"I (905) heap_init: At 3FFAE6E0 len 00001920 (6 KiB): DRAM",
      "I (916) heap_init: At 3FFB7B00 len 00028500 (161 KiB): DRAM",
      "I (922) heap_init: At 3FFE0440 len 00003AE0 (14 KiB): D/IRAM",
      "I (929) heap_init: At 3FFE4350 len 0001BCB0 (111 KiB): D/IRAM",
      "I (940) heap_init: At 400971DC len 00008E24 (35 KiB): IRAM", NULL}},
    {"wolfSSL/wolfssl wolfssl_test README",
     {{NULL}, NULL, 0x3FFB2DF0, 0x4008B418},
     {"I (342) heap_init: At 3FFAE6E0 len 00001920 (6 KiB): DRAM",
      "I (348) heap_init: At 3FFB2DF0 len 0002D210 (180 KiB): DRAM",
      "I (354) heap_init: At 3FFE0440 len 00003AE0 (14 KiB): D/IRAM",
      "I (360) heap_init: At 3FFE4350 len 0001BCB0 (111 KiB): D/IRAM",
      "I (367) heap_init: At 4008B418 len 00014BE8 (82 KiB): IRAM", NULL}},
    {"espressif/esp-idf#15146",
     {{"CAPHEAP_BT", NULL}, NULL, 0x3FFC7E58, 0x40098E5C},
     {"I (1917) heap_init: At 3FFAFF10 len 000000F0 (0 KiB): DRAM",
      "I (1928) heap_init: At 3FFB6388 len 00001C78 (7 KiB): DRAM",
      "I (1939) heap_init: At 3FFB9A20 len 00004108 (16 KiB): DRAM",
      "I (1951) heap_init: At 3FFC7E58 len 000181A8 (96 KiB): DRAM",
      "I (1957) heap_init: At 3FFE0440 len 00003AE0 (14 KiB): D/IRAM",
      "I (1964) heap_init: At 3FFE4350 len 0001BCB0 (111 KiB): D/IRAM",
      "I (1975) heap_init: At 40098E5C len 000071A4 (28 KiB): IRAM", NULL}},
    {"lvgl/lvgl_esp32_drivers#77",
     {{NULL}, "4M", 0x3FFB3730, 0x40098D14},
     {"I (2516) heap_init: At 3FFAE6E0 len 00001920 (6 KiB): DRAM",
      "I (2528) heap_init: At 3FFB3730 len 0002C8D0 (178 KiB): DRAM",
      "I (2534) heap_init: At 3FFE0440 len 00003AE0 (14 KiB): D/IRAM",
      "I (2540) heap_init: At 3FFE4350 len 0001BCB0 (111 KiB): D/IRAM",
      "I (2552) heap_init: At 40098D14 len 000072EC (28 KiB): IRAM",
      /* ESP-IDF 5's wording (the file comment) */
      "I (2558) esp_psram: Adding pool of 4096K of PSRAM memory to heap "
      "allocator",
      NULL}},
    {"wolfSSL/wolfssl wolfssl_benchmark README",
     {{"CAPHEAP_SINGLE_CORE", "CAPHEAP_RTC_HEAP", NULL},
      NULL,
      0x3FFB2018,
      0x4008B3AC},
     {"I (361) heap_init: At 3FFAE6E0 len 00001920 (6 KiB): DRAM",
      "I (367) heap_init: At 3FFB2018 len 0002DFE8 (183 KiB): DRAM",
      "I (373) heap_init: At 3FFE0440 len 0001FBC0 (126 KiB): D/IRAM",
      "I (379) heap_init: At 40078000 len 00008000 (32 KiB): IRAM",
      "I (386) heap_init: At 4008B3AC len 00014C54 (83 KiB): IRAM",
      "I (392) heap_init: At 3FF80000 len 00002000 (8 KiB): RTCRAM", NULL}},
};

/* @p line after its "I (<digits>) " prefix; NULL if it has none. */
static const char *after_prefix(const char *line) {
    if (strncmp(line, "I (", 3) != 0)
        return NULL;
    const char *p = line + 3;
    if (*p < '0' || *p > '9')
        return NULL;
    while (*p >= '0' && *p <= '9')
        p++;
    return strncmp(p, ") ", 2) == 0 ? p + 2 : NULL;
}

/* The next line of @p *text (its newline cut off), advancing past it;
 * NULL at the end. */
static char *next_line(char **text) {
    char *line = *text, *nl = strchr(line, '\n');
    if (!*line)
        return NULL;
    if (nl) {
        *nl = '\0';
        *text = nl + 1;
    } else {
        *text = line + strlen(line);
    }
    return line;
}

/* Every line @p c's footprint prints is the real log's, in order, and
 * nothing else; line k is stamped with the hook's k-th time. */
static void check_case(const boot_case_t *c) {
    if (!bl_mappable(&c->footprint))
        skip();
    stamps = 0;
    char *text = bl_boot(&c->footprint);
    char *rest = text, *line;
    char want[128];
    unsigned k = 0;
    line = next_line(&rest);
    assert_non_null(line);
    assert_string_equal(line, header);
    for (const char *const *real = c->lines; *real; real++) {
        line = next_line(&rest);
        if (!line)
            fail_msg("%s: the log ends before \"%s\"", c->source, *real);
        k++;
        snprintf(want, sizeof want, "I (%u) ", 263 + 6 * k);
        assert_true(strncmp(line, want, strlen(want)) == 0);
        const char *got = after_prefix(line), *exp = after_prefix(*real);
        assert_non_null(exp);
        if (!got || strcmp(got, exp) != 0)
            fail_msg("%s: printed \"%s\", the device \"%s\"", c->source, line,
                     *real);
    }
    line = next_line(&rest);
    if (line)
        fail_msg("%s: an extra line \"%s\"", c->source, line);
    free(text);
    /* The heap it describes is the heap that was built. */
    assert_non_null(heap_caps_capheap());
    assert_true(heap_caps_check_integrity_all(true));
}

static void no_bluetooth(void **state) {
    (void)state;
    check_case(&cases[0]);
    check_case(&cases[1]);
    check_case(&cases[2]);
}

static void bluetooth_splits_dram(void **state) {
    (void)state;
    check_case(&cases[3]);
}

static void psram_added_after_heap_init(void **state) {
    (void)state;
    check_case(&cases[4]);
}

static void single_core_with_rtc_heap(void **state) {
    (void)state;
    check_case(&cases[5]);
}

/* The log's lengths are the heap's: the 8-bit memory adds up to the DRAM
 * lines, and with the start-up stacks released to the D/IRAM ones too. */
static void lines_describe_the_heap(void **state) {
    (void)state;
    const boot_case_t *c = &cases[3];
    if (!bl_mappable(&c->footprint))
        skip();
    free(bl_boot(&c->footprint));
    size_t dram = 0xF0 + 0x1C78 + 0x4108 + 0x181A8, diram = 0x3AE0 + 0x1BCB0;
    assert_int_equal(heap_caps_get_total_size(MALLOC_CAP_8BIT), dram);
    heap_caps_enable_nonos_stack_heaps();
    assert_int_equal(heap_caps_get_total_size(MALLOC_CAP_8BIT), dram + diram);
    assert_int_equal(heap_caps_get_total_size(MALLOC_CAP_EXEC), diram + 0x71A4);
}

/* Only heap_caps_init() prints it, as in ESP-IDF: not the native start-up,
 * nor a host's lazy start-up on a first allocation (in a child, whose
 * first allocation it is). */
static void only_heap_caps_init_prints_it(void **state) {
    (void)state;
    const boot_case_t *c = &cases[0];
    if (!bl_mappable(&c->footprint))
        skip();
    ts_capture_t cap;
    ts_capture_begin(&cap, true);
    assert_int_equal(capheap_system_init(NULL, NULL), CAPHEAP_OK);
    char *text = ts_capture_end(&cap);
    assert_string_equal(text, "");
    free(text);

    int fd[2];
    assert_int_equal(pipe(fd), 0);
    fflush(stdout);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Exec'd, so that its heap is unbuilt (a fork's would be the one
         * built above). */
        close(fd[0]);
        dup2(fd[1], STDOUT_FILENO);
        dup2(fd[1], STDERR_FILENO);
        execl(program, program, "--lazy-child", (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    char out[4096];
    size_t n = 0;
    ssize_t got;
    while ((got = read(fd[0], out + n, sizeof out - 1 - n)) > 0)
        n += (size_t)got;
    out[n] = '\0';
    ts_strip_sim_notes(out);
    close(fd[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_string_equal(out, "lazy start-up done\n");
}

/* What capheap_system_init_report() told its function. */
static struct {
    int calls;
    const capheap_chip_t *chip;
    capheap_chip_options_t opts;
    size_t reserved;
} told;

static void tell(const capheap_chip_t *chip, const capheap_chip_options_t *opts,
                 const capheap_caps_reservation_t *reserved,
                 size_t reserved_count) {
    (void)reserved;
    told.calls++;
    told.chip = chip;
    told.opts = *opts;
    told.reserved = reserved_count;
}

/* The native start-up that reports: told what the heap was built from
 * (the simulated chip, the options from the environment) when it was
 * built, not when it failed; it prints nothing itself. */
static void native_start_up_reports(void **state) {
    (void)state;
    const boot_case_t *c = &cases[3];
    if (!bl_mappable(&c->footprint))
        skip();
    memset(&told, 0, sizeof told);
    ts_capture_t cap;
    ts_capture_begin(&cap, true);
    capheap_err_t err = capheap_system_init_report(NULL, NULL, tell);
    char *text = ts_capture_end(&cap);
    assert_int_equal(err, CAPHEAP_OK);
    assert_string_equal(text, "");
    free(text);
    assert_int_equal(told.calls, 1);
    assert_ptr_equal(told.chip, heap_caps_capheap()->chip);
    assert_true(told.opts.flags & CAPHEAP_OPT_BT);
    assert_int_equal(told.opts.app_dram_end, 0x3FFC7E58);
    assert_int_equal(told.opts.app_iram_end, 0x40098E5C);
    assert_int_equal(told.reserved, 0);

    setenv("CAPHEAP_CHIP", "no-such-chip", 1);
    ts_capture_begin(&cap, true);
    err = capheap_system_init_report(NULL, NULL, tell);
    free(ts_capture_end(&cap));
    assert_int_not_equal(err, CAPHEAP_OK);
    assert_int_equal(told.calls, 1);
}

/* A range the application keeps (ESP-IDF's SOC_RESERVE_MEMORY_REGION)
 * splits the region that holds it, in the heap and in the log. Last: a
 * reservation is kept for every later start-up of this process. */
static void reservation_splits_a_region(void **state) {
    (void)state;
    const boot_case_t *c = &cases[0];
    if (!bl_mappable(&c->footprint))
        skip();
    assert_int_equal(capheap_esp_reserve(0x3FFC0000, 0x3FFC1000, "frame"),
                     ESP_OK);
    char *text = bl_boot(&c->footprint);
    assert_non_null(strstr(text, ") heap_init: At 3FFB86F8 len 00007908 "
                                 "(30 KiB): DRAM\n"));
    assert_non_null(strstr(text, ") heap_init: At 3FFC1000 len 0001F000 "
                                 "(124 KiB): DRAM\n"));
    assert_null(strstr(text, "len 00027908"));
    free(text);
    assert_int_equal(heap_caps_get_total_size(MALLOC_CAP_8BIT),
                     0x1920 + 0x7908 + 0x1F000);
}

/* The child of only_heap_caps_init_prints_it(): its first allocation
 * builds the heap. */
static int lazy_child(void) {
    void *p = heap_caps_malloc(64, MALLOC_CAP_8BIT);
    if (!p || !heap_caps_capheap())
        return 1;
    heap_caps_free(p);
    printf("lazy start-up done\n");
    return 0;
}

int main(int argc, char **argv) {
    program = argv[0];
    if (argc == 2 && strcmp(argv[1], "--lazy-child") == 0)
        return lazy_child();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_bluetooth),
        cmocka_unit_test(bluetooth_splits_dram),
        cmocka_unit_test(psram_added_after_heap_init),
        cmocka_unit_test(single_core_with_rtc_heap),
        cmocka_unit_test(lines_describe_the_heap),
        cmocka_unit_test(only_heap_caps_init_prints_it),
        cmocka_unit_test(native_start_up_reports),
        cmocka_unit_test(reservation_splits_a_region),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
