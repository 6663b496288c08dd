/*
 * esp_boot_log.c - heap_caps_init()'s boot log (CAPHEAP_BOOT_LOG in
 * config.h): the lines ESP-IDF prints while its heap starts, from the
 * layout the heap was just built from, through capheap's small printers,
 * so that a program which prints nothing else links no formatter.
 *
 * ESP-IDF's heap_init lists every region after its reservations, adjacent
 * ones of one type merged, start-up-stack regions (D/IRAM) included:
 * capheap_layout_build()'s pieces, which capheap_caps_init() registers.
 * Its tables end with RTC memory, so that comes last; external RAM is not
 * among them but added next by its esp_psram component, which says so in
 * a line of its own.
 */
#include "esp_heap_caps_private.h"

#include "capheap/output.h"
#include "caps/layout.h"

#if CAPHEAP_BOOT_LOG

/* ESP-IDF's info lines: "I (<ms>) <tag>: <text>\n", green with colours. */
#if defined(CONFIG_LOG_COLORS) && CONFIG_LOG_COLORS
#define LINE_START "\033[0;32mI ("
#define LINE_END   "\033[0m\n"
#else
#define LINE_START "I ("
#define LINE_END   "\n"
#endif

/* The fields of a line: control character k of its text stands for field
 * k, which is ESP-IDF's "%d" (TIME, KIB), "%08X" (AT, LEN) or "%s" (NAME). */
enum { END, TIME, AT, LEN, KIB, NAME, FIELDS };
#define F_TIME "\001"
#define F_AT   "\002"
#define F_LEN  "\003"
#define F_KIB  "\004"
#define F_NAME "\005"

#define HEADER                                                                 \
    LINE_START F_TIME ") heap_init: Initializing. RAM available for dynamic "  \
                      "allocation:" LINE_END
#define REGION                                                                 \
    LINE_START F_TIME ") heap_init: At " F_AT " len " F_LEN " (" F_KIB         \
                      " KiB): " F_NAME LINE_END
#define PSRAM                                                                  \
    LINE_START F_TIME ") esp_psram: Adding pool of " F_KIB "K of PSRAM "       \
                      "memory to heap allocator" LINE_END

/* Write @p text with its fields taken from @p field, without the
 * formatter: the text between fields as it stands. */
static void put(const char *text, const uintptr_t field[FIELDS]) {
    for (const char *run = text;; text++) {
        unsigned k = (unsigned char)*text;
        if (k >= FIELDS)
            continue;
        if (text > run)
            capheap_port_write(run, (size_t)(text - run));
        if (k == END)
            return;
        if (k == NAME)
            capheap_print_str((const char *)field[k]);
        else if (k == AT || k == LEN)
            capheap_print_uint(field[k], 16, 8);
        else
            capheap_print_uint(field[k], 10, 1);
        run = text + 1;
    }
}

/* Where ESP-IDF tells of memory of type @p t: 0 heap_init's internal
 * regions, 1 its RTC memory (last in its tables), 2 esp_psram's pool. */
static unsigned place_of(const capheap_mem_type_t *t) {
    uint32_t all = t->caps[0] | t->caps[1] | t->caps[2];
    return all & CAPHEAP_CAP_SPIRAM ? 2 : all & CAPHEAP_CAP_RTCRAM ? 1 : 0;
}

void capheap_esp_boot_log(const capheap_chip_t *chip,
                          const capheap_chip_options_t *opts,
                          const capheap_caps_reservation_t *reserved,
                          size_t reserved_count) {
    capheap_chip_options_t none = {0, 0, 0, 0, 0};
    capheap_avail_t av[CAPHEAP_CAPS_MAX_REGIONS];
    uintptr_t field[FIELDS];
    size_t n;
    /* The heap was just built from the same layout: this cannot fail. */
    if (capheap_layout_build(chip, opts ? opts : &none, reserved,
                             reserved_count, av, CAPHEAP_CAPS_MAX_REGIONS, &n,
                             NULL))
        return;
    field[TIME] = capheap_port_log_timestamp();
    put(HEADER, field);
    for (unsigned place = 0; place < 3; place++) {
        for (size_t i = 0; i < n; i++) {
            const capheap_mem_type_t *t = &chip->types[av[i].type];
            if (place_of(t) != place)
                continue;
            field[TIME] = capheap_port_log_timestamp();
            field[AT] = av[i].start;
            field[LEN] = av[i].end - av[i].start;
            field[KIB] = field[LEN] / 1024;
            field[NAME] = (uintptr_t)t->name;
            put(place == 2 ? PSRAM : REGION, field);
        }
    }
}

#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int capheap_esp_boot_log_unused;
#endif
