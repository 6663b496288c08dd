/*
 * model.h - what the capheap tool knows about a heap: the figures over
 * time, snapshots of the blocks, the failures. Filled by the replay
 * (replay.c) or the import of an ESP-IDF trace dump (idf_dump.c); read by
 * the text and HTML reports. Host-only (the tool), so it allocates freely:
 * every array is malloc'ed and freed by model_free().
 */
#ifndef CAPHEAP_TOOL_MODEL_H
#define CAPHEAP_TOOL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The capability classes figures are kept for: the caps bits a chip's types
 * offer (DEFAULT, INTERNAL, DMA, EXEC, 32BIT, 8BIT, SPIRAM, ...), one class
 * per bit, in the order of the bits. */
enum { MODEL_MAX_CLASSES = 32 };

typedef struct {
    uint32_t caps;    /* one MALLOC_CAP_* bit */
    const char *name; /* "DMA", "EXEC", ... (static) */
} model_class_t;

/* The figures of one class at one moment: heap_caps_get_*(caps). */
typedef struct {
    size_t live;     /* bytes in live blocks the trace allocated, as asked */
    size_t free;     /* heap_caps_get_free_size */
    size_t min_free; /* heap_caps_get_minimum_free_size since the start */
    size_t largest;  /* heap_caps_get_largest_free_block */
} model_figures_t;

/* fragmentation index: 1 - largest / free (0 when free is 0), in parts per
 * thousand so that reports need no floating point arithmetic here. */
static inline unsigned model_frag_permille(const model_figures_t *f) {
    return f->free ? (unsigned)(1000 - (uint64_t)f->largest * 1000 / f->free)
                   : 0;
}

/* One sample of the figures over time. */
typedef struct {
    uint64_t event; /* index of the trace event after which it was taken */
    uint64_t time;  /* the event's time (microseconds) */
    model_figures_t fig[MODEL_MAX_CLASSES]; /* by class index */
} model_sample_t;

typedef enum {
    MODEL_LIVE,     /* a block the trace allocated */
    MODEL_FREE,     /* free heap memory */
    MODEL_CONTROL,  /* the heap's own structures (control blocks) */
    MODEL_RESERVED, /* inside a region's range but not heap (reserved) */
    MODEL_UNKNOWN,  /* import: memory the dump says nothing about */
} model_block_kind_t;

typedef struct {
    uintptr_t addr; /* chip address of the payload (as the chip sees it) */
    size_t size;    /* bytes */
    model_block_kind_t kind;
    uint64_t id;      /* MODEL_LIVE: the trace's allocation id (0: none) */
    uint32_t caps;    /* MODEL_LIVE: the caps asked for */
    uintptr_t caller; /* MODEL_LIVE: the caller recorded (0: unknown) */
    bool leak;        /* import: allocated and never freed */
} model_block_t;

/* A region of the chip's heap, as registered, with the instruction-bus
 * address of its start where it has one (D/IRAM), else 0. */
typedef struct {
    uintptr_t start, end; /* chip addresses */
    uintptr_t iram_start; /* 0: no instruction-bus alias */
    const char *type;     /* memory type name, "DRAM", "D/IRAM", ... */
    uint32_t caps;        /* every capability the type offers */
    size_t nblocks;
    model_block_t *blocks; /* in address order, covering [start, end) */
} model_region_t;

/* The heap at one moment. */
typedef struct {
    char label[64];     /* "peak", "failure #3 (id 812)", "end", "dump" */
    uint64_t event;     /* event index it was taken after */
    size_t live_blocks; /* MODEL_LIVE blocks over all regions */
    size_t nregions;
    model_region_t *regions;
} model_snapshot_t;

/* A failed allocation, with the figures at that moment. */
typedef struct {
    uint64_t id, event, time;
    size_t size;
    uint32_t caps;
    size_t align;
    uintptr_t caller;
    bool recorded_ok; /* the recording's allocation succeeded */
    model_figures_t fig[MODEL_MAX_CLASSES];
    int snapshot; /* index into snapshots, -1: none taken */
} model_failure_t;

/* Everything one run (one configuration) produced. */
typedef struct {
    char config[128]; /* "esp32 psram=4M bt=1", for titles */
    size_t nclasses;
    model_class_t classes[MODEL_MAX_CLASSES];
    size_t nsamples;
    model_sample_t *samples;
    size_t nsnapshots;
    model_snapshot_t *snapshots;
    size_t nfailures;
    model_failure_t *failures;
    uint64_t events;      /* events replayed */
    uint64_t regressions; /* failures with recorded_ok */
} model_t;

/* Free every array the model holds (not the model itself). */
void model_free(model_t *m);

#endif
