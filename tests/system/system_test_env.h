/*
 * system_test_env.h - what the system heap's tests share: a recording
 * failure callback, and capture of what a call prints (stdout and stderr
 * together: start-up messages go to the port's output).
 *
 * Include after test_support.h, from a file that defines _POSIX_C_SOURCE.
 */
#ifndef CAPHEAP_TEST_SYSTEM_TEST_ENV_H
#define CAPHEAP_TEST_SYSTEM_TEST_ENV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capheap/system.h"

/** What the failure callback saw since st_failed_reset(). */
typedef struct {
    int calls;
    size_t size;
    uint32_t caps;
    char fn[64];
} st_failed_t;

static st_failed_t st_failed;

static inline void st_failed_reset(void) {
    memset(&st_failed, 0, sizeof st_failed);
}

static inline void st_failed_hook(size_t size, uint32_t caps, const char *fn) {
    st_failed.calls++;
    st_failed.size = size;
    st_failed.caps = caps;
    snprintf(st_failed.fn, sizeof st_failed.fn, "%s", fn ? fn : "(null)");
}

/** Capturing stdout and stderr into one temporary file. */
typedef struct {
    FILE *tmp;
    int saved_out, saved_err;
} st_capture_t;

static inline void st_capture_begin(st_capture_t *c) {
    fflush(stdout);
    fflush(stderr);
    c->tmp = tmpfile();
    assert_non_null(c->tmp);
    c->saved_out = dup(STDOUT_FILENO);
    c->saved_err = dup(STDERR_FILENO);
    assert_true(c->saved_out >= 0 && c->saved_err >= 0);
    assert_true(dup2(fileno(c->tmp), STDOUT_FILENO) >= 0);
    assert_true(dup2(fileno(c->tmp), STDERR_FILENO) >= 0);
}

/** Stop capturing; the text (NUL-terminated, free() it). */
static inline char *st_capture_end(st_capture_t *c) {
    fflush(stdout);
    fflush(stderr);
    assert_true(dup2(c->saved_out, STDOUT_FILENO) >= 0);
    assert_true(dup2(c->saved_err, STDERR_FILENO) >= 0);
    close(c->saved_out);
    close(c->saved_err);
    off_t n = lseek(fileno(c->tmp), 0, SEEK_END);
    assert_true(n >= 0);
    char *text = malloc((size_t)n + 1);
    assert_non_null(text);
    rewind(c->tmp);
    size_t got = fread(text, 1, (size_t)n, c->tmp);
    text[got] = '\0';
    fclose(c->tmp);
    return text;
}

#endif
