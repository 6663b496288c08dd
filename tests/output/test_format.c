/*
 * test_format.c - capheap's formatter against the host's snprintf (glibc):
 * every supported conversion with every length modifier, the flags, widths
 * and precisions (numbers and '*'), edge values (0, the types' limits,
 * SIZE_MAX, INT_MIN, NULL for %s and %p) and random ones, each output at
 * every interesting buffer size (truncation, NUL, return value), and the
 * same through capheap_printf() and a replaced capheap_port_write(); and
 * capheap_print_str(), capheap_print_hex() and capheap_print_uint() (no
 * formatter) against it.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "capheap/output.h"
#include "test_support.h"

/* ---- a replaced output function: what capheap_printf writes ---------- */

static char written[8192];
static size_t written_len, writes, longest_write;

void capheap_port_write(const char *text, size_t len) {
    assert_true(len > 0);
    assert_true(written_len + len < sizeof written);
    memcpy(written + written_len, text, len);
    written_len += len;
    writes++;
    if (len > longest_write)
        longest_write = len;
}

static void written_reset(void) {
    written_len = writes = longest_write = 0;
}

/* ---- one format, checked ------------------------------------------------ */

static size_t checked;

/* @p fmt with its arguments through glibc and capheap, at several buffer
 * sizes, and through capheap_printf. */
static void check(const char *fmt, ...) {
    char want[4096], got[4096];
    va_list ap, aq;
    va_start(ap, fmt);
    va_copy(aq, ap);
    int n = vsnprintf(want, sizeof want, fmt, aq);
    va_end(aq);
    assert_true(n >= 0 && (size_t)n < sizeof want);

    size_t sizes[] = {0,         1, 2, (size_t)n / 2, (size_t)n, (size_t)n + 1,
                      sizeof got};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t size = sizes[k];
        memset(got, 0x55, sizeof got);
        va_copy(aq, ap);
        int m = capheap_vsnprintf(size ? got : NULL, size, fmt, aq);
        va_end(aq);
        if (m != n)
            fail_msg("\"%s\" (size %zu): returned %d, glibc %d ('%s')", fmt,
                     size, m, n, want);
        if (size == 0)
            continue;
        size_t keep = (size_t)n < size - 1 ? (size_t)n : size - 1;
        if (memcmp(got, want, keep) != 0 || got[keep] != '\0')
            fail_msg("\"%s\" (size %zu): '%.*s', glibc '%.*s'", fmt, size,
                     (int)keep, got, (int)keep, want);
        /* Nothing written past the buffer. */
        if (size < sizeof got)
            assert_int_equal((unsigned char)got[size], 0x55);
    }

    written_reset();
    va_copy(aq, ap);
    capheap_vprintf(fmt, aq);
    va_end(aq);
    if (written_len != (size_t)n || memcmp(written, want, (size_t)n) != 0)
        fail_msg("capheap_printf(\"%s\"): '%.*s', glibc '%s'", fmt,
                 (int)written_len, written, want);
    /* In pieces of the stack buffer, no empty ones. */
    assert_true(longest_write <= 64);
    assert_int_equal(writes, ((size_t)n + 63) / 64);
    va_end(ap);
    checked++;
}

/* ---- the generated formats ---------------------------------------------- */

static const char *const flag_sets[] = {
    "",   "-",  "0",  "+",  " ",  "#",  "-0",  "-+",   "- ",   "0+",
    "0 ", "+ ", "-#", "0#", "+#", " #", "-0+", "-+ #", "0+ #", "-0+ #"};
static const char *const widths[] = {"", "1", "2", "7", "24", "*"};
static const char *const precisions[] = {"",   ".",   ".0",  ".1",
                                         ".3", ".12", ".30", ".*"};
static const int star_values[] = {0, 3, -3, 17, -17};

/* Append a format to @p buf: '%', flags, width, precision, length, conv. */
static void make_fmt(char *buf, size_t size, const char *flags,
                     const char *width, const char *prec, const char *len,
                     char conv) {
    snprintf(buf, size, "<%%%s%s%s%s%c>", flags, width, prec, len, conv);
}

static bool has(const char *s, char c) {
    return strchr(s, c) != NULL;
}

/* '#' is undefined with d, i, u and c, s, p. */
static bool alt_allowed(char conv) {
    return conv == 'x' || conv == 'X' || conv == 'o';
}

typedef struct {
    const char *len;
    enum { T_INT, T_LONG, T_LLONG, T_MAX, T_SIZE, T_PTRDIFF } type;
} length_t;

static const length_t lengths[] = {{"hh", T_INT}, {"h", T_INT},    {"", T_INT},
                                   {"l", T_LONG}, {"ll", T_LLONG}, {"j", T_MAX},
                                   {"z", T_SIZE}, {"t", T_PTRDIFF}};

/* The values tried for each type: the limits of the type, 0, small ones,
 * and random bits (the same for signed and unsigned conversions). */
#define NFIXED 24
static unsigned long long value_bits(ts_rng_t *rng, int k) {
    static const unsigned long long fixed[NFIXED] = {0,
                                                     1,
                                                     2,
                                                     9,
                                                     10,
                                                     99,
                                                     100,
                                                     0x7F,
                                                     0x80,
                                                     0xFF,
                                                     0x100,
                                                     0x7FFF,
                                                     0x8000,
                                                     0xFFFF,
                                                     0x7FFFFFFF,
                                                     0x80000000,
                                                     0xFFFFFFFF,
                                                     0x100000000ull,
                                                     9999999999ull,
                                                     0x7FFFFFFFFFFFFFFFull,
                                                     0x8000000000000000ull,
                                                     0xFFFFFFFFFFFFFFFFull,
                                                     0xFFFFFFFFFFFFFFFEull,
                                                     10000000000000000000ull};
    if (k < NFIXED)
        return fixed[k];
    uint64_t r = ts_rng_next(rng);
    /* Random widths of number too, not only 64-bit ones. */
    return r >> (ts_rng_next(rng) % 64);
}

/* Call check() with @p fmt and a value of the length's type, after the
 * '*' arguments the format needs. */
static void check_int(const char *fmt, const length_t *l, bool is_signed,
                      unsigned long long bits, int stars, int w, int p) {
#define CALL(v)                                                                \
    do {                                                                       \
        if (stars == 0)                                                        \
            check(fmt, v);                                                     \
        else if (stars == 1)                                                   \
            check(fmt, w, v);                                                  \
        else if (stars == 2)                                                   \
            check(fmt, p, v);                                                  \
        else                                                                   \
            check(fmt, w, p, v);                                               \
    } while (0)
    switch (l->type) {
    case T_INT:
        if (is_signed)
            CALL((int)(unsigned)bits);
        else
            CALL((unsigned)bits);
        break;
    case T_LONG:
        if (is_signed)
            CALL((long)(unsigned long)bits);
        else
            CALL((unsigned long)bits);
        break;
    case T_LLONG:
        if (is_signed)
            CALL((long long)bits);
        else
            CALL(bits);
        break;
    case T_MAX:
        if (is_signed)
            CALL((intmax_t)bits);
        else
            CALL((uintmax_t)bits);
        break;
    case T_SIZE:
        /* %zd takes the signed type of size_t's width: ptrdiff_t here. */
        if (is_signed)
            CALL((ptrdiff_t)(size_t)bits);
        else
            CALL((size_t)bits);
        break;
    case T_PTRDIFF:
        /* %tu takes the unsigned type of ptrdiff_t's width: size_t. */
        if (is_signed)
            CALL((ptrdiff_t)(size_t)bits);
        else
            CALL((size_t)bits);
        break;
    }
#undef CALL
}

/* Every integer conversion x length x flags x width x precision, each
 * with the fixed values and some random ones. */
static void integers(void **state) {
    (void)state;
    ts_rng_t rng;
    ts_rng_seed(&rng, 10);
    const char convs[] = "diuxXo";
    int randoms = (int)(2 * ts_scale()) + 1;
    int next_fixed = 0;
    checked = 0;
    for (const char *c = convs; *c; c++)
        for (size_t li = 0; li < sizeof lengths / sizeof *lengths; li++)
            for (size_t fi = 0; fi < sizeof flag_sets / sizeof *flag_sets;
                 fi++) {
                const char *flags = flag_sets[fi];
                if (has(flags, '#') && !alt_allowed(*c))
                    continue;
                for (size_t wi = 0; wi < sizeof widths / sizeof *widths; wi++)
                    for (size_t pi = 0;
                         pi < sizeof precisions / sizeof *precisions; pi++) {
                        char fmt[40];
                        make_fmt(fmt, sizeof fmt, flags, widths[wi],
                                 precisions[pi], lengths[li].len, *c);
                        int stars = (widths[wi][0] == '*') |
                                    (strcmp(precisions[pi], ".*") == 0) << 1;
                        bool sgn = *c == 'd' || *c == 'i';
                        /* The fixed values in turn, a few per format,
                         * then random ones. */
                        for (int k = 0; k < 4 + randoms; k++) {
                            int w = star_values[k % 5];
                            int p = star_values[(k + next_fixed) % 5];
                            int which = k < 4 ? next_fixed++ % NFIXED : NFIXED;
                            check_int(fmt, &lengths[li], sgn,
                                      value_bits(&rng, which), stars, w, p);
                        }
                    }
            }
    /* 6 conversions, 8 lengths, the flags, 6 widths, 8 precisions. */
    assert_true(checked > 100000);
}

/* The limits by name, as firmware prints them. */
static void edge_values(void **state) {
    (void)state;
    check("%d %d %d", 0, INT_MIN, INT_MAX);
    check("%i|%5i|%-12i|%012i", INT_MIN, INT_MIN, INT_MIN, INT_MIN);
    check("%u %x %X %o", UINT_MAX, UINT_MAX, UINT_MAX, UINT_MAX);
    check("%ld %lu %lx", LONG_MIN, ULONG_MAX, ULONG_MAX);
    check("%lld %llu %llx %llo", LLONG_MIN, ULLONG_MAX, ULLONG_MAX, ULLONG_MAX);
    check("%zu %zx %zd", SIZE_MAX, SIZE_MAX, (ptrdiff_t)PTRDIFF_MIN);
    check("%jd %ju %td", INTMAX_MIN, UINTMAX_MAX, PTRDIFF_MIN);
    check("%hd %hu %hhd %hhu", SHRT_MIN, USHRT_MAX, SCHAR_MIN, UCHAR_MAX);
    check("%zu", (size_t)0);
    check("%.0d|%.0u|%.0x|%#.0o|%#.0x|%+.0d|% .0d", 0, 0u, 0u, 0u, 0u, 0, 0);
    check("%08x %08X %#010x %#x", 0xdeadbeefu, 0xbeefu, 0x1234u, 0u);
    check("len %zu free %zu (%s)", (size_t)180216, (size_t)4096, "DRAM");
    check("%*d|%-*d|%.*d|%*.*d", -8, 42, 8, 42, -1, 42, 6, 4, 42);
}

static void strings_chars_pointers(void **state) {
    (void)state;
    static const char *const strs[] = {"", "a", "DRAM", "hello, world",
                                       "a string longer than thirty chars"};
    static const char *const sflags[] = {"", "-"};
    static const char *const swidths[] = {"", "1", "4", "6", "40", "*"};
    static const char *const sprecs[] = {"",   ".",  ".0",  ".1",
                                         ".5", ".6", ".40", ".*"};
    for (size_t f = 0; f < 2; f++)
        for (size_t w = 0; w < sizeof swidths / sizeof *swidths; w++)
            for (size_t p = 0; p < sizeof sprecs / sizeof *sprecs; p++) {
                char fmt[40];
                make_fmt(fmt, sizeof fmt, sflags[f], swidths[w], sprecs[p], "",
                         's');
                int stars = (swidths[w][0] == '*') |
                            (strcmp(sprecs[p], ".*") == 0) << 1;
                for (size_t s = 0; s <= sizeof strs / sizeof *strs; s++) {
                    /* The last one: NULL, "(null)" or nothing as glibc. */
                    const char *str =
                        s < sizeof strs / sizeof *strs ? strs[s] : NULL;
                    for (int k = 0; k < 5; k++) {
                        int wv = star_values[k], pv = star_values[4 - k];
                        if (stars == 0)
                            check(fmt, str);
                        else if (stars == 1)
                            check(fmt, wv, str);
                        else if (stars == 2)
                            check(fmt, pv, str);
                        else
                            check(fmt, wv, pv, str);
                    }
                }
                /* %c: no precision. */
                if (sprecs[p][0] == '\0') {
                    make_fmt(fmt, sizeof fmt, sflags[f], swidths[w], "", "",
                             'c');
                    for (int c = 1; c < 256; c += 37) {
                        if (stars)
                            check(fmt, star_values[c % 5], c);
                        else
                            check(fmt, c);
                    }
                    make_fmt(fmt, sizeof fmt, sflags[f], swidths[w], "", "",
                             'p');
                    void *ptrs[] = {NULL, (void *)&state, (void *)(uintptr_t)1,
                                    (void *)(uintptr_t)0x3ffb3008u,
                                    (void *)UINTPTR_MAX};
                    for (size_t i = 0; i < 5; i++) {
                        if (stars)
                            check(fmt, star_values[i], ptrs[i]);
                        else
                            check(fmt, ptrs[i]);
                    }
                }
            }
    /* A precision bounds the read: an array without a NUL. */
    char unterminated[4] = {'a', 'b', 'c', 'd'};
    check("%.4s|%.2s|%-6.3s|", unterminated, unterminated, unterminated);
    check("%%|%5%|100%% of %s|%c%c", "it", 'o', 'k');
    check("no conversion at all, only text that is longer than one piece "
          "of sixty-four bytes, so that it is written in three pieces");
    check("");
}

/* Beyond snprintf's contract: what the header promises for unsupported
 * conversions, and lines much longer than the stack buffer. */
static void unsupported_and_long(void **state) {
    (void)state;
    char buf[64];
    /* Printed as it stands, no argument taken: the next %d gets 7. A
     * runtime format, so the compiler does not reject %f here. */
    const char *volatile f = "%f %d %lc|%";
    assert_int_equal(capheap_snprintf(buf, sizeof buf, f, 7), 10);
    assert_string_equal(buf, "%f 7 %lc|%");
    int n = capheap_snprintf(buf, sizeof buf, "%s", "x");
    assert_int_equal(n, 1);

    written_reset();
    char big[3000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    capheap_printf("[%s]%5000d", big, 3);
    assert_int_equal(written_len, sizeof big - 1 + 2 + 5000);
    assert_int_equal(writes, (written_len + 63) / 64);
    assert_int_equal(written[0], '[');
    assert_int_equal(written[sizeof big], ']');
    assert_int_equal(written[written_len - 1], '3');
    assert_int_equal(written[written_len - 2], ' ');
    /* Nothing at all: no write. */
    written_reset();
    capheap_printf("%s", "");
    assert_int_equal(writes, 0);
}

/* capheap_print_hex(v, d) against glibc's "0x%0*jx" (d digits at least),
 * written in one piece. */
static void check_hex(uintmax_t v, unsigned d) {
    char want[64];
    unsigned used = d > 2 * sizeof v ? 2 * sizeof v : d;
    snprintf(want, sizeof want, "0x%0*jx", (int)used, v);
    written_reset();
    capheap_print_hex(v, d);
    assert_int_equal(writes, 1);
    written[written_len] = '\0';
    assert_string_equal(written, want);
}

/* The formatter-free writers of the start-up and error messages. */
static void strings_and_hex_without_formatter(void **state) {
    (void)state;
    written_reset();
    capheap_print_str("Mem alloc fail. size ");
    assert_int_equal(writes, 1);
    written[written_len] = '\0';
    assert_string_equal(written, "Mem alloc fail. size ");
    written_reset();
    capheap_print_str(""); /* nothing: no write of 0 bytes */
    assert_int_equal(writes, 0);

    const uintmax_t values[] = {
        0,          1,          0xf,      0x10,        0x7a11f00d,
        0x40000000, UINT32_MAX, SIZE_MAX, UINTMAX_MAX, UINTMAX_MAX / 3};
    const unsigned widths[] = {0, 1, 2, 8, 15, 16, 17, 40};
    for (size_t i = 0; i < sizeof values / sizeof *values; i++)
        for (size_t k = 0; k < sizeof widths / sizeof *widths; k++)
            check_hex(values[i], widths[k]);
    /* Random values and widths. */
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 1000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        check_hex((uintmax_t)x >> (x & 63), (unsigned)(x >> 58) & 31);
    }
}

/* capheap_print_uint(v, base, d) against glibc's "%0*lo", "%0*lu" and
 * "%0*lX" (d digits at least, at most as many as a long has bits), in one
 * piece. */
static void check_uint(unsigned long v, unsigned base, unsigned d) {
    char want[8 * sizeof v + 1];
    int used = (int)(d > 8 * sizeof v ? 8 * sizeof v : d);
    const char *fmt = base == 8 ? "%0*lo" : base == 10 ? "%0*lu" : "%0*lX";
    snprintf(want, sizeof want, fmt, used, v);
    written_reset();
    capheap_print_uint(v, base, d);
    assert_int_equal(writes, 1);
    written[written_len] = '\0';
    assert_string_equal(written, want);
}

/* The formatter-free number writer of the boot log. */
static void numbers_without_formatter(void **state) {
    (void)state;
    const unsigned long values[] = {
        0,   1,          9,      10,         0xf,       0x10,
        263, 0x3FFAE6E0, 0x1920, UINT32_MAX, ULONG_MAX, ULONG_MAX / 3};
    const unsigned widths[] = {0, 1, 2, 8, 11, 20, 64, 65, 200};
    const unsigned bases[] = {8, 10, 16};
    for (size_t i = 0; i < sizeof values / sizeof *values; i++)
        for (size_t k = 0; k < sizeof widths / sizeof *widths; k++)
            for (size_t b = 0; b < sizeof bases / sizeof *bases; b++)
                check_uint(values[i], bases[b], widths[k]);
    /* ESP-IDF's "%08X" and "%d" of the boot log. */
    written_reset();
    capheap_print_uint(0x3FFE0440, 16, 8);
    capheap_print_uint(0xF0, 16, 8);
    capheap_print_uint(111, 10, 1);
    written[written_len] = '\0';
    assert_string_equal(written, "3FFE0440000000F0111");
    /* Base 2, the longest: one digit per bit, the buffer's whole size. */
    written_reset();
    capheap_print_uint(ULONG_MAX, 2, 0);
    assert_int_equal(written_len, 8 * sizeof(unsigned long));
    assert_null(memchr(written, '0', written_len));
    written_reset();
    capheap_print_uint(5, 2, 200);
    assert_int_equal(written_len, 8 * sizeof(unsigned long));
    assert_memory_equal(written + written_len - 4, "0101", 4);
    /* Bases it does not print in: nothing at all. */
    written_reset();
    capheap_print_uint(42, 0, 1);
    capheap_print_uint(42, 1, 1);
    capheap_print_uint(42, 17, 1);
    assert_int_equal(writes, 0);
    /* Random values and widths. */
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 1000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        check_uint((unsigned long)(x >> (x & 63)), bases[x % 3],
                   (unsigned)(x >> 58) & 31);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strings_and_hex_without_formatter),
        cmocka_unit_test(numbers_without_formatter),
        cmocka_unit_test(integers),
        cmocka_unit_test(edge_values),
        cmocka_unit_test(strings_chars_pointers),
        cmocka_unit_test(unsupported_and_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
