/*
 * heap_regions.c - the 2016 tagged-region API as a mapping onto the core:
 * one static core heap, FreeRTOS tag = core tag.
 */
#include "heap_regions.h"

#define MAX_REGIONS CAPHEAP_HEAP_REGIONS_MAX_REGIONS
#define MAX_TAGS    HEAPREGIONS_MAX_TAGCOUNT
#define DEFINE_OP   "vPortDefineHeapRegionsTagged"

_Static_assert(MAX_REGIONS >= 1 && MAX_REGIONS <= CAPHEAP_MAX_REGIONS,
               "CAPHEAP_HEAP_REGIONS_MAX_REGIONS fits the core");
_Static_assert(MAX_TAGS <= CAPHEAP_MAX_TAGS, "tag count fits the core");

#define STORAGE_WORDS                                                          \
    (CAPHEAP_HEAP_STORAGE_SIZE(MAX_REGIONS, MAX_TAGS) / sizeof(void *))

static void *storage[STORAGE_WORDS]; /* the core heap object */
static capheap_heap_t *heap;         /* NULL until defined */
static HeapRegionTagged_t regions[MAX_REGIONS];
static size_t region_count;

/* Everything the core cannot check by itself, before any region is written:
 * tags, terminator, order, overlap, count. */
static capheap_err_t validate(const HeapRegionTagged_t *r,
                              const HeapRegionTagged_t **bad) {
    size_t n = 0;
    uintptr_t prev_start = 0, prev_end = 0;
    for (; r->xSizeInBytes != 0; r++) {
        if (r->xTag == -1)
            continue;
        *bad = r;
        uintptr_t a = (uintptr_t)r->pucStartAddress;
        if (r->xTag < 0 || r->xTag >= MAX_TAGS || !a ||
            r->xSizeInBytes > UINTPTR_MAX - a)
            return CAPHEAP_ERR_INVALID_ARG;
        if (n > 0 && a < prev_start)
            return CAPHEAP_ERR_INVALID_ARG; /* not sorted */
        if (n > 0 && a < prev_end)
            return CAPHEAP_ERR_OVERLAP;
        if (++n > MAX_REGIONS)
            return CAPHEAP_ERR_NO_SLOT;
        prev_start = a;
        prev_end = a + r->xSizeInBytes;
    }
    return n ? CAPHEAP_OK : CAPHEAP_ERR_INVALID_ARG;
}

void vPortDefineHeapRegionsTagged(
    const HeapRegionTagged_t *const pxHeapRegions) {
    if (heap || !pxHeapRegions) {
        capheap_report_error(CAPHEAP_ERR_INVALID_ARG, pxHeapRegions, DEFINE_OP);
        return;
    }
    const HeapRegionTagged_t *bad = pxHeapRegions;
    capheap_err_t err = validate(pxHeapRegions, &bad);
    if (err != CAPHEAP_OK) {
        capheap_report_error(err, bad, DEFINE_OP);
        return;
    }
    capheap_heap_t *h =
        capheap_heap_init(storage, sizeof storage, MAX_REGIONS, MAX_TAGS);
    size_t n = 0;
    for (const HeapRegionTagged_t *r = pxHeapRegions; r->xSizeInBytes; r++) {
        if (r->xTag == -1)
            continue;
        err = capheap_heap_add_region(h, r->pucStartAddress, r->xSizeInBytes,
                                      (unsigned)r->xTag);
        if (err != CAPHEAP_OK) {
            capheap_report_error(err, r, DEFINE_OP); /* heap stays undefined */
            return;
        }
        regions[n++] = *r;
    }
    region_count = n;
    heap = h;
}

void *pvPortMallocTagged(size_t xWantedSize, BaseType_t tag) {
    if (!heap) {
        capheap_report_error(CAPHEAP_ERR_INVALID_ARG, NULL,
                             "pvPortMallocTagged");
        return NULL;
    }
    if (tag < 0 || tag >= MAX_TAGS)
        return NULL;
    return capheap_heap_alloc(heap, (unsigned)tag, xWantedSize);
}

void vPortFreeTagged(void *pv) {
    if (!pv)
        return;
    if (!heap) {
        capheap_report_error(CAPHEAP_ERR_FOREIGN_POINTER, pv,
                             "vPortFreeTagged");
        return;
    }
    capheap_heap_free(heap, pv);
}

static void tag_stats(BaseType_t tag, capheap_stats_t *s) {
    if (!heap || tag < 0 || tag >= MAX_TAGS ||
        capheap_heap_tag_stats(heap, (unsigned)tag, s) != CAPHEAP_OK)
        *s = (capheap_stats_t){0};
}

size_t xPortGetFreeHeapSizeTagged(BaseType_t tag) {
    capheap_stats_t s;
    tag_stats(tag, &s);
    return s.free_bytes;
}

size_t xPortGetMinimumEverFreeHeapSizeTagged(BaseType_t tag) {
    capheap_stats_t s;
    tag_stats(tag, &s);
    return s.minimum_free_bytes;
}

capheap_heap_t *capheap_heap_regions_heap(void) {
    return heap;
}

size_t capheap_heap_regions_count(void) {
    return heap ? region_count : 0;
}

const HeapRegionTagged_t *capheap_heap_regions_region(size_t index) {
    return heap && index < region_count ? &regions[index] : NULL;
}

const HeapRegionTagged_t *capheap_heap_regions_containing(const void *ptr) {
    uintptr_t p = (uintptr_t)ptr;
    for (size_t i = 0; heap && i < region_count; i++) {
        uintptr_t a = (uintptr_t)regions[i].pucStartAddress;
        if (p >= a && p - a < regions[i].xSizeInBytes)
            return &regions[i];
    }
    return NULL;
}

void capheap_heap_regions_reset_for_test(void) {
    heap = NULL;
    region_count = 0;
}
