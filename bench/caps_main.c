/*
 * caps_main.c - capheap-bench-caps: the capability layer on a simulated
 * chip (Linux host; bench/run.sh section 6).
 *
 *   capheap-bench-caps replay <chip> <layer> [n] [file]
 *       boot <chip>, then for each caps mask the chip can serve: one warm-up
 *       allocation and free, then bench_drv_replay() of the steady trace
 *       (its first n operations; file: the trace, from capheap-bench dump).
 *       Under callgrind with --dump-after=bench_drv_replay, dump k is the
 *       k-th mask replayed ("dump=k" on its line).
 *   capheap-bench-caps marked <chip> <layer> <mask> <n> [file]
 *       the same for one mask, with the markers, for qemu's instruction log.
 *   capheap-bench-caps meta <chip>
 *       the control structures of the chip's boot heaps (no PSRAM).
 *   capheap-bench-caps probe <chip>
 *       whether the chip's addresses can be mapped in this process.
 *
 * <chip>: esp32 (ESP-IDF's ESP32 map at its own addresses; replay and
 * marked fit 4 MiB of PSRAM), esp32-moved (the same map MOVE_BY higher, for
 * where the ESP32's addresses are taken), host (capheap_chip_host).
 * <layer>: caps or core (caps_layer.h). Memory comes from the host
 * simulation (sim.h): the chip's regions mapped at their addresses.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capheap/sim.h"
#include "caps_layer.h"

/* Where esp32-moved lies: every address of the ESP32's map plus this. A
 * multiple of every alignment and page size the map relies on; the result,
 * 0x4F800000-0x500C2000, is clear of the host chip (0x60000000) and of
 * qemu-i386's guest stack and libraries (below 0x40000000). */
#define MOVE_BY ((uintptr_t)0x10000000u)

/* The chip named @p name as the simulation places it, with the options of
 * a run with (@p psram) or without PSRAM; NULL if unknown. */
static const capheap_chip_t *chip_of(const char *name, bool psram,
                                     capheap_chip_options_t *opts) {
    const capheap_chip_t *c = NULL;
    memset(opts, 0, sizeof *opts);
    if (strcmp(name, "esp32") == 0)
        c = &capheap_chip_esp32;
    else if (strcmp(name, "esp32-moved") == 0)
        c = bench_caps_moved(&capheap_chip_esp32, MOVE_BY, "esp32-moved");
    else if (strcmp(name, "host") == 0)
        c = &capheap_chip_host;
    else
        fprintf(stderr, "unknown chip '%s' (esp32, esp32-moved, host)\n", name);
    if (c && psram)
        for (unsigned i = 0; i < c->region_count; i++)
            if (c->regions[i].when & CAPHEAP_OPT_PSRAM)
                opts->flags = CAPHEAP_OPT_PSRAM; /* all of it: 4 MiB */
    return c ? capheap_sim_chip(c) : NULL;
}

/* 0 if the chip's addresses are free here; else 1, with a
 * "caps.unmappable.<chip>" line naming what holds them. */
static int probe(const char *name, const capheap_chip_t *c,
                 const capheap_chip_options_t *opts) {
    char who[512] = "";
    capheap_err_t err = capheap_sim_probe(c, opts, who, sizeof who);
    if (err == CAPHEAP_OK)
        return 0;
    char *o = who; /* one line, single spaces */
    for (const char *p = who; *p; p++)
        if (!((*p == ' ' || *p == '\n') && (o == who || o[-1] == ' ')))
            *o++ = *p == '\n' ? ' ' : *p;
    *o = 0;
    printf("caps.unmappable.%s %s: %s\n", name, capheap_err_str(err), who);
    return 1;
}

/* Map and boot @p name: 0; 3 if its addresses are taken; 1 on error. */
static int boot(const char *name, bool psram) {
    capheap_chip_options_t opts;
    const capheap_chip_t *c = chip_of(name, psram, &opts);
    if (!c)
        return 1;
    if (probe(name, c, &opts))
        return 3;
    capheap_err_t err = capheap_sim_map(c, &opts);
    if (err == CAPHEAP_OK)
        err = capheap_caps_init(&bench_caps, c, &opts, NULL, 0);
    if (err != CAPHEAP_OK) {
        fprintf(stderr, "%s: cannot boot: %s\n", name, capheap_err_str(err));
        return 1;
    }
    capheap_caps_enable_nonos_stack_heaps(&bench_caps);
    return 0;
}

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

/* The steady trace's first @p n operations (0: all), read from @p path (a
 * file from capheap-bench dump) or, with no path, generated. */
static int steady(size_t n, const char *path, bench_trace_t *t, void ***ptrs) {
    int rc;
    if (!path) {
        rc = bench_trace_make(bench_trace_find("steady"), n, t);
    } else {
        uint32_t hdr[4];
        int fd = open(path, O_RDONLY);
        rc = fd < 0 || read_all(fd, hdr, sizeof hdr) != 0 ||
             bench_trace_from_header(hdr, n, t) != 0 ||
             strcmp(t->key, "steady") != 0 ||
             read_all(fd, t->ops, t->nops * sizeof *t->ops) != 0;
        if (fd >= 0)
            close(fd);
    }
    if (rc == 0 && !(*ptrs = bench_mem(t->nids * sizeof **ptrs)))
        rc = -1;
    if (rc)
        fprintf(stderr, "cannot read or make the steady trace\n");
    return rc ? -1 : 0;
}

/* replay <chip> <layer> [n] [file] */
static int cmd_replay(int argc, char **argv) {
    bench_trace_t t;
    void **ptrs;
    size_t n = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 0;
    int rc = boot(argv[0], true);
    if (rc || steady(n, argc > 3 ? argv[3] : NULL, &t, &ptrs) != 0)
        return rc ? rc : 1;
    unsigned dump = 0;
    for (unsigned i = 0; i < bench_caps_mask_count; i++) {
        const bench_caps_mask_t *m = &bench_caps_masks[i];
        bench_alloc_t a;
        bench_result_t r;
        if (bench_caps_open(argv[1], m, &a) != 0) {
            printf("capsrun.%s.%s.%s unserved\n", argv[0], argv[1], m->key);
            continue;
        }
        bench_drv_replay(&t, &a, n, ptrs, false, &r);
        bench_caps_print_run("capsrun", argv[0], argv[1], m, ++dump, &r);
    }
    return 0;
}

/* marked <chip> <layer> <mask> <n> [file] */
static int cmd_marked(int argc, char **argv) {
    bench_trace_t t;
    void **ptrs;
    bench_alloc_t a;
    bench_result_t r;
    const bench_caps_mask_t *m = bench_caps_mask(argv[2]);
    if (!m) {
        fprintf(stderr, "unknown mask '%s'\n", argv[2]);
        return 2;
    }
    size_t n = (size_t)strtoull(argv[3], NULL, 10);
    int rc = boot(argv[0], true);
    if (rc || steady(n, argc > 4 ? argv[4] : NULL, &t, &ptrs) != 0)
        return rc ? rc : 1;
    if (bench_caps_open(argv[1], m, &a) != 0) {
        printf("capsmarked.%s.%s.%s unserved\n", argv[0], argv[1], m->key);
        return 1;
    }
    bench_drv_replay_marked(&t, &a, n, ptrs, &r);
    bench_caps_print_run("capsmarked", argv[0], argv[1], m, 1, &r);
    return 0;
}

static int cmd_probe(const char *name) {
    capheap_chip_options_t opts;
    const capheap_chip_t *c = chip_of(name, true, &opts);
    if (!c)
        return 1;
    if (probe(name, c, &opts))
        return 3;
    printf("caps.mappable.%s\n", name);
    return 0;
}

static int usage(void) {
    fprintf(stderr,
            "usage: capheap-bench-caps replay <chip> <layer> [n] [file]\n"
            "       capheap-bench-caps marked <chip> <layer> <mask> <n> "
            "[file]\n"
            "       capheap-bench-caps meta <chip>\n"
            "       capheap-bench-caps probe <chip>\n"
            "chip: esp32 esp32-moved host; layer: caps core; mask: default "
            "default_internal dma 32bit exec spiram\n");
    return 2;
}

int main(int argc, char **argv) {
    /* A static stdout buffer: stdio must not call malloc during a run. */
    static char outbuf[1 << 14];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    if (argc < 3)
        return usage();
    const char *cmd = argv[1];
    int rc;
    if (strcmp(cmd, "replay") == 0 && argc > 3) {
        rc = cmd_replay(argc - 2, argv + 2);
    } else if (strcmp(cmd, "marked") == 0 && argc > 5) {
        rc = cmd_marked(argc - 2, argv + 2);
    } else if (strcmp(cmd, "meta") == 0) {
        rc = boot(argv[2], false);
        if (rc == 0 && bench_caps_meta(argv[2]) != 0) {
            fprintf(stderr, "meta: inconsistent walk\n");
            rc = 1;
        }
    } else if (strcmp(cmd, "probe") == 0) {
        rc = cmd_probe(argv[2]);
    } else {
        return usage();
    }
    fflush(stdout);
    return rc;
}
