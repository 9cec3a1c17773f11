/* agent/cmd_visit.c — `hearth visit record` and `hearth visit list`.
 *
 * A visit can be given entirely as options (scripts, tests), or, when standard
 * input is a terminal, the officer is asked for every value no option gave, with
 * the default in brackets; a value that fails its check is asked for again. The
 * visit and its outbox row are written, and the tier recomputed, in one
 * transaction. */
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "commands.h"
#include "model/exchange.h"
#include "model/validate.h"

#define PROMPT_TRIES 5

typedef struct prompter {
    const cli *c;
    int interactive;
    char line[HH_NOTES_MAX + 2];
} prompter;

/* The text for option `opt`: the option's value; else, interactively, the
 * officer's answer (an empty answer takes def); else def (NULL: missing).
 * *asked tells whether the officer typed it. */
static const char *ask(prompter *p, const char *opt, const char *question, const char *def,
                       int *asked)
{
    const char *v = cli_get(p->c, opt);
    size_t n;

    *asked = 0;
    if (v || !p->interactive)
        return v ? v : def;
    fprintf(stderr, "%s%s%s%s: ", question, def ? " [" : "", def ? def : "", def ? "]" : "");
    fflush(stderr);
    if (!fgets(p->line, sizeof p->line, stdin))
        return NULL;
    n = strlen(p->line);
    if (n > 0 && p->line[n - 1] != '\n' && !feof(stdin)) {
        int ch;
        while ((ch = getchar()) != EOF && ch != '\n')
            ;
        fprintf(stderr, "  too long; at most %d bytes\n", (int)sizeof p->line - 2);
        p->line[0] = '\0';
        *asked = 1;
        return p->line;   /* fails its check and is asked again */
    }
    while (n > 0 && (p->line[n - 1] == '\n' || p->line[n - 1] == '\r'))
        p->line[--n] = '\0';
    *asked = 1;
    return n ? p->line : def;
}

typedef hh_err (*parse_fn)(const char *option, const char *text, void *out, hh_diag *d);

/* Get, parse and (interactively) re-ask until valid. Missing and required is a
 * usage error; missing and optional leaves *out untouched. */
static hh_err field(prompter *p, const char *opt, const char *question, const char *def,
                    int required, parse_fn parse, void *out, hh_diag *d)
{
    char option[40];

    snprintf(option, sizeof option, "--%s", opt);
    for (int tries = 0; tries < PROMPT_TRIES; tries++) {
        int asked;
        const char *text = ask(p, opt, question, def, &asked);
        hh_err ret;
        if (!text) {
            if (!required)
                return HH_OK;
            return hh_diag_fail(d, HH_EUSAGE, option, "is required%s",
                                p->interactive ? " (no answer)" : "");
        }
        ret = parse(option, text, out, d);
        if (ret == HH_OK || !asked)
            return ret;
        fprintf(stderr, "  %s; try again\n", d->message);
    }
    return hh_diag_fail(d, HH_EINVAL, option, "no valid answer after %d tries", PROMPT_TRIES);
}

static hh_err parse_money(const char *option, const char *text, void *out, hh_diag *d)
{
    return cli_parse_money(option, text, out, d);
}

static hh_err parse_size(const char *option, const char *text, void *out, hh_diag *d)
{
    int64_t n;
    hh_err ret = cli_parse_int(option, text, 0, HH_HOUSEHOLD_SIZE_MAX, &n, d);

    if (ret == HH_OK)
        *(int *)out = (int)n;
    return ret;
}

static hh_err parse_date(const char *option, const char *text, void *out, hh_diag *d)
{
    hh_err ret = hh_validate_date(text, d);

    if (ret != HH_OK)
        return hh_diag_fail(d, ret, option, "must be a real date YYYY-MM-DD");
    if ((ret = hh_records_visit_date_ok(text, d)) != HH_OK) {
        if (d)
            snprintf(d->field, sizeof d->field, "%s", option);
        return ret;
    }
    memcpy(out, text, HH_DATE_LEN + 1);
    return HH_OK;
}

static hh_err parse_officer(const char *option, const char *text, void *out, hh_diag *d)
{
    hh_err ret = cli_copy(option, text, out, HH_OFFICER_MAX + 1, d);

    if (ret == HH_OK && text[0] == '\0')
        ret = hh_diag_fail(d, HH_EINVAL, option, "must not be empty");
    if (ret == HH_OK)
        ret = hh_validate_text(option, text, HH_OFFICER_MAX, 0, d);
    return ret;
}

static hh_err parse_notes(const char *option, const char *text, void *out, hh_diag *d)
{
    hh_err ret = cli_copy(option, text, out, HH_NOTES_MAX + 1, d);

    return ret == HH_OK ? hh_validate_text(option, text, HH_NOTES_MAX, 1, d) : ret;
}

static hh_err parse_shocks(const char *option, const char *text, void *out, hh_diag *d)
{
    if (strcmp(text, "none") == 0 || text[0] == '\0') {
        *(uint32_t *)out = 0;
        return HH_OK;
    }
    return cli_parse_set(option, text, &hh_shock_names, out, d);
}

/* --failed lists the guarantees NOT met; out is the set of those met. */
static hh_err parse_failed(const char *option, const char *text, void *out, hh_diag *d)
{
    uint32_t failed = 0;
    hh_err ret = HH_OK;

    if (strcmp(text, "none") != 0 && text[0] != '\0')
        ret = cli_parse_set(option, text, &hh_guarantee_names, &failed, d);
    if (ret == HH_OK)
        *(uint32_t *)out = HH_GUARANTEES_ALL & ~failed;
    return ret;
}

static hh_err parse_degrees(const char *option, const char *text, double limit, int32_t *out,
                            hh_diag *d)
{
    char *end;
    double x = strtod(text, &end);

    if (end == text || *end != '\0' || x < -limit || x > limit)
        return hh_diag_fail(d, HH_EINVAL, option, "must be decimal degrees in -%g..%g", limit, limit);
    *out = (int32_t)(x * 1e6 + (x < 0 ? -0.5 : 0.5));
    return HH_OK;
}

static hh_err gather_visit(const cli *c, const hh_household *h, hh_visit *v, hh_diag *d)
{
    prompter p = { .c = c, .interactive = hh_platform_isatty(0) };
    char today[HH_DATE_LEN + 1], members[64];
    const char *officer = hh_platform_getenv("HEARTH_OFFICER");
    const char *lat = cli_get(c, "lat"), *lon = cli_get(c, "lon");
    hh_err ret;

    if ((ret = hh_platform_today(today)) != HH_OK)
        return ret;
    snprintf(members, sizeof members, "Household size (0: the %d members recorded)",
             h->member_count);
    if (p.interactive && !cli_has(c, "date"))
        fprintf(stderr, "Recording a visit to household %s (village %s). Amounts are whole "
                        "yuan over the last 12 months.\n",
                h->registry_no[0] ? h->registry_no : h->id, h->village_code);
    if ((ret = field(&p, "date", "Visit date", today, 1, parse_date, v->visited_on, d)) != HH_OK ||
        (ret = field(&p, "officer", "Officer", officer, 1, parse_officer, v->officer, d)) != HH_OK ||
        (ret = field(&p, "size", members, p.interactive ? "0" : NULL, 0,
                     parse_size, &v->household_size, d)) != HH_OK ||
        (ret = field(&p, "wages", "Income: wages", p.interactive ? "0" : NULL, 1,
                     parse_money, &v->income.wages_yuan, d)) != HH_OK ||
        (ret = field(&p, "operating", "Income: net operating", p.interactive ? "0" : NULL, 1,
                     parse_money, &v->income.operating_yuan, d)) != HH_OK ||
        (ret = field(&p, "property", "Income: property", p.interactive ? "0" : NULL, 1,
                     parse_money, &v->income.property_yuan, d)) != HH_OK ||
        (ret = field(&p, "transfer", "Income: transfers", p.interactive ? "0" : NULL, 1,
                     parse_money, &v->income.transfer_yuan, d)) != HH_OK ||
        (ret = field(&p, "medical", "Spending: medical (out of pocket)", "0", 1,
                     parse_money, &v->expenditure.medical_yuan, d)) != HH_OK ||
        (ret = field(&p, "education", "Spending: education", "0", 1,
                     parse_money, &v->expenditure.education_yuan, d)) != HH_OK ||
        (ret = field(&p, "disaster", "Spending: disaster losses", "0", 1,
                     parse_money, &v->expenditure.disaster_yuan, d)) != HH_OK ||
        (ret = field(&p, "shocks", "Shocks since last visit (illness,disability,education,"
                     "disaster,epidemic,accident,job_loss,business_loss)", "none", 1,
                     parse_shocks, &v->shocks, d)) != HH_OK ||
        (ret = field(&p, "failed", "Guarantees NOT met (food,clothing,education,medical,"
                     "housing,water)", "none", 1, parse_failed, &v->guarantees_met, d)) != HH_OK ||
        (ret = field(&p, "notes", "Notes", "", 0, parse_notes, v->notes, d)) != HH_OK)
        return ret;
    if ((lat != NULL) != (lon != NULL))
        return hh_diag_fail(d, HH_EUSAGE, "--lat", "give both --lat and --lon");
    if (lat) {
        if ((ret = parse_degrees("--lat", lat, 90, &v->lat_microdeg, d)) != HH_OK ||
            (ret = parse_degrees("--lon", lon, 180, &v->lon_microdeg, d)) != HH_OK)
            return ret;
        v->has_gps = true;
    }
    if (cli_has(c, "supersedes") &&
        (ret = cli_copy("--supersedes", cli_get(c, "supersedes"), v->supersedes,
                        sizeof v->supersedes, d)) != HH_OK)
        return ret;
    return hh_visit_validate(v, d);
}

static hh_err add_visit(hh_store *s, void *arg, hh_diag *d)
{
    return hh_store_visit_add(s, arg, NULL, d);
}

/* The tier this visit gives, computed here and now: the collector's, which
 * the tiers listing shows, is from before it (DESIGN: provisional tiers). */
static void print_new_tier(hh_store *s, const char *household_id)
{
    hh_tier_row now, shown;
    char reasons[256];

    if (hh_store_tier_get(s, household_id, 1, &now) != HH_OK)
        return;
    hh_reasons_format(now.v.reasons, ", ", reasons, sizeof reasons);
    printf("tier %s%s%s (provisional, until the next sync)\n",
           hh_enum_name(&hh_tier_names, (int)now.v.tier), reasons[0] ? ": " : "", reasons);
    if (hh_store_tier_get(s, household_id, 0, &shown) == HH_OK && shown.review &&
        hh_review_open(shown.review))
        printf("warning open at the collector: %s\n", hh_review_state_zh(shown.review));
}

static int visit_record(cli *c)
{
    hh_household *h = calloc(1, sizeof *h);
    hh_visit v;
    hh_diag d;
    hh_err ret;
    int rc;

    hh_diag_clear(&d);
    if (!h)
        return cli_fail(HH_ENOMEM, NULL, "visit record");
    ret = hh_store_household_get(agent_store(c), c->args[0], h);
    if (ret != HH_OK) {
        rc = cli_fail(ret, NULL, "no household '%s'", c->args[0]);
        goto cleanup;
    }
    hh_visit_init(&v);
    memcpy(v.household_id, h->id, sizeof v.household_id);
    if ((ret = gather_visit(c, h, &v, &d)) != HH_OK) {
        rc = ret == HH_EUSAGE ? cli_usage(c, "%s %s", d.field, d.message)
                              : cli_fail(ret, &d, "visit not recorded");
        goto cleanup;
    }
    if ((ret = agent_in_transaction(agent_store(c), add_visit, &v, &d)) != HH_OK) {
        rc = cli_fail(ret, &d, "visit not recorded");
        goto cleanup;
    }
    printf("%s\n", v.id);
    print_new_tier(agent_store(c), h->id);
    rc = HH_EXIT_OK;
cleanup:
    free(h);
    return rc;
}

typedef struct visit_list_ctx {
    hh_store *store;
    int json;
    hh_household ref;         /* the household of the previous visit, for JSON */
    hh_buf line;
    hh_err err;
    long count;
} visit_list_ctx;

static int list_visit(void *ctx, const hh_visit *v)
{
    visit_list_ctx *l = ctx;

    l->count++;
    if (!l->json) {
        printf("%-36s  %s  %-12s  %8lld  %2d  %s\n", v->id, v->visited_on, v->officer,
               (long long)hh_income_total(&v->income), v->household_size, v->household_id);
        return 0;
    }
    if (strcmp(l->ref.id, v->household_id) != 0 &&
        (l->err = hh_store_household_get(l->store, v->household_id, &l->ref)) != HH_OK)
        return 1;
    hh_buf_reset(&l->line);
    if ((l->err = hh_exchange_write(&l->line, NULL, v, &l->ref)) != HH_OK)
        return 1;
    fputs(hh_buf_str(&l->line), stdout);
    return 0;
}

static int visit_list(cli *c)
{
    visit_list_ctx *l = calloc(1, sizeof *l);
    hh_household *h = NULL;
    const char *household_id = NULL;
    hh_err ret = HH_ENOMEM;

    if (!l)
        goto done;
    l->store = agent_store(c);
    l->json = cli_has(c, "json");
    hh_buf_init(&l->line, 1 << 20);
    if (c->nargs == 1) {
        if (!(h = calloc(1, sizeof *h)))
            goto done;
        if ((ret = hh_store_household_get(agent_store(c), c->args[0], h)) != HH_OK)
            goto done;
        household_id = h->id;
    }
    if (!l->json)
        printf("%-36s  %-10s  %-12s  %8s  %2s  %s\n", "VISIT", "DATE", "OFFICER", "INCOME",
               "SZ", "HOUSEHOLD");
    ret = hh_store_each_visit(agent_store(c), household_id, list_visit, l);
    if (ret == HH_OK)
        ret = l->err;
done:
    if (l)
        hh_buf_free(&l->line);
    free(l);
    free(h);
    if (ret == HH_ENOTFOUND)
        return cli_fail(ret, NULL, "no household '%s'", c->args[0]);
    return ret == HH_OK ? HH_EXIT_OK : cli_fail(ret, NULL, "cannot list visits");
}

static const cli_opt record_opts[] = {
    { "date", "YYYY-MM-DD", "date of the visit (default: today)" },
    { "officer", "NAME", "officer recording it (default: $HEARTH_OFFICER)" },
    { "size", "N", "household size, if not the number of members recorded" },
    { "wages", "YUAN", "income from wages (工资性), last 12 months" },
    { "operating", "YUAN", "net operating income (经营性)" },
    { "property", "YUAN", "property income (财产性)" },
    { "transfer", "YUAN", "transfer income (转移性)" },
    { "medical", "YUAN", "out-of-pocket medical spending (default 0)" },
    { "education", "YUAN", "education spending (default 0)" },
    { "disaster", "YUAN", "disaster losses (default 0)" },
    { "shocks", "LIST", "comma list: illness, disability, education, disaster, epidemic, "
                        "accident, job_loss, business_loss (default none)" },
    { "failed", "LIST", "guarantees NOT met, comma list: food, clothing, education, medical, "
                        "housing, water (default none)" },
    { "lat", "DEG", "GPS latitude, decimal degrees" },
    { "lon", "DEG", "GPS longitude, decimal degrees" },
    { "notes", "TEXT", "free-text notes" },
    { "supersedes", "VISIT", "this visit corrects an earlier one (its id)" },
    { NULL, NULL, NULL }
};

static const cli_opt visit_list_opts[] = {
    { "json", NULL, "print JSON Lines (the exchange format) instead of text" },
    { NULL, NULL, NULL }
};

const cli_cmd hh_cmd_visit_record = {
    "visit record", "HOUSEHOLD",
    "Record a visit to a household (by id or registry number); asks for missing values "
    "on a terminal. Prints the visit id and the new tier.",
    1, 1, record_opts, visit_record, AGENT_NEEDS_STORE | AGENT_WRITES };
const cli_cmd hh_cmd_visit_list = {
    "visit list", "[HOUSEHOLD]", "List visits, of one household or all.",
    0, 1, visit_list_opts, visit_list, AGENT_NEEDS_STORE };
