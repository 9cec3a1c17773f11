/* model/diag.c — filling hh_diag. */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *(*hh_diag_translate)(const char *fmt);

hh_err hh_diag_fail(hh_diag *d, hh_err err, const char *field, const char *fmt, ...)
{
    va_list ap;

    if (!d)
        return err;
    snprintf(d->field, sizeof d->field, "%s", field ? field : "");
    if (hh_diag_translate)
        fmt = hh_diag_translate(fmt);
    va_start(ap, fmt);
    vsnprintf(d->message, sizeof d->message, fmt, ap);
    va_end(ap);
    return err;
}

void hh_diag_prefix(hh_diag *d, const char *prefix)
{
    char joined[sizeof d->field];
    size_t plen;

    if (!d)
        return;
    plen = strlen(prefix);
    /* "household." + "" is "household"; "household." + "[2]" is "household[2]". */
    if (plen > 0 && prefix[plen - 1] == '.' && (d->field[0] == '\0' || d->field[0] == '['))
        plen--;
    /* A path too long for the field is cut; the message still says what. */
    if (snprintf(joined, sizeof joined, "%.*s%s", (int)plen, prefix, d->field) < 0)
        return;
    memcpy(d->field, joined, sizeof joined);
}

void hh_diag_clear(hh_diag *d)
{
    if (d)
        memset(d, 0, sizeof *d);
}
