/*
 * capture.h - what the tests of the system heap and of the ESP-IDF API
 * share: a recording allocation-failure callback, and capture of what a
 * call prints.
 *
 * Include after test_support.h (cmocka), from a file that defines
 * _POSIX_C_SOURCE.
 */
#ifndef CAPHEAP_TEST_CAPTURE_H
#define CAPHEAP_TEST_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/** What the failure callback saw since the last ts_failed_reset(). */
typedef struct {
    int calls;
    size_t size;
    uint32_t caps;
    char fn[64];
} ts_failed_t;

static ts_failed_t ts_failed;

static inline void ts_failed_reset(void) {
    memset(&ts_failed, 0, sizeof ts_failed);
}

/** A failure callback (ESP-IDF's esp_alloc_failed_hook_t) that records. */
static inline void ts_failed_hook(size_t size, uint32_t caps, const char *fn) {
    ts_failed.calls++;
    ts_failed.size = size;
    ts_failed.caps = caps;
    snprintf(ts_failed.fn, sizeof ts_failed.fn, "%s", fn ? fn : "(null)");
}

/** Capture of stdout (and stderr, when asked) into one temporary file. */
typedef struct {
    FILE *tmp;
    int saved_out, saved_err; /* saved_err -1: stderr not captured */
} ts_capture_t;

static inline void ts_capture_begin(ts_capture_t *c, bool with_stderr) {
    fflush(stdout);
    fflush(stderr);
    c->tmp = tmpfile();
    assert_non_null(c->tmp);
    c->saved_out = dup(STDOUT_FILENO);
    assert_true(c->saved_out >= 0);
    assert_true(dup2(fileno(c->tmp), STDOUT_FILENO) >= 0);
    c->saved_err = -1;
    if (with_stderr) {
        c->saved_err = dup(STDERR_FILENO);
        assert_true(c->saved_err >= 0);
        assert_true(dup2(fileno(c->tmp), STDERR_FILENO) >= 0);
    }
}

/** Remove from @p text the lines the simulation prints about its own
 * environment ("capheap sim: under Valgrind, ..."): they belong to the run,
 * not to the output a test compares. */
static inline void ts_strip_sim_notes(char *text) {
    static const char note[] = "capheap sim: under Valgrind";
    char *line = text;
    while (*line) {
        char *end = strchr(line, '\n');
        end = end ? end + 1 : line + strlen(line);
        if (strncmp(line, note, sizeof note - 1) == 0)
            memmove(line, end, strlen(end) + 1);
        else
            line = end;
    }
}

/** Stop capturing; the text (NUL-terminated, free() it), without the
 * simulation's notes about its environment. */
static inline char *ts_capture_end(ts_capture_t *c) {
    fflush(stdout);
    fflush(stderr);
    assert_true(dup2(c->saved_out, STDOUT_FILENO) >= 0);
    close(c->saved_out);
    if (c->saved_err >= 0) {
        assert_true(dup2(c->saved_err, STDERR_FILENO) >= 0);
        close(c->saved_err);
    }
    off_t n = lseek(fileno(c->tmp), 0, SEEK_END);
    assert_true(n >= 0);
    char *text = malloc((size_t)n + 1);
    assert_non_null(text);
    rewind(c->tmp);
    size_t got = fread(text, 1, (size_t)n, c->tmp);
    text[got] = '\0';
    fclose(c->tmp);
    ts_strip_sim_notes(text);
    return text;
}

#endif
