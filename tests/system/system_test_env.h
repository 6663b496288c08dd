/*
 * system_test_env.h - what the system heap's tests share: the recording
 * failure callback and the capture of output (capture.h; start-up messages
 * go to the port's output, so stdout and stderr are captured together).
 *
 * Include after test_support.h, from a file that defines _POSIX_C_SOURCE.
 */
#ifndef CAPHEAP_TEST_SYSTEM_TEST_ENV_H
#define CAPHEAP_TEST_SYSTEM_TEST_ENV_H

#include "capheap/system.h"
#include "capture.h"

#endif
