/* collector/report.c — the monthly report (see report.h).
 *
 * Two tables (villages, households), each described once as columns and a
 * function that fills a row's cells; the CSV, XLSX and HTML writers walk the
 * same tables, so the three forms cannot disagree. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#include "html.h"
#include "model/review.h"
#include "model/tier.h"
#include "model/validate.h"
#include "platform/platform.h"
#include "sync/i18n.h"
#include "sync/export.h"
#include "sync/present.h"

/* ---- building --------------------------------------------------------------------- */

hh_err hh_report_month_ok(const char *month, hh_diag *d)
{
    if (!month || strlen(month) != 7 || month[4] != '-' || strspn(month, "0123456789") != 4 ||
        strspn(month + 5, "0123456789") != 2 || strcmp(month + 5, "01") < 0 || strcmp(month + 5, "12") > 0)
        return hh_diag_fail(d, HH_EINVAL, "--month", "give the month as YYYY-MM (e.g. 2026-11)");
    return HH_OK;
}

typedef struct building {
    hh_report *r;
    hh_err err;
    hh_diag *d;
} building;

static int village_in(void *ctx, const void *row)
{
    building *b = ctx;
    const hh_village_summary *v = row;
    hh_report *r = b->r;

    if (!hh_scope_contains(r->scope, v->village_code))
        return 0;
    if (r->n_villages == HH_REPORT_VILLAGES_MAX) {
        b->err = hh_diag_fail(b->d, HH_ERANGE, "--village", "more than %d villages: report on a township "
                              "or a village", HH_REPORT_VILLAGES_MAX);
        return 1;
    }
    memset(&r->villages[r->n_villages], 0, sizeof r->villages[0]);
    r->villages[r->n_villages++].s = *v;
    r->total.s.households += v->households;
    for (int t = HH_TIER_GREEN; t <= HH_TIER_RED; t++)
        r->total.s.tiers[t] += v->tiers[t];
    for (int c = 1; c <= hh_category_names.count; c++)
        r->total.s.categories[c] += v->categories[c];
    r->total.s.measures_open += v->measures_open;
    r->total.s.measures_overdue += v->measures_overdue;
    return 0;
}

static int month_in(void *ctx, const void *row)
{
    building *b = ctx;
    const hh_month_count *m = row;
    hh_report *r = b->r;

    if (strcmp(m->month, r->month) != 0)
        return 0;
    for (int i = 0; i < r->n_villages; i++) {
        if (strcmp(r->villages[i].s.village_code, m->village_code) == 0) {
            r->villages[i].opened += m->opened;
            r->villages[i].released += m->released;
            r->total.opened += m->opened;
            r->total.released += m->released;
        }
    }
    return 0;
}

static int household_in(void *ctx, const void *row)
{
    building *b = ctx;
    const hh_work *w = row;
    hh_report *r = b->r;

    if (!hh_scope_contains(r->scope, w->village_code))
        return 0;
    if (r->n_households == HH_REPORT_HOUSEHOLDS_MAX) {
        b->err = hh_diag_fail(b->d, HH_ERANGE, "--village", "more than %d households: report on a "
                              "township or a village", HH_REPORT_HOUSEHOLDS_MAX);
        return 1;
    }
    r->households[r->n_households] = *w;
    if (!r->personal) {
        r->households[r->n_households].head_name[0] = '\0';
        r->households[r->n_households].head_id_number[0] = '\0';
    }
    r->n_households++;
    return 0;
}

hh_err hh_report_build(hh_cstore *s, const char *month, const char *scope, int personal,
                       hh_report *out, hh_diag *d)
{
    building b = { out, HH_OK, d };
    hh_err ret;

    memset(out, 0, sizeof *out);
    if ((ret = hh_report_month_ok(month, d)) != HH_OK)
        return ret;
    if (strlen(scope) >= sizeof out->scope)
        return hh_diag_fail(d, HH_ERANGE, "--village", "too many codes");
    snprintf(out->month, sizeof out->month, "%s", month);
    snprintf(out->scope, sizeof out->scope, "%s", scope);
    out->personal = personal;
    out->rules = *hh_cstore_rules(s);
    snprintf(out->total.s.village_code, sizeof out->total.s.village_code, "%s", "");
    if ((ret = hh_platform_today(out->today)) != HH_OK)
        return ret;
    out->villages = calloc(HH_REPORT_VILLAGES_MAX, sizeof *out->villages);
    out->households = calloc(HH_REPORT_HOUSEHOLDS_MAX, sizeof *out->households);
    if (!out->villages || !out->households) {
        hh_report_free(out);
        return HH_ENOMEM;
    }
    if ((ret = hh_rstore_each_village_summary(s, out->today, village_in, &b)) == HH_OK && b.err == HH_OK &&
        (ret = hh_rstore_each_month(s, month_in, &b)) == HH_OK)
        ret = hh_rstore_each_work(s, (hh_review_state)0, NULL, 1, out->today, household_in, &b);
    if (ret == HH_OK)
        ret = b.err;
    if (ret != HH_OK) {
        if (ret != HH_ERANGE)
            hh_diag_fail(d, ret, "database", "cannot read the records for the report");
        hh_report_free(out);
    }
    return ret;
}

void hh_report_free(hh_report *r)
{
    free(r->villages);
    free(r->households);
    r->villages = NULL;
    r->households = NULL;
    r->n_villages = r->n_households = 0;
}

/* ---- the tables, once ---------------------------------------------------------------- */

typedef enum cell_kind { CELL_TEXT, CELL_NUMBER, CELL_CODE, CELL_EMPTY } cell_kind;

#define COLS_MAX  16
#define CELL_TEXT_MAX 1024

typedef struct cell {
    cell_kind kind;
    int64_t number;
    char text[CELL_TEXT_MAX];
} cell;

typedef struct table {
    const char *title;                  /* msgid */
    int n_cols;
    const char *heads[COLS_MAX];        /* msgids, or labels already in the reader's language */
    int n_rows;
    /* Fill row i's cells (n_cols of them). */
    void (*row)(const hh_report *r, int i, cell *cells);
} table;

static void set_text(cell *c, const char *s)
{
    c->kind = CELL_TEXT;
    snprintf(c->text, sizeof c->text, "%s", s ? s : "");
}

static void set_code(cell *c, const char *s)
{
    set_text(c, s);
    c->kind = CELL_CODE;
}

static void set_number(cell *c, int64_t n)
{
    c->kind = CELL_NUMBER;
    c->number = n;
    snprintf(c->text, sizeof c->text, "%lld", (long long)n);
}

static void village_row(const hh_report *r, int i, cell *c)
{
    const hh_report_village *v = i < r->n_villages ? &r->villages[i] : &r->total;
    int k = 0;

    if (i < r->n_villages)
        set_code(&c[k++], v->s.village_code);
    else
        set_text(&c[k++], _("Total"));
    set_number(&c[k++], v->s.households);
    for (int t = HH_TIER_RED; t >= HH_TIER_GREEN; t--)
        set_number(&c[k++], v->s.tiers[t]);
    for (int g = 1; g <= hh_category_names.count; g++)
        set_number(&c[k++], v->s.categories[g]);
    set_number(&c[k++], v->opened);
    set_number(&c[k++], v->released);
    set_number(&c[k++], v->s.measures_open);
    set_number(&c[k++], v->s.measures_overdue);
}

static void villages_table(const hh_report *r, table *t)
{
    int k = 0;

    memset(t, 0, sizeof *t);
    t->title = N_("By village");
    t->heads[k++] = N_("Village");
    t->heads[k++] = N_("Households");
    for (int tier = HH_TIER_RED; tier >= HH_TIER_GREEN; tier--)
        t->heads[k++] = hh_i18n_enum(&hh_tier_names, tier);
    for (int g = 1; g <= hh_category_names.count; g++)
        t->heads[k++] = hh_i18n_enum(&hh_category_names, g);
    t->heads[k++] = N_("Warnings opened in the month");
    t->heads[k++] = N_("Warnings released in the month");
    t->heads[k++] = N_("Measures open");
    t->heads[k++] = N_("Measures overdue");
    t->n_cols = k;
    t->n_rows = r->n_villages + 1;
    t->row = village_row;
}

static void household_row(const hh_report *r, int i, cell *c)
{
    const hh_work *w = &r->households[i];
    hh_tier_view v;
    int k = 0;

    set_code(&c[k++], w->registry_no);
    set_code(&c[k++], w->village_code);
    if (r->personal) {
        set_text(&c[k++], w->head_name);
        set_code(&c[k++], w->head_id_number);
    }
    set_text(&c[k++], hh_i18n_enum(&hh_category_names, (int)w->category));
    set_text(&c[k++], hh_i18n_enum(&hh_tier_names, (int)w->tier));
    memset(&v, 0, sizeof v);
    v.reasons = w->reasons;
    v.per_capita_yuan = w->per_capita_yuan;
    c[k].kind = CELL_TEXT;
    hh_present_reasons(&v, &r->rules, "；", c[k].text, sizeof c[k].text);
    k++;
    set_text(&c[k++], hh_i18n_zh() ? hh_review_state_zh(w->state)
                                   : hh_enum_name(&hh_review_state_names, (int)w->state));
    if (w->per_capita_yuan >= 0)
        set_number(&c[k++], w->per_capita_yuan);
    else
        c[k++].kind = CELL_EMPTY;
    set_text(&c[k++], w->last_visit_on);
    set_number(&c[k++], w->open_measures);
    set_number(&c[k++], w->overdue_measures);
}

static void households_table(const hh_report *r, table *t)
{
    int k = 0;

    memset(t, 0, sizeof *t);
    t->title = N_("Households");
    t->heads[k++] = N_("Registry no.");
    t->heads[k++] = N_("Village");
    if (r->personal) {
        t->heads[k++] = N_("Head of household");
        t->heads[k++] = N_("ID number");
    }
    t->heads[k++] = N_("Category");
    t->heads[k++] = N_("Tier");
    t->heads[k++] = N_("Reasons");
    t->heads[k++] = N_("Review state");
    t->heads[k++] = N_("Per-capita income (yuan)");
    t->heads[k++] = N_("Last visit");
    t->heads[k++] = N_("Measures open");
    t->heads[k++] = N_("Measures overdue");
    t->n_cols = k;
    t->n_rows = r->n_households;
    t->row = household_row;
}

static void report_tables(const hh_report *r, table tables[2])
{
    villages_table(r, &tables[0]);
    households_table(r, &tables[1]);
}

/* The report's title: "防返贫监测月报 2026-11". */
static void report_title(const hh_report *r, char *out, size_t cap)
{
    snprintf(out, cap, "%s %s", _("Monitoring report"), r->month);
}

/* ---- CSV ----------------------------------------------------------------------------- */

static hh_err csv_field(hh_buf *b, const cell *c)
{
    if (c->kind == CELL_NUMBER || c->kind == CELL_EMPTY)
        return hh_buf_puts(b, c->kind == CELL_NUMBER ? c->text : "");
    return hh_export_csv_field(b, c->text, c->kind == CELL_CODE);
}

hh_err hh_report_csv(const hh_report *r, hh_buf *out)
{
    table tables[2];
    cell *cells = calloc(COLS_MAX, sizeof *cells);
    char title[64];
    hh_err ret;

    if (!cells)
        return HH_ENOMEM;
    report_tables(r, tables);
    report_title(r, title, sizeof title);
    ret = hh_buf_puts(out, "\xEF\xBB\xBF");     /* the BOM: Excel then reads UTF-8 */
    if (ret == HH_OK)
        ret = hh_export_csv_field(out, title, 0);
    if (ret == HH_OK)
        ret = hh_buf_puts(out, "\r\n");
    for (int t = 0; t < 2 && ret == HH_OK; t++) {
        ret = hh_buf_puts(out, "\r\n");
        if (ret == HH_OK)
            ret = hh_export_csv_field(out, _(tables[t].title), 0);
        if (ret == HH_OK)
            ret = hh_buf_puts(out, "\r\n");
        for (int k = 0; k < tables[t].n_cols && ret == HH_OK; k++) {
            ret = k ? hh_buf_puts(out, ",") : HH_OK;
            if (ret == HH_OK)
                ret = hh_export_csv_field(out, _(tables[t].heads[k]), 0);
        }
        if (ret == HH_OK)
            ret = hh_buf_puts(out, "\r\n");
        for (int i = 0; i < tables[t].n_rows && ret == HH_OK; i++) {
            tables[t].row(r, i, cells);
            for (int k = 0; k < tables[t].n_cols && ret == HH_OK; k++) {
                if (k)
                    ret = hh_buf_puts(out, ",");
                if (ret == HH_OK)
                    ret = csv_field(out, &cells[k]);
            }
            if (ret == HH_OK)
                ret = hh_buf_puts(out, "\r\n");
        }
    }
    free(cells);
    return ret;
}

/* ---- XLSX ---------------------------------------------------------------------------- */

hh_err hh_report_xlsx(const hh_report *r, const char *path, hh_diag *d)
{
    lxw_workbook *wb = workbook_new(path);
    table tables[2];
    cell *cells = calloc(COLS_MAX, sizeof *cells);
    lxw_format *head, *text;
    lxw_error err = LXW_NO_ERROR;
    char title[64];

    if (!wb || !cells) {
        free(cells);
        if (wb)
            workbook_close(wb);
        return hh_diag_fail(d, HH_EIO, "--xlsx", "cannot start the workbook %s", path);
    }
    report_tables(r, tables);
    report_title(r, title, sizeof title);
    head = workbook_add_format(wb);
    format_set_bold(head);
    format_set_bg_color(head, 0xECEFF1);
    format_set_text_wrap(head);
    text = workbook_add_format(wb);
    format_set_num_format(text, "@");
    for (int t = 0; t < 2 && err == LXW_NO_ERROR; t++) {
        /* Sheet names: the table's title (no character Excel forbids in one). */
        lxw_worksheet *ws = workbook_add_worksheet(wb, _(tables[t].title));
        if (!ws) {
            err = LXW_ERROR_MEMORY_MALLOC_FAILED;
            break;
        }
        worksheet_write_string(ws, 0, 0, title, head);
        for (int k = 0; k < tables[t].n_cols; k++) {
            worksheet_write_string(ws, 1, (lxw_col_t)k, _(tables[t].heads[k]), head);
            worksheet_set_column(ws, (lxw_col_t)k, (lxw_col_t)k, k == 0 ? 20 : 14, NULL);
        }
        worksheet_freeze_panes(ws, 2, 1);
        for (int i = 0; i < tables[t].n_rows && err == LXW_NO_ERROR; i++) {
            tables[t].row(r, i, cells);
            for (int k = 0; k < tables[t].n_cols && err == LXW_NO_ERROR; k++) {
                lxw_row_t row = (lxw_row_t)(i + 2);
                if (cells[k].kind == CELL_NUMBER)
                    err = worksheet_write_number(ws, row, (lxw_col_t)k, (double)cells[k].number, NULL);
                else if (cells[k].kind != CELL_EMPTY && cells[k].text[0])
                    err = worksheet_write_string(ws, row, (lxw_col_t)k, cells[k].text,
                                                 cells[k].kind == CELL_CODE ? text : NULL);
            }
        }
    }
    free(cells);
    if (err != LXW_NO_ERROR) {
        workbook_close(wb);
        return hh_diag_fail(d, HH_EIO, "--xlsx", "cannot write the workbook: %s", lxw_strerror(err));
    }
    if ((err = workbook_close(wb)) != LXW_NO_ERROR)
        return hh_diag_fail(d, HH_EIO, "--xlsx", "cannot write %s: %s", path, lxw_strerror(err));
    return HH_OK;
}

/* ---- HTML ---------------------------------------------------------------------------- */

static hh_err html_table(hh_buf *b, const hh_report *r, const table *t, cell *cells, int only_warnings)
{
    hh_err ret = hh_buf_puts(b, "<h2>");

    if (ret == HH_OK)
        ret = hh_html_text(b, _(t->title));
    if (ret == HH_OK)
        ret = hh_buf_puts(b, "</h2><div class=\"scroll\"><table><thead><tr>");
    for (int k = 0; k < t->n_cols && ret == HH_OK; k++) {
        ret = hh_buf_puts(b, "<th>");
        if (ret == HH_OK)
            ret = hh_html_text(b, _(t->heads[k]));
        if (ret == HH_OK)
            ret = hh_buf_puts(b, "</th>");
    }
    if (ret == HH_OK)
        ret = hh_buf_puts(b, "</tr></thead><tbody>");
    for (int i = 0; i < t->n_rows && ret == HH_OK; i++) {
        if (only_warnings && r->households[i].tier <= HH_TIER_GREEN &&
            (r->households[i].state == HH_REVIEW_COMPUTED || !hh_review_open(r->households[i].state)))
            continue;
        t->row(r, i, cells);
        ret = hh_buf_puts(b, "<tr>");
        for (int k = 0; k < t->n_cols && ret == HH_OK; k++) {
            ret = hh_buf_puts(b, cells[k].kind == CELL_NUMBER ? "<td class=\"num\">" : "<td>");
            if (ret == HH_OK)
                ret = hh_html_text(b, cells[k].kind == CELL_EMPTY ? "" : cells[k].text);
            if (ret == HH_OK)
                ret = hh_buf_puts(b, "</td>");
        }
        if (ret == HH_OK)
            ret = hh_buf_puts(b, "</tr>");
    }
    return ret == HH_OK ? hh_buf_puts(b, "</tbody></table></div>") : ret;
}

hh_err hh_report_html(const hh_report *r, hh_buf *out)
{
    static const char *const colours[] = { "#c62828", "#ef6c00", "#f9a825", "#2e7d32" };
    int n = r->n_villages < HH_CHART_POINTS_MAX ? r->n_villages : HH_CHART_POINTS_MAX;
    const char *labels[HH_CHART_POINTS_MAX];
    int64_t values[4 * HH_CHART_POINTS_MAX];
    cell *cells = calloc(COLS_MAX, sizeof *cells);
    table tables[2];
    hh_chart chart;
    hh_err ret = HH_OK;

    if (!cells)
        return HH_ENOMEM;
    report_tables(r, tables);
    memset(&chart, 0, sizeof chart);
    chart.title = _("Households by tier");
    chart.n_series = 4;
    chart.n = n;
    for (int s = 0; s < 4; s++) {
        chart.series[s] = hh_i18n_enum(&hh_tier_names, HH_TIER_RED - s);
        chart.colours[s] = colours[s];
        for (int i = 0; i < n; i++)
            values[s * n + i] = r->villages[i].s.tiers[HH_TIER_RED - s];
    }
    for (int i = 0; i < n; i++)
        labels[i] = r->villages[i].s.village_code;
    chart.labels = labels;
    chart.values = values;
    if (n)
        ret = hh_html_bars(out, &chart);
    if (ret == HH_OK)
        ret = html_table(out, r, &tables[0], cells, 0);
    if (ret == HH_OK)
        ret = html_table(out, r, &tables[1], cells, 1);
    if (ret == HH_OK)
        ret = hh_buf_printf(out, "<p class=\"note\">%s</p>",
                            _("The households table lists the warnings; the XLSX and CSV hold every household."));
    free(cells);
    return ret;
}

hh_err hh_report_html_page(const hh_report *r, hh_buf *out)
{
    char title[64];
    hh_err ret;

    report_title(r, title, sizeof title);
    ret = hh_buf_printf(out, "<!DOCTYPE html><html lang=\"%s\"><head><meta charset=\"utf-8\"><title>",
                        hh_i18n_zh() ? "zh-CN" : "en");
    if (ret == HH_OK)
        ret = hh_html_text(out, title);
    if (ret == HH_OK)
        ret = hh_buf_puts(out, "</title><style>body{font:14px/1.5 sans-serif;margin:1.5em}"
                               "table{border-collapse:collapse;margin-bottom:1em}"
                               "th,td{border:1px solid #999;padding:.2em .5em;text-align:left}"
                               ".num{text-align:right}.chart{max-width:680px;width:100%}"
                               "@media print{h2{break-before:auto}tr{break-inside:avoid}}</style></head><body><h1>");
    if (ret == HH_OK)
        ret = hh_html_text(out, title);
    if (ret == HH_OK)
        ret = hh_buf_printf(out, "</h1><p>%s ", _("Villages:"));
    if (ret == HH_OK)
        ret = hh_html_text(out, r->scope);
    if (ret == HH_OK)
        ret = hh_buf_printf(out, " · %s %s</p>", _("made on"), r->today);
    if (ret == HH_OK)
        ret = hh_report_html(r, out);
    return ret == HH_OK ? hh_buf_puts(out, "</body></html>\n") : ret;
}
