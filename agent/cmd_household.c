/* agent/cmd_household.c — `hearth init`, `household …` and `member …`.
 *
 * Each write command loads what exists, applies the options given, validates the
 * whole record with model/validate, and writes it in one transaction through the
 * store (which queues the Change and recomputes the tier). */
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "commands.h"
#include "sync/present.h"
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

static int cmd_lang(cli *c)
{
    char lang[HH_LANG_MAX + 1];
    hh_err ret;

    if (c->nargs == 0) {
        if ((ret = hh_store_lang(agent_store(c), lang)) != HH_OK)
            return cli_fail(ret, NULL, "cannot read the device's settings");
        printf("%s\n", lang[0] ? lang : hh_i18n_zh() ? "zh" : "en");
        return HH_EXIT_OK;
    }
    if (strcmp(c->args[0], "zh") != 0 && strcmp(c->args[0], "en") != 0)
        return cli_usage(c, "the language is zh (中文) or en (English)");
    if ((ret = hh_store_set_lang(agent_store(c), c->args[0])) != HH_OK)
        return cli_fail(ret, NULL, "cannot store the language");
    hh_i18n_init("hearth", c->args[0]);
    printf(_("this device now speaks English\n"));
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

static int household_write(cli *c, hh_household *h, const char *failure)
{
    hh_diag d;
    hh_err ret;

    hh_diag_clear(&d);
    if ((ret = apply_household_opts(c, h, &d)) != HH_OK ||
        (ret = agent_in_transaction(agent_store(c), put_household, h, &d)) != HH_OK)
        return cli_fail(ret, &d, "%s", failure);
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
    rc = household_write(c, h, _("cannot add the household"));
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
    rc = household_write(c, h, _("cannot change the household"));
    free(h);
    return rc;
}

/* One visit on a line of at most 80 columns: its id's first 8 characters
 * are enough for `visit record --supersedes`. */
static int print_visit_line(void *ctx, const hh_visit *v)
{
    char officer[HH_OFFICER_MAX + 1], income[32];

    (void)ctx;
    hh_present_yuan(hh_income_total(&v->income), income, sizeof income);
    printf("  %s  ", v->visited_on);
    hh_print_padded(stdout, cli_printable(v->officer, officer, sizeof officer), 12);
    printf(_("  income %s yuan  %.8s\n"), income, v->id);
    return 0;
}

/* "label       value": the label padded to 12 columns in any language. */
static void field_line(const char *label, const char *value)
{
    hh_print_padded(stdout, label, 12);
    printf("%s\n", value);
}

static int household_show(cli *c)
{
    hh_household *h;
    hh_tier_row t;
    char reasons[1024], safe[512], value[600];   /* stored text, made printable */
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
    field_line(_("household"), h->id);
    field_line(_("registry"), h->registry_no[0] ? h->registry_no : "-");
    field_line(_("village"), h->village_code);
    field_line(_("category"), hh_i18n_enum(&hh_category_names, (int)h->category));
    snprintf(value, sizeof value, "%s%s%s", h->relocated ? _("yes") : _("no"),
             h->resettlement_site[0] ? _(", site ") : "",
             cli_printable(h->resettlement_site, safe, sizeof safe));
    field_line(_("relocated"), value);
    ret = hh_store_tier_get(agent_store(c), h->id, 0, &t);
    if (ret == HH_OK) {
        hh_present_reasons(&t.v, hh_store_rulebook(agent_store(c)), hh_i18n_zh() ? "；" : "; ",
                           reasons, sizeof reasons);
        snprintf(value, sizeof value, _("%s (%s, rulebook %s, last visit %s)"),
                 hh_i18n_enum(&hh_tier_names, (int)t.v.tier),
                 strcmp(t.v.label, "collector") == 0 ? _("collector") : _("this device"),
                 t.v.rulebook, t.v.last_visit_on);
        field_line(_("tier"), value);
        if (reasons[0]) {
            printf("%12s", "");
            hh_print_wrapped(stdout, reasons, 12, hh_terminal_columns(1, 1000));
        }
        if (t.review) {
            snprintf(value, sizeof value, "%s (%s)", hh_enum_name(&hh_review_state_names, (int)t.review),
                     hh_review_state_zh(t.review));
            field_line(_("review"), value);
        }
        for (int i = 0; i < t.n_measures; i++) {
            snprintf(value, sizeof value, _("%s due %s, responsible %s"), t.measures[i].measure,
                     t.measures[i].due_on, t.measures[i].responsible);
            field_line(i ? "" : _("measures"), value);
        }
    } else {
        field_line(_("tier"), _("- (no visit yet)"));
    }
    snprintf(value, sizeof value, "%d", h->member_count);
    field_line(_("members"), value);
    for (int i = 0; i < h->member_count; i++) {
        const hh_member *m = &h->members[i];
        char year[8];
        snprintf(year, sizeof year, "%d", m->birth_year);
        printf("  ");
        hh_print_padded(stdout, hh_i18n_enum(&hh_relation_names, (int)m->relation), 12);
        putchar(' ');
        hh_print_padded(stdout, cli_printable(m->name, safe, sizeof safe), 11);
        printf(" %s %s ", hh_i18n_enum(&hh_sex_names, (int)m->sex), year);
        hh_print_padded(stdout, hh_i18n_enum(&hh_labour_names, (int)m->labour), 10);
        putchar(' ');
        hh_print_padded(stdout, hh_i18n_enum(&hh_health_names, (int)m->health), 15);
        printf(" %s\n", hh_i18n_enum(&hh_employment_names, (int)m->employment));
    }
    printf("%s\n", _("visits"));
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
        printf("%-36s  %-16s  %s  ", h->id, h->registry_no[0] ? h->registry_no : "-",
               h->village_code);
        hh_print_padded(stdout, hh_i18n_enum(&hh_category_names, (int)h->category), 15);
        printf("  %2d  %s\n", h->member_count, h->relocated ? _("relocated") : "");
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
    if (!l.json) {
        printf("%-36s  ", "ID");
        hh_print_padded(stdout, _("REGISTRY"), 18);
        hh_print_padded(stdout, _("VILLAGE"), 14);
        hh_print_padded(stdout, _("CATEGORY"), 17);
        printf("%s\n", _("MEMBERS"));
    }
    ret = hh_store_each_household(agent_store(c), village, list_one, &l);
    hh_buf_free(&l.line);
    if (ret == HH_OK)
        ret = l.err;
    if (ret != HH_OK)
        return cli_fail(ret, NULL, "cannot list households");
    if (!l.json)
        fprintf(stderr, _("households: %ld\n"), l.count);
    return HH_EXIT_OK;
}

/* ---- members ---------------------------------------------------------------- */

static const cli_opt member_opts[] = {
    { "name", "NAME", N_("full name; - to type it (or read a line of standard input), "
                      "off the command line") },
    { "id-number", "ID", N_("18-character GB 11643 ID number; - as for --name") },
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

    char typed[HH_NAME_MAX + HH_ID_NUMBER_LEN + 8];

    /* "-": typed, or a line of standard input, never on the command line. */
    if ((ret = cli_get_private(c, "name", _("name"), typed, sizeof typed, &v, d)) != HH_OK)
        return ret;
    if (v && (ret = cli_copy("--name", v, m->name, sizeof m->name, d)) != HH_OK)
        return ret;
    if (cli_has(c, "id-number") && cli_has(c, "virtual-id"))
        return hh_diag_fail(d, HH_EUSAGE, "--virtual-id", "give either --id-number or --virtual-id");
    if ((ret = cli_get_private(c, "id-number", _("ID number"), typed, sizeof typed, &v, d)) != HH_OK)
        return ret;
    if (v) {
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

static int member_write(cli *c, hh_household *h, hh_member *m, const char *failure)
{
    member_write_args a = { h->id, m };
    hh_diag d;
    hh_err ret;

    hh_diag_clear(&d);
    if ((ret = apply_member_opts(c, h, m, &d)) != HH_OK ||
        (ret = agent_in_transaction(agent_store(c), put_member, &a, &d)) != HH_OK)
        return cli_fail(ret, &d, "%s", failure);
    printf("%s\n", m->id);
    return HH_EXIT_OK;
}

static int member_add(cli *c)
{
    static const char *const required[] = { "name", "relation", "sex", "birth-year", "labour",
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
    rc = member_write(c, h, &m, _("cannot add the member"));
    free(h);
    return rc;
}

/* The member named on the command line: by member id, ID number or name.
 * NULL (with *rc set) when there is not exactly one. */
static int find_member(cli *c, hh_member *m, char household_id[HH_UUID_LEN + 1])
{
    int matches = 0;
    hh_err ret = hh_store_member_find(agent_store(c), c->args[0], m, household_id, &matches);

    if (ret == HH_ENOTFOUND && matches > 1)
        return cli_fail(HH_EINVAL, NULL, "more than one member is called '%s': give the ID number "
                        "(household show lists the members)", c->args[0]);
    if (ret != HH_OK)
        return cli_fail(ret, NULL, "no member '%s' (give a member id, ID number or name)", c->args[0]);
    return HH_EXIT_OK;
}

static int member_edit(cli *c)
{
    char household_id[HH_UUID_LEN + 1];
    hh_household *h;
    hh_member m;
    int rc;

    if ((rc = find_member(c, &m, household_id)) != HH_EXIT_OK)
        return rc;
    if (!(h = load_household(c, household_id, &rc)))
        return rc;
    rc = member_write(c, h, &m, _("cannot change the member"));
    free(h);
    return rc;
}

static hh_err remove_member(hh_store *s, void *arg, hh_diag *d)
{
    return hh_store_member_remove(s, arg, d);
}

static int member_remove(cli *c)
{
    char household_id[HH_UUID_LEN + 1], name[HH_NAME_MAX + 1];
    hh_member m;
    hh_diag d;
    hh_err ret;
    int rc;

    hh_diag_clear(&d);
    if ((rc = find_member(c, &m, household_id)) != HH_EXIT_OK)
        return rc;
    if ((ret = agent_in_transaction(agent_store(c), remove_member, m.id, &d)) != HH_OK)
        return cli_fail(ret, &d, "cannot remove the member");
    printf(_("removed %s (%s) from household %s\n"), cli_printable(m.name, name, sizeof name), m.id,
           household_id);
    return HH_EXIT_OK;
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

const cli_cmd hh_cmd_lang = {
    "lang", "[zh|en]", N_("Show or set the language this device speaks (zh: 中文, en: English; "
    "$HEARTH_LANG wins over it)."),
    0, 1, no_opts, cmd_lang, AGENT_NEEDS_STORE | AGENT_WRITES };
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
    "member edit", "MEMBER", N_("Change a member (by member id, ID number or name)."),
    1, 1, member_opts, member_edit, AGENT_NEEDS_STORE | AGENT_WRITES };
const cli_cmd hh_cmd_member_remove = {
    "member remove", "MEMBER", N_("Remove a member from its household (by member id, ID number or "
    "name): moved away, or recorded in error."),
    1, 1, no_opts, member_remove, AGENT_NEEDS_STORE | AGENT_WRITES };
