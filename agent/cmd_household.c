/* agent/cmd_household.c — `hearth init`, `household …` and `member …`.
 *
 * Each write command loads what exists, applies the options given, validates the
 * whole record with model/validate, and writes it in one transaction through the
 * store (which queues the Change and recomputes the tier). */
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "commands.h"
#include "sync/i18n.h"
#include "model/exchange.h"
#include "model/validate.h"

int cmd_init(cli *c)
{
    hh_store *s = NULL;
    hh_store_info info;
    hh_diag d;
    hh_err ret;

    hh_diag_clear(&d);
    ret = hh_store_create(agent_db_path(c), &s, &d);
    if (ret != HH_OK)
        return cli_fail(ret, &d, "cannot initialise the device database");
    ret = hh_store_info_get(s, &info);
    hh_store_close(s);
    if (ret != HH_OK)
        return cli_fail(ret, NULL, "database created but cannot be read back");
    printf(_("initialised %s\ndevice   %s\nrulebook %s\n"), agent_db_path(c), info.device_id,
           info.rulebook_version);
    return HH_EXIT_OK;
}

/* ---- households -------------------------------------------------------------- */

static const cli_opt household_opts[] = {
    { "registry-no", "NO", N_("household registry number (letters, digits, '-')") },
    { "village", "CODE", N_("12-digit village code") },
    { "category", "NAME", N_("ordinary | lifted | unstable | marginal | sudden_hardship") },
    { "relocated", "yes|no", N_("relocated household (易地扶贫搬迁)") },
    { "site", "NAME", N_("resettlement site (relocated households)") },
    { NULL, NULL, NULL }
};

static hh_err apply_household_opts(const cli *c, hh_household *h, hh_diag *d)
{
    const char *v;
    int n;
    hh_err ret;

    if ((v = cli_get(c, "registry-no")) &&
        (ret = cli_copy("--registry-no", v, h->registry_no, sizeof h->registry_no, d)) != HH_OK)
        return ret;
    if ((v = cli_get(c, "village")) &&
        (ret = cli_copy("--village", v, h->village_code, sizeof h->village_code, d)) != HH_OK)
        return ret;
    if ((v = cli_get(c, "category"))) {
        if ((ret = cli_parse_enum("--category", v, &hh_category_names, &n, d)) != HH_OK)
            return ret;
        h->category = (hh_category)n;
    }
    if ((v = cli_get(c, "relocated"))) {
        if ((ret = cli_parse_bool("--relocated", v, &n, d)) != HH_OK)
            return ret;
        h->relocated = n;
    }
    if ((v = cli_get(c, "site")) &&
        (ret = cli_copy("--site", v, h->resettlement_site, sizeof h->resettlement_site, d)) != HH_OK)
        return ret;
    return hh_household_validate(h, hh_platform_current_year(), d);
}

static hh_err put_household(hh_store *s, void *arg, hh_diag *d)
{
    return hh_store_household_put(s, arg, 0, NULL, d);
}

static int household_write(cli *c, hh_household *h, const char *verb)
{
    hh_diag d;
    hh_err ret;

    hh_diag_clear(&d);
    if ((ret = apply_household_opts(c, h, &d)) != HH_OK ||
        (ret = agent_in_transaction(agent_store(c), put_household, h, &d)) != HH_OK)
        return cli_fail(ret, &d, "cannot %s the household", verb);
    printf("%s\n", h->id);
    return HH_EXIT_OK;
}

static int household_add(cli *c)
{
    hh_household *h = calloc(1, sizeof *h);
    int rc;

    if (!h)
        return cli_fail(HH_ENOMEM, NULL, "household add");
    if (!cli_has(c, "village") || !cli_has(c, "category")) {
        free(h);
        return cli_usage(c, "--village and --category are required");
    }
    rc = household_write(c, h, "add");
    free(h);
    return rc;
}

/* Load household `key` into a new record; NULL after printing an error. */
static hh_household *load_household(cli *c, const char *key, int *rc)
{
    hh_household *h = calloc(1, sizeof *h);
    hh_err ret;

    if (!h) {
        *rc = cli_fail(HH_ENOMEM, NULL, "cannot load the household");
        return NULL;
    }
    ret = hh_store_household_get(agent_store(c), key, h);
    if (ret != HH_OK) {
        *rc = ret == HH_ENOTFOUND ? cli_fail(ret, NULL, "no household '%s'", key)
                                  : cli_fail(ret, NULL, "cannot load household '%s'", key);
        free(h);
        return NULL;
    }
    return h;
}

static int household_edit(cli *c)
{
    hh_household *h;
    int rc = HH_EXIT_OK;

    if (!(h = load_household(c, c->args[0], &rc)))
        return rc;
    rc = household_write(c, h, "edit");
    free(h);
    return rc;
}

typedef struct tier_lookup {
    const char *household_id;
    hh_tier_row row;
    int found;
} tier_lookup;

static int find_tier(void *ctx, const hh_tier_row *row)
{
    tier_lookup *t = ctx;

    if (strcmp(row->v.household_id, t->household_id) != 0)
        return 0;
    t->row = *row;
    t->found = 1;
    return 1;
}

static int print_visit_line(void *ctx, const hh_visit *v)
{
    char officer[HH_OFFICER_MAX + 1];

    (void)ctx;
    printf(_("  %s  %-12s income %lld yuan, size %d  %s\n"), v->visited_on,
           cli_printable(v->officer, officer, sizeof officer),
           (long long)hh_income_total(&v->income), v->household_size, v->id);
    return 0;
}

static int household_show(cli *c)
{
    hh_household *h;
    tier_lookup t = { 0 };
    char reasons[256], safe[512];   /* stored text, made printable */
    int rc = HH_EXIT_OK;
    hh_err ret;

    if (!(h = load_household(c, c->args[0], &rc)))
        return rc;
    if (cli_has(c, "json")) {
        hh_buf b;
        hh_buf_init(&b, 1 << 20);
        ret = hh_exchange_write(&b, h, NULL, NULL);
        if (ret == HH_OK)
            fputs(hh_buf_str(&b), stdout);
        hh_buf_free(&b);
        free(h);
        return ret == HH_OK ? HH_EXIT_OK : cli_fail(ret, NULL, "cannot format the household");
    }
    t.household_id = h->id;
    ret = hh_store_each_tier(agent_store(c), h->village_code, find_tier, &t);
    printf(_("household   %s\nregistry    %s\nvillage     %s\ncategory    %s\nrelocated   %s%s%s\n"),
           h->id, h->registry_no[0] ? h->registry_no : "-", h->village_code,
           hh_enum_name(&hh_category_names, (int)h->category), h->relocated ? "yes" : "no",
           h->resettlement_site[0] ? ", site " : "",
           cli_printable(h->resettlement_site, safe, sizeof safe));
    if (ret == HH_OK && t.found) {
        hh_reasons_format(t.row.v.reasons, ", ", reasons, sizeof reasons);
        printf(_("tier        %s (%s, rulebook %s, last visit %s)%s%s\n"),
               hh_enum_name(&hh_tier_names, (int)t.row.v.tier), t.row.v.label, t.row.v.rulebook,
               t.row.v.last_visit_on, reasons[0] ? ": " : "", reasons);
        if (t.row.review)
            printf(_("review      %s (%s)\n"), hh_enum_name(&hh_review_state_names, (int)t.row.review),
                   hh_review_state_zh(t.row.review));
        for (int i = 0; i < t.row.n_measures; i++)
            printf(_("%s%s due %s, responsible %s\n"), i ? "            " : "measures    ",
                   t.row.measures[i].measure, t.row.measures[i].due_on, t.row.measures[i].responsible);
    } else {
        printf(_("tier        - (no visit yet)\n"));
    }
    printf(_("members     %d\n"), h->member_count);
    for (int i = 0; i < h->member_count; i++) {
        const hh_member *m = &h->members[i];
        printf("  %-10s %-12s %s %d %-8s %-15s %-19s %s\n",
               hh_enum_name(&hh_relation_names, (int)m->relation),
               cli_printable(m->name, safe, sizeof safe),
               hh_enum_name(&hh_sex_names, (int)m->sex), m->birth_year,
               hh_enum_name(&hh_labour_names, (int)m->labour),
               hh_enum_name(&hh_health_names, (int)m->health),
               hh_enum_name(&hh_employment_names, (int)m->employment), m->id);
    }
    printf(_("visits\n"));
    ret = hh_store_each_visit(agent_store(c), h->id, print_visit_line, NULL);
    free(h);
    return ret == HH_OK ? HH_EXIT_OK : cli_fail(ret, NULL, "cannot list the visits");
}

typedef struct list_ctx {
    int json;
    long count;
    hh_buf line;
    hh_err err;
} list_ctx;

static int list_one(void *ctx, const hh_household *h)
{
    list_ctx *l = ctx;

    l->count++;
    if (l->json) {
        hh_buf_reset(&l->line);
        if ((l->err = hh_exchange_write(&l->line, h, NULL, NULL)) != HH_OK)
            return 1;
        fputs(hh_buf_str(&l->line), stdout);
    } else {
        printf("%-36s  %-16s  %s  %-15s  %2d  %s\n", h->id,
               h->registry_no[0] ? h->registry_no : "-", h->village_code,
               hh_enum_name(&hh_category_names, (int)h->category), h->member_count,
               h->relocated ? "relocated" : "");
    }
    return 0;
}

static int household_list(cli *c)
{
    list_ctx l = { .json = cli_has(c, "json") };
    const char *village;
    hh_err ret;
    int rc;

    if ((rc = cli_village(c, &village)) != HH_EXIT_OK)
        return rc;
    hh_buf_init(&l.line, 1 << 20);
    if (!l.json)
        printf("%-36s  %-16s  %-12s  %-15s  %s\n", "ID", "REGISTRY", "VILLAGE", "CATEGORY",
               "MEMBERS");
    ret = hh_store_each_household(agent_store(c), village, list_one, &l);
    hh_buf_free(&l.line);
    if (ret == HH_OK)
        ret = l.err;
    if (ret != HH_OK)
        return cli_fail(ret, NULL, "cannot list households");
    if (!l.json)
        fprintf(stderr, _("%ld household%s\n"), l.count, l.count == 1 ? "" : "s");
    return HH_EXIT_OK;
}

/* ---- members ---------------------------------------------------------------- */

static const cli_opt member_opts[] = {
    { "name", "NAME", N_("full name") },
    { "id-number", "ID", N_("18-character GB 11643 ID number") },
    { "virtual-id", "SERIAL", N_("no household registration: make the virtual ID with this "
                              "serial (0-9999) in the household's village") },
    { "relation", "NAME", N_("head | spouse | child | child_in_law | grandchild | parent | "
                          "grandparent | sibling | other") },
    { "sex", "m|f", N_("sex") },
    { "birth-year", "YEAR", N_("year of birth (must match the ID number)") },
    { "labour", "NAME", N_("full | partial | none") },
    { "health", "NAME", N_("healthy | chronic | serious_illness | disabled") },
    { "disability-grade", "1-4", N_("disability grade, for health 'disabled'") },
    { "school", "NAME", N_("none | enrolled | dropped_out") },
    { "insurance", "yes|no", N_("has basic medical insurance") },
    { "employment", "NAME", N_("none | local | migrant | public_welfare_post | workshop | "
                            "self_employed") },
    { "employment-stable", "yes|no", N_("employment is stable (relocated households)") },
    { NULL, NULL, NULL }
};

static hh_err opt_enum(const cli *c, const char *name, const hh_enum_names *e, int *field,
                       hh_diag *d)
{
    const char *v = cli_get(c, name);
    char option[40];

    if (!v)
        return HH_OK;
    snprintf(option, sizeof option, "--%s", name);
    return cli_parse_enum(option, v, e, field, d);
}

static hh_err apply_member_opts(const cli *c, const hh_household *h, hh_member *m, hh_diag *d)
{
    const char *v;
    int64_t n;
    int flag, e;
    hh_err ret;

    if ((v = cli_get(c, "name")) && (ret = cli_copy("--name", v, m->name, sizeof m->name, d)) != HH_OK)
        return ret;
    if (cli_has(c, "id-number") && cli_has(c, "virtual-id"))
        return hh_diag_fail(d, HH_EUSAGE, "--virtual-id", "give either --id-number or --virtual-id");
    if ((v = cli_get(c, "id-number"))) {
        if ((ret = cli_copy("--id-number", v, m->id_number, sizeof m->id_number, d)) != HH_OK)
            return ret;
        hh_id_number_normalise(m->id_number);
    }
    if ((v = cli_get(c, "virtual-id"))) {
        if ((ret = cli_parse_int("--virtual-id", v, 0, 9999, &n, d)) != HH_OK)
            return ret;
        hh_virtual_id_make(h->village_code, (int)n, m->id_number);
    }
#define ENUM_OPT(opt, names, field)                                              \
    do {                                                                         \
        e = (int)(field);                                                        \
        if ((ret = opt_enum(c, opt, names, &e, d)) != HH_OK)                     \
            return ret;                                                          \
        (field) = e;                                                             \
    } while (0)
    ENUM_OPT("relation", &hh_relation_names, m->relation);
    ENUM_OPT("sex", &hh_sex_names, m->sex);
    ENUM_OPT("labour", &hh_labour_names, m->labour);
    ENUM_OPT("health", &hh_health_names, m->health);
    ENUM_OPT("school", &hh_school_names, m->school);
    ENUM_OPT("employment", &hh_employment_names, m->employment);
#undef ENUM_OPT
    if ((v = cli_get(c, "birth-year"))) {
        if ((ret = cli_parse_int("--birth-year", v, 1900, 2100, &n, d)) != HH_OK)
            return ret;
        m->birth_year = (int)n;
    }
    if ((v = cli_get(c, "disability-grade"))) {
        if ((ret = cli_parse_int("--disability-grade", v, 0, 4, &n, d)) != HH_OK)
            return ret;
        m->disability_grade = (int)n;
    } else if (m->health != HH_HEALTH_DISABLED) {
        m->disability_grade = 0;
    }
    if ((v = cli_get(c, "insurance"))) {
        if ((ret = cli_parse_bool("--insurance", v, &flag, d)) != HH_OK)
            return ret;
        m->medical_insurance = flag;
    }
    if ((v = cli_get(c, "employment-stable"))) {
        if ((ret = cli_parse_bool("--employment-stable", v, &flag, d)) != HH_OK)
            return ret;
        m->employment_stable = flag;
    }
    return hh_member_validate(m, hh_platform_current_year(), d);
}

typedef struct member_write_args {
    const char *household_id;
    hh_member *member;
} member_write_args;

static hh_err put_member(hh_store *s, void *arg, hh_diag *d)
{
    member_write_args *a = arg;

    return hh_store_member_put(s, a->household_id, a->member, d);
}

static int member_write(cli *c, hh_household *h, hh_member *m, const char *verb)
{
    member_write_args a = { h->id, m };
    hh_diag d;
    hh_err ret;

    hh_diag_clear(&d);
    if ((ret = apply_member_opts(c, h, m, &d)) != HH_OK ||
        (ret = agent_in_transaction(agent_store(c), put_member, &a, &d)) != HH_OK)
        return cli_fail(ret, &d, "cannot %s the member", verb);
    printf("%s\n", m->id);
    return HH_EXIT_OK;
}

static int member_add(cli *c)
{
    static const char *const required[] = { "name", "relation", N_("sex"), "birth-year", "labour",
                                            "health", "school", "insurance", "employment" };
    hh_household *h;
    hh_member m;
    int rc = HH_EXIT_OK;

    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!cli_has(c, required[i]))
            return cli_usage(c, "--%s is required", required[i]);
    if (!cli_has(c, "id-number") && !cli_has(c, "virtual-id"))
        return cli_usage(c, "--id-number (or --virtual-id) is required");
    if (!(h = load_household(c, c->args[0], &rc)))
        return rc;
    hh_member_init(&m);
    rc = member_write(c, h, &m, "add");
    free(h);
    return rc;
}

static int member_edit(cli *c)
{
    char household_id[HH_UUID_LEN + 1];
    hh_household *h;
    hh_member m;
    hh_err ret;
    int rc = HH_EXIT_OK;

    ret = hh_store_member_get(agent_store(c), c->args[0], &m, household_id);
    if (ret != HH_OK)
        return cli_fail(ret, NULL, "no member '%s'", c->args[0]);
    if (!(h = load_household(c, household_id, &rc)))
        return rc;
    rc = member_write(c, h, &m, "edit");
    free(h);
    return rc;
}

static const cli_opt json_opts[] = {
    { "json", NULL, N_("print JSON (the exchange format) instead of text") },
    { NULL, NULL, NULL }
};

static const cli_opt list_opts[] = {
    { "village", "CODE", N_("only this village") },
    { "json", NULL, N_("print JSON Lines (the exchange format) instead of text") },
    { NULL, NULL, NULL }
};

static const cli_opt no_opts[] = { { NULL, NULL, NULL } };

const cli_cmd hh_cmd_init = {
    "init", "", N_("Create the device database with a new device identity and the default rulebook."),
    0, 0, no_opts, cmd_init, 0 };
const cli_cmd hh_cmd_household_add = {
    "household add", "", N_("Add a household; prints its id."),
    0, 0, household_opts, household_add, AGENT_NEEDS_STORE | AGENT_WRITES };
const cli_cmd hh_cmd_household_edit = {
    "household edit", "HOUSEHOLD", N_("Change a household (by id or registry number)."),
    1, 1, household_opts, household_edit, AGENT_NEEDS_STORE | AGENT_WRITES };
const cli_cmd hh_cmd_household_show = {
    "household show", "HOUSEHOLD", N_("Show a household, its members, tier and visits."),
    1, 1, json_opts, household_show, AGENT_NEEDS_STORE };
const cli_cmd hh_cmd_household_list = {
    "household list", "", N_("List households."),
    0, 0, list_opts, household_list, AGENT_NEEDS_STORE };
const cli_cmd hh_cmd_member_add = {
    "member add", "HOUSEHOLD", N_("Add a member to a household; prints the member id."),
    1, 1, member_opts, member_add, AGENT_NEEDS_STORE | AGENT_WRITES };
const cli_cmd hh_cmd_member_edit = {
    "member edit", "MEMBER", N_("Change a member (by member id)."),
    1, 1, member_opts, member_edit, AGENT_NEEDS_STORE | AGENT_WRITES };
