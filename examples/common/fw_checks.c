/*
 * fw_checks.c - the checks every example firmware runs on its own chip
 * description through the ESP-IDF API, and the verdict line.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capheap/output.h"
#include "capheap/system.h"
#include "esp_heap_caps.h"
#include "fw.h"
#include "fw_libc.h"
#include "heap_memory_layout.h"

void *fw_early_block;
static void *before_init = &before_init; /* not NULL until tried */
static unsigned failed_calls;
static size_t failed_size;

static void failed_hook(size_t size, uint32_t caps, const char *fn) {
    (void)caps, (void)fn;
    failed_calls++;
    failed_size = size;
}

/* The byte written over the application's reservations before the heap is
 * built: the checks find it there at the end, so nothing wrote there. */
#define RESERVED_FILL 0xA7

/* Whether [lo, hi) lies inside one of the chip's regions (RAM there). */
static bool in_chip_ram(const capheap_chip_t *c, uintptr_t lo, uintptr_t hi) {
    for (unsigned i = 0; i < c->region_count; i++)
        if (lo >= c->regions[i].start &&
            hi <= c->regions[i].start + c->regions[i].size)
            return true;
    return false;
}

void fw_before_init(const capheap_chip_t *chip) {
    capheap_system_set_failed_hook(failed_hook);
    before_init = malloc(40);
    const capheap_caps_reservation_t *r;
    size_t n = capheap_system_reservations(&r);
    for (size_t i = 0; i < n; i++)
        if (r[i].end > r[i].start && in_chip_ram(chip, r[i].start, r[i].end))
            memset((void *)r[i].start, RESERVED_FILL, r[i].end - r[i].start);
}
static unsigned checks, failures;

/* What capheap prints while a capture is on is also kept here, so a
 * firmware checks the text, not only that something was printed. */
static char capture[512];
static size_t captured;
static bool capturing;

/* capheap's output function: the application's definition replaces the
 * default one, which would write to stdout with fwrite. */
void capheap_port_write(const char *text, size_t len) {
    if (capturing) {
        size_t room = sizeof capture - 1 - captured;
        size_t n = len < room ? len : room;
        memcpy(capture + captured, text, n);
        captured += n;
        capture[captured] = '\0';
    }
    fw_write(text, len);
}

/* Formatted by capheap's own formatter: the same text on newlib, nano and
 * picolibc. */
void fw_print(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    capheap_vprintf(fmt, ap);
    va_end(ap);
}

bool fw_check(bool ok, const char *what) {
    checks++;
    if (!ok) {
        failures++;
        fw_print("FAIL: %s\n", what);
    }
    return ok;
}

static bool applies(const fw_board_t *b, uint32_t when, uint32_t unless) {
    return (b->opts->flags & when) == when && !(b->opts->flags & unless);
}

bool fw_in_type(const fw_board_t *b, const void *p, size_t len, int type) {
    uintptr_t a = (uintptr_t)p;
    for (unsigned i = 0; i < b->chip->region_count; i++) {
        const capheap_region_desc_t *r = &b->chip->regions[i];
        if (r->type == type && applies(b, r->when, r->unless) &&
            a >= r->start && a - r->start <= r->size &&
            len <= r->size - (a - r->start))
            return true;
    }
    return false;
}

static size_t overlap(uintptr_t a, uintptr_t a_end, uintptr_t b,
                      uintptr_t b_end) {
    uintptr_t lo = a > b ? a : b, hi = a_end < b_end ? a_end : b_end;
    return hi > lo ? hi - lo : 0;
}

/* Bytes of a memory type's regions that are heap: the regions minus the
 * chip's reservations, the application's .data/.bss and its own
 * reservations (SOC_RESERVE_MEMORY_REGION); one piece per region, and one
 * more for each reservation that splits it. */
static size_t heap_bytes(const fw_board_t *b, int type, unsigned *pieces) {
    const capheap_chip_t *c = b->chip;
    uintptr_t app_lo =
        b->opts->app_dram_start ? b->opts->app_dram_start : c->app_dram_start;
    uintptr_t app_hi = b->opts->app_dram_end ? b->opts->app_dram_end
                                             : app_lo + c->app_dram_size;
    const capheap_caps_reservation_t *own;
    size_t own_count = capheap_system_reservations(&own);
    size_t sum = 0;
    for (unsigned i = 0; i < c->region_count; i++) {
        const capheap_region_desc_t *r = &c->regions[i];
        if (r->type != type || !applies(b, r->when, r->unless))
            continue;
        uintptr_t end = r->start + r->size;
        size_t bytes = r->size - overlap(r->start, end, app_lo, app_hi);
        for (unsigned j = 0; j < c->reserved_count; j++)
            if (applies(b, c->reserved[j].when, c->reserved[j].unless))
                bytes -= overlap(r->start, end, c->reserved[j].start,
                                 c->reserved[j].end);
        for (size_t j = 0; j < own_count; j++) {
            bytes -= overlap(r->start, end, own[j].start, own[j].end);
            if (own[j].start > r->start && own[j].end < end)
                ++*pieces;
        }
        sum += bytes;
        ++*pieces;
    }
    return sum;
}

/* A heap's own bookkeeping inside its region: the region header and end
 * marker, and rounding of both ends. */
#define SLACK_PER_REGION 128u

static void check_total(const fw_board_t *b, const char *what, uint32_t caps,
                        int type1, int type2) {
    unsigned pieces = 0;
    size_t expect = heap_bytes(b, type1, &pieces);
    if (type2 >= 0)
        expect += heap_bytes(b, type2, &pieces);
    size_t total = heap_caps_get_total_size(caps);
    fw_print("%s: %lu bytes of heap, %lu in the chip description\n", what,
             (unsigned long)total, (unsigned long)expect);
    fw_check(total <= expect && total + SLACK_PER_REGION * pieces >= expect,
             "total size per caps matches the chip description");
}

/* Code for the EXEC test: return 42. */
#if defined(__thumb__)
static const uint16_t answer_code[] = {0x202a /* movs r0, #42 */,
                                       0x4770 /* bx lr */};
#define CODE_ADDRESS(p) ((uintptr_t)(p) | 1u) /* Thumb state */
#elif defined(__riscv)
static const uint32_t answer_code[] = {0x02a00513 /* li a0, 42 */,
                                       0x00008067 /* ret */};
#define CODE_ADDRESS(p) ((uintptr_t)(p))
#endif

static int run_from(void *mem) {
    memcpy(mem, answer_code, sizeof answer_code);
#if defined(__riscv)
    __asm__ volatile(".insn i 0x0f, 1, x0, x0, 0" ::: "memory"); /* fence.i */
#else
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    int (*fn)(void);
    uintptr_t address = CODE_ADDRESS(mem);
    memcpy(&fn, &address, sizeof fn); /* ISO C has no object-to-code cast */
    return fn();
}

/* Whether interrupts are unmasked: the irq port masks them inside each
 * heap call and must restore the mask it found. */
static bool irq_enabled(void) {
#if defined(__thumb__)
    uint32_t primask;
    __asm__ volatile("mrs %0, primask" : "=r"(primask));
    return !(primask & 1u);
#elif defined(__riscv)
    uint32_t mstatus;
    __asm__ volatile(".option push\n\t.option arch, +zicsr\n\t"
                     "csrr %0, mstatus\n\t.option pop"
                     : "=r"(mstatus));
    return (mstatus & 0x8u) != 0; /* MIE */
#endif
}

static const capheap_region_desc_t *first_region(const fw_board_t *b,
                                                 int type) {
    for (unsigned i = 0; i < b->chip->region_count; i++)
        if (b->chip->regions[i].type == type)
            return &b->chip->regions[i];
    return NULL;
}

static bool printed(const char *line) {
    bool found = strstr(capture, line) != NULL;
    if (!found)
        fw_print("expected in the heap info: \"%s\"\n", line);
    return found;
}

/* heap_caps_print_heap_info() for caps served by one region of one type,
 * checked line by line against the figures, formatted here by the C
 * library's snprintf (no %zu: newlib-nano lacks it). */
static void check_heap_info_text(const fw_board_t *b, uint32_t caps, int type) {
    const capheap_region_desc_t *r = first_region(b, type);
    multi_heap_info_t info;
    unsigned pieces = 0;
    char want[3][120];
    heap_caps_get_info(&info, caps);
    captured = 0;
    capture[0] = '\0';
    capturing = true;
    heap_caps_print_heap_info(caps);
    capturing = false;
    snprintf(want[0], sizeof want[0],
             "Heap summary for capabilities 0x%08lX:\n", (unsigned long)caps);
    /* One region of its type: its minimum is the type's, exactly. */
    snprintf(want[1], sizeof want[1], " free %lu allocated %lu min_free %lu\n",
             (unsigned long)info.total_free_bytes,
             (unsigned long)info.total_allocated_bytes,
             (unsigned long)info.minimum_free_bytes);
    snprintf(want[2], sizeof want[2],
             "  Totals:\n    free %lu allocated %lu min_free %lu "
             "largest_free_block %lu\n",
             (unsigned long)info.total_free_bytes,
             (unsigned long)info.total_allocated_bytes,
             (unsigned long)info.minimum_free_bytes,
             (unsigned long)info.largest_free_block);
    bool ok = true;
    for (int i = 0; i < 3; i++)
        ok = printed(want[i]) && ok;
    /* The heap: the range registered, the chip's region less what the
     * layout keeps out of it. */
    unsigned long at = 0, len = 0;
    const char *line = strstr(capture, "  At 0x");
    size_t size = heap_bytes(b, type, &pieces);
    ok = line && sscanf(line, "  At 0x%lx len %lu", &at, &len) == 2 &&
         at >= r->start && at < r->start + SLACK_PER_REGION &&
         len + SLACK_PER_REGION >= size && at + len <= r->start + size && ok;
    fw_check(ok, "heap_caps_print_heap_info prints the figures");
}

static void print_info(const char *name, uint32_t caps) {
    multi_heap_info_t info;
    heap_caps_get_info(&info, caps);
    fw_print("  %-7s free %lu allocated %lu largest %lu min %lu blocks %lu\n",
             name, (unsigned long)info.total_free_bytes,
             (unsigned long)info.total_allocated_bytes,
             (unsigned long)info.largest_free_block,
             (unsigned long)info.minimum_free_bytes,
             (unsigned long)info.total_blocks);
    fw_check(info.total_free_bytes == heap_caps_get_free_size(caps) &&
                 info.largest_free_block ==
                     heap_caps_get_largest_free_block(caps) &&
                 info.largest_free_block <= info.total_free_bytes,
             "heap_caps_get_info agrees with the per-caps figures");
}

/* The available regions (heap_memory_layout.h): room for as many as a
 * capability heap holds. */
static soc_memory_region_t avail[CAPHEAP_CAPS_MAX_REGIONS];

/* ESP-IDF's layout tables describe the board's chip: each available region
 * lies in a region of the tables of its own type, and none in the
 * application's reservations. Then each reservation in the chip's RAM: no
 * block of the DEFAULT memory, taken whole, lands there, and the bytes
 * written there before start-up are still there. */
static void check_layout(const fw_board_t *b) {
    size_t n = soc_get_available_memory_region_max_count();
    fw_print("layout: %lu memory types, %lu regions, %lu available\n",
             (unsigned long)soc_memory_type_count,
             (unsigned long)soc_memory_region_count, (unsigned long)n);
    if (!fw_check(n > 0 && n <= CAPHEAP_CAPS_MAX_REGIONS &&
                      soc_memory_type_count == b->chip->type_count,
                  "the layout tables describe the chip"))
        return;
    const capheap_caps_reservation_t *own;
    size_t own_count = capheap_system_reservations(&own);
    bool ok = soc_get_available_memory_regions(avail) == n;
    for (size_t k = 0; k < n; k++) {
        uintptr_t lo = (uintptr_t)avail[k].start, hi = lo + avail[k].size;
        bool held = false;
        for (size_t i = 0; i < soc_memory_region_count; i++) {
            const soc_memory_region_t *r = &soc_memory_regions[i];
            held |= r->type == avail[k].type && lo >= (uintptr_t)r->start &&
                    hi <= (uintptr_t)r->start + r->size;
        }
        for (size_t j = 0; j < own_count; j++)
            ok = ok && !overlap(lo, hi, own[j].start, own[j].end);
        ok = ok && held;
    }
    fw_check(ok, "every available region lies in a region of its type and "
                 "outside the application's reservations");

    for (size_t j = 0; j < own_count; j++) {
        uintptr_t lo = own[j].start, hi = own[j].end;
        if (hi <= lo || !in_chip_ram(b->chip, lo, hi))
            continue;
        /* The DEFAULT memory in its largest blocks (up to 16). */
        void *taken[16];
        size_t count = 0;
        bool outside = true;
        while (count < sizeof taken / sizeof taken[0]) {
            size_t size = heap_caps_get_largest_free_block(MALLOC_CAP_DEFAULT);
            void *p = size ? heap_caps_malloc(size, MALLOC_CAP_DEFAULT) : NULL;
            if (!p)
                break;
            outside &= !overlap((uintptr_t)p, (uintptr_t)p + size, lo, hi);
            memset(p, 0x5C, size);
            taken[count++] = p;
        }
        bool untouched = true;
        for (uintptr_t a = lo; a < hi; a++)
            untouched &= *(const volatile uint8_t *)a == RESERVED_FILL;
        fw_print("reserved 0x%08lx-0x%08lx (%s): %s, %s\n", (unsigned long)lo,
                 (unsigned long)hi, own[j].name,
                 outside ? "no block there" : "A BLOCK THERE",
                 untouched ? "untouched" : "WRITTEN");
        fw_check(count > 0 && outside && untouched,
                 "no block lands in a reservation, and nothing writes there");
        while (count)
            heap_caps_free(taken[--count]);
    }
}

void fw_check_heap(const fw_board_t *b) {
    const capheap_chip_t *c = b->chip;
    fw_print("chip %s: %s EXEC, %s DEFAULT, %s DMA\n", c->name,
             c->types[b->exec_type].name, c->types[b->default_type].name,
             c->types[b->dma_type].name);

    fw_check(capheap_system() != NULL, "the system heap is built");
    /* Before start-up: refused, reported, nothing touched. */
    fw_check(before_init == NULL && failed_calls == 1 && failed_size == 40,
             "a malloc before start-up is NULL and reaches the failure "
             "callback");
    /* Before main: the first constructor's block and the C library. */
    fw_check(fw_early_block != NULL &&
                 fw_in_type(b, fw_early_block, 24, b->default_type),
             "a constructor's malloc before main came from the heap");
    printf("printf through the C library's stdout\n");
    fflush(stdout);
    const void *stdio_buf = fw_libc_stdout_buffer();
    if (stdio_buf) {
        fw_print("stdout buffer at %p\n", stdio_buf);
        fw_check(fw_in_type(b, stdio_buf, 64, b->default_type) &&
                     heap_caps_get_allocated_size((void *)stdio_buf) >= 64,
                 "the C library's stdout buffer is a capheap block");
    }
    char *dup = strdup("capheap");
    fw_print("strdup at %p\n", (void *)dup);
    fw_check(dup && strcmp(dup, "capheap") == 0 &&
                 fw_in_type(b, dup, 8, b->default_type),
             "strdup's copy is a capheap block");
    free(dup);

    /* The figures against the chip description. */
    check_total(b, "EXEC", MALLOC_CAP_EXEC, b->exec_type, -1);
    check_total(b, "DMA", MALLOC_CAP_DMA, b->dma_type, -1);
    check_total(b, "DEFAULT", MALLOC_CAP_DEFAULT, b->default_type, b->dma_type);
    size_t free0 = heap_caps_get_free_size(MALLOC_CAP_8BIT);
    fw_check(free0 == heap_caps_get_free_size(MALLOC_CAP_DEFAULT) +
                          heap_caps_get_free_size(MALLOC_CAP_EXEC),
             "free(8BIT) == free(DEFAULT) + free(EXEC)");

    /* Placement by caps, checked by address. */
    size_t dma_free = heap_caps_get_free_size(MALLOC_CAP_DMA);
    /* 1000 bytes, or half the DMA memory of a small chip. */
    size_t dma_size = heap_caps_get_largest_free_block(MALLOC_CAP_DMA) / 2;
    dma_size = dma_size < 1000 ? dma_size : 1000;
    uint8_t *dma = heap_caps_malloc(dma_size, MALLOC_CAP_DMA);
    fw_print("DMA buffer at %p\n", (void *)dma);
    fw_check(dma_size > 0 && dma && fw_in_type(b, dma, dma_size, b->dma_type) &&
                 (uintptr_t)dma % c->cache_line == 0,
             "MALLOC_CAP_DMA lands in DMA memory, cache-line aligned");
    fw_check(heap_caps_get_free_size(MALLOC_CAP_DMA) + dma_size <= dma_free,
             "the DMA buffer is counted in free(DMA)");
    void *code = heap_caps_malloc(sizeof answer_code, MALLOC_CAP_EXEC);
    fw_print("EXEC block at %p\n", code);
    if (fw_check(code && fw_in_type(b, code, sizeof answer_code, b->exec_type),
                 "MALLOC_CAP_EXEC lands in executable memory")) {
        int r = run_from(code);
        fw_print("code run from the EXEC block returned %d\n", r);
        fw_check(r == 42, "code copied to the EXEC block runs");
    }
    char *plain = malloc(100);
    uint8_t *bytes = heap_caps_malloc(100, MALLOC_CAP_8BIT);
    uint32_t *zeroed =
        heap_caps_calloc(16, sizeof(uint32_t), MALLOC_CAP_DEFAULT);
    fw_print("malloc at %p, 8BIT at %p, calloc at %p\n", (void *)plain,
             (void *)bytes, (void *)zeroed);
    fw_check(plain && fw_in_type(b, plain, 100, b->default_type),
             "malloc lands in the DEFAULT memory");
    fw_check(bytes && fw_in_type(b, bytes, 100, b->default_type),
             "MALLOC_CAP_8BIT lands in the DEFAULT memory");
    bool zero = zeroed != NULL;
    for (int i = 0; zero && i < 16; i++)
        zero = zeroed[i] == 0;
    fw_check(zero, "calloc's block is zeroed");
    if (plain) {
        memset(plain, 'x', 100);
        char *grown = realloc(plain, 400);
        fw_check(grown && grown[0] == 'x' && grown[99] == 'x' &&
                     fw_in_type(b, grown, 400, b->default_type),
                 "realloc keeps the contents and the memory type");
        plain = grown;
    }
    unsigned pieces = 0;
    fw_check(heap_caps_malloc(heap_bytes(b, b->exec_type, &pieces) + 1,
                              MALLOC_CAP_EXEC) == NULL,
             "more EXEC memory than the chip has is refused");
    size_t largest = heap_caps_get_largest_free_block(MALLOC_CAP_EXEC);
    void *all = heap_caps_malloc(largest, MALLOC_CAP_EXEC);
    fw_check(all != NULL && largest > 0,
             "the largest free EXEC block can be allocated");
    heap_caps_free(all);

    fw_print("heap info:\n");
    print_info("EXEC", MALLOC_CAP_EXEC);
    print_info("DEFAULT", MALLOC_CAP_DEFAULT);
    print_info("DMA", MALLOC_CAP_DMA);
    check_heap_info_text(b, MALLOC_CAP_EXEC, b->exec_type);
    check_heap_info_text(b, MALLOC_CAP_DMA, b->dma_type);
    fw_check(heap_caps_check_integrity_all(true), "heap integrity");
    check_layout(b);

    heap_caps_free(code);
    heap_caps_free(dma);
    free(plain);
    free(bytes);
    free(zeroed);
    fw_check(heap_caps_get_free_size(MALLOC_CAP_8BIT) == free0,
             "every byte comes back after the frees");
    fw_check(irq_enabled(), /* the start-up code leaves them unmasked */
             "the heap calls left the interrupt mask as it was");
}

_Noreturn void fw_verdict(const fw_board_t *b) {
    if (failures)
        fw_print("VERDICT %s: FAIL (%u of %u checks failed)\n", b->name,
                 failures, checks);
    else
        fw_print("VERDICT %s: PASS (%u checks)\n", b->name, checks);
    fw_exit(failures ? 1 : 0);
}
