/* collector/report.h — the monthly report (月报) for a county, township or
 * village: households by tier and category, the warnings opened and released
 * in the month, the measures open and overdue, per village; and one row per
 * household with its current tier, reasons and review state.
 *
 * Built once from the store (in the caller's read transaction), then written
 * as a printable HTML page with its chart, as XLSX (one sheet per table;
 * registry and ID numbers as text cells, figures as numbers) or as CSV (UTF-8
 * with a BOM, long numbers kept as text, no cell that a spreadsheet would take
 * for a formula). Names and ID numbers are in it only when built `personal`.
 * Headers are in the calling thread's language (sync/i18n.h). The tiers are
 * those in force when the report is built; the month selects the warnings
 * opened and released. */
#ifndef HH_REPORT_H
#define HH_REPORT_H

#include "model/buf.h"
#include "model/rulebook.h"
#include "rstore.h"

#define HH_REPORT_VILLAGES_MAX   2000
#define HH_REPORT_HOUSEHOLDS_MAX 50000

typedef struct hh_report_village {
    hh_village_summary s;
    int64_t opened, released;       /* warnings in the month */
} hh_report_village;

typedef struct hh_report {
    char month[8];                              /* YYYY-MM */
    char scope[HH_ACCOUNT_SCOPE_MAX + 1];       /* the codes it covers */
    char today[HH_DATE_LEN + 1];
    int personal;                               /* names and ID numbers in it */
    hh_rulebook rules;                          /* for the reasons' numbers */
    int n_villages;
    hh_report_village *villages;
    hh_report_village total;
    int n_households;                           /* red first */
    hh_work *households;
} hh_report;

/* Check month ("YYYY-MM"): HH_EINVAL with d saying why. */
hh_err hh_report_month_ok(const char *month, hh_diag *d);

/* Build the report of month for the villages inside scope. HH_ERANGE when
 * the scope holds more villages or households than a report takes (d says
 * which: narrow the scope). Free with hh_report_free. */
hh_err hh_report_build(hh_cstore *s, const char *month, const char *scope, int personal,
                       hh_report *out, hh_diag *d);
void hh_report_free(hh_report *r);

/* The report as CSV, as an HTML fragment (its tables and chart: for a page of
 * the console or, with hh_report_html_page, a file of its own), or as XLSX
 * written to path. */
hh_err hh_report_csv(const hh_report *r, hh_buf *out);
hh_err hh_report_html(const hh_report *r, hh_buf *out);
hh_err hh_report_html_page(const hh_report *r, hh_buf *out);
hh_err hh_report_xlsx(const hh_report *r, const char *path, hh_diag *d);

#endif
