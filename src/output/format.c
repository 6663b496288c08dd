/*
 * format.c - capheap's own printf-style formatter. No C library function,
 * no floating point, no allocation: newlib and newlib-nano lack `%zu`, and
 * a firmware that prints a heap report should not have to link a libc
 * printf for it. The conversions are listed in include/capheap/output.h.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capheap/output.h"
#include "output_internal.h"

enum {
    F_LEFT = 1,  /* '-' */
    F_ZERO = 2,  /* '0' */
    F_PLUS = 4,  /* '+' */
    F_SPACE = 8, /* ' ' */
    F_ALT = 16,  /* '#' */
};

static void put(capheap_out_t *o, char c) {
    o->total++;
    if (o->used == o->cap) {
        if (!o->flush)
            return;
        o->flush(o->buf, o->used);
        o->used = 0;
    }
    o->buf[o->used++] = c;
}

static void repeat(capheap_out_t *o, char c, size_t n) {
    while (n--)
        put(o, c);
}

static void put_n(capheap_out_t *o, const char *s, size_t n) {
    while (n--)
        put(o, *s++);
}

/* n / 10 by shifts and adds: 64-bit division would pull libgcc's
 * __aeabi_uldivmod (or __udivdi3) into a 32-bit firmware. The estimate is
 * at most a few short; the loop corrects it. */
static uintmax_t div10(uintmax_t n, unsigned *rem) {
    uintmax_t q = (n >> 1) + (n >> 2);
    q += q >> 4;
    q += q >> 8;
    q += q >> 16;
#if UINTMAX_MAX > 0xFFFFFFFFu
    q += q >> 32;
#endif
    q >>= 3;
    uintmax_t r = n - ((q << 3) + (q << 1));
    while (r > 9) {
        q++;
        r -= 10;
    }
    *rem = (unsigned)r;
    return q;
}

/* The digits of @p u in @p base, last digit first. */
static size_t digits(uintmax_t u, unsigned base, bool upper, char *out) {
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    size_t n = 0;
    do {
        unsigned d;
        if (base == 10) {
            u = div10(u, &d);
        } else {
            d = (unsigned)(u & (base - 1));
            u >>= base == 16 ? 4 : 3;
        }
        out[n++] = set[d];
    } while (u);
    return n;
}

/* One integer: the sign or prefix, zeros to the precision, then the
 * digits, padded to the width. @p prec < 0: none given. */
static void put_int(capheap_out_t *o, uintmax_t u, bool neg, unsigned base,
                    bool upper, unsigned flags, size_t width, long prec) {
    char d[3 * sizeof(uintmax_t)]; /* octal needs the most: 22 for 64 bits */
    size_t n = (prec == 0 && u == 0) ? 0 : digits(u, base, upper, d);
    size_t zeros = prec > 0 && (size_t)prec > n ? (size_t)prec - n : 0;
    /* '#' with 'o': the first digit a zero, whatever the precision. */
    if ((flags & F_ALT) && base == 8 && zeros == 0 && (n == 0 || u != 0))
        zeros = 1;
    const char *prefix = neg                 ? "-"
                         : (flags & F_PLUS)  ? "+"
                         : (flags & F_SPACE) ? " "
                                             : "";
    if ((flags & F_ALT) && base == 16 && u != 0)
        prefix = upper ? "0X" : "0x";
    size_t plen = 0;
    while (prefix[plen])
        plen++;
    size_t len = plen + zeros + n;
    size_t pad = width > len ? width - len : 0;
    /* '0' pads with zeros after the sign, unless '-' or a precision. */
    if ((flags & F_ZERO) && !(flags & F_LEFT) && prec < 0) {
        zeros += pad;
        pad = 0;
    }
    if (!(flags & F_LEFT))
        repeat(o, ' ', pad);
    put_n(o, prefix, plen);
    repeat(o, '0', zeros);
    while (n)
        put(o, d[--n]);
    if (flags & F_LEFT)
        repeat(o, ' ', pad);
}

static void put_padded(capheap_out_t *o, const char *s, size_t n,
                       unsigned flags, size_t width) {
    size_t pad = width > n ? width - n : 0;
    if (!(flags & F_LEFT))
        repeat(o, ' ', pad);
    put_n(o, s, n);
    if (flags & F_LEFT)
        repeat(o, ' ', pad);
}

/* The length modifiers, by the argument type they name. */
enum { L_INT, L_CHAR, L_SHORT, L_LONG, L_LLONG, L_MAX, L_SIZE, L_PTRDIFF };

/* Keep the low bits that a type of @p bytes holds. */
static uintmax_t low_bits(uintmax_t u, size_t bytes) {
    return bytes < sizeof u ? u & (((uintmax_t)1 << (8 * bytes)) - 1) : u;
}

static uintmax_t arg_unsigned(va_list *ap, int len) {
    switch (len) {
    case L_CHAR:
        return (unsigned char)va_arg(*ap, unsigned);
    case L_SHORT:
        return (unsigned short)va_arg(*ap, unsigned);
    case L_LONG:
        return va_arg(*ap, unsigned long);
    case L_LLONG:
        return va_arg(*ap, unsigned long long);
    case L_MAX:
        return va_arg(*ap, uintmax_t);
    case L_SIZE:
        return va_arg(*ap, size_t);
    case L_PTRDIFF:
        /* The unsigned type of ptrdiff_t's width has no standard name. */
        return low_bits((uintmax_t)va_arg(*ap, ptrdiff_t), sizeof(ptrdiff_t));
    default:
        return va_arg(*ap, unsigned);
    }
}

static intmax_t arg_signed(va_list *ap, int len) {
    switch (len) {
    case L_CHAR:
        return (signed char)va_arg(*ap, int);
    case L_SHORT:
        return (short)va_arg(*ap, int);
    case L_LONG:
        return va_arg(*ap, long);
    case L_LLONG:
        return va_arg(*ap, long long);
    case L_MAX:
        return va_arg(*ap, intmax_t);
    case L_SIZE: {
        /* %zd: the signed type of size_t's width, read as size_t. */
        size_t u = va_arg(*ap, size_t);
        return u > SIZE_MAX / 2 ? -(intmax_t)(SIZE_MAX - u) - 1 : (intmax_t)u;
    }
    case L_PTRDIFF:
        return va_arg(*ap, ptrdiff_t);
    default:
        return va_arg(*ap, int);
    }
}

/* A width or precision: digits, or '*' from the arguments. */
static long number(const char **p, va_list *ap, bool *star_negative) {
    *star_negative = false;
    if (**p == '*') {
        (*p)++;
        int v = va_arg(*ap, int);
        *star_negative = v < 0;
        /* -INT_MIN overflows an int, not a long long. */
        long long m = v < 0 ? -(long long)v : v;
        return m > 0x7FFFFFFF ? 0x7FFFFFFF : (long)m;
    }
    long v = 0;
    while (**p >= '0' && **p <= '9') {
        if (v < 0x7FFFFFF)
            v = v * 10 + (**p - '0');
        (*p)++;
    }
    return v;
}

static int length_modifier(const char **p) {
    switch (*(*p)++) {
    case 'h':
        if (**p == 'h') {
            (*p)++;
            return L_CHAR;
        }
        return L_SHORT;
    case 'l':
        if (**p == 'l') {
            (*p)++;
            return L_LLONG;
        }
        return L_LONG;
    case 'j':
        return L_MAX;
    case 'z':
        return L_SIZE;
    case 't':
        return L_PTRDIFF;
    default:
        (*p)--;
        return L_INT;
    }
}

void capheap_vformat(capheap_out_t *o, const char *fmt, va_list ap_in) {
    /* A copy, so the helpers can take its address on every ABI (va_list
     * may be an array type, which a parameter turns into a pointer). */
    va_list ap;
    va_copy(ap, ap_in);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put(o, *p);
            continue;
        }
        const char *start = p++;
        unsigned flags = 0;
        for (;; p++) {
            unsigned f = *p == '-'   ? F_LEFT
                         : *p == '0' ? F_ZERO
                         : *p == '+' ? F_PLUS
                         : *p == ' ' ? F_SPACE
                         : *p == '#' ? F_ALT
                                     : 0;
            if (!f)
                break;
            flags |= f;
        }
        bool neg;
        long width = number(&p, &ap, &neg);
        if (neg)
            flags |= F_LEFT;
        long prec = -1;
        if (*p == '.') {
            p++;
            prec = number(&p, &ap, &neg);
            if (neg)
                prec = -1;
        }
        int len = length_modifier(&p);
        size_t w = (size_t)width;
        /* Wide characters and strings (%lc, %ls), and %p with a length,
         * are not supported. */
        char conv =
            (len != L_INT && (*p == 'c' || *p == 's' || *p == 'p')) ? '?' : *p;
        switch (conv) {
        case 'd':
        case 'i': {
            intmax_t v = arg_signed(&ap, len);
            /* The magnitude of INTMAX_MIN does not fit in intmax_t. */
            uintmax_t u = v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v;
            put_int(o, u, v < 0, 10, false, flags, w, prec);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o':
            put_int(o, arg_unsigned(&ap, len), false,
                    *p == 'u'   ? 10
                    : *p == 'o' ? 8
                                : 16,
                    *p == 'X', flags & ~(unsigned)(F_PLUS | F_SPACE), w, prec);
            break;
        case 'p': {
            const void *v = va_arg(ap, const void *);
            if (!v)
                put_padded(o, "(nil)", 5, flags, w);
            else
                put_int(o, (uintptr_t)v, false, 16, false,
                        (flags & F_LEFT) | F_ALT, w, -1);
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            put_padded(o, &c, 1, flags, w);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                /* glibc's choice: nothing when "(null)" would be cut. */
                s = prec >= 0 && prec < 6 ? "" : "(null)";
            /* Never read past the precision: the array may end there. */
            size_t n = 0;
            while ((prec < 0 || n < (size_t)prec) && s[n])
                n++;
            put_padded(o, s, n, flags, w);
            break;
        }
        case '%':
            put(o, '%');
            break;
        default:
            /* Unsupported: printed as it stands, no argument taken. */
            put_n(o, start, (size_t)(p - start) + (*p != '\0'));
            if (!*p)
                p--;
            break;
        }
    }
    va_end(ap);
}

int capheap_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) {
    capheap_out_t o = {buf, size ? size - 1 : 0, 0, 0, NULL};
    capheap_vformat(&o, fmt, ap);
    if (size)
        buf[o.used] = '\0';
    return o.total > 0x7FFFFFFF ? 0x7FFFFFFF : (int)o.total;
}

int capheap_snprintf(char *buf, size_t size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = capheap_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
