/* collector/cmd_report.c — `hearthd report`: the monthly report (report.h)
 * as an XLSX, HTML or CSV file, from the command line. Parsing and writing
 * only. */
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "report.h"
#include "platform/platform.h"
#include "sync/i18n.h"

/* Write the workbook beside path and move it into place: a file at path is
 * whole or absent. 0600: it may hold names and ID numbers. */
static int write_xlsx(const hh_report *r, const char *path)
{
    char tmp[HH_PATH_MAX + 16];
    hh_diag d;
    hh_err ret;

    hh_diag_clear(&d);
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return cli_fail(HH_ERANGE, NULL, "the path %s is too long", path);
    if ((ret = hh_report_xlsx(r, tmp, &d)) != HH_OK) {
        unlink(tmp);
        return cli_fail(ret, &d, "report not written");
    }
    if (chmod(tmp, 0600) != 0 || hh_platform_publish_durable(tmp, path) != HH_OK) {
        unlink(tmp);
        return cli_fail(HH_EIO, NULL, "cannot write %s", path);
    }
    return HH_EXIT_OK;
}

static int cmd_report(cli *c)
{
    const char *xlsx = cli_get(c, "xlsx"), *html = cli_get(c, "html"), *csv = cli_get(c, "csv");
    char scope[HH_ACCOUNT_SCOPE_MAX + 1], detail[200];
    hh_cstore *s = hh_collector_store();
    hh_report r;
    hh_buf out;
    hh_diag d;
    hh_err ret;
    int rc;

    hh_diag_clear(&d);
    if (!!xlsx + !!html + !!csv != 1)
        return cli_usage(c, "give one of --xlsx FILE, --html FILE and --csv FILE");
    if (!cli_get(c, "month") || !cli_get(c, "villages"))
        return cli_usage(c, "give the month and the villages: --month YYYY-MM --villages CODES");
    if ((ret = hh_report_month_ok(cli_get(c, "month"), &d)) != HH_OK ||
        (ret = hh_scope_parse("--villages", cli_get(c, "villages"), scope, &d)) != HH_OK)
        return cli_fail(ret, &d, "report refused");
    /* Reports are read in Chinese unless $HEARTH_LANG says otherwise. */
    hh_i18n_init("hearth", "zh");
    if ((ret = hh_cstore_begin_read(s)) != HH_OK)
        return cli_fail(ret, NULL, "cannot read the database");
    ret = hh_report_build(s, cli_get(c, "month"), scope, cli_has(c, "personal"), &r, &d);
    hh_cstore_rollback(s);
    if (ret != HH_OK)
        return cli_fail(ret, &d, "report not made");
    snprintf(detail, sizeof detail, "report %s for %.120s%s", r.month, scope,
             r.personal ? ", with names and ID numbers" : "");
    if ((ret = hh_cstore_audit(s, "report", NULL, detail)) != HH_OK) {
        hh_report_free(&r);
        return cli_fail(ret, NULL, "cannot record the report in the audit log; nothing written");
    }
    if (xlsx) {
        rc = write_xlsx(&r, xlsx);
    } else {
        hh_buf_init(&out, 512u * 1024 * 1024);
        ret = csv ? hh_report_csv(&r, &out) : hh_report_html_page(&r, &out);
        rc = cli_write_output(ret, csv ? csv : html, &out, "report");
        hh_buf_free(&out);
    }
    if (rc == HH_EXIT_OK)
        fprintf(stderr, _("report %s: %d villages, %d households%s -> %s\n"), r.month, r.n_villages,
                r.n_households, r.personal ? _(" (with names and ID numbers)") : "",
                xlsx ? xlsx : csv ? csv : html);
    hh_report_free(&r);
    return rc;
}

static const cli_opt report_opts[] = {
    { "month", "YYYY-MM", "the month whose warnings opened and released are counted", 0 },
    { "villages", "CODES", "a county (6 digits), townships (9) or villages (12), comma-separated", 0 },
    { "xlsx", "FILE", "write an Excel workbook (a sheet per table)", 0 },
    { "html", "FILE", "write a printable page with its chart", 0 },
    { "csv", "FILE", "write CSV (UTF-8 with BOM; long numbers kept as text)", 0 },
    { "personal", NULL, "include heads' names and ID numbers (audited)", 0 },
    { NULL, NULL, NULL, 0 }
};

const cli_cmd hh_cmd_report = { "report", "", "The monthly report (月报): tiers, categories, warnings, measures.",
                                0, 0, report_opts, cmd_report, HH_CMD_NEEDS_STORE };
