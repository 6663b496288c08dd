/*
 * esp_heap_task_info.c - ESP-IDF's per-task heap statistics
 * (esp_heap_task_info.h) over the system heap's per-owner accounting: the
 * owner table and its blocks, taken together (capheap_heap_owner_walk()),
 * are arranged into tasks (owners) and heaps (memory types), and the port
 * names the owners. Empty without CAPHEAP_OWNERS.
 */
#include "esp_heap_task_info.h"

#if CAPHEAP_OWNERS
#include <stdarg.h>
#include <string.h>

#include "capheap/output.h"
#include "capheap/port.h"
#include "capheap/system.h"

#define SLOTS CAPHEAP_OWNER_SLOTS

/* ---- the picture: the owner table arranged into tasks and heaps -------- */

/** A task: an owner and its slots (positions in picture_t::order). */
typedef struct {
    uintptr_t owner;
    unsigned first, count;
    size_t current, peak; /* sums over its slots */
} task_t;

/**
 * The slots in use as the owner walk copied them, then arranged: tasks in
 * the order of their first slot, each task's slots in order of tag (the
 * others' slot has tag SIZE_MAX: last, and alone in its task).
 */
typedef struct {
    capheap_owner_stats_t slot[SLOTS];
    unsigned order[SLOTS];
    task_t task[SLOTS];
    unsigned slots, tasks;
} picture_t;

static void arrange(picture_t *p) {
    p->tasks = 0;
    for (unsigned s = 0; s < p->slots; s++) {
        unsigned t = 0;
        while (t < p->tasks && p->task[t].owner != p->slot[s].owner)
            t++;
        if (t == p->tasks)
            p->task[p->tasks++] = (task_t){p->slot[s].owner, 0, 0, 0, 0};
        p->task[t].count++;
        p->task[t].current += p->slot[s].current;
        p->task[t].peak += p->slot[s].peak;
    }
    unsigned next = 0;
    for (unsigned t = 0; t < p->tasks; t++) {
        task_t *k = &p->task[t];
        k->first = next;
        for (unsigned s = 0; s < p->slots; s++) {
            if (p->slot[s].owner != k->owner)
                continue;
            unsigned i = next++; /* insert by tag */
            while (i > k->first &&
                   p->slot[p->order[i - 1]].tag > p->slot[s].tag) {
                p->order[i] = p->order[i - 1];
                i--;
            }
            p->order[i] = s;
        }
    }
}

/** The slot that counts a block of @p owner in @p tag, or -1 (a block the
 * picture does not count: never, as the table and blocks are one moment's). */
static int slot_of(const picture_t *p, uintptr_t owner, unsigned tag) {
    for (unsigned s = 0; s < p->slots; s++) {
        if (p->slot[s].owner == owner &&
            (owner == CAPHEAP_OWNER_OTHERS || p->slot[s].tag == tag))
            return (int)s;
    }
    return -1;
}

static const task_t *task_of(const picture_t *p, uintptr_t owner) {
    for (unsigned t = 0; t < p->tasks; t++) {
        if (p->task[t].owner == owner)
            return &p->task[t];
    }
    return NULL;
}

/** The table alone, arranged (no block visited). */
static void take_table(capheap_caps_t *ch, picture_t *p) {
    size_t n = capheap_heap_owners(ch->heap, p->slot, SLOTS);
    p->slots = (unsigned)(n < SLOTS ? n : SLOTS);
    arrange(p);
}

static TaskHandle_t handle_of(uintptr_t owner) {
    return (TaskHandle_t)owner;
}

/** The owner a handle argument means (NULL: the caller). */
static uintptr_t owner_of(TaskHandle_t task) {
    return task ? (uintptr_t)task : capheap_port_owner();
}

/** Name @p owner into @p name (CAPHEAP_TASK_NAME_LEN bytes); whether it is
 * not known to have ended. */
static bool describe(uintptr_t owner, char *name) {
    if (owner == CAPHEAP_OWNER_OTHERS) {
        strcpy(name, "(others)");
        return true;
    }
    return capheap_port_owner_describe(owner, name, CAPHEAP_TASK_NAME_LEN);
}

/* ---- heaps: memory types ----------------------------------------------- */

/** What a heap_stat_t says of each type, and of the others' "(any)". A
 * type's name and caps never change once it exists (and a type with a slot
 * does); its size is taken before the walk, for every possible tag (0 for
 * a tag without regions then). */
typedef struct {
    const capheap_caps_t *ch;
    size_t size[CAPHEAP_CAPS_MAX_TYPES];
    size_t all_size;
} types_t;

static void take_types(capheap_caps_t *ch, types_t *ty) {
    capheap_stats_t s;
    ty->ch = ch;
    for (unsigned t = 0; t < CAPHEAP_CAPS_MAX_TYPES; t++) {
        memset(&s, 0, sizeof s);
        capheap_heap_tag_stats(ch->heap, t, &s);
        ty->size[t] = s.total_bytes;
    }
    capheap_heap_stats(ch->heap, &s);
    ty->all_size = s.total_bytes;
}

static void heap_entry(heap_stat_t *h, const types_t *ty,
                       const capheap_owner_stats_t *slot) {
    bool any = slot->owner == CAPHEAP_OWNER_OTHERS ||
               slot->tag >= CAPHEAP_CAPS_MAX_TYPES;
    h->name = any ? "(any)" : ty->ch->types[slot->tag].name;
    h->caps = any ? 0 : ty->ch->types[slot->tag].all;
    h->size = any ? ty->all_size : ty->size[slot->tag];
    h->current_usage = slot->current;
    h->peak_usage = slot->peak;
    h->alloc_count = slot->blocks;
    h->alloc_stat = NULL;
}

/* ---- the get functions: the picture into the caller's arrays ---------- */

/** Where the get functions put things, and how far they got. */
typedef struct {
    picture_t pic;
    types_t types;
    bool arranged;
    uintptr_t only; /* the one task (single), or CAPHEAP_OWNER_OTHERS... */
    bool single;    /* ...meaning every task when false */
    task_stat_t *tasks;
    size_t task_room, task_used;
    heap_stat_t *heaps;
    size_t heap_room, heap_used;
    heap_task_block_t *allocs;
    size_t alloc_room, alloc_used;
    heap_task_block_t *dest[SLOTS]; /* a slot's blocks go here, or NULL */
    size_t filled[SLOTS];
    bool found; /* single: the task has a record */
} fill_t;

/* One task's heaps: those that fit (all of them, or with @p partial as
 * many as fit) get entries, each with its blocks' place when all of them
 * fit. */
static void fill_task(fill_t *f, const task_t *k, task_stat_t *ts,
                      bool partial) {
    ts->handle = handle_of(k->owner);
    ts->is_alive = true;
    ts->name[0] = '\0';
    ts->overall_current_usage = k->current;
    ts->overall_peak_usage = k->peak;
    ts->heap_count = k->count;
    ts->heap_stat = NULL;
    size_t n = k->count, room = f->heap_room - f->heap_used;
    if (n > room && !partial)
        return; /* none of this task's heaps, as ESP-IDF does */
    if (n > room)
        n = room;
    if (f->heaps)
        ts->heap_stat = f->heaps + f->heap_used;
    for (size_t i = 0; i < n; i++) {
        unsigned s = f->pic.order[k->first + i];
        const capheap_owner_stats_t *slot = &f->pic.slot[s];
        heap_stat_t *h = &f->heaps[f->heap_used++];
        heap_entry(h, &f->types, slot);
        if (slot->blocks && slot->blocks <= f->alloc_room - f->alloc_used) {
            h->alloc_stat = f->allocs + f->alloc_used;
            f->alloc_used += slot->blocks;
            f->dest[s] = h->alloc_stat;
        }
    }
}

/* With the lock held (or after a walk that visited nothing): the copied
 * table arranged, every entry and every slot's place decided. */
static void plan(fill_t *f) {
    while (f->pic.slots < SLOTS && f->pic.slot[f->pic.slots].peak)
        f->pic.slots++; /* copied ones: in use, so with a peak (f was zeroed) */
    arrange(&f->pic);
    f->arranged = true;
    if (f->single) {
        const task_t *k = task_of(&f->pic, f->only);
        f->found = k != NULL;
        if (k)
            fill_task(f, k, &f->tasks[0], true);
        return;
    }
    for (unsigned t = 0; t < f->pic.tasks && f->task_used < f->task_room; t++)
        fill_task(f, &f->pic.task[t], &f->tasks[f->task_used++], false);
}

static bool place_block(const capheap_owned_block_t *b, void *user) {
    fill_t *f = user;
    if (!f->arranged)
        plan(f);
    int s = slot_of(&f->pic, b->owner, b->tag);
    if (s >= 0 && f->dest[s] && f->filled[s] < f->pic.slot[s].blocks)
        f->dest[s][f->filled[s]++] = (heap_task_block_t){
            handle_of(f->pic.slot[s].owner), b->ptr, (uint32_t)b->bytes};
    return true;
}

/** Take the picture and fill @p f's arrays from it; names come after. */
static void fill(capheap_caps_t *ch, fill_t *f) {
    take_types(ch, &f->types);
    capheap_heap_owner_walk(ch->heap, f->pic.slot, SLOTS, place_block, f);
    if (!f->arranged)
        plan(f);
    for (size_t t = 0; t < (f->single ? (size_t)f->found : f->task_used); t++)
        f->tasks[t].is_alive =
            describe((uintptr_t)f->tasks[t].handle, f->tasks[t].name);
}

esp_err_t heap_caps_get_all_task_stat(heap_all_tasks_stat_t *tasks_stat) {
    heap_all_tasks_stat_t *a = tasks_stat;
    if (!a || (!a->stat_arr && a->task_count) ||
        (!a->heap_stat_start && a->heap_count) ||
        (!a->alloc_stat_start && a->alloc_count))
        return ESP_ERR_INVALID_ARG;
    capheap_caps_t *ch = capheap_system();
    fill_t f;
    memset(&f, 0, sizeof f);
    f.tasks = a->stat_arr;
    f.task_room = a->task_count;
    f.heaps = a->heap_stat_start;
    f.heap_room = a->heap_count;
    f.allocs = a->alloc_stat_start;
    f.alloc_room = a->alloc_count;
    if (ch)
        fill(ch, &f);
    a->task_count = f.task_used;
    a->heap_count = f.heap_used;
    a->alloc_count = f.alloc_used;
    return ESP_OK;
}

esp_err_t heap_caps_get_single_task_stat(heap_single_task_stat_t *task_stat,
                                         TaskHandle_t task_handle) {
    heap_single_task_stat_t *a = task_stat;
    if (!a || (!a->heap_stat_start && a->heap_count) ||
        (!a->alloc_stat_start && a->alloc_count))
        return ESP_ERR_INVALID_ARG;
    capheap_caps_t *ch = capheap_system();
    fill_t f;
    memset(&f, 0, sizeof f);
    task_stat_t stat;
    f.single = true;
    f.only = owner_of(task_handle);
    f.tasks = &stat;
    f.task_room = 1;
    f.heaps = a->heap_stat_start;
    f.heap_room = a->heap_count;
    f.allocs = a->alloc_stat_start;
    f.alloc_room = a->alloc_count;
    if (ch)
        fill(ch, &f);
    if (!f.found)
        return ESP_FAIL;
    a->stat = stat;
    a->heap_count = f.heap_used;
    a->alloc_count = f.alloc_used;
    return ESP_OK;
}

/* ---- the arrays --------------------------------------------------------- */

/* One block holds every array, so one free releases them and no partial
 * failure leaves some behind. Each array's entries are multiples of the
 * structure's alignment, and the three share it: the next one is aligned. */
static void *alloc_arrays(capheap_caps_t *ch, size_t bytes) {
    return capheap_caps_alloc(ch, bytes, CAPHEAP_CAP_DEFAULT);
}

esp_err_t
heap_caps_alloc_all_task_stat_arrays(heap_all_tasks_stat_t *tasks_stat) {
    if (!tasks_stat)
        return ESP_ERR_INVALID_ARG;
    memset(tasks_stat, 0, sizeof *tasks_stat);
    capheap_caps_t *ch = capheap_system();
    if (!ch)
        return ESP_OK;
    picture_t p;
    take_table(ch, &p);
    if (!p.tasks)
        return ESP_OK;
    size_t blocks = 0;
    for (unsigned s = 0; s < p.slots; s++)
        blocks += p.slot[s].blocks;
    /* One more of each for the arrays' own block: it may be a new task's
     * (the caller's, or the others'), in a new heap. */
    size_t tasks = p.tasks + 1, heaps = p.slots + 1, allocs = blocks + 1;
    char *mem = alloc_arrays(ch, tasks * sizeof(task_stat_t) +
                                     heaps * sizeof(heap_stat_t) +
                                     allocs * sizeof(heap_task_block_t));
    if (!mem)
        return ESP_FAIL;
    tasks_stat->task_count = tasks;
    tasks_stat->stat_arr = (task_stat_t *)(void *)mem;
    tasks_stat->heap_count = heaps;
    tasks_stat->heap_stat_start =
        (heap_stat_t *)(void *)(mem + tasks * sizeof(task_stat_t));
    tasks_stat->alloc_count = allocs;
    tasks_stat->alloc_stat_start =
        (heap_task_block_t *)(void *)((char *)tasks_stat->heap_stat_start +
                                      heaps * sizeof(heap_stat_t));
    return ESP_OK;
}

void heap_caps_free_all_task_stat_arrays(heap_all_tasks_stat_t *tasks_stat) {
    if (!tasks_stat)
        return;
    capheap_caps_t *ch = capheap_system();
    if (ch && tasks_stat->stat_arr)
        capheap_caps_free(ch, tasks_stat->stat_arr);
    memset(tasks_stat, 0, sizeof *tasks_stat);
}

esp_err_t
heap_caps_alloc_single_task_stat_arrays(heap_single_task_stat_t *task_stat,
                                        TaskHandle_t task_handle) {
    if (!task_stat)
        return ESP_ERR_INVALID_ARG;
    task_stat->heap_count = task_stat->alloc_count = 0;
    task_stat->heap_stat_start = NULL;
    task_stat->alloc_stat_start = NULL;
    capheap_caps_t *ch = capheap_system();
    if (!ch)
        return ESP_OK;
    uintptr_t owner = owner_of(task_handle);
    picture_t p;
    take_table(ch, &p);
    const task_t *k = task_of(&p, owner);
    char name[CAPHEAP_TASK_NAME_LEN];
    if (!k || !describe(owner, name))
        return ESP_OK;
    size_t heaps = k->count, allocs = 0;
    for (unsigned i = 0; i < k->count; i++)
        allocs += p.slot[p.order[k->first + i]].blocks;
    if (owner == capheap_port_owner()) { /* the arrays' block is the task's */
        heaps++;
        allocs++;
    }
    char *mem = alloc_arrays(ch, heaps * sizeof(heap_stat_t) +
                                     allocs * sizeof(heap_task_block_t));
    if (!mem)
        return ESP_FAIL;
    task_stat->heap_count = heaps;
    task_stat->heap_stat_start = (heap_stat_t *)(void *)mem;
    task_stat->alloc_count = allocs;
    task_stat->alloc_stat_start =
        allocs
            ? (heap_task_block_t *)(void *)(mem + heaps * sizeof(heap_stat_t))
            : NULL;
    return ESP_OK;
}

void heap_caps_free_single_task_stat_arrays(
    heap_single_task_stat_t *task_stat) {
    if (!task_stat)
        return;
    capheap_caps_t *ch = capheap_system();
    if (ch && task_stat->heap_stat_start)
        capheap_caps_free(ch, task_stat->heap_stat_start);
    task_stat->heap_count = task_stat->alloc_count = 0;
    task_stat->heap_stat_start = NULL;
    task_stat->alloc_stat_start = NULL;
}

/* ---- ESP-IDF's first report: totals by caps partition ------------------ */

typedef struct {
    heap_task_info_params_t *params;
    size_t count;     /* totals in use */
    size_t remaining; /* room left in blocks */
    const capheap_caps_t *ch;
    picture_t pic; /* the owners, to know who ended */
    bool ended[SLOTS];
} per_task_t;

/** The partition of a block in @p tag, or -1. */
static int partition(const per_task_t *w, unsigned tag) {
    uint32_t caps = w->ch->types[tag].all;
    for (int i = 0; i < NUM_HEAP_TASK_CAPS; i++) {
        if ((caps & (uint32_t)w->params->mask[i]) ==
            (uint32_t)w->params->caps[i])
            return i;
    }
    return -1;
}

static bool listed(const heap_task_info_params_t *pr, TaskHandle_t task) {
    if (!pr->tasks)
        return true;
    for (size_t i = 0; i < pr->num_tasks; i++) {
        if (pr->tasks[i] == task)
            return true;
    }
    return false;
}

static bool count_block(const capheap_owned_block_t *b, void *user) {
    per_task_t *w = user;
    heap_task_info_params_t *pr = w->params;
    int part = partition(w, b->tag);
    if (part < 0)
        return true;
    /* A block of a task that ended is ESP-IDF's task NULL's. */
    TaskHandle_t task = handle_of(b->owner);
    for (unsigned s = 0; s < w->pic.slots; s++) {
        if (w->pic.slot[s].owner == b->owner && w->ended[s])
            task = NULL;
    }
    if (pr->totals) {
        size_t i = 0;
        while (i < w->count && pr->totals[i].task != task)
            i++;
        if (i == w->count && w->count < pr->max_totals) {
            memset(&pr->totals[i], 0, sizeof pr->totals[i]);
            pr->totals[i].task = task;
            w->count++;
        }
        if (i < w->count) {
            pr->totals[i].size[part] += b->bytes;
            pr->totals[i].count[part]++;
        }
    }
    if (pr->blocks && w->remaining && listed(pr, task)) {
        pr->blocks[pr->max_blocks - w->remaining--] =
            (heap_task_block_t){task, b->ptr, (uint32_t)b->bytes};
    }
    return true;
}

size_t heap_caps_get_per_task_info(heap_task_info_params_t *params) {
    if (!params)
        return 0;
    per_task_t w;
    memset(&w, 0, sizeof w);
    w.params = params;
    w.count = params->num_totals ? *params->num_totals : 0;
    w.remaining = params->blocks ? params->max_blocks : 0;
    for (size_t i = 0; params->totals && i < w.count; i++) {
        memset(params->totals[i].size, 0, sizeof params->totals[i].size);
        memset(params->totals[i].count, 0, sizeof params->totals[i].count);
    }
    capheap_caps_t *ch = capheap_system();
    if (ch) {
        w.ch = ch;
        /* Who ended is asked before the walk: not with the lock held. */
        take_table(ch, &w.pic);
        char name[CAPHEAP_TASK_NAME_LEN];
        for (unsigned s = 0; s < w.pic.slots; s++)
            w.ended[s] = !describe(w.pic.slot[s].owner, name);
        capheap_heap_owner_walk(ch->heap, NULL, 0, count_block, &w);
    }
    if (params->num_totals)
        *params->num_totals = w.count;
    return params->blocks ? params->max_blocks - w.remaining : 0;
}

/* ---- printing ------------------------------------------------------------ */

#if CAPHEAP_OUTPUT

/* Box drawing, as ESP-IDF's reports use it. */
#define BRANCH  "\u251c" /* ├ */
#define LAST    "\u2514" /* └ */
#define THROUGH "\u2502" /* │ */

/* One line (or part of one) to @p stream, or through capheap's output. The
 * longest line (a heap's, with 20-digit numbers) is under 256 bytes. */
CAPHEAP_PRINTF_LIKE(2, 3)
static void emit(FILE *stream, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (stream) {
        char line[320];
        capheap_vsnprintf(line, sizeof line, fmt, ap);
        fputs(line, stream);
    } else {
        capheap_vprintf(fmt, ap);
    }
    va_end(ap);
}

/** Blocks printed per hold of the lock. */
#define BATCH 8

/* Blocks @p skip .. @p skip + BATCH - 1 of one slot, in walk order. */
typedef struct {
    uintptr_t owner;
    unsigned tag;
    size_t skip, seen, got;
    capheap_owned_block_t block[BATCH];
} batch_t;

static bool gather(const capheap_owned_block_t *b, void *user) {
    batch_t *g = user;
    if (b->owner != g->owner ||
        (g->owner != CAPHEAP_OWNER_OTHERS && b->tag != g->tag))
        return true;
    if (g->seen++ >= g->skip)
        g->block[g->got++] = *b;
    return g->got < BATCH;
}

static size_t percent(size_t part, size_t whole) {
    return whole ? (size_t)((uintmax_t)part * 100 / whole) : 0;
}

static void print_task(FILE *stream, capheap_caps_t *ch, const picture_t *p,
                       const types_t *ty, const task_t *k, bool last) {
    char name[CAPHEAP_TASK_NAME_LEN];
    bool alive = describe(k->owner, name);
    emit(stream,
         "%s %s: %s, CURRENT MEMORY USAGE %zu, PEAK MEMORY USAGE %zu, TOTAL "
         "HEAP USED %u:\n",
         last ? LAST : BRANCH, alive ? "ALIVE" : "DELETED", name, k->current,
         k->peak, k->count);
    const char *task_line = last ? " " : THROUGH;
    for (unsigned i = 0; i < k->count; i++) {
        const capheap_owner_stats_t *slot = &p->slot[p->order[k->first + i]];
        bool last_heap = i + 1 == k->count;
        heap_stat_t h;
        heap_entry(&h, ty, slot);
        emit(stream,
             "%s    %s HEAP: %s, CAPS: 0x%08lx, SIZE: %zu, USAGE: CURRENT %zu "
             "(%zu%%), PEAK %zu (%zu%%), ALLOC COUNT: %zu\n",
             task_line, last_heap ? LAST : BRANCH, h.name,
             (unsigned long)h.caps, h.size, h.current_usage,
             percent(h.current_usage, h.size), h.peak_usage,
             percent(h.peak_usage, h.size), h.alloc_count);
        batch_t g;
        memset(&g, 0, sizeof g);
        g.owner = slot->owner;
        g.tag = (unsigned)slot->tag;
        do {
            g.seen = g.got = 0;
            capheap_heap_owner_walk(ch->heap, NULL, 0, gather, &g);
            for (size_t j = 0; j < g.got; j++)
                emit(stream, "%s    %s    " BRANCH " ALLOC %p, SIZE %lu\n",
                     task_line, last_heap ? " " : THROUGH, g.block[j].ptr,
                     (unsigned long)(uint32_t)g.block[j].bytes);
            g.skip += g.got;
        } while (g.got == BATCH);
    }
}

/** Print task @p only, or every task (@p all). */
static void print_tasks(FILE *stream, bool all, uintptr_t only) {
    capheap_caps_t *ch = capheap_system();
    if (!ch)
        return;
    picture_t p;
    types_t ty;
    take_types(ch, &ty);
    take_table(ch, &p);
    for (unsigned t = 0; t < p.tasks; t++) {
        if (all || p.task[t].owner == only)
            print_task(stream, ch, &p, &ty, &p.task[t],
                       !all || t + 1 == p.tasks);
    }
}

void heap_caps_print_all_task_stat(FILE *stream) {
    print_tasks(stream, true, 0);
}

void heap_caps_print_single_task_stat(FILE *stream, TaskHandle_t task_handle) {
    print_tasks(stream, false, owner_of(task_handle));
}

/* The overview's rules and heading: columns of 20, 9, 22, 19 and 17. */
#define RULE20                                                                 \
    "\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500"             \
    "\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500"
#define RULE9         "\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500"
#define RULE2         "\u2500\u2500"
#define RULE22        RULE20 RULE2
#define RULE19        RULE9 RULE9 "\u2500"
#define RULE17        RULE9 "\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500"
#define RULE(l, m, r) l RULE20 m RULE9 m RULE22 m RULE19 m RULE17 r "\n"

static void print_overview(FILE *stream, bool all, uintptr_t only) {
    capheap_caps_t *ch = capheap_system();
    if (!ch)
        return;
    picture_t p;
    take_table(ch, &p);
    bool first = true;
    for (unsigned t = 0; t < p.tasks; t++) {
        const task_t *k = &p.task[t];
        if (!all && k->owner != only)
            continue;
        if (first) {
            emit(stream, "%s", RULE("\u250c", "\u252c", "\u2510"));
            emit(stream, THROUGH
                 " TASK               " THROUGH " STATUS  " THROUGH
                 " CURRENT MEMORY USAGE " THROUGH " PEAK MEMORY USAGE " THROUGH
                 " TOTAL HEAP USED " THROUGH "\n");
            emit(stream, "%s", RULE("\u251c", "\u253c", "\u2524"));
            first = false;
        }
        char name[CAPHEAP_TASK_NAME_LEN];
        bool alive = describe(k->owner, name);
        emit(stream,
             THROUGH " %18s " THROUGH " %7s " THROUGH " %20zu " THROUGH
                     " %17zu " THROUGH " %15u " THROUGH "\n",
             name, alive ? "ALIVE  " : "DELETED", k->current, k->peak,
             k->count);
    }
    if (!first)
        emit(stream, "%s", RULE("\u2514", "\u2534", "\u2518"));
}

void heap_caps_print_all_task_stat_overview(FILE *stream) {
    print_overview(stream, true, 0);
}

void heap_caps_print_single_task_stat_overview(FILE *stream,
                                               TaskHandle_t task_handle) {
    print_overview(stream, false, owner_of(task_handle));
}
#else /* nothing is printed: no walk, no formatter */
void heap_caps_print_all_task_stat(FILE *stream) {
    (void)stream;
}

void heap_caps_print_single_task_stat(FILE *stream, TaskHandle_t task_handle) {
    (void)stream;
    (void)task_handle;
}

void heap_caps_print_all_task_stat_overview(FILE *stream) {
    (void)stream;
}

void heap_caps_print_single_task_stat_overview(FILE *stream,
                                               TaskHandle_t task_handle) {
    (void)stream;
    (void)task_handle;
}
#endif

#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int capheap_esp_heap_task_info_unused;
#endif
