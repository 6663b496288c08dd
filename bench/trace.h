/*
 * trace.h - the benchmark's allocation traces.
 *
 * A trace is a fixed sequence of operations on block ids (alloc id size,
 * free id, realloc id size), generated from a fixed seed with integer
 * arithmetic only, so it is the same on every target (32- or 64-bit, with or
 * without a libc). It does not depend on what an allocator returns: a driver
 * that sees an allocation fail just skips the later operations on that id.
 */
#ifndef BENCH_TRACE_H
#define BENCH_TRACE_H

#include <stddef.h>
#include <stdint.h>

enum { OP_ALLOC = 0, OP_FREE = 1, OP_REALLOC = 2, OP_KINDS = 3 };

/** One operation, 8 bytes: the kind sits in the top two bits of the id. */
typedef struct {
    uint32_t idk;
    uint32_t size; /* bytes requested (0 for free) */
} bench_op_t;

static inline unsigned op_kind(bench_op_t op) {
    return op.idk >> 30;
}
static inline uint32_t op_id(bench_op_t op) {
    return op.idk & 0x3FFFFFFFu;
}

typedef struct {
    const char *key;   /* short name used on the command line */
    const char *title; /* one line for the report */
    size_t arena;      /* nominal arena (region) size in bytes */
    size_t nops;
    bench_op_t *ops;
    uint32_t nids;             /* every id is below nids */
    size_t peak_live_bytes;    /* max over time of the requested bytes live */
    uint32_t peak_live_blocks; /* max over time of the blocks live */
    size_t count[OP_KINDS];    /* operations of each kind */
    int complete;              /* 0 if cut short by max_ops */
} bench_trace_t;

/** Number of traces; they are numbered 0 .. bench_trace_count() - 1. */
int bench_trace_count(void);

/** Key of trace @p i ("steady", ...). */
const char *bench_trace_key(int i);

/** Index of the trace named @p key, or -1. */
int bench_trace_find(const char *key);

/**
 * Generate trace @p i, keeping at most @p max_ops operations (0: all). The
 * arrays come from bench_mem(). Returns 0, or -1 when memory runs out.
 */
int bench_trace_make(int i, size_t max_ops, bench_trace_t *out);

/**
 * Trace files let an emulated run skip the generation (which would flood an
 * instruction log): four 32-bit words, host byte order (every target here is
 * little-endian) - BENCH_TRACE_MAGIC, trace index, operations, ids - then
 * the operations.
 */
#define BENCH_TRACE_MAGIC 0x31544843u /* "CHT1" */

/**
 * Fill @p t's description from a trace file header @p hdr and allocate room
 * for its operations (at most @p max_ops, 0: all); the caller reads them
 * into t->ops. Returns 0, or -1 for a bad header or no memory.
 */
int bench_trace_from_header(const uint32_t hdr[4], size_t max_ops,
                            bench_trace_t *t);

/** FNV-1a hash of the operations, to show two builds made the same trace. */
uint32_t bench_trace_hash(const bench_trace_t *t);

/**
 * Zeroed memory that lives until the process ends, or NULL. Provided by
 * the platform file (mmap on Linux hosts, a static pool when freestanding),
 * so the traces never touch the allocators being measured.
 */
void *bench_mem(size_t bytes);

#endif /* BENCH_TRACE_H */
