#define _GNU_SOURCE /* pthread_setname_np */
/*
 * test_esp_task_info.c - ESP-IDF's per-task statistics
 * (esp_heap_task_info.h) on the simulated ESP32 with PSRAM: named threads
 * allocate known blocks by caps, and every function is held to the exact
 * figures a model of those blocks gives (current, peak, blocks with their
 * addresses and sizes, the split per heap), while the threads run, after
 * they free some blocks and after they end; the arrays' functions, the
 * first API's caps partitions, the table's "(others)", the printed reports
 * line by line (through capheap's output and to a FILE *), and the figures
 * staying consistent while threads allocate. What ESP-IDF's own task
 * tracking test checks is here too: a task is listed alive, then deleted;
 * the arrays grow with a new task; a task's own statistics before, with and
 * after a block.
 */
#include "test_support.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

#include "../compat/esp_test_env.h"
#include "capheap/port.h"
#include "core/block.h"
#include "esp_heap_task_info.h"

#define C(x) MALLOC_CAP_##x

/* Bytes the accounting counts for a live block (data-bus address). Under
 * the heap's lock: a neighbour's allocation rewrites the header's flags. */
static size_t bytes_of(const void *p) {
    void *lock = capheap_port_default_lock();
    capheap_port_lock(lock);
    size_t n = hdr_size(*hdr_at(block_of(p))) - HDR_BYTES;
    capheap_port_unlock(lock);
    return n;
}

static int by_address(const void *x, const void *y) {
    uintptr_t a = (uintptr_t) * (void *const *)x;
    uintptr_t b = (uintptr_t) * (void *const *)y;
    return (a > b) - (a < b);
}

/* The type (tag) of a live block. */
static unsigned tag_of(const void *p) {
    int t = capheap_caps_block_type(heap_caps_capheap(), p);
    assert_true(t >= 0);
    return (unsigned)t;
}

static size_t type_size(unsigned tag) {
    capheap_stats_t s;
    assert_int_equal(capheap_heap_tag_stats(heap_caps_capheap()->heap, tag, &s),
                     CAPHEAP_OK);
    return s.total_bytes;
}

static void boot(void) {
    et_opts_t o = {"4M", false, true};
    et_boot_opts("esp32", o);
}

/* ---- workers: named threads with a script of blocks -------------------- */

#define MAX_BLOCKS 4

typedef struct {
    const char *name;
    size_t n;
    size_t size[MAX_BLOCKS];
    uint32_t caps[MAX_BLOCKS];
    unsigned frees; /* bit i: block i is freed at the second step */
    void *p[MAX_BLOCKS];
    unsigned tag[MAX_BLOCKS]; /* of p[i], noted when it was made */
    size_t bytes[MAX_BLOCKS];
    uintptr_t owner;
    pthread_barrier_t *step; /* NULL: allocate and end */
    pthread_t thread;
} worker_t;

/* Note the type and bytes of each block while it lives (its figures stay
 * in its heap's peak after it is freed). No cmocka assertion: a thread may
 * call this. */
static void note_blocks(worker_t *w) {
    for (size_t i = 0; i < w->n; i++) {
        int t = w->p[i] ? capheap_caps_block_type(heap_caps_capheap(), w->p[i])
                        : -1;
        w->tag[i] = t < 0 ? UINT_MAX : (unsigned)t;
        w->bytes[i] = w->p[i] ? bytes_of(w->p[i]) : 0;
    }
}

/* Steps (with a barrier): 1 allocated, 2 may free, 3 freed, 4 may end. */
static void *work(void *arg) {
    worker_t *w = arg;
    pthread_setname_np(pthread_self(), w->name);
    w->owner = capheap_port_owner();
    for (size_t i = 0; i < w->n; i++)
        w->p[i] = heap_caps_malloc(w->size[i], w->caps[i]);
    note_blocks(w);
    if (!w->step)
        return NULL;
    pthread_barrier_wait(w->step);
    pthread_barrier_wait(w->step);
    for (size_t i = 0; i < w->n; i++) {
        if (w->frees & (1u << i)) {
            heap_caps_free(w->p[i]);
            w->p[i] = NULL;
        }
    }
    pthread_barrier_wait(w->step);
    pthread_barrier_wait(w->step);
    return NULL;
}

static void start(worker_t *w) {
    assert_int_equal(pthread_create(&w->thread, NULL, work, w), 0);
}

/* A: DMA and 8-bit blocks (DRAM), an EXEC one (IRAM); B: PSRAM and DRAM. */
static worker_t worker_a(pthread_barrier_t *step) {
    worker_t w = {.name = "worker_a",
                  .n = 3,
                  .size = {100, 200, 64},
                  .caps = {C(DMA), C(8BIT), C(EXEC)},
                  .frees = 1u << 1,
                  .step = step};
    return w;
}

static worker_t worker_b(pthread_barrier_t *step) {
    worker_t w = {.name = "worker_b",
                  .n = 2,
                  .size = {300, 40},
                  .caps = {C(SPIRAM), C(8BIT)},
                  .frees = 1u << 0,
                  .step = step};
    return w;
}

/* ---- the model: what the figures must be -------------------------------- */

/* One heap of one task, as the model sees it. */
typedef struct {
    unsigned tag;
    size_t current, peak, count;
    void *block[MAX_BLOCKS]; /* live, in address order */
} model_heap_t;

typedef struct {
    uintptr_t owner;
    size_t heaps;
    model_heap_t heap[MAX_BLOCKS]; /* in order of tag */
} model_t;

static model_heap_t *model_heap(model_t *m, unsigned tag) {
    size_t i = 0;
    while (i < m->heaps && m->heap[i].tag < tag)
        i++;
    if (i < m->heaps && m->heap[i].tag == tag)
        return &m->heap[i];
    memmove(&m->heap[i + 1], &m->heap[i], (m->heaps - i) * sizeof m->heap[0]);
    m->heaps++;
    memset(&m->heap[i], 0, sizeof m->heap[i]);
    m->heap[i].tag = tag;
    return &m->heap[i];
}

/* The model of a worker whose blocks all lived at once (the peak), of which
 * those still in w->p live. */
static model_t model_of(const worker_t *w) {
    model_t m;
    memset(&m, 0, sizeof m);
    m.owner = w->owner;
    for (size_t i = 0; i < w->n; i++) {
        assert_int_not_equal(w->tag[i], UINT_MAX);
        model_heap(&m, w->tag[i])->peak += w->bytes[i];
    }
    for (size_t i = 0; i < w->n; i++) {
        if (!w->p[i])
            continue;
        model_heap_t *h = model_heap(&m, w->tag[i]);
        size_t k = h->count++;
        while (k > 0 && (uintptr_t)h->block[k - 1] > (uintptr_t)w->p[i]) {
            h->block[k] = h->block[k - 1];
            k--;
        }
        h->block[k] = w->p[i];
        h->current += w->bytes[i];
    }
    return m;
}

static size_t model_current(const model_t *m) {
    size_t n = 0;
    for (size_t i = 0; i < m->heaps; i++)
        n += m->heap[i].current;
    return n;
}

static size_t model_peak(const model_t *m) {
    size_t n = 0;
    for (size_t i = 0; i < m->heaps; i++)
        n += m->heap[i].peak;
    return n;
}

/* A task's statistics against its model, every heap and block (alloc_stat
 * NULL exactly when the heap has no block). */
static void assert_task(const task_stat_t *t, const model_t *m,
                        const char *name, bool alive) {
    assert_ptr_equal(t->handle, (TaskHandle_t)m->owner);
    assert_string_equal(t->name, name);
    assert_int_equal(t->is_alive, alive);
    assert_int_equal(t->overall_current_usage, model_current(m));
    assert_int_equal(t->overall_peak_usage, model_peak(m));
    assert_int_equal(t->heap_count, m->heaps);
    assert_non_null(t->heap_stat);
    capheap_caps_t *ch = heap_caps_capheap();
    for (size_t i = 0; i < m->heaps; i++) {
        const heap_stat_t *h = &t->heap_stat[i];
        const model_heap_t *e = &m->heap[i];
        assert_string_equal(h->name, ch->types[e->tag].name);
        assert_int_equal(h->caps, ch->types[e->tag].all);
        assert_int_equal(h->size, type_size(e->tag));
        assert_int_equal(h->current_usage, e->current);
        assert_int_equal(h->peak_usage, e->peak);
        assert_int_equal(h->alloc_count, e->count);
        if (!e->count) {
            assert_null(h->alloc_stat);
            continue;
        }
        assert_non_null(h->alloc_stat);
        for (size_t k = 0; k < e->count; k++) {
            assert_ptr_equal(h->alloc_stat[k].task, t->handle);
            assert_ptr_equal(h->alloc_stat[k].address, e->block[k]);
            assert_int_equal(h->alloc_stat[k].size, bytes_of(e->block[k]));
        }
    }
}

static const task_stat_t *find_task(const heap_all_tasks_stat_t *a,
                                    uintptr_t owner) {
    for (size_t i = 0; i < a->task_count; i++) {
        if (a->stat_arr[i].handle == (TaskHandle_t)owner)
            return &a->stat_arr[i];
    }
    fail_msg("no task %#jx", (uintmax_t)owner);
    return NULL;
}

/* Arrays on the stack, with room to spare. */
typedef struct {
    heap_all_tasks_stat_t all;
    task_stat_t tasks[CAPHEAP_OWNER_SLOTS];
    heap_stat_t heaps[4 * CAPHEAP_OWNER_SLOTS];
    heap_task_block_t blocks[256];
} room_t;

static void get_all(room_t *r) {
    r->all = (heap_all_tasks_stat_t){CAPHEAP_OWNER_SLOTS,
                                     r->tasks,
                                     4 * CAPHEAP_OWNER_SLOTS,
                                     r->heaps,
                                     256,
                                     r->blocks};
    assert_int_equal(heap_caps_get_all_task_stat(&r->all), ESP_OK);
}

static heap_single_task_stat_t single_room(size_t heaps, heap_stat_t *heap,
                                           size_t allocs,
                                           heap_task_block_t *alloc) {
    heap_single_task_stat_t s;
    memset(&s, 0, sizeof s);
    s.heap_count = heaps;
    s.heap_stat_start = heap;
    s.alloc_count = allocs;
    s.alloc_stat_start = alloc;
    return s;
}

static char *ended_name(uintptr_t owner) {
    static char name[32];
    snprintf(name, sizeof name, "thread %ju", (uintmax_t)owner);
    name[CAPHEAP_TASK_NAME_LEN - 1] = '\0';
    return name;
}

/* ---- every figure, while threads run, after frees, after they end ----- */

static void figures_follow_the_threads(void **state) {
    (void)state;
    boot();
    room_t r;
    get_all(&r);
    assert_int_equal(r.all.task_count, 0); /* nothing allocated yet */
    assert_int_equal(r.all.heap_count, 0);
    assert_int_equal(r.all.alloc_count, 0);

    pthread_barrier_t step;
    pthread_barrier_init(&step, NULL, 3);
    worker_t a = worker_a(&step), b = worker_b(&step);
    start(&a);
    start(&b);
    pthread_barrier_wait(&step); /* 1: both allocated */
    for (size_t i = 0; i < a.n; i++)
        assert_non_null(a.p[i]);
    for (size_t i = 0; i < b.n; i++)
        assert_non_null(b.p[i]);
    assert_string_equal(et_type_of(a.p[0]), "DRAM");
    assert_string_equal(et_type_of(a.p[1]), "DRAM");
    assert_string_equal(et_type_of(a.p[2]), "IRAM");
    assert_string_equal(et_type_of(b.p[0]), "SPIRAM");
    assert_string_equal(et_type_of(b.p[1]), "DRAM");

    model_t ma = model_of(&a), mb = model_of(&b);
    assert_int_equal(ma.heaps, 2); /* DRAM and IRAM */
    assert_int_equal(mb.heaps, 2); /* PSRAM and DRAM */
    get_all(&r);
    assert_int_equal(r.all.task_count, 2);
    assert_int_equal(r.all.heap_count, 4);
    assert_int_equal(r.all.alloc_count, 5);
    assert_task(find_task(&r.all, a.owner), &ma, "worker_a", true);
    assert_task(find_task(&r.all, b.owner), &mb, "worker_b", true);

    /* One task alone, by handle. */
    heap_single_task_stat_t one = single_room(4, r.heaps, 8, r.blocks);
    assert_int_equal(
        heap_caps_get_single_task_stat(&one, (TaskHandle_t)a.owner), ESP_OK);
    assert_int_equal(one.heap_count, 2);
    assert_int_equal(one.alloc_count, 3);
    assert_ptr_equal(one.stat.heap_stat, r.heaps);
    assert_task(&one.stat, &ma, "worker_a", true);

    pthread_barrier_wait(&step); /* 2: A frees its 8-bit block, B PSRAM */
    pthread_barrier_wait(&step); /* 3 */
    ma = model_of(&a);
    mb = model_of(&b);
    get_all(&r);
    assert_int_equal(r.all.task_count, 2);
    assert_int_equal(r.all.heap_count, 4);
    assert_int_equal(r.all.alloc_count, 3);
    assert_task(find_task(&r.all, a.owner), &ma, "worker_a", true);
    assert_task(find_task(&r.all, b.owner), &mb, "worker_b", true);
    /* The peak of A's DRAM stays that of both blocks; B's PSRAM is empty. */
    assert_true(ma.heap[0].peak > ma.heap[0].current);
    assert_int_equal(mb.heap[0].count, 0);

    pthread_barrier_wait(&step); /* 4: they end */
    assert_int_equal(pthread_join(a.thread, NULL), 0);
    assert_int_equal(pthread_join(b.thread, NULL), 0);
    pthread_barrier_destroy(&step);
    get_all(&r);
    assert_int_equal(r.all.task_count, 2);
    assert_task(find_task(&r.all, a.owner), &ma, ended_name(a.owner), false);
    assert_task(find_task(&r.all, b.owner), &mb, ended_name(b.owner), false);

    /* Their blocks freed here leave their accounts, peaks kept. */
    for (size_t i = 0; i < a.n; i++)
        heap_caps_free(a.p[i]);
    for (size_t i = 0; i < b.n; i++)
        heap_caps_free(b.p[i]);
    get_all(&r);
    assert_int_equal(r.all.task_count, 2);
    assert_int_equal(r.all.heap_count, 4);
    assert_int_equal(r.all.alloc_count, 0);
    for (size_t t = 0; t < 2; t++) {
        assert_int_equal(r.tasks[t].overall_current_usage, 0);
        assert_true(r.tasks[t].overall_peak_usage > 0);
        for (size_t h = 0; h < r.tasks[t].heap_count; h++)
            assert_null(r.tasks[t].heap_stat[h].alloc_stat);
    }
    assert_true(heap_caps_check_integrity_all(true));
    assert_int_equal(ts_errors()->count, 0);
}

/* ---- the calling task, the room rules, bad arguments -------------------- */

static void calling_task_and_room(void **state) {
    (void)state;
    boot();
    room_t r;
    heap_single_task_stat_t one = single_room(4, r.heaps, 8, r.blocks);
    /* No record yet: ESP_FAIL, nothing written. */
    assert_int_equal(heap_caps_get_single_task_stat(&one, NULL), ESP_FAIL);
    assert_int_equal(one.heap_count, 4);

    void *d = heap_caps_malloc(120, C(DMA));
    void *s = heap_caps_malloc(500, C(SPIRAM));
    void *x = heap_caps_malloc(32, C(EXEC));
    assert_non_null(d);
    assert_non_null(s);
    assert_non_null(x);
    worker_t me = {
        .name = "main", .n = 3, .p = {d, s, x}, .owner = capheap_port_owner()};
    note_blocks(&me);
    model_t m = model_of(&me);
    assert_int_equal(m.heaps, 3);
    char name[CAPHEAP_TASK_NAME_LEN];
    assert_true(capheap_port_owner_describe(me.owner, name, sizeof name));

    assert_int_equal(heap_caps_get_single_task_stat(&one, NULL), ESP_OK);
    assert_int_equal(one.heap_count, 3);
    assert_int_equal(one.alloc_count, 3);
    assert_task(&one.stat, &m, name, true);

    /* Heaps cut to the room; blocks of a heap all or none. */
    one = single_room(2, r.heaps, 2, r.blocks);
    assert_int_equal(heap_caps_get_single_task_stat(&one, NULL), ESP_OK);
    assert_int_equal(one.stat.heap_count, 3); /* the task's, not the room */
    assert_int_equal(one.heap_count, 2);
    assert_int_equal(one.alloc_count, 2);
    assert_non_null(one.stat.heap_stat[0].alloc_stat);
    assert_non_null(one.stat.heap_stat[1].alloc_stat);
    one = single_room(3, r.heaps, 0, NULL);
    assert_int_equal(heap_caps_get_single_task_stat(&one, NULL), ESP_OK);
    assert_int_equal(one.heap_count, 3);
    assert_int_equal(one.alloc_count, 0);
    for (int i = 0; i < 3; i++)
        assert_null(one.stat.heap_stat[i].alloc_stat);
    one = single_room(0, NULL, 0, NULL);
    assert_int_equal(heap_caps_get_single_task_stat(&one, NULL), ESP_OK);
    assert_null(one.stat.heap_stat);
    assert_int_equal(one.stat.overall_current_usage, model_current(&m));

    /* All tasks: one whose heaps do not fit gets none. */
    r.all = (heap_all_tasks_stat_t){4, r.tasks, 2, r.heaps, 8, r.blocks};
    assert_int_equal(heap_caps_get_all_task_stat(&r.all), ESP_OK);
    assert_int_equal(r.all.task_count, 1);
    assert_int_equal(r.all.heap_count, 0);
    assert_int_equal(r.all.alloc_count, 0);
    assert_null(r.tasks[0].heap_stat);
    assert_int_equal(r.tasks[0].heap_count, 3);
    r.all = (heap_all_tasks_stat_t){4, r.tasks, 3, r.heaps, 2, r.blocks};
    assert_int_equal(heap_caps_get_all_task_stat(&r.all), ESP_OK);
    assert_int_equal(r.all.heap_count, 3);
    assert_int_equal(r.all.alloc_count, 2); /* the third heap's did not fit */
    assert_null(r.tasks[0].heap_stat[2].alloc_stat);
    r.all = (heap_all_tasks_stat_t){0, NULL, 0, NULL, 0, NULL};
    assert_int_equal(heap_caps_get_all_task_stat(&r.all), ESP_OK);
    assert_int_equal(r.all.task_count, 0);

    /* Bad arguments. */
    assert_int_equal(heap_caps_get_all_task_stat(NULL), ESP_ERR_INVALID_ARG);
    r.all = (heap_all_tasks_stat_t){1, NULL, 0, NULL, 0, NULL};
    assert_int_equal(heap_caps_get_all_task_stat(&r.all), ESP_ERR_INVALID_ARG);
    r.all = (heap_all_tasks_stat_t){1, r.tasks, 1, NULL, 0, NULL};
    assert_int_equal(heap_caps_get_all_task_stat(&r.all), ESP_ERR_INVALID_ARG);
    r.all = (heap_all_tasks_stat_t){1, r.tasks, 1, r.heaps, 1, NULL};
    assert_int_equal(heap_caps_get_all_task_stat(&r.all), ESP_ERR_INVALID_ARG);
    assert_int_equal(heap_caps_get_single_task_stat(NULL, NULL),
                     ESP_ERR_INVALID_ARG);
    one = single_room(1, NULL, 0, NULL);
    assert_int_equal(heap_caps_get_single_task_stat(&one, NULL),
                     ESP_ERR_INVALID_ARG);
    one = single_room(0, NULL, 1, NULL);
    assert_int_equal(heap_caps_get_single_task_stat(&one, NULL),
                     ESP_ERR_INVALID_ARG);
    assert_int_equal(heap_caps_alloc_all_task_stat_arrays(NULL),
                     ESP_ERR_INVALID_ARG);
    assert_int_equal(heap_caps_alloc_single_task_stat_arrays(NULL, NULL),
                     ESP_ERR_INVALID_ARG);
    heap_caps_free_all_task_stat_arrays(NULL);
    heap_caps_free_single_task_stat_arrays(NULL);
    assert_int_equal(heap_caps_get_per_task_info(NULL), 0);

    heap_caps_free(d);
    heap_caps_free(s);
    heap_caps_free(x);
    assert_int_equal(ts_errors()->count, 0);
}

/* ---- the arrays ---------------------------------------------------------- */

/* The blocks of the arrays are the caller's: they have room for
 * themselves, and their free takes them away again. */
static void arrays_hold_everything_and_themselves(void **state) {
    (void)state;
    boot();
    heap_all_tasks_stat_t all;
    memset(&all, 0xA5, sizeof all);
    /* No task at all: no arrays. */
    assert_int_equal(heap_caps_alloc_all_task_stat_arrays(&all), ESP_OK);
    assert_int_equal(all.task_count, 0);
    assert_null(all.stat_arr);
    assert_null(all.heap_stat_start);
    assert_null(all.alloc_stat_start);
    assert_int_equal(heap_caps_get_all_task_stat(&all), ESP_OK);
    heap_caps_free_all_task_stat_arrays(&all);

    worker_t a = worker_a(NULL);
    start(&a);
    assert_int_equal(pthread_join(a.thread, NULL), 0);
    size_t free_before = heap_caps_get_free_size(0);
    assert_int_equal(heap_caps_alloc_all_task_stat_arrays(&all), ESP_OK);
    /* worker_a (2 heaps, 3 blocks) and one more of each. */
    assert_int_equal(all.task_count, 2);
    assert_int_equal(all.heap_count, 3);
    assert_int_equal(all.alloc_count, 4);
    assert_ptr_equal(all.heap_stat_start, (void *)(all.stat_arr + 2));
    assert_ptr_equal(all.alloc_stat_start, (void *)(all.heap_stat_start + 3));
    void *block = all.stat_arr;
    assert_int_equal(heap_caps_get_allocated_size(block),
                     2 * sizeof(task_stat_t) + 3 * sizeof(heap_stat_t) +
                         4 * sizeof(heap_task_block_t));
    assert_int_equal(heap_caps_get_all_task_stat(&all), ESP_OK);
    /* worker_a, and the caller with the arrays' block. */
    assert_int_equal(all.task_count, 2);
    assert_int_equal(all.heap_count, 3);
    assert_int_equal(all.alloc_count, 4);
    const task_stat_t *me = find_task(&all, capheap_port_owner());
    assert_int_equal(me->heap_count, 1);
    assert_int_equal(me->heap_stat[0].alloc_count, 1);
    assert_ptr_equal(me->heap_stat[0].alloc_stat[0].address, block);
    assert_int_equal(me->heap_stat[0].alloc_stat[0].size, bytes_of(block));
    assert_int_equal(me->overall_current_usage, bytes_of(block));
    model_t ma = model_of(&a);
    assert_task(find_task(&all, a.owner), &ma, ended_name(a.owner), false);
    heap_caps_free_all_task_stat_arrays(&all);
    assert_int_equal(all.task_count, 0);
    assert_null(all.stat_arr);
    assert_null(all.heap_stat_start);
    assert_null(all.alloc_stat_start);
    assert_int_equal(heap_caps_get_free_size(0), free_before);

    /* ESP-IDF's check: a new task that allocates makes every count grow. */
    assert_int_equal(heap_caps_alloc_all_task_stat_arrays(&all), ESP_OK);
    assert_int_equal(heap_caps_get_all_task_stat(&all), ESP_OK);
    size_t tasks = all.task_count, heaps = all.heap_count,
           allocs = all.alloc_count;
    heap_caps_free_all_task_stat_arrays(&all);
    worker_t b = worker_b(NULL);
    start(&b);
    assert_int_equal(pthread_join(b.thread, NULL), 0);
    assert_int_equal(heap_caps_alloc_all_task_stat_arrays(&all), ESP_OK);
    assert_int_equal(heap_caps_get_all_task_stat(&all), ESP_OK);
    assert_int_equal(all.task_count, tasks + 1);
    assert_int_equal(all.heap_count, heaps + 2);
    assert_int_equal(all.alloc_count, allocs + 2);
    heap_caps_free_all_task_stat_arrays(&all);

    for (size_t i = 0; i < a.n; i++)
        heap_caps_free(a.p[i]);
    for (size_t i = 0; i < b.n; i++)
        heap_caps_free(b.p[i]);
    assert_int_equal(ts_errors()->count, 0);
}

/* ESP-IDF's check of a task's own statistics, before it allocates, with a
 * block, and after freeing it. The arrays' block is the task's too: it is
 * where malloc()'s memory is largest, PSRAM here, a second heap. */
typedef struct {
    int failures;
    char why[160];
} self_check_t;

#define SELF_CHECK(c, cond)                                                    \
    do {                                                                       \
        if (!(cond) && !(c)->failures++)                                       \
            snprintf((c)->why, sizeof(c)->why, "line %d: %s", __LINE__,        \
                     #cond);                                                   \
    } while (0)

/* The entry of heap @p name in @p st, or NULL. */
static const heap_stat_t *heap_named(const heap_single_task_stat_t *st,
                                     const char *name) {
    for (size_t i = 0; i < st->heap_count; i++) {
        if (strcmp(st->stat.heap_stat[i].name, name) == 0)
            return &st->stat.heap_stat[i];
    }
    return NULL;
}

static void *check_self(void *arg) {
    self_check_t *c = arg;
    heap_single_task_stat_t st;
    memset(&st, 0x5A, sizeof st);
    SELF_CHECK(c, heap_caps_alloc_single_task_stat_arrays(&st, NULL) == ESP_OK);
    SELF_CHECK(c, st.heap_count == 0 && st.alloc_count == 0);
    SELF_CHECK(c, !st.heap_stat_start && !st.alloc_stat_start);

    const uint32_t caps = C(32BIT) | C(DMA);
    void *p = heap_caps_malloc(100, caps);
    SELF_CHECK(c, p && strcmp(et_type_of(p), "DRAM") == 0);
    size_t p_bytes = bytes_of(p);
    SELF_CHECK(c, heap_caps_alloc_single_task_stat_arrays(&st, NULL) == ESP_OK);
    SELF_CHECK(c, st.heap_count == 2 && st.alloc_count == 2); /* +1 each */
    void *arrays = st.heap_stat_start;
    SELF_CHECK(c,
               (void *)st.alloc_stat_start == (void *)(st.heap_stat_start + 2));
    SELF_CHECK(c, strcmp(et_type_of(arrays), "SPIRAM") == 0);
    SELF_CHECK(c, heap_caps_get_single_task_stat(&st, NULL) == ESP_OK);
    SELF_CHECK(c, st.heap_count == 2 && st.alloc_count == 2);
    const heap_stat_t *dram = heap_named(&st, "DRAM");
    const heap_stat_t *psram = heap_named(&st, "SPIRAM");
    SELF_CHECK(c, dram && psram);
    if (dram && psram) {
        SELF_CHECK(c, (dram->caps & caps) == caps);
        SELF_CHECK(c, dram->alloc_count == 1 && dram->alloc_stat);
        SELF_CHECK(c, dram->alloc_stat && dram->alloc_stat[0].address == p &&
                          dram->alloc_stat[0].size == p_bytes);
        SELF_CHECK(c, psram->alloc_count == 1 && psram->alloc_stat &&
                          psram->alloc_stat[0].address == arrays);
        SELF_CHECK(c,
                   st.stat.overall_current_usage == p_bytes + bytes_of(arrays));
    }
    heap_caps_free(p);
    heap_caps_free_single_task_stat_arrays(&st);
    SELF_CHECK(c, !st.heap_stat_start && !st.alloc_stat_start);
    SELF_CHECK(c, st.heap_count == 0 && st.alloc_count == 0);

    /* Freed: both heaps stay, DRAM empty with its peak. */
    SELF_CHECK(c, heap_caps_alloc_single_task_stat_arrays(&st, NULL) == ESP_OK);
    SELF_CHECK(c, st.heap_count == 3 && st.alloc_count == 1);
    SELF_CHECK(c, heap_caps_get_single_task_stat(&st, NULL) == ESP_OK);
    SELF_CHECK(c, st.heap_count == 2 && st.alloc_count == 1);
    dram = heap_named(&st, "DRAM");
    SELF_CHECK(c, dram && (dram->caps & caps) == caps);
    SELF_CHECK(c, dram && !dram->alloc_stat && dram->alloc_count == 0);
    SELF_CHECK(c,
               dram && dram->current_usage == 0 && dram->peak_usage == p_bytes);
    SELF_CHECK(c,
               st.stat.overall_current_usage == bytes_of(st.heap_stat_start));
    heap_caps_free_single_task_stat_arrays(&st);
    return NULL;
}

static void a_task_checks_itself(void **state) {
    (void)state;
    boot();
    self_check_t c = {0, ""};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, check_self, &c), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    if (c.failures)
        fail_msg("%d failed, first at %s", c.failures, c.why);

    /* Another task's arrays have no room for the caller's block. */
    worker_t b = worker_b(NULL);
    start(&b);
    assert_int_equal(pthread_join(b.thread, NULL), 0);
    heap_single_task_stat_t st;
    assert_int_equal(
        heap_caps_alloc_single_task_stat_arrays(&st, (TaskHandle_t)b.owner),
        ESP_OK);
    assert_int_equal(st.heap_count, 0); /* b ended: ESP-IDF gives none */
    for (size_t i = 0; i < b.n; i++)
        heap_caps_free(b.p[i]);
    assert_int_equal(ts_errors()->count, 0);
}

/* ESP-IDF's check of a created, then deleted task. */
static void a_task_is_listed_alive_then_deleted(void **state) {
    (void)state;
    boot();
    pthread_barrier_t step;
    pthread_barrier_init(&step, NULL, 2);
    worker_t w = {.name = "test_task_a",
                  .n = 1,
                  .size = {36},
                  .caps = {C(32BIT)},
                  .frees = 1u,
                  .step = &step};
    start(&w);
    pthread_barrier_wait(&step); /* 1: allocated */
    size_t bytes = bytes_of(w.p[0]);
    room_t r;
    get_all(&r);
    const task_stat_t *t = find_task(&r.all, w.owner);
    assert_string_equal(t->name, "test_task_a");
    assert_true(t->is_alive);
    assert_int_equal(t->overall_current_usage, bytes);
    pthread_barrier_wait(&step); /* 2: free */
    pthread_barrier_wait(&step); /* 3: freed */
    pthread_barrier_wait(&step); /* 4: end */
    assert_int_equal(pthread_join(w.thread, NULL), 0);
    pthread_barrier_destroy(&step);
    get_all(&r);
    t = find_task(&r.all, w.owner);
    assert_false(t->is_alive);
    assert_int_equal(t->overall_current_usage, 0);
    assert_int_equal(t->overall_peak_usage, bytes);
    assert_string_equal(t->name, ended_name(w.owner));
    assert_int_equal(ts_errors()->count, 0);
}

/* ---- ESP-IDF's first report: totals by caps partition -------------------- */

static size_t sum_blocks(const worker_t *w, uint32_t caps_in, bool any) {
    capheap_caps_t *ch = heap_caps_capheap();
    size_t n = 0;
    for (size_t i = 0; i < w->n; i++) {
        if (w->p[i] && (any || (ch->types[tag_of(w->p[i])].all & caps_in)))
            n += bytes_of(w->p[i]);
    }
    return n;
}

static void totals_by_partition(void **state) {
    (void)state;
    boot();
    pthread_barrier_t step;
    pthread_barrier_init(&step, NULL, 3);
    worker_t a = worker_a(&step), b = worker_b(&step);
    start(&a);
    start(&b);
    pthread_barrier_wait(&step); /* 1: both allocated */

    /* 0: executable heaps; 1: PSRAM; 2: everything else; 3: never. */
    heap_task_totals_t totals[4];
    heap_task_block_t blocks[8];
    size_t num = 0;
    heap_task_info_params_t pr = {{C(EXEC), C(SPIRAM), 0, 1},
                                  {C(EXEC), C(SPIRAM), 0, 0},
                                  NULL,
                                  0,
                                  totals,
                                  &num,
                                  4,
                                  blocks,
                                  8};
    assert_int_equal(heap_caps_get_per_task_info(&pr), 5);
    assert_int_equal(num, 2);
    for (size_t i = 0; i < num; i++) {
        const worker_t *w = totals[i].task == (TaskHandle_t)a.owner ? &a : &b;
        assert_ptr_equal(totals[i].task, (TaskHandle_t)w->owner);
        size_t exec = 0, psram = 0, rest = 0, ne = 0, np = 0, nr = 0;
        capheap_caps_t *ch = heap_caps_capheap();
        for (size_t k = 0; k < w->n; k++) {
            uint32_t caps = ch->types[tag_of(w->p[k])].all;
            if (caps & C(EXEC)) {
                exec += bytes_of(w->p[k]);
                ne++;
            } else if (caps & C(SPIRAM)) {
                psram += bytes_of(w->p[k]);
                np++;
            } else {
                rest += bytes_of(w->p[k]);
                nr++;
            }
        }
        assert_int_equal(totals[i].size[0], exec);
        assert_int_equal(totals[i].count[0], ne);
        assert_int_equal(totals[i].size[1], psram);
        assert_int_equal(totals[i].count[1], np);
        assert_int_equal(totals[i].size[2], rest);
        assert_int_equal(totals[i].count[2], nr);
        assert_int_equal(totals[i].size[3], 0);
        assert_int_equal(totals[i].count[3], 0);
    }
    assert_int_equal(totals[0].size[0] + totals[1].size[0] + totals[0].size[2] +
                         totals[1].size[2] + totals[0].size[1] +
                         totals[1].size[1],
                     sum_blocks(&a, 0, true) + sum_blocks(&b, 0, true));
    /* Every block once, with its task and size. */
    for (size_t k = 0; k < 5; k++) {
        const worker_t *w = blocks[k].task == (TaskHandle_t)a.owner ? &a : &b;
        size_t hits = 0;
        for (size_t i = 0; i < w->n; i++)
            hits += w->p[i] == blocks[k].address;
        assert_int_equal(hits, 1);
        assert_int_equal(blocks[k].size, bytes_of(blocks[k].address));
        for (size_t j = 0; j < k; j++)
            assert_ptr_not_equal(blocks[j].address, blocks[k].address);
    }

    /* Again with the totals in the order left: kept, sums the same. */
    heap_task_totals_t before[2];
    memcpy(before, totals, sizeof before);
    TaskHandle_t first = totals[0].task;
    totals[0] = before[1];
    totals[1] = before[0];
    totals[0].size[0] = 12345; /* reset by the call */
    assert_int_equal(heap_caps_get_per_task_info(&pr), 5);
    assert_int_equal(num, 2);
    assert_ptr_equal(totals[1].task, first);
    assert_memory_equal(&totals[0], &before[1], sizeof before[1]);
    assert_memory_equal(&totals[1], &before[0], sizeof before[0]);

    /* One partition for all; blocks of B alone, at most one. */
    TaskHandle_t only_b = (TaskHandle_t)b.owner;
    heap_task_info_params_t all = {{0},  {0}, &only_b, 1, totals,
                                   &num, 1,   blocks,  1};
    num = 0;
    assert_int_equal(heap_caps_get_per_task_info(&all), 1);
    assert_ptr_equal(blocks[0].task, only_b);
    assert_int_equal(num, 1); /* room for one task's totals */
    const worker_t *w = totals[0].task == (TaskHandle_t)a.owner ? &a : &b;
    assert_int_equal(totals[0].size[0], sum_blocks(w, 0, true));
    assert_int_equal(totals[0].count[0], w->n);
    all.max_blocks = 8;
    assert_int_equal(heap_caps_get_per_task_info(&all), 2); /* B's two */
    all.totals = NULL;
    all.num_totals = NULL;
    all.blocks = NULL;
    assert_int_equal(heap_caps_get_per_task_info(&all), 0);

    /* Blocks of a task that ended are task NULL's. */
    pthread_barrier_wait(&step); /* 2 */
    pthread_barrier_wait(&step); /* 3: A freed its 8-bit block, B PSRAM */
    pthread_barrier_wait(&step); /* 4 */
    assert_int_equal(pthread_join(a.thread, NULL), 0);
    assert_int_equal(pthread_join(b.thread, NULL), 0);
    pthread_barrier_destroy(&step);
    num = 0;
    assert_int_equal(heap_caps_get_per_task_info(&pr), 3);
    assert_int_equal(num, 1);
    assert_null(totals[0].task);
    assert_int_equal(totals[0].size[0], sum_blocks(&a, C(EXEC), false));
    assert_int_equal(totals[0].size[2], sum_blocks(&a, 0, true) +
                                            sum_blocks(&b, 0, true) -
                                            totals[0].size[0]);
    assert_int_equal(totals[0].count[2], 2);
    for (size_t i = 0; i < a.n; i++)
        heap_caps_free(a.p[i]);
    for (size_t i = 0; i < b.n; i++)
        heap_caps_free(b.p[i]);
    assert_int_equal(ts_errors()->count, 0);
}

/* ---- more owners than the table holds ------------------------------------ */

#define MANY (CAPHEAP_OWNER_SLOTS + 4)

static void others_share_one_record(void **state) {
    (void)state;
    boot();
    static worker_t w[MANY];
    pthread_barrier_t step;
    pthread_barrier_init(&step, NULL, MANY + 1);
    for (int i = 0; i < MANY; i++) {
        w[i] = (worker_t){.name = "many",
                          .n = 1,
                          .size = {64 + 8 * (size_t)i},
                          .caps = {C(8BIT)},
                          .frees = 1u,
                          .step = &step};
        start(&w[i]);
    }
    pthread_barrier_wait(&step); /* 1: each holds one block */
    room_t r;
    get_all(&r);
    assert_int_equal(r.all.task_count, CAPHEAP_OWNER_SLOTS);
    size_t current = 0, blocks = 0, want = 0;
    for (size_t t = 0; t < r.all.task_count; t++) {
        current += r.tasks[t].overall_current_usage;
        for (size_t h = 0; h < r.tasks[t].heap_count; h++)
            blocks += r.tasks[t].heap_stat[h].alloc_count;
    }
    for (int i = 0; i < MANY; i++)
        want += bytes_of(w[i].p[0]);
    assert_int_equal(current, want);
    assert_int_equal(blocks, MANY);
    assert_int_equal(r.all.alloc_count, MANY);
    const task_stat_t *o = find_task(&r.all, CAPHEAP_OWNER_OTHERS);
    assert_ptr_equal(o, &r.tasks[r.all.task_count - 1]); /* the last slot */
    assert_string_equal(o->name, "(others)");
    assert_true(o->is_alive);
    assert_int_equal(o->heap_count, 1);
    const heap_stat_t *any = &o->heap_stat[0];
    assert_string_equal(any->name, "(any)");
    assert_int_equal(any->caps, 0);
    assert_int_equal(any->size, heap_caps_get_total_size(0));
    assert_int_equal(any->alloc_count, MANY - (CAPHEAP_OWNER_SLOTS - 1));
    size_t in_others = 0;
    for (size_t k = 0; k < any->alloc_count; k++) {
        assert_ptr_equal(any->alloc_stat[k].task, o->handle);
        assert_int_equal(any->alloc_stat[k].size,
                         bytes_of(any->alloc_stat[k].address));
        in_others += any->alloc_stat[k].size;
    }
    assert_int_equal(in_others, any->current_usage);
    for (size_t t = 0; t + 1 < r.all.task_count; t++) {
        assert_string_equal(r.tasks[t].name, "many");
        assert_true(r.tasks[t].is_alive);
    }
    for (int s = 2; s <= 4; s++)
        pthread_barrier_wait(&step); /* they free and end */
    for (int i = 0; i < MANY; i++)
        assert_int_equal(pthread_join(w[i].thread, NULL), 0);
    pthread_barrier_destroy(&step);
    get_all(&r);
    assert_int_equal(r.all.alloc_count, 0);
    assert_int_equal(ts_errors()->count, 0);
}

/* ---- the printed reports, line by line ------------------------------------
 */

/* What a print call wrote through capheap's output (stdout), and to a
 * FILE *: the same, or the test fails. Free the text. */
typedef void (*print_fn)(FILE *stream, TaskHandle_t task);

static char *printed(print_fn fn, TaskHandle_t task) {
    ts_capture_t cap;
    ts_capture_begin(&cap, false);
    fn(NULL, task);
    char *text = ts_capture_end(&cap);
    FILE *f = tmpfile();
    assert_non_null(f);
    fn(f, task);
    long n = ftell(f);
    assert_true(n >= 0);
    char *again = calloc(1, (size_t)n + 1);
    rewind(f);
    assert_int_equal(fread(again, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    assert_string_equal(again, text);
    free(again);
    return text;
}

static void print_all(FILE *s, TaskHandle_t t) {
    (void)t;
    heap_caps_print_all_task_stat(s);
}
static void print_all_overview(FILE *s, TaskHandle_t t) {
    (void)t;
    heap_caps_print_all_task_stat_overview(s);
}
static void print_one(FILE *s, TaskHandle_t t) {
    heap_caps_print_single_task_stat(s, t);
}
static void print_one_overview(FILE *s, TaskHandle_t t) {
    heap_caps_print_single_task_stat_overview(s, t);
}

/* The text expected, a line at a time. */
typedef struct {
    char text[8192];
    size_t len;
} lines_t;

static void line(lines_t *l, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->text + l->len, sizeof l->text - l->len, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof l->text - l->len - 1);
    l->len += (size_t)n;
    l->text[l->len++] = '\n';
    l->text[l->len] = '\0';
}

/* Compare line by line, for a message that names the first difference. */
static void assert_lines(const char *got, const lines_t *want) {
    const char *g = got, *w = want->text;
    for (int n = 1; *g || *w; n++) {
        size_t gl = strcspn(g, "\n"), wl = strcspn(w, "\n");
        if (gl != wl || memcmp(g, w, gl) != 0)
            fail_msg("line %d:\n got: %.*s\nwant: %.*s", n, (int)gl, g, (int)wl,
                     w);
        g += gl + (g[gl] == '\n');
        w += wl + (w[wl] == '\n');
    }
}

/* The lines of one task: its own, its heaps' and their blocks'. */
static void task_lines(lines_t *l, const model_t *m, const char *name,
                       bool alive, bool last) {
    capheap_caps_t *ch = heap_caps_capheap();
    line(l,
         "%s %s: %s, CURRENT MEMORY USAGE %zu, PEAK MEMORY USAGE %zu, TOTAL "
         "HEAP USED %zu:",
         last ? "└" : "├", alive ? "ALIVE" : "DELETED", name, model_current(m),
         model_peak(m), m->heaps);
    const char *bar = last ? " " : "│";
    for (size_t i = 0; i < m->heaps; i++) {
        const model_heap_t *h = &m->heap[i];
        bool last_heap = i + 1 == m->heaps;
        size_t size = type_size(h->tag);
        line(l,
             "%s    %s HEAP: %s, CAPS: 0x%08x, SIZE: %zu, USAGE: CURRENT %zu "
             "(%zu%%), PEAK %zu (%zu%%), ALLOC COUNT: %zu",
             bar, last_heap ? "└" : "├", ch->types[h->tag].name,
             (unsigned)ch->types[h->tag].all, size, h->current,
             h->current * 100 / size, h->peak, h->peak * 100 / size, h->count);
        for (size_t k = 0; k < h->count; k++)
            line(l, "%s    %s    ├ ALLOC %p, SIZE %zu", bar,
                 last_heap ? " " : "│", h->block[k], bytes_of(h->block[k]));
    }
}

static void rule(lines_t *l, const char *left, const char *mid,
                 const char *right) {
    static const int width[] = {20, 9, 22, 19, 17};
    char text[400] = "";
    strcat(text, left);
    for (int c = 0; c < 5; c++) {
        for (int i = 0; i < width[c]; i++)
            strcat(text, "─");
        strcat(text, c < 4 ? mid : right);
    }
    line(l, "%s", text);
}

static void overview_lines(lines_t *l, const model_t *const *m,
                           const char *const *name, const bool *alive,
                           size_t n) {
    rule(l, "┌", "┬", "┐");
    line(l, "│ TASK               │ STATUS  │ CURRENT MEMORY USAGE │ PEAK "
            "MEMORY USAGE │ TOTAL HEAP USED │");
    rule(l, "├", "┼", "┤");
    for (size_t i = 0; i < n; i++)
        line(l, "│ %18s │ %7s │ %20zu │ %17zu │ %15zu │", name[i],
             alive[i] ? "ALIVE  " : "DELETED", model_current(m[i]),
             model_peak(m[i]), m[i]->heaps);
    rule(l, "└", "┴", "┘");
}

static void reports_print_every_figure(void **state) {
    (void)state;
    boot();
    /* A task that ends first, then one that keeps ten blocks in DRAM (more
     * than a batch of the printer) while the reports are printed. */
    worker_t a = {.name = "printer_a",
                  .n = 2,
                  .size = {100, 64},
                  .caps = {C(DMA), C(EXEC)}};
    start(&a);
    assert_int_equal(pthread_join(a.thread, NULL), 0);
    pthread_barrier_t step;
    pthread_barrier_init(&step, NULL, 2);
    worker_t b = {.name = "printer_b",
                  .n = 4,
                  .size = {16, 24, 32, 40},
                  .caps = {C(8BIT), C(8BIT), C(8BIT), C(8BIT)},
                  .step = &step};
    start(&b);
    pthread_barrier_wait(&step); /* 1: allocated */
    model_t ma = model_of(&a), mb = model_of(&b);

    lines_t want = {"", 0};
    task_lines(&want, &ma, ended_name(a.owner), false, false);
    task_lines(&want, &mb, "printer_b", true, true);
    char *text = printed(print_all, NULL);
    assert_lines(text, &want);
    free(text);

    want.len = 0;
    want.text[0] = '\0';
    task_lines(&want, &mb, "printer_b", true, true);
    text = printed(print_one, (TaskHandle_t)b.owner);
    assert_lines(text, &want);
    free(text);

    const model_t *models[] = {&ma, &mb};
    const char *names[] = {ended_name(a.owner), "printer_b"};
    const bool alive[] = {false, true};
    want.len = 0;
    want.text[0] = '\0';
    overview_lines(&want, models, names, alive, 2);
    text = printed(print_all_overview, NULL);
    assert_lines(text, &want);
    free(text);

    want.len = 0;
    want.text[0] = '\0';
    overview_lines(&want, &models[0], &names[0], &alive[0], 1);
    text = printed(print_one_overview, (TaskHandle_t)a.owner);
    assert_lines(text, &want);
    free(text);

    /* The caller has no record: nothing. */
    text = printed(print_one, NULL);
    assert_string_equal(text, "");
    free(text);
    text = printed(print_one_overview, NULL);
    assert_string_equal(text, "");
    free(text);

    /* The caller with twelve blocks in one heap: the printer's batches of
     * eight, and the rest. */
    enum { MINE = 12 };
    void *mine[MINE];
    size_t current = 0;
    for (int i = 0; i < MINE; i++) {
        mine[i] = heap_caps_malloc(8 + 8 * (size_t)i, C(8BIT));
        assert_non_null(mine[i]);
        current += bytes_of(mine[i]);
    }
    qsort(mine, MINE, sizeof mine[0], by_address);
    unsigned tag = tag_of(mine[0]);
    for (int i = 1; i < MINE; i++)
        assert_int_equal(tag_of(mine[i]), tag);
    char me[CAPHEAP_TASK_NAME_LEN];
    assert_true(
        capheap_port_owner_describe(capheap_port_owner(), me, sizeof me));
    size_t size = type_size(tag);
    capheap_caps_t *ch = heap_caps_capheap();
    want.len = 0;
    want.text[0] = '\0';
    line(&want,
         "└ ALIVE: %s, CURRENT MEMORY USAGE %zu, PEAK MEMORY USAGE %zu, "
         "TOTAL HEAP USED 1:",
         me, current, current);
    line(&want,
         "     └ HEAP: %s, CAPS: 0x%08x, SIZE: %zu, USAGE: CURRENT %zu "
         "(%zu%%), PEAK %zu (%zu%%), ALLOC COUNT: %d",
         ch->types[tag].name, (unsigned)ch->types[tag].all, size, current,
         current * 100 / size, current, current * 100 / size, MINE);
    for (int i = 0; i < MINE; i++)
        line(&want, "          ├ ALLOC %p, SIZE %zu", mine[i],
             bytes_of(mine[i]));
    text = printed(print_one, NULL);
    assert_lines(text, &want);
    free(text);
    for (int i = 0; i < MINE; i++)
        heap_caps_free(mine[i]);

    pthread_barrier_wait(&step); /* 2 */
    pthread_barrier_wait(&step); /* 3 */
    pthread_barrier_wait(&step); /* 4 */
    assert_int_equal(pthread_join(b.thread, NULL), 0);
    pthread_barrier_destroy(&step);
    for (size_t i = 0; i < a.n; i++)
        heap_caps_free(a.p[i]);
    for (size_t i = 0; i < b.n; i++)
        heap_caps_free(b.p[i]);
    assert_int_equal(ts_errors()->count, 0);
}

/* ---- consistency while threads allocate -----------------------------------
 */

#define RACERS 3

static atomic_bool racing;

static void *race(void *arg) {
    static const uint32_t masks[] = {C(8BIT), C(DMA), C(SPIRAM), C(EXEC),
                                     C(32BIT)};
    ts_rng_t rng;
    ts_rng_seed(&rng, (uint64_t)(uintptr_t)arg);
    void *held[16] = {0};
    while (atomic_load(&racing)) {
        unsigned i = (unsigned)ts_rng_range(&rng, 0, 15);
        if (held[i]) {
            heap_caps_free(held[i]);
            held[i] = NULL;
        } else {
            uint32_t caps = masks[ts_rng_range(&rng, 0, 4)];
            held[i] =
                heap_caps_malloc((size_t)ts_rng_range(&rng, 1, 300), caps);
        }
    }
    for (int i = 0; i < 16; i++)
        heap_caps_free(held[i]);
    return NULL;
}

/* Each call's figures and blocks are one moment's: a heap's blocks sum to
 * its current usage, a task's heaps to its own, and the first report's
 * totals to the blocks it lists. */
static void figures_agree_while_threads_allocate(void **state) {
    (void)state;
    boot();
    atomic_store(&racing, true);
    pthread_t t[RACERS];
    for (uintptr_t i = 0; i < RACERS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, race, (void *)(i + 1)), 0);
    FILE *sink = fopen("/dev/null", "w");
    assert_non_null(sink);
    static room_t r;
    int rounds = (int)(200 * ts_scale()) + 10;
    for (int n = 0; n < rounds; n++) {
        get_all(&r);
        for (size_t k = 0; k < r.all.task_count; k++) {
            const task_stat_t *ts = &r.tasks[k];
            assert_non_null(ts->heap_stat);
            size_t current = 0;
            for (size_t h = 0; h < ts->heap_count; h++) {
                const heap_stat_t *hs = &ts->heap_stat[h];
                current += hs->current_usage;
                assert_true(hs->current_usage <= hs->peak_usage);
                size_t sum = 0;
                for (size_t b = 0; hs->alloc_stat && b < hs->alloc_count; b++) {
                    assert_ptr_equal(hs->alloc_stat[b].task, ts->handle);
                    sum += hs->alloc_stat[b].size;
                }
                assert_int_equal(sum, hs->current_usage);
            }
            assert_int_equal(current, ts->overall_current_usage);
        }
        heap_task_totals_t totals[CAPHEAP_OWNER_SLOTS];
        size_t num = 0;
        heap_task_info_params_t pr = {
            {0},      {0}, NULL, 0, totals, &num, CAPHEAP_OWNER_SLOTS,
            r.blocks, 256};
        size_t listed = heap_caps_get_per_task_info(&pr);
        if (listed < 256) { /* every block listed: the totals agree */
            size_t by_totals = 0, by_blocks = 0;
            for (size_t k = 0; k < num; k++)
                by_totals += totals[k].size[0];
            for (size_t b = 0; b < listed; b++)
                by_blocks += r.blocks[b].size;
            assert_int_equal(by_totals, by_blocks);
        }
        if (n % 16 == 0) {
            heap_caps_print_all_task_stat(sink);
            heap_caps_print_all_task_stat_overview(sink);
        }
    }
    atomic_store(&racing, false);
    for (int i = 0; i < RACERS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    fclose(sink);
    get_all(&r);
    assert_int_equal(r.all.alloc_count, 0);
    assert_true(heap_caps_check_integrity_all(true));
    assert_int_equal(ts_errors()->count, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(figures_follow_the_threads),
        cmocka_unit_test(calling_task_and_room),
        cmocka_unit_test(arrays_hold_everything_and_themselves),
        cmocka_unit_test(a_task_checks_itself),
        cmocka_unit_test(a_task_is_listed_alive_then_deleted),
        cmocka_unit_test(totals_by_partition),
        cmocka_unit_test(others_share_one_record),
        cmocka_unit_test(reports_print_every_figure),
        cmocka_unit_test(figures_agree_while_threads_allocate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
