/* model/buf.c — the capped growable buffer (see buf.h). */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hh_buf_init(hh_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

static hh_err reserve(hh_buf *b, size_t extra)
{
    size_t need, cap;
    char *grown;

    if (extra > b->max || b->len > b->max - extra)
        return HH_ERANGE;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return HH_OK;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    grown = realloc(b->data, cap);
    if (!grown)
        return HH_ENOMEM;
    b->data = grown;
    b->cap = cap;
    return HH_OK;
}

hh_err hh_buf_append(hh_buf *b, const void *data, size_t len)
{
    hh_err ret = reserve(b, len);

    if (ret != HH_OK)
        return ret;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return HH_OK;
}

hh_err hh_buf_extend(hh_buf *b, size_t len, void **where)
{
    hh_err ret = reserve(b, len);

    if (ret != HH_OK)
        return ret;
    *where = b->data + b->len;
    b->len += len;
    b->data[b->len] = '\0';
    return HH_OK;
}

hh_err hh_buf_puts(hh_buf *b, const char *s)
{
    return hh_buf_append(b, s, strlen(s));
}

hh_err hh_buf_vprintf(hh_buf *b, const char *fmt, va_list ap)
{
    va_list again;
    int n;
    hh_err ret;

    va_copy(again, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    if (n < 0) {
        va_end(again);
        return HH_EINVAL;
    }
    if ((ret = reserve(b, (size_t)n)) == HH_OK) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
    return ret;
}

hh_err hh_buf_printf(hh_buf *b, const char *fmt, ...)
{
    va_list ap;
    hh_err ret;

    va_start(ap, fmt);
    ret = hh_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return ret;
}

hh_err hh_buf_json_string(hh_buf *b, const char *s)
{
    hh_err ret = hh_buf_append(b, "\"", 1);

    for (const unsigned char *p = (const unsigned char *)s; ret == HH_OK && *p; p++) {
        switch (*p) {
        case '"':  ret = hh_buf_append(b, "\\\"", 2); break;
        case '\\': ret = hh_buf_append(b, "\\\\", 2); break;
        case '\n': ret = hh_buf_append(b, "\\n", 2); break;
        case '\r': ret = hh_buf_append(b, "\\r", 2); break;
        case '\t': ret = hh_buf_append(b, "\\t", 2); break;
        default:
            if (*p < 0x20 || *p == 0x7F) {
                ret = hh_buf_printf(b, "\\u%04x", *p);
            } else if (*p == 0xC2 && p[1] >= 0x80 && p[1] < 0xA0) {
                /* A C1 control (U+0080..U+009F, CSI among them): escaped too,
                 * so no terminal ever acts on what is printed. */
                ret = hh_buf_printf(b, "\\u%04x", p[1]);
                p++;
            } else {
                ret = hh_buf_append(b, p, 1);
            }
        }
    }
    return ret == HH_OK ? hh_buf_append(b, "\"", 1) : ret;
}

void hh_buf_reset(hh_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void hh_buf_free(hh_buf *b)
{
    free(b->data);
    hh_buf_init(b, b->max);
}

void hh_buf_free_secret(hh_buf *b)
{
    if (b->data)
        explicit_bzero(b->data, b->cap);
    hh_buf_free(b);
}

const char *hh_buf_str(const hh_buf *b)
{
    return b->data ? b->data : "";
}

void hh_hex_encode(const void *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *b = in;

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

hh_err hh_hex_decode(const char *hex, void *out, size_t n)
{
    unsigned char *b = out;

    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hi < 0 ? -1 : hex_digit(hex[2 * i + 1]);
        if (lo < 0)
            return HH_EINVAL;
        b[i] = (unsigned char)(hi << 4 | lo);
    }
    return HH_OK;
}
