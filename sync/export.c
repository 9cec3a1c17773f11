/* sync/export.c — households and visits out as JSON Lines or CSV (see export.h).
 *
 * JSON Lines: per household, a line with the household and its first visit, then
 * a visit-only line for each later visit (the exchange format, re-importable).
 * CSV: one row per visit (a household without visits gets one row), in UTF-8
 * with a byte order mark and CRLF line ends, so Excel opens Chinese text; a
 * visit a later one corrects says so (visit.in_force false), so counting the
 * rows in force counts what the tiers count. */
#include "export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/exchange.h"

/* ---- export ---------------------------------------------------------------------- */

typedef struct export_ctx {
    hh_sqlcache *sql;
    int csv;
    hh_buf *out;
    hh_export_tier_fn tier_of;
    void *tier_ctx;
    const hh_household *current;
    int first_visit;
    hh_export_tier tier;
    /* The current household's visits corrected by a later one (CSV). */
    char (*corrected)[HH_UUID_LEN + 1];
    int n_corrected;
    hh_err err;
} export_ctx;

#define CORRECTED_MAX 1024

static int superseded(const export_ctx *x, const char *visit_id)
{
    for (int i = 0; i < x->n_corrected; i++)
        if (strcmp(x->corrected[i], visit_id) == 0)
            return 1;
    return 0;
}

static int note_corrected(void *ctx, const hh_visit *v)
{
    export_ctx *x = ctx;

    if (v->supersedes[0]) {
        if (x->n_corrected == CORRECTED_MAX) {
            x->err = HH_ERANGE;
            return 1;
        }
        snprintf(x->corrected[x->n_corrected++], HH_UUID_LEN + 1, "%s", v->supersedes);
    }
    return 0;
}

hh_err hh_export_csv_field(hh_buf *b, const char *text, int code)
{
    size_t len = strlen(text);
    int formula = text[0] != '\0' && strchr("=+-@\t\r", text[0]) != NULL;
    hh_err ret;

    /* Excel keeps 15 significant digits of a number and shows 12 or more in
     * exponent form: a code of 12 digits or more goes in as a text formula. */
    if (code && len >= 12 && strspn(text, "0123456789Xx") == len)
        return hh_buf_printf(b, "=\"%s\"", text);
    if (!formula && !strpbrk(text, ",\"\r\n"))
        return hh_buf_puts(b, text);
    if ((ret = hh_buf_puts(b, formula ? "\"'" : "\"")) != HH_OK)
        return ret;
    for (const char *p = text; *p; p++)
        if ((ret = hh_buf_append(b, p, 1)) != HH_OK ||
            (*p == '"' && (ret = hh_buf_append(b, "\"", 1)) != HH_OK))
            return ret;
    return hh_buf_puts(b, "\"");
}

/* Append one CSV cell, after a comma unless first. */
static hh_err csv_cell(hh_buf *b, const char *text, int first, int code)
{
    hh_err ret = first ? HH_OK : hh_buf_puts(b, ",");

    return ret == HH_OK ? hh_export_csv_field(b, text, code) : ret;
}

static const char *const csv_columns[] = {
    "id", "registry_no", "village_code", "category", "relocated", "resettlement_site",
    "members", "tier", "reasons", "visit.id", "visit.visited_on", "visit.officer",
    "visit.household_size", "visit.income_yuan.wages", "visit.income_yuan.operating",
    "visit.income_yuan.property", "visit.income_yuan.transfer",
    "visit.expenditure_yuan.medical", "visit.expenditure_yuan.education",
    "visit.expenditure_yuan.disaster", "visit.shocks", "visit.guarantees.food",
    "visit.guarantees.clothing", "visit.guarantees.education", "visit.guarantees.medical",
    "visit.guarantees.housing", "visit.guarantees.water", "visit.gps.lat", "visit.gps.lon",
    "visit.notes", "visit.supersedes", "visit.in_force", NULL };

static hh_err csv_row(export_ctx *x, const hh_visit *v)
{
    const hh_household *h = x->current;
    char cell[64], list[256];
    hh_buf *b = x->out;
    hh_err ret;

#define CELL(text, first) do { if ((ret = csv_cell(b, (text), (first), 0)) != HH_OK) return ret; } while (0)
#define CODE(text) do { if ((ret = csv_cell(b, (text), 0, 1)) != HH_OK) return ret; } while (0)
#define NUM(fmt, value) do { snprintf(cell, sizeof cell, fmt, value); CELL(cell, 0); } while (0)
    CELL(h->id, 1);
    CODE(h->registry_no);
    CODE(h->village_code);
    CELL(hh_enum_name(&hh_category_names, (int)h->category), 0);
    CELL(h->relocated ? "true" : "false", 0);
    CELL(h->resettlement_site, 0);
    NUM("%d", h->member_count);
    CELL(x->tier.found ? hh_enum_name(&hh_tier_names, (int)x->tier.tier) : "", 0);
    hh_reasons_format(x->tier.found ? x->tier.reasons : 0, " ", list, sizeof list);
    CELL(list, 0);
    if (!v) {
        for (int i = 9; csv_columns[i]; i++)
            CELL("", 0);
        return hh_buf_puts(b, "\r\n");
    }
    CELL(v->id, 0);
    CELL(v->visited_on, 0);
    CELL(v->officer, 0);
    NUM("%d", v->household_size);
    NUM("%lld", (long long)v->income.wages_yuan);
    NUM("%lld", (long long)v->income.operating_yuan);
    NUM("%lld", (long long)v->income.property_yuan);
    NUM("%lld", (long long)v->income.transfer_yuan);
    NUM("%lld", (long long)v->expenditure.medical_yuan);
    NUM("%lld", (long long)v->expenditure.education_yuan);
    NUM("%lld", (long long)v->expenditure.disaster_yuan);
    list[0] = '\0';
    for (int s = 1; s <= hh_shock_names.count; s++)
        if (v->shocks & (1u << s))
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                     list[0] ? " " : "", hh_enum_name(&hh_shock_names, s));
    CELL(list, 0);
    for (int g = 1; g <= hh_guarantee_names.count; g++)
        CELL((v->guarantees_met & (1u << g)) ? "true" : "false", 0);
    if (v->has_gps) {
        NUM("%.6f", v->lat_microdeg / 1e6);
        NUM("%.6f", v->lon_microdeg / 1e6);
    } else {
        CELL("", 0);
        CELL("", 0);
    }
    CELL(v->notes, 0);
    CELL(v->supersedes, 0);
    CELL(superseded(x, v->id) ? "false" : "true", 0);
#undef CODE
#undef CELL
#undef NUM
    return hh_buf_puts(b, "\r\n");
}

static int export_visit(void *ctx, const hh_visit *v)
{
    export_ctx *x = ctx;

    if (x->csv)
        x->err = csv_row(x, v);
    else
        x->err = hh_exchange_write(x->out, x->first_visit ? x->current : NULL, v, x->current);
    x->first_visit = 0;
    return x->err != HH_OK;
}

static int export_household(void *ctx, const hh_household *h)
{
    export_ctx *x = ctx;
    hh_err ret;

    x->current = h;
    x->first_visit = 1;
    memset(&x->tier, 0, sizeof x->tier);
    if (x->csv && x->tier_of && (ret = x->tier_of(x->tier_ctx, h->id, &x->tier)) != HH_OK) {
        x->err = ret;
        return 1;
    }
    x->n_corrected = 0;
    if (x->csv && ((ret = hh_records_each_visit(x->sql, h->id, note_corrected, x)) != HH_OK || x->err != HH_OK)) {
        x->err = ret != HH_OK ? ret : x->err;
        return 1;
    }
    if ((ret = hh_records_each_visit(x->sql, h->id, export_visit, x)) != HH_OK) {
        x->err = ret;
        return 1;
    }
    if (x->err == HH_OK && x->first_visit)   /* no visit: the household alone */
        x->err = x->csv ? csv_row(x, NULL) : hh_exchange_write(x->out, h, NULL, NULL);
    return x->err != HH_OK;
}

hh_err hh_export(hh_sqlcache *sql, const char *village, int csv, hh_export_tier_fn tier_of,
                 void *tier_ctx, hh_buf *out)
{
    export_ctx x = { .sql = sql, .csv = csv, .out = out, .tier_of = tier_of, .tier_ctx = tier_ctx };
    hh_err ret = HH_OK;

    if (csv && !(x.corrected = calloc(CORRECTED_MAX, sizeof *x.corrected)))
        return HH_ENOMEM;
    if (csv) {
        /* UTF-8 byte order mark: Excel then reads Chinese text correctly. */
        ret = hh_buf_puts(out, "\xEF\xBB\xBF");
        for (int i = 0; ret == HH_OK && csv_columns[i]; i++)
            ret = csv_cell(out, csv_columns[i], i == 0, 0);
        if (ret == HH_OK)
            ret = hh_buf_puts(out, "\r\n");
    }
    if (ret == HH_OK)
        ret = hh_records_each_household(sql, village, export_household, &x);
    free(x.corrected);
    return ret == HH_OK ? x.err : ret;
}
