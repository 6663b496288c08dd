/*
 * qcount.c - per-call instruction counts from a qemu-user log, for targets
 * that cannot be single-stepped or run under valgrind here (i386, Arm).
 *
 *   qemu-i386 -d in_asm,exec,nochain -D /dev/stderr capheap-bench marked \
 *       steady capheap 100000 2>&1 >/dev/null | capheap-qcount
 *
 * in_asm prints each translation block once, as it is translated: "IN:
 * <symbol>" and one "0x<addr>: ..." line per guest instruction. exec (with
 * nochain, so that no block is entered without a log line) prints
 * "Trace ...: <host> [<cs_base>/<pc>/<flags>/<cflags>] <symbol>" each time
 * a block runs. A block never spans two functions, so the rule of
 * opcount.c applies per block: between a begin marker and the end marker,
 * count the instructions of the blocks whose function is not the driver's
 * (name not starting with "bench_drv_"). Blocks are identified by guest pc;
 * a block translated again replaces the old entry.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opstats.h"

enum { CLS_OTHER, CLS_DRIVER, CLS_BEGIN, CLS_END };

typedef struct {
    uint64_t pc; /* 0: empty slot */
    uint32_t ninsn;
    uint8_t cls;
    uint8_t kind; /* for CLS_BEGIN */
} tb_t;

typedef struct {
    tb_t *slot;
    size_t cap, used;
} map_t;

static size_t hash(uint64_t pc, size_t cap) {
    return (size_t)((pc * 0x9E3779B97F4A7C15u) >> 20) & (cap - 1);
}

static tb_t *map_find(map_t *m, uint64_t pc) {
    size_t i = hash(pc, m->cap);
    while (m->slot[i].pc && m->slot[i].pc != pc)
        i = (i + 1) & (m->cap - 1);
    return &m->slot[i];
}

static int map_put(map_t *m, const tb_t *tb) {
    if (2 * (m->used + 1) > m->cap) {
        map_t n = {calloc(2 * m->cap, sizeof(tb_t)), 2 * m->cap, 0};
        if (!n.slot)
            return -1;
        for (size_t i = 0; i < m->cap; i++)
            if (m->slot[i].pc) {
                *map_find(&n, m->slot[i].pc) = m->slot[i];
                n.used++;
            }
        free(m->slot);
        *m = n;
    }
    tb_t *s = map_find(m, tb->pc);
    if (!s->pc)
        m->used++;
    *s = *tb;
    return 0;
}

/* Whether a "0x<addr>: ..." line holds an instruction: the disassembler
 * continues a long instruction's bytes on a line of its own (x86's 10-byte
 * movabs), which has only hex bytes and no mnemonic. */
static int has_mnemonic(const char *line) {
    const char *p = strchr(line, ':');
    if (!p)
        return 0;
    for (p++;;) {
        p += strspn(p, " \t");
        size_t len = strcspn(p, " \t\r\n");
        if (!len)
            return 0;
        if (strspn(p, "0123456789abcdefABCDEF") < len)
            return 1;
        p += len;
    }
}

/* Class of a block from its function's name. */
static void classify(const char *sym, tb_t *tb) {
    static const char *const begin[OP_KINDS] = {"bench_drv_mark_alloc",
                                                "bench_drv_mark_free",
                                                "bench_drv_mark_realloc"};
    size_t len = strcspn(sym, " \t\r\n");
    tb->cls = CLS_OTHER;
    if (len < 10 || strncmp(sym, "bench_drv_", 10) != 0)
        return;
    tb->cls = CLS_DRIVER;
    for (unsigned k = 0; k < OP_KINDS; k++)
        if (len == strlen(begin[k]) && strncmp(sym, begin[k], len) == 0) {
            tb->cls = CLS_BEGIN;
            tb->kind = (uint8_t)k;
        }
    if (len == 18 && strncmp(sym, "bench_drv_mark_end", 18) == 0)
        tb->cls = CLS_END;
}

int main(void) {
    static char line[1 << 16];
    map_t m = {calloc(1 << 16, sizeof(tb_t)), 1 << 16, 0};
    opstats_t s = {{0}, {0}, {0}};
    tb_t cur = {0, 0, 0, 0};
    int in_block = 0, in_op = 0, op_kind = 0;
    uint32_t count = 0;
    unsigned long long lines = 0, unknown = 0, blocks = 0;
    if (!m.slot)
        return 1;
    while (fgets(line, sizeof line, stdin)) {
        lines++;
        if (in_block) {
            if (line[0] == '0' && line[1] == 'x') {
                if (has_mnemonic(line) && !cur.ninsn++)
                    cur.pc = strtoull(line + 2, NULL, 16);
                continue;
            }
            in_block = 0;
            blocks++;
            if (cur.ninsn && map_put(&m, &cur) != 0)
                return 1;
        }
        if (strncmp(line, "IN:", 3) == 0) {
            in_block = 1;
            cur.pc = 0;
            cur.ninsn = 0;
            cur.kind = 0;
            classify(line + 3 + strspn(line + 3, " "), &cur);
            continue;
        }
        if (strncmp(line, "Trace ", 6) != 0)
            continue;
        const char *p = strchr(line, '[');
        p = p ? strchr(p, '/') : NULL;
        if (!p)
            continue;
        uint64_t pc = strtoull(p + 1, NULL, 16);
        const tb_t *tb = map_find(&m, pc);
        if (!tb->pc) {
            unknown++;
            continue;
        }
        switch (tb->cls) {
        case CLS_BEGIN:
            /* A marker made of several blocks starts the call once. */
            if (!in_op || count != 0 || op_kind != tb->kind) {
                in_op = 1;
                op_kind = tb->kind;
                count = 0;
            }
            break;
        case CLS_END:
            if (in_op && opstats_add(&s, (unsigned)op_kind, count) != 0)
                return 1;
            in_op = 0;
            break;
        case CLS_OTHER:
            if (in_op)
                count += tb->ninsn;
            break;
        default:
            break;
        }
    }
    printf("qcount lines=%llu blocks=%llu distinct=%zu unknown=%llu\n", lines,
           blocks, m.used, unknown);
    opstats_print(&s, "steps", stdout);
    opstats_free(&s);
    free(m.slot);
    return unknown ? 3 : 0;
}
