/*
 * test_cxx.cpp - capheap from C++17: the native API (a tagged-region heap,
 * a capability heap over a chip described in C++) and the ESP-IDF API on
 * the simulated ESP32 (heap_caps_malloc by caps, heap_caps_get_info,
 * multi_heap, heap_memory_layout.h's tables and a SOC_RESERVE_MEMORY_REGION
 * record written in C++), with the results checked; and the public
 * structures laid out as the C compiler lays them out (layout.c). ESP-IDF's
 * capability values and its runtime-region rule, as C++ sees them.
 */
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>

#include <capheap/caps.h>
#include <capheap/heap.h>
#include <capheap/malloc.h>
#include <capheap/output.h>
#include <capheap/port.h>
#include <capheap/port_irq.h>
#include <capheap/port_spinlock.h>
#include <capheap/sim.h>
#include <esp_heap_alloc_caps.h>
#include <esp_heap_caps.h>
#include <esp_heap_caps_init.h>
#include <esp_heap_caps_internal.h>
#include <heap_memory_layout.h>
#include <esp_heap_task_info.h>
#include <multi_heap.h>

#include "layout.h"

namespace {

int failures = 0;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            std::printf("%s:%d: check failed: %s\n", __FILE__, __LINE__,       \
                        #cond);                                                \
            failures++;                                                        \
        }                                                                      \
    } while (0)

bool inside(const void *p, const void *lo, std::size_t len) {
    auto a = reinterpret_cast<std::uintptr_t>(p);
    auto l = reinterpret_cast<std::uintptr_t>(lo);
    return a >= l && a - l < len;
}

/* ---- layouts: the C++ view of each structure is the C one ----------------
 */
void layouts_match_c() {
    const std::size_t cxx[CXX_LAYOUT_COUNT] = {
        sizeof(capheap_caps_t),
        offsetof(capheap_caps_t, type_count),
        offsetof(capheap_caps_t, types),
        offsetof(capheap_caps_t, cache),
        offsetof(capheap_caps_t, heap_storage),
        sizeof(capheap_caps_type_t),
        offsetof(capheap_caps_type_t, reserve),
        sizeof(capheap_caps_slot_t),
        offsetof(capheap_caps_slot_t, choice),
        sizeof(capheap_chip_t),
        sizeof(capheap_region_desc_t),
        sizeof(capheap_chip_options_t),
        sizeof(capheap_stats_t),
        sizeof(multi_heap_info_t),
        sizeof(capheap_spinlock_t),
        alignof(capheap_spinlock_t),
        alignof(capheap_caps_t),
        sizeof(capheap_caps_reservation_t),
        alignof(capheap_caps_reservation_t),
        sizeof(soc_memory_region_t),
        offsetof(soc_memory_region_t, startup_stack),
#if CAPHEAP_OWNERS
        sizeof(task_stat_t),
        offsetof(task_stat_t, heap_stat),
        sizeof(heap_stat_t),
        sizeof(heap_task_block_t),
        sizeof(heap_task_info_params_t),
        sizeof(heap_all_tasks_stat_t),
        sizeof(heap_single_task_stat_t),
#else
        0, 0, 0, 0, 0, 0, 0,
#endif
    };
    for (int i = 0; i < CXX_LAYOUT_COUNT; i++) {
        if (cxx[i] != cxx_c_layout(i)) {
            std::printf("layout %d: C++ %zu, C %zu\n", i, cxx[i],
                        cxx_c_layout(i));
            failures++;
        }
    }
}

/* ---- ESP-IDF's capability bits and its runtime-region rule ---------------
 */
static_assert(MALLOC_CAP_SPM == 1u << 16 && MALLOC_CAP_SCP == MALLOC_CAP_SPM &&
                  MALLOC_CAP_TCM == MALLOC_CAP_SPM,
              "bit 16 under its three names");
static_assert(MALLOC_CAP_SPIRAM_NO_ENC == 1u << 21, "ESP-IDF's value");
static_assert(MALLOC_CAP_SIMD == 1u << 20 && MALLOC_CAP_INVALID == 1u << 31,
              "ESP-IDF's values");

/* Where ESP-IDF code marks what must run with the flash cache off (nothing
 * on a host). */
HEAP_IRAM_ATTR int cache_safe_twice(int x) {
    return 2 * x;
}

void region_rule() {
    /* Against [0x1000, 0x3000): beside and inside allowed, straddling and
     * the same range refused. */
    CHECK(heap_caps_check_add_region_allowed(0x1000, 0x3000, 0x0, 0x1000));
    CHECK(heap_caps_check_add_region_allowed(0x1000, 0x3000, 0x3000, 0x4000));
    CHECK(heap_caps_check_add_region_allowed(0x1000, 0x3000, 0x1001, 0x2999));
    CHECK(!heap_caps_check_add_region_allowed(0x1000, 0x3000, 0x0, 0x2000));
    CHECK(!heap_caps_check_add_region_allowed(0x1000, 0x3000, 0x2000, 0x4000));
    CHECK(!heap_caps_check_add_region_allowed(0x1000, 0x3000, 0x1000, 0x3000));
    CHECK(capheap_caps_add_region_allowed(0x1000, 0x3000, 0x1000, 0x2000));
    CHECK(!capheap_caps_add_region_allowed(0x1000, 0x3000, 0x0, 0x4000));
    CHECK(cache_safe_twice(21) == 42);
}

/* ---- the tagged-region heap ---------------------------------------------
 */
alignas(16) unsigned char arena0[32 * 1024];
alignas(16) unsigned char arena1[32 * 1024];
alignas(void *) unsigned char storage[CAPHEAP_HEAP_STORAGE_SIZE(2, 2)];

void native_heap() {
    capheap_heap_t *h = capheap_heap_init(storage, sizeof storage, 2, 2);
    CHECK(h != nullptr);
    if (!h)
        return;
    CHECK(capheap_heap_add_region(h, arena0, sizeof arena0, 0) == CAPHEAP_OK);
    CHECK(capheap_heap_add_region(h, arena1, sizeof arena1, 1) == CAPHEAP_OK);
    std::size_t free1 = capheap_heap_free_bytes(h, 1);
    void *a = capheap_heap_alloc(h, 0, 1000);
    void *b = capheap_heap_alloc(h, 1, 3000);
    CHECK(inside(a, arena0, sizeof arena0));
    CHECK(inside(b, arena1, sizeof arena1));
    CHECK(capheap_heap_block_tag(h, b) == 1);
    CHECK(capheap_heap_usable_size(h, b) >= 3000);
    CHECK(capheap_heap_free_bytes(h, 1) <= free1 - 3000);
    capheap_stats_t st;
    capheap_heap_stats(h, &st);
    CHECK(st.allocated_blocks == 2);
    CHECK(st.allocated_bytes >= 4000);
    CHECK(capheap_heap_check(h, nullptr) == CAPHEAP_OK);
    capheap_heap_free(h, a);
    capheap_heap_free(h, b);
    CHECK(capheap_heap_free_bytes(h, 1) == free1);
    capheap_heap_stats(h, &st);
    CHECK(st.allocated_blocks == 0);
}

/* ---- a capability heap over a chip described in C++ ---------------------
 * RAM serves plain requests first; DMARAM, the only type DMA reaches, is
 * the fallback for them (ESP-IDF's priority levels).
 */
alignas(4096) unsigned char ram[64 * 1024];
alignas(4096) unsigned char dmaram[64 * 1024];
capheap_caps_t ch;

void native_caps() {
    static const capheap_mem_type_t types[] = {
        {"RAM",
         {CAPHEAP_CAP_8BIT | CAPHEAP_CAP_32BIT | CAPHEAP_CAP_DEFAULT, 0, 0}},
        {"DMARAM",
         {CAPHEAP_CAP_DMA | CAPHEAP_CAP_INTERNAL,
          CAPHEAP_CAP_8BIT | CAPHEAP_CAP_32BIT | CAPHEAP_CAP_DEFAULT, 0}},
    };
    /* Sorted by address, as chip.h asks. */
    const bool ram_first = reinterpret_cast<std::uintptr_t>(ram) <
                           reinterpret_cast<std::uintptr_t>(dmaram);
    capheap_region_desc_t regions[2] = {};
    regions[ram_first ? 0 : 1] = {
        reinterpret_cast<std::uintptr_t>(ram), sizeof ram, 0, false, 0, 0};
    regions[ram_first ? 1 : 0] = {reinterpret_cast<std::uintptr_t>(dmaram),
                                  sizeof dmaram,
                                  1,
                                  false,
                                  0,
                                  0};
    static capheap_region_desc_t sorted[2];
    sorted[0] = regions[0];
    sorted[1] = regions[1];
    static capheap_chip_t chip;
    chip.name = "cxx";
    chip.types = types;
    chip.type_count = 2;
    chip.regions = sorted;
    chip.region_count = 2;
    chip.dma_lo = reinterpret_cast<std::uintptr_t>(dmaram);
    chip.dma_hi = chip.dma_lo + sizeof dmaram;
    chip.cache_line = 4;
    chip.simd_align = 16;
    chip.max_alloc = sizeof ram;
    CHECK(capheap_caps_init(&ch, &chip, nullptr, nullptr, 0) == CAPHEAP_OK);

    void *dma = capheap_caps_alloc(&ch, 512, CAPHEAP_CAP_DMA);
    void *plain = capheap_caps_alloc(&ch, 512, CAPHEAP_CAP_8BIT);
    CHECK(inside(dma, dmaram, sizeof dmaram));
    CHECK(capheap_caps_block_type(&ch, dma) == 1);
    CHECK(inside(plain, ram, sizeof ram));
    CHECK(capheap_caps_block_type(&ch, plain) == 0);
    CHECK(capheap_caps_block_type(&ch, nullptr) == -1);
    CHECK(capheap_caps_alloc(&ch, 16, CAPHEAP_CAP_EXEC) == nullptr);

    /* RAM full: a plain request falls back to DMARAM. Both types have
     * 8BIT|32BIT, so the figures cover both. */
    capheap_stats_t st;
    capheap_caps_stats(&ch, CAPHEAP_CAP_8BIT | CAPHEAP_CAP_32BIT, &st);
    CHECK(st.total_bytes == sizeof ram + sizeof dmaram);
    CHECK(st.allocated_blocks == 2);
    void *big = capheap_caps_alloc(&ch, st.largest_free_block,
                                   CAPHEAP_CAP_8BIT | CAPHEAP_CAP_32BIT);
    CHECK(inside(big, ram, sizeof ram));
    void *spill = capheap_caps_alloc(&ch, 4096, CAPHEAP_CAP_8BIT);
    CHECK(inside(spill, dmaram, sizeof dmaram));
    capheap_caps_stats(&ch, CAPHEAP_CAP_DMA, &st);
    CHECK(st.allocated_blocks == 2);
    CHECK(st.total_bytes == sizeof dmaram);
    CHECK(capheap_caps_total_size(&ch, 0) == sizeof ram + sizeof dmaram);
    CHECK(capheap_caps_check(&ch, 0, nullptr) == CAPHEAP_OK);
    for (void *p : {dma, plain, big, spill})
        capheap_caps_free(&ch, p);
    capheap_caps_stats(&ch, 0, &st);
    CHECK(st.allocated_blocks == 0);
}

/* ---- the ESP-IDF API on the simulated ESP32 (2 MiB of PSRAM) ------------
 */

/* A component written in C++ keeps 4 KiB of the ESP32's DRAM for itself:
 * every build reads the record. */
constexpr std::uintptr_t cxx_lo = 0x3FFD8000, cxx_hi = 0x3FFD9000;
SOC_RESERVE_MEMORY_REGION(cxx_lo, cxx_hi, cxx_block);
std::size_t failed_size;
uint32_t failed_caps;

/* Whether the simulated ESP32 can be mapped at its own addresses here:
 * under qemu-i386 the emulator's stack holds them (what holds them goes to
 * @p who). */
bool esp32_mappable(char *who, std::size_t size) {
    setenv("CAPHEAP_CHIP", "esp32", 1);
    setenv("CAPHEAP_PSRAM", "2M", 1);
    const capheap_chip_t *chip = nullptr;
    capheap_chip_options_t opts;
    CHECK(capheap_sim_options_from_env(&chip, &opts) == CAPHEAP_OK);
    return capheap_sim_probe(chip, &opts, who, size) != CAPHEAP_ERR_OVERLAP;
}

void esp_idf_api() {
    heap_caps_init();
    heap_caps_enable_nonos_stack_heaps();

    multi_heap_info_t before, after;
    heap_caps_get_info(&before, MALLOC_CAP_DMA);
    CHECK(before.total_free_bytes == heap_caps_get_free_size(MALLOC_CAP_DMA));
    void *dma = heap_caps_malloc(4096, MALLOC_CAP_DMA);
    CHECK(dma != nullptr && esp_ptr_dma_capable(dma));
    CHECK(heap_caps_get_allocated_size(dma) >= 4096);
    heap_caps_get_info(&after, MALLOC_CAP_DMA);
    CHECK(after.allocated_blocks == before.allocated_blocks + 1);
    CHECK(after.total_free_bytes <= before.total_free_bytes - 4096);
    CHECK(after.total_free_bytes == heap_caps_get_free_size(MALLOC_CAP_DMA));

    /* PSRAM lies at 0x3F800000 on the ESP32; the simulation maps it there. */
    void *frame = heap_caps_malloc(100 * 1024, MALLOC_CAP_SPIRAM);
    CHECK(inside(frame, reinterpret_cast<void *>(0x3F800000), 4u << 20));
    void *internal = heap_caps_malloc(100, MALLOC_CAP_INTERNAL);
    CHECK(internal != nullptr &&
          !inside(internal, reinterpret_cast<void *>(0x3F800000), 4u << 20));
    /* EXEC comes from IRAM, on the instruction bus (0x40070000 up). */
    void *code = heap_caps_malloc(256, MALLOC_CAP_EXEC);
    CHECK(reinterpret_cast<std::uintptr_t>(code) >= 0x40070000u);

    /* The largest free block is what an allocation gets. */
    std::size_t largest = heap_caps_get_largest_free_block(MALLOC_CAP_SPIRAM);
    CHECK(largest > 1024 * 1024);
    void *all = heap_caps_malloc(largest, MALLOC_CAP_SPIRAM);
    CHECK(all != nullptr);
    heap_caps_free(all);

    /* A C++ lambda as the failure callback. */
    heap_caps_register_failed_alloc_callback(
        [](std::size_t size, uint32_t caps, const char *) {
            failed_size = size;
            failed_caps = caps;
        });
    CHECK(heap_caps_malloc(std::size_t(1) << 30, MALLOC_CAP_8BIT) == nullptr);
    CHECK(failed_size == std::size_t(1) << 30);
    CHECK(failed_caps == MALLOC_CAP_8BIT);
    /* No memory of the ESP32 is scratchpad or encryption-exempt PSRAM. */
    for (uint32_t caps :
         {uint32_t(MALLOC_CAP_SPM), uint32_t(MALLOC_CAP_SPIRAM_NO_ENC)}) {
        CHECK(heap_caps_malloc(64, caps) == nullptr);
        CHECK(failed_size == 64 && failed_caps == caps);
        CHECK(heap_caps_get_total_size(caps) == 0);
    }
    heap_caps_register_failed_alloc_callback(nullptr);

    /* malloc's policy: internal memory, not PSRAM. */
    void *m = capheap_malloc(1000);
    CHECK(m != nullptr &&
          !inside(m, reinterpret_cast<void *>(0x3F800000), 4u << 20));
    capheap_free(m);

    CHECK(heap_caps_check_integrity_all(true));
    for (void *p : {dma, frame, internal, code})
        heap_caps_free(p);
    heap_caps_get_info(&after, MALLOC_CAP_DMA);
    CHECK(after.allocated_blocks == before.allocated_blocks);
}

/* heap_memory_layout.h from C++: the tables index as arrays, the record
 * written above is the program's one reservation and no heap holds it. */
void memory_layout() {
    const capheap_caps_reservation_t *list = nullptr;
    CHECK(capheap_system_reservations(&list) == 1);
    CHECK(list && list[0].start == cxx_lo && list[0].end == cxx_hi &&
          std::string(list[0].name) == "cxx_block");
    bool dram = false;
    for (std::size_t i = 0; i < soc_memory_region_count; i++) {
        const soc_memory_region_t &r = soc_memory_regions[i];
        if (r.start <= static_cast<std::intptr_t>(cxx_lo) &&
            static_cast<std::uintptr_t>(r.start) + r.size >= cxx_hi)
            dram = std::string(soc_memory_types[r.type].name) == "DRAM";
    }
    CHECK(dram);
    std::size_t n = soc_get_available_memory_region_max_count();
    CHECK(n > 0);
    auto *avail = new soc_memory_region_t[n];
    CHECK(soc_get_available_memory_regions(avail) == n);
    for (std::size_t k = 0; k < n; k++) {
        auto lo = static_cast<std::uintptr_t>(avail[k].start);
        CHECK(lo + avail[k].size <= cxx_lo || lo >= cxx_hi);
    }
    delete[] avail;
}

/* ---- multi_heap over a C++ array -----------------------------------------
 */
alignas(8) unsigned char mh_arena[16 * 1024];

void multi_heap_api() {
    multi_heap_handle_t h = multi_heap_register(mh_arena, sizeof mh_arena);
    CHECK(h != nullptr);
    if (!h)
        return;
    std::size_t free0 = multi_heap_free_size(h);
    auto *p = static_cast<char *>(multi_heap_malloc(h, 1000));
    CHECK(inside(p, mh_arena, sizeof mh_arena));
    if (p)
        std::memset(p, 0x5a, 1000);
    multi_heap_info_t info;
    multi_heap_get_info(h, &info);
    CHECK(info.allocated_blocks == 1);
    CHECK(info.total_allocated_bytes >= 1000);
    CHECK(info.total_free_bytes <= free0 - 1000);
    CHECK(multi_heap_check(h, true));
    multi_heap_free(h, p);
    CHECK(multi_heap_free_size(h) == free0);
}

/* The spinlock's initialiser in C++ is an unlocked word, as in C. */
void spinlock_initialiser() {
    static capheap_spinlock_t lock = CAPHEAP_SPINLOCK_INIT;
    CHECK(lock.held.load() == 0u);
}

/* The irq port's initialiser is valid C++ too. */
void irq_lock_initialiser() {
    static capheap_irq_lock_t lock = CAPHEAP_IRQ_LOCK_INIT;
    CHECK(lock.unused == 0);
}

/* capheap's formatter from C++: sizes print as %zu. */
void formatter() {
    char buf[64];
    int n =
        capheap_snprintf(buf, sizeof buf, "%zu bytes at %08x in %s",
                         static_cast<std::size_t>(4096), 0x3ffb0000u, "DRAM");
    CHECK(std::string(buf) == "4096 bytes at 3ffb0000 in DRAM");
    CHECK(n == static_cast<int>(std::strlen(buf)));
}

std::string printed; /* what capheap wrote, while capturing */
bool capturing = false;

/* heap_caps_print_heap_info() writes through the application's output
 * function, defined here in C++. */
void heap_info_through_own_output() {
    void *p = heap_caps_malloc(3000, MALLOC_CAP_DMA);
    printed.clear();
    capturing = true;
    heap_caps_print_heap_info(MALLOC_CAP_DMA);
    capturing = false;
    CHECK(printed.find("Heap summary for capabilities 0x00000008:") !=
          std::string::npos);
    CHECK(printed.find("  Totals:\n    free ") != std::string::npos);
    CHECK(printed.find("zu") == std::string::npos);
    heap_caps_free(p);
}

/* ESP-IDF's per-task statistics from C++ (with owner accounting): the
 * caller's blocks, in arrays the API allocates, and the overview printed
 * through the application's output function. */
void task_info_api() {
#if CAPHEAP_OWNERS
    void *p = heap_caps_malloc(500, MALLOC_CAP_DMA);
    heap_all_tasks_stat_t all;
    CHECK(heap_caps_alloc_all_task_stat_arrays(&all) == ESP_OK);
    CHECK(heap_caps_get_all_task_stat(&all) == ESP_OK);
    const task_stat_t *me = nullptr;
    for (std::size_t i = 0; i < all.task_count; i++) {
        if (all.stat_arr[i].handle ==
            reinterpret_cast<TaskHandle_t>(capheap_port_owner()))
            me = &all.stat_arr[i];
    }
    CHECK(me != nullptr && me->is_alive);
    std::size_t found = 0;
    for (std::size_t h = 0; me && h < me->heap_count; h++) {
        for (std::size_t b = 0; b < me->heap_stat[h].alloc_count; b++)
            found += me->heap_stat[h].alloc_stat[b].address == p;
    }
    CHECK(found == 1);
    heap_caps_free_all_task_stat_arrays(&all);
    CHECK(all.stat_arr == nullptr);

    heap_single_task_stat_t one;
    CHECK(heap_caps_alloc_single_task_stat_arrays(&one, nullptr) == ESP_OK);
    CHECK(heap_caps_get_single_task_stat(&one, nullptr) == ESP_OK);
    CHECK(one.stat.overall_current_usage >= 500);
    heap_caps_free_single_task_stat_arrays(&one);

    heap_task_totals_t totals[4];
    std::size_t num = 0;
    heap_task_info_params_t params = {};
    params.totals = totals;
    params.num_totals = &num;
    params.max_totals = 4;
    heap_caps_get_per_task_info(&params);
    CHECK(num >= 1);

    printed.clear();
    capturing = true;
    heap_caps_print_single_task_stat_overview(nullptr, nullptr);
    capturing = false;
    CHECK(printed.find("\u2502 TASK ") != std::string::npos);
    CHECK(printed.find("ALIVE  ") != std::string::npos);
    heap_caps_free(p);
#endif
}

} // namespace

/* The application's output function replaces capheap's stdio default
 * (a weak definition): C++ code defines it with C linkage. */
extern "C" void capheap_port_write(const char *text, std::size_t len) {
    if (capturing)
        printed.append(text, len);
    else
        std::fwrite(text, 1, len, stdout);
}

int main() {
    layouts_match_c();
    region_rule();
    spinlock_initialiser();
    native_heap();
    native_caps();
    multi_heap_api();
    irq_lock_initialiser();
    formatter();
    char who[700] = "";
    if (!esp32_mappable(who, sizeof who)) {
        /* ctest's skip expression; only when the rest passed. */
        if (!failures) {
            std::printf("cannot map the simulated chip's memory: %s\n", who);
            return 0;
        }
    } else {
        esp_idf_api(); /* it maps the simulated chip */
        memory_layout();
        heap_info_through_own_output();
        task_info_api();
    }
    std::printf("%s\n", failures ? "C++ callers: FAILED" : "C++ callers: ok");
    return failures ? 1 : 0;
}
