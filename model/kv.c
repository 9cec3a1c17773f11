/* model/kv.c — the "key = value" reader (see kv.h). */
#include "kv.h"

#include <stdio.h>
#include <string.h>

static char *trim(char *s)
{
    char *end;

    while (*s == ' ' || *s == '\t')
        s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = '\0';
    return s;
}

hh_err hh_kv_parse(const char *text, size_t len, size_t max_bytes, hh_kv_fn fn, void *ctx,
                   hh_diag *d)
{
    char line[HH_KV_LINE_MAX + 2], where[32];
    size_t pos = 0;
    int line_no = 0;
    hh_err ret;

    if (len > max_bytes)
        return hh_diag_fail(d, HH_ERANGE, "file", "is %zu bytes, more than %zu", len, max_bytes);
    if (memchr(text, '\0', len))
        return hh_diag_fail(d, HH_EPARSE, "file", "contains a NUL byte");
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - (text + pos)) : len - pos;
        char *key, *eq;

        line_no++;
        snprintf(where, sizeof where, "line %d", line_no);
        if (line_len > HH_KV_LINE_MAX)
            return hh_diag_fail(d, HH_EPARSE, where, "is longer than %d bytes", HH_KV_LINE_MAX);
        memcpy(line, text + pos, line_len);
        line[line_len] = '\0';
        pos += line_len + (nl ? 1 : 0);
        key = trim(line);
        if (key[0] == '\0' || key[0] == '#')
            continue;
        eq = strchr(key, '=');
        if (!eq)
            return hh_diag_fail(d, HH_EPARSE, where, "expected 'key = value'");
        *eq = '\0';
        if ((ret = fn(ctx, trim(key), trim(eq + 1), line_no, where, d)) != HH_OK)
            return ret;
    }
    return HH_OK;
}
