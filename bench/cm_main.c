/*
 * cm_main.c - the benchmark built for a Cortex-M4 (arm-none-eabi-gcc, Thumb-2,
 * no libc but newlib's memcpy/memset), run on the host under qemu-arm.
 *
 * qemu-arm runs Linux user-mode programs, so this file supplies what a libc
 * would: the entry point and three Linux system calls (EABI: number in r7,
 * "svc 0"). The code under test is built exactly as for a chip:
 * -mcpu=cortex-m4 -mthumb, capheap's default configuration for the target
 * (CAPHEAP_ALIGNMENT 8, 32-bit words), port none.
 *
 *   capheap-bench-cm space | info | fit [trace] | check [trace]
 *                    | marked <trace> capheap <n> <file>
 *                    | capsmeta | capsmarked <layer> <mask> <n> <file>
 *
 * capsmeta and capsmarked run the capability layer (caps_layer.h) on the
 * ESP32's memory map moved into a static buffer (esp32_ram): the chip's
 * regions, reservations and windows all move by one offset, so
 * capheap_caps_init() builds the ESP32's heaps there.
 */
#include "caps_layer.h"
#include "out.h"
#include "space.h"

#if !defined(__arm__) || !defined(__thumb__)
#error "cm_main.c is the Arm (Thumb) entry point"
#endif

/* ---- Linux system calls ----------------------------------------------- */

static long sys3(long nr, long a, long b, long c) {
    register long r0 __asm__("r0") = a;
    register long r1 __asm__("r1") = b;
    register long r2 __asm__("r2") = c;
    register long r7 __asm__("r7") = nr;
    __asm__ volatile("svc 0" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r7) : "memory");
    return r0;
}

enum { SYS_EXIT_GROUP = 248, SYS_READ = 3, SYS_WRITE = 4, SYS_OPEN = 5 };

__attribute__((noreturn)) static void sys_exit(int code) {
    for (;;)
        sys3(SYS_EXIT_GROUP, code, 0, 0);
}

/* ---- out.h ------------------------------------------------------------ */

static char obuf[4096];
static unsigned olen;

void out_flush(void) {
    for (unsigned done = 0; done < olen;) {
        long r = sys3(SYS_WRITE, 1, (long)(obuf + done), (long)(olen - done));
        if (r <= 0)
            break;
        done += (unsigned)r;
    }
    olen = 0;
}

void out_s(const char *s) {
    for (; *s; s++) {
        if (olen == sizeof obuf)
            out_flush();
        obuf[olen++] = *s;
    }
}

void out_u(uint64_t v) {
    char d[24];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    char s[24];
    for (int i = 0; i < n; i++)
        s[i] = d[n - 1 - i];
    s[n] = 0;
    out_s(s);
}

void out_ratio(uint64_t num, uint64_t den) {
    uint64_t m = den ? (num * 1000 + den / 2) / den : 0;
    char frac[5] = {'.', (char)('0' + m / 100 % 10), (char)('0' + m / 10 % 10),
                    (char)('0' + m % 10), 0};
    out_u(m / 1000);
    out_s(frac);
}

/* ---- memory: a static pool, emptied between traces --------------------- */

static _Alignas(8) unsigned char pool[24u << 20];
static size_t pool_used;

void *bench_mem(size_t bytes) {
    size_t n = (bytes + 7) & ~(size_t)7;
    if (n > sizeof pool - pool_used)
        return 0;
    void *p = pool + pool_used;
    pool_used += n;
    return p; /* .bss: zero, and never handed out twice */
}

/* ---- commands --------------------------------------------------------- */

static int streq(const char *a, const char *b) {
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

static int read_all(long fd, void *buf, size_t n) {
    for (char *p = buf; n;) {
        long r = sys3(SYS_READ, fd, (long)p, (long)n);
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* The first @p n operations of trace @p key from the file @p path (from
 * capheap-bench dump), and its pointer slots. */
static int load(const char *key, size_t n, const char *path, bench_trace_t *t,
                void ***ptrs) {
    uint32_t hdr[4];
    long fd = sys3(SYS_OPEN, (long)path, 0, 0);
    if (fd < 0 || read_all(fd, hdr, sizeof hdr) != 0 ||
        bench_trace_from_header(hdr, n, t) != 0 || !streq(t->key, key) ||
        read_all(fd, t->ops, t->nops * sizeof *t->ops) != 0) {
        out_s("marked: cannot read the trace file\n");
        return 1;
    }
    *ptrs = bench_mem(t->nids * sizeof **ptrs);
    return *ptrs ? 0 : 1;
}

static int cmd_marked(const char *key, size_t n, const char *path) {
    bench_trace_t t;
    bench_alloc_t a;
    bench_result_t r;
    void **ptrs;
    if (load(key, n, path, &t, &ptrs) != 0 || !bench_capheap_open(&a, t.arena))
        return 1;
    bench_drv_replay_marked(&t, &a, n, ptrs, &r);
    out_s("marked.");
    out_s(t.key);
    out_s(".capheap alloc=");
    out_u(r.calls[OP_ALLOC]);
    out_s(" free=");
    out_u(r.calls[OP_FREE]);
    out_s(" realloc=");
    out_u(r.calls[OP_REALLOC]);
    out_s(" fails=");
    out_u(r.fails);
    out_s("\n");
    return 0;
}

/* ---- the capability layer on the ESP32's map, moved -------------------- */

/* The ESP32's RAM from its lowest address (PSRAM, 0x3F800000) to the end of
 * IRAM (0x400A0000). .bss: only the pages the heaps touch are ever mapped. */
#define ESP32_LO 0x3F800000u
#define ESP32_HI 0x400A0000u
static _Alignas(4096) unsigned char esp32_ram[ESP32_HI - ESP32_LO];

/* Boot the moved ESP32, with 4 MiB of PSRAM or none. */
static int caps_boot(int psram) {
    const capheap_chip_t *c = bench_caps_moved(
        &capheap_chip_esp32, (uintptr_t)esp32_ram - ESP32_LO, "esp32-moved");
    capheap_chip_options_t opts = {psram ? CAPHEAP_OPT_PSRAM : 0, 0, 0, 0, 0};
    if (!c || capheap_caps_init(&bench_caps, c, &opts, 0, 0) != CAPHEAP_OK) {
        out_s("caps: cannot boot the moved ESP32\n");
        return 1;
    }
    capheap_caps_enable_nonos_stack_heaps(&bench_caps);
    return 0;
}

static int cmd_capsmarked(const char *layer, const char *mask, size_t n,
                          const char *path) {
    bench_trace_t t;
    bench_alloc_t a;
    bench_result_t r;
    void **ptrs;
    const bench_caps_mask_t *m = bench_caps_mask(mask);
    if (!m || load("steady", n, path, &t, &ptrs) != 0 || caps_boot(1) != 0 ||
        bench_caps_open(layer, m, &a) != 0)
        return 1;
    bench_drv_replay_marked(&t, &a, n, ptrs, &r);
    bench_caps_print_run("capsmarked", "esp32-moved", layer, m, 1, &r);
    return 0;
}

static int cmd_each(const char *cmd, const char *only) {
    for (int i = 0; i < bench_trace_count(); i++) {
        bench_trace_t t;
        if (only && !streq(only, bench_trace_key(i)))
            continue;
        for (size_t k = 0; k < pool_used; k++)
            pool[k] = 0;
        pool_used = 0;
        if (bench_trace_make(i, 0, &t) != 0)
            return 1;
        void **ptrs = bench_mem(t.nids * sizeof *ptrs);
        if (!ptrs)
            return 1;
        if (streq(cmd, "fit")) {
            bench_fit_report(&t, ptrs);
        } else if (streq(cmd, "check")) {
            if (bench_check(&t, ptrs) != 0)
                return 1;
        } else {
            out_s("trace.");
            out_s(t.key);
            out_s(" ops=");
            out_u(t.nops);
            out_s(" peak_live_bytes=");
            out_u(t.peak_live_bytes);
            out_s(" hash=");
            out_u(bench_trace_hash(&t));
            out_s("\n");
        }
        out_flush();
    }
    return 0;
}

static size_t number(const char *p) {
    size_t n = 0;
    for (; *p >= '0' && *p <= '9'; p++)
        n = n * 10 + (size_t)(*p - '0');
    return n;
}

static int run(int argc, char **argv) {
    if (argc >= 2 && streq(argv[1], "space"))
        return bench_space_report() != 0;
    if (argc >= 2 && streq(argv[1], "capsmeta"))
        return caps_boot(0) != 0 || bench_caps_meta("esp32-moved") != 0;
    if (argc >= 6 && streq(argv[1], "capsmarked"))
        return cmd_capsmarked(argv[2], argv[3], number(argv[4]), argv[5]);
    if (argc >= 2 && (streq(argv[1], "fit") || streq(argv[1], "info") ||
                      streq(argv[1], "check")))
        return cmd_each(argv[1], argc > 2 ? argv[2] : 0);
    if (argc >= 6 && streq(argv[1], "marked") && streq(argv[3], "capheap"))
        return cmd_marked(argv[2], number(argv[4]), argv[5]);
    out_s(
        "usage: capheap-bench-cm space | info | fit [trace] | check [trace] | "
        "marked <trace> capheap <n> <file> | capsmeta | capsmarked <layer> "
        "<mask> <n> <file>\n");
    return 2;
}

/* The kernel's initial stack: argc, then argv[]. */
void cm_entry(long *sp) __attribute__((noreturn, used));
void cm_entry(long *sp) {
    int rc = run((int)sp[0], (char **)(sp + 1));
    out_flush();
    sys_exit(rc);
}

__asm__(".text\n"
        ".global _start\n"
        ".type _start, %function\n"
        ".thumb_func\n"
        "_start:\n"
        "  mov r0, sp\n"
        "  bl cm_entry\n");
