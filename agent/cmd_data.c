/* agent/cmd_data.c — `hearth import`, `export`, `tiers`, `outbox`, `status`.
 *
 * Import is all or nothing: the whole file is parsed and validated first and
 * every bad line reported by number; only a clean file is written, in one
 * transaction, and a failure while writing (say, an ID number that belongs to a
 * household already on the device) rolls all of it back. */
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "commands.h"
#include "keys.h"
#include "sync/i18n.h"
#include "model/exchange.h"
#include "model/validate.h"
#include "sync/export.h"

#define IMPORT_BYTES_MAX   (64u * 1024 * 1024)
#define IMPORT_ERRORS_SHOWN 100
#define EXPORT_BYTES_MAX   (512u * 1024 * 1024)

/* ---- import --------------------------------------------------------------------- */

typedef struct import_counts {
    long households_created, households_updated, households_unchanged;
    long visits_added, visits_present;
} import_counts;

typedef struct import_job {
    const char *text;
    size_t len;
    hh_exchange_record *rec;
    import_counts counts;
    long failed_line;
    long total_lines;
    int progress;
} import_job;

static hh_err import_line(hh_store *s, hh_exchange_record *rec, import_counts *n, hh_diag *d)
{
    hh_household *existing = NULL;
    const char *household_id = NULL;
    hh_err ret = HH_OK;
    int changed = 0, added = 0;

    if (!(existing = malloc(sizeof *existing)))
        return HH_ENOMEM;
    if (rec->has_household) {
        hh_household *h = &rec->household;
        int known = hh_store_household_get(s, h->id[0] ? h->id : h->registry_no, existing) == HH_OK;
        if ((ret = hh_store_household_put(s, h, rec->members_given, &changed, d)) != HH_OK) {
            hh_diag_prefix(d, "household.");
            goto cleanup;
        }
        if (!known)
            n->households_created++;
        else if (changed)
            n->households_updated++;
        else
            n->households_unchanged++;
        household_id = h->id;
    }
    if (rec->has_visit) {
        if (!household_id) {
            const char *ref = rec->ref_household_id[0] ? rec->ref_household_id : rec->ref_registry_no;
            if ((ret = hh_store_household_get(s, ref, existing)) != HH_OK) {
                ret = hh_diag_fail(d, ret == HH_ENOTFOUND ? HH_EINVAL : ret, "visit",
                                   "names household '%s', which is neither on the device nor "
                                   "earlier in the file", ref);
                goto cleanup;
            }
            household_id = existing->id;
        }
        memcpy(rec->visit.household_id, household_id, HH_UUID_LEN + 1);
        if ((ret = hh_store_visit_add(s, &rec->visit, &added, d)) != HH_OK) {
            hh_diag_prefix(d, "visit.");
            goto cleanup;
        }
        if (added)
            n->visits_added++;
        else
            n->visits_present++;
    }
cleanup:
    free(existing);
    return ret;
}

static hh_err import_all(hh_store *s, void *arg, hh_diag *d)
{
    import_job *job = arg;
    hh_lines it = { job->text, job->len, 0, 0 };
    const char *line;
    size_t len;
    long done = 0;
    hh_err ret;

    while (hh_lines_next(&it, &line, &len)) {
        /* Already validated in the first pass; parsed again to save memory. */
        if ((ret = hh_exchange_parse(line, len, hh_platform_current_year(), job->rec, d)) != HH_OK ||
            (ret = import_line(s, job->rec, &job->counts, d)) != HH_OK) {
            job->failed_line = it.line_no;
            return ret;
        }
        if (job->progress && ++done % 500 == 0) {
            fputc('\r', stderr);   /* the progress line overwrites itself */
            fprintf(stderr, _("importing: %ld of %ld lines"), done, job->total_lines);
        }
    }
    if (job->progress && done >= 500) {
        fputc('\r', stderr);
        fprintf(stderr, _("importing: %ld of %ld lines\n"), done, job->total_lines);
    }
    return HH_OK;
}

static int run_import(cli *c)
{
    const char *path = c->args[0];
    import_job job = { 0 };
    char *text = NULL;
    size_t len = 0;
    hh_lines it;
    const char *line;
    size_t line_len;
    long bad = 0;
    hh_diag d;
    hh_err ret;
    int rc = HH_EXIT_OK;

    hh_diag_clear(&d);
    ret = hh_platform_read_file(path, IMPORT_BYTES_MAX, &text, &len);
    if (ret != HH_OK) {
        if (ret == HH_ERANGE)
            return cli_fail(ret, NULL, "import: %s is larger than %u MiB; split it", path,
                            IMPORT_BYTES_MAX >> 20);
        return cli_fail(ret, NULL, "import: cannot read %s", path);
    }
    if (!(job.rec = malloc(sizeof *job.rec))) {
        free(text);
        return cli_fail(HH_ENOMEM, NULL, "import");
    }
    /* Excel and Notepad write a UTF-8 byte order mark; it is not data. */
    job.text = text;
    job.len = len;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        job.text += 3;
        job.len -= 3;
    }
    if (memchr(job.text, '\0', job.len)) {
        rc = cli_fail(HH_EPARSE, NULL, "import: %s contains NUL bytes: not a JSON Lines file", path);
        goto cleanup;
    }

    /* Pass 1: every line, every error. */
    it = (hh_lines){ job.text, job.len, 0, 0 };
    while (hh_lines_next(&it, &line, &line_len)) {
        job.total_lines++;
        hh_diag_clear(&d);
        if (hh_exchange_parse(line, line_len, hh_platform_current_year(), job.rec, &d) == HH_OK)
            continue;
        if (++bad <= IMPORT_ERRORS_SHOWN)
            fprintf(stderr, _("hearth: import: %s: line %ld: %s%s%s\n"), path, it.line_no,
                    d.field, d.field[0] ? ": " : "", d.message);
    }
    if (bad > 0) {
        if (bad > IMPORT_ERRORS_SHOWN)
            fprintf(stderr, _("hearth: import: … and %ld more bad lines\n"), bad - IMPORT_ERRORS_SHOWN);
        fprintf(stderr, _("hearth: import: nothing imported: %ld of %ld lines are bad\n"), bad,
                job.total_lines);
        rc = HH_EXIT_DATA;
        goto cleanup;
    }
    if (job.total_lines == 0) {
        rc = cli_fail(HH_EINVAL, NULL, "import: %s has no lines", path);
        goto cleanup;
    }

    /* Pass 2: write it all in one transaction. */
    job.progress = hh_platform_isatty(2);
    hh_diag_clear(&d);
    ret = agent_in_transaction(agent_store(c), import_all, &job, &d);
    if (ret != HH_OK) {
        if (job.failed_line) {
            fprintf(stderr, _("hearth: import: %s: line %ld: %s%s%s\n"
                            "hearth: import: nothing imported\n"), path, job.failed_line,
                    d.field, d.field[0] ? ": " : "", d.message);
            rc = cli_exit_status(ret);
        } else {
            rc = cli_fail(ret, &d, "import: nothing imported");
        }
        goto cleanup;
    }
    printf(_("imported %ld lines from %s: households %ld created, %ld updated, %ld unchanged; "
           "visits %ld recorded, %ld already present\n"),
           job.total_lines, path, job.counts.households_created, job.counts.households_updated,
           job.counts.households_unchanged, job.counts.visits_added, job.counts.visits_present);
cleanup:
    free(job.rec);
    free(text);
    return rc;
}

static hh_err agent_tier(void *ctx, const char *household_id, hh_export_tier *out)
{
    hh_tier_row row;
    hh_err ret = hh_store_tier_get(ctx, household_id, 0, &row);

    if (ret == HH_ENOTFOUND)
        return HH_OK;
    if (ret == HH_OK) {
        out->found = 1;
        out->tier = row.v.tier;
        out->reasons = row.v.reasons;
    }
    return ret;
}

static int run_export(cli *c)
{
    const char *out_path = cli_get(c, "out");
    const char *village;
    hh_buf out;
    hh_err ret;
    int rc;

    if (cli_has(c, "csv") == cli_has(c, "json"))
        return cli_usage(c, "give exactly one of --json and --csv");
    if ((rc = cli_village(c, &village)) != HH_EXIT_OK)
        return rc;
    hh_buf_init(&out, EXPORT_BYTES_MAX);
    ret = hh_export(hh_store_sql(agent_store(c)), village, cli_has(c, "csv"), agent_tier,
                    agent_store(c), &out);
    rc = cli_write_output(ret, out_path, &out, "export");
    hh_buf_free(&out);
    return rc;
}

/* ---- backup ------------------------------------------------------------------------- */

/* The device database keeps recent work in its WAL file (one fsync per visit,
 * agent/store.c): a copy of device.db alone may miss it. This copy does not. */
static int run_backup(cli *c)
{
    const char *out_path = cli_get(c, "out");
    hh_diag d;
    hh_err ret;

    if (!out_path)
        return cli_usage(c, "--out FILE is required (the copy goes there)");
    hh_diag_clear(&d);
    if ((ret = hh_store_backup(agent_store(c), out_path, &d)) != HH_OK)
        return cli_fail(ret, &d, "backup");
    /* A sealed copy opens with the same PIN: its key file goes beside it. */
    if (hh_keys_exist(agent_db_path(c)) && (ret = hh_keys_copy(agent_db_path(c), out_path)) != HH_OK)
        return cli_fail(ret, NULL, "backup: the copy %s is sealed, but its key file %s.keys/data.key "
                        "cannot be written", out_path, out_path);
    printf(_("backed up %s to %s\n"), agent_db_path(c), out_path);
    return HH_EXIT_OK;
}

/* ---- rescue ------------------------------------------------------------------------- */

/* Save what a damaged database still holds, as JSON Lines to import into a new
 * one. Every unsent change is the write of a record, so its record in the file
 * carries it: imported and synced from a new database, the collector takes
 * what it lacks and recognises what it has (visits by id). */
static int run_rescue(cli *c)
{
    const char *out_path = cli_get(c, "out");
    hh_store *s = NULL;
    hh_buf out;
    hh_diag d;
    hh_err ret;
    long long households = -1, visits = -1, pending = -1;
    size_t keep;
    int rc;

    if (!out_path)
        return cli_usage(c, "--out FILE is required (the rescued records go there)");
    hh_diag_clear(&d);
    if ((ret = agent_unlock(agent_db_path(c), 1, &d)) != HH_OK ||
        (ret = hh_store_open_rescue(agent_db_path(c), &s, &d)) != HH_OK)
        return cli_fail(ret, &d, "cannot open the device database at all");
    hh_buf_init(&out, EXPORT_BYTES_MAX);
    ret = hh_export(hh_store_sql(s), NULL, 0, NULL, NULL, &out);
    hh_store_count(s, "SELECT count(*) FROM households", &households);
    hh_store_count(s, "SELECT count(*) FROM visits", &visits);
    hh_store_count(s, "SELECT count(*) FROM outbox WHERE state = 'pending'", &pending);
    hh_store_close(s);
    /* Whatever could be read is written, even when reading stopped early, up to
     * the last whole line (a line cut short would make the file unimportable). */
    keep = out.len;
    while (keep > 0 && out.data[keep - 1] != '\n')
        keep--;
    if (hh_platform_write_file_durable(out_path, out.data ? out.data : "", keep, 0600) != HH_OK) {
        rc = cli_fail(HH_EIO, NULL, "cannot write %s", out_path);
        goto cleanup;
    }
    {
        long long lines = 0;
        for (size_t i = 0; i < keep; i++)
            lines += out.data[i] == '\n';
        printf(_("rescued %lld line%s to %s (the database lists %lld households, %lld visits, %lld "
               "unsent changes)\n"), lines, lines == 1 ? "" : "s", out_path, households, visits, pending);
    }
    if (ret != HH_OK)
        fprintf(stderr, _("hearth: reading stopped early (%s): what came before is in %s\n"),
                hh_strerror(ret), out_path);
    printf(_("next: hearth --db NEW.db init; hearth --db NEW.db import %s; enrol NEW.db with a new "
           "code; hearth --db NEW.db sync\n"), out_path);
    rc = ret == HH_OK ? HH_EXIT_OK : cli_exit_status(ret);
cleanup:
    hh_buf_free(&out);
    return rc;
}

/* ---- tiers -------------------------------------------------------------------------- */

typedef struct tiers_ctx {
    int json;
    long counts[HH_TIER_RED + 1];
} tiers_ctx;

static void print_tier_json(const hh_tier_json *j)
{
    hh_buf line;

    hh_buf_init(&line, 4096);
    if (hh_exchange_write_tier(&line, j) == HH_OK)
        fputs(hh_buf_str(&line), stdout);
    hh_buf_free(&line);
}

static int print_tier(void *ctx, const hh_tier_row *row)
{
    tiers_ctx *t = ctx;
    char reasons[256];

    t->counts[row->v.tier]++;
    if (!t->json) {
        char per_capita[24] = "-", device[16] = "";
        hh_reasons_format(row->v.reasons, ", ", reasons, sizeof reasons);
        if (row->v.per_capita_yuan >= 0)
            snprintf(per_capita, sizeof per_capita, "%lld", (long long)row->v.per_capita_yuan);
        if (row->device_tier)
            snprintf(device, sizeof device, _("(device: %s)"), hh_i18n_enum(&hh_tier_names, (int)row->device_tier));
        hh_print_padded(stdout, hh_i18n_enum(&hh_tier_names, (int)row->v.tier), 6);
        printf("  %-12s  %-16s  %-10s  %9s  ", row->v.village_code,
               row->v.registry_no[0] ? row->v.registry_no : row->v.household_id,
               row->v.last_visit_on, per_capita);
        hh_print_padded(stdout, strcmp(row->v.label, "collector") == 0 ? _("collector") : _("device"), 9);
        printf("  %s%s%s\n", reasons[0] ? reasons : "-", device[0] ? "  " : "", device);
        if ((row->review && row->review != HH_REVIEW_COMPUTED) || row->n_measures) {
            hh_review_state st = row->review ? row->review : HH_REVIEW_COMPUTED;
            printf(_("        review: %s (%s); open measures: %d"),
                   hh_enum_name(&hh_review_state_names, (int)st), hh_review_state_zh(st), row->n_measures);
            if (row->n_measures)
                printf(_(", next: %s due %s"), row->measures[0].measure, row->measures[0].due_on);
            putchar('\n');
        }
        return 0;
    }
    {
        const char *review = hh_enum_name(&hh_review_state_names, (int)row->review);
        hh_tier_json j = { row->v.registry_no, row->v.household_id, row->v.village_code, (int)row->v.tier,
                           row->v.reasons, row->v.rulebook, row->v.label, review, row->v.last_visit_on,
                           row->v.per_capita_yuan, (int)row->device_tier, row->measures, row->n_measures };
        print_tier_json(&j);
    }
    return 0;
}

static int run_tiers(cli *c)
{
    tiers_ctx t = { .json = cli_has(c, "json") };
    const char *village;
    hh_err ret;
    int rc;

    if ((rc = cli_village(c, &village)) != HH_EXIT_OK)
        return rc;
    if (!t.json) {
        const char *heads[] = { _("TIER"), _("VILLAGE"), _("HOUSEHOLD"), _("LAST VISIT"),
                                _("PER CAP."), _("SOURCE") };
        const int widths[] = { 8, 14, 18, 12, 11, 11 };
        for (int i = 0; i < 6; i++)
            hh_print_padded(stdout, heads[i], widths[i]);
        printf("%s\n", _("REASONS"));
    }
    ret = hh_store_each_tier(agent_store(c), village, print_tier, &t);
    if (ret != HH_OK)
        return cli_fail(ret, NULL, "cannot read the tiers");
    if (!t.json)
        fprintf(stderr, _("%ld red, %ld orange, %ld yellow, %ld green (rulebook %s)\n"),
                t.counts[HH_TIER_RED], t.counts[HH_TIER_ORANGE], t.counts[HH_TIER_YELLOW],
                t.counts[HH_TIER_GREEN], hh_store_rulebook(agent_store(c))->version);
    return HH_EXIT_OK;
}

/* ---- outbox and status ----------------------------------------------------------------- */

static int print_outbox_row(void *ctx, const hh_outbox_row *r)
{
    int json = *(int *)ctx;

    if (json) {
        printf("{\"seq\": %llu, \"hlc\": %llu, \"entity\": \"%s\", \"op\": \"%s\", "
               "\"entity_id\": \"%s\", \"created_ms\": %llu, \"state\": \"%s\", \"bytes\": %zu, "
               "\"reason\": ",
               (unsigned long long)r->seq, (unsigned long long)r->hlc, r->entity, r->op,
               r->entity_id, (unsigned long long)r->created_ms, r->state, r->payload_bytes);
        if (r->reason[0])
            cli_json_string(stdout, r->reason);
        else
            fputs("null", stdout);
        puts("}");
    } else {
        printf("%8llu  %-9s  %-6s  %-36s  %5zu  %-11s  %s\n", (unsigned long long)r->seq,
               r->entity, r->op, r->entity_id, r->payload_bytes, r->state, r->reason);
    }
    return 0;
}

static int run_outbox(cli *c)
{
    int json = cli_has(c, "json");
    const char *state = cli_has(c, "all") ? NULL : cli_has(c, "quarantined") ? "quarantined" : "pending";
    hh_err ret;

    if (cli_has(c, "all") && cli_has(c, "quarantined"))
        return cli_usage(c, "give at most one of --all and --quarantined");
    if (!json) {
        printf("%8s  ", "SEQ");
        hh_print_padded(stdout, _("ENTITY"), 11);
        hh_print_padded(stdout, _("OP"), 8);
        printf("%-36s  %5s  ", "ID", _("BYTES"));
        hh_print_padded(stdout, _("STATE"), 13);
        printf("%s\n", _("REASON"));
    }
    ret = hh_store_each_outbox(agent_store(c), state, print_outbox_row, &json);
    return ret == HH_OK ? HH_EXIT_OK : cli_fail(ret, NULL, "cannot read the outbox");
}

static int run_status(cli *c)
{
    hh_store_info i;
    hh_err ret = hh_store_info_get(agent_store(c), &i);
    uint64_t now = hh_platform_wall_ms();
    uint64_t age_s = i.oldest_pending_ms && now > i.oldest_pending_ms
                     ? (now - i.oldest_pending_ms) / 1000 : 0;

    if (ret != HH_OK)
        return cli_fail(ret, NULL, "cannot read the device status");
    if (cli_has(c, "json")) {
        printf("{\"device_id\": \"%s\", \"device_epoch\": %u, \"database\": ", i.device_id,
               i.device_epoch);
        cli_json_string(stdout, agent_db_path(c));
        printf(", \"schema_version\": %d, \"rulebook\": ", i.schema_version);
        cli_json_string(stdout, i.rulebook_version);
        printf(", \"households\": %lld, \"members\": %lld, \"visits\": %lld, "
               "\"tiers\": {\"red\": %lld, \"orange\": %lld, \"yellow\": %lld, \"green\": %lld}, "
               "\"outbox\": {\"pending\": %lld, \"acked\": %lld, \"quarantined\": %lld, "
               "\"oldest_pending_age_s\": %llu, \"next_seq\": %llu}, \"sealed\": %s}\n",
               (long long)i.households, (long long)i.members, (long long)i.visits,
               (long long)i.tier_counts[HH_TIER_RED], (long long)i.tier_counts[HH_TIER_ORANGE],
               (long long)i.tier_counts[HH_TIER_YELLOW], (long long)i.tier_counts[HH_TIER_GREEN],
               (long long)i.outbox_pending, (long long)i.outbox_acked,
               (long long)i.outbox_quarantined, (unsigned long long)age_s,
               (unsigned long long)i.next_seq, hh_keys_exist(agent_db_path(c)) ? "true" : "false");
        return HH_EXIT_OK;
    }
    printf(_("device      %s (epoch %u)\n"), i.device_id, i.device_epoch);
    printf(_("database    %s (schema %d)\n"), agent_db_path(c), i.schema_version);
    /* Whether a lost device would hand its records over. */
    if (hh_keys_exist(agent_db_path(c)))
        printf(_("records     sealed under the PIN (AES-256-GCM)\n"));
    else
        printf(_("records     NOT sealed: set a PIN with `hearth pin set`\n"));
    printf(_("rulebook    %s\n"), i.rulebook_version);
    printf(_("households  %lld (%lld members, %lld visits)\n"), (long long)i.households,
           (long long)i.members, (long long)i.visits);
    printf(_("tiers       %lld red, %lld orange, %lld yellow, %lld green\n"),
           (long long)i.tier_counts[HH_TIER_RED], (long long)i.tier_counts[HH_TIER_ORANGE],
           (long long)i.tier_counts[HH_TIER_YELLOW], (long long)i.tier_counts[HH_TIER_GREEN]);
    printf(_("outbox      %lld pending"), (long long)i.outbox_pending);
    if (i.outbox_pending)
        printf(_(" (oldest %llu min old)"), (unsigned long long)(age_s / 60));
    printf(_(", %lld acknowledged, %lld quarantined\n"), (long long)i.outbox_acked,
           (long long)i.outbox_quarantined);
    return HH_EXIT_OK;
}

static const cli_opt export_opts[] = {
    { "json", NULL, N_("JSON Lines in the exchange format (re-importable)") },
    { "csv", NULL, N_("CSV in UTF-8 with a byte order mark (opens in Excel), one row per visit") },
    { "out", "FILE", N_("write to FILE (atomically) instead of standard output") },
    { "village", "CODE", N_("only this village") },
    { NULL, NULL, NULL }
};

static const cli_opt tiers_opts[] = {
    { "village", "CODE", N_("only this village") },
    { "json", NULL, N_("one JSON object per household (DESIGN 2a)") },
    { NULL, NULL, NULL }
};

static const cli_opt outbox_opts[] = {
    { "quarantined", NULL, N_("show changes the collector refused, with the reason") },
    { "all", NULL, N_("show every change, sent or not") },
    { "json", NULL, N_("one JSON object per change") },
    { NULL, NULL, NULL }
};

static const cli_opt status_opts[] = {
    { "json", NULL, N_("print JSON") },
    { NULL, NULL, NULL }
};

static const cli_opt no_opts[] = { { NULL, NULL, NULL } };

const cli_cmd hh_cmd_import = {
    "import", "FILE", N_("Import households and visits from JSON Lines (FILE or - for standard "
    "input); all or nothing."), 1, 1, no_opts, run_import, AGENT_NEEDS_STORE | AGENT_WRITES };
static const cli_opt backup_opts[] = {
    { "out", "FILE", N_("the copy, a new file (its directory must exist)") },
    { NULL, NULL, NULL }
};

const cli_cmd hh_cmd_backup = {
    "backup", "", N_("Copy the device database, recent work included, to a new file that is "
    "whole and synced before it appears (a plain copy of the .db file may miss recent work)."),
    0, 0, backup_opts, run_backup, AGENT_NEEDS_STORE };
static const cli_opt rescue_opts[] = {
    { "out", "FILE", N_("where the rescued households and visits go (JSON Lines)") },
    { NULL, NULL, NULL }
};

const cli_cmd hh_cmd_rescue = {
    "rescue", "", N_("Save what a damaged device database still holds (households, members, "
    "visits, and so every unsent change) as JSON Lines, to import into a new database."),
    0, 0, rescue_opts, run_rescue, 0 };
const cli_cmd hh_cmd_export = {
    "export", "", N_("Export households and visits as JSON Lines or CSV."),
    0, 0, export_opts, run_export, AGENT_NEEDS_STORE };
const cli_cmd hh_cmd_tiers = {
    "tiers", "", N_("The worklist: every household's tier and reasons, red first."),
    0, 0, tiers_opts, run_tiers, AGENT_NEEDS_STORE };
const cli_cmd hh_cmd_outbox = {
    "outbox", "", N_("Changes waiting to be sent to the collector."),
    0, 0, outbox_opts, run_outbox, AGENT_NEEDS_STORE };
const cli_cmd hh_cmd_status = {
    "status", "", N_("Device identity, counts, tiers and outbox depth."),
    0, 0, status_opts, run_status, AGENT_NEEDS_STORE };
