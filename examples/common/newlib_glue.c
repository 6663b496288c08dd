/*
 * newlib_glue.c - the system calls newlib (full or nano) needs, over the
 * board's console. No _sbrk: capheap is the only allocator, so a link
 * that pulls in newlib's malloc fails instead of running two heaps.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fw.h"
#include "fw_libc.h"

int _write(int fd, const char *buf, int len);
int _read(int fd, char *buf, int len);
int _close(int fd);
int _fstat(int fd, struct stat *st);
int _isatty(int fd);
int _lseek(int fd, int offset, int whence);
void _exit(int status);
int _kill(int pid, int sig);
int _getpid(void);

int _write(int fd, const char *buf, int len) {
    if (fd != 1 && fd != 2) {
        errno = EBADF;
        return -1;
    }
    fw_write(buf, (size_t)len);
    return len;
}

int _read(int fd, char *buf, int len) {
    (void)fd, (void)buf, (void)len;
    return 0; /* no input: end of file */
}

int _close(int fd) {
    (void)fd;
    errno = EBADF;
    return -1;
}

/* A character device: newlib line-buffers stdout, with a buffer it
 * allocates at the first output (from capheap). */
int _fstat(int fd, struct stat *st) {
    (void)fd;
    st->st_mode = S_IFCHR;
    return 0;
}

int _isatty(int fd) {
    (void)fd;
    return 1;
}

int _lseek(int fd, int offset, int whence) {
    (void)fd, (void)offset, (void)whence;
    return 0;
}

void _exit(int status) {
    fw_exit(status);
}

int _kill(int pid, int sig) {
    (void)pid;
    fw_exit(128 + sig); /* abort() raises SIGABRT: end the run */
}

int _getpid(void) {
    return 1;
}

const void *fw_libc_stdout_buffer(void) {
    return stdout->_bf._base;
}
