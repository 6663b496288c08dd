/**
 * @file esp_heap_task_info.h
 * @brief ESP-IDF's per-task heap statistics, over capheap's per-owner
 * accounting.
 *
 * ESP-IDF's names, types and return codes. Like ESP-IDF's header, which
 * declares everything only with CONFIG_HEAP_TASK_TRACKING, this one
 * declares everything only with CAPHEAP_OWNERS (which
 * CONFIG_HEAP_TASK_TRACKING turns on, capheap/config.h): without it the
 * header is empty and none of these functions exists.
 *
 * **Tasks.** A task is an owner of capheap's accounting
 * (capheap_port_owner()): on FreeRTOS the task (its TaskHandle_t; owner
 * NULL, before the scheduler starts, is the task "Pre-scheduler", as on
 * ESP-IDF); on a Linux host a thread, whose TaskHandle_t is a stand-in
 * carrying its kernel thread id; on bare metal the one owner 0, "main".
 * Without FreeRTOS, TaskHandle_t is declared here as FreeRTOS 10 and later
 * declare it (a pointer to struct tskTaskControlBlock), so a file that
 * also includes FreeRTOS's task.h sees one type. NULL as a handle argument
 * means the calling task. Names and is_alive come from
 * capheap_port_owner_describe() (capheap/port.h): a task's own name while
 * it runs; a task that ended is_alive false, named by a placeholder
 * ("thread <id>" on Linux, its handle in hexadecimal on FreeRTOS), since,
 * unlike ESP-IDF, capheap keeps no copy of names. What a port cannot tell
 * it reports running: is_alive false means known to have ended.
 *
 * A table full of owners (CAPHEAP_OWNER_SLOTS) sends new owners' blocks to
 * one shared slot: they appear as the task "(others)", handle
 * CAPHEAP_OWNER_OTHERS cast to TaskHandle_t, with one heap named "(any)"
 * (caps 0, size of every heap together) for all their blocks.
 *
 * **Deleted tasks** (ESP-IDF's CONFIG_HEAP_TRACK_DELETED_TASKS, always on
 * here): an owner's record outlives its last block, peak kept, so a task
 * that ended stays listed with is_alive false, until a new owner needs its
 * slot in a full table (only a record without live blocks is given up).
 *
 * **Heaps.** ESP-IDF has a heap per memory region; capheap has one per
 * memory type (a tag: the chip's DRAM, D/IRAM, SPIRAM, ...), whose regions
 * its blocks share, and keeps an owner's figures per type. So a task's
 * heap_stat_t is one memory type: name the type's (ESP-IDF names its
 * regions' heaps by type too: one heap_stat_t here sums what ESP-IDF shows
 * as several of the same name), caps all of the type's capabilities (OR of
 * its priority levels), size the bytes of all its regions. A task's heaps
 * are in the order of the types; a task's blocks in a heap in address order
 * (regions in the order they were added).
 *
 * **Figures.** current_usage, peak_usage and a block's size count the
 * block as the owner accounting does (capheap_owned_block_t::bytes): the
 * usable size, the tail canary and the rounding, without capheap's header
 * and debug prefix (ESP-IDF counts its whole block). So the sizes of a
 * heap's alloc_stat sum to its current_usage, which alloc_count blocks
 * make up. overall_current_usage is the sum over the task's heaps;
 * overall_peak_usage is the sum of their peaks, which capheap keeps per
 * heap only: the task's true peak when it used one heap, an upper bound of
 * it otherwise. An address is the block's data-bus address (an EXEC block
 * served through the instruction bus is listed at its D/IRAM address).
 *
 * **Consistency.** The get functions take the figures and the blocks in
 * one hold of the heap's lock, so they agree exactly even while other
 * threads allocate; the names are read after it. The print functions
 * print each heap's blocks a few at a time, each batch with the lock held
 * only while it is gathered (nothing is printed with the lock held), so
 * lines printed while other threads allocate may disagree by what those
 * threads did in between.
 *
 * **Arrays.** heap_caps_alloc_all_task_stat_arrays() and
 * heap_caps_alloc_single_task_stat_arrays() allocate their arrays in one
 * block of the system heap (malloc()'s memory), which belongs to the
 * caller like any block, so statistics taken afterwards show it: the
 * arrays have room for it.
 *
 * **Cost.** The get functions and heap_caps_get_per_task_info() walk the
 * heap's blocks once (O(blocks), the lock held during the walk, as
 * heap_caps_walk() does), the two non-overview print functions once per
 * batch of 8 blocks of each heap they print; the array functions and the
 * overviews read the owner table only (O(CAPHEAP_OWNER_SLOTS)). Each call
 * keeps a copy of the owner table on its stack: about 1 KB on a 32-bit
 * target. Diagnostic use. Nothing here may be called from an interrupt
 * handler.
 *
 * Threads: every function may run concurrently with every other heap
 * function on any thread, but a print function's output interleaves with
 * other output (see capheap_printf()).
 */
#ifndef CAPHEAP_COMPAT_ESP_HEAP_TASK_INFO_H
#define CAPHEAP_COMPAT_ESP_HEAP_TASK_INFO_H

#include "capheap/config.h"

#if CAPHEAP_OWNERS

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "esp_err.h"

#ifdef CAPHEAP_PORT_FREERTOS
#include "FreeRTOS.h"
#include "task.h"
/** Bytes of task_stat_t::name: FreeRTOS's, NUL included. */
#define CAPHEAP_TASK_NAME_LEN configMAX_TASK_NAME_LEN
#else
/* FreeRTOS 10's own declaration: compatible with it when both are seen. */
struct tskTaskControlBlock;
/** A task: here a stand-in carrying the owner (see the file comment). */
typedef struct tskTaskControlBlock *TaskHandle_t;
/** Bytes of task_stat_t::name, NUL included: FreeRTOS's default. */
#define CAPHEAP_TASK_NAME_LEN 16
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** Capability partitions heap_caps_get_per_task_info() can sum into. */
#define NUM_HEAP_TASK_CAPS 4

/** One task's totals from heap_caps_get_per_task_info(), per partition. */
typedef struct {
    TaskHandle_t task;                /**< the task these totals are of */
    size_t size[NUM_HEAP_TASK_CAPS];  /**< bytes of its blocks per partition */
    size_t count[NUM_HEAP_TASK_CAPS]; /**< its blocks per partition */
} heap_task_totals_t;

/** A live block and the task that allocated (or last reallocated) it. */
typedef struct {
    TaskHandle_t task; /**< its task */
    void *address;     /**< the block's address */
    uint32_t size;     /**< its bytes (see "Figures" in the file comment) */
} heap_task_block_t;

/**
 * What heap_caps_get_per_task_info() is asked. A block's heap falls in the
 * first partition i whose (heap caps & mask[i]) == caps[i] (caps[0] and
 * mask[0] both 0: one partition for everything); blocks of heaps that
 * match none are left out. totals holds the tasks found, *num_totals of
 * them on entry (their sums are reset, their order kept, so consecutive
 * calls line up) and on return, at most max_totals (more tasks are not
 * counted). blocks receives up to max_blocks blocks, of the num_tasks
 * tasks in tasks, or of every task when tasks is NULL. totals, blocks and
 * tasks may be NULL; num_totals may be NULL when totals is.
 */
typedef struct {
    int32_t caps[NUM_HEAP_TASK_CAPS]; /**< per partition: caps to match */
    int32_t mask[NUM_HEAP_TASK_CAPS]; /**< per partition: caps looked at */
    TaskHandle_t *tasks;        /**< tasks whose blocks are listed, or NULL */
    size_t num_tasks;           /**< entries of tasks */
    heap_task_totals_t *totals; /**< per-task totals, or NULL */
    size_t *num_totals;         /**< entries of totals in use (in and out) */
    size_t max_totals;          /**< room in totals */
    heap_task_block_t *blocks;  /**< the blocks listed, or NULL */
    size_t max_blocks;          /**< room in blocks */
} heap_task_info_params_t;

/** One task's use of one heap (see "Heaps" in the file comment). */
typedef struct {
    const char *name;              /**< the heap's memory type */
    uint32_t caps;                 /**< every capability of the heap */
    size_t size;                   /**< bytes of the heap's regions */
    size_t current_usage;          /**< the task's bytes in it now */
    size_t peak_usage;             /**< the most current_usage has been */
    size_t alloc_count;            /**< the task's live blocks in it */
    heap_task_block_t *alloc_stat; /**< those blocks, or NULL */
} heap_stat_t;

/** One task's statistics. */
typedef struct {
    char name[CAPHEAP_TASK_NAME_LEN]; /**< the task's name */
    TaskHandle_t handle;              /**< the task */
    bool is_alive;                    /**< false: known to have ended */
    size_t overall_peak_usage;        /**< sum of its heaps' peaks */
    size_t overall_current_usage;     /**< its bytes in every heap now */
    size_t heap_count;                /**< heaps it has used */
    heap_stat_t *heap_stat;           /**< its heaps, or NULL */
} task_stat_t;

/** One task's statistics with the caller's arrays for its heaps and
 * blocks. Each count is the room in its array on entry, the entries filled
 * on return. */
typedef struct {
    task_stat_t stat;                    /**< the task (out) */
    size_t heap_count;                   /**< entries of heap_stat_start */
    heap_stat_t *heap_stat_start;        /**< array for the heaps */
    size_t alloc_count;                  /**< entries of alloc_stat_start */
    heap_task_block_t *alloc_stat_start; /**< array for the blocks */
} heap_single_task_stat_t;

/** Every task's statistics in the caller's arrays. Each count is the room
 * in its array on entry, the entries filled on return. */
typedef struct {
    size_t task_count;                   /**< entries of stat_arr */
    task_stat_t *stat_arr;               /**< array for the tasks */
    size_t heap_count;                   /**< entries of heap_stat_start */
    heap_stat_t *heap_stat_start;        /**< array for the heaps */
    size_t alloc_count;                  /**< entries of alloc_stat_start */
    heap_task_block_t *alloc_stat_start; /**< array for the blocks */
} heap_all_tasks_stat_t;

/**
 * ESP-IDF's first per-task report: per-task totals per capability
 * partition, and a list of blocks (see heap_task_info_params_t). A block
 * of a task known to have ended is counted for task NULL, as on ESP-IDF.
 * Blocks in the order of heap_caps_walk(). O(blocks * (tasks + partitions)).
 * @return the number of blocks written to params->blocks (0 for NULL
 *         params).
 */
size_t heap_caps_get_per_task_info(heap_task_info_params_t *params);

/**
 * Every task's statistics into the caller's arrays (fields "in"), then the
 * counts of entries filled into their count fields. Tasks in the order of
 * the owner table. A task whose heaps do not all fit in the room left in
 * heap_stat_start gets heap_stat NULL (later tasks may still fit); a heap
 * whose blocks do not all fit in the room left in alloc_stat_start, or that
 * has none, gets alloc_stat NULL. Before the system heap exists: no task.
 * @return ESP_OK; ESP_ERR_INVALID_ARG for NULL @p tasks_stat, or an array
 *         NULL with room above 0.
 */
esp_err_t heap_caps_get_all_task_stat(heap_all_tasks_stat_t *tasks_stat);

/**
 * The statistics of task @p task_handle (NULL: the calling task) into
 * @p task_stat: stat, its heaps into heap_stat_start as far as they fit
 * (stat.heap_stat points there), the blocks of each heap into
 * alloc_stat_start when all of them fit in the room left (else, or for a
 * heap without blocks, alloc_stat NULL); heap_count and alloc_count then
 * say how many entries were filled.
 * @return ESP_OK; ESP_FAIL when the task has no record (nothing written);
 *         ESP_ERR_INVALID_ARG as heap_caps_get_all_task_stat().
 */
esp_err_t heap_caps_get_single_task_stat(heap_single_task_stat_t *task_stat,
                                         TaskHandle_t task_handle);

/**
 * Print every task with its heaps and their blocks, as ESP-IDF's does:
 * per task "├ ALIVE: <name>, CURRENT MEMORY USAGE <n>, PEAK MEMORY USAGE
 * <n>, TOTAL HEAP USED <n>:" (└ for the last, DELETED for a task that
 * ended), per heap "│    ├ HEAP: <name>, CAPS: 0x%08x, SIZE: <n>, USAGE:
 * CURRENT <n> (<p>%), PEAK <n> (<p>%), ALLOC COUNT: <n>", per block
 * "│    │    ├ ALLOC <address>, SIZE <n>". To @p stream, or when it is
 * NULL through capheap's output (capheap_printf(): stdout by default).
 * Nothing with CAPHEAP_OUTPUT 0.
 */
void heap_caps_print_all_task_stat(FILE *stream);

/**
 * Print one table row per task, as ESP-IDF's does: name, ALIVE or DELETED,
 * current and peak usage, heaps used, between a header and a closing line.
 * Nothing when there is no task. Output as heap_caps_print_all_task_stat().
 */
void heap_caps_print_all_task_stat_overview(FILE *stream);

/** heap_caps_print_all_task_stat() of task @p task_handle alone (NULL: the
 * calling task); nothing when it has no record. */
void heap_caps_print_single_task_stat(FILE *stream, TaskHandle_t task_handle);

/** heap_caps_print_all_task_stat_overview() of task @p task_handle alone
 * (NULL: the calling task); nothing when it has no record. */
void heap_caps_print_single_task_stat_overview(FILE *stream,
                                               TaskHandle_t task_handle);

/**
 * Allocate arrays for heap_caps_get_single_task_stat() of @p task_handle
 * (NULL: the calling task) and set @p task_stat's arrays and room: enough
 * for the task's heaps and blocks, and, when it is the caller, for the
 * block of the arrays themselves. A task without a record, or known to have
 * ended, gets none: room 0, arrays NULL, ESP_OK.
 * @return ESP_OK; ESP_FAIL when the allocation fails (arrays NULL, room 0);
 *         ESP_ERR_INVALID_ARG for NULL @p task_stat.
 */
esp_err_t
heap_caps_alloc_single_task_stat_arrays(heap_single_task_stat_t *task_stat,
                                        TaskHandle_t task_handle);

/** Free what heap_caps_alloc_single_task_stat_arrays() allocated (the
 * structure as it and the get function left it); arrays NULL, room 0 after.
 * NULL @p task_stat does nothing. */
void heap_caps_free_single_task_stat_arrays(heap_single_task_stat_t *task_stat);

/**
 * Allocate arrays for heap_caps_get_all_task_stat() and set @p tasks_stat's
 * arrays and room: enough for every task, heap and block, and for the
 * block of the arrays themselves. No task at all: room 0, arrays NULL.
 * @return ESP_OK; ESP_FAIL when the allocation fails (arrays NULL, room 0);
 *         ESP_ERR_INVALID_ARG for NULL @p tasks_stat.
 */
esp_err_t
heap_caps_alloc_all_task_stat_arrays(heap_all_tasks_stat_t *tasks_stat);

/** Free what heap_caps_alloc_all_task_stat_arrays() allocated; arrays NULL,
 * room 0 after. NULL @p tasks_stat does nothing. */
void heap_caps_free_all_task_stat_arrays(heap_all_tasks_stat_t *tasks_stat);

#ifdef __cplusplus
}
#endif

#endif /* CAPHEAP_OWNERS */

#endif /* CAPHEAP_COMPAT_ESP_HEAP_TASK_INFO_H */
