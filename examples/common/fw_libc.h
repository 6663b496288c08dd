/*
 * fw_libc.h - what the C library glue of a board tells the checks.
 */
#ifndef FW_LIBC_H
#define FW_LIBC_H

/** The buffer the C library allocated for stdout (after a printf), or NULL
 *  for a C library whose stdout has none (picolibc's tinystdio). */
const void *fw_libc_stdout_buffer(void);

#endif
