/*
 * main.c - capheap-bench: the benchmark's commands on a Linux host.
 * bench/run.sh drives them and turns their output into the report.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "out.h"
#include "space.h"

static int usage(void) {
    fprintf(stderr,
            "usage: capheap-bench <command> [args]\n"
            "  info                         the traces\n"
            "  replay  <trace> <alloc> [n]  replay (first n ops); run it "
            "under callgrind\n"
            "  marked  <trace> <alloc> <n> [file]\n"
            "                               replay the first n ops with "
            "markers; run it under qemu -d in_asm,exec,nochain\n"
            "                               (file: the trace, from dump)\n"
            "  dump    <trace> <file>       write the trace to a file\n"
            "  opcount <trace> <alloc> <n>  ptrace single-step counts over "
            "the first n ops\n"
            "  latency <trace>              clock_gettime per call, every "
            "allocator\n"
            "  fit     [trace]              smallest capheap arena\n"
            "  space                        space figures\n"
            "  check   [trace]              validation replay on capheap\n"
            "traces: steady small ramp power; alloc: capheap glibc null\n");
    return 2;
}

static int make(const char *key, size_t max_ops, bench_trace_t *t,
                void ***ptrs) {
    int i = bench_trace_find(key);
    if (i < 0) {
        fprintf(stderr, "unknown trace '%s'\n", key);
        return -1;
    }
    if (bench_trace_make(i, max_ops, t) != 0 ||
        !(*ptrs = bench_mem(t->nids * sizeof **ptrs))) {
        fprintf(stderr, "out of memory\n");
        return -1;
    }
    return 0;
}

/* read(2) until @p n bytes or EOF: no stdio, which would call malloc. */
static int read_all(int fd, void *buf, size_t n) {
    for (char *p = buf; n;) {
        ssize_t r = read(fd, p, n);
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int write_all(int fd, const void *buf, size_t n) {
    for (const char *p = buf; n;) {
        ssize_t r = write(fd, p, n);
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* The first @p max_ops operations of the trace in @p path (see trace.h). */
static int load(const char *key, const char *path, size_t max_ops,
                bench_trace_t *t, void ***ptrs) {
    uint32_t hdr[4];
    int fd = open(path, O_RDONLY);
    int rc = fd < 0 || read_all(fd, hdr, sizeof hdr) != 0 ||
             bench_trace_from_header(hdr, max_ops, t) != 0 ||
             strcmp(t->key, key) != 0 ||
             read_all(fd, t->ops, t->nops * sizeof *t->ops) != 0 ||
             !(*ptrs = bench_mem(t->nids * sizeof **ptrs));
    if (fd >= 0)
        close(fd);
    if (rc)
        fprintf(stderr, "%s: not a trace file of '%s'\n", path, key);
    return rc ? -1 : 0;
}

static int cmd_dump(const char *key, const char *path) {
    bench_trace_t t;
    void **ptrs;
    if (make(key, 0, &t, &ptrs) != 0)
        return 1;
    uint32_t hdr[4] = {BENCH_TRACE_MAGIC, (uint32_t)bench_trace_find(key),
                       (uint32_t)t.nops, t.nids};
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int rc = fd < 0 || write_all(fd, hdr, sizeof hdr) != 0 ||
             write_all(fd, t.ops, t.nops * sizeof *t.ops) != 0;
    if (fd >= 0 && close(fd) != 0)
        rc = 1;
    if (rc)
        fprintf(stderr, "%s: cannot write\n", path);
    return rc;
}

static int open_alloc(const char *name, const bench_trace_t *t,
                      bench_alloc_t *a) {
    if (strcmp(name, "capheap") == 0) {
        if (bench_capheap_open(a, t->arena))
            return 0;
        fprintf(stderr, "capheap: cannot add the region\n");
        return -1;
    }
    if (strcmp(name, "glibc") == 0) {
        bench_glibc_open(a);
        return 0;
    }
    if (strcmp(name, "null") == 0) {
        bench_null_open(a);
        return 0;
    }
    fprintf(stderr, "unknown allocator '%s'\n", name);
    return -1;
}

static int cmd_info(void) {
    for (int i = 0; i < bench_trace_count(); i++) {
        bench_trace_t t;
        if (bench_trace_make(i, 0, &t) != 0)
            return 1;
        printf("trace.%s ops=%zu alloc=%zu free=%zu realloc=%zu "
               "peak_live_bytes=%zu peak_live_blocks=%u arena=%zu ids=%u "
               "hash=%u\n",
               t.key, t.nops, t.count[OP_ALLOC], t.count[OP_FREE],
               t.count[OP_REALLOC], t.peak_live_bytes,
               (unsigned)t.peak_live_blocks, t.arena, (unsigned)t.nids,
               (unsigned)bench_trace_hash(&t));
        printf("title.%s %s\n", t.key, t.title);
    }
    return 0;
}

/* replay / marked / opcount: <trace> <alloc> [n] */
static int cmd_run(const char *cmd, int argc, char **argv) {
    bench_trace_t t;
    bench_alloc_t a;
    bench_result_t r;
    void **ptrs;
    if (argc < 2)
        return usage();
    size_t n = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 0;
    int got = argc > 3 ? load(argv[0], argv[3], n, &t, &ptrs)
                       : make(argv[0], n, &t, &ptrs);
    if (got != 0 || open_alloc(argv[1], &t, &a) != 0)
        return 1;
    if (strcmp(cmd, "opcount") == 0)
        return bench_opcount(&t, &a, n, ptrs, stdout) != 0;
    if (strcmp(cmd, "marked") == 0)
        bench_drv_replay_marked(&t, &a, n, ptrs, &r);
    else
        bench_drv_replay(&t, &a, n, ptrs, false, &r);
    printf("%s.%s.%s alloc=%zu free=%zu realloc=%zu fails=%zu\n", cmd, t.key,
           a.name, r.calls[OP_ALLOC], r.calls[OP_FREE], r.calls[OP_REALLOC],
           r.fails);
    return 0;
}

static int cmd_latency(const char *key) {
    static const char *const names[] = {"null", "capheap", "glibc"};
    bench_trace_t t;
    void **ptrs;
    if (make(key, 0, &t, &ptrs) != 0)
        return 1;
    for (unsigned i = 0; i < 3; i++) {
        bench_alloc_t a;
        if (open_alloc(names[i], &t, &a) != 0 ||
            bench_latency(&t, &a, ptrs, stdout) != 0)
            return 1;
    }
    return 0;
}

/* fit / check, for one trace or all. */
static int cmd_each(const char *cmd, int argc, char **argv) {
    int rc = 0;
    for (int i = 0; i < bench_trace_count(); i++) {
        const char *key = bench_trace_key(i);
        bench_trace_t t;
        void **ptrs;
        if (argc > 0 && strcmp(argv[0], key) != 0)
            continue;
        if (make(key, 0, &t, &ptrs) != 0)
            return 1;
        if (strcmp(cmd, "fit") == 0)
            bench_fit_report(&t, ptrs);
        else if (bench_check(&t, ptrs) != 0)
            rc = 1;
    }
    return rc;
}

int main(int argc, char **argv) {
    /* A static stdout buffer: stdio must not call malloc, which is one of
     * the allocators measured. */
    static char outbuf[1 << 14];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    int rc;
    if (strcmp(cmd, "info") == 0)
        rc = cmd_info();
    else if (strcmp(cmd, "replay") == 0 || strcmp(cmd, "marked") == 0 ||
             strcmp(cmd, "opcount") == 0)
        rc = cmd_run(cmd, argc - 2, argv + 2);
    else if (strcmp(cmd, "latency") == 0 && argc > 2)
        rc = cmd_latency(argv[2]);
    else if (strcmp(cmd, "fit") == 0 || strcmp(cmd, "check") == 0)
        rc = cmd_each(cmd, argc - 2, argv + 2);
    else if (strcmp(cmd, "dump") == 0 && argc > 3)
        rc = cmd_dump(argv[2], argv[3]);
    else if (strcmp(cmd, "space") == 0)
        rc = bench_space_report() != 0;
    else
        return usage();
    fflush(stdout);
    return rc;
}
